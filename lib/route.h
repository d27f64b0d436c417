/* route.h - path pattern matching for the route table: literal segments and <captures>. */
#ifndef PORTAL_ROUTE_H
#define PORTAL_ROUTE_H

#include <stddef.h>

#define ROUTE_MAX_CAPS 4
#define ROUTE_MAX_CAP_LEN 256

/*
 * Patterns are '/'-separated segments. A segment is a literal, "<id>" (1-18 decimal digits, no
 * leading zero), "<slug>" (matches the slug argument, e.g. the portal's ticket slug), or
 * "<name>" for any other name (one non-empty segment of at most ROUTE_MAX_CAP_LEN bytes).
 * A trailing "<*name>" captures the rest of the path. Captured values (not <slug>) are
 * copied in order into caps. Returns 1 on match, 0 otherwise.
 */
struct route_caps {
	int n;
	char v[ROUTE_MAX_CAPS][ROUTE_MAX_CAP_LEN + 1];
};

int route_match(const char *pattern, const char *path, const char *slug, struct route_caps *caps);

#endif
