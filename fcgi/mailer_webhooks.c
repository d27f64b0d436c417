/* mailer_webhooks.c - delivering webhook_deliveries (no URL: part of the mailer, see mailer.h). The
 * database queues them in the writer's transaction (sql/025_webhook_events.sql) and NOTIFYs
 * webhook_deliveries; this file claims the oldest due one (FOR UPDATE SKIP LOCKED, one short
 * transaction each, as mail_outbox), POSTs it, keeps the attempt in webhook_attempts and marks it
 * delivered (2xx), deferred (retry_base * 2^(n-1) seconds, capped, like mail) or failed (after
 * max_attempts, or at once when it cannot be sent at all: its URL no longer allowed, its secret
 * does not open).
 *
 * The request: POST <url>, Content-Type application/json, the stored payload as the body, and
 *   Webhook-Id: <the event's uuid>         (the same on every retry of the event: deduplicate on it)
 *   Webhook-Timestamp: <unix seconds>       (when this attempt was signed)
 *   Webhook-Signature: v1=<hex HMAC-SHA256 under the webhook's secret ("whsec_..." as its bytes)
 *                       of "<Webhook-Timestamp>.<body>">
 * A receiver recomputes the HMAC over the raw body, compares in constant time, and refuses a
 * timestamp more than 5 minutes from its clock (the replay window). Connect timeout 5 s, whole
 * request 10 s, redirects not followed, HTTPS certificates and host names verified; a hanging
 * receiver therefore holds the loop at most 10 s, and one pass sends webhooks for about 2 s at
 * most before mail gets its turn again. */
#include "mailer.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "log.h"
#include "secretbox.h"
#include "token.h"

#define WEBHOOK_BATCH 10        /* deliveries a pass at most */
#define WEBHOOK_PASS_MS 2000    /* then mail gets its turn */
#define WEBHOOK_CONNECT_S 5L
#define WEBHOOK_TOTAL_S 10L

static const char SQL_CLAIM[] =
	"SELECT d.id, d.event_id, d.payload, d.attempts, w.id AS webhook_id, w.url, w.secret_sealed,"
	" coalesce(webhook_url_problem(w.url), '') AS url_problem"
	" FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
	" WHERE d.status = 'queued' AND d.next_attempt_at <= now() AND d.payload <> '' AND w.active"
	" ORDER BY d.next_attempt_at, d.id LIMIT 1 FOR UPDATE OF d SKIP LOCKED";
static const char SQL_ATTEMPT[] =
	"INSERT INTO webhook_attempts (delivery_id, http_status, error, duration_ms) VALUES ($1, $2, $3, $4)";
static const char SQL_DELIVERED[] =
	"UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_error = NULL,"
	" delivered_at = clock_timestamp() WHERE id = $1";
static const char SQL_RETRY[] =
	"UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = $2,"
	" next_attempt_at = clock_timestamp() + $3::int * interval '1 second' WHERE id = $1";
static const char SQL_FAILED[] =
	"UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, last_error = $2 WHERE id = $1";
static const char SQL_NEXT[] =
	"SELECT ceil(1000 * EXTRACT(EPOCH FROM min(d.next_attempt_at) - clock_timestamp()))::bigint AS ms"
	" FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
	" WHERE d.status = 'queued' AND d.payload <> '' AND w.active";

void webhooks_connected(struct mailer *m)
{
	if (m->pg && mailer_command(m, "LISTEN", "LISTEN webhook_deliveries", 0, NULL) < 0)
		drop_conn(m);
}

static long backoff(const struct mailer *m, int attempts)
{
	long secs = m->retry_base;
	for (int i = 0; i < attempts && secs < BACKOFF_CAP; i++)
		secs *= 2;
	return secs < BACKOFF_CAP ? secs : BACKOFF_CAP;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* The answer's body is not wanted (nor kept). */
static size_t discard(char *p, size_t size, size_t n, void *u)
{
	(void)p, (void)u;
	return size * n;
}

/* curl's own reading of url agrees with webhook_url_problem(): https, or http to a loopback name. */
static int url_allowed(const char *url, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL;
	int ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		 curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		 curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
		 curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER;
	if (ok && strcasecmp(scheme, "https") != 0)
		ok = strcasecmp(scheme, "http") == 0 && (strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
							 strcasecmp(host, "localhost") == 0);
	if (!ok)
		snprintf(err, errlen, "the URL is not allowed (https://, or http:// to this machine only)");
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return ok;
}

/* POST body to url signed with secret: the HTTP status (0 when none came, err says why). */
static long post(const char *url, const char *event_id, const char *secret, const char *body, char *err,
		 size_t errlen)
{
	char ts[24], sig[TOKEN_HEX_LEN + 1], h_id[128], h_ts[64], h_sig[96];
	snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
	size_t tl = strlen(ts), bl = strlen(body);
	char *msg = malloc(tl + 1 + bl + 1);
	if (!msg) {
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	memcpy(msg, ts, tl);
	msg[tl] = '.';
	memcpy(msg + tl + 1, body, bl + 1);
	hmac_sha256_hex(secret, strlen(secret), msg, tl + 1 + bl, sig);
	free(msg);
	if (!sig[0]) {
		snprintf(err, errlen, "could not sign");
		return 0;
	}
	snprintf(h_id, sizeof h_id, "Webhook-Id: %s", event_id);
	snprintf(h_ts, sizeof h_ts, "Webhook-Timestamp: %s", ts);
	snprintf(h_sig, sizeof h_sig, "Webhook-Signature: v1=%s", sig);
	struct curl_slist *hs = NULL;
	hs = curl_slist_append(hs, "Content-Type: application/json");
	hs = curl_slist_append(hs, h_id);
	hs = curl_slist_append(hs, h_ts);
	hs = curl_slist_append(hs, h_sig);
	hs = curl_slist_append(hs, "Expect:");
	CURL *h = curl_easy_init();
	long status = 0;
	char cerr[CURL_ERROR_SIZE] = "";
	if (!h || !hs) {
		snprintf(err, errlen, "curl could not start");
	} else {
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, WEBHOOK_CONNECT_S);
		curl_easy_setopt(h, CURLOPT_TIMEOUT, WEBHOOK_TOTAL_S);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_USERAGENT, "portal-webhooks/1");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bl);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
		CURLcode rc = curl_easy_perform(h);
		if (rc == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		else
			snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(hs);
	OPENSSL_cleanse(sig, sizeof sig);
	return status;
}

/* Claim, send and record one due delivery in its own transaction: 1 done, 0 none due, -1 error. */
static int process_one(struct mailer *m)
{
	int rc;
	PGresult *q = mailer_claim(m, "claim webhook", SQL_CLAIM, 0, NULL, &rc);
	if (!q)
		return rc;
	const char *id = db_col(q, 0, "id"), *url = db_col(q, 0, "url");
	int attempts = atoi(db_col(q, 0, "attempts")), permanent = 0;
	char err[512] = "", secret[256] = "", context[48];
	long status = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(context, sizeof context, "webhook:%s", db_col(q, 0, "webhook_id"));
	if (db_col(q, 0, "url_problem")[0] || !url_allowed(url, err, sizeof err)) {
		snprintf(err, sizeof err, "the URL is not allowed: %s", db_col(q, 0, "url_problem"));
		permanent = 1;
	} else if (secretbox_open(m->cfg.secret_key, context, db_col(q, 0, "secret_sealed"), secret, sizeof secret) < 0) {
		snprintf(err, sizeof err, "the webhook's secret does not open (secret_key changed?)");
		permanent = 1;
	} else {
		status = post(url, db_col(q, 0, "event_id"), secret, db_col(q, 0, "payload"), err, sizeof err);
		if (status && (status < 200 || status > 299))
			snprintf(err, sizeof err, "HTTP %ld", status);
	}
	OPENSSL_cleanse(secret, sizeof secret);
	char st[16], dur[24], secs[24], why[600];
	snprintf(st, sizeof st, "%ld", status);
	snprintf(dur, sizeof dur, "%ld", ms_since(&t0));
	const char *pa[4] = {id, status ? st : NULL, err[0] && !(status >= 200 && status <= 299) ? err : NULL, dur};
	int ok = mailer_command(m, "record webhook attempt", SQL_ATTEMPT, 4, pa) == 0;
	int tries = attempts + 1;
	if (ok && status >= 200 && status <= 299) {
		const char *p[1] = {id};
		log_msg(LOG_INFO, "mailer: webhook delivery %s to %s: HTTP %ld (attempt %d)", id, url, status, tries);
		ok = mailer_command(m, "mark webhook delivered", SQL_DELIVERED, 1, p) == 0;
	} else if (ok && !permanent && tries < m->max_attempts) {
		long s = backoff(m, attempts);
		snprintf(secs, sizeof secs, "%ld", s);
		log_msg(LOG_WARN, "mailer: webhook delivery %s to %s deferred %ld s (attempt %d of %d): %s", id, url, s,
			tries, m->max_attempts, err);
		const char *p[3] = {id, err, secs};
		ok = mailer_command(m, "defer webhook", SQL_RETRY, 3, p) == 0;
	} else if (ok) {
		if (permanent)
			snprintf(why, sizeof why, "%s", err);
		else
			snprintf(why, sizeof why, "gave up after %d attempts: %s", tries, err);
		log_msg(LOG_ERROR, "mailer: webhook delivery %s to %s failed: %s", id, url, why);
		const char *p[2] = {id, why};
		ok = mailer_command(m, "mark webhook failed", SQL_FAILED, 2, p) == 0;
	}
	ok = ok && mailer_command(m, "COMMIT", "COMMIT", 0, NULL) == 0;
	if (!ok)
		mailer_rollback(m);
	PQclear(q);
	return ok ? 1 : -1;
}

int webhooks_process(struct mailer *m, int *more)
{
	int n = 0;
	*more = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (n < WEBHOOK_BATCH && !stop_requested && m->pg && ms_since(&t0) < WEBHOOK_PASS_MS) {
		int r = process_one(m);
		if (r < 0)
			return -1;
		if (r == 0)
			return n;
		n++;
	}
	*more = n > 0;
	return n;
}

long webhooks_wait_ms(struct mailer *m, int claimed_any)
{
	PGresult *q = m->pg ? mailer_query(m, "next webhook due", SQL_NEXT, 0, NULL) : NULL;
	if (!q)
		return 1000;
	const char *due = db_col(q, 0, "ms");
	long ms = due[0] ? atol(due) : WAIT_MAX_MS;
	PQclear(q);
	if (ms <= 0 && !claimed_any) /* due but locked by another mailer: do not spin */
		ms = 1000;
	return ms < 0 ? 0 : ms > WAIT_MAX_MS ? WAIT_MAX_MS : ms;
}
