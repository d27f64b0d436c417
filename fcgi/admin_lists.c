/* admin_lists.c - /admin/lists: static contact lists (admin role). The index with its new-list
 * form and /admin/lists/<id> with its rename form (/rename) are form pages on the kit
 * (form_page.h), as is the /delete confirmation page. The delete itself and the members
 * (/members: add by email; /members/<id>/remove, /members/<id>/resend: list invitations, queued
 * by the 002 trigger) are not forms of one record: they lock the list and write other tables. */
#include "admin_crm.h"

#include <stdlib.h>

/* Whether list $1 grants access to portal $2 and that portal is in "lists" mode. */
#define GRANTS_ACTIVE                                                                               \
	"(EXISTS (SELECT 1 FROM portal_lists pl WHERE pl.list_id = $1 AND pl.portal_id = $2)"          \
	" AND coalesce((SELECT access_mode = 'lists' FROM portals WHERE id = $2), false))"

/* The lock's columns are not named after the field: every rename writes and is audited, as before
 * the kit (the kit compares those columns to skip a no-op). */
const struct db_stmt admin_lists_stmts[] = {
	/* keyset on lower(name) (unique) after the list $2; the portals each list grants access to */
	{"crm_lists_page",
	 "SELECT l.id, l.name, (SELECT count(*) FROM list_members lm WHERE lm.list_id = l.id) AS members,"
	 " coalesce((SELECT string_agg(p.name || CASE p.access_mode WHEN 'lists' THEN ''"
	 "     WHEN 'sso' THEN CASE p.sso_audience WHEN 'lists' THEN ' (SSO audience)' ELSE ' (not in use)' END"
	 "     ELSE ' (not in use)' END, ', ' ORDER BY p.name)"
	 "   FROM portal_lists pl JOIN portals p ON p.id = pl.portal_id WHERE pl.list_id = l.id), '') AS portals"
	 " FROM lists l"
	 " WHERE ($2::bigint IS NULL OR lower(l.name) > (SELECT lower(name) FROM lists WHERE id = $2))"
	 "  AND ($1 = '' OR strpos(lower(l.name), lower($1)) > 0)"
	 " ORDER BY lower(l.name) " PAGE_LIMIT,
	 2},
	{"crm_list_name", "SELECT name FROM lists WHERE id = $1", 1},
	/* the list as its pages show it, for the console's portal $2 */
	{"crm_list_head",
	 "SELECT l.id, l.name, (SELECT count(*) FROM list_members lm WHERE lm.list_id = l.id) AS members,"
	 " " SQL_CONSOLE_TIME("l.created_at", "YYYY-MM-DD HH24:MI") " AS created,"
	 " EXISTS (SELECT 1 FROM portal_lists pl WHERE pl.list_id = l.id AND pl.portal_id = $2) AS grants,"
	 " " GRANTS_ACTIVE " AS grants_active,"
	 " coalesce((SELECT string_agg(p.name, ', ' ORDER BY p.name) FROM portal_lists pl"
	 "   JOIN portals p ON p.id = pl.portal_id WHERE pl.list_id = l.id), '') AS portals"
	 " FROM lists l WHERE l.id = $1",
	 2},
	/* state: what a rename audits; record: what a delete audits */
	{"crm_list_lock",
	 "SELECT name AS list, jsonb_build_object('name', name)::text AS state,"
	 " jsonb_build_object('id', id, 'name', name, 'members',"
	 "  (SELECT count(*) FROM list_members lm WHERE lm.list_id = lists.id))::text AS record"
	 " FROM lists WHERE id = $1 FOR UPDATE",
	 1},
	{"crm_list_name_taken",
	 "SELECT id FROM lists WHERE lower(name) = lower($1) AND id <> coalesce($2::bigint, 0)", 2},
	{"crm_list_insert",
	 "INSERT INTO lists (name) VALUES ($1)"
	 " RETURNING id, jsonb_build_object('id', id, 'name', name)::text AS state",
	 1},
	{"crm_list_rename",
	 "UPDATE lists SET name = $2 WHERE id = $1 RETURNING jsonb_build_object('name', name)::text AS state", 2},
	{"crm_list_delete", "DELETE FROM lists WHERE id = $1", 1},
	/* keyset on contact id; $2 the portal whose login status is shown */
	{"crm_list_members",
	 "SELECT *, NOT registered AND (member OR pending) AS invited,"
	 " active AND NOT registered AND NOT pending AS can_resend FROM"
	 " (SELECT c.id, c.email, " FULL_NAME("c.") " AS name, " SQL_CONSOLE_TIME("lm.added_at", "YYYY-MM-DD") " AS added,"
	 "  coalesce(m.password_hash IS NOT NULL, false) AS registered, m.id IS NOT NULL AS member,"
	 "  EXISTS (SELECT 1 FROM member_invitations i WHERE i.portal_id = $2 AND i.contact_id = c.id"
	 "   AND i.sent_at IS NULL) AS pending, " GRANTS_ACTIVE " AS active"
	 "  FROM list_members lm JOIN contacts c ON c.id = lm.contact_id"
	 "  LEFT JOIN members m ON m.portal_id = $2 AND m.contact_id = c.id"
	 "  WHERE lm.list_id = $1 AND ($3::bigint IS NULL OR lm.contact_id > $3)"
	 "  ORDER BY lm.contact_id " PAGE_LIMIT ") x ORDER BY id",
	 3},
	{"crm_contact_by_email", "SELECT id FROM contacts WHERE lower(email) = lower($1)", 1},
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
	{NULL, NULL, 0},
};

#define NAME_TAKEN "Another list already has this name."

/* A list name: 1..200 code points, one line, unique case-insensitively (the route's list excepted). */
static const char *parse_name(struct ctx *c, struct form *f, const char *name, const char *raw)
{
	(void)raw;
	const char *v = form_text(f, c->req, name, 1, CRM_NAME_MAX, 0, 1);
	char other[24];
	if (v && crm_taken(c, "crm_list_name_taken", v, other, sizeof other) == 1) {
		form_message(f, name, NAME_TAKEN);
		return NULL;
	}
	return v;
}

static const struct fp_field fields[] = {
	{.name = "name", .kind = FP_CUSTOM, .parse = parse_name},
};

static int lists_decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	(void)fp, (void)row;
	return crm_index(c, page, "crm_lists_page", "/admin/lists");
}

/* The list (title, list, notices) and a page of its members (a malformed ?after= shows the first
 * page, as before the pager). */
static int list_decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	(void)fp, (void)row;
	const char *lid = admin_idstr(c, admin_id(c->caps.v[0]));
	struct pager pg;
	(void)pager_read(c, "after", "", &pg);
	const char *p[3] = {lid, admin_pid(c), pg.id};
	PGresult *r = db_exec("crm_list_head", 2, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return r ? 404 : 500;
	}
	json_object_object_add(page, "title", json_object_new_string(db_col(r, 0, "name")));
	json_object_object_add(page, "list", db_row_json(r, 0));
	PQclear(r);
	r = db_exec("crm_list_members", 3, p);
	if (!r)
		return 500;
	const char *url = arena_printf(c->arena, "/admin/lists/%s", lid);
	pager_next(c, &pg, page, r, url, "after", -1, PQfnumber(r, "id"));
	json_object_object_add(page, "rows", db_rows_json(r, pg.shown));
	json_object_object_add(page, "empty", json_object_new_boolean(pg.shown == 0));
	PQclear(r);
	return 0;
}

static const struct form_page index_page = {
	.path = "/admin/lists", .title = "Lists", .section = "lists", .tmpl = "admin/crm_lists",
	.save = "crm_list_insert", .audit_action = "list_create", .audit_kind = FP_AUDIT_RECORD,
	.id = FP_ID_NEW, .done = "/admin/lists/<id>?notice=created", .taken_field = "name",
	.taken_message = NAME_TAKEN, .fields = FP_FIELDS(fields), .decorate = lists_decorate,
};

static const struct form_page list_page = {
	.path = "/admin/lists/<id>/rename", .title = "List", .section = "lists", .tmpl = "admin/crm_list",
	.load = "crm_list_name", .lock = "crm_list_lock", .save = "crm_list_rename",
	.audit_action = "list_update", .audit_kind = FP_AUDIT_RECORD, .id = FP_ID_CAPTURE,
	.done = "/admin/lists/<id>?notice=renamed", .taken_field = "name", .taken_message = NAME_TAKEN,
	.fields = FP_FIELDS(fields), .decorate = list_decorate,
};

static const struct form_page delete_page = {
	.path = "/admin/lists/<id>/delete", .title = "List", .section = "lists",
	.tmpl = "admin/crm_list_delete", .load = "crm_list_name", .id = FP_ID_CAPTURE, .decorate = list_decorate,
};

FP_HANDLERS(crm_lists_page, crm_list_create, index_page)

FP_HANDLERS(crm_list_page, crm_list_rename, list_page)

int crm_list_delete_page(struct ctx *c)
{
	return form_page_get(c, &delete_page);
}

/* The list page again (422) with the add-a-contact form's problem. */
static int list_again(struct ctx *c, struct form *f)
{
	struct json_object *page = admin_page_new(c, NULL, "lists");
	form_to_page(f, page);
	int rc = list_decorate(c, &list_page, page, NULL);
	if (rc) {
		json_object_put(page);
		return rc;
	}
	return admin_render(c, 422, "admin/crm_list", page);
}

/* The route's list, locked (crm_list_lock's row r), and the contact of the route's second id. */
struct locked {
	const char *lid, *cid;
	PGresult *r;
};

/* Opens the transaction and locks the route's list (with member, checks the route's contact id
 * too): 0, 404 or 500. */
static int list_lock(struct ctx *c, int member, struct locked *l)
{
	long id = admin_id(c->caps.v[0]), contact = member ? admin_id(c->caps.v[1]) : 1;
	if (!id || !contact)
		return 404;
	l->lid = admin_idstr(c, id);
	l->cid = admin_idstr(c, contact);
	return crm_lock("crm_list_lock", l->lid, &l->r);
}

int crm_list_delete(struct ctx *c)
{
	struct locked l;
	int rc = list_lock(c, 0, &l);
	if (rc)
		return rc;
	struct json_object *before = json_tokener_parse(db_col(l.r, 0, "record"));
	PQclear(l.r);
	const char *p[1] = {l.lid};
	PGresult *d = db_exec("crm_list_delete", 1, p);
	PQclear(d);
	if (!d) {
		json_object_put(before);
		db_rollback();
		return 500;
	}
	return admin_audit_commit(c, "list_delete", before, NULL, "/admin/lists?notice=deleted");
}

int crm_list_member_add(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *email = form_email(&f, c->req, "email");
	char contact[24] = "";
	const char *ep[1] = {email};
	int got = email ? db_exec_value("crm_contact_by_email", 1, ep, contact, sizeof contact) : 1;
	if (got == 0)
		form_message(&f, "email", "No contact has this email address. Create the contact first, then add it.");
	if (f.nerrors)
		return list_again(c, &f);
	struct locked l;
	int rc = got < 0 ? 500 : list_lock(c, 0, &l);
	if (rc) {
		form_free(&f);
		return rc;
	}
	const char *p[2] = {l.lid, contact};
	PGresult *a = db_exec("crm_member_add", 2, p);
	int added = a && PQntuples(a) == 1;
	PQclear(a);
	if (!added) {
		PQclear(l.r);
		db_rollback();
		if (!a) {
			form_free(&f);
			return 500;
		}
		form_message(&f, "email", "This contact is already on the list.");
		return list_again(c, &f);
	}
	form_free(&f);
	char invited[8] = "";
	const char *q[1] = {contact};
	if (db_exec_value("crm_invited_now", 1, q, invited, sizeof invited) != 1) {
		PQclear(l.r);
		db_rollback();
		return 500;
	}
	struct json_object *after = crm_member_json(db_col(l.r, 0, "list"), contact, email);
	PQclear(l.r);
	json_object_object_add(after, "invitation_queued", json_object_new_boolean(invited[0] == 't'));
	return admin_audit_commit(c, "list_member_add", NULL, after,
			  arena_printf(c->arena, "/admin/lists/%s?notice=%s", l.lid, invited[0] == 't' ? "invited" : "added"));
}

int crm_list_member_remove(struct ctx *c)
{
	struct locked l;
	int rc = list_lock(c, 1, &l);
	if (rc)
		return rc;
	const char *p[2] = {l.lid, l.cid};
	PGresult *d = db_exec("crm_member_remove", 2, p);
	if (!d || PQntuples(d) != 1) {
		PQclear(d);
		PQclear(l.r);
		db_rollback();
		return d ? 404 : 500;
	}
	const char *email = db_col(d, 0, "email");
	struct json_object *before = crm_member_json(db_col(l.r, 0, "list"), l.cid, email);
	PQclear(d);
	PQclear(l.r);
	return admin_audit_commit(c, "list_member_remove", before, NULL,
			  arena_printf(c->arena, "/admin/lists/%s?notice=removed", l.lid));
}

int crm_list_member_resend(struct ctx *c)
{
	struct locked l;
	int rc = list_lock(c, 1, &l);
	if (rc)
		return rc;
	PQclear(l.r);
	char one[4];
	const char *p[2] = {l.lid, l.cid};
	int member = db_exec_value("crm_member_exists", 2, p, one, sizeof one);
	if (member != 1) {
		db_rollback();
		return member == 0 ? 404 : 500;
	}
	return crm_resend_commit(c, l.cid, NULL, arena_printf(c->arena, "/admin/lists/%s", l.lid));
}
