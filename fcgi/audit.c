/* audit.c - the one writer of audit_log rows, for the customer pages and the console alike. */
#include "app.h"

#include <stdio.h>

const struct db_stmt audit_stmts[] = {
	{"audit_insert",
	 "INSERT INTO audit_log (actor_kind, actor_id, portal_id, action, detail, ip)"
	 " VALUES ($1, $2, $3, $4, coalesce($5, '{}')::jsonb, $6::inet)",
	 6},
	{NULL, NULL, 0},
};

int audit(struct ctx *c, const char *actor_kind, long actor_id, const char *action, const char *detail_json)
{
	char aid[24], pid[24];
	snprintf(aid, sizeof aid, "%ld", actor_id);
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	const char *ip = c->req->remote_addr && c->req->remote_addr[0] ? c->req->remote_addr : NULL;
	const char *p[6] = {actor_kind, actor_id ? aid : NULL, c->portal->id ? pid : NULL, action,
			    detail_json, ip};
	PGresult *r = db_exec("audit_insert", 6, p);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}
