/* admin_settings_filters.c - settings: the portal's ticket filter rules, and ticket permissions
 * (permission mode and the contact property rule groups of mode company_rules). */
#include "admin_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct db_stmt admin_settings_filters_stmts[] = {
	/* ticket filters */
	{"admin_rules_filters_list",
	 "SELECT id, property, operator, array_to_json(match_values)::text FROM portal_ticket_filters"
	 " WHERE portal_id = $1 ORDER BY id LIMIT 201",
	 1},
	{"admin_rules_filters_snap",
	 "SELECT coalesce(json_agg(json_build_object('property', property, 'operator', operator,"
	 " 'values', match_values) ORDER BY id), '[]')::text FROM portal_ticket_filters WHERE portal_id = $1",
	 1},
	{"admin_rules_filters_add",
	 "INSERT INTO portal_ticket_filters (portal_id, property, operator, match_values)"
	 " VALUES ($1, $2, $3, ARRAY(SELECT jsonb_array_elements_text($4::jsonb)))",
	 4},
	{"admin_rules_filters_delete", "DELETE FROM portal_ticket_filters WHERE portal_id = $1 AND id = $2", 2},
	{"admin_rules_ticket_keys", "SELECT key FROM ticket_property_keys ORDER BY key LIMIT 500", 0},
	{"admin_rules_ticket_key", "SELECT 1 FROM ticket_property_keys WHERE key = $1", 1},
	/* permissions */
	{"admin_rules_perm_list",
	 "SELECT id, group_no, property, operator, array_to_json(match_values)::text"
	 " FROM portal_permission_rules WHERE portal_id = $1 ORDER BY group_no, id LIMIT 201",
	 1},
	{"admin_rules_mode_snap",
	 "SELECT json_build_object('permission_mode', permission_mode)::text FROM portals WHERE id = $1", 1},
	{"admin_rules_mode_get", "SELECT permission_mode FROM portals WHERE id = $1", 1},
	{"admin_rules_mode_set", "UPDATE portals SET permission_mode = $2 WHERE id = $1", 2},
	{"admin_rules_perm_snap",
	 "SELECT coalesce(json_agg(json_build_object('group', group_no, 'property', property,"
	 " 'operator', operator, 'values', match_values) ORDER BY group_no, id), '[]')::text"
	 " FROM portal_permission_rules WHERE portal_id = $1",
	 1},
	/* $2 NULL: a new group after the last one */
	{"admin_rules_perm_add",
	 "INSERT INTO portal_permission_rules (portal_id, group_no, property, operator, match_values)"
	 " VALUES ($1, coalesce($2::int, (SELECT coalesce(max(group_no), 0) + 1"
	 "   FROM portal_permission_rules WHERE portal_id = $1)),"
	 " $3, $4, ARRAY(SELECT jsonb_array_elements_text($5::jsonb)))",
	 5},
	{"admin_rules_perm_delete", "DELETE FROM portal_permission_rules WHERE portal_id = $1 AND id = $2", 2},
	{"admin_rules_contact_keys", "SELECT key FROM contact_property_keys ORDER BY key LIMIT 500", 0},
	{"admin_rules_contact_key", "SELECT 1 FROM contact_property_keys WHERE key = $1", 1},
	{NULL},
};

#define FILTERS_MAX 100
#define PERM_RULES_MAX 100

/* What portal_visible_tickets() reads itself (sql/003_tickets.sql); other names are keys of
 * tickets.properties. */
static const struct rules_builtin ticket_builtins[] = {
	{"pipeline", "Pipeline (name)"},
	{"stage", "Stage (name)"},
	{"priority", "Priority"},
	{"subject", "Subject"},
	{NULL, NULL},
};

/* What contact_property() reads itself; other names are keys of contacts.properties. */
static const struct rules_builtin contact_builtins[] = {
	{"email", "Email"},
	{"first_name", "First name"},
	{"last_name", "Last name"},
	{NULL, NULL},
};

static int filters_render(struct ctx *c, int status, struct form *f)
{
	const char *p[1] = {admin_pid(c)};
	PGresult *r = db_exec("admin_rules_filters_list", 1, p);
	if (!r) {
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *page = admin_page_new(c, "Ticket filters", "settings");
	struct json_object *rows = json_object_new_array();
	int n = PQntuples(r);
	for (int i = 0; i < n; i++)
		json_object_array_add(rows, rules_rule_row(ticket_builtins, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
							   PQgetvalue(r, i, 2), PQgetvalue(r, i, 3)));
	PQclear(r);
	json_object_object_add(page, "rules", rows);
	json_object_object_add(page, "empty", json_object_new_boolean(n == 0));
	json_object_object_add(page, "at_limit", json_object_new_boolean(n >= FILTERS_MAX));
	const char *sel_prop = f ? request_form(c->req, "property") : NULL;
	const char *sel_op = f ? request_form(c->req, "operator") : "any_of";
	struct json_object *props = rules_property_options(ticket_builtins, "admin_rules_ticket_keys", sel_prop);
	if (!props) {
		json_object_put(page);
		if (f)
			form_free(f);
		return 500;
	}
	json_object_object_add(page, "property_groups", props);
	json_object_object_add(page, "operators", rules_operator_options(sel_op));
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, "admin/rules_filters", page);
}

int rules_filters_page(struct ctx *c)
{
	return filters_render(c, 200, NULL);
}

static int count_of(struct ctx *c, const char *stmt)
{
	const char *p[1] = {admin_pid(c)};
	PGresult *r = db_exec(stmt, 1, p);
	if (!r)
		return -1;
	int n = PQntuples(r);
	PQclear(r);
	return n;
}

int rules_filters_add(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	struct rules_rule rule;
	int rc = rules_rule_parse(c, &f, ticket_builtins, "admin_rules_ticket_key", &rule);
	if (rc == 500) {
		form_free(&f);
		return 500;
	}
	int n = count_of(c, "admin_rules_filters_list");
	if (n < 0) {
		form_free(&f);
		return 500;
	}
	if (rc == 0 && n >= FILTERS_MAX) {
		form_message(&f, "property", "A portal can have at most 100 filter rules. Remove one first.");
		rc = 1;
	}
	if (rc)
		return filters_render(c, 422, &f);
	form_free(&f);
	const char *p[4] = {admin_pid(c), rule.property, rule.operator, rule.values_json};
	rc = rules_change(c, "ticket_filters", "admin_rules_filters_snap", "admin_rules_filters_add", 4, p, 1);
	return rc ? rc : rules_done(c, "/admin/settings/filters", "created");
}

int rules_filters_delete(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	const char *p[2] = {admin_pid(c), arena_printf(c->arena, "%ld", id)};
	int rc = rules_change(c, "ticket_filters", "admin_rules_filters_snap", "admin_rules_filters_delete", 2, p, 1);
	return rc ? rc : rules_done(c, "/admin/settings/filters", "deleted");
}

/* ---- permissions ---- */

static const struct {
	const char *value, *label, *hint;
} modes[] = {
	{"own", "Only their own tickets", "A customer sees the tickets tied to their own contact."},
	{"own_company", "Their own tickets and their company's",
	 "A customer also sees every ticket of their primary company (the \"Organization tickets\" view)."},
	{"company_rules", "Company tickets for contacts matching rules",
	 "A customer sees their company's tickets only when their contact matches every rule of at least one group below."},
};
#define NMODES (sizeof modes / sizeof modes[0])

static int perm_render(struct ctx *c, int status, struct form *f, const char *mode_sent)
{
	const char *p[1] = {admin_pid(c)};
	PGresult *r = db_exec("admin_rules_perm_list", 1, p);
	if (!r) {
		if (f)
			form_free(f);
		return 500;
	}
	char saved[16]; /* the database's, not the cache's: this page follows a save at once */
	if (db_exec_value("admin_rules_mode_get", 1, p, saved, sizeof saved) != 1) {
		PQclear(r);
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *page = admin_page_new(c, "Ticket permissions", "settings");
	const char *mode = mode_sent ? mode_sent : saved;
	struct json_object *ms = json_object_new_array();
	for (size_t i = 0; i < NMODES; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "value", json_object_new_string(modes[i].value));
		json_object_object_add(o, "label", json_object_new_string(modes[i].label));
		json_object_object_add(o, "hint", json_object_new_string(modes[i].hint));
		json_object_object_add(o, "checked", json_object_new_boolean(strcmp(mode, modes[i].value) == 0));
		json_object_array_add(ms, o);
	}
	json_object_object_add(page, "modes", ms);
	int rules_mode = strcmp(saved, "company_rules") == 0;
	json_object_object_add(page, "rules_mode", json_object_new_boolean(rules_mode));

	/* rule groups, in group order; the group choices of the add form */
	const char *sel_group = f ? request_form(c->req, "group") : NULL;
	struct json_object *groups = json_object_new_array(), *choices = json_object_new_array();
	struct json_object *cur = NULL;
	long cur_no = -1;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		long no = atol(PQgetvalue(r, i, 1));
		if (!cur || no != cur_no) {
			cur = json_object_new_object();
			cur_no = no;
			json_object_object_add(cur, "number", json_object_new_int64((int64_t)json_object_array_length(groups) + 1));
			json_object_object_add(cur, "rules", json_object_new_array());
			json_object_object_add(cur, "first", json_object_new_boolean(json_object_array_length(groups) == 0));
			json_object_array_add(groups, cur);
			struct json_object *ch = json_object_new_object();
			const char *v = PQgetvalue(r, i, 1);
			json_object_object_add(ch, "value", json_object_new_string(v));
			json_object_object_add(ch, "label", json_object_new_string(arena_printf(
				c->arena, "Group %zu (AND with its rules)", json_object_array_length(groups))));
			json_object_object_add(ch, "selected", json_object_new_boolean(sel_group && strcmp(sel_group, v) == 0));
			json_object_array_add(choices, ch);
		}
		struct json_object *rules;
		json_object_object_get_ex(cur, "rules", &rules);
		json_object_array_add(rules, rules_rule_row(contact_builtins, PQgetvalue(r, i, 0), PQgetvalue(r, i, 2),
							    PQgetvalue(r, i, 3), PQgetvalue(r, i, 4)));
	}
	PQclear(r);
	json_object_object_add(page, "groups", groups);
	json_object_object_add(page, "group_choices", choices);
	json_object_object_add(page, "empty", json_object_new_boolean(n == 0));
	json_object_object_add(page, "no_rules_warning", json_object_new_boolean(n == 0 && rules_mode));
	json_object_object_add(page, "at_limit", json_object_new_boolean(n >= PERM_RULES_MAX));
	const char *sel_prop = f ? request_form(c->req, "property") : NULL;
	const char *sel_op = f ? request_form(c->req, "operator") : "any_of";
	struct json_object *props = rules_property_options(contact_builtins, "admin_rules_contact_keys", sel_prop);
	if (!props) {
		json_object_put(page);
		if (f)
			form_free(f);
		return 500;
	}
	json_object_object_add(page, "property_groups", props);
	json_object_object_add(page, "operators", rules_operator_options(sel_op));
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, "admin/rules_permissions", page);
}

int rules_perm_page(struct ctx *c)
{
	return perm_render(c, 200, NULL, NULL);
}

int rules_perm_mode(struct ctx *c)
{
	const char *mode = request_form(c->req, "permission_mode");
	int ok = 0;
	for (size_t i = 0; mode && i < NMODES; i++)
		ok |= strcmp(mode, modes[i].value) == 0;
	if (!ok) {
		struct form f;
		form_init(&f, "en");
		form_message(&f, "permission_mode", "Choose one of the three permission modes.");
		return perm_render(c, 422, &f, "");
	}
	const char *p[2] = {admin_pid(c), mode};
	int rc = rules_change(c, "permission_mode", "admin_rules_mode_snap", "admin_rules_mode_set", 2, p, 1);
	return rc ? rc : rules_done(c, "/admin/settings/permissions", NULL);
}

int rules_perm_add(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	struct rules_rule rule;
	int rc = rules_rule_parse(c, &f, contact_builtins, "admin_rules_contact_key", &rule);
	if (rc == 500) {
		form_free(&f);
		return 500;
	}
	/* the group: "new", or one of the portal's existing group numbers */
	const char *group = request_form(c->req, "group");
	const char *group_no = NULL;
	const char *p1[1] = {admin_pid(c)};
	PGresult *r = db_exec("admin_rules_perm_list", 1, p1);
	if (!r) {
		form_free(&f);
		return 500;
	}
	int n = PQntuples(r), found = 0;
	for (int i = 0; group && i < n; i++)
		if (strcmp(PQgetvalue(r, i, 1), group) == 0)
			found = 1;
	PQclear(r);
	if (group && strcmp(group, "new") == 0)
		group_no = NULL;
	else if (found)
		group_no = group;
	else
		form_message(&f, "group", "Choose a group from the list, or a new group.");
	if (f.nerrors == 0 && n >= PERM_RULES_MAX)
		form_message(&f, "property", "A portal can have at most 100 permission rules. Remove one first.");
	if (f.nerrors)
		return perm_render(c, 422, &f, NULL);
	form_free(&f);
	const char *p[5] = {admin_pid(c), group_no, rule.property, rule.operator, rule.values_json};
	rc = rules_change(c, "permission_rules", "admin_rules_perm_snap", "admin_rules_perm_add", 5, p, 1);
	return rc ? rc : rules_done(c, "/admin/settings/permissions", "created");
}

int rules_perm_delete(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	const char *p[2] = {admin_pid(c), arena_printf(c->arena, "%ld", id)};
	int rc = rules_change(c, "permission_rules", "admin_rules_perm_snap", "admin_rules_perm_delete", 2, p, 1);
	return rc ? rc : rules_done(c, "/admin/settings/permissions", "deleted");
}
