/* admin_rules.c - settings: ticket filters, permissions, theme, navigation, support form. */
#include "admin.h"

const struct db_stmt admin_rules_stmts[] = {
	{NULL, NULL, 0},
};

const struct route admin_rules_routes[] = {
	{0},
};
