/* admin_portals.c - /admin/portals: the install's portals (brands), the default one marked (an
 * unknown Host gets it), and a new portal created from its name, first domain and language. A
 * new portal starts switched off with the shipped templates and theme (nothing stored), the
 * default ticket slug and its built-in navigation (the trigger portal_nav_builtins adds it); its
 * settings are then at /admin/portals/<id>/settings (main.c). A form page of the kit: the create
 * form is FP_ID_NEW, the list its decoration. */
#include "admin.h"
#include "form_page.h"
#include "langs.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const struct db_stmt admin_portals_stmts[] = {
	{"portals_list",
	 "SELECT p.id, p.name, p.is_default, p.enabled, coalesce(d.host, '') AS host, coalesce(d.language, '') AS lang,"
	 " (SELECT count(*) FROM portal_domains x WHERE x.portal_id = p.id) AS domains"
	 " FROM portals p LEFT JOIN portal_domains d ON d.portal_id = p.id AND d.is_primary"
	 " ORDER BY p.is_default DESC, p.name, p.id LIMIT 500",
	 0},
	{"portals_domain_owner",
	 "SELECT p.name FROM portal_domains d JOIN portals p ON p.id = d.portal_id WHERE lower(d.host) = lower($1)", 1},
	/* $1 name, $2 host, $3 language */
	{"portals_insert",
	 "WITH p AS (INSERT INTO portals (name, page_title) VALUES ($1, $1) RETURNING id, name, enabled, ticket_slug),"
	 " d AS (INSERT INTO portal_domains (portal_id, host, language, is_primary)"
	 "   SELECT id, $2, $3, true FROM p RETURNING host, language)"
	 " SELECT p.id, jsonb_build_object('id', p.id::text, 'name', p.name, 'domain', d.host, 'language', d.language,"
	 " 'enabled', CASE WHEN p.enabled THEN 'yes' ELSE 'no' END, 'ticket_slug', p.ticket_slug)::text AS state FROM p, d",
	 3},
	{NULL, NULL, 0},
};

static const char *parse_host(struct ctx *c, struct form *f, const char *name, const char *raw)
{
	while (*raw == ' ' || *raw == '\t')
		raw++;
	size_t n = strlen(raw);
	while (n && (raw[n - 1] == ' ' || raw[n - 1] == '\t'))
		n--;
	char *h = arena_strndup(c->arena, raw, n);
	for (char *p = h; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!h)
		return NULL;
	const char *why = !*h ? "Enter the host name customers will use, like help.example.com."
		: n > 253 ? "A host name is at most 253 characters long." : host_name_problem(h);
	if (why) {
		form_message(f, name, why);
		return NULL;
	}
	return h;
}

static const char *parse_lang(struct ctx *c, struct form *f, const char *name, const char *raw)
{
	if (lang_find(raw))
		return raw;
	form_message(f, name, arena_printf(c->arena, "Choose %s.", lang_names(" or ")));
	return NULL;
}

static const struct fp_field fields[] = {
	{.name = "name", .kind = FP_TEXT, .min = 1, .max = 120, .message = "Enter the portal's name, 1 to 120 characters."},
	{.name = "host", .kind = FP_CUSTOM, .parse = parse_host},
	{.name = "language", .kind = FP_CUSTOM, .parse = parse_lang},
};

/* The domain must be no portal's yet: say whose it is (the unique index still decides a race). */
static int check(struct ctx *c, const struct form_page *fp, struct form *f, struct fp_save *s)
{
	(void)fp;
	PGresult *r = db_exec("portals_domain_owner", 1, &s->vals[1]);
	if (!r)
		return 500;
	if (PQntuples(r) > 0)
		form_message(f, "host", arena_printf(c->arena, "This domain is already used by the portal \"%s\".",
						     PQgetvalue(r, 0, 0)));
	PQclear(r);
	return f->nerrors ? 422 : 0;
}

/* The list of portals and the language choices (the chosen or the first one selected). */
static int decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	(void)fp, (void)row;
	PGresult *r = db_exec("portals_list", 0, NULL);
	if (!r)
		return 500;
	struct json_object *list = json_object_new_array();
	for (int i = 0; i < PQntuples(r); i++) {
		struct json_object *o = db_row_json(r, i);
		const struct lang *l = lang_find(db_col(r, i, "lang"));
		json_object_object_add(o, "language", json_object_new_string(l ? l->name : ""));
		json_object_object_add(o, "settings", json_object_new_string(
			arena_printf(c->arena, "/admin/portals/%s/settings", db_col(r, i, "id"))));
		json_object_array_add(list, o);
	}
	json_object_object_add(page, "portals", list);
	json_object_object_add(page, "empty", json_object_new_boolean(PQntuples(r) == 0));
	PQclear(r);
	const char *chosen = form_page_value(page, "language");
	struct json_object *langs_a = json_object_new_array();
	for (size_t i = 0; i < nlangs; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "code", json_object_new_string(langs[i].code));
		json_object_object_add(o, "name", json_object_new_string(langs[i].name));
		json_object_object_add(o, "selected", json_object_new_boolean(strcmp(chosen, langs[i].code) == 0));
		json_object_array_add(langs_a, o);
	}
	json_object_object_add(page, "languages", langs_a);
	return 0;
}

static const struct form_page portals_page = {
	.path = "/admin/portals", .title = "Portals", .section = "portals", .tmpl = "admin/portals",
	.save = "portals_insert", .audit_action = "portal_create", .audit_kind = FP_AUDIT_RECORD,
	.audit_setting = "portal", .id = FP_ID_NEW, .done = "/admin/portals/<id>/settings?notice=created",
	.taken_field = "host", .taken_message = "This domain is already used by another portal.",
	.fields = FP_FIELDS(fields), .check = check, .decorate = decorate,
};

FP_HANDLERS(admin_portals_page, admin_portal_create, portals_page)
