/* api_companies.c - /api/v1/companies: the CRM's companies, read-only through the API (scope
 * contacts:read): a keyset list by id (filter ?domain=, exact, ignoring case) and one company.
 * Every answer is api_company_json() (sql/functions/api_company_json.sql). */
#include "api_crm.h"

#include <string.h>

#include "admin.h"

const struct db_stmt api_companies_stmts[] = {
	/* keyset on id after $1; one more row than the page ($2) */
	{"api_companies_list",
	 "SELECT api_company_json(id)::text AS json, id AS cursor FROM companies"
	 " WHERE ($1::bigint IS NULL OR id > $1) ORDER BY id LIMIT $2::int",
	 2},
	/* by domain: the lower(domain) index, at most one company */
	{"api_companies_by_domain",
	 "SELECT api_company_json(id)::text AS json, id AS cursor FROM companies"
	 " WHERE lower(domain) = lower($1) AND ($2::bigint IS NULL OR id > $2) ORDER BY id LIMIT $3::int",
	 3},
	{"api_company_get", "SELECT api_company_json($1)::text", 1},
	{NULL, NULL, 0},
};

int api_companies_list(struct ctx *c)
{
	struct api_page pg;
	int st = api_page(c, &pg);
	if (st)
		return st;
	const char *domain = request_query(c->req, "domain");
	if (domain && (!*domain || strlen(domain) > 255))
		return api_problem(c, 400, "bad-request", "domain must be 1 to 255 characters.");
	PGresult *r;
	if (domain) {
		const char *p[3] = {domain, pg.after, pg.limit_s};
		r = db_exec("api_companies_by_domain", 3, p);
	} else {
		const char *p[2] = {pg.after, pg.limit_s};
		r = db_exec("api_companies_list", 2, p);
	}
	if (!r)
		return api_db_error(c);
	st = api_list(c, &pg, r);
	PQclear(r);
	return st;
}

int api_company_get(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return api_problem(c, 404, "not-found", NULL);
	const char *p[1] = {admin_idstr(c, id)};
	PGresult *r = db_exec("api_company_get", 1, p);
	if (!r)
		return api_db_error(c);
	int st = PQgetisnull(r, 0, 0) ? api_problem(c, 404, "not-found", NULL)
				      : api_json_text(c, 200, PQgetvalue(r, 0, 0));
	PQclear(r);
	return st;
}
