/* mailer_queue.c - mail_outbox as a queue: claim the oldest due row, record what became of it
 * (sent, deferred with backoff, failed), and how long until the next one is due (no URL: part of
 * the mailer, see mailer.h for the design). */
#include "mailer.h"

#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "log.h"
#include "mail.h"

static const char SQL_CLAIM[] =
	"SELECT id, to_address, subject, body_text, body_html, attempts,"
	" coalesce(from_address, '') AS from_address, coalesce(from_name, '') AS from_name,"
	" coalesce(reply_to, '') AS reply_to, coalesce(message_id, '') AS message_id,"
	" coalesce(in_reply_to, '') AS in_reply_to, array_to_string(references_ids, ' ') AS refs,"
	" coalesce(email, '') AS email FROM mail_outbox"
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
	" AS ms FROM mail_outbox WHERE status = 'queued' AND id <> ALL($1::bigint[])";

/* "{1,2}": the ids accepted by the server whose status is not committed yet. */
static void unrecorded_array(const struct mailer *m, char *out, size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, "{");
	for (size_t i = 0; i < m->nunrecorded && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%ld", i ? "," : "", m->unrecorded[i]);
	if (o < cap)
		snprintf(out + o, cap - o, "}");
}

void record_unrecorded(struct mailer *m)
{
	while (m->nunrecorded && m->pg) {
		char id[24];
		snprintf(id, sizeof id, "%ld", m->unrecorded[m->nunrecorded - 1]);
		const char *p[] = {id};
		if (mailer_command(m, "mark sent", SQL_SENT, 1, p) < 0)
			return;
		log_msg(LOG_INFO, "mailer: recorded %s as sent after reconnecting", id);
		m->nunrecorded--;
	}
}

static long backoff_seconds(const struct mailer *m, int attempts)
{
	long secs = m->retry_base;
	for (int i = 0; i < attempts && secs < BACKOFF_CAP; i++)
		secs *= 2;
	return secs < BACKOFF_CAP ? secs : BACKOFF_CAP;
}

/* The UPDATE for the outcome; the caller commits. */
static int record(struct mailer *m, const struct outbox_row *r, int res, const char *err)
{
	char id[24], secs[24], why[600];
	snprintf(id, sizeof id, "%ld", r->id);
	int tries = r->attempts + 1;
	if (res == MAIL_SENT) {
		if (m->cfg.smtp_url[0]) /* else deliver() logged the file */
			log_msg(LOG_INFO, "mailer: sent %s to %s (attempt %d)", id, r->to, tries);
		const char *p[] = {id};
		return mailer_command(m, "mark sent", SQL_SENT, 1, p);
	}
	if (res == MAIL_TEMPFAIL && tries < m->max_attempts) {
		long s = backoff_seconds(m, r->attempts);
		snprintf(secs, sizeof secs, "%ld", s);
		log_msg(LOG_WARN, "mailer: %s to %s deferred %ld s (attempt %d of %d): %s", id, r->to,
			s, tries, m->max_attempts, err);
		const char *p[] = {id, err, secs};
		return mailer_command(m, "defer", SQL_RETRY, 3, p);
	}
	if (res == MAIL_TEMPFAIL)
		snprintf(why, sizeof why, "gave up after %d attempts: %s", tries, err);
	else
		snprintf(why, sizeof why, "%s", err);
	log_msg(LOG_ERROR, "mailer: %s to %s failed: %s", id, r->to, why);
	const char *p[] = {id, why};
	return mailer_command(m, "mark failed", SQL_FAILED, 2, p);
}

static void read_row(const PGresult *q, struct outbox_row *r)
{
	r->id = atol(db_col(q, 0, "id"));
	r->to = db_col(q, 0, "to_address");
	r->subject = db_col(q, 0, "subject");
	r->text = db_col(q, 0, "body_text");
	r->html = PQgetisnull(q, 0, PQfnumber(q, "body_html")) ? NULL : db_col(q, 0, "body_html");
	r->attempts = atoi(db_col(q, 0, "attempts"));
	r->from_address = db_col(q, 0, "from_address");
	r->from_name = db_col(q, 0, "from_name");
	r->reply_to = db_col(q, 0, "reply_to");
	r->message_id = db_col(q, 0, "message_id");
	r->in_reply_to = db_col(q, 0, "in_reply_to");
	r->references = db_col(q, 0, "refs");
	r->email = db_col(q, 0, "email");
}

/* Claim, send and record one due message in its own transaction: 1 done, 0 none due, -1 error. */
static int process_one(struct mailer *m)
{
	char skip[UNRECORDED_MAX * 24 + 4], err[512] = "";
	unrecorded_array(m, skip, sizeof skip);
	const char *p[] = {skip};
	int rc;
	PGresult *q = mailer_claim(m, "claim", SQL_CLAIM, 1, p, &rc);
	if (!q)
		return rc;
	struct outbox_row r;
	read_row(q, &r);
	int res = deliver(m, &r, err, sizeof err);
	int ok = record(m, &r, res, err) == 0 && mailer_command(m, "COMMIT", "COMMIT", 0, NULL) == 0;
	note_server_state(m, res, err);
	if (!ok)
		mailer_rollback(m);
	if (!ok && res == MAIL_SENT && m->nunrecorded < UNRECORDED_MAX)
		m->unrecorded[m->nunrecorded++] = r.id;
	PQclear(q);
	return ok ? 1 : -1;
}

int drain(struct mailer *m, int *more)
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

long next_wait_ms(struct mailer *m, int claimed_any)
{
	long pause = pause_left_ms(m);
	if (pause)
		return pause < WAIT_MAX_MS ? pause : WAIT_MAX_MS;
	char skip[UNRECORDED_MAX * 24 + 4];
	unrecorded_array(m, skip, sizeof skip);
	const char *p[] = {skip};
	PGresult *q = mailer_query(m, "next due", SQL_NEXT, 1, p);
	if (!q)
		return 1000;
	const char *due = db_col(q, 0, "ms");
	long ms = due[0] ? atol(due) : WAIT_MAX_MS;
	PQclear(q);
	/* Due but not claimable (locked by another mailer): do not spin. */
	if (ms <= 0 && !claimed_any)
		ms = 1000;
	return ms < 0 ? 0 : ms > WAIT_MAX_MS ? WAIT_MAX_MS : ms;
}

void flush_queue(struct mailer *m)
{
	flush_requested = 0;
	m->server_failures = 0;
	m->pause_until.tv_sec = m->pause_until.tv_nsec = 0;
	if (mailer_command(m, "flush", SQL_FLUSH, 0, NULL) == 0)
		log_msg(LOG_INFO, "mailer: SIGUSR1: retrying deferred mail now");
}
