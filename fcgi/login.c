/* login.c - customer login with password, logout, and passwordless login links. */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "metrics_notes.h"
#include "password.h"
#include "two_factor.h"

const struct db_stmt login_stmts[] = {
	{"login_find",
	 "SELECT m.id, coalesce(m.password_hash, ''), m.verified_at IS NOT NULL,"
	 " coalesce(m.locked_until > now(), false), portal_contact_allowed(m.portal_id, m.contact_id)"
	 " FROM members m JOIN contacts c ON c.id = m.contact_id"
	 " WHERE m.portal_id = $1 AND lower(c.email) = lower($2)",
	 2},
	{"login_ip_failures",
	 "SELECT count(*) FROM login_failures WHERE ip = $1::inet"
	 " AND at > now() - make_interval(mins => $2::int)",
	 2},
	{"login_ip_fail",
	 "WITH old AS (DELETE FROM login_failures WHERE ip = $1::inet"
	 " AND at < now() - make_interval(mins => $2::int))"
	 " INSERT INTO login_failures (ip) VALUES ($1::inet)",
	 2},
	/* the password was right: a stronger hash; the failure counter is reset only when the
	 * session is made (login_in), so that wrong second-factor codes after right passwords add up */
	{"login_ok", "UPDATE members SET password_hash = coalesce($2, password_hash) WHERE id = $1", 2},
	{"login_in",
	 "UPDATE members SET failed_logins = 0, locked_until = NULL WHERE id = $1 AND (failed_logins, locked_until) IS DISTINCT FROM (0, NULL)",
	 1},
	{"login_member_email",
	 "SELECT c.email FROM members m JOIN contacts c ON c.id = m.contact_id WHERE m.id = $1", 1},
	{NULL, NULL, 0},
};

struct member_row {
	long id;
	char hash[256];
	int verified, locked, allowed;
};

static int find_member(struct ctx *c, const char *email, struct member_row *m)
{
	char pid[24];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	const char *p[2] = {pid, email};
	PGresult *r = db_exec("login_find", 2, p);
	if (!r)
		return -1;
	int found = PQntuples(r) == 1;
	if (found) {
		m->id = atol(PQgetvalue(r, 0, 0));
		snprintf(m->hash, sizeof m->hash, "%s", PQgetvalue(r, 0, 1));
		m->verified = PQgetvalue(r, 0, 2)[0] == 't';
		m->locked = PQgetvalue(r, 0, 3)[0] == 't';
		m->allowed = PQgetvalue(r, 0, 4)[0] == 't';
	}
	PQclear(r);
	return found;
}

static int render_login(struct ctx *c, int status, struct form *f, const char *error, const char *notice)
{
	struct json_object *page = page_new(c, "login_title");
	json_object_object_add(page, "registration_open",
			       json_object_new_boolean(strcmp(c->portal->access_mode, "registration") == 0));
	const char *next = safe_next(request_form(c->req, "next"));
	if (!next)
		next = safe_next(request_query(c->req, "next"));
	if (next)
		json_object_object_add(page, "next", json_object_new_string(next));
	if (error)
		json_object_object_add(page, "error", json_object_new_string(i18n_get(c->lang, error)));
	if (notice)
		json_object_object_add(page, "notice", json_object_new_string(i18n_get(c->lang, notice)));
	if (f)
		form_to_page(f, page);
	return page_render(c, status, "portal/login", page);
}

int login_page(struct ctx *c)
{
	if (c->sess.found)
		return page_redirect(c, 303, arena_printf(c->arena, "/%s", c->portal->ticket_slug));
	static const struct {
		const char *param, *key;
	} notices[] = {
		{"reset", "notice_password_set"},
		{"logged_out", "notice_logged_out"},
		{"idle", "notice_idle_logout"},
		{"tf_ended", "tf_notice_ended"},
		{"tf_locked", "tf_notice_locked"},
	};
	const char *notice = NULL;
	for (size_t i = 0; i < sizeof notices / sizeof notices[0]; i++)
		if (request_query(c->req, notices[i].param))
			notice = notices[i].key;
	return render_login(c, 200, NULL, NULL, notice);
}

int login_ip_limited(struct ctx *c)
{
	char win[16], n[24];
	snprintf(win, sizeof win, "%d", cfg.login_ip_window_minutes);
	const char *p[2] = {c->req->remote_addr, win};
	if (!c->req->remote_addr[0] || db_exec_value("login_ip_failures", 2, p, n, sizeof n) != 1)
		return 0;
	return atol(n) >= cfg.login_ip_max_failures;
}

void login_ip_failed(struct ctx *c)
{
	char win[16];
	snprintf(win, sizeof win, "%d", cfg.login_ip_window_minutes);
	const char *p[2] = {c->req->remote_addr, win};
	if (c->req->remote_addr[0])
		PQclear(db_exec("login_ip_fail", 2, p));
}

/* New session, cookie, audit row; then 303 to where the customer was going. */
static int start_session(struct ctx *c, long member_id, const char *how)
{
	return member_login(c, member_id, how, safe_next(request_form(c->req, "next")));
}

int member_session_open(struct ctx *c, long member_id, const char *how)
{
	char token[64];
	if (session_create(member_id, c->portal->id, cfg.session_absolute_hours, token, sizeof token) < 0)
		return -1;
	const char *old = get_cookie(c, SESSION_COOKIE);
	if (c->sess.found && old)
		session_destroy(c->sess.token_hash); /* a login always replaces the old session */
	set_cookie(c, SESSION_COOKIE, token, -1);
	char mid[24];
	snprintf(mid, sizeof mid, "%ld", member_id);
	const char *p[1] = {mid};
	if (db_run("login_in", 1, p) < 0)
		return -1;
	audit(c, "member", member_id, "login", arena_printf(c->arena, "{\"method\": \"%s\"}", how));
	return 0;
}

/* The one place that decides whether a way in asks the second factor: every first factor but
 * single sign-on (whose identity provider owns the login) does, when the member has a factor on
 * or the portal requires one. */
int member_login(struct ctx *c, long member_id, const char *how, const char *next)
{
	int sso = sso_on(c->portal) || strcmp(how, "saml") == 0 || strcmp(how, "jwt") == 0;
	if (!sso) {
		struct tf_who who = {TF_MEMBER, member_id};
		int on = two_factor_on(who);
		int req = on ? 0 : two_factor_required(c, who);
		if (on < 0 || req < 0)
			return 500;
		if (on || req) {
			if (two_factor_challenge_start(c, who, how, next) < 0)
				return 500;
			return page_redirect(c, 303, "/login/two-factor");
		}
	}
	if (member_session_open(c, member_id, how) < 0)
		return 500;
	return page_redirect(c, 303, next ? next : arena_printf(c->arena, "/%s", c->portal->ticket_slug));
}

int login_submit(struct ctx *c)
{
	struct form f;
	form_init(&f, c->lang);
	if (login_ip_limited(c)) {
		char ra[16];
		snprintf(ra, sizeof ra, "%d", cfg.login_ip_window_minutes * 60);
		response_header(c->res, "Retry-After", ra);
		audit(c, "anonymous", 0, "login_rate_limited", NULL);
		metrics_note_login(LOGIN_CUSTOMER, LOGIN_LOCKED_ADDRESS);
		return render_login(c, 429, &f, "login_error_rate", NULL);
	}
	const char *email = form_email(&f, c->req, "email");
	const char *password = request_form(c->req, "password");
	if (!password || !*password)
		form_error(&f, "password", "err_required");
	if (!email || !password || !*password)
		return render_login(c, 422, &f, "login_error_fields", NULL);

	struct member_row m = {0};
	int found = find_member(c, email, &m);
	if (found < 0) {
		form_free(&f);
		return 500;
	}
	/* An unverified login has no password (sql/014, and registration sets none); one found
	 * anyway fails exactly like a wrong password: same work, same answer, no mail. */
	int ok;
	if (found && m.hash[0] && m.verified) {
		ok = password_verify(m.hash, password) == 1;
	} else {
		password_dummy_verify(password, cfg.argon2_t_cost, cfg.argon2_m_cost_kib, cfg.argon2_parallelism);
		ok = 0;
	}
	if (!ok || m.locked) {
		if (found && !m.locked)
			login_failure(c, (struct tf_who){TF_MEMBER, m.id});
		else
			login_ip_failed(c);
		audit(c, "anonymous", found ? m.id : 0, m.locked ? "login_locked" : "login_failed", NULL);
		metrics_note_login(LOGIN_CUSTOMER, m.locked ? LOGIN_LOCKED_ACCOUNT : LOGIN_FAILED_PASSWORD);
		return render_login(c, 401, &f, "login_error_credentials", NULL);
	}
	char rehash[256];
	const char *newhash = NULL;
	if (password_needs_rehash(m.hash, cfg.argon2_t_cost, cfg.argon2_m_cost_kib, cfg.argon2_parallelism) == 1 &&
	    password_hash(password, cfg.argon2_t_cost, cfg.argon2_m_cost_kib, cfg.argon2_parallelism, rehash,
			  sizeof rehash) == 0)
		newhash = rehash;
	char mid[24];
	snprintf(mid, sizeof mid, "%ld", m.id);
	const char *p[2] = {mid, newhash};
	PQclear(db_exec("login_ok", 2, p));
	form_free(&f);
	if (!m.allowed) {
		audit(c, "member", m.id, "login_denied", NULL);
		return page_redirect(c, 303, "/access-denied");
	}
	return start_session(c, m.id, "password");
}

/* Logged in: "Do you want to log out?" with the button. Not logged in: "You are logged out"
 * with a plain link to /login, never a form and never a redirect: with single sign-on on,
 * /login goes on into the identity provider, which must happen only when the person asks. */
int logout_page(struct ctx *c)
{
	struct json_object *page = page_new(c, c->sess.found ? "logout_title" : "logout_done_title");
	json_object_object_add(page, "logged_in", json_object_new_boolean(c->sess.found));
	return page_render(c, 200, "portal/logout", page);
}

/* The session ends here, then the browser goes to the logged-out page on this origin, or with
 * single sign-on on and a logout URL set to that URL (the IdP's or the app's own logout; the
 * pages' CSP form-action lists its origin so that the browser follows the 303). */
int logout_submit(struct ctx *c)
{
	if (c->sess.found) {
		session_destroy(c->sess.token_hash);
		audit(c, "member", c->sess.member_id, "logout", NULL);
	}
	set_cookie(c, SESSION_COOKIE, "", 0);
	if (sso_on(c->portal) && c->portal->logout_origin[0])
		return page_redirect(c, 303, c->portal->logout_url);
	return page_redirect(c, 303, "/logout");
}

/* --- passwordless login: "email me a login link" --- */

static int render_link_form(struct ctx *c, int status, struct form *f, int sent)
{
	return mail_form_render(c, status, f, sent, "login_link_title", "portal/login_link");
}

int login_link_page(struct ctx *c)
{
	return render_link_form(c, 200, NULL, 0);
}

/* Like the reset request: one transaction and the same work up to the lookup either way. */
int login_link_submit(struct ctx *c)
{
	struct form f;
	form_init(&f, c->lang);
	const char *email = form_email(&f, c->req, "email");
	if (!email)
		return render_link_form(c, 422, &f, 0);
	if (db_begin() < 0) {
		form_free(&f);
		return 500;
	}
	int limited = mail_request_limited(c, "login_link");
	struct member_row m = {0};
	int found = limited ? 0 : find_member(c, email, &m);
	int rc = limited < 0 || found < 0 ? -1 : 0;
	if (rc == 0 && !limited && found && m.allowed) {
		char token[64];
		rc = -1;
		if (member_token_issue(m.id, "login", "15 minutes", token, sizeof token) == 0) {
			struct json_object *data = json_object_new_object();
			json_object_object_add(data, "portal_name", json_object_new_string(c->portal->name));
			json_object_object_add(data, "link", json_object_new_string(
				arena_printf(c->arena, "%s/login/link/%s", portal_base_url(c), token)));
			rc = outbox_queue(c->lang, email, "login_link", data);
			json_object_put(data);
		}
	}
	if (rc < 0 || limited || db_commit() < 0) {
		db_rollback();
		rc = limited > 0 ? 1 : -1;
	}
	return mail_form_answer(c, &f, rc, render_link_form);
}

/* GET shows a button only: mail scanners that open links must not use up the login. */
int login_link_open(struct ctx *c)
{
	c->no_referrer = 1; /* the URL carries the token */
	long mid = member_token_take(c->portal->id, c->caps.v[0], "login", 0);
	if (mid < 0)
		return 500;
	struct json_object *page = page_new(c, "login_link_title");
	json_object_object_add(page, "valid", json_object_new_boolean(mid > 0));
	json_object_object_add(page, "token", json_object_new_string(c->caps.v[0]));
	return page_render(c, mid > 0 ? 200 : 400, "portal/login_link_use", page);
}

/* Take the token, mark the address verified and open the session in one transaction: a
 * failure anywhere leaves the link usable; the 303 goes out after COMMIT. */
int login_link_use(struct ctx *c)
{
	if (db_begin() < 0)
		return 500;
	long mid = member_token_take(c->portal->id, c->caps.v[0], "login", 1);
	if (mid <= 0) {
		db_rollback();
		if (mid < 0)
			return 500;
		struct json_object *page = page_new(c, "login_link_title");
		json_object_object_add(page, "valid", json_object_new_boolean(0));
		return page_render(c, 400, "portal/login_link_use", page);
	}
	char ids[24], email[256];
	snprintf(ids, sizeof ids, "%ld", mid);
	const char *p[1] = {ids};
	struct member_row m = {0};
	int ok = member_verify(mid) == 0 && db_exec_value("login_member_email", 1, p, email, sizeof email) == 1 &&
		 find_member(c, email, &m) == 1;
	if (!ok) {
		db_rollback();
		return 500;
	}
	if (!m.allowed) {
		db_rollback();
		return page_redirect(c, 303, "/access-denied");
	}
	int status = start_session(c, mid, "link");
	if (status != 303 || db_commit() < 0) {
		db_rollback();
		response_reset(c->res);
		return 500;
	}
	return status;
}
