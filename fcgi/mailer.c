/* mailer.c - the mail daemon: drains mail_outbox through SMTP (or .eml files), woken by NOTIFY. */
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <libpq-fe.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "i18n.h"
#include "invitations.h"
#include "log.h"
#include "mail.h"

#define BATCH 20           /* messages per pass before looking at signals and notifies again */
#define WAIT_MAX_MS 60000  /* longest sleep without a NOTIFY */
#define BACKOFF_CAP 3600   /* seconds between attempts of one message, at most */
#define PAUSE_CAP 300      /* seconds the whole queue waits for an unreachable server, at most */
#define UNRECORDED_MAX 64

/*
 * Design: one connection, one short transaction per message: claim the oldest due row with
 * FOR UPDATE SKIP LOCKED (several mailers may run), send it while holding the row lock, record
 * the outcome, COMMIT. A message is marked sent only after the server accepted it; if the
 * mailer dies between the two it goes out twice (at-least-once). If only the COMMIT fails
 * (PostgreSQL restarting), the id is remembered and marked sent after reconnecting, and is not
 * sent again meanwhile. When the server cannot be reached, the whole queue pauses (backoff)
 * instead of trying every due message in turn; SIGUSR1 ends the pause and makes deferred mail
 * due at once.
 */
struct mailer {
	struct config cfg;
	const char *config_path;
	int once;
	int retry_base;   /* seconds; the n-th retry waits retry_base * 2^(n-1) */
	int max_attempts; /* then status 'failed' */
	char mail_dir[PATH_MAX];
	PGconn *pg;
	int db_down_logged;
	struct timespec pause_until; /* CLOCK_MONOTONIC; no SMTP attempts before */
	int server_failures;         /* consecutive, for the pause */
	long unrecorded[UNRECORDED_MAX];
	size_t nunrecorded;
	struct tmpl_set *templates; /* email templates, for list invitations */
	struct invite_ctx invite;
};

struct row {
	long id;
	int attempts;
	const char *to, *subject, *text, *html;
};

static volatile sig_atomic_t stop_requested, flush_requested;

static const char SQL_CLAIM[] =
	"SELECT id, to_address, subject, body_text, body_html, attempts FROM mail_outbox"
	" WHERE status = 'queued' AND next_attempt_at <= now() AND id <> ALL($1::bigint[])"
	" ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED";
static const char SQL_SENT[] =
	"UPDATE mail_outbox SET status = 'sent', sent_at = clock_timestamp(),"
	" attempts = attempts + 1, last_error = NULL WHERE id = $1 AND status = 'queued'";
static const char SQL_RETRY[] =
	"UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2,"
	" next_attempt_at = clock_timestamp() + $3::int * interval '1 second' WHERE id = $1";
static const char SQL_FAILED[] =
	"UPDATE mail_outbox SET status = 'failed', attempts = attempts + 1, last_error = $2"
	" WHERE id = $1";
static const char SQL_FLUSH[] =
	"UPDATE mail_outbox SET next_attempt_at = now()"
	" WHERE status = 'queued' AND next_attempt_at > now()";
static const char SQL_NEXT[] =
	"SELECT ceil(1000 * EXTRACT(EPOCH FROM min(next_attempt_at) - clock_timestamp()))::bigint"
	" FROM mail_outbox WHERE status = 'queued' AND id <> ALL($1::bigint[])";

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		flush_requested = 1;
	else
		stop_requested = 1;
}

static void setup_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART; /* pselect() and nanosleep() still return early */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long pause_left_ms(const struct mailer *m)
{
	long until = (long)m->pause_until.tv_sec * 1000 + m->pause_until.tv_nsec / 1000000;
	long left = until - now_ms();
	return left > 0 ? left : 0;
}

/* ---- start-up ---- */

static int json_int(struct json_object *o, const char *key, int *dst, int lo, int hi)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int(v) < lo ||
	    json_object_get_int(v) > hi) {
		fprintf(stderr, "mailer: config mail.%s must be an integer from %d to %d\n", key, lo,
			hi);
		return -1;
	}
	*dst = json_object_get_int(v);
	return 0;
}

/* The "mail" section, which struct config does not carry: retry_base_seconds, max_attempts. */
static int read_mail_options(struct mailer *m)
{
	m->retry_base = 30;
	m->max_attempts = 10;
	struct json_object *root = json_object_from_file(m->config_path), *mail;
	int rc = 0;
	if (root && json_object_object_get_ex(root, "mail", &mail) &&
	    json_object_is_type(mail, json_type_object))
		rc = json_int(mail, "retry_base_seconds", &m->retry_base, 1, BACKOFF_CAP) |
		     json_int(mail, "max_attempts", &m->max_attempts, 1, 1000);
	json_object_put(root);
	return rc;
}

static int parse_args(struct mailer *m, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0) {
			m->once = 1;
		} else {
			fprintf(stderr, "usage: %s [--once]\n"
					"  Delivers mail_outbox; config from PORTAL_CONFIG.\n"
					"  --once  deliver what is due now, then exit\n"
					"  SIGTERM/SIGINT: finish the current message and exit 0\n"
					"  SIGUSR1: retry deferred mail now\n",
				argv[0]);
			return -1;
		}
	}
	const char *path = getenv("PORTAL_CONFIG");
	m->config_path = path && *path ? path : "var/portal.json";
	return 0;
}

static int prepare_mail_dir(struct mailer *m)
{
	if (mkdir(m->cfg.mail_dir, 0750) < 0 && errno != EEXIST) {
		fprintf(stderr, "mailer: cannot create %s: %s\n", m->cfg.mail_dir, strerror(errno));
		return -1;
	}
	if (!realpath(m->cfg.mail_dir, m->mail_dir)) {
		fprintf(stderr, "mailer: %s: %s\n", m->cfg.mail_dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int check_smtp_config(const struct mailer *m)
{
	char addr[256];
	if (mail_bare_address(m->cfg.smtp_from, addr, sizeof addr) < 0) {
		fprintf(stderr, "mailer: config smtp.from is not \"Name <local@domain>\"\n");
		return -1;
	}
	if (m->cfg.smtp_url[0] && strncmp(m->cfg.smtp_url, "smtp://", 7) != 0 &&
	    strncmp(m->cfg.smtp_url, "smtps://", 8) != 0) {
		fprintf(stderr, "mailer: config smtp.url must be \"\", smtp://… or smtps://…\n");
		return -1;
	}
	return 0;
}

static void announce(const struct mailer *m)
{
	char shown[512];
	if (m->cfg.smtp_url[0]) {
		mail_url_display(m->cfg.smtp_url, shown, sizeof shown);
		printf("mailer: delivering through %s\n", shown);
		log_msg(LOG_INFO, "mailer: started, delivering through %s (retry base %d s, %d attempts)",
			shown, m->retry_base, m->max_attempts);
	} else {
		printf("mailer: no SMTP configured, writing mail to %s\n", m->mail_dir);
		log_msg(LOG_INFO, "mailer: started, no SMTP configured, writing mail to %s",
			m->mail_dir);
	}
	fflush(stdout);
}

static int setup(struct mailer *m)
{
	char err[512];
	if (config_load(&m->cfg, m->config_path, err, sizeof err) < 0) {
		err[strcspn(err, "\n")] = '\0';
		fprintf(stderr, "mailer: config: %s\n", err);
		return -1;
	}
	if (read_mail_options(m) < 0 || check_smtp_config(m) < 0)
		return -1;
	if (!m->cfg.smtp_url[0] && prepare_mail_dir(m) < 0)
		return -1;
	if (log_open(m->cfg.log_file, log_level_parse(m->cfg.log_level)) < 0) {
		fprintf(stderr, "mailer: cannot open log %s: %s\n", m->cfg.log_file, strerror(errno));
		return -1;
	}
	char i18n_dir[600];
	snprintf(i18n_dir, sizeof i18n_dir, "%s/i18n", m->cfg.templates_dir);
	m->templates = tmpl_set_new();
	if (!m->templates || tmpl_set_load_dir(m->templates, m->cfg.templates_dir, err, sizeof err) < 0 ||
	    i18n_load(i18n_dir, err, sizeof err) < 0) {
		fprintf(stderr, "mailer: templates: %s\n", err);
		return -1;
	}
	m->invite.templates = m->templates;
	m->invite.link_scheme = m->cfg.link_scheme;
	m->invite.link_port = m->cfg.link_port;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "mailer: curl_global_init failed\n");
		return -1;
	}
	setup_signals();
	announce(m);
	return 0;
}

/* ---- database ---- */

static void drop_conn(struct mailer *m)
{
	if (m->pg)
		PQfinish(m->pg);
	m->pg = NULL;
}

static void log_pg_error(struct mailer *m, const char *what, const PGresult *r)
{
	char msg[512];
	snprintf(msg, sizeof msg, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(m->pg));
	msg[strcspn(msg, "\n")] = '\0';
	log_msg(LOG_ERROR, "mailer: database %s: %s", what, msg[0] ? msg : "(no message)");
}

/* A statement's result, or NULL (logged; the connection is dropped if it broke). */
static PGresult *query(struct mailer *m, const char *what, const char *sql, int n,
		       const char *const *params)
{
	PGresult *r = PQexecParams(m->pg, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	log_pg_error(m, what, r);
	PQclear(r);
	if (PQstatus(m->pg) != CONNECTION_OK)
		drop_conn(m);
	else if (PQtransactionStatus(m->pg) != PQTRANS_IDLE)
		PQclear(PQexec(m->pg, "ROLLBACK"));
	return NULL;
}

static int command(struct mailer *m, const char *what, const char *sql, int n,
		   const char *const *params)
{
	PGresult *r = query(m, what, sql, n, params);
	if (!r)
		return -1;
	/* COMMIT of a failed transaction answers with the tag ROLLBACK. */
	int ok = strcmp(sql, "COMMIT") != 0 || strcmp(PQcmdStatus(r), "COMMIT") == 0;
	PQclear(r);
	return ok ? 0 : -1;
}

static int connect_once(struct mailer *m)
{
	const char *const keys[] = {"application_name", "connect_timeout", "dbname", NULL};
	const char *const vals[] = {"portal-mailer", "10", m->cfg.database, NULL};
	m->pg = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(m->pg) != CONNECTION_OK) {
		if (!m->db_down_logged)
			log_pg_error(m, "connect", NULL);
		m->db_down_logged = 1;
		drop_conn(m);
		return -1;
	}
	if (command(m, "LISTEN", "LISTEN mail_outbox", 0, NULL) < 0) {
		drop_conn(m);
		return -1;
	}
	if (m->db_down_logged)
		log_msg(LOG_INFO, "mailer: database connection restored");
	m->db_down_logged = 0;
	return 0;
}

/* Connect, retrying every second until it works or a signal asks to stop (--once: one try). */
static int connect_db(struct mailer *m)
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

/* "{1,2}": the ids accepted by the server whose status is not committed yet. */
static void unrecorded_array(const struct mailer *m, char *out, size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, "{");
	for (size_t i = 0; i < m->nunrecorded && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%ld", i ? "," : "", m->unrecorded[i]);
	if (o < cap)
		snprintf(out + o, cap - o, "}");
}

static void record_unrecorded(struct mailer *m)
{
	while (m->nunrecorded && m->pg) {
		char id[24];
		snprintf(id, sizeof id, "%ld", m->unrecorded[m->nunrecorded - 1]);
		const char *p[] = {id};
		if (command(m, "mark sent", SQL_SENT, 1, p) < 0)
			return;
		log_msg(LOG_INFO, "mailer: recorded %s as sent after reconnecting", id);
		m->nunrecorded--;
	}
}

static int notifies_pending(struct mailer *m)
{
	int got = 0;
	PGnotify *n;
	while ((n = PQnotifies(m->pg)) != NULL) {
		got = 1;
		PQfreemem(n);
	}
	return got;
}

/* ---- one message ---- */

static void ascii_only(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static int deliver(struct mailer *m, const struct row *r, char *err, size_t errlen)
{
	struct buf msg = BUF_INIT;
	int res;
	if (mail_compose(&msg, m->cfg.smtp_from, r->to, r->subject, r->text, r->html, NULL, r->id) <
	    0) {
		snprintf(err, errlen, "cannot compose: invalid recipient address or header");
		res = MAIL_PERMFAIL;
	} else if (m->cfg.smtp_url[0]) {
		res = mail_send_smtp(m->cfg.smtp_url, m->cfg.smtp_user, m->cfg.smtp_password,
				     m->cfg.smtp_from, r->to, &msg, err, errlen);
	} else {
		char path[PATH_MAX + 32];
		res = mail_write_eml(m->mail_dir, r->id, &msg, path, sizeof path) == 0 ? MAIL_SENT
											: MAIL_TEMPFAIL;
		if (res == MAIL_SENT)
			log_msg(LOG_INFO, "mailer: wrote %s", path);
		else
			snprintf(err, errlen, "cannot write %.300s: %s", path, strerror(errno));
	}
	buf_free(&msg);
	ascii_only(err);
	return res;
}

/* Server unreachable (no reply, 421, 53x authentication): pause the queue, doubling each time.
 * A 45x concerns one message (greylisting, mailbox busy) and leaves the others alone. */
static void note_server_state(struct mailer *m, int res, const char *err)
{
	if (res != MAIL_TEMPFAIL || strncmp(err, "SMTP 45", 7) == 0) {
		m->server_failures = 0;
		return;
	}
	long secs = m->retry_base;
	for (int i = 1; i < m->server_failures && secs < PAUSE_CAP; i++)
		secs *= 2;
	secs = secs < PAUSE_CAP ? secs : PAUSE_CAP;
	m->server_failures++;
	clock_gettime(CLOCK_MONOTONIC, &m->pause_until);
	m->pause_until.tv_sec += secs;
	log_msg(LOG_WARN, "mailer: pausing delivery for %ld s", secs);
}

static long backoff_seconds(const struct mailer *m, int attempts)
{
	long secs = m->retry_base;
	for (int i = 0; i < attempts && secs < BACKOFF_CAP; i++)
		secs *= 2;
	return secs < BACKOFF_CAP ? secs : BACKOFF_CAP;
}

/* The UPDATE for the outcome; the caller commits. */
static int record(struct mailer *m, const struct row *r, int res, const char *err)
{
	char id[24], secs[24], why[600];
	snprintf(id, sizeof id, "%ld", r->id);
	int tries = r->attempts + 1;
	if (res == MAIL_SENT) {
		if (m->cfg.smtp_url[0]) /* else deliver() logged the file */
			log_msg(LOG_INFO, "mailer: sent %s to %s (attempt %d)", id, r->to, tries);
		const char *p[] = {id};
		return command(m, "mark sent", SQL_SENT, 1, p);
	}
	if (res == MAIL_TEMPFAIL && tries < m->max_attempts) {
		long s = backoff_seconds(m, r->attempts);
		snprintf(secs, sizeof secs, "%ld", s);
		log_msg(LOG_WARN, "mailer: %s to %s deferred %ld s (attempt %d of %d): %s", id, r->to,
			s, tries, m->max_attempts, err);
		const char *p[] = {id, err, secs};
		return command(m, "defer", SQL_RETRY, 3, p);
	}
	if (res == MAIL_TEMPFAIL)
		snprintf(why, sizeof why, "gave up after %d attempts: %s", tries, err);
	else
		snprintf(why, sizeof why, "%s", err);
	log_msg(LOG_ERROR, "mailer: %s to %s failed: %s", id, r->to, why);
	const char *p[] = {id, why};
	return command(m, "mark failed", SQL_FAILED, 2, p);
}

static void read_row(const PGresult *q, struct row *r)
{
	r->id = atol(PQgetvalue(q, 0, 0));
	r->to = PQgetvalue(q, 0, 1);
	r->subject = PQgetvalue(q, 0, 2);
	r->text = PQgetvalue(q, 0, 3);
	r->html = PQgetisnull(q, 0, 4) ? NULL : PQgetvalue(q, 0, 4);
	r->attempts = atoi(PQgetvalue(q, 0, 5));
}

/* Claim, send and record one due message in its own transaction: 1 done, 0 none due, -1 error. */
static int process_one(struct mailer *m)
{
	char skip[UNRECORDED_MAX * 24 + 4], err[512] = "";
	unrecorded_array(m, skip, sizeof skip);
	const char *p[] = {skip};
	if (command(m, "BEGIN", "BEGIN", 0, NULL) < 0)
		return -1;
	PGresult *q = query(m, "claim", SQL_CLAIM, 1, p);
	if (!q)
		return -1;
	if (PQntuples(q) == 0) {
		PQclear(q);
		return command(m, "COMMIT", "COMMIT", 0, NULL);
	}
	struct row r;
	read_row(q, &r);
	int res = deliver(m, &r, err, sizeof err);
	int ok = record(m, &r, res, err) == 0 && command(m, "COMMIT", "COMMIT", 0, NULL) == 0;
	note_server_state(m, res, err);
	if (!ok && m->pg && PQtransactionStatus(m->pg) != PQTRANS_IDLE)
		PQclear(PQexec(m->pg, "ROLLBACK"));
	if (!ok && res == MAIL_SENT && m->nunrecorded < UNRECORDED_MAX)
		m->unrecorded[m->nunrecorded++] = r.id;
	PQclear(q);
	return ok ? 1 : -1;
}

/* Up to BATCH due messages. Returns how many, or -1; *more says the batch was full. */
static int drain(struct mailer *m, int *more)
{
	int n = 0;
	*more = 0;
	while (n < BATCH && !stop_requested && m->pg && pause_left_ms(m) == 0 &&
	       m->nunrecorded < UNRECORDED_MAX) {
		int r = process_one(m);
		if (r < 0)
			return -1;
		if (r == 0)
			return n;
		n++;
	}
	*more = n == BATCH;
	return n;
}

/* ---- waiting ---- */

/* Milliseconds until the next queued message is due (0..WAIT_MAX_MS), or the pause's end. */
static long next_wait_ms(struct mailer *m, int claimed_any)
{
	long pause = pause_left_ms(m);
	if (pause)
		return pause < WAIT_MAX_MS ? pause : WAIT_MAX_MS;
	char skip[UNRECORDED_MAX * 24 + 4];
	unrecorded_array(m, skip, sizeof skip);
	const char *p[] = {skip};
	PGresult *q = query(m, "next due", SQL_NEXT, 1, p);
	if (!q)
		return 1000;
	long ms = PQgetisnull(q, 0, 0) ? WAIT_MAX_MS : atol(PQgetvalue(q, 0, 0));
	PQclear(q);
	/* Due but not claimable (locked by another mailer): do not spin. */
	if (ms <= 0 && !claimed_any)
		ms = 1000;
	return ms < 0 ? 0 : ms > WAIT_MAX_MS ? WAIT_MAX_MS : ms;
}

/* Sleep until a NOTIFY, a signal or ms milliseconds; no signal is lost between check and wait. */
static void wait_notify(struct mailer *m, long ms)
{
	if (notifies_pending(m) || ms <= 0)
		return;
	int fd = PQsocket(m->pg);
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	int r = stop_requested || flush_requested ? 0 : pselect(fd + 1, &rd, NULL, NULL, &ts, &old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r > 0 && !PQconsumeInput(m->pg)) {
		log_pg_error(m, "connection", NULL);
		drop_conn(m);
		return;
	}
	if (r > 0 && notifies_pending(m))
		log_msg(LOG_DEBUG, "mailer: woken by NOTIFY");
}

/* ---- main loops ---- */

/* SIGUSR1 (like postqueue -f): end the pause and make all deferred mail due now. */
static void flush_queue(struct mailer *m)
{
	flush_requested = 0;
	m->server_failures = 0;
	m->pause_until.tv_sec = m->pause_until.tv_nsec = 0;
	if (command(m, "flush", SQL_FLUSH, 0, NULL) == 0)
		log_msg(LOG_INFO, "mailer: SIGUSR1: retrying deferred mail now");
}

static int run_once(struct mailer *m)
{
	int more = 1, n = 0;
	if (connect_db(m) < 0)
		return 1;
	record_unrecorded(m);
	invitations_process(m->pg, &m->invite);
	while (more && n >= 0 && !stop_requested)
		n = drain(m, &more);
	return n < 0 || m->nunrecorded ? 1 : 0;
}

static int run(struct mailer *m)
{
	while (!stop_requested) {
		if (!m->pg && connect_db(m) < 0)
			break;
		record_unrecorded(m);
		if (m->pg && flush_requested)
			flush_queue(m);
		if (m->pg)
			notifies_pending(m);
		if (m->pg)
			invitations_process(m->pg, &m->invite);
		int more = 0, n = m->pg ? drain(m, &more) : -1;
		if (!m->pg || stop_requested) {
			continue; /* reconnects (1 s between tries) or stops */
		}
		if (!more)
			wait_notify(m, n < 0 ? 1000 : next_wait_ms(m, n > 0));
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct mailer m;
	if (parse_args(&m, argc, argv) < 0)
		return 2;
	if (setup(&m) < 0)
		return 1;
	int rc = m.once ? run_once(&m) : run(&m);
	drop_conn(&m);
	curl_global_cleanup();
	tmpl_set_free(m.templates);
	i18n_free();
	log_msg(LOG_INFO, "mailer: stopped%s", stop_requested ? " on a signal" : "");
	log_close();
	return rc;
}
