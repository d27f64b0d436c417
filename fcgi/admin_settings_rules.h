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
/* A ticket's properties (ticket filters) and a contact's (permission rules). */
extern const struct settings_rule_props settings_rule_ticket, settings_rule_contact;

/* A checked rule, ready for the SQL (values as a JSON array of strings for a text[]). */
struct settings_rule {
	const char *property;
	const char *operator;
	const char *values_json;
};

/* SQL of the two rule tables (portal_ticket_filters, portal_permission_rules): a rule's columns
 * for settings_rule_row, a rule in a JSON snapshot, and parameter $n (the values as a JSON array
 * of strings) as match_values. */
#define SETTINGS_RULE_COLS "id, property, operator, array_to_json(match_values)::text AS match_values"
#define SETTINGS_RULE_JSON "'property', property, 'operator', operator, 'values', match_values"
#define SETTINGS_RULE_VALUES(n) "ARRAY(SELECT jsonb_array_elements_text($" #n "::jsonb))"
/* The most rules a portal may hold in each of them. */
#define SETTINGS_RULES_MAX 100

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
