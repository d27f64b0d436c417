/* admin_inboxes.c - /admin/inboxes and /admin/inboxes/<id>: conversation inboxes and the team
 * email addresses connected to them (only mail to or from a connected address shows in the
 * portal). The rename is a form page on the kit (form_page.h); the address rows are not (each
 * is a record of its own, added, switched and removed by buttons). */
#include "admin_records.h"

#include <string.h>

#define INBOX_STATE "jsonb_build_object('id', id::text, 'name', name)::text"
#define ADDRESS_STATE(connected) \
	"jsonb_build_object('inbox_id', inbox_id::text, 'address', address, 'connected', " connected ")::text"

const struct db_stmt admin_inboxes_stmts[] = {
	{"rec_inboxes",
	 "SELECT i.id, i.name,"
	 " (SELECT count(*) FROM inbox_addresses a WHERE a.inbox_id = i.id AND a.connected) AS connected,"
	 " (SELECT count(*) FROM inbox_addresses a WHERE a.inbox_id = i.id) AS addresses,"
	 " (SELECT count(*) FROM forms f WHERE f.inbox_id = i.id) AS forms,"
	 " EXISTS (SELECT 1 FROM portals p WHERE p.default_inbox_id = i.id) AS is_default"
	 " FROM inboxes i ORDER BY lower(i.name), i.id LIMIT 500",
	 0},
	{"rec_inbox_taken", "SELECT 1 FROM inboxes WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2::bigint", 2},
	{"rec_inbox_insert", "INSERT INTO inboxes (name) VALUES ($1) RETURNING id, " INBOX_STATE " AS after", 1},
	{"rec_inbox_get",
	 "SELECT i.id, i.name, EXISTS (SELECT 1 FROM portals p WHERE p.default_inbox_id = i.id) AS is_default"
	 " FROM inboxes i WHERE i.id = $1",
	 1},
	{"rec_inbox_lock", "SELECT name, " INBOX_STATE " AS state FROM inboxes WHERE id = $1 FOR UPDATE", 1},
	{"rec_inbox_rename", "UPDATE inboxes SET name = $2 WHERE id = $1 RETURNING " INBOX_STATE " AS state", 2},
	{"rec_addresses",
	 "SELECT id, address, connected, " SQL_UTC("created_at", "YYYY-MM-DD HH24:MI") " AS created"
	 " FROM inbox_addresses WHERE inbox_id = $1 ORDER BY lower(address), id",
	 1},
	{"rec_address_owner",
	 "SELECT i.name FROM inbox_addresses a JOIN inboxes i ON i.id = a.inbox_id"
	 " WHERE lower(a.address) = lower($1)",
	 1},
	{"rec_address_insert",
	 "INSERT INTO inbox_addresses (inbox_id, address, connected) VALUES ($1, $2, $3::boolean)"
	 " RETURNING jsonb_build_object('inbox_id', inbox_id::text, 'id', id::text, 'address', address,"
	 " 'connected', " SQL_YES_NO("connected") ")::text AS after",
	 3},
	/* $1 = the address, $2 = its inbox */
	{"rec_address_set",
	 "UPDATE inbox_addresses SET connected = $3::boolean WHERE id = $1 AND inbox_id = $2 RETURNING "
	 ADDRESS_STATE(SQL_YES_NO("NOT connected")) " AS before, " ADDRESS_STATE(SQL_YES_NO("connected")) " AS after",
	 3},
	{"rec_address_delete",
	 "DELETE FROM inbox_addresses WHERE id = $1 AND inbox_id = $2 RETURNING "
	 ADDRESS_STATE(SQL_YES_NO("connected")) " AS before",
	 2},
	{NULL},
};

/* The inbox page: the inbox (row, or read when NULL) and its addresses. 0 or a status. */
static int inbox_fill(struct ctx *c, struct json_object *page, PGresult *row)
{
	PGresult *a;
	int st = rec_record_fill(c, page, row, "rec_inbox_get", "inbox", "Inbox", "rec_addresses", &a);
	if (st)
		return st;
	json_object_object_add(page, "addresses", db_rows_json(a, -1));
	json_object_object_add(page, "no_addresses", json_object_new_boolean(PQntuples(a) == 0));
	PQclear(a);
	return 0;
}

static const struct rec_named inboxes = {
	.section = "inboxes", .title = "Inboxes", .list = "rec_inboxes", .list_tmpl = "admin/records_inboxes",
	.insert = "rec_inbox_insert", .created = "inbox_create",
	.exists = "Another inbox has this name. Choose another name.", .base = "/admin/inboxes",
	.tmpl = "admin/records_inbox", .get = "rec_inbox_get", .lock = "rec_inbox_lock",
	.rename = "rec_inbox_rename", .updated = "inbox_update",
	.another = "Another inbox has this name. Choose another name.", .taken = "rec_inbox_taken",
	.fill = inbox_fill,
};

REC_NAMED_HANDLERS(inboxes, rec_inboxes_page, rec_inbox_create, rec_inbox_page, rec_inbox_rename)

/* --- addresses --- */

static const char *inbox_url(struct ctx *c, const char *query)
{
	return arena_printf(c->arena, "/admin/inboxes/%s?%s", c->caps.v[0], query);
}

int rec_address_add(struct ctx *c)
{
	int st = rec_lock(c, "rec_inbox_lock");
	if (st)
		return st;
	struct form f;
	form_init(&f, "en");
	const char *address = form_email(&f, c->req, "address");
	int connected = form_checkbox(&f, c->req, "connected", 0);
	PGresult *r = address ? rec_q("rec_address_owner", 1, address) : NULL;
	if (address && !r) {
		form_free(&f);
		return rec_abort();
	}
	if (r && PQntuples(r) > 0)
		form_message(&f, "address", arena_printf(c->arena, "This address belongs to the inbox \"%s\" already. An address can be in one inbox only.",
							  PQgetvalue(r, 0, 0)));
	PQclear(r);
	r = f.nerrors ? NULL : rec_q("rec_address_insert", 3, c->caps.v[0], address, connected ? "true" : "false");
	if (!r && !f.nerrors && strcmp(db_last_sqlstate(), "23505") == 0) /* added meanwhile by someone else */
		form_message(&f, "address", "This address belongs to an inbox already. An address can be in one inbox only.");
	if (f.nerrors) {
		db_rollback();
		struct json_object *page = admin_page_new(c, NULL, "inboxes");
		json_object_object_add(page, "add_form", json_object_new_boolean(1));
		return rec_render(c, 422, inbox_fill(c, page, NULL), "admin/records_inbox", page, &f);
	}
	form_free(&f);
	return rec_finish(c, r, "inbox_address_add", inbox_url(c, "notice=created"));
}

int rec_address_connect(struct ctx *c)
{
	const char *v = request_form(c->req, "connected");
	if (!v || (strcmp(v, "1") != 0 && strcmp(v, "0") != 0))
		return admin_id(c->caps.v[0]) && admin_id(c->caps.v[1]) ? 400 : 404;
	int st = rec_lock(c, "rec_inbox_lock");
	if (st)
		return st;
	return rec_finish(c, rec_q("rec_address_set", 3, c->caps.v[1], c->caps.v[0], v[0] == '1' ? "true" : "false"),
			  "inbox_address_update", inbox_url(c, "saved=1"));
}

int rec_address_delete(struct ctx *c)
{
	int st = rec_lock(c, "rec_inbox_lock");
	if (st)
		return st;
	return rec_finish(c, rec_q("rec_address_delete", 2, c->caps.v[1], c->caps.v[0]), "inbox_address_remove",
			  inbox_url(c, "notice=deleted"));
}
