/* mailer_db.c - the mail daemon's one PostgreSQL connection: connect and LISTEN, run statements,
 * log and recover from failures (no URL: part of the mailer, see mailer.c). */
#include "mailer.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

void drop_conn(struct mailer *m)
{
	if (m->pg)
		PQfinish(m->pg);
	m->pg = NULL;
}

void mailer_log_pg_error(struct mailer *m, const char *what, const PGresult *r)
{
	char msg[512];
	snprintf(msg, sizeof msg, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(m->pg));
	msg[strcspn(msg, "\n")] = '\0';
	log_msg(LOG_ERROR, "mailer: database %s: %s", what, msg[0] ? msg : "(no message)");
}

void mailer_rollback(struct mailer *m)
{
	if (m->pg && PQtransactionStatus(m->pg) != PQTRANS_IDLE)
		PQclear(PQexec(m->pg, "ROLLBACK"));
}

PGresult *mailer_query(struct mailer *m, const char *what, const char *sql, int n, const char *const *params)
{
	PGresult *r = PQexecParams(m->pg, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	mailer_log_pg_error(m, what, r);
	PQclear(r);
	if (PQstatus(m->pg) != CONNECTION_OK)
		drop_conn(m);
	else
		mailer_rollback(m);
	return NULL;
}

int mailer_command(struct mailer *m, const char *what, const char *sql, int n, const char *const *params)
{
	PGresult *r = mailer_query(m, what, sql, n, params);
	if (!r)
		return -1;
	/* COMMIT of a failed transaction answers with the tag ROLLBACK. */
	int ok = strcmp(sql, "COMMIT") != 0 || strcmp(PQcmdStatus(r), "COMMIT") == 0;
	PQclear(r);
	return ok ? 0 : -1;
}

PGresult *mailer_claim(struct mailer *m, const char *what, const char *sql, int n, const char *const *params,
		       int *rc)
{
	PGresult *r = mailer_command(m, "BEGIN", "BEGIN", 0, NULL) == 0 ? mailer_query(m, what, sql, n, params) : NULL;
	*rc = -1;
	if (r && PQntuples(r) == 0) {
		PQclear(r);
		r = NULL;
		*rc = mailer_command(m, "COMMIT", "COMMIT", 0, NULL);
	}
	return r;
}

static int connect_once(struct mailer *m)
{
	const char *const keys[] = {"application_name", "connect_timeout", "dbname", NULL};
	const char *const vals[] = {"portal-mailer", "10", m->cfg.database, NULL};
	m->pg = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(m->pg) != CONNECTION_OK) {
		if (!m->db_down_logged)
			mailer_log_pg_error(m, "connect", NULL);
		m->db_down_logged = 1;
		drop_conn(m);
		return -1;
	}
	if (mailer_command(m, "LISTEN", "LISTEN mail_outbox", 0, NULL) < 0 ||
	    mailer_command(m, "LISTEN", "LISTEN mail_imap", 0, NULL) < 0) {
		drop_conn(m);
		return -1;
	}
	if (m->db_down_logged)
		log_msg(LOG_INFO, "mailer: database connection restored");
	m->db_down_logged = 0;
	return 0;
}

int connect_db(struct mailer *m)
{
	while (!stop_requested) {
		if (connect_once(m) == 0)
			return 0;
		if (m->once)
			return -1;
		struct timespec second = {1, 0};
		nanosleep(&second, NULL);
	}
	return -1;
}

int notifies_pending(struct mailer *m)
{
	int got = 0;
	PGnotify *n;
	while ((n = PQnotifies(m->pg)) != NULL) {
		got = 1;
		if (strcmp(n->relname, "mail_imap") == 0) /* the console saved an IMAP mailbox */
			m->imap_requested = 1;
		PQfreemem(n);
	}
	return got;
}
