/* str.h - string and UTF-8 helpers shared by lib/ and fcgi/ (ASCII case, hex, trimming, UTF-8, URLs). */
#ifndef PORTAL_STR_H
#define PORTAL_STR_H

#include <stddef.h>

/* ASCII only, whatever the locale: bytes >= 0x80 pass unchanged. */
static inline char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* 1 when a and b are equal ignoring ASCII case. */
int ascii_caseeq(const char *a, const char *b);
/* 1 when s starts with the lowercase word lower, ignoring the ASCII case of s. */
int ascii_starts(const char *s, const char *lower);

/* The value 0-15 of a hex digit (either case), or -1. */
int hex_value(int c);
/* n bytes as 2n lowercase hex digits and a NUL into out. */
void hex_encode(const void *in, size_t n, char *out);

/* src (NULL as "") into dst of cap bytes, cut at cap - 1 bytes, NUL-terminated when cap > 0. */
void str_copy(char *dst, size_t cap, const char *src);
/* Narrows [*start, *end) past the bytes of set at both ends (never past a NUL of set). */
void str_trim(const char **start, const char **end, const char *set);

/* 1 when s[0..n) holds a control byte (below 0x20, or 0x7F); \t \r \n pass when allow_ws. */
int has_ctl_bytes(const char *s, size_t n, int allow_ws);

/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
int utf8_valid(const char *s, size_t n);
/* Code points in s[0..n): the bytes that are not continuation bytes. */
size_t utf8_count(const char *s, size_t n);
/* Code points of the NUL-terminated s. */
size_t utf8_length(const char *s);
/* The UTF-8 sequence at s[0..n) (n > 0): its length, and its code point in *cp, or -1 in *cp
 * and length 1 when the bytes there are not a valid sequence. */
size_t utf8_next(const char *s, size_t n, long *cp);

/* 1 when u is an absolute http(s) URL with a host that can go into a Location header or an XML
 * attribute as it is: no spaces, controls, fragment or characters RFC 3986 never allows; UTF-8. */
int http_url_ok(const char *u);

#endif
