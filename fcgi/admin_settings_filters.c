/* admin_settings_filters.c - /admin/settings/filters: the portal's ticket filter rules (a ticket
 * shows only when it matches every rule). Not a form page of the kit: a list of rows, each
 * added and removed on its own (the rule form: admin_settings_rules.c). */
#include "admin_settings.h"
#include "admin_settings_rules.h"
#include "form_page.h"

const struct db_stmt admin_settings_filters_stmts[] = {
	{"settings_filters_list",
	 "SELECT " SETTINGS_RULE_COLS " FROM portal_ticket_filters WHERE portal_id = $1 ORDER BY id LIMIT 201", 1},
	{"settings_filters_snap",
	 "SELECT coalesce(json_agg(json_build_object(" SETTINGS_RULE_JSON ") ORDER BY id), '[]')::text"
	 " FROM portal_ticket_filters WHERE portal_id = $1",
	 1},
	{"settings_filters_add",
	 "INSERT INTO portal_ticket_filters (portal_id, property, operator, match_values)"
	 " VALUES ($1, $2, $3, " SETTINGS_RULE_VALUES(4) ")",
	 4},
	{"settings_filters_delete", "DELETE FROM portal_ticket_filters WHERE portal_id = $1 AND id = $2", 2},
	{NULL, NULL, 0},
};

/* The rules and the add form; f: a refused add form (consumed). */
static int render(struct ctx *c, int status, struct form *f)
{
	PGresult *r = form_page_query(c, "settings_filters_list");
	struct json_object *page = admin_page_new(c, "Ticket filters", "settings");
	if (!r || settings_rule_choices(c, page, &settings_rule_ticket, f != NULL) < 0) {
		PQclear(r);
		json_object_put(page);
		return form_page_drop(f, 500);
	}
	struct json_object *rows = json_object_new_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_object_array_add(rows, settings_rule_row(&settings_rule_ticket, r, i));
	PQclear(r);
	return form_page_list(c, status, "admin/settings_filters", page, "rules", rows, SETTINGS_RULES_MAX, f);
}

int admin_settings_filters(struct ctx *c)
{
	return render(c, 200, NULL);
}

int admin_settings_filter_add(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	struct settings_rule rule;
	int rc = settings_rule_parse(c, &f, &settings_rule_ticket, &rule);
	const char *p[4] = {admin_pid(c), rule.property, rule.operator, rule.values_json};
	PGresult *r = rc == 500 ? NULL : db_exec("settings_filters_list", 1, p);
	if (!r) {
		form_free(&f);
		return 500;
	}
	if (rc == 0 && PQntuples(r) >= SETTINGS_RULES_MAX)
		form_message(&f, "property", "A portal can have at most 100 filter rules. Remove one first.");
	PQclear(r);
	if (f.nerrors)
		return render(c, 422, &f);
	form_free(&f);
	rc = form_page_change(c, "ticket_filters", "settings_filters_snap", "settings_filters_add", 4, p);
	return rc ? rc : form_page_done(c, "/admin/settings/filters", "created");
}

int admin_settings_filter_delete(struct ctx *c)
{
	return form_page_remove(c, "ticket_filters", "settings_filters_snap", "settings_filters_delete",
				"/admin/settings/filters");
}
