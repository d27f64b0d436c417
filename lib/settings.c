/* settings.c - load portals and domains into a per-worker cache; LISTEN/NOTIFY keeps it fresh. */
#include "settings.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "str.h"
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

const struct db_stmt settings_stmts[] = {
	{"settings_portals",
	 "SELECT p.id, p.is_default, p.enabled, p.name, p.page_title, p.ticket_slug, p.access_mode,"
	 " p.permission_mode, p.time_zone, p.session_timeout_minutes, p.show_custom_stages,"
	 " p.kb_link_enabled, coalesce(p.support_form_id, 0), p.theme::text,"
	 " coalesce((SELECT json_agg(json_build_object('label', n.label, 'url', n.url)"
	 "   ORDER BY n.position, n.id) FROM portal_nav_items n WHERE n.portal_id = p.id), '[]')::text,"
	 " coalesce(p.previous_slug, ''), coalesce(p.sso_method, ''), p.sso_audience,"
	 " coalesce(s.jwt_login_url, ''), coalesce(s.logout_url, '')"
	 " FROM portals p LEFT JOIN portal_sso s ON s.portal_id = p.id ORDER BY p.id",
	 0},
	{"settings_domains",
	 "SELECT lower(host), language, is_primary, portal_id FROM portal_domains"
	 " ORDER BY portal_id, is_primary DESC, id",
	 0},
	{"settings_page_templates",
	 "SELECT portal_id, page, choice, coalesce(custom_source, '') FROM portal_page_templates"
	 " WHERE choice <> 'standard' ORDER BY portal_id, page",
	 0},
	{NULL, NULL, 0},
};

static struct portal *portals;
static int nportals;
static struct portal_domain *domains;
static int ndomains;
static unsigned long generation;

static void free_portals(struct portal *p, int n)
{
	for (int i = 0; i < n; i++) {
		json_object_put(p[i].theme);
		json_object_put(p[i].nav);
		for (int k = 0; k < SYSTEM_PAGE__MAX; k++)
			free(p[i].page_source[k]);
	}
	free(p);
}

void settings_free(void)
{
	free_portals(portals, nportals);
	free(domains);
	portals = NULL;
	domains = NULL;
	nportals = ndomains = 0;
}

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

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
	p->id = atol(PQgetvalue(r, i, 0));
	p->is_default = PQgetvalue(r, i, 1)[0] == 't';
	p->enabled = PQgetvalue(r, i, 2)[0] == 't';
	copy(p->name, sizeof p->name, PQgetvalue(r, i, 3));
	copy(p->page_title, sizeof p->page_title, PQgetvalue(r, i, 4));
	copy(p->ticket_slug, sizeof p->ticket_slug, PQgetvalue(r, i, 5));
	copy(p->access_mode, sizeof p->access_mode, PQgetvalue(r, i, 6));
	copy(p->permission_mode, sizeof p->permission_mode, PQgetvalue(r, i, 7));
	copy(p->time_zone, sizeof p->time_zone, PQgetvalue(r, i, 8));
	p->session_timeout_minutes = atoi(PQgetvalue(r, i, 9));
	p->show_custom_stages = PQgetvalue(r, i, 10)[0] == 't';
	p->kb_link_enabled = PQgetvalue(r, i, 11)[0] == 't';
	p->support_form_id = atol(PQgetvalue(r, i, 12));
	p->theme = parse_or(PQgetvalue(r, i, 13), json_type_object);
	p->nav = parse_or(PQgetvalue(r, i, 14), json_type_array);
	copy(p->previous_slug, sizeof p->previous_slug, PQgetvalue(r, i, 15));
	copy(p->sso_method, sizeof p->sso_method, PQgetvalue(r, i, 16));
	copy(p->sso_audience, sizeof p->sso_audience, PQgetvalue(r, i, 17));
	copy(p->jwt_login_url, sizeof p->jwt_login_url, PQgetvalue(r, i, 18));
	const char *out = PQgetvalue(r, i, 19);
	if (out[0] && strlen(out) < sizeof p->logout_url &&
	    settings_url_origin(out, p->logout_origin, sizeof p->logout_origin) == 0) {
		copy(p->logout_url, sizeof p->logout_url, out);
	} else {
		if (out[0])
			log_msg(LOG_WARN, "settings: portal %ld: logout URL is not a plain http(s) URL; not used", p->id);
		p->logout_url[0] = p->logout_origin[0] = '\0';
	}
}

int settings_url_origin(const char *url, char *out, size_t cap)
{
	if (cap)
		out[0] = '\0';
	if (!url || !http_url_ok(url))
		return -1;
	size_t slen = strncmp(url, "https://", 8) == 0 ? 8 : 7; /* http_url_ok: http:// or https:// */
	const char *h = url + slen, *e = h;
	while ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') || (*e >= '0' && *e <= '9') || *e == '-' || *e == '.')
		e++;
	size_t hlen = (size_t)(e - h);
	if (hlen == 0 || hlen > 253 || h[0] == '.' || h[0] == '-' || e[-1] == '.' || e[-1] == '-')
		return -1;
	for (const char *d = h; d + 1 < e; d++)
		if (d[0] == '.' && d[1] == '.')
			return -1; /* an empty label */
	const char *port = NULL;
	size_t plen = 0;
	if (*e == ':') {
		port = ++e;
		while (*e >= '0' && *e <= '9')
			e++;
		plen = (size_t)(e - port);
		if (plen == 0 || plen > 5 || port[0] == '0' || atol(port) > 65535)
			return -1;
	}
	if (*e && *e != '/' && *e != '?')
		return -1;
	size_t need = slen + hlen + (port ? plen + 1 : 0) + 1;
	if (need > cap)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < slen + hlen; i++) {
		char ch = url[i];
		out[k++] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	if (port) {
		out[k++] = ':';
		memcpy(out + k, port, plen);
		k += plen;
	}
	out[k] = '\0';
	return 0;
}

static const struct portal *find_portal(struct portal *ps, int n, long id)
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
		long pid = atol(PQgetvalue(r, i, 0));
		int page = system_page_by_name(PQgetvalue(r, i, 1));
		const char *choice = PQgetvalue(r, i, 2), *src = PQgetvalue(r, i, 3);
		struct portal *p = NULL;
		for (int k = 0; k < np && !p; k++)
			if (ps[k].id == pid)
				p = &ps[k];
		if (!p || page < 0)
			continue;
		if (strcmp(choice, "alternative") == 0) {
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

int settings_load(void)
{
	PGresult *rp = db_exec("settings_portals", 0, NULL);
	if (!rp)
		return -1;
	PGresult *rd = db_exec("settings_domains", 0, NULL);
	if (!rd) {
		PQclear(rp);
		return -1;
	}
	int np = PQntuples(rp), nd = PQntuples(rd);
	struct portal *ps = calloc((size_t)np + 1, sizeof *ps);
	struct portal_domain *ds = calloc((size_t)nd + 1, sizeof *ds);
	if (!ps || !ds) {
		free(ps);
		free(ds);
		PQclear(rp);
		PQclear(rd);
		return -1;
	}
	for (int i = 0; i < np; i++)
		fill_portal(&ps[i], rp, i);
	PQclear(rp);
	if (load_page_templates(ps, np) < 0) {
		free_portals(ps, np);
		free(ds);
		PQclear(rd);
		return -1;
	}
	int k = 0;
	for (int i = 0; i < nd; i++) {
		const struct portal *p = find_portal(ps, np, atol(PQgetvalue(rd, i, 3)));
		if (!p)
			continue;
		copy(ds[k].host, sizeof ds[k].host, PQgetvalue(rd, i, 0));
		copy(ds[k].lang, sizeof ds[k].lang, PQgetvalue(rd, i, 1));
		ds[k].is_primary = PQgetvalue(rd, i, 2)[0] == 't';
		ds[k].portal = p;
		k++;
	}
	PQclear(rd);
	settings_free();
	portals = ps;
	nportals = np;
	domains = ds;
	ndomains = k;
	generation++;
	log_msg(LOG_DEBUG, "settings: %d portals, %d domains loaded", np, k);
	return 0;
}

static uint64_t *stamp;    /* shared with the other workers of this host */
static uint64_t stamp_seen;

int settings_stamp_open(const char *key)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a: one stamp per database */
	for (const unsigned char *k = (const unsigned char *)key; *k; k++)
		h = (h ^ *k) * 1099511628211ULL;
	char name[64];
	snprintf(name, sizeof name, "/portal-settings-%016llx", (unsigned long long)h);
	int fd = shm_open(name, O_RDWR | O_CREAT, 0600);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || (st.st_size < (off_t)sizeof *stamp && ftruncate(fd, sizeof *stamp) < 0)) {
		log_msg(LOG_WARN, "settings stamp %s unavailable; NOTIFY only", name);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	void *m = mmap(NULL, sizeof *stamp, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		log_msg(LOG_WARN, "settings stamp %s: mmap failed; NOTIFY only", name);
		return -1;
	}
	stamp = m;
	stamp_seen = __atomic_load_n(stamp, __ATOMIC_ACQUIRE);
	return 0;
}

void settings_stamp_bump(void)
{
	if (stamp) /* this worker too reloads at its next request: its own NOTIFY may come later */
		__atomic_add_fetch(stamp, 1, __ATOMIC_ACQ_REL);
}

void settings_refresh(void)
{
	int moved = 0;
	if (stamp) {
		uint64_t now = __atomic_load_n(stamp, __ATOMIC_ACQUIRE);
		moved = now != stamp_seen;
		stamp_seen = now;
	}
	if (db_poll_notify() + moved || !portals)
		settings_load();
}

static const struct portal_domain *primary_domain(const struct portal *p)
{
	const struct portal_domain *any = NULL;
	for (int i = 0; i < ndomains; i++) {
		if (domains[i].portal != p)
			continue;
		if (domains[i].is_primary)
			return &domains[i];
		if (!any)
			any = &domains[i];
	}
	return any;
}

const struct portal *settings_portal_for_host(const char *host, const char **lang)
{
	*lang = "en";
	for (int i = 0; host && *host && i < ndomains; i++) {
		if (ascii_caseeq(domains[i].host, host)) {
			*lang = domains[i].lang;
			return domains[i].portal;
		}
	}
	const struct portal *def = NULL;
	for (int i = 0; i < nportals && !def; i++)
		if (portals[i].is_default)
			def = &portals[i];
	if (!def && nportals > 0)
		def = &portals[0];
	if (def) {
		const struct portal_domain *d = primary_domain(def);
		if (d)
			*lang = d->lang;
	}
	return def;
}

const char *settings_primary_host(const struct portal *p)
{
	const struct portal_domain *d = p ? primary_domain(p) : NULL;
	return d ? d->host : "";
}

int settings_host_matches(const struct portal *p, const char *host)
{
	for (int i = 0; p && host && i < ndomains; i++)
		if (domains[i].portal == p && ascii_caseeq(domains[i].host, host))
			return 1;
	return 0;
}

unsigned long settings_generation(void)
{
	return generation;
}

const struct portal *settings_portal_at(int i)
{
	return i >= 0 && i < nportals ? &portals[i] : NULL;
}
