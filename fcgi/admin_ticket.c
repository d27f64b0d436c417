/* admin_ticket.c - one ticket in the console: its properties and stage, associated
 * contacts and companies, the conversation threads tied to it (which decide what the portal
 * shows) and its timeline. */
#include "admin_records.h"

#include <stdio.h>
#include <string.h>

const struct db_stmt admin_ticket_stmts[] = {
	{"rec_ticket_get",
	 "SELECT t.id, t.subject, t.description, coalesce(t.priority, ''), p.name, t.stage_id, s.name,"
	 " s.is_closed, " SQL_UTC("t.created_at", "YYYY-MM-DD HH24:MI") ", " SQL_UTC("t.last_activity_at", "YYYY-MM-DD HH24:MI") ", " SQL_UTC("t.closed_at", "YYYY-MM-DD HH24:MI") ","
	 " t.properties::text"
	 " FROM tickets t JOIN pipelines p ON p.id = t.pipeline_id JOIN pipeline_stages s ON s.id = t.stage_id"
	 " WHERE t.id = $1",
	 1},
	{"rec_ticket_lock",
	 "SELECT " TICKET_STATE " FROM tickets t WHERE t.id = $1 FOR UPDATE", 1},
	{"rec_ticket_set",
	 "UPDATE tickets t SET subject = $2, description = $3, priority = nullif($4, ''),"
	 " pipeline_id = s.pipeline_id, stage_id = s.id,"
	 " closed_at = CASE WHEN s.is_closed THEN coalesce(t.closed_at, greatest(now(), t.created_at)) END,"
	 " last_activity_at = greatest(now(), t.last_activity_at)"
	 " FROM pipeline_stages s WHERE t.id = $1 AND s.id = $5 RETURNING " TICKET_STATE,
	 5},
	{"rec_ticket_prop_set",
	 "UPDATE tickets SET properties = properties || jsonb_build_object($2::text, $3::text),"
	 " last_activity_at = greatest(now(), last_activity_at) WHERE id = $1 RETURNING properties::text",
	 3},
	{"rec_ticket_prop_del",
	 "UPDATE tickets SET properties = properties - $2::text,"
	 " last_activity_at = greatest(now(), last_activity_at) WHERE id = $1 RETURNING properties::text",
	 2},
	{"rec_ticket_touch",
	 "UPDATE tickets SET last_activity_at = greatest(now(), last_activity_at) WHERE id = $1", 1},
	{"rec_ticket_contacts",
	 "SELECT c.id, c.email, btrim(c.first_name || ' ' || c.last_name),"
	 " EXISTS (SELECT 1 FROM members m WHERE m.contact_id = c.id AND m.portal_id = $2)"
	 " FROM ticket_contacts tc JOIN contacts c ON c.id = tc.contact_id WHERE tc.ticket_id = $1"
	 " ORDER BY c.id LIMIT 200",
	 2},
	{"rec_ticket_contact_add",
	 "INSERT INTO ticket_contacts (ticket_id, contact_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
	 " RETURNING contact_id",
	 2},
	{"rec_ticket_contact_del",
	 "DELETE FROM ticket_contacts tc USING contacts c WHERE tc.ticket_id = $1 AND tc.contact_id = $2"
	 " AND c.id = tc.contact_id RETURNING c.email",
	 2},
	{"rec_ticket_companies",
	 "SELECT co.id, co.name, coalesce(co.domain, '') FROM ticket_companies tc"
	 " JOIN companies co ON co.id = tc.company_id WHERE tc.ticket_id = $1 ORDER BY lower(co.name), co.id LIMIT 200",
	 1},
	{"rec_ticket_company_add",
	 "INSERT INTO ticket_companies (ticket_id, company_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
	 " RETURNING company_id",
	 2},
	{"rec_ticket_company_del",
	 "DELETE FROM ticket_companies tc USING companies co WHERE tc.ticket_id = $1 AND tc.company_id = $2"
	 " AND co.id = tc.company_id RETURNING co.name",
	 2},
	/* in the order the portal picks (ticket_latest_thread): the first is the one it shows */
	{"rec_ticket_threads",
	 "SELECT th.id, th.channel, i.name, (SELECT count(*) FROM messages m WHERE m.thread_id = th.id),"
	 " " SQL_UTC("th.last_message_at", "YYYY-MM-DD HH24:MI") ", " SNIPPET("th.id")
	 " FROM threads th JOIN inboxes i ON i.id = th.inbox_id WHERE th.ticket_id = $1"
	 " ORDER BY th.last_message_at DESC, th.id DESC LIMIT 100",
	 1},
	{"rec_threads_detached",
	 "SELECT th.id, th.channel, i.name, " SQL_UTC("th.last_message_at", "YYYY-MM-DD HH24:MI") ", " SNIPPET("th.id")
	 " FROM threads th JOIN inboxes i ON i.id = th.inbox_id WHERE th.ticket_id IS NULL"
	 " ORDER BY th.last_message_at DESC, th.id DESC LIMIT 10",
	 0},
	{"rec_thread_lock",
	 "SELECT coalesce(th.ticket_id, 0), i.name, th.channel FROM threads th"
	 " JOIN inboxes i ON i.id = th.inbox_id WHERE th.id = $1 FOR UPDATE OF th",
	 1},
	{"rec_thread_attach", "UPDATE threads SET ticket_id = $2 WHERE id = $1 AND ticket_id IS NULL RETURNING id", 2},
	{"rec_thread_detach", "UPDATE threads SET ticket_id = NULL WHERE id = $1 AND ticket_id = $2 RETURNING id", 2},
	{"rec_ticket_timeline",
	 "SELECT " SQL_UTC("x.at", "YYYY-MM-DD HH24:MI") ", x.is_note, x.is_event, x.direction, x.thread_id, x.channel, x.who, x.body, x.label"
	 " FROM (SELECT m.created_at AS at, m.id AS ord, m.kind = 'note' AS is_note, false AS is_event,"
	 "   m.direction, th.id AS thread_id, th.channel,"
	 "   coalesce(nullif(btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), ''),"
	 "     u.name, m.from_address, '') AS who, m.body,"
	 "   coalesce(nullif((SELECT e.kind FROM engagements e WHERE e.message_id = m.id ORDER BY e.id LIMIT 1),"
	 "     th.channel), '') AS label"
	 "  FROM threads th JOIN messages m ON m.thread_id = th.id"
	 "  LEFT JOIN contacts c ON c.id = m.author_contact_id LEFT JOIN staff_users u ON u.id = m.author_user_id"
	 "  WHERE th.ticket_id = $1"
	 "  UNION ALL"
	 "  SELECT e.created_at, e.id, false, true, '', NULL, '', coalesce(c.email, ''), e.summary, e.kind"
	 "  FROM engagements e LEFT JOIN contacts c ON c.id = e.contact_id"
	 "  WHERE e.ticket_id = $1 AND NOT EXISTS (SELECT 1 FROM messages m JOIN threads th ON th.id = m.thread_id"
	 "    WHERE m.id = e.message_id AND th.ticket_id = $1)) x"
	 " ORDER BY x.at DESC, x.ord DESC LIMIT 200",
	 1},
	{NULL},
};

/*
 * Every change locks the ticket row first (then a thread, if any), changes it, moves
 * last_activity_at forward and writes the audit row in the same transaction. The stage
 * picker lists every pipeline's stages: picking a stage of another pipeline moves the ticket
 * to that pipeline (the composite foreign key keeps the two consistent). closed_at follows
 * the stage: set when the ticket enters a closed stage, cleared when it leaves for an open one.
 * The portal shows the thread with the latest last_message_at (ticket_latest_thread()), the
 * first of the threads listed here.
 */

#define TK_SUBJECT_MAX 500
#define TK_DESCRIPTION_MAX 20000
#define TK_VALUE_MAX 2000

static const char *const priorities[] = {"", "low", "medium", "high", "urgent", NULL};
static const char *const priority_labels[] = {"None", "Low", "Medium", "High", "Urgent", NULL};
static const char *const reserved[] = {"subject", "description", "priority", "pipeline", "stage", "status",
				       "id", "created_at", "last_activity_at", "closed_at", NULL};

static int in_list(const char *const *list, const char *v)
{
	for (; v && *list; list++)
		if (strcmp(*list, v) == 0)
			return 1;
	return 0;
}

static int key_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 40 && s[0] >= 'a' && s[0] <= 'z' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* Attach a result's rows under key; 0, or -1 when the statement failed. */
static int add_rows(struct json_object *page, const char *key, PGresult *r, const char *cols)
{
	if (!r)
		return -1;
	char none[64];
	snprintf(none, sizeof none, "no_%s", key);
	json_object_object_add(page, key, rec_rows(r, cols));
	json_object_object_add(page, none, json_object_new_boolean(PQntuples(r) == 0));
	PQclear(r);
	return 0;
}

static struct json_object *priority_choices(const char *sel)
{
	struct json_object *a = json_object_new_array();
	for (int i = 0; priorities[i]; i++) {
		struct json_object *o = rec_obj("value", priorities[i], "label", priority_labels[i], NULL);
		json_object_object_add(o, "selected", json_object_new_boolean(sel && strcmp(sel, priorities[i]) == 0));
		json_object_array_add(a, o);
	}
	return a;
}

/* The custom properties as [{key, value}] (values that are not strings in their JSON form). */
static struct json_object *property_list(const char *text)
{
	struct json_object *props = rec_json(text), *out = json_object_new_array();
	if (json_object_is_type(props, json_type_object)) {
		json_object_object_foreach(props, k, v)
		{
			const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
				: json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
			json_object_array_add(out, rec_obj("key", k, "value", s, NULL));
		}
	}
	json_object_put(props);
	return out;
}

/*
 * The ticket page. which: the form f came from ("props_form", "prop_form", "contact_form",
 * "company_form", "thread_form"), so its inputs show what was typed; f may be NULL.
 */
static int ticket_render(struct ctx *c, int status, struct form *f, const char *which)
{
	const char *id = c->caps.v[0];
	PGresult *t = admin_id(id) ? rec_q("rec_ticket_get", 1, id) : NULL;
	if (!t || PQntuples(t) != 1) {
		int st = !admin_id(id) || t ? 404 : 500;
		PQclear(t);
		if (f)
			form_free(f);
		return st;
	}
	const char *sel_stage = f && which && strcmp(which, "props_form") == 0 ? request_form(c->req, "stage_id") : NULL;
	const char *sel_prio = f && which && strcmp(which, "props_form") == 0 ? request_form(c->req, "priority") : NULL;
	struct json_object *page = admin_page_new(c, arena_printf(c->arena, "Ticket #%s", id), "tickets");
	json_object_object_add(page, "ticket", rec_row(t, 0,
		"id,subject,description,priority,pipeline,stage_id,stage,is_closed,created,activity,closed_at"));
	struct json_object *props = property_list(PQgetvalue(t, 0, 11));
	json_object_object_add(page, "has_properties", json_object_new_boolean(json_object_array_length(props) > 0));
	json_object_object_add(page, "properties", props);
	struct json_object *stages = rec_stage_groups(sel_stage ? sel_stage : PQgetvalue(t, 0, 5));
	json_object_object_add(page, "priorities", priority_choices(sel_prio ? sel_prio : PQgetvalue(t, 0, 3)));
	PQclear(t);
	if (!stages) {
		json_object_put(page);
		if (f)
			form_free(f);
		return 500;
	}
	json_object_object_add(page, "stage_groups", stages);
	const char *pid = admin_idstr(c, admin_portal_id(c));
	int bad = add_rows(page, "contacts", rec_q("rec_ticket_contacts", 2, id, pid), "id,email,name,is_member");
	bad |= add_rows(page, "companies", rec_q("rec_ticket_companies", 1, id), "id,name,domain");
	bad |= add_rows(page, "threads", rec_q("rec_ticket_threads", 1, id), "id,channel,inbox,messages,activity,snippet");
	bad |= add_rows(page, "detached", db_exec("rec_threads_detached", 0, NULL), "id,channel,inbox,activity,snippet");
	bad |= add_rows(page, "timeline", rec_q("rec_ticket_timeline", 1, id),
			"at,is_note,is_event,direction,thread_id,channel,who,body,label");
	bad |= add_rows(page, "company_choices", db_exec("rec_company_choices", 0, NULL), "name");
	if (bad) {
		json_object_put(page);
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *threads;
	if (json_object_object_get_ex(page, "threads", &threads) && json_object_array_length(threads) > 0)
		json_object_object_add(json_object_array_get_idx(threads, 0), "shown", json_object_new_boolean(1));
	if (f) {
		if (which)
			json_object_object_add(page, which, json_object_new_boolean(1));
		form_to_page(f, page);
	}
	return admin_render(c, status, "admin/records_ticket", page);
}

int rec_ticket_page(struct ctx *c)
{
	return ticket_render(c, 200, NULL, NULL);
}

/* Lock the route's ticket: 0 (transaction open), 404 or 500; its state into *state if asked. */
static int lock_ticket(struct ctx *c, struct json_object **state)
{
	if (!admin_id(c->caps.v[0]))
		return 404;
	if (db_begin() < 0)
		return 500;
	PGresult *r = rec_q("rec_ticket_lock", 1, c->caps.v[0]);
	if (!r || PQntuples(r) != 1) {
		int st = r ? 404 : 500;
		PQclear(r);
		db_rollback();
		return st;
	}
	if (state)
		*state = rec_json(PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

/* Back to the ticket page after a change: last activity, the audit row, COMMIT, 303. */
static int finish(struct ctx *c, const char *action, struct json_object *before, struct json_object *after)
{
	PGresult *r = rec_q("rec_ticket_touch", 1, c->caps.v[0]);
	PQclear(r);
	if (!r || admin_audit(c, action, NULL, before, after) < 0)
		return rec_abort();
	return rec_commit_redirect(c, arena_printf(c->arena, "/admin/tickets/%s?saved=1", c->caps.v[0]));
}

/* Keep only what changed in before/after (both objects). */
static void only_changes(struct json_object *before, struct json_object *after)
{
	struct json_object *same = json_object_new_array();
	json_object_object_foreach(before, k, v)
	{
		struct json_object *w;
		if (json_object_object_get_ex(after, k, &w) && json_object_equal(v, w))
			json_object_array_add(same, json_object_new_string(k));
	}
	for (size_t i = 0; i < json_object_array_length(same); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(same, i));
		json_object_object_del(before, name);
		json_object_object_del(after, name);
	}
	json_object_put(same);
}

int rec_ticket_update(struct ctx *c)
{
	struct json_object *before = NULL;
	struct form f;
	form_init(&f, "en");
	const char *subject = form_text(&f, c->req, "subject", 1, TK_SUBJECT_MAX, 0, 1);
	const char *description = form_text(&f, c->req, "description", 0, TK_DESCRIPTION_MAX, 1, 1);
	const char *stage = request_form(c->req, "stage_id"), *priority = request_form(c->req, "priority");
	if (!in_list(priorities, priority))
		form_message(&f, "priority", "Choose a priority from the list.");
	int st = lock_ticket(c, &before);
	if (st) {
		form_free(&f);
		return st;
	}
	int sg = admin_id(stage) ? rec_exists("rec_stage_find", 1, stage) : 0;
	if (sg < 0) {
		form_free(&f);
		json_object_put(before);
		return rec_abort();
	}
	if (!sg)
		form_message(&f, "stage_id", "Choose a stage of one of the pipelines.");
	if (f.nerrors) {
		json_object_put(before);
		db_rollback();
		return ticket_render(c, 422, &f, "props_form");
	}
	form_free(&f);
	PGresult *r = rec_q("rec_ticket_set", 5, c->caps.v[0], subject, description, priority, stage);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		json_object_put(before);
		return rec_abort();
	}
	struct json_object *after = rec_json(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (json_object_is_type(before, json_type_object) && json_object_is_type(after, json_type_object))
		only_changes(before, after);
	if (admin_audit(c, "ticket_update", NULL, before, after) < 0)
		return rec_abort();
	return rec_commit_redirect(c, arena_printf(c->arena, "/admin/tickets/%s?saved=1", c->caps.v[0]));
}

int rec_ticket_property(struct ctx *c)
{
	const char *op = request_form(c->req, "op");
	int remove = op && strcmp(op, "remove") == 0;
	struct form f;
	form_init(&f, "en");
	const char *key = form_text(&f, c->req, "prop_key", 1, 40, 0, 1);
	const char *value = remove ? "" : form_text(&f, c->req, "prop_value", 1, TK_VALUE_MAX, 0, 1);
	if (key && (!key_ok(key) || in_list(reserved, key)))
		form_message(&f, "prop_key", "Use lowercase letters, digits and _ (starting with a letter), not a built-in name such as subject or stage.");
	struct json_object *before = NULL;
	int st = lock_ticket(c, &before);
	if (st) {
		form_free(&f);
		return st;
	}
	if (f.nerrors) {
		json_object_put(before);
		db_rollback();
		return ticket_render(c, 422, &f, "prop_form");
	}
	form_free(&f);
	struct json_object *old = NULL, *props;
	if (json_object_object_get_ex(before, "properties", &props))
		json_object_object_get_ex(props, key, &old);
	const char *old_text = old ? (json_object_is_type(old, json_type_string) ? json_object_get_string(old)
				       : json_object_to_json_string_ext(old, JSON_C_TO_STRING_PLAIN)) : NULL;
	old_text = old_text ? arena_strdup(c->arena, old_text) : NULL;
	json_object_put(before);
	if (remove && !old_text) {
		db_rollback();
		return 404;
	}
	PGresult *r = remove ? rec_q("rec_ticket_prop_del", 2, c->caps.v[0], key)
			     : rec_q("rec_ticket_prop_set", 3, c->caps.v[0], key, value);
	PQclear(r);
	if (!r)
		return rec_abort();
	return finish(c, remove ? "ticket_property_remove" : "ticket_property_set",
		      rec_obj("ticket_id", c->caps.v[0], "key", key, "value", old_text, NULL),
		      remove ? NULL : rec_obj("ticket_id", c->caps.v[0], "key", key, "value", value, NULL));
}

int rec_ticket_contact_add(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *email = form_email(&f, c->req, "contact_email");
	int st = lock_ticket(c, NULL);
	if (st) {
		form_free(&f);
		return st;
	}
	char contact[24] = "";
	PGresult *r = email ? rec_q("rec_contact_by_email", 1, email) : NULL;
	if (email && !r) {
		form_free(&f);
		return rec_abort();
	}
	if (r && PQntuples(r) == 0)
		form_message(&f, "contact_email", "No contact has this email address. Create the contact first.");
	else if (r)
		snprintf(contact, sizeof contact, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	r = contact[0] ? rec_q("rec_ticket_contact_add", 2, c->caps.v[0], contact) : NULL;
	if (contact[0] && !r) {
		form_free(&f);
		return rec_abort();
	}
	if (r && PQntuples(r) == 0)
		form_message(&f, "contact_email", "This contact is associated with the ticket already.");
	PQclear(r);
	if (f.nerrors) {
		db_rollback();
		return ticket_render(c, 422, &f, "contact_form");
	}
	form_free(&f);
	return finish(c, "ticket_contact_add", NULL,
		      rec_obj("ticket_id", c->caps.v[0], "contact_id", contact, "email", email, NULL));
}

int rec_ticket_contact_remove(struct ctx *c)
{
	int st = admin_id(c->caps.v[1]) ? lock_ticket(c, NULL) : 404;
	if (st)
		return st;
	PGresult *r = rec_q("rec_ticket_contact_del", 2, c->caps.v[0], c->caps.v[1]);
	if (!r || PQntuples(r) != 1) {
		st = r ? 404 : 500;
		PQclear(r);
		db_rollback();
		return st;
	}
	struct json_object *before = rec_obj("ticket_id", c->caps.v[0], "contact_id", c->caps.v[1], "email",
					     PQgetvalue(r, 0, 0), NULL);
	PQclear(r);
	return finish(c, "ticket_contact_remove", before, NULL);
}

int rec_ticket_company_add(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *name = form_text(&f, c->req, "company_name", 1, 200, 0, 1);
	int st = lock_ticket(c, NULL);
	if (st) {
		form_free(&f);
		return st;
	}
	char company[24] = "";
	PGresult *r = name ? rec_q("rec_company_by_name", 1, name) : NULL;
	if (name && !r) {
		form_free(&f);
		return rec_abort();
	}
	if (r && PQntuples(r) == 0)
		form_message(&f, "company_name", "No company has this name. Pick one from the suggestions.");
	else if (r && PQntuples(r) > 1)
		form_message(&f, "company_name", "Several companies have this name. Give them distinct names first.");
	else if (r)
		snprintf(company, sizeof company, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	r = company[0] ? rec_q("rec_ticket_company_add", 2, c->caps.v[0], company) : NULL;
	if (company[0] && !r) {
		form_free(&f);
		return rec_abort();
	}
	if (r && PQntuples(r) == 0)
		form_message(&f, "company_name", "This company is associated with the ticket already.");
	PQclear(r);
	if (f.nerrors) {
		db_rollback();
		return ticket_render(c, 422, &f, "company_form");
	}
	form_free(&f);
	return finish(c, "ticket_company_add", NULL,
		      rec_obj("ticket_id", c->caps.v[0], "company_id", company, "name", name, NULL));
}

int rec_ticket_company_remove(struct ctx *c)
{
	int st = admin_id(c->caps.v[1]) ? lock_ticket(c, NULL) : 404;
	if (st)
		return st;
	PGresult *r = rec_q("rec_ticket_company_del", 2, c->caps.v[0], c->caps.v[1]);
	if (!r || PQntuples(r) != 1) {
		st = r ? 404 : 500;
		PQclear(r);
		db_rollback();
		return st;
	}
	struct json_object *before = rec_obj("ticket_id", c->caps.v[0], "company_id", c->caps.v[1], "name",
					     PQgetvalue(r, 0, 0), NULL);
	PQclear(r);
	return finish(c, "ticket_company_remove", before, NULL);
}

int rec_ticket_thread_attach(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *raw = form_text(&f, c->req, "thread_id", 1, 20, 0, 1);
	const char *thread = raw && raw[0] == '#' ? raw + 1 : raw;
	if (raw && !admin_id(thread))
		form_message(&f, "thread_id", "Enter a conversation number, like 42.");
	int st = lock_ticket(c, NULL);
	if (st) {
		form_free(&f);
		return st;
	}
	PGresult *r = f.nerrors ? NULL : rec_q("rec_thread_lock", 1, thread);
	if (!f.nerrors && !r) {
		form_free(&f);
		return rec_abort();
	}
	const char *inbox = "", *channel = "";
	if (r && PQntuples(r) == 0) {
		form_message(&f, "thread_id", "There is no conversation with this number.");
	} else if (r) {
		const char *owner = PQgetvalue(r, 0, 0);
		if (strcmp(owner, c->caps.v[0]) == 0)
			form_message(&f, "thread_id", "This conversation is attached to this ticket already.");
		else if (strcmp(owner, "0") != 0)
			form_message(&f, "thread_id", arena_printf(c->arena,
				"This conversation belongs to ticket #%s. Detach it there first: a conversation is tied to one ticket.", owner));
		inbox = arena_strdup(c->arena, PQgetvalue(r, 0, 1));
		channel = arena_strdup(c->arena, PQgetvalue(r, 0, 2));
	}
	PQclear(r);
	if (f.nerrors) {
		db_rollback();
		return ticket_render(c, 422, &f, "thread_form");
	}
	form_free(&f);
	r = rec_q("rec_thread_attach", 2, thread, c->caps.v[0]);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return rec_abort();
	}
	PQclear(r);
	return finish(c, "ticket_thread_attach", NULL,
		      rec_obj("ticket_id", c->caps.v[0], "thread_id", thread, "inbox", inbox, "channel", channel, NULL));
}

int rec_ticket_thread_detach(struct ctx *c)
{
	int st = admin_id(c->caps.v[1]) ? lock_ticket(c, NULL) : 404;
	if (st)
		return st;
	PGresult *r = rec_q("rec_thread_detach", 2, c->caps.v[1], c->caps.v[0]);
	if (!r || PQntuples(r) != 1) {
		st = r ? 404 : 500;
		PQclear(r);
		db_rollback();
		return st;
	}
	PQclear(r);
	return finish(c, "ticket_thread_detach", rec_obj("ticket_id", c->caps.v[0], "thread_id", c->caps.v[1], NULL), NULL);
}
