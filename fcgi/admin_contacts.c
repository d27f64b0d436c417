/* admin_contacts.c - /admin/contacts: the list with search; /admin/contacts/new and
 * /admin/contacts/<id> (form pages on the kit, form_page.h: the record page also shows the
 * contact's lists, portal login, tickets and timeline); /admin/contacts/<id>/resend (a list
 * invitation sent again: not a form, it writes the invitation and audits it). */
#include "admin_crm.h"
#include "two_factor.h"

#include <stdlib.h>
#include <string.h>

/* The lock holds only the audit state, not the fields: every save writes and is audited, as
 * before the kit (the kit compares the lock's columns named after fields to skip a no-op). */
const struct db_stmt admin_contacts_stmts[] = {
	/* keyset on id, newest first; $1 '' or words found in the email or the name */
	{"crm_contacts_page",
	 "SELECT c.id, c.email, " FULL_NAME("c.") " AS name, coalesce(co.name, '') AS company,"
	 " coalesce(co.id::text, '') AS company_id, " SQL_CONSOLE_TIME("c.created_at", "YYYY-MM-DD") " AS created"
	 " FROM contacts c LEFT JOIN companies co ON co.id = c.primary_company_id"
	 " WHERE ($2::bigint IS NULL OR c.id < $2)"
	 "  AND ($1 = '' OR strpos(lower(c.email), lower($1)) > 0"
	 "       OR strpos(lower(c.first_name || ' ' || c.last_name), lower($1)) > 0)"
	 " ORDER BY c.id DESC " PAGE_LIMIT,
	 2},
	{"crm_contact_get",
	 "SELECT c.id, c.email, c.first_name, c.last_name, " FULL_NAME("c.") " AS name,"
	 " coalesce(c.primary_company_id::text, '') AS company_id, coalesce(co.name, '') AS company,"
	 " " PROPS_LINES("c.") " AS properties, " SQL_CONSOLE_TIME("c.created_at", "YYYY-MM-DD HH24:MI") " AS created"
	 " FROM contacts c LEFT JOIN companies co ON co.id = c.primary_company_id WHERE c.id = $1",
	 1},
	{"crm_contact_lock",
	 "SELECT email AS contact, " CONTACT_JSON " AS state FROM contacts WHERE id = $1 FOR UPDATE", 1},
	{"crm_contact_email_taken",
	 "SELECT id FROM contacts WHERE lower(email) = lower($1) AND id <> coalesce($2::bigint, 0)", 2},
	{"crm_contact_update",
	 "UPDATE contacts SET email = $2, first_name = $3, last_name = $4, primary_company_id = nullif($5, '')::bigint,"
	 " properties = $6::jsonb WHERE id = $1 RETURNING " CONTACT_JSON " AS state",
	 6},
	{"crm_company_exists", "SELECT name FROM companies WHERE id = $1", 1},
	/* the first 1000 companies by name, and the chosen one ($1) when it is not among them */
	{"crm_company_options",
	 "SELECT id, name, id::text = $1 AS selected FROM"
	 " ((SELECT id, name FROM companies ORDER BY lower(name), id LIMIT 1000)"
	 "  UNION SELECT id, name FROM companies WHERE id::text = $1) o"
	 " ORDER BY lower(name), id",
	 1},
	{"crm_contact_lists",
	 "SELECT l.id, l.name, EXISTS (SELECT 1 FROM portal_lists pl WHERE pl.list_id = l.id AND pl.portal_id = $2) AS grants"
	 " FROM list_members lm JOIN lists l ON l.id = lm.list_id WHERE lm.contact_id = $1"
	 " ORDER BY lower(l.name) LIMIT 200",
	 2},
	/* the contact's login to this portal ($1) */
	{"crm_contact_access",
	 "SELECT *, NOT registered AND (member OR pending OR invitation_sent <> '') AS invited,"
	 " NOT registered AND NOT member AND NOT pending AND invitation_sent = '' AS none,"
	 " lists_mode AND allowed AND NOT registered AND NOT pending AS can_resend"
	 " FROM (SELECT p.access_mode AS mode, p.access_mode = 'lists' AS lists_mode,"
	 "  coalesce(portal_contact_allowed(p.id, $2), false) AS allowed, m.id IS NOT NULL AS member,"
	 "  coalesce(m.password_hash IS NOT NULL, false) AS registered, coalesce(m.id, 0) AS member_id,"
	 "  EXISTS (SELECT 1 FROM two_factors f WHERE f.member_id = m.id AND f.confirmed_at IS NOT NULL) AS two_factor,"
	 "  p.two_factor_required AS two_factor_required,"
	 "  coalesce(" SQL_CONSOLE_TIME("m.verified_at", "YYYY-MM-DD HH24:MI") ", '') AS verified_at,"
	 "  EXISTS (SELECT 1 FROM member_invitations i WHERE i.portal_id = p.id AND i.contact_id = $2"
	 "   AND i.sent_at IS NULL) AS pending,"
	 "  coalesce((SELECT " SQL_CONSOLE_TIME("max(i.sent_at)", "YYYY-MM-DD HH24:MI") " FROM member_invitations i"
	 "   WHERE i.portal_id = p.id AND i.contact_id = $2), '') AS invitation_sent"
	 "  FROM portals p LEFT JOIN members m ON m.portal_id = p.id AND m.contact_id = $2 WHERE p.id = $1) a",
	 2},
	{"crm_contact_tickets", CRM_TICKETS("ticket_contacts", "contact_id"), 2},
		/* the contact's logins on every portal ($1 = the contact): each portal has its own */
	{"crm_contact_portals",
	 "SELECT p.name, p.enabled, m.password_hash IS NOT NULL AS registered, m.verified_at IS NOT NULL AS verified"
	 " FROM members m JOIN portals p ON p.id = m.portal_id WHERE m.contact_id = $1"
	 " ORDER BY p.is_default DESC, p.name, p.id LIMIT 100",
	 1},
	/* the contact's login to this portal ($1), for removing its second factor */
	{"crm_contact_member", "SELECT id FROM members WHERE portal_id = $1 AND contact_id = $2", 2},
	/* engagements and the messages it wrote that have no engagement of their own, newest first */
	{"crm_contact_timeline",
	 "SELECT " SQL_CONSOLE_TIME("x.at", "YYYY-MM-DD HH24:MI") " AS at, x.kind, x.summary,"
	 " coalesce(x.ticket_id::text, '') AS ticket_id"
	 " FROM ((SELECT e.created_at AS at, e.kind, e.summary, e.ticket_id FROM engagements e"
	 "   WHERE e.contact_id = $1 AND (e.ticket_id IS NULL OR staff_ticket_ok(e.ticket_id, $2::bigint[]))"
	 "   AND ($2::bigint[] IS NULL OR e.message_id IS NULL OR EXISTS (SELECT 1 FROM messages m"
	 "     JOIN threads th ON th.id = m.thread_id WHERE m.id = e.message_id AND th.inbox_id = ANY ($2::bigint[])))"
	 "   ORDER BY e.created_at DESC " PAGE_LIMIT ")"
	 "  UNION ALL"
	 "  (SELECT m.created_at, th.channel || '_message', left(m.body, 300), th.ticket_id"
	 "   FROM messages m JOIN threads th ON th.id = m.thread_id WHERE m.author_contact_id = $1"
	 "   AND NOT EXISTS (SELECT 1 FROM engagements e WHERE e.message_id = m.id AND e.contact_id = $1)"
	 "   AND ($2::bigint[] IS NULL OR th.inbox_id = ANY ($2::bigint[]))"
	 "   ORDER BY m.created_at DESC " PAGE_LIMIT ")) x"
	 " ORDER BY x.at DESC " PAGE_LIMIT,
	 2},
	{NULL, NULL, 0},
};

int crm_contacts_page(struct ctx *c)
{
	return crm_index_page(c, "Contacts", "contacts", "crm_contacts_page", "/admin/contacts");
}

#define EMAIL_TAKEN "Another contact already has this email address."

/* An email no other contact has (the taken one's id in values.email_taken_id for a link). */
static const char *parse_email(struct ctx *c, struct form *f, const char *name, const char *raw)
{
	(void)raw;
	const char *email = form_email(f, c->req, name);
	char other[24];
	if (email && crm_taken(c, "crm_contact_email_taken", email, other, sizeof other) == 1) {
		form_message(f, name, EMAIL_TAKEN);
		json_object_object_add(f->values, "email_taken_id", json_object_new_string(other));
		return NULL;
	}
	return email;
}

/* "" (no company) or the id of a company that exists. */
static const char *parse_company(struct ctx *c, struct form *f, const char *name, const char *raw)
{
	(void)c;
	char found[8];
	const char *p[1] = {raw};
	if (!*raw || (admin_id(raw) && db_exec_value("crm_company_exists", 1, p, found, sizeof found) == 1))
		return raw;
	form_message(f, name, "Choose a company from the list.");
	return NULL;
}

static const struct fp_field fields[] = {
	{.name = "email", .kind = FP_CUSTOM, .parse = parse_email},
	{.name = "first_name", .kind = FP_TEXT, .max = CRM_NAME_MAX},
	{.name = "last_name", .kind = FP_TEXT, .max = CRM_NAME_MAX},
	{.name = "company_id", .kind = FP_CUSTOM, .parse = parse_company},
	{.name = "properties", .kind = FP_CUSTOM, .parse = crm_properties},
};

/* Companies for the "primary company" select, the one in values.company_id marked. */
static int company_options(struct json_object *page)
{
	struct json_object *values, *v;
	const char *p[1] = {json_object_object_get_ex(page, "values", &values) &&
					    json_object_object_get_ex(values, "company_id", &v)
				    ? json_object_get_string(v)
				    : ""};
	PGresult *r = db_exec("crm_company_options", 1, p);
	if (!r)
		return 500;
	json_object_object_add(page, "companies", db_rows_json(r, -1));
	PQclear(r);
	return 0;
}

static int new_decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	(void)c, (void)fp, (void)row;
	return company_options(page);
}

static const struct form_page new_page = {
	.path = "/admin/contacts/new", .title = "New contact", .section = "contacts",
	.tmpl = "admin/crm_contact_new", .save = "crm_contact_insert", .audit_action = "contact_create",
	.audit_kind = FP_AUDIT_RECORD, .id = FP_ID_NEW, .done = "/admin/contacts/<id>?notice=created",
	.taken_field = "email", .taken_message = EMAIL_TAKEN, .fields = FP_FIELDS(fields),
	.decorate = new_decorate,
};

FP_HANDLERS(crm_contact_new_page, crm_contact_create, new_page)

/* The contact's portal login, lists, tickets and timeline around the form. */
static int record_decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	PGresult *own;
	int rc = crm_record(c, fp, &row, &own);
	if (rc)
		return rc;
	const char *name = db_col(row, 0, "name");
	json_object_object_add(page, "title", json_object_new_string(*name ? name : db_col(row, 0, "email")));
	json_object_object_add(page, "contact", db_row_json(row, 0));
	const char *p[2] = {db_col(row, 0, "id"), admin_pid(c)};
	const char *ap[2] = {p[1], p[0]};
	PGresult *rl = db_exec("crm_contact_lists", 2, p);
	const char *pt[2] = {p[0], staff_inboxes(c)};
	PGresult *rt = db_exec("crm_contact_tickets", 2, pt);
	PGresult *re = db_exec("crm_contact_timeline", 2, pt);
	PGresult *ra = db_exec("crm_contact_access", 2, ap);
	PGresult *rp = db_exec("crm_contact_portals", 1, p);
	rc = rl && rt && re && ra && rp ? company_options(page) : 500;
	if (!rc) {
		crm_rows(page, "portal_logins", rp, 100);
		crm_rows(page, "lists", rl, 200);
		crm_rows(page, "tickets", rt, PAGE_SIZE);
		crm_rows(page, "timeline", re, PAGE_SIZE);
		struct json_object *tl, *kind; /* the kinds in words (admin_words), never codes */
		if (json_object_object_get_ex(page, "timeline", &tl))
			for (size_t i = 0; i < json_object_array_length(tl); i++) {
				struct json_object *e = json_object_array_get_idx(tl, i);
				if (json_object_object_get_ex(e, "kind", &kind))
					json_object_object_add(e, "kind", json_object_new_string(
						admin_words(c, json_object_get_string(kind))));
			}
		json_object_object_add(page, "access",
				       PQntuples(ra) == 1 ? db_row_json(ra, 0) : json_object_new_object());
		json_object_object_add(page, "two_factor_removed", json_object_new_boolean(
			request_query(c->req, "two_factor_removed") != NULL));
		json_object_object_add(page, "can_remove_factor", json_object_new_boolean(c->staff.is_admin));
	}
	PQclear(rl);
	PQclear(rt);
	PQclear(re);
	PQclear(ra);
	PQclear(rp);
	PQclear(own);
	return rc;
}

static const struct form_page record_page = {
	.path = "/admin/contacts/<id>", .title = "Contact", .section = "contacts", .tmpl = "admin/crm_contact",
	.load = "crm_contact_get", .lock = "crm_contact_lock", .save = "crm_contact_update",
	.audit_action = "contact_update", .audit_kind = FP_AUDIT_RECORD, .id = FP_ID_CAPTURE,
	.taken_field = "email", .taken_message = EMAIL_TAKEN, .fields = FP_FIELDS(fields),
	.decorate = record_decorate,
};

FP_HANDLERS(crm_contact_page, crm_contact_update, record_page)

int crm_contact_resend(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	const char *cid = admin_idstr(c, id);
	PGresult *r;
	int rc = crm_lock("crm_contact_lock", cid, &r);
	if (rc)
		return rc;
	const char *email = arena_strdup(c->arena, db_col(r, 0, "contact"));
	PQclear(r);
	return crm_resend_commit(c, cid, email, arena_printf(c->arena, "/admin/contacts/%s", cid));
}

/* POST /admin/contacts/<id>/two-factor/remove: the contact's login to this portal loses its second
 * factor (confirmed or pending), its recovery codes and live challenges; audited with the member.
 * The next login asks no code (unless the portal requires one: then it is set up again). */
int crm_contact_two_factor_remove(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	const char *cid = admin_idstr(c, id);
	const char *p[2] = {admin_pid(c), cid};
	char mid[24];
	int got = db_exec_value("crm_contact_member", 2, p, mid, sizeof mid);
	if (got < 0)
		return 500;
	if (got == 0)
		return 404;
	struct tf_who who = {TF_MEMBER, atol(mid)};
	if (db_begin() < 0)
		return 500;
	int rc = two_factor_off(who);
	if (rc < 0 || (rc == 1 && audit(c, "staff", c->staff.user_id, "two_factor_removed",
					 arena_printf(c->arena, "{\"member\": %ld, \"contact\": %ld}", who.id, id)) < 0) ||
	    db_commit() < 0) {
		db_rollback();
		return 500;
	}
	return page_redirect(c, 303, arena_printf(c->arena, "/admin/contacts/%s%s", cid, rc == 1 ? "?two_factor_removed=1" : ""));
}
