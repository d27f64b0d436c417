/* settings.h - per-worker cache of portals and their domains: host lookup, and when to reload it. */
#ifndef PORTAL_SETTINGS_H
#define PORTAL_SETTINGS_H

#include <json-c/json.h>
#include <stddef.h>

/*
 * The mechanism only: fcgi/settings_load.c reads the portals, their domains and template choices
 * from the database and hands them to settings_install(); this file answers lookups from what
 * was installed and says when a reload is due (a NOTIFY, a reconnect, the shared stamp).
 */

/* A portal may pick the template of up to SETTINGS_MAX_PAGES pages (portal_page_templates.page):
 * which pages those are, their names and templates, is the product's (fcgi/settings_load.h). */
#define SETTINGS_MAX_PAGES 8

/* A portal's choice for one system page. */
enum page_choice { CHOICE_STANDARD, CHOICE_ALTERNATIVE, CHOICE_CUSTOM };

struct portal {
	long id;
	int is_default;
	int enabled;
	char name[128];
	char page_title[256];
	char ticket_slug[64];
	char previous_slug[64]; /* "" when none; answers 301 to ticket_slug */
	char access_mode[16];  /* registration, lists or sso */
	char sso_method[8];    /* saml, jwt or "" */
	char sso_audience[8];  /* all or lists */
	char jwt_login_url[2049]; /* portal_sso.jwt_login_url, "" when none */
	/* portal_sso.logout_url: where the browser goes after the portal's own logout when single
	 * sign-on is on. Both "" unless the URL is http(s) with a strictly valid origin
	 * (scheme://host[:port], lowercase), which page CSPs list in form-action. */
	char logout_url[2049];
	char logout_origin[300];
	char permission_mode[16];
	char time_zone[64];
	int session_timeout_minutes;
	int show_custom_stages;
	int kb_link_enabled;
	long support_form_id; /* 0 when none */
	struct json_object *theme; /* object; owned by the cache */
	/* portal_nav_items in order: {builtin, label, labels, url}, builtin one of tickets, new_ticket,
	 * account, logout (label and url null) or null for a custom link (label the default,
	 * labels {"<language>": label}); owned by the cache */
	struct json_object *nav;
	char primary_lang[8]; /* the primary domain's language ("en" when it has none) */
	/* Per system page: the template chosen, and for CHOICE_CUSTOM the admin's source (it
	 * compiled when the cache loaded; one that did not is logged and left at standard). */
	enum page_choice page_choice[SETTINGS_MAX_PAGES];
	char *page_source[SETTINGS_MAX_PAGES]; /* NULL unless custom; owned by the cache */
};

struct portal_domain {
	char host[256];
	char lang[8];
	int is_primary;
	const struct portal *portal;
};

/*
 * Take over a freshly loaded cache: portals[0..nportals) and domains[0..ndomains) (each domain's
 * portal pointing into portals), both malloc'd; the previous cache is freed and the generation
 * counts one more load.
 */
void settings_install(struct portal *portals, int nportals, struct portal_domain *domains, int ndomains);
/* Frees n portals (their theme, nav and custom sources) and the array itself. */
void settings_free_portals(struct portal *p, int n);
/* 1 when the cache should be reloaded: nothing installed yet, a NOTIFY or a reconnect since the
 * last call, or the shared stamp moved. */
int settings_stale(void);

/*
 * The settings stamp: a counter in POSIX shared memory named after key (the database conninfo),
 * shared by the workers of one host. NOTIFY reaches other workers a few milliseconds after
 * COMMIT, so a request right after a save could still see old settings; a worker that changed
 * settings bumps the stamp after its commit and before it answers, and every worker compares it
 * at the start of each request (one memory read). Workers on other hosts still rely on NOTIFY.
 * open: 0, or -1 (then only NOTIFY is used; logged).
 */
int settings_stamp_open(const char *key);
void settings_stamp_bump(void);
/* The portal and language for a request's Host: an exact domain match, else the default
 * portal with its primary domain's language. NULL only when no portal exists at all. */
const struct portal *settings_portal_for_host(const char *host, const char **lang);
/* The primary host of a portal ("" when it has none), for building absolute links. */
const char *settings_primary_host(const struct portal *p);
/* 1 when host (lowercase, no port) is one of the portal's own domains. */
int settings_host_matches(const struct portal *p, const char *host);
void settings_free(void);
/* The origin "scheme://host[:port]" (scheme and host lowercased) of an http or https URL into
 * out; -1 (out "") unless the URL passes http_url_ok and its host is letters, digits, '-' and
 * '.' only (no user info, no IPv6 literal) with an optional port 1-65535, followed by the end,
 * '/' or '?'. */
int settings_url_origin(const char *url, char *out, size_t cap);
/* Counts successful loads (0 before the first), so a user of the cache can redo derived work
 * (such as compiling custom templates) once per load. */
unsigned long settings_generation(void);
/* The install's own settings (table install_settings, one row): what the console, which is
 * install-wide, shows and requires. Loaded with the portals (fcgi/settings_load.c). */
struct install_settings {
	char time_zone[64];             /* every time in the console is shown in this zone */
	int staff_two_factor_required;
};
/* Take over a freshly loaded row (copied). */
void settings_install_set(const struct install_settings *is);
/* The install settings: the loaded row, or the table's defaults (UTC, nothing required) before
 * the first load. Never NULL. */
const struct install_settings *settings_install_get(void);
/* The i-th portal of the cache, or NULL past the end. */
const struct portal *settings_portal_at(int i);
/* The portal with this id in the cache, or NULL. */
const struct portal *settings_portal_by_id(long id);

#endif
