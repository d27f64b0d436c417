/* password_test.c - unit tests of argon2id hash/verify, dummy verify, rehash and password rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "password.h"

/* Small but valid parameters (OWASP's minimum) keep each hash near 30 ms. */
#define T 2
#define M 19456
#define P 1

#define SH "$c2FsdHNhbHRzYWx0$aGFzaGhhc2g" /* "saltsaltsalt", "hashhash" */

static void test_hash_verify(void)
{
	char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];

	CHECK_INT(password_hash("Tr0ub4dor&3", T, M, P, h1, sizeof(h1)), 0);
	CHECK(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	CHECK_INT(strlen(h1), 31 + 22 + 1 + 43);
	CHECK_INT(password_verify(h1, "Tr0ub4dor&3"), 1);
	CHECK_INT(password_verify(h1, "Tr0ub4dor&4"), 0);
	CHECK_INT(password_verify(h1, ""), 0);
	CHECK_INT(password_verify(h1, NULL), 0);

	/* A fresh salt every time. */
	CHECK_INT(password_hash("Tr0ub4dor&3", T, M, P, h2, sizeof(h2)), 0);
	CHECK(strcmp(h1, h2) != 0);
	CHECK_INT(password_verify(h2, "Tr0ub4dor&3"), 1);

	/* Non-ASCII passwords are hashed as their UTF-8 bytes. */
	CHECK_INT(password_hash("s\xc3\xa5ngf\xc3\xa5gel-7", T, M, P, h2, sizeof(h2)), 0);
	CHECK_INT(password_verify(h2, "s\xc3\xa5ngf\xc3\xa5gel-7"), 1);
	CHECK_INT(password_verify(h2, "sangfagel-7"), 0);

	/* Refusals leave out empty. */
	char small[40] = "x";
	CHECK_INT(password_hash("pw", T, M, P, small, sizeof(small)), -1);
	CHECK_STR(small, "");
	CHECK_INT(password_hash("pw", 0, M, P, h2, sizeof(h2)), -1);
	CHECK_STR(h2, "");
	CHECK_INT(password_hash("pw", T, 7, 1, h2, sizeof(h2)), -1);
	CHECK_INT(password_hash("pw", T, M, 0, h2, sizeof(h2)), -1);
	CHECK_INT(password_hash("pw", T, PASSWORD_MAX_M_COST_KIB + 1, P, h2, sizeof(h2)), -1);
	CHECK_INT(password_hash(NULL, T, M, P, h2, sizeof(h2)), -1);
}

static void test_malformed(void)
{
	char h[PASSWORD_HASH_MAX], bad[PASSWORD_HASH_MAX + 8];

	CHECK_INT(password_hash("Tr0ub4dor&3", T, M, P, h, sizeof(h)), 0);
	CHECK_INT(password_verify(NULL, "x"), -1);
	CHECK_INT(password_verify("", "x"), -1);
	CHECK_INT(password_verify("plaintext", "plaintext"), -1);
	CHECK_INT(password_verify("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA", "x"), -1);
	/* Control: well-formed with SH, so each string below fails only for its own flaw. */
	CHECK_INT(password_verify("$argon2id$v=19$m=19456,t=2,p=1" SH, "x"), 0);
	CHECK_INT(password_verify("$argon2id$v=16$m=19456,t=2,p=1" SH, "x"), -1);
	CHECK_INT(password_verify("$argon2id$v=19$m=19456,t=2" SH, "x"), -1);
	CHECK_INT(password_verify("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0", "x"), -1);
	CHECK_INT(password_verify("$argon2id$v=19$m=19456,t=2,p=1$$aGFzaGhhc2g", "x"), -1);
	CHECK_INT(password_verify("$argon2id$v=19$m=-1,t=2,p=1" SH, "x"), -1);
	CHECK_INT(password_verify("$argon2id$v=19$m=019456,t=2,p=1" SH, "x"), -1);
	/* Beyond the ceilings: refused before any memory is allocated. */
	CHECK_INT(password_verify("$argon2id$v=19$m=4294967295,t=2,p=1" SH, "x"), -1);
	CHECK_INT(password_verify("$argon2id$v=19$m=19456,t=99999,p=1" SH, "x"), -1);
	/* Trailing junk, a truncated hash field, a bad base64 byte. */
	snprintf(bad, sizeof(bad), "%s ", h);
	CHECK_INT(password_verify(bad, "Tr0ub4dor&3"), -1);
	snprintf(bad, sizeof(bad), "%.*s", (int)strlen(h) - 1, h);
	CHECK(password_verify(bad, "Tr0ub4dor&3") != 1);
	snprintf(bad, sizeof(bad), "%s", h);
	bad[strlen(bad) - 5] = '*';
	CHECK_INT(password_verify(bad, "Tr0ub4dor&3"), -1);
}

static void test_needs_rehash(void)
{
	char h[PASSWORD_HASH_MAX];

	CHECK_INT(password_hash("Tr0ub4dor&3", T, M, P, h, sizeof(h)), 0);
	CHECK_INT(password_needs_rehash(h, T, M, P), 0);
	CHECK_INT(password_needs_rehash(h, T, M - 1, P), 0); /* stronger than configured */
	CHECK_INT(password_needs_rehash(h, 1, 8, 1), 0);
	CHECK_INT(password_needs_rehash(h, T + 1, M, P), 1);
	CHECK_INT(password_needs_rehash(h, T, 65536, P), 1);
	CHECK_INT(password_needs_rehash(h, T, M, 2), 1);
	CHECK_INT(password_needs_rehash("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$"
					"aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
					T, M, P),
		  0);
	/* Short salt or hash. */
	CHECK_INT(password_needs_rehash("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$"
					"aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
					T, M, P),
		  1);
	CHECK_INT(password_needs_rehash(
		      "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA", T, M, P),
		  1);
	CHECK_INT(password_needs_rehash(
		      "$argon2i$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA", T, M, P),
		  1);
	CHECK_INT(password_needs_rehash(NULL, T, M, P), 1);
	CHECK_INT(password_needs_rehash("junk", T, M, P), 1);
}

/* The dummy verify spends the time of a real one; that is measured by `make bench`-style runs,
 * never asserted on a clock here. This only drives it under the sanitizers. */
static void test_dummy_verify(void)
{
	char h[PASSWORD_HASH_MAX];

	CHECK_INT(password_hash("Tr0ub4dor&3", T, M, P, h, sizeof(h)), 0);
	password_dummy_verify("wrong password", T, M, P);
	password_dummy_verify("x", T, 4 * M, P); /* other parameters rebuild the cached dummy */
	password_dummy_verify(NULL, T, M, P);
	password_dummy_verify("x", 0, M, P); /* refused parameters: returns at once */
	CHECK_INT(password_verify(h, "Tr0ub4dor&3"), 1);
}

#define ADA "ada@example.com"
#define SEVEN "\xc3\xa5\xc3\xa4\xc3\xb6\xc3\x85\xc3\x84\xc3\x96\xc3\xa9" /* åäöÅÄÖé: 14 bytes */

/* password_rule_violation(pw, email): the rule it breaks, or NULL where it passes. */
static const struct rule_case {
	const char *pw, *email, *want;
} rule_cases[] = {
    /* Passing passwords. */
    {"Tr0ub4dor&3", ADA, NULL},
    {"correct horse battery staple", ADA, NULL},
    {"demo-Portal-2026", ADA, NULL},
    {"Tr0ub4dor&3", NULL, NULL},
    {"Tr0ub4dor&3", "", NULL},
    {"s\xc3\xa5ngf\xc3\xa5gel", ADA, NULL}, /* 9 code points */
    {"1234Tr0ub4dor", ADA, NULL},	    /* run of 4 is fine */
    {"aaaaTr0ub4dor", ADA, NULL},	    /* 4 repeats is fine */

    /* pw_too_short: code points, not bytes. */
    {"ab", ADA, "pw_too_short"},
    {"", ADA, "pw_too_short"},
    {NULL, ADA, "pw_too_short"},
    {"Tr0ub4d", ADA, "pw_too_short"},
    {SEVEN, ADA, "pw_too_short"},
    /* 3 emoji + 4 = 7 code points, 16 bytes */
    {"\xf0\x9f\x94\x91\xf0\x9f\x94\x92\xf0\x9f\x8e\xb2k3y!", ADA, "pw_too_short"},
    {SEVEN "!", ADA, NULL},

    /* pw_contains_email (the whole address), ux_pw_contains_email_name (only what is before the @). */
    {"ada-Secret-9x", ADA, "ux_pw_contains_email_name"},
    {"xADAx-Secret-9", ADA, "ux_pw_contains_email_name"},
    {"my ada@example.com!", ADA, "pw_contains_email"},
    {"Lovelace-1815", "ada.lovelace@example.com", "ux_pw_contains_email_name"},
    {"Tr0ub4dor&Ada", "ada+portal@example.com", "ux_pw_contains_email_name"},
    {"x-AL@X.IO-x9", "al@x.io", "pw_contains_email"},
    {"Alpine-Tr0ub4dor", "al@x.io", NULL}, /* "al" too short */
    {"Tr0ub4dor&3", "jo.li@example.com", NULL},
    {"Example-Tr0ub4dor", ADA, NULL}, /* domain alone is fine */

    /* pw_trivial_sequence. */
    {"xx12345yy", ADA, "pw_trivial_sequence"},
    {"xx54321yy", ADA, "pw_trivial_sequence"},
    {"Q!abcde#9", ADA, "pw_trivial_sequence"},
    {"Q!aBcDe#9", ADA, "pw_trivial_sequence"},
    {"Q!EDCBA#9", ADA, "pw_trivial_sequence"},
    {"zzzzzkq!9", ADA, "pw_trivial_sequence"},
    {"zzZZzkq!9", ADA, "pw_trivial_sequence"},
    {"Tr0ub4dor!!!!!", ADA, "pw_trivial_sequence"},
    {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9kq!9", ADA, "pw_trivial_sequence"},
    {"11111111", ADA, "pw_trivial_sequence"},
    {"abcabcabc", ADA, "pw_trivial_sequence"},
    {"ab12AB12", ADA, "pw_trivial_sequence"},
    {"xyxyxyxy", ADA, "pw_trivial_sequence"},
    {"abcabcabc!", ADA, NULL},	       /* not wholly one unit */
    {"Tr0ub4dorTr0ub4dor", ADA, NULL}, /* unit > 4 */
    {"!\"#$%Tr0ub", ADA, NULL},	       /* punctuation is no run */
    {"9:;<=Tr0ub", ADA, NULL},

    /* pw_common. */
    {"Password1", ADA, "pw_common"},
    {"password", ADA, "pw_common"},
    {"QWERTYUIOP", ADA, "pw_common"},
    {"iloveyou", ADA, "pw_common"},
    {"LetMeIn1", ADA, "pw_common"},
    {"Welcome1", ADA, "pw_common"},
    {"admin123", ADA, "pw_common"},
    {"Password1-Tr0ub", ADA, NULL},

    /* Order: email before sequence before common. */
    {"ada12345", ADA, "ux_pw_contains_email_name"},
    {"password12345", "password@example.com", "ux_pw_contains_email_name"},

    /* Invalid UTF-8 counts byte by byte and does not crash. */
    {"\xff\xfe\xfd\xfc\xc3Tr0u", ADA, NULL},
    {"\xff\xff\xff\xff\xffTr0u", ADA, "pw_trivial_sequence"},
};

static void check_rule(const char *pw, const char *email, const char *want)
{
	int failed = check_failed;

	if (want)
		CHECK_STR(password_rule_violation(pw, email), want);
	else
		CHECK(password_rule_violation(pw, email) == NULL);
	if (check_failed > failed)
		fprintf(stderr, "  password \"%s\", email \"%s\"\n", pw ? pw : "(null)",
			email ? email : "(null)");
}

static void test_rules(void)
{
	for (size_t i = 0; i < sizeof rule_cases / sizeof rule_cases[0]; i++)
		check_rule(rule_cases[i].pw, rule_cases[i].email, rule_cases[i].want);
	CHECK_INT(strlen(SEVEN), 14);

	/* pw_too_long: bytes. */
	char lng[1100];
	for (int i = 0; i < 1025; i++)
		lng[i] = "Tr0ub4dor&3-x"[i % 13];
	lng[1025] = '\0';
	check_rule(lng, ADA, "pw_too_long");
	lng[1024] = '\0';
	check_rule(lng, ADA, NULL);
}

int main(void)
{
	test_hash_verify();
	test_malformed();
	test_needs_rehash();
	test_dummy_verify();
	test_rules();
	return CHECK_DONE("password");
}
