/* tickets.c - GET /<slug> and /<slug>/<id>: the customer's ticket list (filter, search, sort,
 * keyset pages) and ticket detail (its messages from conversation_read.c). */
#include "conversation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "ticket_cc.h"
#include "token.h"

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
 * the key from the access row (they are equal; only the latter is the index's). */
#define TICKETS_LIST(KEY, CMP, DIR, FROM_K, FROM_ID) \
	"SELECT v.ticket_id, (v.ticket).subject," \
	" to_char((v.ticket).created_at AT TIME ZONE $8, 'YYYY-MM-DD HH24:MI')," \
	" to_char((v.ticket).last_activity_at AT TIME ZONE $8, 'YYYY-MM-DD HH24:MI')," \
	" v.is_closed, v.stage_name, (extract(epoch FROM v." KEY ") * 1000000)::bigint" \
	" FROM portal_visible_list($1, $2, $3, $4) v" \
	" WHERE ($5 = '' OR portal_ticket_matches_search(v.ticket, $5))" \
	"  AND (v." KEY ", v.ticket_id) " CMP " (coalesce('epoch'::timestamptz + $6::bigint * interval '1 microsecond'," \
	"   '" FROM_K "'::timestamptz), coalesce($7::bigint, " FROM_ID "))" \
	" ORDER BY v." KEY " " DIR ", v.ticket_id " DIR " LIMIT 26"

const struct db_stmt tickets_stmts[] = {
	{"tickets_list_activity_desc", TICKETS_LIST("last_activity_at", "<", "DESC", "infinity", "9223372036854775807"), 8},
	{"tickets_list_activity_asc", TICKETS_LIST("last_activity_at", ">", "ASC", "-infinity", "0"), 8},
	{"tickets_list_created_desc", TICKETS_LIST("created_at", "<", "DESC", "infinity", "9223372036854775807"), 8},
	{"tickets_list_created_asc", TICKETS_LIST("created_at", ">", "ASC", "-infinity", "0"), 8},
	{"tickets_detail",
	 "SELECT t.id, t.subject, t.description, coalesce(t.priority, ''),"
	 " to_char(t.created_at AT TIME ZONE $4, 'YYYY-MM-DD HH24:MI'),"
	 " to_char(t.last_activity_at AT TIME ZONE $4, 'YYYY-MM-DD HH24:MI'),"
	 " s.is_closed, s.name, p.name, t.properties::text, coalesce(ticket_latest_thread(t.id), 0)"
	 " FROM portal_visible_tickets($1, $2, 'all') t JOIN pipeline_stages s ON s.id = t.stage_id"
	 " JOIN pipelines p ON p.id = t.pipeline_id WHERE t.id = $3",
	 4},
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

/* "<digits>.<digits>" into its two parts; 0 when malformed. */
static int parse_cursor(struct ctx *c, const char *s, const char **k, const char **id)
{
	if (!s)
		return 0;
	const char *dot = strchr(s, '.');
	if (!dot || dot == s || dot[1] == '\0' || strlen(s) > 40)
		return 0;
	for (const char *p = s; *p; p++)
		if (p != dot && (*p < '0' || *p > '9') && !(p == s && *p == '-'))
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
	if (!c->sess.org_visible && strcmp(st->view, "org") == 0)
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

const char *ticket_when(struct ctx *c, const char *ts)
{
	struct buf b = BUF_INIT;
	i18n_format_datetime(c->lang, ts, &b);
	const char *out = arena_strdup(c->arena, b.data ? b.data : ts);
	buf_free(&b);
	return out;
}

static const char *status_label(struct ctx *c, int closed, const char *stage)
{
	if (c->portal->show_custom_stages)
		return stage;
	return i18n_get(c->lang, closed ? "status_closed" : "status_open");
}

static struct json_object *row_json(struct ctx *c, PGresult *r, int i)
{
	struct json_object *o = json_object_new_object();
	const char *id = PQgetvalue(r, i, 0);
	int closed = PQgetvalue(r, i, 4)[0] == 't';
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "url", json_object_new_string(arena_printf(c->arena, "%s/%s", tickets_base(c), id)));
	json_object_object_add(o, "subject", json_object_new_string(PQgetvalue(r, i, 1)));
	json_object_object_add(o, "created", json_object_new_string(ticket_when(c, PQgetvalue(r, i, 2))));
	json_object_object_add(o, "activity", json_object_new_string(ticket_when(c, PQgetvalue(r, i, 3))));
	json_object_object_add(o, "closed", json_object_new_boolean(closed));
	json_object_object_add(o, "status", json_object_new_string(status_label(c, closed, PQgetvalue(r, i, 5))));
	return o;
}

static const char *cursor_of(struct ctx *c, PGresult *r, int i)
{
	return arena_printf(c->arena, "%s.%s", PQgetvalue(r, i, 6), PQgetvalue(r, i, 0));
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

int tickets_page(struct ctx *c)
{
	struct list_state st;
	read_state(c, &st);
	char pid[24], cid[24];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	snprintf(cid, sizeof cid, "%ld", c->sess.contact_id);
	/* the statement walks its index in the order the page is read in: a backward page reversed */
	int desc = (strcmp(st.dir, "desc") == 0) != st.backward;
	const char *p[8] = {pid, cid, st.view, st.status, st.q, st.cursor_k, st.cursor_id, c->portal->time_zone};
	PGresult *r = db_exec(arena_printf(c->arena, "tickets_list_%s_%s", st.sort, desc ? "desc" : "asc"), 8, p);
	if (!r)
		return 500;
	int n = PQntuples(r), more = n > PAGE_SIZE, shown = more ? PAGE_SIZE : n;
	struct json_object *page = page_new(c, "tickets_title");
	struct json_object *rows = json_object_new_array();
	for (int k = 0; k < shown; k++) {
		int i = st.backward ? shown - 1 - k : k; /* a backward page comes reversed */
		json_object_array_add(rows, row_json(c, r, i));
	}
	json_object_object_add(page, "tickets", rows);
	json_object_object_add(page, "has_tickets", json_object_new_boolean(shown > 0));
	if (shown > 0) {
		int first = st.backward ? shown - 1 : 0, last = st.backward ? 0 : shown - 1;
		int has_next = st.backward ? 1 : more, has_prev = st.backward ? more : st.cursor_k != NULL;
		if (has_next)
			json_object_object_add(page, "next_url", json_object_new_string(
				list_url(c, &st, NULL, NULL, "after", cursor_of(c, r, last))));
		if (has_prev)
			json_object_object_add(page, "prev_url", json_object_new_string(
				list_url(c, &st, NULL, NULL, "before", cursor_of(c, r, first))));
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

/* Custom properties as [{name, value}] for the detail's property list. */
static struct json_object *properties(const char *json_text)
{
	struct json_object *in = json_tokener_parse(json_text), *out = json_object_new_array();
	if (in && json_object_is_type(in, json_type_object)) {
		json_object_object_foreach(in, key, val)
		{
			if (json_object_is_type(val, json_type_object) || json_object_is_type(val, json_type_array))
				continue;
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "name", json_object_new_string(key));
			json_object_object_add(o, "value", json_object_new_string(json_object_get_string(val)));
			json_object_array_add(out, o);
		}
	}
	json_object_put(in);
	return out;
}

int ticket_detail_render(struct ctx *c, const char *ticket_id, int status, struct form *f)
{
	char pid[24], cid[24];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	snprintf(cid, sizeof cid, "%ld", c->sess.contact_id);
	const char *p[4] = {pid, cid, ticket_id, c->portal->time_zone};
	PGresult *r = db_exec("tickets_detail", 4, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		if (f)
			form_free(f);
		return r ? 404 : 500;
	}
	struct json_object *page = page_new(c, NULL);
	int closed = PQgetvalue(r, 0, 6)[0] == 't';
	struct json_object *t = json_object_new_object();
	json_object_object_add(t, "id", json_object_new_string(PQgetvalue(r, 0, 0)));
	json_object_object_add(t, "subject", json_object_new_string(PQgetvalue(r, 0, 1)));
	json_object_object_add(t, "description", json_object_new_string(PQgetvalue(r, 0, 2)));
	const char *prio = PQgetvalue(r, 0, 3);
	if (prio[0])
		json_object_object_add(t, "priority", json_object_new_string(
			i18n_get(c->lang, arena_printf(c->arena, "priority_%s", prio))));
	json_object_object_add(t, "created", json_object_new_string(ticket_when(c, PQgetvalue(r, 0, 4))));
	json_object_object_add(t, "activity", json_object_new_string(ticket_when(c, PQgetvalue(r, 0, 5))));
	json_object_object_add(t, "closed", json_object_new_boolean(closed));
	json_object_object_add(t, "status", json_object_new_string(status_label(c, closed, PQgetvalue(r, 0, 7))));
	json_object_object_add(t, "pipeline", json_object_new_string(PQgetvalue(r, 0, 8)));
	json_object_object_add(t, "properties", properties(PQgetvalue(r, 0, 9)));
	json_object_object_add(t, "reply_url", json_object_new_string(
		arena_printf(c->arena, "/%s/%s/reply", c->portal->ticket_slug, ticket_id)));
	json_object_object_add(page, "ticket", t);
	if (ticket_cc_page(c, page, ticket_id) < 0) { /* who is copied in (ticket_cc.c) */
		PQclear(r);
		json_object_put(page);
		if (f)
			form_free(f);
		return 500;
	}
	json_object_object_add(page, "title", json_object_new_string(
		arena_printf(c->arena, "#%s %s", ticket_id, PQgetvalue(r, 0, 1))));
	json_object_object_add(page, "list_url", json_object_new_string(tickets_base(c)));
	const char *thread = arena_strdup(c->arena, PQgetvalue(r, 0, 10));
	PQclear(r);
	const char *files = c->preview_contact ? arena_printf(c->arena, "/admin/preview/%ld/files", c->preview_contact)
					       : "/files";
	if (strcmp(thread, "0") != 0 && conv_messages(c, page, thread, 0, files) < 0) {
		json_object_put(page);
		if (f)
			form_free(f);
		return 500;
	}
	ticket_rating_fill(c, page, ticket_id, closed); /* the rating block (ticket_rating.c); none on an error */
	if (!closed && !c->preview_contact) {
		char nonce[64];
		if (token_new(nonce, sizeof nonce) == 0)
			json_object_object_add(page, "nonce", json_object_new_string(nonce));
	}
	ticket_actions_fill(c, page, ticket_id); /* close / reopen (ticket_actions.c) */
	if (f)
		form_to_page(f, page);
	return page_render(c, status, "portal/ticket", page);
}

int ticket_detail(struct ctx *c)
{
	struct form kept;
	int has = !c->preview_contact &&
		  draft_restore(c, arena_printf(c->arena, "%s/%s/reply", tickets_base(c), c->caps.v[0]), &kept);
	return ticket_detail_render(c, c->caps.v[0], 200, has ? &kept : NULL);
}
