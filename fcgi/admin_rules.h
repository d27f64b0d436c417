/* admin_rules.h - settings pages of the rules group (ticket filters, permissions, theme,
 * navigation, support form): handlers and the helpers their files share. */
#ifndef PORTAL_ADMIN_RULES_H
#define PORTAL_ADMIN_RULES_H

#include "admin.h"

/* admin_settings_filters.c: ticket filter rules and ticket permissions. */
int rules_filters_page(struct ctx *c);
int rules_filters_add(struct ctx *c);
int rules_filters_delete(struct ctx *c);
int rules_perm_page(struct ctx *c);
int rules_perm_mode(struct ctx *c);
int rules_perm_add(struct ctx *c);
int rules_perm_delete(struct ctx *c);

/* admin_settings_theme.c: theme styles, logo and favicon uploads, the theme stylesheet. */
int rules_theme_page(struct ctx *c);
int rules_theme_save(struct ctx *c);
int rules_theme_css(struct ctx *c);

/* admin_settings_navigation.c: navigation menu items and the support form. */
int rules_nav_page(struct ctx *c);
int rules_nav_add(struct ctx *c);
int rules_nav_edit_page(struct ctx *c);
int rules_nav_edit(struct ctx *c);
int rules_nav_delete(struct ctx *c);
int rules_nav_move(struct ctx *c);
int rules_form_page(struct ctx *c);
int rules_form_save(struct ctx *c);

/* The configured portal's id as text (arena). */
/*
 * One settings change in one transaction: the JSON snapshot statement snap ($1 = portal id,
 * one text value) before, the change statement stmt(n, p), the snapshot after, then
 * admin_audit("settings_change", setting, before, after) and COMMIT. When stmt touched no row
 * and missing_404 is set: rolled back, 404. When before and after are equal: rolled back, no
 * audit, 0 (nothing changed). Returns 0, 404 or 500 (rolled back, logged).
 */
int rules_change(struct ctx *c, const char *setting, const char *snap, const char *stmt, int n,
		 const char *const *p, int missing_404);
/* The console's "saved" redirect to path (with ?saved=1 or ?notice=word). */
int rules_done(struct ctx *c, const char *path, const char *notice);

/* A rule on a property (filters and permission rules share the form). */
struct rules_rule {
	const char *property;
	const char *operator;
	const char *values_json; /* JSON array of strings, for the SQL's text[] */
};
struct rules_builtin {
	const char *name, *label;
};
/* Validate the fields property, operator, values into r (errors into f). The property must be
 * a built-in or a key that statement known ($1 = key) finds. Returns 0 (valid), 1 (invalid,
 * messages in f) or 500. */
int rules_rule_parse(struct ctx *c, struct form *f, const struct rules_builtin *builtins,
		     const char *known, struct rules_rule *r);
/* The property choices for a select: the built-ins then keys from statement list (no params),
 * with selected marking the chosen one. NULL on a database error. */
struct json_object *rules_property_options(const struct rules_builtin *builtins, const char *list,
					    const char *selected);
/* The operator choices, selected marked. */
struct json_object *rules_operator_options(const char *selected);
/* A rule row for a list: {id, property, property_label, operator_label, values[]}. */
struct json_object *rules_rule_row(const struct rules_builtin *builtins, const char *id,
				   const char *property, const char *operator, const char *values_json);

#endif
