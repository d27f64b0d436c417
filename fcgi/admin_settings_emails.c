/* admin_settings_emails.c - /admin/settings/emails: the registration (verify) and invitation
 * emails' subject and text per language (/admin/settings/emails/<email>/<lang>), edited over the
 * shipped ones, checked before saving, with a preview; also the ticket notifications (ticket_created,
 * agent_reply, ticket_closed, staff_new_ticket, staff_customer_reply,
 * staff_ticket_status). Not a form page of the kit: the record is
 * named by the email and language, may not exist yet (the shipped email stands in), and the
 * form either saves or resets to the shipped one. */
#include "admin_settings_templates.h"
#include "form_page.h"
#include "langs.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "mail_render.h"

const struct db_stmt admin_settings_emails_stmts[] = {
	{"templates_emails",
	 "SELECT email, language, " SQL_CONSOLE_TIME("updated_at", "YYYY-MM-DD HH24:MI")
	 " FROM portal_email_templates WHERE portal_id = $1",
	 1},
	{"templates_email_get",
	 "SELECT subject, body_text FROM portal_email_templates"
	 " WHERE portal_id = $1 AND email = $2 AND language = $3",
	 3},
	{"templates_email_lock",
	 "SELECT subject, body_text FROM portal_email_templates"
	 " WHERE portal_id = $1 AND email = $2 AND language = $3 FOR UPDATE",
	 3},
	{"templates_email_save",
	 "INSERT INTO portal_email_templates (portal_id, email, language, subject, body_text)"
	 " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (portal_id, email, language)"
	 " DO UPDATE SET subject = EXCLUDED.subject, body_text = EXCLUDED.body_text, updated_at = now()",
	 5},
	{"templates_email_reset",
	 "DELETE FROM portal_email_templates WHERE portal_id = $1 AND email = $2 AND language = $3",
	 3},
	{NULL},
};

/* The emails an admin may edit; outbox_send (outbox.c) uses the edited copies. sample: what the
 * preview and the check render with (0 account mail, 1 customer ticket mail, 2 staff mail). */
static const struct {
	const char *name, *label, *hint, *vars, *link_path;
	int has_name, link_required, sample;
} emails[] = {
	{"invite", "Invitation",
	 "Sent to a contact added to a list that grants access to the portal (access mode: specific lists).",
	 "{{link}} (the set-password link, required), {{name}} (the contact's name, may be empty), {{portal_name}}",
	 "/password-reset/SAMPLE-TOKEN", 1, 1, 0},
	{"verify", "Email confirmation",
	 "Sent after self-registration, to confirm the address (access mode: member registration).",
	 "{{link}} (the link where the person confirms the address by choosing a password, required), {{portal_name}}",
	 "/password-reset/SAMPLE-TOKEN", 0, 1, 0},
	{"ticket_created", "Ticket received",
	 "Sent to the requester when a ticket is opened through the support form or by email (switch it off on "
	 "the Notifications page). Replying to it adds to the ticket.",
	 "{{ticket_id}}, {{subject}}, {{body}} (what they wrote), {{name}} (first name, may be empty), "
	 "{{link}} (a signed link to the ticket, empty when the portal does not show it to them), {{portal_name}}",
	 "/tickets/42/open?t=SAMPLE-TOKEN", 1, 0, 1},
	{"agent_reply", "Agent reply",
	 "Sent to the ticket's contacts when an agent replies in the inbox. Replying to it adds to the ticket.",
	 "{{body}} (the reply), {{agent}} (the agent's name), {{ticket_id}}, {{subject}}, {{name}} (first name), "
	 "{{link}} (a signed link to the ticket, may be empty), {{portal_name}}; {{#has_ticket}}...{{/has_ticket}}",
	 "/tickets/42/open?t=SAMPLE-TOKEN", 1, 0, 1},
	{"ticket_closed", "Ticket closed",
	 "Sent to the ticket's contacts when the ticket moves into a closed stage. A reply reopens it or opens a "
	 "follow-up (see Ticket actions).",
	 "{{ticket_id}}, {{subject}}, {{name}} (first name), {{link}} (a signed link to the ticket, may be empty), "
	 "{{good_url}} and {{bad_url}} (the signed rating links, good and bad, for 14 days; empty when ratings are "
	 "off or the ticket is rated: {{#good_url}}...{{/good_url}}), {{portal_name}}",
	 "/tickets/42/open?t=SAMPLE-TOKEN", 1, 0, 1},
	{"staff_new_ticket", "New ticket (to staff)",
	 "Sent to the inbox's staff users (every staff user when none are chosen) when a customer opens a ticket; "
	 "never to a connected inbox address.",
	 "{{name}} and {{email}} (the customer), {{ticket_id}}, {{subject}}, {{body}}, {{#files}}{{.}}{{/files}}, "
	 "{{link}} (the conversation in the console), {{staff_name}}, {{portal_name}}",
	 "/admin/inbox/7", 0, 0, 2},
	{"staff_customer_reply", "Customer reply (to staff)",
	 "Sent to the inbox's staff users when a customer replies in the portal or by email; never to a "
	 "connected inbox address.",
	 "{{name}} and {{email}} (the customer), {{ticket_id}}, {{subject}}, {{body}}, {{#files}}{{.}}{{/files}}, "
	 "{{link}} (the conversation in the console), {{staff_name}}, {{portal_name}}; {{#has_ticket}}...{{/has_ticket}}",
	 "/admin/inbox/7", 0, 0, 2},
	{"staff_ticket_status", "Ticket closed or reopened by the customer (to staff)",
	 "Sent to the inbox's staff users when a customer closes or reopens a ticket in the portal (see Ticket "
	 "actions); never to a connected inbox address.",
	 "{{name}} and {{email}} (the customer), {{ticket_id}}, {{subject}}, "
	 "{{#closed}}...{{/closed}} (closed; else reopened), {{link}} (the conversation in the console), "
	 "{{staff_name}}, {{portal_name}}",
	 "/admin/inbox/7", 0, 0, 2},
};

#define NEMAILS ((int)(sizeof emails / sizeof emails[0]))
#define NLANGS ((int)nlangs) /* the portal's languages: langs.h */

static int email_index(const char *name)
{
	for (int i = 0; i < NEMAILS; i++)
		if (strcmp(emails[i].name, name) == 0)
			return i;
	return -1;
}

static int lang_index(const char *code)
{
	for (int i = 0; i < NLANGS; i++)
		if (strcmp(langs[i].code, code) == 0)
			return i;
	return -1;
}

/*
 * A shipped template turned into what an admin edits: {{{t.key}}} becomes the catalog's text in
 * lang, other {{{x}}} become {{x}} (the output of an edited email is plain text either way).
 */
static const char *editable(struct ctx *c, const char *src, const char *lang)
{
	struct buf b = BUF_INIT;
	const char *p = src;
	for (const char *o; (o = strstr(p, "{{{")) != NULL;) {
		const char *e = strstr(o + 3, "}}}");
		if (!e)
			break;
		buf_append(&b, p, (size_t)(o - p));
		const char *name = arena_strndup(c->arena, o + 3, (size_t)(e - o - 3));
		if (name && strncmp(name, "t.", 2) == 0)
			buf_puts(&b, i18n_get(lang, name + 2));
		else
			buf_printf(&b, "{{%s}}", name ? name : "");
		p = e + 3;
	}
	buf_puts(&b, p);
	const char *s = b.oom ? NULL : arena_strdup(c->arena, b.data ? b.data : "");
	buf_free(&b);
	return s;
}

/* The shipped subject and body of email ei in lang, as editable text; 0 or -1. */
static int shipped(struct ctx *c, int ei, const char *lang, const char **subject, const char **body)
{
	const char *s = templates_read_shipped(c, arena_printf(c->arena, "email/%s.subject", emails[ei].name));
	const char *t = templates_read_shipped(c, arena_printf(c->arena, "email/%s.text", emails[ei].name));
	if (!s || !t)
		return -1;
	*subject = editable(c, s, lang);
	*body = editable(c, t, lang);
	if (*subject) {
		char *nl = strpbrk(*subject, "\r\n");
		if (nl)
			*nl = '\0';
	}
	return *subject && *body ? 0 : -1;
}

/* The saved override: 1 (subject/body in the arena), 0 none, -1 error. */
static int load_email(struct ctx *c, const char *stmt, int ei, int li, const char **subject, const char **body)
{
	const char *p[3] = {admin_pid(c), emails[ei].name, langs[li].code};
	PGresult *r = db_exec(stmt, 3, p);
	if (!r)
		return -1;
	int got = PQntuples(r) == 1;
	if (got) {
		*subject = arena_strdup(c->arena, PQgetvalue(r, 0, 0));
		*body = arena_strdup(c->arena, PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return got;
}

static struct json_object *sample_data(struct ctx *c, int ei)
{
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "portal_name", json_object_new_string(c->portal->name));
	json_object_object_add(d, "link", json_object_new_string(
		arena_printf(c->arena, "%s%s", portal_base_url(c), emails[ei].link_path)));
	if (emails[ei].has_name)
		json_object_object_add(d, "name", json_object_new_string(emails[ei].sample ? "Ada" : "Ada Lovelace"));
	if (emails[ei].sample) {
		json_object_object_add(d, "has_ticket", json_object_new_boolean(1));
		json_object_object_add(d, "ticket_id", json_object_new_string("42"));
		json_object_object_add(d, "subject", json_object_new_string("The printer on floor 3 is offline"));
		json_object_object_add(d, "body", json_object_new_string(
			"It shows a paper jam, but there is no paper in it.\nCould someone have a look?"));
		json_object_object_add(d, "agent", json_object_new_string("Sam Agent"));
		if (strcmp(emails[ei].name, "ticket_closed") == 0) /* the rating links (ticket_rating.c) */
			for (int k = 0; k < 2; k++)
				json_object_object_add(d, k ? "bad_url" : "good_url", json_object_new_string(arena_printf(c->arena,
					"%s/tickets/42/rating?score=%s&t=SAMPLE-TOKEN", portal_base_url(c), k ? "bad" : "good")));
	}
	if (emails[ei].sample == 2) {
		struct json_object *files = json_object_new_array();
		json_object_array_add(files, json_object_new_string("photo.jpg"));
		json_object_object_add(d, "name", json_object_new_string("Ada Lovelace"));
		json_object_object_add(d, "email", json_object_new_string("ada@example.com"));
		json_object_object_add(d, "staff_name", json_object_new_string("Sam Agent"));
		json_object_object_add(d, "files", files);
		json_object_object_add(d, "has_files", json_object_new_boolean(1));
		json_object_object_add(d, "closed", json_object_new_boolean(1)); /* staff_ticket_status */
	}
	return d;
}

/* name, label, hint, lang and lang_label of email ei in language li, added to o. */
static struct json_object *add_email(struct json_object *o, int ei, int li)
{
	json_object_object_add(o, "name", json_object_new_string(emails[ei].name));
	json_object_object_add(o, "label", json_object_new_string(emails[ei].label));
	json_object_object_add(o, "hint", json_object_new_string(emails[ei].hint));
	json_object_object_add(o, "lang", json_object_new_string(langs[li].code));
	json_object_object_add(o, "lang_label", json_object_new_string(langs[li].name));
	return o;
}

int admin_settings_emails(struct ctx *c)
{
	PGresult *r = form_page_query(c, "templates_emails");
	if (!r)
		return 500;
	struct json_object *page = admin_page_new(c, "Emails", "settings");
	struct json_object *rows = json_object_new_array();
	for (int i = 0; i < NEMAILS; i++) {
		for (int l = 0; l < NLANGS; l++) {
			const char *updated = NULL;
			for (int k = 0; k < PQntuples(r); k++)
				if (strcmp(PQgetvalue(r, k, 0), emails[i].name) == 0 &&
				    strcmp(PQgetvalue(r, k, 1), langs[l].code) == 0)
					updated = PQgetvalue(r, k, 2);
			struct json_object *row = add_email(json_object_new_object(), i, l);
			json_object_object_add(row, "updated", updated ? json_object_new_string(updated) : NULL);
			json_object_array_add(rows, row);
		}
	}
	PQclear(r);
	json_object_object_add(page, "rows", rows);
	return admin_render(c, 200, "admin/settings_emails", page);
}

/* A page about email ei in language li, titled "<prefix><label> email (<language>)". */
static struct json_object *email_page(struct ctx *c, const char *prefix, int ei, int li)
{
	return add_email(admin_page_new(c, arena_printf(c->arena, "%s%s email (%s)", prefix, emails[ei].label,
							 langs[li].name), "settings"), ei, li);
}

static int render_email(struct ctx *c, int status, int ei, int li, int has_override, const char *subject,
			const char *body, struct form *f)
{
	struct json_object *page = email_page(c, "", ei, li);
	json_object_object_add(page, "vars", json_object_new_string(emails[ei].vars));
	json_object_object_add(page, "has_override", json_object_new_boolean(has_override));
	json_object_object_add(page, "body", json_object_new_string(body));
	json_object_object_add(page, "body_max", json_object_new_int(TEMPLATES_EMAIL_BODY_MAX));
	if (f) {
		form_to_page(f, page);
	} else {
		struct json_object *v = json_object_new_object();
		json_object_object_add(v, "subject", json_object_new_string(subject));
		json_object_object_add(page, "values", v);
	}
	return admin_render(c, status, "admin/settings_email", page);
}

static int route_email(struct ctx *c, int *ei, int *li)
{
	*ei = email_index(c->caps.v[0]);
	*li = lang_index(c->caps.v[1]);
	return *ei >= 0 && *li >= 0;
}

/* The email of the route (*ei, *li) and its saved override (*got: 1 with subject/body, else 0).
 * 0, 404 or 500. */
static int route_load(struct ctx *c, int *ei, int *li, int *got, const char **subject, const char **body)
{
	if (!route_email(c, ei, li))
		return 404;
	*got = load_email(c, "templates_email_get", *ei, *li, subject, body);
	return *got < 0 ? 500 : 0;
}

int admin_settings_email(struct ctx *c)
{
	int ei, li, got;
	const char *subject, *body;
	int st = route_load(c, &ei, &li, &got, &subject, &body);
	if (!st && !got && shipped(c, ei, langs[li].code, &subject, &body) < 0)
		st = 500;
	return st ? st : render_email(c, 200, ei, li, got, subject, body, NULL);
}

/* Compile and render with sample data; refuse with the compiler's message, or a body that
 * leaves the link out. Messages go on the form. */
static void check_email(struct ctx *c, struct form *f, int ei, int li, const char *subject, const char *body)
{
	struct buf s = BUF_INIT, t = BUF_INIT, h = BUF_INIT;
	char err[300];
	struct json_object *data = sample_data(c, ei);
	struct json_object *link;
	json_object_object_get_ex(data, "link", &link);
	const char *l = arena_strdup(c->arena, json_object_get_string(link));
	if (mail_render_custom(langs[li].code, subject, body, data, &s, &t, &h, err, sizeof err) < 0) {
		int subj = strncmp(err, "subject: ", 9) == 0;
		const char *msg = strchr(err, ':') ? strchr(err, ':') + 2 : err;
		form_message(f, subj ? "subject" : "body",
			     arena_printf(c->arena, "The template does not compile: %s", msg));
	} else if (emails[ei].link_required && (!t.data || !l || !strstr(t.data, l))) {
		form_message(f, "body", "The body must contain {{link}}: without the link the email is of no use.");
	} else if (!s.len) {
		form_message(f, "subject", "The subject comes out empty.");
	}
	json_object_put(data);
	buf_free(&s);
	buf_free(&t);
	buf_free(&h);
}

static struct json_object *email_state(const char *subject, const char *body)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "subject", json_object_new_string(subject));
	json_object_object_add(o, "body_text", json_object_new_string(body));
	return o;
}

/* One transaction: the before state (locked), the write, the audit, commit. */
static int write_email(struct ctx *c, int ei, int li, const char *subject, const char *body)
{
	const char *bs, *bb;
	if (db_begin() < 0)
		return -1;
	int had = load_email(c, "templates_email_lock", ei, li, &bs, &bb);
	if (had < 0)
		return -1;
	const char *p[5] = {admin_pid(c), emails[ei].name, langs[li].code, subject, body};
	PGresult *r = db_exec(subject ? "templates_email_save" : "templates_email_reset", subject ? 5 : 3, p);
	if (!r)
		return -1;
	PQclear(r);
	const char *setting = arena_printf(c->arena, "email:%s:%s", emails[ei].name, langs[li].code);
	if (admin_audit(c, "settings_change", setting, had ? email_state(bs, bb) : NULL,
			subject ? email_state(subject, body) : NULL) < 0)
		return -1;
	return db_commit();
}

int admin_settings_email_save(struct ctx *c)
{
	int ei, li;
	if (!route_email(c, &ei, &li))
		return 404;
	const char *action = request_form(c->req, "action");
	const char *url = admin_settings_url(c, arena_printf(c->arena, "/emails/%s/%s", emails[ei].name, langs[li].code));
	if (action && strcmp(action, "reset") == 0) {
		if (write_email(c, ei, li, NULL, NULL) < 0) {
			db_rollback();
			return 500;
		}
		return page_redirect(c, 303, arena_printf(c->arena, "%s?saved=1", url));
	}
	if (!action || strcmp(action, "save") != 0)
		return 400;
	struct form f;
	form_init(&f, "en");
	const char *subject = form_text(&f, c->req, "subject", 1, TEMPLATES_EMAIL_SUBJECT_MAX, 0, 1);
	const char *raw = request_form(c->req, "body");
	char *body = templates_source(c, raw ? raw : "");
	if (!body) {
		form_free(&f);
		return 500;
	}
	if (strspn(body, " \t\n") == strlen(body))
		form_message(&f, "body", "Enter the text of the email.");
	else if (strlen(body) > TEMPLATES_EMAIL_BODY_MAX)
		form_message(&f, "body", arena_printf(c->arena, "The text is %zu bytes; at most %d are allowed.",
						      strlen(body), TEMPLATES_EMAIL_BODY_MAX));
	if (!f.nerrors)
		check_email(c, &f, ei, li, subject, body);
	if (f.nerrors) {
		char dummy[2];
		int had = db_exec_value("templates_email_get", 3,
					(const char *[3]){admin_pid(c), emails[ei].name, langs[li].code}, dummy,
					sizeof dummy);
		return render_email(c, 422, ei, li, had == 1, NULL, body, &f);
	}
	form_free(&f);
	if (write_email(c, ei, li, subject, body) < 0) {
		db_rollback();
		return 500;
	}
	return page_redirect(c, 303, arena_printf(c->arena, "%s?saved=1", url));
}

/* The email as it goes out (the saved version, else the shipped one), with sample data. */
int admin_settings_email_preview(struct ctx *c)
{
	int ei, li, got;
	const char *subject, *body;
	int st = route_load(c, &ei, &li, &got, &subject, &body);
	if (st)
		return st;
	struct buf s = BUF_INIT, t = BUF_INIT, h = BUF_INIT;
	char err[300];
	struct json_object *data = sample_data(c, ei);
	int rc = got ? mail_render_custom(langs[li].code, subject, body, data, &s, &t, &h, err, sizeof err)
		     : mail_render(templates, langs[li].code, emails[ei].name, data, &s, &t, &h, err, sizeof err);
	json_object_put(data);
	if (rc < 0) {
		log_msg(LOG_ERROR, "email preview %s/%s: %s", emails[ei].name, langs[li].code, err);
		buf_free(&s);
		buf_free(&t);
		buf_free(&h);
		return 500;
	}
	struct json_object *page = email_page(c, "Preview: ", ei, li);
	json_object_object_add(page, "edited", json_object_new_boolean(got));
	json_object_object_add(page, "subject", json_object_new_string(s.data ? s.data : ""));
	json_object_object_add(page, "text", json_object_new_string(t.data ? t.data : ""));
	json_object_object_add(page, "html", json_object_new_string(h.data ? h.data : ""));
	buf_free(&s);
	buf_free(&t);
	buf_free(&h);
	return admin_render(c, 200, "admin/settings_email_preview", page);
}
