/* admin_inbox.c - agent inbox: threads, replies, internal notes, stage changes. */
#include "admin.h"

const struct db_stmt admin_inbox_stmts[] = {
	{NULL, NULL, 0},
};

const struct route admin_inbox_routes[] = {
	{0},
};
