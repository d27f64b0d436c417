/* admin_console_settings.c - /admin/console-settings: the console's own settings, install-wide
 * (table install_settings, one row): the time zone every time in the console is shown in. A form
 * page on the kit (form_page.h); the kit's portal id is only a placeholder here ($1, unused by
 * the row, which is the install's). Also the console's zone for statements (console_zone). */
#include "admin_settings.h"
#include "form_page.h"

#include <string.h>

#include "settings.h"

const struct db_stmt admin_console_settings_stmts[] = {
	FP_STMTS("console_settings",
		 "SELECT time_zone FROM install_settings WHERE id = 1 AND $1::bigint IS NOT NULL",
		 "UPDATE install_settings SET time_zone = $2 WHERE id = 1 AND $1::bigint IS NOT NULL", 2),
	/* the zone as PostgreSQL spells it (case aside), never a POSIX rule or an abbreviation */
	{"console_zone_check",
	 "SELECT name FROM pg_timezone_names WHERE lower(name) = lower($1) AND name NOT LIKE 'posix/%'"
	 " ORDER BY name = $1 DESC, name LIMIT 1",
	 1},
	{"console_zone_list",
	 "SELECT name FROM pg_timezone_names WHERE name ~ '^(Africa|America|Antarctica|Asia|Atlantic|Australia"
	 "|Europe|Indian|Pacific)/' OR name = 'UTC' ORDER BY name",
	 0},
	{NULL, NULL, 0},
};

const char *console_zone(void)
{
	return settings_install_get()->time_zone;
}

static const char *parse_zone(struct ctx *c, struct form *f, const char *name, const char *raw)
{
	const char *p[1] = {raw};
	PGresult *r = raw[0] && strlen(raw) < 64 ? db_exec("console_zone_check", 1, p) : NULL;
	const char *zone = r && PQntuples(r) == 1 ? arena_strdup(c->arena, PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	if (!zone)
		form_message(f, name, "Enter a time zone from the list, like Europe/Stockholm or UTC.");
	return zone;
}

static const struct fp_field fields[] = {
	{.name = "time_zone", .kind = FP_CUSTOM, .parse = parse_zone, .audit = "console_time_zone"},
};

static int decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	(void)c, (void)fp, (void)row;
	json_object_object_add(page, "current_zone", json_object_new_string(console_zone()));
	return form_page_options(page, "zones", "console_zone_list", "time_zone") < 0 ? 500 : 0;
}

static const struct form_page page = {
	.path = "/admin/console-settings",
	.title = "Console settings",
	.section = "settings",
	.tmpl = "admin/console_settings",
	FP_STMT_NAMES("console_settings"),
	.audit_action = "settings_change",
	.fields = FP_FIELDS(fields),
	.decorate = decorate, /* every worker's cache takes the zone after the 303 (main.c bumps the stamp) */
};

FP_HANDLERS(admin_console_settings, admin_console_settings_save, page)
