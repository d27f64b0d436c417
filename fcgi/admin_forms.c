/* admin_forms.c - /admin/forms and /admin/forms/<id>: forms that create tickets: the inbox they
 * feed, the pipeline stage their tickets start in, and their fields, edited as rows of a plain
 * HTML form. Not a form page on the kit (form_page.h): the fields are a variable number of rows
 * saved as one JSON array, row buttons (add, remove, move) re-render the edited rows without
 * saving, and each row's messages belong to its own inputs. */
#include "admin_records.h"
#include "langs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORM_STATE \
	"jsonb_build_object('name', f.name, 'inbox_id', f.inbox_id, 'pipeline_id', f.pipeline_id," \
	" 'stage_id', f.stage_id, 'fields', f.fields)::text"

const struct db_stmt admin_forms_stmts[] = {
	{"rec_forms",
	 "SELECT f.id, f.name, i.name AS inbox, p.name AS pipeline, s.name AS stage, jsonb_array_length(f.fields) AS nfields,"
	 " EXISTS (SELECT 1 FROM portals po WHERE po.support_form_id = f.id) AS is_support"
	 " FROM forms f JOIN inboxes i ON i.id = f.inbox_id JOIN pipelines p ON p.id = f.pipeline_id"
	 " JOIN pipeline_stages s ON s.id = f.stage_id ORDER BY lower(f.name), f.id LIMIT 500",
	 0},
	{"rec_form_taken", "SELECT 1 FROM forms WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2::bigint", 2},
	{"rec_form_insert",
	 "INSERT INTO forms (name, inbox_id, pipeline_id, stage_id, fields)"
	 " SELECT $1, $2, s.pipeline_id, s.id, $4::jsonb FROM pipeline_stages s WHERE s.id = $3"
	 " RETURNING id, jsonb_build_object('id', id::text, 'name', name, 'inbox_id', inbox_id::text,"
	 " 'stage_id', stage_id::text)::text AS after",
	 4},
	{"rec_form_get",
	 "SELECT f.id, f.name, f.inbox_id, f.stage_id, f.fields::text AS fields,"
	 " EXISTS (SELECT 1 FROM portals po WHERE po.support_form_id = f.id) AS is_support"
	 " FROM forms f WHERE f.id = $1",
	 1},
	{"rec_form_lock", "SELECT 1 FROM forms WHERE id = $1 FOR UPDATE", 1},
	{"rec_form_update",
	 "WITH old AS (SELECT " FORM_STATE " AS state FROM forms f WHERE f.id = $1)"
	 " UPDATE forms f SET name = $2, inbox_id = $3, pipeline_id = s.pipeline_id, stage_id = s.id,"
	 " fields = $5::jsonb FROM pipeline_stages s, old WHERE f.id = $1 AND s.id = $4"
	 " RETURNING old.state AS before, " FORM_STATE " AS after",
	 5},
	{"rec_inbox_name", "SELECT name FROM inboxes WHERE id = $1", 1},
	{NULL},
};

/*
 * A field is {name, label, property, type, required[, options]} as fcgi/ticket_new.c reads it:
 * types text, textarea, select, email, number; property subject, description, priority (ticket
 * columns) or a custom property key (tickets.properties). ticket_new.c quietly skips or bends
 * what it cannot use (a repeated name, a textarea subject, priority values outside
 * low/medium/high/urgent); here such a definition is refused with a message instead, so what
 * the admin saves is exactly what the customer gets. Row buttons (add, remove, move) re-render
 * the edited rows without saving; Save validates everything and writes it in one transaction.
 */

#define FF_MAX 32        /* TN_MAX_FIELDS of ticket_new.c */
#define FF_LABEL_MAX 200
#define FF_OPTION_MAX 200 /* TN_CHOICE_MAX */
#define FF_OPTIONS_MAX 50

struct ff_row {
	const char *name, *label, *property, *custom, *type, *options;
	/* translations: label_<lang> ("labels" of the field) and options_<lang> ("value | label"
	 * lines, the "labels" of its options), one pair per language of the list (langs.h) */
	const char *label_tr[LANGS_MAX], *options_tr[LANGS_MAX];
	int required;
};

struct ff_state {
	const char *name, *inbox, *stage;
	struct ff_row rows[FF_MAX];
	int n;
};

static const char *const types[] = {"text", "textarea", "select", "email", "number", NULL};
static const char *const builtins[] = {"subject", "description", "priority", NULL};
static const char *const priorities[] = {"low", "medium", "high", "urgent", NULL};
/* keys that name something else in the portal's filter rules or the ticket itself */
static const char *const reserved[] = {"subject", "description", "priority", "pipeline", "stage", "status",
				       "id", "created_at", "last_activity_at", "closed_at", "csrf", "nonce", NULL};

/* The translations are kept in the portal's languages: the list of langs.h. */
#define NTR ((int)nlangs)

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "";
}

/* The stored definition as rows (options as "value | label" lines). */
static void state_from_json(struct ctx *c, struct ff_state *st, const char *text)
{
	struct json_object *def = rec_json(text);
	size_t n = json_object_is_type(def, json_type_array) ? json_object_array_length(def) : 0;
	st->n = 0;
	for (size_t i = 0; i < n && st->n < FF_MAX; i++) {
		struct json_object *d = json_object_array_get_idx(def, i), *v, *opts;
		if (!json_object_is_type(d, json_type_object))
			continue;
		struct ff_row *r = &st->rows[st->n++];
		r->name = arena_strdup(c->arena, jstr(d, "name"));
		r->label = arena_strdup(c->arena, jstr(d, "label"));
		struct json_object *labels = NULL;
		json_object_object_get_ex(d, "labels", &labels);
		for (int l = 0; l < NTR; l++)
			r->label_tr[l] = arena_strdup(c->arena, labels ? jstr(labels, langs[l].code) : "");
		const char *prop = jstr(d, "property");
		r->property = rec_in_list(builtins, prop) ? arena_strdup(c->arena, prop) : "custom";
		r->custom = rec_in_list(builtins, prop) ? "" : arena_strdup(c->arena, prop);
		r->type = arena_strdup(c->arena, jstr(d, "type"));
		r->required = json_object_object_get_ex(d, "required", &v) && json_object_get_boolean(v);
		struct buf b = BUF_INIT;
		size_t no = json_object_object_get_ex(d, "options", &opts) && json_object_is_type(opts, json_type_array)
				    ? json_object_array_length(opts) : 0;
		for (size_t k = 0; k < no; k++) {
			struct json_object *o = json_object_array_get_idx(opts, k);
			if (json_object_is_type(o, json_type_string))
				buf_printf(&b, "%s\n", json_object_get_string(o));
			else if (json_object_is_type(o, json_type_object))
				buf_printf(&b, "%s | %s\n", jstr(o, "value"), jstr(o, "label"));
		}
		r->options = b.len && !b.oom ? arena_strndup(c->arena, b.data, b.len) : "";
		buf_free(&b);
		for (int l = 0; l < NTR; l++) {
			struct buf t = BUF_INIT;
			for (size_t k = 0; k < no; k++) {
				struct json_object *o = json_object_array_get_idx(opts, k), *ol;
				if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "labels", &ol))
					continue;
				const char *tl = jstr(ol, langs[l].code);
				if (tl[0])
					buf_printf(&t, "%s | %s\n", jstr(o, "value"), tl);
			}
			r->options_tr[l] = t.len && !t.oom ? arena_strndup(c->arena, t.data, t.len) : "";
			buf_free(&t);
		}
	}
	json_object_put(def);
}

static const char *fv(struct ctx *c, int i, const char *col)
{
	const char *v = request_form(c->req, arena_printf(c->arena, "f%d_%s", i, col));
	return v ? v : "";
}

static void state_from_request(struct ctx *c, struct ff_state *st)
{
	const char *v;
	st->name = (v = request_form(c->req, "name")) ? v : "";
	st->inbox = (v = request_form(c->req, "inbox_id")) ? v : "";
	st->stage = (v = request_form(c->req, "stage_id")) ? v : "";
	long n = admin_id(request_form(c->req, "nrows"));
	st->n = n > FF_MAX ? FF_MAX : (int)n;
	for (int i = 0; i < st->n; i++) {
		struct ff_row *r = &st->rows[i];
		r->name = fv(c, i, "name");
		r->label = fv(c, i, "label");
		r->property = fv(c, i, "property");
		r->custom = fv(c, i, "custom");
		r->type = fv(c, i, "type");
		r->options = fv(c, i, "options");
		for (int l = 0; l < NTR; l++) {
			r->label_tr[l] = fv(c, i, arena_printf(c->arena, "label_%s", langs[l].code));
			r->options_tr[l] = fv(c, i, arena_printf(c->arena, "options_%s", langs[l].code));
		}
		r->required = request_form(c->req, arena_printf(c->arena, "f%d_required", i)) != NULL;
	}
}

static struct json_object *choices(const char *const *values, const char *const *labels, const char *sel)
{
	struct json_object *a = json_object_new_array();
	for (int i = 0; values[i]; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "value", json_object_new_string(values[i]));
		json_object_object_add(o, "label", json_object_new_string(labels ? labels[i] : values[i]));
		json_object_object_add(o, "selected", json_object_new_boolean(strcmp(values[i], sel) == 0));
		json_object_array_add(a, o);
	}
	return a;
}

static void row_error(struct json_object *row, struct form *f, int i, const char *col)
{
	struct json_object *e;
	char key[32], out[32];
	snprintf(key, sizeof key, "f%d_%s", i, col);
	snprintf(out, sizeof out, "%s_error", col);
	if (f && json_object_object_get_ex(f->errors, key, &e))
		json_object_object_add(row, out, json_object_get(e));
}

/* The inbox and stage pickers into page; 0 or 500. */
static int add_pickers(struct json_object *page, const char *inbox, const char *stage)
{
	struct json_object *inboxes = rec_choices("rec_inbox_choices", inbox);
	struct json_object *stages = inboxes ? rec_stage_groups(stage) : NULL;
	if (!stages) {
		json_object_put(inboxes);
		return 500;
	}
	json_object_object_add(page, "inboxes", inboxes);
	json_object_object_add(page, "stage_groups", stages);
	return 0;
}

static struct json_object *row_json(const struct ff_row *fr, int i, struct form *f)
{
	static const char *const props[] = {"subject", "description", "priority", "custom", NULL};
	static const char *const prop_labels[] = {"Subject", "Description", "Priority", "Custom property", NULL};
	static const char *const cols[] = {"name", "label", "property", "custom", "type", "options"};
	struct json_object *o = rec_obj("name", fr->name, "label", fr->label, "custom", fr->custom,
					"options", fr->options, NULL);
	json_object_object_add(o, "i", json_object_new_int(i));
	json_object_object_add(o, "n", json_object_new_int(i + 1));
	json_object_object_add(o, "properties", choices(props, prop_labels, fr->property));
	json_object_object_add(o, "types", choices(types, NULL, fr->type));
	json_object_object_add(o, "required", json_object_new_boolean(fr->required));
	for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
		row_error(o, f, i, cols[k]);
	struct json_object *trs = json_object_new_array();
	for (int l = 0; l < NTR; l++) {
		char col[32];
		struct json_object *t = rec_obj("lang", langs[l].code, "name", langs[l].name, "label", fr->label_tr[l],
						"options", fr->options_tr[l], NULL);
		json_object_object_add(t, "i", json_object_new_int(i));
		struct json_object *e;
		/* null rather than absent: {{#label_error}} in the loop must not find the field's own */
		snprintf(col, sizeof col, "f%d_label_%s", i, langs[l].code);
		json_object_object_add(t, "label_error",
				       f && json_object_object_get_ex(f->errors, col, &e) ? json_object_get(e) : NULL);
		snprintf(col, sizeof col, "f%d_options_%s", i, langs[l].code);
		json_object_object_add(t, "options_error",
				       f && json_object_object_get_ex(f->errors, col, &e) ? json_object_get(e) : NULL);
		json_object_array_add(trs, t);
	}
	json_object_object_add(o, "translations", trs);
	return o;
}

/* The form's page with the rows of st (row: the form as stored, or NULL to read it); note: what
 * a row button did without saving. */
static int form_render(struct ctx *c, int status, PGresult *row, const struct ff_state *st, struct form *f,
		       const char *note)
{
	struct json_object *page = admin_page_new(c, NULL, "forms");
	int failed = rec_record_fill(c, page, row, "rec_form_get", "form", "Form", NULL, NULL);
	if (!failed)
		failed = add_pickers(page, st->inbox, st->stage);
	json_object_object_add(page, "name", json_object_new_string(st->name));
	json_object_object_add(page, "language_names", json_object_new_string(lang_names(" or ")));
	struct json_object *rows = json_object_new_array();
	for (int i = 0; i < st->n; i++)
		json_object_array_add(rows, row_json(&st->rows[i], i, f));
	rec_mark_ends(rows);
	json_object_object_add(page, "rows", rows);
	json_object_object_add(page, "nrows", json_object_new_int(st->n));
	json_object_object_add(page, "no_rows", json_object_new_boolean(st->n == 0));
	json_object_object_add(page, "can_add", json_object_new_boolean(st->n < FF_MAX));
	if (note)
		json_object_object_add(page, "unsaved", json_object_new_string(note));
	return rec_render(c, status, failed, "admin/records_form", page, f);
}

int rec_form_page(struct ctx *c)
{
	if (!admin_id(c->caps.v[0]))
		return 404;
	PGresult *r = rec_q("rec_form_get", 1, c->caps.v[0]);
	if (!r || PQntuples(r) != 1) {
		int st = r ? 404 : 500;
		PQclear(r);
		return st;
	}
	struct ff_state st;
	st.name = arena_strdup(c->arena, db_col(r, 0, "name"));
	st.inbox = arena_strdup(c->arena, db_col(r, 0, "inbox_id"));
	st.stage = arena_strdup(c->arena, db_col(r, 0, "stage_id"));
	state_from_json(c, &st, db_col(r, 0, "fields"));
	int rc = form_render(c, 200, r, &st, NULL, NULL);
	PQclear(r);
	return rc;
}

/* Options text -> [value | {value, label}], with messages for row i. */
static struct json_object *options_json(struct ctx *c, struct form *f, int i, const char *text, int priority)
{
	struct json_object *a = json_object_new_array();
	const char *key = arena_printf(c->arena, "f%d_options", i);
	char *copy = arena_strdup(c->arena, text), *save = NULL;
	for (char *line = strtok_r(copy, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		char *bar = strchr(line, '|'), *label = NULL;
		if (bar) {
			*bar = '\0';
			label = bar + 1;
			while (*label == ' ' || *label == '\t')
				label++;
			for (size_t n = strlen(label); n && (label[n - 1] == ' ' || label[n - 1] == '\t'); n--)
				label[n - 1] = '\0';
		}
		while (*line == ' ' || *line == '\t')
			line++;
		for (size_t n = strlen(line); n && (line[n - 1] == ' ' || line[n - 1] == '\t'); n--)
			line[n - 1] = '\0';
		if (!*line) {
			if (label && *label)
				form_message(f, key, "Every option needs a value before the \"|\".");
			continue;
		}
		if (utf8_length(line) > FF_OPTION_MAX || (label && utf8_length(label) > FF_LABEL_MAX))
			form_message(f, key, "An option is too long (values up to 200 characters).");
		if (priority && !rec_in_list(priorities, line))
			form_message(f, key, "Priority options must be among: low, medium, high, urgent.");
		for (size_t k = 0; k < json_object_array_length(a); k++) {
			struct json_object *o = json_object_array_get_idx(a, k);
			const char *v = json_object_is_type(o, json_type_string) ? json_object_get_string(o) : jstr(o, "value");
			if (strcmp(v, line) == 0)
				form_message(f, key, arena_printf(c->arena, "The option \"%s\" is listed twice.", line));
		}
		if (label && *label) {
			json_object_array_add(a, rec_obj("value", line, "label", label, NULL));
		} else {
			json_object_array_add(a, json_object_new_string(line));
		}
	}
	size_t n = json_object_array_length(a);
	if (n == 0)
		form_message(f, key, "A select field needs options: one per line.");
	else if (n > FF_OPTIONS_MAX)
		form_message(f, key, "Use at most 50 options.");
	return a;
}

/* The translated option labels of row i in language l ("value | label" lines) into the options
 * a: each value must be one of the options; a plain string option becomes {value, labels}. */
static void options_translate(struct ctx *c, struct form *f, int i, int l, const char *text, struct json_object *a)
{
	const char *key = arena_printf(c->arena, "f%d_options_%s", i, langs[l].code);
	char *copy = arena_strdup(c->arena, text), *save = NULL;
	for (char *line = strtok_r(copy, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		char *bar = strchr(line, '|'), *label = bar ? bar + 1 : NULL;
		if (bar)
			*bar = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		for (size_t n = strlen(line); n && (line[n - 1] == ' ' || line[n - 1] == '\t'); n--)
			line[n - 1] = '\0';
		while (label && (*label == ' ' || *label == '\t'))
			label++;
		for (size_t n = label ? strlen(label) : 0; n && (label[n - 1] == ' ' || label[n - 1] == '\t'); n--)
			label[n - 1] = '\0';
		if (!*line && (!label || !*label))
			continue;
		if (!label || !*label || !*line) {
			form_message(f, key, "Write each translation as value | label.");
			continue;
		}
		if (utf8_length(label) > FF_LABEL_MAX) {
			form_message(f, key, "A translated label is too long (up to 200 characters).");
			continue;
		}
		size_t k, n = json_object_array_length(a);
		for (k = 0; k < n; k++) {
			struct json_object *o = json_object_array_get_idx(a, k);
			const char *v = json_object_is_type(o, json_type_string) ? json_object_get_string(o) : jstr(o, "value");
			if (strcmp(v, line) != 0)
				continue;
			if (json_object_is_type(o, json_type_string)) {
				o = rec_obj("value", v, NULL);
				json_object_array_put_idx(a, k, o);
			}
			struct json_object *labels;
			if (!json_object_object_get_ex(o, "labels", &labels)) {
				labels = json_object_new_object();
				json_object_object_add(o, "labels", labels);
			}
			json_object_object_add(labels, langs[l].code, json_object_new_string(label));
			break;
		}
		if (k == n)
			form_message(f, key, arena_printf(c->arena, "\"%s\" is not one of the options above.", line));
	}
}

/* Validate the rows into the fields array the portal reads; messages go into f. */
static struct json_object *fields_json(struct ctx *c, struct form *f, const struct ff_state *st)
{
	struct json_object *out = json_object_new_array();
	int has_subject = 0;
	for (int i = 0; i < st->n; i++) {
		const struct ff_row *r = &st->rows[i];
		const char *k_name = arena_printf(c->arena, "f%d_name", i), *k_prop = arena_printf(c->arena, "f%d_property", i);
		const char *k_custom = arena_printf(c->arena, "f%d_custom", i), *k_type = arena_printf(c->arena, "f%d_type", i);
		const char *name = form_text(f, c->req, k_name, 1, 40, 0, 1);
		const char *label = form_text(f, c->req, arena_printf(c->arena, "f%d_label", i), 1, FF_LABEL_MAX, 0, 1);
		const char *prop = r->property, *type = r->type;
		if (name && (!rec_key_ok(name) || strcmp(name, "csrf") == 0 || strcmp(name, "nonce") == 0))
			form_message(f, k_name, "Use lowercase letters, digits and _ (starting with a letter), not csrf or nonce.");
		for (int j = 0; name && j < i; j++)
			if (strcmp(st->rows[j].name, r->name) == 0)
				form_message(f, k_name, "Another field has this name already.");
		if (strcmp(prop, "custom") == 0) {
			prop = form_text(f, c->req, k_custom, 1, 40, 0, 1);
			if (prop && (!rec_key_ok(prop) || rec_in_list(reserved, prop))) {
				form_message(f, k_custom, rec_in_list(builtins, prop)
					? "Choose this property from the list instead of as a custom one."
					: "Use lowercase letters, digits and _ (starting with a letter), not a reserved name such as pipeline or stage.");
				prop = NULL;
			}
		} else if (!rec_in_list(builtins, prop)) {
			form_message(f, k_prop, "Choose which ticket property the field fills.");
			prop = NULL;
		}
		for (int j = 0; prop && j < i; j++) {
			const struct ff_row *o = &st->rows[j];
			const char *oprop = strcmp(o->property, "custom") == 0 ? o->custom : o->property;
			if (strcmp(oprop, prop) == 0) {
				form_message(f, strcmp(r->property, "custom") == 0 ? k_custom : k_prop,
					     "Another field fills this property already.");
				break;
			}
		}
		if (!rec_in_list(types, type)) {
			form_message(f, k_type, "Choose a field type from the list.");
			type = NULL;
		} else if (prop && strcmp(prop, "subject") == 0 && strcmp(type, "text") != 0) {
			form_message(f, k_type, "The subject is a single line: use the type text.");
		} else if (prop && strcmp(prop, "description") == 0 && strcmp(type, "text") != 0 && strcmp(type, "textarea") != 0) {
			form_message(f, k_type, "The description is text: use the type text or textarea.");
		} else if (prop && strcmp(prop, "priority") == 0 && strcmp(type, "select") != 0) {
			form_message(f, k_type, "The priority is one of low, medium, high, urgent: use the type select.");
		}
		if (prop && strcmp(prop, "subject") == 0)
			has_subject = 1;
		struct json_object *opts = NULL;
		if (type && strcmp(type, "select") == 0)
			opts = options_json(c, f, i, r->options, prop && strcmp(prop, "priority") == 0);
		struct json_object *labels = json_object_new_object();
		for (int l = 0; l < NTR; l++) {
			const char *tl = form_text(f, c->req, arena_printf(c->arena, "f%d_label_%s", i, langs[l].code), 0,
						   FF_LABEL_MAX, 0, 1);
			if (tl && tl[0])
				json_object_object_add(labels, langs[l].code, json_object_new_string(tl));
			if (opts)
				options_translate(c, f, i, l, r->options_tr[l], opts);
		}
		if (!name || !label || !prop || !type) {
			json_object_put(opts);
			json_object_put(labels);
			continue;
		}
		struct json_object *o = rec_obj("name", name, "label", label, "property", prop, "type", type, NULL);
		if (json_object_object_length(labels))
			json_object_object_add(o, "labels", labels);
		else
			json_object_put(labels);
		json_object_object_add(o, "required", json_object_new_boolean(r->required || strcmp(prop, "subject") == 0));
		if (opts)
			json_object_object_add(o, "options", opts);
		json_object_array_add(out, o);
	}
	if (!has_subject)
		form_message(f, "fields", "Add a field for the subject (property Subject): every ticket needs one.");
	return out;
}

/* name, inbox and stage of the form (exclude: the form being edited); messages into f.
 * Returns -1 on a database error. */
static int check_head(struct ctx *c, struct form *f, const char *exclude, const char **name)
{
	*name = form_text(f, c->req, "name", 1, REC_NAME_MAX, 0, 1);
	int taken = *name ? rec_exists("rec_form_taken", 2, *name, exclude) : 0;
	if (taken > 0)
		form_message(f, "name", "Another form has this name. Choose another name.");
	const char *inbox = request_form(c->req, "inbox_id"), *stage = request_form(c->req, "stage_id");
	int ib = admin_id(inbox) ? rec_exists("rec_inbox_name", 1, inbox) : 0;
	int sg = admin_id(stage) ? rec_exists("rec_stage_find", 1, stage) : 0;
	if (!ib)
		form_message(f, "inbox_id", "Choose the inbox the form's tickets arrive in.");
	if (!sg)
		form_message(f, "stage_id", "Choose the pipeline and stage new tickets start in.");
	return taken < 0 || ib < 0 || sg < 0 ? -1 : 0;
}

int rec_form_save(struct ctx *c)
{
	if (!admin_id(c->caps.v[0]))
		return 404;
	struct ff_state st;
	state_from_request(c, &st);
	const char *op = request_form(c->req, "op");
	op = op ? op : "save";
	int at = 0;
	const char *colon = strchr(op, ':');
	if (colon) {
		long k = admin_id(colon + 1);
		at = (k >= 1 && k <= st.n) ? (int)k - 1 : -1;
	}
	if (strcmp(op, "add") == 0) {
		if (st.n >= FF_MAX)
			return form_render(c, 422, NULL, &st, NULL, "A form holds at most 32 fields.");
		struct ff_row *nr = &st.rows[st.n++];
		*nr = (struct ff_row){.name = "", .label = "", .property = "custom", .custom = "", .type = "text", .options = ""};
		for (int l = 0; l < NTR; l++)
			nr->label_tr[l] = nr->options_tr[l] = "";
		return form_render(c, 200, NULL, &st, NULL, "Field added. Not saved yet: fill it in and press Save.");
	}
	if (colon && at >= 0) {
		int swap = strncmp(op, "up:", 3) == 0 ? at - 1 : strncmp(op, "down:", 5) == 0 ? at + 1 : -2;
		if (strncmp(op, "remove:", 7) == 0) {
			memmove(&st.rows[at], &st.rows[at + 1], (size_t)(st.n - at - 1) * sizeof st.rows[0]);
			st.n--;
			return form_render(c, 200, NULL, &st, NULL, "Field removed. Not saved yet: press Save to keep the change.");
		}
		if (swap >= 0 && swap < st.n) {
			struct ff_row tmp = st.rows[at];
			st.rows[at] = st.rows[swap];
			st.rows[swap] = tmp;
			return form_render(c, 200, NULL, &st, NULL, "Field moved. Not saved yet: press Save to keep the order.");
		}
	}
	if (strcmp(op, "save") != 0)
		return 400;

	struct form f;
	form_init(&f, "en");
	int code = rec_lock(c, "rec_form_lock");
	if (code) {
		form_free(&f);
		return code;
	}
	const char *name;
	int dberr = check_head(c, &f, c->caps.v[0], &name);
	struct json_object *fields = fields_json(c, &f, &st);
	if (dberr) {
		json_object_put(fields);
		form_free(&f);
		return rec_abort();
	}
	if (f.nerrors) {
		json_object_put(fields);
		db_rollback();
		return form_render(c, 422, NULL, &st, &f, NULL);
	}
	form_free(&f);
	PGresult *r = rec_q("rec_form_update", 5, c->caps.v[0], name, st.inbox, st.stage,
			    json_object_to_json_string_ext(fields, JSON_C_TO_STRING_PLAIN));
	json_object_put(fields);
	return rec_finish(c, r, "form_update", arena_printf(c->arena, "/admin/forms/%s?saved=1", c->caps.v[0]));
}

/* --- the list and a new form --- */

static int forms_render(struct ctx *c, int status, struct form *f)
{
	struct json_object *page = admin_page_new(c, "Forms", "forms");
	int failed = rec_list(page, "rec_forms");
	if (!failed)
		failed = add_pickers(page, request_form(c->req, "inbox_id"), request_form(c->req, "stage_id"));
	return rec_render(c, status, failed, "admin/records_forms", page, f);
}

int rec_forms_page(struct ctx *c)
{
	return forms_render(c, 200, NULL);
}

int rec_form_create(struct ctx *c)
{
	struct form f;
	const char *name;
	form_init(&f, "en");
	if (db_begin() < 0) {
		form_free(&f);
		return 500;
	}
	if (check_head(c, &f, NULL, &name) < 0) {
		form_free(&f);
		return rec_abort();
	}
	if (f.nerrors) {
		db_rollback();
		return forms_render(c, 422, &f);
	}
	form_free(&f);
	static const char fields[] =
		"[{\"name\": \"subject\", \"label\": \"Subject\", \"property\": \"subject\", \"type\": \"text\", \"required\": true},"
		" {\"name\": \"description\", \"label\": \"Description\", \"property\": \"description\", \"type\": \"textarea\", \"required\": true}]";
	PGresult *r = rec_q("rec_form_insert", 4, name, request_form(c->req, "inbox_id"), request_form(c->req, "stage_id"), fields);
	return rec_finish(c, r, "form_create", arena_printf(c->arena, "/admin/forms/%s?notice=created", db_col(r, 0, "id")));
}
