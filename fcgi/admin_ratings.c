/* admin_ratings.c - /admin/ratings: the customers' ratings of the configured portal over a period
 * (from/to dates in the portal's time zone, both included; by default the last 30 days): counts of
 * good and bad and the share good, per inbox (of the ticket's latest thread when rated) and per
 * agent (who sent the ticket's last public reply), and the comments of the period, newest first,
 * keyset-paged (pager.h), each linking to its ticket. Ratings are written by ticket_rating.c.
 * Staff (agents and admins) may see it. */
#include "admin.h"
#include "pager.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* $1 portal, $2 from, $3 to (dates, both included), $4 the console's time zone */
#define PERIOD                                                                                    \
	" r.portal_id = $1 AND r.created_at >= ($2::date)::timestamp AT TIME ZONE $4"               \
	" AND r.created_at < ($3::date + 1)::timestamp AT TIME ZONE $4"
/* the ratings of the tickets the staff member sees (n: staff_inboxes(), NULL = all; the one rule) */
#define RATED_OK(n) " AND staff_ticket_ok(r.ticket_id, " n "::bigint[])"
#define COUNTS                                                                                    \
	" count(*) FILTER (WHERE r.score = 'good') AS good, count(*) FILTER (WHERE r.score = 'bad') AS bad," \
	" round(100.0 * count(*) FILTER (WHERE r.score = 'good') / count(*))::int AS share"

const struct db_stmt admin_ratings_stmts[] = {
	{"admin_ratings_default",
	 "SELECT to_char((now() AT TIME ZONE $1)::date - 29, 'YYYY-MM-DD'),"
	 " to_char((now() AT TIME ZONE $1)::date, 'YYYY-MM-DD')",
	 1},
	{"admin_ratings_total", "SELECT count(*) AS total," COUNTS " FROM ticket_ratings r WHERE" PERIOD RATED_OK("$5") " HAVING count(*) > 0",
	 5},
	{"admin_ratings_inboxes",
	 "SELECT coalesce(i.name, '') AS name," COUNTS
	 " FROM ticket_ratings r LEFT JOIN inboxes i ON i.id = r.inbox_id WHERE" PERIOD RATED_OK("$5")
	 " GROUP BY r.inbox_id, i.name ORDER BY i.name NULLS LAST, r.inbox_id LIMIT 500",
	 5},
	{"admin_ratings_agents",
	 "SELECT coalesce(nullif(u.name, ''), u.email, '') AS name, coalesce(u.email, '') AS email," COUNTS
	 " FROM ticket_ratings r LEFT JOIN staff_users u ON u.id = r.agent_user_id WHERE" PERIOD RATED_OK("$5")
	 " GROUP BY r.agent_user_id, u.name, u.email"
	 " ORDER BY coalesce(nullif(u.name, ''), u.email) NULLS LAST, r.agent_user_id LIMIT 500",
	 5},
	/* keyset (pager.h): (created_at, ticket_id) below the cursor */
	{"admin_ratings_comments",
	 "SELECT r.ticket_id AS id, r.score = 'good' AS good, r.comment, t.subject,"
	 " console_time(r.created_at, $4, 'YYYY-MM-DD HH24:MI') AS at, coalesce(c.email, '') AS contact,"
	 " coalesce(nullif(u.name, ''), u.email, '') AS agent, coalesce(i.name, '') AS inbox, r.created_at AS cursor"
	 " FROM ticket_ratings r JOIN tickets t ON t.id = r.ticket_id"
	 " LEFT JOIN contacts c ON c.id = r.contact_id LEFT JOIN staff_users u ON u.id = r.agent_user_id"
	 " LEFT JOIN inboxes i ON i.id = r.inbox_id"
	 " WHERE" PERIOD RATED_OK("$7") " AND r.comment <> ''"
	 " AND (r.created_at, r.ticket_id) < (coalesce($5::timestamptz, 'infinity'), coalesce($6::bigint, 0))"
	 " ORDER BY r.created_at DESC, r.ticket_id DESC " PAGE_LIMIT,
	 7},
	{NULL, NULL, 0},
};

/* A calendar date written YYYY-MM-DD. */
static int date_ok(const char *s)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= days[m - 1] + (m == 2 && leap);
}

/* Rows of a grouped statement into page[key]; 0 or -1. */
static int groups(struct json_object *page, const char *stmt, const char *key, const char *const *p)
{
	PGresult *r = db_exec(stmt, 5, p);
	if (!r)
		return -1;
	json_object_object_add(page, key, db_rows_json(r, -1));
	PQclear(r);
	return 0;
}

int admin_ratings_page(struct ctx *c)
{
	const char *from = request_query(c->req, "from"), *to = request_query(c->req, "to");
	char defaults[2][16] = {"", ""};
	const char *tz[1] = {console_zone()};
	PGresult *rd = db_exec("admin_ratings_default", 1, tz);
	if (!rd || PQntuples(rd) != 1) {
		PQclear(rd);
		return 500;
	}
	snprintf(defaults[0], sizeof defaults[0], "%s", PQgetvalue(rd, 0, 0));
	snprintf(defaults[1], sizeof defaults[1], "%s", PQgetvalue(rd, 0, 1));
	PQclear(rd);
	if (!from || !from[0])
		from = defaults[0];
	if (!to || !to[0])
		to = defaults[1];

	struct json_object *page = admin_page_new(c, "Ratings", "ratings");
	json_object_object_add(page, "from", json_object_new_string(from));
	json_object_object_add(page, "to", json_object_new_string(to));
	json_object_object_add(page, "time_zone", json_object_new_string(console_zone()));
	struct form f;
	form_init(&f, "en");
	int from_ok = date_ok(from), to_ok = date_ok(to);
	if (!from_ok)
		form_message(&f, "from", "From must be a date written YYYY-MM-DD, for example 2026-01-31.");
	if (!to_ok)
		form_message(&f, "to", "To must be a date written YYYY-MM-DD, for example 2026-01-31.");
	if (from_ok && to_ok && strcmp(from, to) > 0)
		form_message(&f, "to", "To must be the same day as From or later.");
	if (f.nerrors) {
		form_to_page(&f, page);
		return admin_render(c, 422, "admin/ratings", page);
	}
	form_free(&f);

	struct pager pg;
	if (pager_read(c, "before", "0123456789-:. +", &pg) < 0) {
		json_object_put(page);
		return 400;
	}
	const char *p[5] = {admin_pid(c), from, to, console_zone(), staff_inboxes(c)};
	const char *pc[7] = {p[0], from, to, p[3], pg.key, pg.id, p[4]};
	PGresult *rt = db_exec("admin_ratings_total", 5, p);
	if (!rt) {
		json_object_put(page);
		return 500;
	}
	int any = PQntuples(rt) == 1;
	if (any)
		json_object_object_add(page, "total", db_row_json(rt, 0));
	PQclear(rt);
	json_object_object_add(page, "report", json_object_new_boolean(1));
	json_object_object_add(page, "empty", json_object_new_boolean(!any));
	if (any && (groups(page, "admin_ratings_inboxes", "inboxes", p) < 0 ||
		    groups(page, "admin_ratings_agents", "agents", p) < 0)) {
		json_object_put(page);
		return 500;
	}
	PGresult *r = db_exec("admin_ratings_comments", 7, pc);
	if (!r) {
		json_object_put(page);
		return pg.key ? 400 : 500; /* a cursor that is not a time is the client's fault */
	}
	struct buf url = BUF_INIT;
	buf_puts(&url, "/admin/ratings?from=");
	buf_urlenc(&url, from, strlen(from));
	buf_puts(&url, "&to=");
	buf_urlenc(&url, to, strlen(to));
	pager_next(c, &pg, page, r, url.data && !url.oom ? url.data : "/admin/ratings", "before", 8, 0);
	json_object_object_add(page, "first_url", json_object_new_string(
		url.data && !url.oom ? arena_strdup(c->arena, url.data) : "/admin/ratings"));
	buf_free(&url);
	json_object_object_add(page, "comments", db_rows_json(r, pg.shown));
	json_object_object_add(page, "no_comments", json_object_new_boolean(pg.shown == 0));
	json_object_object_add(page, "later_page", json_object_new_boolean(pg.key != NULL));
	PQclear(r);
	return admin_render(c, 200, "admin/ratings", page);
}
