/* admin_audit.c - /admin/audit: the audit log, keyset-paged, newest first, filtered by action. */
#include "admin.h"
#include "pager.h"

#include <stdio.h>
#include <string.h>

const struct db_stmt admin_audit_stmts[] = {
	/* keyset (pager.h): (at, id) below the cursor; $2 '' = any action */
	{"admin_audit_page",
	 "SELECT a.id, " SQL_CONSOLE_TIME("a.at", "YYYY-MM-DD HH24:MI:SS") " AS at, a.actor_kind,"
	 " coalesce(u.email, m.email, '') AS actor, a.action, coalesce(a.detail->>'setting', '') AS setting,"
	 " nullif((a.detail - 'setting' - 'before' - 'after')::text, '{}') AS detail,"
	 " nullif((a.detail->'before')::text, 'null') AS before, nullif((a.detail->'after')::text, 'null') AS after,"
	 " coalesce(host(a.ip), '') AS ip, a.at AS cursor"
	 " FROM audit_log a"
	 " LEFT JOIN staff_users u ON a.actor_kind = 'staff' AND u.id = a.actor_id"
	 " LEFT JOIN LATERAL (SELECT c.email FROM members mm JOIN contacts c ON c.id = mm.contact_id"
	 "   WHERE a.actor_kind = 'member' AND mm.id = a.actor_id) m ON true"
	 " WHERE ($2 = '' OR a.action = $2)"
	 "   AND (a.at, a.id) < (coalesce($3::timestamptz, 'infinity'), coalesce($4::bigint, 0))"
	 "   AND ($1::bigint IS NULL OR a.portal_id = $1 OR a.portal_id IS NULL)"
	 " ORDER BY a.at DESC, a.id DESC " PAGE_LIMIT,
	 4},
	{"admin_audit_actions", "SELECT DISTINCT action FROM audit_log ORDER BY action LIMIT 200", 0},
	{NULL, NULL, 0},
};

/* Keyset-paged audit log, newest first, filtered by action. */
int admin_audit_page(struct ctx *c)
{
	const char *action = request_query(c->req, "action");
	struct pager pg;
	if (pager_read(c, "before", "0123456789-:. +", &pg) < 0)
		return 400;
	if (!action)
		action = "";
	const char *p[4] = {admin_pid(c), action, pg.key, pg.id};
	PGresult *r = db_exec("admin_audit_page", 4, p);
	if (!r)
		return pg.key ? 400 : 500; /* a cursor that is not a time is the client's fault */
	struct json_object *page = admin_page_new(c, "Audit log", "audit");
	struct buf url = BUF_INIT;
	buf_puts(&url, "/admin/audit");
	if (action[0]) {
		buf_puts(&url, "?action=");
		buf_urlenc(&url, action, strlen(action));
	}
	pager_next(c, &pg, page, r, url.data ? url.data : "/admin/audit", "before", 10, 0);
	buf_free(&url);
	struct json_object *rows = db_rows_json(r, pg.shown);
	for (int i = 0; i < pg.shown && i < PQntuples(r); i++) /* words, not the stored code */
		json_object_object_add(json_object_array_get_idx(rows, (size_t)i), "action_words",
				       json_object_new_string(admin_words(c, PQgetvalue(r, i, PQfnumber(r, "action")))));
	json_object_object_add(page, "rows", rows);
	json_object_object_add(page, "empty", json_object_new_boolean(pg.shown == 0));
	json_object_object_add(page, "action", json_object_new_string(action));
	json_object_object_add(page, "action_words", json_object_new_string(admin_words(c, action)));
	PQclear(r);
	PGresult *ra = db_exec("admin_audit_actions", 0, NULL);
	struct json_object *actions = json_object_new_array();
	for (int i = 0; ra && i < PQntuples(ra); i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(PQgetvalue(ra, i, 0)));
		json_object_object_add(o, "words", json_object_new_string(admin_words(c, PQgetvalue(ra, i, 0))));
		json_object_object_add(o, "selected", json_object_new_boolean(strcmp(PQgetvalue(ra, i, 0), action) == 0));
		json_object_array_add(actions, o);
	}
	PQclear(ra);
	json_object_object_add(page, "actions", actions);
	return admin_render(c, 200, "admin/audit", page);
}
