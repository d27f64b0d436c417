/* admin_pipelines.c - ticket pipelines and their stages: list, create, rename, order;
 * stages added, renamed, marked open or closed, moved and deleted while unused. */
#include "admin_records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct db_stmt admin_pipelines_stmts[] = {
	/* --- pipelines and stages --- */
	{"rec_pipelines",
	 "SELECT p.id, p.name, p.display_order,"
	 " (SELECT count(*) FROM pipeline_stages s WHERE s.pipeline_id = p.id),"
	 " (SELECT count(*) FROM pipeline_stages s WHERE s.pipeline_id = p.id AND s.is_closed)"
	 " FROM pipelines p ORDER BY p.display_order, p.id LIMIT 500",
	 0},
	{"rec_pipeline_taken", "SELECT 1 FROM pipelines WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2::bigint", 2},
	{"rec_pipeline_insert",
	 "WITH p AS (INSERT INTO pipelines (name, display_order)"
	 "   SELECT $1, coalesce(max(display_order), 0) + 1 FROM pipelines RETURNING id, name),"
	 " s AS (INSERT INTO pipeline_stages (pipeline_id, name, position, is_closed)"
	 "   SELECT p.id, v.name, v.pos, v.closed FROM p,"
	 "   (VALUES ('New', 1, false), ('Closed', 2, true)) v (name, pos, closed))"
	 " SELECT id FROM p",
	 1},
	{"rec_pipelines_lock", "SELECT id FROM pipelines ORDER BY id FOR UPDATE", 0},
	/* renumber 1..n in display order, swapping the pipeline with its neighbour ($2 = -1 or 1) */
	{"rec_pipeline_move",
	 "WITH o AS (SELECT id, row_number() OVER (ORDER BY display_order, id)::int AS rn FROM pipelines),"
	 " me AS (SELECT rn FROM o WHERE id = $1),"
	 " tg AS (SELECT o.id FROM o, me WHERE o.rn = me.rn + $2::int)"
	 " UPDATE pipelines p SET display_order = CASE WHEN p.id = $1 THEN me.rn + $2::int"
	 "   WHEN p.id = tg.id THEN me.rn ELSE o.rn END"
	 " FROM o, me, tg WHERE o.id = p.id RETURNING p.id, p.display_order",
	 2},
	{"rec_pipeline_get", "SELECT id, name, display_order FROM pipelines WHERE id = $1", 1},
	{"rec_pipeline_lock", "SELECT name FROM pipelines WHERE id = $1 FOR UPDATE", 1},
	{"rec_pipeline_rename", "UPDATE pipelines SET name = $2 WHERE id = $1", 2},
	{"rec_stages",
	 "SELECT s.id, s.name, s.position, s.is_closed,"
	 " EXISTS (SELECT 1 FROM tickets t WHERE t.stage_id = s.id),"
	 " (SELECT count(*) FROM forms f WHERE f.stage_id = s.id)"
	 " FROM pipeline_stages s WHERE s.pipeline_id = $1 ORDER BY s.position",
	 1},
	{"rec_stage_lock",
	 "SELECT s.name, s.position, s.is_closed FROM pipeline_stages s"
	 " WHERE s.id = $1 AND s.pipeline_id = $2 FOR UPDATE",
	 2},
	{"rec_stage_taken",
	 "SELECT 1 FROM pipeline_stages WHERE pipeline_id = $1 AND lower(name) = lower($2)"
	 " AND id IS DISTINCT FROM $3::bigint",
	 3},
	{"rec_stage_insert",
	 "INSERT INTO pipeline_stages (pipeline_id, name, position, is_closed)"
	 " SELECT $1, $2, coalesce(max(position), 0) + 1, $3::boolean FROM pipeline_stages WHERE pipeline_id = $1"
	 " RETURNING id, position",
	 3},
	{"rec_stage_kinds",
	 "SELECT count(*) FILTER (WHERE is_closed), count(*) FILTER (WHERE NOT is_closed)"
	 " FROM pipeline_stages WHERE pipeline_id = $1",
	 1},
	{"rec_stage_set", "UPDATE pipeline_stages SET name = $2, is_closed = $3::boolean WHERE id = $1", 3},
	/* tickets in a stage that changed between open and closed follow it */
	{"rec_stage_tickets",
	 "UPDATE tickets SET closed_at = CASE WHEN $2::boolean"
	 "   THEN greatest(now(), created_at) END"
	 " WHERE stage_id = $1 AND (closed_at IS NULL) = $2::boolean",
	 2},
	{"rec_stage_use",
	 "SELECT EXISTS (SELECT 1 FROM tickets WHERE stage_id = $1),"
	 " (SELECT count(*) FROM forms WHERE stage_id = $1)",
	 1},
	{"rec_stage_delete", "DELETE FROM pipeline_stages WHERE id = $1", 1},
	{"rec_stage_after",
	 "SELECT id, position FROM pipeline_stages WHERE pipeline_id = $1 AND position > $2"
	 " ORDER BY position LIMIT 1",
	 2},
	{"rec_stage_before",
	 "SELECT id, position FROM pipeline_stages WHERE pipeline_id = $1 AND position < $2"
	 " ORDER BY position DESC LIMIT 1",
	 2},
	{"rec_stage_free_position",
	 "SELECT coalesce(max(position), 0) + 1 FROM pipeline_stages WHERE pipeline_id = $1", 1},
	{"rec_stage_position", "UPDATE pipeline_stages SET position = $2 WHERE id = $1", 2},
	{NULL},
};

/*
 * Rules kept here: a stage name is unique inside its pipeline, a pipeline name overall (both
 * case-insensitively, as the unique indexes of 001_init.sql say); every pipeline keeps at least
 * one open and one closed stage, so tickets can always be opened and closed; a stage that a
 * ticket or a form uses cannot be deleted. Positions are UNIQUE per pipeline, so a move swaps
 * two stages through a free position, inside one transaction that holds the pipeline's row lock.
 */

static int pipelines_render(struct ctx *c, int status, struct form *f)
{
	PGresult *r = db_exec("rec_pipelines", 0, NULL);
	if (!r) {
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *page = admin_page_new(c, "Pipelines", "pipelines");
	struct json_object *rows = rec_rows(r, "id,name,display_order,stages,closed_stages");
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		struct json_object *row = json_object_array_get_idx(rows, (size_t)i);
		json_object_object_add(row, "first", json_object_new_boolean(i == 0));
		json_object_object_add(row, "last", json_object_new_boolean(i == n - 1));
	}
	PQclear(r);
	json_object_object_add(page, "rows", rows);
	json_object_object_add(page, "empty", json_object_new_boolean(n == 0));
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, "admin/records_pipelines", page);
}

int rec_pipelines_page(struct ctx *c)
{
	return pipelines_render(c, 200, NULL);
}

int rec_pipeline_create(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *name = form_text(&f, c->req, "name", 1, REC_NAME_MAX, 0, 1);
	if (db_begin() < 0) {
		form_free(&f);
		return 500;
	}
	int taken = name ? rec_exists("rec_pipeline_taken", 2, name, NULL) : 0;
	if (taken < 0) {
		form_free(&f);
		return rec_abort();
	}
	if (taken)
		form_message(&f, "name", "A pipeline with this name exists already. Choose another name.");
	if (f.nerrors) {
		db_rollback();
		return pipelines_render(c, 422, &f);
	}
	form_free(&f);
	PGresult *r = rec_q("rec_pipeline_insert", 1, name);
	if (!r && strcmp(db_last_sqlstate(), "23505") == 0) { /* created meanwhile by someone else */
		db_rollback();
		form_init(&f, "en");
		json_object_object_add(f.values, "name", json_object_new_string(name));
		form_message(&f, "name", "A pipeline with this name exists already. Choose another name.");
		return pipelines_render(c, 422, &f);
	}
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return rec_abort();
	}
	const char *id = arena_strdup(c->arena, PQgetvalue(r, 0, 0));
	PQclear(r);
	if (admin_audit(c, "pipeline_create", NULL, NULL,
			rec_obj("id", id, "name", name, "stages", "New (open), Closed (closed)", NULL)) < 0)
		return rec_abort();
	return rec_commit_redirect(c, arena_printf(c->arena, "/admin/pipelines/%s?notice=created", id));
}

int rec_pipeline_move(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	int dir = rec_direction(request_form(c->req, "dir"));
	if (!id)
		return 404;
	if (!dir)
		return 400;
	if (db_begin() < 0)
		return 500;
	PGresult *r = db_exec("rec_pipelines_lock", 0, NULL);
	PQclear(r);
	int found = r ? rec_exists("rec_pipeline_get", 1, c->caps.v[0]) : -1;
	if (found <= 0) {
		db_rollback();
		return found < 0 ? 500 : 404;
	}
	r = rec_q("rec_pipeline_move", 2, c->caps.v[0], dir < 0 ? "-1" : "1");
	if (!r)
		return rec_abort();
	int moved = PQntuples(r) > 0;
	PQclear(r);
	if (moved && admin_audit(c, "pipeline_move", NULL, rec_obj("id", c->caps.v[0], NULL, NULL),
				 rec_obj("moved", dir < 0 ? "up" : "down", NULL)) < 0)
		return rec_abort();
	return rec_commit_redirect(c, "/admin/pipelines?saved=1");
}

/* The pipeline page. form_stage: the stage whose row form f belongs to ("" the add form,
 * NULL the rename form); alert: a message for the top (e.g. a refused delete). */
static int pipeline_render(struct ctx *c, int status, struct form *f, const char *form_stage, const char *alert)
{
	const char *id = c->caps.v[0];
	PGresult *p = admin_id(id) ? rec_q("rec_pipeline_get", 1, id) : NULL;
	PGresult *s = p && PQntuples(p) == 1 ? rec_q("rec_stages", 1, id) : NULL;
	if (!p || !s) {
		int st = p && PQntuples(p) == 0 ? 404 : 500;
		PQclear(p);
		if (f)
			form_free(f);
		return admin_id(id) ? st : 404;
	}
	struct json_object *page = admin_page_new(c, arena_printf(c->arena, "Pipeline %s", PQgetvalue(p, 0, 1)), "pipelines");
	json_object_object_add(page, "pipeline", rec_row(p, 0, "id,name,display_order"));
	PQclear(p);
	struct json_object *stages = rec_rows(s, "id,name,position,is_closed,has_tickets,forms");
	int n = PQntuples(s);
	for (int i = 0; i < n; i++) {
		struct json_object *row = json_object_array_get_idx(stages, (size_t)i), *v;
		json_object_object_add(row, "first", json_object_new_boolean(i == 0));
		json_object_object_add(row, "last", json_object_new_boolean(i == n - 1));
		json_object_object_add(row, "in_use", json_object_new_boolean(
			PQgetvalue(s, i, 4)[0] == 't' || atol(PQgetvalue(s, i, 5)) > 0));
		if (f && form_stage && strcmp(form_stage, PQgetvalue(s, i, 0)) == 0) {
			/* this row's form came back: its input and messages */
			if (json_object_object_get_ex(f->values, "name", &v))
				json_object_object_add(row, "name", json_object_get(v));
			if (json_object_object_get_ex(f->errors, "name", &v))
				json_object_object_add(row, "name_error", json_object_get(v));
			if (json_object_object_get_ex(f->errors, "closed", &v))
				json_object_object_add(row, "closed_error", json_object_get(v));
		}
	}
	PQclear(s);
	json_object_object_add(page, "stages", stages);
	if (alert)
		json_object_object_add(page, "alert", json_object_new_string(alert));
	if (f) {
		json_object_object_add(page, form_stage ? (*form_stage ? "row_form" : "add_form") : "rename_form",
				       json_object_new_boolean(1));
		form_to_page(f, page);
		struct json_object *list;
		if (form_stage && *form_stage && json_object_object_get_ex(page, "error_list", &list))
			for (size_t i = 0; i < json_object_array_length(list); i++) { /* anchors of the row */
				struct json_object *e = json_object_array_get_idx(list, i), *fld;
				json_object_object_get_ex(e, "field", &fld);
				json_object_object_add(e, "field", json_object_new_string(arena_printf(
					c->arena, "stage-%s-%s", form_stage, json_object_get_string(fld))));
			}
	}
	return admin_render(c, status, "admin/records_pipeline", page);
}

int rec_pipeline_page(struct ctx *c)
{
	return pipeline_render(c, 200, NULL, NULL, NULL);
}

/* Lock the pipeline of the route for a change: 0, 404 or 500 (the transaction is open on 0). */
static int lock_pipeline(struct ctx *c, char *name, size_t cap)
{
	if (!admin_id(c->caps.v[0]))
		return 404;
	if (db_begin() < 0)
		return 500;
	PGresult *r = rec_q("rec_pipeline_lock", 1, c->caps.v[0]);
	if (!r || PQntuples(r) != 1) {
		int st = r ? 404 : 500;
		PQclear(r);
		db_rollback();
		return st;
	}
	if (name)
		snprintf(name, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

int rec_pipeline_rename(struct ctx *c)
{
	char old[512];
	int st = lock_pipeline(c, old, sizeof old);
	if (st)
		return st;
	struct form f;
	form_init(&f, "en");
	const char *name = form_text(&f, c->req, "name", 1, REC_NAME_MAX, 0, 1);
	int taken = name ? rec_exists("rec_pipeline_taken", 2, name, c->caps.v[0]) : 0;
	if (taken < 0) {
		form_free(&f);
		return rec_abort();
	}
	if (taken)
		form_message(&f, "name", "Another pipeline has this name. Choose another name.");
	if (f.nerrors) {
		db_rollback();
		return pipeline_render(c, 422, &f, NULL, NULL);
	}
	form_free(&f);
	PGresult *r = rec_q("rec_pipeline_rename", 2, c->caps.v[0], name);
	PQclear(r);
	if (!r || admin_audit(c, "pipeline_update", NULL, rec_obj("id", c->caps.v[0], "name", old, NULL),
			      rec_obj("id", c->caps.v[0], "name", name, NULL)) < 0)
		return rec_abort();
	return rec_commit_redirect(c, arena_printf(c->arena, "/admin/pipelines/%s?saved=1", c->caps.v[0]));
}

/* Closed and open stages of the locked pipeline: 0 or -1. */
static int stage_kinds(const char *pipeline, long *closed, long *open)
{
	PGresult *r = rec_q("rec_stage_kinds", 1, pipeline);
	if (!r)
		return -1;
	*closed = atol(PQgetvalue(r, 0, 0));
	*open = atol(PQgetvalue(r, 0, 1));
	PQclear(r);
	return 0;
}

int rec_stage_create(struct ctx *c)
{
	int st = lock_pipeline(c, NULL, 0);
	if (st)
		return st;
	struct form f;
	form_init(&f, "en");
	const char *name = form_text(&f, c->req, "stage_name", 1, REC_NAME_MAX, 0, 1);
	int closed = form_checkbox(&f, c->req, "stage_closed", 0);
	int taken = name ? rec_exists("rec_stage_taken", 3, c->caps.v[0], name, NULL) : 0;
	if (taken < 0) {
		form_free(&f);
		return rec_abort();
	}
	if (taken)
		form_message(&f, "stage_name", "This pipeline has a stage with this name already.");
	if (f.nerrors) {
		db_rollback();
		return pipeline_render(c, 422, &f, "", NULL);
	}
	form_free(&f);
	PGresult *r = rec_q("rec_stage_insert", 3, c->caps.v[0], name, closed ? "true" : "false");
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return rec_abort();
	}
	const char *sid = arena_strdup(c->arena, PQgetvalue(r, 0, 0));
	const char *pos = arena_strdup(c->arena, PQgetvalue(r, 0, 1));
	PQclear(r);
	if (admin_audit(c, "stage_create", NULL, NULL,
			rec_obj("pipeline_id", c->caps.v[0], "id", sid, "name", name, "position", pos,
				"closed", closed ? "yes" : "no", NULL)) < 0)
		return rec_abort();
	return rec_commit_redirect(c, arena_printf(c->arena, "/admin/pipelines/%s?notice=created", c->caps.v[0]));
}

/* Lock the stage of the route inside its locked pipeline: 0, 404 or 500 (open transaction on 0). */
static int lock_stage(struct ctx *c, char *name, size_t cap, long *position, int *is_closed)
{
	int st = admin_id(c->caps.v[1]) ? lock_pipeline(c, NULL, 0) : 404;
	if (st)
		return st;
	PGresult *r = rec_q("rec_stage_lock", 2, c->caps.v[1], c->caps.v[0]);
	if (!r || PQntuples(r) != 1) {
		st = r ? 404 : 500;
		PQclear(r);
		db_rollback();
		return st;
	}
	snprintf(name, cap, "%s", PQgetvalue(r, 0, 0));
	*position = atol(PQgetvalue(r, 0, 1));
	*is_closed = PQgetvalue(r, 0, 2)[0] == 't';
	PQclear(r);
	return 0;
}

int rec_stage_update(struct ctx *c)
{
	char old[512];
	long pos, nclosed, nopen;
	int was_closed;
	int st = lock_stage(c, old, sizeof old, &pos, &was_closed);
	if (st)
		return st;
	struct form f;
	form_init(&f, "en");
	const char *name = form_text(&f, c->req, "name", 1, REC_NAME_MAX, 0, 1);
	int closed = form_checkbox(&f, c->req, "closed", 0);
	int taken = name ? rec_exists("rec_stage_taken", 3, c->caps.v[0], name, c->caps.v[1]) : 0;
	if (taken < 0 || stage_kinds(c->caps.v[0], &nclosed, &nopen) < 0) {
		form_free(&f);
		return rec_abort();
	}
	if (taken)
		form_message(&f, "name", "This pipeline has another stage with this name.");
	if (closed && !was_closed && nopen <= 1)
		form_message(&f, "closed", "This is the pipeline's only open stage. Add another open stage first.");
	if (!closed && was_closed && nclosed <= 1)
		form_message(&f, "closed", "This is the pipeline's only closed stage. Add another closed stage first.");
	if (f.nerrors) {
		db_rollback();
		return pipeline_render(c, 422, &f, c->caps.v[1], NULL);
	}
	form_free(&f);
	PGresult *r = rec_q("rec_stage_set", 3, c->caps.v[1], name, closed ? "true" : "false");
	PQclear(r);
	if (r && closed != was_closed) {
		r = rec_q("rec_stage_tickets", 2, c->caps.v[1], closed ? "true" : "false");
		PQclear(r);
	}
	if (!r || admin_audit(c, "stage_update", NULL,
			      rec_obj("id", c->caps.v[1], "name", old, "closed", was_closed ? "yes" : "no", NULL),
			      rec_obj("id", c->caps.v[1], "name", name, "closed", closed ? "yes" : "no", NULL)) < 0)
		return rec_abort();
	return rec_commit_redirect(c, arena_printf(c->arena, "/admin/pipelines/%s?saved=1", c->caps.v[0]));
}

int rec_stage_move(struct ctx *c)
{
	char name[512];
	long pos;
	int closed, dir = rec_direction(request_form(c->req, "dir"));
	if (!dir)
		return admin_id(c->caps.v[0]) && admin_id(c->caps.v[1]) ? 400 : 404;
	int st = lock_stage(c, name, sizeof name, &pos, &closed);
	if (st)
		return st;
	const char *p = admin_idstr(c, pos);
	PGresult *r = rec_q(dir < 0 ? "rec_stage_before" : "rec_stage_after", 2, c->caps.v[0], p);
	if (!r)
		return rec_abort();
	if (PQntuples(r) == 0) { /* first or last already */
		PQclear(r);
		return rec_commit_redirect(c, arena_printf(c->arena, "/admin/pipelines/%s", c->caps.v[0]));
	}
	const char *other = arena_strdup(c->arena, PQgetvalue(r, 0, 0));
	const char *other_pos = arena_strdup(c->arena, PQgetvalue(r, 0, 1));
	PQclear(r);
	char tmp[24];
	if (db_exec_value("rec_stage_free_position", 1, (const char *[]){c->caps.v[0]}, tmp, sizeof tmp) != 1)
		return rec_abort();
	int ok = 1;
	const char *steps[3][2] = {{c->caps.v[1], tmp}, {other, p}, {c->caps.v[1], other_pos}};
	for (int i = 0; i < 3 && ok; i++) {
		r = rec_q("rec_stage_position", 2, steps[i][0], steps[i][1]);
		ok = r != NULL;
		PQclear(r);
	}
	if (!ok || admin_audit(c, "stage_move", NULL, rec_obj("id", c->caps.v[1], "name", name, "position", p, NULL),
			       rec_obj("id", c->caps.v[1], "name", name, "position", other_pos, NULL)) < 0)
		return rec_abort();
	return rec_commit_redirect(c, arena_printf(c->arena, "/admin/pipelines/%s?saved=1", c->caps.v[0]));
}

int rec_stage_delete(struct ctx *c)
{
	char name[512];
	long pos, nclosed, nopen;
	int closed;
	int st = lock_stage(c, name, sizeof name, &pos, &closed);
	if (st)
		return st;
	PGresult *r = rec_q("rec_stage_use", 1, c->caps.v[1]);
	if (!r || stage_kinds(c->caps.v[0], &nclosed, &nopen) < 0) {
		PQclear(r);
		return rec_abort();
	}
	int tickets = PQgetvalue(r, 0, 0)[0] == 't';
	long forms = atol(PQgetvalue(r, 0, 1));
	PQclear(r);
	const char *refusal = NULL;
	if (tickets || forms)
		refusal = arena_printf(c->arena, "The stage \"%s\" cannot be deleted: %s%s%s use it. Move them to another stage first.",
				       name, tickets ? "tickets" : "", tickets && forms ? " and " : "",
				       forms ? (forms == 1 ? "a form" : "forms") : "");
	else if (closed && nclosed <= 1)
		refusal = arena_printf(c->arena, "The stage \"%s\" cannot be deleted: it is the pipeline's only closed stage.", name);
	else if (!closed && nopen <= 1)
		refusal = arena_printf(c->arena, "The stage \"%s\" cannot be deleted: it is the pipeline's only open stage.", name);
	if (refusal) {
		db_rollback();
		return pipeline_render(c, 409, NULL, NULL, refusal);
	}
	r = rec_q("rec_stage_delete", 1, c->caps.v[1]);
	PQclear(r);
	if (!r || admin_audit(c, "stage_delete", NULL,
			      rec_obj("id", c->caps.v[1], "name", name, "closed", closed ? "yes" : "no", NULL), NULL) < 0)
		return rec_abort();
	return rec_commit_redirect(c, arena_printf(c->arena, "/admin/pipelines/%s?notice=deleted", c->caps.v[0]));
}
