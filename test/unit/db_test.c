/* db_test.c - unit checks for the worker's database connection (lib/db.c) against a real
 * PostgreSQL: a private throwaway cluster (initdb + pg_ctl, a unix socket in a fresh temporary
 * folder, no TCP) made, restarted and stopped by the test itself. Statements prepared from the
 * registered tables, parameters and NULLs, errors with their SQLSTATE, transactions, LISTEN, and
 * what happens when the server goes away and comes back. As root (CI) the cluster runs as the
 * postgres user (initdb refuses root), like nginx/stack.sh does. PG_BINDIR overrides where
 * initdb and pg_ctl are found (default: the newest /usr/lib/postgresql/<version>/bin). */
#include <errno.h>
#include <glob.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "log.h"

static char dir[64] = "";       /* the cluster's folder: data/, the socket, the logs */
static char bindir[256] = "";   /* where initdb and pg_ctl are */
static const char *as_pg = "";  /* "runuser -u postgres -- " when running as root */
static int running;             /* the server was started and not stopped by us */
static char conninfo[256];
static PGconn *admin;           /* the test's own connection, for setting up and looking */

/* Run a shell command; 0 when it exited 0. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int find_bindir(void)
{
	const char *env = getenv("PG_BINDIR");
	if (env && *env) {
		snprintf(bindir, sizeof bindir, "%s", env);
		return 0;
	}
	glob_t g;
	if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		globfree(&g);
		return -1;
	}
	/* the highest version number */
	size_t best = 0;
	for (size_t i = 1; i < g.gl_pathc; i++)
		if (atof(g.gl_pathv[i] + strlen("/usr/lib/postgresql/")) >
		    atof(g.gl_pathv[best] + strlen("/usr/lib/postgresql/")))
			best = i;
	snprintf(bindir, sizeof bindir, "%.*s", (int)(strlen(g.gl_pathv[best]) - strlen("/initdb")),
		 g.gl_pathv[best]);
	globfree(&g);
	return 0;
}

static int pg_ctl(const char *action)
{
	if (strcmp(action, "stop") == 0)
		return sh("%s%s/pg_ctl -D %s/data -m fast -w stop >>%s/pg_ctl.log 2>&1", as_pg, bindir, dir, dir);
	return sh("%s%s/pg_ctl -D %s/data -w -t 30 -l %s/server.log -o \"-c listen_addresses='' "
		  "-c unix_socket_directories='%s' -c fsync=off -c full_page_writes=off\" %s%s >>%s/pg_ctl.log 2>&1",
		  as_pg, bindir, dir, dir, dir, action, strcmp(action, "restart") == 0 ? " -m fast" : "", dir);
}

static void cluster_remove(void)
{
	if (running)
		pg_ctl("stop");
	running = 0;
	if (dir[0]) {
		sh("rm -rf '%s'", dir);
		dir[0] = '\0';
	}
}

static int cluster_make(void)
{
	if (find_bindir() < 0) {
		fprintf(stderr, "FAIL no PostgreSQL server found (/usr/lib/postgresql/*/bin/initdb; set PG_BINDIR)\n");
		return -1;
	}
	snprintf(dir, sizeof dir, "/tmp/db-test-XXXXXX");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "FAIL mkdtemp: %s\n", strerror(errno));
		dir[0] = '\0';
		return -1;
	}
	if (geteuid() == 0) {
		/* initdb refuses to run as root: the postgres user owns the cluster, as in stack.sh */
		struct passwd *pw = getpwnam("postgres");
		if (!pw || chown(dir, pw->pw_uid, pw->pw_gid) != 0) {
			fprintf(stderr, "FAIL running as root needs the postgres user to own %s\n", dir);
			return -1;
		}
		as_pg = "runuser -u postgres -- ";
	}
	/* trust on a socket in a folder only its owner (and root) can enter */
	if (sh("%s%s/initdb -D %s/data -A trust -U postgres -E UTF8 --locale=C -N >%s/initdb.log 2>&1",
	       as_pg, bindir, dir, dir) != 0) {
		sh("cat %s/initdb.log >&2", dir);
		return -1;
	}
	if (pg_ctl("start") != 0) {
		sh("cat %s/server.log >&2", dir);
		return -1;
	}
	running = 1;
	snprintf(conninfo, sizeof conninfo, "host=%s dbname=postgres user=postgres connect_timeout=10", dir);
	return 0;
}

/* The test's own connection (made again after a restart); one value of a query, into out. */
static const char *look(const char *sql, char *out, size_t cap)
{
	PGresult *r = admin ? PQexec(admin, sql) : NULL;
	if (!admin || PQstatus(admin) != CONNECTION_OK) {
		PQclear(r);
		PQfinish(admin);
		admin = PQconnectdb(conninfo);
		r = PQexec(admin, sql);
	}
	snprintf(out, cap, "%s", PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0)
				  : PQresultStatus(r) == PGRES_COMMAND_OK ? "ok"
									   : "(error)");
	if (strcmp(out, "(error)") == 0)
		fprintf(stderr, "look: %s: %s", sql, PQerrorMessage(admin));
	PQclear(r);
	return out;
}

static char logpath[128];

/* 1 when the log holds a line with text. */
static int logged(const char *text)
{
	FILE *f = fopen(logpath, "r");
	if (!f)
		return 0;
	char line[4096];
	int found = 0;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

static const struct db_stmt stmts[] = {
	{"t_echo", "SELECT $1::text", 1},
	{"t_array", "SELECT array_length($1::text[], 1) || ':' || ($1::text[])[$2::int]", 2},
	{"t_add", "SELECT $1::int + $2::int", 2},
	{"t_is_null", "SELECT $1::text IS NULL", 1},
	{"t_none", "SELECT 1 WHERE false", 0},
	{"t_insert", "INSERT INTO notes (body) VALUES ($1) RETURNING id", 1},
	{"t_count", "SELECT count(*) FROM notes WHERE body = $1", 1},
	{"t_divide", "SELECT 1 / $1::int", 1},
	{"t_unique", "INSERT INTO keys (k) VALUES ($1)", 1},
	{"t_plan", "SELECT current_setting('plan_cache_mode')", 0},
	{"t_backend", "SELECT pg_backend_pid()", 0},
	{NULL, NULL, 0},
};
static const struct db_stmt more[] = {
	{"t_notify", "SELECT pg_notify('db_test', $1)", 1},
	{NULL, NULL, 0},
};

static const char *value(const char *name, int n, const char *const *p)
{
	static char out[256];
	int got = db_exec_value(name, n, p, out, sizeof out);
	return got == 1 ? out : got == 0 ? "(no row)" : "(error)";
}

static int count(const char *body)
{
	const char *p[1] = {body};
	return atoi(value("t_count", 1, p));
}

static void test_statements(void)
{
	const char *p[2];
	p[0] = "h\xc3\xa9llo 'quoted' \"x\"; DROP TABLE notes";
	CHECK_STR(value("t_echo", 1, p), p[0]); /* a parameter is data, never SQL */
	p[0] = "40";
	p[1] = "2";
	CHECK_STR(value("t_add", 2, p), "42");
	p[0] = NULL;
	CHECK_STR(value("t_is_null", 1, p), "t"); /* a NULL parameter is SQL NULL */
	p[0] = "";
	CHECK_STR(value("t_is_null", 1, p), "f");
	CHECK_STR(value("t_none", 0, NULL), "(no row)");
	/* db_exec: the result, rows and columns */
	p[0] = "abc";
	PGresult *r = db_exec("t_echo", 1, p);
	CHECK(r != NULL);
	if (r) {
		CHECK_INT(PQresultStatus(r), PGRES_TUPLES_OK);
		CHECK_INT(PQntuples(r), 1);
		CHECK_STR(PQgetvalue(r, 0, 0), "abc");
		PQclear(r);
	}
	r = db_exec("t_none", 0, NULL);
	CHECK(r && PQntuples(r) == 0);
	PQclear(r);
	/* a value longer than the buffer is cut, NUL-terminated */
	char small[4] = "zzz";
	p[0] = "abcdef";
	CHECK_INT(db_exec_value("t_echo", 1, p, small, sizeof small), 1);
	CHECK_STR(small, "abc");
	/* db_array_item: items of a text[] literal arrive as they were, quotes and all */
	struct buf b = BUF_INIT;
	buf_puts(&b, "{");
	db_array_item(&b, "a,b");
	db_array_item(&b, "say \"hi\" \\ {x}");
	db_array_item(&b, "");
	buf_puts(&b, "}");
	p[0] = b.data;
	p[1] = "2";
	CHECK_STR(value("t_array", 2, p), "3:say \"hi\" \\ {x}");
	p[1] = "1";
	CHECK_STR(value("t_array", 2, p), "3:a,b");
	buf_free(&b);
	/* every connection plans each statement once, generically */
	CHECK_STR(value("t_plan", 0, NULL), "force_generic_plan");
}

static void test_errors(void)
{
	const char *p[1] = {"0"};
	CHECK(db_exec("t_divide", 1, p) == NULL);
	CHECK_STR(db_last_sqlstate(), "22012"); /* division_by_zero */
	CHECK(logged("db t_divide: 22012"));
	CHECK_INT(db_exec_value("t_divide", 1, p, NULL, 0), -1);
	p[0] = "2";
	CHECK_STR(value("t_divide", 1, p), "0");
	CHECK_STR(db_last_sqlstate(), ""); /* cleared by the next statement */
	p[0] = "once";
	PGresult *r = db_exec("t_unique", 1, p);
	CHECK(r != NULL);
	PQclear(r);
	CHECK(db_exec("t_unique", 1, p) == NULL); /* the same key again */
	CHECK_STR(db_last_sqlstate(), "23505");
	/* a statement never registered */
	CHECK(db_exec("t_no_such_statement", 0, NULL) == NULL);
	CHECK_STR(db_last_sqlstate(), "26000"); /* invalid_sql_statement_name */
}

static void test_transactions(void)
{
	const char *p[1];
	char buf[64];
	/* rolled back: gone */
	p[0] = "rolled back";
	CHECK_INT(db_begin(), 0);
	PQclear(db_exec("t_insert", 1, p));
	CHECK_INT(count("rolled back"), 1); /* visible inside */
	CHECK_STR(look("SELECT count(*) FROM notes WHERE body = 'rolled back'", buf, sizeof buf), "0");
	db_rollback();
	CHECK_INT(PQtransactionStatus(db_conn()), PQTRANS_IDLE);
	CHECK_INT(count("rolled back"), 0);
	/* committed: there for everyone */
	p[0] = "committed";
	CHECK_INT(db_begin(), 0);
	PQclear(db_exec("t_insert", 1, p));
	CHECK_INT(db_commit(), 0);
	CHECK_STR(look("SELECT count(*) FROM notes WHERE body = 'committed'", buf, sizeof buf), "1");
	/* a failed statement spoils the transaction: commit answers -1, the earlier insert is gone */
	p[0] = "before the failure";
	CHECK_INT(db_begin(), 0);
	PQclear(db_exec("t_insert", 1, p));
	const char *zero[1] = {"0"};
	CHECK(db_exec("t_divide", 1, zero) == NULL);
	CHECK_INT(db_commit(), -1);
	CHECK_INT(PQtransactionStatus(db_conn()), PQTRANS_IDLE);
	CHECK_INT(count("before the failure"), 0);
	/* a handler that leaves a transaction open: the request's end rolls it back (logged) */
	p[0] = "left open";
	CHECK_INT(db_begin(), 0);
	PQclear(db_exec("t_insert", 1, p));
	db_request_end();
	CHECK_INT(PQtransactionStatus(db_conn()), PQTRANS_IDLE);
	CHECK_INT(count("left open"), 0);
	CHECK(logged("request left a transaction open"));
	db_request_end(); /* nothing open: nothing happens */
	db_rollback();
	CHECK_INT(PQtransactionStatus(db_conn()), PQTRANS_IDLE);
}

/* Poll for a NOTIFY for up to two seconds. */
static int notified(void)
{
	double until = now() + 2;
	while (now() < until) {
		if (db_poll_notify())
			return 1;
		usleep(10000);
	}
	return 0;
}

static void test_listen(void)
{
	char buf[64];
	CHECK_INT(db_poll_notify(), 1); /* the first poll after a connect: notifies may have been missed */
	CHECK_INT(db_poll_notify(), 0);
	CHECK_INT(db_listen("db_test"), 0);
	CHECK_STR(look("NOTIFY db_test, 'one'", buf, sizeof buf), "ok");
	CHECK_INT(notified(), 1);
	CHECK_INT(db_poll_notify(), 0); /* consumed */
	CHECK_STR(look("NOTIFY other_channel", buf, sizeof buf), "ok");
	usleep(100000);
	CHECK_INT(db_poll_notify(), 0); /* not listened to */
	/* the worker's own NOTIFY reaches it too */
	const char *p[1] = {"two"};
	PQclear(db_exec("t_notify", 1, p));
	CHECK_INT(notified(), 1);
}

static void test_restart(void)
{
	char before[32], buf[64];
	snprintf(before, sizeof before, "%s", value("t_backend", 0, NULL));
	CHECK_INT(pg_ctl("restart"), 0);
	/* the next statement finds the connection broken, reconnects, prepares again, retries once */
	const char *p[1] = {"after a restart"};
	CHECK_STR(value("t_echo", 1, p), "after a restart");
	CHECK(strcmp(value("t_backend", 0, NULL), before) != 0);
	CHECK(logged("connection broke, reconnecting and retrying once"));
	CHECK_STR(value("t_plan", 0, NULL), "force_generic_plan");
	/* a reconnect may have lost notifies: the next poll says so; LISTEN is back on */
	CHECK_INT(db_poll_notify(), 1);
	CHECK_INT(db_poll_notify(), 0);
	CHECK_STR(look("NOTIFY db_test, 'three'", buf, sizeof buf), "ok");
	CHECK_INT(notified(), 1);

	/* broken inside a transaction: not retried (the transaction is lost), reported; the next
	 * statement outside one reconnects */
	p[0] = "in a broken transaction";
	CHECK_INT(db_begin(), 0);
	PQclear(db_exec("t_insert", 1, p));
	CHECK_INT(pg_ctl("restart"), 0);
	CHECK(db_exec("t_insert", 1, p) == NULL);
	CHECK_INT(db_commit(), -1);
	db_rollback();
	CHECK_INT(count("in a broken transaction"), 0);
	CHECK_STR(look("SELECT count(*) FROM notes WHERE body = 'in a broken transaction'", buf, sizeof buf), "0");

	/* the server down: errors, not crashes; back up: the next call works again */
	CHECK_INT(pg_ctl("stop"), 0);
	running = 0;
	p[0] = "while down";
	CHECK(db_exec("t_echo", 1, p) == NULL);
	CHECK_INT(db_exec_value("t_echo", 1, p, NULL, 0), -1);
	CHECK_INT(db_begin(), -1);
	CHECK_INT(db_commit(), -1);
	db_rollback();
	db_request_end();
	CHECK(logged("db connect:"));
	CHECK_INT(pg_ctl("start"), 0);
	running = 1;
	p[0] = "up again";
	CHECK_STR(value("t_echo", 1, p), "up again");
	CHECK_INT(db_poll_notify(), 1);
}

int main(void)
{
	double t0 = now();
	if (cluster_make() < 0) {
		cluster_remove();
		check_failed++;
		return CHECK_DONE("db");
	}
	snprintf(logpath, sizeof logpath, "%s/db.log", dir);
	log_open(logpath, LOG_DEBUG);
	char buf[64];
	/* the tables the statements need exist before the first connect (they are prepared then) */
	CHECK_STR(look("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)", buf, sizeof buf), "ok");
	CHECK_STR(look("CREATE TABLE keys (k text PRIMARY KEY)", buf, sizeof buf), "ok");

	CHECK_INT(db_register(stmts), 0);
	CHECK_INT(db_register(more), 0);
	CHECK(db_conn() == NULL);
	/* no server there: -1, logged */
	char nowhere[128];
	snprintf(nowhere, sizeof nowhere, "host=%s/nowhere dbname=postgres user=postgres connect_timeout=2", dir);
	CHECK_INT(db_connect(nowhere), -1);
	CHECK(db_conn() == NULL);
	CHECK(logged("db connect:"));

	CHECK_INT(db_connect(conninfo), 0);
	CHECK(db_conn() != NULL && PQstatus(db_conn()) == CONNECTION_OK);
	/* every registered statement is prepared on connect */
	PGresult *r = PQexec(db_conn(), "SELECT string_agg(name, ',' ORDER BY name) FROM pg_prepared_statements");
	CHECK_STR(PQgetvalue(r, 0, 0), "t_add,t_array,t_backend,t_count,t_divide,t_echo,t_insert,t_is_null,t_none,t_notify,t_plan,t_unique");
	PQclear(r);

	test_statements();
	test_errors();
	test_transactions();
	test_listen();
	test_restart();

	db_disconnect();
	CHECK(db_conn() == NULL);
	const char *p[1] = {"x"};
	CHECK(db_exec("t_echo", 1, p) == NULL); /* no connection and nothing to reconnect to */
	CHECK_INT(db_begin(), -1);

	/* a statement that does not prepare makes the connect fail at once, logged */
	static const struct db_stmt broken[] = {{"t_broken", "SELECT * FROM no_such_table", 0}, {NULL, NULL, 0}};
	CHECK_INT(db_register(broken), 0);
	CHECK_INT(db_connect(conninfo), -1);
	CHECK(db_conn() == NULL);
	CHECK(logged("db t_broken: 42P01"));
	db_disconnect();

	PQfinish(admin);
	admin = NULL;
	log_close();
	cluster_remove();
	double took = now() - t0;
	if (took > 5)
		fprintf(stderr, "note: db_test took %.1f s\n", took);
	return CHECK_DONE("db");
}
