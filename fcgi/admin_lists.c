/* admin_lists.c - static contact lists (admin role): list, create, rename, delete, members
 * (add by email, remove) and list invitations (queued by the 002 trigger; resend). */
#include "admin_crm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct db_stmt admin_lists_stmts[] = {

	/* --- lists --- */
	/* keyset on lower(name) (unique) after the list $2; the portals each list grants access to */
	{"crm_lists_page",
	 "SELECT l.id, l.name, (SELECT count(*) FROM list_members lm WHERE lm.list_id = l.id),"
	 " coalesce((SELECT string_agg(p.name || CASE p.access_mode WHEN 'lists' THEN ''"
	 "     WHEN 'sso' THEN CASE p.sso_audience WHEN 'lists' THEN ' (SSO audience)' ELSE ' (not in use)' END"
	 "     ELSE ' (not in use)' END, ', ' ORDER BY p.name)"
	 "   FROM portal_lists pl JOIN portals p ON p.id = pl.portal_id WHERE pl.list_id = l.id), '')"
	 " FROM lists l"
	 " WHERE ($2::bigint IS NULL OR lower(l.name) > (SELECT lower(name) FROM lists WHERE id = $2))"
	 "  AND ($1 = '' OR strpos(lower(l.name), lower($1)) > 0)"
	 " ORDER BY lower(l.name) LIMIT 51",
	 2},
	/* name, members, created, grants access to this portal ($2), that portal is in lists mode */
	{"crm_list_get",
	 "SELECT l.name, (SELECT count(*) FROM list_members lm WHERE lm.list_id = l.id),"
	 " " SQL_UTC("l.created_at", "YYYY-MM-DD HH24:MI") ","
	 " EXISTS (SELECT 1 FROM portal_lists pl WHERE pl.list_id = l.id AND pl.portal_id = $2),"
	 " coalesce((SELECT access_mode = 'lists' FROM portals WHERE id = $2), false),"
	 " coalesce((SELECT string_agg(p.name, ', ' ORDER BY p.name) FROM portal_lists pl"
	 "   JOIN portals p ON p.id = pl.portal_id WHERE pl.list_id = l.id), '')"
	 " FROM lists l WHERE l.id = $1",
	 2},
	{"crm_list_lock",
	 "SELECT jsonb_build_object('name', name, 'members',"
	 " (SELECT count(*) FROM list_members lm WHERE lm.list_id = lists.id))::text"
	 " FROM lists WHERE id = $1 FOR UPDATE",
	 1},
	{"crm_list_name_taken",
	 "SELECT id FROM lists WHERE lower(name) = lower($1) AND id <> coalesce($2::bigint, 0)", 2},
	{"crm_list_insert", "INSERT INTO lists (name) VALUES ($1) RETURNING id", 1},
	{"crm_list_rename", "UPDATE lists SET name = $2 WHERE id = $1", 2},
	{"crm_list_delete", "DELETE FROM lists WHERE id = $1", 1},
	/* keyset on contact id; $2 the portal whose login status is shown */
	{"crm_list_members",
	 "SELECT c.id, c.email, c.first_name, c.last_name, " SQL_UTC("lm.added_at", "YYYY-MM-DD") ","
	 " coalesce(m.password_hash IS NOT NULL, false), m.id IS NOT NULL,"
	 " EXISTS (SELECT 1 FROM member_invitations i WHERE i.portal_id = $2 AND i.contact_id = c.id"
	 "   AND i.sent_at IS NULL)"
	 " FROM list_members lm JOIN contacts c ON c.id = lm.contact_id"
	 " LEFT JOIN members m ON m.portal_id = $2 AND m.contact_id = c.id"
	 " WHERE lm.list_id = $1 AND ($3::bigint IS NULL OR lm.contact_id > $3)"
	 " ORDER BY lm.contact_id LIMIT 51",
	 3},
	{"crm_contact_by_email", "SELECT id, email FROM contacts WHERE lower(email) = lower($1)", 1},
	/* did the trigger queue an invitation in this transaction (now() is its start)? */
	{"crm_invited_now",
	 "SELECT EXISTS (SELECT 1 FROM member_invitations WHERE contact_id = $1 AND requested_at = now()"
	 " AND sent_at IS NULL)",
	 1},
	{"crm_member_exists", "SELECT 1 FROM list_members WHERE list_id = $1 AND contact_id = $2", 2},
	{"crm_member_remove",
	 "DELETE FROM list_members lm USING contacts c WHERE lm.list_id = $1 AND lm.contact_id = $2"
	 " AND c.id = lm.contact_id RETURNING c.email",
	 2},
	{NULL},
};

static int lists_render(struct ctx *c, int status, struct form *f)
{
	const char *q = crm_query(c), *after = request_query(c->req, "after");
	if (after && !admin_id(after)) {
		if (f)
			form_free(f);
		return 400;
	}
	const char *p[2] = {q, after};
	PGresult *r = db_exec("crm_lists_page", 2, p);
	if (!r) {
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *page = crm_page_new(c, "Lists", "lists");
	struct json_object *rows = json_object_new_array();
	int n = PQntuples(r), shown = n > 50 ? 50 : n;
	for (int i = 0; i < shown; i++) {
		struct json_object *o = json_object_new_object();
		crm_put(o, "id", PQgetvalue(r, i, 0));
		crm_put(o, "name", PQgetvalue(r, i, 1));
		crm_put(o, "members", PQgetvalue(r, i, 2));
		crm_put(o, "portals", PQgetvalue(r, i, 3));
		json_object_array_add(rows, o);
	}
	if (n > 50)
		crm_put(page, "next_url", crm_next_url(c, "/admin/lists", q, PQgetvalue(r, 49, 0)));
	PQclear(r);
	json_object_object_add(page, "rows", rows);
	crm_put_bool(page, "empty", shown == 0);
	crm_put(page, "q", q);
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, "admin/crm_lists", page);
}

int crm_lists_page(struct ctx *c)
{
	return lists_render(c, 200, NULL);
}

/* A list name: 1..200 code points, one line, unique case-insensitively (self excepted). */
static const char *list_name(struct ctx *c, struct form *f, long self)
{
	const char *name = form_text(f, c->req, "name", 1, CRM_NAME_MAX, 0, 1);
	if (name) {
		char other[24];
		const char *p[2] = {name, self ? admin_idstr(c, self) : NULL};
		if (db_exec_value("crm_list_name_taken", 2, p, other, sizeof other) == 1) {
			form_message(f, "name", "Another list already has this name.");
			return NULL;
		}
	}
	return name;
}

int crm_list_create(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *name = list_name(c, &f, 0);
	if (!name)
		return lists_render(c, 422, &f);
	form_free(&f);
	if (db_begin() < 0)
		return 500;
	const char *p[1] = {name};
	char id[24];
	if (db_exec_value("crm_list_insert", 1, p, id, sizeof id) != 1) {
		db_rollback();
		if (strcmp(db_last_sqlstate(), "23505") == 0) {
			form_init(&f, "en");
			list_name(c, &f, 0);
			return lists_render(c, 422, &f);
		}
		return 500;
	}
	struct json_object *after = json_object_new_object();
	json_object_object_add(after, "id", json_object_new_int64(atol(id)));
	crm_put(after, "name", name);
	if (admin_audit(c, "list_create", NULL, NULL, after) < 0 || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	return page_redirect(c, 303, arena_printf(c->arena, "/admin/lists/%s?notice=created", id));
}

/* The list page; template admin/crm_list, or admin/crm_list_delete for the confirmation. */
static int list_render(struct ctx *c, long id, int status, struct form *f, const char *tmpl)
{
	const char *lid = admin_idstr(c, id), *pid = admin_idstr(c, admin_portal_id(c));
	const char *after = request_query(c->req, "after");
	if (after && !admin_id(after))
		after = NULL;
	const char *p[2] = {lid, pid};
	PGresult *r = db_exec("crm_list_get", 2, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		if (f)
			form_free(f);
		return r ? 404 : 500;
	}
	struct json_object *page = crm_page_new(c, PQgetvalue(r, 0, 0), "lists");
	struct json_object *l = json_object_new_object();
	crm_put(l, "id", lid);
	crm_put(l, "name", PQgetvalue(r, 0, 0));
	crm_put(l, "members", PQgetvalue(r, 0, 1));
	crm_put(l, "created", PQgetvalue(r, 0, 2));
	int grants = PQgetvalue(r, 0, 3)[0] == 't', lists_mode = PQgetvalue(r, 0, 4)[0] == 't';
	crm_put_bool(l, "grants", grants);
	crm_put_bool(l, "grants_active", grants && lists_mode);
	crm_put(l, "portals", PQgetvalue(r, 0, 5));
	json_object_object_add(page, "list", l);
	if (!f) {
		struct json_object *v = json_object_new_object();
		crm_put(v, "name", PQgetvalue(r, 0, 0));
		json_object_object_add(page, "values", v);
	}
	PQclear(r);
	if (f)
		form_to_page(f, page);
	const char *mp[3] = {lid, pid, after};
	PGresult *rm = db_exec("crm_list_members", 3, mp);
	if (!rm) {
		json_object_put(page);
		return 500;
	}
	struct json_object *rows = json_object_new_array();
	int n = PQntuples(rm), shown = n > 50 ? 50 : n;
	for (int i = 0; i < shown; i++) {
		struct json_object *o = json_object_new_object();
		crm_put(o, "id", PQgetvalue(rm, i, 0));
		crm_put(o, "email", PQgetvalue(rm, i, 1));
		const char *name = arena_printf(c->arena, "%s %s", PQgetvalue(rm, i, 2), PQgetvalue(rm, i, 3));
		crm_put(o, "name", strcmp(name, " ") ? name : "");
		crm_put(o, "added", PQgetvalue(rm, i, 4));
		int registered = PQgetvalue(rm, i, 5)[0] == 't', member = PQgetvalue(rm, i, 6)[0] == 't';
		int pending = PQgetvalue(rm, i, 7)[0] == 't';
		crm_put_bool(o, "registered", registered);
		crm_put_bool(o, "invited", !registered && (member || pending));
		crm_put_bool(o, "pending", pending);
		crm_put_bool(o, "can_resend", grants && lists_mode && !registered && !pending);
		json_object_array_add(rows, o);
	}
	if (n > 50)
		crm_put(page, "next_url", crm_next_url(c, arena_printf(c->arena, "/admin/lists/%ld", id), "",
						      PQgetvalue(rm, 49, 0)));
	PQclear(rm);
	json_object_object_add(page, "rows", rows);
	crm_put_bool(page, "empty", shown == 0);
	return admin_render(c, status, tmpl, page);
}

int crm_list_page(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	return id ? list_render(c, id, 200, NULL, "admin/crm_list") : 404;
}

int crm_list_delete_page(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	return id ? list_render(c, id, 200, NULL, "admin/crm_list_delete") : 404;
}

/* Opens the transaction and locks the list; its {name, members} in *before. 0, 404 or 500. */
static int list_lock(struct ctx *c, long id, struct json_object **before)
{
	if (db_begin() < 0)
		return 500;
	const char *p[1] = {admin_idstr(c, id)};
	PGresult *r = db_exec("crm_list_lock", 1, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		db_rollback();
		return r ? 404 : 500;
	}
	*before = crm_json(PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

static int finish(struct ctx *c, const char *action, struct json_object *before, struct json_object *after,
		  const char *location)
{
	if (admin_audit(c, action, NULL, before, after) < 0 || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	return page_redirect(c, 303, location);
}

int crm_list_rename(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	struct form f;
	form_init(&f, "en");
	const char *name = list_name(c, &f, id);
	if (!name)
		return list_render(c, id, 422, &f, "admin/crm_list");
	form_free(&f);
	struct json_object *before = NULL;
	int st = list_lock(c, id, &before);
	if (st)
		return st;
	const char *p[2] = {admin_idstr(c, id), name};
	PGresult *r = db_exec("crm_list_rename", 2, p);
	PQclear(r);
	if (!r) {
		json_object_put(before);
		db_rollback();
		return 500;
	}
	json_object_object_del(before, "members");
	struct json_object *after = json_object_new_object();
	crm_put(after, "name", name);
	return finish(c, "list_update", before, after, arena_printf(c->arena, "/admin/lists/%ld?notice=renamed", id));
}

int crm_list_delete(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	struct json_object *before = NULL;
	int st = list_lock(c, id, &before);
	if (st)
		return st;
	const char *p[1] = {admin_idstr(c, id)};
	PGresult *r = db_exec("crm_list_delete", 1, p);
	PQclear(r);
	if (!r) {
		json_object_put(before);
		db_rollback();
		return 500;
	}
	json_object_object_add(before, "id", json_object_new_int64(id));
	return finish(c, "list_delete", before, NULL, "/admin/lists?notice=deleted");
}

int crm_list_member_add(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	struct form f;
	form_init(&f, "en");
	const char *email = form_email(&f, c->req, "email");
	char contact[24] = "";
	if (email) {
		const char *p[1] = {email};
		PGresult *r = db_exec("crm_contact_by_email", 1, p);
		if (!r) {
			form_free(&f);
			return 500;
		}
		if (PQntuples(r) == 1)
			snprintf(contact, sizeof contact, "%s", PQgetvalue(r, 0, 0));
		else
			form_message(&f, "email", "No contact has this email address. Create the contact first, then add it.");
		PQclear(r);
	}
	if (f.nerrors)
		return list_render(c, id, 422, &f, "admin/crm_list");
	struct json_object *before = NULL;
	int st = list_lock(c, id, &before);
	if (st) {
		form_free(&f);
		return st;
	}
	const char *p[2] = {admin_idstr(c, id), contact};
	PGresult *r = db_exec("crm_member_add", 2, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		json_object_put(before);
		db_rollback();
		if (!r) {
			form_free(&f);
			return 500;
		}
		form_message(&f, "email", "This contact is already on the list.");
		return list_render(c, id, 422, &f, "admin/crm_list");
	}
	PQclear(r);
	form_free(&f);
	char invited[8] = "";
	const char *q[1] = {contact};
	if (db_exec_value("crm_invited_now", 1, q, invited, sizeof invited) != 1) {
		json_object_put(before);
		db_rollback();
		return 500;
	}
	struct json_object *after = json_object_new_object(), *name;
	if (json_object_object_get_ex(before, "name", &name))
		json_object_object_add(after, "list", json_object_get(name));
	json_object_object_add(after, "contact_id", json_object_new_int64(atol(contact)));
	crm_put(after, "email", email);
	crm_put_bool(after, "invitation_queued", invited[0] == 't');
	json_object_put(before);
	return finish(c, "list_member_add", NULL, after,
		      arena_printf(c->arena, "/admin/lists/%ld?notice=%s", id, invited[0] == 't' ? "invited" : "added"));
}

int crm_list_member_remove(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]), contact = admin_id(c->caps.v[1]);
	if (!id || !contact)
		return 404;
	struct json_object *list = NULL;
	int st = list_lock(c, id, &list);
	if (st)
		return st;
	const char *p[2] = {admin_idstr(c, id), admin_idstr(c, contact)};
	PGresult *r = db_exec("crm_member_remove", 2, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		json_object_put(list);
		db_rollback();
		return r ? 404 : 500;
	}
	struct json_object *before = json_object_new_object(), *name;
	if (json_object_object_get_ex(list, "name", &name))
		json_object_object_add(before, "list", json_object_get(name));
	json_object_object_add(before, "contact_id", json_object_new_int64(contact));
	crm_put(before, "email", PQgetvalue(r, 0, 0));
	PQclear(r);
	json_object_put(list);
	return finish(c, "list_member_remove", before, NULL,
		      arena_printf(c->arena, "/admin/lists/%ld?notice=removed", id));
}

int crm_list_member_resend(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]), contact = admin_id(c->caps.v[1]);
	if (!id || !contact)
		return 404;
	struct json_object *list = NULL;
	int st = list_lock(c, id, &list);
	if (st)
		return st;
	json_object_put(list);
	char one[4];
	const char *mp[2] = {admin_idstr(c, id), admin_idstr(c, contact)};
	int member = db_exec_value("crm_member_exists", 2, mp, one, sizeof one);
	if (member != 1) {
		db_rollback();
		return member == 0 ? 404 : 500;
	}
	char queued[8] = "";
	const char *p[2] = {admin_idstr(c, admin_portal_id(c)), admin_idstr(c, contact)};
	if (db_exec_value("crm_resend", 2, p, queued, sizeof queued) != 1) {
		db_rollback();
		return 500;
	}
	const char *to = arena_printf(c->arena, "/admin/lists/%ld?notice=%s", id, queued[0] == 't' ? "invited" : "not_invited");
	if (queued[0] != 't') {
		if (db_commit() < 0)
			return 500;
		return page_redirect(c, 303, to);
	}
	struct json_object *after = json_object_new_object();
	json_object_object_add(after, "contact_id", json_object_new_int64(contact));
	return finish(c, "invitation_resend", NULL, after, to);
}
