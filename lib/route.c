/* route.c - segment-wise matching of request paths against route patterns. */
#include "route.h"

#include <string.h>

static size_t seg_len(const char *s)
{
	const char *e = strchr(s, '/');
	return e ? (size_t)(e - s) : strlen(s);
}

static int is_id(const char *s, size_t n)
{
	if (n == 0 || n > 18 || s[0] == '0')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int capture(struct route_caps *caps, const char *s, size_t n)
{
	if (caps->n >= ROUTE_MAX_CAPS || n > ROUTE_MAX_CAP_LEN)
		return 0;
	memcpy(caps->v[caps->n], s, n);
	caps->v[caps->n][n] = '\0';
	caps->n++;
	return 1;
}

int route_match(const char *pattern, const char *path, const char *slug, struct route_caps *caps)
{
	caps->n = 0;
	if (*pattern != '/' || *path != '/')
		return 0;
	const char *p = pattern + 1, *s = path + 1;
	for (;;) {
		size_t pl = seg_len(p), sl = seg_len(s);
		if (pl >= 3 && p[0] == '<' && p[1] == '*' && p[pl - 1] == '>') {
			size_t rest = strlen(s);
			return rest > 0 && capture(caps, s, rest);
		}
		if (pl >= 2 && p[0] == '<' && p[pl - 1] == '>') {
			if (pl == 4 && memcmp(p, "<id>", 4) == 0) {
				if (!is_id(s, sl) || !capture(caps, s, sl))
					return 0;
			} else if (pl == 6 && memcmp(p, "<slug>", 6) == 0) {
				if (!slug || strlen(slug) != sl || memcmp(s, slug, sl) != 0 || sl == 0)
					return 0;
			} else if (sl == 0 || !capture(caps, s, sl)) {
				return 0;
			}
		} else if (pl != sl || memcmp(p, s, pl) != 0) {
			return 0;
		}
		p += pl;
		s += sl;
		if (*p == '\0' && *s == '\0')
			return 1;
		if (*p != '/' || *s != '/')
			return 0;
		p++;
		s++;
	}
}
