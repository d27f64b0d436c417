/* admin_inbox_write.c - POST /admin/inbox/<thread>/reply, /note and /stage: what agents do in a
 * thread: reply to the customer (portal + email, with attachments), add an internal note, change
 * the ticket's stage; each one transaction with its audit row. Not form pages (form_page.h):
 * they have no page of their own (a refused form comes back inside the thread page), and a
 * reply or note is a message written by conv_add (conversation.c). */
#include "admin_inbox.h"
#include "conversation.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "token.h"

const struct db_stmt admin_inbox_write_stmts[] = {
	/* the thread, when it is of the agent's inboxes ($2, staff_inboxes(): NULL = all) */
	{"admin_inbox_lock",
	 "SELECT coalesce(ticket_id, 0) FROM threads WHERE id = $1"
	 " AND ($2::bigint[] IS NULL OR inbox_id = ANY ($2::bigint[])) FOR UPDATE",
	 2},
	{"admin_inbox_lock_ticket",
	 "SELECT t.stage_id, s.name, s.is_closed FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id"
	 " WHERE t.id = $1 FOR UPDATE OF t",
	 1},
	/* closing stamps closed_at (kept when moving between closed stages), reopening clears it */
	{"admin_inbox_set_stage",
	 "UPDATE tickets t SET stage_id = s.id,"
	 " closed_at = CASE WHEN s.is_closed THEN coalesce(t.closed_at, greatest(now(), t.created_at)) END,"
	 " last_activity_at = greatest(t.last_activity_at, now())"
	 " FROM pipeline_stages s WHERE t.id = $1 AND s.id = $2 AND s.pipeline_id = t.pipeline_id"
	 " RETURNING s.name, s.is_closed",
	 2},
	{NULL},
};

/*
 * Design. A reply or a note is one transaction through conv_add (conversation.c): the thread row
 * locked, the message with its files, the times and timeline entries, and for a reply the emails
 * to the customer in the portal's language; then the audit row; 303 only after COMMIT. Each form
 * carries a one-time nonce (messages.reply_nonce is UNIQUE): a second POST of the same form
 * stores nothing, is rolled back and answered like the first, so a double submit never makes
 * two messages or two emails. A note touches neither time nor mail: nothing a customer can see
 * changes. A stage change locks the thread and the ticket, stamps closed_at when the new stage
 * is closed and clears it when it is open.
 */

/* Read body and nonce; on invalid input re-render the thread (422). 0 ok, else the status. */
static int read_body(struct ctx *c, const char *which, const char **body, const char **nonce)
{
	*nonce = request_form(c->req, "nonce");
	if (!token_well_formed(*nonce))
		return 400; /* every form of the thread page carries one */
	struct form f;
	form_init(&f, "en");
	*body = form_text(&f, c->req, "body", 1, INBOX_MAX_BODY, 1, 1);
	if (f.nerrors) {
		const char *raw = request_form(c->req, "body");
		int too_long = raw && utf8_length(raw) > INBOX_MAX_BODY;
		json_object_object_del(f.errors, "body");
		f.nerrors = 0;
		form_message(&f, "body", too_long ? "This is over 20000 characters. Shorten it."
				   : strcmp(which, "reply") == 0 ? "Write a reply before sending."
								 : "Write the note before saving.");
		return admin_inbox_thread_render(c, c->caps.v[0], 422, which, &f);
	}
	form_free(&f);
	return *body ? 0 : 500;
}

static int redirect_thread(struct ctx *c, const char *query)
{
	return page_redirect(c, 303, arena_printf(c->arena, "/admin/inbox/%s?%s#latest", c->caps.v[0], query));
}

/* A reply or note m: one transaction with its audit row (action), then 303 to the thread. */
static int post(struct ctx *c, const char *which, struct conv_msg *m, const char *action, const char *query)
{
	m->thread = c->caps.v[0];
	m->author = CONV_STAFF;
	m->author_id = c->staff.user_id;
	if (!admin_id(m->thread))
		return 404;
	int st = read_body(c, which, &m->body, &m->nonce);
	if (st)
		return st;
	if (db_begin() < 0)
		return 500;
	char owner[24];
	const char *pt[2] = {m->thread, staff_inboxes(c)};
	int got = db_exec_value("admin_inbox_lock", 2, pt, owner, sizeof owner); /* not of their inboxes: 404 */
	if (got != 1) {
		db_rollback();
		return got < 0 ? 500 : 404;
	}
	got = conv_add(c, m);
	if (got == 1) {
		struct json_object *after = json_object_new_object();
		json_object_object_add(after, "thread_id", json_object_new_string(m->thread_id));
		if (strcmp(m->ticket_id, "0") != 0)
			json_object_object_add(after, "ticket_id", json_object_new_string(m->ticket_id));
		json_object_object_add(after, "message_id", json_object_new_string(m->message_id));
		if (m->mailed_to)
			json_object_object_add(after, "mailed_to", json_object_get(m->mailed_to));
		if (admin_audit(c, action, NULL, NULL, after) < 0)
			got = -1;
	}
	json_object_put(m->mailed_to);
	got = conv_end(got);
	if (got == -2)
		return 404;
	if (got < 0)
		return 500;
	if (got == 0)
		log_msg(LOG_INFO, "inbox: repeated %s form for thread %s, nothing stored", which, m->thread);
	return redirect_thread(c, query);
}

int admin_inbox_reply(struct ctx *c)
{
	struct conv_msg m = {.kind = CONV_MESSAGE, .file_field = "files", .engagement = "email",
			     .notify = CONV_NOTIFY_CUSTOMER};
	return post(c, "reply", &m, "inbox_reply", "notice=sent");
}

int admin_inbox_note(struct ctx *c)
{
	struct conv_msg m = {.kind = CONV_NOTE, .engagement = "note"};
	return post(c, "note", &m, "inbox_note", "saved=1");
}

/* The thread page again (422) with the stage form's value and its message. */
static int stage_refused(struct ctx *c, const char *value)
{
	struct form f;
	form_init(&f, "en");
	json_object_object_add(f.values, "stage_id", json_object_new_string(value ? value : ""));
	form_message(&f, "stage_id", "Choose a stage of this ticket's pipeline.");
	return admin_inbox_thread_render(c, c->caps.v[0], 422, "stage", &f);
}

/* 0 ok with the stage id in out, or the status after re-rendering with the error (422). */
static int read_stage(struct ctx *c, char *out, size_t cap)
{
	const char *v = request_form(c->req, "stage_id");
	if (!admin_id(v))
		return stage_refused(c, v);
	snprintf(out, cap, "%s", v);
	return 0;
}

static struct json_object *stage_json(const char *ticket, const char *stage, int closed)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "ticket_id", json_object_new_string(ticket));
	json_object_object_add(o, "stage", json_object_new_string(stage));
	json_object_object_add(o, "closed", json_object_new_boolean(closed));
	return o;
}

int admin_inbox_stage(struct ctx *c)
{
	const char *thread = c->caps.v[0];
	char stage[24], ticket[24];
	if (!admin_id(thread))
		return 404;
	int st = read_stage(c, stage, sizeof stage);
	if (st)
		return st;
	if (db_begin() < 0)
		return 500;
	const char *pt[2] = {thread, staff_inboxes(c)};
	int found = db_exec_value("admin_inbox_lock", 2, pt, ticket, sizeof ticket);
	if (found != 1 || strcmp(ticket, "0") == 0) {
		db_rollback();
		return found < 0 ? 500 : 404; /* no thread, or no ticket to change */
	}
	const char *pl[1] = {ticket};
	PGresult *r = db_exec("admin_inbox_lock_ticket", 1, pl);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		db_rollback();
		return r ? 404 : 500;
	}
	int same = strcmp(PQgetvalue(r, 0, 0), stage) == 0;
	struct json_object *before = stage_json(ticket, PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2)[0] == 't');
	PQclear(r);
	if (same) { /* nothing to change */
		json_object_put(before);
		db_rollback();
		return redirect_thread(c, "saved=1");
	}
	const char *ps[2] = {ticket, stage};
	r = db_exec("admin_inbox_set_stage", 2, ps);
	if (!r || PQntuples(r) != 1) {
		int bad = r != NULL; /* a stage of another pipeline, or none */
		PQclear(r);
		json_object_put(before);
		db_rollback();
		if (!bad)
			return 500;
		return stage_refused(c, stage);
	}
	int closing = !json_object_get_boolean(json_object_object_get(before, "closed")) &&
		      PQgetvalue(r, 0, 1)[0] == 't';
	struct json_object *after = stage_json(ticket, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1)[0] == 't');
	PQclear(r);
	if (closing && conv_ticket_closed(c, ticket) < 0) { /* ticket_closed to its contacts */
		json_object_put(before);
		json_object_put(after);
		db_rollback();
		return 500;
	}
	if (admin_audit(c, "ticket_stage", NULL, before, after) < 0) {
		db_rollback();
		return 500;
	}
	if (db_commit() < 0)
		return 500;
	return redirect_thread(c, "saved=1");
}
