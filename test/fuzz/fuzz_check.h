/* fuzz_check.h - what more than one fuzz target checks its parser's results with. */
#ifndef PORTAL_FUZZ_CHECK_H
#define PORTAL_FUZZ_CHECK_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"
#include "str.h"

/* 1 when s[0..n) holds a control byte (below 0x20, or DEL); tab, CR and LF pass with allow_ws. */
static inline int has_ctl(const char *s, size_t n, int allow_ws)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x7f || (c < 0x20 && !(allow_ws && (c == '\t' || c == '\r' || c == '\n'))))
			return 1;
	}
	return 0;
}

/* What the multipart parser and its file name sanitiser (multipart_sanitize_filename, also used
 * for the attachments of received mail) promise about a file name; abort() when broken. */
static inline void check_upload_filename(const char *f)
{
	size_t n = strlen(f);

	if (n == 0 || n > MP_MAX_FILENAME || !utf8_valid(f, n) || has_ctl(f, n, 0))
		abort();
	if (strpbrk(f, "/\\\"") || strcmp(f, ".") == 0 || strcmp(f, "..") == 0)
		abort();
	if (f[0] == ' ' || f[n - 1] == ' ')
		abort();
	if (strstr(f, "\xc2\x85") || strstr(f, "\xe2\x80\xae") || strstr(f, "\xe2\x80\xa8"))
		abort();
}

#endif
