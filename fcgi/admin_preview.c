/* admin_preview.c - a staff member sees the portal's ticket list and tickets "as" a contact,
 * without a customer login: the portal's own handlers with the contact put in place of a
 * session, through the same SQL visibility definition; read only (no reply form). */
#include "admin.h"

#include <stdio.h>
#include <string.h>

const struct db_stmt admin_preview_stmts[] = {
	{"admin_preview_contact",
	 "SELECT c.email, portal_contact_company($1, c.id) IS NOT NULL FROM contacts c WHERE c.id = $2",
	 2},
	{NULL, NULL, 0},
};

/* Stand the contact in for a session; 0, or the status to answer (404 for no such contact). An
 * agent limited to some inboxes has no preview: it shows the contact's portal, whose tickets and
 * threads come from every inbox (404, as for anything outside the limit). */
static int as_contact(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id || staff_inboxes(c))
		return 404;
	char pid[24];
	snprintf(pid, sizeof pid, "%ld", admin_portal_id(c));
	const char *p[2] = {pid, c->caps.v[0]};
	PGresult *r = db_exec("admin_preview_contact", 2, p);
	if (!r)
		return 500;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 404;
	}
	c->preview_contact = id;
	c->sess.contact_id = id;
	snprintf(c->sess.email, sizeof c->sess.email, "%s", PQgetvalue(r, 0, 0));
	c->sess.org_visible = PQgetvalue(r, 0, 1)[0] == 't';
	PQclear(r);
	audit(c, "staff", c->staff.user_id, "admin_preview",
	      arena_printf(c->arena, "{\"contact_id\": %ld}", id));
	return 0;
}

/* The captures after the contact, as the portal handler expects them in v[0], v[1], ... */
static void shift_caps(struct ctx *c)
{
	for (int i = 0; i + 1 < c->caps.n; i++)
		memcpy(c->caps.v[i], c->caps.v[i + 1], sizeof c->caps.v[i]);
	c->caps.n--;
}

int admin_preview_tickets(struct ctx *c)
{
	int st = as_contact(c);
	return st ? st : tickets_page(c);
}

int admin_preview_ticket(struct ctx *c)
{
	int st = as_contact(c);
	if (st)
		return st;
	shift_caps(c);
	return ticket_detail_render(c, c->caps.v[0], 200, NULL);
}

int admin_preview_file(struct ctx *c)
{
	int st = as_contact(c);
	if (st)
		return st;
	shift_caps(c);
	return file_download(c);
}
