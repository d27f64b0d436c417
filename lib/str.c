/* str.c - ASCII case, hex digits, trimming, UTF-8 validity and decoding, http(s) URL checks. */
#include "str.h"

#include <stdio.h>
#include <string.h>

int ascii_caseeq(const char *a, const char *b)
{
	while (*a && ascii_lower(*a) == ascii_lower(*b)) {
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

int ascii_starts(const char *s, const char *lower)
{
	for (; *lower; s++, lower++)
		if (ascii_lower(*s) != *lower)
			return 0;
	return 1;
}

int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void hex_encode(const void *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = in;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void str_copy(char *dst, size_t cap, const char *src)
{
	if (cap)
		snprintf(dst, cap, "%s", src ? src : "");
}

void str_trim(const char **start, const char **end, const char *set)
{
	while (*start < *end && **start && strchr(set, **start))
		(*start)++;
	while (*end > *start && (*end)[-1] && strchr(set, (*end)[-1]))
		(*end)--;
}

int has_ctl_bytes(const char *s, size_t n, int allow_ws)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x7f)
			return 1;
		if (c < 0x20 && !(allow_ws && (c == '\t' || c == '\r' || c == '\n')))
			return 1;
	}
	return 0;
}

/* Length of the valid sequence at p[0..n), or 0. */
static size_t sequence(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c < 0xc2) {
		return 0; /* stray continuation byte or overlong C0/C1 lead */
	} else if (c < 0xe0) {
		need = 1;
	} else if (c < 0xf0) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* UTF-16 surrogates */
	} else if (c < 0xf5) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n <= need || p[1] < lo || p[1] > hi)
		return 0; /* truncated, or out of range */
	for (size_t k = 2; k <= need; k++)
		if (p[k] < 0x80 || p[k] > 0xbf)
			return 0;
	return need + 1;
}

int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0, len; i < n; i += len)
		if ((len = sequence(p + i, n - i)) == 0)
			return 0;
	return 1;
}

size_t utf8_count(const char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += ((unsigned char)s[i] & 0xc0) != 0x80;
	return count;
}

size_t utf8_length(const char *s)
{
	return utf8_count(s, strlen(s));
}

size_t utf8_next(const char *s, size_t n, long *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = sequence(p, n);

	if (len == 0) {
		*cp = -1;
		return 1;
	}
	if (len == 1)
		*cp = p[0];
	else if (len == 2)
		*cp = (long)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	else if (len == 3)
		*cp = (long)(p[0] & 0x0f) << 12 | (long)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	else
		*cp = (long)(p[0] & 0x07) << 18 | (long)(p[1] & 0x3f) << 12 | (long)(p[2] & 0x3f) << 6 |
		      (p[3] & 0x3f);
	return len;
}

int http_url_ok(const char *u)
{
	const char *host = strncmp(u, "https://", 8) == 0 ? u + 8 : strncmp(u, "http://", 7) == 0 ? u + 7 : NULL;
	if (!host || !host[0] || host[0] == '/')
		return 0;
	size_t n = strlen(u);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || u[i] == 0x7f || strchr("#\"<>\\^`{|}", u[i]))
			return 0;
	return utf8_valid(u, n);
}
