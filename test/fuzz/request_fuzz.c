/* request_fuzz.c - libFuzzer target: fuzzed FastCGI params and body through request_parse. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "fuzz_check.h"
#include "request.h"

/*
 * Input: NUL-separated pieces, the values of REQUEST_METHOD, REQUEST_URI, HTTP_HOST,
 * HTTP_COOKIE, CONTENT_TYPE, CONTENT_LENGTH and one raw "NAME=value" param, then the body
 * (everything after the seventh NUL). An empty CONTENT_LENGTH piece means "the body's length"
 * so that most inputs get past that check. A missing piece leaves its param out.
 */
static const char *const names[] = {"REQUEST_METHOD=", "REQUEST_URI=",	"HTTP_HOST=",
				    "HTTP_COOKIE=",    "CONTENT_TYPE=", "CONTENT_LENGTH="};
#define NNAMED (sizeof names / sizeof names[0])
#define NPIECES (NNAMED + 1)

/* Reference for utf8_valid: decode each code point and check its range. */
static int ref_utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], len, cp, min;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			len = 2, cp = c & 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			len = 3, cp = c & 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			len = 4, cp = c & 0x07, min = 0x10000;
		else
			return 0;
		if (n - i < len)
			return 0;
		for (unsigned k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* What request_parse promises about a request it accepted. */
static void check_kv(const struct kv *kv, size_t n, size_t max, int allow_ws)
{
	if (n > max || (n && !kv))
		abort();
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(kv[i].name);
		if (!nl || has_ctl(kv[i].name, nl, 0) || !utf8_valid(kv[i].name, nl))
			abort();
		if (has_ctl(kv[i].value, kv[i].value_len, allow_ws) ||
		    !utf8_valid(kv[i].value, kv[i].value_len) || kv[i].value[kv[i].value_len])
			abort();
	}
}

static void check_request(const struct request *r, const char *body, size_t body_len)
{
	size_t pl = strlen(r->path);

	if (r->path[0] != '/' || has_ctl(r->path, pl, 0) || !utf8_valid(r->path, pl))
		abort();
	if (r->method >= HTTP_METHOD__MAX || !r->method_name[0])
		abort();
	if (r->body_len != body_len || r->content_length != body_len ||
	    (body_len && memcmp(r->body, body, body_len)) || r->body[body_len])
		abort();
	for (const char *h = r->host; *h; h++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789.-[]:", *h))
			abort();
	if (strlen(r->uri) > REQ_MAX_URI)
		abort();
	check_kv(r->query, r->nquery, REQ_MAX_FIELDS, 1);
	check_kv(r->form, r->nform, REQ_MAX_FIELDS, 1);
	check_kv(r->cookies, r->ncookies, REQ_MAX_COOKIES, 0);
	for (size_t i = 0; i < r->nquery; i++)
		if (!request_query(r, r->query[i].name))
			abort();
	for (size_t i = 0; i < r->nform; i++)
		if (!request_form(r, r->form[i].name))
			abort();
	for (size_t i = 0; i < r->ncookies; i++)
		if (!request_cookie(r, r->cookies[i].name))
			abort();
	/* the urlencoded limit; multipart bodies have their own (lib/multipart.h) */
	if (r->method == HTTP_POST && r->nform && r->nfiles == 0 && r->body_len > REQ_MAX_FORM_BODY &&
	    strncasecmp(r->content_type, "multipart/", 10) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *piece[NPIECES] = {0}, *body = NULL;
	size_t plen[NPIECES] = {0}, np = 0, pos = 0, body_len = 0, ne = 0;
	char *env[NPIECES + 4];
	struct arena a, scratch;
	struct request r;
	char err[64];
	int rc;

	while (np < NPIECES && pos <= size) {
		const char *nul = memchr(in + pos, '\0', size - pos);
		size_t len = nul ? (size_t)(nul - (in + pos)) : size - pos;
		piece[np] = in + pos;
		plen[np++] = len;
		pos += len + 1;
		if (!nul)
			break;
	}
	if (pos < size) {
		body = in + pos;
		body_len = size - pos;
	}

	arena_init(&scratch, 0);
	for (size_t i = 0; i < np; i++) {
		if (i == NNAMED - 1 && plen[i] == 0)
			env[ne++] = arena_printf(&scratch, "%s%zu", names[i], body_len);
		else if (i < NNAMED)
			env[ne++] =
			    arena_printf(&scratch, "%s%.*s", names[i], (int)plen[i], piece[i]);
		else
			env[ne++] = arena_strndup(&scratch, piece[i], plen[i]);
		if (!env[ne - 1])
			abort();
	}
	env[ne++] = "REMOTE_ADDR=192.0.2.1";
	env[ne++] = "REQUEST_ID=fuzz";
	env[ne] = NULL;

	/* the parser reads exactly body_len bytes: give it a buffer of that size */
	char *b = body_len ? malloc(body_len) : NULL;
	if (body_len && !b)
		abort();
	if (b)
		memcpy(b, body, body_len);

	arena_init(&a, 4096);
	rc = request_parse(&r, &a, env, b, body_len, err, sizeof err);
	if (rc == 0) {
		if (err[0])
			abort();
		check_request(&r, b, body_len);
		if (request_param(&r, "REQUEST_ID") == NULL)
			abort();
	} else if (rc != 400 && rc != 413 && rc != 414 && rc != 431) {
		abort();
	} else if (!err[0] || strlen(err) >= sizeof err) {
		abort();
	}
	arena_free(&a);

	/* the helpers on their own, over the whole input */
	arena_init(&a, 0);
	size_t dl;
	char *d = url_decode(&a, in, size, size & 1, &dl);
	if (d && (dl > size || d[dl]))
		abort();
	if (utf8_valid(in, size) != ref_utf8_valid(data, size))
		abort();
	arena_free(&a);

	free(b);
	arena_free(&scratch);
	return 0;
}
