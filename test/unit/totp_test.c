/* totp_test.c - RFC 4226 / RFC 6238 vectors, base32, replay and window rules, the otpauth URI, the QR SVG. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "qr.h"
#include "totp.h"

static const char *RFC_KEY = "12345678901234567890";
static const char *RFC_B32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

static void test_hotp_vectors(void)
{
	static const char *want[] = {"755224", "287082", "359152", "969429", "338314",
				     "254676", "287922", "162583", "399871", "520489"};
	for (unsigned i = 0; i < 10; i++) {
		char out[7];
		CHECK_INT(totp_hotp((const unsigned char *)RFC_KEY, 20, i, out), 0);
		CHECK_STR(out, want[i]);
	}
}

static void test_base32(void)
{
	char enc[64];
	CHECK_INT(totp_base32_encode((const unsigned char *)RFC_KEY, 20, enc, sizeof enc), 0);
	CHECK_STR(enc, RFC_B32);
	unsigned char dec[32];
	CHECK_INT(totp_base32_decode("gezd gnbv-gy3tqojqgezdgnbvgy3tqojq", dec, sizeof dec), 20);
	CHECK(memcmp(dec, RFC_KEY, 20) == 0);
	CHECK_INT(totp_base32_decode("GEZ1", dec, sizeof dec), -1); /* 1 is not base32 */
	CHECK_INT(totp_base32_decode(RFC_B32, dec, 10), -1);       /* too long for cap */
	CHECK_INT(totp_base32_decode("MZXW6===", dec, sizeof dec), 3);
	CHECK(memcmp(dec, "foo", 3) == 0);
	CHECK_INT(totp_base32_decode("MZ=XW6", dec, sizeof dec), -1);
	CHECK_INT(totp_base32_encode((const unsigned char *)"foo", 3, enc, 5), -1);
	char s1[33], s2[33];
	CHECK_INT(totp_secret_new(s1), 0);
	CHECK_INT(totp_secret_new(s2), 0);
	CHECK_INT(strlen(s1), 32);
	CHECK(strcmp(s1, s2) != 0);
	CHECK_INT(totp_base32_decode(s1, dec, sizeof dec), 20);
}

static void test_totp_vectors(void)
{
	/* RFC 6238 appendix B (SHA-1), last six of its eight digits */
	static const struct {
		long long t;
		const char *code;
	} v[] = {{59, "287082"},         {1111111109, "081804"}, {1111111111, "050471"},
		 {1234567890, "005924"}, {2000000000, "279037"}, {20000000000LL, "353130"}};
	for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++)
		CHECK_INT(totp_verify(RFC_B32, v[i].code, v[i].t, 0, 0), v[i].t / 30);
}

static void test_verify_rules(void)
{
	long long t = 1234567890, step = t / 30;
	CHECK_INT(totp_verify(RFC_B32, "005 924", t, 1, 0), step);          /* spaces ignored */
	CHECK_INT(totp_verify(RFC_B32, "005924", t + 30, 1, 0), step);      /* one step late: drift */
	CHECK_INT(totp_verify(RFC_B32, "005924", t - 30, 1, 0), step);      /* one step early */
	CHECK_INT(totp_verify(RFC_B32, "005924", t + 90, 1, 0), 0);         /* too late */
	CHECK_INT(totp_verify(RFC_B32, "005924", t, 1, step), 0);           /* used: never twice */
	CHECK_INT(totp_verify(RFC_B32, "005924", t, 1, step + 1), 0);       /* older than the last */
	CHECK_INT(totp_verify(RFC_B32, "005925", t, 1, 0), 0);
	CHECK_INT(totp_verify(RFC_B32, "00592", t, 1, 0), 0);
	CHECK_INT(totp_verify(RFC_B32, "0059245", t, 1, 0), 0);
	CHECK_INT(totp_verify(RFC_B32, "00592a", t, 1, 0), 0);
	CHECK_INT(totp_verify(RFC_B32, "", t, 1, 0), 0);
	CHECK_INT(totp_verify(RFC_B32, NULL, t, 1, 0), 0);
	CHECK_INT(totp_verify("!!", "005924", t, 1, 0), -1);
	CHECK_INT(totp_verify("", "005924", t, 1, 0), -1);
}

static void test_uri(void)
{
	char out[512];
	CHECK(totp_uri("Acme Support", "ann@example.com", RFC_B32, out, sizeof out) > 0);
	CHECK_STR(out, "otpauth://totp/Acme%20Support%3Aann@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
		       "&issuer=Acme%20Support&algorithm=SHA1&digits=6&period=30");
	CHECK_INT(totp_uri("A&B?", "x", RFC_B32, out, sizeof out) > 0, 1);
	CHECK(strstr(out, "A%26B%3F%3Ax?") != NULL);
	CHECK_INT(totp_uri("Acme", "ann@example.com", RFC_B32, out, 40), -1);
}

static void test_qr(void)
{
	struct buf b;
	buf_init(&b);
	CHECK_INT(qr_svg("otpauth://totp/A%3Ab?secret=GEZDGNBV", "QR <code>", 4, &b), 0);
	CHECK(strncmp(b.data, "<svg ", 5) == 0);
	CHECK(strstr(b.data, "aria-label=\"QR &lt;code&gt;\"") != NULL);
	CHECK(strstr(b.data, "M4 4h1v1h-1z") != NULL); /* a finder pattern's corner module */
	CHECK(strcmp(b.data + b.len - 6, "</svg>") == 0);
	buf_free(&b);
}

int main(void)
{
	test_hotp_vectors();
	test_base32();
	test_totp_vectors();
	test_verify_rules();
	test_uri();
	test_qr();
	return CHECK_DONE("totp");
}
