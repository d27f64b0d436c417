/* admin_settings_access.c - who may enter the portal (member registration, specific lists, or
 * single sign-on for everyone or for lists), the consent-to-process notice and label, and the
 * default inbox. */
#include "admin_settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct db_stmt admin_settings_access_stmts[] = {
	/* access, consent, inbox (admin_settings_access.c); selected lists first */
	{"settings_lists",
	 "SELECT l.id, l.name, pl.list_id IS NOT NULL,"
	 " (SELECT count(*) FROM list_members lm WHERE lm.list_id = l.id)"
	 " FROM lists l LEFT JOIN portal_lists pl ON pl.list_id = l.id AND pl.portal_id = $1"
	 " ORDER BY pl.list_id IS NULL, lower(l.name), l.id LIMIT 501",
	 1},
	{"settings_portal_lists",
	 "SELECT coalesce(json_agg(json_build_object('id', l.id, 'name', l.name) ORDER BY l.id), '[]')::text"
	 " FROM portal_lists pl JOIN lists l ON l.id = pl.list_id WHERE pl.portal_id = $1",
	 1},
	{"settings_lists_known", "SELECT count(*) FROM lists WHERE id = ANY ($1::bigint[])", 1},
	{"settings_portal_lists_drop",
	 "DELETE FROM portal_lists WHERE portal_id = $1 AND NOT (list_id = ANY ($2::bigint[]))", 2},
	{"settings_portal_lists_add",
	 "INSERT INTO portal_lists (portal_id, list_id) SELECT $1, unnest($2::bigint[])"
	 " ON CONFLICT DO NOTHING",
	 2},
	{"settings_set_access",
	 "UPDATE portals SET access_mode = $2, sso_audience = $3 WHERE id = $1"
	 " AND (access_mode, sso_audience) IS DISTINCT FROM ($2, $3)",
	 3},
	{"settings_sso_problem", "SELECT portal_sso_problem($1), sso_audience FROM portals WHERE id = $1", 1},
	{"settings_set_consent", "UPDATE portals SET consent_text = $2, consent_label = $3 WHERE id = $1", 3},
	{"settings_inboxes", "SELECT id, name FROM inboxes ORDER BY lower(name), id LIMIT 500", 0},
	{"settings_inbox_name", "SELECT name FROM inboxes WHERE id = $1", 1},
	{"settings_set_inbox", "UPDATE portals SET default_inbox_id = $2 WHERE id = $1", 2},
	{NULL},
};

static int fail(struct form *f)
{
	db_rollback();
	if (f)
		form_free(f);
	return 500;
}

/* ---- access ------------------------------------------------------------------------------ */

/* chosen: the list ids of a refused form (a JSON array of strings), NULL to show the saved ones. */
static int render_access(struct ctx *c, int status, struct form *f, struct json_object *chosen)
{
	const char *p[1] = {admin_pid(c)};
	PGresult *row = settings_row(c, 0);
	PGresult *r = row ? db_exec("settings_lists", 1, p) : NULL;
	PGresult *sso = r ? db_exec("settings_sso_problem", 1, p) : NULL;
	if (!sso || PQntuples(sso) != 1) {
		PQclear(sso);
		PQclear(r);
		PQclear(row);
		json_object_put(chosen);
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *page = settings_page_new(c, "Access");
	struct form blank;
	if (!f) {
		form_init(&blank, "en");
		f = &blank;
		json_object_object_add(f->values, "access_mode", json_object_new_string(PQgetvalue(row, 0, SC_ACCESS_MODE)));
		json_object_object_add(f->values, "sso_audience", json_object_new_string(PQgetvalue(sso, 0, 1)));
	}
	struct json_object *aud;
	json_object_object_get_ex(f->values, "sso_audience", &aud);
	int aud_lists = aud && strcmp(json_object_get_string(aud), "lists") == 0;
	json_object_object_add(page, "audience_all", json_object_new_boolean(!aud_lists));
	json_object_object_add(page, "audience_lists", json_object_new_boolean(aud_lists));
	json_object_object_add(page, "sso_problem", json_object_new_string(PQgetvalue(sso, 0, 0)));
	json_object_object_add(page, "sso_method", json_object_new_string(
		strcmp(c->portal->sso_method, "saml") == 0 ? "SAML 2.0" : strcmp(c->portal->sso_method, "jwt") == 0 ? "JWT" : ""));
	PQclear(sso);
	struct json_object *mode;
	json_object_object_get_ex(f->values, "access_mode", &mode);
	const char *m = mode ? json_object_get_string(mode) : "";
	json_object_object_add(page, "mode_registration", json_object_new_boolean(strcmp(m, "registration") == 0));
	json_object_object_add(page, "mode_lists", json_object_new_boolean(strcmp(m, "lists") == 0));
	json_object_object_add(page, "mode_sso", json_object_new_boolean(strcmp(m, "sso") == 0));
	int n = PQntuples(r), shown = n > 500 ? 500 : n;
	struct json_object *lists = json_object_new_array();
	for (int i = 0; i < shown; i++) {
		const char *id = PQgetvalue(r, i, 0);
		int on = PQgetvalue(r, i, 2)[0] == 't';
		if (chosen) {
			on = 0;
			for (size_t k = 0; k < json_object_array_length(chosen); k++)
				if (strcmp(json_object_get_string(json_object_array_get_idx(chosen, k)), id) == 0)
					on = 1;
		}
		struct json_object *l = json_object_new_object();
		json_object_object_add(l, "id", json_object_new_string(id));
		json_object_object_add(l, "name", json_object_new_string(PQgetvalue(r, i, 1)));
		json_object_object_add(l, "members", json_object_new_string(PQgetvalue(r, i, 3)));
		json_object_object_add(l, "checked", json_object_new_boolean(on));
		json_object_array_add(lists, l);
	}
	json_object_object_add(page, "lists", lists);
	json_object_object_add(page, "no_lists", json_object_new_boolean(n == 0));
	json_object_object_add(page, "more_lists", json_object_new_boolean(n > 500));
	json_object_put(chosen);
	PQclear(r);
	PQclear(row);
	form_to_page(f, page);
	return admin_render(c, status, "admin/settings_access", page);
}

int admin_settings_access(struct ctx *c)
{
	return render_access(c, 200, NULL, NULL);
}

static int portal_lists_json(struct ctx *c, char *out, size_t cap)
{
	const char *p[1] = {admin_pid(c)};
	return db_exec_value("settings_portal_lists", 1, p, out, cap) == 1 ? 0 : -1;
}

int admin_settings_access_save(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *mode = request_form(c->req, "access_mode");
	json_object_object_add(f.values, "access_mode", json_object_new_string(mode ? mode : ""));
	const char *audience = request_form(c->req, "sso_audience");
	if (!audience || strcmp(audience, "lists") != 0)
		audience = "all";
	json_object_object_add(f.values, "sso_audience", json_object_new_string(audience));
	struct json_object *chosen = json_object_new_array();
	struct buf arr = BUF_INIT; /* the ids as a PostgreSQL array literal */
	buf_puts(&arr, "{");
	int bad_id = 0;
	for (size_t i = 0; i < c->req->nform; i++) {
		if (strcmp(c->req->form[i].name, "list") != 0)
			continue;
		const char *id = c->req->form[i].value;
		if (!admin_id(id)) {
			bad_id = 1;
			continue;
		}
		buf_printf(&arr, "%s%s", json_object_array_length(chosen) ? "," : "", id);
		json_object_array_add(chosen, json_object_new_string(id));
	}
	buf_puts(&arr, "}");
	const char *ids = arena_strdup(c->arena, arr.data ? arr.data : "{}");
	buf_free(&arr);
	size_t nchosen = json_object_array_length(chosen);
	if (!mode || (strcmp(mode, "registration") != 0 && strcmp(mode, "lists") != 0 && strcmp(mode, "sso") != 0))
		form_message(&f, "access_mode", "Choose who may enter the portal.");
	else if (strcmp(mode, "lists") == 0 && nchosen == 0)
		form_message(&f, "lists", "Choose at least one list: with none, nobody could enter the portal.");
	else if (strcmp(mode, "sso") == 0 && strcmp(audience, "lists") == 0 && nchosen == 0)
		form_message(&f, "lists", "Choose at least one list: single sign-on is for the contacts on the chosen lists.");
	if (mode && strcmp(mode, "sso") == 0) {
		const char *p[1] = {admin_pid(c)};
		char problem[512];
		if (db_exec_value("settings_sso_problem", 1, p, problem, sizeof problem) != 1) {
			json_object_put(chosen);
			return fail(&f);
		}
		if (problem[0])
			form_message(&f, "access_mode", arena_printf(c->arena, "Single sign-on is not ready: %s", problem));
	}
	if (bad_id)
		form_message(&f, "lists", "One of the chosen lists does not exist any more. Reload the page and choose again.");
	if (!f.nerrors && nchosen) {
		const char *p[1] = {ids};
		char known[24];
		if (db_exec_value("settings_lists_known", 1, p, known, sizeof known) != 1) {
			json_object_put(chosen);
			return fail(&f);
		}
		if ((size_t)atol(known) != nchosen) /* unknown ids, or one sent twice */
			form_message(&f, "lists", "One of the chosen lists does not exist any more. Reload the page and choose again.");
	}
	if (f.nerrors)
		return render_access(c, 422, &f, chosen);
	json_object_put(chosen);
	form_free(&f);

	if (db_begin() < 0)
		return 500;
	PGresult *row = settings_row(c, 1);
	if (!row)
		return fail(NULL);
	enum { CAP = 65536 };
	char old_mode[16], old_audience[8], *before = arena_alloc(c->arena, CAP), *after = arena_alloc(c->arena, CAP);
	if (!before || !after)
		return fail(NULL);
	snprintf(old_mode, sizeof old_mode, "%s", PQgetvalue(row, 0, SC_ACCESS_MODE));
	PQclear(row);
	const char *pp[1] = {admin_pid(c)};
	PGresult *sa = db_exec("settings_sso_problem", 1, pp);
	if (!sa)
		return fail(NULL);
	snprintf(old_audience, sizeof old_audience, "%s", PQgetvalue(sa, 0, 1));
	PQclear(sa);
	if (portal_lists_json(c, before, CAP) < 0)
		return fail(NULL);
	const char *p[2] = {admin_pid(c), ids};
	PGresult *d = db_exec("settings_portal_lists_drop", 2, p);
	PGresult *a = d ? db_exec("settings_portal_lists_add", 2, p) : NULL; /* queues invitations */
	const char *pm[3] = {admin_pid(c), mode, audience};
	PGresult *u = a ? db_exec("settings_set_access", 3, pm) : NULL; /* so does switching to lists */
	int ok = d && a && u;
	PQclear(d);
	PQclear(a);
	PQclear(u);
	if (!ok || portal_lists_json(c, after, CAP) < 0)
		return fail(NULL);
	if (strcmp(before, after) != 0) {
		struct json_object *b = json_object_new_object(), *n = json_object_new_object();
		json_object_object_add(b, "lists", json_tokener_parse(before));
		json_object_object_add(n, "lists", json_tokener_parse(after));
		if (admin_audit(c, "settings_change", "access_lists", b, n) < 0)
			return fail(NULL);
	}
	if (strcmp(old_mode, mode) != 0 && settings_audit_str(c, "access_mode", old_mode, mode) < 0)
		return fail(NULL);
	if (strcmp(old_audience, audience) != 0 && settings_audit_str(c, "sso_audience", old_audience, audience) < 0)
		return fail(NULL);
	return settings_commit_redirect(c, "/admin/settings/access");
}

/* ---- consent ----------------------------------------------------------------------------- */

static int render_consent(struct ctx *c, int status, struct form *f)
{
	struct json_object *page = settings_page_new(c, "Consent to process");
	if (!f) {
		PGresult *row = settings_row(c, 0);
		if (!row) {
			json_object_put(page);
			return 500;
		}
		struct json_object *v = json_object_new_object();
		json_object_object_add(v, "consent_text", json_object_new_string(PQgetvalue(row, 0, SC_CONSENT_TEXT)));
		json_object_object_add(v, "consent_label", json_object_new_string(PQgetvalue(row, 0, SC_CONSENT_LABEL)));
		json_object_object_add(page, "values", v);
		PQclear(row);
	} else {
		form_to_page(f, page);
	}
	return admin_render(c, status, "admin/settings_consent", page);
}

int admin_settings_consent(struct ctx *c)
{
	return render_consent(c, 200, NULL);
}

int admin_settings_consent_save(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *text = form_text(&f, c->req, "consent_text", 1, 2000, 1, 1);
	const char *label = form_text(&f, c->req, "consent_label", 1, 200, 0, 1);
	if (f.nerrors)
		return render_consent(c, 422, &f);
	form_free(&f);
	if (db_begin() < 0)
		return 500;
	PGresult *row = settings_row(c, 1);
	if (!row)
		return fail(NULL);
	struct json_object *b = json_object_new_object(), *a = json_object_new_object();
	json_object_object_add(b, "consent_text", json_object_new_string(PQgetvalue(row, 0, SC_CONSENT_TEXT)));
	json_object_object_add(b, "consent_label", json_object_new_string(PQgetvalue(row, 0, SC_CONSENT_LABEL)));
	int same = strcmp(text, PQgetvalue(row, 0, SC_CONSENT_TEXT)) == 0 &&
		   strcmp(label, PQgetvalue(row, 0, SC_CONSENT_LABEL)) == 0;
	PQclear(row);
	json_object_object_add(a, "consent_text", json_object_new_string(text));
	json_object_object_add(a, "consent_label", json_object_new_string(label));
	if (same) {
		json_object_put(b);
		json_object_put(a);
		db_rollback();
		return page_redirect(c, 303, "/admin/settings/consent?saved=1");
	}
	const char *p[3] = {admin_pid(c), text, label};
	PGresult *u = db_exec("settings_set_consent", 3, p);
	if (!u) {
		json_object_put(b);
		json_object_put(a);
		return fail(NULL);
	}
	PQclear(u);
	if (admin_audit(c, "settings_change", "consent", b, a) < 0)
		return fail(NULL);
	return settings_commit_redirect(c, "/admin/settings/consent");
}

/* ---- default inbox ----------------------------------------------------------------------- */

static int render_inbox(struct ctx *c, int status, struct form *f)
{
	PGresult *r = db_exec("settings_inboxes", 0, NULL);
	PGresult *row = r ? settings_row(c, 0) : NULL;
	if (!row) {
		PQclear(r);
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *page = settings_page_new(c, "Default inbox");
	const char *sel = PQgetvalue(row, 0, SC_DEFAULT_INBOX);
	if (f) {
		struct json_object *v;
		if (json_object_object_get_ex(f->values, "inbox_id", &v))
			sel = json_object_get_string(v);
	}
	struct json_object *list = json_object_new_array();
	for (int i = 0; i < PQntuples(r); i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(PQgetvalue(r, i, 0)));
		json_object_object_add(o, "name", json_object_new_string(PQgetvalue(r, i, 1)));
		json_object_object_add(o, "selected", json_object_new_boolean(strcmp(sel, PQgetvalue(r, i, 0)) == 0));
		json_object_array_add(list, o);
	}
	json_object_object_add(page, "inboxes", list);
	json_object_object_add(page, "no_inboxes", json_object_new_boolean(PQntuples(r) == 0));
	json_object_object_add(page, "none_selected", json_object_new_boolean(sel[0] == '\0'));
	PQclear(r);
	PQclear(row);
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, "admin/settings_inbox", page);
}

int admin_settings_inbox(struct ctx *c)
{
	return render_inbox(c, 200, NULL);
}

static struct json_object *inbox_json(const char *id, const char *name)
{
	if (!id[0])
		return NULL;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(atol(id)));
	json_object_object_add(o, "name", json_object_new_string(name));
	return o;
}

int admin_settings_inbox_save(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *id = request_form(c->req, "inbox_id");
	json_object_object_add(f.values, "inbox_id", json_object_new_string(id ? id : ""));
	char name[512] = "";
	if (!id || !admin_id(id)) {
		form_message(&f, "inbox_id", "Choose the inbox where replies land.");
	} else {
		const char *p[1] = {id};
		int got = db_exec_value("settings_inbox_name", 1, p, name, sizeof name);
		if (got < 0)
			return fail(&f);
		if (got == 0)
			form_message(&f, "inbox_id", "This inbox does not exist any more. Choose another.");
	}
	if (f.nerrors)
		return render_inbox(c, 422, &f);
	form_free(&f);
	if (db_begin() < 0)
		return 500;
	PGresult *row = settings_row(c, 1);
	if (!row)
		return fail(NULL);
	char old[24], old_name[512] = "";
	snprintf(old, sizeof old, "%s", PQgetvalue(row, 0, SC_DEFAULT_INBOX));
	PQclear(row);
	if (strcmp(old, id) == 0) {
		db_rollback();
		return page_redirect(c, 303, "/admin/settings/inbox?saved=1");
	}
	if (old[0]) {
		const char *po[1] = {old};
		if (db_exec_value("settings_inbox_name", 1, po, old_name, sizeof old_name) < 0)
			return fail(NULL);
	}
	const char *p[2] = {admin_pid(c), id};
	PGresult *u = db_exec("settings_set_inbox", 2, p);
	if (!u)
		return fail(NULL);
	PQclear(u);
	struct json_object *b = json_object_new_object(), *a = json_object_new_object();
	json_object_object_add(b, "default_inbox", inbox_json(old, old_name));
	json_object_object_add(a, "default_inbox", inbox_json(id, name));
	if (admin_audit(c, "settings_change", "default_inbox", b, a) < 0)
		return fail(NULL);
	return settings_commit_redirect(c, "/admin/settings/inbox");
}
