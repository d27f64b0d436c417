/* api_messages.c - /api/v1/tickets/{id}/messages (a ticket's messages: list, add a public reply or
 * an internal note, with attachments as multipart) and /api/v1/attachments/{id} (a file's bytes).
 * The tickets themselves: api_tickets.c. */
#include "admin.h"
#include "api_tickets.h"
#include "conversation.h"

#include <stdio.h>
#include <string.h>

/*
 * Design. This is the team's API: the list holds every message of the ticket's threads, internal
 * notes too (kind "note"), each as api_message_json() (the form the message.added webhook
 * carries). A token limited to inboxes sees a ticket by staff_ticket_ok() and, of its threads,
 * those in its inboxes ("inbox_id = ANY"): their messages and attachments; anything else is a
 * 404. A message is added by conv_add (conversation.c) with the token as its author (CONV_TOKEN)
 * to the ticket's latest thread the token sees (none: a new email thread in the default portal's
 * default inbox); a public message is mailed to the ticket's contacts exactly as an agent's reply
 * from the inbox (CONV_NOTIFY_CUSTOMER), a note is not and never shows on the portal. The list
 * pages by message id, oldest first: messages are only ever added, so pages neither skip nor
 * repeat. Attachments go out through file_send (files.c: nginx sends the bytes), always as
 * Content-Disposition attachment.
 */

#define MSG_BODY_MAX 20000
#define MSG_FIELD "attachments" /* the multipart file parts' name */

const struct db_stmt api_messages_stmts[] = {
	/* the ticket, if this token sees it, with the latest thread it sees (0: none) and the
	 * default portal's default inbox for a new one */
	{"api_msg_ticket",
	 "SELECT coalesce((SELECT th.id FROM threads th WHERE th.ticket_id = t.id"
	 "   AND ($2::bigint[] IS NULL OR th.inbox_id = ANY ($2::bigint[]))"
	 "   ORDER BY th.last_message_at DESC, th.id DESC LIMIT 1), 0) AS thread,"
	 " coalesce((SELECT default_inbox_id FROM portals WHERE is_default), 0) AS inbox"
	 " FROM tickets t WHERE t.id = $1 AND staff_ticket_ok(t.id, $2::bigint[])",
	 2},
	{"api_msg_list",
	 "SELECT api_message_json(m.id)::text AS json, m.id AS cursor"
	 " FROM threads th JOIN messages m ON m.thread_id = th.id"
	 " WHERE th.ticket_id = $1 AND ($2::bigint[] IS NULL OR th.inbox_id = ANY ($2::bigint[]))"
	 "  AND m.id > coalesce($3::bigint, 0)"
	 " ORDER BY m.id LIMIT $4::int",
	 4},
	{"api_msg_json", "SELECT api_message_json($1)::text", 1},
	{"api_attachment",
	 "SELECT a.sha256, a.content_type, a.file_name FROM attachments a"
	 " JOIN messages m ON m.id = a.message_id JOIN threads th ON th.id = m.thread_id"
	 " WHERE a.id = $1 AND th.ticket_id IS NOT NULL AND staff_ticket_ok(th.ticket_id, $2::bigint[])"
	 "  AND ($2::bigint[] IS NULL OR th.inbox_id = ANY ($2::bigint[]))",
	 2},
	{NULL, NULL, 0},
};

/* The ticket of the route for this token: 1 (thread and inbox set), or the status answered. */
static int ticket_of(struct ctx *c, char *thread, char *inbox, size_t cap)
{
	const char *id = c->caps.v[0];
	if (!admin_id(id))
		return api_problem(c, 404, "not-found", NULL);
	const char *p[2] = {id, api_inboxes(c)};
	PGresult *r = db_exec("api_msg_ticket", 2, p);
	if (!r)
		return api_db_error(c);
	int found = PQntuples(r) == 1;
	if (found) {
		snprintf(thread, cap, "%s", db_col(r, 0, "thread"));
		snprintf(inbox, cap, "%s", db_col(r, 0, "inbox"));
	}
	PQclear(r);
	return found ? 1 : api_problem(c, 404, "not-found", NULL);
}

int api_messages_list(struct ctx *c)
{
	struct api_page pg;
	int st = api_page(c, &pg);
	if (st)
		return st;
	char thread[24], inbox[24];
	if ((st = ticket_of(c, thread, inbox, sizeof thread)) != 1)
		return st;
	const char *p[4] = {c->caps.v[0], api_inboxes(c), pg.after, pg.limit_s};
	PGresult *r = db_exec("api_msg_list", 4, p);
	if (!r)
		return api_db_error(c);
	st = api_list(c, &pg, r);
	PQclear(r);
	return st;
}

static int is_multipart(const struct ctx *c)
{
	return strncasecmp(c->req->content_type, "multipart/form-data", 19) == 0;
}

/* body and kind of a multipart request (fields body, kind; file parts named attachments). 0, or
 * -1 with errors added. */
static int read_form(struct ctx *c, const char **body, const char **kind, struct json_object **errs)
{
	int bad = 0;
	for (size_t i = 0; i < c->req->nform; i++) {
		const char *k = c->req->form[i].name;
		if (strcmp(k, "body") != 0 && strcmp(k, "kind") != 0) {
			api_error(errs, k, "unknown field");
			bad = 1;
		}
	}
	for (size_t i = 0; i < c->req->nfiles; i++) {
		if (strcmp(c->req->files[i].field, MSG_FIELD) != 0) {
			api_error(errs, c->req->files[i].field, "unknown field (files go in parts named attachments)");
			bad = 1;
		}
	}
	*body = request_form(c->req, "body");
	*kind = request_form(c->req, "kind");
	/* control bytes never get here: the multipart parser refuses them (400, lib/multipart.c) by
	 * api_str's rule for a JSON body (tab, CR and LF allowed) */
	if (*body && (strlen(*body) > MSG_BODY_MAX || !utf8_valid(*body, strlen(*body)))) {
		api_error(errs, "body", "must be valid UTF-8 of at most 20000 bytes");
		bad = 1;
	}
	return bad ? -1 : 0;
}

static const char *const create_fields[] = {"body", "kind", NULL};

int api_message_create(struct ctx *c)
{
	struct json_object *errs = NULL;
	const char *body = NULL, *kind = NULL;
	int multipart = is_multipart(c), body_bad = 0;
	if (multipart) {
		read_form(c, &body, &kind, &errs);
	} else {
		struct json_object *o;
		int st = api_body(c, &o);
		if (st)
			return st;
		api_unknown(o, create_fields, &errs);
		body_bad = api_str(o, "body", MSG_BODY_MAX, 1, &body, &errs) < 0;
		if (api_str(o, "kind", 10, 0, &kind, &errs) < 0)
			kind = "message";
	}
	int note = kind && strcmp(kind, "note") == 0;
	size_t nfiles = multipart ? conv_files(c, MSG_FIELD) : 0;
	if (kind && !note && strcmp(kind, "message") != 0)
		api_error(&errs, "kind", "must be message or note");
	if (!body_bad && (!body || !*body) && (note || nfiles == 0))
		api_error(&errs, "body", note ? "is required" : "is required (unless attachments are sent)");
	if (note && nfiles)
		api_error(&errs, MSG_FIELD, "a note has no attachments");
	if (errs)
		return api_invalid(c, errs);
	char thread[24], inbox[24];
	int st = ticket_of(c, thread, inbox, sizeof thread);
	if (st != 1)
		return st;
	if (strcmp(thread, "0") == 0 && strcmp(inbox, "0") == 0) {
		api_error(&errs, "ticket", "the ticket has no conversation and the default portal no default inbox to start one in");
		return api_invalid(c, errs);
	}
	struct conv_msg m = {
		.thread = thread, .ticket = c->caps.v[0], .inbox = inbox, .channel = "email",
		.author = CONV_TOKEN, .author_id = c->api->id, .author_name = c->api->name, .author_email = "",
		.kind = note ? CONV_NOTE : CONV_MESSAGE, .body = body ? body : "",
		.file_field = nfiles ? MSG_FIELD : NULL, .engagement = note ? "note" : "email",
		.notify = note ? 0 : CONV_NOTIFY_CUSTOMER,
	};
	int got = conv_add(c, &m);
	if (got == 1) {
		struct json_object *d = json_object_new_object();
		json_object_object_add(d, "ticket_id", json_object_new_string(c->caps.v[0]));
		json_object_object_add(d, "thread_id", json_object_new_string(m.thread_id));
		json_object_object_add(d, "message_id", json_object_new_string(m.message_id));
		json_object_object_add(d, "kind", json_object_new_string(note ? "note" : "message"));
		json_object_object_add(d, "files", json_object_new_int64((int64_t)m.nfiles));
		if (m.mailed_to)
			json_object_object_add(d, "mailed_to", json_object_get(m.mailed_to));
		if (api_audit(c, note ? "api_note_create" : "api_message_create", d) < 0)
			got = -1;
	}
	json_object_put(m.mailed_to);
	if (got == -2)
		return api_problem(c, 404, "not-found", NULL);
	if (got != 1)
		return api_db_error(c);
	char *json = arena_alloc(c->arena, 1 << 20);
	const char *p[1] = {m.message_id};
	if (!json || db_exec_value("api_msg_json", 1, p, json, 1 << 20) != 1)
		return api_db_error(c);
	return api_json_text(c, 201, json);
}

/* file_send hands images out inline (for the portal's pages); an API client gets every file as
 * an attachment: its Content-Disposition rewritten. */
static void as_attachment(struct ctx *c)
{
	const char *h = c->res->headers.data, *k = "Content-Disposition: inline;";
	const char *at = h ? strstr(h, k) : NULL;
	if (!at)
		return;
	struct buf b = BUF_INIT;
	buf_append(&b, h, (size_t)(at - h));
	buf_puts(&b, "Content-Disposition: attachment;");
	buf_puts(&b, at + strlen(k));
	if (!b.oom) {
		c->res->headers.len = 0;
		buf_append(&c->res->headers, b.data, b.len);
	}
	buf_free(&b);
}

int api_attachment_get(struct ctx *c)
{
	if (!admin_id(c->caps.v[0]))
		return api_problem(c, 404, "not-found", NULL);
	const char *p[2] = {c->caps.v[0], api_inboxes(c)};
	PGresult *r = db_exec("api_attachment", 2, p);
	if (!r)
		return api_db_error(c);
	int st = PQntuples(r) == 1 ? file_send(c, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2)) : 404;
	PQclear(r);
	if (st == 404)
		return api_problem(c, 404, "not-found", NULL);
	if (st != 200) {
		response_reset(c->res);
		return api_db_error(c);
	}
	as_attachment(c);
	return st;
}
