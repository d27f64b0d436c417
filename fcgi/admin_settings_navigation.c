/* admin_settings_navigation.c - /admin/settings/navigation: the links in the header of every
 * customer page, in order (the admin's links, labelled per language, and the portal's own links:
 * tickets, new ticket, account, log out, which can be moved but not edited or removed), and
 * /admin/settings/navigation/<id>: one of the admin's links edited. Not a form
 * page of the kit: ordered rows, each added, moved and removed on its own, and every change is
 * recorded as the whole menu before and after. */
#include "admin_settings.h"
#include "form_page.h"
#include "langs.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


const struct db_stmt admin_settings_navigation_stmts[] = {
	{"settings_nav_list",
	 "SELECT id, label, url, builtin, coalesce(labels, '{}')::text AS labels FROM portal_nav_items WHERE portal_id = $1"
	 " ORDER BY position, id LIMIT 101",
	 1},
	{"settings_nav_count", "SELECT count(*) FROM portal_nav_items WHERE portal_id = $1 AND builtin IS NULL", 1},
	{"settings_nav_get",
	 "SELECT label, url, coalesce(labels, '{}')::text AS labels"
	 " FROM portal_nav_items WHERE portal_id = $1 AND id = $2 AND builtin IS NULL",
	 2},
	/* the whole menu; the portal's own links as {builtin} */
	{"settings_nav_snap",
	 "SELECT coalesce(json_agg(json_strip_nulls(json_build_object('label', label, 'url', url, 'builtin', builtin,"
	 " 'labels', nullif(labels, '{}'))) ORDER BY position, id), '[]')::text FROM portal_nav_items WHERE portal_id = $1",
	 1},
	/* a new link goes after the last custom one, before the portal's own links that follow it */
	{"settings_nav_add",
	 "WITH last AS (SELECT coalesce(max(position) FILTER (WHERE builtin IS NULL), 0) AS p"
	 "   FROM portal_nav_items WHERE portal_id = $1),"
	 " shift AS (UPDATE portal_nav_items SET position = position + 1"
	 "   WHERE portal_id = $1 AND position > (SELECT p FROM last) RETURNING id)"
	 " INSERT INTO portal_nav_items (portal_id, label, url, labels, position)"
	 " SELECT $1, $2, $3, $4::jsonb, p + 1 FROM last",
	 4},
	{"settings_nav_update",
	 "UPDATE portal_nav_items SET label = $3, url = $4, labels = $5::jsonb"
	 " WHERE portal_id = $1 AND id = $2 AND builtin IS NULL",
	 5},
	{"settings_nav_delete", "DELETE FROM portal_nav_items WHERE portal_id = $1 AND id = $2 AND builtin IS NULL", 2},
	/* Renumber 1..n in the shown order and swap the item with its neighbour ($3 = -1 up, 1 down). */
	{"settings_nav_move",
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
	{NULL, NULL, 0},
};

/* The portal's own links as the console names them. */
static const char *builtin_name(const char *b)
{
	static const char *const names[][2] = {{"tickets", "Tickets (the ticket list)"},
					       {"new_ticket", "New ticket (when a support form is connected)"},
					       {"account", "Account (/account)"},
					       {"logout", "Log out (a button)"}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(b, names[i][0]) == 0)
			return names[i][1];
	return b;
}

#define NAV_MAX 20
#define NAV_LABEL_MAX 60
#define NAV_URL_MAX 2000

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

/* tmpl with f's values and errors (consumed; may be NULL), the label fields of every language as
 * page.translations. */
static int nav_render(struct ctx *c, int status, const char *tmpl, struct json_object *page, struct form *f)
{
	if (f)
		form_to_page(f, page);
	lang_translations(page, "translations", "label_");
	return admin_render(c, status, tmpl, page);
}

/* The menu and the add form; f: a refused add form (consumed). */
static int render(struct ctx *c, int status, struct form *f)
{
	PGresult *r = form_page_query(c, "settings_nav_list");
	if (!r)
		return form_page_drop(f, 500);
	struct json_object *page = admin_page_new(c, "Navigation menu", "settings");
	struct json_object *items = db_rows_json(r, -1);
	int n = PQntuples(r);
	int custom = 0;
	for (int i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(items, (size_t)i), *b;
		if (json_object_object_get_ex(o, "builtin", &b) && json_object_get_string(b)[0])
			json_object_object_add(o, "builtin_name", json_object_new_string(builtin_name(json_object_get_string(b))));
		else
			custom++;
		json_object_object_add(o, "translations", lang_shown(db_col(r, i, "labels")));
		json_object_object_add(o, "position", json_object_new_int(i + 1));
		json_object_object_add(o, "can_up", json_object_new_boolean(i > 0));
		json_object_object_add(o, "can_down", json_object_new_boolean(i < n - 1));
	}
	PQclear(r);
	json_object_object_add(page, "items", items);
	json_object_object_add(page, "empty", json_object_new_boolean(n == 0));
	json_object_object_add(page, "at_limit", json_object_new_boolean(custom >= NAV_MAX));
	return nav_render(c, status, "admin/settings_navigation", page, f);
}

int admin_settings_navigation(struct ctx *c)
{
	return render(c, 200, NULL);
}

/* The portal's item of the route's <id>: its id (arena) and, when values is not NULL, {label, url}.
 * 0, 404 or 500. */
static int item(struct ctx *c, const char **id, struct json_object **values)
{
	long n = admin_id(c->caps.v[0]);
	if (!n)
		return 404;
	*id = admin_idstr(c, n);
	const char *p[2] = {admin_pid(c), *id};
	PGresult *r = db_exec("settings_nav_get", 2, p);
	int st = !r ? 500 : PQntuples(r) != 1 ? 404 : 0;
	if (!st && values) {
		*values = json_object_new_object();
		json_object_object_add(*values, "label", json_object_new_string(db_col(r, 0, "label")));
		json_object_object_add(*values, "url", json_object_new_string(db_col(r, 0, "url")));
		lang_spread(*values, "label_", db_col(r, 0, "labels"));
	}
	PQclear(r);
	return st;
}

/* An item's fields into p[0] (the default label), p[1] (url), p[2] (the labels of the languages,
 * label_<code>, as jsonb {"<code>": label} of the non-empty ones); messages into f. */
static void read_item(struct ctx *c, struct form *f, const char **p)
{
	p[0] = form_text(f, c->req, "label", 1, NAV_LABEL_MAX, 0, 1);
	p[1] = nav_url(c, f);
	p[2] = lang_form_texts(c, f, "label_", NAV_LABEL_MAX);
}

int admin_settings_nav_add(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *p[4] = {admin_pid(c)};
	read_item(c, &f, p + 1);
	char count[24];
	if (db_exec_value("settings_nav_count", 1, p, count, sizeof count) != 1) {
		form_free(&f);
		return 500;
	}
	if (f.nerrors == 0 && atol(count) >= NAV_MAX)
		form_message(&f, "label", "The menu holds at most 20 links of your own. Remove one first.");
	if (f.nerrors)
		return render(c, 422, &f);
	form_free(&f);
	int rc = form_page_change(c, "navigation", "settings_nav_snap", "settings_nav_add", 4, p);
	return rc ? rc : form_page_done(c, "/admin/settings/navigation", "created");
}

/* The edit page of one item; f: a refused form (consumed), else the saved values. */
static int render_item(struct ctx *c, int status, struct form *f)
{
	const char *id;
	struct json_object *values = NULL;
	int st = item(c, &id, f ? NULL : &values);
	if (st)
		return form_page_drop(f, st);
	struct json_object *page = admin_page_new(c, "Edit menu item", "settings");
	json_object_object_add(page, "id", json_object_new_string(id));
	if (!f)
		json_object_object_add(page, "values", values);
	return nav_render(c, status, "admin/settings_nav_edit", page, f);
}

int admin_settings_nav_item(struct ctx *c)
{
	return render_item(c, 200, NULL);
}

int admin_settings_nav_item_save(struct ctx *c)
{
	const char *p[5] = {admin_pid(c)};
	int st = item(c, &p[1], NULL);
	if (st)
		return st;
	struct form f;
	form_init(&f, "en");
	read_item(c, &f, p + 2);
	if (f.nerrors)
		return render_item(c, 422, &f);
	form_free(&f);
	int rc = form_page_change(c, "navigation", "settings_nav_snap", "settings_nav_update", 5, p);
	return rc ? rc : form_page_done(c, "/admin/settings/navigation", NULL);
}

int admin_settings_nav_delete(struct ctx *c)
{
	return form_page_remove(c, "navigation", "settings_nav_snap", "settings_nav_delete", "/admin/settings/navigation");
}

int admin_settings_nav_move(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	const char *dir = request_form(c->req, "direction");
	if (!id)
		return 404;
	if (!dir || (strcmp(dir, "up") != 0 && strcmp(dir, "down") != 0))
		return 400;
	const char *p[3] = {admin_pid(c), admin_idstr(c, id), strcmp(dir, "up") == 0 ? "-1" : "1"};
	int rc = form_page_change(c, "navigation", "settings_nav_snap", "settings_nav_move", 3, p);
	return rc ? rc : form_page_done(c, "/admin/settings/navigation", NULL);
}
