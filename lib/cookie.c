/* cookie.c - Set-Cookie header values; names, values and paths that could break them are refused.
 */
#include "cookie.h"

#include <string.h>

/* RFC 6265 cookie-name = RFC 2616 token: CHAR except CTLs and separators. */
static int name_ok(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", c))
			return 0;
	}
	return 1;
}

/* cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E */
static int value_ok(const char *s)
{
	if (!s)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == ';' || c == '\\')
			return 0;
	}
	return 1;
}

/* path-value = any CHAR except CTLs or ";" */
static int path_ok(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f || c == ';')
			return 0;
	}
	return 1;
}

/* Does s start with prefix, ASCII case-insensitively (browsers match the prefixes so)? */
static int has_prefix_ci(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++) {
		int a = (unsigned char)*s, b = (unsigned char)*prefix;
		if (a >= 'A' && a <= 'Z')
			a += 'a' - 'A';
		if (b >= 'A' && b <= 'Z')
			b += 'a' - 'A';
		if (a != b)
			return 0;
	}
	return 1;
}

int cookie_set(struct buf *out, const char *name, const char *value, long max_age, const char *path,
	       int secure, int http_only, const char *same_site)
{
	if (!out || !name_ok(name) || !value_ok(value) || (path && !path_ok(path)) || max_age < -1)
		return -1;
	if (strlen(name) + strlen(value) > COOKIE_MAX_NAME_VALUE)
		return -1;
	if (same_site && strcmp(same_site, "Lax") != 0 && strcmp(same_site, "Strict") != 0 &&
	    strcmp(same_site, "None") != 0)
		return -1;
	if (same_site && strcmp(same_site, "None") == 0 && !secure)
		return -1;
	if (has_prefix_ci(name, "__Secure-") && !secure)
		return -1;
	if (has_prefix_ci(name, "__Host-") && (!secure || !path || strcmp(path, "/") != 0))
		return -1;

	buf_puts(out, name);
	buf_putc(out, '=');
	buf_puts(out, value);
	if (path)
		buf_printf(out, "; Path=%s", path);
	if (max_age == 0)
		buf_puts(out, "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
	else if (max_age > 0)
		buf_printf(out, "; Max-Age=%ld", max_age);
	if (http_only)
		buf_puts(out, "; HttpOnly");
	if (same_site)
		buf_printf(out, "; SameSite=%s", same_site);
	if (secure)
		buf_puts(out, "; Secure");
	return out->oom ? -1 : 0;
}
