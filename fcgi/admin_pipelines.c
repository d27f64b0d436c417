/* admin_pipelines.c - /admin/pipelines and /admin/pipelines/<id>: ticket pipelines and their
 * stages: list, create, rename, order; stages added, renamed, marked open or closed, moved and
 * deleted while unused. The rename and the stage update are form pages on the kit (form_page.h);
 * creating, moving and deleting are not (no record to load and lock, or several rows change). */
#include "admin_records.h"

#include <stdlib.h>
#include <string.h>

#define PIPELINE_STATE "jsonb_build_object('id', id::text, 'name', name)::text"
#define STAGE_STATE \
	"jsonb_build_object('id', s.id::text, 'name', s.name, 'closed', " SQL_YES_NO("s.is_closed") ")::text"

const struct db_stmt admin_pipelines_stmts[] = {
	{"rec_pipelines",
	 "SELECT p.id, p.name, p.display_order,"
	 " (SELECT count(*) FROM pipeline_stages s WHERE s.pipeline_id = p.id) AS stages,"
	 " (SELECT count(*) FROM pipeline_stages s WHERE s.pipeline_id = p.id AND s.is_closed) AS closed_stages"
	 " FROM pipelines p ORDER BY p.display_order, p.id LIMIT 500",
	 0},
	{"rec_pipeline_taken", "SELECT 1 FROM pipelines WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2::bigint", 2},
	{"rec_pipeline_insert",
	 "WITH p AS (INSERT INTO pipelines (name, display_order)"
	 "   SELECT $1, coalesce(max(display_order), 0) + 1 FROM pipelines RETURNING id, name),"
	 " s AS (INSERT INTO pipeline_stages (pipeline_id, name, position, is_closed)"
	 "   SELECT p.id, v.name, v.pos, v.closed FROM p,"
	 "   (VALUES ('New', 1, false), ('Closed', 2, true)) v (name, pos, closed))"
	 " SELECT id, jsonb_build_object('id', id::text, 'name', name, 'stages', 'New (open), Closed (closed)')::text"
	 " AS after FROM p",
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
	{"rec_pipeline_lock", "SELECT name, " PIPELINE_STATE " AS state FROM pipelines WHERE id = $1 FOR UPDATE", 1},
	{"rec_pipeline_rename", "UPDATE pipelines SET name = $2 WHERE id = $1 RETURNING " PIPELINE_STATE " AS state", 2},
	{"rec_stages",
	 "SELECT s.id, s.name, s.position, s.is_closed, u.has_tickets, u.forms,"
	 " u.has_tickets OR u.forms > 0 AS in_use FROM pipeline_stages s,"
	 " LATERAL (SELECT EXISTS (SELECT 1 FROM tickets t WHERE t.stage_id = s.id) AS has_tickets,"
	 "   (SELECT count(*) FROM forms f WHERE f.stage_id = s.id) AS forms) u"
	 " WHERE s.pipeline_id = $1 ORDER BY s.position",
	 1},
	/* $1 = the pipeline, locked first (the pipeline's lock orders every change of its stages) */
	{"rec_stage_lock",
	 "SELECT s.name, s.position, s.is_closed AS closed, " STAGE_STATE " AS state FROM pipeline_stages s"
	 " WHERE s.id = $2 AND s.pipeline_id = (SELECT id FROM pipelines WHERE id = $1 FOR UPDATE) FOR UPDATE OF s",
	 2},
	{"rec_stage_taken",
	 "SELECT 1 FROM pipeline_stages WHERE pipeline_id = $1 AND lower(name) = lower($2)"
	 " AND id IS DISTINCT FROM $3::bigint",
	 3},
	{"rec_stage_insert",
	 "INSERT INTO pipeline_stages (pipeline_id, name, position, is_closed)"
	 " SELECT $1, $2, coalesce(max(position), 0) + 1, $3::boolean FROM pipeline_stages WHERE pipeline_id = $1"
	 " RETURNING jsonb_build_object('pipeline_id', pipeline_id::text, 'id', id::text, 'name', name,"
	 " 'position', position::text, 'closed', " SQL_YES_NO("is_closed") ")::text AS after",
	 3},
	{"rec_stage_kinds",
	 "SELECT count(*) FILTER (WHERE is_closed) AS closed, count(*) FILTER (WHERE NOT is_closed) AS open"
	 " FROM pipeline_stages WHERE pipeline_id = $1",
	 1},
	{"rec_stage_set",
	 "UPDATE pipeline_stages s SET name = $3, is_closed = $4::boolean WHERE s.id = $2 AND s.pipeline_id = $1"
	 " RETURNING " STAGE_STATE " AS state",
	 4},
	/* tickets in a stage that changed between open and closed follow it */
	{"rec_stage_tickets",
	 "UPDATE tickets SET closed_at = CASE WHEN $2::boolean"
	 "   THEN greatest(now(), created_at) END"
	 " WHERE stage_id = $1 AND (closed_at IS NULL) = $2::boolean",
	 2},
	{"rec_stage_use",
	 "SELECT EXISTS (SELECT 1 FROM tickets WHERE stage_id = $1) AS tickets,"
	 " (SELECT count(*) FROM forms WHERE stage_id = $1) AS forms",
	 1},
	{"rec_stage_delete", "DELETE FROM pipeline_stages s WHERE s.id = $1 RETURNING " STAGE_STATE " AS before", 1},
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

int rec_pipeline_move(struct ctx *c)
{
	const char *dir = request_form(c->req, "dir");
	int up = dir && strcmp(dir, "up") == 0;
	if (!admin_id(c->caps.v[0]))
		return 404;
	if (!up && !(dir && strcmp(dir, "down") == 0))
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
	r = rec_q("rec_pipeline_move", 2, c->caps.v[0], up ? "-1" : "1");
	if (!r)
		return rec_abort();
	int moved = PQntuples(r) > 0;
	PQclear(r);
	if (!moved) /* first or last already */
		return rec_commit_redirect(c, "/admin/pipelines?saved=1");
	return admin_audit_commit(c, "pipeline_move", rec_obj("id", c->caps.v[0], NULL), rec_obj("moved", dir, NULL),
			"/admin/pipelines?saved=1");
}

/* The stage row whose form came back (form_stage): its input and messages, and the summary's
 * links to its fields. */
static void row_form(struct ctx *c, struct json_object *page, struct json_object *row, const char *form_stage)
{
	struct json_object *values, *errors, *list, *v;
	if (json_object_object_get_ex(page, "values", &values) && json_object_object_get_ex(values, "name", &v))
		json_object_object_add(row, "name", json_object_get(v));
	if (json_object_object_get_ex(page, "errors", &errors)) {
		if (json_object_object_get_ex(errors, "name", &v))
			json_object_object_add(row, "name_error", json_object_get(v));
		if (json_object_object_get_ex(errors, "closed", &v))
			json_object_object_add(row, "closed_error", json_object_get(v));
	}
	if (json_object_object_get_ex(page, "error_list", &list))
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct json_object *e = json_object_array_get_idx(list, i), *fld;
			json_object_object_get_ex(e, "field", &fld);
			json_object_object_add(e, "field", json_object_new_string(arena_printf(
				c->arena, "stage-%s-%s", form_stage, json_object_get_string(fld))));
		}
}

/* The pipeline page: the pipeline (row, or read when NULL) and its stages. form_stage: the stage
 * whose row form came back (404 when the pipeline has no such stage), else NULL. 0 or a status. */
static int pipeline_fill(struct ctx *c, struct json_object *page, PGresult *row, const char *form_stage)
{
	PGresult *s;
	int st = rec_record_fill(c, page, row, "rec_pipeline_get", "pipeline", "Pipeline", "rec_stages", &s);
	if (st)
		return st;
	struct json_object *stages = db_rows_json(s, -1);
	rec_mark_ends(stages);
	int found = 0;
	for (int i = 0; form_stage && i < PQntuples(s); i++)
		if (strcmp(form_stage, PQgetvalue(s, i, 0)) == 0) {
			row_form(c, page, json_object_array_get_idx(stages, (size_t)i), form_stage);
			found = 1;
		}
	PQclear(s);
	json_object_object_add(page, "stages", stages);
	return form_stage && !found ? 404 : 0;
}

static int pipeline_page_fill(struct ctx *c, struct json_object *page, PGresult *row)
{
	return pipeline_fill(c, page, row, NULL);
}

/* The page after a refused stage change: f of the add form, or alert at the top. */
static int pipeline_render(struct ctx *c, int status, struct form *f, const char *alert)
{
	struct json_object *page = admin_page_new(c, NULL, "pipelines");
	if (f)
		json_object_object_add(page, "add_form", json_object_new_boolean(1));
	if (alert)
		json_object_object_add(page, "alert", json_object_new_string(alert));
	return rec_render(c, status, pipeline_fill(c, page, NULL, NULL), "admin/records_pipeline", page, f);
}

static const struct rec_named pipelines = {
	.section = "pipelines", .title = "Pipelines", .list = "rec_pipelines", .list_tmpl = "admin/records_pipelines",
	.insert = "rec_pipeline_insert", .created = "pipeline_create",
	.exists = "A pipeline with this name exists already. Choose another name.", .base = "/admin/pipelines",
	.tmpl = "admin/records_pipeline", .get = "rec_pipeline_get", .lock = "rec_pipeline_lock",
	.rename = "rec_pipeline_rename", .updated = "pipeline_update",
	.another = "Another pipeline has this name. Choose another name.", .taken = "rec_pipeline_taken",
	.fill = pipeline_page_fill,
};

REC_NAMED_HANDLERS(pipelines, rec_pipelines_page, rec_pipeline_create, rec_pipeline_page, rec_pipeline_rename)

/* --- a stage's name and kind: a form page on the kit --- */

/* Closed and open stages of the locked pipeline: 0 or -1. */
static int stage_kinds(const char *pipeline, long *closed, long *open)
{
	PGresult *r = rec_q("rec_stage_kinds", 1, pipeline);
	if (!r)
		return -1;
	*closed = atol(db_col(r, 0, "closed"));
	*open = atol(db_col(r, 0, "open"));
	PQclear(r);
	return 0;
}

static int stage_decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	(void)fp, (void)row;
	return pipeline_fill(c, page, NULL, c->caps.v[1]);
}

static int stage_check(struct ctx *c, const struct form_page *fp, struct form *f, struct fp_save *s)
{
	(void)fp;
	long nclosed, nopen;
	int closed = s->vals[1][0] == 't', was_closed = db_col(s->before, 0, "closed")[0] == 't';
	int taken = rec_exists("rec_stage_taken", 3, c->caps.v[0], s->vals[0], c->caps.v[1]);
	if (taken < 0 || stage_kinds(c->caps.v[0], &nclosed, &nopen) < 0)
		return 500;
	if (taken)
		form_message(f, "name", "This pipeline has another stage with this name.");
	if (closed && !was_closed && nopen <= 1)
		form_message(f, "closed", "This is the pipeline's only open stage. Add another open stage first.");
	if (!closed && was_closed && nclosed <= 1)
		form_message(f, "closed", "This is the pipeline's only closed stage. Add another closed stage first.");
	return f->nerrors ? 422 : 0;
}

/* The stage's tickets follow it between open and closed. */
static int stage_after(struct ctx *c, const struct form_page *fp, struct fp_save *s)
{
	(void)fp;
	if ((s->vals[1][0] == 't') == (db_col(s->before, 0, "closed")[0] == 't'))
		return 0;
	PGresult *r = rec_q("rec_stage_tickets", 2, c->caps.v[1], s->vals[1]);
	PQclear(r);
	return r ? 0 : -1;
}

static const struct fp_field stage_fields[] = {
	{.name = "name", .kind = FP_TEXT, .min = 1, .max = REC_NAME_MAX},
	{.name = "closed", .kind = FP_CHECKBOX},
};

static const struct form_page stage_page = {
	.path = "/admin/pipelines/<id>", .section = "pipelines", .tmpl = "admin/records_pipeline",
	.lock = "rec_stage_lock", .save = "rec_stage_set", .audit_action = "stage_update",
	.audit_kind = FP_AUDIT_RECORD, .id = FP_ID_CAPTURES, .fields = FP_FIELDS(stage_fields),
	.decorate = stage_decorate, .check = stage_check, .after = stage_after,
};

int rec_stage_update(struct ctx *c)
{
	return form_page_post(c, &stage_page);
}

/* --- adding, moving and deleting stages --- */

int rec_stage_create(struct ctx *c)
{
	int st = rec_lock(c, "rec_pipeline_lock");
	if (st)
		return st;
	struct form f;
	form_init(&f, "en");
	const char *name = form_text(&f, c->req, "stage_name", 1, REC_NAME_MAX, 0, 1);
	int closed = form_checkbox(&f, c->req, "stage_closed", 0);
	int taken = name ? rec_exists("rec_stage_taken", 3, c->caps.v[0], name, NULL) : 0;
	if (taken > 0)
		form_message(&f, "stage_name", "This pipeline has a stage with this name already.");
	if (taken < 0) {
		form_free(&f);
		return rec_abort();
	}
	if (f.nerrors) {
		db_rollback();
		return pipeline_render(c, 422, &f, NULL);
	}
	form_free(&f);
	return rec_finish(c, rec_q("rec_stage_insert", 3, c->caps.v[0], name, closed ? "true" : "false"),
			  "stage_create", arena_printf(c->arena, "/admin/pipelines/%s?notice=created", c->caps.v[0]));
}

struct stage {
	const char *name, *position;
	int closed;
};

/* Lock the stage of the route inside its locked pipeline: 0, 404 or 500 (open transaction on 0). */
static int lock_stage(struct ctx *c, struct stage *s)
{
	if (!admin_id(c->caps.v[0]) || !admin_id(c->caps.v[1]))
		return 404;
	if (db_begin() < 0)
		return 500;
	PGresult *r = rec_q("rec_stage_lock", 2, c->caps.v[0], c->caps.v[1]);
	if (!r || PQntuples(r) != 1) {
		int st = r ? 404 : 500;
		PQclear(r);
		db_rollback();
		return st;
	}
	s->name = arena_strdup(c->arena, db_col(r, 0, "name"));
	s->position = arena_strdup(c->arena, db_col(r, 0, "position"));
	s->closed = db_col(r, 0, "closed")[0] == 't';
	PQclear(r);
	return 0;
}

int rec_stage_move(struct ctx *c)
{
	struct stage s;
	const char *dir = request_form(c->req, "dir");
	int up = dir && strcmp(dir, "up") == 0;
	if (!up && !(dir && strcmp(dir, "down") == 0))
		return admin_id(c->caps.v[0]) && admin_id(c->caps.v[1]) ? 400 : 404;
	int st = lock_stage(c, &s);
	if (st)
		return st;
	const char *url = arena_printf(c->arena, "/admin/pipelines/%s", c->caps.v[0]);
	PGresult *r = rec_q(up ? "rec_stage_before" : "rec_stage_after", 2, c->caps.v[0], s.position);
	if (!r)
		return rec_abort();
	if (PQntuples(r) == 0) { /* first or last already */
		PQclear(r);
		return rec_commit_redirect(c, url);
	}
	const char *other = arena_strdup(c->arena, PQgetvalue(r, 0, 0));
	const char *other_pos = arena_strdup(c->arena, PQgetvalue(r, 0, 1));
	PQclear(r);
	char tmp[24];
	if (db_exec_value("rec_stage_free_position", 1, (const char *[]){c->caps.v[0]}, tmp, sizeof tmp) != 1)
		return rec_abort();
	const char *steps[3][2] = {{c->caps.v[1], tmp}, {other, s.position}, {c->caps.v[1], other_pos}};
	for (int i = 0; i < 3; i++) {
		r = rec_q("rec_stage_position", 2, steps[i][0], steps[i][1]);
		if (!r)
			return rec_abort();
		PQclear(r);
	}
	return admin_audit_commit(c, "stage_move", rec_obj("id", c->caps.v[1], "name", s.name, "position", s.position, NULL),
			rec_obj("id", c->caps.v[1], "name", s.name, "position", other_pos, NULL),
			arena_printf(c->arena, "%s?saved=1", url));
}

int rec_stage_delete(struct ctx *c)
{
	struct stage s;
	long nclosed, nopen;
	int st = lock_stage(c, &s);
	if (st)
		return st;
	PGresult *r = rec_q("rec_stage_use", 1, c->caps.v[1]);
	if (!r || stage_kinds(c->caps.v[0], &nclosed, &nopen) < 0) {
		PQclear(r);
		return rec_abort();
	}
	int tickets = db_col(r, 0, "tickets")[0] == 't';
	long forms = atol(db_col(r, 0, "forms"));
	PQclear(r);
	const char *refusal = NULL;
	if (tickets || forms)
		refusal = arena_printf(c->arena, "The stage \"%s\" cannot be deleted: %s%s%s use it. Move them to another stage first.",
				       s.name, tickets ? "tickets" : "", tickets && forms ? " and " : "",
				       forms ? (forms == 1 ? "a form" : "forms") : "");
	else if (s.closed && nclosed <= 1)
		refusal = arena_printf(c->arena, "The stage \"%s\" cannot be deleted: it is the pipeline's only closed stage.", s.name);
	else if (!s.closed && nopen <= 1)
		refusal = arena_printf(c->arena, "The stage \"%s\" cannot be deleted: it is the pipeline's only open stage.", s.name);
	if (refusal) {
		db_rollback();
		return pipeline_render(c, 409, NULL, refusal);
	}
	return rec_finish(c, rec_q("rec_stage_delete", 1, c->caps.v[1]), "stage_delete",
			  arena_printf(c->arena, "/admin/pipelines/%s?notice=deleted", c->caps.v[0]));
}
