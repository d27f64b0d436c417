/* multipart.c - multipart/form-data (RFC 7578) in one bounded pass; file bytes are never copied. */
#include "multipart.h"

#include <stdio.h>
#include <string.h>

/*
 * Design: the body is already in memory, so "streaming" is one forward pass. A cursor starts at
 * the first delimiter ("--" boundary); each part is a header block ended by an empty line, then
 * data up to the next "\r\n--" boundary, found with memmem inside a window no larger than the
 * part's limit, so an oversized part is refused after reading at most its limit. Text values
 * are copied into the arena (they become NUL-terminated kv values); file parts only point into
 * the body. Anything a strict sender would not produce is refused rather than guessed at.
 */

struct mp_err {
	char *buf;
	size_t len;
};

static int fail(struct mp_err *e, int status, const char *why)
{
	if (e->buf && e->len)
		snprintf(e->buf, e->len, "multipart: %s", why);
	return status;
}

static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* RFC 9110 token characters. */
static int is_tchar(unsigned char c)
{
	return is_alnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* RFC 2046 boundary characters (space only inside, checked by the caller). */
static int is_bchar(unsigned char c)
{
	return is_alnum(c) || (c && strchr("'()+_,-./:=? ", c));
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* s[0..n) equals the lowercase word w, ignoring ASCII case. */
static int word_eq(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && ascii_starts(s, w);
}


/*
 * Header parameters: "; name=value" with value a token-ish run or a quoted-string. Inside
 * quotes only \" and \\ are escapes: browsers send backslashes of file names raw (and some
 * old ones the whole Windows path), so other backslashes stay for the sanitiser to cut at.
 */
struct param {
	const char *name;
	size_t nlen;
	char *value; /* NUL-terminated arena copy */
	size_t vlen;
};

/* 1 with a parameter in p, 0 at the end, -1 when malformed or out of memory. */
static int next_param(struct arena *a, const char **cur, const char *end, struct param *p)
{
	const char *s = *cur;

	while (s < end && is_ows(*s))
		s++;
	if (s == end)
		return 0;
	if (*s++ != ';')
		return -1;
	while (s < end && is_ows(*s))
		s++;
	p->name = s;
	while (s < end && is_tchar((unsigned char)*s))
		s++;
	p->nlen = (size_t)(s - p->name);
	while (s < end && is_ows(*s))
		s++;
	if (p->nlen == 0 || s == end || *s++ != '=')
		return -1;
	while (s < end && is_ows(*s))
		s++;
	p->value = arena_alloc(a, (size_t)(end - s) + 1);
	if (!p->value)
		return -1;
	p->vlen = 0;
	if (s < end && *s == '"') {
		for (s++;; s++) {
			if (s == end)
				return -1; /* unterminated */
			if (*s == '"')
				break;
			if (*s == '\\' && end - s > 1 && (s[1] == '"' || s[1] == '\\'))
				s++;
			p->value[p->vlen++] = *s;
		}
		s++;
	} else {
		while (s < end && *s != ';' && !is_ows(*s) && *s != '"')
			p->value[p->vlen++] = *s++;
		if (p->vlen == 0)
			return -1;
	}
	p->value[p->vlen] = '\0';
	*cur = s;
	return 1;
}

/* Skip OWS and the media type "type/subtype"; *cur is left after it. 0, or -1 if malformed. */
static int media_type(const char **cur, const char *end, const char **mt, size_t *mtlen)
{
	const char *s = *cur, *slash = NULL;

	while (s < end && is_ows(*s))
		s++;
	*mt = s;
	while (s < end && (is_tchar((unsigned char)*s) || *s == '/')) {
		if (*s == '/') {
			if (slash)
				return -1;
			slash = s;
		}
		s++;
	}
	*mtlen = (size_t)(s - *mt);
	if (!slash || slash == *mt || slash == s - 1)
		return -1;
	*cur = s;
	return 0;
}

int multipart_is_form_data(const char *content_type)
{
	const char *s = content_type, *end, *mt;
	size_t mtlen;

	if (!s)
		return 0;
	end = s + strlen(s);
	if (media_type(&s, end, &mt, &mtlen) < 0 || !word_eq(mt, mtlen, "multipart/form-data"))
		return 0;
	while (s < end && is_ows(*s))
		s++;
	return s == end || *s == ';';
}

/* The boundary parameter, validated: 1..70 bchars, not ending in a space. */
static int find_boundary(struct arena *a, const char *ct, const char **out, size_t *outlen,
			 struct mp_err *e)
{
	const char *s = ct, *end = ct + strlen(ct), *mt;
	struct param p;
	size_t mtlen;
	int rc;

	*out = NULL;
	if (media_type(&s, end, &mt, &mtlen) < 0 || !word_eq(mt, mtlen, "multipart/form-data"))
		return fail(e, 400, "not multipart/form-data");
	while ((rc = next_param(a, &s, end, &p)) == 1) {
		if (!word_eq(p.name, p.nlen, "boundary"))
			continue;
		if (*out)
			return fail(e, 400, "two boundary parameters");
		*out = p.value;
		*outlen = p.vlen;
	}
	if (rc < 0)
		return fail(e, 400, "malformed Content-Type parameters");
	if (!*out)
		return fail(e, 400, "no boundary");
	if (*outlen == 0 || *outlen > MP_MAX_BOUNDARY || (*out)[*outlen - 1] == ' ')
		return fail(e, 400, "bad boundary");
	for (size_t i = 0; i < *outlen; i++)
		if (!is_bchar((unsigned char)(*out)[i]))
			return fail(e, 400, "bad boundary");
	return 0;
}

/* What one part's headers said. */
struct part_head {
	const char *name;
	size_t nlen;
	const char *filename; /* NULL: a text field */
	size_t flen;
	const char *ctype; /* lowercased media type or NULL */
};

static int parse_disposition(struct arena *a, const char *v, const char *end, struct part_head *h,
			     struct mp_err *e)
{
	const char *s = v, *t;
	struct param p;
	int rc;

	while (s < end && is_ows(*s))
		s++;
	t = s;
	while (s < end && is_tchar((unsigned char)*s))
		s++;
	if (!word_eq(t, (size_t)(s - t), "form-data"))
		return fail(e, 400, "Content-Disposition is not form-data");
	while ((rc = next_param(a, &s, end, &p)) == 1) {
		if (word_eq(p.name, p.nlen, "name")) {
			if (h->name)
				return fail(e, 400, "two name parameters");
			h->name = p.value;
			h->nlen = p.vlen;
		} else if (word_eq(p.name, p.nlen, "filename")) {
			if (h->filename)
				return fail(e, 400, "two filename parameters");
			h->filename = p.value;
			h->flen = p.vlen;
		}
		/* filename* and anything else: ignored (RFC 7578 section 4.2) */
	}
	if (rc < 0)
		return fail(e, 400, "malformed Content-Disposition");
	return 0;
}

/* A part's Content-Type as a lowercased media type; NULL (the default applies) when odd. */
static const char *part_content_type(struct arena *a, const char *v, const char *end)
{
	const char *s = v, *mt;
	size_t n;
	char *out;

	if (media_type(&s, end, &mt, &n) < 0 || n > MP_MAX_CONTENT_TYPE)
		return NULL;
	while (s < end && is_ows(*s))
		s++;
	if (s != end && *s != ';')
		return NULL;
	out = arena_alloc(a, n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		out[i] = ascii_lower(mt[i]);
	out[n] = '\0';
	return out;
}

/* The header block s[0..n): lines each ended by CRLF (the last one's included). */
static int parse_headers(struct arena *a, const char *s, size_t n, struct part_head *h,
			 struct mp_err *e)
{
	const char *end = s + n;
	int seen_cd = 0, seen_ct = 0;

	memset(h, 0, sizeof *h);
	while (s < end) {
		const char *eol = memmem(s, (size_t)(end - s), "\r\n", 2), *colon, *v, *ve;
		if (!eol)
			return fail(e, 400, "part header line without CRLF");
		if (memchr(s, '\r', (size_t)(eol - s)) || memchr(s, '\n', (size_t)(eol - s)))
			return fail(e, 400, "part header line without CRLF");
		if (is_ows(*s))
			return fail(e, 400, "folded part header");
		colon = memchr(s, ':', (size_t)(eol - s));
		if (!colon || colon == s)
			return fail(e, 400, "malformed part header");
		for (const char *c = s; c < colon; c++)
			if (!is_tchar((unsigned char)*c))
				return fail(e, 400, "malformed part header");
		v = colon + 1;
		ve = eol;
		while (v < ve && is_ows(*v))
			v++;
		while (ve > v && is_ows(ve[-1]))
			ve--;
		for (const char *c = v; c < ve; c++)
			if ((unsigned char)*c == 0x7f || ((unsigned char)*c < 0x20 && *c != '\t'))
				return fail(e, 400, "control byte in part header");
		if (word_eq(s, (size_t)(colon - s), "content-disposition")) {
			if (seen_cd++)
				return fail(e, 400, "two Content-Disposition headers");
			int rc = parse_disposition(a, v, ve, h, e);
			if (rc)
				return rc;
		} else if (word_eq(s, (size_t)(colon - s), "content-type")) {
			if (seen_ct++)
				return fail(e, 400, "two Content-Type headers");
			h->ctype = part_content_type(a, v, ve);
		}
		s = eol + 2;
	}
	if (!seen_cd)
		return fail(e, 400, "part without Content-Disposition");
	if (!h->name || h->nlen == 0)
		return fail(e, 400, "part without a name");
	if (h->nlen > REQ_MAX_FIELD_NAME)
		return fail(e, 400, "field name too long");
	if (has_ctl_bytes(h->name, h->nlen, 0) || !utf8_valid(h->name, h->nlen))
		return fail(e, 400, "bad bytes in a field name");
	if (h->filename && !utf8_valid(h->filename, h->flen))
		return fail(e, 400, "invalid UTF-8 in a file name");
	return 0;
}

/* Characters a stored file name never keeps: controls, line/paragraph separators, the
 * bidirectional controls that make "exe.txt" look like "txt.exe", and double quotes. */
static int dropped_in_filename(long cp)
{
	return cp < 0x20 || cp == '"' || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

size_t multipart_sanitize_filename(char *dst, const char *raw, size_t n)
{
	const unsigned char *s = (const unsigned char *)raw;
	size_t start = 0, o = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == '\\')
			start = i + 1;
	for (size_t i = start; i < n;) {
		long cp;
		size_t len = utf8_next(raw + i, n - i, &cp);
		if (cp >= 0 && !dropped_in_filename(cp) && !(cp == ' ' && o == 0)) {
			if (o + len > MP_MAX_FILENAME)
				break;
			memcpy(dst + o, s + i, len);
			o += len;
		}
		i += len;
	}
	while (o && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
	if (strcmp(dst, ".") == 0 || strcmp(dst, "..") == 0)
		o = 0;
	dst[o] = '\0';
	return o;
}

int multipart_parse(struct arena *a, const char *content_type, const char *body, size_t len,
		    struct multipart *out, char *err, size_t errlen)
{
	struct mp_err e = {err, errlen};
	const char *boundary;
	size_t blen = 0, dlen, p, nparts = 0;
	char *delim;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	memset(out, 0, sizeof *out);
	rc = find_boundary(a, content_type ? content_type : "", &boundary, &blen, &e);
	if (rc)
		return rc;
	if (len && !body)
		return fail(&e, 500, "body missing");

	/* "\r\n--boundary": what ends every part's data */
	dlen = blen + 4;
	delim = arena_alloc(a, dlen + 1);
	out->fields = arena_alloc(a, MP_MAX_PARTS * sizeof *out->fields);
	out->files = arena_alloc(a, MP_MAX_FILES * sizeof *out->files);
	if (!delim || !out->fields || !out->files)
		return fail(&e, 500, "out of memory");
	memcpy(delim, "\r\n--", 4);
	memcpy(delim + 4, boundary, blen);

	/* The first delimiter opens the body, or ends a preamble on a line of its own. */
	if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
		p = dlen - 2;
	} else {
		const char *d = len ? memmem(body, len, delim, dlen) : NULL;
		if (!d)
			return fail(&e, 400, "body does not start with the boundary");
		p = (size_t)(d - body) + dlen;
	}

	for (;;) {
		struct part_head h;
		size_t hs, he, ds, limit, win;
		const char *d;

		/* after a delimiter: "--" closes the body (the epilogue is ignored), else
		 * optional transport padding and CRLF open the next part */
		if (len - p >= 2 && body[p] == '-' && body[p + 1] == '-')
			break;
		while (p < len && is_ows(body[p]))
			p++;
		if (p + 2 > len)
			return fail(&e, 400, "truncated body");
		if (body[p] != '\r' || body[p + 1] != '\n')
			return fail(&e, 400, "boundary followed by other bytes");
		p += 2;
		if (nparts == MP_MAX_PARTS)
			return fail(&e, 413, "too many parts");
		nparts++;

		/* header block: up to the empty line */
		hs = p;
		if (len - p >= 2 && body[p] == '\r' && body[p + 1] == '\n') {
			he = p;
			ds = p + 2;
		} else {
			win = len - p < MP_MAX_PART_HEADER + 2 ? len - p : MP_MAX_PART_HEADER + 2;
			d = memmem(body + p, win, "\r\n\r\n", 4);
			if (!d)
				return win < len - p ? fail(&e, 413, "part header too large")
						     : fail(&e, 400, "truncated part header");
			he = (size_t)(d - body) + 2;
			ds = he + 2;
		}
		rc = parse_headers(a, body + hs, he - hs, &h, &e);
		if (rc)
			return rc;

		/* data: up to the next delimiter, looked for only as far as the part may reach */
		limit = h.filename ? MP_MAX_FILE : REQ_MAX_FIELD_VALUE;
		win = len - ds < limit + dlen ? len - ds : limit + dlen;
		d = win >= dlen ? memmem(body + ds, win, delim, dlen) : NULL;
		if (!d) {
			if (win < len - ds)
				return fail(&e, 413,
					    h.filename ? "file too large" : "field value too long");
			return fail(&e, 400, "no final boundary");
		}
		size_t dn = (size_t)(d - body) - ds;
		p = (size_t)(d - body) + dlen;

		if (h.filename) {
			if (h.flen == 0 && dn == 0)
				continue; /* a file input with no file chosen */
			char *fname = arena_alloc(a, MP_MAX_FILENAME + 1);
			if (!fname)
				return fail(&e, 500, "out of memory");
			if (multipart_sanitize_filename(fname, h.filename, h.flen) == 0)
				return fail(&e, 400, "unusable file name");
			if (out->nfiles == MP_MAX_FILES)
				return fail(&e, 413, "too many files");
			struct upload *u = &out->files[out->nfiles++];
			u->field = arena_strndup(a, h.name, h.nlen);
			u->filename = fname;
			u->content_type = h.ctype ? h.ctype : "application/octet-stream";
			u->data = body + ds;
			u->len = dn;
			if (!u->field)
				return fail(&e, 500, "out of memory");
		} else {
			if (has_ctl_bytes(body + ds, dn, 1))
				return fail(&e, 400, "control byte in a field value");
			if (!utf8_valid(body + ds, dn))
				return fail(&e, 400, "invalid UTF-8 in a field value");
			struct kv *kv = &out->fields[out->nfields++];
			kv->name = arena_strndup(a, h.name, h.nlen);
			kv->value = arena_strndup(a, body + ds, dn);
			kv->value_len = dn;
			if (!kv->name || !kv->value)
				return fail(&e, 500, "out of memory");
		}
	}
	return 0;
}
