/* admin_inboxes.c - /admin/inboxes and /admin/inboxes/<id>: conversation inboxes and the team
 * email addresses connected to them (only mail to or from a connected address shows in the
 * portal), and the inbox's mail: which connected address is primary (the From of its mail), an
 * IMAP mailbox per address that the mailer polls (fcgi/mailer_imap.c; the password sealed with
 * lib/secretbox and never shown again), what mail from unknown senders does, and which staff
 * users get its notifications. The rename is a form page on the kit (form_page.h); the address
 * rows are not (each is a record of its own, added, switched and removed by buttons). */
#include "admin_records.h"

#include <stdlib.h>
#include <string.h>

#include "secretbox.h"

#define INBOX_STATE "jsonb_build_object('id', id::text, 'name', name)::text"
#define IMAP_STATE_OF(t) \
	"jsonb_build_object('address', " t ".address, 'imap_host', " t ".imap_host, 'imap_port', " t ".imap_port," \
	" 'imap_security', " t ".imap_security, 'imap_user', " t ".imap_user, 'imap_folder', " t ".imap_folder," \
	" 'imap_password', CASE WHEN " t ".imap_password_enc IS NULL THEN 'none' ELSE 'set' END)::text"
#define IMAP_STATE IMAP_STATE_OF("inbox_addresses")
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
	 "SELECT i.id, i.name, EXISTS (SELECT 1 FROM portals p WHERE p.default_inbox_id = i.id) AS is_default,"
	 " i.unknown_senders = 'ticket' AS unknown_ticket, i.unknown_senders = 'drop' AS unknown_drop"
	 " FROM inboxes i WHERE i.id = $1",
	 1},
	{"rec_inbox_lock", "SELECT name, " INBOX_STATE " AS state FROM inboxes WHERE id = $1 FOR UPDATE", 1},
	{"rec_inbox_rename", "UPDATE inboxes SET name = $2 WHERE id = $1 RETURNING " INBOX_STATE " AS state", 2},
	{"rec_addresses",
	 "SELECT id, address, connected, is_primary, " SQL_CONSOLE_TIME("created_at", "YYYY-MM-DD HH24:MI") " AS created,"
	 " imap_host IS NOT NULL AS has_imap, imap_host, imap_port::text AS imap_port, imap_user, imap_folder,"
	 " imap_security = 'tls' AS sec_tls, imap_security = 'starttls' AS sec_starttls,"
	 " imap_security = 'none' AS sec_none, imap_password_enc IS NOT NULL AS password_set,"
	 " " SQL_CONSOLE_TIME("imap_polled_at", "YYYY-MM-DD HH24:MI:SS") " AS imap_polled, imap_error"
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
	 "UPDATE inbox_addresses SET connected = $3::boolean, is_primary = is_primary AND $3::boolean"
	 " WHERE id = $1 AND inbox_id = $2 RETURNING "
	 ADDRESS_STATE(SQL_YES_NO("NOT connected")) " AS before, " ADDRESS_STATE(SQL_YES_NO("connected")) " AS after",
	 3},
	{"rec_address_delete",
	 "DELETE FROM inbox_addresses WHERE id = $1 AND inbox_id = $2 RETURNING "
	 ADDRESS_STATE(SQL_YES_NO("connected")) " AS before",
	 2},
	/* Exactly one primary among the connected addresses of inbox $1: when none is, the oldest
	 * connected one becomes it (after an add, a connect, a disconnect or a removal). */
	{"rec_primary_fix",
	 "UPDATE inbox_addresses SET is_primary = true WHERE id = (SELECT min(id) FROM inbox_addresses"
	 " WHERE inbox_id = $1 AND connected) AND NOT EXISTS (SELECT 1 FROM inbox_addresses"
	 " WHERE inbox_id = $1 AND is_primary)",
	 1},
	/* $1 = the address, $2 = its inbox: the old primary first gives way (the partial unique index) */
	{"rec_primary_clear", "UPDATE inbox_addresses SET is_primary = false WHERE inbox_id = $2 AND is_primary AND id <> $1", 2},
	{"rec_primary_set",
	 "UPDATE inbox_addresses SET is_primary = true WHERE id = $1 AND inbox_id = $2 AND connected RETURNING "
	 "jsonb_build_object('inbox_id', inbox_id::text, 'address', address, 'primary', 'yes')::text AS after",
	 2},
	{"rec_address_connected", "SELECT connected FROM inbox_addresses WHERE id = $1 AND inbox_id = $2", 2},
	/* IMAP: the audit state never holds the password, only whether one is stored */
	{"rec_imap_set",
	 "WITH old AS (SELECT id, " IMAP_STATE " AS state FROM inbox_addresses WHERE id = $1 AND inbox_id = $2 FOR UPDATE)"
	 " UPDATE inbox_addresses a SET imap_host = $3, imap_port = $4::int, imap_security = $5, imap_user = $6,"
	 " imap_password_enc = coalesce($7, a.imap_password_enc), imap_folder = $8, imap_error = NULL"
	 " FROM old WHERE a.id = old.id"
	 " RETURNING old.state AS before, " IMAP_STATE_OF("a") " AS after",
	 8},
	{"rec_imap_password_set",
	 "SELECT imap_password_enc IS NOT NULL FROM inbox_addresses WHERE id = $1 AND inbox_id = $2", 2},
	{"rec_imap_delete",
	 "WITH old AS (SELECT id, " IMAP_STATE " AS state FROM inbox_addresses"
	 " WHERE id = $1 AND inbox_id = $2 AND imap_host IS NOT NULL FOR UPDATE)"
	 " UPDATE inbox_addresses a SET imap_host = NULL, imap_port = NULL, imap_security = 'tls', imap_user = NULL,"
	 " imap_password_enc = NULL, imap_folder = 'INBOX', imap_polled_at = NULL, imap_error = NULL"
	 " FROM old WHERE a.id = old.id RETURNING old.state AS before",
	 2},
	{"rec_imap_notify", "SELECT pg_notify('mail_imap', $1)", 1},
	/* the inbox's mail settings */
	{"rec_inbox_staff",
	 "SELECT s.id, CASE WHEN s.name = '' THEN s.email ELSE s.name END AS name, s.email, s.role,"
	 " EXISTS (SELECT 1 FROM inbox_staff x WHERE x.inbox_id = $1 AND x.staff_user_id = s.id) AS chosen"
	 " FROM staff_users s ORDER BY lower(s.name), lower(s.email), s.id LIMIT 500",
	 1},
	{"rec_inbox_mail_state",
	 "SELECT jsonb_build_object('unknown_senders', i.unknown_senders, 'staff', coalesce((SELECT"
	 " jsonb_agg(s.email ORDER BY lower(s.email)) FROM inbox_staff x JOIN staff_users s ON s.id = x.staff_user_id"
	 " WHERE x.inbox_id = i.id), '[]'::jsonb))::text AS state FROM inboxes i WHERE i.id = $1",
	 1},
	{"rec_inbox_unknown_set", "UPDATE inboxes SET unknown_senders = $2 WHERE id = $1", 2},
	{"rec_inbox_staff_clear", "DELETE FROM inbox_staff WHERE inbox_id = $1", 1},
	/* $2: staff user ids as an array literal; ids that are no staff user are left out */
	{"rec_inbox_staff_add",
	 "INSERT INTO inbox_staff (inbox_id, staff_user_id) SELECT $1, s.id FROM staff_users s"
	 " WHERE s.id = ANY ($2::bigint[]) ON CONFLICT DO NOTHING",
	 2},
	{NULL},
};

/* The inbox page: the inbox (row, or read when NULL), its addresses and its staff users; the
 * address whose IMAP form comes back with errors is the page's "imap_form_for" (inbox_again).
 * 0 or a status. */
static int inbox_fill(struct ctx *c, struct json_object *page, PGresult *row)
{
	struct json_object *v;
	long imap_form_for = json_object_object_get_ex(page, "imap_form_for", &v) ? json_object_get_int64(v) : 0;
	PGresult *a;
	int st = rec_record_fill(c, page, row, "rec_inbox_get", "inbox", "Inbox", "rec_addresses", &a);
	if (st)
		return st;
	struct json_object *rows = db_rows_json(a, -1);
	int connected = 0;
	for (int i = 0; i < PQntuples(a); i++) {
		connected += db_col(a, i, "connected")[0] == 't';
		if (imap_form_for && atol(db_col(a, i, "id")) == imap_form_for)
			json_object_object_add(json_object_array_get_idx(rows, i), "imap_form", json_object_new_boolean(1));
	}
	json_object_object_add(page, "addresses", rows);
	json_object_object_add(page, "no_addresses", json_object_new_boolean(PQntuples(a) == 0));
	json_object_object_add(page, "no_connected", json_object_new_boolean(connected == 0));
	PQclear(a);
	const char *id = c->caps.v[0];
	PGresult *s = rec_q("rec_inbox_staff", 1, id);
	if (!s)
		return 500;
	int chosen = 0;
	for (int i = 0; i < PQntuples(s); i++)
		chosen += db_col(s, i, "chosen")[0] == 't';
	json_object_object_add(page, "staff", db_rows_json(s, -1));
	json_object_object_add(page, "staff_everyone", json_object_new_boolean(chosen == 0));
	PQclear(s);
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

/* After a change to the inbox's addresses (the inbox locked): one primary among the connected
 * ones. 0 or -1. */
static int primary_fix(struct ctx *c)
{
	PGresult *r = rec_q("rec_primary_fix", 1, c->caps.v[0]);
	PQclear(r);
	return r ? 0 : -1;
}

/* rec_finish for a change to an address row that may have taken or given the primary. */
static int finish_fixed(struct ctx *c, PGresult *r, const char *action, const char *location)
{
	if (r && PQntuples(r) > 0 && primary_fix(c) < 0) {
		PQclear(r);
		return rec_abort();
	}
	return rec_finish(c, r, action, location);
}

/* The page again with status 422 and the form f (its messages); the IMAP form of address
 * imap_for (0: none) open with the input kept. */
static int inbox_again(struct ctx *c, struct form *f, long imap_for)
{
	db_rollback();
	struct json_object *page = admin_page_new(c, NULL, "inboxes");
	if (imap_for)
		json_object_object_add(page, "imap_form_for", json_object_new_int64(imap_for));
	int st = inbox_fill(c, page, NULL);
	return rec_render(c, 422, st, "admin/records_inbox", page, f);
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
	if (r && primary_fix(c) < 0) {
		PQclear(r);
		return rec_abort();
	}
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
	return finish_fixed(c, rec_q("rec_address_set", 3, c->caps.v[1], c->caps.v[0], v[0] == '1' ? "true" : "false"),
			    "inbox_address_update", inbox_url(c, "saved=1"));
}

int rec_address_delete(struct ctx *c)
{
	int st = rec_lock(c, "rec_inbox_lock");
	if (st)
		return st;
	return finish_fixed(c, rec_q("rec_address_delete", 2, c->caps.v[1], c->caps.v[0]), "inbox_address_remove",
			    inbox_url(c, "notice=deleted"));
}

/* POST /admin/inboxes/<id>/addresses/<id>/primary: this connected address becomes the primary. */
int rec_address_primary(struct ctx *c)
{
	int st = rec_lock(c, "rec_inbox_lock");
	if (st)
		return st;
	PGresult *r = rec_q("rec_address_connected", 2, c->caps.v[1], c->caps.v[0]);
	if (!r)
		return rec_abort();
	int found = PQntuples(r) > 0, connected = found && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	if (!found) {
		db_rollback();
		return 404;
	}
	if (!connected) {
		struct form f;
		form_init(&f, "en");
		form_message(&f, "primary", "Only a connected address can be the primary address. Connect it first.");
		return inbox_again(c, &f, 0);
	}
	r = rec_q("rec_primary_clear", 2, c->caps.v[1], c->caps.v[0]);
	PQclear(r);
	if (!r)
		return rec_abort();
	return rec_finish(c, rec_q("rec_primary_set", 2, c->caps.v[1], c->caps.v[0]), "inbox_address_primary",
			  inbox_url(c, "saved=1"));
}

/* The default port of a security mode. */
static const char *imap_default_port(const char *security)
{
	return security && strcmp(security, "tls") == 0 ? "993" : "143";
}

/* POST /admin/inboxes/<id>/addresses/<id>/imap: the address's IMAP mailbox. The password is
 * sealed (lib/secretbox) before it is stored; an empty password field keeps the stored one. The
 * mailer is told to poll at once (NOTIFY mail_imap). */
int rec_address_imap(struct ctx *c)
{
	static const char *const securities[] = {"tls", "starttls", "none", NULL};
	int st = rec_lock(c, "rec_inbox_lock");
	if (st)
		return st;
	PGresult *r = rec_q("rec_imap_password_set", 2, c->caps.v[1], c->caps.v[0]);
	if (!r)
		return rec_abort();
	if (PQntuples(r) == 0) {
		PQclear(r);
		db_rollback();
		return 404;
	}
	int had_password = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);

	struct form f;
	form_init(&f, "en");
	const char *host = form_text(&f, c->req, "imap_host", 1, 253, 0, 1);
	const char *problem = host ? host_name_problem(host) : NULL;
	if (problem)
		form_message(&f, "imap_host", problem);
	const char *security = request_form(c->req, "imap_security");
	json_object_object_add(f.values, "imap_security", json_object_new_string(security ? security : ""));
	if (!rec_in_list(securities, security))
		form_message(&f, "imap_security", "Choose how the connection is secured: TLS, STARTTLS or none.");
	const char *port = request_form(c->req, "imap_port");
	json_object_object_add(f.values, "imap_port", json_object_new_string(port ? port : ""));
	if (!port || !*port) {
		port = imap_default_port(security);
	} else {
		char *end;
		long p = strtol(port, &end, 10);
		if (*end || p < 1 || p > 65535 || port[0] == '+' || port[0] == '-' || port[0] == ' ')
			form_message(&f, "imap_port", "The port is a number from 1 to 65535 (993 for TLS, 143 otherwise).");
		else
			port = arena_printf(c->arena, "%ld", p);
	}
	const char *user = form_text(&f, c->req, "imap_user", 1, 256, 0, 1);
	const char *folder = request_form(c->req, "imap_folder");
	folder = folder && *folder ? folder : "INBOX";
	json_object_object_add(f.values, "imap_folder", json_object_new_string(folder));
	int bad_folder = strlen(folder) > 200 || strpbrk(folder, "\"\\\r\n\t") != NULL;
	for (const char *p = folder; *p && !bad_folder; p++)
		bad_folder = (unsigned char)*p < 0x20 || *p == 0x7f;
	if (bad_folder)
		form_message(&f, "imap_folder", "The folder name has at most 200 characters, without quotes, backslashes or line breaks.");
	const char *password = request_form(c->req, "imap_password");
	char *sealed = NULL;
	if (password && *password) {
		if (strlen(password) > 256 || strpbrk(password, "\r\n") != NULL) {
			form_message(&f, "imap_password", "The password has at most 256 characters on one line.");
		} else {
			size_t cap = secretbox_sealed_len(strlen(password)) + 1;
			sealed = arena_alloc(c->arena, cap);
			if (secretbox_seal(cfg.secret_key, arena_printf(c->arena, "inbox_address:%s", c->caps.v[1]),
					   password, sealed, cap) < 0) {
				form_free(&f);
				return rec_abort();
			}
		}
	} else if (!had_password) {
		form_message(&f, "imap_password", "Enter the mailbox's password.");
	}
	if (f.nerrors) {
		for (int i = 0; securities[i]; i++)
			json_object_object_add(f.values, arena_printf(c->arena, "sec_%s", securities[i]),
					       json_object_new_boolean(security && strcmp(security, securities[i]) == 0));
		return inbox_again(c, &f, atol(c->caps.v[1]));
	}
	form_free(&f);
	r = rec_q("rec_imap_set", 8, c->caps.v[1], c->caps.v[0], host, port, security, user, sealed, folder);
	if (!r || PQntuples(r) < 1)
		return rec_finish(c, r, "inbox_address_imap", NULL);
	PGresult *n = rec_q("rec_imap_notify", 1, c->caps.v[1]);
	PQclear(n);
	struct json_object *before = json_tokener_parse(db_col(r, 0, "before"));
	struct json_object *after = json_tokener_parse(db_col(r, 0, "after"));
	PQclear(r);
	if (!n) {
		json_object_put(before);
		json_object_put(after);
		return rec_abort();
	}
	if (sealed && after) /* the audit row says the password changed, never what it is */
		json_object_object_add(after, "imap_password", json_object_new_string("changed"));
	return admin_audit_commit(c, "inbox_address_imap", before, after, inbox_url(c, "saved=1"));
}

/* POST /admin/inboxes/<id>/addresses/<id>/imap/delete: the address has no IMAP mailbox any more
 * (its password is gone with it). */
int rec_address_imap_delete(struct ctx *c)
{
	int st = rec_lock(c, "rec_inbox_lock");
	if (st)
		return st;
	return rec_finish(c, rec_q("rec_imap_delete", 2, c->caps.v[1], c->caps.v[0]), "inbox_address_imap_remove",
			  inbox_url(c, "notice=deleted"));
}

/* POST /admin/inboxes/<id>/mail: what mail from unknown senders does (unknown_senders: ticket or
 * drop) and which staff users get the inbox's notifications (staff: ids; none = everyone). */
int rec_inbox_mail(struct ctx *c)
{
	static const char *const choices[] = {"ticket", "drop", NULL};
	int st = rec_lock(c, "rec_inbox_lock");
	if (st)
		return st;
	const char *unknown = request_form(c->req, "unknown_senders");
	if (!rec_in_list(choices, unknown)) {
		struct form f;
		form_init(&f, "en");
		form_message(&f, "unknown_ticket", "Choose what mail from unknown senders does: open a ticket or drop it.");
		return inbox_again(c, &f, 0);
	}
	struct buf ids;
	buf_init(&ids);
	buf_puts(&ids, "{");
	int n = 0;
	for (size_t i = 0; i < c->req->nform; i++) {
		if (strcmp(c->req->form[i].name, "staff") != 0)
			continue;
		long id = admin_id(c->req->form[i].value);
		if (!id)
			continue;
		buf_printf(&ids, "%s%ld", n++ ? "," : "", id);
	}
	buf_puts(&ids, "}");
	const char *list = ids.oom ? NULL : arena_strdup(c->arena, ids.data);
	buf_free(&ids);
	if (!list)
		return rec_abort();
	PGresult *before = rec_q("rec_inbox_mail_state", 1, c->caps.v[0]);
	PGresult *a = before ? rec_q("rec_inbox_unknown_set", 2, c->caps.v[0], unknown) : NULL;
	PGresult *b = a ? rec_q("rec_inbox_staff_clear", 1, c->caps.v[0]) : NULL;
	PGresult *d = b ? rec_q("rec_inbox_staff_add", 2, c->caps.v[0], list) : NULL;
	PGresult *after = d ? rec_q("rec_inbox_mail_state", 1, c->caps.v[0]) : NULL;
	PQclear(a);
	PQclear(b);
	PQclear(d);
	if (!after || PQntuples(before) < 1 || PQntuples(after) < 1) {
		PQclear(before);
		PQclear(after);
		return rec_abort();
	}
	struct json_object *jb = json_tokener_parse(db_col(before, 0, "state"));
	struct json_object *ja = json_tokener_parse(db_col(after, 0, "state"));
	PQclear(before);
	PQclear(after);
	return admin_audit_commit(c, "inbox_mail", jb, ja, inbox_url(c, "saved=1"));
}
