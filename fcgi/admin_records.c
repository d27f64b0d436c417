/* admin_records.c - CRM: pipelines, inboxes, forms, tickets, timelines. */
#include "admin.h"

const struct db_stmt admin_records_stmts[] = {
	{NULL, NULL, 0},
};

const struct route admin_records_routes[] = {
	{0},
};
