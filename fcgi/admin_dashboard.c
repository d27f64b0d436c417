/* admin_dashboard.c - /admin: the console's first page, counts and what needs attention. */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>

#include "admin_settings.h"

const struct db_stmt admin_dashboard_stmts[] = {
	{"admin_dashboard",
	 "SELECT (SELECT count(*) FROM threads th JOIN tickets t ON t.id = th.ticket_id"
	 "         JOIN pipeline_stages s ON s.id = t.stage_id WHERE NOT s.is_closed"
	 "         AND ($2::bigint[] IS NULL OR th.inbox_id = ANY ($2::bigint[]))),"
	 " (SELECT count(*) FROM contacts), (SELECT count(*) FROM members WHERE portal_id = $1),"
	 " (SELECT count(*) FROM mail_outbox WHERE status = 'queued'),"
	 " (SELECT count(*) FROM mail_outbox WHERE status = 'failed'),"
	 " (SELECT s.saml_idp_cert FROM portal_sso s JOIN portals p ON p.id = s.portal_id"
	 "   WHERE s.portal_id = $1 AND p.sso_method = 'saml')",
	 2},
	{NULL, NULL, 0},
};

int admin_dashboard(struct ctx *c)
{
	char pid[24];
	snprintf(pid, sizeof pid, "%ld", admin_portal_id(c));
	const char *p[2] = {pid, staff_inboxes(c)};
	PGresult *r = db_exec("admin_dashboard", 2, p);
	if (!r)
		return 500;
	struct json_object *page = admin_page_new(c, "Dashboard", "dashboard");
	static const char *const keys[] = {"open_threads", "contacts", "members", "mail_queued", "mail_failed"};
	struct json_object *counts = json_object_new_object();
	for (int i = 0; i < 5; i++)
		json_object_object_add(counts, keys[i], json_object_new_int64(atol(PQgetvalue(r, 0, i))));
	/* a SAML certificate about to end stops every sign-on: say so where staff look first */
	const char *cert_warning = sso_cert_warning(c, PQgetvalue(r, 0, 5));
	if (cert_warning)
		json_object_object_add(page, "sso_cert_warning", json_object_new_string(cert_warning));
	PQclear(r);
	json_object_object_add(page, "counts", counts);
	return admin_render(c, 200, "admin/dashboard", page);
}
