/* settings_load.h - filling the settings cache (lib/settings.h) from the database; the worker's part. */
#ifndef PORTAL_SETTINGS_LOAD_H
#define PORTAL_SETTINGS_LOAD_H

/* The channel the database NOTIFYs when portal settings change (sql/ triggers). */
#define SETTINGS_NOTIFY_CHANNEL "portal_settings"

/* (Re)load portals, domains and template choices. On failure the previous cache stays in use.
 * Returns 0 or -1. */
int settings_load(void);
/* Reload when settings_stale() says so (a NOTIFY, a reconnect, the shared stamp moved). */
void settings_refresh(void);

#endif
