/* admin_settings_session.c - /admin/settings/session: how long a customer may sit idle before the
 * portal logs them out (a form page on the kit, form_page.h). */
#include "admin_settings.h"
#include "form_page.h"

const struct db_stmt admin_settings_session_stmts[] = {
	FP_STMTS("settings_session", "SELECT session_timeout_minutes AS timeout FROM portals WHERE id = $1",
		 "UPDATE portals SET session_timeout_minutes = $2::int WHERE id = $1", 2),
	{NULL, NULL, 0},
};

static const struct fp_field fields[] = {
	{.name = "timeout", .kind = FP_INT, .min = 5, .max = 43200, .audit = "session_timeout_minutes",
	 .message = "Enter a whole number of minutes from 5 to 43200 (30 days), like 60."},
};

static const struct form_page page = {
	SETTINGS_PAGE("session", "session", "Session timeout"),
	.fields = FP_FIELDS(fields),
};

FP_HANDLERS(admin_settings_session, admin_settings_session_save, page)
