/* admin_templates.c - settings: system page templates and email templates. */
#include "admin.h"

const struct db_stmt admin_templates_stmts[] = {
	{NULL, NULL, 0},
};

const struct route admin_templates_routes[] = {
	{0},
};
