/* conversation.c - adding a message to a conversation and creating a ticket with its first
 * message: every writer of messages goes through here. No URL of its own: see conversation.h
 * for who calls it (and conversation_read.c for the reader). */
#include "conversation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mail_tokens.h"
#include "outbox.h"

#define CONV_SUMMARY 140     /* code points of a timeline entry */
#define CONV_RECIPIENTS 20 /* as conv_recipients' LIMIT */

/*
 * Design. Every row of a message is written here, in the caller's transaction: the thread
 * (locked, FOR UPDATE, so that two writers of one thread queue), the message (ON CONFLICT of
 * its nonce it inserts nothing and conv_add answers 0 before anything else is written), the
 * files (content-addressed, file_store) and their rows, the thread's and ticket's times (not
 * for a note), the timeline entries, and the notifications in mail_outbox. A new ticket is its
 * rows and then, when it has one, its first message through conv_add.
 */
const struct db_stmt conversation_stmts[] = {
	/* a ticket without a thread: lock it, then create the thread unless a concurrent writer
	 * created one since (a new statement sees what committed while we waited) */
	{"conv_lock_ticket", "SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE", 1},
	{"conv_thread_new",
	 "WITH ex AS (SELECT ticket_latest_thread($1) AS id),"
	 " ins AS (INSERT INTO threads (ticket_id, inbox_id, channel)"
	 "   SELECT $1, $2, $3 FROM ex WHERE ex.id IS NULL RETURNING id)"
	 " SELECT id FROM ins UNION ALL SELECT id FROM ex WHERE id IS NOT NULL",
	 3},
	{"conv_thread",
	 "SELECT coalesce(th.ticket_id, 0) AS ticket, coalesce(t.subject, '') AS subject,"
	 " (SELECT a.address FROM inbox_addresses a WHERE a.inbox_id = th.inbox_id AND a.connected"
	 "   ORDER BY a.is_primary DESC, a.id LIMIT 1) AS address, th.inbox_id"
	 " FROM threads th LEFT JOIN tickets t ON t.id = th.ticket_id WHERE th.id = $1 FOR UPDATE OF th",
	 1},
	/* whom an agent's reply goes to, with whether the portal shows them the ticket: the ticket's
	 * contacts, else the author of the first incoming message, else the address it came from */
	{"conv_recipients",
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
	/* a contact's message comes from their address */
	{"conv_message",
	 "INSERT INTO messages (thread_id, direction, kind, author_contact_id, author_user_id,"
	 " from_address, to_addresses, body, reply_nonce, mail_message_id, body_original, author_token_id)"
	 " VALUES ($1, $2, $3, $4, $5, coalesce($6, (SELECT email FROM contacts WHERE id = $4)),"
	 "  $7::text[], $8, $9, $10, $11, $12)"
	 " ON CONFLICT DO NOTHING RETURNING id",
	 12},
	{"conv_attachments",
	 "INSERT INTO attachments (message_id, file_name, content_type, size_bytes, sha256)"
	 " SELECT $1, x.file_name, x.content_type, x.size_bytes, x.sha256"
	 " FROM json_to_recordset($2::json)"
	 "  AS x (file_name text, content_type text, size_bytes bigint, sha256 text)",
	 2},
	/* the thread's and ticket's times ($6), one timeline entry per contact (or one) */
	{"conv_touch",
	 "WITH th AS (UPDATE threads SET last_message_at = greatest(last_message_at, now())"
	 "   WHERE id = $1 AND $6::boolean),"
	 " tk AS (UPDATE tickets SET last_activity_at = greatest(last_activity_at, now())"
	 "   WHERE id = $2 AND $6::boolean)"
	 " INSERT INTO engagements (kind, contact_id, ticket_id, message_id, summary)"
	 " SELECT $7, x, $2, $3, $4"
	 " FROM unnest(coalesce(nullif($5::bigint[], '{}'), ARRAY[NULL::bigint])) x",
	 7},
	/* twin POSTs of one nonce queue here; the second then sees the first one's message */
	{"conv_nonce_lock", "SELECT pg_advisory_xact_lock(hashtextextended('ticket_new:' || $1, 0))", 1},
	{"conv_nonce_ticket",
	 "SELECT coalesce(th.ticket_id, 0), m.author_contact_id IS NOT DISTINCT FROM $2::bigint"
	 " FROM messages m JOIN threads th ON th.id = m.thread_id WHERE m.reply_nonce = $1",
	 2},
	{"conv_ticket",
	 "WITH s AS (SELECT id, pipeline_id, is_closed FROM pipeline_stages WHERE id = $4),"
	 " ct AS (SELECT id, primary_company_id FROM contacts WHERE id = $6),"
	 " t AS (INSERT INTO tickets (subject, description, priority, pipeline_id, stage_id, closed_at,"
	 "   properties)"
	 "   SELECT $1, $2, nullif($3, ''), s.pipeline_id, s.id, CASE WHEN s.is_closed THEN now() END,"
	 "   coalesce($5::jsonb, '{}') FROM s, ct RETURNING id),"
	 " tc AS (INSERT INTO ticket_contacts (ticket_id, contact_id) SELECT t.id, ct.id FROM t, ct),"
	 " tco AS (INSERT INTO ticket_companies (ticket_id, company_id)"
	 "   SELECT t.id, coalesce($7::bigint, ct.primary_company_id) FROM t, ct"
	 "   WHERE coalesce($7::bigint, ct.primary_company_id) IS NOT NULL),"
	 " e AS (INSERT INTO engagements (kind, contact_id, ticket_id, summary)"
	 "   SELECT 'ticket_created', ct.id, t.id, $8::text FROM t, ct WHERE $8::text IS NOT NULL)"
	 " SELECT id FROM t",
	 8},
	/* the staff users an inbox notifies (none chosen: every one), never at an address mail
	 * comes in on (that would mail the team's own inbox, and the gateway) */
	{"conv_staff",
	 "SELECT u.email, u.name FROM staff_users u"
	 " WHERE (NOT EXISTS (SELECT 1 FROM inbox_staff s WHERE s.inbox_id = $1)"
	 "   OR EXISTS (SELECT 1 FROM inbox_staff s WHERE s.inbox_id = $1 AND s.staff_user_id = u.id))"
	 " AND NOT EXISTS (SELECT 1 FROM inbox_addresses a WHERE a.connected AND lower(a.address) = lower(u.email))"
	 " ORDER BY u.id LIMIT 50",
	 1},
	/* a ticket that was closed: its subject and the thread the portal shows, with that thread's
	 * inbox address */
	{"conv_closed_ticket",
	 "SELECT t.subject, coalesce(x.id, 0) AS thread,"
	 " (SELECT a.address FROM threads th JOIN inbox_addresses a ON a.inbox_id = th.inbox_id"
	 "   WHERE th.id = x.id AND a.connected ORDER BY a.is_primary DESC, a.id LIMIT 1) AS address"
	 " FROM tickets t LEFT JOIN LATERAL (SELECT ticket_latest_thread(t.id) AS id) x ON true WHERE t.id = $1",
	 1},
	{"conv_ticket_contacts",
	 "SELECT c.id, c.email, c.first_name,"
	 "  EXISTS (SELECT 1 FROM portal_visible_tickets($2, c.id, 'all') v WHERE v.id = $1)"
	 " FROM ticket_contacts x JOIN contacts c ON c.id = x.contact_id WHERE x.ticket_id = $1"
	 " ORDER BY c.id LIMIT 20",
	 2},
	{NULL, NULL, 0},
};

/* The first n code points of s on one line (a line break or tab is one space, CRLF too). */
static const char *first_chars(struct ctx *c, const char *s, size_t n)
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
	const char *out = b.oom ? NULL : arena_strdup(c->arena, b.data ? b.data : "");
	buf_free(&b);
	return out;
}

static const char *author_email(const struct ctx *c, const struct conv_msg *m)
{
	if (m->author_email || m->author == CONV_MAIL || m->author == CONV_TOKEN)
		return m->author_email ? m->author_email : m->from ? m->from : "";
	return m->author == CONV_STAFF ? c->staff.email : c->sess.email;
}

static const char *author_name(const struct ctx *c, const struct conv_msg *m)
{
	if (m->author_name || m->author == CONV_MAIL)
		return m->author_name && m->author_name[0] ? m->author_name : author_email(c, m);
	if (m->author == CONV_STAFF)
		return c->staff.name[0] ? c->staff.name : c->staff.email;
	return c->sess.name[0] ? c->sess.name : c->sess.email;
}

/* The language customers of this portal read: its primary domain's. */
static const char *portal_lang(struct ctx *c)
{
	const char *lang = c->lang;
	const struct portal *p = settings_portal_for_host(settings_primary_host(c->portal), &lang);
	return p == c->portal && lang ? lang : c->lang;
}

/* The state of one message being written. */
struct conv_state {
	struct conv_msg *m;
	const char *subject, *address; /* the ticket's subject; the inbox's primary address (NULL: none) */
	const char *inbox;             /* the thread's inbox */
	int new_ticket;                /* the first message of a ticket conv_ticket is creating */
	const struct upload **files;
	struct recipient {
		const char *contact, *email, *first_name;
		int sees_ticket;
	} rc[CONV_RECIPIENTS];
	int nrc;
};

static int tied(const struct conv_state *st)
{
	return strcmp(st->m->ticket_id, "0") != 0;
}

size_t conv_files(const struct ctx *c, const char *field)
{
	if (!c->req)
		return 0;
	size_t n = 0;
	for (size_t i = 0; field && i < c->req->nfiles; i++)
		n += strcmp(c->req->files[i].field, field) == 0;
	return n;
}

/* Find (or make) the thread and lock it. 1, -1 error, -2 no such thread. */
static int lock_thread(struct ctx *c, struct conv_state *st)
{
	struct conv_msg *m = st->m;
	if (!m->thread || strcmp(m->thread, "0") == 0) {
		const char *pl[1] = {m->ticket}, *pt[3] = {m->ticket, m->inbox, m->channel};
		PGresult *r = db_exec("conv_lock_ticket", 1, pl);
		int locked = r && PQntuples(r) == 1;
		PQclear(r);
		if (!locked || db_exec_value("conv_thread_new", 3, pt, m->thread_id, sizeof m->thread_id) != 1)
			return -1;
	} else {
		snprintf(m->thread_id, sizeof m->thread_id, "%s", m->thread);
	}
	const char *p[1] = {m->thread_id};
	PGresult *r = db_exec("conv_thread", 1, p);
	if (!r)
		return -1;
	int found = PQntuples(r) == 1;
	if (found) {
		snprintf(m->ticket_id, sizeof m->ticket_id, "%s", PQgetvalue(r, 0, 0));
		st->subject = arena_strdup(c->arena, PQgetvalue(r, 0, 1));
		st->address = PQgetisnull(r, 0, 2) ? NULL : arena_strdup(c->arena, PQgetvalue(r, 0, 2));
		st->inbox = arena_strdup(c->arena, PQgetvalue(r, 0, 3));
	}
	PQclear(r);
	return found ? 1 : -2;
}

/* The uploads of the message's field, into st->files. 0 or -1. */
static int collect_files(struct ctx *c, struct conv_state *st)
{
	size_t n = st->m->files ? st->m->files_n : conv_files(c, st->m->file_field);
	st->files = arena_alloc(c->arena, (n ? n : 1) * sizeof *st->files);
	if (!st->files)
		return -1;
	st->m->nfiles = 0;
	if (st->m->files) {
		for (size_t i = 0; i < n; i++)
			st->files[st->m->nfiles++] = &st->m->files[i];
		return 0;
	}
	for (size_t i = 0; i < c->req->nfiles && n; i++)
		if (strcmp(c->req->files[i].field, st->m->file_field) == 0)
			st->files[st->m->nfiles++] = &c->req->files[i];
	return 0;
}

/* The recipients of statement stmt ($1 = the thread or ticket, $2 = the portal) into rc[]. */
static int recipients(struct ctx *c, const char *stmt, const char *id, struct recipient *rc, int *nrc)
{
	const char *p[2] = {id, arena_printf(c->arena, "%ld", c->portal->id)};
	PGresult *r = db_exec(stmt, 2, p);
	if (!r)
		return -1;
	*nrc = PQntuples(r) < CONV_RECIPIENTS ? PQntuples(r) : CONV_RECIPIENTS;
	for (int i = 0; i < *nrc; i++) {
		rc[i].contact = arena_strdup(c->arena, PQgetvalue(r, i, 0));
		rc[i].email = arena_strdup(c->arena, PQgetvalue(r, i, 1));
		rc[i].first_name = arena_strdup(c->arena, PQgetvalue(r, i, 2));
		rc[i].sees_ticket = PQgetvalue(r, i, 3)[0] == 't';
	}
	PQclear(r);
	return 0;
}

static int load_recipients(struct ctx *c, struct conv_state *st)
{
	return recipients(c, "conv_recipients", st->m->thread_id, st->rc, &st->nrc);
}

/* The message row. 1, 0 (its nonce was used), -1. */
static int insert_message(struct ctx *c, struct conv_state *st, const char *to)
{
	struct conv_msg *m = st->m;
	int staff = m->author == CONV_STAFF, note = m->kind == CONV_NOTE, mail = m->author == CONV_MAIL;
	int token = m->author == CONV_TOKEN, team = staff || token;
	const char *author = m->author_id > 0 ? arena_printf(c->arena, "%ld", m->author_id) : NULL;
	const char *from = mail ? m->from : team && !note ? st->address : NULL;
	const char *p[12] = {m->thread_id, team ? "outgoing" : "incoming", note ? "note" : "message",
			     team ? NULL : author, staff ? author : NULL, from, mail && m->to ? m->to : to,
			     m->body, m->nonce, mail ? m->mail_message_id : NULL,
			     mail ? m->body_original : NULL, token ? author : NULL};
	return db_exec_value("conv_message", 12, p, m->message_id, sizeof m->message_id);
}

/* The files on disk and their rows. 0 or -1. */
static int store_files(const struct conv_state *st)
{
	struct json_object *list = json_object_new_array();
	for (size_t i = 0; i < st->m->nfiles; i++) {
		const struct upload *up = st->files[i];
		char sha[65];
		if (file_store(up, sha) < 0) {
			json_object_put(list);
			return -1;
		}
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "file_name", json_object_new_string(up->filename));
		json_object_object_add(o, "content_type", json_object_new_string(up->content_type));
		json_object_object_add(o, "size_bytes", json_object_new_int64((int64_t)up->len));
		json_object_object_add(o, "sha256", json_object_new_string(sha));
		json_object_array_add(list, o);
	}
	const char *p[2] = {st->m->message_id, json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN)};
	PGresult *r = db_exec("conv_attachments", 2, p);
	json_object_put(list);
	PQclear(r);
	return r ? 0 : -1;
}

/* The file names, ", " between them. */
static const char *file_names(struct ctx *c, const struct conv_state *st)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < st->m->nfiles; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", st->files[i]->filename);
	const char *out = b.oom ? NULL : arena_strdup(c->arena, b.data ? b.data : "");
	buf_free(&b);
	return out;
}

/* Times and timeline entries: one per contact (the author, or the recipients), or one. */
static int touch(struct ctx *c, struct conv_state *st, const char *contacts)
{
	struct conv_msg *m = st->m;
	const char *summary = m->summary;
	if (!summary && m->kind == CONV_NOTE)
		summary = arena_printf(c->arena, "Note by %s", author_name(c, m));
	if (!summary) {
		const char *text = m->body[0] || !m->nfiles ? m->body : file_names(c, st);
		summary = text ? first_chars(c, text, CONV_SUMMARY) : NULL;
	}
	const char *p[7] = {m->thread_id, tied(st) ? m->ticket_id : NULL, m->message_id, summary,
			    contacts, m->kind == CONV_NOTE ? "false" : "true", m->engagement};
	PGresult *r = summary ? db_exec("conv_touch", 7, p) : NULL;
	PQclear(r);
	return r ? 0 : -1;
}

/*
 * Notifications. Every one goes through outbox_send (outbox.c: the portal's switch, its edited
 * text, the threading headers) From the inbox's primary connected address with the portal's name;
 * customers' mail carries the per-ticket Reply-To (mail_tokens.h) so that answering it adds to
 * the ticket, starts with the reply marker line and is in the portal's language. Nothing here
 * reads the request or the session beyond author_name/author_email (which CONV_MAIL does not
 * take from the session): the mail gateway comes through here with neither.
 */

/* A mail about ticket (thread) from address to `to`; reply_to only for customers. */
static int notify(struct ctx *c, const char *name, const char *lang, const char *to, const char *address,
		  const char *ticket, const char *thread, int customer, struct json_object *data)
{
	int tied_ticket = ticket && strcmp(ticket, "0") != 0;
	const struct outbox_mail o = {
		.portal_id = c->portal->id, .lang = lang, .to = to, .name = name, .data = data,
		.from_address = address, .from_name = c->portal->name,
		.reply_to = customer && address && tied_ticket ? reply_address(c->arena, address, ticket) : NULL,
		.ticket = ticket, .thread = thread,
	};
	int rc = outbox_send(&o);
	json_object_put(data);
	return rc < 0 ? -1 : 0;
}

/* What every customer mail about a ticket says: names, the ticket, and its link when the portal
 * shows the ticket to that contact (a signed link that signs them in to it). */
static struct json_object *customer_data(struct ctx *c, const struct recipient *rc, const char *ticket,
					 const char *subject)
{
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "portal_name", json_object_new_string(c->portal->name));
	json_object_object_add(d, "name", json_object_new_string(rc->first_name));
	if (ticket && strcmp(ticket, "0") != 0) {
		json_object_object_add(d, "has_ticket", json_object_new_boolean(1));
		json_object_object_add(d, "ticket_id", json_object_new_string(ticket));
		json_object_object_add(d, "subject", json_object_new_string(subject));
		long contact = strtol(rc->contact, NULL, 10);
		const char *link = rc->sees_ticket && contact > 0 ? ticket_link_url(c, contact, ticket) : NULL;
		if (link)
			json_object_object_add(d, "link", json_object_new_string(link));
	}
	return d;
}

int conv_mail_staff(struct ctx *c, const char *inbox, const char *name, const char *address,
		    const char *ticket, const char *thread, struct json_object *data)
{
	const char *p[1] = {inbox};
	PGresult *r = db_exec("conv_staff", 1, p);
	if (!r)
		return -1;
	const char *lang = portal_lang(c);
	json_object_object_add(data, "portal_name", json_object_new_string(c->portal->name));
	int rc = 0;
	for (int k = 0; rc == 0 && k < PQntuples(r); k++) {
		struct json_object *d = NULL;
		if (json_object_deep_copy(data, &d, NULL) < 0) {
			rc = -1;
			break;
		}
		json_object_object_add(d, "staff_name", json_object_new_string(PQgetvalue(r, k, 1)));
		rc = notify(c, name, lang, PQgetvalue(r, k, 0), address, ticket, thread, 0, d);
	}
	PQclear(r);
	return rc;
}

/* staff_new_ticket or staff_customer_reply to the inbox's staff users: who wrote what on which
 * ticket, the file names, and a link to the thread in the console. */
static int mail_staff(struct ctx *c, const struct conv_state *st)
{
	const struct conv_msg *m = st->m;
	struct json_object *data = json_object_new_object(), *names = json_object_new_array();
	json_object_object_add(data, "has_ticket", json_object_new_boolean(tied(st)));
	json_object_object_add(data, "ticket_id", json_object_new_string(m->ticket_id));
	json_object_object_add(data, "subject", json_object_new_string(st->subject));
	json_object_object_add(data, "name", json_object_new_string(author_name(c, m)));
	json_object_object_add(data, "email", json_object_new_string(author_email(c, m)));
	json_object_object_add(data, "body", json_object_new_string(m->body));
	for (size_t i = 0; i < m->nfiles; i++)
		json_object_array_add(names, json_object_new_string(st->files[i]->filename));
	json_object_object_add(data, "files", names);
	json_object_object_add(data, "has_files", json_object_new_boolean(m->nfiles > 0));
	json_object_object_add(data, "link", json_object_new_string(arena_printf(c->arena,
		"%s/admin/inbox/%s", portal_base_url(c), m->thread_id)));
	int rc = conv_mail_staff(c, st->inbox, st->new_ticket ? "staff_new_ticket" : "staff_customer_reply",
				 st->address, m->ticket_id, m->thread_id, data);
	json_object_put(data);
	return rc;
}

/* agent_reply to one recipient. */
static int mail_customer(struct ctx *c, const struct conv_state *st, const struct recipient *rc)
{
	const struct conv_msg *m = st->m;
	struct json_object *d = customer_data(c, rc, tied(st) ? m->ticket_id : NULL, st->subject);
	json_object_object_add(d, "agent", json_object_new_string(author_name(c, m)));
	json_object_object_add(d, "body", json_object_new_string(m->body));
	return notify(c, "agent_reply", portal_lang(c), rc->email, st->address, m->ticket_id, m->thread_id, 1, d);
}

/* ticket_created to the requester of a new ticket: the confirmation, with what they wrote when
 * they wrote it on the portal. A ticket opened by mail is confirmed without its text: its From
 * can be forged, and we would be mailing a stranger's words to whoever it names. */
static int mail_confirm(struct ctx *c, const struct conv_state *st, const struct recipient *rc)
{
	const struct conv_msg *m = st->m;
	struct json_object *d = customer_data(c, rc, m->ticket_id, st->subject);
	if (m->author != CONV_MAIL)
		json_object_object_add(d, "body", json_object_new_string(m->body));
	return notify(c, "ticket_created", portal_lang(c), rc->email, st->address, m->ticket_id, m->thread_id, 1, d);
}

int conv_ticket_closed(struct ctx *c, const char *ticket)
{
	const char *p[1] = {ticket};
	PGresult *r = db_exec("conv_closed_ticket", 1, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return r ? 0 : -1;
	}
	const char *subject = arena_strdup(c->arena, PQgetvalue(r, 0, 0));
	const char *thread = arena_strdup(c->arena, PQgetvalue(r, 0, 1));
	const char *address = PQgetisnull(r, 0, 2) ? NULL : arena_strdup(c->arena, PQgetvalue(r, 0, 2));
	PQclear(r);
	struct recipient rc[CONV_RECIPIENTS];
	int n = 0;
	if (recipients(c, strcmp(thread, "0") != 0 ? "conv_recipients" : "conv_ticket_contacts",
		       strcmp(thread, "0") != 0 ? thread : ticket, rc, &n) < 0)
		return -1;
	int rate = ticket_rating_offered(c, ticket); /* the rating links (ticket_rating.c) */
	if (rate < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct json_object *d = customer_data(c, &rc[i], ticket, subject);
		long contact = strtol(rc[i].contact, NULL, 10);
		const char *good = rate && rc[i].sees_ticket && contact > 0 ? rating_url(c, contact, ticket, "good") : NULL;
		const char *bad = good ? rating_url(c, contact, ticket, "bad") : NULL;
		if (good && bad) {
			json_object_object_add(d, "good_url", json_object_new_string(good));
			json_object_object_add(d, "bad_url", json_object_new_string(bad));
		}
		if (notify(c, "ticket_closed", portal_lang(c), rc[i].email, address, ticket, thread, 1, d) < 0)
			return -1;
	}
	return 0;
}

/* Who the message is to (a staff message from the team's address names its recipients) and
 * which contacts' timelines it is on, as array literals; the addresses mailed into mailed_to. */
static void addressees(struct ctx *c, struct conv_state *st, struct buf *to, struct buf *ids)
{
	struct conv_msg *m = st->m;
	buf_puts(to, "{");
	buf_puts(ids, "{");
	if ((m->author == CONV_CONTACT || m->author == CONV_MAIL) && m->author_id > 0)
		db_array_item(ids, arena_printf(c->arena, "%ld", m->author_id));
	for (int i = 0; m->mailed_to && i < st->nrc; i++) { /* recipients of an agent's reply */
		if (st->address)
			db_array_item(to, st->rc[i].email);
		if (strcmp(st->rc[i].contact, "0") != 0)
			db_array_item(ids, st->rc[i].contact);
		json_object_array_add(m->mailed_to, json_object_new_string(st->rc[i].email));
	}
	buf_puts(to, "}");
	buf_puts(ids, "}");
}

/* conv_add; new_ticket: the first message of a ticket conv_ticket is creating. */
static int add(struct ctx *c, struct conv_msg *m, int new_ticket)
{
	struct conv_state st = {.m = m, .new_ticket = new_ticket};
	int customer = (m->notify & CONV_NOTIFY_CUSTOMER) != 0;
	int confirm = new_ticket && (m->notify & CONV_NOTIFY_CONFIRM) && m->kind == CONV_MESSAGE;
	snprintf(m->message_id, sizeof m->message_id, "0");
	m->nfiles = 0;
	m->mailed_to = customer ? json_object_new_array() : NULL;
	int got = lock_thread(c, &st);
	if (got == 1 && (collect_files(c, &st) < 0 || ((customer || confirm) && load_recipients(c, &st) < 0)))
		got = -1;
	if (got != 1)
		return got;
	struct buf to = BUF_INIT, ids = BUF_INIT;
	addressees(c, &st, &to, &ids);
	got = to.oom || ids.oom ? -1 : insert_message(c, &st, to.data);
	if (got == 1 && ((m->nfiles && store_files(&st) < 0) || touch(c, &st, ids.data) < 0))
		got = -1;
	if (got == 1 && (m->notify & CONV_NOTIFY_STAFF) && m->kind == CONV_MESSAGE && mail_staff(c, &st) < 0)
		got = -1;
	for (int i = 0; got == 1 && customer && i < st.nrc; i++)
		if (mail_customer(c, &st, &st.rc[i]) < 0)
			got = -1;
	for (int i = 0; got == 1 && confirm && i < st.nrc; i++)
		if (mail_confirm(c, &st, &st.rc[i]) < 0)
			got = -1;
	buf_free(&to);
	buf_free(&ids);
	return got;
}

int conv_add(struct ctx *c, struct conv_msg *m)
{
	return add(c, m, 0);
}

int conv_ticket(struct ctx *c, struct conv_ticket *t, struct conv_msg *first)
{
	if (first && first->nonce) {
		const char *pn[2] = {first->nonce, t->contact};
		PGresult *r = db_exec("conv_nonce_lock", 1, pn);
		int locked = r != NULL;
		PQclear(r);
		if (!locked || !(r = db_exec("conv_nonce_ticket", 2, pn)))
			return -1;
		int used = PQntuples(r) > 0, mine = used && PQgetvalue(r, 0, 1)[0] == 't' &&
						   strcmp(PQgetvalue(r, 0, 0), "0") != 0;
		if (mine)
			snprintf(t->id, sizeof t->id, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		if (used)
			return mine ? 0 : -2;
	}
	const char *p[8] = {t->subject, t->description, t->priority, t->stage, t->properties,
			    t->contact, t->company, first ? NULL : t->summary};
	if (db_exec_value("conv_ticket", 8, p, t->id, sizeof t->id) != 1)
		return -1;
	if (!first)
		return 1;
	first->thread = NULL;
	first->ticket = t->id;
	int got = add(c, first, 1);
	return got == 0 ? -2 : got; /* 0: the nonce was taken since (not by a twin: they queue) */
}

int conv_end(int got)
{
	if (got != 1) {
		db_rollback();
		return got;
	}
	return db_commit() == 0 ? 1 : -1;
}
