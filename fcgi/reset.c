/* reset.c - password reset by email link; also where a first password is chosen, from a
 * registration (verify) or list invitation (invite) link. */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "password.h"

const struct db_stmt reset_stmts[] = {
	{"reset_find",
	 "SELECT m.id, btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')),"
	 " m.password_hash IS NULL AS first_password"
	 " FROM members m JOIN contacts c ON c.id = m.contact_id"
	 " WHERE m.portal_id = $1 AND lower(c.email) = lower($2)",
	 2},
	{"reset_member",
	 "SELECT c.email, m.password_hash IS NULL, portal_contact_allowed(m.portal_id, m.contact_id)"
	 " FROM members m JOIN contacts c ON c.id = m.contact_id WHERE m.id = $1",
	 1},
	/* The failure count and the lock stay: the session this reset opens clears them (login.c,
	 * member_session_open), which for a login with a second factor comes only after its code
	 * (the link proves the mailbox, not the phone, and wrong codes must keep adding up). */
	{"reset_set_password",
	 "UPDATE members SET password_hash = $2, verified_at = coalesce(verified_at, now()) WHERE id = $1", 2},
	{"reset_spend_others",
	 "UPDATE member_tokens SET used_at = now() WHERE member_id = $1"
	 " AND purpose IN ('reset', 'invite', 'login', 'verify') AND used_at IS NULL",
	 1},
	{NULL, NULL, 0},
};

static int render_request(struct ctx *c, int status, struct form *f, int sent)
{
	return mail_form_render(c, status, f, sent, "reset_request_title", "portal/password_reset_request");
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
	/* someone who never had a password (an invitation or registration not finished) chooses
	 * their first one: the mail says so, not "a new password" */
	json_object_object_add(data, "first_password", json_object_new_boolean(PQgetvalue(r, 0, 2)[0] == 't'));
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
	return mail_form_answer(c, &f, send_reset(c, email), render_request);
}

/* The links whose page sets a password; verify (registration) and invite (lists) set the first. */
#define RESET_PURPOSES "reset,invite,verify"

struct reset_member {
	long id;
	char email[321];
	int first;   /* no password yet, or a registration or invitation link: "Choose your password" */
	int allowed; /* may enter the portal: signed in once the password is set */
};

/* The member a valid token of this page belongs to (not spent). 1, 0 when the token is invalid,
 * used or expired, -1 on a database error. */
static int reset_member(struct ctx *c, struct reset_member *m)
{
	char purpose[16], ids[24];
	m->id = member_token_peek(c->portal->id, c->caps.v[0], RESET_PURPOSES, purpose, sizeof purpose);
	if (m->id <= 0)
		return m->id < 0 ? -1 : 0;
	snprintf(ids, sizeof ids, "%ld", m->id);
	const char *p[1] = {ids};
	PGresult *r = db_exec("reset_member", 1, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	snprintf(m->email, sizeof m->email, "%s", PQgetvalue(r, 0, 0));
	m->first = PQgetvalue(r, 0, 1)[0] == 't' || strcmp(purpose, "reset") != 0;
	m->allowed = PQgetvalue(r, 0, 2)[0] == 't';
	PQclear(r);
	return 1;
}

static int render_reset(struct ctx *c, int status, struct form *f, int first)
{
	struct json_object *page = page_new(c, first ? "reset_first_title" : "reset_title");
	json_object_object_add(page, "token", json_object_new_string(c->caps.v[0]));
	json_object_object_add(page, "first_password", json_object_new_boolean(first));
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

/* GET shows the form and spends nothing (mail scanners open links). */
int reset_page(struct ctx *c)
{
	c->no_referrer = 1; /* the URL carries the token */
	struct reset_member m;
	int got = reset_member(c, &m);
	if (got < 0)
		return 500;
	return got ? render_reset(c, 200, NULL, m.first) : render_invalid(c);
}

/*
 * The password is checked and hashed only for a token that is valid now; then one transaction
 * takes the token for real (a second use finds it spent), sets the password and marks the login
 * verified (the link proved the mailbox), spends the member's other links, ends their sessions
 * and, when the contact may enter, opens a new one here. The 303 leaves after COMMIT.
 */
int reset_submit(struct ctx *c)
{
	struct reset_member m;
	int got = reset_member(c, &m);
	if (got <= 0)
		return got < 0 ? 500 : render_invalid(c);
	char ids[24], hash[256];
	snprintf(ids, sizeof ids, "%ld", m.id);
	const char *p[1] = {ids};
	struct form f;
	form_init(&f, c->lang);
	const char *pw = request_form(c->req, "password");
	const char *again = request_form(c->req, "password_confirm");
	const char *rule = pw && *pw ? password_rule_violation(pw, m.email) : "err_required";
	if (rule)
		form_error(&f, "password", rule);
	else if (!again || strcmp(pw, again) != 0)
		form_error(&f, "password_confirm", "err_password_mismatch");
	if (f.nerrors)
		return render_reset(c, 422, &f, m.first);
	form_free(&f);
	if (password_hash(pw, cfg.argon2_t_cost, cfg.argon2_m_cost_kib, cfg.argon2_parallelism, hash,
			  sizeof hash) < 0 || db_begin() < 0)
		return 500;
	long taken = member_token_take(c->portal->id, c->caps.v[0], RESET_PURPOSES, 1);
	const char *ps[2] = {ids, hash};
	PGresult *r = taken == m.id ? db_exec("reset_set_password", 2, ps) : NULL;
	int ok = r != NULL;
	PQclear(r);
	if (ok) {
		r = db_exec("reset_spend_others", 1, p);
		ok = r != NULL && session_destroy_member(m.id) == 0;
		PQclear(r);
	}
	if (ok)
		audit(c, "member", m.id, "password_set", NULL);
	int status = 303;
	if (ok && m.allowed)
		status = member_login(c, m.id, "password_set", NULL);
	else if (ok)
		page_redirect(c, 303, "/login?reset=1");
	if (!ok || status != 303 || db_commit() < 0) {
		db_rollback();
		response_reset(c->res);
		return taken == 0 ? render_invalid(c) : 500;
	}
	return 303;
}
