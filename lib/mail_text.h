/* mail_text.h - text of received mail (lib/mail_text.c, no GMime): the reply without its quoted
 * history, and HTML reduced to safe plain text with libxml2's HTML parser. */
#ifndef PORTAL_MAIL_TEXT_H
#define PORTAL_MAIL_TEXT_H

#include <stddef.h>

/* The line our notifications carry at the top of their text: a reply is what is above it. Any
 * line that starts with "##-" and ends with "-##" counts, in whatever language. */
#define MAIL_REPLY_MARKER_EN "##- Please type your reply above this line -##"

/*
 * The new part of a reply (malloc'd, UTF-8, trailing blank lines dropped): text cut at the first
 * of our reply marker, an attribution line ("On ... wrote:", "Den ... skrev:", "Le ... a écrit :",
 * "Am ... schrieb ...:"), "-----Original Message-----", an Outlook header block ("From: " after a
 * line of underscores or a blank line, followed by Sent:/Date:/To:/Subject:) or a trailing block
 * of ">"-quoted lines. When cutting would leave nothing, the whole text. *cut is set to 1 when
 * something was cut. NULL only when out of memory.
 */
char *mail_cut_quoted(const char *text, int *cut);

/* HTML (len bytes, UTF-8 or as its meta says) as plain UTF-8 text (malloc'd): script, style and
 * head dropped, block elements and <br> as line breaks, links as "text (url)" when they differ,
 * entities decoded, runs of blank lines collapsed. Never NULL unless out of memory. */
char *mail_html_to_text(const char *html, size_t len);

/*
 * s[0..n) as text safe for a PostgreSQL text column (malloc'd, NULL only when out of memory):
 * valid UTF-8 (each invalid byte becomes U+FFFD), CRLF and lone CR as \n, without NUL and the
 * other control characters (C0 but \t and \n, DEL, C1). Added for lib/mail_parse.c.
 */
char *mail_text_clean(const char *s, size_t n);

/*
 * s[0..n) cleaned as above and made one line (a subject, a display name): tabs, line breaks
 * and runs of spaces (also U+00A0, U+2028/9, U+3000) as one space, trimmed, cut to at most
 * max characters (code points; so at most 4 * max bytes). malloc'd; NULL only when out of memory.
 */
char *mail_text_line(const char *s, size_t n, size_t max);

#endif
