/* admin_login.c - staff login and logout for the console: the customers' rules (argon2id, lockout
 * after repeated failures, per-address limit, CSRF) with the staff's own cookie under /admin. */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "password.h"

const struct db_stmt admin_login_stmts[] = {
	{"staff_find",
	 "SELECT id, password_hash, coalesce(locked_until > now(), false)"
	 " FROM staff_users WHERE lower(email) = lower($1)",
	 1},
	{"staff_fail",
	 "UPDATE staff_users SET"
	 " locked_until = CASE WHEN failed_logins + 1 >= $2::int"
	 "   THEN now() + make_interval(mins => $3::int) ELSE locked_until END,"
	 " failed_logins = CASE WHEN failed_logins + 1 >= $2::int THEN 0 ELSE failed_logins + 1 END"
	 " WHERE id = $1",
	 3},
	{"staff_ok",
	 "UPDATE staff_users SET failed_logins = 0, locked_until = NULL,"
	 " password_hash = coalesce($2, password_hash) WHERE id = $1",
	 2},
	{NULL, NULL, 0},
};

static int render_login(struct ctx *c, int status, struct form *f, const char *error)
{
	struct json_object *page = admin_page_new(c, "Staff login", NULL);
	const char *next = safe_next(request_form(c->req, "next"));
	if (!next)
		next = safe_next(request_query(c->req, "next"));
	if (next && strncmp(next, "/admin", 6) == 0)
		json_object_object_add(page, "next", json_object_new_string(next));
	if (error)
		json_object_object_add(page, "error", json_object_new_string(error));
	if (request_query(c->req, "idle"))
		json_object_object_add(page, "notice", json_object_new_string(
			"You were logged out after a period of inactivity."));
	if (request_query(c->req, "logged_out"))
		json_object_object_add(page, "notice", json_object_new_string("You are logged out."));
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, "admin/login", page);
}

int admin_login_page(struct ctx *c)
{
	if (c->staff.found)
		return page_redirect(c, 303, "/admin");
	return render_login(c, 200, NULL, NULL);
}

static void record_failure(struct ctx *c, long staff_id)
{
	login_ip_failed(c);
	if (staff_id) {
		char sid[24], max[16], mins[16];
		snprintf(sid, sizeof sid, "%ld", staff_id);
		snprintf(max, sizeof max, "%d", cfg.login_max_failures);
		snprintf(mins, sizeof mins, "%d", cfg.login_lockout_minutes);
		const char *q[3] = {sid, max, mins};
		PQclear(db_exec("staff_fail", 3, q));
	}
}

int admin_login_submit(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	if (login_ip_limited(c)) {
		char ra[16];
		snprintf(ra, sizeof ra, "%d", cfg.login_ip_window_minutes * 60);
		response_header(c->res, "Retry-After", ra);
		audit(c, "anonymous", 0, "staff_login_rate_limited", NULL);
		return render_login(c, 429, &f, "Too many failed logins from your address. Wait a while and try again.");
	}
	const char *email = form_email(&f, c->req, "email");
	const char *password = request_form(c->req, "password");
	if (!password || !*password)
		form_message(&f, "password", "Enter your password.");
	if (!email || !password || !*password)
		return render_login(c, 422, &f, "Enter your email address and password.");

	const char *p[1] = {email};
	PGresult *r = db_exec("staff_find", 1, p);
	if (!r) {
		form_free(&f);
		return 500;
	}
	int found = PQntuples(r) == 1;
	long id = found ? atol(PQgetvalue(r, 0, 0)) : 0;
	char hash[256] = "";
	int locked = found && PQgetvalue(r, 0, 2)[0] == 't';
	if (found)
		snprintf(hash, sizeof hash, "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	int ok;
	if (found) {
		ok = password_verify(hash, password) == 1;
	} else {
		password_dummy_verify(password, cfg.argon2_t_cost, cfg.argon2_m_cost_kib, cfg.argon2_parallelism);
		ok = 0;
	}
	if (!ok || locked) {
		record_failure(c, locked ? 0 : id);
		audit(c, "anonymous", id, locked ? "staff_login_locked" : "staff_login_failed", NULL);
		return render_login(c, 401, &f, "That email and password do not match a staff account, or the account is locked for a while.");
	}
	form_free(&f);
	char rehash[256], sid[24];
	const char *newhash = NULL;
	if (password_needs_rehash(hash, cfg.argon2_t_cost, cfg.argon2_m_cost_kib, cfg.argon2_parallelism) == 1 &&
	    password_hash(password, cfg.argon2_t_cost, cfg.argon2_m_cost_kib, cfg.argon2_parallelism, rehash,
			  sizeof rehash) == 0)
		newhash = rehash;
	snprintf(sid, sizeof sid, "%ld", id);
	const char *q[2] = {sid, newhash};
	char token[64];
	if (db_begin() < 0)
		return 500;
	PGresult *u = db_exec("staff_ok", 2, q);
	PQclear(u);
	if (!u || staff_session_create(id, cfg.session_absolute_hours, token, sizeof token) < 0) {
		db_rollback();
		return 500;
	}
	if (c->staff.found)
		session_destroy(c->staff.token_hash); /* a login always replaces the old session */
	audit(c, "staff", id, "staff_login", NULL);
	if (db_commit() < 0)
		return 500;
	set_cookie_path(c, STAFF_COOKIE, token, -1, STAFF_COOKIE_PATH);
	const char *next = safe_next(request_form(c->req, "next"));
	return page_redirect(c, 303, next && strncmp(next, "/admin", 6) == 0 ? next : "/admin");
}

int admin_logout_submit(struct ctx *c)
{
	session_destroy(c->staff.token_hash);
	audit(c, "staff", c->staff.user_id, "staff_logout", NULL);
	set_cookie_path(c, STAFF_COOKIE, "", 0, STAFF_COOKIE_PATH);
	return page_redirect(c, 303, "/admin/login?logged_out=1");
}
