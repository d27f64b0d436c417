/* admin_settings_rules.h - property rules shared by ticket filters (admin_settings_filters.c) and
 * ticket permissions (admin_settings_permissions.c): the add form (property, operator, values),
 * its checks, and a rule as a row of a list. */
#ifndef PORTAL_ADMIN_SETTINGS_RULES_H
#define PORTAL_ADMIN_SETTINGS_RULES_H

#include "admin.h"

/* A property a page's rules may name without it being a custom key. */
struct settings_rule_builtin {
	const char *name, *label;
};

/* What a page's rules are on: the built-ins (ending with {NULL}), then custom keys. */
struct settings_rule_props {
	const struct settings_rule_builtin *builtins;
	const char *keys; /* statement, no parameters: the custom keys, column "key" */
	const char *key;  /* statement: a row when $1 is a custom key */
};

/* A checked rule, ready for the SQL (values as a JSON array of strings for a text[]). */
struct settings_rule {
	const char *property;
	const char *operator;
	const char *values_json;
};

/* Check the fields property, operator and values into r (messages into f). Returns 0 (valid),
 * 1 (invalid, messages in f) or 500. */
int settings_rule_parse(struct ctx *c, struct form *f, const struct settings_rule_props *props,
			struct settings_rule *r);
/* The add form's choices on page: property_groups (built-in, custom) and operators, marked from
 * the request when a refused form is shown again (refused), else "any of". 0 or -1. */
int settings_rule_choices(struct ctx *c, struct json_object *page, const struct settings_rule_props *props,
			  int refused);
/* Row i of r (columns id, property, operator, match_values: a JSON array) as a row of a list:
 * {id, property, property_label, builtin, operator_label, values[], has_values}. */
struct json_object *settings_rule_row(const struct settings_rule_props *props, PGresult *r, int i);

#endif
