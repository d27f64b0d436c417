/* admin_inbox.c - agent inbox: the thread list (per inbox, open/closed, waiting on us, search,
 * keyset pages); the route and statement tables of admin_inbox*.c. */
#include "admin_inbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pager.h"

/*
 * Design. The list walks threads newest activity first, (last_message_at, id) DESC, through
 * threads_activity_idx or, for one inbox, threads_inbox_activity_idx (sql/011_inbox.sql); the
 * cursor is a row comparison, so every page is an index range (EXPLAIN: Index Scan ... Index
 * Cond: ROW(last_message_at, id) < ROW($3, $4)). Workers use generic plans, so "all inboxes"
 * and "one inbox" are two statements rather than one with "$n = 0 OR". Status comes from the
 * tied ticket's stage (no ticket = open); "waiting on us" = the latest message that is not an
 * internal note came in from the customer. The contact is the author of the first incoming
 * message, else the ticket's first contact, else the address the first message came from.
 * Pages: pager.h, the cursor ?before=<UTC time as the list writes it>_<id>. Rows: db_row_json,
 * columns named after the template's keys (ticket_id and subject only with a ticket). An agent
 * limited to some inboxes ($7, staff_inboxes(): NULL = all) sees their threads only: a filter
 * on the same index walk, "$7 IS NULL" true at once for everyone else.
 */
#define INBOX_LIST_SQL(INBOX_COND)                                                                   \
	"SELECT th.id, '/admin/inbox/' || th.id AS url, th.ticket_id, t.subject, th.channel,"         \
	" i.name AS inbox, console_time(th.last_message_at, $5, 'YYYY-MM-DD HH24:MI') AS activity," \
	" coalesce(s.is_closed, false) AS closed, coalesce(nullif(s.name, ''), 'Open') AS status,"    \
	" coalesce(lm.direction = 'incoming', false) AS waiting,"                                    \
	" coalesce(nullif(who.name, ''), who.email) AS contact,"                                     \
	" CASE WHEN who.name <> '' THEN nullif(who.email, '') END AS contact_email,"                 \
	" to_char(th.last_message_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at"  \
	" FROM threads th JOIN inboxes i ON i.id = th.inbox_id"                                      \
	" LEFT JOIN tickets t ON t.id = th.ticket_id"                                                \
	" LEFT JOIN pipeline_stages s ON s.id = t.stage_id"                                          \
	" LEFT JOIN LATERAL (SELECT m.direction FROM messages m WHERE m.thread_id = th.id"            \
	"   AND m.kind = 'message' ORDER BY m.created_at DESC, m.id DESC LIMIT 1) lm ON true"         \
	" LEFT JOIN LATERAL (SELECT m.author_contact_id, m.from_address FROM messages m"              \
	"   WHERE m.thread_id = th.id AND m.direction = 'incoming' ORDER BY m.created_at, m.id LIMIT 1) fi ON true" \
	" LEFT JOIN LATERAL (SELECT c.id, btrim(c.first_name || ' ' || c.last_name) AS name, c.email" \
	"   FROM contacts c WHERE c.id = fi.author_contact_id) fc ON true"                             \
	" LEFT JOIN LATERAL (SELECT c.id, btrim(c.first_name || ' ' || c.last_name) AS name, c.email" \
	"   FROM ticket_contacts x JOIN contacts c ON c.id = x.contact_id"                            \
	"   WHERE x.ticket_id = th.ticket_id AND fc.id IS NULL ORDER BY x.contact_id LIMIT 1) tc ON true" \
	" CROSS JOIN LATERAL (SELECT coalesce(fc.name, tc.name, '') AS name,"                         \
	"   coalesce(fc.email, tc.email, fi.from_address, '') AS email) who"                          \
	" WHERE " INBOX_COND                                                                         \
	"   ($7::bigint[] IS NULL OR th.inbox_id = ANY ($7::bigint[])) AND"                            \
	"   ($1 = 'all' OR coalesce(s.is_closed, false) = ($1 = 'closed'))"                           \
	"   AND (NOT $2::boolean OR lm.direction = 'incoming')"                                       \
	"   AND (th.last_message_at, th.id) < ($3::timestamptz, $4::bigint)"                         \
	"   AND ($6 = '' OR th.ticket_id::text = ltrim($6, '#')"                                      \
	"     OR strpos(lower(t.subject), lower($6)) > 0"                                             \
	"     OR strpos(lower(who.email), lower($6)) > 0 OR strpos(lower(who.name), lower($6)) > 0)"  \
	" ORDER BY th.last_message_at DESC, th.id DESC " PAGE_LIMIT

const struct db_stmt admin_inbox_stmts[] = {
	{"admin_inbox_list_all", INBOX_LIST_SQL(""), 7},
	{"admin_inbox_list_one", INBOX_LIST_SQL("th.inbox_id = $8 AND"), 8},
	/* $1 the agent's inboxes (staff_inboxes(), NULL = all) */
	{"admin_inbox_inboxes",
	 "SELECT id, name FROM inboxes WHERE $1::bigint[] IS NULL OR id = ANY ($1::bigint[])"
	 " ORDER BY lower(name), id LIMIT 100",
	 1},
	{NULL, NULL, 0},
};

struct list_state {
	long inbox;         /* 0 = all inboxes */
	const char *status; /* open | closed | all */
	int waiting;
	const char *q;
	struct pager pg;    /* cursor: the last row of the previous page */
};

/* The list URL for a state (another inbox, status or waiting in a copy of it). */
static const char *list_url(struct ctx *c, const struct list_state *st)
{
	struct buf b = BUF_INIT;
	char sep = '?';
	buf_puts(&b, "/admin/inbox");
	if (st->inbox) {
		buf_printf(&b, "%cinbox=%ld", sep, st->inbox);
		sep = '&';
	}
	if (strcmp(st->status, "open") != 0) {
		buf_printf(&b, "%cstatus=%s", sep, st->status);
		sep = '&';
	}
	if (st->waiting) {
		buf_printf(&b, "%cwaiting=1", sep);
		sep = '&';
	}
	if (st->q[0]) {
		buf_printf(&b, "%cq=", sep);
		buf_urlenc(&b, st->q, strlen(st->q));
	}
	const char *out = arena_strdup(c->arena, b.data ? b.data : "/admin/inbox");
	buf_free(&b);
	return out;
}

/* Inbox tabs and status choices: [{label, url, current}]. */
static void add_controls(struct ctx *c, struct json_object *page, struct list_state *st,
			 const char **inbox_name)
{
	struct json_object *tabs = json_object_new_array(), *o;
	struct list_state t = *st;
	t.inbox = 0;
	o = json_object_new_object();
	json_object_object_add(o, "label", json_object_new_string("All inboxes"));
	json_object_object_add(o, "url", json_object_new_string(list_url(c, &t)));
	json_object_object_add(o, "current", json_object_new_boolean(st->inbox == 0));
	json_object_array_add(tabs, o);
	const char *pl[1] = {staff_inboxes(c)};
	PGresult *r = db_exec("admin_inbox_inboxes", 1, pl);
	for (int i = 0; r && i < PQntuples(r); i++) {
		t.inbox = atol(PQgetvalue(r, i, 0));
		o = json_object_new_object();
		json_object_object_add(o, "label", json_object_new_string(PQgetvalue(r, i, 1)));
		json_object_object_add(o, "url", json_object_new_string(list_url(c, &t)));
		json_object_object_add(o, "current", json_object_new_boolean(t.inbox == st->inbox));
		json_object_array_add(tabs, o);
		if (t.inbox == st->inbox)
			*inbox_name = arena_strdup(c->arena, PQgetvalue(r, i, 1));
	}
	PQclear(r);
	json_object_object_add(page, "tabs", tabs);

	static const char *const vals[] = {"open", "closed", "all"}, *const labels[] = {"Open", "Closed", "All"};
	struct json_object *statuses = json_object_new_array();
	for (int i = 0; i < 3; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "value", json_object_new_string(vals[i]));
		json_object_object_add(o, "label", json_object_new_string(labels[i]));
		json_object_object_add(o, "selected", json_object_new_boolean(strcmp(st->status, vals[i]) == 0));
		json_object_array_add(statuses, o);
	}
	json_object_object_add(page, "statuses", statuses);
	struct json_object *state = json_object_new_object();
	json_object_object_add(state, "inbox", json_object_new_int64(st->inbox));
	json_object_object_add(state, "waiting", json_object_new_boolean(st->waiting));
	json_object_object_add(state, "q", json_object_new_string(st->q));
	json_object_object_add(page, "state", state);
}

/* What an empty page says, per filter. */
static const char *empty_text(const struct list_state *st)
{
	if (st->pg.key)
		return "No older conversations.";
	if (st->q[0])
		return "No conversations match your search.";
	if (st->waiting)
		return strcmp(st->status, "closed") == 0
			       ? "No closed conversations are waiting on us."
			       : "Nothing is waiting on us: every conversation has an answer.";
	if (strcmp(st->status, "open") == 0)
		return "No open conversations. New messages from customers show up here.";
	if (strcmp(st->status, "closed") == 0)
		return "No closed conversations yet.";
	return "No conversations yet. Messages from customers, form submissions and portal replies show up here.";
}

int admin_inbox_list(struct ctx *c)
{
	static const char *const statuses[] = {"open", "closed", "all"};
	struct list_state st = {.status = "open", .q = ""};
	const char *v = request_query(c->req, "status");
	for (int i = 0; v && i < 3; i++)
		if (strcmp(v, statuses[i]) == 0)
			st.status = statuses[i];
	v = request_query(c->req, "inbox");
	st.inbox = v && v[0] ? admin_id(v) : 0;
	if (v && v[0] && !st.inbox)
		return 400;
	v = request_query(c->req, "waiting");
	st.waiting = v && v[0] && strcmp(v, "0") != 0;
	v = request_query(c->req, "q");
	if (v && strlen(v) > 200)
		return 400;
	st.q = v ? v : "";
	if (pager_read(c, "before", "0123456789-:.TZ", &st.pg) < 0)
		return 400;

	char inbox[24];
	snprintf(inbox, sizeof inbox, "%ld", st.inbox);
	const char *p[8] = {st.status, st.waiting ? "true" : "false", st.pg.key ? st.pg.key : "infinity",
			    st.pg.id ? st.pg.id : "0", console_zone(), st.q, staff_inboxes(c), inbox};
	PGresult *r = db_exec(st.inbox ? "admin_inbox_list_one" : "admin_inbox_list_all",
			      st.inbox ? 8 : 7, p);
	if (!r)
		return st.pg.key ? 400 : 500; /* a cursor that is not a time is the client's fault */
	struct json_object *page = admin_page_new(c, "Inbox", "inbox");
	const char *inbox_name = NULL;
	add_controls(c, page, &st, &inbox_name);
	if (st.inbox && !inbox_name) {
		PQclear(r);
		json_object_put(page);
		return 404;
	}
	const char *url = list_url(c, &st);
	pager_next(c, &st.pg, page, r, url, "before", PQfnumber(r, "at"), 0);
	json_object_object_add(page, "rows", db_rows_json(r, st.pg.shown));
	json_object_object_add(page, "has_rows", json_object_new_boolean(st.pg.shown > 0));
	PQclear(r);
	if (st.pg.shown == 0)
		json_object_object_add(page, "empty_text", json_object_new_string(empty_text(&st)));
	if (st.pg.key)
		json_object_object_add(page, "first_url", json_object_new_string(url));
	json_object_object_add(page, "inbox_name", json_object_new_string(inbox_name ? inbox_name : "All inboxes"));
	json_object_object_add(page, "time_zone", json_object_new_string(console_zone()));
	return admin_render(c, 200, "admin/inbox_list", page);
}
