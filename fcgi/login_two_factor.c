/* login_two_factor.c - GET and POST /login/two-factor: the second step of every way in but single
 * sign-on (member_login() in login.c starts it after a password, a login link, a reset link or a
 * notification's ticket link). The challenge (its own cookie, ten minutes, TF_CHALLENGE_FAILURES
 * wrong codes) is the kit's (fcgi/two_factor.h). It asks the code or a recovery code; a member
 * whose portal requires a factor and who has none enrols here instead (QR code, a first code,
 * the recovery codes once). Then the session is made exactly as member_login() makes it, with the
 * first factor's method in its audit row, and the person goes on to where they were going. */
#include "app.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "metrics_notes.h"
#include "two_factor.h"

const struct db_stmt login_two_factor_stmts[] = {
	{"login_tf_email",
	 "SELECT c.email FROM members m JOIN contacts c ON c.id = m.contact_id WHERE m.id = $1", 1},
	{NULL, NULL, 0},
};

static const char *where_next(struct ctx *c, const struct tf_challenge *ch)
{
	const char *next = safe_next(ch->next);
	return next ? arena_strdup(c->arena, next) : arena_printf(c->arena, "/%s", c->portal->ticket_slug);
}

/* The code form, or the enrolment when the member has no factor yet; or the codes once. */
static int render(struct ctx *c, int status, const struct tf_challenge *ch, const char *error,
		  char codes[TF_RECOVERY_CODES][TF_RECOVERY_LEN], const char *next)
{
	struct json_object *page = page_new(c, "tf_login_title");
	if (error)
		json_object_object_add(page, "error", json_object_new_string(i18n_get(c->lang, error)));
	if (codes) {
		json_object_object_add(page, "codes", two_factor_codes_json(codes));
		json_object_object_add(page, "has_codes", json_object_new_boolean(1));
		json_object_object_add(page, "codes_next", json_object_new_string(next));
		return page_render(c, status, "portal/login_two_factor", page);
	}
	int on = two_factor_on(ch->who);
	if (on < 0) {
		json_object_put(page);
		return 500;
	}
	if (!on) {
		char id[24], email[321];
		snprintf(id, sizeof id, "%ld", ch->who.id);
		const char *p[1] = {id};
		struct tf_enrolment e;
		int rc = db_exec_value("login_tf_email", 1, p, email, sizeof email) == 1
				 ? two_factor_enrolment(c, ch->who, c->portal->name, email, &e)
				 : -1;
		if (rc < 0) {
			json_object_put(page);
			return 500;
		}
		if (rc == 1) { /* 0: confirmed meanwhile (another tab): the code form */
			json_object_object_add(page, "enrol", json_object_new_boolean(1));
			json_object_object_add(page, "qr_svg", json_object_new_string(e.qr_svg));
			json_object_object_add(page, "secret", json_object_new_string(e.secret));
		}
	}
	return page_render(c, status, "portal/login_two_factor", page);
}

/* No live challenge (none, expired, ended): start again at the login page, with a message. */
static int to_login(struct ctx *c, const char *param)
{
	return page_redirect(c, 303, arena_printf(c->arena, "/login?%s=1", param));
}

int login_two_factor_page(struct ctx *c)
{
	struct tf_challenge ch;
	int got = two_factor_challenge_load(c, TF_MEMBER, &ch);
	if (got <= 0)
		return got < 0 ? 500 : to_login(c, "tf_ended");
	return render(c, 200, &ch, NULL, NULL, NULL);
}

static const char *detail(struct ctx *c, const struct tf_challenge *ch)
{
	return arena_printf(c->arena, "{\"method\": \"%s\", \"member\": %ld}", ch->method, ch->who.id);
}

/* A wrong code: audited; the challenge ends after the last allowed (back to the login). */
static int wrong(struct ctx *c, struct tf_challenge *ch)
{
	audit(c, "anonymous", ch->who.id, "login_2fa_failed", detail(c, ch));
	metrics_note_login(LOGIN_CUSTOMER, LOGIN_FAILED_SECOND_FACTOR);
	int ended = two_factor_challenge_failed(c, ch);
	if (ended < 0)
		return 500;
	if (ended)
		return to_login(c, "tf_ended");
	return render(c, 401, ch, "tf_error_code", NULL, NULL);
}

int login_two_factor_submit(struct ctx *c)
{
	struct tf_challenge ch;
	int got = two_factor_challenge_load(c, TF_MEMBER, &ch);
	if (got <= 0)
		return got < 0 ? 500 : to_login(c, "tf_ended");
	if (login_ip_limited(c)) {
		char ra[16];
		snprintf(ra, sizeof ra, "%d", cfg.login_ip_window_minutes * 60);
		response_header(c->res, "Retry-After", ra);
		audit(c, "anonymous", ch.who.id, "login_rate_limited", detail(c, &ch));
		metrics_note_login(LOGIN_CUSTOMER, LOGIN_LOCKED_ADDRESS);
		return render(c, 429, &ch, "login_error_rate", NULL, NULL);
	}
	const char *code = request_form(c->req, "code");
	const char *next = where_next(c, &ch);
	int on = two_factor_on(ch.who);
	if (on < 0)
		return 500;
	char codes[TF_RECOVERY_CODES][TF_RECOVERY_LEN];
	if (!on) { /* the portal requires a factor: the enrolment's first code */
		if (db_begin() < 0)
			return 500;
		int rc = two_factor_confirm(ch.who, code, codes);
		if (rc == 0) {
			db_rollback();
			return wrong(c, &ch);
		}
		int ok = rc == 1 && audit(c, "member", ch.who.id, "two_factor_on", detail(c, &ch)) == 0 &&
			 two_factor_challenge_end(c, &ch) == 0 && member_session_open(c, ch.who.id, ch.method) == 0;
		if (!ok || db_commit() < 0) {
			db_rollback();
			response_reset(c->res);
			return 500;
		}
		return render(c, 200, &ch, NULL, codes, next);
	}
	switch (two_factor_check(c, ch.who, code)) {
	case TF_ERROR:
		return 500;
	case TF_LOCKED:
		audit(c, "anonymous", ch.who.id, "login_2fa_locked", detail(c, &ch));
		metrics_note_login(LOGIN_CUSTOMER, LOGIN_LOCKED_ACCOUNT);
		if (two_factor_challenge_end(c, &ch) < 0)
			return 500;
		return to_login(c, "tf_locked");
	case TF_WRONG:
		return wrong(c, &ch);
	case TF_RECOVERY:
		audit(c, "member", ch.who.id, "two_factor_recovery_used", detail(c, &ch));
		break;
	case TF_OK:
		break;
	}
	if (db_begin() < 0)
		return 500;
	if (two_factor_challenge_end(c, &ch) < 0 || member_session_open(c, ch.who.id, ch.method) < 0 ||
	    db_commit() < 0) {
		db_rollback();
		response_reset(c->res);
		return 500;
	}
	return page_redirect(c, 303, next);
}
