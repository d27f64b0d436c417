/* mail_render.h - render a named email (subject, text and optional HTML templates) in one language. */
#ifndef PORTAL_MAIL_RENDER_H
#define PORTAL_MAIL_RENDER_H

#include <json-c/json.h>

#include "buf.h"
#include "tmpl.h"

/*
 * Renders email/<name>.subject, email/<name>.text and, when it exists, email/<name>.html from
 * set with data plus "t" (the catalog of lang, added to data). The subject is folded to one
 * line. html->len stays 0 without an HTML template. Returns 0, or -1 with err filled.
 */
int mail_render(const struct tmpl_set *set, const char *lang, const char *name,
		struct json_object *data, struct buf *subject, struct buf *text, struct buf *html,
		char *err, size_t errlen);

/*
 * Renders an admin-edited email (a portal's override of a shipped one): subject_src and
 * text_src are compiled into a scratch set and rendered with data plus "t" (the catalog of
 * lang). The output is plain text, whether the source writes {{x}} or {{{x}}}: the HTML
 * escapes the renderer puts in are undone. The subject is folded to one line. The HTML part is
 * made from the text alone (an admin edits one body, not two): escaped, blank lines become
 * paragraphs, line breaks <br>, and each occurrence of data's "link" a link. Returns 0, or -1
 * with err filled ("subject: line 1: unclosed section 'x'", "body: ...").
 */
int mail_render_custom(const char *lang, const char *subject_src, const char *text_src,
		       struct json_object *data, struct buf *subject, struct buf *text, struct buf *html,
		       char *err, size_t errlen);

#endif
