/* register.c - self-registration with consent, and email verification. */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "markup.h"
#include "password.h"

const struct db_stmt register_stmts[] = {
	{"register_portal_consent", "SELECT consent_text, consent_label FROM portals WHERE id = $1", 1},
	{"register_contact",
	 "WITH found AS (SELECT id FROM contacts WHERE lower(email) = lower($1)),"
	 " made AS (INSERT INTO contacts (email, first_name, last_name)"
	 "   SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id)"
	 " SELECT id FROM found UNION ALL SELECT id FROM made",
	 3},
	{"register_member",
	 "INSERT INTO members (portal_id, contact_id, password_hash, consent_text, consent_at)"
	 " VALUES ($1, $2, $3, $4, now())"
	 " ON CONFLICT (portal_id, contact_id) DO NOTHING RETURNING id",
	 4},
	{"register_verify", "UPDATE members SET verified_at = coalesce(verified_at, now()) WHERE id = $1", 1},
	{NULL, NULL, 0},
};

static int registration_open(struct ctx *c)
{
	return strcmp(c->portal->access_mode, "registration") == 0;
}

/* The portal's consent notice (with its links) and checkbox label, into the page. */
int register_add_consent(struct ctx *c, struct json_object *page, char *text_out, size_t cap)
{
	char pid[24];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	const char *p[1] = {pid};
	PGresult *r = db_exec("register_portal_consent", 1, p);
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

/* No name in these mails: what a registrant typed must not travel to an address that has not
 * been confirmed (the form would otherwise send anyone's text to anyone). */
static int queue_mail(struct ctx *c, const char *email, const char *kind, const char *link)
{
	struct json_object *data = json_object_new_object();
	json_object_object_add(data, "portal_name", json_object_new_string(c->portal->name));
	json_object_object_add(data, "link", json_object_new_string(link));
	int rc = outbox_queue_portal(c->portal->id, c->lang, email, kind, data);
	json_object_put(data);
	return rc;
}

/* One transaction: contact (found by email or created), login, consent, token, email. An
 * address that already has a login here (with a password or not: an invitee, a link-only
 * member) is never touched: it gets an "account exists" email instead, whose link is the
 * password reset, and the page says the same either way. */
static int create_account(struct ctx *c, const char *name, const char *email, const char *hash,
			  const char *consent)
{
	const char *first, *last;
	split_name(c, name, &first, &last);
	char contact[24], pid[24], token[64];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	if (db_begin() < 0)
		return -1;
	int limited = mail_request_limited(c, "register");
	if (limited) {
		db_rollback();
		return limited < 0 ? -1 : 1;
	}
	const char *pc[3] = {email, first, last};
	if (db_exec_value("register_contact", 3, pc, contact, sizeof contact) != 1)
		return -1;
	const char *pm[4] = {pid, contact, hash, consent};
	char member[24];
	int got = db_exec_value("register_member", 4, pm, member, sizeof member);
	if (got < 0)
		return -1;
	const char *base = portal_base_url(c);
	if (got == 0) {
		if (queue_mail(c, email, "account_exists", arena_printf(c->arena, "%s/password-reset", base)) < 0)
			return -1;
	} else {
		if (member_token_issue(atol(member), "verify", "7 days", token, sizeof token) < 0 ||
		    queue_mail(c, email, "verify", arena_printf(c->arena, "%s/verify?token=%s", base, token)) < 0)
			return -1;
	}
	if (got)
		audit(c, "member", atol(member), "register", NULL);
	return db_commit() < 0 ? -1 : 0;
}

int register_submit(struct ctx *c)
{
	if (!registration_open(c))
		return 404;
	struct form f;
	form_init(&f, c->lang);
	const char *name = form_text(&f, c->req, "name", 1, 200, 0, 1);
	const char *email = form_email(&f, c->req, "email");
	const char *password = request_form(c->req, "password");
	if (!password || !*password) {
		form_error(&f, "password", "err_required");
	} else {
		const char *rule = password_rule_violation(password, email ? email : "");
		if (rule)
			form_error(&f, "password", rule);
	}
	form_checkbox(&f, c->req, "consent", 1);
	if (f.nerrors)
		return render_register(c, 422, &f, 0);

	char hash[256], consent[8192];
	struct json_object *tmp = json_object_new_object();
	int rc = register_add_consent(c, tmp, consent, sizeof consent);
	json_object_put(tmp);
	if (rc == 0 && password_hash(password, cfg.argon2_t_cost, cfg.argon2_m_cost_kib,
				     cfg.argon2_parallelism, hash, sizeof hash) == 0)
		rc = create_account(c, name, email, hash, consent);
	else
		rc = -1;
	if (rc < 0) {
		db_rollback();
		form_free(&f);
		return 500;
	}
	if (rc) {
		form_error(&f, "email", "error_429_text");
		return render_register(c, 429, &f, 0);
	}
	return render_register(c, 200, &f, 1);
}

int verify_page(struct ctx *c)
{
	if (db_begin() < 0)
		return 500;
	long mid = member_token_take(c->portal->id, request_query(c->req, "token"), "verify", 1);
	char ids[24];
	snprintf(ids, sizeof ids, "%ld", mid);
	const char *p[1] = {ids};
	if (mid > 0)
		PQclear(db_exec("register_verify", 1, p));
	if (mid < 0 || db_commit() < 0)
		return 500;
	if (mid > 0) {
		audit(c, "member", mid, "verified", NULL);
		return page_redirect(c, 303, "/login?verified=1");
	}
	struct json_object *page = page_new(c, "link_invalid_title");
	json_object_object_add(page, "retry_url", json_object_new_string("/login"));
	json_object_object_add(page, "retry_label", json_object_new_string(i18n_get(c->lang, "verify_retry")));
	return page_render(c, 400, "portal/link_invalid", page);
}
