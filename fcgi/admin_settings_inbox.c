/* admin_settings_inbox.c - /admin/settings/inbox: the default inbox, where customers' portal
 * replies land for tickets that have no conversation yet (a form page on the kit, form_page.h). */
#include "admin_settings.h"
#include "form_page.h"

/* the audit row's before and after: {"default_inbox": {id, name}} or {"default_inbox": null} */
#define INBOX_STATE                                                                              \
	"json_build_object('default_inbox', (SELECT json_build_object('id', i.id, 'name', i.name)" \
	" FROM inboxes i WHERE i.id = p.default_inbox_id))::text AS state"

const struct db_stmt admin_settings_inbox_stmts[] = {
	FP_STMTS("settings_inbox",
		 "SELECT coalesce(default_inbox_id::text, '') AS inbox_id, " INBOX_STATE " FROM portals p WHERE id = $1",
		 "UPDATE portals p SET default_inbox_id = $2::bigint WHERE id = $1 RETURNING " INBOX_STATE, 2),
	{"settings_inboxes", "SELECT id, name FROM inboxes ORDER BY lower(name), id LIMIT 500", 0},
	{"settings_inbox_known", "SELECT 1 FROM inboxes WHERE id = $1", 1},
	{NULL, NULL, 0},
};

static const struct fp_field fields[] = {
	{.name = "inbox_id", .kind = FP_ID, .message = "Choose the inbox where replies land."},
};

/* The inbox must still exist. */
static int check_inbox(struct ctx *c, const struct form_page *fp, struct form *f, struct fp_save *s)
{
	(void)c, (void)fp;
	char one[8];
	int got = db_exec_value("settings_inbox_known", 1, s->vals, one, sizeof one);
	if (got == 0)
		form_message(f, "inbox_id", "This inbox does not exist any more. Choose another.");
	return got < 0 ? 500 : 0;
}

/* The inboxes to choose from, the chosen one marked. */
static int decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	(void)c, (void)fp, (void)row;
	int n = form_page_options(page, "inboxes", "settings_inboxes", "inbox_id");
	json_object_object_add(page, "no_inboxes", json_object_new_boolean(n == 0));
	json_object_object_add(page, "none_selected", json_object_new_boolean(!form_page_value(page, "inbox_id")[0]));
	return n < 0 ? 500 : 0;
}

static const struct form_page page = {
	SETTINGS_PAGE("inbox", "inbox", "Default inbox"),
	.audit_kind = FP_AUDIT_RECORD, .audit_setting = "default_inbox", .fields = FP_FIELDS(fields),
	.decorate = decorate, .check = check_inbox,
};

FP_HANDLERS(admin_settings_inbox, admin_settings_inbox_save, page)
