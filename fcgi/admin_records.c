/* admin_records.c - CRM records in the console (pipelines, inboxes, forms, tickets): the
 * statements and the helpers its page files share, and the kinds of named records (a list with a
 * create form, a page with a rename form on the kit) that pipelines and inboxes are. */
#include "admin_records.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * Statements. Changes run inside one transaction per request: the record is locked (FOR
 * UPDATE), changed (RETURNING its state before and after as JSON built in SQL), audited,
 * committed. Prepared statements run with generic plans (lib/db.c), so a list whose index
 * depends on a filter has one statement per index instead of "$1 IS NULL OR ..."
 * (sql/010_records.sql).
 */
const struct db_stmt admin_records_stmts[] = {
	{"rec_stage_groups",
	 "SELECT p.name AS pipeline, s.id, s.name, s.is_closed FROM pipelines p"
	 " JOIN pipeline_stages s ON s.pipeline_id = p.id ORDER BY p.display_order, p.id, s.position",
	 0},
	{"rec_stage_find",
	 "SELECT s.pipeline_id, s.is_closed, s.name, p.name FROM pipeline_stages s"
	 " JOIN pipelines p ON p.id = s.pipeline_id WHERE s.id = $1",
	 1},
	{"rec_inbox_choices", "SELECT id, name FROM inboxes ORDER BY lower(name), id LIMIT 500", 0},

	/* --- one ticket and a new one --- */
	{"rec_contact_by_email",
	 "SELECT id, coalesce(primary_company_id, 0), email FROM contacts WHERE lower(email) = lower($1)", 1},
	{"rec_company_by_name",
	 "SELECT id, name FROM companies WHERE lower(name) = lower($1) ORDER BY id LIMIT 2", 1},
	{"rec_company_choices", "SELECT name FROM companies ORDER BY lower(name), id LIMIT 200", 0},
	/* a new ticket's inbox: those the staff member sees ($1 = staff_inboxes(), NULL = all), $2 selected */
	{"rec_new_ticket_inboxes",
	 "SELECT id, name, id = $2::bigint AS selected FROM inboxes WHERE $1::bigint[] IS NULL OR id = ANY ($1::bigint[])"
	 " ORDER BY lower(name), id LIMIT 500",
	 2},
	{"rec_new_ticket_inbox_ok", "SELECT 1 FROM inboxes WHERE id = $1 AND ($2::bigint[] IS NULL OR id = ANY ($2::bigint[]))", 2},
	/* the conversation a new ticket starts with in the inbox chosen (no message yet) */
	{"rec_ticket_thread_new", "INSERT INTO threads (ticket_id, inbox_id, channel) VALUES ($1, $2, 'phone')", 2},
	{NULL, NULL, 0},
};

/* --- helpers --- */

#define REC_MAX_PARAMS 12

static PGresult *exec_va(const char *name, int n, va_list ap)
{
	const char *p[REC_MAX_PARAMS];
	for (int i = 0; i < n && i < REC_MAX_PARAMS; i++)
		p[i] = va_arg(ap, const char *);
	return db_exec(name, n, p);
}

PGresult *rec_q(const char *name, int n, ...)
{
	va_list ap;
	va_start(ap, n);
	PGresult *r = exec_va(name, n, ap);
	va_end(ap);
	return r;
}

int rec_exists(const char *name, int n, ...)
{
	va_list ap;
	va_start(ap, n);
	PGresult *r = exec_va(name, n, ap);
	va_end(ap);
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	PQclear(r);
	return found;
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

int rec_lock(struct ctx *c, const char *lock)
{
	for (int i = 0; i < c->caps.n; i++)
		if (!admin_id(c->caps.v[i]))
			return 404;
	if (db_begin() < 0)
		return 500;
	int found = rec_exists(lock, 1, c->caps.v[0]);
	if (found <= 0)
		db_rollback();
	return found < 0 ? 500 : found ? 0 : 404;
}

int rec_finish(struct ctx *c, PGresult *r, const char *action, const char *location)
{
	if (!r)
		return rec_abort();
	if (PQntuples(r) < 1) {
		PQclear(r);
		db_rollback();
		return 404;
	}
	struct json_object *before = json_tokener_parse(db_col(r, 0, "before"));
	struct json_object *after = json_tokener_parse(db_col(r, 0, "after"));
	PQclear(r);
	return admin_audit_commit(c, action, before, after, location);
}

int rec_taken(struct form *f, const char *field, const char *stmt, const char *name, const char *exclude,
	      const char *message)
{
	int taken = name ? rec_exists(stmt, 2, name, exclude) : 0;
	if (taken > 0)
		form_message(f, field, message);
	return taken;
}

void rec_mark_ends(struct json_object *rows)
{
	size_t n = json_object_array_length(rows);
	for (size_t i = 0; i < n; i++) {
		struct json_object *row = json_object_array_get_idx(rows, i);
		json_object_object_add(row, "first", json_object_new_boolean(i == 0));
		json_object_object_add(row, "last", json_object_new_boolean(i == n - 1));
	}
}

int rec_list(struct json_object *page, const char *stmt)
{
	PGresult *r = db_exec(stmt, 0, NULL);
	if (!r)
		return 500;
	struct json_object *rows = db_rows_json(r, -1);
	rec_mark_ends(rows);
	json_object_object_add(page, "rows", rows);
	json_object_object_add(page, "empty", json_object_new_boolean(PQntuples(r) == 0));
	PQclear(r);
	return 0;
}

int rec_record_fill(struct ctx *c, struct json_object *page, PGresult *row, const char *get, const char *key,
		    const char *title, const char *list, PGresult **rows)
{
	const char *id = c->caps.v[0];
	PGresult *own = row ? NULL : rec_q(get, 1, id);
	int found = row || (own && PQntuples(own) == 1);
	PGresult *l = found && list ? rec_q(list, 1, id) : NULL;
	if (!found || (list && !l)) {
		int st = own && PQntuples(own) == 0 ? 404 : 500;
		PQclear(own);
		return st;
	}
	row = row ? row : own;
	json_object_object_add(page, "title", json_object_new_string(
		arena_printf(c->arena, "%s %s", title, db_col(row, 0, "name"))));
	json_object_object_add(page, key, db_row_json(row, 0));
	PQclear(own);
	if (rows)
		*rows = l;
	return 0;
}

int rec_render(struct ctx *c, int status, int failed, const char *tmpl, struct json_object *page, struct form *f)
{
	if (failed) {
		json_object_put(page);
		if (f)
			form_free(f);
		return failed;
	}
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, tmpl, page);
}

int rec_named_list(struct ctx *c, int status, const struct rec_named *k, struct form *f)
{
	struct json_object *page = admin_page_new(c, k->title, k->section);
	return rec_render(c, status, rec_list(page, k->list), k->list_tmpl, page, f);
}

int rec_named_create(struct ctx *c, const struct rec_named *k)
{
	struct form f;
	form_init(&f, "en");
	const char *name = form_text(&f, c->req, "name", 1, REC_NAME_MAX, 0, 1);
	if (db_begin() < 0) {
		form_free(&f);
		return 500;
	}
	if (rec_taken(&f, "name", k->taken, name, NULL, k->exists) < 0) {
		form_free(&f);
		return rec_abort();
	}
	PGresult *r = f.nerrors ? NULL : rec_q(k->insert, 1, name);
	if (!r && !f.nerrors && strcmp(db_last_sqlstate(), "23505") == 0) /* created meanwhile elsewhere */
		form_message(&f, "name", k->exists);
	if (f.nerrors) {
		db_rollback();
		return rec_named_list(c, 422, k, &f);
	}
	form_free(&f);
	return rec_finish(c, r, k->created, arena_printf(c->arena, "%s/%s?notice=created", k->base, db_col(r, 0, "id")));
}

/* The record's page as a form page: the kit's hooks find the kind behind their page. */
struct named_page {
	struct form_page fp; /* first: the hooks' fp points here */
	const struct rec_named *k;
};

static int named_decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	if (!row)
		json_object_object_add(page, "rename_form", json_object_new_boolean(1));
	return ((const struct named_page *)fp)->k->fill(c, page, row);
}

static int named_check(struct ctx *c, const struct form_page *fp, struct form *f, struct fp_save *s)
{
	(void)c;
	const struct rec_named *k = ((const struct named_page *)fp)->k;
	int taken = rec_taken(f, "name", k->taken, s->vals[0], s->id, k->another);
	return taken < 0 ? 500 : taken ? 422 : 0;
}

static const struct fp_field name_fields[] = {
	{.name = "name", .kind = FP_TEXT, .min = 1, .max = REC_NAME_MAX},
};

static struct named_page named_page(struct ctx *c, const struct rec_named *k)
{
	return (struct named_page){
		.fp = {.path = arena_printf(c->arena, "%s/<id>", k->base), .section = k->section,
		       .tmpl = k->tmpl, .load = k->get, .lock = k->lock, .save = k->rename, .audit_action = k->updated,
		       .audit_kind = FP_AUDIT_RECORD, .id = FP_ID_CAPTURE, .fields = FP_FIELDS(name_fields),
		       .decorate = named_decorate, .check = named_check},
		.k = k,
	};
}

int rec_named_page(struct ctx *c, const struct rec_named *k)
{
	struct named_page p = named_page(c, k);
	return form_page_get(c, &p.fp);
}

int rec_named_rename(struct ctx *c, const struct rec_named *k)
{
	struct named_page p = named_page(c, k);
	return form_page_post(c, &p.fp);
}

/* selected = the row's column id is sel. */
static void mark_selected(struct json_object *row, const char *sel)
{
	struct json_object *id;
	json_object_object_get_ex(row, "id", &id);
	json_object_object_add(row, "selected", json_object_new_boolean(
		sel && id && strcmp(sel, json_object_get_string(id)) == 0));
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
			stages = json_object_new_array();
			struct json_object *g = rec_obj("name", pipeline, NULL);
			json_object_object_add(g, "stages", stages);
			json_object_array_add(groups, g);
			last = pipeline;
		}
		struct json_object *s = db_row_json(r, i);
		json_object_object_del(s, "pipeline");
		mark_selected(s, selected);
		json_object_array_add(stages, s);
	}
	PQclear(r);
	return groups;
}

struct json_object *rec_choices(const char *stmt, const char *selected)
{
	PGresult *r = db_exec(stmt, 0, NULL);
	if (!r)
		return NULL;
	struct json_object *a = db_rows_json(r, -1);
	PQclear(r);
	for (size_t i = 0; i < json_object_array_length(a); i++)
		mark_selected(json_object_array_get_idx(a, i), selected);
	return a;
}

int rec_in_list(const char *const *list, const char *v)
{
	for (; v && *list; list++)
		if (strcmp(*list, v) == 0)
			return 1;
	return 0;
}

int rec_key_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 40 && s[0] >= 'a' && s[0] <= 'z' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* names the ticket's own fields have in the console and the API */
static const char *const prop_reserved[] = {"subject", "description", "priority", "pipeline", "stage", "status",
					    "id", "created_at", "last_activity_at", "closed_at", NULL};

int rec_prop_key_ok(const char *key)
{
	return rec_key_ok(key) && !rec_in_list(prop_reserved, key);
}

const char *rec_idstr(struct ctx *c, long id)
{
	return id ? admin_idstr(c, id) : NULL;
}
