/* csv.c - RFC 4180 CSV records, one at a time (see csv.h). */
#include "csv.h"

#include <string.h>

#include "str.h"

void csv_init(struct csv *s, const char *data, size_t len)
{
	s->p = data;
	s->end = data + len;
	s->record = 0;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		s->p += 3;
}

/* Skip to just after the end of the current line (or to the end of the input). */
static void skip_line(struct csv *s)
{
	while (s->p < s->end && *s->p != '\n' && *s->p != '\r')
		s->p++;
	if (s->p < s->end && *s->p == '\r')
		s->p++;
	if (s->p < s->end && *s->p == '\n')
		s->p++;
}

/* Reads one field at s->p into *out; 0, -1 malformed (err set), -2 out of memory. */
static int read_field(struct csv *s, struct arena *a, char **out, const char **err)
{
	const char *p = s->p, *end = s->end;
	char *v;
	size_t n = 0;
	if (p < end && *p == '"') {
		const char *q = ++p;
		for (;;) { /* find the closing quote, counting the value's bytes */
			if (q >= end) {
				s->p = end;
				*err = "a quoted field is not closed";
				return -1;
			}
			if (*q == '"') {
				if (q + 1 < end && q[1] == '"') {
					q += 2;
					n++;
					continue;
				}
				break;
			}
			q++;
			n++;
		}
		if (!(v = arena_alloc(a, n + 1)))
			return -2;
		for (size_t i = 0; p < q; p++) {
			v[i++] = *p;
			if (*p == '"')
				p++; /* the second of a doubled quote */
		}
		p = q + 1;
		if (p < end && *p != ',' && *p != '\r' && *p != '\n') {
			s->p = p;
			skip_line(s);
			*err = "text after a closing quote";
			return -1;
		}
	} else {
		const char *q = p;
		while (q < end && *q != ',' && *q != '\r' && *q != '\n') {
			if (*q == '"') {
				s->p = q;
				skip_line(s);
				*err = "a quote inside an unquoted field";
				return -1;
			}
			q++;
		}
		n = (size_t)(q - p);
		if (!(v = arena_strndup(a, p, n)))
			return -2;
		p = q;
	}
	s->p = p;
	if (!utf8_valid(v, n) || has_ctl_bytes(v, n, 1) || memchr(v, '\0', n)) {
		skip_line(s);
		*err = "invalid UTF-8 or a control character";
		return -1;
	}
	*out = v;
	return 0;
}

int csv_next(struct csv *s, struct arena *a, char **fields, int max, const char **err)
{
	if (s->p >= s->end)
		return 0;
	s->record++;
	int n = 0;
	for (;;) {
		char *v = NULL;
		int rc = read_field(s, a, &v, err);
		if (rc < 0)
			return rc;
		if (n < max)
			fields[n] = v;
		n++;
		if (s->p >= s->end)
			return n;
		char ch = *s->p++;
		if (ch == ',')
			continue;
		if (ch == '\r' && s->p < s->end && *s->p == '\n')
			s->p++;
		return n; /* CR, LF or CRLF */
	}
}
