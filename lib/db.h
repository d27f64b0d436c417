/* db.h - the worker's one PostgreSQL connection: prepared statements, reconnect, error logging. */
#ifndef PORTAL_DB_H
#define PORTAL_DB_H

#include <json-c/json.h>
#include <libpq-fe.h>
#include <stddef.h>

#include "buf.h"

/* A named statement, prepared on every (re)connect. Pages declare theirs in arrays. */
struct db_stmt {
	const char *name;
	const char *sql;
	int nparams;
};

/*
 * Design: one connection per worker process (one request at a time, no threads). Statements
 * are registered once at start-up and prepared right after every connect, so a restarted
 * PostgreSQL costs one reconnect on the next request. A statement that fails because the
 * connection broke is retried once after reconnecting, but only outside a transaction.
 * db_request_end() rolls back a transaction a handler left open or failed.
 */
int db_register(const struct db_stmt *stmts); /* array ends with {NULL}; before db_connect */
int db_connect(const char *conninfo);                   /* 0 or -1 (logged) */
void db_disconnect(void);
PGconn *db_conn(void);

/* Run a prepared statement. params may hold NULLs (SQL NULL). Returns a result with status
 * TUPLES_OK or COMMAND_OK, or NULL after logging the error. Free with PQclear. */
PGresult *db_exec(const char *name, int nparams, const char *const *params);
/* Same, for a statement whose rows (if any) do not matter: 0, or -1 after logging the error. */
int db_run(const char *name, int nparams, const char *const *params);
/* Same, text only: 1 row expected; copies column 0 of row 0 into out (NUL-terminated).
 * Returns 1 if a row came, 0 if none, -1 on error. */
int db_exec_value(const char *name, int nparams, const char *const *params, char *out, size_t cap);

/* Row i's value of the column named name (name columns with AS): "" when r has no such column or
 * row, or the value is NULL. */
const char *db_col(const PGresult *r, int i, const char *name);

/* Row i of r as a JSON object keyed by column name (name columns with AS in the statement): a
 * boolean column as true/false, every other as its text; NULL columns are left out. */
struct json_object *db_row_json(PGresult *r, int i);
/* Rows [0, n) of r as an array of db_row_json objects (n < 0: every row). */
struct json_object *db_rows_json(PGresult *r, int n);

/* Append s as one quoted item to a PostgreSQL array literal being built in b (b holds "{" so far,
 * or "{" and items; the caller closes it with "}"), for a text[] parameter. */
void db_array_item(struct buf *b, const char *s);

int db_begin(void);
int db_commit(void); /* 0 on success; -1 (rolled back, logged) otherwise */
void db_rollback(void);
void db_request_end(void);
/* Statements sent to the server so far (every PQexec, PQprepare, PQexecPrepared): a request's
 * round trips are the difference across it. */
unsigned long db_round_trips(void);
/* SQLSTATE of the last failed statement ("" when none), e.g. "23505" for unique violation. */
const char *db_last_sqlstate(void);

/* LISTEN channel on every connect; db_poll_notify() returns 1 if a NOTIFY arrived on any
 * listened channel since the last call (or a reconnect happened, as notifies may be lost). */
int db_listen(const char *channel);
int db_poll_notify(void);

#endif
