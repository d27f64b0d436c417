/* admin_settings_notifications.c - /admin/settings/notifications: which emails the portal sends
 * (portal_notifications: no row = on; outbox_send in outbox.c reads them). What a reply to a
 * closed ticket does is on /admin/settings/ticket-actions (admin_settings_ticket_actions.c). A form
 * page on the kit (form_page.h), audited per field. */
#include "admin_settings.h"
#include "form_page.h"

#define NOTIFICATION_ON(name) \
	" NOT EXISTS (SELECT 1 FROM portal_notifications n WHERE n.portal_id = p.id AND n.email = '" name \
	"' AND NOT n.enabled) AS " name ","

const struct db_stmt admin_settings_notifications_stmts[] = {
	FP_STMTS("settings_notifications",
		 "SELECT" NOTIFICATION_ON("ticket_created") NOTIFICATION_ON("agent_reply")
		 NOTIFICATION_ON("ticket_closed") NOTIFICATION_ON("staff_new_ticket")
		 NOTIFICATION_ON("staff_customer_reply") NOTIFICATION_ON("staff_ticket_status")
		 " p.id FROM portals p WHERE p.id = $1",
		 "INSERT INTO portal_notifications (portal_id, email, enabled) VALUES"
		 "  ($1, 'ticket_created', $2::boolean), ($1, 'agent_reply', $3::boolean),"
		 "  ($1, 'ticket_closed', $4::boolean), ($1, 'staff_new_ticket', $5::boolean),"
		 "  ($1, 'staff_customer_reply', $6::boolean), ($1, 'staff_ticket_status', $7::boolean)"
		 "  ON CONFLICT (portal_id, email) DO UPDATE SET enabled = EXCLUDED.enabled",
		 7),
	{NULL, NULL, 0},
};

static const struct fp_field fields[] = {
	{.name = "ticket_created", .kind = FP_CHECKBOX, .audit = "notification:ticket_created"},
	{.name = "agent_reply", .kind = FP_CHECKBOX, .audit = "notification:agent_reply"},
	{.name = "ticket_closed", .kind = FP_CHECKBOX, .audit = "notification:ticket_closed"},
	{.name = "staff_new_ticket", .kind = FP_CHECKBOX, .audit = "notification:staff_new_ticket"},
	{.name = "staff_customer_reply", .kind = FP_CHECKBOX, .audit = "notification:staff_customer_reply"},
	{.name = "staff_ticket_status", .kind = FP_CHECKBOX, .audit = "notification:staff_ticket_status"},
};

static const struct form_page page = {
	SETTINGS_PAGE("notifications", "notifications", "Notifications"),
	.fields = FP_FIELDS(fields),
};

FP_HANDLERS(admin_settings_notifications, admin_settings_notifications_save, page)
