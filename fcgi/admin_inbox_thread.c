/* admin_inbox_thread.c - GET /admin/inbox/<thread> and /admin/inbox/<thread>/files/<id>/<name>:
 * one conversation as agents see it: every message including internal notes, the ticket's
 * properties, the reply / note / stage forms; its attachments. */
#include "admin_inbox.h"
#include "conversation.h"

#include <stdio.h>
#include <string.h>

#include "token.h"

const struct db_stmt admin_inbox_thread_stmts[] = {
	/* the thread page */
	{"admin_inbox_thread",
	 "SELECT th.id, coalesce(th.ticket_id, 0), th.channel, i.name,"
	 " to_char(th.created_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI'),"
	 " coalesce(t.subject, ''), coalesce(t.priority, ''), coalesce(s.name, ''),"
	 " coalesce(s.is_closed, false), coalesce(t.stage_id, 0), coalesce(p.name, ''),"
	 " coalesce(t.pipeline_id, 0), coalesce(th.id = ticket_latest_thread(th.ticket_id), false),"
	 " coalesce((SELECT a.address FROM inbox_addresses a WHERE a.inbox_id = th.inbox_id"
	 "   AND a.connected ORDER BY a.id LIMIT 1), ''),"
	 " coalesce(to_char(t.closed_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI'), '')"
	 " FROM threads th JOIN inboxes i ON i.id = th.inbox_id"
	 " LEFT JOIN tickets t ON t.id = th.ticket_id"
	 " LEFT JOIN pipeline_stages s ON s.id = t.stage_id LEFT JOIN pipelines p ON p.id = t.pipeline_id"
	 " WHERE th.id = $1",
	 2},
	{"admin_inbox_ticket_contacts",
	 "SELECT c.id, c.email, btrim(c.first_name || ' ' || c.last_name)"
	 " FROM ticket_contacts x JOIN contacts c ON c.id = x.contact_id"
	 " WHERE x.ticket_id = $1 ORDER BY c.id LIMIT 50",
	 1},
	{"admin_inbox_stages",
	 "SELECT id, name, is_closed FROM pipeline_stages WHERE pipeline_id = $1 ORDER BY position LIMIT 100",
	 1},
	/* an attachment of a message of this thread */
	{"admin_inbox_file",
	 "SELECT a.sha256, a.content_type, a.file_name FROM attachments a"
	 " JOIN messages m ON m.id = a.message_id"
	 " WHERE a.id = $1 AND m.thread_id = $2 AND a.file_name = $3",
	 3},
	{NULL},
};

static struct json_object *str(const char *s)
{
	return json_object_new_string(s);
}

/* The ticket's contacts with their preview links, and its pipeline's stages. */
static int add_ticket_lists(struct ctx *c, struct json_object *t, const char *ticket,
			    const char *pipeline, const char *stage)
{
	const char *p1[1] = {ticket};
	PGresult *r = db_exec("admin_inbox_ticket_contacts", 1, p1);
	if (!r)
		return -1;
	struct json_object *contacts = json_object_new_array();
	for (int i = 0; i < PQntuples(r); i++) {
		struct json_object *o = json_object_new_object();
		const char *name = PQgetvalue(r, i, 2);
		json_object_object_add(o, "name", str(name[0] ? name : PQgetvalue(r, i, 1)));
		json_object_object_add(o, "email", str(PQgetvalue(r, i, 1)));
		json_object_object_add(o, "preview_url", str(arena_printf(c->arena,
			"/admin/preview/%s/tickets/%s", PQgetvalue(r, i, 0), ticket)));
		json_object_array_add(contacts, o);
	}
	json_object_object_add(t, "has_contacts", json_object_new_boolean(PQntuples(r) > 0));
	json_object_object_add(t, "contacts", contacts);
	PQclear(r);
	const char *p2[1] = {pipeline};
	r = db_exec("admin_inbox_stages", 1, p2);
	if (!r)
		return -1;
	struct json_object *stages = json_object_new_array();
	for (int i = 0; i < PQntuples(r); i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "id", str(PQgetvalue(r, i, 0)));
		json_object_object_add(o, "name", str(PQgetvalue(r, i, 1)));
		json_object_object_add(o, "closed", json_object_new_boolean(PQgetvalue(r, i, 2)[0] == 't'));
		json_object_object_add(o, "selected", json_object_new_boolean(strcmp(PQgetvalue(r, i, 0), stage) == 0));
		json_object_array_add(stages, o);
	}
	json_object_object_add(t, "stages", stages);
	PQclear(r);
	return 0;
}

static struct json_object *ticket_json(struct ctx *c, PGresult *r, const char *ticket)
{
	struct json_object *t = json_object_new_object();
	json_object_object_add(t, "id", str(ticket));
	json_object_object_add(t, "subject", str(PQgetvalue(r, 0, 5)));
	const char *prio = PQgetvalue(r, 0, 6);
	if (prio[0])
		json_object_object_add(t, "priority", str(prio));
	json_object_object_add(t, "stage", str(PQgetvalue(r, 0, 7)));
	json_object_object_add(t, "closed", json_object_new_boolean(PQgetvalue(r, 0, 8)[0] == 't'));
	json_object_object_add(t, "closed_at", str(PQgetvalue(r, 0, 14)));
	json_object_object_add(t, "pipeline", str(PQgetvalue(r, 0, 10)));
	json_object_object_add(t, "url", str(arena_printf(c->arena, "/admin/tickets/%s", ticket)));
	json_object_object_add(t, "latest_thread", json_object_new_boolean(PQgetvalue(r, 0, 12)[0] == 't'));
	return t;
}

/* A form's context: a fresh one-time nonce, and the input and errors when it came back. */
static struct json_object *form_ctx(const char *name, const char *which, struct form *f)
{
	struct json_object *o = json_object_new_object();
	char nonce[TOKEN_LEN + 1];
	if (token_new(nonce, sizeof nonce) == 0)
		json_object_object_add(o, "nonce", str(nonce));
	if (f && which && strcmp(name, which) == 0)
		form_to_page(f, o);
	return o;
}

int admin_inbox_thread_render(struct ctx *c, const char *thread, int status, const char *which,
			      struct form *f)
{
	const char *p[2] = {thread, c->portal->time_zone};
	PGresult *r = db_exec("admin_inbox_thread", 2, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		if (f)
			form_free(f);
		return r ? 404 : 500;
	}
	const char *ticket = arena_strdup(c->arena, PQgetvalue(r, 0, 1));
	int tied = strcmp(ticket, "0") != 0;
	struct json_object *page = admin_page_new(c, NULL, "inbox");
	const char *title = tied ? arena_printf(c->arena, "#%s %s", ticket, PQgetvalue(r, 0, 5))
				 : arena_printf(c->arena, "Conversation %s", thread);
	json_object_object_add(page, "title", str(title));
	struct json_object *th = json_object_new_object();
	json_object_object_add(th, "id", str(thread));
	json_object_object_add(th, "channel", str(PQgetvalue(r, 0, 2)));
	json_object_object_add(th, "inbox", str(PQgetvalue(r, 0, 3)));
	json_object_object_add(th, "created", str(PQgetvalue(r, 0, 4)));
	json_object_object_add(th, "from_address", str(PQgetvalue(r, 0, 13)));
	json_object_object_add(page, "thread", th);
	json_object_object_add(page, "time_zone", str(c->portal->time_zone));
	const char *pipeline = arena_strdup(c->arena, PQgetvalue(r, 0, 11));
	const char *stage = arena_strdup(c->arena, PQgetvalue(r, 0, 9));
	struct json_object *t = tied ? ticket_json(c, r, ticket) : NULL;
	PQclear(r);
	if (t) {
		json_object_object_add(page, "ticket", t);
		if (add_ticket_lists(c, t, ticket, pipeline, stage) < 0)
			goto fail;
	}
	if (conv_messages(c, page, thread, 1, arena_printf(c->arena, "/admin/inbox/%s/files", thread)) < 0)
		goto fail;
	json_object_object_add(page, "reply", form_ctx("reply", which, f));
	json_object_object_add(page, "note", form_ctx("note", which, f));
	json_object_object_add(page, "stage_form", form_ctx("stage", which, f));
	if (f) {
		json_object_object_add(page, "has_errors", json_object_new_boolean(1));
		json_object_object_add(page, "error_form", str(which));
		form_free(f);
	}
	return admin_render(c, status, "admin/inbox_thread", page);
fail:
	json_object_put(page);
	if (f)
		form_free(f);
	return 500;
}

int admin_inbox_thread(struct ctx *c)
{
	if (!admin_id(c->caps.v[0]))
		return 404;
	return admin_inbox_thread_render(c, c->caps.v[0], 200, NULL, NULL);
}

/* An attachment of a message of this thread (notes included), handed to nginx to send. */
int admin_inbox_file(struct ctx *c)
{
	if (!admin_id(c->caps.v[0]) || !admin_id(c->caps.v[1]))
		return 404;
	const char *p[3] = {c->caps.v[1], c->caps.v[0], c->caps.v[2]};
	return file_send_found(c, "admin_inbox_file", 3, p);
}
