/* mail_parse.c - one received message taken apart with GMime 3 (see mail_parse.h). GMime and GLib
 * stay inside this file: the gateway and the fuzz target link it, the workers never do. */
#include "mail_parse.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "mail_text.h"
#include "multipart.h"
#include "str.h"

/*
 * Design: GMime parses the whole message (it bounds its own nesting at 1024 levels); we walk
 * the tree ourselves, depth-first in document order, to at most MAIL_PARSE_MAX_DEPTH levels and
 * MAIL_PARSE_MAX_PARTS entities, and copy out what mail_parse.h promises, every string cleaned
 * by lib/mail_text.c (valid UTF-8, no control characters). Nothing GMime owns outlives the call.
 */

#define MAIL_PARSE_MAX_DEPTH 16	 /* multipart levels walked; deeper parts are ignored */
#define MAIL_PARSE_MAX_PARTS 100 /* MIME entities walked (containers count too) */
#define MAX_SUBJECT 500		 /* characters, as tickets.subject allows */
#define MAX_NAME 200		 /* characters of a display name */
#define MAX_HEADER 998		 /* characters of List-Id, Auto-Submitted, Precedence, ... */
#define MAX_ID 998		 /* bytes of a Message-ID (messages.mail_message_id) */
#define MAX_ADDRESS 254		 /* bytes of an address (RFC 5321 path) */
#define MAX_TYPE 127		 /* bytes of an attachment's media type */

static GMimeParserOptions *parser_options(void)
{
	static GMimeParserOptions *opts;
	static const char *fallback[] = {"utf-8", "windows-1252", NULL};

	if (!opts) {
		g_mime_init(); /* safe to call again; what it sets up lives as long as the process */
		opts = g_mime_parser_options_new();
		g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
		g_mime_parser_options_set_address_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
		g_mime_parser_options_set_parameter_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
		g_mime_parser_options_set_fallback_charsets(opts, fallback);
		g_mime_parser_options_set_warning_callback(opts, NULL, NULL);
	}
	return opts;
}

struct ctx {
	struct mail_parsed *m;
	char *plain;	    /* text/plain body parts so far, UTF-8 */
	size_t plain_len;
	char *html;	    /* the first text/html body part, UTF-8 (or raw when no charset) */
	size_t html_len;
	size_t parts;	    /* entities walked */
	size_t att_cap;
	int oom;
};

/* ------------------------------------------------------------------------------------------ */
/* Strings                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static char *dup_or_oom(struct ctx *c, const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		c->oom = 1;
	return d;
}

/* A header value (NULL stays NULL) as one clean line. */
static char *line_or_null(struct ctx *c, const char *v, size_t max)
{
	char *l;

	if (!v)
		return NULL;
	l = mail_text_line(v, strlen(v), max);
	if (!l)
		c->oom = 1;
	return l;
}

static void lower_ascii(char *s)
{
	for (; *s; s++)
		*s = ascii_lower(*s);
}

/* A message id kept as it is: 1..MAX_ID bytes of valid UTF-8, no spaces, controls or <>. */
static int id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > MAX_ID || !utf8_valid(id, n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)id[i];
		if (ch <= ' ' || ch == 0x7f || ch == '<' || ch == '>')
			return 0;
	}
	/* no C1 controls either (U+0080..U+009F is C2 80..C2 9F) */
	for (size_t i = 0; i + 1 < n; i++)
		if ((unsigned char)id[i] == 0xc2 && (unsigned char)id[i + 1] < 0xa0)
			return 0;
	return 1;
}

/* A bare address as the portal keeps it: local@domain, exactly one '@', no spaces, controls,
 * quotes or angle brackets, valid UTF-8, at most MAX_ADDRESS bytes; the domain lowercased. NULL
 * when it is none of that (or out of memory, then c->oom). */
static char *clean_address(struct ctx *c, const char *a)
{
	size_t n = a ? strlen(a) : 0;
	const char *at;
	char *out;

	if (n == 0 || n > MAX_ADDRESS || !utf8_valid(a, n) || !id_ok(a))
		return NULL;
	if (strpbrk(a, "\"(),;:\\[]"))
		return NULL;
	at = strchr(a, '@');
	if (!at || at == a || !at[1] || strchr(at + 1, '@'))
		return NULL;
	out = strdup(a);
	if (!out) {
		c->oom = 1;
		return NULL;
	}
	lower_ascii(out + (at - a));
	return out;
}

/* The mailboxes of list (groups' members too, one level), in order, into *arr (at most max). */
static void add_mailboxes(struct ctx *c, InternetAddressList *list, char ***arr, size_t *n,
			  size_t max, int depth)
{
	int len = list ? internet_address_list_length(list) : 0;

	for (int i = 0; i < len && *n < max && !c->oom; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			if (depth == 0)
				add_mailboxes(c, internet_address_group_get_members(
							 INTERNET_ADDRESS_GROUP(ia)),
					      arr, n, max, depth + 1);
			continue;
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		char *a = clean_address(c, internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
		if (!a)
			continue;
		if (!*arr) {
			*arr = calloc(max, sizeof **arr);
			if (!*arr) {
				free(a);
				c->oom = 1;
				return;
			}
		}
		(*arr)[(*n)++] = a;
	}
}

/* The first mailbox of list (a group's first member too). */
static InternetAddressMailbox *first_mailbox(InternetAddressList *list, int depth)
{
	int len = list ? internet_address_list_length(list) : 0;

	for (int i = 0; i < len; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			return INTERNET_ADDRESS_MAILBOX(ia);
		if (INTERNET_ADDRESS_IS_GROUP(ia) && depth == 0) {
			InternetAddressMailbox *mb = first_mailbox(
				internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), 1);
			if (mb)
				return mb;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Charsets                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static int is_utf8_name(const char *cs)
{
	return ascii_caseeq(cs, "utf-8") || ascii_caseeq(cs, "utf8") || ascii_caseeq(cs, "us-ascii") ||
	       ascii_caseeq(cs, "ascii");
}

/* Bytes taken as ISO-8859-1 (every byte is a character), as UTF-8. */
static char *latin1_to_utf8(const char *s, size_t n)
{
	char *out = n <= (SIZE_MAX - 1) / 2 ? malloc(n * 2 + 1) : NULL, *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x80) {
			*o++ = (char)ch;
		} else {
			*o++ = (char)(0xc0 | (ch >> 6));
			*o++ = (char)(0x80 | (ch & 0x3f));
		}
	}
	*o = '\0';
	return out;
}

/* iconv from cs to UTF-8, each byte it cannot convert as U+FFFD. NULL when iconv does not know
 * cs (or out of memory: *oom). */
static char *iconv_to_utf8(const char *s, size_t n, const char *cs, size_t *outlen, int *oom)
{
	iconv_t cd = iconv_open("UTF-8", cs);
	size_t cap, o = 0;
	char *out, *in = (char *)s;
	size_t inleft = n;

	if (cd == (iconv_t)-1)
		return NULL;
	cap = n * 2 + 16;
	out = malloc(cap);
	if (!out) {
		*oom = 1;
		iconv_close(cd);
		return NULL;
	}
	for (;;) {
		char *op = out + o;
		size_t oleft = cap - o - 1;
		size_t r = inleft ? iconv(cd, &in, &inleft, &op, &oleft)
				  : iconv(cd, NULL, NULL, &op, &oleft); /* flush the shift state */
		int e = errno;
		o = (size_t)(op - out);
		if (r != (size_t)-1) {
			if (inleft == 0 && (r = iconv(cd, NULL, NULL, &op, &oleft)) != (size_t)-1) {
				o = (size_t)(op - out);
				break;
			}
			if (inleft)
				continue;
			e = errno;
		}
		if (e == E2BIG || cap - o < 8) {
			char *bigger;
			if (cap > (SIZE_MAX - 16) / 2 || !(bigger = realloc(out, cap * 2))) {
				free(out);
				iconv_close(cd);
				*oom = 1;
				return NULL;
			}
			out = bigger;
			cap *= 2;
			continue;
		}
		/* EILSEQ, EINVAL (a cut sequence at the end) or anything else: skip one byte */
		if (inleft == 0)
			break;
		memcpy(out + o, "\xef\xbf\xbd", 3);
		o += 3;
		in++;
		inleft--;
	}
	iconv_close(cd);
	out[o] = '\0';
	*outlen = o;
	return out;
}

/*
 * s[0..n) in charset cs (NULL: none declared) as clean UTF-8 (mail_text_clean). A charset iconv
 * does not know, or none or US-ASCII with bytes that are not UTF-8, is read as ISO-8859-1;
 * declared UTF-8 has its invalid bytes replaced by U+FFFD.
 */
static char *to_utf8(struct ctx *c, const char *s, size_t n, const char *cs)
{
	char *conv = NULL, *out;
	size_t clen = 0;

	if (cs && *cs && !is_utf8_name(cs)) {
		const char *name = g_mime_charset_iconv_name(cs);
		conv = iconv_to_utf8(s, n, name ? name : cs, &clen, &c->oom);
		if (c->oom)
			return NULL;
	}
	/* declared UTF-8 keeps its bad bytes as U+FFFD (mail_text_clean); others are latin1 */
	if (!conv && !(cs && (ascii_caseeq(cs, "utf-8") || ascii_caseeq(cs, "utf8"))) &&
	    !utf8_valid(s, n)) {
		conv = latin1_to_utf8(s, n);
		if (!conv) {
			c->oom = 1;
			return NULL;
		}
		clen = strlen(conv);
	}
	out = conv ? mail_text_clean(conv, clen) : mail_text_clean(s, n);
	free(conv);
	if (!out)
		c->oom = 1;
	return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Parts                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* The decoded content of a leaf part (Content-Transfer-Encoding undone), malloc'd. */
static char *part_bytes(struct ctx *c, GMimePart *p, size_t *len)
{
	GMimeDataWrapper *w = g_mime_part_get_content(p);
	GMimeStream *mem;
	GByteArray *arr;
	char *out;

	*len = 0;
	if (!w)
		return dup_or_oom(c, "");
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, mem);
	arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	*len = arr ? arr->len : 0;
	out = malloc(*len + 1);
	if (out) {
		if (*len)
			memcpy(out, arr->data, *len);
		out[*len] = '\0';
	} else {
		c->oom = 1;
	}
	g_object_unref(mem);
	return out;
}

/* A lowercased "type/subtype" of token characters, else application/octet-stream. */
static char *media_type(struct ctx *c, GMimeContentType *ct)
{
	char *mt = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	const char *use = "application/octet-stream";
	char *out;

	if (mt) {
		size_t n = strlen(mt), slashes = 0;
		int ok = n > 2 && n <= MAX_TYPE;
		for (size_t i = 0; ok && i < n; i++) {
			unsigned char ch = (unsigned char)mt[i];
			if (ch == '/')
				slashes++;
			else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
				   (ch >= 'A' && ch <= 'Z') || strchr("!#$%&'*+-.^_`|~", ch)))
				ok = 0;
		}
		if (ok && slashes == 1 && mt[0] != '/' && mt[n - 1] != '/')
			use = mt;
	}
	out = dup_or_oom(c, use);
	if (out)
		lower_ascii(out);
	g_free(mt);
	return out;
}

static int add_attachment(struct ctx *c, const char *raw_name, char *ctype, char *data, size_t len)
{
	struct mail_parsed *m = c->m;
	struct mail_attachment *a;
	char name[MP_MAX_FILENAME + 1];
	size_t nl = 0;

	if (!ctype || !data) {
		free(ctype);
		free(data);
		return -1;
	}
	if (raw_name) {
		char *clean = mail_text_clean(raw_name, strlen(raw_name));
		if (!clean) {
			c->oom = 1;
			free(ctype);
			free(data);
			return -1;
		}
		nl = multipart_sanitize_filename(name, clean, strlen(clean));
		free(clean);
	}
	if (nl == 0)
		str_copy(name, sizeof name, "attachment");
	if (m->natt == c->att_cap) {
		size_t cap = c->att_cap ? c->att_cap * 2 : 4;
		struct mail_attachment *bigger = realloc(m->att, cap * sizeof *bigger);
		if (!bigger) {
			c->oom = 1;
			free(ctype);
			free(data);
			return -1;
		}
		m->att = bigger;
		c->att_cap = cap;
	}
	a = &m->att[m->natt];
	a->filename = strdup(name);
	if (!a->filename) {
		c->oom = 1;
		free(ctype);
		free(data);
		return -1;
	}
	a->content_type = ctype;
	a->data = data;
	a->len = len;
	m->natt++;
	return 0;
}

/* Append UTF-8 text to *dst (a blank line between parts). */
static void append_text(struct ctx *c, char **dst, size_t *dlen, const char *s)
{
	size_t n = strlen(s), sep = *dlen ? 2 : 0;
	char *bigger;

	if (n == 0)
		return;
	bigger = realloc(*dst, *dlen + sep + n + 1);
	if (!bigger) {
		c->oom = 1;
		return;
	}
	memcpy(bigger + *dlen, "\n\n", sep);
	memcpy(bigger + *dlen + sep, s, n + 1);
	*dst = bigger;
	*dlen += sep + n;
}

static int is_signature(GMimeContentType *ct)
{
	return ct && (g_mime_content_type_is_type(ct, "application", "pgp-signature") ||
		      g_mime_content_type_is_type(ct, "application", "pkcs7-signature") ||
		      g_mime_content_type_is_type(ct, "application", "x-pkcs7-signature"));
}

static void walk(struct ctx *c, GMimeObject *obj, int depth);

static void walk_leaf(struct ctx *c, GMimePart *part)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *filename = g_mime_part_get_filename(part);
	int plain = ct && g_mime_content_type_is_type(ct, "text", "plain");
	int html = ct && g_mime_content_type_is_type(ct, "text", "html");
	int body = (plain || html) && !g_mime_part_is_attachment(part) && !(filename && *filename);
	size_t len;
	char *data;

	if (body && html && c->html)
		return; /* a second inline HTML part: the first one is the body */
	data = part_bytes(c, part, &len);
	if (!data)
		return;
	if (body) {
		const char *cs = g_mime_content_type_get_parameter(ct, "charset");
		if (plain) {
			char *t = to_utf8(c, data, len, cs);
			if (t)
				append_text(c, &c->plain, &c->plain_len, t);
			free(t);
			free(data);
		} else if (cs && *cs) {
			c->html = to_utf8(c, data, len, cs);
			c->html_len = c->html ? strlen(c->html) : 0;
			free(data);
		} else {
			c->html = data; /* no charset: UTF-8 or as its meta says (mail_html_to_text) */
			c->html_len = len;
		}
		return;
	}
	if (len == 0) {
		free(data);
		return;
	}
	add_attachment(c, filename, media_type(c, ct), data, len);
}

static void walk_message_part(struct ctx *c, GMimeMessagePart *mp)
{
	GMimeObject *obj = GMIME_OBJECT(mp);
	GMimeMessage *msg = g_mime_message_part_get_message(mp);
	const char *filename = g_mime_object_get_content_disposition_parameter(obj, "filename");
	char *s, *data;
	size_t len;

	if (!filename)
		filename = g_mime_object_get_content_type_parameter(obj, "name");
	if (!msg)
		return;
	s = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
	if (!s)
		return;
	len = strlen(s);
	data = len ? malloc(len + 1) : NULL;
	if (data)
		memcpy(data, s, len + 1);
	else if (len)
		c->oom = 1;
	g_free(s);
	if (!data)
		return;
	add_attachment(c, filename ? filename : "message.eml",
		       media_type(c, g_mime_object_get_content_type(obj)), data, len);
}

static void walk(struct ctx *c, GMimeObject *obj, int depth)
{
	if (!obj || c->oom || depth > MAIL_PARSE_MAX_DEPTH || c->parts >= MAIL_PARSE_MAX_PARTS)
		return;
	c->parts++;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);
		int is_signed = g_mime_content_type_is_type(g_mime_object_get_content_type(obj),
							    "multipart", "signed");
		for (int i = 0; i < n && !c->oom && c->parts < MAIL_PARSE_MAX_PARTS; i++) {
			GMimeObject *child = g_mime_multipart_get_part(mp, i);
			/* the signature of multipart/signed is no attachment anyone wants */
			if (is_signed && i > 0 && is_signature(g_mime_object_get_content_type(child)))
				continue;
			walk(c, child, depth + 1);
		}
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		walk_message_part(c, GMIME_MESSAGE_PART(obj));
	} else if (GMIME_IS_PART(obj)) {
		walk_leaf(c, GMIME_PART(obj));
	}
}

/* multipart/report; report-type=delivery-status */
static int is_dsn_type(GMimeObject *obj)
{
	GMimeContentType *ct = obj ? g_mime_object_get_content_type(obj) : NULL;
	const char *rt;

	if (!ct || !g_mime_content_type_is_type(ct, "multipart", "report"))
		return 0;
	rt = g_mime_content_type_get_parameter(ct, "report-type");
	return rt && ascii_caseeq(rt, "delivery-status");
}

static int detect_bounce(GMimeMessage *msg, const char *from)
{
	GMimeObject *top = g_mime_message_get_mime_part(msg);

	if (is_dsn_type(top))
		return 1;
	/* a report wrapped once (some gateways put it inside multipart/mixed) */
	if (top && GMIME_IS_MULTIPART(top)) {
		int n = g_mime_multipart_get_count(GMIME_MULTIPART(top));
		for (int i = 0; i < n && i < MAIL_PARSE_MAX_PARTS; i++)
			if (is_dsn_type(g_mime_multipart_get_part(GMIME_MULTIPART(top), i)))
				return 1;
	}
	/* From MAILER-DAEMON (with a domain or without) or postmaster@ */
	return ascii_starts(from, "mailer-daemon@") || ascii_caseeq(from, "mailer-daemon") ||
	       ascii_starts(from, "postmaster@");
}

/* ------------------------------------------------------------------------------------------ */
/* Headers                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* The first valid id of an In-Reply-To or References value; the list of a References value. */
static void parse_ids(struct ctx *c, const char *value, char ***arr, size_t *n, size_t max)
{
	GMimeReferences *refs;
	int len, first_kept;

	if (!value)
		return;
	refs = g_mime_references_parse(parser_options(), value);
	if (!refs)
		return;
	len = g_mime_references_length(refs);
	/* more than max: the first (the thread's root) and the newest max - 1 */
	first_kept = len > (int)max ? len - (int)max + 1 : 1;
	for (int i = 0; i < len && *n < max && !c->oom; i++) {
		const char *id = g_mime_references_get_message_id(refs, i);
		if (i > 0 && i < first_kept)
			continue;
		if (!id_ok(id))
			continue;
		if (!*arr && !(*arr = calloc(max, sizeof **arr))) {
			c->oom = 1;
			break;
		}
		if (!((*arr)[*n] = strdup(id)))
			c->oom = 1;
		else
			(*n)++;
	}
	g_mime_references_free(refs);
}

static char *header_lower(struct ctx *c, GMimeObject *obj, const char *name)
{
	char *v = line_or_null(c, g_mime_object_get_header(obj, name), MAX_HEADER);
	if (v)
		lower_ascii(v);
	return v;
}

static void parse_return_path(struct ctx *c, const char *v)
{
	struct mail_parsed *m = c->m;
	InternetAddressList *list;
	InternetAddressMailbox *mb;
	const char *s = v, *e;

	if (!v)
		return;
	e = v + strlen(v);
	str_trim(&s, &e, " \t\r\n");
	if (e - s >= 2 && s[0] == '<' && e[-1] == '>') {
		const char *in = s + 1, *ie = e - 1;
		str_trim(&in, &ie, " \t\r\n");
		if (in == ie) {
			m->return_path = dup_or_oom(c, "");
			return;
		}
	}
	list = internet_address_list_parse(parser_options(), v);
	mb = first_mailbox(list, 0);
	if (mb)
		m->return_path = clean_address(c, internet_address_mailbox_get_addr(mb));
	if (list)
		g_object_unref(list);
}

static void parse_delivered_to(struct ctx *c, GMimeObject *obj)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int n = hl ? g_mime_header_list_get_count(hl) : 0;

	for (int i = 0; i < n && c->m->ndelivered_to < MAIL_PARSE_MAX_LIST && !c->oom; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = h ? g_mime_header_get_name(h) : NULL;
		const char *value = h ? g_mime_header_get_value(h) : NULL;
		if (!name || !value || !ascii_caseeq(name, "delivered-to"))
			continue;
		InternetAddressList *list = internet_address_list_parse(parser_options(), value);
		if (!list)
			continue;
		add_mailboxes(c, list, &c->m->delivered_to, &c->m->ndelivered_to, MAIL_PARSE_MAX_LIST,
			      0);
		g_object_unref(list);
	}
}

/* ------------------------------------------------------------------------------------------ */

int mail_parse(const char *data, size_t len, struct mail_parsed *out, char *err, size_t errlen)
{
	struct ctx c = {.m = out};
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	GMimeObject *obj;
	InternetAddressMailbox *from;
	const char *from_raw;
	size_t nref = 0;
	char **ref = NULL;
	const char *why = NULL;

	memset(out, 0, sizeof *out);
	if (err && errlen)
		err[0] = '\0';
	if (!data || len == 0) {
		snprintf(err, errlen, "empty message");
		return -1;
	}
	/* an mbox "From " line in front (an MTA's pipe may add one) is no header */
	if (len > 6 && memcmp(data, "From ", 5) == 0 && data[5] != ':' && data[5] != ' ') {
		const char *nl = memchr(data, '\n', len);
		if (!nl) {
			snprintf(err, errlen, "no header");
			return -1;
		}
		len -= (size_t)(nl + 1 - data);
		data = nl + 1;
	}

	stream = g_mime_stream_mem_new_with_buffer(data, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, parser_options());
	g_object_unref(parser);
	g_object_unref(stream);
	if (!msg) {
		snprintf(err, errlen, "no message header");
		return -1;
	}
	obj = GMIME_OBJECT(msg);

	/* From: the bare address and its display name; a From that holds no valid address gives
	 * "" (a bounce's "MAILER-DAEMON" without a domain is one), no From header at all -1 */
	if (!g_mime_object_get_header(obj, "From")) {
		why = "no From header";
		goto fail;
	}
	from = first_mailbox(g_mime_message_get_from(msg), 0);
	from_raw = from ? internet_address_mailbox_get_addr(from) : NULL;
	out->from_address = from ? clean_address(&c, from_raw) : NULL;
	if (!out->from_address)
		out->from_address = dup_or_oom(&c, "");
	{
		const char *name = from ? internet_address_get_name(INTERNET_ADDRESS(from)) : NULL;
		out->from_name = line_or_null(&c, name ? name : "", MAX_NAME);
	}
	out->subject = line_or_null(&c, g_mime_message_get_subject(msg) ? g_mime_message_get_subject(msg) : "",
				    MAX_SUBJECT);
	{
		const char *id = g_mime_message_get_message_id(msg);
		if (id_ok(id))
			out->message_id = dup_or_oom(&c, id);
	}
	parse_ids(&c, g_mime_object_get_header(obj, "In-Reply-To"), &ref, &nref, 1);
	if (nref) {
		out->in_reply_to = ref[0];
	}
	free(ref);
	parse_ids(&c, g_mime_object_get_header(obj, "References"), &out->references, &out->nreferences,
		  MAIL_PARSE_MAX_LIST);
	add_mailboxes(&c, g_mime_message_get_to(msg), &out->to, &out->nto, MAIL_PARSE_MAX_LIST, 0);
	add_mailboxes(&c, g_mime_message_get_cc(msg), &out->cc, &out->ncc, MAIL_PARSE_MAX_LIST, 0);
	parse_delivered_to(&c, obj);
	out->auto_submitted = header_lower(&c, obj, "Auto-Submitted");
	out->precedence = header_lower(&c, obj, "Precedence");
	out->list_id = line_or_null(&c, g_mime_object_get_header(obj, "List-Id"), MAX_HEADER);
	parse_return_path(&c, g_mime_object_get_header(obj, "Return-Path"));
	out->portal_notification =
		line_or_null(&c, g_mime_object_get_header(obj, "X-Portal-Notification"), MAX_HEADER);
	out->is_bounce = detect_bounce(msg, from_raw ? from_raw : "");

	/* the body and the attachments */
	walk(&c, g_mime_message_get_mime_part(msg), 0);
	if (!c.oom) {
		if (c.plain && c.plain_len) {
			out->text = c.plain;
			c.plain = NULL;
		} else if (c.html) {
			out->text = mail_html_to_text(c.html, c.html_len);
			out->text_from_html = 1;
			if (!out->text)
				c.oom = 1;
		} else {
			out->text = dup_or_oom(&c, "");
		}
	}
	free(c.plain);
	free(c.html);
	if (c.oom) {
		why = "out of memory";
		goto fail;
	}
	g_object_unref(msg);
	return 0;

fail:
	g_object_unref(msg);
	mail_parsed_free(out);
	snprintf(err, errlen, "%s", why);
	return c.oom ? -2 : -1;
}

static void free_list(char **arr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(arr[i]);
	free(arr);
}

void mail_parsed_free(struct mail_parsed *m)
{
	if (!m)
		return;
	free(m->from_address);
	free(m->from_name);
	free(m->subject);
	free(m->message_id);
	free(m->in_reply_to);
	free_list(m->references, m->nreferences);
	free_list(m->to, m->nto);
	free_list(m->cc, m->ncc);
	free_list(m->delivered_to, m->ndelivered_to);
	free(m->auto_submitted);
	free(m->precedence);
	free(m->list_id);
	free(m->return_path);
	free(m->portal_notification);
	free(m->text);
	for (size_t i = 0; i < m->natt; i++) {
		free(m->att[i].filename);
		free(m->att[i].content_type);
		free(m->att[i].data);
	}
	free(m->att);
	memset(m, 0, sizeof *m);
}
