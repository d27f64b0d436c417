/* reset.c - password reset by email link, also used to set a first password from a list invitation. */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "password.h"

const struct db_stmt reset_stmts[] = {
	{"reset_find",
	 "SELECT m.id, btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, ''))"
	 " FROM members m JOIN contacts c ON c.id = m.contact_id"
	 " WHERE m.portal_id = $1 AND lower(c.email) = lower($2)",
	 2},
	{"reset_member_email",
	 "SELECT c.email FROM members m JOIN contacts c ON c.id = m.contact_id WHERE m.id = $1", 1},
	{"reset_set_password",
	 "UPDATE members SET password_hash = $2, verified_at = coalesce(verified_at, now()),"
	 " failed_logins = 0, locked_until = NULL WHERE id = $1",
	 2},
	{"reset_spend_others",
	 "UPDATE member_tokens SET used_at = now() WHERE member_id = $1"
	 " AND purpose IN ('reset', 'invite', 'login') AND used_at IS NULL",
	 1},
	{NULL, NULL, 0},
};

static int render_request(struct ctx *c, int status, struct form *f, int sent)
{
	struct json_object *page = page_new(c, "reset_request_title");
	json_object_object_add(page, "sent", json_object_new_boolean(sent));
	if (f)
		form_to_page(f, page);
	return page_render(c, status, "portal/password_reset_request", page);
}

int reset_request_page(struct ctx *c)
{
	return render_request(c, 200, NULL, 0);
}

/* One transaction either way (the same work up to the lookup, so known and unknown addresses
 * answer alike): the per-address limit, the lookup, and for a login the token, the mail and
 * the audit row. Returns 0, 1 when the address is over its limit, -1 on an error. */
static int send_reset(struct ctx *c, const char *email)
{
	char pid[24], token[64];
	if (db_begin() < 0)
		return -1;
	int limited = mail_request_limited(c, "reset");
	if (limited) {
		db_rollback();
		return limited;
	}
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	const char *p[2] = {pid, email};
	PGresult *r = db_exec("reset_find", 2, p);
	if (!r) {
		db_rollback();
		return -1;
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		return db_commit(); /* no account: the page says the same */
	}
	long mid = atol(PQgetvalue(r, 0, 0));
	struct json_object *data = json_object_new_object();
	json_object_object_add(data, "portal_name", json_object_new_string(c->portal->name));
	json_object_object_add(data, "name", json_object_new_string(PQgetvalue(r, 0, 1)));
	PQclear(r);
	int rc = -1;
	if (member_token_issue(mid, "reset", "24 hours", token, sizeof token) == 0) {
		json_object_object_add(data, "link", json_object_new_string(
			arena_printf(c->arena, "%s/password-reset/%s", portal_base_url(c), token)));
		if (outbox_queue(c->lang, email, "password_reset", data) == 0) {
			audit(c, "member", mid, "password_reset_requested", NULL);
			rc = db_commit();
		}
	}
	json_object_put(data);
	if (rc < 0)
		db_rollback();
	return rc;
}

int reset_request_submit(struct ctx *c)
{
	struct form f;
	form_init(&f, c->lang);
	const char *email = form_email(&f, c->req, "email");
	if (!email)
		return render_request(c, 422, &f, 0);
	int rc = send_reset(c, email);
	if (rc < 0) {
		form_free(&f);
		return 500;
	}
	if (rc) {
		form_error(&f, "email", "error_429_text");
		return render_request(c, 429, &f, 0);
	}
	return render_request(c, 200, &f, 1);
}

static int render_reset(struct ctx *c, int status, struct form *f)
{
	struct json_object *page = page_new(c, "reset_title");
	json_object_object_add(page, "token", json_object_new_string(c->caps.v[0]));
	if (f)
		form_to_page(f, page);
	return page_render(c, status, "portal/password_reset", page);
}

static int render_invalid(struct ctx *c)
{
	struct json_object *page = page_new(c, "link_invalid_title");
	json_object_object_add(page, "retry_url", json_object_new_string("/password-reset"));
	json_object_object_add(page, "retry_label", json_object_new_string(i18n_get(c->lang, "reset_retry")));
	return page_render(c, 400, "portal/link_invalid", page);
}

int reset_page(struct ctx *c)
{
	long mid = member_token_take(c->portal->id, c->caps.v[0], "reset,invite", 0);
	if (mid < 0)
		return 500;
	return mid ? render_reset(c, 200, NULL) : render_invalid(c);
}

int reset_submit(struct ctx *c)
{
	long mid = member_token_take(c->portal->id, c->caps.v[0], "reset,invite", 0);
	if (mid <= 0)
		return mid < 0 ? 500 : render_invalid(c);
	char ids[24], email[256], hash[256];
	snprintf(ids, sizeof ids, "%ld", mid);
	const char *p[1] = {ids};
	if (db_exec_value("reset_member_email", 1, p, email, sizeof email) != 1)
		return 500;
	struct form f;
	form_init(&f, c->lang);
	const char *pw = request_form(c->req, "password");
	const char *again = request_form(c->req, "password_confirm");
	const char *rule = pw && *pw ? password_rule_violation(pw, email) : "err_required";
	if (rule)
		form_error(&f, "password", rule);
	else if (!again || strcmp(pw, again) != 0)
		form_error(&f, "password_confirm", "err_password_mismatch");
	if (f.nerrors)
		return render_reset(c, 422, &f);
	form_free(&f);
	if (password_hash(pw, cfg.argon2_t_cost, cfg.argon2_m_cost_kib, cfg.argon2_parallelism, hash,
			  sizeof hash) < 0 || db_begin() < 0)
		return 500;
	/* take the token for real inside the transaction: a second use finds it spent */
	long taken = member_token_take(c->portal->id, c->caps.v[0], "reset,invite", 1);
	const char *ps[2] = {ids, hash};
	PGresult *r = taken == mid ? db_exec("reset_set_password", 2, ps) : NULL;
	int ok = r != NULL;
	PQclear(r);
	if (ok) {
		PQclear(db_exec("reset_spend_others", 1, p));
		ok = session_destroy_member(mid) == 0 && db_commit() == 0;
	}
	if (!ok) {
		db_rollback();
		return taken == 0 ? render_invalid(c) : 500;
	}
	audit(c, "member", mid, "password_set", NULL);
	return page_redirect(c, 303, "/login?reset=1");
}
