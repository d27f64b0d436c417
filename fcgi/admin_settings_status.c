/* admin_settings_status.c - /admin/settings/status: whether customers see a ticket's status as
 * Open/Closed or as its pipeline stage's name (a form page on the kit, form_page.h). */
#include "form_page.h"
#include "admin_settings.h"

const struct db_stmt admin_settings_status_stmts[] = {
	{"settings_status_row", "SELECT show_custom_stages AS status_display FROM portals WHERE id = $1", 1},
	{"settings_status_lock",
	 "SELECT show_custom_stages AS status_display FROM portals WHERE id = $1 FOR UPDATE", 1},
	{"settings_status_save", "UPDATE portals SET show_custom_stages = $2::boolean WHERE id = $1", 2},
	{NULL, NULL, 0},
};

static const char *const words[] = {"custom_stages", "open_closed", NULL};

static const struct fp_field fields[] = {
	{.name = "status_display", .kind = FP_CHOICE, .choices = words, .choices_bool = 1,
	 .audit = "show_custom_stages", .message = "Choose how the portal shows a ticket's status."},
};

static const struct form_page page = {
	.path = "/admin/settings/status", .title = "Ticket status display", .section = "settings",
	.tmpl = "admin/settings_status", .load = "settings_status_row", .lock = "settings_status_lock",
	.save = "settings_status_save", .audit_action = "settings_change", .fields = FP_FIELDS(fields),
};

int admin_settings_status(struct ctx *c)
{
	return form_page_get(c, &page);
}

int admin_settings_status_save(struct ctx *c)
{
	return form_page_post(c, &page);
}
