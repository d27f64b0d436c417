/* ticket_actions.c - POST /<slug>/<id>/close and /<slug>/<id>/reopen: a customer closes their
 * open ticket or reopens a closed one within the portal's window; and the ticket page's block
 * that offers them (ticket_actions_fill, from the page's own statement: ticket_detail.c). */
#include "app.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "conversation.h"
#include "outbox.h"

/*
 * Design. portals.customer_reopen switches both actions (off: both POSTs answer 404, the page
 * offers neither); portals.reopen_days is the window after closing in which a closed ticket may
 * be reopened, by the button here or by an emailed reply (fcgi/mail_ingest.c, ingest_ticket:
 * the same rule, sql/functions/ticket_reopen_until.sql). Who may act is
 * who may see the ticket: portal_visible_tickets(), a ticket outside it is a 404 as a missing
 * one. A POST is one transaction: the ticket row locked first (FOR UPDATE), then its state read
 * afresh, so two clicks queue and the second finds the change made (it changes nothing and
 * answers like the first); the stage move with closed_at, the timeline entry, the inbox staff's
 * notification (staff_ticket_status, through outbox_send and its switch) and an audit row,
 * committed before the 303. Closing moves to the pipeline's first closed stage, reopening to its
 * first open one (by position). A close mails the ticket's contacts ticket_closed as any
 * closing does (conv_ticket_closed: the CCs hear of it, and it carries the rating links); a
 * reopen mails only the staff.
 */
const struct db_stmt ticket_actions_stmts[] = {
	{"ticket_actions_lock", "SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE", 1},
	/* the ticket as the contact may see it, with the portal's switch and window */
	{"ticket_actions_state",
	 "SELECT " TICKET_ACTIONS_COLS ","
	 " t.subject, coalesce(x.thread, 0) AS thread, coalesce(th.inbox_id, p.default_inbox_id, 0) AS inbox,"
	 " (SELECT a.address FROM inbox_addresses a WHERE a.inbox_id = coalesce(th.inbox_id, p.default_inbox_id)"
	 "   AND a.connected ORDER BY a.is_primary DESC, a.id LIMIT 1) AS address"
	 " FROM portal_visible_tickets($1, $2, 'all') t"
	 " JOIN pipeline_stages st ON st.id = t.stage_id JOIN portals p ON p.id = $1"
	 " LEFT JOIN LATERAL (SELECT ticket_latest_thread(t.id) AS thread) x ON true"
	 " LEFT JOIN threads th ON th.id = x.thread"
	 " WHERE t.id = $3",
	 3},
	/* to stage $2 ($5: closing): closed_at stamped or cleared, and the timeline entry */
	{"ticket_actions_move",
	 "WITH u AS (UPDATE tickets SET stage_id = $2,"
	 "   closed_at = CASE WHEN $5::boolean THEN greatest(now(), created_at) END,"
	 "   last_activity_at = greatest(last_activity_at, now()) WHERE id = $1 RETURNING id)"
	 " INSERT INTO engagements (kind, contact_id, ticket_id, summary)"
	 " SELECT CASE WHEN $5::boolean THEN 'ticket_closed_by_customer' ELSE 'ticket_reopened_by_customer' END,"
	 "  $3, u.id, $4 FROM u RETURNING ticket_id",
	 5},
	{NULL, NULL, 0},
};

/* A ticket's state for the contact of the session (columns by name; db_col). NULL on error. */
static PGresult *state(struct ctx *c, const char *ticket)
{
	char pid[24], cid[24];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	snprintf(cid, sizeof cid, "%ld", c->sess.contact_id);
	const char *p[3] = {pid, cid, ticket};
	return db_exec("ticket_actions_state", 3, p);
}

static int id_set(const char *v)
{
	return v && v[0] && strcmp(v, "0") != 0;
}

static const char *ticket_url(struct ctx *c, const char *ticket)
{
	return arena_printf(c->arena, "/%s/%s", c->portal->ticket_slug, ticket);
}

void ticket_actions_fill(struct ctx *c, struct json_object *page, const char *ticket, const PGresult *r)
{
	if (c->preview_contact || !c->sess.found)
		return;
	int closed = db_col(r, 0, "closed")[0] == 't', on = db_col(r, 0, "switch")[0] == 't';
	int can_close = on && !closed && id_set(db_col(r, 0, "closed_stage"));
	int can_reopen = on && closed && db_col(r, 0, "in_window")[0] == 't' && id_set(db_col(r, 0, "open_stage"));
	const char *done = request_query(c->req, "done");
	int done_closed = closed && done && strcmp(done, "closed") == 0;
	int done_reopened = !closed && done && strcmp(done, "reopened") == 0;
	if (!can_close && !closed && !done_reopened)
		return; /* an open ticket the customer may not close: nothing to say */
	struct json_object *a = json_object_new_object();
	const char *base = ticket_url(c, ticket);
	if (can_close) {
		json_object_object_add(a, "can_close", json_object_new_boolean(1));
		json_object_object_add(a, "close_url", json_object_new_string(arena_printf(c->arena, "%s/close", base)));
		json_object_object_add(a, "reopen_days", json_object_new_string(db_col(r, 0, "reopen_days")));
	}
	if (can_reopen) {
		json_object_object_add(a, "can_reopen", json_object_new_boolean(1));
		json_object_object_add(a, "reopen_url", json_object_new_string(arena_printf(c->arena, "%s/reopen", base)));
		json_object_object_add(a, "reopen_until", json_object_new_string(ticket_when(c, db_col(r, 0, "reopen_until"))));
	}
	if (closed && !can_reopen) {
		json_object_object_add(a, "new_ticket", json_object_new_boolean(1));
		if (c->portal->support_form_id)
			json_object_object_add(a, "new_url", json_object_new_string(
				arena_printf(c->arena, "/%s/new", c->portal->ticket_slug)));
	}
	json_object_object_add(a, "done_closed", json_object_new_boolean(done_closed));
	json_object_object_add(a, "done_reopened", json_object_new_boolean(done_reopened));
	json_object_object_add(page, "actions", a);
}

/* staff_ticket_status to the staff users of the ticket's inbox (conv_mail_staff), with a link to
 * the thread (or the ticket) in the console. 0 or -1. */
static int mail_staff(struct ctx *c, PGresult *st, const char *ticket, int closing)
{
	const char *thread = db_col(st, 0, "thread");
	const char *address = PQgetisnull(st, 0, PQfnumber(st, "address")) ? NULL : db_col(st, 0, "address");
	const char *link = id_set(thread) ? arena_printf(c->arena, "%s/admin/inbox/%s", portal_base_url(c), thread)
					  : arena_printf(c->arena, "%s/admin/tickets/%s", portal_base_url(c), ticket);
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "has_ticket", json_object_new_boolean(1));
	json_object_object_add(d, "ticket_id", json_object_new_string(ticket));
	json_object_object_add(d, "subject", json_object_new_string(db_col(st, 0, "subject")));
	json_object_object_add(d, "name", json_object_new_string(c->sess.name[0] ? c->sess.name : c->sess.email));
	json_object_object_add(d, "email", json_object_new_string(c->sess.email));
	json_object_object_add(d, "closed", json_object_new_boolean(closing));
	json_object_object_add(d, "link", json_object_new_string(link));
	int rc = conv_mail_staff(c, db_col(st, 0, "inbox"), "staff_ticket_status", address, ticket, thread, d);
	json_object_put(d);
	return rc;
}

/* The ticket page again (409) saying that it can no longer be reopened: submit a new ticket. */
static int too_late(struct ctx *c, const char *ticket)
{
	struct form f;
	form_init(&f, c->lang);
	form_error(&f, "reopen", "ticket_reopen_too_late");
	return ticket_detail_render(c, ticket, 409, &f);
}

static int act(struct ctx *c, int closing)
{
	const char *ticket = c->caps.v[0];
	const char *done = arena_printf(c->arena, "%s?done=%s#actions", ticket_url(c, ticket),
					closing ? "closed" : "reopened");
	if (db_begin() < 0)
		return 500;
	const char *pl[1] = {ticket};
	PGresult *r = db_exec("ticket_actions_lock", 1, pl);
	if (r && PQntuples(r) == 1) {
		PQclear(r);
		r = state(c, ticket); /* read after the lock: what a concurrent click committed */
	}
	if (!r || PQntuples(r) != 1 || db_col(r, 0, "switch")[0] != 't') {
		int err = r == NULL;
		PQclear(r);
		db_rollback();
		return err ? 500 : 404; /* missing, not visible, or the switch off: the same answer */
	}
	int closed = db_col(r, 0, "closed")[0] == 't';
	if (closed == closing) { /* done already (a second click): nothing to change */
		PQclear(r);
		db_rollback();
		return page_redirect(c, 303, done);
	}
	const char *stage = db_col(r, 0, closing ? "closed_stage" : "open_stage");
	if (!id_set(stage) || (!closing && db_col(r, 0, "in_window")[0] != 't')) {
		if (!id_set(stage))
			log_msg(LOG_ERROR, "ticket %s: its pipeline has no %s stage", ticket, closing ? "closed" : "open");
		PQclear(r);
		db_rollback();
		return too_late(c, ticket);
	}
	const char *who = c->sess.name[0] ? c->sess.name : c->sess.email;
	const char *pm[5] = {ticket, stage, arena_printf(c->arena, "%ld", c->sess.contact_id),
			     arena_printf(c->arena, "%s in the portal by %s", closing ? "Closed" : "Reopened", who),
			     closing ? "true" : "false"};
	char moved[24];
	int ok = db_exec_value("ticket_actions_move", 5, pm, moved, sizeof moved) == 1 &&
		 mail_staff(c, r, ticket, closing) == 0 &&
		 /* the ticket's contacts (its CCs too) hear of it as of any closing, with the rating */
		 (!closing || conv_ticket_closed(c, ticket) == 0) &&
		 audit(c, "member", c->sess.member_id, closing ? "ticket_close" : "ticket_reopen",
		       arena_printf(c->arena, "{\"ticket_id\": %s, \"stage_id\": %s}", ticket, stage)) == 0;
	PQclear(r);
	if (!ok) {
		db_rollback();
		return 500;
	}
	if (db_commit() < 0)
		return 500;
	return page_redirect(c, 303, done);
}

int ticket_close(struct ctx *c)
{
	return act(c, 1);
}

int ticket_reopen(struct ctx *c)
{
	return act(c, 0);
}
