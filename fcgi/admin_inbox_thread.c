/* admin_inbox_thread.c - GET /admin/inbox/<thread> and /admin/inbox/<thread>/files/<id>/<name>:
 * one conversation as agents see it: every message including internal notes, the ticket's
 * properties, the reply / note / stage forms; its attachments. */
#include "admin_inbox.h"
#include "conversation.h"

#include <stdio.h>
#include <string.h>

#include "token.h"

/* Columns are named after the template's keys (db_row_json). */
const struct db_stmt admin_inbox_thread_stmts[] = {
	{"admin_inbox_thread",
	 "SELECT th.id, th.ticket_id, th.channel, i.name AS inbox,"
	 " console_time(th.created_at, $2, 'YYYY-MM-DD HH24:MI') AS created,"
	 " coalesce((SELECT a.address FROM inbox_addresses a WHERE a.inbox_id = th.inbox_id"
	 "   AND a.connected ORDER BY a.id LIMIT 1), '') AS from_address"
	 " FROM threads th JOIN inboxes i ON i.id = th.inbox_id WHERE th.id = $1"
	 " AND ($3::bigint[] IS NULL OR th.inbox_id = ANY ($3::bigint[]))",
	 3},
	/* the thread's ticket ($3 the thread) */
	{"admin_inbox_ticket",
	 "SELECT t.id, t.subject, t.priority, s.name AS stage, s.is_closed AS closed,"
	 " coalesce(console_time(t.closed_at, $2, 'YYYY-MM-DD HH24:MI'), '') AS closed_at,"
	 " p.name AS pipeline, '/admin/tickets/' || t.id AS url,"
	 " coalesce($3::bigint = ticket_latest_thread(t.id), false) AS latest_thread, t.pipeline_id, t.stage_id"
	 " FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id JOIN pipelines p ON p.id = t.pipeline_id"
	 " WHERE t.id = $1",
	 3},
	{"admin_inbox_ticket_contacts",
	 "SELECT coalesce(nullif(btrim(c.first_name || ' ' || c.last_name), ''), c.email) AS name, c.email,"
	 " '/admin/preview/' || c.id || '/tickets/' || x.ticket_id AS preview_url"
	 " FROM ticket_contacts x JOIN contacts c ON c.id = x.contact_id"
	 " WHERE x.ticket_id = $1 ORDER BY c.id LIMIT 50",
	 1},
	{"admin_inbox_stages",
	 "SELECT id, name, is_closed AS closed, id = $2::bigint AS selected FROM pipeline_stages"
	 " WHERE pipeline_id = $1 ORDER BY position LIMIT 100",
	 2},
	/* an attachment of a message of this thread (of the agent's inboxes, $4) */
	{"admin_inbox_file",
	 "SELECT a.sha256, a.content_type, a.file_name FROM attachments a"
	 " JOIN messages m ON m.id = a.message_id JOIN threads th ON th.id = m.thread_id"
	 " WHERE a.id = $1 AND m.thread_id = $2 AND a.file_name = $3"
	 " AND ($4::bigint[] IS NULL OR th.inbox_id = ANY ($4::bigint[]))",
	 4},
	{NULL},
};

static struct json_object *str(const char *s)
{
	return json_object_new_string(s);
}

/* The rows of a statement as objects; NULL on a database error. */
static struct json_object *rows_of(const char *stmt, int n, const char *const *p)
{
	PGresult *r = db_exec(stmt, n, p);
	struct json_object *a = r ? db_rows_json(r, -1) : NULL;
	PQclear(r);
	return a;
}

/* One row of a statement as an object; NULL when none or on a database error. */
static struct json_object *row_of(const char *stmt, int n, const char *const *p)
{
	struct json_object *a = rows_of(stmt, n, p);
	struct json_object *o = a && json_object_array_length(a) == 1 ? json_object_get(json_object_array_get_idx(a, 0))
								      : NULL;
	json_object_put(a);
	return o;
}

static const char *key(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

/* The thread's ticket with its contacts (and their preview links) and its pipeline's stages. */
static struct json_object *ticket_json(const char *ticket, const char *thread)
{
	const char *p[3] = {ticket, console_zone(), thread};
	struct json_object *t = row_of("admin_inbox_ticket", 3, p), *contacts, *stages;
	const char *ps[2] = {key(t, "pipeline_id"), key(t, "stage_id")};
	if (!t || !(contacts = rows_of("admin_inbox_ticket_contacts", 1, p))) {
		json_object_put(t);
		return NULL;
	}
	json_object_object_add(t, "has_contacts", json_object_new_boolean(json_object_array_length(contacts) > 0));
	json_object_object_add(t, "contacts", contacts);
	if (!(stages = rows_of("admin_inbox_stages", 2, ps))) {
		json_object_put(t);
		return NULL;
	}
	json_object_object_add(t, "stages", stages);
	return t;
}

/* A form's context: a fresh one-time nonce, and the input and errors when it came back. */
static struct json_object *form_ctx(const char *name, const char *which, struct form *f)
{
	struct json_object *o = json_object_new_object();
	char nonce[TOKEN_LEN + 1];
	if (token_new(nonce, sizeof nonce) == 0)
		json_object_object_add(o, "nonce", str(nonce));
	if (f && which && strcmp(name, which) == 0)
		form_to_page(f, o);
	return o;
}

int admin_inbox_thread_render(struct ctx *c, const char *thread, int status, const char *which,
			      struct form *f)
{
	const char *p[3] = {thread, console_zone(), staff_inboxes(c)};
	PGresult *r = db_exec("admin_inbox_thread", 3, p);
	int missing = r && PQntuples(r) != 1;
	struct json_object *th = r && !missing ? db_row_json(r, 0) : NULL, *t = NULL;
	PQclear(r);
	const char *ticket = key(th, "ticket_id");
	if (!th || (ticket && !(t = ticket_json(ticket, thread)))) {
		json_object_put(th);
		if (f)
			form_free(f);
		return missing ? 404 : 500;
	}
	struct json_object *page = admin_page_new(c, NULL, "inbox");
	const char *title = t ? arena_printf(c->arena, "#%s %s", ticket, key(t, "subject"))
			      : arena_printf(c->arena, "Conversation %s", thread);
	json_object_object_add(page, "title", str(title));
	json_object_object_add(page, "thread", th);
	json_object_object_add(page, "time_zone", str(console_zone()));
	if (t)
		json_object_object_add(page, "ticket", t);
	if (conv_messages(c, page, thread, arena_printf(c->arena, "/admin/inbox/%s/files", thread)) < 0)
		goto fail;
	json_object_object_add(page, "reply", form_ctx("reply", which, f));
	json_object_object_add(page, "note", form_ctx("note", which, f));
	json_object_object_add(page, "stage_form", form_ctx("stage", which, f));
	if (f) {
		json_object_object_add(page, "has_errors", json_object_new_boolean(1));
		json_object_object_add(page, "error_form", str(which));
		form_free(f);
	}
	return admin_render(c, status, "admin/inbox_thread", page);
fail:
	json_object_put(page);
	if (f)
		form_free(f);
	return 500;
}

int admin_inbox_thread(struct ctx *c)
{
	if (!admin_id(c->caps.v[0]))
		return 404;
	return admin_inbox_thread_render(c, c->caps.v[0], 200, NULL, NULL);
}

/* An attachment of a message of this thread (notes included), handed to nginx to send. */
int admin_inbox_file(struct ctx *c)
{
	if (!admin_id(c->caps.v[0]) || !admin_id(c->caps.v[1]))
		return 404;
	const char *p[4] = {c->caps.v[1], c->caps.v[0], c->caps.v[2], staff_inboxes(c)};
	return file_send_found(c, "admin_inbox_file", 4, p);
}
