/* db.c - one libpq connection per worker with statements prepared at connect time. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define DB_MAX_STMTS 512
#define DB_MAX_LISTEN 8

static PGconn *conn;
static char *conninfo_saved;
static const struct db_stmt *stmts[DB_MAX_STMTS];
static size_t nstmts;
static const char *listens[DB_MAX_LISTEN];
static size_t nlistens;
static int reconnected;
static char last_sqlstate[6];
static unsigned long trips; /* statements sent to the server: db_round_trips() */

int db_register(const struct db_stmt *s)
{
	for (size_t i = 0; s[i].name; i++) {
		if (nstmts >= DB_MAX_STMTS)
			return -1;
		stmts[nstmts++] = &s[i];
	}
	return 0;
}

int db_listen(const char *channel)
{
	if (nlistens >= DB_MAX_LISTEN)
		return -1;
	listens[nlistens++] = channel;
	if (conn && PQstatus(conn) == CONNECTION_OK) {
		char sql[128];
		snprintf(sql, sizeof sql, "LISTEN %s", channel);
		trips++;
		PGresult *r = PQexec(conn, sql);
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		return ok ? 0 : -1;
	}
	return 0;
}

static void log_result_error(const char *what, PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	snprintf(last_sqlstate, sizeof last_sqlstate, "%s", state ? state : "");
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
	char clean[512];
	snprintf(clean, sizeof clean, "%s", msg && *msg ? msg : "(no message)");
	size_t n = strlen(clean);
	while (n && (clean[n - 1] == '\n' || clean[n - 1] == ' '))
		clean[--n] = '\0';
	log_msg(LOG_ERROR, "db %s: %s%s%s", what, state ? state : "", state ? " " : "", clean);
}

static int prepare_all(void)
{
	/* Every statement takes the same index-only shape whatever its parameters; a worker must not
	 * re-plan the ticket list on each request because its first executions happened to vary.
	 * A timestamp as text is ISO ("YYYY-MM-DD HH:MM:SS...") whatever the server's default. */
	trips++;
	PGresult *g = PQexec(conn, "SET plan_cache_mode = force_generic_plan; SET DateStyle = ISO");
	PQclear(g);
	for (size_t i = 0; i < nstmts; i++) {
		trips++;
		PGresult *r = PQprepare(conn, stmts[i]->name, stmts[i]->sql, stmts[i]->nparams, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			log_result_error(stmts[i]->name, r);
			PQclear(r);
			return -1;
		}
		PQclear(r);
	}
	for (size_t i = 0; i < nlistens; i++) {
		char sql[128];
		snprintf(sql, sizeof sql, "LISTEN %s", listens[i]);
		trips++;
		PGresult *r = PQexec(conn, sql);
		PQclear(r);
	}
	return 0;
}

static int connect_now(void)
{
	if (conn)
		PQfinish(conn);
	conn = PQconnectdb(conninfo_saved);
	if (PQstatus(conn) != CONNECTION_OK) {
		log_result_error("connect", NULL);
		PQfinish(conn);
		conn = NULL;
		return -1;
	}
	if (prepare_all() < 0) {
		PQfinish(conn);
		conn = NULL;
		return -1;
	}
	reconnected = 1;
	return 0;
}

int db_connect(const char *conninfo)
{
	free(conninfo_saved);
	conninfo_saved = strdup(conninfo);
	if (!conninfo_saved)
		return -1;
	return connect_now();
}

void db_disconnect(void)
{
	if (conn)
		PQfinish(conn);
	conn = NULL;
	free(conninfo_saved);
	conninfo_saved = NULL;
}

PGconn *db_conn(void)
{
	return conn;
}

static int ensure_conn(void)
{
	if (conn && PQstatus(conn) == CONNECTION_OK)
		return 0;
	if (!conninfo_saved)
		return -1;
	log_msg(LOG_WARN, "db: connection lost, reconnecting");
	return connect_now();
}

static int in_transaction(void)
{
	PGTransactionStatusType t = PQtransactionStatus(conn);
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

PGresult *db_exec(const char *name, int nparams, const char *const *params)
{
	last_sqlstate[0] = '\0';
	if (ensure_conn() < 0)
		return NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		int was_in_tx = in_transaction();
		trips++;
		PGresult *r = PQexecPrepared(conn, name, nparams, params, NULL, NULL, 0);
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
			return r;
		if (PQstatus(conn) == CONNECTION_BAD && attempt == 0 && !was_in_tx) {
			PQclear(r);
			log_msg(LOG_WARN, "db %s: connection broke, reconnecting and retrying once", name);
			if (connect_now() < 0)
				return NULL;
			continue;
		}
		log_result_error(name, r);
		PQclear(r);
		return NULL;
	}
	return NULL;
}

int db_run(const char *name, int nparams, const char *const *params)
{
	PGresult *r = db_exec(name, nparams, params);
	int ok = r != NULL;
	PQclear(r);
	return ok ? 0 : -1;
}

int db_exec_value(const char *name, int nparams, const char *const *params, char *out, size_t cap)
{
	PGresult *r = db_exec(name, nparams, params);
	if (!r)
		return -1;
	int got = PQntuples(r) > 0 && PQnfields(r) > 0;
	if (got && cap)
		snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return got;
}

static int simple(const char *sql)
{
	if (ensure_conn() < 0)
		return -1;
	trips++;
	PGresult *r = PQexec(conn, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		log_result_error(sql, r);
	PQclear(r);
	return ok ? 0 : -1;
}

int db_begin(void)
{
	return simple("BEGIN");
}

int db_commit(void)
{
	if (!conn)
		return -1;
	if (PQtransactionStatus(conn) == PQTRANS_INERROR) {
		simple("ROLLBACK");
		return -1;
	}
	trips++;
	PGresult *r = PQexec(conn, "COMMIT");
	/* COMMIT of a failed transaction answers COMMAND_OK with tag ROLLBACK. */
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0;
	if (!ok)
		log_result_error("COMMIT", r);
	PQclear(r);
	return ok ? 0 : -1;
}

void db_rollback(void)
{
	if (conn && PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE)
		simple("ROLLBACK");
}

void db_request_end(void)
{
	if (!conn)
		return;
	if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE) {
		log_msg(LOG_WARN, "db: request left a transaction open, rolling back");
		simple("ROLLBACK");
	}
}

unsigned long db_round_trips(void)
{
	return trips;
}

const char *db_last_sqlstate(void)
{
	return last_sqlstate;
}

int db_poll_notify(void)
{
	int got = reconnected;
	reconnected = 0;
	if (!conn || PQstatus(conn) != CONNECTION_OK)
		return got;
	if (!PQconsumeInput(conn))
		return 1; /* connection trouble: be safe and reload */
	PGnotify *n;
	while ((n = PQnotifies(conn)) != NULL) {
		got = 1;
		PQfreemem(n);
	}
	return got;
}

const char *db_col(const PGresult *r, int i, const char *name)
{
	int col = r ? PQfnumber(r, name) : -1;
	if (col < 0 || i < 0 || i >= PQntuples(r) || PQgetisnull(r, i, col))
		return "";
	return PQgetvalue(r, i, col);
}

#define DB_BOOLOID 16 /* pg_type.oid of boolean */

struct json_object *db_row_json(PGresult *r, int i)
{
	struct json_object *o = json_object_new_object();
	for (int col = 0; col < PQnfields(r); col++) {
		if (PQgetisnull(r, i, col))
			continue;
		const char *v = PQgetvalue(r, i, col);
		json_object_object_add(o, PQfname(r, col), PQftype(r, col) == DB_BOOLOID
								 ? json_object_new_boolean(v[0] == 't')
								 : json_object_new_string(v));
	}
	return o;
}

struct json_object *db_rows_json(PGresult *r, int n)
{
	struct json_object *a = json_object_new_array();
	int rows = r ? PQntuples(r) : 0;
	if (n < 0 || n > rows)
		n = rows;
	for (int i = 0; i < n; i++)
		json_object_array_add(a, db_row_json(r, i));
	return a;
}

void db_array_item(struct buf *b, const char *s)
{
	if (b->len > 1)
		buf_putc(b, ',');
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}
