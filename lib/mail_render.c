/* mail_render.c - render the three parts of a templated email. */
#include "mail_render.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"

static int part(const struct tmpl_set *set, const char *name, const char *suffix,
		struct json_object *data, struct buf *out, int optional, char *err, size_t errlen)
{
	char tname[160];
	snprintf(tname, sizeof tname, "email/%s.%s", name, suffix);
	if (!tmpl_set_has(set, tname)) {
		if (!optional)
			snprintf(err, errlen, "no template %s", tname);
		return optional ? 0 : -1;
	}
	if (tmpl_render(set, tname, data, out, err, errlen) < 0)
		return -1;
	if (out->oom) {
		snprintf(err, errlen, "out of memory rendering %s", tname);
		return -1;
	}
	return 0;
}

static void fold_subject(struct buf *subject)
{
	for (size_t i = 0; i < subject->len; i++)
		if (subject->data[i] == '\r' || subject->data[i] == '\n' || subject->data[i] == '\t')
			subject->data[i] = ' ';
	while (subject->len && subject->data[subject->len - 1] == ' ')
		subject->data[--subject->len] = '\0';
	if (!subject->data)
		buf_puts(subject, "");
}

int mail_render(const struct tmpl_set *set, const char *lang, const char *name,
		struct json_object *data, struct buf *subject, struct buf *text, struct buf *html,
		char *err, size_t errlen)
{
	json_object_object_add(data, "t", json_object_get(i18n_catalog(lang)));
	if (part(set, name, "subject", data, subject, 0, err, errlen) < 0 ||
	    part(set, name, "text", data, text, 0, err, errlen) < 0 ||
	    part(set, name, "html", data, html, 1, err, errlen) < 0)
		return -1;
	fold_subject(subject);
	if (!text->data)
		buf_puts(text, "");
	return 0;
}

/* Undo buf_html's five escapes in place (a plain-text part wants the characters back). */
static void unescape_html(struct buf *b)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
	size_t w = 0;
	for (size_t r = 0; r < b->len;) {
		size_t k = 0, n = sizeof ents / sizeof ents[0];
		if (b->data[r] == '&')
			for (; k < n; k++)
				if (strncmp(b->data + r, ents[k].ent, strlen(ents[k].ent)) == 0)
					break;
		if (b->data[r] == '&' && k < n) {
			b->data[w++] = ents[k].c;
			r += strlen(ents[k].ent);
		} else {
			b->data[w++] = b->data[r++];
		}
	}
	b->len = w;
	if (b->data)
		b->data[w] = '\0';
}

/* Text to a simple HTML document: paragraphs at blank lines, <br> at line breaks, link linked. */
static void text_to_html(struct buf *out, const char *text, const char *link)
{
	size_t ll = link ? strlen(link) : 0;
	buf_puts(out, "<!doctype html>\n<html><body style=\"font-family: sans-serif; color: #1d2330;\">\n<p>");
	for (const char *p = text; *p;) {
		if (ll && strncmp(p, link, ll) == 0) {
			buf_puts(out, "<a href=\"");
			buf_html(out, link, ll);
			buf_puts(out, "\">");
			buf_html(out, link, ll);
			buf_puts(out, "</a>");
			p += ll;
		} else if (p[0] == '\n' && p[1] == '\n') {
			while (*p == '\n')
				p++;
			buf_puts(out, *p ? "</p>\n<p>" : "");
		} else if (p[0] == '\n') {
			buf_puts(out, p[1] ? "<br>\n" : "");
			p++;
		} else {
			buf_html(out, p, 1);
			p++;
		}
	}
	buf_puts(out, "</p>\n</body></html>\n");
}

int mail_render_custom(const char *lang, const char *subject_src, const char *text_src,
		       struct json_object *data, struct buf *subject, struct buf *text, struct buf *html,
		       char *err, size_t errlen)
{
	char e[256];
	struct tmpl_set *set = tmpl_set_new();
	int rc = -1;
	if (!set) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_object_object_add(data, "t", json_object_get(i18n_catalog(lang)));
	if (tmpl_set_add(set, "subject", subject_src, strlen(subject_src), e, sizeof e) < 0)
		snprintf(err, errlen, "subject: %s", e);
	else if (tmpl_set_add(set, "body", text_src, strlen(text_src), e, sizeof e) < 0)
		snprintf(err, errlen, "body: %s", e);
	else if (tmpl_render(set, "subject", data, subject, e, sizeof e) < 0 || subject->oom)
		snprintf(err, errlen, "subject: %s", subject->oom ? "out of memory" : e);
	else if (tmpl_render(set, "body", data, text, e, sizeof e) < 0 || text->oom)
		snprintf(err, errlen, "body: %s", text->oom ? "out of memory" : e);
	else
		rc = 0;
	tmpl_set_free(set);
	if (rc < 0)
		return -1;
	unescape_html(subject);
	unescape_html(text);
	fold_subject(subject);
	if (!text->data)
		buf_puts(text, "");
	struct json_object *link;
	text_to_html(html, text->data, json_object_object_get_ex(data, "link", &link)
					       ? json_object_get_string(link) : NULL);
	if (html->oom) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
