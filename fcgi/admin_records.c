/* admin_records.c - CRM records in the console: the group's one route table and one statement
 * table (pipelines, inboxes, forms, tickets), and the helpers its page files share. */
#include "admin_records.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>


/*
 * Statements. Changes run inside one transaction per request: the record is read FOR UPDATE
 * (its "before" for the audit row), changed (RETURNING its "after"), audited, committed.
 * Prepared statements run with generic plans (lib/db.c), so a list whose index depends on a
 * filter has one statement per index instead of "$1 IS NULL OR ..." (sql/010_records.sql).
 */
const struct db_stmt admin_records_stmts[] = {
	{"rec_stage_groups",
	 "SELECT p.name, s.id, s.name, s.is_closed FROM pipelines p"
	 " JOIN pipeline_stages s ON s.pipeline_id = p.id ORDER BY p.display_order, p.id, s.position",
	 0},
	{"rec_stage_find",
	 "SELECT s.pipeline_id, s.is_closed, s.name, p.name FROM pipeline_stages s"
	 " JOIN pipelines p ON p.id = s.pipeline_id WHERE s.id = $1",
	 1},
	{"rec_inbox_choices", "SELECT id, name FROM inboxes ORDER BY lower(name), id LIMIT 500", 0},

	/* --- one ticket --- */
	{"rec_contact_by_email",
	 "SELECT id, coalesce(primary_company_id, 0), email FROM contacts WHERE lower(email) = lower($1)", 1},
	{"rec_company_by_name",
	 "SELECT id, name FROM companies WHERE lower(name) = lower($1) ORDER BY id LIMIT 2", 1},
	{"rec_company_choices", "SELECT name FROM companies ORDER BY lower(name), id LIMIT 200", 0},
	{NULL, NULL, 0},
};

/* --- helpers --- */

#define REC_MAX_PARAMS 12

PGresult *rec_q(const char *name, int n, ...)
{
	const char *p[REC_MAX_PARAMS];
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n && i < REC_MAX_PARAMS; i++)
		p[i] = va_arg(ap, const char *);
	va_end(ap);
	return db_exec(name, n, p);
}

int rec_exists(const char *name, int n, ...)
{
	const char *p[REC_MAX_PARAMS];
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n && i < REC_MAX_PARAMS; i++)
		p[i] = va_arg(ap, const char *);
	va_end(ap);
	PGresult *r = db_exec(name, n, p);
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	PQclear(r);
	return found;
}

#define BOOLOID 16

struct json_object *rec_row(PGresult *r, int i, const char *keys)
{
	struct json_object *o = json_object_new_object();
	const char *k = keys;
	for (int col = 0; col < PQnfields(r) && *k; col++) {
		const char *end = strchr(k, ',');
		size_t len = end ? (size_t)(end - k) : strlen(k);
		char key[64];
		snprintf(key, sizeof key, "%.*s", (int)len, k);
		k = end ? end + 1 : k + len;
		if (!key[0] || PQgetisnull(r, i, col))
			continue;
		const char *v = PQgetvalue(r, i, col);
		if (PQftype(r, col) == BOOLOID)
			json_object_object_add(o, key, json_object_new_boolean(v[0] == 't'));
		else
			json_object_object_add(o, key, json_object_new_string(v));
	}
	return o;
}

struct json_object *rec_rows(PGresult *r, const char *keys)
{
	struct json_object *a = json_object_new_array();
	for (int i = 0; r && i < PQntuples(r); i++)
		json_object_array_add(a, rec_row(r, i, keys));
	return a;
}

struct json_object *rec_json(const char *text)
{
	return text ? json_tokener_parse(text) : NULL;
}

struct json_object *rec_obj(const char *key, ...)
{
	struct json_object *o = json_object_new_object();
	va_list ap;
	va_start(ap, key);
	for (const char *k = key; k; k = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
	}
	va_end(ap);
	return o;
}

int rec_commit_redirect(struct ctx *c, const char *location)
{
	if (db_commit() < 0)
		return 500;
	return page_redirect(c, 303, location);
}

int rec_abort(void)
{
	db_rollback();
	return 500;
}

struct json_object *rec_stage_groups(const char *selected)
{
	PGresult *r = db_exec("rec_stage_groups", 0, NULL);
	if (!r)
		return NULL;
	struct json_object *groups = json_object_new_array(), *stages = NULL;
	const char *last = NULL;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *pipeline = PQgetvalue(r, i, 0);
		if (!last || strcmp(last, pipeline) != 0) {
			struct json_object *g = json_object_new_object();
			stages = json_object_new_array();
			json_object_object_add(g, "name", json_object_new_string(pipeline));
			json_object_object_add(g, "stages", stages);
			json_object_array_add(groups, g);
			last = pipeline;
		}
		struct json_object *s = rec_row(r, i, ",id,name,is_closed");
		json_object_object_add(s, "selected", json_object_new_boolean(
			selected && strcmp(selected, PQgetvalue(r, i, 1)) == 0));
		json_object_array_add(stages, s);
	}
	PQclear(r);
	return groups;
}

struct json_object *rec_inbox_choices(const char *selected)
{
	PGresult *r = db_exec("rec_inbox_choices", 0, NULL);
	if (!r)
		return NULL;
	struct json_object *a = rec_rows(r, "id,name");
	for (int i = 0; i < PQntuples(r); i++)
		json_object_object_add(json_object_array_get_idx(a, (size_t)i), "selected", json_object_new_boolean(
			selected && strcmp(selected, PQgetvalue(r, i, 0)) == 0));
	PQclear(r);
	return a;
}

int rec_direction(const char *s)
{
	if (s && strcmp(s, "up") == 0)
		return -1;
	if (s && strcmp(s, "down") == 0)
		return 1;
	return 0;
}
