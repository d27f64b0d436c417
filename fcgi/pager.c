/* pager.c - the one keyset pager of the console's lists (see pager.h). */
#include "pager.h"

#include <string.h>

#include "buf.h"

static int id_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= 18 && s[0] != '0' && strspn(s, "0123456789") == n;
}

int pager_read(struct ctx *c, const char *param, const char *keyset, struct pager *p)
{
	const char *s = request_query(c->req, param);
	p->key = p->id = NULL;
	p->shown = 0;
	if (!s)
		return 0;
	if (!keyset[0]) { /* ordered by id alone: the cursor is the id */
		if (!id_ok(s))
			return -1;
		p->key = "";
		p->id = s;
		return 0;
	}
	const char *us = strrchr(s, '_');
	if (!us || us == s || us - s > 64 || !id_ok(us + 1) || strspn(s, keyset) != (size_t)(us - s))
		return -1;
	p->key = arena_strndup(c->arena, s, (size_t)(us - s));
	p->id = us + 1;
	return p->key ? 0 : -1;
}

void pager_next(struct ctx *c, struct pager *p, struct json_object *page, PGresult *r, const char *url,
		const char *param, int key_col, int id_col)
{
	int n = PQntuples(r);
	p->shown = n > PAGE_SIZE ? PAGE_SIZE : n;
	if (n <= PAGE_SIZE)
		return;
	struct buf next = BUF_INIT;
	buf_printf(&next, "%s%c%s=", url, strchr(url, '?') ? '&' : '?', param);
	const char *id = PQgetvalue(r, PAGE_SIZE - 1, id_col);
	const char *cur = key_col >= 0 ? arena_printf(c->arena, "%s_%s", PQgetvalue(r, PAGE_SIZE - 1, key_col), id) : id;
	buf_urlenc(&next, cur, strlen(cur));
	json_object_object_add(page, "next_url", json_object_new_string(next.data ? next.data : url));
	buf_free(&next);
}
