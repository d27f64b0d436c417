/* tickets.c - GET /<slug>: the customer's ticket list (filter, search, sort, keyset pages).
 * The ticket's own page is ticket_detail.c. */
#include "conversation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"

#define PAGE_SIZE 25

/*
 * Every query here reads tickets through portal_visible_tickets() (sql/functions/portal_visible_tickets.sql), the one
 * definition of what a contact may see; a ticket outside it answers 404 like a missing one.
 * The list is keyset-paginated on (sort key, id): "after" and "before" carry the key of the
 * last/first row shown as "<microseconds since epoch>.<id>", so pages stay stable while tickets
 * change. All state lives in the URL.
 */
/* One statement per sort key and direction (the index range is walked in the page's own order);
 * the scope, status, search and cursor are parameters. Displayed times come from the ticket,
 * the key from the access row (they are equal; only the latter is the index's); a time is an
 * instant (SQL_EPOCH), which ticket_when shows in the portal's zone with the zone named (no
 * to_char, no extra round trip). PORTAL and CONTACT are where the statement finds those; the
 * others are $3..$7 in both forms. */
#define TICKETS_LIST(PORTAL, CONTACT, KEY, CMP, DIR, FROM_K, FROM_ID) \
	"SELECT v.ticket_id, (v.ticket).subject," \
	" " SQL_EPOCH("(v.ticket).created_at") " AS created, " SQL_EPOCH("(v.ticket).last_activity_at") " AS activity," \
	" v.is_closed, v.stage_name, (extract(epoch FROM v." KEY ") * 1000000)::bigint AS k" \
	" FROM portal_visible_list(" PORTAL ", " CONTACT ", $3, $4) v" \
	" WHERE ($5 = '' OR portal_ticket_matches_search(v.ticket, $5))" \
	"  AND (v." KEY ", v.ticket_id) " CMP " (coalesce('epoch'::timestamptz + $6::bigint * interval '1 microsecond'," \
	"   '" FROM_K "'::timestamptz), coalesce($7::bigint, " FROM_ID "))" \
	" ORDER BY v." KEY " " DIR ", v.ticket_id " DIR " LIMIT 26"
/* the list of the contact $2 (the admin preview's, or a session read on its own) */
#define LIST_PLAIN(KEY, CMP, DIR, FROM_K, FROM_ID) TICKETS_LIST("$1", "$2", KEY, CMP, DIR, FROM_K, FROM_ID)
/* the list read with the session ($1 its hash, $2 the portal): no rows for another portal's. A
 * lateral join is a nested loop over the session's one row, so the rows keep the list's order. */
#define LIST_FOLDED(KEY, CMP, DIR, FROM_K, FROM_ID) \
	"WITH s AS MATERIALIZED (" SESSION_LOAD_SQL ")" \
	" SELECT s.*, l.* FROM s LEFT JOIN LATERAL (" \
	TICKETS_LIST("$2", "s.contact_id", KEY, CMP, DIR, FROM_K, FROM_ID) ") l ON s.portal_id = $2"
#define LIST_STMTS(NAME, KEY, CMP, DIR, FROM_K, FROM_ID) \
	{"tickets_list_" NAME, LIST_PLAIN(KEY, CMP, DIR, FROM_K, FROM_ID), 7}, \
	{"tickets_list_" NAME "_s", LIST_FOLDED(KEY, CMP, DIR, FROM_K, FROM_ID), 7}

const struct db_stmt tickets_stmts[] = {
	LIST_STMTS("activity_desc", "last_activity_at", "<", "DESC", "infinity", "9223372036854775807"),
	LIST_STMTS("activity_asc", "last_activity_at", ">", "ASC", "-infinity", "0"),
	LIST_STMTS("created_desc", "created_at", "<", "DESC", "infinity", "9223372036854775807"),
	LIST_STMTS("created_asc", "created_at", ">", "ASC", "-infinity", "0"),
	{NULL, NULL, 0},
};

struct list_state {
	const char *view;   /* mine | shared (CC'd) | org */
	const char *status; /* open | closed | all */
	const char *q;
	const char *sort;   /* activity | created */
	const char *dir;    /* desc | asc */
	const char *cursor_k, *cursor_id;
	int backward;       /* "before" given: the page before the cursor */
};

static const char *pick(const char *v, const char *const *allowed, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		if (strcmp(v, allowed[i]) == 0)
			return allowed[i];
	return allowed[0];
}

/* "<key>.<id>" into its two parts; 0 when malformed. The key is microseconds since 1970 (an
 * optional '-', 1 to 16 digits: within the timestamps PostgreSQL stores), the id 1 to 18 digits
 * (a bigint), so that no cursor a browser sends can make the statement fail. */
static int parse_cursor(struct ctx *c, const char *s, const char **k, const char **id)
{
	if (!s)
		return 0;
	const char *dot = strchr(s, '.');
	if (!dot)
		return 0;
	const char *kd = s[0] == '-' ? s + 1 : s;
	size_t nk = (size_t)(dot - kd), ni = strlen(dot + 1);
	if (dot < kd || nk < 1 || nk > 16 || ni < 1 || ni > 18)
		return 0;
	for (const char *p = kd; *p; p++)
		if (p != dot && (*p < '0' || *p > '9'))
			return 0;
	*k = arena_strndup(c->arena, s, (size_t)(dot - s));
	*id = dot + 1;
	return 1;
}

const char *tickets_base(struct ctx *c)
{
	if (c->preview_contact)
		return arena_printf(c->arena, "/admin/preview/%ld/tickets", c->preview_contact);
	return arena_printf(c->arena, "/%s", c->portal->ticket_slug);
}

static void read_state(struct ctx *c, struct list_state *st)
{
	static const char *const views[] = {"mine", "shared", "org"}, *const statuses[] = {"open", "closed", "all"},
				 *const sorts[] = {"activity", "created"}, *const dirs[] = {"desc", "asc"};
	const struct request *r = c->req;
	st->view = pick(request_query(r, "view"), views, 3);
	/* (before the session is read, for the fold, the view asked for) */
	if ((c->sess.found || c->preview_contact) && !c->sess.org_visible && strcmp(st->view, "org") == 0)
		st->view = "mine";
	st->status = pick(request_query(r, "status"), statuses, 3);
	st->sort = pick(request_query(r, "sort"), sorts, 2);
	st->dir = pick(request_query(r, "dir"), dirs, 2);
	const char *q = request_query(r, "q");
	st->q = q && strlen(q) <= 200 ? q : "";
	st->cursor_k = st->cursor_id = NULL;
	st->backward = 0;
	if (parse_cursor(c, request_query(r, "before"), &st->cursor_k, &st->cursor_id))
		st->backward = 1;
	else
		parse_cursor(c, request_query(r, "after"), &st->cursor_k, &st->cursor_id);
}

/* A list URL with the state, optionally overriding one key and adding a cursor. */
static const char *list_url(struct ctx *c, const struct list_state *st, const char *key,
			    const char *val, const char *cursor_key, const char *cursor)
{
	struct buf b = BUF_INIT;
	const char *keys[] = {"view", "status", "q", "sort", "dir"};
	const char *vals[] = {st->view, st->status, st->q, st->sort, st->dir};
	const char *defaults[] = {"mine", "open", "", "activity", "desc"};
	buf_puts(&b, tickets_base(c));
	char sep = '?';
	for (int i = 0; i < 5; i++) {
		const char *v = key && strcmp(key, keys[i]) == 0 ? val : vals[i];
		if (strcmp(v, defaults[i]) == 0)
			continue;
		buf_printf(&b, "%c%s=", sep, keys[i]);
		buf_urlenc(&b, v, strlen(v));
		sep = '&';
	}
	if (cursor)
		buf_printf(&b, "%c%s=%s", sep, cursor_key, cursor);
	const char *out = arena_strdup(c->arena, b.data ? b.data : "/");
	buf_free(&b);
	return out;
}

const char *ticket_when(struct ctx *c, const char *epoch)
{
	struct buf b = BUF_INIT;
	i18n_format_instant(c->lang, c->portal->time_zone, epoch, &b);
	const char *out = arena_strdup(c->arena, b.data ? b.data : epoch);
	buf_free(&b);
	return out;
}

const char *ticket_status_label(struct ctx *c, int closed, const char *stage)
{
	if (c->portal->show_custom_stages)
		return stage;
	return i18n_get(c->lang, closed ? "status_closed" : "status_open");
}

/* Row i of a list result whose columns start at column off. */
static struct json_object *row_json(struct ctx *c, PGresult *r, int i, int off)
{
	struct json_object *o = json_object_new_object();
	const char *id = PQgetvalue(r, i, off);
	int closed = PQgetvalue(r, i, off + 4)[0] == 't';
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "url", json_object_new_string(arena_printf(c->arena, "%s/%s", tickets_base(c), id)));
	json_object_object_add(o, "subject", json_object_new_string(PQgetvalue(r, i, off + 1)));
	json_object_object_add(o, "created", json_object_new_string(ticket_when(c, PQgetvalue(r, i, off + 2))));
	json_object_object_add(o, "activity", json_object_new_string(ticket_when(c, PQgetvalue(r, i, off + 3))));
	json_object_object_add(o, "closed", json_object_new_boolean(closed));
	json_object_object_add(o, "status", json_object_new_string(ticket_status_label(c, closed, PQgetvalue(r, i, off + 5))));
	return o;
}

static const char *cursor_of(struct ctx *c, PGresult *r, int i, int off)
{
	return arena_printf(c->arena, "%s.%s", PQgetvalue(r, i, off + 6), PQgetvalue(r, i, off));
}

/* Choices of a filter or sort control: [{label, url, current}]. */
static struct json_object *choices(struct ctx *c, const struct list_state *st, const char *key,
				   const char *current, const char *const *vals, const char *const *labels, int n)
{
	struct json_object *a = json_object_new_array();
	for (int i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "value", json_object_new_string(vals[i]));
		json_object_object_add(o, "label", json_object_new_string(i18n_get(c->lang, labels[i])));
		json_object_object_add(o, "url", json_object_new_string(list_url(c, st, key, vals[i], NULL, NULL)));
		json_object_object_add(o, "current", json_object_new_boolean(strcmp(current, vals[i]) == 0));
		json_object_array_add(a, o);
	}
	return a;
}

static void add_controls(struct ctx *c, struct json_object *page, const struct list_state *st)
{
	static const char *const statuses[] = {"open", "closed", "all"},
			      *const status_labels[] = {"filter_open", "filter_closed", "filter_all"},
			      *const views[] = {"mine", "shared", "org"},
			      *const view_labels[] = {"view_mine", "view_shared", "view_org"},
			      *const sorts[] = {"activity", "created"},
			      *const sort_labels[] = {"sort_activity", "sort_created"},
			      *const dirs[] = {"desc", "asc"}, *const dir_labels[] = {"sort_desc", "sort_asc"};
	json_object_object_add(page, "statuses", choices(c, st, "status", st->status, statuses, status_labels, 3));
	/* My tickets and Shared with me (CC), and the organization's when the contact may see it */
	json_object_object_add(page, "views", choices(c, st, "view", st->view, views, view_labels,
						      c->sess.org_visible ? 3 : 2));
	json_object_object_add(page, "has_views", json_object_new_boolean(1));
	json_object_object_add(page, "sorts", choices(c, st, "sort", st->sort, sorts, sort_labels, 2));
	json_object_object_add(page, "dirs", choices(c, st, "dir", st->dir, dirs, dir_labels, 2));
	struct json_object *state = json_object_new_object();
	json_object_object_add(state, "q", json_object_new_string(st->q));
	json_object_object_add(state, "status", json_object_new_string(st->status));
	json_object_object_add(state, "view", json_object_new_string(st->view));
	json_object_object_add(state, "sort", json_object_new_string(st->sort));
	json_object_object_add(state, "dir", json_object_new_string(st->dir));
	json_object_object_add(page, "state", state);
	json_object_object_add(page, "org_view", json_object_new_boolean(strcmp(st->view, "org") == 0));
	json_object_object_add(page, "shared_view", json_object_new_boolean(strcmp(st->view, "shared") == 0));
	json_object_object_add(page, "mine_view", json_object_new_boolean(strcmp(st->view, "mine") == 0));
}

/* The list statement for a state: "tickets_list_<sort>_<walk order>"; the statement walks its
 * index in the order the page is read in (a backward page comes reversed). */
static const char *list_stmt(struct ctx *c, const struct list_state *st, int folded)
{
	int desc = (strcmp(st->dir, "desc") == 0) != st->backward;
	return arena_printf(c->arena, "tickets_list_%s_%s%s", st->sort, desc ? "desc" : "asc", folded ? "_s" : "");
}

/* The list's parameters after the first two (portal and contact, or hash and portal). */
static void list_params(const struct list_state *st, const char **p)
{
	p[0] = st->view;
	p[1] = st->status;
	p[2] = st->q;
	p[3] = st->cursor_k;
	p[4] = st->cursor_id;
}

/* The route's fold (fcgi/app.h): the list read with the session. */
int tickets_fold(struct ctx *c, struct fold *f)
{
	struct list_state st;
	read_state(c, &st);
	f->stmt = list_stmt(c, &st, 1);
	f->params[0] = arena_printf(c->arena, "%ld", c->portal->id);
	list_params(&st, f->params + 1);
	f->n = 6;
	return 0;
}

int tickets_page(struct ctx *c)
{
	struct list_state st;
	read_state(c, &st);
	PGresult *r = c->folded;
	c->folded = NULL;
	int off = SESSION_NCOLS;
	/* read with the session unless the organization's view was asked for and is not shown */
	const char *asked = request_query(c->req, "view");
	if (r && strcmp(st.view, "org") != 0 && asked && strcmp(asked, "org") == 0) {
		PQclear(r);
		r = NULL;
	}
	if (!r) {
		const char *p[7] = {arena_printf(c->arena, "%ld", c->portal->id),
				    arena_printf(c->arena, "%ld", c->sess.contact_id)};
		list_params(&st, p + 2);
		r = db_exec(list_stmt(c, &st, 0), 7, p);
		off = 0;
		if (!r)
			return 500;
	}
	int n = PQntuples(r);
	if (off && n == 1 && PQgetisnull(r, 0, off)) /* the session's row, no ticket */
		n = 0;
	int more = n > PAGE_SIZE, shown = more ? PAGE_SIZE : n;
	struct json_object *page = page_new(c, "tickets_title");
	struct json_object *rows = json_object_new_array();
	for (int k = 0; k < shown; k++) {
		int i = st.backward ? shown - 1 - k : k; /* a backward page comes reversed */
		json_object_array_add(rows, row_json(c, r, i, off));
	}
	json_object_object_add(page, "tickets", rows);
	json_object_object_add(page, "has_tickets", json_object_new_boolean(shown > 0));
	if (shown > 0) {
		int first = st.backward ? shown - 1 : 0, last = st.backward ? 0 : shown - 1;
		int has_next = st.backward ? 1 : more, has_prev = st.backward ? more : st.cursor_k != NULL;
		if (has_next)
			json_object_object_add(page, "next_url", json_object_new_string(
				list_url(c, &st, NULL, NULL, "after", cursor_of(c, r, last, off))));
		if (has_prev)
			json_object_object_add(page, "prev_url", json_object_new_string(
				list_url(c, &st, NULL, NULL, "before", cursor_of(c, r, first, off))));
	}
	PQclear(r);
	int filtered = st.q[0] || strcmp(st.status, "open") != 0 || st.cursor_k;
	json_object_object_add(page, "empty", json_object_new_boolean(shown == 0 && !filtered));
	json_object_object_add(page, "no_match", json_object_new_boolean(shown == 0 && filtered));
	json_object_object_add(page, "clear_url", json_object_new_string(tickets_base(c)));
	json_object_object_add(page, "list_base", json_object_new_string(tickets_base(c)));
	if (c->portal->support_form_id && !c->preview_contact)
		json_object_object_add(page, "new_url", json_object_new_string(arena_printf(c->arena, "/%s/new", c->portal->ticket_slug)));
	add_controls(c, page, &st);
	return page_render(c, 200, "portal/tickets", page);
}

/* The admin's template preview (admin_settings_templates.c): the list as a contact with three
 * tickets would see it, with the page's real controls and sample rows. */
void tickets_sample(struct ctx *c, struct json_object *page)
{
	static const struct {
		const char *id, *subject;
		long ago_created, ago_activity; /* seconds before now */
		int closed;
	} rows[] = {
		{"1042", "Invoice 2026-118 shows the wrong VAT number", 3 * 86400, 1800, 0},
		{"1038", "Cannot log in to the mobile app", 9 * 86400, 2 * 86400, 0},
		{"1017", "Change the delivery address of order 5521", 40 * 86400, 33 * 86400, 1},
	};
	struct list_state st = {.view = "mine", .status = "open", .q = "", .sort = "activity", .dir = "desc"};
	struct json_object *a = json_object_new_array();
	time_t now = time(NULL);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(rows[i].id));
		json_object_object_add(o, "url", json_object_new_string("#"));
		json_object_object_add(o, "subject", json_object_new_string(rows[i].subject));
		json_object_object_add(o, "created", json_object_new_string(
			ticket_when(c, arena_printf(c->arena, "%lld", (long long)(now - rows[i].ago_created)))));
		json_object_object_add(o, "activity", json_object_new_string(
			ticket_when(c, arena_printf(c->arena, "%lld", (long long)(now - rows[i].ago_activity)))));
		json_object_object_add(o, "closed", json_object_new_boolean(rows[i].closed));
		json_object_object_add(o, "status", json_object_new_string(ticket_status_label(c, rows[i].closed,
			rows[i].closed ? "Closed" : "Open")));
		json_object_array_add(a, o);
	}
	json_object_object_add(page, "tickets", a);
	json_object_object_add(page, "has_tickets", json_object_new_boolean(1));
	json_object_object_add(page, "empty", json_object_new_boolean(0));
	json_object_object_add(page, "no_match", json_object_new_boolean(0));
	json_object_object_add(page, "clear_url", json_object_new_string("#"));
	json_object_object_add(page, "list_base", json_object_new_string("#"));
	if (c->portal->support_form_id)
		json_object_object_add(page, "new_url", json_object_new_string("#"));
	add_controls(c, page, &st);
}
