/* two_factor.h - the second factor of customers and staff (sql/020_two_factor.sql): a TOTP secret
 * enrolled with a QR code and confirmed with a first code, ten single-use recovery codes, the
 * code asked at every way in, and the step between the first factor and the session (a
 * "challenge": its own cookie, ten minutes, five wrong codes). The mechanics only: the pages
 * (the customer's /account/two-factor and /login/two-factor, the staff's /admin/account/two-factor
 * and /admin/login/two-factor) are the callers'. Each function that writes runs inside the
 * caller's transaction if one is open. */
#ifndef PORTAL_TWO_FACTOR_H
#define PORTAL_TWO_FACTOR_H

#include "app.h"

enum tf_kind { TF_MEMBER, TF_STAFF };
/* Whose factor: a member (one portal's login) or a staff user. */
struct tf_who {
	enum tf_kind kind;
	long id;
};

#define TF_RECOVERY_CODES 10
#define TF_RECOVERY_LEN 12       /* "abcde-fghij" and a NUL */
#define TF_CHALLENGE_MINUTES 10
#define TF_CHALLENGE_FAILURES 5  /* wrong codes before a challenge ends */
#define TF_COOKIE "portal_2fa"           /* the customer's challenge, Path=/ */
#define TF_STAFF_COOKIE "portal_admin_2fa" /* the staff's, Path=/admin */

/* 1 when who has a confirmed factor, 0 when not (none, or an enrolment not finished), -1 error. */
int two_factor_on(struct tf_who who);

/* 1 when who must have a factor: a member of a portal that requires one (portals.
 * two_factor_required) and has no single sign-on on, a staff user when install_settings.
 * staff_two_factor_required; else 0; -1 error. */
int two_factor_required(struct ctx *c, struct tf_who who);

/* An enrolment to show: the secret as the app's text (grouped by four), the otpauth:// URI and
 * its QR code as an <svg> (all in c->arena). */
struct tf_enrolment {
	const char *secret;  /* base32, grouped "ABCD EFGH ..." for typing */
	const char *uri;
	const char *qr_svg;  /* trusted markup: render with {{{ }}} */
};
/* The pending secret of who (a new one when there is none or it is older than thirty minutes),
 * labelled in the app with issuer (the portal's or the console's name) and account (the
 * email): 1 with e filled, 0 when who already has a confirmed factor, -1 error. */
int two_factor_enrolment(struct ctx *c, struct tf_who who, const char *issuer, const char *account,
			 struct tf_enrolment *e);
/* The first code typed for the pending secret: 1 when right (the factor is on, its step taken, and
 * ten recovery codes made into codes, to be shown once), 0 when wrong or there is no pending
 * enrolment, -1 error. */
int two_factor_confirm(struct tf_who who, const char *code, char codes[TF_RECOVERY_CODES][TF_RECOVERY_LEN]);

/* What a code typed at a way in did. */
enum tf_check {
	TF_ERROR = -1,
	TF_WRONG,    /* wrong, reused, malformed, or no confirmed factor: counted against the login */
	TF_LOCKED,   /* the login is locked after too many failures (passwords' and codes' alike) */
	TF_OK,       /* a right TOTP code (its time step can never be used again) */
	TF_RECOVERY, /* an unused recovery code (now used) */
};
/* Check code (TOTP or recovery) for who's confirmed factor. A wrong one counts as a failed login
 * (the same counter and lockout as passwords: cfg.login_max_failures, login_lockout_minutes) and
 * for the client address (login_ip_failed); a right one resets the counter. */
enum tf_check two_factor_check(struct ctx *c, struct tf_who who, const char *code);
/* A proof asked of who while logged in (turning the factor off, new recovery codes): the login's
 * current password or a code of its factor (TF_OK, TF_RECOVERY). TF_LOCKED when the login is
 * locked or the client address is over its limit (login_ip_limited); a wrong one counts as a
 * failed login, a right one resets the count. */
enum tf_check two_factor_proof(struct ctx *c, struct tf_who who, const char *proof);
/* A failed login of who, by a password or a code: its count, the lock once the count reaches
 * cfg.login_max_failures (for cfg.login_lockout_minutes), and one failure of the client address
 * (login_ip_failed). The one writer of failed_logins and locked_until. */
void login_failure(struct ctx *c, struct tf_who who);
/* Recovery codes still unused, -1 error. */
int two_factor_recovery_left(struct tf_who who);
/* Ten new recovery codes for who's confirmed factor (the old ones void): 0, or -1 (none on). */
int two_factor_recovery_new(struct tf_who who, char codes[TF_RECOVERY_CODES][TF_RECOVERY_LEN]);
/* The codes as a JSON array of strings, for a page. */
struct json_object *two_factor_codes_json(char codes[TF_RECOVERY_CODES][TF_RECOVERY_LEN]);
/* Remove who's factor (confirmed or pending) with its recovery codes and challenges: 1 removed,
 * 0 there was none, -1 error. The caller audits. */
int two_factor_off(struct tf_who who);

/* The step between the first factor and the session. */
struct tf_challenge {
	struct tf_who who;
	long portal_id;  /* members: the portal the first factor was passed on */
	char method[33]; /* how: "password", "link", "ticket_link" ... (the login's audit method) */
	char next[2049]; /* where the person was going ("" for the default) */
	int failures;
	char token_hash[65];
};
/* After the first factor passed: a challenge row and its cookie (TF_COOKIE, or TF_STAFF_COOKIE
 * under /admin); the caller answers 303 to its challenge page. next is a checked same-site path
 * or NULL. 0 or -1. */
int two_factor_challenge_start(struct ctx *c, struct tf_who who, const char *method, const char *next);
/* The live challenge this browser's cookie names, of kind (a member's only on its own portal):
 * 1 found, 0 none (no cookie, expired, ended, another portal's), -1 error. */
int two_factor_challenge_load(struct ctx *c, enum tf_kind kind, struct tf_challenge *ch);
/* A wrong code at the challenge: 1 when that was the last allowed (the challenge is ended and
 * its cookie cleared: start again from the first factor), 0 when more may follow, -1 error. */
int two_factor_challenge_failed(struct ctx *c, struct tf_challenge *ch);
/* The challenge is done (the session is being made, or it is abandoned): row deleted, cookie
 * cleared. 0 or -1. */
int two_factor_challenge_end(struct ctx *c, struct tf_challenge *ch);

#endif
