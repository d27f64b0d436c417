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
	{"rec_ticket_insert",
	 "WITH s AS (SELECT id, pipeline_id, is_closed FROM pipeline_stages WHERE id = $4),"
	 " t AS (INSERT INTO tickets (subject, description, priority, pipeline_id, stage_id, closed_at)"
	 "   SELECT $1, $2, nullif($3, ''), s.pipeline_id, s.id, CASE WHEN s.is_closed THEN now() END"
	 "   FROM s RETURNING id),"
	 " tc AS (INSERT INTO ticket_contacts (ticket_id, contact_id) SELECT t.id, $5::bigint FROM t),"
	 " tco AS (INSERT INTO ticket_companies (ticket_id, company_id)"
	 "   SELECT t.id, $6::bigint FROM t WHERE $6::bigint IS NOT NULL),"
	 " e AS (INSERT INTO engagements (kind, contact_id, ticket_id, summary)"
	 "   SELECT 'ticket_created', $5::bigint, t.id, $7 FROM t)"
	 " SELECT id FROM t",
	 7},
	{NULL},
};

#define TK_SUBJECT_MAX 500
#define TK_DESCRIPTION_MAX 20000
#define TK_QUERY_MAX 200

static const char *const priorities[] = {"", "low", "medium", "high", "urgent", NULL};
static const char *const priority_labels[] = {"None", "Low", "Medium", "High", "Urgent", NULL};

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

static struct json_object *priority_choices(const char *sel)
{
	struct json_object *a = json_object_new_array();
	for (int i = 0; priorities[i]; i++) {
		struct json_object *o = rec_obj("value", priorities[i], "label", priority_labels[i], NULL);
		json_object_object_add(o, "selected", json_object_new_boolean(sel && strcmp(sel, priorities[i]) == 0));
		json_object_array_add(a, o);
	}
	return a;
}

static int new_render(struct ctx *c, int status, struct form *f)
{
	struct json_object *stages = rec_stage_groups(request_form(c->req, "stage_id"));
	PGresult *co = stages ? db_exec("rec_company_choices", 0, NULL) : NULL;
	if (!co) {
		json_object_put(stages);
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *page = admin_page_new(c, "New ticket", "tickets");
	json_object_object_add(page, "stage_groups", stages);
	json_object_object_add(page, "companies", rec_rows(co, "name"));
	PQclear(co);
	json_object_object_add(page, "priorities", priority_choices(request_form(c->req, "priority")));
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, "admin/records_ticket_new", page);
}

int rec_ticket_new_page(struct ctx *c)
{
	return new_render(c, 200, NULL);
}

int rec_ticket_new_submit(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *subject = form_text(&f, c->req, "subject", 1, TK_SUBJECT_MAX, 0, 1);
	const char *description = form_text(&f, c->req, "description", 0, TK_DESCRIPTION_MAX, 1, 1);
	const char *stage = request_form(c->req, "stage_id");
	const char *priority = request_form(c->req, "priority");
	const char *email = form_email(&f, c->req, "email");
	const char *company = form_text(&f, c->req, "company", 0, 200, 0, 1);
	int known_priority = 0;
	for (int i = 0; priority && priorities[i]; i++)
		known_priority |= strcmp(priority, priorities[i]) == 0;
	if (!known_priority)
		form_message(&f, "priority", "Choose a priority from the list.");
	char contact[24] = "", primary[24] = "", company_id[24] = "";
	int sg = admin_id(stage) ? rec_exists("rec_stage_find", 1, stage) : 0;
	PGresult *r = email ? rec_q("rec_contact_by_email", 1, email) : NULL;
	PGresult *rc = company && *company ? rec_q("rec_company_by_name", 1, company) : NULL;
	int dberr = sg < 0 || (email && !r) || (company && *company && !rc);
	if (!sg)
		form_message(&f, "stage_id", "Choose the pipeline and stage of the ticket.");
	if (r && PQntuples(r) == 0)
		form_message(&f, "email", "No contact has this email address. Create the contact first, then the ticket.");
	else if (r) {
		snprintf(contact, sizeof contact, "%s", PQgetvalue(r, 0, 0));
		snprintf(primary, sizeof primary, "%s", PQgetvalue(r, 0, 1));
	}
	if (rc && PQntuples(rc) == 0)
		form_message(&f, "company", "No company has this name. Pick one from the suggestions or leave it empty.");
	else if (rc && PQntuples(rc) > 1)
		form_message(&f, "company", "Several companies have this name. Associate the right one on the ticket page.");
	else if (rc)
		snprintf(company_id, sizeof company_id, "%s", PQgetvalue(rc, 0, 0));
	PQclear(r);
	PQclear(rc);
	if (dberr) {
		form_free(&f);
		return 500;
	}
	if (f.nerrors)
		return new_render(c, 422, &f);
	form_free(&f);
	if (!company_id[0] && strcmp(primary, "0") != 0 && !(company && *company))
		snprintf(company_id, sizeof company_id, "%s", primary); /* the requester's primary company */
	const char *summary = arena_printf(c->arena, "Ticket created by %s in the console",
					   c->staff.name[0] ? c->staff.name : c->staff.email);
	if (db_begin() < 0)
		return 500;
	r = rec_q("rec_ticket_insert", 7, subject, description, priority, stage, contact,
		  company_id[0] ? company_id : NULL, summary);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return rec_abort();
	}
	const char *id = arena_strdup(c->arena, PQgetvalue(r, 0, 0));
	PQclear(r);
	if (admin_audit(c, "ticket_create", NULL, NULL,
			rec_obj("id", id, "subject", subject, "stage_id", stage, "priority", *priority ? priority : NULL,
				"requester", email, "company_id", company_id[0] ? company_id : NULL, NULL)) < 0)
		return rec_abort();
	return rec_commit_redirect(c, arena_printf(c->arena, "/admin/tickets/%s?notice=created", id));
}
