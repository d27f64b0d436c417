/* request.c - parse FastCGI params, query string, form bodies and cookies; refuse bad input. */
#include "request.h"

#include <stdio.h>
#include <string.h>

#include "multipart.h"

#define REQ_MAX_METHOD 16
#define REQ_MAX_REQUEST_ID 64
#define REQ_MAX_CONTENT_LENGTH_DIGITS 10

struct perr {
	char *buf;
	size_t len;
};

static int fail(struct perr *e, int status, const char *why, const char *where)
{
	if (e->buf && e->len) {
		if (where)
			snprintf(e->buf, e->len, "%s in %s", why, where);
		else
			snprintf(e->buf, e->len, "%s", why);
	}
	return status;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decode src[0..n) into dst (room for n bytes plus NUL). -1 on a broken escape. */
static int decode_into(char *dst, const char *src, size_t n, int plus_space, size_t *out_len)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = src[i];
		if (c == '%') {
			int hi, lo;
			if (n - i < 3)
				return -1;
			hi = hex_value((unsigned char)src[i + 1]);
			lo = hex_value((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			dst[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_space) {
			dst[o++] = ' ';
		} else {
			dst[o++] = c;
		}
	}
	dst[o] = '\0';
	*out_len = o;
	return 0;
}

char *url_decode(struct arena *a, const char *src, size_t n, int plus_space, size_t *out_len)
{
	size_t len;
	char *dst;

	if (n == (size_t)-1)
		return NULL;
	dst = arena_alloc(a, n + 1);
	if (!dst)
		return NULL;
	if (decode_into(dst, src, n, plus_space, &len) < 0)
		return NULL;
	if (out_len)
		*out_len = len;
	return dst;
}

static const char *env_get(char **envp, const char *name)
{
	size_t n = strlen(name);

	if (!envp)
		return NULL;
	for (char **e = envp; *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* Any HTTP_* param (and CONTENT_TYPE, which is a header too) over REQ_MAX_HEADER. */
static int headers_too_large(char **envp)
{
	if (!envp)
		return 0;
	for (char **e = envp; *e; e++) {
		const char *eq;
		if (strncmp(*e, "HTTP_", 5) != 0 && strncmp(*e, "CONTENT_TYPE=", 13) != 0)
			continue;
		eq = strchr(*e, '=');
		if (eq && strlen(eq + 1) > REQ_MAX_HEADER)
			return 1;
	}
	return 0;
}

static int parse_method(struct request *r, const char *m)
{
	size_t n;

	if (!m || !*m)
		return -1;
	for (n = 0; m[n]; n++)
		if (n >= REQ_MAX_METHOD || m[n] < 'A' || m[n] > 'Z')
			return -1;
	r->method_name = m;
	if (strcmp(m, "GET") == 0)
		r->method = HTTP_GET;
	else if (strcmp(m, "HEAD") == 0)
		r->method = HTTP_HEAD;
	else if (strcmp(m, "POST") == 0)
		r->method = HTTP_POST;
	else if (strcmp(m, "PATCH") == 0)
		r->method = HTTP_PATCH;
	else if (strcmp(m, "DELETE") == 0)
		r->method = HTTP_DELETE;
	else
		r->method = HTTP_OTHER;
	return 0;
}

/* Absent or "" is 0; otherwise 1..10 plain decimal digits. -1 when malformed. */
static int parse_content_length(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t n;

	*out = 0;
	if (!s || !*s)
		return 0;
	for (n = 0; s[n]; n++) {
		if (n >= REQ_MAX_CONTENT_LENGTH_DIGITS || !is_digit(s[n]))
			return -1;
		v = v * 10 + (unsigned)(s[n] - '0');
	}
	*out = v;
	return 0;
}

/* Lowercase, drop the port; [a-z0-9.-] names or a bracketed IPv6 literal. NULL when bad. */
static const char *parse_host(struct arena *a, const char *h, int *oom)
{
	size_t n = strlen(h), end, i;
	char *out;

	if (n == 0)
		return "";
	if (h[0] == '[') {
		const char *close = strchr(h, ']');
		if (!close || close == h + 1)
			return NULL;
		end = (size_t)(close - h) + 1;
		for (i = 1; i < end - 1; i++)
			if (hex_value((unsigned char)h[i]) < 0 && h[i] != ':' && h[i] != '.')
				return NULL;
	} else {
		for (end = 0; end < n && h[end] != ':'; end++) {
			char c = ascii_lower(h[end]);
			if (!(c >= 'a' && c <= 'z') && !is_digit(c) && c != '.' && c != '-')
				return NULL;
		}
		if (end == 0)
			return NULL;
	}
	if (end < n) {
		/* ":port", digits only (may be empty per RFC 3986) */
		if (h[end] != ':' || n - end - 1 > 5)
			return NULL;
		for (i = end + 1; i < n; i++)
			if (!is_digit(h[i]))
				return NULL;
	}
	out = arena_alloc(a, end + 1);
	if (!out) {
		*oom = 1;
		return NULL;
	}
	for (i = 0; i < end; i++)
		out[i] = ascii_lower(h[i]);
	out[end] = '\0';
	return out;
}

static int is_urlencoded(const char *ct)
{
	static const char t[] = "application/x-www-form-urlencoded";

	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (!ascii_starts(ct, t))
		return 0;
	ct += sizeof t - 1;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

static const char *valid_request_id(const char *id)
{
	size_t n;

	if (!id || !*id)
		return NULL;
	for (n = 0; id[n]; n++) {
		char c = id[n];
		if (n >= REQ_MAX_REQUEST_ID)
			return NULL;
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !is_digit(c) &&
		    c != '-' && c != '_' && c != '.')
			return NULL;
	}
	return id;
}

/*
 * Split s[0..n) at '&' into name=value fields ('+' is space, strict %XX). All decoded
 * strings go into one arena buffer: "name=value" decodes to at most as many bytes plus one
 * NUL ("name" alone to name, NUL, with value pointing at that NUL), so n + 1 bytes hold all.
 */
static int parse_fields(struct arena *a, const char *s, size_t n, struct kv **out, size_t *nout,
			const char *where, struct perr *e)
{
	size_t pieces = 1, cap, count = 0, pos = 0;
	char *buf;
	struct kv *kv;

	*out = NULL;
	*nout = 0;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '&')
			pieces++;
	cap = pieces < REQ_MAX_FIELDS ? pieces : REQ_MAX_FIELDS;
	kv = arena_alloc(a, cap * sizeof *kv);
	buf = arena_alloc(a, n + 1);
	if (!kv || !buf)
		return fail(e, 500, "out of memory", NULL);

	for (size_t i = 0; i < n;) {
		const char *p = s + i, *amp = memchr(p, '&', n - i), *eq;
		size_t plen = amp ? (size_t)(amp - p) : n - i, nraw, nlen, vlen;
		char *name, *value;

		i += plen + 1;
		if (plen == 0)
			continue;
		eq = memchr(p, '=', plen);
		nraw = eq ? (size_t)(eq - p) : plen;

		name = buf + pos;
		if (decode_into(name, p, nraw, 1, &nlen) < 0)
			return fail(e, 400, "bad percent-encoding", where);
		if (eq) {
			value = name + nlen + 1;
			if (decode_into(value, eq + 1, plen - nraw - 1, 1, &vlen) < 0)
				return fail(e, 400, "bad percent-encoding", where);
		} else {
			value = name + nlen; /* the name's NUL: "" */
			vlen = 0;
		}

		if (nlen > REQ_MAX_FIELD_NAME)
			return fail(e, 400, "field name too long", where);
		if (vlen > REQ_MAX_FIELD_VALUE)
			return fail(e, 400, "field value too long", where);
		if (has_ctl_bytes(name, nlen, 0))
			return fail(e, 400, "control byte in field name", where);
		if (has_ctl_bytes(value, vlen, 1))
			return fail(e, 400, "control byte in field value", where);
		if (!utf8_valid(name, nlen) || !utf8_valid(value, vlen))
			return fail(e, 400, "invalid UTF-8", where);
		if (nlen == 0)
			continue; /* "=x": nothing to look up by; its bytes get reused */
		if (count == REQ_MAX_FIELDS)
			return fail(e, 400, "too many fields", where);
		pos = (size_t)(value + vlen + 1 - buf);
		kv[count].name = name;
		kv[count].value = value;
		kv[count].value_len = vlen;
		count++;
	}
	*out = kv;
	*nout = count;
	return 0;
}

/* RFC 6265 section 5.4, leniently: "a=b; c=d", no percent-decoding, quotes stripped. */
static int parse_cookies(struct arena *a, const char *s, struct kv **out, size_t *nout,
			 struct perr *e)
{
	size_t n = strlen(s), pieces = 1, cap, count = 0;
	struct kv *kv;

	*out = NULL;
	*nout = 0;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ';')
			pieces++;
	cap = pieces < REQ_MAX_COOKIES ? pieces : REQ_MAX_COOKIES;
	kv = arena_alloc(a, cap * sizeof *kv);
	if (!kv)
		return fail(e, 500, "out of memory", NULL);

	for (size_t i = 0; i < n;) {
		const char *p = s + i, *semi = memchr(p, ';', n - i), *eq, *nb, *ne, *vb, *ve;
		size_t plen = semi ? (size_t)(semi - p) : n - i;
		char *name, *value;

		i += plen + 1;
		eq = memchr(p, '=', plen);
		if (!eq)
			continue; /* empty pair or no '=' */
		nb = p;
		ne = eq;
		vb = eq + 1;
		ve = p + plen;
		str_trim(&nb, &ne, " \t");
		str_trim(&vb, &ve, " \t");
		if (ne == nb)
			continue;
		if (ve - vb >= 2 && *vb == '"' && ve[-1] == '"') {
			vb++;
			ve--;
		}
		if ((size_t)(ve - vb) > REQ_MAX_HEADER)
			return fail(e, 400, "cookie too long", NULL);
		if (has_ctl_bytes(nb, (size_t)(ne - nb), 0) || has_ctl_bytes(vb, (size_t)(ve - vb), 0))
			return fail(e, 400, "control byte in cookie", NULL);
		/* another site on the same domain may set such a cookie: ignore it, do not refuse */
		if (!utf8_valid(nb, (size_t)(ne - nb)) || !utf8_valid(vb, (size_t)(ve - vb)))
			continue;
		if (count == REQ_MAX_COOKIES)
			return fail(e, 400, "too many cookies", NULL);
		name = arena_strndup(a, nb, (size_t)(ne - nb));
		value = arena_strndup(a, vb, (size_t)(ve - vb));
		if (!name || !value)
			return fail(e, 500, "out of memory", NULL);
		kv[count].name = name;
		kv[count].value = value;
		kv[count].value_len = (size_t)(ve - vb);
		count++;
	}
	*out = kv;
	*nout = count;
	return 0;
}

static int parse_path(struct request *r, const char *uri, size_t n, struct perr *e)
{
	size_t len;
	char *path;

	if (n == 0 || uri[0] != '/')
		return fail(e, 400, "path must start with /", NULL);
	path = arena_alloc(r->arena, n + 1);
	if (!path)
		return fail(e, 500, "out of memory", NULL);
	if (decode_into(path, uri, n, 0, &len) < 0)
		return fail(e, 400, "bad percent-encoding", "path");
	if (has_ctl_bytes(path, len, 0))
		return fail(e, 400, "control byte", "path");
	if (!utf8_valid(path, len))
		return fail(e, 400, "invalid UTF-8", "path");
	r->path = path;
	return 0;
}

int request_parse(struct request *r, struct arena *a, char **envp, const char *body,
		  size_t body_len, char *err, size_t errlen)
{
	struct perr e = {err, errlen};
	const char *uri, *q, *v, *host;
	unsigned long long cl;
	size_t ulen, plen;
	int rc, form, oom = 0;

	if (err && errlen)
		err[0] = '\0';
	memset(r, 0, sizeof *r);
	r->arena = a;
	r->env = envp;
	r->method = HTTP_OTHER;
	r->method_name = "";
	r->uri = "";
	r->path = "/";
	r->query_string = "";
	r->host = "";
	r->content_type = "";
	r->body = "";

	/* What an error page or log line needs comes first, so it is there on refusal too. */
	v = valid_request_id(env_get(envp, "REQUEST_ID"));
	if (!v)
		v = valid_request_id(env_get(envp, "HTTP_X_REQUEST_ID"));
	r->request_id = v ? v : "-";
	v = env_get(envp, "REMOTE_ADDR");
	r->remote_addr = v ? v : "";
	v = env_get(envp, "HTTPS");
	r->https = v && ascii_caseeq(v, "on");
	v = env_get(envp, "HTTP_X_FORWARDED_PROTO");
	if (v && ascii_caseeq(v, "https"))
		r->https = 1;

	if (headers_too_large(envp))
		return fail(&e, 431, "request header too large", NULL);
	uri = env_get(envp, "REQUEST_URI");
	if (!uri || !*uri)
		return fail(&e, 400, "missing REQUEST_URI", NULL);
	ulen = strlen(uri);
	if (ulen > REQ_MAX_URI)
		return fail(&e, 414, "URI too long", NULL);
	if (has_ctl_bytes(uri, ulen, 0))
		return fail(&e, 400, "control byte in URI", NULL);
	r->uri = uri;
	if (parse_method(r, env_get(envp, "REQUEST_METHOD")) < 0)
		return fail(&e, 400, "missing or bad REQUEST_METHOD", NULL);

	if (parse_content_length(env_get(envp, "CONTENT_LENGTH"), &cl) < 0)
		return fail(&e, 400, "bad CONTENT_LENGTH", NULL);
	if (cl != (unsigned long long)body_len)
		return fail(&e, 400, "CONTENT_LENGTH does not match body", NULL);
	if (body_len && !body)
		return fail(&e, 500, "body missing", NULL);
	r->content_length = body_len;
	v = env_get(envp, "CONTENT_TYPE");
	r->content_type = v ? v : "";

	v = env_get(envp, "HTTP_HOST");
	host = parse_host(a, v ? v : "", &oom);
	if (!host)
		return oom ? fail(&e, 500, "out of memory", NULL) : fail(&e, 400, "bad Host", NULL);
	r->host = host;

	q = strchr(uri, '?');
	plen = q ? (size_t)(q - uri) : ulen;
	rc = parse_path(r, uri, plen, &e);
	if (rc)
		return rc;
	r->query_string = q ? q + 1 : "";
	rc = parse_fields(a, r->query_string, strlen(r->query_string), &r->query, &r->nquery,
			  "query", &e);
	if (rc)
		return rc;

	v = env_get(envp, "HTTP_COOKIE");
	if (v) {
		rc = parse_cookies(a, v, &r->cookies, &r->ncookies, &e);
		if (rc)
			return rc;
	}

	form = r->method == HTTP_POST && is_urlencoded(r->content_type);
	if (form && body_len > REQ_MAX_FORM_BODY)
		return fail(&e, 413, "form body too large", NULL);
	if (body_len) {
		char *copy = arena_alloc(a, body_len + 1);
		if (!copy)
			return fail(&e, 500, "out of memory", NULL);
		memcpy(copy, body, body_len);
		r->body = copy;
		r->body_len = body_len;
	}
	if (form) {
		rc = parse_fields(a, r->body, r->body_len, &r->form, &r->nform, "form", &e);
		if (rc)
			return rc;
	}
	if (r->method == HTTP_POST && multipart_is_form_data(r->content_type)) {
		struct multipart mp;
		rc = multipart_parse(a, r->content_type, r->body, r->body_len, &mp, err, errlen);
		if (rc)
			return rc;
		r->form = mp.fields;
		r->nform = mp.nfields;
		r->files = mp.files;
		r->nfiles = mp.nfiles;
	}
	return 0;
}

static const char *kv_find(const struct kv *kv, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].name, name) == 0)
			return kv[i].value;
	return NULL;
}

const char *request_query(const struct request *r, const char *name)
{
	return kv_find(r->query, r->nquery, name);
}

const char *request_form(const struct request *r, const char *name)
{
	return kv_find(r->form, r->nform, name);
}

const char *request_cookie(const struct request *r, const char *name)
{
	return kv_find(r->cookies, r->ncookies, name);
}

const char *request_param(const struct request *r, const char *name)
{
	return env_get(r->env, name);
}
