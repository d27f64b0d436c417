/* admin_rules.c - settings: ticket filters, permissions, theme, navigation, support form. The
 * group's one route table and statement table, and the helpers its pages share (one audited
 * change per transaction, the property-rule form). */
#include "admin_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

const struct db_stmt admin_rules_stmts[] = {
	{NULL, NULL, 0},
};

int rules_done(struct ctx *c, const char *path, const char *notice)
{
	return page_redirect(c, 303, arena_printf(c->arena, "%s?%s%s", path, notice ? "notice=" : "saved=1",
						  notice ? notice : ""));
}

/* The snapshot text, or NULL on error. */
static char *snapshot(struct ctx *c, const char *stmt)
{
	const char *p[1] = {admin_pid(c)};
	PGresult *r = db_exec(stmt, 1, p);
	if (!r)
		return NULL;
	char *s = PQntuples(r) == 1 ? arena_strdup(c->arena, PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	return s;
}

int rules_change(struct ctx *c, const char *setting, const char *snap, const char *stmt, int n,
		 const char *const *p, int missing_404)
{
	if (db_begin() < 0)
		return 500;
	char *before = snapshot(c, snap);
	PGresult *r = before ? db_exec(stmt, n, p) : NULL;
	if (!r) {
		db_rollback();
		return 500;
	}
	const char *rows = PQcmdTuples(r);
	int touched = PQntuples(r) > 0 || (rows[0] && strcmp(rows, "0") != 0);
	PQclear(r);
	if (!touched && missing_404) {
		db_rollback();
		return 404;
	}
	char *after = snapshot(c, snap);
	if (!after) {
		db_rollback();
		return 500;
	}
	if (strcmp(before, after) == 0) {
		db_rollback(); /* nothing changed: nothing to record */
		return 0;
	}
	if (admin_audit(c, "settings_change", setting, json_tokener_parse(before), json_tokener_parse(after)) < 0) {
		db_rollback();
		return 500;
	}
	return db_commit() < 0 ? 500 : 0;
}

/* ---- the property-rule form (ticket filters and permission rules) ---- */

static const struct {
	const char *name, *label;
} operators[] = {
	{"any_of", "is any of"},
	{"none_of", "is none of"},
	{"equals", "equals"},
	{"contains", "contains"},
	{"is_known", "is known (has any value)"},
};
#define NOPS (sizeof operators / sizeof operators[0])
#define RULE_MAX_VALUES 50
#define RULE_MAX_VALUE 200 /* code points */
#define RULE_MAX_PROPERTY 100

static const char *operator_label(const char *op)
{
	for (size_t i = 0; i < NOPS; i++)
		if (strcmp(operators[i].name, op) == 0)
			return operators[i].label;
	return op;
}

static const char *builtin_label(const struct rules_builtin *b, const char *name)
{
	for (; b->name; b++)
		if (strcmp(b->name, name) == 0)
			return b->label;
	return NULL;
}

struct json_object *rules_operator_options(const char *selected)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < NOPS; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "value", json_object_new_string(operators[i].name));
		json_object_object_add(o, "label", json_object_new_string(operators[i].label));
		json_object_object_add(o, "selected", json_object_new_boolean(selected && strcmp(selected, operators[i].name) == 0));
		json_object_array_add(a, o);
	}
	return a;
}

static void option_add(struct json_object *a, const char *value, const char *label, const char *selected)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "value", json_object_new_string(value));
	json_object_object_add(o, "label", json_object_new_string(label));
	json_object_object_add(o, "selected", json_object_new_boolean(selected && strcmp(selected, value) == 0));
	json_object_array_add(a, o);
}

struct json_object *rules_property_options(const struct rules_builtin *builtins, const char *list,
					    const char *selected)
{
	PGresult *r = db_exec(list, 0, NULL);
	if (!r)
		return NULL;
	struct json_object *groups = json_object_new_array();
	struct json_object *g1 = json_object_new_object(), *b = json_object_new_array();
	for (const struct rules_builtin *x = builtins; x->name; x++)
		option_add(b, x->name, x->label, selected);
	json_object_object_add(g1, "label", json_object_new_string("Built-in"));
	json_object_object_add(g1, "options", b);
	json_object_array_add(groups, g1);
	struct json_object *g2 = json_object_new_object(), *k = json_object_new_array();
	for (int i = 0; i < PQntuples(r); i++)
		if (!builtin_label(builtins, PQgetvalue(r, i, 0)))
			option_add(k, PQgetvalue(r, i, 0), PQgetvalue(r, i, 0), selected);
	PQclear(r);
	json_object_object_add(g2, "label", json_object_new_string("Custom properties"));
	json_object_object_add(g2, "options", k);
	json_object_array_add(groups, g2);
	return groups;
}

struct json_object *rules_rule_row(const struct rules_builtin *builtins, const char *id,
				   const char *property, const char *operator, const char *values_json)
{
	struct json_object *o = json_object_new_object();
	const char *bl = builtin_label(builtins, property);
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "property", json_object_new_string(property));
	json_object_object_add(o, "property_label", json_object_new_string(bl ? bl : property));
	json_object_object_add(o, "builtin", json_object_new_boolean(bl != NULL));
	json_object_object_add(o, "operator_label", json_object_new_string(operator_label(operator)));
	struct json_object *v = json_tokener_parse(values_json);
	if (!json_object_is_type(v, json_type_array)) {
		json_object_put(v);
		v = json_object_new_array();
	}
	json_object_object_add(o, "values", v);
	json_object_object_add(o, "has_values", json_object_new_boolean(json_object_array_length(v) > 0));
	return o;
}

/* Split on line breaks and commas, trim, drop empties and repeats. -1 with a message in f. */
static int parse_values(struct form *f, const char *raw, struct json_object *out)
{
	const char *p = raw;
	while (*p) {
		size_t n = strcspn(p, ",\r\n");
		const char *s = p, *e = p + n;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s) {
			char *v = strndup(s, (size_t)(e - s));
			if (!v)
				return -1;
			int dup = 0;
			for (size_t i = 0; i < json_object_array_length(out); i++)
				if (strcmp(json_object_get_string(json_object_array_get_idx(out, i)), v) == 0)
					dup = 1;
			if (utf8_length(v) > RULE_MAX_VALUE) {
				free(v);
				form_message(f, "values", "Each value may be at most 200 characters long.");
				return -1;
			}
			if (!dup)
				json_object_array_add(out, json_object_new_string(v));
			free(v);
			if (json_object_array_length(out) > RULE_MAX_VALUES) {
				form_message(f, "values", "Enter at most 50 values.");
				return -1;
			}
		}
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

int rules_rule_parse(struct ctx *c, struct form *f, const struct rules_builtin *builtins,
		     const char *known, struct rules_rule *r)
{
	memset(r, 0, sizeof *r);
	const char *prop = form_text(f, c->req, "property", 0, RULE_MAX_PROPERTY, 0, 1);
	const char *op = form_text(f, c->req, "operator", 0, 16, 0, 1);
	const char *vals = form_text(f, c->req, "values", 0, 20000, 1, 1);
	if (prop && !*prop) {
		form_message(f, "property", "Choose a property.");
		prop = NULL;
	}
	if (prop && !builtin_label(builtins, prop)) {
		const char *p[1] = {prop};
		char one[8];
		int k = db_exec_value(known, 1, p, one, sizeof one);
		if (k < 0)
			return 500;
		if (k == 0) {
			form_message(f, "property", "This property is not known. Choose one from the list.");
			prop = NULL;
		}
	}
	int opi = -1;
	for (size_t i = 0; op && i < NOPS; i++)
		if (strcmp(op, operators[i].name) == 0)
			opi = (int)i;
	if (opi < 0 && op)
		form_message(f, "operator", "Choose an operator from the list.");
	struct json_object *values = json_object_new_array();
	if (vals && parse_values(f, vals, values) == 0 && opi >= 0) {
		size_t nv = json_object_array_length(values);
		const char *name = operators[opi].name;
		if (strcmp(name, "is_known") == 0 && nv > 0)
			form_message(f, "values", "\"Is known\" takes no values. Clear the values box.");
		else if ((strcmp(name, "equals") == 0 || strcmp(name, "contains") == 0) && nv != 1)
			form_message(f, "values", nv ? "This operator takes exactly one value." : "Enter a value.");
		else if ((strcmp(name, "any_of") == 0 || strcmp(name, "none_of") == 0) && nv == 0)
			form_message(f, "values", "Enter at least one value, one per line or separated by commas.");
	}
	if (f->nerrors) {
		json_object_put(values);
		return 1;
	}
	r->property = prop;
	r->operator = operators[opi].name;
	r->values_json = arena_strdup(c->arena, json_object_to_json_string_ext(values, JSON_C_TO_STRING_PLAIN));
	json_object_put(values);
	return r->values_json ? 0 : 500;
}
