/* admin_security.c - /admin/security: a second factor required of all staff (install_settings.
 * staff_two_factor_required; a form page on the kit, form_page.h), the staff users with whether
 * each has one on, and removing a colleague's (POST /admin/security/staff/<id>/two-factor/remove)
 * for one who lost their phone. Staff signed in when the requirement is switched on set it up at
 * their next login. */
#include "admin.h"
#include "form_page.h"
#include "two_factor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct db_stmt admin_security_stmts[] = {
	/* install-wide, not of the portal: $1 (the portal id the kit passes) only selects the one row */
	FP_STMTS("security", "SELECT staff_two_factor_required AS required FROM install_settings WHERE $1::bigint > 0",
		 "UPDATE install_settings SET staff_two_factor_required = $2::boolean WHERE $1::bigint > 0", 2),
	{"security_staff",
	 "SELECT u.id, u.email, u.name, u.role,"
	 " coalesce(f.confirmed_at IS NOT NULL, false) AS factor_on,"
	 " coalesce(f.id IS NOT NULL AND f.confirmed_at IS NULL, false) AS factor_pending,"
	 " coalesce(" SQL_CONSOLE_TIME("f.confirmed_at", "YYYY-MM-DD") ", '') AS since"
	 " FROM staff_users u LEFT JOIN two_factors f ON f.staff_user_id = u.id"
	 " ORDER BY lower(u.email)",
	 0},
	{"security_staff_one", "SELECT email FROM staff_users WHERE id = $1 FOR UPDATE", 1},
	{NULL, NULL, 0},
};

static int decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	(void)fp;
	(void)row;
	PGresult *r = db_exec("security_staff", 0, NULL);
	if (!r)
		return 500;
	struct json_object *list = json_object_new_array();
	int without = 0;
	long removed = admin_id(request_query(c->req, "removed"));
	const char *removed_email = NULL;
	for (int i = 0; i < PQntuples(r); i++) {
		struct json_object *u = json_object_new_object();
		long id = atol(db_col(r, i, "id"));
		int on = db_col(r, i, "factor_on")[0] == 't', pending = db_col(r, i, "factor_pending")[0] == 't';
		json_object_object_add(u, "id", json_object_new_int64(id));
		json_object_object_add(u, "email", json_object_new_string(db_col(r, i, "email")));
		json_object_object_add(u, "name", json_object_new_string(db_col(r, i, "name")));
		json_object_object_add(u, "role", json_object_new_string(db_col(r, i, "role")));
		json_object_object_add(u, "on", json_object_new_boolean(on));
		json_object_object_add(u, "pending", json_object_new_boolean(pending));
		json_object_object_add(u, "since", json_object_new_string(db_col(r, i, "since")));
		json_object_object_add(u, "removable", json_object_new_boolean((on || pending) && id != c->staff.user_id));
		json_object_object_add(u, "self", json_object_new_boolean(id == c->staff.user_id));
		json_object_array_add(list, u);
		without += !on;
		if (id == removed)
			removed_email = arena_strdup(c->arena, db_col(r, i, "email"));
	}
	PQclear(r);
	json_object_object_add(page, "staff_users", list);
	json_object_object_add(page, "without", json_object_new_int(without));
	if (removed_email)
		json_object_object_add(page, "notice", json_object_new_string(arena_printf(
			c->arena, "The second factor of %s is removed: they log in with their password%s.", removed_email,
			strcmp(form_page_value(page, "required"), "true") == 0 ? " and set up a new one right after it"
										: " alone until they set up a new one")));
	return 0;
}

static const struct fp_field fields[] = {
	{.name = "required", .kind = FP_CHECKBOX, .audit = "staff_two_factor_required"},
};

static const struct form_page page = {
	.path = "/admin/security",
	.title = "Staff security",
	.section = "settings",
	.tmpl = "admin/security",
	FP_STMT_NAMES("security"),
	.audit_action = "settings_change",
	.fields = FP_FIELDS(fields),
	.decorate = decorate,
};

FP_HANDLERS(admin_security, admin_security_save, page)

/* An admin removes a colleague's second factor (confirmed or being set up), audited; their own is
 * turned off on their account page (which asks for the password or a code). */
int admin_security_two_factor_remove(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	if (id == c->staff.user_id) {
		struct form f;
		form_init(&f, "en");
		char v[8] = "";
		const char *pid[1] = {admin_pid(c)};
		if (db_exec_value("security_row", 1, pid, v, sizeof v) < 0)
			return form_page_drop(&f, 500);
		json_object_object_add(f.values, "required", json_object_new_boolean(v[0] == 't'));
		form_message(&f, "required", "Your own second factor is turned off on your account page (Your account), "
					     "which asks for your password first.");
		return form_page_show(c, &page, 422, &f);
	}
	const char *p[1] = {admin_idstr(c, id)};
	char email[256];
	if (db_begin() < 0)
		return 500;
	int found = db_exec_value("security_staff_one", 1, p, email, sizeof email);
	if (found <= 0) {
		db_rollback();
		return found < 0 ? 500 : 404;
	}
	struct tf_who who = {TF_STAFF, id};
	int removed = two_factor_off(who);
	if (removed < 0) {
		db_rollback();
		return 500;
	}
	if (!removed) { /* nothing to remove: no change, no audit row */
		db_rollback();
		return page_redirect(c, 303, "/admin/security");
	}
	struct json_object *before = json_object_new_object();
	json_object_object_add(before, "staff_user_id", json_object_new_int64(id));
	json_object_object_add(before, "email", json_object_new_string(email));
	json_object_object_add(before, "second_factor", json_object_new_boolean(1));
	struct json_object *after = json_object_new_object();
	json_object_object_add(after, "staff_user_id", json_object_new_int64(id));
	json_object_object_add(after, "email", json_object_new_string(email));
	json_object_object_add(after, "second_factor", json_object_new_boolean(0));
	return admin_audit_commit(c, "staff_two_factor_removed", before, after,
				  arena_printf(c->arena, "/admin/security?removed=%ld", id));
}
