/* check.h - the unit tests' tiny assertion kit: counts checks, prints failures, one summary line. */
#ifndef PORTAL_CHECK_H
#define PORTAL_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (cond) {                                                              \
			check_passed++;                                                  \
		} else {                                                                 \
			check_failed++;                                                  \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                        \
	} while (0)

#define CHECK_STR(got, want)                                                              \
	do {                                                                              \
		const char *g_ = (got), *w_ = (want);                                     \
		if (g_ && w_ && strcmp(g_, w_) == 0) {                                    \
			check_passed++;                                                   \
		} else {                                                                  \
			check_failed++;                                                   \
			fprintf(stderr, "FAIL %s:%d: %s\n  got:  %s\n  want: %s\n", __FILE__, \
				__LINE__, #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");  \
		}                                                                         \
	} while (0)

#define CHECK_INT(got, want)                                                                \
	do {                                                                                \
		long long g_ = (long long)(got), w_ = (long long)(want);                    \
		if (g_ == w_) {                                                             \
			check_passed++;                                                     \
		} else {                                                                    \
			check_failed++;                                                     \
			fprintf(stderr, "FAIL %s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__, \
				#got, g_, w_);                                              \
		}                                                                           \
	} while (0)

/* Last line of every unit test binary; test/run.sh adds these up. */
#define CHECK_DONE(name)                                                                \
	(printf("unit %s: %d passed, %d failed\n", (name), check_passed, check_failed), \
	 check_failed ? 1 : 0)

#endif
