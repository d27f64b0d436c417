/* register.c - self-registration with consent, and the legacy /verify link of older emails. */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "markup.h"

const struct db_stmt register_stmts[] = {
	/* the request language's translation ($2), else the primary language's ($3), else the default */
	{"register_portal_consent",
	 "SELECT coalesce(x.v->>'text', p.consent_text), coalesce(x.v->>'label', p.consent_label) FROM portals p"
	 " CROSS JOIN LATERAL (SELECT coalesce(p.consent_i18n->$2::text, p.consent_i18n->$3::text) AS v) x WHERE p.id = $1",
	 3},
	{"register_contact",
	 "WITH found AS (SELECT id FROM contacts WHERE lower(email) = lower($1)),"
	 " made AS (INSERT INTO contacts (email, first_name, last_name)"
	 "   SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id)"
	 " SELECT id FROM found UNION ALL SELECT id FROM made",
	 3},
	/* never a password: the person chooses it on the page the emailed link opens */
	{"register_member",
	 "INSERT INTO members (portal_id, contact_id, consent_text, consent_at)"
	 " VALUES ($1, $2, $3, now())"
	 " ON CONFLICT (portal_id, contact_id) DO NOTHING RETURNING id",
	 3},
	/* the name the mails greet with (issue 15): only a contact's that existed before this
	 * transaction (created_at < now(), the transaction's start), never one this form made */
	{"register_contact_name",
	 "SELECT btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) FROM contacts"
	 " WHERE id = $1 AND created_at < now()",
	 1},
	{NULL, NULL, 0},
};

static int registration_open(struct ctx *c)
{
	return strcmp(c->portal->access_mode, "registration") == 0;
}

/* The portal's consent notice (with its links) and checkbox label in the request's language, into
 * the page; text_out: the exact texts shown, as recorded on the member. */
int register_add_consent(struct ctx *c, struct json_object *page, char *text_out, size_t cap)
{
	char pid[24];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	const char *p[3] = {pid, c->lang, c->portal->primary_lang};
	PGresult *r = db_exec("register_portal_consent", 3, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	struct buf html = BUF_INIT;
	markup_links_html(&html, PQgetvalue(r, 0, 0));
	json_object_object_add(page, "consent_html", json_object_new_string(html.data ? html.data : ""));
	json_object_object_add(page, "consent_label", json_object_new_string(PQgetvalue(r, 0, 1)));
	if (text_out)
		snprintf(text_out, cap, "%s\n%s", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
	buf_free(&html);
	PQclear(r);
	return 0;
}

static int render_register(struct ctx *c, int status, struct form *f, int sent)
{
	struct json_object *page = page_new(c, "register_title");
	if (!sent && register_add_consent(c, page, NULL, 0) < 0) {
		json_object_put(page);
		if (f)
			form_free(f);
		return 500;
	}
	json_object_object_add(page, "sent", json_object_new_boolean(sent));
	if (f)
		form_to_page(f, page);
	return page_render(c, status, "portal/register", page);
}

int register_page(struct ctx *c)
{
	if (!registration_open(c))
		return 404;
	if (c->sess.found)
		return page_redirect(c, 303, arena_printf(c->arena, "/%s", c->portal->ticket_slug));
	return render_register(c, 200, NULL, 0);
}

static void split_name(struct ctx *c, const char *name, const char **first, const char **last)
{
	const char *sp = strchr(name, ' ');
	*first = sp ? arena_strndup(c->arena, name, (size_t)(sp - name)) : name;
	while (sp && *sp == ' ')
		sp++;
	*last = sp ? sp : "";
}

/* No name this form typed in these mails: what a registrant typed must not travel to an address
 * that has not been confirmed (the form would otherwise send anyone's text to anyone). The mails
 * greet by the name a contact already held (the account's owner, a contact staff entered). */
static int queue_mail(struct ctx *c, const char *email, const char *kind, const char *link, const char *contact)
{
	struct json_object *data = json_object_new_object();
	json_object_object_add(data, "portal_name", json_object_new_string(c->portal->name));
	json_object_object_add(data, "link", json_object_new_string(link));
	char name[256];
	const char *pn[1] = {contact};
	if (db_exec_value("register_contact_name", 1, pn, name, sizeof name) == 1 && name[0])
		json_object_object_add(data, "name", json_object_new_string(name));
	int rc = outbox_queue_portal(c->portal->id, c->lang, email, kind, data);
	json_object_put(data);
	return rc;
}

/* One transaction: the per-address mail limit first, then contact (found by email or
 * created), login without a password, consent, a 'verify' token and its email, whose link opens
 * the password page (/password-reset/<token>): choosing the password there verifies the login,
 * so only someone who read the mailbox ever sets one. An address that already has a login here
 * (verified or not, with a password or not) is never touched: it gets an "account exists" email
 * instead, whose link is the password reset, and the page says the same either way. Returns 0,
 * 1 when the address is over its limit, -1 on an error (rolled back). */
static int create_account(struct ctx *c, const char *name, const char *email, const char *consent)
{
	const char *first, *last;
	split_name(c, name, &first, &last);
	char contact[24], pid[24], token[64], member[24];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	if (db_begin() < 0)
		return -1;
	int limited = mail_request_limited(c, "register");
	if (limited) {
		db_rollback();
		return limited < 0 ? -1 : 1;
	}
	const char *pc[3] = {email, first, last};
	const char *pm[3] = {pid, contact, consent};
	int got = -1;
	if (db_exec_value("register_contact", 3, pc, contact, sizeof contact) == 1)
		got = db_exec_value("register_member", 3, pm, member, sizeof member);
	const char *base = portal_base_url(c);
	int rc = got < 0 ? -1 : 0;
	if (got == 0) {
		rc = queue_mail(c, email, "account_exists", arena_printf(c->arena, "%s/password-reset", base), contact);
	} else if (got == 1) {
		rc = member_token_issue(atol(member), "verify", "7 days", token, sizeof token);
		if (rc == 0)
			rc = queue_mail(c, email, "verify", arena_printf(c->arena, "%s/password-reset/%s", base, token), contact);
		if (rc == 0)
			audit(c, "member", atol(member), "register", NULL);
	}
	if (rc < 0 || db_commit() < 0) {
		db_rollback();
		return -1;
	}
	return 0;
}

int register_submit(struct ctx *c)
{
	if (!registration_open(c))
		return 404;
	struct form f;
	form_init(&f, c->lang);
	const char *name = form_text(&f, c->req, "name", 1, 200, 0, 1);
	const char *email = form_email(&f, c->req, "email");
	form_checkbox(&f, c->req, "consent", 1);
	if (f.nerrors)
		return render_register(c, 422, &f, 0);

	char consent[8192];
	struct json_object *tmp = json_object_new_object();
	int rc = register_add_consent(c, tmp, consent, sizeof consent);
	json_object_put(tmp);
	if (rc == 0)
		rc = create_account(c, name, email, consent);
	return mail_form_answer(c, &f, rc, render_register);
}

/*
 * /verify?token=... is the link of confirmation emails sent before registration chose no
 * password; some are still in mailboxes. A GET only shows a button (mail scanners open links);
 * the POST spends the token, verifies the login and, in the same transaction, issues a 'reset'
 * token for the password page the person goes on to, since the login has no password.
 */
static int render_verify(struct ctx *c, int valid, const char *token)
{
	struct json_object *page = page_new(c, valid ? "verify_title" : "link_invalid_title");
	json_object_object_add(page, "valid", json_object_new_boolean(valid));
	if (valid)
		json_object_object_add(page, "token", json_object_new_string(token));
	return page_render(c, valid ? 200 : 400, "portal/verify", page);
}

int verify_page(struct ctx *c)
{
	const char *token = request_query(c->req, "token");
	long mid = member_token_take(c->portal->id, token, "verify", 0);
	if (mid < 0)
		return 500;
	return render_verify(c, mid > 0, token);
}

int verify_submit(struct ctx *c)
{
	if (db_begin() < 0)
		return 500;
	long mid = member_token_take(c->portal->id, request_form(c->req, "token"), "verify", 1);
	if (mid <= 0) {
		db_rollback();
		return mid < 0 ? 500 : render_verify(c, 0, NULL);
	}
	char token[64];
	int ok = member_verify(mid) == 0 && member_token_issue(mid, "reset", "1 hour", token, sizeof token) == 0;
	if (ok)
		audit(c, "member", mid, "verified", NULL);
	if (!ok || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	return page_redirect(c, 303, arena_printf(c->arena, "/password-reset/%s", token));
}
