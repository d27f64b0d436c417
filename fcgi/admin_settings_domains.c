/* admin_settings_domains.c - /admin/settings/domains: the portal's domains (host name,
 * language, primary) and, posted to /admin/settings/slug, the slug of its ticket pages; a renamed
 * slug keeps answering with 301 from its previous value. With SAML set up, the SP entity ID and
 * ACS URL hang on the primary domain: the page says so. Not a form page of the kit: a list of
 * rows with their own actions (add, remove, make primary, language), each audited on its own. */
#include "admin_settings.h"
#include "form_page.h"
#include "langs.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* a domain as the audit log records it */
#define DOMAIN_STATE "json_build_object('host', host, 'language', language, 'primary', is_primary)::text AS state"

const struct db_stmt admin_settings_domains_stmts[] = {
	{"settings_domains_portal",
	 "SELECT ticket_slug, coalesce(previous_slug, '') AS previous_slug FROM portals WHERE id = $1", 1},
	{"settings_domains_lock", "SELECT ticket_slug, enabled FROM portals WHERE id = $1 FOR UPDATE", 1},
	{"settings_domains_list",
	 "SELECT id, host, language, is_primary AS primary"
	 " FROM portal_domains WHERE portal_id = $1 ORDER BY is_primary DESC, host, id LIMIT 200",
	 1},
	{"settings_domain_owner",
	 "SELECT d.portal_id, p.name FROM portal_domains d JOIN portals p ON p.id = d.portal_id"
	 " WHERE lower(d.host) = lower($1)",
	 1},
	{"settings_domain_insert",
	 "INSERT INTO portal_domains (portal_id, host, language, is_primary) VALUES ($1, $2, $3,"
	 " NOT EXISTS (SELECT 1 FROM portal_domains WHERE portal_id = $1 AND is_primary))"
	 " RETURNING " DOMAIN_STATE,
	 3},
	{"settings_domain_get",
	 "SELECT host, language, is_primary, " DOMAIN_STATE
	 " FROM portal_domains WHERE id = $1 AND portal_id = $2 FOR UPDATE",
	 2},
	{"settings_domain_count", "SELECT count(*) FROM portal_domains WHERE portal_id = $1", 1},
	{"settings_domain_delete", "DELETE FROM portal_domains WHERE id = $1 AND portal_id = $2", 2},
	{"settings_domain_unprimary",
	 "UPDATE portal_domains SET is_primary = false WHERE portal_id = $1 AND is_primary AND id <> $2", 2},
	{"settings_domain_primary", "UPDATE portal_domains SET is_primary = true WHERE portal_id = $1 AND id = $2", 2},
	{"settings_domain_language", "UPDATE portal_domains SET language = $3 WHERE id = $1 AND portal_id = $2", 3},
	{"settings_set_slug",
	 "UPDATE portals SET previous_slug = ticket_slug, ticket_slug = $2 WHERE id = $1 AND ticket_slug <> $2", 2},
	{NULL, NULL, 0},
};

/* The same list as the CHECK of portals.ticket_slug (sql/020_two_factor.sql), so that the form
 * says why instead of failing on the constraint. */
static const char *const reserved_slugs[] = {
	"login", "logout", "register", "verify", "password-reset", "access-denied", "request-too-large",
	"files", "kb-link", "sso", "healthz", "admin", "api", "static", "assets", "account", "metrics",
};

static int lang_ok(const char *lang)
{
	return lang_find(lang) != NULL;
}

/* The languages of the list (langs.h) for a select, the one whose code is selected marked. */
static struct json_object *lang_options(const char *selected)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < nlangs; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "code", json_object_new_string(langs[i].code));
		json_object_object_add(o, "name", json_object_new_string(langs[i].name));
		json_object_object_add(o, "selected", json_object_new_boolean(selected && strcmp(selected, langs[i].code) == 0));
		json_object_array_add(a, o);
	}
	return a;
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

/* The page; f carries a refused form's input and errors (consumed), error a refused row action. */
static int render(struct ctx *c, int status, struct form *f, const char *error)
{
	const char *p[1] = {admin_pid(c)};
	PGresult *row = db_exec("settings_domains_portal", 1, p);
	PGresult *r = row && PQntuples(row) == 1 ? db_exec("settings_domains_list", 1, p) : NULL;
	if (!r) {
		PQclear(row);
		return form_page_drop(f, 500);
	}
	struct json_object *page = admin_page_new(c, "Domains and URL", "settings");
	struct json_object *domains = db_rows_json(r, -1);
	for (size_t i = 0; i < json_object_array_length(domains); i++) {
		struct json_object *d = json_object_array_get_idx(domains, i), *l;
		const char *code = json_object_object_get_ex(d, "language", &l) ? json_object_get_string(l) : "";
		const struct lang *lg = lang_find(code);
		json_object_object_add(d, "language", json_object_new_string(lg ? lg->name : code));
		json_object_object_add(d, "languages", lang_options(code));
	}
	json_object_object_add(page, "domains", domains);
	json_object_object_add(page, "empty", json_object_new_boolean(PQntuples(r) == 0));
	PQclear(r);
	const char *slug = db_col(row, 0, "ticket_slug"), *prev = db_col(row, 0, "previous_slug");
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
	PQclear(row);
	json_object_object_add(page, "add_languages",
			       lang_options(json_object_object_get_ex(f->values, "language", &v) ? json_object_get_string(v)
												 : langs[0].code));
	form_to_page(f, page);
	if (error)
		json_object_object_add(page, "error", json_object_new_string(error));
	return admin_render(c, status, "admin/settings_domains", page);
}

int admin_settings_domains(struct ctx *c)
{
	return render(c, 200, NULL, NULL);
}

/* The end of a change: ok, COMMIT and 303 to the page with query q; else rolled back, 500. */
static int finish(struct ctx *c, int ok, const char *q)
{
	if (!ok) {
		db_rollback();
		return 500;
	}
	if (db_commit() < 0)
		return 500;
	return page_redirect(c, 303, admin_settings_url(c, arena_printf(c->arena, "/domains?%s", q)));
}

int admin_settings_domain_add(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	char *host = (char *)form_text(&f, c->req, "host", 1, 253, 0, 1);
	const char *lang = request_form(c->req, "language");
	json_object_object_add(f.values, "language", json_object_new_string(lang_ok(lang) ? lang : langs[0].code));
	if (!lang_ok(lang))
		form_message(&f, "language", arena_printf(c->arena, "Choose %s.", lang_names(" or ")));
	for (char *p = host; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	const char *why = host ? host_name_problem(host) : NULL;
	if (why)
		form_message(&f, "host", why);
	if (f.nerrors)
		return render(c, 422, &f, NULL);
	if (db_begin() < 0) {
		form_free(&f);
		return 500;
	}
	const char *p[3] = {admin_pid(c), host, lang};
	PGresult *o = db_exec("settings_domain_owner", 1, p + 1);
	PGresult *r = o && PQntuples(o) == 0 ? db_exec("settings_domain_insert", 3, p) : NULL;
	if (o && PQntuples(o) > 0)
		form_message(&f, "host", atol(PQgetvalue(o, 0, 0)) == admin_portal_id(c)
			? "This portal already has this domain."
			: arena_printf(c->arena, "This domain is already used by the portal \"%s\".", PQgetvalue(o, 0, 1)));
	else if (o && !r && strcmp(db_last_sqlstate(), "23505") == 0) /* added at the same moment elsewhere */
		form_message(&f, "host", "This domain is already in use.");
	PQclear(o);
	if (f.nerrors) {
		db_rollback();
		return render(c, 422, &f, NULL);
	}
	form_free(&f);
	int ok = r && admin_audit(c, "settings_change", "domains", NULL, json_tokener_parse(db_col(r, 0, "state"))) == 0;
	PQclear(r);
	return finish(c, ok, "notice=created");
}

/* A domain of the portal as read under the lock (text in the arena). */
struct domain {
	const char *id, *host, *language, *state; /* state: as the audit log records it */
	int primary, portal_on;
};

/* In a new transaction: the portal locked and its domain of the route into d. 0, or 404 or 500
 * (rolled back). */
static int domain_locked(struct ctx *c, struct domain *d)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	d->id = admin_idstr(c, id);
	const char *p[2] = {d->id, admin_pid(c)};
	if (db_begin() < 0)
		return 500;
	PGresult *lock = db_exec("settings_domains_lock", 1, p + 1);
	PGresult *r = lock && PQntuples(lock) == 1 ? db_exec("settings_domain_get", 2, p) : NULL;
	int st = !r ? 500 : PQntuples(r) != 1 ? 404 : 0;
	d->portal_on = db_col(lock, 0, "enabled")[0] == 't';
	d->host = arena_strdup(c->arena, db_col(r, 0, "host"));
	d->language = arena_strdup(c->arena, db_col(r, 0, "language"));
	d->state = arena_strdup(c->arena, db_col(r, 0, "state"));
	d->primary = db_col(r, 0, "is_primary")[0] == 't';
	PQclear(lock);
	PQclear(r);
	if (st)
		db_rollback();
	return st;
}

/* The portal's only domain while it is switched on, and the primary one while there are others,
 * stay. */
int admin_settings_domain_remove(struct ctx *c)
{
	struct domain d;
	int st = domain_locked(c, &d);
	if (st)
		return st;
	const char *p[2] = {d.id, admin_pid(c)};
	char n[24];
	if (db_exec_value("settings_domain_count", 1, p + 1, n, sizeof n) != 1)
		return finish(c, 0, NULL);
	const char *refuse = NULL;
	if (atol(n) == 1 && d.portal_on)
		refuse = "This is the portal's only domain and the portal is switched on. Add another domain first, or switch the portal off.";
	else if (d.primary && atol(n) > 1)
		refuse = "This is the primary domain. Make another domain primary first.";
	if (refuse) {
		db_rollback();
		return render(c, 422, NULL, arena_printf(c->arena, "%s could not be removed: %s", d.host, refuse));
	}
	PGresult *r = db_exec("settings_domain_delete", 2, p);
	PQclear(r);
	return finish(c, r && admin_audit(c, "settings_change", "domains", json_tokener_parse(d.state), NULL) == 0,
		      "notice=deleted");
}

int admin_settings_domain_primary(struct ctx *c)
{
	struct domain d;
	int st = domain_locked(c, &d);
	if (st)
		return st;
	if (d.primary) {
		db_rollback();
		return form_page_done(c, "/admin/settings/domains", NULL);
	}
	const char *p[2] = {admin_pid(c), d.id};
	PGresult *all = db_exec("settings_domains_list", 1, p);
	const char *old = db_col(all, 0, "primary")[0] == 't' ? arena_strdup(c->arena, db_col(all, 0, "host")) : NULL;
	PGresult *u = all ? db_exec("settings_domain_unprimary", 2, p) : NULL;
	PGresult *v = u ? db_exec("settings_domain_primary", 2, p) : NULL;
	int ok = v && form_page_audit_setting(c, "primary_domain", old, d.host) == 0;
	PQclear(all);
	PQclear(u);
	PQclear(v);
	/* with SAML the SP entity ID and ACS URL just changed: the page after the save says so */
	return finish(c, ok, saml_set_up(c) ? "saved=1&sp=moved" : "saved=1");
}

static struct json_object *host_language(const char *host, const char *lang)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "host", json_object_new_string(host));
	json_object_object_add(o, "language", json_object_new_string(lang));
	return o;
}

int admin_settings_domain_language(struct ctx *c)
{
	const char *lang = request_form(c->req, "language");
	if (!admin_id(c->caps.v[0]))
		return 404;
	if (!lang_ok(lang))
		return render(c, 422, NULL, arena_printf(c->arena, "Choose %s as the domain's language.", lang_names(" or ")));
	struct domain d;
	int st = domain_locked(c, &d);
	if (st)
		return st;
	if (strcmp(d.language, lang) == 0) {
		db_rollback();
		return form_page_done(c, "/admin/settings/domains", NULL);
	}
	const char *p[3] = {d.id, admin_pid(c), lang};
	PGresult *u = db_exec("settings_domain_language", 3, p);
	PQclear(u);
	return finish(c, u && admin_audit(c, "settings_change", "domain_language", host_language(d.host, d.language),
					  host_language(d.host, lang)) == 0, "saved=1");
}

int admin_settings_slug_save(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *slug = form_text(&f, c->req, "slug", 1, 64, 0, 1);
	const char *why = slug ? slug_problem(slug) : NULL;
	if (why)
		form_message(&f, "slug", why);
	if (f.nerrors)
		return render(c, 422, &f, NULL);
	form_free(&f);
	const char *p[2] = {admin_pid(c), slug};
	if (db_begin() < 0)
		return 500;
	PGresult *row = db_exec("settings_domains_lock", 1, p);
	const char *old = row && PQntuples(row) == 1 ? arena_strdup(c->arena, db_col(row, 0, "ticket_slug")) : NULL;
	PQclear(row);
	if (old && strcmp(old, slug) == 0) {
		db_rollback();
		return form_page_done(c, "/admin/settings/domains", NULL);
	}
	PGresult *u = old ? db_exec("settings_set_slug", 2, p) : NULL;
	PQclear(u);
	return finish(c, u && form_page_audit_setting(c, "ticket_slug", old, slug) == 0, "saved=1");
}
