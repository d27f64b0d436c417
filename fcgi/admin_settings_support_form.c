/* admin_settings_support_form.c - /admin/settings/support-form: the form logged-in customers open
 * from "Submit a support ticket", or none (a form page on the kit, form_page.h). */
#include "admin_settings.h"
#include "form_page.h"

#include <stdlib.h>
#include <string.h>

/* A form counts as mapped to ticket properties when it holds a field ticket_new.c would use:
 * an object whose name is a valid input name (its property defaults to the name). */
#define FORM_FIELDS                                                                              \
	"(SELECT count(*) FROM jsonb_array_elements(f.fields) e WHERE jsonb_typeof(e) = 'object'"  \
	"   AND e->>'name' ~ '^[A-Za-z0-9_-]{1,64}$' AND e->>'name' NOT IN ('csrf', 'nonce'))"
/* The audit row's before and after */
#define FORM_STATE                                                                               \
	"json_build_object('support_form_id', p.support_form_id,"                                  \
	" 'name', (SELECT name FROM forms WHERE id = p.support_form_id))::text AS state"

const struct db_stmt admin_settings_support_form_stmts[] = {
	FP_STMTS("settings_support_form",
		 "SELECT coalesce(support_form_id::text, '') AS form_id, " FORM_STATE " FROM portals p WHERE id = $1",
		 "UPDATE portals p SET support_form_id = nullif($2, '')::bigint WHERE id = $1 RETURNING " FORM_STATE, 2),
	{"settings_support_forms",
	 "SELECT f.id, f.name, coalesce(i.name, '') AS inbox, " FORM_FIELDS " AS fields,"
	 " i.id IS NOT NULL AND " FORM_FIELDS " > 0 AS usable"
	 " FROM forms f LEFT JOIN inboxes i ON i.id = f.inbox_id ORDER BY f.id LIMIT 501",
	 0},
	{"settings_support_form_check",
	 "SELECT i.id IS NOT NULL AS has_inbox, " FORM_FIELDS " AS fields"
	 " FROM forms f LEFT JOIN inboxes i ON i.id = f.inbox_id WHERE f.id = $1",
	 1},
	{NULL, NULL, 0},
};

/* "" for none, else a form's id (checked under the lock: check_form). */
static const char *parse_form(struct ctx *c, struct form *f, const char *name, const char *raw)
{
	if (!raw[0] || strcmp(raw, "none") == 0)
		return "";
	long id = admin_id(raw);
	if (!id)
		form_message(f, name, "Choose a form from the list, or none.");
	return id ? admin_idstr(c, id) : NULL;
}

static const struct fp_field fields[] = {
	{.name = "form_id", .kind = FP_CUSTOM, .parse = parse_form},
};

/* The chosen form must exist, be tied to an inbox and hold a field mapped to a ticket property. */
static int check_form(struct ctx *c, const struct form_page *fp, struct form *f, struct fp_save *s)
{
	(void)c, (void)fp;
	if (!s->vals[0][0])
		return 0;
	const char *p[1] = {s->vals[0]};
	PGresult *r = db_exec("settings_support_form_check", 1, p);
	if (!r)
		return 500;
	if (PQntuples(r) != 1)
		form_message(f, "form_id", "That form does not exist any more. Choose another one.");
	else if (db_col(r, 0, "has_inbox")[0] != 't')
		form_message(f, "form_id", "That form is not tied to an inbox, so its tickets would reach nobody. Tie it to an inbox first (Forms).");
	else if (atol(db_col(r, 0, "fields")) == 0)
		form_message(f, "form_id", "That form holds no field mapped to a ticket property. Add fields to it first (Forms).");
	PQclear(r);
	return 0;
}

/* The forms to choose from, the chosen one marked. */
static int decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	(void)c, (void)fp, (void)row;
	int n = form_page_options(page, "forms", "settings_support_forms", "form_id");
	json_object_object_add(page, "empty", json_object_new_boolean(n == 0));
	json_object_object_add(page, "none_selected", json_object_new_boolean(!admin_id(form_page_value(page, "form_id"))));
	return n < 0 ? 500 : 0;
}

static const struct form_page page = {
	SETTINGS_PAGE("support-form", "support_form", "Support form"),
	.audit_kind = FP_AUDIT_RECORD, .audit_setting = "support_form", .fields = FP_FIELDS(fields),
	.decorate = decorate, .check = check_form,
};

FP_HANDLERS(admin_settings_support_form, admin_settings_support_form_save, page)
