/* admin_companies.c - companies in the console: list with search, create, and the record page
 * (edit name, domain and properties; its contacts and its tickets). */
#include "admin_crm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct db_stmt admin_companies_stmts[] = {

	/* --- companies --- */
	/* keyset on (lower(name), id) after the company $2 */
	{"crm_companies_page",
	 "SELECT co.id, co.name, coalesce(co.domain, ''),"
	 " (SELECT count(*) FROM contacts c WHERE c.primary_company_id = co.id)"
	 " FROM companies co"
	 " WHERE ($1 = '' OR strpos(lower(co.name), lower($1)) > 0 OR strpos(coalesce(co.domain, ''), lower($1)) > 0)"
	 "  AND ($2::bigint IS NULL OR (lower(co.name), co.id) >"
	 "       (SELECT lower(name), id FROM companies WHERE id = $2))"
	 " ORDER BY lower(co.name), co.id LIMIT 51",
	 2},
	{"crm_company_get",
	 "SELECT name, coalesce(domain, ''), " PROPS_LINES ", " SQL_UTC("created_at", "YYYY-MM-DD HH24:MI")
	 " FROM companies WHERE id = $1",
	 1},
	{"crm_company_lock", "SELECT " COMPANY_JSON " FROM companies WHERE id = $1 FOR UPDATE", 1},
	{"crm_company_domain_taken",
	 "SELECT name FROM companies WHERE lower(domain) = lower($1) AND id <> coalesce($2::bigint, 0)", 2},
	{"crm_company_update",
	 "UPDATE companies SET name = $2, domain = nullif($3, ''), properties = $4::jsonb WHERE id = $1"
	 " RETURNING " COMPANY_JSON,
	 4},
	{"crm_company_contacts",
	 "SELECT id, email, first_name, last_name FROM contacts WHERE primary_company_id = $1"
	 " ORDER BY id LIMIT 101",
	 1},
	{"crm_company_tickets",
	 "SELECT t.id, t.subject, s.name, s.is_closed, " SQL_UTC("t.last_activity_at", "YYYY-MM-DD HH24:MI")
	 " FROM ticket_companies tc JOIN tickets t ON t.id = tc.ticket_id"
	 " JOIN pipeline_stages s ON s.id = t.stage_id"
	 " WHERE tc.company_id = $1 ORDER BY tc.ticket_id DESC LIMIT 51",
	 1},
	{NULL},
};

struct company_in {
	const char *name, *domain, *props;
};

static int company_read(struct ctx *c, struct form *f, long self, struct company_in *in)
{
	in->name = form_text(f, c->req, "name", 1, CRM_NAME_MAX, 0, 1);
	const char *raw = request_form(c->req, "domain");
	crm_put(f->values, "domain", raw ? raw : "");
	in->domain = crm_domain(f, "domain", raw);
	if (in->domain)
		in->domain = arena_strdup(c->arena, in->domain);
	const char *props = request_form(c->req, "properties");
	if (props && strlen(props) > 40000) {
		form_message(f, "properties", "The properties are too long.");
		props = NULL;
	}
	crm_put(f->values, "properties", props ? props : "");
	in->props = crm_properties(c, f, "properties", props);
	if (in->domain && *in->domain) {
		char other[256];
		const char *p[2] = {in->domain, self ? admin_idstr(c, self) : NULL};
		if (db_exec_value("crm_company_domain_taken", 2, p, other, sizeof other) == 1)
			form_message(f, "domain", arena_printf(c->arena, "The company %s already has this domain.", other));
	}
	return f->nerrors;
}

int crm_companies_page(struct ctx *c)
{
	const char *q = crm_query(c), *after = request_query(c->req, "after");
	if (after && !admin_id(after))
		return 400;
	const char *p[2] = {q, after};
	PGresult *r = db_exec("crm_companies_page", 2, p);
	if (!r)
		return 500;
	struct json_object *page = crm_page_new(c, "Companies", "companies");
	struct json_object *rows = json_object_new_array();
	int n = PQntuples(r), shown = n > 50 ? 50 : n;
	for (int i = 0; i < shown; i++) {
		struct json_object *o = json_object_new_object();
		crm_put(o, "id", PQgetvalue(r, i, 0));
		crm_put(o, "name", PQgetvalue(r, i, 1));
		crm_put(o, "domain", PQgetvalue(r, i, 2));
		crm_put(o, "contacts", PQgetvalue(r, i, 3));
		json_object_array_add(rows, o);
	}
	if (n > 50)
		crm_put(page, "next_url", crm_next_url(c, "/admin/companies", q, PQgetvalue(r, 49, 0)));
	PQclear(r);
	json_object_object_add(page, "rows", rows);
	crm_put_bool(page, "empty", shown == 0);
	crm_put(page, "q", q);
	return admin_render(c, 200, "admin/crm_companies", page);
}

static int render_new(struct ctx *c, int status, struct form *f)
{
	struct json_object *page = crm_page_new(c, "New company", "companies");
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, "admin/crm_company_new", page);
}

int crm_company_new_page(struct ctx *c)
{
	return render_new(c, 200, NULL);
}

int crm_company_create(struct ctx *c)
{
	struct form f;
	struct company_in in;
	form_init(&f, "en");
	if (company_read(c, &f, 0, &in))
		return render_new(c, 422, &f);
	if (db_begin() < 0) {
		form_free(&f);
		return 500;
	}
	const char *p[3] = {in.name, in.domain, in.props};
	PGresult *r = db_exec("crm_company_insert", 3, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		db_rollback();
		if (strcmp(db_last_sqlstate(), "23505") == 0) {
			form_message(&f, "domain", "Another company already has this domain.");
			return render_new(c, 422, &f);
		}
		form_free(&f);
		return 500;
	}
	form_free(&f);
	long id = atol(PQgetvalue(r, 0, 0));
	struct json_object *after = crm_json(PQgetvalue(r, 0, 1));
	PQclear(r);
	if (admin_audit(c, "company_create", NULL, NULL, after) < 0 || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	return page_redirect(c, 303, arena_printf(c->arena, "/admin/companies/%ld?notice=created", id));
}

static int company_render(struct ctx *c, long id, int status, struct form *f)
{
	const char *cid = admin_idstr(c, id);
	const char *p[1] = {cid};
	PGresult *r = db_exec("crm_company_get", 1, p);
	if (!r)
		return 500;
	if (PQntuples(r) != 1) {
		PQclear(r);
		if (f)
			form_free(f);
		return 404;
	}
	struct json_object *page = crm_page_new(c, PQgetvalue(r, 0, 0), "companies");
	struct json_object *co = json_object_new_object();
	crm_put(co, "id", cid);
	crm_put(co, "name", PQgetvalue(r, 0, 0));
	crm_put(co, "domain", PQgetvalue(r, 0, 1));
	crm_put(co, "created", PQgetvalue(r, 0, 3));
	json_object_object_add(page, "company", co);
	if (f) {
		form_to_page(f, page);
	} else {
		struct json_object *v = json_object_new_object();
		crm_put(v, "name", PQgetvalue(r, 0, 0));
		crm_put(v, "domain", PQgetvalue(r, 0, 1));
		crm_put(v, "properties", PQgetvalue(r, 0, 2));
		json_object_object_add(page, "values", v);
	}
	PQclear(r);
	PGresult *rc = db_exec("crm_company_contacts", 1, p);
	PGresult *rt = db_exec("crm_company_tickets", 1, p);
	if (!rc || !rt) {
		PQclear(rc);
		PQclear(rt);
		json_object_put(page);
		return 500;
	}
	struct json_object *contacts = json_object_new_array();
	for (int i = 0; i < PQntuples(rc) && i < 100; i++) {
		struct json_object *o = json_object_new_object();
		crm_put(o, "id", PQgetvalue(rc, i, 0));
		crm_put(o, "email", PQgetvalue(rc, i, 1));
		const char *name = arena_printf(c->arena, "%s %s", PQgetvalue(rc, i, 2), PQgetvalue(rc, i, 3));
		crm_put(o, "name", strcmp(name, " ") ? name : "");
		json_object_array_add(contacts, o);
	}
	json_object_object_add(page, "contacts", contacts);
	crm_put_bool(page, "has_contacts", PQntuples(rc) > 0);
	crm_put_bool(page, "more_contacts", PQntuples(rc) > 100);
	crm_ticket_rows(page, "tickets", rt);
	crm_put_bool(page, "more_tickets", PQntuples(rt) > 50);
	PQclear(rc);
	PQclear(rt);
	return admin_render(c, status, "admin/crm_company", page);
}

int crm_company_page(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	return id ? company_render(c, id, 200, NULL) : 404;
}

int crm_company_update(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	struct form f;
	struct company_in in;
	form_init(&f, "en");
	if (company_read(c, &f, id, &in))
		return company_render(c, id, 422, &f);
	if (db_begin() < 0) {
		form_free(&f);
		return 500;
	}
	const char *cid = admin_idstr(c, id);
	const char *lp[1] = {cid};
	PGresult *r = db_exec("crm_company_lock", 1, lp);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		db_rollback();
		form_free(&f);
		return r ? 404 : 500;
	}
	struct json_object *before = crm_json(PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *p[4] = {cid, in.name, in.domain, in.props};
	r = db_exec("crm_company_update", 4, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		json_object_put(before);
		db_rollback();
		if (strcmp(db_last_sqlstate(), "23505") == 0) {
			form_message(&f, "domain", "Another company already has this domain.");
			return company_render(c, id, 422, &f);
		}
		form_free(&f);
		return 500;
	}
	form_free(&f);
	struct json_object *after = crm_json(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (admin_audit(c, "company_update", NULL, before, after) < 0 || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	return page_redirect(c, 303, arena_printf(c->arena, "/admin/companies/%ld?saved=1", id));
}
