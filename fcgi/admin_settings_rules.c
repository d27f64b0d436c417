/* admin_settings_rules.c - property rules shared by ticket filters and ticket permissions
 * (/admin/settings/filters, /admin/settings/permissions): the add form's choices and checks, and
 * a rule as a row of a list. */
#include "admin_settings_rules.h"

#include <stdlib.h>
#include <string.h>

const struct db_stmt admin_settings_rules_stmts[] = {
	{"settings_rule_ticket_keys", "SELECT key FROM ticket_property_keys ORDER BY key LIMIT 500", 0},
	{"settings_rule_ticket_key", "SELECT 1 FROM ticket_property_keys WHERE key = $1", 1},
	{"settings_rule_contact_keys", "SELECT key FROM contact_property_keys ORDER BY key LIMIT 500", 0},
	{"settings_rule_contact_key", "SELECT 1 FROM contact_property_keys WHERE key = $1", 1},
	{NULL, NULL, 0},
};

/* What portal_visible_tickets() reads itself (sql/functions/); other names are keys of
 * tickets.properties. */
static const struct settings_rule_builtin ticket_builtins[] = {
	{"pipeline", "Pipeline (name)"}, {"stage", "Stage (name)"}, {"priority", "Priority"}, {"subject", "Subject"},
	{NULL, NULL},
};
const struct settings_rule_props settings_rule_ticket = {ticket_builtins, "settings_rule_ticket_keys",
							  "settings_rule_ticket_key"};

/* What contact_property() reads itself; other names are keys of contacts.properties. */
static const struct settings_rule_builtin contact_builtins[] = {
	{"email", "Email"}, {"first_name", "First name"}, {"last_name", "Last name"}, {NULL, NULL},
};
const struct settings_rule_props settings_rule_contact = {contact_builtins, "settings_rule_contact_keys",
							   "settings_rule_contact_key"};

/* (the same pairs of a name and a label as the built-ins) */
static const struct settings_rule_builtin operators[] = {
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

static const char *builtin_label(const struct settings_rule_builtin *b, const char *name)
{
	for (; b->name; b++)
		if (strcmp(b->name, name) == 0)
			return b->label;
	return NULL;
}

/* {value, label, selected} into the array a. */
static void option_add(struct json_object *a, const char *value, const char *label, const char *selected)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "value", json_object_new_string(value));
	json_object_object_add(o, "label", json_object_new_string(label));
	json_object_object_add(o, "selected", json_object_new_boolean(selected && strcmp(selected, value) == 0));
	json_object_array_add(a, o);
}

static struct json_object *option_group(const char *label, struct json_object *options)
{
	struct json_object *g = json_object_new_object();
	json_object_object_add(g, "label", json_object_new_string(label));
	json_object_object_add(g, "options", options);
	return g;
}

int settings_rule_choices(struct ctx *c, struct json_object *page, const struct settings_rule_props *props,
			  int refused)
{
	PGresult *r = db_exec(props->keys, 0, NULL);
	if (!r)
		return -1;
	const char *prop = refused ? request_form(c->req, "property") : NULL;
	const char *op = refused ? request_form(c->req, "operator") : "any_of";
	struct json_object *builtin = json_object_new_array(), *custom = json_object_new_array();
	for (const struct settings_rule_builtin *x = props->builtins; x->name; x++)
		option_add(builtin, x->name, x->label, prop);
	for (int i = 0; i < PQntuples(r); i++)
		if (!builtin_label(props->builtins, PQgetvalue(r, i, 0)))
			option_add(custom, PQgetvalue(r, i, 0), PQgetvalue(r, i, 0), prop);
	PQclear(r);
	struct json_object *groups = json_object_new_array(), *ops = json_object_new_array();
	json_object_array_add(groups, option_group("Built-in", builtin));
	json_object_array_add(groups, option_group("Custom properties", custom));
	json_object_object_add(page, "property_groups", groups);
	for (size_t i = 0; i < NOPS; i++)
		option_add(ops, operators[i].name, operators[i].label, op);
	json_object_object_add(page, "operators", ops);
	return 0;
}

struct json_object *settings_rule_row(const struct settings_rule_props *props, PGresult *r, int i)
{
	struct json_object *o = db_row_json(r, i), *v;
	const char *property = json_object_get_string(json_object_object_get(o, "property"));
	const char *bl = builtin_label(props->builtins, property);
	json_object_object_add(o, "property_label", json_object_new_string(bl ? bl : property));
	json_object_object_add(o, "builtin", json_object_new_boolean(bl != NULL));
	json_object_object_add(o, "operator_label", json_object_new_string(
		operator_label(json_object_get_string(json_object_object_get(o, "operator")))));
	v = json_tokener_parse(json_object_get_string(json_object_object_get(o, "match_values")));
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

int settings_rule_parse(struct ctx *c, struct form *f, const struct settings_rule_props *props,
			struct settings_rule *r)
{
	memset(r, 0, sizeof *r);
	const char *prop = form_text(f, c->req, "property", 0, RULE_MAX_PROPERTY, 0, 1);
	const char *op = form_text(f, c->req, "operator", 0, 16, 0, 1);
	const char *vals = form_text(f, c->req, "values", 0, 20000, 1, 1);
	if (prop && !*prop) {
		form_message(f, "property", "Choose a property.");
		prop = NULL;
	}
	if (prop && !builtin_label(props->builtins, prop)) {
		const char *p[1] = {prop};
		char one[8];
		int k = db_exec_value(props->key, 1, p, one, sizeof one);
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
