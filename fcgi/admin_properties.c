/* admin_properties.c - /admin/properties: the custom ticket properties (every key of
 * tickets.properties, ticket_property_keys) with what customers see of them, and
 * /admin/properties/<key>: one key's definition edited (ticket_property_defs: a default label,
 * a label per language of the list (langs.h), visible to customers, order). A key without a definition is
 * not shown to customers. Not a form page of the kit: its records are named by a text key, not
 * an id. Install-wide, like the keys themselves; every save is audited (property_update). */
#include "admin.h"
#include "form_page.h"
#include "langs.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "str.h"

#define PROP_STATE                                                                                 \
	"json_build_object('key', k.key, 'label', d.label, 'labels', d.labels, 'visible', d.visible,"    \
	" 'position', d.position)::text AS state"

const struct db_stmt admin_properties_stmts[] = {
	{"props_list",
	 "SELECT k.key, d.key IS NOT NULL AS defined, coalesce(d.label, '') AS label,"
	 " coalesce(d.labels, '{}')::text AS labels,"
	 " coalesce(d.visible, false) AS visible, coalesce(d.position, 0) AS position"
	 " FROM ticket_property_keys k LEFT JOIN ticket_property_defs d ON d.key = k.key"
	 " ORDER BY d.key IS NULL, d.position, k.key LIMIT 500",
	 0},
	{"props_get",
	 "SELECT k.key, d.key IS NOT NULL AS defined, coalesce(d.label, '') AS label,"
	 " coalesce(d.labels, '{}')::text AS labels,"
	 " coalesce(d.visible, false) AS visible, coalesce(d.position, 0)::text AS position, " PROP_STATE
	 " FROM ticket_property_keys k LEFT JOIN ticket_property_defs d ON d.key = k.key WHERE k.key = $1",
	 1},
	{"props_lock", "SELECT 1 FROM ticket_property_keys WHERE key = $1 FOR UPDATE", 1},
	{"props_save",
	 "INSERT INTO ticket_property_defs AS d (key, label, labels, visible, position)"
	 " VALUES ($1, $2, $3::jsonb, $4::boolean, $5::int)"
	 " ON CONFLICT (key) DO UPDATE SET label = excluded.label, labels = excluded.labels,"
	 " visible = excluded.visible, position = excluded.position, updated_at = now()",
	 5},
	{NULL, NULL, 0},
};

#define LABEL_MAX 100

/* The key's page, its key percent-encoded (a key may hold any character but "/"). */
static const char *key_url(struct ctx *c, const char *key)
{
	struct buf b = BUF_INIT;
	buf_urlenc(&b, key, strlen(key));
	const char *out = arena_printf(c->arena, "/admin/properties/%s", b.data && !b.oom ? b.data : "");
	buf_free(&b);
	return out;
}

int admin_properties(struct ctx *c)
{
	PGresult *r = db_exec("props_list", 0, NULL);
	if (!r)
		return 500;
	struct json_object *page = admin_page_new(c, "Ticket properties", "properties");
	struct json_object *keys = db_rows_json(r, -1);
	for (int i = 0; i < PQntuples(r); i++) {
		struct json_object *k = json_object_array_get_idx(keys, (size_t)i);
		json_object_object_add(k, "url", json_object_new_string(key_url(c, db_col(r, i, "key"))));
		json_object_object_add(k, "translations", lang_shown(db_col(r, i, "labels")));
	}
	json_object_object_add(page, "keys", keys);
	json_object_object_add(page, "empty", json_object_new_boolean(PQntuples(r) == 0));
	PQclear(r);
	return admin_render(c, 200, "admin/properties", page);
}

/* The key of the route, when it is a known key: its row (PQclear it), else NULL with *st 404 or 500. */
static PGresult *key_row(struct ctx *c, int *st)
{
	const char *p[1] = {c->caps.v[0]};
	PGresult *r = db_exec("props_get", 1, p);
	*st = !r ? 500 : PQntuples(r) != 1 ? 404 : 0;
	if (*st) {
		PQclear(r);
		return NULL;
	}
	return r;
}

/* The edit page; f: a refused form (consumed), else the saved definition. */
static int render(struct ctx *c, int status, struct form *f)
{
	int st;
	PGresult *r = key_row(c, &st);
	if (!r)
		return form_page_drop(f, st);
	struct json_object *page = admin_page_new(c, arena_printf(c->arena, "Ticket property %s", c->caps.v[0]), "properties");
	json_object_object_add(page, "key", json_object_new_string(db_col(r, 0, "key")));
	json_object_object_add(page, "url", json_object_new_string(key_url(c, db_col(r, 0, "key"))));
	json_object_object_add(page, "defined", json_object_new_boolean(db_col(r, 0, "defined")[0] == 't'));
	if (!f) {
		struct json_object *v = db_row_json(r, 0);
		lang_spread(v, "label_", db_col(r, 0, "labels"));
		if (db_col(r, 0, "defined")[0] != 't') /* a first definition: the key as its label */
			json_object_object_add(v, "label", json_object_new_string(db_col(r, 0, "key")));
		json_object_object_add(page, "values", v);
	}
	PQclear(r);
	if (f)
		form_to_page(f, page);
	lang_translations(page, "translations", "label_");
	return admin_render(c, status, "admin/property", page);
}

int admin_property(struct ctx *c)
{
	return render(c, 200, NULL);
}

int admin_property_save(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *label = form_text(&f, c->req, "label", 1, LABEL_MAX, 0, 1);
	const char *labels = lang_form_texts(c, &f, "label_", LABEL_MAX);
	int visible = form_checkbox(&f, c->req, "visible", 0);
	const char *pos = form_text(&f, c->req, "position", 0, 4, 0, 1);
	char *end = NULL;
	long n = pos && pos[0] ? strtol(pos, &end, 10) : 0;
	if (pos && ((pos[0] && *end) || n < 0 || n > 999))
		form_message(&f, "position", "Enter a whole number from 0 to 999 (smaller first), or leave it empty.");
	if (f.nerrors)
		return render(c, 422, &f);
	form_free(&f);

	int st;
	if (db_begin() < 0)
		return 500;
	const char *key = c->caps.v[0];
	const char *pk[1] = {key};
	PGresult *lock = db_exec("props_lock", 1, pk);
	int found = !lock ? -1 : PQntuples(lock) == 1;
	PQclear(lock);
	if (found != 1) {
		db_rollback();
		return found < 0 ? 500 : 404;
	}
	PGresult *before = key_row(c, &st);
	if (!before) {
		db_rollback();
		return st;
	}
	struct json_object *b = json_tokener_parse(db_col(before, 0, "state"));
	PQclear(before);
	const char *p[5] = {key, label, labels, visible ? "true" : "false", arena_printf(c->arena, "%ld", n)};
	PGresult *w = db_exec("props_save", 5, p);
	int ok = w != NULL;
	PQclear(w);
	PGresult *after = ok ? key_row(c, &st) : NULL;
	if (!after) {
		json_object_put(b);
		db_rollback();
		return 500;
	}
	struct json_object *a = json_tokener_parse(db_col(after, 0, "state"));
	PQclear(after);
	if (b && a && json_object_equal(a, b)) { /* nothing changed: no write, no audit row */
		json_object_put(a);
		json_object_put(b);
		db_rollback();
		return page_redirect(c, 303, "/admin/properties?saved=1");
	}
	return admin_audit_commit(c, "property_update", b, a, "/admin/properties?saved=1");
}
