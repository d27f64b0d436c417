/* api_tickets.c - /api/v1/tickets: the JSON API's tickets (list with filters, get, create,
 * update). A ticket's messages and the attachments are api_messages.c. Scopes: tickets:read for
 * reads, tickets:write for writes (api_routes.c); the kit (api.c) opens and ends the write's
 * transaction. */
#include "admin_records.h"
#include "api_tickets.h"
#include "conversation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Design. The JSON of a ticket is api_ticket_json() (sql/functions/), the one form the webhooks
 * carry too. A token limited to inboxes sees a ticket when staff_ticket_ok() says so, in every
 * statement here; a ticket it may not see is a 404 like one that does not exist.
 *
 * The list pages by id, newest first (the primary key's index, scanned backwards): an id never
 * changes, so a client paging while tickets are updated gets each ticket exactly once, without
 * gaps or repeats; ordering by last_activity_at would move a ticket updated meanwhile across the
 * cursor. A client that follows changes asks updated_since (last_activity_at, which every change
 * moves forward). The filters are one statement planned with their values (custom plans, as the
 * console's list): a NULL parameter is no filter.
 *
 * A new ticket is written by conv_ticket (conversation.c) with its optional first message by the
 * token (CONV_TOKEN): a public message is mailed to the requester as an agent's reply is, a note
 * is not; without a message nothing is mailed (as the console's new ticket). A move into a closed
 * stage stamps closed_at and mails ticket_closed (conv_ticket_closed), as the console does.
 */

#define TK_SUBJECT_MAX 500
#define TK_DESCRIPTION_MAX 20000
#define TK_PROPS_MAX 50
#define TK_BODY_MAX 20000

const struct db_stmt api_tickets_stmts[] = {
	{"api_tickets_list",
	 "SELECT api_ticket_json(t.id)::text AS json, t.id AS cursor"
	 " FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id"
	 " WHERE t.id < coalesce($1::bigint, 9223372036854775807)"
	 "  AND ($2::text IS NULL OR s.is_closed = ($2::text = 'closed'))"
	 "  AND ($3::bigint IS NULL OR t.stage_id = $3::bigint)"
	 "  AND ($4::bigint IS NULL OR t.pipeline_id = $4::bigint)"
	 "  AND ($5::text IS NULL OR t.priority = $5::text)"
	 "  AND ($6::bigint IS NULL OR EXISTS (SELECT 1 FROM ticket_contacts x WHERE x.ticket_id = t.id"
	 "   AND x.contact_id = $6::bigint))"
	 "  AND ($7::bigint IS NULL OR EXISTS (SELECT 1 FROM ticket_companies x WHERE x.ticket_id = t.id"
	 "   AND x.company_id = $7::bigint))"
	 "  AND ($8::timestamptz IS NULL OR t.last_activity_at >= $8::timestamptz)"
	 "  AND staff_ticket_ok(t.id, $9::bigint[])"
	 " ORDER BY t.id DESC LIMIT $10::int",
	 10},
	{"api_ticket_get",
	 "SELECT api_ticket_json(t.id)::text FROM tickets t WHERE t.id = $1 AND staff_ticket_ok(t.id, $2::bigint[])",
	 2},
	/* what a new ticket names: NULL columns are the ones that do not exist ($1 contact_id, $2
	 * contact_email, $3 company_id, $4 stage_id, $5 pipeline_id, $6 inbox_id, $7 the token's
	 * inboxes); the stage: the one given (of the pipeline given), else the pipeline's first open
	 * one, else the first pipeline's; the inbox: the one given, else the default portal's */
	{"api_ticket_refs",
	 "SELECT coalesce((SELECT id FROM contacts WHERE id = $1::bigint),"
	 "  (SELECT id FROM contacts WHERE $1::bigint IS NULL AND lower(email) = lower($2::text))) AS contact,"
	 " (SELECT id FROM companies WHERE id = $3::bigint) AS company,"
	 " CASE WHEN $4::bigint IS NOT NULL THEN (SELECT id FROM pipeline_stages WHERE id = $4::bigint"
	 "    AND ($5::bigint IS NULL OR pipeline_id = $5::bigint))"
	 "  WHEN $5::bigint IS NOT NULL THEN pipeline_first_stage($5::bigint, false)"
	 "  ELSE pipeline_first_stage((SELECT id FROM pipelines ORDER BY display_order, id LIMIT 1), false)"
	 " END AS stage,"
	 " (SELECT i.id FROM inboxes i WHERE i.id = coalesce($6::bigint,"
	 "   (SELECT default_inbox_id FROM portals WHERE is_default))"
	 "   AND ($7::bigint[] IS NULL OR i.id = ANY ($7::bigint[]))) AS inbox",
	 7},
	{"api_ticket_lock",
	 "SELECT t.pipeline_id, s.is_closed, api_ticket_json(t.id)::text AS before"
	 " FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id"
	 " WHERE t.id = $1 AND staff_ticket_ok(t.id, $2::bigint[]) FOR UPDATE OF t",
	 2},
	/* a stage of the pipeline ($2: the ticket's, or the one the PATCH names) */
	{"api_ticket_stage",
	 "SELECT is_closed FROM pipeline_stages WHERE id = $1 AND pipeline_id = $2", 2},
	/* closing stamps closed_at (kept between closed stages), reopening clears it, as the console;
	 * properties: $7 removed keys, then $6 merged in */
	{"api_ticket_set",
	 "UPDATE tickets t SET subject = coalesce($2, t.subject), description = coalesce($3, t.description),"
	 " priority = CASE WHEN $4::boolean THEN $5::text ELSE t.priority END,"
	 " pipeline_id = s.pipeline_id, stage_id = s.id,"
	 " closed_at = CASE WHEN s.is_closed THEN coalesce(t.closed_at, greatest(now(), t.created_at)) END,"
	 " properties = (t.properties - coalesce($7::text[], '{}')) || coalesce($6::jsonb, '{}'),"
	 " last_activity_at = greatest(now(), t.last_activity_at)"
	 " FROM pipeline_stages s WHERE t.id = $1 AND s.id = coalesce($8::bigint, t.stage_id)"
	 " RETURNING s.is_closed",
	 8},
	{NULL, NULL, 0},
};

static const char *const priorities[] = {"low", "medium", "high", "urgent", NULL};

/* ---- GET /tickets ---- */

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* An RFC 3339 date-time (2024-05-01T10:00:00Z, fractions and offsets allowed) with real values. */
static int rfc3339(const char *s)
{
	size_t n = strlen(s);
	if (n < 20 || n > 40 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) || s[13] != ':' ||
	    !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
		return 0;
	int y = atoi(s), mo = atoi(s + 5), d = atoi(s + 8), h = atoi(s + 11), mi = atoi(s + 14), se = atoi(s + 17);
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 ||
	    mi > 59 || se > 59)
		return 0;
	const char *p = s + 19;
	if (*p == '.') {
		size_t f = strspn(p + 1, "0123456789");
		if (f == 0 || f > 9)
			return 0;
		p += 1 + f;
	}
	if ((*p == 'Z' || *p == 'z') && !p[1])
		return 1;
	/* an offset up to 15:59 either way: PostgreSQL refuses more (RFC 3339 allows 23:59; no zone
	 * has ever been beyond 14:00) */
	return (*p == '+' || *p == '-') && strlen(p) == 6 && digits(p + 1, 2) && p[3] == ':' && digits(p + 4, 2) &&
	       atoi(p + 1) <= 15 && atoi(p + 4) <= 59;
}

/* A query parameter that must be an id: its text, NULL when absent; an error when invalid. */
static const char *query_id(struct ctx *c, const char *name, struct json_object **errs)
{
	const char *v = request_query(c->req, name);
	if (v && !admin_id(v)) {
		api_error(errs, name, "must be a positive integer");
		return NULL;
	}
	return v;
}

int api_tickets_list(struct ctx *c)
{
	struct api_page pg;
	int st = api_page(c, &pg);
	if (st)
		return st;
	struct json_object *errs = NULL;
	const char *status = request_query(c->req, "status"), *priority = request_query(c->req, "priority");
	const char *since = request_query(c->req, "updated_since");
	if (status && strcmp(status, "open") != 0 && strcmp(status, "closed") != 0)
		api_error(&errs, "status", "must be open or closed");
	if (priority && !rec_in_list(priorities, priority))
		api_error(&errs, "priority", "must be low, medium, high or urgent");
	if (since && !rfc3339(since))
		api_error(&errs, "updated_since", "must be an RFC 3339 date-time (offset at most 15:59), e.g. 2024-05-01T10:00:00Z");
	const char *stage = query_id(c, "stage_id", &errs), *pipeline = query_id(c, "pipeline_id", &errs);
	const char *contact = query_id(c, "contact_id", &errs), *company = query_id(c, "company_id", &errs);
	if (errs)
		return api_invalid(c, errs);
	if (db_begin() < 0)
		return api_db_error(c);
	PGresult *r = db_exec("rec_custom_plan", 0, NULL); /* admin_tickets.c */
	PQclear(r);
	const char *p[10] = {pg.after, status, stage, pipeline, priority, contact, company, since, api_inboxes(c), pg.limit_s};
	r = r ? db_exec("api_tickets_list", 10, p) : NULL;
	db_rollback(); /* read only */
	if (!r)
		return api_db_error(c);
	st = api_list(c, &pg, r);
	PQclear(r);
	return st;
}

/* ---- GET /tickets/{id} ---- */

/* The ticket's JSON as this token sees it: 200, or 404 / 503 answered. */
static int answer_ticket(struct ctx *c, int status, const char *id)
{
	char *json = arena_alloc(c->arena, 1 << 20);
	const char *p[2] = {id, api_inboxes(c)};
	int got = json && admin_id(id) ? db_exec_value("api_ticket_get", 2, p, json, 1 << 20) : json ? 0 : -1;
	if (got < 0)
		return api_db_error(c);
	if (got == 0)
		return api_problem(c, 404, "not-found", NULL);
	return status == 201 ? api_created(c, arena_printf(c->arena, "/tickets/%s", id), json)
			     : api_json_text(c, status, json);
}

int api_ticket_get(struct ctx *c)
{
	return answer_ticket(c, 200, c->caps.v[0]);
}

/* ---- properties ---- */

/*
 * A properties object: keys as the console's (lowercase letters, digits and _, starting with a
 * letter, up to 40, not a built-in name), values strings (up to 2000 bytes), numbers or booleans;
 * null (removes the key) only when nulls_ok. set (the members to merge, JSON text) and del (the
 * keys to remove, an array literal). 0, or -1 with errors added.
 */
static int read_properties(struct ctx *c, struct json_object *o, int nulls_ok, const char **set, const char **del,
			   struct json_object **errs)
{
	struct json_object *props;
	*set = *del = NULL;
	if (!json_object_object_get_ex(o, "properties", &props) || !props)
		return 0;
	if (!json_object_is_type(props, json_type_object)) {
		api_error(errs, "properties", "must be an object");
		return -1;
	}
	if (json_object_object_length(props) > TK_PROPS_MAX) {
		api_error(errs, "properties", "must have at most 50 keys");
		return -1;
	}
	struct json_object *keep = json_object_new_object();
	struct buf b = BUF_INIT;
	buf_puts(&b, "{");
	int bad = 0;
	json_object_object_foreach(props, k, v) {
		const char *field = arena_printf(c->arena, "properties.%s", k);
		enum json_type t = json_object_get_type(v);
		if (!rec_prop_key_ok(k)) {
			api_error(errs, field, "keys are lowercase letters, digits and _ (starting with a letter, at most 40), not a built-in name");
			bad = 1;
		} else if (t == json_type_null && nulls_ok) {
			db_array_item(&b, k);
		} else if (t == json_type_string && (json_object_get_string_len(v) > REC_PROP_VALUE_MAX ||
						     strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))) {
			api_error(errs, field, "must be a string of at most 2000 bytes");
			bad = 1;
		} else if (t == json_type_string || t == json_type_int || t == json_type_double || t == json_type_boolean) {
			json_object_object_add(keep, k, json_object_get(v));
		} else {
			api_error(errs, field, nulls_ok ? "must be a string, number, boolean or null (removes it)"
							: "must be a string, number or boolean");
			bad = 1;
		}
	}
	buf_puts(&b, "}");
	if (!bad && !b.oom) {
		*set = arena_strdup(c->arena, json_object_to_json_string_ext(keep, JSON_C_TO_STRING_PLAIN));
		*del = arena_strdup(c->arena, b.data);
	}
	buf_free(&b);
	json_object_put(keep);
	return bad || b.oom ? -1 : 0;
}

/* priority: absent (0), null or one of the words (1, *out NULL for null), or -1 with an error. */
static int read_priority(struct json_object *o, const char **out, struct json_object **errs)
{
	struct json_object *v;
	*out = NULL;
	if (!json_object_object_get_ex(o, "priority", &v))
		return 0;
	if (!v)
		return 1;
	if (!json_object_is_type(v, json_type_string) || !rec_in_list(priorities, json_object_get_string(v))) {
		api_error(errs, "priority", "must be low, medium, high, urgent or null");
		return -1;
	}
	*out = json_object_get_string(v);
	return 1;
}

/* ---- POST /tickets ---- */

static const char *const create_fields[] = {"subject", "description", "priority", "properties", "stage_id",
					    "pipeline_id", "contact_id", "contact_email", "company_id", "inbox_id",
					    "message", NULL};
static const char *const message_fields[] = {"body", "kind", NULL};

/* The first message {body, kind}: 1 given, 0 absent, -1 invalid. */
static int read_first(struct json_object *o, const char **body, int *note, struct json_object **errs)
{
	struct json_object *m, *sub = NULL;
	*body = NULL;
	*note = 0;
	if (!json_object_object_get_ex(o, "message", &m) || !m)
		return 0;
	if (!json_object_is_type(m, json_type_object)) {
		api_error(errs, "message", "must be an object {body, kind}");
		return -1;
	}
	int bad = api_unknown(m, message_fields, &sub);
	const char *kind = NULL;
	if (api_str(m, "kind", 10, 0, &kind, &sub) < 0 ||
	    (kind && strcmp(kind, "message") != 0 && strcmp(kind, "note") != 0)) {
		if (kind)
			api_error(&sub, "kind", "must be message or note");
		bad = 1;
	}
	if (api_str(m, "body", TK_BODY_MAX, 1, body, &sub) < 0)
		bad = 1;
	else if (!*body || !**body) {
		api_error(&sub, "body", "is required");
		bad = 1;
	}
	*note = kind && strcmp(kind, "note") == 0;
	/* the message's errors under message.<field> */
	for (size_t i = 0; sub && i < json_object_array_length(sub); i++) {
		struct json_object *e = json_object_array_get_idx(sub, i);
		const char *f = json_object_get_string(json_object_object_get(e, "field"));
		char name[80];
		snprintf(name, sizeof name, "message.%s", f);
		api_error(errs, name, json_object_get_string(json_object_object_get(e, "message")));
	}
	json_object_put(sub);
	return bad ? -1 : 1;
}

int api_ticket_create(struct ctx *c)
{
	struct json_object *o, *errs = NULL;
	int st = api_body(c, &o);
	if (st)
		return st;
	api_unknown(o, create_fields, &errs);
	const char *subject, *description, *priority, *email, *set, *del, *body;
	long contact, company, stage, pipeline, inbox;
	int note;
	if (api_str(o, "subject", TK_SUBJECT_MAX, 0, &subject, &errs) == 0 || (subject && !*subject))
		api_error(&errs, "subject", "is required");
	api_str(o, "description", TK_DESCRIPTION_MAX, 1, &description, &errs);
	read_priority(o, &priority, &errs);
	read_properties(c, o, 0, &set, &del, &errs);
	int has_contact = api_id(o, "contact_id", &contact, &errs);
	int has_email = api_str(o, "contact_email", 254, 0, &email, &errs);
	if (has_contact == 0 && has_email == 0)
		api_error(&errs, "contact_id", "is required (or contact_email)");
	else if (has_contact == 1 && has_email == 1)
		api_error(&errs, "contact_email", "give contact_id or contact_email, not both");
	api_id(o, "company_id", &company, &errs);
	api_id(o, "stage_id", &stage, &errs);
	api_id(o, "pipeline_id", &pipeline, &errs);
	api_id(o, "inbox_id", &inbox, &errs);
	int first = read_first(o, &body, &note, &errs);
	if (first == 0 && c->api->limited)
		api_error(&errs, "message", "is required for a token limited to inboxes (its thread puts the ticket in one)");
	if (errs)
		return api_invalid(c, errs);
	const char *p[7] = {rec_idstr(c, contact), has_contact == 1 ? NULL : email, rec_idstr(c, company),
			    rec_idstr(c, stage), rec_idstr(c, pipeline), rec_idstr(c, inbox), api_inboxes(c)};
	PGresult *r = db_exec("api_ticket_refs", 7, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return api_db_error(c);
	}
	const char *cid = arena_strdup(c->arena, db_col(r, 0, "contact"));
	const char *sid = arena_strdup(c->arena, db_col(r, 0, "stage"));
	const char *iid = arena_strdup(c->arena, db_col(r, 0, "inbox"));
	int company_ok = !company || *db_col(r, 0, "company");
	PQclear(r);
	if (!*cid)
		api_error(&errs, has_contact == 1 ? "contact_id" : "contact_email", "no such contact");
	if (!company_ok)
		api_error(&errs, "company_id", "no such company");
	if (!*sid)
		api_error(&errs, stage ? "stage_id" : "pipeline_id",
			  stage ? "no such stage (of the pipeline given)" : "no such pipeline, or it has no open stage");
	if ((first == 1 || inbox) && !*iid)
		api_error(&errs, "inbox_id", inbox ? "no such inbox, or not one this token may write to"
						   : "is required: the default portal has no default inbox this token may write to");
	if (errs)
		return api_invalid(c, errs);
	struct conv_ticket t = {
		.subject = subject, .description = description ? description : "", .priority = priority,
		.properties = set, .stage = sid, .contact = cid, .company = rec_idstr(c, company),
		.summary = arena_printf(c->arena, "Ticket created through the API by %s", c->api->name),
	};
	struct conv_msg m = {
		.inbox = iid, .channel = "email", .author = CONV_TOKEN, .author_id = c->api->id,
		.author_name = c->api->name, .author_email = "", .kind = note ? CONV_NOTE : CONV_MESSAGE,
		.body = body, .engagement = note ? "note" : "email", .notify = note ? 0 : CONV_NOTIFY_CUSTOMER,
	};
	int got = conv_ticket(c, &t, first == 1 ? &m : NULL);
	if (got == 1) {
		struct json_object *d = json_object_new_object();
		json_object_object_add(d, "id", json_object_new_string(t.id));
		json_object_object_add(d, "subject", json_object_new_string(subject));
		json_object_object_add(d, "stage_id", json_object_new_string(sid));
		json_object_object_add(d, "contact_id", json_object_new_string(cid));
		if (first == 1) {
			json_object_object_add(d, "message_id", json_object_new_string(m.message_id));
			if (m.mailed_to)
				json_object_object_add(d, "mailed_to", json_object_get(m.mailed_to));
		}
		if (api_audit(c, "api_ticket_create", d) < 0)
			got = -1;
	}
	json_object_put(m.mailed_to);
	if (got != 1)
		return api_db_error(c);
	return answer_ticket(c, 201, t.id);
}

/* ---- PATCH /tickets/{id} ---- */

static const char *const update_fields[] = {"subject", "description", "priority", "properties", "stage_id",
					    "pipeline_id", NULL};

int api_ticket_update(struct ctx *c)
{
	const char *id = c->caps.v[0];
	struct json_object *o, *errs = NULL;
	if (!admin_id(id))
		return api_problem(c, 404, "not-found", NULL);
	int st = api_body(c, &o);
	if (st)
		return st;
	api_unknown(o, update_fields, &errs);
	const char *subject, *description, *priority, *set, *del;
	long stage, pipeline;
	if (api_str(o, "subject", TK_SUBJECT_MAX, 0, &subject, &errs) == 1 && !*subject)
		api_error(&errs, "subject", "must not be empty");
	api_str(o, "description", TK_DESCRIPTION_MAX, 1, &description, &errs);
	int has_priority = read_priority(o, &priority, &errs);
	read_properties(c, o, 1, &set, &del, &errs);
	api_id(o, "stage_id", &stage, &errs);
	if (api_id(o, "pipeline_id", &pipeline, &errs) == 1 && !stage)
		api_error(&errs, "stage_id", "is required with pipeline_id (a stage of that pipeline)");
	if (errs)
		return api_invalid(c, errs);
	if (json_object_object_length(o) == 0) /* nothing to change: the ticket as it is */
		return answer_ticket(c, 200, id);
	const char *pl[2] = {id, api_inboxes(c)};
	PGresult *r = db_exec("api_ticket_lock", 2, pl);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return r ? api_problem(c, 404, "not-found", NULL) : api_db_error(c);
	}
	const char *cur_pipeline = arena_strdup(c->arena, db_col(r, 0, "pipeline_id"));
	int was_closed = db_col(r, 0, "is_closed")[0] == 't';
	struct json_object *before = json_tokener_parse(db_col(r, 0, "before"));
	PQclear(r);
	if (stage) {
		char closed[8];
		const char *ps[2] = {rec_idstr(c, stage), pipeline ? rec_idstr(c, pipeline) : cur_pipeline};
		int found = db_exec_value("api_ticket_stage", 2, ps, closed, sizeof closed);
		if (found != 1) {
			json_object_put(before);
			if (found < 0)
				return api_db_error(c);
			api_error(&errs, "stage_id", pipeline ? "no such stage of that pipeline"
							      : "no such stage of the ticket's pipeline (to move it to another, give pipeline_id too)");
			return api_invalid(c, errs);
		}
	}
	const char *pu[8] = {id, subject, description, has_priority == 1 ? "true" : "false", priority, set, del,
			     rec_idstr(c, stage)};
	char closed[8];
	int got = db_exec_value("api_ticket_set", 8, pu, closed, sizeof closed);
	if (got != 1) {
		json_object_put(before);
		return api_db_error(c);
	}
	if (!was_closed && closed[0] == 't' && conv_ticket_closed(c, id) < 0) { /* ticket_closed to its contacts */
		json_object_put(before);
		return api_db_error(c);
	}
	char *after = arena_alloc(c->arena, 1 << 20);
	const char *pg[2] = {id, NULL};
	if (!after || db_exec_value("api_ticket_get", 2, pg, after, 1 << 20) != 1) {
		json_object_put(before);
		return api_db_error(c);
	}
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "id", json_object_new_string(id));
	json_object_object_add(d, "before", before);
	json_object_object_add(d, "after", json_tokener_parse(after));
	if (api_audit(c, "api_ticket_update", d) < 0)
		return api_db_error(c);
	return api_json_text(c, 200, after);
}
