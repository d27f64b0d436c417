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

#endif
