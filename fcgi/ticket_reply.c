/* ticket_reply.c - POST /<slug>/<id>/reply: a customer's reply with attachments, one transaction
 * through the conversation writer (conversation.c). */
#include "conversation.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "ticket_cc.h"
#include "token.h"

#define REPLY_MAX_BODY 20000 /* code points */
#define REPLY_FILE_FIELD "files"

/*
 * Design. Who may see a ticket is portal_visible_tickets() (sql/functions/portal_visible_tickets.sql); the reply asks
 * it in the same query that reads the ticket's state. A reply is one transaction, answered with
 * 303 only after COMMIT: conv_add writes the message (to the ticket's latest thread, or a new
 * portal thread in the portal's default inbox), its files, the times, the timeline entry and the
 * inbox's notification; the audit row follows in the same transaction. A second POST of the same
 * form (its nonce) stores nothing and is answered like the first.
 */
const struct db_stmt ticket_reply_stmts[] = {
	/* the ticket as the customer may see it: closed?, latest thread, the inbox of a new one */
	{"reply_ticket",
	 "SELECT s.is_closed, coalesce(th.id, 0), coalesce(th.inbox_id, p.default_inbox_id, 0)"
	 " FROM portal_visible_tickets($1, $2, 'all') t"
	 " JOIN pipeline_stages s ON s.id = t.stage_id JOIN portals p ON p.id = $1"
	 " LEFT JOIN threads th ON th.id = ticket_latest_thread(t.id)"
	 " WHERE t.id = $3",
	 3},
	{NULL, NULL, 0},
};

/* The ticket's state into m (thread, inbox); 0, or the status to answer. */
static int reply_target(struct ctx *c, struct conv_msg *m)
{
	char pid[24], cid[24];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	snprintf(cid, sizeof cid, "%ld", c->sess.contact_id);
	const char *pq[3] = {pid, cid, m->ticket};
	PGresult *r = db_exec("reply_ticket", 3, pq);
	if (!r)
		return 500;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 404; /* missing or not visible: the same answer */
	}
	int closed = PQgetvalue(r, 0, 0)[0] == 't';
	m->thread = arena_strdup(c->arena, PQgetvalue(r, 0, 1));
	m->inbox = arena_strdup(c->arena, PQgetvalue(r, 0, 2));
	PQclear(r);
	if (closed)
		return 409;
	if (strcmp(m->thread, "0") == 0 && strcmp(m->inbox, "0") == 0) {
		log_msg(LOG_ERROR, "reply: ticket %s has no thread and portal %s no default inbox",
			m->ticket, pid);
		return 500;
	}
	return 0;
}

int ticket_reply(struct ctx *c)
{
	struct conv_msg m = {
		.ticket = c->caps.v[0], .channel = "portal", .author = CONV_CONTACT,
		.author_id = c->sess.contact_id, .kind = CONV_MESSAGE, .file_field = REPLY_FILE_FIELD,
		.engagement = "portal_reply", .notify = CONV_NOTIFY_STAFF,
	};
	int st = reply_target(c, &m);
	if (st)
		return st;
	m.nonce = request_form(c->req, "nonce");
	if (!token_well_formed(m.nonce))
		return 400; /* every reply form carries one */

	struct form f;
	form_init(&f, c->lang);
	m.body = form_text(&f, c->req, "body", 0, REPLY_MAX_BODY, 1, 1);
	if (!m.body && !f.nerrors) {
		form_free(&f);
		return 500; /* out of memory */
	}
	if (m.body && !m.body[0] && conv_files(c, REPLY_FILE_FIELD) == 0)
		form_error(&f, "body", "err_reply_empty");
	struct ticket_cc cc; /* colleagues copied in with the reply (ticket_cc.c) */
	if (ticket_cc_read(c, &f, m.ticket, &cc) < 0) {
		form_free(&f);
		return 500;
	}
	if (f.nerrors)
		return ticket_detail_render(c, m.ticket, 422, &f);
	form_free(&f);

	if (db_begin() < 0)
		return 500;
	int got = conv_add(c, &m);
	if (got == 1 && ticket_cc_add(c, m.ticket, &cc, c->sess.name[0] ? c->sess.name : c->sess.email) < 0)
		got = -1;
	if (got == 1 && audit(c, "member", c->sess.member_id, "reply",
			      arena_printf(c->arena, "{\"ticket_id\": %s, \"message_id\": %s, \"files\": %zu%s}",
					   m.ticket, m.message_id, m.nfiles,
					   cc.n ? arena_printf(c->arena, ", \"cc\": %d", cc.n) : "")) < 0)
		got = -1;
	got = conv_end(got);
	if (got < 0)
		return 500;
	if (got == 0)
		log_msg(LOG_INFO, "reply: repeated form for ticket %s, nothing stored", m.ticket);
	return page_redirect(c, 303, arena_printf(c->arena, "/%s/%s#latest", c->portal->ticket_slug,
						  m.ticket));
}
