/* ticket_detail.c - GET /<slug>/<id>: the customer's ticket page (its messages from
 * conversation_read.c, who is copied in from ticket_cc.c, close/reopen from ticket_actions.c,
 * the rating from ticket_rating.c); also shown again by a reply that failed (ticket_reply.c). */
#include "conversation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "ticket_cc.h"
#include "token.h"

/*
 * Design. The page is one statement (issue 19): the ticket as the contact sees it
 * (portal_visible_tickets, the one definition: a ticket outside it has no row, a 404 exactly as a
 * missing one), its latest thread's messages as a JSON column (CONV_MESSAGES_JSON,
 * conversation.h), who is copied in (TICKET_CC_PAGE_COLS, ticket_cc.h), the close/reopen state
 * (TICKET_ACTIONS_COLS) and the rating (TICKET_RATING_COLS, app.h). Each module keeps its rules
 * in its own file and reads its columns from the page's row by name. The customer's GET runs
 * the statement with the session ("ticket_detail_s", the route's fold: $1 the token's hash, $2
 * the portal, the session's columns first, the page's after them, NULL for no ticket or another
 * portal's session); the admin preview, a reply form shown again and the close/reopen refusal
 * run it alone ("ticket_detail": $1 the portal, $2 the contact). Both: $3 the ticket, $4 the
 * request's language (the properties' labels). Times are instants (SQL_EPOCH), shown in the
 * portal's zone (ticket_when). Column names must not repeat the session's (fcgi/sessions.h).
 */
/* The custom properties customers may see (ticket_property_defs.visible; a key without a
 * definition is hidden), as [{name, value}] in the definitions' order: the label in the request's
 * language ($4), else the portal's primary language's, else the default label. Only plain
 * values (text, number, true/false), as JSON: properties() words true/false in the language. */
#define TICKET_PROPERTIES                                                                           \
	"(SELECT coalesce(json_agg(json_build_object('name', coalesce(nullif(d.labels->>$4::text, ''),"  \
	" nullif(d.labels->>pd.language, ''), d.label), 'value', e.value)"                               \
	" ORDER BY d.position, d.key), '[]')"                                                            \
	" FROM jsonb_each(t.properties) e JOIN ticket_property_defs d ON d.key = e.key AND d.visible"    \
	" LEFT JOIN portal_domains pd ON pd.portal_id = p.id AND pd.is_primary"                          \
	" WHERE jsonb_typeof(e.value) IN ('string', 'number', 'boolean'))::text"

#define TICKET_PAGE(PORTAL, CONTACT, ALLOWED)                                                      \
	"SELECT t.id, t.subject, t.description, coalesce(t.priority, '') AS priority,"              \
	" " SQL_EPOCH("t.created_at") " AS created, " SQL_EPOCH("t.last_activity_at") " AS activity," \
	" st.name AS stage, pl.name AS pipeline, " TICKET_PROPERTIES " AS properties,"                 \
	" coalesce(x.thread, 0) AS thread, " CONV_MESSAGES_JSON("x.thread") " AS messages, "  \
	TICKET_CC_PAGE_COLS(CONTACT) ", " TICKET_ACTIONS_COLS ", " TICKET_RATING_COLS(ALLOWED) \
	" FROM portal_visible_tickets(" PORTAL ", " CONTACT ", 'all') t"                            \
	" JOIN pipeline_stages st ON st.id = t.stage_id JOIN pipelines pl ON pl.id = t.pipeline_id" \
	" JOIN portals p ON p.id = " PORTAL                                                          \
	" LEFT JOIN LATERAL (SELECT ticket_latest_thread(t.id) AS thread) x ON true" TICKET_RATING_JOIN \
	" WHERE t.id = $3"

const struct db_stmt ticket_detail_stmts[] = {
	{"ticket_detail", TICKET_PAGE("$1", "$2", "coalesce(portal_contact_allowed($1, $2), false)"), 4},
	{"ticket_detail_s",
	 "WITH s AS MATERIALIZED (" SESSION_LOAD_SQL ")"
	 " SELECT s.*, d.* FROM s LEFT JOIN LATERAL (" TICKET_PAGE("$2", "s.contact_id", "s.allowed") ") d"
	 " ON s.portal_id = $2",
	 4},
	{NULL, NULL, 0},
};

/* The visible custom properties, labelled (TICKET_PROPERTIES), as [{name, value}] with each value
 * as text: a number as written, true and false as words of the page's language. */
static struct json_object *properties(struct ctx *c, const char *json_text)
{
	struct json_object *in = json_tokener_parse(json_text), *v;
	if (!in || !json_object_is_type(in, json_type_array)) {
		json_object_put(in);
		return json_object_new_array();
	}
	for (size_t i = 0; i < json_object_array_length(in); i++) {
		struct json_object *o = json_object_array_get_idx(in, i);
		if (!json_object_object_get_ex(o, "value", &v))
			continue;
		const char *text = json_object_is_type(v, json_type_boolean)
					   ? i18n_get(c->lang, json_object_get_boolean(v) ? "prop_true" : "prop_false")
					   : json_object_get_string(v);
		json_object_object_add(o, "value", json_object_new_string(text ? text : ""));
	}
	return in;
}

/* The description gets a card of its own only when the conversation does not start with it (a
 * ticket opened on the portal or by email has it as its first message; one opened by staff may
 * have none). Compared without surrounding white space. */
static void description_card(struct json_object *page, struct json_object *t)
{
	struct json_object *d, *msgs, *body;
	const char *desc = json_object_object_get_ex(t, "description", &d) ? json_object_get_string(d) : "";
	size_t lead = strspn(desc, " \t\r\n"), len = strlen(desc + lead);
	while (len && strchr(" \t\r\n", desc[lead + len - 1]))
		len--;
	int shown = len > 0;
	if (shown && json_object_object_get_ex(page, "messages", &msgs) && json_object_array_length(msgs) > 0 &&
	    json_object_object_get_ex(json_object_array_get_idx(msgs, 0), "body", &body)) {
		const char *b = json_object_get_string(body);
		b += strspn(b, " \t\r\n");
		size_t blen = strlen(b);
		while (blen && strchr(" \t\r\n", b[blen - 1]))
			blen--;
		shown = !(blen == len && memcmp(b, desc + lead, len) == 0);
	}
	json_object_object_add(t, "description_card", json_object_new_boolean(shown));
}

/* The page from row 0 of r (the ticket's columns by name; PQclear'd here). */
static int render_row(struct ctx *c, const char *ticket_id, int status, struct form *f, PGresult *r)
{
	struct json_object *page = page_new(c, NULL);
	int closed = db_col(r, 0, "closed")[0] == 't';
	struct json_object *t = json_object_new_object();
	json_object_object_add(t, "id", json_object_new_string(db_col(r, 0, "id")));
	json_object_object_add(t, "subject", json_object_new_string(db_col(r, 0, "subject")));
	json_object_object_add(t, "description", json_object_new_string(db_col(r, 0, "description")));
	const char *prio = db_col(r, 0, "priority");
	if (prio[0])
		json_object_object_add(t, "priority", json_object_new_string(
			i18n_get(c->lang, arena_printf(c->arena, "priority_%s", prio))));
	json_object_object_add(t, "created", json_object_new_string(ticket_when(c, db_col(r, 0, "created"))));
	json_object_object_add(t, "activity", json_object_new_string(ticket_when(c, db_col(r, 0, "activity"))));
	json_object_object_add(t, "closed", json_object_new_boolean(closed));
	json_object_object_add(t, "status", json_object_new_string(ticket_status_label(c, closed, db_col(r, 0, "stage"))));
	json_object_object_add(t, "pipeline", json_object_new_string(db_col(r, 0, "pipeline")));
	json_object_object_add(t, "properties", properties(c, db_col(r, 0, "properties")));
	json_object_object_add(t, "reply_url", json_object_new_string(
		arena_printf(c->arena, "/%s/%s/reply", c->portal->ticket_slug, ticket_id)));
	json_object_object_add(page, "ticket", t);
	json_object_object_add(page, "title", json_object_new_string(
		arena_printf(c->arena, "#%s %s", ticket_id, db_col(r, 0, "subject"))));
	json_object_object_add(page, "list_url", json_object_new_string(tickets_base(c)));
	const char *files = c->preview_contact ? arena_printf(c->arena, "/admin/preview/%ld/files", c->preview_contact)
					       : "/files";
	if (ticket_cc_page(c, page, ticket_id, r) < 0 || /* who is copied in (ticket_cc.c) */
	    (strcmp(db_col(r, 0, "thread"), "0") != 0 &&
	     conv_messages_json(c, page, db_col(r, 0, "messages"), files) < 0)) { /* conversation_read.c */
		PQclear(r);
		json_object_put(page);
		if (f)
			form_free(f);
		return 500;
	}
	description_card(page, t);
	ticket_rating_fill(c, page, ticket_id, r); /* the rating block (ticket_rating.c) */
	if (!closed && !c->preview_contact) {
		char nonce[64];
		if (token_new(nonce, sizeof nonce) == 0)
			json_object_object_add(page, "nonce", json_object_new_string(nonce));
	}
	ticket_actions_fill(c, page, ticket_id, r); /* close / reopen (ticket_actions.c) */
	PQclear(r);
	if (f)
		form_to_page(f, page);
	return page_render(c, status, "portal/ticket", page);
}

/* r: the page's result (the plain statement's, or the fold's), NULL after an error. */
static int render_result(struct ctx *c, const char *ticket_id, int status, struct form *f, PGresult *r)
{
	if (!r || PQntuples(r) != 1 || PQgetisnull(r, 0, PQfnumber(r, "id"))) {
		PQclear(r);
		if (f)
			form_free(f);
		return r ? 404 : 500;
	}
	return render_row(c, ticket_id, status, f, r);
}

int ticket_detail_render(struct ctx *c, const char *ticket_id, int status, struct form *f)
{
	char pid[24], cid[24];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	snprintf(cid, sizeof cid, "%ld", c->sess.contact_id);
	const char *p[4] = {pid, cid, ticket_id, c->lang};
	return render_result(c, ticket_id, status, f, db_exec("ticket_detail", 4, p));
}

/* The route's fold (fcgi/app.h): the page read with the session. */
int ticket_detail_fold(struct ctx *c, struct fold *f)
{
	f->stmt = "ticket_detail_s";
	f->params[0] = arena_printf(c->arena, "%ld", c->portal->id);
	f->params[1] = c->caps.v[0];
	f->params[2] = c->lang;
	f->n = 3;
	return 0;
}

int ticket_detail(struct ctx *c)
{
	PGresult *r = c->folded;
	c->folded = NULL;
	struct form kept;
	int has = !c->preview_contact &&
		  draft_restore(c, arena_printf(c->arena, "%s/%s/reply", tickets_base(c), c->caps.v[0]), &kept);
	if (!r) /* the session was read alone */
		return ticket_detail_render(c, c->caps.v[0], 200, has ? &kept : NULL);
	return render_result(c, c->caps.v[0], 200, has ? &kept : NULL, r);
}

/* The admin's template preview (admin_settings_templates.c): an open ticket with a short
 * conversation, as the page gives it to its template. */
void ticket_detail_sample(struct ctx *c, struct json_object *page)
{
	time_t now = time(NULL);
#define WHEN(ago) ticket_when(c, arena_printf(c->arena, "%lld", (long long)(now - (ago))))
	struct json_object *t = json_object_new_object();
	json_object_object_add(t, "id", json_object_new_string("1042"));
	json_object_object_add(t, "subject", json_object_new_string("Invoice 2026-118 shows the wrong VAT number"));
	json_object_object_add(t, "description", json_object_new_string(
		"Our invoice 2026-118 shows VAT number SE556000000001, but ours is SE556000000002."));
	json_object_object_add(t, "created", json_object_new_string(WHEN(3 * 86400)));
	json_object_object_add(t, "activity", json_object_new_string(WHEN(1800)));
	json_object_object_add(t, "closed", json_object_new_boolean(0));
	json_object_object_add(t, "status", json_object_new_string(ticket_status_label(c, 0, "Open")));
	json_object_object_add(t, "priority", json_object_new_string(i18n_get(c->lang, "priority_medium")));
	json_object_object_add(t, "properties", json_object_new_array());
	json_object_object_add(t, "reply_url", json_object_new_string("#"));
	json_object_object_add(page, "ticket", t);
	json_object_object_add(page, "title", json_object_new_string("#1042 Invoice 2026-118 shows the wrong VAT number"));
	json_object_object_add(page, "list_url", json_object_new_string(tickets_base(c)));
	static const struct {
		int incoming;
		const char *author, *body;
		long ago;
	} msgs[] = {
		{1, "Anna Berg", "Our invoice 2026-118 shows VAT number SE556000000001, but ours is SE556000000002.", 3 * 86400},
		{0, "Support", "Thank you, Anna. We have corrected the invoice and sent it to you again.", 2 * 86400},
		{1, "Anna Berg", "Received, thanks. Can the earlier invoices be corrected too?", 1800},
	};
	struct json_object *a = json_object_new_array();
	size_t n = sizeof msgs / sizeof msgs[0];
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int((int)i + 1));
		json_object_object_add(o, "incoming", json_object_new_boolean(msgs[i].incoming));
		json_object_object_add(o, "author", json_object_new_string(msgs[i].author));
		json_object_object_add(o, "when", json_object_new_string(WHEN(msgs[i].ago)));
		json_object_object_add(o, "body", json_object_new_string(msgs[i].body));
		json_object_object_add(o, "files", json_object_new_array());
		json_object_object_add(o, "has_files", json_object_new_boolean(0));
		json_object_object_add(o, "latest", json_object_new_boolean(i == n - 1));
		json_object_array_add(a, o);
	}
#undef WHEN
	json_object_object_add(page, "messages", a);
	json_object_object_add(page, "has_messages", json_object_new_boolean(1));
}
