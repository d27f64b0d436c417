/* pager.h - the one keyset pager of the console's lists.
 *
 * A list shows PAGE_SIZE rows; its statement asks for PAGE_SIZE + 1 (PAGE_LIMIT in its SQL text)
 * to learn whether a next page exists. The cursor is the last shown row's sort key and id, in the
 * URL as ?before=<key>_<id> (the id after the last '_'), or ?after=<id> for a list ordered by id
 * alone (the parameter is the caller's); the statement takes the key and the id and compares
 * (key, id) < ($k, $id). A malformed cursor is the client's fault: 400.
 */
#ifndef PORTAL_PAGER_H
#define PORTAL_PAGER_H

#include "app.h"

#define PAGE_SIZE 50
#define PAGE_LIMIT "LIMIT 51" /* PAGE_SIZE + 1, as SQL text */

struct pager {
	const char *key; /* NULL on the first page */
	const char *id;  /* NULL on the first page */
	int shown;       /* rows to show, after pager_next() */
};

/* Read ?<param>= into p: 0 (first page or a cursor), -1 when it is malformed (answer 400). keyset
 * is the characters a key may hold ("" when the list is ordered by id alone). */
int pager_read(struct ctx *c, const char *param, const char *keyset, struct pager *p);
/* After the query: p->shown, and when there is a next page page.next_url = url (which may carry a
 * query already) with &<param>=<key>_<id> of the last shown row (columns key_col, id_col; key_col
 * -1 for none). */
void pager_next(struct ctx *c, struct pager *p, struct json_object *page, PGresult *r, const char *url,
		const char *param, int key_col, int id_col);

#endif
