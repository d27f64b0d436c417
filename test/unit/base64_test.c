/* base64_test.c - unit tests of lib/base64: RFC 4648 vectors, both alphabets, strict decoding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "check.h"

#define URL_NOPAD (BASE64_URL | BASE64_NOPAD)

/* The encoding of s as a static string (tests only). */
static const char *enc(const char *s, int flags)
{
	static char out[256];
	size_t n = strlen(s), k = base64_encode(s, n, out, flags);
	CHECK_INT(k, base64_encoded_len(n, flags));
	CHECK_INT(strlen(out), k);
	return out;
}

/* The decoding of s as a NUL-terminated static string, or "(refused)". */
static const char *dec(const char *s, int flags)
{
	static char out[256];
	size_t len = 12345;
	if (base64_decode(s, strlen(s), (unsigned char *)out, sizeof out - 1, &len, flags) < 0)
		return "(refused)";
	CHECK(len <= base64_decoded_max(strlen(s)));
	out[len] = '\0';
	return out;
}

static void test_rfc4648_vectors(void)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const padded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	static const char *const bare[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};

	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		CHECK_STR(enc(plain[i], 0), padded[i]);
		CHECK_STR(enc(plain[i], URL_NOPAD), bare[i]);
		CHECK_STR(dec(padded[i], 0), plain[i]);
		CHECK_STR(dec(bare[i], URL_NOPAD), plain[i]);
		CHECK_STR(dec(padded[i], BASE64_SPACE), plain[i]);
	}
}

static void test_alphabets(void)
{
	static const unsigned char hi[] = {0xfb, 0xff, 0xbf};
	char out[8];

	base64_encode(hi, 3, out, 0);
	CHECK_STR(out, "+/+/");
	base64_encode(hi, 3, out, BASE64_URL);
	CHECK_STR(out, "-_-_");
	base64_encode(hi, 1, out, BASE64_URL);
	CHECK_STR(out, "-w==");
	CHECK_STR(dec("-_-_", URL_NOPAD), (const char *)"\xfb\xff\xbf");
	CHECK_STR(dec("+/+/", 0), (const char *)"\xfb\xff\xbf");
	/* each alphabet refuses the other's two characters */
	CHECK_STR(dec("-_-_", 0), "(refused)");
	CHECK_STR(dec("+/+/", URL_NOPAD), "(refused)");

	CHECK_INT(base64_span("ab+/cd-_", 0), 6);
	CHECK_INT(base64_span("ab-_cd+/", BASE64_URL), 6);
	CHECK_INT(base64_span("Zm9v=", 0), 4);
	CHECK_INT(base64_span("", 0), 0);
}

static void test_malformed(void)
{
	/* padding: required, at most two, only at the end, matching the length */
	CHECK_STR(dec("Zg", 0), "(refused)");
	CHECK_STR(dec("Zg=", 0), "(refused)");
	CHECK_STR(dec("Zg===", 0), "(refused)");
	CHECK_STR(dec("Zm8==", 0), "(refused)");
	CHECK_STR(dec("Zg==Zg==", 0), "(refused)");
	CHECK_STR(dec("=", 0), "(refused)");
	CHECK_STR(dec("====", 0), "(refused)");
	CHECK_STR(dec("Z===", 0), "(refused)");
	CHECK_STR(dec("Zg==", URL_NOPAD), "(refused)");
	/* a length of 1 mod 4 never decodes */
	CHECK_STR(dec("Zm9vY", URL_NOPAD), "(refused)");
	CHECK_STR(dec("Z", URL_NOPAD), "(refused)");
	/* unused low bits must be zero: one spelling per byte string */
	CHECK_STR(dec("Zh==", 0), "(refused)");
	CHECK_STR(dec("Zh", URL_NOPAD), "(refused)");
	CHECK_STR(dec("Zm9=", 0), "(refused)");
	CHECK_STR(dec("Zm9", URL_NOPAD), "(refused)");
	/* bytes outside the alphabet, white space without BASE64_SPACE, a NUL */
	CHECK_STR(dec("Zm9v!", 0), "(refused)");
	CHECK_STR(dec("Zm 9v", 0), "(refused)");
	CHECK_STR(dec("Zm\x80v", 0), "(refused)");
	size_t len;
	unsigned char out[8];
	CHECK_INT(base64_decode("Zm\0v", 4, out, sizeof out, &len, 0), -1);
}

static void test_white_space(void)
{
	CHECK_STR(dec(" Zm9v\r\nYmFy\t", BASE64_SPACE), "foobar");
	CHECK_STR(dec("Zm9vYg\n==\n", BASE64_SPACE), "foob");
	CHECK_STR(dec("Zm9vYg=\v=", BASE64_SPACE), "foob");
	CHECK_STR(dec("Zm9vYg== Zg==", BASE64_SPACE), "(refused)");
	CHECK_STR(dec(" \n ", BASE64_SPACE), "");
}

static void test_capacity(void)
{
	unsigned char out[5], six[6];
	size_t len = 0;
	CHECK_INT(base64_decode("Zm9vYmFy", 8, out, 5, &len, 0), -1); /* needs 6 */
	CHECK_INT(base64_decode("Zm9vYmFy", 8, six, 6, &len, 0), 0);
	CHECK_INT(len, 6);
	CHECK_INT(base64_decode("Zm9vYg==", 8, out, 4, &len, 0), 0);
	CHECK_INT(len, 4);
	CHECK_INT(base64_decode("Zm9vYmE=", 8, out, 4, &len, 0), -1);
	CHECK_INT(base64_decode("", 0, NULL, 0, &len, 0), 0);
	CHECK_INT(len, 0);
	CHECK_INT(base64_decoded_max(8), 6);
	CHECK_INT(base64_decoded_max(7), 5);
	CHECK_INT(base64_decoded_max(6), 4);
	CHECK_INT(base64_decoded_max(5), 3);
}

/* Every length and byte round-trips, into a buf as well. */
static void test_round_trip(void)
{
	unsigned char in[300], back[300];
	int ok = 1;
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (unsigned char)(i * 7 + 3);
	for (size_t n = 0; n <= sizeof in; n++) {
		for (int flags = 0; flags <= URL_NOPAD; flags++) {
			struct buf b = BUF_INIT;
			size_t len = 0;
			buf_base64(&b, in, n, flags);
			buf_base64(&b, "", 0, flags);
			ok &= !b.oom && b.len == base64_encoded_len(n, flags);
			ok &= base64_decode(b.data ? b.data : "", b.len, back, sizeof back, &len, flags) == 0;
			ok &= len == n && memcmp(in, back, n) == 0;
			buf_free(&b);
		}
	}
	CHECK(ok);
}

int main(void)
{
	test_rfc4648_vectors();
	test_alphabets();
	test_malformed();
	test_white_space();
	test_capacity();
	test_round_trip();
	return CHECK_DONE("base64");
}
