/* ticket_reply.c - POST /<slug>/<id>/reply: a customer's reply with attachments (one transaction). */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "token.h"

#define REPLY_MAX_BODY 20000 /* code points */
#define REPLY_SUMMARY 140    /* code points of the timeline entry */
#define REPLY_FILE_FIELD "files"

/*
 * Design. Who may see a ticket is portal_visible_tickets() (sql/003_tickets.sql); the reply asks
 * it in the same query that reads the ticket's state.
 *
 * A reply is one transaction, answered with 303 only after COMMIT: the message (its nonce is
 * UNIQUE, so a second POST of the same form inserts nothing and is rolled back), the files,
 * their rows, the thread's and ticket's times, the timeline entry and the inbox notification.
 * Files are kept by file_store (files.c).
 */
const struct db_stmt ticket_reply_stmts[] = {
	/* the ticket as the customer may see it: closed?, latest thread, where a notice goes */
	{"reply_ticket",
	 "SELECT t.subject, s.is_closed, coalesce(th.id, 0),"
	 " coalesce(th.inbox_id, p.default_inbox_id, 0),"
	 " (SELECT a.address FROM inbox_addresses a"
	 "   WHERE a.inbox_id = coalesce(th.inbox_id, p.default_inbox_id) AND a.connected"
	 "   ORDER BY a.id LIMIT 1)"
	 " FROM portal_visible_tickets($1, $2, 'all') t"
	 " JOIN pipeline_stages s ON s.id = t.stage_id JOIN portals p ON p.id = $1"
	 " LEFT JOIN threads th ON th.id = ticket_latest_thread(t.id)"
	 " WHERE t.id = $3",
	 3},
	/* a ticket without a thread: lock it, then create the portal thread unless a concurrent
	 * reply created one since (a new statement sees what committed while we waited) */
	{"reply_lock_ticket", "SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE", 1},
	{"reply_thread",
	 "WITH ex AS (SELECT ticket_latest_thread($1) AS id),"
	 " ins AS (INSERT INTO threads (ticket_id, inbox_id, channel)"
	 "   SELECT $1, $2, 'portal' FROM ex WHERE ex.id IS NULL RETURNING id)"
	 " SELECT id FROM ins UNION ALL SELECT id FROM ex WHERE id IS NOT NULL",
	 2},
	{"reply_message",
	 "INSERT INTO messages (thread_id, direction, kind, author_contact_id, from_address,"
	 " to_addresses, body, reply_nonce)"
	 " VALUES ($1, 'incoming', 'message', $2, (SELECT email FROM contacts WHERE id = $2), '{}',"
	 "  $3, $4)"
	 " ON CONFLICT (reply_nonce) DO NOTHING RETURNING id",
	 4},
	{"reply_attachments",
	 "INSERT INTO attachments (message_id, file_name, content_type, size_bytes, sha256)"
	 " SELECT $1, x.file_name, x.content_type, x.size_bytes, x.sha256"
	 " FROM json_to_recordset($2::json)"
	 "  AS x (file_name text, content_type text, size_bytes bigint, sha256 text)",
	 2},
	{"reply_touch",
	 "WITH th AS (UPDATE threads SET last_message_at = greatest(last_message_at, now())"
	 "   WHERE id = $1),"
	 " tk AS (UPDATE tickets SET last_activity_at = greatest(last_activity_at, now())"
	 "   WHERE id = $2)"
	 " INSERT INTO engagements (kind, contact_id, ticket_id, message_id, summary)"
	 " VALUES ('portal_reply', $3, $2, $4, $5)",
	 5},
	{NULL, NULL, 0},
};

struct stored_file {
	const struct upload *up;
	char sha[65];
};

/* The first n code points of s on one line (a line break or tab is one space). */
static char *first_chars(struct arena *a, const char *s, size_t n)
{
	size_t len = strlen(s), o = 0, cps = 0;
	char *out = arena_alloc(a, len + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\r' && s[i + 1] == '\n')
			continue; /* CRLF: one space */
		if ((ch & 0xC0) != 0x80 && cps++ == n)
			break;
		out[o++] = (ch == '\r' || ch == '\n' || ch == '\t') ? ' ' : (char)ch;
	}
	out[o] = '\0';
	return out;
}

struct reply {
	const char *ticket, *body, *nonce, *subject, *inbox_address;
	char thread[24], inbox[24], message[24], contact[24];
	struct stored_file *files;
	size_t nfiles;
};

static struct json_object *file_list(const struct reply *rp)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < rp->nfiles; i++) {
		const struct upload *up = rp->files[i].up;
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "file_name", json_object_new_string(up->filename));
		json_object_object_add(o, "content_type", json_object_new_string(up->content_type));
		json_object_object_add(o, "size_bytes", json_object_new_int64((int64_t)up->len));
		json_object_object_add(o, "sha256", json_object_new_string(rp->files[i].sha));
		json_object_array_add(a, o);
	}
	return a;
}

static int notify_inbox(struct ctx *c, const struct reply *rp)
{
	struct json_object *data = json_object_new_object(), *names = json_object_new_array();
	json_object_object_add(data, "portal_name", json_object_new_string(c->portal->name));
	json_object_object_add(data, "ticket_id", json_object_new_string(rp->ticket));
	json_object_object_add(data, "subject", json_object_new_string(rp->subject));
	const char *name = c->sess.name[0] ? c->sess.name : c->sess.email;
	json_object_object_add(data, "name", json_object_new_string(name));
	json_object_object_add(data, "email", json_object_new_string(c->sess.email));
	json_object_object_add(data, "body", json_object_new_string(rp->body));
	for (size_t i = 0; i < rp->nfiles; i++)
		json_object_array_add(names, json_object_new_string(rp->files[i].up->filename));
	json_object_object_add(data, "files", names);
	json_object_object_add(data, "has_files", json_object_new_boolean(rp->nfiles > 0));
	int rc = outbox_queue(c->lang, rp->inbox_address, "inbox_reply", data);
	json_object_put(data);
	return rc;
}

/* Everything after the message row: files, their rows, times, timeline, notification. */
static int reply_rest(struct ctx *c, struct reply *rp)
{
	for (size_t i = 0; i < rp->nfiles; i++)
		if (file_store(rp->files[i].up, rp->files[i].sha) < 0)
			return -1;
	if (rp->nfiles) {
		struct json_object *list = file_list(rp);
		const char *json = json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN);
		const char *p[2] = {rp->message, json};
		PGresult *r = db_exec("reply_attachments", 2, p);
		json_object_put(list);
		if (!r)
			return -1;
		PQclear(r);
	}
	const char *summary = rp->body;
	if (!summary[0] && rp->nfiles) {
		struct buf b = BUF_INIT;
		for (size_t i = 0; i < rp->nfiles; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", rp->files[i].up->filename);
		summary = arena_strdup(c->arena, b.data ? b.data : "");
		buf_free(&b);
	}
	summary = first_chars(c->arena, summary ? summary : "", REPLY_SUMMARY);
	const char *pt[5] = {rp->thread, rp->ticket, rp->contact, rp->message, summary};
	PGresult *r = summary ? db_exec("reply_touch", 5, pt) : NULL;
	if (!r)
		return -1;
	PQclear(r);
	if (rp->inbox_address && notify_inbox(c, rp) < 0)
		return -1;
	return 0;
}

/* The transaction. 1 done, 0 a repeated POST of the same form (nothing stored), -1 error. */
static int reply_store(struct ctx *c, struct reply *rp)
{
	if (db_begin() < 0)
		return -1;
	if (strcmp(rp->thread, "0") == 0) {
		const char *pl[1] = {rp->ticket}, *pt[2] = {rp->ticket, rp->inbox};
		PGresult *r = db_exec("reply_lock_ticket", 1, pl);
		int locked = r && PQntuples(r) == 1;
		PQclear(r);
		if (!locked ||
		    db_exec_value("reply_thread", 2, pt, rp->thread, sizeof rp->thread) != 1) {
			db_rollback();
			return -1;
		}
	}
	const char *pm[4] = {rp->thread, rp->contact, rp->body, rp->nonce};
	int got = db_exec_value("reply_message", 4, pm, rp->message, sizeof rp->message);
	if (got <= 0) {
		db_rollback();
		return got;
	}
	if (reply_rest(c, rp) < 0) {
		db_rollback();
		return -1;
	}
	return db_commit() == 0 ? 1 : -1;
}

int ticket_reply(struct ctx *c)
{
	struct reply rp;
	char pid[24];
	memset(&rp, 0, sizeof rp);
	rp.ticket = c->caps.v[0];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	snprintf(rp.contact, sizeof rp.contact, "%ld", c->sess.contact_id);

	const char *pq[3] = {pid, rp.contact, rp.ticket};
	PGresult *r = db_exec("reply_ticket", 3, pq);
	if (!r)
		return 500;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 404; /* missing or not visible: the same answer */
	}
	int closed = PQgetvalue(r, 0, 1)[0] == 't';
	rp.subject = arena_strdup(c->arena, PQgetvalue(r, 0, 0));
	snprintf(rp.thread, sizeof rp.thread, "%s", PQgetvalue(r, 0, 2));
	snprintf(rp.inbox, sizeof rp.inbox, "%s", PQgetvalue(r, 0, 3));
	if (!PQgetisnull(r, 0, 4))
		rp.inbox_address = arena_strdup(c->arena, PQgetvalue(r, 0, 4));
	PQclear(r);
	if (closed)
		return 409;
	if (strcmp(rp.thread, "0") == 0 && strcmp(rp.inbox, "0") == 0) {
		log_msg(LOG_ERROR, "reply: ticket %s has no thread and portal %s no default inbox",
			rp.ticket, pid);
		return 500;
	}
	rp.nonce = request_form(c->req, "nonce");
	if (!token_well_formed(rp.nonce))
		return 400; /* every reply form carries one */

	struct form f;
	form_init(&f, c->lang);
	rp.files = arena_alloc(c->arena, (c->req->nfiles ? c->req->nfiles : 1) * sizeof *rp.files);
	if (!rp.files) {
		form_free(&f);
		return 500;
	}
	for (size_t i = 0; i < c->req->nfiles; i++) {
		if (strcmp(c->req->files[i].field, REPLY_FILE_FIELD) != 0)
			continue; /* only the declared input */
		rp.files[rp.nfiles].up = &c->req->files[i];
		rp.nfiles++;
	}
	rp.body = form_text(&f, c->req, "body", 0, REPLY_MAX_BODY, 1, 1);
	if (!rp.body && !f.nerrors) {
		form_free(&f);
		return 500; /* out of memory */
	}
	if (rp.body && !rp.body[0] && rp.nfiles == 0)
		form_error(&f, "body", "err_reply_empty");
	if (f.nerrors)
		return ticket_detail_render(c, rp.ticket, 422, &f);
	form_free(&f);

	int done = reply_store(c, &rp);
	if (done < 0)
		return 500;
	if (done > 0)
		audit(c, "member", c->sess.member_id, "reply",
		      arena_printf(c->arena,
				   "{\"ticket_id\": %s, \"message_id\": %s, \"files\": %zu}",
				   rp.ticket, rp.message, rp.nfiles));
	else
		log_msg(LOG_INFO, "reply: repeated form for ticket %s, nothing stored", rp.ticket);
	return page_redirect(c, 303, arena_printf(c->arena, "/%s/%s#latest", c->portal->ticket_slug,
						  rp.ticket));
}
