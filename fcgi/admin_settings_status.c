/* admin_settings_status.c - /admin/settings/status: whether customers see a ticket's status as
 * Open/Closed or as its pipeline stage's name (a form page on the kit, form_page.h). */
#include "admin_settings.h"
#include "form_page.h"

const struct db_stmt admin_settings_status_stmts[] = {
	FP_STMTS("settings_status", "SELECT show_custom_stages AS status_display FROM portals WHERE id = $1",
		 "UPDATE portals SET show_custom_stages = $2::boolean WHERE id = $1", 2),
	{NULL, NULL, 0},
};

static const char *const words[] = {"custom_stages", "open_closed", NULL};

static const struct fp_field fields[] = {
	{.name = "status_display", .kind = FP_CHOICE, .choices = words, .choices_bool = 1,
	 .audit = "show_custom_stages", .message = "Choose how the portal shows a ticket's status."},
};

static const struct form_page page = {
	SETTINGS_PAGE("status", "status", "Ticket status display"),
	.fields = FP_FIELDS(fields),
};

FP_HANDLERS(admin_settings_status, admin_settings_status_save, page)
