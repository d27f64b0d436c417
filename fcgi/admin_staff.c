/* admin_staff.c - /admin/staff and /admin/staff/<id>: the staff users (role, second factor, which
 * inboxes each sees) and, for an agent, the inboxes they are limited to (staff_users.
 * inboxes_limited, staff_inbox_limits). Admins see every inbox and cannot be limited. The limit is
 * read with the session on every request (sessions.c), so a change applies from the agent's next
 * request; what a limited agent sees is decided in SQL (staff_inboxes(), staff_ticket_ok()). */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An agent's limit as an audit state: {staff_user_id, email, limited, inboxes: [{id, name}]}. */
#define STAFF_STATE                                                                               \
	"jsonb_build_object('staff_user_id', u.id::text, 'email', u.email,"                        \
	" 'limited', u.role = 'agent' AND u.inboxes_limited, 'inboxes', (SELECT coalesce(jsonb_agg("  \
	"   jsonb_build_object('id', i.id::text, 'name', i.name) ORDER BY i.id), '[]')"              \
	"   FROM staff_inbox_limits l JOIN inboxes i ON i.id = l.inbox_id WHERE l.staff_user_id = u.id))::text"

const struct db_stmt admin_staff_stmts[] = {
	{"staff_list",
	 "SELECT u.id, u.email, u.name, u.role, u.role = 'agent' AND u.inboxes_limited AS limited,"
	 " coalesce(f.confirmed_at IS NOT NULL, false) AS factor_on,"
	 " coalesce((SELECT string_agg(i.name, ', ' ORDER BY lower(i.name), i.id) FROM staff_inbox_limits l"
	 "   JOIN inboxes i ON i.id = l.inbox_id WHERE l.staff_user_id = u.id), '') AS inbox_names"
	 " FROM staff_users u LEFT JOIN two_factors f ON f.staff_user_id = u.id"
	 " ORDER BY lower(u.email), u.id LIMIT 500",
	 0},
	{"staff_one",
	 "SELECT u.id, u.email, u.name, u.role, u.inboxes_limited AS limited,"
	 " (SELECT coalesce(array_agg(l.inbox_id ORDER BY l.inbox_id), '{}') FROM staff_inbox_limits l"
	 "   WHERE l.staff_user_id = u.id)::text AS inboxes"
	 " FROM staff_users u WHERE u.id = $1",
	 1},
	{"staff_lock", "SELECT u.role, " STAFF_STATE " AS state FROM staff_users u WHERE u.id = $1 FOR UPDATE", 1},
	/* $1 the inboxes ticked (array literal) */
	{"staff_inbox_choices",
	 "SELECT id, name, id = ANY ($1::bigint[]) AS checked FROM inboxes ORDER BY lower(name), id LIMIT 500", 1},
	/* how many of the distinct ids ticked are not inboxes (staff_inboxes_exist) */
	{"staff_inboxes_unknown",
	 "SELECT count(*) FROM (SELECT DISTINCT x FROM unnest($1::bigint[]) x) d"
	 " WHERE NOT EXISTS (SELECT 1 FROM inboxes i WHERE i.id = d.x)",
	 1},
	{"staff_limit_flag", "UPDATE staff_users SET inboxes_limited = $2::boolean WHERE id = $1 AND role = 'agent'", 2},
	{"staff_limit_clear", "DELETE FROM staff_inbox_limits WHERE staff_user_id = $1", 1},
	{"staff_limit_add",
	 "INSERT INTO staff_inbox_limits (staff_user_id, inbox_id) SELECT $1, x FROM unnest($2::bigint[]) x"
	 " ON CONFLICT DO NOTHING",
	 2},
	{"staff_state", "SELECT " STAFF_STATE " AS state FROM staff_users u WHERE u.id = $1", 1},
	{NULL, NULL, 0},
};

int admin_staff_page(struct ctx *c)
{
	PGresult *r = db_exec("staff_list", 0, NULL);
	if (!r)
		return 500;
	struct json_object *list = json_object_new_array();
	for (int i = 0; i < PQntuples(r); i++) {
		struct json_object *u = json_object_new_object();
		json_object_object_add(u, "id", json_object_new_string(db_col(r, i, "id")));
		json_object_object_add(u, "email", json_object_new_string(db_col(r, i, "email")));
		json_object_object_add(u, "name", json_object_new_string(db_col(r, i, "name")));
		json_object_object_add(u, "role", json_object_new_string(db_col(r, i, "role")));
		json_object_object_add(u, "is_admin", json_object_new_boolean(strcmp(db_col(r, i, "role"), "admin") == 0));
		json_object_object_add(u, "factor_on", json_object_new_boolean(db_col(r, i, "factor_on")[0] == 't'));
		json_object_object_add(u, "limited", json_object_new_boolean(db_col(r, i, "limited")[0] == 't'));
		json_object_object_add(u, "inbox_names", json_object_new_string(db_col(r, i, "inbox_names")));
		json_object_object_add(u, "self", json_object_new_boolean(atol(db_col(r, i, "id")) == c->staff.user_id));
		json_object_array_add(list, u);
	}
	PQclear(r);
	struct json_object *page = admin_page_new(c, "Staff", "staff");
	json_object_object_add(page, "staff_users", list);
	return admin_render(c, 200, "admin/staff", page);
}

/* The ids of the form's "inbox" checkboxes as an array literal (arena); NULL when one is not an id. */
static const char *ticked_inboxes(struct ctx *c)
{
	struct buf b = BUF_INIT;
	int bad = 0, n = 0;
	buf_puts(&b, "{");
	for (size_t i = 0; i < c->req->nform && n < 500; i++) {
		if (strcmp(c->req->form[i].name, "inbox") != 0)
			continue;
		long id = admin_id(c->req->form[i].value);
		if (!id) {
			bad = 1;
			continue;
		}
		buf_printf(&b, "%s%ld", n++ ? "," : "", id);
	}
	buf_puts(&b, "}");
	const char *out = bad ? NULL : arena_strdup(c->arena, b.data);
	buf_free(&b);
	return out;
}

int staff_inboxes_exist(const char *ids)
{
	char unknown[24];
	const char *p[1] = {ids};
	if (db_exec_value("staff_inboxes_unknown", 1, p, unknown, sizeof unknown) != 1)
		return -1;
	return strcmp(unknown, "0") == 0;
}

/* Run a statement whose rows do not matter: 1, or 0 on a database error. */
static int run(const char *stmt, int n, const char *const *p)
{
	PGresult *r = db_exec(stmt, n, p);
	PQclear(r);
	return r != NULL;
}

/* One staff user's page: the inbox limit form (agents) with the input f when it came back. */
static int staff_render(struct ctx *c, int status, struct form *f, const char *ticked, int limited)
{
	long id = admin_id(c->caps.v[0]);
	const char *p[1] = {admin_idstr(c, id)};
	PGresult *r = id ? db_exec("staff_one", 1, p) : NULL;
	if (!r || PQntuples(r) != 1) {
		int missing = r != NULL || !id;
		PQclear(r);
		if (f)
			form_free(f);
		return missing ? 404 : 500;
	}
	int agent = strcmp(db_col(r, 0, "role"), "agent") == 0;
	const char *email = arena_strdup(c->arena, db_col(r, 0, "email"));
	const char *name = arena_strdup(c->arena, db_col(r, 0, "name"));
	if (!f) {
		ticked = arena_strdup(c->arena, db_col(r, 0, "inboxes"));
		limited = agent && db_col(r, 0, "limited")[0] == 't';
	}
	PQclear(r);
	const char *pc[1] = {ticked ? ticked : "{}"};
	r = db_exec("staff_inbox_choices", 1, pc);
	if (!r) {
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *page = admin_page_new(c, arena_printf(c->arena, "Staff: %s", email), "staff");
	struct json_object *u = json_object_new_object();
	json_object_object_add(u, "id", json_object_new_int64(id));
	json_object_object_add(u, "email", json_object_new_string(email));
	json_object_object_add(u, "name", json_object_new_string(name));
	json_object_object_add(u, "is_agent", json_object_new_boolean(agent));
	json_object_object_add(page, "user", u);
	json_object_object_add(page, "inboxes", db_rows_json(r, -1));
	json_object_object_add(page, "has_inboxes", json_object_new_boolean(PQntuples(r) > 0));
	PQclear(r);
	if (f)
		form_to_page(f, page);
	json_object_object_add(page, "limited", json_object_new_boolean(limited));
	return admin_render(c, status, "admin/staff_user", page);
}

int admin_staff_user(struct ctx *c)
{
	return staff_render(c, 200, NULL, NULL, 0);
}

/* POST /admin/staff/<id>: "limited" (checkbox) and the "inbox" checkboxes; one transaction with
 * the audit row staff_inboxes_change {before, after}. Without the limit the list is emptied. */
int admin_staff_save(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	const char *lim = request_form(c->req, "limited");
	int limited = lim && lim[0];
	const char *ticked = ticked_inboxes(c);
	struct form f;
	form_init(&f, "en");
	int known = ticked ? staff_inboxes_exist(ticked) : 0;
	if (known < 0) {
		form_free(&f);
		return 500;
	}
	if (!known) {
		form_message(&f, "inboxes", "One of the inboxes ticked does not exist (any more). Reload the page and tick them again.");
		return staff_render(c, 422, &f, ticked ? ticked : "{}", limited);
	}
	const char *p[2] = {admin_idstr(c, id), limited ? ticked : "{}"};
	if (db_begin() < 0) {
		form_free(&f);
		return 500;
	}
	PGresult *r = db_exec("staff_lock", 1, p);
	if (!r || PQntuples(r) != 1) {
		int missing = r != NULL;
		PQclear(r);
		db_rollback();
		form_free(&f);
		return missing ? 404 : 500;
	}
	int agent = strcmp(db_col(r, 0, "role"), "agent") == 0;
	struct json_object *before = json_tokener_parse(db_col(r, 0, "state"));
	PQclear(r);
	if (!agent) {
		json_object_put(before);
		db_rollback();
		form_message(&f, "limited", "Admins see every inbox: only an agent can be limited to some.");
		return staff_render(c, 422, &f, "{}", 0);
	}
	form_free(&f);
	const char *pf[2] = {p[0], limited ? "true" : "false"};
	int ok = run("staff_limit_flag", 2, pf) && run("staff_limit_clear", 1, p) && run("staff_limit_add", 2, p);
	r = ok ? db_exec("staff_state", 1, p) : NULL;
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		json_object_put(before);
		db_rollback();
		return 500;
	}
	struct json_object *after = json_tokener_parse(db_col(r, 0, "state"));
	PQclear(r);
	if (json_object_equal(before, after)) { /* nothing changed: no audit row */
		json_object_put(before);
		json_object_put(after);
		db_rollback();
		return page_redirect(c, 303, arena_printf(c->arena, "/admin/staff/%ld?saved=1", id));
	}
	return admin_audit_commit(c, "staff_inboxes_change", before, after,
				  arena_printf(c->arena, "/admin/staff/%ld?saved=1", id));
}
