/* buf.h - growable byte buffer used for response bodies, headers and rendered templates. */
#ifndef PORTAL_BUF_H
#define PORTAL_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A buf owns its heap memory (malloc/realloc); buf_free() releases it. data is always
 * NUL-terminated after any append (when cap > 0), len excludes the NUL. On allocation
 * failure the buffer sets oom and ignores further appends, so callers check once at the end.
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	int oom;
};

#define BUF_INIT {NULL, 0, 0, 0}

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps the memory */
int buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Escapers, one per output context (cgit html.c). */
void buf_html(struct buf *b, const char *s, size_t n);   /* & < > " ' escaped */
void buf_urlenc(struct buf *b, const char *s, size_t n); /* RFC 3986 unreserved kept */

#endif
