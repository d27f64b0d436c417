/* mail_text.c - text of received mail: clean UTF-8, the reply without its quoted history, HTML
 * reduced to plain text (libxml2's HTML parser; no GMime here, this is linked into every program). */
#include "mail_text.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "buf.h"
#include "str.h"

/* ------------------------------------------------------------------------------------------ */
/* Clean UTF-8                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* Control characters text never keeps: C0 but \t and \n, DEL, C1. */
static int is_ctl_cp(long cp)
{
	return (cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7f && cp <= 0x9f);
}

char *mail_text_clean(const char *s, size_t n)
{
	/* worst case: every byte an invalid one, each becoming U+FFFD (3 bytes) */
	char *out = n <= (SIZE_MAX - 1) / 3 ? malloc(n * 3 + 1) : NULL;
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		long cp;
		size_t len;

		if (s[i] == '\r') { /* CRLF and a lone CR both end a line */
			out[o++] = '\n';
			i += (i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
			continue;
		}
		len = utf8_next(s + i, n - i, &cp);
		if (cp < 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
		} else if (!is_ctl_cp(cp)) {
			memcpy(out + o, s + i, len);
			o += len;
		}
		i += len;
	}
	out[o] = '\0';
	return out;
}

char *mail_text_line(const char *s, size_t n, size_t max)
{
	char *clean = mail_text_clean(s, n), *out;
	size_t o = 0, i = 0, cn, chars = 0;
	int space = 0;

	if (!clean)
		return NULL;
	cn = strlen(clean);
	out = malloc(cn + 1);
	if (!out) {
		free(clean);
		return NULL;
	}
	while (i < cn) {
		long cp;
		size_t len = utf8_next(clean + i, cn - i, &cp);
		/* line and paragraph separators, tab, newline and the odd spaces fold into one space */
		if (cp == ' ' || cp == '\t' || cp == '\n' || cp == 0xa0 || cp == 0x2028 ||
		    cp == 0x2029 || cp == 0x3000) {
			space = o > 0;
		} else {
			if (space) {
				if (chars + 1 >= max)
					break;
				out[o++] = ' ';
				chars++;
				space = 0;
			}
			if (chars + 1 > max)
				break;
			memcpy(out + o, clean + i, len);
			o += len;
			chars++;
		}
		i += len;
	}
	out[o] = '\0';
	free(clean);
	return out;
}

/* ------------------------------------------------------------------------------------------ */
/* The quoted history                                                                         */
/* ------------------------------------------------------------------------------------------ */

struct line {
	const char *s; /* without its leading and trailing spaces, tabs and CR */
	size_t n;
	size_t start; /* offset of the raw line in the text */
};

static int ends_with(const struct line *l, const char *w)
{
	size_t wn = strlen(w);
	return l->n >= wn && memcmp(l->s + l->n - wn, w, wn) == 0;
}

static int starts_with(const struct line *l, const char *w)
{
	size_t wn = strlen(w);
	return l->n >= wn && memcmp(l->s, w, wn) == 0;
}

static int starts_nocase(const struct line *l, const char *lower)
{
	size_t wn = strlen(lower);
	if (l->n < wn)
		return 0;
	for (size_t i = 0; i < wn; i++)
		if (ascii_lower(l->s[i]) != lower[i])
			return 0;
	return 1;
}

static int has_digit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= '0' && s[i] <= '9')
			return 1;
	return 0;
}

static int contains(const char *s, size_t n, const char *w)
{
	return memmem(s, n, w, strlen(w)) != NULL;
}

/* The line without its ">" quoting (and the spaces after each ">"). */
static struct line unquoted(const struct line *l)
{
	struct line u = *l;
	while (u.n && (u.s[0] == '>' || u.s[0] == ' ' || u.s[0] == '\t')) {
		u.s++;
		u.n--;
	}
	return u;
}

static int is_blank(const struct line *l)
{
	return l->n == 0;
}

static int is_quoted(const struct line *l)
{
	return l->n && l->s[0] == '>';
}

/* Our reply marker, quoted or not: "##-" ... "-##". */
static int is_marker(const struct line *l)
{
	struct line u = unquoted(l);
	return u.n >= 6 && starts_with(&u, "##-") && ends_with(&u, "-##");
}

/*
 * An attribution line (s[0..n) possibly two lines joined): it starts with the word of its
 * language, holds a date (a digit) and ends with the verb. Short, so that prose does not match.
 */
static int is_attribution(const char *s, size_t n)
{
	struct line l = {s, n, 0};

	if (n > 400 || !has_digit(s, n))
		return 0;
	if (starts_with(&l, "On ") && ends_with(&l, "wrote:"))
		return 1;
	if (starts_with(&l, "Den ") && (contains(s, n, " skrev ") || ends_with(&l, "skrev:")) &&
	    ends_with(&l, ":"))
		return 1;
	if (starts_with(&l, "Le ") && (ends_with(&l, "a \xc3\xa9" "crit :") ||
				       ends_with(&l, "a \xc3\xa9" "crit:")))
		return 1;
	if (starts_with(&l, "Am ") && (contains(s, n, " schrieb ") || ends_with(&l, "schrieb:")) &&
	    ends_with(&l, ":"))
		return 1;
	return 0;
}

static int is_original_message(const struct line *l)
{
	static const char *const words[] = {"original message", "ursprungligt meddelande",
					    "urspr\xc3\xbcngliche nachricht", "message d'origine"};
	struct line u = *l;

	if (!starts_with(&u, "-----") || !ends_with(&u, "-----"))
		return 0;
	while (u.n && u.s[0] == '-')
		u.s++, u.n--;
	while (u.n && u.s[u.n - 1] == '-')
		u.n--;
	while (u.n && u.s[0] == ' ')
		u.s++, u.n--;
	while (u.n && u.s[u.n - 1] == ' ')
		u.n--;
	for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
		size_t wn = strlen(words[i]);
		if (u.n == wn && starts_nocase(&u, words[i]))
			return 1;
	}
	return 0;
}

/* "From:" of an Outlook header block, in English, Swedish, German or French ("*From:*" when
 * the block came through an HTML conversion that kept the bold). */
static int is_from_field(const struct line *l)
{
	struct line u = *l;
	if (u.n && u.s[0] == '*')
		u.s++, u.n--;
	return starts_with(&u, "From:") || starts_with(&u, "Fr\xc3\xa5n:") ||
	       starts_with(&u, "Von:") || starts_with(&u, "De :") || starts_with(&u, "De:");
}

static int is_header_field(const struct line *l)
{
	static const char *const names[] = {"Sent:", "Date:", "To:", "Subject:", "Cc:",
					    "Skickat:", "Datum:", "Till:", "\xc3\x84mne:",
					    "Gesendet:", "An:", "Betreff:", "Envoy\xc3\xa9 :",
					    "\xc3\x80 :", "Objet :"};
	struct line u = *l;
	if (u.n && u.s[0] == '*')
		u.s++, u.n--;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (starts_with(&u, names[i]))
			return 1;
	return 0;
}

static int is_underscores(const struct line *l)
{
	if (l->n < 10)
		return 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->s[i] != '_')
			return 0;
	return 1;
}

/* Split text into lines (trimmed views). NULL when out of memory. */
static struct line *split_lines(const char *text, size_t *count)
{
	size_t n = 1, k = 0;
	struct line *lines;
	const char *p = text;

	for (const char *c = text; *c; c++)
		n += *c == '\n';
	lines = malloc(n * sizeof *lines);
	if (!lines)
		return NULL;
	for (;;) {
		const char *eol = strchr(p, '\n'), *e = eol ? eol : p + strlen(p), *s = p;
		str_trim(&s, &e, " \t\r");
		lines[k].s = s;
		lines[k].n = (size_t)(e - s);
		lines[k].start = (size_t)(p - text);
		k++;
		if (!eol)
			break;
		p = eol + 1;
	}
	*count = k;
	return lines;
}

/* The index of the first line of the quoted history, or nlines when there is none. */
static size_t find_cut(const struct line *l, size_t nl)
{
	size_t i, q;

	for (i = 0; i < nl; i++) {
		if (is_marker(&l[i]) || is_original_message(&l[i]))
			return i;
		if (!is_quoted(&l[i]) && starts_with(&l[i], "On ") + starts_with(&l[i], "Den ") +
						 starts_with(&l[i], "Le ") + starts_with(&l[i], "Am ")) {
			if (is_attribution(l[i].s, l[i].n))
				return i;
			/* an attribution wrapped onto a second line */
			if (i + 1 < nl && l[i + 1].n && !ends_with(&l[i], ":")) {
				size_t span = (size_t)(l[i + 1].s + l[i + 1].n - l[i].s);
				if (is_attribution(l[i].s, span))
					return i;
			}
		}
		if (is_from_field(&l[i]) && (i == 0 || is_blank(&l[i - 1]) || is_underscores(&l[i - 1]))) {
			int fields = 0;
			for (size_t j = i + 1; j < nl && j <= i + 4 && !is_blank(&l[j]); j++)
				fields += is_header_field(&l[j]);
			if (fields >= 2)
				return i > 0 && is_underscores(&l[i - 1]) ? i - 1 : i;
		}
	}
	/* a trailing block of ">" lines (and blank ones) with at least one quoted line */
	q = nl;
	for (i = nl; i > 0; i--) {
		if (is_quoted(&l[i - 1]))
			q = i - 1;
		else if (!is_blank(&l[i - 1]))
			break;
	}
	if (q == nl)
		return nl;
	/* with its attribution line just above it ("Anna wrote:") */
	for (i = q; i > 0 && is_blank(&l[i - 1]); i--)
		;
	if (i > 0 && l[i - 1].n <= 200 && ends_with(&l[i - 1], ":"))
		return i - 1;
	return q;
}

/* Length of text[0..end) without trailing blank lines (and trailing whitespace). */
static size_t trim_tail(const char *text, size_t end)
{
	while (end > 0 && strchr(" \t\r\n", text[end - 1]))
		end--;
	return end;
}

char *mail_cut_quoted(const char *text, int *cut)
{
	struct line *lines;
	size_t nl, at, keep;


	*cut = 0;
	lines = split_lines(text, &nl);
	if (!lines)
		return NULL;
	at = find_cut(lines, nl);
	keep = at < nl ? trim_tail(text, lines[at].start) : 0;
	free(lines);
	if (at < nl && keep > 0) {
		*cut = 1;
		return strndup(text, keep);
	}
	return strndup(text, trim_tail(text, strlen(text)));
}

/* ------------------------------------------------------------------------------------------ */
/* HTML to text                                                                                */
/* ------------------------------------------------------------------------------------------ */

#define HTML_MAX_DEPTH 256 /* elements deeper than this give their text without structure */
#define HTML_MAX_HREF 2048

struct html_out {
	struct buf b;
	int pending_nl;	   /* line breaks owed before the next text (0..2) */
	int pending_space; /* a space owed before the next text */
	int at_line_start;
	int quote;	   /* blockquote depth: "> " per level at each line's start */
	int pre;	   /* inside <pre>: whitespace kept */
};

static void out_break(struct html_out *h, int n)
{
	if (h->b.len == 0)
		return; /* no leading blank lines */
	if (h->pending_nl < n)
		h->pending_nl = n;
	h->pending_space = 0;
}

static void out_br(struct html_out *h)
{
	if (h->b.len == 0)
		return;
	if (h->pending_nl < 2)
		h->pending_nl++;
	h->pending_space = 0;
}

static void out_begin_char(struct html_out *h)
{
	if (h->pending_nl) {
		for (int i = 0; i < h->pending_nl; i++) {
			buf_append(&h->b, "\n", 1);
			/* a blank line inside a quote keeps its ">" */
			if (i + 1 < h->pending_nl && h->quote)
				for (int q = 0; q < h->quote; q++)
					buf_append(&h->b, ">", 1);
		}
		h->pending_nl = 0;
		h->at_line_start = 1;
		h->pending_space = 0;
	}
	if (h->at_line_start) {
		for (int q = 0; q < h->quote; q++)
			buf_append(&h->b, "> ", 2);
		h->at_line_start = 0;
		h->pending_space = 0;
	} else if (h->pending_space) {
		buf_append(&h->b, " ", 1);
		h->pending_space = 0;
	}
}

static void out_text(struct html_out *h, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (h->pre && c == '\n') {
			h->pending_nl = h->pending_nl < 2 ? h->pending_nl + 1 : 2;
			if (h->b.len == 0)
				h->pending_nl = 0;
			i++;
		} else if (!h->pre && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')) {
			if (!h->at_line_start && !h->pending_nl && h->b.len)
				h->pending_space = 1;
			i++;
		} else if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] == 0xa0) {
			/* &nbsp;: a plain space that does not collapse */
			out_begin_char(h);
			buf_append(&h->b, " ", 1);
			i += 2;
		} else {
			size_t j = i + 1;
			while (j < n && ((unsigned char)s[j] & 0xc0) == 0x80)
				j++;
			out_begin_char(h);
			buf_append(&h->b, s + i, j - i);
			i = j;
		}
	}
}

static int name_is(const xmlNode *n, const char *name)
{
	return n->name && ascii_caseeq((const char *)n->name, name);
}

static int is_dropped(const xmlNode *n)
{
	static const char *const names[] = {"script", "style", "head", "title", "template",
					    "noscript", "object", "iframe", "svg", "math"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (name_is(n, names[i]))
			return 1;
	return 0;
}

/* 2: a paragraph (blank line around it), 1: a line of its own, 0: inline. */
static int block_kind(const xmlNode *n)
{
	static const char *const para[] = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
					   "pre", "table", "ul", "ol", "dl", "hr", "address",
					   "figure"};
	static const char *const line[] = {"div", "li", "tr", "dt", "dd", "section", "article",
					   "header", "footer", "nav", "aside", "main", "form",
					   "fieldset", "caption", "center", "body", "html",
					   "tbody", "thead", "tfoot", "details", "summary"};
	for (size_t i = 0; i < sizeof para / sizeof *para; i++)
		if (name_is(n, para[i]))
			return 2;
	for (size_t i = 0; i < sizeof line / sizeof *line; i++)
		if (name_is(n, line[i]))
			return 1;
	return 0;
}

/* An href worth showing: http(s) or mailto, printable, not too long. */
static int href_shown(const char *u)
{
	size_t n = strlen(u);
	if (n == 0 || n > HTML_MAX_HREF)
		return 0;
	if (!ascii_starts(u, "http://") && !ascii_starts(u, "https://") && !ascii_starts(u, "mailto:"))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
			return 0;
	return 1;
}

static void walk(struct html_out *h, const xmlNode *node, int depth)
{
	for (const xmlNode *n = node; n; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				out_text(h, (const char *)n->content);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE || is_dropped(n))
			continue;
		if (name_is(n, "br")) {
			out_br(h);
			continue;
		}
		int kind = block_kind(n), quote = name_is(n, "blockquote"), pre = name_is(n, "pre");
		int cell = name_is(n, "td") || name_is(n, "th");
		size_t mark = 0;
		xmlChar *href = NULL;

		if (kind)
			out_break(h, kind);
		if (cell && !h->at_line_start && !h->pending_nl && h->b.len)
			h->pending_space = 1;
		if (name_is(n, "li")) {
			out_begin_char(h);
			buf_append(&h->b, "- ", 2);
		}
		if (name_is(n, "a")) {
			href = xmlGetProp(n, (const xmlChar *)"href");
			mark = h->b.len;
		}
		h->quote += quote;
		h->pre += pre;
		if (depth < HTML_MAX_DEPTH)
			walk(h, n->children, depth + 1);
		h->quote -= quote;
		h->pre -= pre;
		if (href) {
			const char *u = (const char *)href, *shown = u;
			if (ascii_starts(u, "mailto:"))
				shown = u + 7;
			size_t tn = h->b.len - mark;
			const char *t = h->b.data ? h->b.data + mark : "";
			/* the link's text, trimmed */
			while (tn && (*t == ' ' || *t == '\n'))
				t++, tn--;
			if (href_shown(u) && !(tn == strlen(shown) && memcmp(t, shown, tn) == 0) &&
			    !(tn == strlen(u) && memcmp(t, u, tn) == 0)) {
				if (tn == 0) {
					out_text(h, u);
				} else {
					out_begin_char(h);
					buf_append(&h->b, " (", 2);
					buf_append(&h->b, u, strlen(u));
					buf_append(&h->b, ")", 1);
				}
			}
			xmlFree(href);
		}
		if (kind)
			out_break(h, kind);
	}
}

char *mail_html_to_text(const char *html, size_t len)
{
	struct html_out h;
	htmlDocPtr doc;
	char *out;
	const char *enc;

	if (len == 0)
		return strdup("");
	if (len > INT_MAX)
		len = INT_MAX;
	memset(&h, 0, sizeof h);
	buf_init(&h.b);
	/* bytes that are valid UTF-8 are taken as UTF-8, whatever a meta says; else the meta */
	enc = utf8_valid(html, len) ? "UTF-8" : NULL;
	doc = htmlReadMemory(html, (int)len, NULL, enc,
			     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
				     HTML_PARSE_NONET | HTML_PARSE_NOIMPLIED);
	if (doc) {
		walk(&h, doc->children, 0);
		xmlFreeDoc(doc);
	}
	out = h.b.oom ? NULL : mail_text_clean(h.b.data ? h.b.data : "", h.b.len);
	buf_free(&h.b);
	return out;
}
