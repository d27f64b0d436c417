/* healthz.c - /healthz: 200 when the database answers, 503 when it does not. */
#include "app.h"

const struct db_stmt healthz_stmts[] = {
	{"healthz_ping", "SELECT 1", 0},
	{NULL, NULL, 0},
};

int healthz(struct ctx *c)
{
	char v[8];
	int ok = db_exec_value("healthz_ping", 0, NULL, v, sizeof v) == 1;
	c->res->status = ok ? 200 : 503;
	response_header(c->res, "Content-Type", "text/plain; charset=utf-8");
	response_header(c->res, "Cache-Control", "no-store");
	buf_puts(&c->res->body, ok ? "ok\n" : "database unavailable\n");
	return c->res->status;
}
