/* ticket_detail.c - GET /<slug>/<id>: the customer's ticket page (its messages from
 * conversation_read.c, who is copied in from ticket_cc.c, close/reopen from ticket_actions.c,
 * the rating from ticket_rating.c); also shown again by a reply that failed (ticket_reply.c). */
#include "conversation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "ticket_cc.h"
#include "token.h"

/* The ticket, if the contact sees it (portal_visible_tickets, the one definition): else 404. */
const struct db_stmt ticket_detail_stmts[] = {
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
	json_object_object_add(t, "status", json_object_new_string(ticket_status_label(c, closed, PQgetvalue(r, 0, 7))));
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
