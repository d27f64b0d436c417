/* form_page.c - the one driver of console form pages declared as data (see form_page.h). */
#include "form_page.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FP_MAX_FIELDS 16

PGresult *form_page_query(struct ctx *c, const char *stmt)
{
	const char *p[1] = {admin_pid(c)};
	return db_exec(stmt, 1, p);
}

const char *form_page_value(struct json_object *page, const char *field)
{
	struct json_object *values, *v;
	if (!json_object_object_get_ex(page, "values", &values) || !json_object_object_get_ex(values, field, &v))
		return "";
	return json_object_get_string(v);
}

int form_page_options(struct json_object *page, const char *key, const char *stmt, const char *field)
{
	PGresult *r = db_exec(stmt, 0, NULL);
	if (!r)
		return -1;
	const char *sel = form_page_value(page, field);
	struct json_object *rows = db_rows_json(r, -1);
	int n = PQntuples(r);
	for (int i = 0; i < n; i++)
		json_object_object_add(json_object_array_get_idx(rows, (size_t)i), "selected",
				       json_object_new_boolean(strcmp(sel, PQgetvalue(r, i, 0)) == 0));
	PQclear(r);
	json_object_object_add(page, key, rows);
	return n;
}

static int is_bool(const struct fp_field *fd)
{
	return fd->kind == FP_SWITCH || fd->kind == FP_CHECKBOX || (fd->kind == FP_CHOICE && fd->choices_bool);
}

/* The statement parameters naming the record into ids (ROUTE_MAX_CAPS of them at most): their
 * number, 0 when a capture is not an id. */
static int page_ids(struct ctx *c, const struct form_page *fp, const char **ids)
{
	if (fp->id == FP_ID_PORTAL || fp->id == FP_ID_NEW) {
		ids[0] = fp->id == FP_ID_NEW ? "" : admin_pid(c);
		return 1;
	}
	int n = fp->id == FP_ID_CAPTURES ? c->caps.n : 1;
	for (int i = 0; i < n; i++) {
		long id = admin_id(i < c->caps.n ? c->caps.v[i] : NULL);
		if (!id)
			return 0;
		ids[i] = admin_idstr(c, id);
	}
	return n;
}

/* pattern with "<id>" replaced by id. */
static const char *with_id(struct ctx *c, const char *pattern, const char *id)
{
	const char *at = strstr(pattern, "<id>");
	if (!at)
		return pattern;
	return arena_printf(c->arena, "%.*s%s%s", (int)(at - pattern), pattern, id, at + 4);
}

static const char *page_path(struct ctx *c, const struct form_page *fp, const char *id)
{
	return admin_url(c, fp->id == FP_ID_PORTAL ? fp->path : with_id(c, fp->path, id));
}

/* Where a save (or a save that changes nothing) redirects. */
static const char *done_path(struct ctx *c, const struct form_page *fp, const char *id)
{
	if (fp->done)
		return admin_url(c, with_id(c, fp->done, id));
	return arena_printf(c->arena, "%s?saved=1", page_path(c, fp, id));
}

/* A choice's word as the form shows it, from the saved text ("t"/"f" for a boolean column). */
static const char *choice_word(const struct fp_field *fd, const char *saved)
{
	if (fd->choices_bool)
		return fd->choices[saved[0] == 't' || saved[0] == 'r' ? 0 : 1]; /* "t" or "true" */
	return saved;
}

/* choice.<field>.<word> = true for the word chosen, so a template can mark its radio or option. */
static void add_choice(struct json_object *page, const char *field, const char *word)
{
	struct json_object *choice;
	if (!json_object_object_get_ex(page, "choice", &choice)) {
		choice = json_object_new_object();
		json_object_object_add(page, "choice", choice);
	}
	struct json_object *one = json_object_new_object();
	if (word && *word)
		json_object_object_add(one, word, json_object_new_boolean(1));
	json_object_object_add(choice, field, one);
}

static struct json_object *base_page(struct ctx *c, const struct form_page *fp, const char *id)
{
	struct json_object *page = admin_page_new(c, fp->title, fp->section);
	json_object_object_add(page, "action", json_object_new_string(page_path(c, fp, id)));
	return page;
}

static int render(struct ctx *c, const struct form_page *fp, const char *id, int status, struct form *f,
		  PGresult *row)
{
	struct json_object *page = base_page(c, fp, id);
	if (f) {
		form_to_page(f, page);
		struct json_object *values;
		json_object_object_get_ex(page, "values", &values);
		for (int i = 0; i < fp->nfields; i++) {
			const struct fp_field *fd = &fp->fields[i];
			struct json_object *v;
			if (fd->kind == FP_CHOICE)
				add_choice(page, fd->name, json_object_object_get_ex(values, fd->name, &v)
								   ? json_object_get_string(v) : "");
		}
	} else {
		struct json_object *values = json_object_new_object();
		for (int i = 0; i < fp->nfields; i++) {
			const struct fp_field *fd = &fp->fields[i];
			const char *v = db_col(row, 0, fd->name);
			if (fd->kind == FP_CHOICE) {
				json_object_object_add(values, fd->name, json_object_new_string(choice_word(fd, v)));
				add_choice(page, fd->name, choice_word(fd, v));
			} else if (is_bool(fd)) {
				json_object_object_add(values, fd->name, json_object_new_boolean(v[0] == 't'));
			} else {
				json_object_object_add(values, fd->name, json_object_new_string(v));
			}
		}
		json_object_object_add(page, "values", values);
	}
	if (fp->decorate) {
		int rc = fp->decorate(c, fp, page, row);
		if (rc) {
			json_object_put(page);
			return rc;
		}
	}
	return admin_render(c, status, fp->tmpl, page);
}

int form_page_get(struct ctx *c, const struct form_page *fp)
{
	const char *ids[ROUTE_MAX_CAPS];
	int nids = page_ids(c, fp, ids);
	if (!nids)
		return 404;
	if (fp->id == FP_ID_NEW)
		return render(c, fp, ids[0], 200, NULL, NULL);
	PGresult *r = db_exec(fp->load, nids, ids);
	if (!r)
		return 500;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 404;
	}
	int rc = render(c, fp, ids[0], 200, NULL, r);
	PQclear(r);
	return rc;
}

/* Field i's text to save, or NULL after a message on f. */
static const char *field_value(struct ctx *c, struct form *f, const struct fp_field *fd)
{
	const char *raw = request_form(c->req, fd->name);
	switch (fd->kind) {
	case FP_TEXT:
	case FP_LINES: {
		if (!fd->message)
			return form_text(f, c->req, fd->name, (size_t)fd->min, (size_t)fd->max, fd->kind == FP_LINES, 1);
		struct form scratch;
		form_init(&scratch, f->lang);
		const char *v = form_text(&scratch, c->req, fd->name, (size_t)fd->min, (size_t)fd->max,
					  fd->kind == FP_LINES, 1);
		struct json_object *kept;
		if (json_object_object_get_ex(scratch.values, fd->name, &kept))
			json_object_object_add(f->values, fd->name, json_object_get(kept));
		form_free(&scratch);
		if (!v)
			form_message(f, fd->name, fd->message);
		return v;
	}
	case FP_INT: {
		const char *v = form_text(f, c->req, fd->name, 1, 20, 0, 1);
		if (!v)
			return NULL;
		int digits = v[0] != '\0' && strspn(v, "0123456789") == strlen(v);
		errno = 0;
		long n = digits ? strtol(v, NULL, 10) : 0;
		if (!digits || errno || n < fd->min || n > fd->max) {
			form_message(f, fd->name, fd->message ? fd->message : "Enter a whole number in the range shown.");
			return NULL;
		}
		return arena_printf(c->arena, "%ld", n);
	}
	case FP_SWITCH: {
		int on = raw && strcmp(raw, "on") == 0;
		json_object_object_add(f->values, fd->name, json_object_new_boolean(on));
		if (!raw || (strcmp(raw, "on") != 0 && strcmp(raw, "off") != 0)) {
			form_message(f, fd->name, fd->message ? fd->message : "Choose on or off.");
			return NULL;
		}
		return on ? "true" : "false";
	}
	case FP_CHECKBOX:
		json_object_object_add(f->values, fd->name, json_object_new_boolean(raw != NULL));
		return raw ? "true" : "false";
	case FP_CHOICE:
		json_object_object_add(f->values, fd->name, json_object_new_string(raw ? raw : ""));
		for (int i = 0; raw && fd->choices[i]; i++)
			if (strcmp(raw, fd->choices[i]) == 0)
				return fd->choices_bool ? (i == 0 ? "true" : "false") : fd->choices[i];
		form_message(f, fd->name, fd->message ? fd->message : "Choose one of the options.");
		return NULL;
	case FP_ID: {
		long id = admin_id(raw);
		json_object_object_add(f->values, fd->name, json_object_new_string(raw ? raw : ""));
		if (!id)
			form_message(f, fd->name, fd->message ? fd->message : "Choose one of the options.");
		return id ? admin_idstr(c, id) : NULL;
	}
	case FP_CUSTOM: {
		json_object_object_add(f->values, fd->name, json_object_new_string(raw ? raw : ""));
		return fd->parse(c, f, fd->name, raw ? raw : "");
	}
	}
	return NULL;
}

/* The saved text of a field as an audit value: a boolean, a number or a string. */
static struct json_object *audit_value(const struct fp_field *fd, const char *v)
{
	if (is_bool(fd))
		return json_object_new_boolean(v[0] == 't');
	if (fd->kind == FP_INT || fd->kind == FP_ID)
		return json_object_new_int64(atol(v));
	return json_object_new_string(v);
}

static int same(const struct fp_field *fd, const char *before, const char *after)
{
	if (is_bool(fd))
		return (before[0] == 't') == (after[0] == 't');
	if (fd->json) { /* jsonb's text (the load row) and json-c's (the parse) differ in spaces and order */
		struct json_object *a = json_tokener_parse(before), *b = json_tokener_parse(after);
		int eq = a && b && json_object_equal(a, b);
		json_object_put(a);
		json_object_put(b);
		return eq;
	}
	return strcmp(before, after) == 0;
}

/* The before or after object of field fd's audit row for its saved text v; NULL on an error. */
static struct json_object *audit_side(const struct fp_field *fd, const char *setting, const char *v)
{
	if (!fd->audit_state) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, setting, audit_value(fd, v));
		return o;
	}
	const char *p[1] = {v};
	PGresult *r = db_exec(fd->audit_state, 1, p);
	struct json_object *o = r && PQntuples(r) == 1 ? json_tokener_parse(PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	return o;
}

static int audit_fields(struct ctx *c, const struct form_page *fp, struct fp_save *s)
{
	for (int i = 0; i < fp->nfields; i++) {
		const struct fp_field *fd = &fp->fields[i];
		const char *was = db_col(s->before, 0, fd->name);
		if (same(fd, was, s->vals[i]))
			continue;
		const char *setting = fd->audit ? fd->audit : fd->name;
		struct json_object *b = audit_side(fd, setting, was), *a = b ? audit_side(fd, setting, s->vals[i]) : NULL;
		if (!a) {
			json_object_put(b);
			return -1;
		}
		if (admin_audit(c, fp->audit_action, setting, b, a) < 0)
			return -1;
	}
	return 0;
}

/* Keep only what changed in before and after (both objects). */
static void only_changes(struct json_object *before, struct json_object *after)
{
	struct json_object *same_keys = json_object_new_array();
	json_object_object_foreach(before, k, v)
	{
		struct json_object *w;
		if (json_object_object_get_ex(after, k, &w) && json_object_equal(v, w))
			json_object_array_add(same_keys, json_object_new_string(k));
	}
	for (size_t i = 0; i < json_object_array_length(same_keys); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(same_keys, i));
		json_object_object_del(before, name);
		json_object_object_del(after, name);
	}
	json_object_put(same_keys);
}

/* One row with the "state" of the lock row and of the save's result (FP_AUDIT_RECORD, _CHANGES). */
static int audit_record(struct ctx *c, const struct form_page *fp, PGresult *before, PGresult *after)
{
	struct json_object *b = json_tokener_parse(db_col(before, 0, "state"));
	struct json_object *a = json_tokener_parse(db_col(after, 0, "state"));
	if (fp->audit_kind == FP_AUDIT_CHANGES && json_object_is_type(b, json_type_object) &&
	    json_object_is_type(a, json_type_object))
		only_changes(b, a);
	return admin_audit(c, fp->audit_action, fp->audit_setting, b, a);
}

/* Roll back and answer status. */
static int fail(int status)
{
	db_rollback();
	return status;
}

int form_page_post(struct ctx *c, const struct form_page *fp)
{
	const char *vals[ROUTE_MAX_CAPS + FP_MAX_FIELDS];
	int nids = page_ids(c, fp, vals);
	if (!nids)
		return 404;
	const char *id = vals[0];
	if (fp->nfields > FP_MAX_FIELDS)
		return 500;
	struct form f;
	form_init(&f, "en");
	for (int i = 0; i < fp->nfields; i++)
		vals[nids + i] = field_value(c, &f, &fp->fields[i]);
	if (f.nerrors)
		return render(c, fp, id, 422, &f, NULL);
	for (int i = 0; i < fp->nfields; i++)
		if (!vals[nids + i]) /* no value and no message: out of memory */
			return form_page_drop(&f, 500);

	if (db_begin() < 0) {
		form_free(&f);
		return 500;
	}
	int is_new = fp->id == FP_ID_NEW;
	PGresult *before = NULL;
	if (!is_new) {
		before = db_exec(fp->lock, nids, vals);
		if (!before || PQntuples(before) != 1) {
			int status = before ? 404 : 500;
			PQclear(before);
			form_free(&f);
			return fail(status);
		}
	}
	struct fp_save s = {id, vals + nids, before};
	int changed = is_new;
	for (int i = 0; i < fp->nfields; i++)
		changed |= !same(&fp->fields[i], db_col(before, 0, fp->fields[i].name), s.vals[i]);
	if (fp->check) {
		int rc = fp->check(c, fp, &f, &s);
		if (rc == 422 || f.nerrors) {
			PQclear(before);
			db_rollback();
			return render(c, fp, id, 422, &f, NULL);
		}
		if (rc) {
			PQclear(before);
			form_free(&f);
			return fail(rc);
		}
	}
	if (!changed) {
		form_free(&f);
		PQclear(before);
		db_rollback();
		return page_redirect(c, 303, done_path(c, fp, id));
	}
	PGresult *u = is_new ? db_exec(fp->save, fp->nfields, vals + nids) : db_exec(fp->save, nids + fp->nfields, vals);
	if (!u && fp->taken_field && strcmp(db_last_sqlstate(), "23505") == 0) {
		PQclear(before);
		db_rollback();
		form_message(&f, fp->taken_field, fp->taken_message);
		return render(c, fp, id, 422, &f, NULL);
	}
	form_free(&f);
	if (is_new && u)
		s.id = id = arena_strdup(c->arena, db_col(u, 0, "id"));
	int ok = u != NULL;
	if (ok && fp->audit_kind != FP_AUDIT_FIELDS)
		ok = audit_record(c, fp, before, u) == 0;
	else if (ok)
		ok = audit_fields(c, fp, &s) == 0;
	PQclear(u);
	if (ok && fp->after)
		ok = fp->after(c, fp, &s) == 0;
	PQclear(before);
	if (!ok || db_commit() < 0)
		return fail(500);
	return page_redirect(c, 303, done_path(c, fp, id));
}

int form_page_show(struct ctx *c, const struct form_page *fp, int status, struct form *f)
{
	const char *ids[ROUTE_MAX_CAPS];
	if (!page_ids(c, fp, ids)) {
		form_free(f);
		return 404;
	}
	return render(c, fp, ids[0], status, f, NULL);
}
