/* admin_inboxes.c - conversation inboxes and the team email addresses connected to
 * them (only mail to or from a connected address shows in the portal). */
#include "admin_records.h"

#include <stdio.h>
#include <string.h>

const struct db_stmt admin_inboxes_stmts[] = {

	/* --- inboxes and addresses --- */
	{"rec_inboxes",
	 "SELECT i.id, i.name,"
	 " (SELECT count(*) FROM inbox_addresses a WHERE a.inbox_id = i.id AND a.connected),"
	 " (SELECT count(*) FROM inbox_addresses a WHERE a.inbox_id = i.id),"
	 " (SELECT count(*) FROM forms f WHERE f.inbox_id = i.id),"
	 " EXISTS (SELECT 1 FROM portals p WHERE p.default_inbox_id = i.id)"
	 " FROM inboxes i ORDER BY lower(i.name), i.id LIMIT 500",
	 0},
	{"rec_inbox_taken", "SELECT 1 FROM inboxes WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2::bigint", 2},
	{"rec_inbox_insert", "INSERT INTO inboxes (name) VALUES ($1) RETURNING id", 1},
	{"rec_inbox_get",
	 "SELECT i.id, i.name, EXISTS (SELECT 1 FROM portals p WHERE p.default_inbox_id = i.id)"
	 " FROM inboxes i WHERE i.id = $1",
	 1},
	{"rec_inbox_lock", "SELECT name FROM inboxes WHERE id = $1 FOR UPDATE", 1},
	{"rec_inbox_rename", "UPDATE inboxes SET name = $2 WHERE id = $1", 2},
	{"rec_addresses",
	 "SELECT id, address, connected, " SQL_UTC("created_at", "YYYY-MM-DD HH24:MI") " FROM inbox_addresses"
	 " WHERE inbox_id = $1 ORDER BY lower(address), id",
	 1},
	{"rec_address_owner",
	 "SELECT i.name FROM inbox_addresses a JOIN inboxes i ON i.id = a.inbox_id"
	 " WHERE lower(a.address) = lower($1)",
	 1},
	{"rec_address_insert",
	 "INSERT INTO inbox_addresses (inbox_id, address, connected) VALUES ($1, $2, $3::boolean) RETURNING id", 3},
	{"rec_address_set",
	 "UPDATE inbox_addresses SET connected = $3::boolean WHERE id = $1 AND inbox_id = $2"
	 " RETURNING address",
	 3},
	{"rec_address_delete",
	 "DELETE FROM inbox_addresses WHERE id = $1 AND inbox_id = $2 RETURNING address, connected", 2},
	{NULL},
};

static int inboxes_render(struct ctx *c, int status, struct form *f)
{
	PGresult *r = db_exec("rec_inboxes", 0, NULL);
	if (!r) {
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *page = admin_page_new(c, "Inboxes", "inboxes");
	json_object_object_add(page, "rows", rec_rows(r, "id,name,connected,addresses,forms,is_default"));
	json_object_object_add(page, "empty", json_object_new_boolean(PQntuples(r) == 0));
	PQclear(r);
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, "admin/records_inboxes", page);
}

int rec_inboxes_page(struct ctx *c)
{
	return inboxes_render(c, 200, NULL);
}

/* The inbox name of the form, checked for length and uniqueness (exclude: the inbox being
 * renamed). NULL with a message in f; *db_error set on a database error. */
static const char *inbox_name(struct ctx *c, struct form *f, const char *exclude, int *db_error)
{
	const char *name = form_text(f, c->req, "name", 1, REC_NAME_MAX, 0, 1);
	int taken = name ? rec_exists("rec_inbox_taken", 2, name, exclude) : 0;
	*db_error = taken < 0;
	if (taken > 0) {
		form_message(f, "name", "Another inbox has this name. Choose another name.");
		return NULL;
	}
	return name;
}

int rec_inbox_create(struct ctx *c)
{
	struct form f;
	int dberr;
	form_init(&f, "en");
	if (db_begin() < 0) {
		form_free(&f);
		return 500;
	}
	const char *name = inbox_name(c, &f, NULL, &dberr);
	if (dberr) {
		form_free(&f);
		return rec_abort();
	}
	if (f.nerrors) {
		db_rollback();
		return inboxes_render(c, 422, &f);
	}
	form_free(&f);
	PGresult *r = rec_q("rec_inbox_insert", 1, name);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return rec_abort();
	}
	const char *id = arena_strdup(c->arena, PQgetvalue(r, 0, 0));
	PQclear(r);
	if (admin_audit(c, "inbox_create", NULL, NULL, rec_obj("id", id, "name", name, NULL)) < 0)
		return rec_abort();
	return rec_commit_redirect(c, arena_printf(c->arena, "/admin/inboxes/%s?notice=created", id));
}

/* The inbox page; which: the form f belongs to ("rename" or "add"). */
static int inbox_render(struct ctx *c, int status, struct form *f, const char *which)
{
	const char *id = c->caps.v[0];
	PGresult *i = admin_id(id) ? rec_q("rec_inbox_get", 1, id) : NULL;
	PGresult *a = i && PQntuples(i) == 1 ? rec_q("rec_addresses", 1, id) : NULL;
	if (!i || !a) {
		int st = !admin_id(id) || (i && PQntuples(i) == 0) ? 404 : 500;
		PQclear(i);
		if (f)
			form_free(f);
		return st;
	}
	struct json_object *page = admin_page_new(c, arena_printf(c->arena, "Inbox %s", PQgetvalue(i, 0, 1)), "inboxes");
	json_object_object_add(page, "inbox", rec_row(i, 0, "id,name,is_default"));
	PQclear(i);
	json_object_object_add(page, "addresses", rec_rows(a, "id,address,connected,created"));
	json_object_object_add(page, "no_addresses", json_object_new_boolean(PQntuples(a) == 0));
	PQclear(a);
	if (f) {
		json_object_object_add(page, which, json_object_new_boolean(1));
		form_to_page(f, page);
	}
	return admin_render(c, status, "admin/records_inbox", page);
}

int rec_inbox_page(struct ctx *c)
{
	return inbox_render(c, 200, NULL, NULL);
}

/* Lock the route's inbox: 0 (transaction open), 404 or 500. */
static int lock_inbox(struct ctx *c, char *name, size_t cap)
{
	if (!admin_id(c->caps.v[0]))
		return 404;
	if (db_begin() < 0)
		return 500;
	PGresult *r = rec_q("rec_inbox_lock", 1, c->caps.v[0]);
	if (!r || PQntuples(r) != 1) {
		int st = r ? 404 : 500;
		PQclear(r);
		db_rollback();
		return st;
	}
	snprintf(name, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

int rec_inbox_rename(struct ctx *c)
{
	char old[512];
	int dberr, st = lock_inbox(c, old, sizeof old);
	if (st)
		return st;
	struct form f;
	form_init(&f, "en");
	const char *name = inbox_name(c, &f, c->caps.v[0], &dberr);
	if (dberr) {
		form_free(&f);
		return rec_abort();
	}
	if (f.nerrors) {
		db_rollback();
		return inbox_render(c, 422, &f, "rename_form");
	}
	form_free(&f);
	PGresult *r = rec_q("rec_inbox_rename", 2, c->caps.v[0], name);
	PQclear(r);
	if (!r || admin_audit(c, "inbox_update", NULL, rec_obj("id", c->caps.v[0], "name", old, NULL),
			      rec_obj("id", c->caps.v[0], "name", name, NULL)) < 0)
		return rec_abort();
	return rec_commit_redirect(c, arena_printf(c->arena, "/admin/inboxes/%s?saved=1", c->caps.v[0]));
}

int rec_address_add(struct ctx *c)
{
	char inbox[512];
	int st = lock_inbox(c, inbox, sizeof inbox);
	if (st)
		return st;
	struct form f;
	form_init(&f, "en");
	const char *address = form_email(&f, c->req, "address");
	int connected = form_checkbox(&f, c->req, "connected", 0);
	if (address) {
		PGresult *r = rec_q("rec_address_owner", 1, address);
		if (!r) {
			form_free(&f);
			return rec_abort();
		}
		if (PQntuples(r) > 0)
			form_message(&f, "address", arena_printf(c->arena, "This address belongs to the inbox \"%s\" already. An address can be in one inbox only.",
								  PQgetvalue(r, 0, 0)));
		PQclear(r);
	}
	if (f.nerrors) {
		db_rollback();
		return inbox_render(c, 422, &f, "add_form");
	}
	form_free(&f);
	PGresult *r = rec_q("rec_address_insert", 3, c->caps.v[0], address, connected ? "true" : "false");
	if (!r && strcmp(db_last_sqlstate(), "23505") == 0) { /* added meanwhile by someone else */
		db_rollback();
		form_init(&f, "en");
		json_object_object_add(f.values, "address", json_object_new_string(address));
		form_message(&f, "address", "This address belongs to an inbox already. An address can be in one inbox only.");
		return inbox_render(c, 422, &f, "add_form");
	}
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return rec_abort();
	}
	const char *aid = arena_strdup(c->arena, PQgetvalue(r, 0, 0));
	PQclear(r);
	if (admin_audit(c, "inbox_address_add", NULL, NULL,
			rec_obj("inbox_id", c->caps.v[0], "id", aid, "address", address, "connected",
				connected ? "yes" : "no", NULL)) < 0)
		return rec_abort();
	return rec_commit_redirect(c, arena_printf(c->arena, "/admin/inboxes/%s?notice=created", c->caps.v[0]));
}

int rec_address_connect(struct ctx *c)
{
	char inbox[512];
	const char *v = request_form(c->req, "connected");
	if (!v || (strcmp(v, "1") != 0 && strcmp(v, "0") != 0))
		return admin_id(c->caps.v[0]) && admin_id(c->caps.v[1]) ? 400 : 404;
	int on = v[0] == '1';
	int st = admin_id(c->caps.v[1]) ? lock_inbox(c, inbox, sizeof inbox) : 404;
	if (st)
		return st;
	PGresult *r = rec_q("rec_address_set", 3, c->caps.v[1], c->caps.v[0], on ? "true" : "false");
	if (!r || PQntuples(r) != 1) {
		st = r ? 404 : 500;
		PQclear(r);
		db_rollback();
		return st;
	}
	const char *address = arena_strdup(c->arena, PQgetvalue(r, 0, 0));
	PQclear(r);
	if (admin_audit(c, "inbox_address_update", NULL,
			rec_obj("inbox_id", c->caps.v[0], "address", address, "connected", on ? "no" : "yes", NULL),
			rec_obj("inbox_id", c->caps.v[0], "address", address, "connected", on ? "yes" : "no", NULL)) < 0)
		return rec_abort();
	return rec_commit_redirect(c, arena_printf(c->arena, "/admin/inboxes/%s?saved=1", c->caps.v[0]));
}

int rec_address_delete(struct ctx *c)
{
	char inbox[512];
	int st = admin_id(c->caps.v[1]) ? lock_inbox(c, inbox, sizeof inbox) : 404;
	if (st)
		return st;
	PGresult *r = rec_q("rec_address_delete", 2, c->caps.v[1], c->caps.v[0]);
	if (!r || PQntuples(r) != 1) {
		st = r ? 404 : 500;
		PQclear(r);
		db_rollback();
		return st;
	}
	struct json_object *before = rec_obj("inbox_id", c->caps.v[0], "address", PQgetvalue(r, 0, 0), "connected",
					     PQgetvalue(r, 0, 1)[0] == 't' ? "yes" : "no", NULL);
	PQclear(r);
	if (admin_audit(c, "inbox_address_remove", NULL, before, NULL) < 0)
		return rec_abort();
	return rec_commit_redirect(c, arena_printf(c->arena, "/admin/inboxes/%s?notice=deleted", c->caps.v[0]));
}
