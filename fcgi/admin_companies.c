/* admin_companies.c - /admin/companies: the list with search; /admin/companies/new and
 * /admin/companies/<id> (form pages on the kit, form_page.h: name, domain and properties; the
 * record page also shows the company's contacts and tickets). */
#include "admin_crm.h"

#include <ctype.h>
#include <string.h>

/* The lock holds only the audit state, not the fields: every save writes and is audited, as
 * before the kit (the kit compares the lock's columns named after fields to skip a no-op). */
const struct db_stmt admin_companies_stmts[] = {
	/* keyset on (lower(name), id) after the company $2 */
	{"crm_companies_page",
	 "SELECT co.id, co.name, coalesce(co.domain, '') AS domain,"
	 " (SELECT count(*) FROM contacts c WHERE c.primary_company_id = co.id) AS contacts"
	 " FROM companies co"
	 " WHERE ($1 = '' OR strpos(lower(co.name), lower($1)) > 0 OR strpos(coalesce(co.domain, ''), lower($1)) > 0)"
	 "  AND ($2::bigint IS NULL OR (lower(co.name), co.id) >"
	 "       (SELECT lower(name), id FROM companies WHERE id = $2))"
	 " ORDER BY lower(co.name), co.id " PAGE_LIMIT,
	 2},
	{"crm_company_get",
	 "SELECT id, name, coalesce(domain, '') AS domain, " PROPS_LINES("") " AS properties,"
	 " " SQL_CONSOLE_TIME("created_at", "YYYY-MM-DD HH24:MI") " AS created FROM companies WHERE id = $1",
	 1},
	{"crm_company_lock", "SELECT " COMPANY_JSON " AS state FROM companies WHERE id = $1 FOR UPDATE", 1},
	{"crm_company_domain_taken",
	 "SELECT name FROM companies WHERE lower(domain) = lower($1) AND id <> coalesce($2::bigint, 0)", 2},
	{"crm_company_update",
	 "UPDATE companies SET name = $2, domain = nullif($3, ''), properties = $4::jsonb WHERE id = $1"
	 " RETURNING " COMPANY_JSON " AS state",
	 4},
	{"crm_company_contacts",
	 "SELECT id, email, " FULL_NAME("") " AS name FROM contacts WHERE primary_company_id = $1"
	 " ORDER BY id LIMIT 101",
	 1},
	{"crm_company_tickets", CRM_TICKETS("ticket_companies", "company_id"), 2},
	{NULL, NULL, 0},
};

int crm_companies_page(struct ctx *c)
{
	return crm_index_page(c, "Companies", "companies", "crm_companies_page", "/admin/companies");
}

#define DOMAIN_TAKEN "Another company already has this domain."

/* A company domain: "" (none) or a lower-cased host name no other company has. */
static const char *parse_domain(struct ctx *c, struct form *f, const char *name, const char *raw)
{
	while (*raw == ' ' || *raw == '\t')
		raw++;
	size_t n = strlen(raw);
	while (n && (raw[n - 1] == ' ' || raw[n - 1] == '\t'))
		n--;
	char *d = arena_strndup(c->arena, raw, n);
	for (char *p = d; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!d || !*d)
		return d ? "" : NULL;
	char other[256];
	if (n > 255 || host_name_problem(d)) {
		form_message(f, name, "Enter a host name such as example.com (letters, digits, hyphens and dots), or leave it empty.");
		return NULL;
	}
	if (crm_taken(c, "crm_company_domain_taken", d, other, sizeof other) == 1) {
		form_message(f, name, arena_printf(c->arena, "The company %s already has this domain.", other));
		return NULL;
	}
	return d;
}

static const struct fp_field fields[] = {
	{.name = "name", .kind = FP_TEXT, .min = 1, .max = CRM_NAME_MAX},
	{.name = "domain", .kind = FP_CUSTOM, .parse = parse_domain},
	{.name = "properties", .kind = FP_CUSTOM, .parse = crm_properties},
};

/* The company's contacts and tickets around the form. */
static int record_decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	PGresult *own;
	int rc = crm_record(c, fp, &row, &own);
	if (rc)
		return rc;
	json_object_object_add(page, "title", json_object_new_string(db_col(row, 0, "name")));
	json_object_object_add(page, "company", db_row_json(row, 0));
	const char *p[1] = {db_col(row, 0, "id")};
	PGresult *rco = db_exec("crm_company_contacts", 1, p);
	const char *pt[2] = {p[0], staff_inboxes(c)};
	PGresult *rt = db_exec("crm_company_tickets", 2, pt);
	rc = rco && rt ? 0 : 500;
	if (!rc) {
		crm_rows(page, "contacts", rco, 100);
		crm_rows(page, "tickets", rt, PAGE_SIZE);
	}
	PQclear(rco);
	PQclear(rt);
	PQclear(own);
	return rc;
}

static const struct form_page new_page = {
	.path = "/admin/companies/new", .title = "New company", .section = "companies",
	.tmpl = "admin/crm_company_new", .save = "crm_company_insert", .audit_action = "company_create",
	.audit_kind = FP_AUDIT_RECORD, .id = FP_ID_NEW, .done = "/admin/companies/<id>?notice=created",
	.taken_field = "domain", .taken_message = DOMAIN_TAKEN, .fields = FP_FIELDS(fields),
};

FP_HANDLERS(crm_company_new_page, crm_company_create, new_page)

static const struct form_page record_page = {
	.path = "/admin/companies/<id>", .title = "Company", .section = "companies", .tmpl = "admin/crm_company",
	.load = "crm_company_get", .lock = "crm_company_lock", .save = "crm_company_update",
	.audit_action = "company_update", .audit_kind = FP_AUDIT_RECORD, .id = FP_ID_CAPTURE,
	.taken_field = "domain", .taken_message = DOMAIN_TAKEN, .fields = FP_FIELDS(fields),
	.decorate = record_decorate,
};

FP_HANDLERS(crm_company_page, crm_company_update, record_page)

