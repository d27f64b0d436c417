/* admin_settings.c - general settings: title, domains, slug, on/off, access, consent, default inbox, status display, kb link, session timeout. */
#include "admin.h"

const struct db_stmt admin_settings_stmts[] = {
	{NULL, NULL, 0},
};

const struct route admin_settings_routes[] = {
	{0},
};
