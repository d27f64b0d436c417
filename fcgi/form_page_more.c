/* form_page_more.c - what console pages that keep their own handler share with the kit (see
 * form_page.h): render with a form, a list with its empty state, the 303 after a save, one
 * audited settings_change, and an audited change by one statement between two snapshots. */
#include "form_page.h"

#include <string.h>

/* Roll back and answer status. */
static int fail(int status)
{
	db_rollback();
	return status;
}

int form_page_drop(struct form *f, int status)
{
	if (f)
		form_free(f);
	return status;
}

int form_page_render(struct ctx *c, int status, const char *tmpl, struct json_object *page, struct form *f)
{
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, tmpl, page);
}

int form_page_list(struct ctx *c, int status, const char *tmpl, struct json_object *page, const char *key,
		   struct json_object *rows, size_t max, struct form *f)
{
	size_t n = json_object_array_length(rows);
	json_object_object_add(page, key, rows);
	json_object_object_add(page, "empty", json_object_new_boolean(n == 0));
	json_object_object_add(page, "at_limit", json_object_new_boolean(n >= max));
	return form_page_render(c, status, tmpl, page, f);
}

int form_page_done(struct ctx *c, const char *path, const char *notice)
{
	return page_redirect(c, 303, arena_printf(c->arena, "%s?%s%s", admin_url(c, path), notice ? "notice=" : "saved=1",
						  notice ? notice : ""));
}

int form_page_audit_setting(struct ctx *c, const char *setting, const char *before, const char *after)
{
	struct json_object *b = json_object_new_object(), *a = json_object_new_object();
	json_object_object_add(b, setting, before ? json_object_new_string(before) : NULL);
	json_object_object_add(a, setting, after ? json_object_new_string(after) : NULL);
	return admin_audit(c, "settings_change", setting, b, a);
}

/* The snapshot text (arena), or NULL on an error. */
static char *snapshot(struct ctx *c, const char *stmt)
{
	PGresult *r = form_page_query(c, stmt);
	char *s = r && PQntuples(r) == 1 ? arena_strdup(c->arena, PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	return s;
}

int form_page_change(struct ctx *c, const char *setting, const char *snap, const char *stmt, int n,
		     const char *const *p)
{
	if (db_begin() < 0)
		return 500;
	char *before = snapshot(c, snap);
	PGresult *r = before ? db_exec(stmt, n, p) : NULL;
	if (!r)
		return fail(500);
	const char *rows = PQcmdTuples(r);
	int touched = PQntuples(r) > 0 || (rows[0] && strcmp(rows, "0") != 0);
	PQclear(r);
	if (!touched)
		return fail(404);
	char *after = snapshot(c, snap);
	if (!after)
		return fail(500);
	if (strcmp(before, after) == 0)
		return fail(0); /* nothing changed: nothing to record */
	if (admin_audit(c, "settings_change", setting, json_tokener_parse(before), json_tokener_parse(after)) < 0)
		return fail(500);
	return db_commit() < 0 ? 500 : 0;
}

int form_page_remove(struct ctx *c, const char *setting, const char *snap, const char *stmt, const char *path)
{
	long id = admin_id(c->caps.n > 0 ? c->caps.v[0] : NULL);
	if (!id)
		return 404;
	const char *p[2] = {admin_pid(c), admin_idstr(c, id)};
	int rc = form_page_change(c, setting, snap, stmt, 2, p);
	return rc ? rc : form_page_done(c, path, "deleted");
}
