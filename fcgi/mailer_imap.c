/* mailer_imap.c - the mailer's IMAP poller (no URL: part of the mailer, see mailer.c): every
 * imap_poll_seconds, or at once on NOTIFY mail_imap (the console sends it on save), each connected
 * inbox address with an IMAP mailbox is polled through libcurl, and every unread message is handed
 * to the mail gateway (build/portal-mailgate beside the mailer, --to <address> --via imap, the
 * message on stdin), which stores it in one transaction.
 *
 * A message is marked \Seen only after the gateway exited 0 (stored, or deliberately dropped) or
 * 65 (refused); after 75 (temporary: the database is down) or any other end it stays unread and
 * the next poll hands it over again (the gateway stores a Message-ID once). libcurl's own FETCH
 * sends BODY[], which sets \Seen as a side effect, and it hands the literal of a custom FETCH
 * (BODY.PEEK[]) to nobody; so the mailbox is re-opened read-only (EXAMINE) for the fetch, where
 * BODY[] changes no flag (RFC 3501 6.3.2), and read-write (SELECT) again for the STORE. The
 * password is decrypted (lib/secretbox) only for the poll and never logged. */
#include "mailer.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "secretbox.h"

#define IMAP_POLL_SECONDS 60      /* between polls; PORTAL_IMAP_POLL_SECONDS overrides (tests) */
#define IMAP_BATCH 50             /* messages per address per poll; a full batch polls again at once */
#define IMAP_CONNECT_SECONDS 15
#define IMAP_REQUEST_SECONDS 120  /* one IMAP command, the fetch of one message included */
#define IMAP_GATE_SECONDS 300     /* one run of the gateway */
#define IMAP_ERROR_MAX 400        /* characters of imap_error */
#define IMAP_ADDRESSES_MAX 200    /* per poll */
#define IMAP_BUDGET_MS 10000      /* one poll hands in messages for about this long, then lets the
				   * mailer send what is queued before it goes on (outgoing mail waits
				   * for a poll: both share the mailer's one loop) */

/* One address to poll, as read from inbox_addresses. */
struct mbox {
	const char *id, *address, *host, *port, *security, *user, *sealed, *folder;
	char password[SECRETBOX_MAX + 1];
};

/* A response collected from libcurl's write callback, up to max bytes (over: the transfer stops). */
struct mem {
	char *data;
	size_t len, cap, max;
	int over;
};

static size_t mem_write(char *p, size_t size, size_t n, void *arg)
{
	struct mem *b = arg;
	size_t add = size * n;
	if (b->len + add > b->max) {
		b->over = 1;
		return 0;
	}
	if (b->len + add + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + add + 1)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d)
			return 0;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

static void mem_reset(struct mem *b, size_t max)
{
	b->len = 0;
	b->over = 0;
	b->max = max;
	if (b->data)
		b->data[0] = '\0';
}

/* The poll of one address: its curl handle, the folder's URL, what went wrong. */
struct poll {
	struct mailer *m;
	struct mbox *b;
	CURL *h;
	char url[1024];
	char curl_err[CURL_ERROR_SIZE];
	char error[IMAP_ERROR_MAX + 1]; /* for imap_error; the first problem wins */
	struct mem resp;
};

static void poll_error(struct poll *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void poll_error(struct poll *p, const char *fmt, ...)
{
	char msg[IMAP_ERROR_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	log_msg(LOG_WARN, "mailer: imap %s (address %s): %s", p->b->address, p->b->id, msg);
	if (!p->error[0])
		snprintf(p->error, sizeof p->error, "%s", msg);
}

/* Run one IMAP request: custom (a command, or NULL for libcurl's own FETCH of uid) on the folder.
 * The response lands in p->resp (at most max bytes). 0, or -1 with the error noted. */
static int imap_do(struct poll *p, const char *custom, const char *uid, size_t max, const char *what)
{
	char url[1100];
	if (uid)
		snprintf(url, sizeof url, "%s;UID=%s", p->url, uid);
	else
		snprintf(url, sizeof url, "%s", p->url);
	mem_reset(&p->resp, max);
	p->curl_err[0] = '\0';
	curl_easy_setopt(p->h, CURLOPT_URL, url);
	curl_easy_setopt(p->h, CURLOPT_CUSTOMREQUEST, custom);
	CURLcode rc = curl_easy_perform(p->h);
	if (rc == CURLE_OK)
		return 0;
	if (p->resp.over)
		poll_error(p, "%s: the response is over %zu bytes", what, max);
	else
		poll_error(p, "%s: %s", what, p->curl_err[0] ? p->curl_err : curl_easy_strerror(rc));
	return -1;
}

/* The UIDs of "* SEARCH 3 7 9" (ascending, at most cap). */
static int parse_search(const char *s, long *uids, int cap, int *total)
{
	int n = 0;
	*total = 0;
	const char *line = strstr(s, "* SEARCH");
	if (!line)
		return 0;
	const char *q = line + 8;
	while (*q == ' ') {
		char *end;
		long v = strtol(q + 1, &end, 10);
		if (end == q + 1 || v <= 0)
			break;
		(*total)++;
		if (n < cap)
			uids[n++] = v;
		q = end;
	}
	/* servers answer in any order: ascending, oldest first */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && uids[j - 1] > uids[j]; j--) {
			long t = uids[j];
			uids[j] = uids[j - 1];
			uids[j - 1] = t;
		}
	return n;
}

/* ---- the gateway ---- */

/* build/portal-mailgate beside the running mailer. */
static int gateway_path(char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return snprintf(out, cap, "%s/portal-mailgate", self) < (int)cap ? 0 : -1;
}

/* Hand data to the gateway: its exit status (0, 65, 75, ...), or -1 when it could not run, ended
 * by a signal or took longer than IMAP_GATE_SECONDS (then it is killed). */
static int gateway_run(const char *address, const char *data, size_t len)
{
	char path[PATH_MAX];
	if (gateway_path(path, sizeof path) < 0)
		return -1;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[0], 0);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 1); /* stdout is the mailer's; the gateway logs to the log file */
		close_range(3, ~0U, 0);
		signal(SIGPIPE, SIG_DFL);
		execl(path, "portal-mailgate", "--to", address, "--via", "imap", (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	long limit_ms = IMAP_GATE_SECONDS * 1000L;
	size_t off = 0;
	int timed_out = 0;
	while (off < len) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = limit_ms - ((now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L);
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		struct pollfd pf = {fds[1], POLLOUT, 0};
		if (poll(&pf, 1, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR)
			break;
		ssize_t w = write(fds[1], data + off, len - off);
		if (w > 0)
			off += (size_t)w;
		else if (w < 0 && errno != EAGAIN && errno != EINTR)
			break; /* EPIPE: the gateway stopped reading; its exit status says why */
	}
	close(fds[1]);
	int status = 0;
	for (;;) {
		pid_t r = waitpid(pid, &status, timed_out ? 0 : WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L >= limit_ms) {
			kill(pid, SIGKILL);
			timed_out = 1;
			continue;
		}
		struct timespec ms20 = {0, 20000000L};
		nanosleep(&ms20, NULL);
	}
	if (timed_out) {
		log_msg(LOG_WARN, "mailer: imap: the gateway took longer than %d s and was stopped", IMAP_GATE_SECONDS);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- one address ---- */

/* What the size limit refused without fetching it: a row of mail_inbound, as the gateway keeps. */
static int log_refused(struct mailer *m, const struct mbox *b, long size)
{
	char sz[32];
	snprintf(sz, sizeof sz, "%ld", size);
	const char *params[] = {b->address, sz};
	return mailer_command(m, "imap refused", "INSERT INTO mail_inbound (via, recipient, size_bytes, outcome, reason)"
						 " VALUES ('imap', $1, $2::bigint, 'refused', 'over the size limit, not fetched')",
			      2, params);
}

static int mark_seen(struct poll *p, const char *uid)
{
	char cmd[96];
	snprintf(cmd, sizeof cmd, "UID STORE %s +FLAGS.SILENT (\\Seen)", uid);
	return imap_do(p, cmd, NULL, 1 << 16, "marking a message read");
}

/* Poll one message: 0 handled (handed over, or refused), 1 left for the next poll, -1 the
 * connection failed (stop this address). */
static int poll_message(struct poll *p, long uid_n)
{
	char uid[24], cmd[256];
	snprintf(uid, sizeof uid, "%ld", uid_n);
	long max = p->m->cfg.max_mail_bytes; /* the gateway's limit (limits.max_mail_mb) */

	snprintf(cmd, sizeof cmd, "UID FETCH %s (RFC822.SIZE)", uid);
	if (imap_do(p, cmd, NULL, 1 << 16, "asking a message's size") < 0)
		return -1;
	const char *s = strstr(p->resp.data ? p->resp.data : "", "RFC822.SIZE ");
	if (!s)
		return 1; /* gone meanwhile (expunged elsewhere) */
	long size = strtol(s + 12, NULL, 10);
	if (size > max) {
		log_msg(LOG_WARN, "mailer: imap %s: message UID %s is %ld bytes, over the limit of %ld: refused, marked read",
			p->b->address, uid, size, max);
		if (log_refused(p->m, p->b, size) < 0)
			return 1;
		return mark_seen(p, uid) < 0 ? -1 : 0;
	}

	/* read-only for the fetch, so that BODY[] leaves \Seen alone */
	snprintf(cmd, sizeof cmd, "EXAMINE \"%s\"", p->b->folder);
	if (imap_do(p, cmd, NULL, 1 << 16, "opening the folder read-only") < 0)
		return -1;
	curl_easy_setopt(p->h, CURLOPT_CUSTOMREQUEST, NULL);
	if (imap_do(p, NULL, uid, (size_t)max + 65536, "fetching a message") < 0)
		return -1;
	long fresh = 0;
	curl_easy_getinfo(p->h, CURLINFO_NUM_CONNECTS, &fresh);
	struct mem msg = p->resp; /* keep the message; the next requests get a buffer of their own */
	p->resp = (struct mem){0};
	snprintf(cmd, sizeof cmd, "SELECT \"%s\"", p->b->folder);
	int rc = imap_do(p, cmd, NULL, 1 << 16, "opening the folder");
	if (rc == 0 && fresh) {
		/* the fetch ran on a new connection, where libcurl had selected the folder read-write:
		 * undo the \Seen the fetch may have set before anything else */
		snprintf(cmd, sizeof cmd, "UID STORE %s -FLAGS.SILENT (\\Seen)", uid);
		rc = imap_do(p, cmd, NULL, 1 << 16, "keeping a message unread");
	}
	if (msg.len == 0) {
		free(msg.data);
		return rc < 0 ? -1 : 1;
	}

	/* The bytes are here: hand them in even when the connection broke after the fetch (the fetch
	 * may have left the message \Seen, and then no later poll would find it). A message handed in
	 * twice is stored once (its Message-ID); marking it read waits for the next poll. */
	int exit_code = gateway_run(p->b->address, msg.data, msg.len);
	free(msg.data);
	if (rc < 0) {
		log_msg(LOG_WARN, "mailer: imap %s: message UID %s handed to the gateway (exit %d) after the "
			"connection broke; it is marked read on the next poll", p->b->address, uid, exit_code);
		return -1;
	}
	if (exit_code == 0 || exit_code == 65) {
		log_msg(LOG_INFO, "mailer: imap %s: message UID %s %s (%zu bytes)", p->b->address, uid,
			exit_code == 0 ? "handed to the gateway" : "refused by the gateway", msg.len);
		return mark_seen(p, uid) < 0 ? -1 : 0;
	}
	if (exit_code == 75)
		poll_error(p, "the gateway deferred message UID %s (exit 75, temporary); it stays unread for the next poll", uid);
	else
		poll_error(p, "the gateway failed on message UID %s (exit %d); it stays unread for the next poll", uid, exit_code);
	return 1;
}

static void record(struct mailer *m, const struct mbox *b, const char *error)
{
	const char *params[] = {b->id, error && *error ? error : NULL};
	if (m->pg)
		mailer_command(m, "imap record", "UPDATE inbox_addresses SET imap_polled_at = now(), imap_error = $2"
						  " WHERE id = $1::bigint", 2, params);
}

static long ms_until(const struct timespec *t);

/* Poll one address until deadline. Returns 1 when unread messages were left (a full batch, or
 * the time was up). */
static int poll_address(struct mailer *m, struct mbox *b, const struct timespec *deadline)
{
	struct poll p = {.m = m, .b = b};
	int more = 0;
	char context[48];
	snprintf(context, sizeof context, "inbox_address:%s", b->id);
	if (secretbox_open(m->cfg.secret_key, context, b->sealed, b->password, sizeof b->password) < 0) {
		poll_error(&p, "the stored password cannot be decrypted (was the config's secret_key changed?); enter it again");
		record(m, b, p.error);
		return 0;
	}
	p.h = curl_easy_init();
	char *folder = p.h ? curl_easy_escape(p.h, b->folder, 0) : NULL;
	if (!folder) {
		poll_error(&p, "out of memory");
		goto done;
	}
	int tls = strcmp(b->security, "tls") == 0;
	snprintf(p.url, sizeof p.url, "%s://%s:%s/%s", tls ? "imaps" : "imap", b->host, b->port, folder);
	curl_free(folder);
	curl_easy_setopt(p.h, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(p.h, CURLOPT_USERNAME, b->user);
	curl_easy_setopt(p.h, CURLOPT_PASSWORD, b->password);
	curl_easy_setopt(p.h, CURLOPT_USE_SSL, strcmp(b->security, "starttls") == 0 ? (long)CURLUSESSL_ALL
										    : (long)CURLUSESSL_NONE);
	curl_easy_setopt(p.h, CURLOPT_CONNECTTIMEOUT, (long)IMAP_CONNECT_SECONDS);
	curl_easy_setopt(p.h, CURLOPT_TIMEOUT, (long)IMAP_REQUEST_SECONDS);
	curl_easy_setopt(p.h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p.h, CURLOPT_ERRORBUFFER, p.curl_err);
	curl_easy_setopt(p.h, CURLOPT_WRITEFUNCTION, mem_write);
	curl_easy_setopt(p.h, CURLOPT_WRITEDATA, &p.resp);

	if (imap_do(&p, "UID SEARCH UNSEEN", NULL, 1 << 20, "searching unread messages") < 0)
		goto done;
	long uids[IMAP_BATCH];
	int total = 0, n = parse_search(p.resp.data ? p.resp.data : "", uids, IMAP_BATCH, &total);
	more = total > IMAP_BATCH;
	int handled = 0;
	for (int i = 0; i < n && !stop_requested; i++) {
		if (i > 0 && ms_until(deadline) <= 0) {
			more = 1; /* the rest after the outbox had its turn */
			break;
		}
		int r = poll_message(&p, uids[i]);
		if (r < 0) {
			more = 0;
			break;
		}
		handled += r == 0;
	}
	if (n)
		log_msg(LOG_INFO, "mailer: imap %s: %d of %d unread message(s) handled", b->address, handled, total);
done:
	if (p.h)
		curl_easy_cleanup(p.h); /* LOGOUT */
	explicit_bzero(b->password, sizeof b->password);
	free(p.resp.data);
	record(m, b, p.error);
	return more;
}

/* ---- the schedule ---- */

static long ms_until(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (t->tv_sec - now.tv_sec) * 1000L + (t->tv_nsec - now.tv_nsec) / 1000000L;
}

int imap_poll(struct mailer *m, int force)
{
	if (!m->pg || (!force && !m->imap_requested && ms_until(&m->imap_next) > 0))
		return 0;
	m->imap_requested = 0;
	clock_gettime(CLOCK_MONOTONIC, &m->imap_next);
	m->imap_next.tv_sec += m->imap_poll_seconds;
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += IMAP_BUDGET_MS / 1000;
	char lim[16];
	snprintf(lim, sizeof lim, "%d", IMAP_ADDRESSES_MAX);
	const char *params[] = {lim};
	PGresult *r = mailer_query(m, "imap addresses",
				   "SELECT id::text, address, imap_host, imap_port::text, imap_security, imap_user,"
				   " imap_password_enc, imap_folder FROM inbox_addresses"
				   " WHERE imap_host IS NOT NULL AND connected"
				   " ORDER BY imap_polled_at NULLS FIRST, id LIMIT $1::int",
				   1, params);
	if (!r)
		return -1;
	int more = 0, n = PQntuples(r);
	for (int i = 0; i < n && !stop_requested && m->pg; i++) {
		if (i > 0 && ms_until(&deadline) <= 0) {
			more = 1; /* the least recently polled go first next time */
			break;
		}
		struct mbox b = {.id = PQgetvalue(r, i, 0), .address = PQgetvalue(r, i, 1), .host = PQgetvalue(r, i, 2),
				 .port = PQgetvalue(r, i, 3), .security = PQgetvalue(r, i, 4), .user = PQgetvalue(r, i, 5),
				 .sealed = PQgetvalue(r, i, 6), .folder = PQgetvalue(r, i, 7)};
		more |= poll_address(m, &b, &deadline);
	}
	PQclear(r);
	if (more) /* a full batch: the rest at the next turn of the loop */
		clock_gettime(CLOCK_MONOTONIC, &m->imap_next);
	return n;
}

long imap_wait_ms(const struct mailer *m)
{
	if (m->imap_requested)
		return 0;
	long ms = ms_until(&m->imap_next);
	return ms < 0 ? 0 : ms;
}

void imap_setup(struct mailer *m)
{
	const char *s = getenv("PORTAL_IMAP_POLL_SECONDS");
	long v = s && *s ? strtol(s, NULL, 10) : 0;
	m->imap_poll_seconds = v >= 1 && v <= 86400 ? (int)v : IMAP_POLL_SECONDS;
	clock_gettime(CLOCK_MONOTONIC, &m->imap_next); /* the first poll right after start */
}
