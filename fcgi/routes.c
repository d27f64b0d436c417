/* routes.c - the one route table and the statements every page prepares at worker start. */
#include "app.h"

const struct route routes[] = {
	{HTTP_GET, "/", home, AUTH_PUBLIC},
	{HTTP_GET, "/healthz", healthz, AUTH_PUBLIC},
	{HTTP_GET, "/login", login_page, AUTH_PUBLIC},
};
const unsigned nroutes = sizeof routes / sizeof routes[0];

const struct db_stmt *const stmt_tables[] = {settings_stmts, healthz_stmts, NULL};
