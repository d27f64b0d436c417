/* admin_settings_permissions.c - /admin/settings/permissions: which tickets a customer sees (the
 * permission mode: a form page on the kit, form_page.h) and the contact property rule groups of
 * mode company_rules (a list of rows below it, each added and removed on its own; the rule
 * form: admin_settings_rules.c). */
#include "admin_settings.h"
#include "admin_settings_rules.h"
#include "form_page.h"

#include <string.h>

const struct db_stmt admin_settings_permissions_stmts[] = {
	FP_STMTS("settings_permissions", "SELECT permission_mode FROM portals WHERE id = $1",
		 "UPDATE portals SET permission_mode = $2 WHERE id = $1", 2),
	{"settings_permission_rules",
	 "SELECT group_no, " SETTINGS_RULE_COLS " FROM portal_permission_rules WHERE portal_id = $1"
	 " ORDER BY group_no, id LIMIT 201",
	 1},
	{"settings_permission_rules_snap",
	 "SELECT coalesce(json_agg(json_build_object('group', group_no, " SETTINGS_RULE_JSON ")"
	 " ORDER BY group_no, id), '[]')::text FROM portal_permission_rules WHERE portal_id = $1",
	 1},
	/* $2 NULL: a new group after the last one */
	{"settings_permission_rule_add",
	 "INSERT INTO portal_permission_rules (portal_id, group_no, property, operator, match_values)"
	 " VALUES ($1, coalesce($2::int, (SELECT coalesce(max(group_no), 0) + 1"
	 "   FROM portal_permission_rules WHERE portal_id = $1)), $3, $4, " SETTINGS_RULE_VALUES(5) ")",
	 5},
	{"settings_permission_rule_delete", "DELETE FROM portal_permission_rules WHERE portal_id = $1 AND id = $2", 2},
	{NULL, NULL, 0},
};

static const char *const words[] = {"own", "own_company", "company_rules", NULL};
static const struct {
	const char *label, *hint;
} modes[] = {
	{"Only their own tickets", "A customer sees the tickets tied to their own contact."},
	{"Their own tickets and their company's",
	 "A customer also sees every ticket of their primary company (the \"Organization tickets\" view)."},
	{"Company tickets for contacts matching rules",
	 "A customer sees their company's tickets only when their contact matches every rule of at least one group below."},
};

static const struct fp_field fields[] = {
	{.name = "permission_mode", .kind = FP_CHOICE, .choices = words,
	 .message = "Choose one of the three permission modes."},
};

/* The mode's radios, marked from the form's value (the saved one when the form is not the mode's). */
static void add_modes(struct json_object *page, const char *mode)
{
	struct json_object *ms = json_object_new_array();
	for (size_t i = 0; words[i]; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "value", json_object_new_string(words[i]));
		json_object_object_add(o, "label", json_object_new_string(modes[i].label));
		json_object_object_add(o, "hint", json_object_new_string(modes[i].hint));
		json_object_object_add(o, "checked", json_object_new_boolean(strcmp(mode, words[i]) == 0));
		json_object_array_add(ms, o);
	}
	json_object_object_add(page, "modes", ms);
}

/* The rule groups in group order, and the group choices of the add form. */
static int add_groups(struct ctx *c, struct json_object *page, PGresult *r, int refused)
{
	const char *sel = refused ? request_form(c->req, "group") : NULL;
	struct json_object *groups = json_object_new_array(), *choices = json_object_new_array(), *rules = NULL;
	const char *cur = NULL;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *no = PQgetvalue(r, i, PQfnumber(r, "group_no"));
		if (!cur || strcmp(no, cur) != 0) {
			size_t n = json_object_array_length(groups) + 1;
			struct json_object *g = json_object_new_object(), *ch = json_object_new_object();
			cur = no;
			rules = json_object_new_array();
			json_object_object_add(g, "number", json_object_new_int64((int64_t)n));
			json_object_object_add(g, "rules", rules);
			json_object_object_add(g, "first", json_object_new_boolean(n == 1));
			json_object_array_add(groups, g);
			json_object_object_add(ch, "value", json_object_new_string(no));
			json_object_object_add(ch, "label", json_object_new_string(
				arena_printf(c->arena, "Group %zu (AND with its rules)", n)));
			json_object_object_add(ch, "selected", json_object_new_boolean(sel && strcmp(sel, no) == 0));
			json_object_array_add(choices, ch);
		}
		json_object_array_add(rules, settings_rule_row(&settings_rule_contact, r, i));
	}
	json_object_object_add(page, "groups", groups);
	json_object_object_add(page, "group_choices", choices);
	return PQntuples(r);
}

/* Beside the mode: the rule groups and the add form (read from the database, not the cache: this
 * page follows a save at once). */
static int decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	const char *p[1] = {admin_pid(c)};
	char saved[16];
	if (db_exec_value(fp->load, 1, p, saved, sizeof saved) != 1)
		return 500;
	PGresult *r = db_exec("settings_permission_rules", 1, p);
	if (!r || settings_rule_choices(c, page, &settings_rule_contact, row == NULL) < 0) {
		PQclear(r);
		return 500;
	}
	struct json_object *values, *v;
	json_object_object_get_ex(page, "values", &values);
	add_modes(page, json_object_object_get_ex(values, "permission_mode", &v) ? json_object_get_string(v) : saved);
	int n = add_groups(c, page, r, row == NULL), rules_mode = strcmp(saved, "company_rules") == 0;
	PQclear(r);
	json_object_object_add(page, "rules_mode", json_object_new_boolean(rules_mode));
	json_object_object_add(page, "empty", json_object_new_boolean(n == 0));
	json_object_object_add(page, "no_rules_warning", json_object_new_boolean(n == 0 && rules_mode));
	json_object_object_add(page, "at_limit", json_object_new_boolean(n >= SETTINGS_RULES_MAX));
	return 0;
}

static const struct form_page page = {
	SETTINGS_PAGE("permissions", "permissions", "Ticket permissions"),
	.fields = FP_FIELDS(fields), .decorate = decorate,
};

FP_HANDLERS(admin_settings_permissions, admin_settings_permissions_save, page)

/* A rule into a group: "new" (after the last one) or one of the portal's group numbers. */
int admin_settings_permission_rule_add(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	struct settings_rule rule;
	int rc = settings_rule_parse(c, &f, &settings_rule_contact, &rule);
	const char *group = request_form(c->req, "group"), *p[5] = {admin_pid(c), NULL};
	PGresult *r = rc == 500 ? NULL : db_exec("settings_permission_rules", 1, p);
	if (!r) {
		form_free(&f);
		return 500;
	}
	int n = PQntuples(r);
	for (int i = 0; group && i < n; i++)
		if (strcmp(PQgetvalue(r, i, PQfnumber(r, "group_no")), group) == 0)
			p[1] = group;
	PQclear(r);
	if (!p[1] && (!group || strcmp(group, "new") != 0))
		form_message(&f, "group", "Choose a group from the list, or a new group.");
	if (f.nerrors == 0 && n >= SETTINGS_RULES_MAX)
		form_message(&f, "property", "A portal can have at most 100 permission rules. Remove one first.");
	if (f.nerrors)
		return form_page_show(c, &page, 422, &f);
	form_free(&f);
	p[2] = rule.property;
	p[3] = rule.operator;
	p[4] = rule.values_json;
	rc = form_page_change(c, "permission_rules", "settings_permission_rules_snap", "settings_permission_rule_add", 5, p);
	return rc ? rc : form_page_done(c, "/admin/settings/permissions", "created");
}

int admin_settings_permission_rule_delete(struct ctx *c)
{
	return form_page_remove(c, "permission_rules", "settings_permission_rules_snap",
				"settings_permission_rule_delete", "/admin/settings/permissions");
}
