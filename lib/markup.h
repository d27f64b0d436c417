/* markup.h - admin-written text to safe HTML: everything escaped, [label](https://…) becomes a link. */
#ifndef PORTAL_MARKUP_H
#define PORTAL_MARKUP_H

#include "buf.h"

/* Appends text as HTML. Only [label](https://…) is turned into
 * <a href="…" rel="noopener noreferrer">label</a>; a URL with spaces, quotes or angle brackets
 * stays plain text. Line breaks become <br>. */
void markup_links_html(struct buf *out, const char *text);

#endif
