/* admin_records.c - CRM records in the console: the group's one route table and one statement
 * table (pipelines, inboxes, forms, tickets), and the helpers its page files share. */
#include "admin_records.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
#define SNIPPET(thread) \
	"(SELECT left(m.body, 140) FROM messages m WHERE m.thread_id = " thread \
	" ORDER BY m.created_at, m.id LIMIT 1)"
#define TICKET_STATE \
	"jsonb_build_object('subject', t.subject, 'description', t.description, 'priority', t.priority," \
	" 'pipeline_id', t.pipeline_id, 'stage_id', t.stage_id, 'properties', t.properties)::text"

/*
 * Statements. Changes run inside one transaction per request: the record is read FOR UPDATE
 * (its "before" for the audit row), changed (RETURNING its "after"), audited, committed.
 * Prepared statements run with generic plans (lib/db.c), so a list whose index depends on a
 * filter has one statement per index instead of "$1 IS NULL OR ..." (sql/010_records.sql).
 */
const struct db_stmt admin_records_stmts[] = {
	/* --- pipelines and stages --- */
	{"rec_pipelines",
	 "SELECT p.id, p.name, p.display_order,"
	 " (SELECT count(*) FROM pipeline_stages s WHERE s.pipeline_id = p.id),"
	 " (SELECT count(*) FROM pipeline_stages s WHERE s.pipeline_id = p.id AND s.is_closed)"
	 " FROM pipelines p ORDER BY p.display_order, p.id LIMIT 500",
	 0},
	{"rec_pipeline_taken", "SELECT 1 FROM pipelines WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2::bigint", 2},
	{"rec_pipeline_insert",
	 "WITH p AS (INSERT INTO pipelines (name, display_order)"
	 "   SELECT $1, coalesce(max(display_order), 0) + 1 FROM pipelines RETURNING id, name),"
	 " s AS (INSERT INTO pipeline_stages (pipeline_id, name, position, is_closed)"
	 "   SELECT p.id, v.name, v.pos, v.closed FROM p,"
	 "   (VALUES ('New', 1, false), ('Closed', 2, true)) v (name, pos, closed))"
	 " SELECT id FROM p",
	 1},
	{"rec_pipelines_lock", "SELECT id FROM pipelines ORDER BY id FOR UPDATE", 0},
	/* renumber 1..n in display order, swapping the pipeline with its neighbour ($2 = -1 or 1) */
	{"rec_pipeline_move",
	 "WITH o AS (SELECT id, row_number() OVER (ORDER BY display_order, id)::int AS rn FROM pipelines),"
	 " me AS (SELECT rn FROM o WHERE id = $1),"
	 " tg AS (SELECT o.id FROM o, me WHERE o.rn = me.rn + $2::int)"
	 " UPDATE pipelines p SET display_order = CASE WHEN p.id = $1 THEN me.rn + $2::int"
	 "   WHEN p.id = tg.id THEN me.rn ELSE o.rn END"
	 " FROM o, me, tg WHERE o.id = p.id RETURNING p.id, p.display_order",
	 2},
	{"rec_pipeline_get", "SELECT id, name, display_order FROM pipelines WHERE id = $1", 1},
	{"rec_pipeline_lock", "SELECT name FROM pipelines WHERE id = $1 FOR UPDATE", 1},
	{"rec_pipeline_rename", "UPDATE pipelines SET name = $2 WHERE id = $1", 2},
	{"rec_stages",
	 "SELECT s.id, s.name, s.position, s.is_closed,"
	 " EXISTS (SELECT 1 FROM tickets t WHERE t.stage_id = s.id),"
	 " (SELECT count(*) FROM forms f WHERE f.stage_id = s.id)"
	 " FROM pipeline_stages s WHERE s.pipeline_id = $1 ORDER BY s.position",
	 1},
	{"rec_stage_lock",
	 "SELECT s.name, s.position, s.is_closed FROM pipeline_stages s"
	 " WHERE s.id = $1 AND s.pipeline_id = $2 FOR UPDATE",
	 2},
	{"rec_stage_taken",
	 "SELECT 1 FROM pipeline_stages WHERE pipeline_id = $1 AND lower(name) = lower($2)"
	 " AND id IS DISTINCT FROM $3::bigint",
	 3},
	{"rec_stage_insert",
	 "INSERT INTO pipeline_stages (pipeline_id, name, position, is_closed)"
	 " SELECT $1, $2, coalesce(max(position), 0) + 1, $3::boolean FROM pipeline_stages WHERE pipeline_id = $1"
	 " RETURNING id, position",
	 3},
	{"rec_stage_kinds",
	 "SELECT count(*) FILTER (WHERE is_closed), count(*) FILTER (WHERE NOT is_closed)"
	 " FROM pipeline_stages WHERE pipeline_id = $1",
	 1},
	{"rec_stage_set", "UPDATE pipeline_stages SET name = $2, is_closed = $3::boolean WHERE id = $1", 3},
	/* tickets in a stage that changed between open and closed follow it */
	{"rec_stage_tickets",
	 "UPDATE tickets SET closed_at = CASE WHEN $2::boolean"
	 "   THEN greatest(now(), created_at) END"
	 " WHERE stage_id = $1 AND (closed_at IS NULL) = $2::boolean",
	 2},
	{"rec_stage_use",
	 "SELECT EXISTS (SELECT 1 FROM tickets WHERE stage_id = $1),"
	 " (SELECT count(*) FROM forms WHERE stage_id = $1)",
	 1},
	{"rec_stage_delete", "DELETE FROM pipeline_stages WHERE id = $1", 1},
	{"rec_stage_after",
	 "SELECT id, position FROM pipeline_stages WHERE pipeline_id = $1 AND position > $2"
	 " ORDER BY position LIMIT 1",
	 2},
	{"rec_stage_before",
	 "SELECT id, position FROM pipeline_stages WHERE pipeline_id = $1 AND position < $2"
	 " ORDER BY position DESC LIMIT 1",
	 2},
	{"rec_stage_free_position",
	 "SELECT coalesce(max(position), 0) + 1 FROM pipeline_stages WHERE pipeline_id = $1", 1},
	{"rec_stage_position", "UPDATE pipeline_stages SET position = $2 WHERE id = $1", 2},
	{"rec_stage_groups",
	 "SELECT p.name, s.id, s.name, s.is_closed FROM pipelines p"
	 " JOIN pipeline_stages s ON s.pipeline_id = p.id ORDER BY p.display_order, p.id, s.position",
	 0},
	{"rec_stage_find",
	 "SELECT s.pipeline_id, s.is_closed, s.name, p.name FROM pipeline_stages s"
	 " JOIN pipelines p ON p.id = s.pipeline_id WHERE s.id = $1",
	 1},

	/* --- inboxes and addresses --- */
	{"rec_inboxes",
	 "SELECT i.id, i.name,"
	 " (SELECT count(*) FROM inbox_addresses a WHERE a.inbox_id = i.id AND a.connected),"
	 " (SELECT count(*) FROM inbox_addresses a WHERE a.inbox_id = i.id),"
	 " (SELECT count(*) FROM forms f WHERE f.inbox_id = i.id),"
	 " EXISTS (SELECT 1 FROM portals p WHERE p.default_inbox_id = i.id)"
	 " FROM inboxes i ORDER BY lower(i.name), i.id LIMIT 500",
	 0},
	{"rec_inbox_choices", "SELECT id, name FROM inboxes ORDER BY lower(name), id LIMIT 500", 0},
	{"rec_inbox_taken", "SELECT 1 FROM inboxes WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2::bigint", 2},
	{"rec_inbox_insert", "INSERT INTO inboxes (name) VALUES ($1) RETURNING id", 1},
	{"rec_inbox_get",
	 "SELECT i.id, i.name, EXISTS (SELECT 1 FROM portals p WHERE p.default_inbox_id = i.id)"
	 " FROM inboxes i WHERE i.id = $1",
	 1},
	{"rec_inbox_lock", "SELECT name FROM inboxes WHERE id = $1 FOR UPDATE", 1},
	{"rec_inbox_rename", "UPDATE inboxes SET name = $2 WHERE id = $1", 2},
	{"rec_addresses",
	 "SELECT id, address, connected, " UTC("created_at") " FROM inbox_addresses"
	 " WHERE inbox_id = $1 ORDER BY lower(address), id",
	 1},
	{"rec_address_owner",
	 "SELECT i.name FROM inbox_addresses a JOIN inboxes i ON i.id = a.inbox_id"
	 " WHERE lower(a.address) = lower($1)",
	 1},
	{"rec_address_insert",
	 "INSERT INTO inbox_addresses (inbox_id, address, connected) VALUES ($1, $2, $3::boolean) RETURNING id", 3},
	{"rec_address_set",
	 "UPDATE inbox_addresses SET connected = $3::boolean WHERE id = $1 AND inbox_id = $2"
	 " RETURNING address",
	 3},
	{"rec_address_delete",
	 "DELETE FROM inbox_addresses WHERE id = $1 AND inbox_id = $2 RETURNING address, connected", 2},

	/* --- forms --- */
	{"rec_forms",
	 "SELECT f.id, f.name, i.name, p.name, s.name, jsonb_array_length(f.fields),"
	 " EXISTS (SELECT 1 FROM portals po WHERE po.support_form_id = f.id)"
	 " FROM forms f JOIN inboxes i ON i.id = f.inbox_id JOIN pipelines p ON p.id = f.pipeline_id"
	 " JOIN pipeline_stages s ON s.id = f.stage_id ORDER BY lower(f.name), f.id LIMIT 500",
	 0},
	{"rec_form_taken", "SELECT 1 FROM forms WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2::bigint", 2},
	{"rec_form_insert",
	 "INSERT INTO forms (name, inbox_id, pipeline_id, stage_id, fields)"
	 " SELECT $1, $2, s.pipeline_id, s.id, $4::jsonb FROM pipeline_stages s WHERE s.id = $3 RETURNING id",
	 4},
	{"rec_form_get",
	 "SELECT f.id, f.name, f.inbox_id, f.stage_id, f.fields::text,"
	 " EXISTS (SELECT 1 FROM portals po WHERE po.support_form_id = f.id)"
	 " FROM forms f WHERE f.id = $1",
	 1},
	{"rec_form_lock",
	 "SELECT jsonb_build_object('name', name, 'inbox_id', inbox_id, 'pipeline_id', pipeline_id,"
	 " 'stage_id', stage_id, 'fields', fields)::text FROM forms WHERE id = $1 FOR UPDATE",
	 1},
	{"rec_form_update",
	 "UPDATE forms f SET name = $2, inbox_id = $3, pipeline_id = s.pipeline_id, stage_id = s.id,"
	 " fields = $5::jsonb FROM pipeline_stages s WHERE f.id = $1 AND s.id = $4"
	 " RETURNING jsonb_build_object('name', f.name, 'inbox_id', f.inbox_id, 'pipeline_id', f.pipeline_id,"
	 " 'stage_id', f.stage_id, 'fields', f.fields)::text",
	 5},
	{"rec_inbox_name", "SELECT name FROM inboxes WHERE id = $1", 1},

	/* --- ticket list: newest activity first, keyset (last_activity_at, id) below $2/$3 (the
	 * first page passes infinity: a row comparison the index scan starts from) --- */
	{"rec_tickets",
	 "SELECT t.id, t.subject, p.name, s.name, s.is_closed, coalesce(t.priority, ''),"
	 " " UTC("t.last_activity_at") ","
	 " (SELECT c.email FROM ticket_contacts tc JOIN contacts c ON c.id = tc.contact_id"
	 "   WHERE tc.ticket_id = t.id ORDER BY c.id LIMIT 1), t.last_activity_at"
	 " FROM tickets t JOIN pipelines p ON p.id = t.pipeline_id JOIN pipeline_stages s ON s.id = t.stage_id"
	 " WHERE ($1 = 'all' OR s.is_closed = ($1 = 'closed'))"
	 "  AND (t.last_activity_at, t.id) < ($2::timestamptz, $3::bigint)"
	 " ORDER BY t.last_activity_at DESC, t.id DESC LIMIT 51",
	 3},
	{"rec_tickets_pipeline",
	 "SELECT t.id, t.subject, p.name, s.name, s.is_closed, coalesce(t.priority, ''),"
	 " " UTC("t.last_activity_at") ","
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
	 " " UTC("t.last_activity_at") ","
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

	/* --- one ticket --- */
	{"rec_contact_by_email",
	 "SELECT id, coalesce(primary_company_id, 0), email FROM contacts WHERE lower(email) = lower($1)", 1},
	{"rec_company_by_name",
	 "SELECT id, name FROM companies WHERE lower(name) = lower($1) ORDER BY id LIMIT 2", 1},
	{"rec_company_choices", "SELECT name FROM companies ORDER BY lower(name), id LIMIT 200", 0},
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
	{"rec_ticket_get",
	 "SELECT t.id, t.subject, t.description, coalesce(t.priority, ''), p.name, t.stage_id, s.name,"
	 " s.is_closed, " UTC("t.created_at") ", " UTC("t.last_activity_at") ", " UTC("t.closed_at") ","
	 " t.properties::text"
	 " FROM tickets t JOIN pipelines p ON p.id = t.pipeline_id JOIN pipeline_stages s ON s.id = t.stage_id"
	 " WHERE t.id = $1",
	 1},
	{"rec_ticket_lock",
	 "SELECT " TICKET_STATE " FROM tickets t WHERE t.id = $1 FOR UPDATE", 1},
	{"rec_ticket_set",
	 "UPDATE tickets t SET subject = $2, description = $3, priority = nullif($4, ''),"
	 " pipeline_id = s.pipeline_id, stage_id = s.id,"
	 " closed_at = CASE WHEN s.is_closed THEN coalesce(t.closed_at, greatest(now(), t.created_at)) END,"
	 " last_activity_at = greatest(now(), t.last_activity_at)"
	 " FROM pipeline_stages s WHERE t.id = $1 AND s.id = $5 RETURNING " TICKET_STATE,
	 5},
	{"rec_ticket_prop_set",
	 "UPDATE tickets SET properties = properties || jsonb_build_object($2::text, $3::text),"
	 " last_activity_at = greatest(now(), last_activity_at) WHERE id = $1 RETURNING properties::text",
	 3},
	{"rec_ticket_prop_del",
	 "UPDATE tickets SET properties = properties - $2::text,"
	 " last_activity_at = greatest(now(), last_activity_at) WHERE id = $1 RETURNING properties::text",
	 2},
	{"rec_ticket_touch",
	 "UPDATE tickets SET last_activity_at = greatest(now(), last_activity_at) WHERE id = $1", 1},
	{"rec_ticket_contacts",
	 "SELECT c.id, c.email, btrim(c.first_name || ' ' || c.last_name),"
	 " EXISTS (SELECT 1 FROM members m WHERE m.contact_id = c.id AND m.portal_id = $2)"
	 " FROM ticket_contacts tc JOIN contacts c ON c.id = tc.contact_id WHERE tc.ticket_id = $1"
	 " ORDER BY c.id LIMIT 200",
	 2},
	{"rec_ticket_contact_add",
	 "INSERT INTO ticket_contacts (ticket_id, contact_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
	 " RETURNING contact_id",
	 2},
	{"rec_ticket_contact_del",
	 "DELETE FROM ticket_contacts tc USING contacts c WHERE tc.ticket_id = $1 AND tc.contact_id = $2"
	 " AND c.id = tc.contact_id RETURNING c.email",
	 2},
	{"rec_ticket_companies",
	 "SELECT co.id, co.name, coalesce(co.domain, '') FROM ticket_companies tc"
	 " JOIN companies co ON co.id = tc.company_id WHERE tc.ticket_id = $1 ORDER BY lower(co.name), co.id LIMIT 200",
	 1},
	{"rec_ticket_company_add",
	 "INSERT INTO ticket_companies (ticket_id, company_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
	 " RETURNING company_id",
	 2},
	{"rec_ticket_company_del",
	 "DELETE FROM ticket_companies tc USING companies co WHERE tc.ticket_id = $1 AND tc.company_id = $2"
	 " AND co.id = tc.company_id RETURNING co.name",
	 2},
	/* in the order the portal picks (ticket_latest_thread): the first is the one it shows */
	{"rec_ticket_threads",
	 "SELECT th.id, th.channel, i.name, (SELECT count(*) FROM messages m WHERE m.thread_id = th.id),"
	 " " UTC("th.last_message_at") ", " SNIPPET("th.id")
	 " FROM threads th JOIN inboxes i ON i.id = th.inbox_id WHERE th.ticket_id = $1"
	 " ORDER BY th.last_message_at DESC, th.id DESC LIMIT 100",
	 1},
	{"rec_threads_detached",
	 "SELECT th.id, th.channel, i.name, " UTC("th.last_message_at") ", " SNIPPET("th.id")
	 " FROM threads th JOIN inboxes i ON i.id = th.inbox_id WHERE th.ticket_id IS NULL"
	 " ORDER BY th.last_message_at DESC, th.id DESC LIMIT 10",
	 0},
	{"rec_thread_lock",
	 "SELECT coalesce(th.ticket_id, 0), i.name, th.channel FROM threads th"
	 " JOIN inboxes i ON i.id = th.inbox_id WHERE th.id = $1 FOR UPDATE OF th",
	 1},
	{"rec_thread_attach", "UPDATE threads SET ticket_id = $2 WHERE id = $1 AND ticket_id IS NULL RETURNING id", 2},
	{"rec_thread_detach", "UPDATE threads SET ticket_id = NULL WHERE id = $1 AND ticket_id = $2 RETURNING id", 2},
	{"rec_ticket_timeline",
	 "SELECT " UTC("x.at") ", x.is_note, x.is_event, x.direction, x.thread_id, x.channel, x.who, x.body, x.label"
	 " FROM (SELECT m.created_at AS at, m.id AS ord, m.kind = 'note' AS is_note, false AS is_event,"
	 "   m.direction, th.id AS thread_id, th.channel,"
	 "   coalesce(nullif(btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), ''),"
	 "     u.name, m.from_address, '') AS who, m.body,"
	 "   coalesce(nullif((SELECT e.kind FROM engagements e WHERE e.message_id = m.id ORDER BY e.id LIMIT 1),"
	 "     th.channel), '') AS label"
	 "  FROM threads th JOIN messages m ON m.thread_id = th.id"
	 "  LEFT JOIN contacts c ON c.id = m.author_contact_id LEFT JOIN staff_users u ON u.id = m.author_user_id"
	 "  WHERE th.ticket_id = $1"
	 "  UNION ALL"
	 "  SELECT e.created_at, e.id, false, true, '', NULL, '', coalesce(c.email, ''), e.summary, e.kind"
	 "  FROM engagements e LEFT JOIN contacts c ON c.id = e.contact_id"
	 "  WHERE e.ticket_id = $1 AND NOT EXISTS (SELECT 1 FROM messages m JOIN threads th ON th.id = m.thread_id"
	 "    WHERE m.id = e.message_id AND th.ticket_id = $1)) x"
	 " ORDER BY x.at DESC, x.ord DESC LIMIT 200",
	 1},
	{NULL, NULL, 0},
};

const struct route admin_records_routes[] = {
	{HTTP_GET, "/admin/pipelines", rec_pipelines_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/pipelines", rec_pipeline_create, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/pipelines/<id>", rec_pipeline_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/pipelines/<id>", rec_pipeline_rename, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/pipelines/<id>/move", rec_pipeline_move, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/pipelines/<id>/stages", rec_stage_create, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/pipelines/<id>/stages/<id>", rec_stage_update, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/pipelines/<id>/stages/<id>/move", rec_stage_move, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/pipelines/<id>/stages/<id>/delete", rec_stage_delete, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/inboxes", rec_inboxes_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/inboxes", rec_inbox_create, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/inboxes/<id>", rec_inbox_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/inboxes/<id>", rec_inbox_rename, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/inboxes/<id>/addresses", rec_address_add, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/inboxes/<id>/addresses/<id>", rec_address_connect, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/inboxes/<id>/addresses/<id>/delete", rec_address_delete, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/forms", rec_forms_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/forms", rec_form_create, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/forms/<id>", rec_form_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/forms/<id>", rec_form_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/tickets", rec_tickets_page, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/tickets/new", rec_ticket_new_page, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/new", rec_ticket_new_submit, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/tickets/<id>", rec_ticket_page, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>", rec_ticket_update, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>/properties", rec_ticket_property, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>/contacts", rec_ticket_contact_add, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>/contacts/<id>/remove", rec_ticket_contact_remove, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>/companies", rec_ticket_company_add, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>/companies/<id>/remove", rec_ticket_company_remove, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>/threads", rec_ticket_thread_attach, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>/threads/<id>/detach", rec_ticket_thread_detach, AUTH_STAFF, 0},
	{0},
};

/* --- helpers --- */

#define REC_MAX_PARAMS 12

PGresult *rec_q(const char *name, int n, ...)
{
	const char *p[REC_MAX_PARAMS];
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n && i < REC_MAX_PARAMS; i++)
		p[i] = va_arg(ap, const char *);
	va_end(ap);
	return db_exec(name, n, p);
}

int rec_exists(const char *name, int n, ...)
{
	const char *p[REC_MAX_PARAMS];
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n && i < REC_MAX_PARAMS; i++)
		p[i] = va_arg(ap, const char *);
	va_end(ap);
	PGresult *r = db_exec(name, n, p);
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	PQclear(r);
	return found;
}

#define BOOLOID 16

struct json_object *rec_row(PGresult *r, int i, const char *keys)
{
	struct json_object *o = json_object_new_object();
	const char *k = keys;
	for (int col = 0; col < PQnfields(r) && *k; col++) {
		const char *end = strchr(k, ',');
		size_t len = end ? (size_t)(end - k) : strlen(k);
		char key[64];
		snprintf(key, sizeof key, "%.*s", (int)len, k);
		k = end ? end + 1 : k + len;
		if (!key[0] || PQgetisnull(r, i, col))
			continue;
		const char *v = PQgetvalue(r, i, col);
		if (PQftype(r, col) == BOOLOID)
			json_object_object_add(o, key, json_object_new_boolean(v[0] == 't'));
		else
			json_object_object_add(o, key, json_object_new_string(v));
	}
	return o;
}

struct json_object *rec_rows(PGresult *r, const char *keys)
{
	struct json_object *a = json_object_new_array();
	for (int i = 0; r && i < PQntuples(r); i++)
		json_object_array_add(a, rec_row(r, i, keys));
	return a;
}

struct json_object *rec_json(const char *text)
{
	return text ? json_tokener_parse(text) : NULL;
}

struct json_object *rec_obj(const char *key, ...)
{
	struct json_object *o = json_object_new_object();
	va_list ap;
	va_start(ap, key);
	for (const char *k = key; k; k = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
	}
	va_end(ap);
	return o;
}

int rec_commit_redirect(struct ctx *c, const char *location)
{
	if (db_commit() < 0)
		return 500;
	return page_redirect(c, 303, location);
}

int rec_abort(void)
{
	db_rollback();
	return 500;
}

struct json_object *rec_stage_groups(const char *selected)
{
	PGresult *r = db_exec("rec_stage_groups", 0, NULL);
	if (!r)
		return NULL;
	struct json_object *groups = json_object_new_array(), *stages = NULL;
	const char *last = NULL;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *pipeline = PQgetvalue(r, i, 0);
		if (!last || strcmp(last, pipeline) != 0) {
			struct json_object *g = json_object_new_object();
			stages = json_object_new_array();
			json_object_object_add(g, "name", json_object_new_string(pipeline));
			json_object_object_add(g, "stages", stages);
			json_object_array_add(groups, g);
			last = pipeline;
		}
		struct json_object *s = rec_row(r, i, ",id,name,is_closed");
		json_object_object_add(s, "selected", json_object_new_boolean(
			selected && strcmp(selected, PQgetvalue(r, i, 1)) == 0));
		json_object_array_add(stages, s);
	}
	PQclear(r);
	return groups;
}

struct json_object *rec_inbox_choices(const char *selected)
{
	PGresult *r = db_exec("rec_inbox_choices", 0, NULL);
	if (!r)
		return NULL;
	struct json_object *a = rec_rows(r, "id,name");
	for (int i = 0; i < PQntuples(r); i++)
		json_object_object_add(json_object_array_get_idx(a, (size_t)i), "selected", json_object_new_boolean(
			selected && strcmp(selected, PQgetvalue(r, i, 0)) == 0));
	PQclear(r);
	return a;
}

int rec_direction(const char *s)
{
	if (s && strcmp(s, "up") == 0)
		return -1;
	if (s && strcmp(s, "down") == 0)
		return 1;
	return 0;
}
