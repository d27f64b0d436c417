/* csv.h - RFC 4180 CSV read one record at a time from a UTF-8 buffer (spreadsheet exports). */
#ifndef PORTAL_CSV_H
#define PORTAL_CSV_H

#include <stddef.h>

#include "arena.h"

/*
 * Fields are separated by ',' and records end with CRLF, LF or a lone CR (the last one may end
 * at the end of the input). A field that starts with '"' is quoted: it runs to the next '"'
 * that is not doubled, and may hold commas, line breaks and "" (one quote). A UTF-8 byte order
 * mark at the very start is skipped. The input is not changed; fields are NUL-terminated
 * copies in the arena. record counts records from 1 (the header is record 1), as spreadsheets
 * number rows.
 */
struct csv {
	const char *p, *end;
	size_t record; /* number of the record csv_next returned last */
};

void csv_init(struct csv *s, const char *data, size_t len);

/*
 * Reads the next record into fields[0..max). Returns the number of fields it has (which may be
 * more than max: only the first max are stored), 0 at the end of the input, or -1 for a
 * malformed record with a short reason in *err: a quote inside an unquoted field, text after
 * a closing quote (the rest of that line is skipped), a quoted field that is never closed
 * (the rest of the input is consumed), invalid UTF-8 or a control byte other than tab, CR and
 * LF. A blank line is a record of one empty field. -2 when the arena is out of memory.
 */
int csv_next(struct csv *s, struct arena *a, char **fields, int max, const char **err);

#endif
