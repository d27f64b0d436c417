/* str_test.c - unit tests of lib/str: ASCII case, hex, copying, trimming, control bytes, UTF-8. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "str.h"

static void test_case(void)
{
	CHECK_INT(ascii_lower('A'), 'a');
	CHECK_INT(ascii_lower('z'), 'z');
	CHECK_INT(ascii_lower('@'), '@');
	CHECK_INT(ascii_lower('['), '[');
	CHECK_INT(ascii_lower((char)0xc3), (char)0xc3); /* bytes of UTF-8 pass unchanged */

	CHECK(ascii_caseeq("HTTPS", "https"));
	CHECK(ascii_caseeq("", ""));
	CHECK(ascii_caseeq("Content-Type", "content-TYPE"));
	CHECK(!ascii_caseeq("on", "one"));
	CHECK(!ascii_caseeq("one", "on"));
	CHECK(!ascii_caseeq("\xc3\x89", "\xc3\xa9")); /* É and é differ: ASCII only */

	CHECK(ascii_starts("Application/JSON; charset=utf-8", "application/json"));
	CHECK(ascii_starts("abc", ""));
	CHECK(ascii_starts("abc", "abc"));
	CHECK(!ascii_starts("ab", "abc"));
	CHECK(!ascii_starts("xabc", "abc"));
}

static void test_hex(void)
{
	CHECK_INT(hex_value('0'), 0);
	CHECK_INT(hex_value('9'), 9);
	CHECK_INT(hex_value('a'), 10);
	CHECK_INT(hex_value('F'), 15);
	CHECK_INT(hex_value('g'), -1);
	CHECK_INT(hex_value('G'), -1);
	CHECK_INT(hex_value('/'), -1);
	CHECK_INT(hex_value(0), -1);
	CHECK_INT(hex_value(0xff), -1);

	char out[16] = "untouched";
	hex_encode("\x00\x01\xab\xff", 4, out);
	CHECK_STR(out, "0001abff");
	hex_encode("", 0, out);
	CHECK_STR(out, "");
}

static void test_copy(void)
{
	char small[4] = "xyz", big[16];
	str_copy(small, sizeof small, "abcdef");
	CHECK_STR(small, "abc");
	str_copy(big, sizeof big, NULL);
	CHECK_STR(big, "");
	str_copy(big, sizeof big, "whole");
	CHECK_STR(big, "whole");
	str_copy(small, 0, "ignored"); /* no room: nothing written */
	CHECK_STR(small, "abc");
}

/* str_trim over s with set, as a string. */
static const char *trimmed(const char *s, const char *set)
{
	static char out[64];
	const char *b = s, *e = s + strlen(s);
	str_trim(&b, &e, set);
	snprintf(out, sizeof out, "%.*s", (int)(e - b), b);
	return out;
}

static void test_trim(void)
{
	CHECK_STR(trimmed("  a b \t", " \t"), "a b");
	CHECK_STR(trimmed("\r\n x \r\n", " \t\r\n"), "x");
	CHECK_STR(trimmed("\r\n x \r\n", " \t"), "\r\n x \r\n");
	CHECK_STR(trimmed("    ", " "), "");
	CHECK_STR(trimmed("", " "), "");
	CHECK_STR(trimmed("abc", ""), "abc");

	/* a span inside a longer string, never walked past its ends */
	const char *s = " ;  key = value ; ", *b = s + 2, *e = s + 8;
	str_trim(&b, &e, " ");
	CHECK_INT(b - s, 4);
	CHECK_INT(e - s, 7);
}

static void test_ctl_bytes(void)
{
	CHECK(!has_ctl_bytes("plain text", 10, 0));
	CHECK(has_ctl_bytes("a\tb", 3, 0));
	CHECK(!has_ctl_bytes("a\tb\r\n", 5, 1));
	CHECK(has_ctl_bytes("a\x01", 2, 1));
	CHECK(has_ctl_bytes("a\x7f", 2, 1));
	CHECK(has_ctl_bytes("a\0b", 3, 1));
	CHECK(!has_ctl_bytes("\xc3\xa9\x80", 3, 0)); /* high bytes are not control bytes */
	CHECK(!has_ctl_bytes("", 0, 0));
}

/* The code points utf8_next reads from s[0..n), written to cps; returns how many. */
static size_t decode_all(const char *s, size_t n, long *cps)
{
	size_t k = 0;
	for (size_t i = 0; i < n; k++)
		i += utf8_next(s + i, n - i, &cps[k]);
	return k;
}

static void test_utf8(void)
{
	long cp[16];

	CHECK_INT(utf8_length(""), 0);
	CHECK_INT(utf8_length("abc"), 3);
	CHECK_INT(utf8_length("\xc3\xa9t\xc3\xa9"), 3);			/* été */
	CHECK_INT(utf8_length("\xf0\x9f\x98\x80!"), 2);			/* U+1F600 ! */
	CHECK_INT(utf8_count("\xe2\x82\xac\xe2\x82\xac", 3), 1);	/* the first € only */
	CHECK_INT(utf8_count("\x80\x80", 2), 0);			/* continuation bytes alone */

	CHECK_INT(decode_all("a\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf", 10, cp), 4);
	CHECK_INT(cp[0], 'a');
	CHECK_INT(cp[1], 0xe9);
	CHECK_INT(cp[2], 0x20ac);
	CHECK_INT(cp[3], 0x10ffff);

	/* invalid bytes come one at a time as -1, the valid text around them intact */
	CHECK_INT(decode_all("\xc3" "A\xed\xa0\x80\xe2\x82", 7, cp), 7);
	CHECK_INT(cp[0], -1);
	CHECK_INT(cp[1], 'A');
	CHECK_INT(cp[2], -1); /* a surrogate's three bytes */
	CHECK_INT(cp[3], -1);
	CHECK_INT(cp[4], -1);
	CHECK_INT(cp[5], -1); /* a truncated € */
	CHECK_INT(cp[6], -1);
	CHECK_INT(decode_all("\xc0\xaf\xf5\x80", 4, cp), 4); /* overlong, beyond U+10FFFF */
	CHECK_INT(cp[0] + cp[1] + cp[2] + cp[3], -4);

	CHECK(utf8_valid("\xc3\xa9t\xc3\xa9", 5));
	CHECK(!utf8_valid("\xc3\xa9t\xc3", 4));
	CHECK(!utf8_valid("\xed\xa0\x80", 3));
}

static void test_http_url(void)
{
	CHECK(http_url_ok("https://idp.example.test/sso?x=1&y=%20"));
	CHECK(http_url_ok("http://h\xc3\xa9.example/"));
	CHECK(!http_url_ok("HTTPS://idp.example.test/"));
	CHECK(!http_url_ok("https://idp.example.test/{x}"));
	CHECK(!http_url_ok("https://idp.example.test/\x7f"));
	CHECK(!http_url_ok("https://h\xc3.example/"));
	CHECK(!http_url_ok(""));
}

int main(void)
{
	test_case();
	test_hex();
	test_copy();
	test_trim();
	test_ctl_bytes();
	test_utf8();
	test_http_url();
	return CHECK_DONE("str");
}
