/* admin_settings_ticket_actions.c - /admin/settings/ticket-actions: what customers may do with
 * their tickets (issue 14): close and reopen them (portals.customer_reopen, also what an emailed
 * reply to a closed ticket does) within reopen_days of closing, copy in colleagues
 * (customer_cc, cc_same_domain), rate the answer (ratings_enabled). A form page on the kit
 * (form_page.h), audited per field. Read by ticket_actions.c and mail_ingest.c (reopen), the CC
 * and rating pages (the others). */
#include "admin_settings.h"
#include "form_page.h"

const struct db_stmt admin_settings_ticket_actions_stmts[] = {
	FP_STMTS("settings_ticket_actions",
		 "SELECT customer_reopen AS reopen, reopen_days, customer_cc AS cc, cc_same_domain,"
		 " ratings_enabled AS ratings FROM portals WHERE id = $1",
		 "UPDATE portals SET customer_reopen = $2::boolean, reopen_days = $3::int, customer_cc = $4::boolean,"
		 " cc_same_domain = $5::boolean, ratings_enabled = $6::boolean WHERE id = $1",
		 6),
	{NULL, NULL, 0},
};

static const struct fp_field fields[] = {
	{.name = "reopen", .kind = FP_CHECKBOX, .audit = "customer_reopen"},
	{.name = "reopen_days", .kind = FP_INT, .min = 1, .max = 365, .audit = "reopen_days",
	 .message = "Enter a whole number of days from 1 to 365, like 14."},
	{.name = "cc", .kind = FP_CHECKBOX, .audit = "customer_cc"},
	{.name = "cc_same_domain", .kind = FP_CHECKBOX, .audit = "cc_same_domain"},
	{.name = "ratings", .kind = FP_CHECKBOX, .audit = "ratings_enabled"},
};

static const struct form_page page = {
	SETTINGS_PAGE("ticket-actions", "ticket_actions", "Ticket actions"),
	.fields = FP_FIELDS(fields),
};

FP_HANDLERS(admin_settings_ticket_actions, admin_settings_ticket_actions_save, page)
