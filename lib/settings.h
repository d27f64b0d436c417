/* settings.h - per-worker cache of portals and their domains, refreshed on NOTIFY portal_settings. */
#ifndef PORTAL_SETTINGS_H
#define PORTAL_SETTINGS_H

#include <json-c/json.h>

#include "db.h"

#define SETTINGS_NOTIFY_CHANNEL "portal_settings"

struct portal {
	long id;
	int is_default;
	int enabled;
	char name[128];
	char page_title[256];
	char ticket_slug[64];
	char previous_slug[64]; /* "" when none; answers 301 to ticket_slug */
	char access_mode[16];
	char permission_mode[16];
	char time_zone[64];
	int session_timeout_minutes;
	int show_custom_stages;
	int kb_link_enabled;
	long support_form_id; /* 0 when none */
	struct json_object *theme; /* object; owned by the cache */
	struct json_object *nav;   /* array of {label, url}; owned by the cache */
};

struct portal_domain {
	char host[256];
	char lang[8];
	int is_primary;
	const struct portal *portal;
};

extern const struct db_stmt settings_stmts[];

/* (Re)load everything. On failure the previous cache stays in use. Returns 0 or -1. */
int settings_load(void);
/* Reload when a NOTIFY (or a reconnect) happened since the last call. */
void settings_refresh(void);
/* The portal and language for a request's Host: an exact domain match, else the default
 * portal with its primary domain's language. NULL only when no portal exists at all. */
const struct portal *settings_portal_for_host(const char *host, const char **lang);
/* The primary host of a portal ("" when it has none), for building absolute links. */
const char *settings_primary_host(const struct portal *p);
/* 1 when host (lowercase, no port) is one of the portal's own domains. */
int settings_host_matches(const struct portal *p, const char *host);
void settings_free(void);

#endif
