/* admin_ticket.c - /admin/tickets/<id> and its sub-routes: one ticket in the console, its
 * properties and stage, associated contacts and companies, the conversation threads tied to it
 * (which decide what the portal shows) and its timeline. The properties form is a form page on
 * the kit (form_page.h); the other forms are not: each adds or removes a row of its own (a custom
 * property, a contact, a company, a thread), chosen by what the form names. */
#include "admin_records.h"
#include "conversation.h"

#include <string.h>

/* SQL text of the statements. */
#define SNIPPET(thread) \
	"(SELECT left(m.body, 140) FROM messages m WHERE m.thread_id = " thread \
	" ORDER BY m.created_at, m.id LIMIT 1)"
#define TICKET_STATE \
	"jsonb_build_object('subject', t.subject, 'description', t.description, 'priority', t.priority," \
	" 'pipeline_id', t.pipeline_id, 'stage_id', t.stage_id, 'properties', t.properties)::text"
/* A thread of the agent's inboxes (n: staff_inboxes(), NULL = all). */
#define THREAD_OK(n) " AND (" n "::bigint[] IS NULL OR th.inbox_id = ANY (" n "::bigint[]))"
/* a custom property's value before the change ($1 = the ticket, $2 = the key) */
#define PROP_OLD "WITH old AS (SELECT properties->>$2::text AS value FROM tickets WHERE id = $1)"
#define PROP_BEFORE "jsonb_build_object('ticket_id', t.id::text, 'key', $2::text, 'value', old.value)::text"

const struct db_stmt admin_ticket_stmts[] = {
	/* whether the staff member may see the ticket ($2 = staff_inboxes(), NULL = all; the one rule) */
	{"rec_ticket_ok", "SELECT 1 FROM tickets t WHERE t.id = $1 AND staff_ticket_ok(t.id, $2::bigint[])", 2},
	{"rec_ticket_get",
	 "SELECT t.id, t.subject, t.description, coalesce(t.priority, '') AS priority, p.name AS pipeline,"
	 " t.stage_id, s.name AS stage, s.is_closed, " SQL_CONSOLE_TIME("t.created_at", "YYYY-MM-DD HH24:MI") " AS created,"
	 " " SQL_CONSOLE_TIME("t.last_activity_at", "YYYY-MM-DD HH24:MI") " AS activity,"
	 " " SQL_CONSOLE_TIME("t.closed_at", "YYYY-MM-DD HH24:MI") " AS closed_at, t.properties::text AS properties"
	 " FROM tickets t JOIN pipelines p ON p.id = t.pipeline_id JOIN pipeline_stages s ON s.id = t.stage_id"
	 " WHERE t.id = $1",
	 1},
	{"rec_ticket_lock",
	 "SELECT t.subject, t.description, coalesce(t.priority, '') AS priority, t.stage_id,"
	 " " TICKET_STATE " AS state FROM tickets t WHERE t.id = $1 FOR UPDATE",
	 1},
	{"rec_ticket_set",
	 "UPDATE tickets t SET subject = $2, description = $3, priority = nullif($4, ''),"
	 " pipeline_id = s.pipeline_id, stage_id = s.id,"
	 " closed_at = CASE WHEN s.is_closed THEN coalesce(t.closed_at, greatest(now(), t.created_at)) END,"
	 " last_activity_at = greatest(now(), t.last_activity_at)"
	 " FROM pipeline_stages s WHERE t.id = $1 AND s.id = $5 RETURNING " TICKET_STATE " AS state",
	 5},
	{"rec_ticket_prop_set",
	 PROP_OLD " UPDATE tickets t SET properties = t.properties || jsonb_build_object($2::text, $3::text)"
	 " FROM old WHERE t.id = $1 RETURNING " PROP_BEFORE " AS before,"
	 " jsonb_build_object('ticket_id', t.id::text, 'key', $2::text, 'value', $3::text)::text AS after",
	 3},
	{"rec_ticket_prop_del",
	 PROP_OLD " UPDATE tickets t SET properties = t.properties - $2::text"
	 " FROM old WHERE t.id = $1 AND t.properties ? $2::text RETURNING " PROP_BEFORE " AS before",
	 2},
	/* whether a save moved the ticket from an open stage ($1) into a closed one ($2) */
	{"rec_ticket_closing",
	 "SELECT NOT a.is_closed AND b.is_closed FROM pipeline_stages a, pipeline_stages b"
	 " WHERE a.id = $1 AND b.id = $2",
	 2},
	{"rec_ticket_touch",
	 "UPDATE tickets SET last_activity_at = greatest(now(), last_activity_at) WHERE id = $1", 1},
	{"rec_ticket_contacts",
	 "SELECT c.id, c.email, btrim(c.first_name || ' ' || c.last_name) AS name,"
	 " EXISTS (SELECT 1 FROM members m WHERE m.contact_id = c.id AND m.portal_id = $2) AS is_member"
	 " FROM ticket_contacts tc JOIN contacts c ON c.id = tc.contact_id WHERE tc.ticket_id = $1"
	 " ORDER BY c.id LIMIT 200",
	 2},
	/* $3 = the address as typed, for the audit row */
	{"rec_ticket_contact_add",
	 "INSERT INTO ticket_contacts (ticket_id, contact_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
	 " RETURNING jsonb_build_object('ticket_id', ticket_id::text, 'contact_id', contact_id::text,"
	 " 'email', $3::text)::text AS after",
	 3},
	{"rec_ticket_contact_del",
	 "DELETE FROM ticket_contacts tc USING contacts c WHERE tc.ticket_id = $1 AND tc.contact_id = $2"
	 " AND c.id = tc.contact_id RETURNING jsonb_build_object('ticket_id', tc.ticket_id::text,"
	 " 'contact_id', tc.contact_id::text, 'email', c.email)::text AS before",
	 2},
	{"rec_ticket_companies",
	 "SELECT co.id, co.name, coalesce(co.domain, '') AS domain FROM ticket_companies tc"
	 " JOIN companies co ON co.id = tc.company_id WHERE tc.ticket_id = $1 ORDER BY lower(co.name), co.id LIMIT 200",
	 1},
	/* $3 = the name as typed, for the audit row */
	{"rec_ticket_company_add",
	 "INSERT INTO ticket_companies (ticket_id, company_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
	 " RETURNING jsonb_build_object('ticket_id', ticket_id::text, 'company_id', company_id::text,"
	 " 'name', $3::text)::text AS after",
	 3},
	{"rec_ticket_company_del",
	 "DELETE FROM ticket_companies tc USING companies co WHERE tc.ticket_id = $1 AND tc.company_id = $2"
	 " AND co.id = tc.company_id RETURNING jsonb_build_object('ticket_id', tc.ticket_id::text,"
	 " 'company_id', tc.company_id::text, 'name', co.name)::text AS before",
	 2},
	/* in the order the portal picks (ticket_latest_thread): the first is the one it shows */
	{"rec_ticket_threads",
	 "SELECT th.id, th.channel, i.name AS inbox, (SELECT count(*) FROM messages m WHERE m.thread_id = th.id) AS messages,"
	 " " SQL_CONSOLE_TIME("th.last_message_at", "YYYY-MM-DD HH24:MI") " AS activity, " SNIPPET("th.id") " AS snippet"
	 " FROM threads th JOIN inboxes i ON i.id = th.inbox_id WHERE th.ticket_id = $1" THREAD_OK("$2")
	 " ORDER BY th.last_message_at DESC, th.id DESC LIMIT 100",
	 2},
	{"rec_threads_detached",
	 "SELECT th.id, th.channel, i.name AS inbox, " SQL_CONSOLE_TIME("th.last_message_at", "YYYY-MM-DD HH24:MI") " AS activity,"
	 " " SNIPPET("th.id") " AS snippet"
	 " FROM threads th JOIN inboxes i ON i.id = th.inbox_id WHERE th.ticket_id IS NULL" THREAD_OK("$1")
	 " ORDER BY th.last_message_at DESC, th.id DESC LIMIT 10",
	 1},
	{"rec_thread_lock",
	 "SELECT coalesce(ticket_id, 0) AS owner FROM threads th WHERE th.id = $1" THREAD_OK("$2") " FOR UPDATE", 2},
	{"rec_thread_attach",
	 "UPDATE threads th SET ticket_id = $1 FROM inboxes i WHERE th.id = $2 AND th.ticket_id IS NULL"
	 " AND i.id = th.inbox_id RETURNING jsonb_build_object('ticket_id', th.ticket_id::text,"
	 " 'thread_id', th.id::text, 'inbox', i.name, 'channel', th.channel)::text AS after",
	 2},
	{"rec_thread_detach",
	 "UPDATE threads th SET ticket_id = NULL WHERE th.ticket_id = $1::bigint AND th.id = $2" THREAD_OK("$3")
	 " RETURNING jsonb_build_object('ticket_id', $1::bigint::text, 'thread_id', th.id::text)::text AS before",
	 3},
	{"rec_ticket_timeline",
	 "SELECT " SQL_CONSOLE_TIME("x.at", "YYYY-MM-DD HH24:MI") " AS at, x.is_note, x.is_event, x.direction, x.thread_id,"
	 " x.channel, x.who, x.body, x.label"
	 " FROM (SELECT m.created_at AS at, m.id AS ord, m.kind = 'note' AS is_note, false AS is_event,"
	 "   m.direction, th.id AS thread_id, th.channel,"
	 "   coalesce(nullif(btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), ''),"
	 "     u.name, tk.name || ' (API)', m.from_address, '') AS who, m.body,"
	 "   coalesce(nullif((SELECT e.kind FROM engagements e WHERE e.message_id = m.id ORDER BY e.id LIMIT 1),"
	 "     th.channel), '') AS label"
	 "  FROM threads th JOIN messages m ON m.thread_id = th.id"
	 "  LEFT JOIN contacts c ON c.id = m.author_contact_id LEFT JOIN staff_users u ON u.id = m.author_user_id"
	 "  LEFT JOIN api_tokens tk ON tk.id = m.author_token_id"
	 "  WHERE th.ticket_id = $1" THREAD_OK("$2")
	 "  UNION ALL"
	 "  SELECT e.created_at, e.id, false, true, '', NULL, '', coalesce(c.email, ''), e.summary, e.kind"
	 "  FROM engagements e LEFT JOIN contacts c ON c.id = e.contact_id"
	 "  WHERE e.ticket_id = $1 AND NOT EXISTS (SELECT 1 FROM messages m JOIN threads th ON th.id = m.thread_id"
	 "    WHERE m.id = e.message_id AND th.ticket_id = $1)) x"
	 " ORDER BY x.at DESC, x.ord DESC LIMIT 200",
	 2},
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

static const char *const priorities[] = {"", "low", "medium", "high", "urgent", NULL};

/* The rows of r under key and no_<key> when there are none; 0, or -1 when the statement failed. */
static int add_rows(struct ctx *c, struct json_object *page, const char *key, PGresult *r)
{
	if (!r)
		return -1;
	json_object_object_add(page, key, db_rows_json(r, -1));
	json_object_object_add(page, arena_printf(c->arena, "no_%s", key), json_object_new_boolean(PQntuples(r) == 0));
	PQclear(r);
	return 0;
}

/* Each timeline entry's words ("what"): an event's kind or a message's way in or out, never
 * the stored code. */
static void timeline_words(struct ctx *c, struct json_object *page)
{
	struct json_object *tl, *v;
	if (!json_object_object_get_ex(page, "timeline", &tl))
		return;
	for (size_t i = 0; i < json_object_array_length(tl); i++) {
		struct json_object *o = json_object_array_get_idx(tl, i);
#define S(k) (json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "")
		const char *label = S("label"), *channel = S("channel"), *direction = S("direction");
		int event = json_object_object_get_ex(o, "is_event", &v) && json_object_get_boolean(v);
		int note = json_object_object_get_ex(o, "is_note", &v) && json_object_get_boolean(v);
#undef S
		const char *what = event ? admin_words(c, label)
			: note ? "Internal note"
			: admin_message_words(c, strcmp(direction, "incoming") == 0, channel, label);
		json_object_object_add(o, "what", json_object_new_string(what));
	}
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

/* The ticket page: the ticket (row, or read when NULL), its pickers and lists. props: the
 * properties form came back (its stage and priority stay as sent). 0 or a status. */
static int ticket_fill(struct ctx *c, struct json_object *page, PGresult *row, int props)
{
	const char *id = c->caps.v[0];
	PGresult *own = row ? NULL : rec_q("rec_ticket_get", 1, id);
	if (!row && (!own || PQntuples(own) != 1)) {
		int st = own ? 404 : 500;
		PQclear(own);
		return st;
	}
	row = row ? row : own;
	struct json_object *ticket = db_row_json(row, 0), *values, *v;
	json_object_object_del(ticket, "properties");
	json_object_object_add(page, "ticket", ticket);
	json_object_object_add(page, "title", json_object_new_string(arena_printf(c->arena, "Ticket #%s", id)));
	struct json_object *list = property_list(db_col(row, 0, "properties"));
	json_object_object_add(page, "has_properties", json_object_new_boolean(json_object_array_length(list) > 0));
	json_object_object_add(page, "properties", list);
	const char *stage = db_col(row, 0, "stage_id");
	if (props && json_object_object_get_ex(page, "values", &values) && json_object_object_get_ex(values, "stage_id", &v))
		stage = json_object_get_string(v);
	struct json_object *stages = rec_stage_groups(stage);
	if (!props) { /* the priority picker: choice.priority.<word> */
		struct json_object *choice = json_object_new_object(), *one = json_object_new_object();
		const char *prio = db_col(row, 0, "priority");
		if (*prio)
			json_object_object_add(one, prio, json_object_new_boolean(1));
		json_object_object_add(choice, "priority", one);
		json_object_object_add(page, "choice", choice);
	}
	PQclear(own);
	if (!stages)
		return 500;
	json_object_object_add(page, "stage_groups", stages);
	const char *pid = admin_pid(c);
	int bad = add_rows(c, page, "contacts", rec_q("rec_ticket_contacts", 2, id, pid));
	bad |= add_rows(c, page, "companies", rec_q("rec_ticket_companies", 1, id));
	const char *inboxes = staff_inboxes(c);
	bad |= add_rows(c, page, "threads", rec_q("rec_ticket_threads", 2, id, inboxes));
	bad |= add_rows(c, page, "detached", rec_q("rec_threads_detached", 1, inboxes));
	bad |= add_rows(c, page, "timeline", rec_q("rec_ticket_timeline", 2, id, inboxes));
	bad |= add_rows(c, page, "company_choices", db_exec("rec_company_choices", 0, NULL));
	if (bad)
		return 500;
	timeline_words(c, page);
	struct json_object *threads;
	if (json_object_object_get_ex(page, "threads", &threads) && json_object_array_length(threads) > 0)
		json_object_object_add(json_object_array_get_idx(threads, 0), "shown", json_object_new_boolean(1));
	return 0;
}

/* The page after a refused change: which names the form f came from ("prop_form",
 * "contact_form", "company_form", "thread_form"), so its inputs show what was typed. */
static int ticket_render(struct ctx *c, int status, struct form *f, const char *which)
{
	struct json_object *page = admin_page_new(c, NULL, "tickets");
	json_object_object_add(page, which, json_object_new_boolean(1));
	return rec_render(c, status, ticket_fill(c, page, NULL, 0), "admin/records_ticket", page, f);
}

/* --- subject, description, stage and priority: a form page on the kit --- */

static int props_decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	(void)fp;
	if (!row)
		json_object_object_add(page, "props_form", json_object_new_boolean(1));
	return ticket_fill(c, page, row, !row);
}

static const char *stage_parse(struct ctx *c, struct form *f, const char *name, const char *raw)
{
	long id = admin_id(raw);
	if (!id)
		form_message(f, name, "Choose a stage of one of the pipelines.");
	return rec_idstr(c, id);
}

static int props_check(struct ctx *c, const struct form_page *fp, struct form *f, struct fp_save *s)
{
	(void)c, (void)fp;
	int found = rec_exists("rec_stage_find", 1, s->vals[3]);
	if (!found)
		form_message(f, "stage_id", "Choose a stage of one of the pipelines.");
	return found < 0 ? 500 : found ? 0 : 422;
}

/* A ticket moved into a closed stage: ticket_closed to its contacts, in the same transaction. */
static int props_after(struct ctx *c, const struct form_page *fp, struct fp_save *s)
{
	(void)fp;
	char closing[8];
	const char *p[2] = {db_col(s->before, 0, "stage_id"), s->vals[3]};
	int got = db_exec_value("rec_ticket_closing", 2, p, closing, sizeof closing);
	if (got < 0)
		return -1;
	return got == 1 && closing[0] == 't' ? conv_ticket_closed(c, s->id) : 0;
}

static const struct fp_field props_fields[] = {
	{.name = "subject", .kind = FP_TEXT, .min = 1, .max = 500},
	{.name = "description", .kind = FP_LINES, .min = 0, .max = 20000},
	{.name = "priority", .kind = FP_CHOICE, .choices = priorities, .message = "Choose a priority from the list."},
	{.name = "stage_id", .kind = FP_CUSTOM, .parse = stage_parse},
};

static const struct form_page props_page = {
	.path = "/admin/tickets/<id>", .section = "tickets", .tmpl = "admin/records_ticket",
	.load = "rec_ticket_get", .lock = "rec_ticket_lock", .save = "rec_ticket_set",
	.audit_action = "ticket_update", .audit_kind = FP_AUDIT_CHANGES, .id = FP_ID_CAPTURE,
	.fields = FP_FIELDS(props_fields), .decorate = props_decorate, .check = props_check,
	.after = props_after,
};

/* Whether the logged-in staff member may see the ticket of the route: 0, 404 (not there, or not
 * theirs: an agent limited to other inboxes is not told it exists) or 500. Every handler of the
 * ticket asks first. */
static int ticket_gate(struct ctx *c)
{
	if (!admin_id(c->caps.v[0]))
		return 404;
	int found = rec_exists("rec_ticket_ok", 2, c->caps.v[0], staff_inboxes(c));
	return found < 0 ? 500 : found ? 0 : 404;
}

int rec_ticket_page(struct ctx *c)
{
	int st = ticket_gate(c);
	return st ? st : form_page_get(c, &props_page);
}

int rec_ticket_update(struct ctx *c)
{
	int st = ticket_gate(c);
	return st ? st : form_page_post(c, &props_page);
}

/* --- the rows tied to the ticket --- */

/* Back to the ticket page after the change whose result is r: last activity, the audit row
 * (rec_finish), COMMIT, 303. */
static int finish(struct ctx *c, PGresult *r, const char *action)
{
	if (r && PQntuples(r) > 0) {
		PGresult *t = rec_q("rec_ticket_touch", 1, c->caps.v[0]);
		PQclear(t);
		if (!t) {
			PQclear(r);
			return rec_abort();
		}
	}
	return rec_finish(c, r, action, arena_printf(c->arena, "/admin/tickets/%s?saved=1", c->caps.v[0]));
}

int rec_ticket_property(struct ctx *c)
{
	const char *op = request_form(c->req, "op");
	int remove = op && strcmp(op, "remove") == 0;
	int st = ticket_gate(c);
	if (st)
		return st;
	struct form f;
	form_init(&f, "en");
	const char *key = form_text(&f, c->req, "prop_key", 1, 40, 0, 1);
	const char *value = remove ? "" : form_text(&f, c->req, "prop_value", 1, REC_PROP_VALUE_MAX, 0, 1);
	if (key && !rec_prop_key_ok(key))
		form_message(&f, "prop_key", "Use lowercase letters, digits and _ (starting with a letter), not a built-in name such as subject or stage.");
	st = rec_lock(c, "rec_ticket_lock");
	if (st) {
		form_free(&f);
		return st;
	}
	if (f.nerrors) {
		db_rollback();
		return ticket_render(c, 422, &f, "prop_form");
	}
	form_free(&f);
	PGresult *r = remove ? rec_q("rec_ticket_prop_del", 2, c->caps.v[0], key)
			     : rec_q("rec_ticket_prop_set", 3, c->caps.v[0], key, value);
	return finish(c, r, remove ? "ticket_property_remove" : "ticket_property_set");
}

/* A record associated with the ticket by what the form names (a contact by email, a company by
 * name). */
struct link {
	const char *field; /* the form's field */
	int email;         /* an email address, else a name of up to 200 characters */
	const char *find;  /* $1 = the text: the record, its id first; no row when there is none */
	const char *add;   /* $1 = the ticket, $2 = the record, $3 = the text; no row when linked already */
	const char *action, *form;
	const char *none, *several, *already; /* the messages (several NULL: the first will do) */
};

static const struct link contact_link = {
	"contact_email", 1, "rec_contact_by_email", "rec_ticket_contact_add", "ticket_contact_add", "contact_form",
	"No contact has this email address. Create the contact first.", NULL,
	"This contact is associated with the ticket already.",
};

static const struct link company_link = {
	"company_name", 0, "rec_company_by_name", "rec_ticket_company_add", "ticket_company_add", "company_form",
	"No company has this name. Pick one from the suggestions.",
	"Several companies have this name. Give them distinct names first.",
	"This company is associated with the ticket already.",
};

static int link_add(struct ctx *c, const struct link *k)
{
	int st = ticket_gate(c);
	if (st)
		return st;
	struct form f;
	form_init(&f, "en");
	const char *text = k->email ? form_email(&f, c->req, k->field) : form_text(&f, c->req, k->field, 1, 200, 0, 1);
	st = rec_lock(c, "rec_ticket_lock");
	if (st) {
		form_free(&f);
		return st;
	}
	PGresult *r = text ? rec_q(k->find, 1, text) : NULL;
	if (text && !r) {
		form_free(&f);
		return rec_abort();
	}
	if (r && PQntuples(r) == 0)
		form_message(&f, k->field, k->none);
	else if (r && PQntuples(r) > 1 && k->several)
		form_message(&f, k->field, k->several);
	const char *other = f.nerrors ? NULL : arena_strdup(c->arena, PQgetvalue(r, 0, 0));
	PQclear(r);
	r = other ? rec_q(k->add, 3, c->caps.v[0], other, text) : NULL;
	if (other && !r) {
		form_free(&f);
		return rec_abort();
	}
	if (r && PQntuples(r) == 0)
		form_message(&f, k->field, k->already);
	if (f.nerrors) {
		PQclear(r);
		db_rollback();
		return ticket_render(c, 422, &f, k->form);
	}
	form_free(&f);
	return finish(c, r, k->action);
}

/* Remove the record of the route's second capture from the ticket (statement del: $1 = the
 * ticket, $2 = the record, RETURNING before). */
static int unlink_row(struct ctx *c, const char *del, const char *action)
{
	int st = ticket_gate(c);
	if (!st)
		st = rec_lock(c, "rec_ticket_lock");
	if (st)
		return st;
	return finish(c, rec_q(del, 2, c->caps.v[0], c->caps.v[1]), action);
}

int rec_ticket_contact_add(struct ctx *c)
{
	return link_add(c, &contact_link);
}

int rec_ticket_contact_remove(struct ctx *c)
{
	return unlink_row(c, "rec_ticket_contact_del", "ticket_contact_remove");
}

int rec_ticket_company_add(struct ctx *c)
{
	return link_add(c, &company_link);
}

int rec_ticket_company_remove(struct ctx *c)
{
	return unlink_row(c, "rec_ticket_company_del", "ticket_company_remove");
}

int rec_ticket_thread_attach(struct ctx *c)
{
	int st = ticket_gate(c);
	if (st)
		return st;
	struct form f;
	form_init(&f, "en");
	const char *raw = form_text(&f, c->req, "thread_id", 1, 20, 0, 1);
	/* a conversation's number as the console writes it, T-42 (tickets are #42), or 42 or #42 */
	const char *thread = raw && (raw[0] == 'T' || raw[0] == 't') && raw[1] == '-' ? raw + 2
			     : raw && raw[0] == '#'				      ? raw + 1
										      : raw;
	if (raw && !admin_id(thread))
		form_message(&f, "thread_id", "Enter a conversation number, like T-42.");
	st = rec_lock(c, "rec_ticket_lock");
	if (st) {
		form_free(&f);
		return st;
	}
	PGresult *r = f.nerrors ? NULL : rec_q("rec_thread_lock", 2, thread, staff_inboxes(c));
	if (!f.nerrors && !r) {
		form_free(&f);
		return rec_abort();
	}
	const char *owner = r && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "0";
	if (r && PQntuples(r) == 0)
		form_message(&f, "thread_id", "There is no conversation with this number.");
	else if (strcmp(owner, c->caps.v[0]) == 0)
		form_message(&f, "thread_id", "This conversation is attached to this ticket already.");
	else if (strcmp(owner, "0") != 0)
		form_message(&f, "thread_id", arena_printf(c->arena,
			"This conversation belongs to ticket #%s. Detach it there first: a conversation is tied to one ticket.", owner));
	PQclear(r);
	if (f.nerrors) {
		db_rollback();
		return ticket_render(c, 422, &f, "thread_form");
	}
	form_free(&f);
	return finish(c, rec_q("rec_thread_attach", 2, c->caps.v[0], thread), "ticket_thread_attach");
}

/* Only a thread of the agent's inboxes (rec_thread_detach's $3): another one is not there (404). */
int rec_ticket_thread_detach(struct ctx *c)
{
	int st = ticket_gate(c);
	if (!st)
		st = rec_lock(c, "rec_ticket_lock");
	if (st)
		return st;
	return finish(c, rec_q("rec_thread_detach", 3, c->caps.v[0], c->caps.v[1], staff_inboxes(c)),
		      "ticket_thread_detach");
}
