/* admin_settings_domains.c - the portal's domains (host name, language, primary) and the slug of
 * its ticket pages; a renamed slug keeps answering with 301 from its previous value. With SAML
 * set up, the SP entity ID and ACS URL hang on the primary domain: the page says so. */
#include "admin_settings.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct db_stmt admin_settings_domains_stmts[] = {
	/* domains and slug (admin_settings_domains.c) */
	{"settings_domains_list",
	 "SELECT id, host, language, is_primary FROM portal_domains WHERE portal_id = $1"
	 " ORDER BY is_primary DESC, host, id LIMIT 200",
	 1},
	{"settings_domain_owner",
	 "SELECT d.portal_id, p.name FROM portal_domains d JOIN portals p ON p.id = d.portal_id"
	 " WHERE lower(d.host) = lower($1)",
	 1},
	{"settings_domain_insert",
	 "INSERT INTO portal_domains (portal_id, host, language, is_primary) VALUES ($1, $2, $3,"
	 " NOT EXISTS (SELECT 1 FROM portal_domains WHERE portal_id = $1 AND is_primary))"
	 " RETURNING is_primary",
	 3},
	{"settings_domain_get",
	 "SELECT host, language, is_primary FROM portal_domains WHERE id = $1 AND portal_id = $2 FOR UPDATE", 2},
	{"settings_domain_count", "SELECT count(*) FROM portal_domains WHERE portal_id = $1", 1},
	{"settings_domain_delete", "DELETE FROM portal_domains WHERE id = $1 AND portal_id = $2", 2},
	{"settings_domain_unprimary",
	 "UPDATE portal_domains SET is_primary = false WHERE portal_id = $1 AND is_primary AND id <> $2", 2},
	{"settings_domain_primary", "UPDATE portal_domains SET is_primary = true WHERE id = $1 AND portal_id = $2", 2},
	{"settings_domain_language", "UPDATE portal_domains SET language = $3 WHERE id = $1 AND portal_id = $2", 3},
	{"settings_set_slug",
	 "UPDATE portals SET previous_slug = ticket_slug, ticket_slug = $2 WHERE id = $1 AND ticket_slug <> $2", 2},
	{NULL},
};

static const char *const reserved_slugs[] = {
	"login", "logout", "register", "verify", "password-reset", "access-denied", "files",
	"kb-link", "sso", "healthz", "admin", "api", "static", "assets",
};

static const char *lang_name(const char *lang)
{
	return strcmp(lang, "sv") == 0 ? "Swedish" : "English";
}

static int lang_ok(const char *lang)
{
	return lang && (strcmp(lang, "en") == 0 || strcmp(lang, "sv") == 0);
}

static const char *slug_problem(const char *slug)
{
	size_t n = strlen(slug);
	if (n == 0)
		return "Enter a slug, like tickets.";
	if (n > 64)
		return "The slug is at most 64 characters long.";
	int prev_dash = 1;
	for (const char *p = slug; *p; p++) {
		int dash = *p == '-';
		if (!dash && !(islower((unsigned char)*p) || isdigit((unsigned char)*p)))
			return "Use lower-case letters a-z, digits and single hyphens between them, like my-tickets.";
		if (dash && prev_dash)
			return "Use lower-case letters a-z, digits and single hyphens between them, like my-tickets.";
		prev_dash = dash;
	}
	if (prev_dash)
		return "The slug cannot end with a hyphen.";
	for (size_t i = 0; i < sizeof reserved_slugs / sizeof reserved_slugs[0]; i++)
		if (strcmp(slug, reserved_slugs[i]) == 0)
			return "This word is taken by another portal page; choose another slug.";
	return NULL;
}

static int saml_set_up(const struct ctx *c)
{
	return strcmp(c->portal->sso_method, "saml") == 0;
}

/* With SAML: the entity ID and ACS URL the identity provider knows, which move with the primary
 * domain, and (after a change of primary domain) the warning that the IdP must be updated. */
static void saml_note(struct ctx *c, struct json_object *page)
{
	if (!saml_set_up(c))
		return;
	struct json_object *o = json_object_new_object();
	const char *moved = request_query(c->req, "sp");
	json_object_object_add(o, "entity_id", json_object_new_string(sso_saml_entity_id(c)));
	json_object_object_add(o, "acs_url", json_object_new_string(sso_saml_acs_url(c)));
	json_object_object_add(o, "moved", json_object_new_boolean(moved && strcmp(moved, "moved") == 0));
	json_object_object_add(page, "saml", o);
}

/* The page; f carries a refused form's input and errors, error a refused row action. */
static int render_domains(struct ctx *c, int status, struct form *f, const char *error)
{
	PGresult *row = settings_row(c, 0);
	const char *p[1] = {admin_pid(c)};
	PGresult *r = row ? db_exec("settings_domains_list", 1, p) : NULL;
	if (!r) {
		PQclear(row);
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *page = settings_page_new(c, "Domains and URL");
	struct json_object *list = json_object_new_array();
	for (int i = 0; i < PQntuples(r); i++) {
		struct json_object *d = json_object_new_object();
		const char *lang = PQgetvalue(r, i, 2);
		json_object_object_add(d, "id", json_object_new_string(PQgetvalue(r, i, 0)));
		json_object_object_add(d, "host", json_object_new_string(PQgetvalue(r, i, 1)));
		json_object_object_add(d, "language", json_object_new_string(lang_name(lang)));
		json_object_object_add(d, "is_en", json_object_new_boolean(strcmp(lang, "en") == 0));
		json_object_object_add(d, "is_sv", json_object_new_boolean(strcmp(lang, "sv") == 0));
		json_object_object_add(d, "primary", json_object_new_boolean(PQgetvalue(r, i, 3)[0] == 't'));
		json_object_array_add(list, d);
	}
	json_object_object_add(page, "domains", list);
	json_object_object_add(page, "empty", json_object_new_boolean(PQntuples(r) == 0));
	PQclear(r);
	const char *slug = PQgetvalue(row, 0, SC_SLUG), *prev = PQgetvalue(row, 0, SC_PREVIOUS_SLUG);
	json_object_object_add(page, "slug", json_object_new_string(slug));
	if (prev[0])
		json_object_object_add(page, "previous_slug", json_object_new_string(prev));
	json_object_object_add(page, "base_url", json_object_new_string(portal_base_url(c)));
	saml_note(c, page);
	struct form blank;
	if (!f) {
		form_init(&blank, "en");
		f = &blank;
	}
	struct json_object *v;
	if (!json_object_object_get_ex(f->values, "slug", &v))
		json_object_object_add(f->values, "slug", json_object_new_string(slug));
	if (!json_object_object_get_ex(f->values, "language", &v))
		json_object_object_add(f->values, "language", json_object_new_string("en"));
	json_object_object_get_ex(f->values, "language", &v);
	json_object_object_add(page, "add_sv", json_object_new_boolean(strcmp(json_object_get_string(v), "sv") == 0));
	PQclear(row);
	form_to_page(f, page);
	if (error)
		json_object_object_add(page, "error", json_object_new_string(error));
	return admin_render(c, status, "admin/settings_domains", page);
}

int admin_settings_domains(struct ctx *c)
{
	return render_domains(c, 200, NULL, NULL);
}

static struct json_object *domain_json(const char *host, const char *lang, int primary)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "host", json_object_new_string(host));
	json_object_object_add(o, "language", json_object_new_string(lang));
	json_object_object_add(o, "primary", json_object_new_boolean(primary));
	return o;
}

static int fail(struct form *f)
{
	db_rollback();
	if (f)
		form_free(f);
	return 500;
}

int admin_settings_domain_add(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	char *host = (char *)form_text(&f, c->req, "host", 1, 253, 0, 1);
	const char *lang = request_form(c->req, "language");
	json_object_object_add(f.values, "language", json_object_new_string(lang_ok(lang) ? lang : "en"));
	if (!lang_ok(lang))
		form_message(&f, "language", "Choose English or Swedish.");
	if (host) {
		for (char *p = host; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		const char *why = host_name_problem(host);
		if (why) {
			form_message(&f, "host", why);
			host = NULL;
		}
	}
	if (f.nerrors)
		return render_domains(c, 422, &f, NULL);
	if (db_begin() < 0)
		return fail(&f);
	const char *po[1] = {host};
	PGresult *o = db_exec("settings_domain_owner", 1, po);
	if (!o)
		return fail(&f);
	if (PQntuples(o) > 0) {
		int ours = atol(PQgetvalue(o, 0, 0)) == admin_portal_id(c);
		form_message(&f, "host", ours ? "This portal already has this domain."
					      : arena_printf(c->arena, "This domain is already used by the portal \"%s\".",
							     PQgetvalue(o, 0, 1)));
		PQclear(o);
		db_rollback();
		return render_domains(c, 422, &f, NULL);
	}
	PQclear(o);
	const char *p[3] = {admin_pid(c), host, lang};
	PGresult *r = db_exec("settings_domain_insert", 3, p);
	if (!r) {
		if (strcmp(db_last_sqlstate(), "23505") == 0) { /* added at the same moment elsewhere */
			db_rollback();
			form_message(&f, "host", "This domain is already in use.");
			return render_domains(c, 422, &f, NULL);
		}
		return fail(&f);
	}
	int primary = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	form_free(&f);
	if (admin_audit(c, "settings_change", "domains", NULL, domain_json(host, lang, primary)) < 0)
		return fail(NULL);
	if (db_commit() < 0)
		return 500;
	return page_redirect(c, 303, "/admin/settings/domains?notice=created");
}

/* Locks the portal row and the domain of the route; 0 with the domain's row in *out, 404 when
 * it is not this portal's, 500 on a database error (rolled back either way). */
static int domain_locked(struct ctx *c, PGresult **out, int *enabled)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	if (db_begin() < 0)
		return 500;
	PGresult *row = settings_row(c, 1);
	if (!row)
		return fail(NULL);
	*enabled = PQgetvalue(row, 0, SC_ENABLED)[0] == 't';
	PQclear(row);
	const char *p[2] = {c->caps.v[0], admin_pid(c)};
	PGresult *r = db_exec("settings_domain_get", 2, p);
	if (!r)
		return fail(NULL);
	if (PQntuples(r) != 1) {
		PQclear(r);
		db_rollback();
		return 404;
	}
	*out = r;
	return 0;
}

int admin_settings_domain_remove(struct ctx *c)
{
	PGresult *d;
	int enabled, st = domain_locked(c, &d, &enabled);
	if (st)
		return st;
	char host[256], lang[8];
	snprintf(host, sizeof host, "%s", PQgetvalue(d, 0, 0));
	snprintf(lang, sizeof lang, "%s", PQgetvalue(d, 0, 1));
	int primary = PQgetvalue(d, 0, 2)[0] == 't';
	PQclear(d);
	const char *pc[1] = {admin_pid(c)};
	char n[24];
	if (db_exec_value("settings_domain_count", 1, pc, n, sizeof n) != 1)
		return fail(NULL);
	const char *refuse = NULL;
	if (atol(n) == 1 && enabled)
		refuse = "This is the portal's only domain and the portal is switched on. Add another domain first, or switch the portal off.";
	else if (primary && atol(n) > 1)
		refuse = "This is the primary domain. Make another domain primary first.";
	if (refuse) {
		db_rollback();
		return render_domains(c, 422, NULL, arena_printf(c->arena, "%s could not be removed: %s", host, refuse));
	}
	const char *p[2] = {c->caps.v[0], admin_pid(c)};
	PGresult *r = db_exec("settings_domain_delete", 2, p);
	if (!r)
		return fail(NULL);
	PQclear(r);
	if (admin_audit(c, "settings_change", "domains", domain_json(host, lang, primary), NULL) < 0)
		return fail(NULL);
	if (db_commit() < 0)
		return 500;
	return page_redirect(c, 303, "/admin/settings/domains?notice=deleted");
}

int admin_settings_domain_primary(struct ctx *c)
{
	PGresult *d;
	int enabled, st = domain_locked(c, &d, &enabled);
	if (st)
		return st;
	char host[256];
	snprintf(host, sizeof host, "%s", PQgetvalue(d, 0, 0));
	int primary = PQgetvalue(d, 0, 2)[0] == 't';
	PQclear(d);
	if (primary) {
		db_rollback();
		return page_redirect(c, 303, "/admin/settings/domains?saved=1");
	}
	const char *pl[1] = {admin_pid(c)};
	PGresult *all = db_exec("settings_domains_list", 1, pl);
	if (!all)
		return fail(NULL);
	const char *old = NULL;
	if (PQntuples(all) > 0 && PQgetvalue(all, 0, 3)[0] == 't')
		old = arena_strdup(c->arena, PQgetvalue(all, 0, 1));
	PQclear(all);
	const char *p[2] = {admin_pid(c), c->caps.v[0]};
	PGresult *u = db_exec("settings_domain_unprimary", 2, p);
	PQclear(u);
	const char *q[2] = {c->caps.v[0], admin_pid(c)};
	PGresult *v = u ? db_exec("settings_domain_primary", 2, q) : NULL;
	PQclear(v);
	if (!u || !v || settings_audit_str(c, "primary_domain", old, host) < 0)
		return fail(NULL);
	if (!saml_set_up(c))
		return settings_commit_redirect(c, "/admin/settings/domains");
	/* the SP entity ID and ACS URL just changed: the page after the save says so */
	if (db_commit() < 0)
		return 500;
	return page_redirect(c, 303, "/admin/settings/domains?saved=1&sp=moved");
}

int admin_settings_domain_language(struct ctx *c)
{
	const char *lang = request_form(c->req, "language");
	if (!admin_id(c->caps.v[0]))
		return 404;
	if (!lang_ok(lang))
		return render_domains(c, 422, NULL, "Choose English or Swedish as the domain's language.");
	PGresult *d;
	int enabled, st = domain_locked(c, &d, &enabled);
	if (st)
		return st;
	char host[256], old[8];
	snprintf(host, sizeof host, "%s", PQgetvalue(d, 0, 0));
	snprintf(old, sizeof old, "%s", PQgetvalue(d, 0, 1));
	PQclear(d);
	if (strcmp(old, lang) == 0) {
		db_rollback();
		return page_redirect(c, 303, "/admin/settings/domains?saved=1");
	}
	const char *p[3] = {c->caps.v[0], admin_pid(c), lang};
	PGresult *u = db_exec("settings_domain_language", 3, p);
	if (!u)
		return fail(NULL);
	PQclear(u);
	struct json_object *b = json_object_new_object(), *a = json_object_new_object();
	json_object_object_add(b, "host", json_object_new_string(host));
	json_object_object_add(b, "language", json_object_new_string(old));
	json_object_object_add(a, "host", json_object_new_string(host));
	json_object_object_add(a, "language", json_object_new_string(lang));
	if (admin_audit(c, "settings_change", "domain_language", b, a) < 0)
		return fail(NULL);
	return settings_commit_redirect(c, "/admin/settings/domains");
}

int admin_settings_slug_save(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *slug = form_text(&f, c->req, "slug", 1, 64, 0, 1);
	if (slug) {
		const char *why = slug_problem(slug);
		if (why) {
			form_message(&f, "slug", why);
			slug = NULL;
		}
	}
	if (f.nerrors)
		return render_domains(c, 422, &f, NULL);
	form_free(&f);
	if (db_begin() < 0)
		return 500;
	PGresult *row = settings_row(c, 1);
	if (!row)
		return fail(NULL);
	char old[80];
	snprintf(old, sizeof old, "%s", PQgetvalue(row, 0, SC_SLUG));
	PQclear(row);
	if (strcmp(old, slug) == 0) {
		db_rollback();
		return page_redirect(c, 303, "/admin/settings/domains?saved=1");
	}
	const char *p[2] = {admin_pid(c), slug};
	PGresult *u = db_exec("settings_set_slug", 2, p);
	if (!u)
		return fail(NULL);
	PQclear(u);
	if (settings_audit_str(c, "ticket_slug", old, slug) < 0)
		return fail(NULL);
	return settings_commit_redirect(c, "/admin/settings/domains");
}
