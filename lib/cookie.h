/* cookie.h - Set-Cookie header values; names, values and paths that could break them are refused.
 */
#ifndef PORTAL_COOKIE_H
#define PORTAL_COOKIE_H

#include "buf.h"

#define COOKIE_SESSION (-1L) /* max_age: no Max-Age, the cookie dies with the browser session */
#define COOKIE_DELETE 0L     /* max_age: Max-Age=0 plus an Expires in 1970 */
#define COOKIE_MAX_NAME_VALUE 4096 /* browsers' limit on name + value */

/*
 * Appends to out the VALUE of one Set-Cookie header (not the "Set-Cookie:" name), in this order:
 *   name=value[; Path=path][; Max-Age=N][; Expires=Thu, 01 Jan 1970 00:00:00 GMT]
 *   [; HttpOnly][; SameSite=same_site][; Secure]
 * e.g. "sid=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure".
 * max_age: seconds > 0, COOKIE_SESSION (-1) for a session cookie, COOKIE_DELETE (0) to delete
 * (Max-Age=0 and the Expires above; pass value "" and the cookie's own path).
 * path and same_site may be NULL (attribute left out); same_site is "Lax", "Strict" or "None".
 *
 * Returns 0, or -1 and appends nothing when: name is not an RFC 6265 token (non-empty, no
 * controls, space, non-ASCII or separators ()<>@,;:\"/[]?={}); value (may be "") has a byte
 * outside cookie-octet (no controls, space, DQUOTE, comma, semicolon, backslash, non-ASCII);
 * name + value exceed COOKIE_MAX_NAME_VALUE; path holds ';', a control or non-ASCII byte;
 * max_age < -1; same_site is another word, or "None" without secure; a "__Secure-" name without
 * secure, or a "__Host-" name without secure and path "/". Also -1 when out ran out of memory.
 */
int cookie_set(struct buf *out, const char *name, const char *value, long max_age, const char *path,
	       int secure, int http_only, const char *same_site);

#endif
