/* tmpl.c - mustache compiler and renderer: templates as flat node arrays, rendered with json-c. */
#include "tmpl.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * Compiled form. A template is a flat array of nodes in document order. Containers
 * (section, inverted, parent, block) keep in `end` the index one past their last
 * descendant, so their children are [i + 1, end) and the renderer is a loop that recurses
 * only into containers; leaves have end = i + 1. Text nodes are slices of the template's
 * private copy of the source and never span a line end; names sit NUL-terminated in a
 * per-template pool, dotted names pre-split into segments. Nothing is parsed at render time.
 *
 * Whitespace is settled while compiling. A section, inverted, comment, partial, delimiter
 * or block tag alone on its line (only spaces/tabs around it) is standalone: the whole line
 * goes, and for partials and blocks its leading whitespace is kept as the node's indent. A
 * parent pair is standalone when its opening tag starts its line and its closing tag ends
 * one. Inside a parent only argument blocks matter (other text is dropped); an argument's
 * opening tag that ends its line takes that line end with it, and its closing tag takes the
 * whitespace before it when that starts a line. An argument, or a standalone parameter
 * block, has an intrinsic indentation when its opening tag ends its line: the leading
 * whitespace of the next line. It is stripped from the start of every line inside the block
 * (cumulatively for nested blocks) and a parameter keeps it as its indent, so content moves
 * to wherever the block is expanded. A parameter tag that starts a line without being
 * standalone indents overrides (not its default) by the whitespace before it.
 *
 * Rendering keeps a stack of indents (one per partial, parent or block being expanded) and
 * a `bol` flag, set after a text node that ends a line. The next text or non-empty value
 * emitted while bol is set is preceded by the whole stack (blank lines get none). Values
 * never set bol, so multi-line data is not re-indented. Block overrides are found through
 * a chain of the parent tags being expanded, searched outermost first.
 */

#define MAX_NEST 100    /* open sections, parents and blocks while compiling one template */
#define MAX_EXPAND 64   /* nested partial, parent and block expansions while rendering */
#define MAX_DEPTH 512   /* nested containers of any kind while rendering */
#define MAX_DIR_DEPTH 32
#define MAX_SRC (UINT32_MAX / 4)

enum ntype { N_TEXT, N_ESC, N_RAW, N_SECTION, N_INVERTED, N_PARTIAL, N_PARENT, N_BLOCK };

#define NF_EOL 1    /* text: ends a line */
#define NF_BLANK 2  /* text: nothing but a line end */
#define NF_DEFIND 4 /* block: the indent applies to the default content too */

struct node {
	uint8_t type;
	uint8_t flags;
	uint8_t nseg;  /* named nodes: name segments; 0 is the implicit iterator "." */
	uint32_t off;  /* text: start in src; named nodes: name in pool */
	uint32_t len;  /* text: length */
	uint32_t end;  /* one past the last descendant */
	uint32_t ioff; /* partial, parent, block: indent, a slice of src */
	uint32_t ilen;
};

struct tmpl {
	char *name;
	char *src;  /* private copy of the source */
	char *pool; /* names, NUL-terminated */
	struct node *nodes;
	uint32_t n;
};

struct tmpl_set {
	struct tmpl **v; /* sorted by name */
	size_t n, cap;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* ---- compiling ---- */

struct open {
	uint32_t idx;      /* the container node */
	uint32_t line;     /* of its opening tag */
	size_t nb, ne;     /* raw name in src, to match the closing tag */
	size_t soff, slen; /* the strip in force before it opened */
	int32_t ws;        /* parent: text node with the whitespace before it, or -1 */
	int lclear;        /* parent: only whitespace before it on its line */
};

struct parser {
	const char *src;
	size_t len, pos; /* pos: first byte not yet turned into nodes */
	const char *otag, *ctag;
	size_t olen, clen;
	struct node *nodes;
	uint32_t n, cap;
	struct buf pool;
	struct open open[MAX_NEST];
	int nopen;
	size_t soff, slen; /* intrinsic indentation stripped from each line start */
	size_t lpos;       /* line counting: ps->line is the line of lpos */
	uint32_t line;
	char *err;
	size_t errlen;
};

struct tag {
	char kind;         /* 0 for a variable, else the sigil: { & ! # ^ / > < $ = */
	size_t start, end; /* the whole tag */
	size_t nb, ne;     /* its content, whitespace trimmed */
};

static uint32_t line_at(struct parser *ps, size_t p)
{
	const char *s, *e = ps->src + p;

	if (p < ps->lpos) {
		ps->lpos = 0;
		ps->line = 1;
	}
	for (s = ps->src + ps->lpos; (s = memchr(s, '\n', (size_t)(e - s))); s++)
		ps->line++;
	ps->lpos = p;
	return ps->line;
}

static int name_len(const struct tag *tg)
{
	size_t n = tg->ne - tg->nb;
	return n > 64 ? 64 : (int)n;
}

static int oom(struct parser *ps)
{
	seterr(ps->err, ps->errlen, "out of memory");
	return -1;
}

static struct node *add_node(struct parser *ps, int type)
{
	struct node *n;

	if (ps->n == ps->cap) {
		uint32_t ncap = ps->cap ? ps->cap * 2 : 32;
		struct node *nv = realloc(ps->nodes, ncap * sizeof *nv);
		if (!nv)
			return NULL;
		ps->nodes = nv;
		ps->cap = ncap;
	}
	n = &ps->nodes[ps->n];
	memset(n, 0, sizeof *n);
	n->type = (uint8_t)type;
	n->end = ++ps->n;
	return n;
}

static int add_text(struct parser *ps, size_t a, size_t e)
{
	struct node *n = add_node(ps, N_TEXT);

	if (!n)
		return oom(ps);
	n->off = (uint32_t)a;
	n->len = (uint32_t)(e - a);
	if (ps->src[e - 1] == '\n') {
		n->flags = NF_EOL;
		if (e - a == 1 || (e - a == 2 && ps->src[a] == '\r'))
			n->flags |= NF_BLANK;
	}
	return 0;
}

static int in_parent(const struct parser *ps)
{
	return ps->nopen && ps->nodes[ps->open[ps->nopen - 1].idx].type == N_PARENT;
}

/* Position after the part of the strip that the line starting at ls begins with. */
static size_t skip_strip(const struct parser *ps, size_t ls, size_t lim)
{
	size_t k = 0;

	while (k < ps->slen && ls + k < lim && ps->src[ls + k] == ps->src[ps->soff + k])
		k++;
	return ls + k;
}

/* Adds src[a, b) as text nodes, one per line, stripped; text directly in a parent is dropped. */
static int emit_text(struct parser *ps, size_t a, size_t b)
{
	if (in_parent(ps))
		return 0;
	while (a < b) {
		const char *nl;
		size_t e;

		if (a == 0 || ps->src[a - 1] == '\n')
			a = skip_strip(ps, a, b);
		nl = memchr(ps->src + a, '\n', b - a);
		e = nl ? (size_t)(nl - ps->src) + 1 : b;
		if (e > a && add_text(ps, a, e) < 0)
			return -1;
		a = e;
	}
	return 0;
}

/* Only spaces/tabs between the start of p's line and p; *ls = where they start. */
static int clear_left(const struct parser *ps, size_t p, size_t *ls)
{
	while (p > 0 && is_blank(ps->src[p - 1]))
		p--;
	*ls = p;
	return p == 0 || ps->src[p - 1] == '\n';
}

/* Only spaces/tabs between q and the end of its line; *le = start of the next line. */
static int clear_right(const struct parser *ps, size_t q, size_t *le)
{
	while (q < ps->len && is_blank(ps->src[q]))
		q++;
	if (q < ps->len && ps->src[q] == '\r' && q + 1 < ps->len && ps->src[q + 1] == '\n')
		q++;
	if (q < ps->len && ps->src[q] != '\n')
		return 0;
	*le = q < ps->len ? q + 1 : q;
	return 1;
}

/*
 * For tags that print nothing in place: if the tag is alone on its line the line goes and
 * [*ib, *ie) is its (stripped) leading whitespace; else the text before it is kept and the
 * range is empty. Returns 1 if standalone, 0 if not, -1 on error.
 */
static int place(struct parser *ps, const struct tag *tg, size_t *ib, size_t *ie)
{
	size_t ls, le;

	*ib = *ie = tg->start;
	if (clear_left(ps, tg->start, &ls) && clear_right(ps, tg->end, &le)) {
		if (emit_text(ps, ps->pos, ls) < 0)
			return -1;
		*ib = skip_strip(ps, ls, tg->start);
		ps->pos = le;
		return 1;
	}
	if (emit_text(ps, ps->pos, tg->start) < 0)
		return -1;
	ps->pos = tg->end;
	return 0;
}

/*
 * The line starting at `at` begins a block's content: take its leading whitespace beyond
 * the current strip as the block's intrinsic indentation [*ib, *ie) and strip it from here
 * on. Returns 0 (nothing taken) for a blank or less indented line.
 */
static int intrinsic(struct parser *ps, size_t at, size_t *ib, size_t *ie)
{
	size_t k = skip_strip(ps, at, ps->len), e = k;

	if (k - at < ps->slen)
		return 0;
	while (e < ps->len && is_blank(ps->src[e]))
		e++;
	if (e == k || e == ps->len || ps->src[e] == '\n' || ps->src[e] == '\r')
		return 0;
	ps->soff = at;
	ps->slen = e - at;
	*ib = k;
	*ie = e;
	return 1;
}

static int check_name(struct parser *ps, const struct tag *tg)
{
	if (tg->nb == tg->ne) {
		seterr(ps->err, ps->errlen, "line %u: empty tag", line_at(ps, tg->start));
		return -1;
	}
	for (size_t i = tg->nb; i < tg->ne; i++) {
		if (is_ws(ps->src[i])) {
			seterr(ps->err, ps->errlen, "line %u: invalid name '%.*s'",
			       line_at(ps, tg->start), name_len(tg), ps->src + tg->nb);
			return -1;
		}
	}
	return 0;
}

/* Copies the name into the pool, split at dots when split is set (variables, sections). */
static int pool_name(struct parser *ps, struct node *n, const struct tag *tg, int split)
{
	const char *name = ps->src + tg->nb;
	size_t len = tg->ne - tg->nb, b = 0;

	n->off = (uint32_t)ps->pool.len;
	if (split && len == 1 && name[0] == '.')
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && (!split || name[i] != '.'))
			continue;
		if (i == b || n->nseg == 255) {
			seterr(ps->err, ps->errlen, "line %u: invalid name '%.*s'",
			       line_at(ps, tg->start), name_len(tg), name);
			return -1;
		}
		buf_append(&ps->pool, name + b, i - b);
		buf_putc(&ps->pool, '\0');
		n->nseg++;
		b = i + 1;
	}
	return ps->pool.oom ? oom(ps) : 0;
}

static int add_named(struct parser *ps, int type, const struct tag *tg, int split)
{
	struct node *n;

	if (check_name(ps, tg) < 0)
		return -1;
	n = add_node(ps, type);
	if (!n)
		return oom(ps);
	return pool_name(ps, n, tg, split);
}

static int push_open(struct parser *ps, const struct tag *tg)
{
	struct open *o;

	if (ps->nopen == MAX_NEST) {
		seterr(ps->err, ps->errlen, "line %u: sections nested deeper than %d",
		       line_at(ps, tg->start), MAX_NEST);
		return -1;
	}
	o = &ps->open[ps->nopen++];
	o->idx = ps->n - 1;
	o->line = line_at(ps, tg->start);
	o->nb = tg->nb;
	o->ne = tg->ne;
	o->soff = ps->soff;
	o->slen = ps->slen;
	o->ws = -1;
	o->lclear = 0;
	return 0;
}

static int var_tag(struct parser *ps, const struct tag *tg)
{
	if (emit_text(ps, ps->pos, tg->start) < 0)
		return -1;
	ps->pos = tg->end;
	return add_named(ps, tg->kind ? N_RAW : N_ESC, tg, 1);
}

static int comment_tag(struct parser *ps, const struct tag *tg)
{
	size_t ib, ie;

	return place(ps, tg, &ib, &ie) < 0 ? -1 : 0;
}

/* {{=<% %>=}}: two whitespace-separated delimiters without '=' or whitespace in them. */
static int delim_tag(struct parser *ps, const struct tag *tg)
{
	const char *s = ps->src;
	size_t m = tg->nb, b, ib, ie;

	while (m < tg->ne && !is_ws(s[m]) && s[m] != '=')
		m++;
	b = m;
	while (b < tg->ne && is_ws(s[b]))
		b++;
	if (m == tg->nb || b == m || b == tg->ne || memchr(s + tg->nb, '=', tg->ne - tg->nb))
		goto bad;
	for (size_t i = b; i < tg->ne; i++)
		if (is_ws(s[i]))
			goto bad;
	if (place(ps, tg, &ib, &ie) < 0)
		return -1;
	ps->otag = s + tg->nb;
	ps->olen = m - tg->nb;
	ps->ctag = s + b;
	ps->clen = tg->ne - b;
	return 0;
bad:
	seterr(ps->err, ps->errlen, "line %u: invalid delimiters", line_at(ps, tg->start));
	return -1;
}

static int section_tag(struct parser *ps, const struct tag *tg)
{
	size_t ib, ie;

	if (place(ps, tg, &ib, &ie) < 0)
		return -1;
	if (add_named(ps, tg->kind == '#' ? N_SECTION : N_INVERTED, tg, 1) < 0)
		return -1;
	return push_open(ps, tg);
}

static void set_indent(struct parser *ps, uint32_t idx, size_t ib, size_t ie)
{
	ps->nodes[idx].ioff = (uint32_t)ib;
	ps->nodes[idx].ilen = (uint32_t)(ie - ib);
}

static int partial_tag(struct parser *ps, const struct tag *tg)
{
	size_t ib, ie;

	if (place(ps, tg, &ib, &ie) < 0 || add_named(ps, N_PARTIAL, tg, 0) < 0)
		return -1;
	set_indent(ps, ps->n - 1, ib, ie);
	return 0;
}

/* The whitespace before a parent tag that starts its line becomes its own text node, dropped
 * later (and made the parent's indent) if the closing tag ends its line. */
static int parent_tag(struct parser *ps, const struct tag *tg)
{
	size_t ls, ib = tg->start;
	int32_t ws = -1;
	int lc = clear_left(ps, tg->start, &ls);

	if (lc && !in_parent(ps)) {
		if (emit_text(ps, ps->pos, ls) < 0)
			return -1;
		ib = skip_strip(ps, ls, tg->start);
		if (ib < tg->start) {
			if (add_text(ps, ib, tg->start) < 0)
				return -1;
			ws = (int32_t)(ps->n - 1);
		}
	} else if (emit_text(ps, ps->pos, tg->start) < 0) {
		return -1;
	}
	ps->pos = tg->end;
	if (add_named(ps, N_PARENT, tg, 0) < 0)
		return -1;
	set_indent(ps, ps->n - 1, ib, tg->start);
	if (push_open(ps, tg) < 0)
		return -1;
	ps->open[ps->nopen - 1].ws = ws;
	ps->open[ps->nopen - 1].lclear = lc;
	return 0;
}

/* A block directly inside a parent: an argument, whose content replaces the parent's block. */
static int arg_block(struct parser *ps, const struct tag *tg)
{
	size_t le, ib, ie;
	int rc = clear_right(ps, tg->end, &le);

	ps->pos = rc ? le : tg->end;
	if (add_named(ps, N_BLOCK, tg, 0) < 0 || push_open(ps, tg) < 0)
		return -1;
	if (rc)
		intrinsic(ps, le, &ib, &ie);
	return 0;
}

/*
 * A block elsewhere: a parameter, rendered in place with its default content or with an
 * override. Standalone with intrinsic indentation: that is the indent for both. Otherwise,
 * if the tag starts its line, its leading whitespace is the indent for overrides only.
 */
static int param_block(struct parser *ps, const struct tag *tg)
{
	size_t ls, ib, ie;
	int lc = clear_left(ps, tg->start, &ls);
	int sa = place(ps, tg, &ib, &ie);
	uint32_t idx;

	if (sa < 0 || add_named(ps, N_BLOCK, tg, 0) < 0 || push_open(ps, tg) < 0)
		return -1;
	idx = ps->n - 1;
	if (sa && intrinsic(ps, ps->pos, &ib, &ie))
		ps->nodes[idx].flags |= NF_DEFIND;
	else if (!sa && lc)
		ib = skip_strip(ps, ls, tg->start);
	set_indent(ps, idx, ib, ie);
	return 0;
}

static int block_tag(struct parser *ps, const struct tag *tg)
{
	return in_parent(ps) ? arg_block(ps, tg) : param_block(ps, tg);
}

static int parent_close(struct parser *ps, const struct tag *tg, const struct open *o)
{
	size_t le;

	if (o->lclear && clear_right(ps, tg->end, &le)) {
		if (o->ws >= 0)
			ps->nodes[o->ws].len = 0;
		ps->pos = le;
	} else {
		ps->nodes[o->idx].ilen = 0;
		ps->pos = tg->end;
	}
	return 0;
}

static int arg_close(struct parser *ps, const struct tag *tg)
{
	size_t ls;
	size_t b = clear_left(ps, tg->start, &ls) ? ls : tg->start;

	if (emit_text(ps, ps->pos, b) < 0)
		return -1;
	ps->pos = tg->end;
	return 0;
}

static int close_kind(const struct parser *ps)
{
	int type = ps->nodes[ps->open[ps->nopen - 1].idx].type;

	if (type == N_BLOCK && ps->nopen > 1 &&
	    ps->nodes[ps->open[ps->nopen - 2].idx].type == N_PARENT)
		return 'a';
	return type == N_PARENT ? 'p' : 's';
}

static int close_tag(struct parser *ps, const struct tag *tg)
{
	const struct open *o;
	size_t ib, ie;
	int rc;

	if (check_name(ps, tg) < 0)
		return -1;
	if (!ps->nopen) {
		seterr(ps->err, ps->errlen, "line %u: closing tag '%.*s' without an open section",
		       line_at(ps, tg->start), name_len(tg), ps->src + tg->nb);
		return -1;
	}
	o = &ps->open[ps->nopen - 1];
	if (o->ne - o->nb != tg->ne - tg->nb ||
	    memcmp(ps->src + o->nb, ps->src + tg->nb, o->ne - o->nb)) {
		seterr(ps->err, ps->errlen,
		       "line %u: closing tag '%.*s' does not match '%.*s' (line %u)",
		       line_at(ps, tg->start), name_len(tg), ps->src + tg->nb,
		       (int)(o->ne - o->nb > 64 ? 64 : o->ne - o->nb), ps->src + o->nb, o->line);
		return -1;
	}
	switch (close_kind(ps)) {
	case 'p': rc = parent_close(ps, tg, o); break;
	case 'a': rc = arg_close(ps, tg); break;
	default: rc = place(ps, tg, &ib, &ie); break;
	}
	if (rc < 0)
		return -1;
	ps->soff = o->soff;
	ps->slen = o->slen;
	ps->nodes[o->idx].end = ps->n;
	ps->nopen--;
	return 0;
}

/* Finds the closing delimiter at or after from (preceded by `pre` if non-zero); *ce = end of
 * the tag's content. */
static int find_close(const struct parser *ps, size_t from, char pre, size_t *ce)
{
	size_t q = from;

	while (q < ps->len) {
		const char *hit = memmem(ps->src + q, ps->len - q, ps->ctag, ps->clen);
		size_t h;

		if (!hit)
			return -1;
		h = (size_t)(hit - ps->src);
		if (!pre) {
			*ce = h;
			return 0;
		}
		if (h > from && ps->src[h - 1] == pre) {
			*ce = h - 1;
			return 0;
		}
		q = h + 1;
	}
	return -1;
}

static int scan_tag(struct parser *ps, size_t p, struct tag *tg)
{
	static const char sigils[] = "{&!#^/><$=";
	size_t b = p + ps->olen, ce;
	char pre = 0;

	tg->start = p;
	tg->kind = 0;
	if (b < ps->len && memchr(sigils, ps->src[b], sizeof sigils - 1))
		tg->kind = ps->src[b++];
	if (tg->kind == '{')
		pre = '}';
	else if (tg->kind == '=')
		pre = '=';
	if (find_close(ps, b, pre, &ce) < 0) {
		seterr(ps->err, ps->errlen, "line %u: unclosed tag", line_at(ps, p));
		return -1;
	}
	tg->end = ce + (pre ? 1 : 0) + ps->clen;
	while (b < ce && is_ws(ps->src[b]))
		b++;
	while (ce > b && is_ws(ps->src[ce - 1]))
		ce--;
	tg->nb = b;
	tg->ne = ce;
	return 0;
}

static int on_tag(struct parser *ps, const struct tag *tg)
{
	switch (tg->kind) {
	case 0:
	case '&':
	case '{': return var_tag(ps, tg);
	case '!': return comment_tag(ps, tg);
	case '=': return delim_tag(ps, tg);
	case '#':
	case '^': return section_tag(ps, tg);
	case '>': return partial_tag(ps, tg);
	case '<': return parent_tag(ps, tg);
	case '$': return block_tag(ps, tg);
	default: return close_tag(ps, tg);
	}
}

static int parse(struct parser *ps)
{
	while (ps->pos < ps->len) {
		const char *hit = memmem(ps->src + ps->pos, ps->len - ps->pos, ps->otag, ps->olen);
		struct tag tg;

		if (!hit) {
			if (emit_text(ps, ps->pos, ps->len) < 0)
				return -1;
			break;
		}
		if (scan_tag(ps, (size_t)(hit - ps->src), &tg) < 0 || on_tag(ps, &tg) < 0)
			return -1;
	}
	if (ps->nopen) {
		const struct open *o = &ps->open[ps->nopen - 1];
		seterr(ps->err, ps->errlen, "line %u: unclosed section '%.*s'", o->line,
		       (int)(o->ne - o->nb > 64 ? 64 : o->ne - o->nb), ps->src + o->nb);
		return -1;
	}
	return 0;
}

static void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->src);
	free(t->pool);
	free(t->nodes);
	free(t);
}

static struct tmpl *compile(const char *name, const char *src, size_t len, char *err,
			    size_t errlen)
{
	struct tmpl *t;
	struct parser ps;

	if (len > MAX_SRC) {
		seterr(err, errlen, "template too large");
		return NULL;
	}
	t = calloc(1, sizeof *t);
	if (!t || !(t->name = strdup(name)) || !(t->src = malloc(len + 1))) {
		tmpl_free(t);
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (len)
		memcpy(t->src, src, len);
	t->src[len] = '\0';
	memset(&ps, 0, sizeof ps);
	ps.src = t->src;
	ps.len = len;
	ps.otag = "{{";
	ps.ctag = "}}";
	ps.olen = ps.clen = 2;
	ps.line = 1;
	ps.err = err;
	ps.errlen = errlen;
	buf_init(&ps.pool);
	if (parse(&ps) < 0) {
		free(ps.nodes);
		buf_free(&ps.pool);
		tmpl_free(t);
		return NULL;
	}
	t->nodes = ps.nodes;
	t->n = ps.n;
	t->pool = ps.pool.data;
	return t;
}

/* ---- the set ---- */

struct tmpl_set *tmpl_set_new(void)
{
	return calloc(1, sizeof(struct tmpl_set));
}

void tmpl_set_free(struct tmpl_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		tmpl_free(s->v[i]);
	free(s->v);
	free(s);
}

/* Index of name, or where it would go; *found says which. */
static size_t set_find(const struct tmpl_set *s, const char *name, int *found)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->v[mid]->name, name);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static const struct tmpl *set_get(const struct tmpl_set *s, const char *name)
{
	int found;
	size_t i = set_find(s, name, &found);

	return found ? s->v[i] : NULL;
}

static int set_insert(struct tmpl_set *s, size_t i, struct tmpl *t)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		struct tmpl **nv = realloc(s->v, ncap * sizeof *nv);
		if (!nv)
			return -1;
		s->v = nv;
		s->cap = ncap;
	}
	memmove(s->v + i + 1, s->v + i, (s->n - i) * sizeof *s->v);
	s->v[i] = t;
	s->n++;
	return 0;
}

int tmpl_set_add(struct tmpl_set *s, const char *name, const char *src, size_t len, char *err,
		 size_t errlen)
{
	struct tmpl *t;
	size_t i;
	int found;

	if (!s || !name || (!src && len)) {
		seterr(err, errlen, "invalid argument");
		return -1;
	}
	t = compile(name, src, len, err, errlen);
	if (!t)
		return -1;
	i = set_find(s, name, &found);
	if (found) {
		tmpl_free(s->v[i]);
		s->v[i] = t;
	} else if (set_insert(s, i, t) < 0) {
		tmpl_free(t);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int tmpl_set_has(const struct tmpl_set *s, const char *name)
{
	return s && name && set_get(s, name) != NULL;
}

/* ---- rendering ---- */

struct frame {
	const struct tmpl *t;
	uint32_t idx; /* a parent node of t */
};

struct rstate {
	const struct tmpl_set *set;
	struct buf *out;
	struct json_object *ctx[MAX_DEPTH + 1];
	int nctx;
	struct {
		const char *s;
		size_t n;
	} ind[MAX_EXPAND];
	int nind;
	struct frame chain[MAX_EXPAND]; /* parents being expanded, outermost first */
	int nchain;
	int depth;
	int bol;
	int failed;
	char *err;
	size_t errlen;
};

static void render_range(struct rstate *st, const struct tmpl *t, uint32_t i, uint32_t end);

static void rfail(struct rstate *st, const char *msg)
{
	if (!st->failed)
		seterr(st->err, st->errlen, "%s", msg);
	st->failed = 1;
}

static void put_indent(struct rstate *st)
{
	for (int k = 0; k < st->nind; k++)
		if (st->ind[k].n)
			buf_append(st->out, st->ind[k].s, st->ind[k].n);
	st->bol = 0;
}

static void put_text(struct rstate *st, const struct tmpl *t, const struct node *n)
{
	if (!n->len)
		return;
	if (st->bol && !(n->flags & NF_BLANK))
		put_indent(st);
	buf_append(st->out, t->src + n->off, n->len);
	st->bol = n->flags & NF_EOL;
}

/* Name resolution per the spec: first segment up the context stack, the rest inside it. */
static struct json_object *lookup(const struct rstate *st, const struct tmpl *t,
				  const struct node *n)
{
	const char *seg;
	struct json_object *v = NULL;
	int k;

	if (!n->nseg)
		return st->ctx[st->nctx - 1];
	seg = t->pool + n->off;
	for (k = st->nctx - 1; k >= 0; k--)
		if (json_object_is_type(st->ctx[k], json_type_object) &&
		    json_object_object_get_ex(st->ctx[k], seg, &v))
			break;
	if (k < 0)
		return NULL;
	for (int i = 1; i < n->nseg; i++) {
		seg += strlen(seg) + 1;
		if (!json_object_is_type(v, json_type_object) ||
		    !json_object_object_get_ex(v, seg, &v))
			return NULL;
	}
	return v;
}

static int truthy(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return 0;
	case json_type_boolean: return json_object_get_boolean(v);
	case json_type_array: return json_object_array_length(v) > 0;
	case json_type_string: return json_object_get_string_len(v) > 0;
	case json_type_int: return json_object_get_int64(v) != 0;
	case json_type_double: return json_object_get_double(v) != 0;
	default: return 1;
	}
}

static size_t fmt_int(struct json_object *v, char *tmp, size_t len)
{
	int64_t i = json_object_get_int64(v);
	int n;

	if (i == INT64_MAX)
		n = snprintf(tmp, len, "%" PRIu64, json_object_get_uint64(v));
	else
		n = snprintf(tmp, len, "%" PRId64, i);
	return n > 0 ? (size_t)n : 0;
}

/* Shortest of %.15g..%.17g that reads back as d: 1.21 -> "1.21", 3.0 -> "3". */
static size_t fmt_double(double d, char *tmp, size_t len)
{
	int n = 0;

	if (!isfinite(d))
		return 0;
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(tmp, len, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	return n > 0 ? (size_t)n : 0;
}

/* The text of a scalar; 0 for what renders as nothing (null, objects, arrays). */
static size_t scalar(struct json_object *v, char *tmp, size_t len, const char **s)
{
	*s = tmp;
	switch (json_object_get_type(v)) {
	case json_type_string:
		*s = json_object_get_string(v);
		return (size_t)json_object_get_string_len(v);
	case json_type_boolean:
		*s = json_object_get_boolean(v) ? "true" : "false";
		return strlen(*s);
	case json_type_int: return fmt_int(v, tmp, len);
	case json_type_double: return fmt_double(json_object_get_double(v), tmp, len);
	default: return 0;
	}
}

static void put_value(struct rstate *st, const struct tmpl *t, const struct node *n)
{
	char tmp[48];
	const char *s;
	size_t len = scalar(lookup(st, t, n), tmp, sizeof tmp, &s);

	if (!len)
		return;
	if (st->bol)
		put_indent(st);
	if (n->type == N_ESC)
		buf_html(st->out, s, len);
	else
		buf_append(st->out, s, len);
}

static void with_ctx(struct rstate *st, struct json_object *v, const struct tmpl *t, uint32_t i)
{
	if (st->nctx > MAX_DEPTH) {
		rfail(st, "template nesting too deep");
		return;
	}
	st->ctx[st->nctx++] = v;
	render_range(st, t, i + 1, t->nodes[i].end);
	st->nctx--;
}

static void section(struct rstate *st, const struct tmpl *t, uint32_t i)
{
	const struct node *n = &t->nodes[i];
	struct json_object *v = lookup(st, t, n);

	if (n->type == N_INVERTED) {
		if (!truthy(v))
			render_range(st, t, i + 1, n->end);
		return;
	}
	if (!truthy(v))
		return;
	if (!json_object_is_type(v, json_type_array)) {
		with_ctx(st, v, t, i);
		return;
	}
	for (size_t k = 0, len = json_object_array_length(v); k < len && !st->failed; k++)
		with_ctx(st, json_object_array_get_idx(v, k), t, i);
}

/* Renders t's nodes [from, to) with one more indent level. */
static void expand(struct rstate *st, const struct tmpl *t, uint32_t from, uint32_t to,
		   const char *ind, size_t ilen)
{
	if (st->nind == MAX_EXPAND) {
		rfail(st, "partials nested too deep (more than 64 levels)");
		return;
	}
	st->ind[st->nind].s = ind;
	st->ind[st->nind].n = ilen;
	st->nind++;
	render_range(st, t, from, to);
	st->nind--;
}

static void partial(struct rstate *st, const struct tmpl *t, const struct node *n)
{
	const struct tmpl *p = set_get(st->set, t->pool + n->off);

	if (p)
		expand(st, p, 0, p->n, t->src + n->ioff, n->ilen);
}

static void parent(struct rstate *st, const struct tmpl *t, uint32_t i)
{
	const struct node *n = &t->nodes[i];
	const struct tmpl *p = set_get(st->set, t->pool + n->off);

	if (!p)
		return;
	if (st->nchain == MAX_EXPAND) {
		rfail(st, "partials nested too deep (more than 64 levels)");
		return;
	}
	st->chain[st->nchain].t = t;
	st->chain[st->nchain].idx = i;
	st->nchain++;
	expand(st, p, 0, p->n, t->src + n->ioff, n->ilen);
	st->nchain--;
}

/* The argument for block `name` from the outermost parent that has one. */
static int find_arg(const struct rstate *st, const char *name, const struct tmpl **at,
		    uint32_t *ai)
{
	for (int c = 0; c < st->nchain; c++) {
		const struct tmpl *t = st->chain[c].t;
		uint32_t i = st->chain[c].idx, end = t->nodes[i].end;

		for (i++; i < end; i = t->nodes[i].end) {
			const struct node *n = &t->nodes[i];

			if (n->type == N_BLOCK && !strcmp(t->pool + n->off, name)) {
				*at = t;
				*ai = i;
				return 1;
			}
		}
	}
	return 0;
}

static void block(struct rstate *st, const struct tmpl *t, uint32_t i)
{
	const struct node *n = &t->nodes[i];
	const struct tmpl *at;
	uint32_t ai;

	if (find_arg(st, t->pool + n->off, &at, &ai))
		expand(st, at, ai + 1, at->nodes[ai].end, t->src + n->ioff, n->ilen);
	else
		expand(st, t, i + 1, n->end, t->src + n->ioff,
		       (n->flags & NF_DEFIND) ? n->ilen : 0);
}

static void render_range(struct rstate *st, const struct tmpl *t, uint32_t i, uint32_t end)
{
	if (++st->depth > MAX_DEPTH) {
		rfail(st, "template nesting too deep");
		st->depth--;
		return;
	}
	while (i < end && !st->failed && !st->out->oom) {
		const struct node *n = &t->nodes[i];

		switch (n->type) {
		case N_TEXT: put_text(st, t, n); break;
		case N_ESC:
		case N_RAW: put_value(st, t, n); break;
		case N_SECTION:
		case N_INVERTED: section(st, t, i); break;
		case N_PARTIAL: partial(st, t, n); break;
		case N_PARENT: parent(st, t, i); break;
		case N_BLOCK: block(st, t, i); break;
		}
		i = n->end;
	}
	st->depth--;
}

int tmpl_render(const struct tmpl_set *s, const char *name, struct json_object *ctx,
		struct buf *out, char *err, size_t errlen)
{
	const struct tmpl *t = s && name ? set_get(s, name) : NULL;
	struct rstate st;
	size_t mark = out->len;

	if (!t) {
		seterr(err, errlen, "unknown template '%s'", name ? name : "(null)");
		return -1;
	}
	st.set = s;
	st.out = out;
	st.ctx[0] = ctx;
	st.nctx = 1;
	st.nind = st.nchain = st.depth = st.failed = 0;
	st.bol = 1;
	st.err = err;
	st.errlen = errlen;
	render_range(&st, t, 0, t->n);
	if (!st.failed && out->oom)
		rfail(&st, "out of memory");
	if (!st.failed)
		return 0;
	if (out->data) {
		out->len = mark;
		out->data[mark] = '\0';
	}
	return -1;
}

/* ---- loading a directory ---- */

static int read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;

	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(b, chunk, n);
	n = (size_t)ferror(f);
	fclose(f);
	return n || b->oom ? -1 : 0;
}

/* path holds root + "/" + rel + ".mustache"; the template's name is rel. */
static int load_file(struct tmpl_set *s, const char *path, size_t root, char *err, size_t errlen)
{
	struct buf src = BUF_INIT;
	char cerr[256];
	char *name = strndup(path + root + 1, strlen(path) - root - 1 - strlen(".mustache"));
	int rc = -1;

	errno = 0;
	if (!name)
		seterr(err, errlen, "%s: out of memory", path);
	else if (read_file(path, &src) < 0)
		seterr(err, errlen, "%s: %s", path, errno ? strerror(errno) : "read error");
	else if (tmpl_set_add(s, name, src.data ? src.data : "", src.len, cerr, sizeof cerr) < 0)
		seterr(err, errlen, "%s: %s", path, cerr);
	else
		rc = 0;
	free(name);
	buf_free(&src);
	return rc;
}

static int is_template(const char *fname)
{
	size_t n = strlen(fname), e = strlen(".mustache");

	return n > e && !strcmp(fname + n - e, ".mustache");
}

static int load_tree(struct tmpl_set *s, struct buf *path, size_t root, int depth, char *err,
		     size_t errlen);

/* One directory entry; path holds the entry's full path. Returns templates loaded or -1. */
static int load_entry(struct tmpl_set *s, struct buf *path, size_t root, int depth,
		      const char *fname, char *err, size_t errlen)
{
	struct stat sb;

	if (stat(path->data, &sb) < 0) {
		seterr(err, errlen, "%s: %s", path->data, strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode))
		return load_tree(s, path, root, depth + 1, err, errlen);
	if (!S_ISREG(sb.st_mode) || !is_template(fname))
		return 0;
	return load_file(s, path->data, root, err, errlen) < 0 ? -1 : 1;
}

static int load_tree(struct tmpl_set *s, struct buf *path, size_t root, int depth, char *err,
		     size_t errlen)
{
	struct dirent *de;
	DIR *d;
	int total = 0;

	if (depth > MAX_DIR_DEPTH) {
		seterr(err, errlen, "%s: directories nested too deep", path->data);
		return -1;
	}
	d = opendir(path->data);
	if (!d) {
		seterr(err, errlen, "%s: %s", path->data, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		size_t keep = path->len;
		int n;

		if (de->d_name[0] == '.')
			continue;
		buf_putc(path, '/');
		buf_puts(path, de->d_name);
		n = path->oom ? -1 : load_entry(s, path, root, depth, de->d_name, err, errlen);
		if (path->oom)
			seterr(err, errlen, "out of memory");
		path->len = keep;
		path->data[keep] = '\0';
		if (n < 0) {
			total = -1;
			break;
		}
		total += n;
	}
	closedir(d);
	return total;
}

int tmpl_set_load_dir(struct tmpl_set *s, const char *dir, char *err, size_t errlen)
{
	struct buf path = BUF_INIT;
	int n;

	if (!s || !dir || !*dir) {
		seterr(err, errlen, "invalid argument");
		return -1;
	}
	buf_puts(&path, dir);
	while (path.len > 1 && path.data && path.data[path.len - 1] == '/')
		path.data[--path.len] = '\0';
	if (path.oom) {
		seterr(err, errlen, "out of memory");
		n = -1;
	} else {
		n = load_tree(s, &path, path.len, 0, err, errlen);
	}
	buf_free(&path);
	return n;
}
