/* fuzz_check.h - what more than one fuzz target checks its parser's results with. */
#ifndef PORTAL_FUZZ_CHECK_H
#define PORTAL_FUZZ_CHECK_H

#include <stddef.h>

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

#endif
