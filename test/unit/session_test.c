/* session_test.c - unit tests of lib/session: idle and touch rules, token hashes, new secrets, and
 * what is refused before any statement runs. */
#include <string.h>

#include "check.h"
#include "session.h"
#include "token.h"

static void test_age(void)
{
	CHECK_INT(session_age(0, 60), SESSION_FRESH);
	CHECK_INT(session_age(SESSION_TOUCH_SECONDS, 60), SESSION_FRESH); /* written when older */
	CHECK_INT(session_age(SESSION_TOUCH_SECONDS + 0.001, 60), SESSION_STALE);
	CHECK_INT(session_age(3600, 60), SESSION_STALE); /* idle when past the timeout, not at it */
	CHECK_INT(session_age(3600.000001, 60), SESSION_IDLE);
	CHECK_INT(session_age(61 * 60, 60), SESSION_IDLE);
	CHECK_INT(session_age(90 * 60, 120), SESSION_STALE);
	CHECK_INT(session_age(120 * 60 + 1, 120), SESSION_IDLE);
	CHECK_INT(session_age(30, 5), SESSION_FRESH);
	CHECK_INT(session_age(5 * 60 + 1, 5), SESSION_IDLE);
	CHECK_INT(session_age(-2, 60), SESSION_FRESH); /* a clock a little ahead of the database's */
}

static void test_token_hash(void)
{
	char hash[65] = "untouched", want[65], token[SESSION_TOKEN_LEN + 1];

	CHECK_INT(session_token_hash(NULL, hash), 0);
	CHECK_INT(session_token_hash("", hash), 0);
	CHECK_INT(session_token_hash("short", hash), 0);
	CHECK_INT(session_token_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", hash), 0); /* not base64url */
	CHECK_INT(session_token_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", hash), 0); /* 44 long */
	CHECK_STR(hash, "untouched");

	CHECK_INT(token_new(token, sizeof token), 0);
	CHECK_INT(session_token_hash(token, hash), 1);
	token_sha256_hex(token, want);
	CHECK_STR(hash, want);
	CHECK_INT(strlen(hash), 64);
}

static void test_secrets(void)
{
	char token[SESSION_TOKEN_LEN + 1], token2[64], hash[65], hash2[65], csrf[64], csrf2[64], want[65];
	char small[SESSION_TOKEN_LEN];

	CHECK_INT(session_secrets_new(small, sizeof small, hash, csrf), -1);
	CHECK_INT(session_secrets_new(token, sizeof token, hash, csrf), 0);
	CHECK(token_well_formed(token));
	CHECK(token_well_formed(csrf));
	token_sha256_hex(token, want);
	CHECK_STR(hash, want);
	CHECK(strcmp(token, csrf) != 0);

	CHECK_INT(session_secrets_new(token2, sizeof token2, hash2, csrf2), 0);
	CHECK(strcmp(token, token2) != 0);
	CHECK(strcmp(hash, hash2) != 0);
	CHECK(strcmp(csrf, csrf2) != 0);

	/* the CSRF token forms carry is bound to the session's own secret */
	char form[TOKEN_HEX_LEN + 1], other[TOKEN_HEX_LEN + 1];
	csrf_token("00ff", csrf, form);
	csrf_token("00ff", csrf2, other);
	CHECK(csrf_check("00ff", csrf, form));
	CHECK(!csrf_check("00ff", csrf2, form));
	CHECK(strcmp(form, other) != 0);
}

/* No statement runs (no database here) when the cookie is malformed or no secret can be made. */
static void test_refused_early(void)
{
	static const struct session_stmts st = {"never_load", "never_touch", "never_drop"};
	PGresult *row = (PGresult *)&row;
	char hash[65] = "x", token[8];

	CHECK_INT(session_find("not a token", &st, NULL, hash, &row), SESSION_NONE);
	CHECK(row == NULL);
	CHECK_STR(hash, "");
	CHECK_INT(session_find(NULL, &st, "120", hash, &row), SESSION_NONE);

	const char *p[7] = {"1", "2", "3", "4", "5", "6", "7"};
	CHECK_INT(session_insert("never_insert", 1, p, token, sizeof token), -1); /* no room */
	char big[64];
	CHECK_INT(session_insert("never_insert", 7, p, big, sizeof big), -1); /* too many */
	CHECK_INT(session_insert("never_insert", -1, p, big, sizeof big), -1);
}

int main(void)
{
	test_age();
	test_token_hash();
	test_secrets();
	test_refused_early();
	return CHECK_DONE("session");
}
