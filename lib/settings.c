/* settings.c - the per-worker cache of portals and domains: install, host lookup, reload signals. */
#include "settings.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "str.h"

static struct portal *portals;
static int nportals;
static struct portal_domain *domains;
static int ndomains;
static unsigned long generation;

void settings_free_portals(struct portal *p, int n)
{
	for (int i = 0; i < n; i++) {
		json_object_put(p[i].theme);
		json_object_put(p[i].nav);
		for (int k = 0; k < SETTINGS_MAX_PAGES; k++)
			free(p[i].page_source[k]);
	}
	free(p);
}

void settings_free(void)
{
	settings_free_portals(portals, nportals);
	free(domains);
	portals = NULL;
	domains = NULL;
	nportals = ndomains = 0;
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
	for (size_t i = 0; i < slen + hlen; i++)
		out[k++] = ascii_lower(url[i]);
	if (port) {
		out[k++] = ':';
		memcpy(out + k, port, plen);
		k += plen;
	}
	out[k] = '\0';
	return 0;
}

void settings_install(struct portal *ps, int np, struct portal_domain *ds, int nd)
{
	settings_free();
	portals = ps;
	nportals = np;
	domains = ds;
	ndomains = nd;
	generation++;
	log_msg(LOG_DEBUG, "settings: %d portals, %d domains loaded", np, nd);
}

static struct install_settings install = {.time_zone = "UTC"};

void settings_install_set(const struct install_settings *is)
{
	install = *is;
	install.time_zone[sizeof install.time_zone - 1] = '\0';
	if (!install.time_zone[0])
		strcpy(install.time_zone, "UTC");
}

const struct install_settings *settings_install_get(void)
{
	return &install;
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

int settings_stale(void)
{
	int moved = 0;
	if (stamp) {
		uint64_t now = __atomic_load_n(stamp, __ATOMIC_ACQUIRE);
		moved = now != stamp_seen;
		stamp_seen = now;
	}
	return db_poll_notify() + moved || !portals;
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

const struct portal *settings_portal_by_id(long id)
{
	for (int i = 0; i < nportals; i++)
		if (portals[i].id == id)
			return &portals[i];
	return NULL;
}
