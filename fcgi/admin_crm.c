/* admin_crm.c - CRM: contacts, companies, lists, CSV import. */
#include "admin.h"

const struct db_stmt admin_crm_stmts[] = {
	{NULL, NULL, 0},
};

const struct route admin_crm_routes[] = {
	{0},
};
