/* admin_settings_navigation.c - settings: the portal's navigation menu items (ordered) and its support
 * form. */
#include "admin_rules.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A form counts as mapped to ticket properties when it holds a field ticket_new.c would use:
 * an object whose name is a valid input name (its property defaults to the name). */
#define RULES_FORM_FIELDS                                                                        \
	"(SELECT count(*) FROM jsonb_array_elements(f.fields) e WHERE jsonb_typeof(e) = 'object'"  \
	"   AND e->>'name' ~ '^[A-Za-z0-9_-]{1,64}$' AND e->>'name' NOT IN ('csrf', 'nonce'))"

const struct db_stmt admin_settings_navigation_stmts[] = {
	/* navigation */
	{"admin_rules_nav_list",
	 "SELECT id, label, url FROM portal_nav_items WHERE portal_id = $1 ORDER BY position, id LIMIT 101", 1},
	{"admin_rules_nav_get", "SELECT label, url FROM portal_nav_items WHERE portal_id = $1 AND id = $2", 2},
	{"admin_rules_nav_snap",
	 "SELECT coalesce(json_agg(json_build_object('label', label, 'url', url) ORDER BY position, id),"
	 " '[]')::text FROM portal_nav_items WHERE portal_id = $1",
	 1},
	{"admin_rules_nav_add",
	 "INSERT INTO portal_nav_items (portal_id, label, url, position)"
	 " SELECT $1, $2, $3, coalesce(max(position), 0) + 1 FROM portal_nav_items WHERE portal_id = $1",
	 3},
	{"admin_rules_nav_update",
	 "UPDATE portal_nav_items SET label = $3, url = $4 WHERE portal_id = $1 AND id = $2", 4},
	{"admin_rules_nav_delete", "DELETE FROM portal_nav_items WHERE portal_id = $1 AND id = $2", 2},
	/* Renumber 1..n in the shown order and swap the item with its neighbour ($3 = -1 up, 1 down). */
	{"admin_rules_nav_move",
	 "WITH o AS (SELECT id, (row_number() OVER (ORDER BY position, id))::int AS rn"
	 "   FROM portal_nav_items WHERE portal_id = $1),"
	 " me AS (SELECT rn FROM o WHERE id = $2),"
	 " nb AS (SELECT o.id, o.rn FROM o, me WHERE o.rn = me.rn + $3::int)"
	 " UPDATE portal_nav_items n SET position = CASE"
	 "   WHEN n.id = $2 AND EXISTS (SELECT 1 FROM nb) THEN (SELECT rn FROM nb)"
	 "   WHEN n.id = (SELECT id FROM nb) THEN (SELECT rn FROM me)"
	 "   ELSE o.rn END"
	 " FROM o WHERE o.id = n.id AND EXISTS (SELECT 1 FROM me) RETURNING n.id",
	 3},
	/* support form */
	{"admin_rules_forms_list",
	 "SELECT f.id, f.name, coalesce(i.name, ''), " RULES_FORM_FIELDS
	 " FROM forms f LEFT JOIN inboxes i ON i.id = f.inbox_id ORDER BY f.id LIMIT 501",
	 0},
	{"admin_rules_form_check",
	 "SELECT i.id IS NOT NULL, " RULES_FORM_FIELDS
	 " FROM forms f LEFT JOIN inboxes i ON i.id = f.inbox_id WHERE f.id = $1",
	 1},
	{"admin_rules_form_snap",
	 "SELECT json_build_object('support_form_id', p.support_form_id,"
	 " 'name', (SELECT name FROM forms WHERE id = p.support_form_id))::text FROM portals p WHERE p.id = $1",
	 1},
	{"admin_rules_form_get", "SELECT coalesce(support_form_id, 0) FROM portals WHERE id = $1", 1},
	{"admin_rules_form_set", "UPDATE portals SET support_form_id = $2::bigint WHERE id = $1", 2},
	{NULL},
};

#define NAV_MAX 20
#define NAV_LABEL_MAX 60
#define NAV_URL_MAX 2000

/* ---- navigation ---- */

/* An https?:// address with a host, or a path of this site ("/" and one non-slash); no spaces,
 * no backslashes (browsers read "/\" as "//"). Returns the URL to store (scheme lowercased). */
static const char *nav_url(struct ctx *c, struct form *f)
{
	const char *u = form_text(f, c->req, "url", 1, NAV_URL_MAX, 0, 1);
	if (!u)
		return NULL;
	const char *msg = "Enter a full address starting with https:// or http://, or a path on this site starting with one /.";
	for (const char *p = u; *p; p++)
		if (isspace((unsigned char)*p) || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f) {
			form_message(f, "url", "The address may not hold spaces or backslashes.");
			return NULL;
		}
	if (u[0] == '/') {
		if (u[1] == '/') {
			form_message(f, "url", msg);
			return NULL;
		}
		return u;
	}
	size_t skip = strncasecmp(u, "https://", 8) == 0 ? 8 : strncasecmp(u, "http://", 7) == 0 ? 7 : 0;
	if (!skip || !u[skip] || u[skip] == '/' || u[skip] == '?' || u[skip] == '#') {
		form_message(f, "url", msg);
		return NULL;
	}
	char *out = arena_strdup(c->arena, u);
	for (size_t i = 0; out && i < skip; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return out;
}

static int nav_render(struct ctx *c, int status, struct form *f)
{
	const char *p[1] = {admin_pid(c)};
	PGresult *r = db_exec("admin_rules_nav_list", 1, p);
	if (!r) {
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *page = admin_page_new(c, "Navigation menu", "settings");
	struct json_object *items = json_object_new_array();
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(PQgetvalue(r, i, 0)));
		json_object_object_add(o, "label", json_object_new_string(PQgetvalue(r, i, 1)));
		json_object_object_add(o, "url", json_object_new_string(PQgetvalue(r, i, 2)));
		json_object_object_add(o, "position", json_object_new_int(i + 1));
		json_object_object_add(o, "can_up", json_object_new_boolean(i > 0));
		json_object_object_add(o, "can_down", json_object_new_boolean(i < n - 1));
		json_object_array_add(items, o);
	}
	PQclear(r);
	json_object_object_add(page, "items", items);
	json_object_object_add(page, "empty", json_object_new_boolean(n == 0));
	json_object_object_add(page, "at_limit", json_object_new_boolean(n >= NAV_MAX));
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, "admin/rules_navigation", page);
}

int rules_nav_page(struct ctx *c)
{
	return nav_render(c, 200, NULL);
}

int rules_nav_add(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *label = form_text(&f, c->req, "label", 1, NAV_LABEL_MAX, 0, 1);
	const char *url = nav_url(c, &f);
	const char *pc[1] = {admin_pid(c)};
	PGresult *r = db_exec("admin_rules_nav_list", 1, pc);
	if (!r) {
		form_free(&f);
		return 500;
	}
	int n = PQntuples(r);
	PQclear(r);
	if (f.nerrors == 0 && n >= NAV_MAX)
		form_message(&f, "label", "The menu holds at most 20 items. Remove one first.");
	if (f.nerrors)
		return nav_render(c, 422, &f);
	form_free(&f);
	const char *p[3] = {admin_pid(c), label, url};
	int rc = rules_change(c, "navigation", "admin_rules_nav_snap", "admin_rules_nav_add", 3, p, 1);
	return rc ? rc : rules_done(c, "/admin/settings/navigation", "created");
}

static int nav_edit_render(struct ctx *c, int status, const char *id, struct form *f)
{
	struct json_object *page = admin_page_new(c, "Edit menu item", "settings");
	json_object_object_add(page, "id", json_object_new_string(id));
	if (f) {
		form_to_page(f, page);
	} else {
		const char *p[2] = {admin_pid(c), id};
		PGresult *r = db_exec("admin_rules_nav_get", 2, p);
		if (!r || PQntuples(r) != 1) {
			json_object_put(page);
			PQclear(r);
			return r ? 404 : 500;
		}
		struct json_object *v = json_object_new_object();
		json_object_object_add(v, "label", json_object_new_string(PQgetvalue(r, 0, 0)));
		json_object_object_add(v, "url", json_object_new_string(PQgetvalue(r, 0, 1)));
		json_object_object_add(page, "values", v);
		PQclear(r);
	}
	return admin_render(c, status, "admin/rules_nav_edit", page);
}

int rules_nav_edit_page(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	return id ? nav_edit_render(c, 200, arena_printf(c->arena, "%ld", id), NULL) : 404;
}

int rules_nav_edit(struct ctx *c)
{
	long nid = admin_id(c->caps.v[0]);
	if (!nid)
		return 404;
	const char *id = arena_printf(c->arena, "%ld", nid);
	const char *p2[2] = {admin_pid(c), id};
	char one[8];
	int k = db_exec_value("admin_rules_nav_get", 2, p2, one, sizeof one);
	if (k <= 0)
		return k < 0 ? 500 : 404;
	struct form f;
	form_init(&f, "en");
	const char *label = form_text(&f, c->req, "label", 1, NAV_LABEL_MAX, 0, 1);
	const char *url = nav_url(c, &f);
	if (f.nerrors)
		return nav_edit_render(c, 422, id, &f);
	form_free(&f);
	const char *p[4] = {admin_pid(c), id, label, url};
	int rc = rules_change(c, "navigation", "admin_rules_nav_snap", "admin_rules_nav_update", 4, p, 1);
	return rc ? rc : rules_done(c, "/admin/settings/navigation", NULL);
}

int rules_nav_delete(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	const char *p[2] = {admin_pid(c), arena_printf(c->arena, "%ld", id)};
	int rc = rules_change(c, "navigation", "admin_rules_nav_snap", "admin_rules_nav_delete", 2, p, 1);
	return rc ? rc : rules_done(c, "/admin/settings/navigation", "deleted");
}

int rules_nav_move(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	const char *dir = request_form(c->req, "direction");
	if (!id)
		return 404;
	if (!dir || (strcmp(dir, "up") != 0 && strcmp(dir, "down") != 0))
		return 400;
	const char *p[3] = {admin_pid(c), arena_printf(c->arena, "%ld", id), strcmp(dir, "up") == 0 ? "-1" : "1"};
	int rc = rules_change(c, "navigation", "admin_rules_nav_snap", "admin_rules_nav_move", 3, p, 1);
	return rc ? rc : rules_done(c, "/admin/settings/navigation", NULL);
}

/* ---- support form ---- */

static int form_render(struct ctx *c, int status, struct form *f)
{
	PGresult *r = db_exec("admin_rules_forms_list", 0, NULL);
	if (!r) {
		if (f)
			form_free(f);
		return 500;
	}
	char saved[24]; /* the database's, not the cache's: this page follows a save at once */
	const char *pp[1] = {admin_pid(c)};
	if (db_exec_value("admin_rules_form_get", 1, pp, saved, sizeof saved) != 1) {
		PQclear(r);
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *page = admin_page_new(c, "Support form", "settings");
	const char *sel = f ? request_form(c->req, "form_id") : saved;
	struct json_object *forms = json_object_new_array();
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		long fields = atol(PQgetvalue(r, i, 3));
		int inbox = PQgetvalue(r, i, 2)[0] != '\0';
		json_object_object_add(o, "id", json_object_new_string(PQgetvalue(r, i, 0)));
		json_object_object_add(o, "name", json_object_new_string(PQgetvalue(r, i, 1)));
		json_object_object_add(o, "inbox", json_object_new_string(PQgetvalue(r, i, 2)));
		json_object_object_add(o, "fields", json_object_new_int64(fields));
		json_object_object_add(o, "usable", json_object_new_boolean(fields > 0 && inbox));
		json_object_object_add(o, "selected", json_object_new_boolean(sel && strcmp(sel, PQgetvalue(r, i, 0)) == 0));
		json_object_array_add(forms, o);
	}
	PQclear(r);
	json_object_object_add(page, "forms", forms);
	json_object_object_add(page, "empty", json_object_new_boolean(n == 0));
	json_object_object_add(page, "none_selected", json_object_new_boolean(!sel || !admin_id(sel)));
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, "admin/rules_support_form", page);
}

int rules_form_page(struct ctx *c)
{
	return form_render(c, 200, NULL);
}

int rules_form_save(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *sent = form_text(&f, c->req, "form_id", 0, 24, 0, 1);
	const char *id = NULL;
	if (!sent) {
		/* message already recorded */
	} else if (!*sent || strcmp(sent, "none") == 0) {
		id = NULL;
	} else if (!admin_id(sent)) {
		form_message(&f, "form_id", "Choose a form from the list, or none.");
	} else {
		id = arena_printf(c->arena, "%ld", admin_id(sent));
		const char *p[1] = {id};
		PGresult *r = db_exec("admin_rules_form_check", 1, p);
		if (!r) {
			form_free(&f);
			return 500;
		}
		if (PQntuples(r) != 1)
			form_message(&f, "form_id", "That form does not exist any more. Choose another one.");
		else if (PQgetvalue(r, 0, 0)[0] != 't')
			form_message(&f, "form_id", "That form is not tied to an inbox, so its tickets would reach nobody. Tie it to an inbox first (Forms).");
		else if (atol(PQgetvalue(r, 0, 1)) == 0)
			form_message(&f, "form_id", "That form holds no field mapped to a ticket property. Add fields to it first (Forms).");
		PQclear(r);
	}
	if (f.nerrors)
		return form_render(c, 422, &f);
	form_free(&f);
	const char *p[2] = {admin_pid(c), id};
	int rc = rules_change(c, "support_form", "admin_rules_form_snap", "admin_rules_form_set", 2, p, 1);
	return rc ? rc : rules_done(c, "/admin/settings/support-form", NULL);
}
