/* admin_settings_general.c - /admin/settings/general: the portal's name, page title and on/off
 * switch; switching on is refused while something it needs is missing (a form page on the kit,
 * form_page.h). */
#include "admin_settings.h"
#include "form_page.h"

#include <stdlib.h>
#include <string.h>

#define GENERAL_COLS "SELECT name, page_title, enabled FROM portals WHERE id = $1"

const struct db_stmt admin_settings_general_stmts[] = {
	FP_STMTS("settings_general", GENERAL_COLS,
		 "UPDATE portals SET name = $2, page_title = $3, enabled = $4::boolean WHERE id = $1", 4),
	/* what switching on needs: a domain, a usable access mode, consent, a default inbox */
	{"settings_switch_facts",
	 "SELECT EXISTS (SELECT 1 FROM portal_domains WHERE portal_id = p.id) AS has_domain, p.access_mode,"
	 " (SELECT count(*) FROM portal_lists WHERE portal_id = p.id) AS lists,"
	 " btrim(p.consent_text) <> '' AS has_text, btrim(p.consent_label) <> '' AS has_label,"
	 " p.default_inbox_id IS NOT NULL AS has_inbox, portal_sso_problem(p.id) AS sso_problem, p.sso_audience"
	 " FROM portals p WHERE p.id = $1",
	 1},
	{NULL, NULL, 0},
};

static const struct fp_field fields[] = {
	{.name = "name", .kind = FP_TEXT, .min = 1, .max = 120},
	{.name = "page_title", .kind = FP_TEXT, .min = 0, .max = 200},
	{.name = "enabled", .kind = FP_SWITCH},
};

/* The reasons the portal cannot be switched on yet, as an array of strings (empty when it can).
 * NULL on a database error. Reads inside the caller's transaction, if any. */
static struct json_object *blockers(struct ctx *c)
{
	PGresult *r = form_page_query(c, "settings_switch_facts");
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return NULL;
	}
	struct json_object *why = json_object_new_array();
#define F(col) db_col(r, 0, col)
#define WHY(s) json_object_array_add(why, json_object_new_string(s))
	const char *mode = F("access_mode");
	int sso = strcmp(mode, "sso") == 0, on_lists = sso && strcmp(F("sso_audience"), "lists") == 0;
	if (F("has_domain")[0] != 't')
		WHY("Add a domain the portal runs on (Domains and URL).");
	if ((strcmp(mode, "lists") == 0 || on_lists) && atol(F("lists")) == 0)
		WHY("Access is by specific lists, but no list is chosen (Access).");
	else if (strcmp(mode, "registration") != 0 && strcmp(mode, "lists") != 0 && !sso)
		WHY("Choose an access mode: member registration, specific lists or single sign-on (Access).");
	if (sso && F("sso_problem")[0])
		WHY(F("sso_problem"));
	if (F("has_text")[0] != 't')
		WHY("Write the consent-to-process notice (Consent).");
	if (F("has_label")[0] != 't')
		WHY("Write the consent checkbox label (Consent).");
	if (F("has_inbox")[0] != 't')
		WHY("Choose a default inbox (Default inbox).");
#undef WHY
#undef F
	PQclear(r);
	return why;
}

/* Switching on: refused (422, the list above the form says why) while something is missing. */
static int check_on(struct ctx *c, const struct form_page *fp, struct form *f, struct fp_save *s)
{
	(void)fp;
	if (s->vals[2][0] != 't' || db_col(s->before, 0, "enabled")[0] == 't')
		return 0;
	struct json_object *why = blockers(c);
	if (!why)
		return 500;
	if (json_object_array_length(why) > 0)
		form_message(f, "enabled", "The portal cannot be switched on yet: see the list above.");
	json_object_put(why);
	return 0;
}

/* The list of what switching on still needs. */
static int decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	(void)fp, (void)row;
	struct json_object *why = blockers(c);
	if (why) {
		json_object_object_add(page, "has_blockers", json_object_new_boolean(json_object_array_length(why) > 0));
		json_object_object_add(page, "blockers", why);
	}
	return 0;
}

static const struct form_page page = {
	SETTINGS_PAGE("general", "general", "General settings"),
	.fields = FP_FIELDS(fields), .decorate = decorate, .check = check_on,
};

FP_HANDLERS(admin_settings_general, admin_settings_general_save, page)
