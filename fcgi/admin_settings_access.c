/* admin_settings_access.c - /admin/settings/access: who may enter the portal (member
 * registration, specific lists, or single sign-on for everyone or for lists) and the lists that
 * grant access (a form page on the kit, form_page.h; the lists are one field, an array). */
#include "admin_settings.h"
#include "form_page.h"

#include <stdlib.h>
#include <string.h>

#define LISTS_SHOWN 500

/* The record: the lists as a sorted array literal ("{1,5}"), and what single sign-on still lacks. */
#define ACCESS_COLS                                                                              \
	"SELECT access_mode, sso_audience, two_factor_required, '{' || coalesce((SELECT string_agg(list_id::text, ','"  \
	" ORDER BY list_id) FROM portal_lists WHERE portal_id = p.id), '') || '}' AS lists,"       \
	" portal_sso_problem(p.id) AS sso_problem, coalesce(sso_method, '') AS sso_method_saved"     \
	" FROM portals p WHERE id = $1"

const struct db_stmt admin_settings_access_stmts[] = {
	/* the save is one statement, so that the invitations queued by the triggers
	 * (sql/functions/queue_invitations.sql) see the new lists and the new mode together */
	FP_STMTS("settings_access", ACCESS_COLS,
		 "WITH d AS (DELETE FROM portal_lists WHERE portal_id = $1 AND NOT (list_id = ANY ($4::bigint[]))),"
		 " a AS (INSERT INTO portal_lists (portal_id, list_id) SELECT $1, unnest($4::bigint[]) ON CONFLICT DO NOTHING)"
		 " UPDATE portals SET access_mode = $2, sso_audience = $3, two_factor_required = $5 WHERE id = $1"
		 " AND (access_mode, sso_audience, two_factor_required) IS DISTINCT FROM ($2, $3, $5::boolean)",
		 5),
	/* the lists' audit object, {"lists": [{id, name}]} */
	{"settings_access_lists_state",
	 "SELECT json_build_object('lists', coalesce(json_agg(json_build_object('id', id, 'name', name)"
	 " ORDER BY id), '[]'))::text FROM lists WHERE id = ANY ($1::bigint[])",
	 1},
	{"settings_access_lists_known",
	 "SELECT count(*) = cardinality($1::bigint[]) FROM lists WHERE id = ANY ($1::bigint[])", 1},
	/* the chosen lists first */
	{"settings_access_lists",
	 "SELECT l.id, l.name, pl.list_id IS NOT NULL AS checked,"
	 " (SELECT count(*) FROM list_members lm WHERE lm.list_id = l.id) AS members"
	 " FROM lists l LEFT JOIN portal_lists pl ON pl.list_id = l.id AND pl.portal_id = $1"
	 " ORDER BY pl.list_id IS NULL, lower(l.name), l.id LIMIT 501",
	 1},
	{NULL, NULL, 0},
};

static const char *const modes[] = {"registration", "lists", "sso", NULL};

#define LIST_GONE "One of the chosen lists does not exist any more. Reload the page and choose again."

/* Anything but "lists" is "all". */
static const char *parse_audience(struct ctx *c, struct form *f, const char *name, const char *raw)
{
	(void)c;
	const char *v = strcmp(raw, "lists") == 0 ? "lists" : "all";
	json_object_object_add(f->values, name, json_object_new_string(v));
	return v;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

/* The ticked lists (fields "list") as a sorted array literal; values.lists keeps them, an array,
 * to tick them again. */
static const char *parse_lists(struct ctx *c, struct form *f, const char *name, const char *raw)
{
	(void)raw;
	struct json_object *chosen = json_object_new_array();
	long *ids = arena_alloc(c->arena, (c->req->nform + 1) * sizeof *ids);
	size_t n = 0;
	int bad = 0;
	for (size_t i = 0; ids && i < c->req->nform; i++) {
		if (strcmp(c->req->form[i].name, "list") != 0)
			continue;
		long id = admin_id(c->req->form[i].value);
		bad |= !id;
		if (!id)
			continue;
		ids[n++] = id;
		json_object_array_add(chosen, json_object_new_string(c->req->form[i].value));
	}
	json_object_object_add(f->values, name, chosen);
	if (!ids) {
		form_message(f, name, LIST_GONE);
		return NULL;
	}
	qsort(ids, n, sizeof *ids, cmp_long);
	struct buf b = BUF_INIT;
	buf_puts(&b, "{");
	for (size_t i = 0; i < n; i++) {
		bad |= i > 0 && ids[i] == ids[i - 1]; /* one sent twice */
		buf_printf(&b, "%s%ld", i ? "," : "", ids[i]);
	}
	buf_puts(&b, "}");
	const char *v = b.oom || bad ? NULL : arena_strdup(c->arena, b.data);
	buf_free(&b);
	if (!v)
		form_message(f, name, LIST_GONE);
	return v;
}

static const struct fp_field fields[] = {
	{.name = "access_mode", .kind = FP_CHOICE, .choices = modes, .message = "Choose who may enter the portal."},
	{.name = "sso_audience", .kind = FP_CUSTOM, .parse = parse_audience},
	{.name = "lists", .kind = FP_CUSTOM, .parse = parse_lists, .audit = "access_lists",
	 .audit_state = "settings_access_lists_state"},
	{.name = "two_factor_required", .kind = FP_CHECKBOX},
};

/* What the mode needs: a list for lists (and for SSO on lists), SSO set up, lists that exist. */
static int check_access(struct ctx *c, const struct form_page *fp, struct form *f, struct fp_save *s)
{
	(void)fp;
	const char *mode = s->vals[0], *ids = s->vals[2], *problem = db_col(s->before, 0, "sso_problem");
	int sso = strcmp(mode, "sso") == 0, none = strcmp(ids, "{}") == 0;
	if (strcmp(mode, "lists") == 0 && none)
		form_message(f, "lists", "Choose at least one list: with none, nobody could enter the portal.");
	else if (sso && strcmp(s->vals[1], "lists") == 0 && none)
		form_message(f, "lists", "Choose at least one list: single sign-on is for the contacts on the chosen lists.");
	if (sso && problem[0])
		form_message(f, "access_mode", arena_printf(c->arena, "Single sign-on is not ready: %s", problem));
	if (f->nerrors || none)
		return 0;
	char known[8];
	if (db_exec_value("settings_access_lists_known", 1, &ids, known, sizeof known) != 1)
		return 500;
	if (known[0] != 't')
		form_message(f, "lists", LIST_GONE);
	return 0;
}

/* The lists to tick (the saved ones, or those of a refused form), the audience, what SSO lacks. */
static int decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	const char *p[1] = {admin_pid(c)};
	PGresult *own = row ? NULL : db_exec(fp->load, 1, p);
	PGresult *r = row || own ? db_exec("settings_access_lists", 1, p) : NULL;
	if (!r || PQntuples(row ? row : own) != 1) {
		PQclear(own);
		PQclear(r);
		return 500;
	}
	int on_lists = strcmp(form_page_value(page, "sso_audience"), "lists") == 0, n = PQntuples(r);
	json_object_object_add(page, "audience_all", json_object_new_boolean(!on_lists));
	json_object_object_add(page, "audience_lists", json_object_new_boolean(on_lists));
	json_object_object_add(page, "sso_problem", json_object_new_string(db_col(row ? row : own, 0, "sso_problem")));
	/* the method as saved, not the worker's cache (which a save on the SSO page reaches only on
	 * the next request of each worker): the label names the method that is set up */
	const char *sm = db_col(row ? row : own, 0, "sso_method_saved");
	json_object_object_add(page, "sso_method", json_object_new_string(
		strcmp(sm, "saml") == 0 ? "SAML 2.0" : strcmp(sm, "jwt") == 0 ? "JWT" : ""));
	struct json_object *lists = db_rows_json(r, LISTS_SHOWN), *values, *chosen;
	if (!row && json_object_object_get_ex(page, "values", &values) && json_object_object_get_ex(values, "lists", &chosen)) {
		for (size_t i = 0; i < json_object_array_length(lists); i++) {
			struct json_object *l = json_object_array_get_idx(lists, i);
			const char *id = json_object_get_string(json_object_object_get(l, "id"));
			int on = 0;
			for (size_t k = 0; k < json_object_array_length(chosen); k++)
				on |= strcmp(json_object_get_string(json_object_array_get_idx(chosen, k)), id) == 0;
			json_object_object_add(l, "checked", json_object_new_boolean(on));
		}
	}
	json_object_object_add(page, "lists", lists);
	json_object_object_add(page, "no_lists", json_object_new_boolean(n == 0));
	json_object_object_add(page, "more_lists", json_object_new_boolean(n > LISTS_SHOWN));
	PQclear(own);
	PQclear(r);
	return 0;
}

static const struct form_page page = {
	SETTINGS_PAGE("access", "access", "Access"),
	.fields = FP_FIELDS(fields), .decorate = decorate, .check = check_access,
};

FP_HANDLERS(admin_settings_access, admin_settings_access_save, page)
