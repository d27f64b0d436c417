/* ticket_new.c - GET and POST /<slug>/new, the support form: the connected form's fields, validated into a new ticket with its thread. */
#include "conversation.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "ticket_cc.h"
#include "token.h"

/*
 * Design: the form definition (forms.fields) is read on every request, so an admin's change
 * shows at once. Each field is {name, label, property, type, required[, options][, labels]}
 * (labels: {"<language>": label}, shown for the request's language, else the portal's primary
 * language's, else label; an option object may have labels too); its name is
 * the input's name, its property decides where the value goes (subject, description and
 * priority are ticket columns, anything else a key of tickets.properties). A ticket needs a
 * subject: it is required whatever the definition says, and a form without a subject field
 * gets one. A submission is one transaction: conv_ticket (conversation.c) creates the ticket in
 * the form's stage, its contact and company links, the form thread in the form's inbox, the
 * first message and the timeline entry; then the audit row. The page's random nonce becomes the
 * message's reply_nonce (UNIQUE): a repeated POST with it creates nothing and is sent to the
 * ticket the nonce created; an advisory lock on the nonce makes a concurrent twin wait and then
 * find that ticket instead of failing on the UNIQUE.
 */

#define TN_MAX_FIELDS 32
#define TN_NAME_MAX 64
#define TN_SUBJECT_MAX 500
#define TN_TEXT_MAX 2000
#define TN_TEXTAREA_MAX 20000
#define TN_CHOICE_MAX 200
#define TN_NUMBER_DIGITS 16
#define TN_NUMBER_LIMIT 9007199254740991LL /* 2^53 - 1: exact in every JSON reader */

const struct db_stmt ticket_new_stmts[] = {
	{"ticket_new_form", "SELECT fields::text, inbox_id, stage_id FROM forms WHERE id = $1", 1},
	{NULL, NULL, 0},
};

enum tn_type { TN_TEXT, TN_TEXTAREA, TN_SELECT, TN_EMAIL, TN_NUMBER, TN_TYPE__MAX };

static const char *const tn_type_names[TN_TYPE__MAX] = {"text", "textarea", "select", "email", "number"};
static const char *const priorities[] = {"low", "medium", "high", "urgent", NULL};

struct tn_field {
	const char *name;     /* the input's name: [A-Za-z0-9_-], not csrf or nonce */
	const char *label;    /* admin-written; escaped by the template */
	const char *property; /* subject, description, priority or a custom property */
	enum tn_type type;
	int required;
	struct json_object *options; /* [{value, label}] for selects, else NULL; owned by the form */
	const char *value;           /* after validation: trimmed text, "" when empty */
};

struct tn_form {
	struct json_object *def; /* the parsed fields array; names and labels point into it */
	char inbox[24], stage[24]; /* where its tickets go */
	struct tn_field f[TN_MAX_FIELDS];
	int n;
};

/* What a valid submission turns into. */
struct tn_ticket {
	const char *subject, *description, *priority, *properties, *body;
};

static void tn_form_free(struct tn_form *tf)
{
	for (int i = 0; i < tf->n; i++)
		json_object_put(tf->f[i].options);
	json_object_put(tf->def);
	tf->def = NULL;
	tf->n = 0;
}

static int is_property(const struct tn_field *fd, const char *p)
{
	return strcmp(fd->property, p) == 0;
}

static int in_list(const char *const *list, const char *v)
{
	for (; *list; list++)
		if (strcmp(*list, v) == 0)
			return 1;
	return 0;
}

static int name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > TN_NAME_MAX || strcmp(s, "csrf") == 0 || strcmp(s, "nonce") == 0)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

static const char *json_str(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object *v;
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0)
		return json_object_get_string(v);
	return dflt;
}

static enum tn_type type_of(const char *s)
{
	for (int i = 0; i < TN_TYPE__MAX; i++)
		if (strcmp(s, tn_type_names[i]) == 0)
			return (enum tn_type)i;
	return TN_TEXT;
}

/* A select's options as [{value, label}]: plain strings or {value, label} objects. Priority
 * keeps only the values a ticket accepts, labelled from the catalog when the form gave none. */
static struct json_object *options_of(struct ctx *c, struct json_object *raw, int priority)
{
	struct json_object *out = json_object_new_array();
	size_t n = json_object_is_type(raw, json_type_array) ? json_object_array_length(raw) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(raw, i);
		const char *value = NULL, *label = NULL;
		if (json_object_is_type(o, json_type_string) && json_object_get_string_len(o) > 0) {
			value = json_object_get_string(o);
		} else if (json_object_is_type(o, json_type_object)) {
			value = json_str(o, "value", NULL);
			label = json_str(o, "label", NULL);
			struct json_object *labels = NULL; /* {"<language>": label}: the request's, else the primary's */
			json_object_object_get_ex(o, "labels", &labels);
			const char *tr = lang_pick(c, labels, NULL);
			if (tr[0])
				label = tr;
		}
		if (!value || strlen(value) > TN_CHOICE_MAX || (priority && !in_list(priorities, value)))
			continue;
		if (!label)
			label = priority ? i18n_get(c->lang, arena_printf(c->arena, "priority_%s", value)) : value;
		struct json_object *opt = json_object_new_object();
		json_object_object_add(opt, "value", json_object_new_string(value));
		json_object_object_add(opt, "label", json_object_new_string(label));
		json_object_array_add(out, opt);
	}
	return out;
}

static int has_field(const struct tn_form *tf, const char *name)
{
	for (int i = 0; i < tf->n; i++)
		if (strcmp(tf->f[i].name, name) == 0)
			return 1;
	return 0;
}

static void field_add(struct ctx *c, struct tn_form *tf, struct json_object *d)
{
	const char *name = json_str(d, "name", "");
	if (!name_ok(name) || has_field(tf, name) || tf->n >= TN_MAX_FIELDS) {
		log_msg(LOG_WARN, "support form: field '%.64s' skipped (bad, repeated or too many)", name);
		return;
	}
	struct tn_field *fd = &tf->f[tf->n++];
	struct json_object *req;
	fd->name = name;
	struct json_object *labels = NULL; /* {"<language>": label}: the request's, else the primary's */
	json_object_object_get_ex(d, "labels", &labels);
	fd->label = lang_pick(c, labels, json_str(d, "label", name));
	fd->property = json_str(d, "property", name);
	fd->type = type_of(json_str(d, "type", "text"));
	fd->required = json_object_object_get_ex(d, "required", &req) &&
		       json_object_is_type(req, json_type_boolean) && json_object_get_boolean(req);
	fd->options = NULL;
	fd->value = "";
	if (is_property(fd, "subject")) {
		fd->required = 1; /* a ticket needs one, on one line */
		if (fd->type == TN_TEXTAREA)
			fd->type = TN_TEXT;
	}
	if (fd->type == TN_SELECT) {
		struct json_object *raw = NULL;
		json_object_object_get_ex(d, "options", &raw);
		fd->options = options_of(c, raw, is_property(fd, "priority"));
	}
}

/* A form whose definition has no subject field asks for one first. */
static void ensure_subject(struct ctx *c, struct tn_form *tf)
{
	for (int i = 0; i < tf->n; i++)
		if (is_property(&tf->f[i], "subject"))
			return;
	const char *name = has_field(tf, "subject") ? "ticket_subject" : "subject";
	if (tf->n >= TN_MAX_FIELDS)
		json_object_put(tf->f[--tf->n].options);
	memmove(&tf->f[1], &tf->f[0], (size_t)tf->n * sizeof tf->f[0]);
	tf->n++;
	tf->f[0] = (struct tn_field){
		.name = name,
		.label = i18n_get(c->lang, "ticket_new_subject"),
		.property = "subject", .type = TN_TEXT, .required = 1, .value = "",
	};
}

/* The connected form's fields. Returns 0, 404 (no form connected or the row is gone) or 500. */
static int form_load(struct ctx *c, struct tn_form *tf)
{
	memset(tf, 0, sizeof *tf);
	if (c->portal->support_form_id <= 0)
		return 404;
	char id[24];
	snprintf(id, sizeof id, "%ld", c->portal->support_form_id);
	const char *p[1] = {id};
	PGresult *r = db_exec("ticket_new_form", 1, p);
	if (!r)
		return 500;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 404;
	}
	tf->def = json_tokener_parse(PQgetvalue(r, 0, 0));
	snprintf(tf->inbox, sizeof tf->inbox, "%s", PQgetvalue(r, 0, 1));
	snprintf(tf->stage, sizeof tf->stage, "%s", PQgetvalue(r, 0, 2));
	PQclear(r);
	size_t n = json_object_is_type(tf->def, json_type_array) ? json_object_array_length(tf->def) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(tf->def, i);
		if (json_object_is_type(d, json_type_object))
			field_add(c, tf, d);
	}
	ensure_subject(c, tf);
	return 0;
}

static const char *form_value(struct form *f, const char *name)
{
	struct json_object *v;
	if (f && json_object_object_get_ex(f->values, name, &v))
		return json_object_get_string(v);
	return "";
}

static struct json_object *options_json(const struct tn_field *fd, const char *value)
{
	struct json_object *out = json_object_new_array();
	size_t n = json_object_array_length(fd->options);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(fd->options, i);
		const char *v = json_str(o, "value", "");
		struct json_object *opt = json_object_new_object();
		json_object_object_add(opt, "value", json_object_new_string(v));
		json_object_object_add(opt, "label", json_object_new_string(json_str(o, "label", v)));
		json_object_object_add(opt, "selected", json_object_new_boolean(strcmp(v, value) == 0));
		json_object_array_add(out, opt);
	}
	return out;
}

static int max_length(const struct tn_field *fd)
{
	if (is_property(fd, "subject"))
		return TN_SUBJECT_MAX;
	if (fd->type == TN_TEXTAREA)
		return TN_TEXTAREA_MAX;
	return TN_TEXT_MAX;
}

/* One field for the template, with the input kept and its message (f may be NULL). */
static struct json_object *field_json(const struct tn_field *fd, struct form *f)
{
	struct json_object *o = json_object_new_object(), *err;
	const char *value = form_value(f, fd->name);
	json_object_object_add(o, "name", json_object_new_string(fd->name));
	json_object_object_add(o, "label", json_object_new_string(fd->label));
	json_object_object_add(o, "required", json_object_new_boolean(fd->required));
	json_object_object_add(o, "value", json_object_new_string(value));
	json_object_object_add(o, "maxlength", json_object_new_int(max_length(fd)));
	for (int t = 0; t < TN_TYPE__MAX; t++) /* every flag set: none falls through to the page */
		json_object_object_add(o, tn_type_names[t], json_object_new_boolean(t == (int)fd->type));
	if (fd->options)
		json_object_object_add(o, "options", options_json(fd, value));
	if (!f || !json_object_object_get_ex(f->errors, fd->name, &err))
		err = NULL;
	json_object_object_add(o, "error", json_object_get(err));
	return o;
}

/* The page; consumes f (may be NULL) and frees the form definition. */
static int render(struct ctx *c, struct tn_form *tf, int status, struct form *f, const char *nonce)
{
	struct json_object *page = page_new(c, "ticket_new_title");
	struct json_object *fields = json_object_new_array();
	for (int i = 0; i < tf->n; i++)
		json_object_array_add(fields, field_json(&tf->f[i], f));
	tn_form_free(tf);
	json_object_object_add(page, "fields", fields);
	json_object_object_add(page, "nonce", json_object_new_string(nonce));
	if (ticket_cc_form(c, page) < 0) { /* the cc field when the portal lets customers copy in */
		json_object_put(page);
		if (f)
			form_free(f);
		return 500;
	}
	if (f)
		form_to_page(f, page);
	return page_render(c, status, "portal/ticket_new", page);
}

int ticket_new_page(struct ctx *c)
{
	struct tn_form tf;
	int rc = form_load(c, &tf);
	if (rc)
		return rc;
	char nonce[TOKEN_LEN + 1];
	if (token_new(nonce, sizeof nonce) < 0) {
		tn_form_free(&tf);
		return 500;
	}
	struct form kept;
	int has = draft_restore(c, c->req->path, &kept);
	return render(c, &tf, 200, has ? &kept : NULL, nonce);
}

/* An integer written plainly: optional minus, digits, within what JSON carries exactly. */
static int number_ok(const char *v, long long *out)
{
	const char *d = v[0] == '-' ? v + 1 : v;
	size_t n = strlen(d);
	if (n == 0 || n > TN_NUMBER_DIGITS || strspn(d, "0123456789") != n)
		return 0;
	errno = 0;
	long long x = strtoll(v, NULL, 10);
	if (errno || x > TN_NUMBER_LIMIT || x < -TN_NUMBER_LIMIT)
		return 0;
	*out = x;
	return 1;
}

static int option_has(const struct tn_field *fd, const char *v)
{
	size_t n = json_object_array_length(fd->options);
	for (size_t i = 0; i < n; i++)
		if (strcmp(json_str(json_object_array_get_idx(fd->options, i), "value", ""), v) == 0)
			return 1;
	return 0;
}

/* Validate one field into fd->value; problems are recorded in f. */
static void field_validate(struct ctx *c, struct tn_field *fd, struct form *f)
{
	size_t min = fd->required ? 1 : 0;
	size_t max = fd->type == TN_SELECT ? TN_CHOICE_MAX : (size_t)max_length(fd);
	const char *v = form_text(f, c->req, fd->name, min, max, fd->type == TN_TEXTAREA, 1);
	fd->value = v ? v : "";
	if (!v || !*v)
		return;
	long long num;
	if (is_property(fd, "priority") && !in_list(priorities, v)) {
		form_error(f, fd->name, "err_choice");
		return;
	}
	switch (fd->type) {
	case TN_EMAIL:
		v = form_email(f, c->req, fd->name); /* the address with its domain lowercased */
		fd->value = v ? v : "";
		return;
	case TN_SELECT:
		if (!option_has(fd, v))
			form_error(f, fd->name, "err_choice");
		return;
	case TN_NUMBER:
		if (!number_ok(v, &num))
			form_error(f, fd->name, "err_number");
		return;
	default:
		return;
	}
}

static const char *option_label(const struct tn_field *fd, const char *v)
{
	size_t n = fd->options ? json_object_array_length(fd->options) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(fd->options, i);
		if (strcmp(json_str(o, "value", ""), v) == 0)
			return json_str(o, "label", v);
	}
	return v;
}

/* The first message's text when the form has no description: "Label: value" per field. */
static const char *fields_text(struct ctx *c, const struct tn_form *tf)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < tf->n; i++) {
		const struct tn_field *fd = &tf->f[i];
		if (!*fd->value || is_property(fd, "subject"))
			continue;
		const char *shown = option_label(fd, fd->value);
		buf_printf(&b, strchr(shown, '\n') ? "%s:\n%s\n\n" : "%s: %s\n", fd->label, shown);
	}
	while (b.len && b.data[b.len - 1] == '\n')
		b.len--;
	const char *out = b.len && !b.oom ? arena_strndup(c->arena, b.data, b.len) : "";
	buf_free(&b);
	return out;
}

static void property_add(struct json_object *props, const struct tn_field *fd)
{
	long long num;
	if (fd->type == TN_NUMBER && number_ok(fd->value, &num))
		json_object_object_add(props, fd->property, json_object_new_int64(num));
	else
		json_object_object_add(props, fd->property, json_object_new_string(fd->value));
}

/* Where each valid value goes: ticket columns, custom properties, the first message. */
static void collect(struct ctx *c, const struct tn_form *tf, struct tn_ticket *t)
{
	struct json_object *props = json_object_new_object();
	memset(t, 0, sizeof *t);
	t->subject = t->description = "";
	for (int i = 0; i < tf->n; i++) {
		const struct tn_field *fd = &tf->f[i];
		if (!*fd->value)
			continue;
		if (is_property(fd, "subject") && !*t->subject)
			t->subject = fd->value;
		else if (is_property(fd, "description") && !*t->description)
			t->description = fd->value;
		else if (is_property(fd, "priority") && !t->priority)
			t->priority = fd->value;
		else if (!is_property(fd, "subject") && !is_property(fd, "description") &&
			 !is_property(fd, "priority"))
			property_add(props, fd);
	}
	t->properties = arena_strdup(c->arena, json_object_to_json_string_ext(props, JSON_C_TO_STRING_PLAIN));
	json_object_put(props);
	t->body = *t->description ? t->description : fields_text(c, tf);
	if (!*t->body)
		t->body = t->subject;
}

/* One transaction: the ticket with its first message (conv_ticket: a twin POST of the same nonce
 * waits, then finds this ticket) and the audit row. Returns conv_ticket's answer; id_out gets
 * the ticket. */
static int create(struct ctx *c, const struct tn_form *tf, const struct tn_ticket *t, const char *nonce,
		  const struct ticket_cc *cc, char *id_out, size_t cap)
{
	struct conv_ticket tk = {
		.subject = t->subject, .description = t->description, .priority = t->priority,
		.properties = t->properties, .stage = tf->stage,
		.contact = arena_printf(c->arena, "%ld", c->sess.contact_id),
	};
	struct conv_msg m = {
		.inbox = tf->inbox, .channel = "form", .author = CONV_CONTACT, .author_id = c->sess.contact_id,
		.kind = CONV_MESSAGE, .body = t->body, .nonce = nonce, .engagement = "form_submission",
		.summary = t->subject, .notify = CONV_NOTIFY_CONFIRM | CONV_NOTIFY_STAFF,
	};
	if (db_begin() < 0)
		return -1;
	int got = conv_ticket(c, &tk, &m);
	snprintf(id_out, cap, "%s", tk.id);
	if (got == 1 && ticket_cc_add(c, tk.id, cc, c->sess.name[0] ? c->sess.name : c->sess.email) < 0)
		got = -1; /* the colleagues copied in, after the confirmation went to the requester alone */
	if (got == 1 && audit(c, "member", c->sess.member_id, "ticket_created",
			      arena_printf(c->arena, "{\"ticket_id\": %s, \"form_id\": %ld%s}", tk.id,
					   c->portal->support_form_id,
					   cc->n ? arena_printf(c->arena, ", \"cc\": %d", cc->n) : "")) < 0)
		got = -1;
	return conv_end(got);
}

int ticket_new_submit(struct ctx *c)
{
	struct tn_form tf;
	int rc = form_load(c, &tf);
	if (rc)
		return rc;
	const char *nonce = request_form(c->req, "nonce");
	if (!nonce || !token_well_formed(nonce)) {
		tn_form_free(&tf);
		return 400;
	}
	struct form f;
	form_init(&f, c->lang);
	for (int i = 0; i < tf.n; i++)
		field_validate(c, &tf.f[i], &f);
	struct ticket_cc cc;
	if (ticket_cc_read(c, &f, NULL, &cc) < 0) {
		tn_form_free(&tf);
		form_free(&f);
		return 500;
	}
	if (f.nerrors)
		return render(c, &tf, 422, &f, nonce);
	form_free(&f);

	struct tn_ticket t;
	char id[24];
	collect(c, &tf, &t);
	rc = create(c, &tf, &t, nonce, &cc, id, sizeof id);
	tn_form_free(&tf);
	if (rc == -1)
		return 500;
	if (rc == -2) {
		log_msg(LOG_WARN, "support form: nonce already used elsewhere");
		return 400;
	}
	return page_redirect(c, 303, arena_printf(c->arena, "/%s/%s", c->portal->ticket_slug, id));
}
