/* admin_tickets.c - /admin/tickets: the staff's ticket list (filters, search, keyset pages on the
 * pager, pager.h). A new ticket is admin_tickets_new.c, one ticket admin_ticket.c. */
#include "admin_records.h"
#include "pager.h"

#include <string.h>

/* The list's columns and tables; the keyset (pager.h) on (last_activity_at, id) below $2/$3 (the
 * first page starts from infinity: a row comparison the index scan starts from). */
#define TICKET_ROWS \
	"SELECT t.id, t.subject, p.name AS pipeline, s.name AS stage, s.is_closed, coalesce(t.priority, '') AS priority," \
	" " SQL_CONSOLE_TIME("t.last_activity_at", "YYYY-MM-DD HH24:MI") " AS activity," \
	" (SELECT c.email FROM ticket_contacts tc JOIN contacts c ON c.id = tc.contact_id" \
	"   WHERE tc.ticket_id = t.id ORDER BY c.id LIMIT 1) AS requester, t.last_activity_at AS cursor" \
	" FROM tickets t JOIN pipelines p ON p.id = t.pipeline_id JOIN pipeline_stages s ON s.id = t.stage_id" \
	" WHERE ($1 = 'all' OR s.is_closed = ($1 = 'closed'))"
#define TICKET_PAGE \
	"  AND (t.last_activity_at, t.id) < (coalesce($2::timestamptz, 'infinity'), coalesce($3::bigint, 9223372036854775807))" \
	" ORDER BY t.last_activity_at DESC, t.id DESC " PAGE_LIMIT
#define CURSOR_COL 8 /* t.last_activity_at */
/* The tickets an agent limited to some inboxes sees (staff_inboxes(), NULL = all): the one rule,
 * sql/functions/staff_ticket_ok.sql; inlined, "$n IS NULL" settles it at once for the others. */
#define TICKET_OK(n) " AND staff_ticket_ok(t.id, " n "::bigint[])"

const struct db_stmt admin_tickets_stmts[] = {
	{"rec_tickets", TICKET_ROWS TICKET_OK("$4") TICKET_PAGE, 4},
	{"rec_tickets_pipeline", TICKET_ROWS " AND t.pipeline_id = $4" TICKET_OK("$5") TICKET_PAGE, 5},
	/* search: the id ($6, NULL unless q is a number) or words of the subject */
	{"rec_tickets_search",
	 TICKET_ROWS " AND (t.id = $6::bigint OR to_tsvector('simple', t.subject) @@ plainto_tsquery('simple', $5))"
	 "  AND ($4::bigint IS NULL OR t.pipeline_id = $4::bigint)" TICKET_OK("$7") TICKET_PAGE,
	 7},
	/* this transaction plans with the parameters' values: a pipeline's share of the tickets
	 * decides between its own index and the global one (a generic plan cannot tell) */
	{"rec_custom_plan", "SELECT set_config('plan_cache_mode', 'force_custom_plan', true)", 0},
	{"rec_pipeline_choices", "SELECT id, name FROM pipelines ORDER BY display_order, id LIMIT 500", 0},
	{NULL},
};

#define TK_QUERY_MAX 200

/* A ticket number typed into the search box ("123" or "#123"), else NULL. */
static const char *ticket_number(const char *q)
{
	if (q[0] == '#')
		q++;
	return admin_id(q) ? q : NULL;
}

/* The list's rows: three statements, one per index (see admin_records.c). NULL on an error. */
static PGresult *ticket_rows(const char *status, const char *q, const char *pipeline, const struct pager *pg,
			     const char *inboxes)
{
	if (*q)
		return rec_q("rec_tickets_search", 7, status, pg->key, pg->id, pipeline, q, ticket_number(q), inboxes);
	if (!pipeline)
		return rec_q("rec_tickets", 4, status, pg->key, pg->id, inboxes);
	if (db_begin() < 0)
		return NULL;
	PGresult *r = db_exec("rec_custom_plan", 0, NULL);
	PQclear(r);
	r = r ? rec_q("rec_tickets_pipeline", 5, status, pg->key, pg->id, pipeline, inboxes) : NULL;
	db_rollback(); /* read only */
	return r;
}

/* Newest activity first, PAGE_SIZE a page: "before" carries the last row's "<timestamptz>_<id>". */
int rec_tickets_page(struct ctx *c)
{
	const char *status = request_query(c->req, "status"), *q = request_query(c->req, "q");
	const char *pipeline = request_query(c->req, "pipeline");
	if (!status || (strcmp(status, "closed") != 0 && strcmp(status, "all") != 0))
		status = "open";
	if (!q || strlen(q) > TK_QUERY_MAX)
		q = "";
	while (*q == ' ')
		q++;
	if (!admin_id(pipeline))
		pipeline = NULL;
	struct pager pg;
	if (pager_read(c, "before", "0123456789-:. +", &pg) < 0)
		return 400;
	PGresult *r = ticket_rows(status, q, pipeline, &pg, staff_inboxes(c));
	if (!r)
		return pg.key ? 400 : 500; /* a cursor that is not a time is the client's fault */
	struct json_object *pipes = rec_choices("rec_pipeline_choices", pipeline);
	if (!pipes) {
		PQclear(r);
		return 500;
	}
	struct json_object *page = admin_page_new(c, "Tickets", "tickets");
	json_object_object_add(page, "pipelines", pipes);
	const char *url = arena_printf(c->arena, "/admin/tickets?status=%s%s%s", status, pipeline ? "&pipeline=" : "",
				       pipeline ? pipeline : "");
	struct buf next = BUF_INIT;
	buf_puts(&next, url);
	if (*q) {
		buf_puts(&next, "&q=");
		buf_urlenc(&next, q, strlen(q));
	}
	pager_next(c, &pg, page, r, next.data ? next.data : url, "before", CURSOR_COL, 0);
	buf_free(&next);
	json_object_object_add(page, "rows", db_rows_json(r, pg.shown));
	json_object_object_add(page, "empty", json_object_new_boolean(pg.shown == 0));
	PQclear(r);
	json_object_object_add(page, "filtered", json_object_new_boolean(*q || pipeline || strcmp(status, "all") != 0));
	json_object_object_add(page, "q", json_object_new_string(q));
	struct json_object *st = json_object_new_object();
	json_object_object_add(st, status, json_object_new_boolean(1));
	json_object_object_add(page, "status", st);
	if (pg.key)
		json_object_object_add(page, "first_url", json_object_new_string(url));
	return admin_render(c, 200, "admin/records_tickets", page);
}
