/* metrics.c - /metrics (Prometheus text format) and the worker's counters behind it.
 *
 * The counters live in lib/metrics.h's shared file (one slot per worker, summed at scrape time),
 * so a scrape answers for the whole pool whichever worker takes it. The counter indexes are laid
 * out here; a change of layout must change METRICS_VERSION (lib/metrics.h) so that a pool of the
 * new build does not add into an old build's counters.
 *
 * Route groups (from the path alone): admin (/admin/...), api (/api/...), sso (/sso/...), files
 * (/files/...), health (/healthz), metrics (/metrics), static (/static/..., /theme.css,
 * /favicon.ico, /robots.txt), tickets (/<ticket slug>/...), account (/login..., /logout,
 * /register, /verify, /password-reset..., /account...), portal (/, /kb-link, /access-denied,
 * /request-too-large), other (anything else, mostly 404s).
 *
 * From the database at scrape time (one prepared statement, one round trip): the mail outbox's
 * depth and oldest queued message's age (the partial index mail_outbox_queued_idx), and inbound
 * mail by way in and outcome (mail_inbound_counts, kept by a trigger: sql/028_metrics.sql), so the
 * mail gateway and the IMAP poller, separate programs, need no slot.
 */
#include "metrics_notes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "app.h"
#include "log.h"

enum group { G_PORTAL, G_TICKETS, G_ACCOUNT, G_ADMIN, G_API, G_SSO, G_FILES, G_HEALTH, G_METRICS, G_STATIC, G_OTHER, NGROUP };
static const char *const group_name[NGROUP] = {"portal", "tickets", "account", "admin", "api", "sso",
					       "files", "health", "metrics", "static", "other"};

static const int status_code[] = {200, 201, 204, 301, 302, 303, 304, 308, 400, 401, 403,
				  404, 405, 409, 413, 415, 422, 429, 500, 502, 503};
#define NSTATUS (sizeof status_code / sizeof status_code[0] + 1) /* the last: any other */

/* Request duration, in microseconds (the le labels print them in seconds). */
static const long lat_us[] = {1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000};
#define NLAT (sizeof lat_us / sizeof lat_us[0])
static const unsigned long trips_le[] = {0, 1, 2, 3, 4, 6, 10, 20};
#define NTRIPS (sizeof trips_le / sizeof trips_le[0])

static const char *const sso_method[] = {"saml", "jwt"};
#define NSSO_METHOD 2
enum sso_reason { R_MALFORMED, R_NOT_CONFIGURED, R_DATABASE, R_INVALID, R_EXPIRED, R_REPLAY, R_UNSOLICITED,
		  R_NOT_ALLOWED, R_HANDOFF, NSSO_REASON };
static const char *const sso_reason_name[NSSO_REASON] = {
	"malformed", "not_configured", "database", "invalid", "expired", "replay", "unsolicited", "not_allowed",
	"handoff"};

/* Counter indexes in a slot. */
#define I_REQ 0                                     /* [group][status] */
#define I_LAT (I_REQ + NGROUP * NSTATUS)            /* [group][NLAT + 1 buckets, then the sum in us] */
#define LAT_W (NLAT + 2)
#define I_TRIPS (I_LAT + NGROUP * LAT_W)            /* [NTRIPS + 1 buckets, then the sum] */
#define I_LOGIN (I_TRIPS + NTRIPS + 2)              /* [who][event] */
#define I_SSO (I_LOGIN + LOGIN_WHO__MAX * LOGIN_EVENT__MAX) /* [method][reason] */
#define I_END (I_SSO + NSSO_METHOD * NSSO_REASON)
_Static_assert(I_END <= METRICS_COUNTERS, "the counters fit a slot");

void metrics_start(void)
{
	if (!cfg.metrics_file[0])
		return;
	char err[600];
	if (metrics_open(cfg.metrics_file, err, sizeof err) < 0)
		log_msg(LOG_ERROR, "metrics off: %s", err);
}

/* path is prefix itself or prefix followed by '/'. */
static int under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static enum group group_of(const char *path, const char *slug)
{
	if (!path || path[0] != '/')
		return G_OTHER;
	if (under(path, "/admin"))
		return G_ADMIN;
	if (under(path, "/api"))
		return G_API;
	if (under(path, "/sso"))
		return G_SSO;
	if (under(path, "/files"))
		return G_FILES;
	if (strcmp(path, "/healthz") == 0)
		return G_HEALTH;
	if (strcmp(path, "/metrics") == 0)
		return G_METRICS;
	if (under(path, "/static") || strcmp(path, "/theme.css") == 0 || strcmp(path, "/favicon.ico") == 0 ||
	    strcmp(path, "/robots.txt") == 0)
		return G_STATIC;
	if (slug && slug[0] && path[1] && strncmp(path + 1, slug, strlen(slug)) == 0 &&
	    (path[1 + strlen(slug)] == '\0' || path[1 + strlen(slug)] == '/'))
		return G_TICKETS;
	static const char *const account[] = {"/login", "/logout", "/register", "/verify", "/password-reset", "/account"};
	for (size_t i = 0; i < sizeof account / sizeof account[0]; i++)
		if (under(path, account[i]))
			return G_ACCOUNT;
	if (strcmp(path, "/") == 0 || strcmp(path, "/kb-link") == 0 || strcmp(path, "/access-denied") == 0 ||
	    strcmp(path, "/request-too-large") == 0)
		return G_PORTAL;
	return G_OTHER;
}

static unsigned status_index(int status)
{
	for (unsigned i = 0; i < NSTATUS - 1; i++)
		if (status_code[i] == status)
			return i;
	return NSTATUS - 1;
}

void metrics_note_request(const char *path, const char *ticket_slug, int status, long usec, unsigned long db_trips)
{
	if (!metrics_own)
		return;
	enum group g = group_of(path, ticket_slug);
	metrics_add(I_REQ + g * NSTATUS + status_index(status), 1);
	if (usec < 0)
		usec = 0;
	unsigned b = 0;
	while (b < NLAT && usec > lat_us[b])
		b++;
	metrics_add(I_LAT + g * LAT_W + b, 1);
	metrics_add(I_LAT + g * LAT_W + NLAT + 1, (uint64_t)usec);
	unsigned t = 0;
	while (t < NTRIPS && db_trips > trips_le[t])
		t++;
	metrics_add(I_TRIPS + t, 1);
	metrics_add(I_TRIPS + NTRIPS + 1, db_trips);
}

void metrics_note_login(enum login_who who, enum login_event ev)
{
	if ((unsigned)who < LOGIN_WHO__MAX && (unsigned)ev < LOGIN_EVENT__MAX)
		metrics_add(I_LOGIN + who * LOGIN_EVENT__MAX + ev, 1);
}

/* The reasons sso*.c log (free text, some from the verifiers) to a fixed set of labels. */
static enum sso_reason sso_reason_of(const char *r)
{
	if (strstr(r, "database") || strstr(r, "could not be created"))
		return R_DATABASE;
	if (strstr(r, "not configured") || strstr(r, "no secret") || strstr(r, "no public key"))
		return R_NOT_CONFIGURED;
	if (strncmp(r, "no jwt", 6) == 0 || strncmp(r, "no SAMLResponse", 15) == 0 || strstr(r, "not base64"))
		return R_MALFORMED;
	if (strstr(r, "not on the portal's lists"))
		return R_NOT_ALLOWED;
	if (strstr(r, "unknown, used or expired") || strstr(r, "browser that did"))
		return R_HANDOFF;
	if (strstr(r, "already used") || strstr(r, "replay"))
		return R_REPLAY;
	if (strstr(r, "InResponseTo"))
		return R_UNSOLICITED;
	if (strstr(r, "expired"))
		return R_EXPIRED;
	return R_INVALID;
}

void metrics_note_sso(const char *method, const char *reason)
{
	unsigned m = method && strcmp(method, "jwt") == 0 ? 1 : 0;
	metrics_add(I_SSO + m * NSSO_REASON + sso_reason_of(reason ? reason : ""), 1);
}

const struct db_stmt metrics_stmts[] = {
	{"metrics_db",
	 "SELECT 'outbox', '', count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)"
	 " FROM mail_outbox WHERE status = 'queued'"
	 " UNION ALL SELECT via, outcome, n, 0 FROM mail_inbound_counts",
	 0},
	{NULL, NULL, 0},
};

static int allowed(const char *addr)
{
	for (int i = 0; i < cfg.metrics_allow_n; i++)
		if (metrics_addr_match(cfg.metrics_allow[i], addr) == 1)
			return 1;
	return 0;
}

static void requests(struct buf *b, const uint64_t *s)
{
	metrics_family(b, "portal_http_requests_total", "counter",
		       "HTTP requests answered by the worker pool, by route group and status (only pairs seen).");
	for (unsigned g = 0; g < NGROUP; g++)
		for (unsigned i = 0; i < NSTATUS; i++) {
			uint64_t v = s[I_REQ + g * NSTATUS + i];
			if (!v)
				continue;
			char code[8];
			snprintf(code, sizeof code, "%d", i < NSTATUS - 1 ? status_code[i] : 0);
			const char *l[] = {"group", group_name[g], "status", i < NSTATUS - 1 ? code : "other", NULL};
			metrics_sample(b, "portal_http_requests_total", l, v);
		}
	metrics_family(b, "portal_http_request_duration_seconds", "histogram",
		       "Time from a request's start in the worker to its answer written, by route group (groups seen).");
	double bounds[NLAT];
	for (unsigned i = 0; i < NLAT; i++)
		bounds[i] = lat_us[i] / 1e6;
	for (unsigned g = 0; g < NGROUP; g++) {
		const uint64_t *h = s + I_LAT + g * LAT_W;
		uint64_t n = 0;
		for (unsigned i = 0; i <= NLAT; i++)
			n += h[i];
		if (!n)
			continue;
		const char *l[] = {"group", group_name[g], NULL};
		metrics_histogram(b, "portal_http_request_duration_seconds", l, bounds, NLAT, h, h[NLAT + 1] / 1e6);
	}
	metrics_family(b, "portal_db_round_trips_per_request", "histogram",
		       "Statements each request sent to PostgreSQL (round trips).");
	double tb[NTRIPS];
	for (unsigned i = 0; i < NTRIPS; i++)
		tb[i] = (double)trips_le[i];
	metrics_histogram(b, "portal_db_round_trips_per_request", NULL, tb, NTRIPS, s + I_TRIPS, (double)s[I_TRIPS + NTRIPS + 1]);
}

static void logins(struct buf *b, const uint64_t *s)
{
	static const char *const who[LOGIN_WHO__MAX] = {"customer", "staff"};
	metrics_family(b, "portal_login_failures_total", "counter",
		       "Failed logins: a wrong email or password, or a wrong second-factor code.");
	for (unsigned w = 0; w < LOGIN_WHO__MAX; w++)
		for (unsigned e = LOGIN_FAILED_PASSWORD; e <= LOGIN_FAILED_SECOND_FACTOR; e++) {
			const char *l[] = {"who", who[w], "factor", e == LOGIN_FAILED_PASSWORD ? "password" : "second_factor", NULL};
			metrics_sample(b, "portal_login_failures_total", l, s[I_LOGIN + w * LOGIN_EVENT__MAX + e]);
		}
	metrics_family(b, "portal_login_lockouts_total", "counter",
		       "Logins refused because the account is locked after repeated failures, or because the "
		       "client address is over its failure limit.");
	for (unsigned w = 0; w < LOGIN_WHO__MAX; w++)
		for (unsigned e = LOGIN_LOCKED_ACCOUNT; e <= LOGIN_LOCKED_ADDRESS; e++) {
			const char *l[] = {"who", who[w], "kind", e == LOGIN_LOCKED_ACCOUNT ? "account" : "address", NULL};
			metrics_sample(b, "portal_login_lockouts_total", l, s[I_LOGIN + w * LOGIN_EVENT__MAX + e]);
		}
	metrics_family(b, "portal_sso_refusals_total", "counter", "Refused single sign-ons, by method and reason.");
	for (unsigned m = 0; m < NSSO_METHOD; m++)
		for (unsigned r = 0; r < NSSO_REASON; r++) {
			const char *l[] = {"method", sso_method[m], "reason", sso_reason_name[r], NULL};
			metrics_sample(b, "portal_sso_refusals_total", l, s[I_SSO + m * NSSO_REASON + r]);
		}
}

static void from_database(struct buf *b)
{
	PGresult *r = db_exec("metrics_db", 0, NULL);
	metrics_family(b, "portal_metrics_database_up", "gauge", "1 when this scrape could read the database figures below.");
	metrics_sample(b, "portal_metrics_database_up", NULL, r ? 1 : 0);
	if (!r)
		return;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++)
		if (strcmp(PQgetvalue(r, i, 0), "outbox") == 0) {
			metrics_family(b, "portal_mail_outbox_depth", "gauge", "Mail queued in the outbox, not sent yet.");
			metrics_sample(b, "portal_mail_outbox_depth", NULL, strtoull(PQgetvalue(r, i, 2), NULL, 10));
			metrics_family(b, "portal_mail_outbox_oldest_seconds", "gauge",
				       "Age of the oldest queued message in the outbox (0 when it is empty).");
			metrics_sample_double(b, "portal_mail_outbox_oldest_seconds", NULL, strtod(PQgetvalue(r, i, 3), NULL));
		}
	metrics_family(b, "portal_inbound_mail_total", "counter",
		       "Received mail, by way in (gateway, imap) and outcome (stored, duplicate, dropped, refused).");
	for (int i = 0; i < n; i++)
		if (strcmp(PQgetvalue(r, i, 0), "outbox") != 0) {
			const char *l[] = {"via", PQgetvalue(r, i, 0), "outcome", PQgetvalue(r, i, 1), NULL};
			metrics_sample(b, "portal_inbound_mail_total", l, strtoull(PQgetvalue(r, i, 2), NULL, 10));
		}
	PQclear(r);
}

int metrics_page(struct ctx *c)
{
	const char *addr = c->req->remote_addr;
	if (!metrics_own || !allowed(addr)) {
		log_msg(LOG_WARN, "refused /metrics to %s: %s", addr && *addr ? addr : "-",
			metrics_own ? "not in metrics.allow" : "metrics are off");
		return 404;
	}
	static uint64_t s[METRICS_COUNTERS];
	int pool = metrics_sum(s);
	struct buf *b = &c->res->body;
	metrics_family(b, "portal_workers", "gauge", "Worker processes alive that share these counters (the pool size).");
	metrics_sample(b, "portal_workers", NULL, (uint64_t)(pool > 0 ? pool : 0));
	requests(b, s);
	logins(b, s);
	from_database(b);
	c->res->status = 200;
	response_header(c->res, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	response_header(c->res, "Cache-Control", "no-store");
	return 200;
}
