/* admin_login.c - staff login and logout for the console: the customers' rules (argon2id, lockout
 * after repeated failures, per-address limit, CSRF) with the staff's own cookie under /admin; and
 * /admin/login/two-factor, the step between the password and the session when the staff user has
 * a second factor or the install requires one (the mechanics are fcgi/two_factor.c's). */
#include "admin.h"
#include "two_factor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "log.h"
#include "metrics_notes.h"
#include "password.h"

const struct db_stmt admin_login_stmts[] = {
	{"staff_find",
	 "SELECT id, password_hash, coalesce(locked_until > now(), false)"
	 " FROM staff_users WHERE lower(email) = lower($1)",
	 1},
	{"staff_ok",
	 "UPDATE staff_users SET failed_logins = 0, locked_until = NULL,"
	 " password_hash = coalesce($2, password_hash) WHERE id = $1",
	 2},
	/* the password passed but a second factor follows: the failure count stays (a right code
	 * resets it), so a known password does not buy unlimited codes */
	{"staff_rehash", "UPDATE staff_users SET password_hash = $2 WHERE id = $1", 2},
	{"staff_who", "SELECT email FROM staff_users WHERE id = $1", 1},
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
	if (request_query(c->req, "two_factor_ended"))
		json_object_object_add(page, "notice", json_object_new_string(
			"The code step ended (too many wrong codes, or ten minutes passed). Log in again."));
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
	if (staff_id)
		login_failure(c, (struct tf_who){TF_STAFF, staff_id});
	else
		login_ip_failed(c);
}

/* The staff session after every factor passed: the failure count reset (and a newer password
 * hash kept), the old session of this browser replaced, "staff_login" audited (detail: how the
 * second factor passed, or NULL), the cookie. 0 or 500. */
static int login_session(struct ctx *c, long id, const char *newhash, const char *detail)
{
	char sid[24], token[64];
	snprintf(sid, sizeof sid, "%ld", id);
	const char *q[2] = {sid, newhash};
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
	audit(c, "staff", id, "staff_login", detail);
	if (db_commit() < 0)
		return 500;
	set_cookie_path(c, STAFF_COOKIE, token, -1, STAFF_COOKIE_PATH);
	return 0;
}

static const char *next_or_home(const char *next)
{
	return next && *next && strncmp(next, "/admin", 6) == 0 ? next : "/admin";
}

/* login_session, then 303 to next (an /admin path) or /admin. */
static int login_finish(struct ctx *c, long id, const char *newhash, const char *next, const char *detail)
{
	int rc = login_session(c, id, newhash, detail);
	return rc ? rc : page_redirect(c, 303, next_or_home(next));
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
		metrics_note_login(LOGIN_STAFF, LOGIN_LOCKED_ADDRESS);
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
		metrics_note_login(LOGIN_STAFF, locked ? LOGIN_LOCKED_ACCOUNT : LOGIN_FAILED_PASSWORD);
		return render_login(c, 401, &f, "That email and password do not match a staff account, or the account is locked for a while.");
	}
	form_free(&f);
	char rehash[256];
	const char *newhash = NULL;
	if (password_needs_rehash(hash, cfg.argon2_t_cost, cfg.argon2_m_cost_kib, cfg.argon2_parallelism) == 1 &&
	    password_hash(password, cfg.argon2_t_cost, cfg.argon2_m_cost_kib, cfg.argon2_parallelism, rehash,
			  sizeof rehash) == 0)
		newhash = rehash;
	const char *next = safe_next(request_form(c->req, "next"));
	if (next && strncmp(next, "/admin", 6) != 0)
		next = NULL;
	struct tf_who who = {TF_STAFF, id};
	int on = two_factor_on(who), required = on == 1 ? 1 : two_factor_required(c, who);
	if (on < 0 || required < 0)
		return 500;
	if (!on && !required)
		return login_finish(c, id, newhash, next, NULL);
	/* a second factor follows: the challenge (its own cookie), then /admin/login/two-factor */
	char sid[24];
	snprintf(sid, sizeof sid, "%ld", id);
	const char *q[2] = {sid, newhash};
	if ((newhash && db_run("staff_rehash", 2, q) < 0) || two_factor_challenge_start(c, who, "password", next) < 0)
		return 500;
	return page_redirect(c, 303, "/admin/login/two-factor");
}

int admin_logout_submit(struct ctx *c)
{
	session_destroy(c->staff.token_hash);
	audit(c, "staff", c->staff.user_id, "staff_logout", NULL);
	set_cookie_path(c, STAFF_COOKIE, "", 0, STAFF_COOKIE_PATH);
	return page_redirect(c, 303, "/admin/login?logged_out=1");
}

/* ---- /admin/login/two-factor: the code after the password ---- */

static int render_challenge(struct ctx *c, int status, struct tf_challenge *ch, const char *error)
{
	struct json_object *page = admin_page_new(c, "Two-factor code", NULL);
	int on = two_factor_on(ch->who);
	if (on < 0) {
		json_object_put(page);
		return 500;
	}
	if (!on) { /* required and none set up yet: the enrolment here */
		char sid[24], email[256] = "";
		snprintf(sid, sizeof sid, "%ld", ch->who.id);
		const char *p[1] = {sid};
		struct tf_enrolment e;
		int rc = db_exec_value("staff_who", 1, p, email, sizeof email) == 1
				 ? two_factor_enrolment(c, ch->who, arena_printf(c->arena, "%s console", c->portal->name), email, &e)
				 : -1;
		if (rc < 0) {
			json_object_put(page);
			return 500;
		}
		if (rc == 1) {
			struct json_object *en = json_object_new_object();
			json_object_object_add(en, "secret", json_object_new_string(e.secret));
			json_object_object_add(en, "uri", json_object_new_string(e.uri));
			json_object_object_add(en, "qr_svg", json_object_new_string(e.qr_svg));
			json_object_object_add(page, "enrol", en);
			json_object_object_add(page, "title", json_object_new_string("Set up a second factor"));
		}
	}
	if (!json_object_object_get_ex(page, "enrol", NULL))
		json_object_object_add(page, "ask", json_object_new_boolean(1));
	if (error)
		json_object_object_add(page, "error", json_object_new_string(error));
	return admin_render(c, status, "admin/login_two_factor", page);
}

int admin_login_two_factor_page(struct ctx *c)
{
	struct tf_challenge ch;
	int found = two_factor_challenge_load(c, TF_STAFF, &ch);
	if (found <= 0)
		return found < 0 ? 500 : page_redirect(c, 303, "/admin/login?two_factor_ended=1");
	return render_challenge(c, 200, &ch, NULL);
}

/* A wrong code at the challenge: audited; the form again (401), or back to the login once the
 * challenge has had its last try. */
static int challenge_wrong(struct ctx *c, struct tf_challenge *ch, const char *error)
{
	audit(c, "anonymous", ch->who.id, "staff_login_2fa_failed", NULL);
	metrics_note_login(LOGIN_STAFF, LOGIN_FAILED_SECOND_FACTOR);
	int ended = two_factor_challenge_failed(c, ch);
	if (ended < 0)
		return 500;
	if (ended)
		return page_redirect(c, 303, "/admin/login?two_factor_ended=1");
	return render_challenge(c, 401, ch, error);
}

int admin_login_two_factor_submit(struct ctx *c)
{
	struct tf_challenge ch;
	int found = two_factor_challenge_load(c, TF_STAFF, &ch);
	if (found <= 0)
		return found < 0 ? 500 : page_redirect(c, 303, "/admin/login?two_factor_ended=1");
	if (login_ip_limited(c)) {
		char ra[16];
		snprintf(ra, sizeof ra, "%d", cfg.login_ip_window_minutes * 60);
		response_header(c->res, "Retry-After", ra);
		audit(c, "anonymous", ch.who.id, "staff_login_rate_limited", NULL);
		metrics_note_login(LOGIN_STAFF, LOGIN_LOCKED_ADDRESS);
		return render_challenge(c, 429, &ch, "Too many failed logins from your address. Wait a while and try again.");
	}
	const char *code = request_form(c->req, "code");
	if (!code)
		code = "";
	int on = two_factor_on(ch.who);
	if (on < 0)
		return 500;
	if (on) {
		enum tf_check rc = two_factor_check(c, ch.who, code);
		switch (rc) {
		case TF_ERROR:
			return 500;
		case TF_LOCKED:
			audit(c, "anonymous", ch.who.id, "staff_login_locked", "{\"step\":\"two_factor\"}");
			metrics_note_login(LOGIN_STAFF, LOGIN_LOCKED_ACCOUNT);
			if (two_factor_challenge_end(c, &ch) < 0)
				return 500;
			return render_login(c, 401, NULL, "Too many failed attempts: the account is locked for a while. Try again later.");
		case TF_WRONG:
			return challenge_wrong(c, &ch, "That code is not right. Enter the current six-digit code from your "
						       "authenticator app, or one of your unused recovery codes.");
		case TF_OK:
		case TF_RECOVERY:
			break;
		}
		if (rc == TF_RECOVERY) {
			int left = two_factor_recovery_left(ch.who);
			audit(c, "staff", ch.who.id, "staff_login_recovery_code_used",
			      arena_printf(c->arena, "{\"left\":%d}", left < 0 ? 0 : left));
		}
		if (two_factor_challenge_end(c, &ch) < 0)
			return 500;
		return login_finish(c, ch.who.id, NULL, ch.next,
				    rc == TF_RECOVERY ? "{\"second_factor\":\"recovery_code\"}" : "{\"second_factor\":\"totp\"}");
	}
	int required = two_factor_required(c, ch.who);
	if (required < 0)
		return 500;
	if (!required) { /* the factor was removed and the rule switched off meanwhile: nothing more to ask */
		if (two_factor_challenge_end(c, &ch) < 0)
			return 500;
		return login_finish(c, ch.who.id, NULL, ch.next, NULL);
	}
	/* required and none set up: the first code confirms the enrolment shown */
	char codes[TF_RECOVERY_CODES][TF_RECOVERY_LEN];
	if (db_begin() < 0)
		return 500;
	int ok = two_factor_confirm(ch.who, code, codes);
	if (ok == 1 && audit(c, "staff", ch.who.id, "staff_two_factor_on", "{\"at\":\"login\"}") < 0)
		ok = -1;
	if (ok < 0 || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	if (!ok)
		return challenge_wrong(c, &ch, "That code is not right. Check that the time on your phone is correct, and "
					       "enter the current six-digit code the app shows.");
	if (two_factor_challenge_end(c, &ch) < 0)
		return 500;
	int rc = login_session(c, ch.who.id, NULL, "{\"second_factor\":\"enrolled\"}");
	if (rc)
		return rc;
	/* the recovery codes, once; then on to where the login was going */
	struct json_object *page = admin_page_new(c, "Your recovery codes", NULL);
	json_object_object_add(page, "codes", two_factor_codes_json(codes));
	json_object_object_add(page, "continue_to", json_object_new_string(next_or_home(ch.next)));
	OPENSSL_cleanse(codes, sizeof codes);
	return admin_render(c, 200, "admin/login_two_factor", page);
}
