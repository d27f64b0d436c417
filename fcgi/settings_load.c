/* settings_load.c - no URL: reads portals, domains and page template choices into the settings
 * cache (lib/settings.c), and names the system pages and their templates. */
#include "settings_load.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "log.h"
#include "tmpl.h"

const struct system_page_info system_pages[SYSTEM_PAGE__MAX] = {
	[PAGE_REGISTER] = {"register", "portal/register",
			   {"portal/system/register_standard", "portal/system/register_split"}},
	[PAGE_LOGIN] = {"login", "portal/login", {"portal/system/login_standard", "portal/system/login_split"}},
	[PAGE_LOGOUT] = {"logout", "portal/logout", {"portal/system/logout_standard", "portal/system/logout_split"}},
	[PAGE_ACCESS_DENIED] = {"access_denied", "portal/access_denied",
				{"portal/system/access_denied_standard", "portal/system/access_denied_split"}},
	[PAGE_RESET_REQUEST] = {"password_reset_request", "portal/password_reset_request",
				{"portal/system/password_reset_request_standard",
				 "portal/system/password_reset_request_split"}},
	[PAGE_RESET] = {"password_reset", "portal/password_reset",
			{"portal/system/password_reset_standard", "portal/system/password_reset_split"}},
	[PAGE_TICKETS] = {"tickets", "portal/tickets", {"portal/tickets", NULL}},
	[PAGE_TICKET] = {"ticket", "portal/ticket", {"portal/ticket", NULL}},
};

int system_page_by_name(const char *name)
{
	for (int i = 0; name && i < SYSTEM_PAGE__MAX; i++)
		if (strcmp(system_pages[i].name, name) == 0)
			return i;
	return -1;
}

int system_page_by_tmpl(const char *tmpl)
{
	for (int i = 0; tmpl && i < SYSTEM_PAGE__MAX; i++)
		if (strcmp(system_pages[i].tmpl, tmpl) == 0)
			return i;
	return -1;
}

/* Columns are named after the fields of struct portal and struct portal_domain. */
const struct db_stmt settings_load_stmts[] = {
	{"settings_portals",
	 "SELECT p.id, p.is_default, p.enabled, p.name, p.page_title, p.ticket_slug, p.access_mode,"
	 " p.permission_mode, p.time_zone, p.session_timeout_minutes, p.show_custom_stages,"
	 " p.kb_link_enabled, p.support_form_id, p.theme::text AS theme,"
	 " (SELECT json_agg(json_build_object('builtin', n.builtin, 'label', n.label, 'labels', n.labels,"
	 "   'url', n.url) ORDER BY n.position, n.id)"
	 "   FROM portal_nav_items n WHERE n.portal_id = p.id)::text AS nav,"
	 " p.previous_slug, p.sso_method, p.sso_audience, s.jwt_login_url, s.logout_url"
	 " FROM portals p LEFT JOIN portal_sso s ON s.portal_id = p.id ORDER BY p.id",
	 0},
	{"settings_domains",
	 "SELECT lower(host) AS host, language AS lang, is_primary, portal_id FROM portal_domains"
	 " ORDER BY portal_id, is_primary DESC, id",
	 0},
	{"settings_page_templates",
	 "SELECT portal_id, page, choice, custom_source FROM portal_page_templates"
	 " WHERE choice <> 'standard' ORDER BY portal_id, page",
	 0},
	{"settings_install",
	 "SELECT time_zone, staff_two_factor_required FROM install_settings WHERE id = 1", 0},
	{NULL, NULL, 0},
};

#define TEXT(p, r, i, field) str_copy((p)->field, sizeof (p)->field, db_col(r, i, #field))
#define FLAG(r, i, column) (db_col(r, i, column)[0] == 't')

/* A JSON text of the wanted type, or an empty one (also for NULL). */
static struct json_object *parse_or(const char *text, json_type want)
{
	struct json_object *o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, want)) {
		json_object_put(o);
		o = want == json_type_array ? json_object_new_array() : json_object_new_object();
	}
	return o;
}

static void fill_portal(struct portal *p, PGresult *r, int i)
{
	p->id = atol(db_col(r, i, "id"));
	p->is_default = FLAG(r, i, "is_default");
	p->enabled = FLAG(r, i, "enabled");
	TEXT(p, r, i, name);
	TEXT(p, r, i, page_title);
	TEXT(p, r, i, ticket_slug);
	TEXT(p, r, i, access_mode);
	TEXT(p, r, i, permission_mode);
	TEXT(p, r, i, time_zone);
	p->session_timeout_minutes = atoi(db_col(r, i, "session_timeout_minutes"));
	p->show_custom_stages = FLAG(r, i, "show_custom_stages");
	p->kb_link_enabled = FLAG(r, i, "kb_link_enabled");
	p->support_form_id = atol(db_col(r, i, "support_form_id"));
	p->theme = parse_or(db_col(r, i, "theme"), json_type_object);
	p->nav = parse_or(db_col(r, i, "nav"), json_type_array);
	TEXT(p, r, i, previous_slug);
	str_copy(p->primary_lang, sizeof p->primary_lang, "en");
	TEXT(p, r, i, sso_method);
	TEXT(p, r, i, sso_audience);
	TEXT(p, r, i, jwt_login_url);
	const char *out = db_col(r, i, "logout_url");
	if (out[0] && strlen(out) < sizeof p->logout_url &&
	    settings_url_origin(out, p->logout_origin, sizeof p->logout_origin) == 0) {
		str_copy(p->logout_url, sizeof p->logout_url, out);
	} else {
		if (out[0])
			log_msg(LOG_WARN, "settings: portal %ld: logout URL is not a plain http(s) URL; not used", p->id);
		p->logout_url[0] = p->logout_origin[0] = '\0';
	}
}

static struct portal *find_portal(struct portal *ps, int n, long id)
{
	for (int i = 0; i < n; i++)
		if (ps[i].id == id)
			return &ps[i];
	return NULL;
}

/* The portals' template choices. A custom source that does not compile (it was checked before
 * it was saved, so this means something went wrong since) is logged and left at standard. */
static int load_page_templates(struct portal *ps, int np)
{
	PGresult *r = db_exec("settings_page_templates", 0, NULL);
	if (!r)
		return -1;
	struct tmpl_set *scratch = NULL;
	for (int i = 0; i < PQntuples(r); i++) {
		long pid = atol(db_col(r, i, "portal_id"));
		int page = system_page_by_name(db_col(r, i, "page"));
		const char *choice = db_col(r, i, "choice"), *src = db_col(r, i, "custom_source");
		struct portal *p = find_portal(ps, np, pid);
		if (!p || page < 0)
			continue;
		if (strcmp(choice, "alternative") == 0 && system_pages[page].shipped[1]) {
			p->page_choice[page] = CHOICE_ALTERNATIVE;
			continue;
		}
		if (strcmp(choice, "custom") != 0)
			continue;
		char err[256];
		if (!scratch)
			scratch = tmpl_set_new();
		if (!scratch || tmpl_set_add(scratch, "check", src, strlen(src), err, sizeof err) < 0) {
			log_msg(LOG_ERROR, "settings: portal %ld: custom template %s does not compile (%s);"
				" the standard one is used", pid, system_pages[page].name, scratch ? err : "out of memory");
			continue;
		}
		p->page_source[page] = strdup(src);
		if (p->page_source[page])
			p->page_choice[page] = CHOICE_CUSTOM;
	}
	tmpl_set_free(scratch);
	PQclear(r);
	return 0;
}

/* The domains of the loaded portals into ds (room for every row); returns how many. */
static int fill_domains(struct portal_domain *ds, PGresult *r, struct portal *ps, int np)
{
	int k = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		struct portal *p = find_portal(ps, np, atol(db_col(r, i, "portal_id")));
		if (!p)
			continue;
		TEXT(&ds[k], r, i, host);
		TEXT(&ds[k], r, i, lang);
		ds[k].is_primary = FLAG(r, i, "is_primary");
		if (ds[k].is_primary) /* the portal's fallback language */
			str_copy(p->primary_lang, sizeof p->primary_lang, ds[k].lang);
		ds[k].portal = p;
		k++;
	}
	return k;
}

/* The install_settings row (the table's defaults when it is missing). */
static int load_install(void)
{
	PGresult *r = db_exec("settings_install", 0, NULL);
	if (!r)
		return -1;
	struct install_settings is = {.time_zone = "UTC"};
	if (PQntuples(r) == 1) {
		TEXT(&is, r, 0, time_zone);
		is.staff_two_factor_required = FLAG(r, 0, "staff_two_factor_required");
	}
	PQclear(r);
	settings_install_set(&is);
	return 0;
}

int settings_load(void)
{
	if (load_install() < 0)
		return -1;
	PGresult *rp = db_exec("settings_portals", 0, NULL);
	PGresult *rd = rp ? db_exec("settings_domains", 0, NULL) : NULL;
	int np = rd ? PQntuples(rp) : 0, nd = rd ? PQntuples(rd) : 0;
	struct portal *ps = rd ? calloc((size_t)np + 1, sizeof *ps) : NULL;
	struct portal_domain *ds = ps ? calloc((size_t)nd + 1, sizeof *ds) : NULL;
	if (!ds) {
		free(ps);
		PQclear(rp);
		PQclear(rd);
		return -1;
	}
	for (int i = 0; i < np; i++)
		fill_portal(&ps[i], rp, i);
	PQclear(rp);
	if (load_page_templates(ps, np) < 0) {
		settings_free_portals(ps, np);
		free(ds);
		PQclear(rd);
		return -1;
	}
	nd = fill_domains(ds, rd, ps, np);
	PQclear(rd);
	settings_install(ps, np, ds, nd);
	return 0;
}

void settings_refresh(void)
{
	if (settings_stale())
		settings_load();
}
