/* admin_inbox.c - agent inbox: the thread list (per inbox, open/closed, waiting on us, search,
 * keyset pages); the route and statement tables of admin_inbox*.c. */
#include "admin_inbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INBOX_PAGE 50

/*
 * Design. The list walks threads newest activity first, (last_message_at, id) DESC, through
 * threads_activity_idx or, for one inbox, threads_inbox_activity_idx (sql/011_inbox.sql); the
 * cursor is a row comparison, so every page is an index range (EXPLAIN: Index Scan ... Index
 * Cond: ROW(last_message_at, id) < ROW($3, $4)). Workers use generic plans, so "all inboxes"
 * and "one inbox" are two statements rather than one with "$n = 0 OR". Status comes from the
 * tied ticket's stage (no ticket = open); "waiting on us" = the latest message that is not an
 * internal note came in from the customer. The contact is the author of the first incoming
 * message, else the ticket's first contact, else the address the first message came from.
 */
#define INBOX_LIST_SQL(INBOX_COND)                                                                   \
	"SELECT th.id, coalesce(th.ticket_id, 0), coalesce(t.subject, ''), th.channel, i.name,"      \
	" to_char(th.last_message_at AT TIME ZONE $5, 'YYYY-MM-DD HH24:MI'),"                         \
	" coalesce(s.is_closed, false), coalesce(s.name, ''), coalesce(lm.direction = 'incoming', false)," \
	" coalesce(fc.id, tc.id, 0), coalesce(fc.name, tc.name, ''),"                                 \
	" coalesce(fc.email, tc.email, fi.from_address, ''),"                                        \
	" to_char(th.last_message_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"        \
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
	" WHERE " INBOX_COND                                                                         \
	"   ($1 = 'all' OR coalesce(s.is_closed, false) = ($1 = 'closed'))"                           \
	"   AND (NOT $2::boolean OR lm.direction = 'incoming')"                                       \
	"   AND (th.last_message_at, th.id) < ($3::timestamptz, $4::bigint)"                         \
	"   AND ($6 = '' OR th.ticket_id::text = ltrim($6, '#')"                                      \
	"     OR strpos(lower(t.subject), lower($6)) > 0"                                             \
	"     OR strpos(lower(coalesce(fc.email, tc.email, fi.from_address, '')), lower($6)) > 0"     \
	"     OR strpos(lower(coalesce(fc.name, tc.name, '')), lower($6)) > 0)"                       \
	" ORDER BY th.last_message_at DESC, th.id DESC LIMIT 51"

const struct db_stmt admin_inbox_stmts[] = {
	{"admin_inbox_list_all", INBOX_LIST_SQL(""), 6},
	{"admin_inbox_list_one", INBOX_LIST_SQL("th.inbox_id = $7 AND"), 7},
	{"admin_inbox_inboxes", "SELECT id, name FROM inboxes ORDER BY lower(name), id LIMIT 100", 0},
	{NULL, NULL, 0},
};

struct list_state {
	long inbox;         /* 0 = all inboxes */
	const char *status; /* open | closed | all */
	int waiting;
	const char *q;
	const char *at, *id; /* cursor: the last row of the previous page */
};

/* The list URL for a state, optionally with another inbox / status / waiting and a cursor. */
static const char *list_url(struct ctx *c, const struct list_state *st, const char *cursor)
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
		sep = '&';
	}
	if (cursor) {
		buf_printf(&b, "%cbefore=", sep);
		buf_urlenc(&b, cursor, strlen(cursor));
	}
	const char *out = arena_strdup(c->arena, b.data ? b.data : "/admin/inbox");
	buf_free(&b);
	return out;
}

/* "<UTC time as the list writes it>_<id>"; 0 when malformed. */
static int parse_cursor(struct ctx *c, const char *s, struct list_state *st)
{
	const char *us = s ? strrchr(s, '_') : NULL;
	if (!us || us == s || us - s > 32 || !admin_id(us + 1))
		return 0;
	for (const char *p = s; p < us; p++)
		if (!strchr("0123456789-:.TZ", *p))
			return 0;
	st->at = arena_strndup(c->arena, s, (size_t)(us - s));
	st->id = us + 1;
	return st->at != NULL;
}

static struct json_object *row_json(struct ctx *c, PGresult *r, int i)
{
	struct json_object *o = json_object_new_object();
	const char *ticket = PQgetvalue(r, i, 1);
	json_object_object_add(o, "url", json_object_new_string(
		arena_printf(c->arena, "/admin/inbox/%s", PQgetvalue(r, i, 0))));
	if (strcmp(ticket, "0") != 0) {
		json_object_object_add(o, "ticket_id", json_object_new_string(ticket));
		json_object_object_add(o, "subject", json_object_new_string(PQgetvalue(r, i, 2)));
	}
	json_object_object_add(o, "channel", json_object_new_string(PQgetvalue(r, i, 3)));
	json_object_object_add(o, "inbox", json_object_new_string(PQgetvalue(r, i, 4)));
	json_object_object_add(o, "activity", json_object_new_string(PQgetvalue(r, i, 5)));
	int closed = PQgetvalue(r, i, 6)[0] == 't';
	json_object_object_add(o, "closed", json_object_new_boolean(closed));
	const char *stage = PQgetvalue(r, i, 7);
	json_object_object_add(o, "status", json_object_new_string(stage[0] ? stage : "Open"));
	json_object_object_add(o, "waiting", json_object_new_boolean(PQgetvalue(r, i, 8)[0] == 't'));
	const char *name = PQgetvalue(r, i, 10), *email = PQgetvalue(r, i, 11);
	json_object_object_add(o, "contact", json_object_new_string(name[0] ? name : email));
	if (name[0] && email[0])
		json_object_object_add(o, "contact_email", json_object_new_string(email));
	return o;
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
	json_object_object_add(o, "url", json_object_new_string(list_url(c, &t, NULL)));
	json_object_object_add(o, "current", json_object_new_boolean(st->inbox == 0));
	json_object_array_add(tabs, o);
	PGresult *r = db_exec("admin_inbox_inboxes", 0, NULL);
	for (int i = 0; r && i < PQntuples(r); i++) {
		t.inbox = atol(PQgetvalue(r, i, 0));
		o = json_object_new_object();
		json_object_object_add(o, "label", json_object_new_string(PQgetvalue(r, i, 1)));
		json_object_object_add(o, "url", json_object_new_string(list_url(c, &t, NULL)));
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
	if (st->at)
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
	v = request_query(c->req, "before");
	if (v && !parse_cursor(c, v, &st))
		return 400;

	char inbox[24];
	snprintf(inbox, sizeof inbox, "%ld", st.inbox);
	const char *p[7] = {st.status, st.waiting ? "true" : "false", st.at ? st.at : "infinity",
			    st.id ? st.id : "0", c->portal->time_zone, st.q, inbox};
	PGresult *r = db_exec(st.inbox ? "admin_inbox_list_one" : "admin_inbox_list_all",
			      st.inbox ? 7 : 6, p);
	if (!r)
		return st.at ? 400 : 500; /* a cursor that is not a time is the client's fault */
	struct json_object *page = admin_page_new(c, "Inbox", "inbox");
	const char *inbox_name = NULL;
	add_controls(c, page, &st, &inbox_name);
	if (st.inbox && !inbox_name) {
		PQclear(r);
		json_object_put(page);
		return 404;
	}
	struct json_object *rows = json_object_new_array();
	int n = PQntuples(r), shown = n > INBOX_PAGE ? INBOX_PAGE : n;
	for (int i = 0; i < shown; i++)
		json_object_array_add(rows, row_json(c, r, i));
	json_object_object_add(page, "rows", rows);
	json_object_object_add(page, "has_rows", json_object_new_boolean(shown > 0));
	if (shown == 0)
		json_object_object_add(page, "empty_text", json_object_new_string(empty_text(&st)));
	if (n > INBOX_PAGE)
		json_object_object_add(page, "next_url", json_object_new_string(list_url(c, &st,
			arena_printf(c->arena, "%s_%s", PQgetvalue(r, INBOX_PAGE - 1, 12),
				     PQgetvalue(r, INBOX_PAGE - 1, 0)))));
	PQclear(r);
	if (st.at)
		json_object_object_add(page, "first_url", json_object_new_string(list_url(c, &st, NULL)));
	json_object_object_add(page, "inbox_name", json_object_new_string(inbox_name ? inbox_name : "All inboxes"));
	json_object_object_add(page, "time_zone", json_object_new_string(c->portal->time_zone));
	return admin_render(c, 200, "admin/inbox_list", page);
}
