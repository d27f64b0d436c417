/* markup.c - escape admin-written text, turning [label](https://…) into links. */
#include "markup.h"

#include <string.h>

static int url_ok(const char *u, size_t n)
{
	if (!(n > 8 && strncmp(u, "https://", 8) == 0))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)u[i];
		if (c <= 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`' || c == '\\')
			return 0;
	}
	return 1;
}

static void text_html(struct buf *out, const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			buf_html(out, s + start, i - start);
			buf_puts(out, "<br>");
			start = i + 1;
		}
	}
	buf_html(out, s + start, n - start);
}

void markup_links_html(struct buf *out, const char *text)
{
	const char *p = text;
	while (*p) {
		const char *open = strchr(p, '[');
		if (!open) {
			text_html(out, p, strlen(p));
			return;
		}
		const char *close = strstr(open, "](");
		const char *end = close ? strchr(close + 2, ')') : NULL;
		const char *inner_open = close ? memchr(open + 1, '[', (size_t)(close - open - 1)) : NULL;
		if (!close || !end || inner_open || close == open + 1 ||
		    !url_ok(close + 2, (size_t)(end - close - 2))) {
			text_html(out, p, (size_t)(open - p) + 1);
			p = open + 1;
			continue;
		}
		text_html(out, p, (size_t)(open - p));
		buf_puts(out, "<a href=\"");
		buf_html(out, close + 2, (size_t)(end - close - 2));
		buf_puts(out, "\" rel=\"noopener noreferrer\">");
		text_html(out, open + 1, (size_t)(close - open - 1));
		buf_puts(out, "</a>");
		p = end + 1;
	}
}
