/* settings_load.h - filling the settings cache (lib/settings.h) from the database; the worker's part. */
#ifndef PORTAL_SETTINGS_LOAD_H
#define PORTAL_SETTINGS_LOAD_H

#include "settings.h"

/* The system pages whose template a portal picks (portal_page_templates.page; the slots of
 * struct portal's page_choice/page_source, SETTINGS_MAX_PAGES of them), their names and templates
 * (system_pages[], fcgi/settings_load.c) and the two lookups. */
enum system_page {
	PAGE_REGISTER,
	PAGE_LOGIN,
	PAGE_LOGOUT,
	PAGE_ACCESS_DENIED,
	PAGE_RESET_REQUEST,
	PAGE_RESET,
	PAGE_TICKETS, /* the customer's ticket list, /<slug> */
	PAGE_TICKET,  /* the customer's ticket page, /<slug>/<id> */
	SYSTEM_PAGE__MAX
};

struct system_page_info {
	const char *name;       /* "login": the key in portal_page_templates and admin URLs */
	const char *tmpl;       /* "portal/login": the name handlers render */
	/* standard and alternative: "portal/system/login_standard", "..._split"; the ticket pages
	 * have no alternative (shipped[1] NULL) and their standard is their own template */
	const char *shipped[2];
};
extern const struct system_page_info system_pages[SYSTEM_PAGE__MAX];
/* The index of a page name or handler template name, or -1. */
int system_page_by_name(const char *name);
int system_page_by_tmpl(const char *tmpl);

_Static_assert(SYSTEM_PAGE__MAX <= SETTINGS_MAX_PAGES, "struct portal holds a slot per system page");

/* The channel the database NOTIFYs when portal settings change (sql/ triggers). */
#define SETTINGS_NOTIFY_CHANNEL "portal_settings"

/* (Re)load portals, domains and template choices. On failure the previous cache stays in use.
 * Returns 0 or -1. */
int settings_load(void);
/* Reload when settings_stale() says so (a NOTIFY, a reconnect, the shared stamp moved). */
void settings_refresh(void);

#endif
