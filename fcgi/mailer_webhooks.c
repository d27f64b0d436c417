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
 * request 10 s, redirects not followed, no proxy, HTTPS certificates and host names verified; a
 * hanging receiver therefore holds the loop at most 10 s, and one pass sends webhooks for about 2 s
 * at most before mail gets its turn again.
 *
 * Server-side request forgery: whoever may register a webhook (an admin, or a token with only
 * webhooks:write) chooses where this process connects. Unless webhooks.allow_private_addresses is
 * on (local testing, lib/config.h), only https is spoken and curl gets a socket only for a public
 * address (lib/netaddr.h), judged on the address it actually dials, after DNS: a name resolving to
 * 127.0.0.1, 169.254.169.254 or 10.x is refused before any packet leaves. What the console and the
 * API show of a failure is a category ("could not connect", "timed out", "TLS failed", "address
 * not allowed", "HTTP 500" ...), never curl's text, so a token learns nothing about the network
 * behind; the log keeps curl's text and names the URL by scheme, host and port only (its path and
 * query often hold a secret). */
#include "mailer.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "db.h"
#include "log.h"
#include "netaddr.h"
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

/* What curl made of a URL: "scheme://host:port" for the log (never the path or query, which often
 * carry a secret), and whether it agrees with webhook_url_problem() and the install's switch:
 * https, or http to a loopback name when private addresses are allowed (local testing). */
static int url_allowed(const char *url, int allow_private, char *where, size_t wlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
	int ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		 curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		 curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
		 curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
		 curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER;
	if (ok)
		snprintf(where, wlen, "%s://%s:%s", scheme, host, port);
	else
		snprintf(where, wlen, "(a URL curl does not read)");
	if (ok && strcasecmp(scheme, "https") != 0)
		ok = allow_private && strcasecmp(scheme, "http") == 0 &&
		     (strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 || strcasecmp(host, "localhost") == 0);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_url_cleanup(u);
	return ok;
}

/* The address check, on the address curl is about to connect to (after DNS, for every address it
 * tries, and for a redirect's too were one followed): only public addresses get a socket. What a
 * refusal looks like to curl is a failed connect; refused tells post() why. */
struct dial {
	int refused;
};

static curl_socket_t open_public(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct dial *d = clientp;
	enum netaddr_kind k = netaddr_kind_sockaddr(&a->addr, a->addrlen);
	if (purpose != CURLSOCKTYPE_IPCXN || k != NETADDR_PUBLIC) {
		d->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* What a failed attempt shows in the console and the API: a category, never curl's text (which
 * names addresses and ports: a token could map the internal network with it). */
static const char *failure(CURLcode rc, int refused)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return refused ? "address not allowed" : "could not connect";
	case CURLE_COULDNT_RESOLVE_HOST:
		return "host not found";
	case CURLE_OPERATION_TIMEDOUT:
		return "timed out";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_USE_SSL_FAILED:
		return "TLS failed";
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return "URL not allowed";
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return "connection broken";
	default:
		return "delivery failed";
	}
}

/* POST body to url signed with secret: the HTTP status, or 0 when none came and then err holds
 * the category (failure()) and detail curl's own text for the log; *refused: an address was. */
static long post(const char *url, int allow_private, const char *event_id, const char *secret, const char *body,
		 char *err, size_t errlen, char *detail, size_t dlen, int *refused)
{
	char ts[24], sig[TOKEN_HEX_LEN + 1], h_id[128], h_ts[64], h_sig[96];
	struct dial dial = {0};
	snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
	size_t tl = strlen(ts), bl = strlen(body);
	char *msg = malloc(tl + 1 + bl + 1);
	if (!msg) {
		snprintf(err, errlen, "delivery failed");
		snprintf(detail, dlen, "out of memory");
		return 0;
	}
	memcpy(msg, ts, tl);
	msg[tl] = '.';
	memcpy(msg + tl + 1, body, bl + 1);
	hmac_sha256_hex(secret, strlen(secret), msg, tl + 1 + bl, sig);
	free(msg);
	if (!sig[0]) {
		snprintf(err, errlen, "delivery failed");
		snprintf(detail, dlen, "could not sign");
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
		snprintf(err, errlen, "delivery failed");
		snprintf(detail, dlen, "curl could not start");
	} else {
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, allow_private ? "http,https" : "https");
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(h, CURLOPT_PROXY, ""); /* no proxy from the environment: we dial ourselves */
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
		if (!allow_private) {
			curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_public);
			curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &dial);
		}
		CURLcode rc = curl_easy_perform(h);
		if (rc == CURLE_OK) {
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		} else {
			snprintf(err, errlen, "%s", failure(rc, dial.refused));
			snprintf(detail, dlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
		}
	}
	*refused = dial.refused && status == 0;
	curl_easy_cleanup(h);
	curl_slist_free_all(hs);
	OPENSSL_cleanse(sig, sizeof sig);
	return status;
}

/* Claim, send and record one due delivery in its own transaction: 1 done, 0 none due, -1 error.
 * The attempt's error and the delivery's last_error (what the console and the API show) hold a
 * category only; the log adds curl's detail, and names the URL by scheme, host and port only. */
static int process_one(struct mailer *m)
{
	int rc;
	PGresult *q = mailer_claim(m, "claim webhook", SQL_CLAIM, 0, NULL, &rc);
	if (!q)
		return rc;
	const char *id = db_col(q, 0, "id"), *url = db_col(q, 0, "url");
	int attempts = atoi(db_col(q, 0, "attempts")), permanent = 0, refused = 0;
	int allow_private = m->cfg.webhooks_allow_private;
	char err[64] = "", detail[CURL_ERROR_SIZE + 64] = "", secret[256] = "", context[48], where[600];
	long status = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(context, sizeof context, "webhook:%s", db_col(q, 0, "webhook_id"));
	if (!url_allowed(url, allow_private, where, sizeof where) || db_col(q, 0, "url_problem")[0]) {
		snprintf(err, sizeof err, "URL not allowed");
		snprintf(detail, sizeof detail, "%s", allow_private ? "not https:// or loopback http://"
								   : "not https:// (webhooks.allow_private_addresses is off)");
		permanent = 1;
	} else if (secretbox_open(m->cfg.secret_key, context, db_col(q, 0, "secret_sealed"), secret, sizeof secret) < 0) {
		snprintf(err, sizeof err, "secret does not open");
		snprintf(detail, sizeof detail, "secret_key changed?");
		permanent = 1;
	} else {
		status = post(url, allow_private, db_col(q, 0, "event_id"), secret, db_col(q, 0, "payload"), err,
			      sizeof err, detail, sizeof detail, &refused);
		if (status && (status < 200 || status > 299))
			snprintf(err, sizeof err, "HTTP %ld", status);
		permanent = refused; /* a public name pointing inside: not worth retrying */
	}
	OPENSSL_cleanse(secret, sizeof secret);
	char st[16], dur[24], secs[24], why[128];
	snprintf(st, sizeof st, "%ld", status);
	snprintf(dur, sizeof dur, "%ld", ms_since(&t0));
	const char *pa[4] = {id, status ? st : NULL, err[0] && !(status >= 200 && status <= 299) ? err : NULL, dur};
	int ok = mailer_command(m, "record webhook attempt", SQL_ATTEMPT, 4, pa) == 0;
	int tries = attempts + 1;
	if (ok && status >= 200 && status <= 299) {
		const char *p[1] = {id};
		log_msg(LOG_INFO, "mailer: webhook delivery %s to %s: HTTP %ld (attempt %d)", id, where, status, tries);
		ok = mailer_command(m, "mark webhook delivered", SQL_DELIVERED, 1, p) == 0;
	} else if (ok && !permanent && tries < m->max_attempts) {
		long s = backoff(m, attempts);
		snprintf(secs, sizeof secs, "%ld", s);
		log_msg(LOG_WARN, "mailer: webhook delivery %s to %s deferred %ld s (attempt %d of %d): %s%s%s", id,
			where, s, tries, m->max_attempts, err, detail[0] ? ": " : "", detail);
		const char *p[3] = {id, err, secs};
		ok = mailer_command(m, "defer webhook", SQL_RETRY, 3, p) == 0;
	} else if (ok) {
		if (permanent)
			snprintf(why, sizeof why, "%s", err);
		else
			snprintf(why, sizeof why, "gave up after %d attempts: %s", tries, err);
		log_msg(LOG_ERROR, "mailer: webhook delivery %s to %s failed: %s%s%s", id, where, why,
			detail[0] ? ": " : "", detail);
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
