/* secretbox_test.c - unit tests of the AES-256-GCM secrets (lib/secretbox): round trip, a fresh
 * nonce each time, the stored form, and refusal of another key or context, a flipped bit, truncation,
 * garbage and outputs too small. */
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "check.h"
#include "secretbox.h"

static const char *KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char *CTX = "inbox_address:7";

static void test_round_trip(void)
{
	char a[256], b[256], plain[128];
	CHECK_INT(secretbox_seal(KEY, CTX, "imap pässword", a, sizeof a), 0);
	CHECK_INT(strlen(a), secretbox_sealed_len(strlen("imap pässword")));
	CHECK_INT(secretbox_open(KEY, CTX, a, plain, sizeof plain), 0);
	CHECK_STR(plain, "imap pässword");
	/* the same secret twice: different nonces, different texts, both open */
	CHECK_INT(secretbox_seal(KEY, CTX, "imap pässword", b, sizeof b), 0);
	CHECK(strcmp(a, b) != 0);
	CHECK_INT(secretbox_open(KEY, CTX, b, plain, sizeof plain), 0);
	CHECK_STR(plain, "imap pässword");
	/* the stored form: base64 of nonce | tag | ciphertext, the ciphertext as long as the text */
	unsigned char raw[256];
	size_t n = 0;
	CHECK_INT(base64_decode(a, strlen(a), raw, sizeof raw, &n, 0), 0);
	CHECK_INT(n, SECRETBOX_NONCE + SECRETBOX_TAG + strlen("imap pässword"));
	CHECK(memmem(raw, n, "pässword", strlen("pässword")) == NULL);
	/* empty secret */
	CHECK_INT(secretbox_seal(KEY, CTX, "", a, sizeof a), 0);
	CHECK_INT(secretbox_open(KEY, CTX, a, plain, sizeof plain), 0);
	CHECK_STR(plain, "");
}

static void test_refusals(void)
{
	char a[256], plain[128], bad[256];
	CHECK_INT(secretbox_seal(KEY, CTX, "s3cret", a, sizeof a), 0);
	/* another key */
	strcpy(plain, "x");
	CHECK_INT(secretbox_open("fedcba", CTX, a, plain, sizeof plain), -1);
	CHECK_STR(plain, "");
	/* another context: a sealed value copied to another row does not open there */
	strcpy(plain, "x");
	CHECK_INT(secretbox_open(KEY, "inbox_address:8", a, plain, sizeof plain), -1);
	CHECK_STR(plain, "");
	CHECK_INT(secretbox_open(KEY, CTX, a, plain, sizeof plain), 0);
	CHECK_STR(plain, "s3cret");
	/* a flipped bit anywhere: nonce, tag, ciphertext */
	unsigned char raw[256];
	size_t n = 0;
	CHECK_INT(base64_decode(a, strlen(a), raw, sizeof raw, &n, 0), 0);
	int refused = 0;
	for (size_t i = 0; i < n; i++) {
		raw[i] ^= 0x01;
		base64_encode(raw, n, bad, 0);
		refused += secretbox_open(KEY, CTX, bad, plain, sizeof plain) == -1;
		raw[i] ^= 0x01;
	}
	CHECK_INT(refused, n);
	/* truncated, garbage, empty */
	base64_encode(raw, n - 1, bad, 0);
	CHECK_INT(secretbox_open(KEY, CTX, bad, plain, sizeof plain), -1);
	base64_encode(raw, SECRETBOX_NONCE + SECRETBOX_TAG - 1, bad, 0);
	CHECK_INT(secretbox_open(KEY, CTX, bad, plain, sizeof plain), -1);
	CHECK_INT(secretbox_open(KEY, CTX, "not base64!", plain, sizeof plain), -1);
	CHECK_INT(secretbox_open(KEY, CTX, "", plain, sizeof plain), -1);
	/* output too small: 6 bytes need 7 */
	CHECK_INT(secretbox_open(KEY, CTX, a, plain, 6), -1);
	CHECK_INT(secretbox_open(KEY, CTX, a, plain, 7), 0);
	CHECK_STR(plain, "s3cret");
	/* sealing: output too small, text too long */
	CHECK_INT(secretbox_seal(KEY, CTX, "s3cret", a, secretbox_sealed_len(6)), -1);
	CHECK_INT(secretbox_seal(KEY, CTX, "s3cret", a, secretbox_sealed_len(6) + 1), 0);
	static char big[SECRETBOX_MAX + 2], out[2048];
	memset(big, 'a', SECRETBOX_MAX + 1);
	CHECK_INT(secretbox_seal(KEY, CTX, big, out, sizeof out), -1);
	big[SECRETBOX_MAX] = '\0';
	CHECK_INT(secretbox_seal(KEY, CTX, big, out, sizeof out), 0);
	static char back[SECRETBOX_MAX + 1];
	CHECK_INT(secretbox_open(KEY, CTX, out, back, sizeof back), 0);
	CHECK_INT(strlen(back), SECRETBOX_MAX);
}

int main(void)
{
	test_round_trip();
	test_refusals();
	return CHECK_DONE("secretbox");
}
