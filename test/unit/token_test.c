/* token_test.c - unit tests of random tokens, SHA-256/HMAC digests, token_equal and CSRF tokens. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "token.h"

static int all_b64url(const char *s)
{
	for (; *s; s++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *s))
			return 0;
	return 1;
}

static void test_token_new(void)
{
	char a[TOKEN_LEN + 1], b[64], small[TOKEN_LEN] = "x";

	CHECK_INT(token_new(a, sizeof(a)), 0);
	CHECK_INT(strlen(a), 43);
	CHECK(all_b64url(a));
	CHECK(token_well_formed(a));
	CHECK_INT(token_new(b, sizeof(b)), 0);
	CHECK_INT(strlen(b), 43);
	CHECK(strcmp(a, b) != 0);
	CHECK_INT(token_new(small, sizeof(small)), -1);
	CHECK_STR(small, "");
	CHECK_INT(token_new(NULL, 44), -1);

	/* Over many tokens every alphabet character shows up and none other. */
	int seen[256] = {0}, ok = 1;
	for (int i = 0; i < 200; i++) {
		ok &= token_new(a, sizeof(a)) == 0 && strlen(a) == 43 && all_b64url(a);
		for (const char *p = a; *p; p++)
			seen[(unsigned char)*p] = 1;
	}
	CHECK(ok);
	int kinds = 0;
	for (int i = 0; i < 256; i++)
		kinds += seen[i];
	CHECK_INT(kinds, 64);
}

static void test_sha256(void)
{
	char out[TOKEN_HEX_LEN + 1];

	token_sha256_hex("abc", out);
	CHECK_STR(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	token_sha256_hex("", out);
	CHECK_STR(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	token_sha256_hex(NULL, out);
	CHECK_STR(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_hmac(void)
{
	char out[TOKEN_HEX_LEN + 1];
	unsigned char key[131];

	/* RFC 4231 test case 2. */
	hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, out);
	CHECK_STR(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* RFC 4231 test case 6: a key longer than the block size. */
	memset(key, 0xaa, sizeof(key));
	const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
	hmac_sha256_hex((const char *)key, sizeof(key), msg, strlen(msg), out);
	CHECK_STR(out, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* Empty key (python hmac.new(b'', b'abc', sha256)). */
	hmac_sha256_hex("", 0, "abc", 3, out);
	CHECK_STR(out, "fd7adb152c05ef80dccf50a1fa4c05d5a3ec6da95575fc312ae7c5d091836351");
	/* Lengths are honoured: embedded NUL and a shorter msglen. */
	char a[TOKEN_HEX_LEN + 1], b[TOKEN_HEX_LEN + 1];
	hmac_sha256_hex("k", 1, "ab\0c", 4, a);
	hmac_sha256_hex("k", 1, "ab", 2, b);
	CHECK(strlen(a) == 64 && strcmp(a, b) != 0);
	hmac_sha256_hex("kx", 1, "abc", 2, a);
	CHECK_STR(a, b);
}

static void test_equal(void)
{
	CHECK_INT(token_equal("abc", "abc"), 1);
	CHECK_INT(token_equal("", ""), 1);
	CHECK_INT(token_equal("abc", "abd"), 0);
	CHECK_INT(token_equal("abc", "xbc"), 0);
	CHECK_INT(token_equal("abc", "ab"), 0);
	CHECK_INT(token_equal("ab", "abc"), 0);
	CHECK_INT(token_equal("", "a"), 0);
	CHECK_INT(token_equal("abc", "ABC"), 0);
	CHECK_INT(token_equal(NULL, "abc"), 0);
	CHECK_INT(token_equal("abc", NULL), 0);
	CHECK_INT(token_equal(NULL, NULL), 0);
	CHECK_INT(token_equal("\xff", "\xff"), 1);
}

static void test_well_formed(void)
{
	const char *good = "AZaz09-_AZaz09-_AZaz09-_AZaz09-_AZaz09-_abc";
	char s[64];

	CHECK_INT(strlen(good), 43);
	CHECK_INT(token_well_formed(good), 1);
	snprintf(s, sizeof(s), "%sd", good);
	CHECK_INT(token_well_formed(s), 0); /* 44 */
	snprintf(s, sizeof(s), "%.42s", good);
	CHECK_INT(token_well_formed(s), 0); /* 42 */
	snprintf(s, sizeof(s), "%s", good);
	s[10] = '+';
	CHECK_INT(token_well_formed(s), 0);
	s[10] = '/';
	CHECK_INT(token_well_formed(s), 0);
	s[10] = '=';
	CHECK_INT(token_well_formed(s), 0);
	s[10] = '\xc3';
	CHECK_INT(token_well_formed(s), 0);
	s[10] = 'A';
	s[42] = ' ';
	CHECK_INT(token_well_formed(s), 0);
	CHECK_INT(token_well_formed(""), 0);
	CHECK_INT(token_well_formed(NULL), 0);
	CHECK_INT(token_well_formed("../../etc/passwd"), 0);
}

static void test_csrf(void)
{
	const char *key = "secret-key-hex", *sess = "session-secret-1";
	char t[TOKEN_HEX_LEN + 1], t2[TOKEN_HEX_LEN + 1];

	csrf_token(key, sess, t);
	/* python: hmac.new(b'secret-key-hex', b'csrf:session-secret-1', sha256) */
	CHECK_STR(t, "503c3f0bbf6f12af6006516f23ab30a63511f11c517b26fcaebf6c0b22ba6067");
	hmac_sha256_hex(key, strlen(key), "csrf:session-secret-1", 21, t2);
	CHECK_STR(t, t2);
	CHECK_INT(csrf_check(key, sess, t), 1);

	/* Tampered, truncated, extended, other session, other key, missing. */
	char bad[TOKEN_HEX_LEN + 2];
	snprintf(bad, sizeof(bad), "%s", t);
	bad[5] = bad[5] == '0' ? '1' : '0';
	CHECK_INT(csrf_check(key, sess, bad), 0);
	snprintf(bad, sizeof(bad), "%.63s", t);
	CHECK_INT(csrf_check(key, sess, bad), 0);
	snprintf(bad, sizeof(bad), "%s0", t);
	CHECK_INT(csrf_check(key, sess, bad), 0);
	CHECK_INT(csrf_check(key, "session-secret-2", t), 0);
	CHECK_INT(csrf_check("other-key", sess, t), 0);
	CHECK_INT(csrf_check(key, sess, NULL), 0);
	CHECK_INT(csrf_check(key, sess, ""), 0);

	/* No session secret or no key: no token, nothing passes. */
	csrf_token(key, "", t2);
	CHECK_STR(t2, "");
	csrf_token(key, NULL, t2);
	CHECK_STR(t2, "");
	csrf_token("", sess, t2);
	CHECK_STR(t2, "");
	CHECK_INT(csrf_check(key, "", ""), 0);
	CHECK_INT(csrf_check(key, NULL, ""), 0);
	CHECK_INT(csrf_check(NULL, sess, t), 0);
}

int main(void)
{
	test_token_new();
	test_sha256();
	test_hmac();
	test_equal();
	test_well_formed();
	test_csrf();
	return CHECK_DONE("token");
}
