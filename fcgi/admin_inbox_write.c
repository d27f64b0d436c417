/* admin_inbox_write.c - what agents do in a thread: reply to the customer (portal + email),
 * add an internal note, change the ticket's stage; each one transaction with its audit row. */
#include "admin_inbox.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "token.h"

const struct db_stmt admin_inbox_write_stmts[] = {
	/* writes (admin_inbox_write.c): who a reply is mailed to, with whether the portal shows
	 * them the ticket: the ticket's contacts, else the author of the first incoming message,
	 * else the address it came from */
	{"admin_inbox_recipients",
	 "WITH th AS (SELECT id, ticket_id FROM threads WHERE id = $1),"
	 " tc AS (SELECT c.id, c.email, c.first_name FROM th JOIN ticket_contacts x ON x.ticket_id = th.ticket_id"
	 "   JOIN contacts c ON c.id = x.contact_id),"
	 " fi AS (SELECT m.author_contact_id, m.from_address FROM messages m JOIN th ON th.id = m.thread_id"
	 "   WHERE m.direction = 'incoming' AND m.kind = 'message' ORDER BY m.created_at, m.id LIMIT 1),"
	 " r AS (SELECT id, email, first_name FROM tc"
	 "   UNION ALL SELECT c.id, c.email, c.first_name FROM fi JOIN contacts c ON c.id = fi.author_contact_id"
	 "     WHERE NOT EXISTS (SELECT 1 FROM tc)"
	 "   UNION ALL SELECT NULL, fi.from_address, '' FROM fi WHERE fi.author_contact_id IS NULL"
	 "     AND fi.from_address ~ '^[^@[:space:]]+@[^@[:space:]]+$' AND NOT EXISTS (SELECT 1 FROM tc))"
	 " SELECT coalesce(r.id, 0), r.email, r.first_name,"
	 "  r.id IS NOT NULL AND EXISTS (SELECT 1 FROM th, portal_visible_tickets($2, r.id, 'all') v"
	 "   WHERE v.id = th.ticket_id)"
	 " FROM r ORDER BY r.id LIMIT 20",
	 2},
	{"admin_inbox_lock",
	 "SELECT coalesce(th.ticket_id, 0), coalesce(t.subject, ''), coalesce(s.name, ''),"
	 " coalesce(s.is_closed, false), coalesce(t.pipeline_id, 0), coalesce(t.stage_id, 0),"
	 " (SELECT a.address FROM inbox_addresses a WHERE a.inbox_id = th.inbox_id AND a.connected"
	 "   ORDER BY a.id LIMIT 1)"
	 " FROM threads th LEFT JOIN tickets t ON t.id = th.ticket_id"
	 " LEFT JOIN pipeline_stages s ON s.id = t.stage_id WHERE th.id = $1 FOR UPDATE OF th",
	 1},
	{"admin_inbox_lock_ticket",
	 "SELECT t.stage_id, s.name, s.is_closed FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id"
	 " WHERE t.id = $1 FOR UPDATE OF t",
	 1},
	{"admin_inbox_insert",
	 "INSERT INTO messages (thread_id, direction, kind, author_user_id, from_address, to_addresses,"
	 " body, reply_nonce) VALUES ($1, 'outgoing', $2, $3, $4, $5::text[], $6, $7)"
	 " ON CONFLICT (reply_nonce) DO NOTHING RETURNING id",
	 7},
	/* a public reply: thread and ticket times, one timeline entry per contact (or one) */
	{"admin_inbox_touch",
	 "WITH th AS (UPDATE threads SET last_message_at = greatest(last_message_at, now()) WHERE id = $1),"
	 " tk AS (UPDATE tickets SET last_activity_at = greatest(last_activity_at, now()) WHERE id = $2)"
	 " INSERT INTO engagements (kind, contact_id, ticket_id, message_id, summary)"
	 " SELECT 'email', x, $2, $3, $4"
	 " FROM unnest(coalesce(nullif($5::bigint[], '{}'), ARRAY[NULL::bigint])) x",
	 5},
	{"admin_inbox_note_engagement",
	 "INSERT INTO engagements (kind, ticket_id, message_id, summary) VALUES ('note', $1, $2, $3)", 3},
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

#define SUMMARY_CHARS 140 /* code points of a timeline entry */
#define MAX_RECIPIENTS 20

/*
 * Design. A reply or note carries a one-time nonce (messages.reply_nonce is UNIQUE): a second
 * POST of the same form inserts nothing, is rolled back and answered like the first, so a
 * double submit never makes two messages or two emails. A reply is one transaction: the
 * thread row is locked, the outgoing message (from the inbox's first connected address, so the
 * portal shows it), the thread's and ticket's times, the timeline entries, the emails to the
 * customer in the portal's language, and the audit row; 303 only after COMMIT. A note touches
 * neither time nor mail: nothing a customer can see changes. A stage change locks the ticket,
 * stamps closed_at when the new stage is closed and clears it when it is open.
 */

struct thread_state {
	const char *id;
	char ticket[24], pipeline[24], stage_id[24];
	const char *subject, *stage, *address; /* address: NULL when the inbox has none connected */
	int closed;
};

/* Lock the thread; 1 found, 0 missing, -1 error. */
static int lock_thread(struct ctx *c, struct thread_state *ts)
{
	const char *p[1] = {ts->id};
	PGresult *r = db_exec("admin_inbox_lock", 1, p);
	if (!r)
		return -1;
	int found = PQntuples(r) == 1;
	if (found) {
		snprintf(ts->ticket, sizeof ts->ticket, "%s", PQgetvalue(r, 0, 0));
		ts->subject = arena_strdup(c->arena, PQgetvalue(r, 0, 1));
		ts->stage = arena_strdup(c->arena, PQgetvalue(r, 0, 2));
		ts->closed = PQgetvalue(r, 0, 3)[0] == 't';
		snprintf(ts->pipeline, sizeof ts->pipeline, "%s", PQgetvalue(r, 0, 4));
		snprintf(ts->stage_id, sizeof ts->stage_id, "%s", PQgetvalue(r, 0, 5));
		ts->address = PQgetisnull(r, 0, 6) ? NULL : arena_strdup(c->arena, PQgetvalue(r, 0, 6));
	}
	PQclear(r);
	return found;
}

/* The first n code points of s on one line. */
static const char *summary_of(struct ctx *c, const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	size_t cps = 0;
	for (const char *q = s; *q; q++) {
		unsigned char ch = (unsigned char)*q;
		if (ch == '\r' && q[1] == '\n')
			continue;
		if ((ch & 0xC0) != 0x80 && cps++ == n)
			break;
		buf_putc(&b, ch == '\r' || ch == '\n' || ch == '\t' ? ' ' : (char)ch);
	}
	const char *out = arena_strdup(c->arena, b.data ? b.data : "");
	buf_free(&b);
	return out;
}

/* Append s to a PostgreSQL array literal being built in b ("{" so far, or items). */
static void array_item(struct buf *b, const char *s)
{
	if (b->len > 1)
		buf_putc(b, ',');
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static int tied(const struct thread_state *ts)
{
	return strcmp(ts->ticket, "0") != 0;
}

static const char *staff_name(const struct ctx *c)
{
	return c->staff.name[0] ? c->staff.name : c->staff.email;
}

/* The language customers of this portal read: its primary domain's. */
static const char *portal_lang(struct ctx *c)
{
	const char *lang = c->lang;
	const struct portal *p = settings_portal_for_host(settings_primary_host(c->portal), &lang);
	return p == c->portal && lang ? lang : c->lang;
}

struct recipient {
	const char *contact, *email, *first_name;
	int sees_ticket;
};

static int load_recipients(struct ctx *c, const char *thread, struct recipient *out, int cap)
{
	char pid[24];
	snprintf(pid, sizeof pid, "%ld", admin_portal_id(c));
	const char *p[2] = {thread, pid};
	PGresult *r = db_exec("admin_inbox_recipients", 2, p);
	if (!r)
		return -1;
	int n = PQntuples(r) < cap ? PQntuples(r) : cap;
	for (int i = 0; i < n; i++) {
		out[i].contact = arena_strdup(c->arena, PQgetvalue(r, i, 0));
		out[i].email = arena_strdup(c->arena, PQgetvalue(r, i, 1));
		out[i].first_name = arena_strdup(c->arena, PQgetvalue(r, i, 2));
		out[i].sees_ticket = PQgetvalue(r, i, 3)[0] == 't';
	}
	PQclear(r);
	return n;
}

static int mail_reply(struct ctx *c, const struct thread_state *ts, const struct recipient *rc,
		      const char *body)
{
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "portal_name", json_object_new_string(c->portal->name));
	json_object_object_add(d, "name", json_object_new_string(rc->first_name));
	json_object_object_add(d, "agent", json_object_new_string(staff_name(c)));
	json_object_object_add(d, "body", json_object_new_string(body));
	if (tied(ts)) {
		json_object_object_add(d, "has_ticket", json_object_new_boolean(1));
		json_object_object_add(d, "ticket_id", json_object_new_string(ts->ticket));
		json_object_object_add(d, "subject", json_object_new_string(ts->subject));
		if (rc->sees_ticket)
			json_object_object_add(d, "link", json_object_new_string(arena_printf(c->arena,
				"%s/%s/%s", portal_base_url(c), c->portal->ticket_slug, ts->ticket)));
	}
	int rcode = outbox_queue(portal_lang(c), rc->email, "agent_reply", d);
	json_object_put(d);
	return rcode;
}

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

/* The reply's writes after the thread is locked; 1 stored, 0 repeated form, -1 error. */
static int store_reply(struct ctx *c, struct thread_state *ts, const char *body, const char *nonce)
{
	struct recipient rc[MAX_RECIPIENTS];
	int n = load_recipients(c, ts->id, rc, MAX_RECIPIENTS);
	if (n < 0)
		return -1;
	struct buf to = BUF_INIT, ids = BUF_INIT;
	struct json_object *sent = json_object_new_array();
	buf_puts(&to, "{");
	buf_puts(&ids, "{");
	for (int i = 0; i < n; i++) {
		if (ts->address) /* a mail from the team's address names its recipients */
			array_item(&to, rc[i].email);
		if (strcmp(rc[i].contact, "0") != 0)
			array_item(&ids, rc[i].contact);
		json_object_array_add(sent, json_object_new_string(rc[i].email));
	}
	buf_puts(&to, "}");
	buf_puts(&ids, "}");
	char uid[24], message[24];
	snprintf(uid, sizeof uid, "%ld", c->staff.user_id);
	int ok = !to.oom && !ids.oom;
	const char *pm[7] = {ts->id, "message", uid, ts->address, to.data, body, nonce};
	int got = ok ? db_exec_value("admin_inbox_insert", 7, pm, message, sizeof message) : -1;
	if (got == 1) {
		const char *ticket = tied(ts) ? ts->ticket : NULL;
		const char *pt[5] = {ts->id, ticket, message, summary_of(c, body, SUMMARY_CHARS), ids.data};
		PGresult *r = db_exec("admin_inbox_touch", 5, pt);
		got = r ? 1 : -1;
		PQclear(r);
		for (int i = 0; got == 1 && i < n; i++)
			if (mail_reply(c, ts, &rc[i], body) < 0)
				got = -1;
	}
	buf_free(&to);
	buf_free(&ids);
	if (got == 1) {
		struct json_object *after = json_object_new_object();
		json_object_object_add(after, "thread_id", json_object_new_string(ts->id));
		if (tied(ts))
			json_object_object_add(after, "ticket_id", json_object_new_string(ts->ticket));
		json_object_object_add(after, "message_id", json_object_new_string(message));
		json_object_object_add(after, "mailed_to", json_object_get(sent));
		if (admin_audit(c, "inbox_reply", NULL, NULL, after) < 0)
			got = -1;
	}
	json_object_put(sent);
	return got;
}

int admin_inbox_reply(struct ctx *c)
{
	struct thread_state ts = {.id = c->caps.v[0]};
	const char *body, *nonce;
	if (!admin_id(ts.id))
		return 404;
	int st = read_body(c, "reply", &body, &nonce);
	if (st)
		return st;
	if (db_begin() < 0)
		return 500;
	int found = lock_thread(c, &ts);
	int done = found == 1 ? store_reply(c, &ts, body, nonce) : found;
	if (done <= 0 || db_commit() < 0) {
		if (done <= 0)
			db_rollback();
		if (found == 0)
			return 404;
		if (done == 0) {
			log_msg(LOG_INFO, "inbox: repeated reply form for thread %s, nothing stored", ts.id);
			return redirect_thread(c, "notice=sent");
		}
		return 500;
	}
	return redirect_thread(c, "notice=sent");
}

int admin_inbox_note(struct ctx *c)
{
	struct thread_state ts = {.id = c->caps.v[0]};
	const char *body, *nonce;
	if (!admin_id(ts.id))
		return 404;
	int st = read_body(c, "note", &body, &nonce);
	if (st)
		return st;
	if (db_begin() < 0)
		return 500;
	int found = lock_thread(c, &ts), got = found;
	char uid[24], message[24];
	snprintf(uid, sizeof uid, "%ld", c->staff.user_id);
	if (found == 1) {
		const char *pm[7] = {ts.id, "note", uid, NULL, "{}", body, nonce};
		got = db_exec_value("admin_inbox_insert", 7, pm, message, sizeof message);
	}
	if (got == 1) {
		const char *ticket = tied(&ts) ? ts.ticket : NULL;
		const char *pe[3] = {ticket, message, arena_printf(c->arena, "Note by %s", staff_name(c))};
		PGresult *r = db_exec("admin_inbox_note_engagement", 3, pe);
		got = r ? 1 : -1;
		PQclear(r);
	}
	if (got == 1) {
		struct json_object *after = json_object_new_object();
		json_object_object_add(after, "thread_id", json_object_new_string(ts.id));
		if (tied(&ts))
			json_object_object_add(after, "ticket_id", json_object_new_string(ts.ticket));
		json_object_object_add(after, "message_id", json_object_new_string(message));
		if (admin_audit(c, "inbox_note", NULL, NULL, after) < 0)
			got = -1;
	}
	if (got <= 0 || db_commit() < 0) {
		if (got <= 0)
			db_rollback();
		if (found == 0)
			return 404;
		if (got == 0)
			return redirect_thread(c, "saved=1");
		return 500;
	}
	return redirect_thread(c, "saved=1");
}

/* 0 ok with the stage id in out, or the status after re-rendering with the error (422). */
static int read_stage(struct ctx *c, char *out, size_t cap)
{
	const char *v = request_form(c->req, "stage_id");
	if (admin_id(v)) {
		snprintf(out, cap, "%s", v);
		return 0;
	}
	struct form f;
	form_init(&f, "en");
	json_object_object_add(f.values, "stage_id", json_object_new_string(v ? v : ""));
	form_message(&f, "stage_id", "Choose a stage of this ticket's pipeline.");
	return admin_inbox_thread_render(c, c->caps.v[0], 422, "stage", &f);
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
	struct thread_state ts = {.id = c->caps.v[0]};
	char stage[24];
	if (!admin_id(ts.id))
		return 404;
	int st = read_stage(c, stage, sizeof stage);
	if (st)
		return st;
	if (db_begin() < 0)
		return 500;
	int found = lock_thread(c, &ts);
	if (found != 1 || !tied(&ts)) {
		db_rollback();
		return found < 0 ? 500 : 404; /* no thread, or no ticket to change */
	}
	const char *pl[1] = {ts.ticket};
	PGresult *r = db_exec("admin_inbox_lock_ticket", 1, pl);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		db_rollback();
		return r ? 404 : 500;
	}
	int same = strcmp(PQgetvalue(r, 0, 0), stage) == 0;
	struct json_object *before = stage_json(ts.ticket, PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2)[0] == 't');
	PQclear(r);
	if (same) { /* nothing to change */
		json_object_put(before);
		db_rollback();
		return redirect_thread(c, "saved=1");
	}
	const char *ps[2] = {ts.ticket, stage};
	r = db_exec("admin_inbox_set_stage", 2, ps);
	if (!r || PQntuples(r) != 1) {
		int bad = r != NULL; /* a stage of another pipeline, or none */
		PQclear(r);
		json_object_put(before);
		db_rollback();
		if (!bad)
			return 500;
		struct form f;
		form_init(&f, "en");
		json_object_object_add(f.values, "stage_id", json_object_new_string(stage));
		form_message(&f, "stage_id", "Choose a stage of this ticket's pipeline.");
		return admin_inbox_thread_render(c, ts.id, 422, "stage", &f);
	}
	struct json_object *after = stage_json(ts.ticket, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1)[0] == 't');
	PQclear(r);
	if (admin_audit(c, "ticket_stage", NULL, before, after) < 0) {
		db_rollback();
		return 500;
	}
	if (db_commit() < 0)
		return 500;
	return redirect_thread(c, "saved=1");
}
