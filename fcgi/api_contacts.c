/* api_contacts.c - /api/v1/contacts: the CRM's contacts for the team's own systems: a keyset list
 * by id (filters ?email=, exact ignoring case, and ?company_id=), one contact, create and update
 * (scopes contacts:read / contacts:write; the kit, its transaction and audit: api.c).
 *
 * The rules are the console's (admin_contacts.c, admin_crm.c), not a second set: an email that
 * email_well_formed() accepts (its domain lower-cased, as form_email() does) and that no other
 * contact has ignoring case (the console's statement crm_contact_email_taken; a taken one is 409
 * naming the contact that has it), names of at most CRM_NAME_MAX characters on one line
 * (trimmed), a primary company that exists (crm_company_exists), and custom properties by
 * crm_property_problem() with at most CRM_PROPS_MAX. The writes are the console's statements
 * (crm_contact_insert, crm_contact_lock, crm_contact_update) and every answer is
 * api_contact_json() (sql/functions/api_contact_json.sql). PATCH merges properties: a string sets
 * a key, null removes it; a member left out is left as it is.
 */
#include "api_crm.h"

#include <string.h>

#include "admin.h"
#include "admin_crm.h"
#include "form.h"

const struct db_stmt api_contacts_stmts[] = {
	/* keyset on id after $2 (one more row than the page, $3); $1 a company or NULL */
	{"api_contacts_list",
	 "SELECT api_contact_json(id)::text AS json, id AS cursor FROM contacts"
	 " WHERE ($1::bigint IS NULL OR primary_company_id = $1) AND ($2::bigint IS NULL OR id > $2)"
	 " ORDER BY id LIMIT $3::int",
	 3},
	/* by email: the lower(email) index, at most one contact */
	{"api_contacts_by_email",
	 "SELECT api_contact_json(id)::text AS json, id AS cursor FROM contacts"
	 " WHERE lower(email) = lower($1) AND ($2::bigint IS NULL OR primary_company_id = $2)"
	 " AND ($3::bigint IS NULL OR id > $3) ORDER BY id LIMIT $4::int",
	 4},
	{"api_contact_get", "SELECT api_contact_json($1)::text", 1},
	{NULL, NULL, 0},
};

int api_contacts_list(struct ctx *c)
{
	struct api_page pg;
	int st = api_page(c, &pg);
	if (st)
		return st;
	const char *email = request_query(c->req, "email"), *co = request_query(c->req, "company_id");
	if (co && !admin_id(co))
		return api_problem(c, 400, "bad-request", "company_id must be a positive whole number.");
	if (email && (!*email || strlen(email) > 254))
		return api_problem(c, 400, "bad-request", "email must be 1 to 254 characters.");
	PGresult *r;
	if (email) {
		const char *p[4] = {email, co, pg.after, pg.limit_s};
		r = db_exec("api_contacts_by_email", 4, p);
	} else {
		const char *p[3] = {co, pg.after, pg.limit_s};
		r = db_exec("api_contacts_list", 3, p);
	}
	if (!r)
		return api_db_error(c);
	st = api_list(c, &pg, r);
	PQclear(r);
	return st;
}

/* The contact's JSON form answered with status (404 when there is none). */
static int answer(struct ctx *c, int status, const char *id, const char *location)
{
	const char *p[1] = {id};
	PGresult *r = db_exec("api_contact_get", 1, p);
	if (!r)
		return api_db_error(c);
	int st;
	if (PQgetisnull(r, 0, 0))
		st = api_problem(c, 404, "not-found", NULL);
	else if (location)
		st = api_created(c, location, PQgetvalue(r, 0, 0));
	else
		st = api_json_text(c, status, PQgetvalue(r, 0, 0));
	PQclear(r);
	return st;
}

int api_contact_get(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return api_problem(c, 404, "not-found", NULL);
	return answer(c, 200, admin_idstr(c, id), NULL);
}

/* ---- Input ---- */

/* A body's fields, each NULL when the member is absent (a name or company sent as null is ""). */
struct contact_in {
	const char *email, *first_name, *last_name, *company_id;
	struct json_object *properties; /* the body's object (NULL: absent) */
};

static const char *const allowed[] = {"email", "first_name", "last_name", "company_id", "properties", NULL};

static int present(struct json_object *o, const char *key, int *null)
{
	struct json_object *v;
	int got = json_object_object_get_ex(o, key, &v);
	*null = got && !v;
	return got;
}

/* Trimmed of spaces, tabs and line ends at both ends, as the console's form_text() does. */
static const char *trim(struct ctx *c, const char *s)
{
	const char *end = s + strlen(s);
	str_trim(&s, &end, " \t\r\n");
	return arena_strndup(c->arena, s, (size_t)(end - s));
}

static void name_in(struct ctx *c, struct json_object *o, const char *key, const char **out,
		    struct json_object **errs)
{
	const char *s;
	int null, rc = api_str(o, key, CRM_NAME_MAX * 4, 0, &s, errs);
	if (rc == 0 && present(o, key, &null) && null)
		*out = "";
	if (rc != 1)
		return;
	s = trim(c, s);
	if (utf8_length(s) > CRM_NAME_MAX)
		api_error(errs, key, "must be at most 200 characters");
	else
		*out = s;
}

/* 0, or -1 on a database error. */
static int contact_in(struct ctx *c, struct json_object *o, struct contact_in *in, struct json_object **errs)
{
	memset(in, 0, sizeof *in);
	api_unknown(o, allowed, errs);
	const char *s;
	int null;
	if (api_str(o, "email", 1000, 0, &s, errs) == 1) {
		char *e = (char *)trim(c, s);
		if (!e || !email_well_formed(e)) {
			api_error(errs, "email", "must be an email address such as name@example.com");
		} else {
			for (char *d = strrchr(e, '@'); *d; d++)
				*d = ascii_lower(*d);
			in->email = e;
		}
	} else if (present(o, "email", &null) && null) {
		api_error(errs, "email", "must not be null");
	}
	name_in(c, o, "first_name", &in->first_name, errs);
	name_in(c, o, "last_name", &in->last_name, errs);
	long co;
	if (api_id(o, "company_id", &co, errs) == 1) {
		char name[8];
		const char *p[1] = {admin_idstr(c, co)};
		int n = db_exec_value("crm_company_exists", 1, p, name, sizeof name);
		if (n < 0)
			return -1;
		if (n == 0)
			api_error(errs, "company_id", "no such company");
		else
			in->company_id = p[0];
	} else if (present(o, "company_id", &null) && null) {
		in->company_id = "";
	}
	struct json_object *props;
	if (json_object_object_get_ex(o, "properties", &props)) {
		if (!json_object_is_type(props, json_type_object)) {
			api_error(errs, "properties", "must be an object of strings");
			return 0;
		}
		in->properties = props;
		json_object_object_foreach(props, k, v) {
			const char *field = arena_printf(c->arena, "properties.%s", k), *why;
			if (!v) {
				if (!crm_property_key_ok(k, strlen(k)))
					api_error(errs, field, crm_property_problem(k, ""));
			} else if (!json_object_is_type(v, json_type_string)) {
				api_error(errs, field, "must be a string (or null to remove it)");
			} else if ((why = crm_property_problem(k, json_object_get_string(v)))) {
				api_error(errs, field, why);
			} else {
				const char *t = json_object_get_string(v);
				size_t len = (size_t)json_object_get_string_len(v);
				int bad = strlen(t) != len;
				for (size_t i = 0; i < len && !bad; i++)
					bad = (unsigned char)t[i] < 0x20 || t[i] == 0x7f;
				if (bad)
					api_error(errs, field, "must be one line without control characters");
			}
		}
	}
	return 0;
}

/* base (consumed) with the body's properties applied: a string sets, null removes. The merged
 * object's text (arena), or NULL with an error when it holds too many. */
static const char *props_merge(struct ctx *c, struct json_object *base, struct json_object *in,
			       struct json_object **errs)
{
	if (in) {
		json_object_object_foreach(in, k, v) {
			if (v)
				json_object_object_add(base, k, json_object_get(v));
			else
				json_object_object_del(base, k);
		}
	}
	const char *out = NULL;
	if (json_object_object_length(base) > CRM_PROPS_MAX)
		api_error(errs, "properties", "at most 50 properties");
	else
		out = arena_strdup(c->arena, json_object_to_json_string_ext(base, JSON_C_TO_STRING_PLAIN));
	json_object_put(base);
	return out;
}

/* 409 when another contact than self (NULL: none) has email; 0 when none; -1 on a db error. */
static int email_taken(struct ctx *c, const char *email, const char *self)
{
	char other[24];
	const char *p[2] = {email, self};
	int n = db_exec_value("crm_contact_email_taken", 2, p, other, sizeof other);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	return api_problem(c, 409, "conflict",
			   arena_printf(c->arena, "Contact %s already has this email address.", other));
}

static struct json_object *state_json(const char *text)
{
	struct json_object *o = json_tokener_parse(text);
	return o ? o : json_object_new_object();
}

/* ---- Writes (inside the kit's transaction) ---- */

int api_contact_create(struct ctx *c)
{
	struct json_object *body, *errs = NULL;
	int st = api_body(c, &body);
	if (st)
		return st;
	struct contact_in in;
	if (contact_in(c, body, &in, &errs) < 0)
		return api_db_error(c);
	if (!in.email && !json_object_object_get_ex(body, "email", NULL))
		api_error(&errs, "email", "is required");
	const char *props = props_merge(c, json_object_new_object(), in.properties, &errs);
	if (errs)
		return api_invalid(c, errs);
	st = email_taken(c, in.email, NULL);
	if (st)
		return st < 0 ? api_db_error(c) : st;
	const char *p[5] = {in.email, in.first_name ? in.first_name : "", in.last_name ? in.last_name : "",
			    in.company_id ? in.company_id : "", props};
	PGresult *r = db_exec("crm_contact_insert", 5, p);
	if (!r)
		return strcmp(db_last_sqlstate(), "23505") == 0
			       ? api_problem(c, 409, "conflict", "Another contact already has this email address.")
			       : api_db_error(c);
	const char *id = arena_strdup(c->arena, db_col(r, 0, "id"));
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "contact_id", json_object_new_int64(admin_id(id)));
	json_object_object_add(d, "after", state_json(db_col(r, 0, "state")));
	PQclear(r);
	if (api_audit(c, "api_contact_create", d) < 0)
		return api_db_error(c);
	return answer(c, 201, id, arena_printf(c->arena, "/contacts/%s", id));
}

int api_contact_update(struct ctx *c)
{
	long nid = admin_id(c->caps.v[0]);
	struct json_object *body, *errs = NULL;
	int st = api_body(c, &body);
	if (st)
		return st;
	if (!nid)
		return api_problem(c, 404, "not-found", NULL);
	const char *id = admin_idstr(c, nid);
	const char *lp[1] = {id};
	PGresult *r = db_exec("crm_contact_lock", 1, lp);
	if (!r)
		return api_db_error(c);
	if (PQntuples(r) != 1) {
		PQclear(r);
		return api_problem(c, 404, "not-found", NULL);
	}
	const char *before_text = arena_strdup(c->arena, db_col(r, 0, "state"));
	PQclear(r);
	struct contact_in in;
	if (contact_in(c, body, &in, &errs) < 0)
		return api_db_error(c);
	struct json_object *before = state_json(before_text), *v, *base;
	if (json_object_object_get_ex(before, "properties", &base) && json_object_is_type(base, json_type_object))
		base = json_tokener_parse(json_object_to_json_string_ext(base, JSON_C_TO_STRING_PLAIN)); /* a copy */
	else
		base = json_object_new_object();
	const char *props = props_merge(c, base, in.properties, &errs);
#define KEEP(field, key)                                                                        \
	if (!in.field)                                                                          \
		in.field = json_object_object_get_ex(before, key, &v) && v                     \
				   ? arena_strdup(c->arena, json_object_get_string(v))          \
				   : "";
	KEEP(email, "email")
	KEEP(first_name, "first_name")
	KEEP(last_name, "last_name")
	KEEP(company_id, "primary_company_id")
#undef KEEP
	if (errs) {
		json_object_put(before);
		return api_invalid(c, errs);
	}
	st = email_taken(c, in.email, id);
	if (st) {
		json_object_put(before);
		return st < 0 ? api_db_error(c) : st;
	}
	const char *p[6] = {id, in.email, in.first_name, in.last_name, in.company_id, props};
	r = db_exec("crm_contact_update", 6, p);
	if (!r) {
		json_object_put(before);
		return strcmp(db_last_sqlstate(), "23505") == 0
			       ? api_problem(c, 409, "conflict", "Another contact already has this email address.")
			       : api_db_error(c);
	}
	const char *after_text = arena_strdup(c->arena, db_col(r, 0, "state"));
	PQclear(r);
	if (strcmp(before_text, after_text) != 0) { /* jsonb's text is canonical: equal text, no change */
		struct json_object *d = json_object_new_object();
		json_object_object_add(d, "contact_id", json_object_new_int64(nid));
		json_object_object_add(d, "before", before);
		json_object_object_add(d, "after", state_json(after_text));
		before = NULL;
		if (api_audit(c, "api_contact_update", d) < 0)
			return api_db_error(c);
	}
	json_object_put(before);
	return answer(c, 200, id, NULL);
}
