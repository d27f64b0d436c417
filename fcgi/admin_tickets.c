/* admin_tickets.c - the staff's ticket list (filters, search, keyset pages) and a new
 * ticket created by an agent, e.g. during a phone call. */
#include "admin_records.h"

#include <stdio.h>
#include <string.h>

const struct db_stmt admin_tickets_stmts[] = {

	/* --- ticket list: newest activity first, keyset (last_activity_at, id) below $2/$3 (the
	 * first page passes infinity: a row comparison the index scan starts from) --- */
	{"rec_tickets",
	 "SELECT t.id, t.subject, p.name, s.name, s.is_closed, coalesce(t.priority, ''),"
	 " " SQL_UTC("t.last_activity_at", "YYYY-MM-DD HH24:MI") ","
	 " (SELECT c.email FROM ticket_contacts tc JOIN contacts c ON c.id = tc.contact_id"
	 "   WHERE tc.ticket_id = t.id ORDER BY c.id LIMIT 1), t.last_activity_at"
	 " FROM tickets t JOIN pipelines p ON p.id = t.pipeline_id JOIN pipeline_stages s ON s.id = t.stage_id"
	 " WHERE ($1 = 'all' OR s.is_closed = ($1 = 'closed'))"
	 "  AND (t.last_activity_at, t.id) < ($2::timestamptz, $3::bigint)"
	 " ORDER BY t.last_activity_at DESC, t.id DESC LIMIT 51",
	 3},
	{"rec_tickets_pipeline",
	 "SELECT t.id, t.subject, p.name, s.name, s.is_closed, coalesce(t.priority, ''),"
	 " " SQL_UTC("t.last_activity_at", "YYYY-MM-DD HH24:MI") ","
	 " (SELECT c.email FROM ticket_contacts tc JOIN contacts c ON c.id = tc.contact_id"
	 "   WHERE tc.ticket_id = t.id ORDER BY c.id LIMIT 1), t.last_activity_at"
	 " FROM tickets t JOIN pipelines p ON p.id = t.pipeline_id JOIN pipeline_stages s ON s.id = t.stage_id"
	 " WHERE t.pipeline_id = $4 AND ($1 = 'all' OR s.is_closed = ($1 = 'closed'))"
	 "  AND (t.last_activity_at, t.id) < ($2::timestamptz, $3::bigint)"
	 " ORDER BY t.last_activity_at DESC, t.id DESC LIMIT 51",
	 4},
	/* search: the id ($6, NULL unless q is a number) or words of the subject */
	{"rec_tickets_search",
	 "SELECT t.id, t.subject, p.name, s.name, s.is_closed, coalesce(t.priority, ''),"
	 " " SQL_UTC("t.last_activity_at", "YYYY-MM-DD HH24:MI") ","
	 " (SELECT c.email FROM ticket_contacts tc JOIN contacts c ON c.id = tc.contact_id"
	 "   WHERE tc.ticket_id = t.id ORDER BY c.id LIMIT 1), t.last_activity_at"
	 " FROM tickets t JOIN pipelines p ON p.id = t.pipeline_id JOIN pipeline_stages s ON s.id = t.stage_id"
	 " WHERE (t.id = $6::bigint OR to_tsvector('simple', t.subject) @@ plainto_tsquery('simple', $5))"
	 "  AND ($4::bigint IS NULL OR t.pipeline_id = $4::bigint)"
	 "  AND ($1 = 'all' OR s.is_closed = ($1 = 'closed'))"
	 "  AND (t.last_activity_at, t.id) < ($2::timestamptz, $3::bigint)"
	 " ORDER BY t.last_activity_at DESC, t.id DESC LIMIT 51",
	 6},
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

/*
 * Newest activity first, 50 a page, keyset on (last_activity_at, id): "before" carries the
 * last row's "<timestamptz>_<id>". Three statements, one per index (see admin_records.c).
 */
int rec_tickets_page(struct ctx *c)
{
	const char *status = request_query(c->req, "status"), *q = request_query(c->req, "q");
	const char *pipeline = request_query(c->req, "pipeline"), *before = request_query(c->req, "before");
	if (!status || (strcmp(status, "closed") != 0 && strcmp(status, "all") != 0))
		status = "open";
	if (!q || strlen(q) > TK_QUERY_MAX)
		q = "";
	while (*q == ' ')
		q++;
	if (!admin_id(pipeline))
		pipeline = NULL;
	char at[64] = "", id[24] = "";
	if (before) {
		const char *us = strrchr(before, '_');
		if (!us || (size_t)(us - before) >= sizeof at || us == before || !admin_id(us + 1))
			return 400;
		memcpy(at, before, (size_t)(us - before));
		snprintf(id, sizeof id, "%s", us + 1);
	}
	const char *cur_at = at[0] ? at : "infinity", *cur_id = id[0] ? id : "9223372036854775807";
	PGresult *r;
	if (*q) {
		r = rec_q("rec_tickets_search", 6, status, cur_at, cur_id, pipeline, q, ticket_number(q));
	} else if (pipeline) {
		if (db_begin() < 0)
			return 500;
		r = db_exec("rec_custom_plan", 0, NULL);
		PQclear(r);
		r = r ? rec_q("rec_tickets_pipeline", 4, status, cur_at, cur_id, pipeline) : NULL;
		db_rollback(); /* read only */
	} else {
		r = rec_q("rec_tickets", 3, status, cur_at, cur_id);
	}
	if (!r)
		return before ? 400 : 500; /* a cursor that is not a time is the client's fault */
	PGresult *pl = db_exec("rec_pipeline_choices", 0, NULL);
	if (!pl) {
		PQclear(r);
		return 500;
	}
	struct json_object *page = admin_page_new(c, "Tickets", "tickets");
	int n = PQntuples(r), shown = n > 50 ? 50 : n;
	struct json_object *rows = json_object_new_array();
	for (int i = 0; i < shown; i++)
		json_object_array_add(rows, rec_row(r, i, "id,subject,pipeline,stage,is_closed,priority,activity,requester"));
	json_object_object_add(page, "rows", rows);
	json_object_object_add(page, "empty", json_object_new_boolean(shown == 0));
	json_object_object_add(page, "filtered", json_object_new_boolean(*q || pipeline || strcmp(status, "all") != 0));
	json_object_object_add(page, "q", json_object_new_string(q));
	struct json_object *st = json_object_new_object();
	json_object_object_add(st, status, json_object_new_boolean(1));
	json_object_object_add(page, "status", st);
	struct json_object *pipes = rec_rows(pl, "id,name");
	for (int i = 0; i < PQntuples(pl); i++)
		json_object_object_add(json_object_array_get_idx(pipes, (size_t)i), "selected", json_object_new_boolean(
			pipeline && strcmp(pipeline, PQgetvalue(pl, i, 0)) == 0));
	PQclear(pl);
	json_object_object_add(page, "pipelines", pipes);
	if (n > 50) {
		struct buf next = BUF_INIT;
		buf_printf(&next, "/admin/tickets?status=%s", status);
		if (pipeline)
			buf_printf(&next, "&pipeline=%s", pipeline);
		if (*q) {
			buf_puts(&next, "&q=");
			buf_urlenc(&next, q, strlen(q));
		}
		buf_puts(&next, "&before=");
		const char *cur = arena_printf(c->arena, "%s_%s", PQgetvalue(r, 49, 8), PQgetvalue(r, 49, 0));
		buf_urlenc(&next, cur, strlen(cur));
		json_object_object_add(page, "next_url", json_object_new_string(next.data ? next.data : ""));
		buf_free(&next);
	}
	if (before)
		json_object_object_add(page, "first_url", json_object_new_string(
			arena_printf(c->arena, "/admin/tickets?status=%s%s%s", status, pipeline ? "&pipeline=" : "",
				     pipeline ? pipeline : "")));
	PQclear(r);
	return admin_render(c, 200, "admin/records_tickets", page);
}
