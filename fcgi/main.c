/* main.c - the FastCGI worker: start-up, the accept loop, and dispatch through the route table. */
#include <errno.h>
#include <fcgiapp.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "admin.h"
#include "api.h"
#include "i18n.h"
#include "log.h"
#include "metrics_notes.h"
#include "saml.h"
#include "settings_load.h"
#include "tmpl.h"
#include "token.h"

struct config cfg;
struct tmpl_set *templates;
char asset_version[17] = "0";

/* Served while no portal is readable (database down at start-up): /healthz and error pages. */
static struct portal fallback_portal = {
	.name = "Customer portal", .page_title = "Customer portal", .ticket_slug = "tickets",
	.access_mode = "registration", .permission_mode = "own", .time_zone = "UTC",
	.session_timeout_minutes = 60,
};

static long usec_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000000L + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* First 16 hex digits of the stylesheets' SHA-256: the versioned URL of the theme assets. */
static void compute_asset_version(void)
{
	static const char *const files[] = {"portal.css", "admin.css"};
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char chunk[8192], digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	size_t n;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/static/%s", cfg.templates_dir, files[i]);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			EVP_DigestUpdate(md, chunk, n);
		fclose(f);
	}
	EVP_DigestFinal_ex(md, digest, &dlen);
	EVP_MD_CTX_free(md);
	hex_encode(digest, 8, asset_version);
}

static int startup(void)
{
	if (startup_load("portal", 0) < 0)
		return -1;
	compute_asset_version();
	if (saml_init() < 0) {
		log_msg(LOG_ERROR, "xmlsec could not be initialised (SAML sign-on)");
		return -1;
	}
	for (unsigned i = 0; stmt_tables[i]; i++)
		db_register(stmt_tables[i]);
	if (api_openapi_load(cfg.templates_dir) < 0)
		return -1;
	db_listen(SETTINGS_NOTIFY_CHANNEL);
	settings_stamp_open(cfg.database);
	metrics_start();
	if (db_connect(cfg.database) < 0)
		log_msg(LOG_WARN, "database not reachable at start-up; will retry per request");
	else
		settings_load();
	unsigned n = 0;
	for (const struct route *r = routes; r->pattern; r++)
		n++;
	log_msg(LOG_INFO, "worker ready (%u routes)", n);
	return 0;
}

/* Read exactly CONTENT_LENGTH bytes into the arena. Returns 0, or an HTTP status. */
static int read_body(FCGX_Request *rq, struct arena *a, const char **body, size_t *len,
		     char *err, size_t errlen)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", rq->envp);
	*body = "";
	*len = 0;
	if (!cl || !*cl)
		return 0;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(cl, &end, 10);
	if (*end || errno || cl[0] == '-' || cl[0] == '+' || cl[0] == ' ') {
		snprintf(err, errlen, "malformed CONTENT_LENGTH");
		return 400;
	}
	if (n > (unsigned long long)cfg.max_body_bytes) {
		snprintf(err, errlen, "body of %llu bytes over the limit", n);
		return 413;
	}
	char *p = arena_alloc(a, (size_t)n + 1);
	if (!p)
		return 500;
	size_t got = 0;
	while (got < n) {
		int r = FCGX_GetStr(p + got, (int)(n - got > 65536 ? 65536 : n - got), rq->in);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	*body = p;
	*len = got; /* a short body is caught by request_parse's CONTENT_LENGTH check */
	return 0;
}

static const struct route *find_route(struct ctx *c, const char *path, char *allow, size_t cap)
{
	const struct request *rq = c->req;
	allow[0] = '\0';
	for (const struct route *r = routes; r->pattern; r++) {
		if (!route_match(r->pattern, path, c->portal->ticket_slug, &c->caps))
			continue;
		enum http_method m = rq->method == HTTP_HEAD ? HTTP_GET : rq->method;
		if (r->method == m)
			return r;
		size_t l = strlen(allow);
		snprintf(allow + l, cap - l, "%s%s", l ? ", " : "", r->method == HTTP_GET ? "GET, HEAD" : "POST");
	}
	return NULL;
}

/* The POST's CSRF token must match the session's, or before login the pre-session cookie's. */
static int csrf_ok(struct ctx *c)
{
	const char *sent = request_form(c->req, "csrf");
	if (c->staff.found)
		return csrf_check(cfg.secret_key, c->staff.csrf_secret, sent);
	if (c->sess.found)
		return csrf_check(cfg.secret_key, c->sess.csrf_secret, sent);
	const char *pre = get_cookie(c, PRE_COOKIE);
	return pre && token_well_formed(pre) && csrf_check(cfg.secret_key, pre, sent);
}

/* Not logged in (or idle too long) on a GET: to the login page (or the sign-on start), keeping
 * where the customer was going. A POST gets signed_out_post instead. */
static int to_login(struct ctx *c)
{
	const char *path = c->req->query_string[0]
				   ? arena_printf(c->arena, "%s?%s", c->req->path, c->req->query_string)
				   : c->req->path;
	if (sso_on(c->portal))
		return sso_start(c, safe_next(path));
	struct buf to = BUF_INIT;
	buf_puts(&to, c->sess.idle_expired ? "/login?idle=1&next=" : "/login?next=");
	buf_urlenc(&to, path, strlen(path));
	page_redirect(c, 303, to.data ? to.data : "/login");
	buf_free(&to);
	return 303;
}

static int is_staff_route(const struct route *rt)
{
	return rt->auth == AUTH_STAFF_PUBLIC || rt->auth == AUTH_STAFF || rt->auth == AUTH_ADMIN;
}

/* Staff not logged in: to the console's login page, keeping a GET's destination. */
static int to_staff_login(struct ctx *c)
{
	struct buf to = BUF_INIT;
	buf_puts(&to, c->staff.idle_expired ? "/admin/login?idle=1&next=" : "/admin/login?next=");
	const char *path = c->req->method == HTTP_GET || c->req->method == HTTP_HEAD ? c->req->path
										     : "/admin";
	buf_urlenc(&to, path, strlen(path));
	if (path == c->req->path && c->req->query_string[0]) {
		buf_urlenc(&to, "?", 1);
		buf_urlenc(&to, c->req->query_string, strlen(c->req->query_string));
	}
	page_redirect(c, 303, to.data ? to.data : "/admin/login");
	buf_free(&to);
	return 303;
}

/* The one place that decides who may enter a route, before any handler runs. */
static int gate(struct ctx *c, const struct route *rt)
{
	if (is_staff_route(rt)) {
		if (rt->auth != AUTH_STAFF_PUBLIC && !c->staff.found)
			return to_staff_login(c);
		if (c->req->method == HTTP_POST && !(rt->flags & ROUTE_NO_CSRF) && !csrf_ok(c)) {
			log_msg(LOG_WARN, "refused POST %s: missing or wrong CSRF token", c->req->path);
			return 403;
		}
		if (rt->auth == AUTH_ADMIN && !c->staff.is_admin) {
			log_msg(LOG_WARN, "refused %s: admin role needed", c->req->path);
			return 403;
		}
		return 0;
	}
	if (rt->auth != AUTH_ALWAYS && !c->portal->enabled)
		return access_denied_page(c);
	if (rt->auth == AUTH_MEMBER && !c->sess.found)
		return c->req->method == HTTP_POST ? signed_out_post(c, rt->flags & ROUTE_DRAFT) : to_login(c);
	if ((rt->flags & ROUTE_PASSWORD) && sso_on(c->portal)) {
		if (c->sess.found)
			return page_redirect(c, 303, arena_printf(c->arena, "/%s", c->portal->ticket_slug));
		return sso_start(c, safe_next(request_query(c->req, "next")));
	}
	if (c->req->method == HTTP_POST && !(rt->flags & ROUTE_NO_CSRF) && !csrf_ok(c)) {
		log_msg(LOG_WARN, "refused POST %s: missing or wrong CSRF token", c->req->path);
		return 403;
	}
	if (rt->auth == AUTH_MEMBER && !c->sess.allowed)
		return access_denied_page(c);
	return 0;
}

/* A path under the portal's previous ticket slug: where it lives now (301), else NULL. */
static const char *old_slug_location(struct ctx *c)
{
	const char *old = c->portal->previous_slug, *path = c->req->path;
	size_t n = strlen(old);
	if (!n || path[0] != '/' || strncmp(path + 1, old, n) != 0 || (path[n + 1] && path[n + 1] != '/'))
		return NULL;
	return arena_printf(c->arena, "/%s%s%s%s", c->portal->ticket_slug, path + n + 1,
			    c->req->query_string[0] ? "?" : "", c->req->query_string);
}

/* The rest after prefix when path is prefix itself or prefix followed by '/', else NULL. */
static const char *under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/') ? path + n : NULL;
}

/*
 * The settings pages of several portals: /admin/portals/<id>/settings[/...] is matched against
 * the /admin/settings[/...] routes with c->portal the portal <id> of the settings cache (so
 * admin_portal_id() and everything else that reads c->portal configure that portal; the
 * console's links to them: admin_settings_url()). Returns the path to match (the request's own
 * when it is no such path), or NULL for an unknown portal (404). The old /admin/settings[/...]
 * answers a redirect to the default portal's page: *moved is set (2: there is no portal yet, and
 * the path is the page that makes one).
 */
static const char *settings_path(struct ctx *c, int *moved)
{
	const char *path = c->req->path, *rest;
	*moved = 0;
	if ((rest = under(path, "/admin/settings"))) {
		const char *lang;
		const struct portal *def = settings_portal_for_host("", &lang);
		*moved = 1;
		if (!def) { /* a new install has no portal yet: the page that makes one */
			*moved = 2;
			return "/admin/portals";
		}
		return arena_printf(c->arena, "/admin/portals/%ld/settings%s%s%s", def->id, rest,
				    c->req->query_string[0] ? "?" : "", c->req->query_string);
	}
	if (strncmp(path, "/admin/portals/", 15) != 0)
		return path;
	const char *id = path + 15, *e = id;
	while (*e >= '0' && *e <= '9')
		e++;
	if (e == id || !(rest = under(e, "/settings")))
		return path;
	const struct portal *p = settings_portal_by_id(admin_id(arena_printf(c->arena, "%.*s", (int)(e - id), id)));
	if (!p)
		return NULL;
	c->portal = p;
	c->lang = p->primary_lang[0] ? p->primary_lang : "en";
	return arena_printf(c->arena, "/admin/settings%s", rest);
}

static int dispatch(struct ctx *c)
{
	if (strncmp(c->req->path, "/api/", 5) == 0 || strcmp(c->req->path, "/api") == 0)
		return api_dispatch(c); /* the JSON API: its own tokens, never a cookie */
	int old_settings;
	const char *path = settings_path(c, &old_settings);
	if (old_settings) /* a GET keeps being a GET (303); a POST is repeated, body and all, there (308) */
		return page_redirect(c, c->req->method == HTTP_POST && old_settings == 1 ? 308 : 303, path);
	char allow[64];
	const struct route *rt = path ? find_route(c, path, allow, sizeof allow) : NULL;
	if (!path)
		allow[0] = '\0';
	if (!rt) {
		const char *moved = allow[0] ? NULL : old_slug_location(c);
		if (moved)
			return page_redirect(c, 301, moved);
		int in_admin = strncmp(c->req->path, "/admin/", 7) == 0;
		if (allow[0])
			response_header(c->res, "Allow", allow);
		int status = allow[0] ? 405 : 404;
		return in_admin ? admin_error(c, status) : page_error(c, status);
	}
	if (is_staff_route(rt)) {
		const char *st = get_cookie_path(c, STAFF_COOKIE, STAFF_COOKIE_PATH);
		if (st && staff_session_load(st, &c->staff) < 0)
			return page_error(c, 503);
		if (st && !c->staff.found)
			set_cookie_path(c, STAFF_COOKIE, "", 0, STAFF_COOKIE_PATH);
		int status = gate(c, rt);
		if (status == 0)
			status = rt->handler(c);
		if (status >= 400 && c->res->body.len == 0)
			status = admin_error(c, status);
		/* a console change is committed before its 303: let this host's workers see new
		 * settings from the very next request (reloading costs two small queries) */
		if (c->req->method == HTTP_POST && status == 303)
			settings_stamp_bump();
		return status;
	}
	const char *token = get_cookie(c, SESSION_COOKIE);
	if (token && rt->auth != AUTH_ALWAYS) {
		struct fold f = {0};
		fold_fn fn = NULL;
		for (const struct route_fold *rf = route_folds; rf->handler && rt->auth == AUTH_MEMBER; rf++)
			if (rf->handler == rt->handler)
				fn = rf->fold;
		int fold = fn && fn(c, &f) == 0;
		if (session_load_fold(token, &c->sess, fold ? f.stmt : NULL, f.n, f.params, fold ? &c->folded : NULL) < 0)
			return page_error(c, 503);
		if (c->sess.found && c->sess.portal_id != c->portal->id) {
			memset(&c->sess, 0, sizeof c->sess); /* a session belongs to one portal */
			PQclear(c->folded);
			c->folded = NULL;
		}
		if (!c->sess.found)
			set_cookie(c, SESSION_COOKIE, "", 0);
	}
	int status = gate(c, rt);
	if (status == 0)
		status = rt->handler(c);
	PQclear(c->folded); /* a handler that took it set it to NULL */
	c->folded = NULL;
	if (status >= 400 && c->res->body.len == 0)
		status = page_error(c, status);
	return status;
}

static void handle(FCGX_Request *rq, struct arena *a, struct response *res)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long trips0 = db_round_trips();
	struct request req;
	struct ctx c = {.req = &req, .res = res, .arena = a, .lang = "en"};
	memset(&req, 0, sizeof req);
	log_set_request(FCGX_GetParam("REMOTE_ADDR", rq->envp), FCGX_GetParam("REQUEST_ID", rq->envp));

	settings_refresh();
	const char *body;
	size_t body_len;
	char err[128] = "";
	int status = read_body(rq, a, &body, &body_len, err, sizeof err);
	if (status == 0)
		status = request_parse(&req, a, rq->envp, body, body_len, err, sizeof err);
	c.portal = settings_portal_for_host(req.host ? req.host : "", &c.lang);
	if (!c.portal)
		c.portal = &fallback_portal;
	if (status != 0) {
		log_msg(LOG_WARN, "refused request: %d %s", status, err);
		const char *uri = FCGX_GetParam("REQUEST_URI", rq->envp);
		status = uri && strncmp(uri, "/api/", 5) == 0 ? api_problem(&c, status, NULL, err) : page_error(&c, status);
	} else {
		status = dispatch(&c);
	}
	db_request_end();
	if (req.request_id && strcmp(req.request_id, "-") != 0) /* nginx's own answers get it from nginx */
		response_header(res, "X-Request-Id", req.request_id);

	struct buf out = BUF_INIT;
	response_serialize(res, req.method == HTTP_HEAD, &out);
	FCGX_PutStr(out.data, (int)out.len, rq->out);
	buf_free(&out);
	long usec = usec_since(&t0);
	metrics_note_request(req.path, c.portal->ticket_slug, status, usec, db_round_trips() - trips0);
	log_access(FCGX_GetParam("REQUEST_METHOD", rq->envp), req.path ? req.path : "-", status, usec);
	log_set_request(NULL, NULL);
}

/* Commands besides serving: `portal admin-create EMAIL [NAME] < password`; `portal
 * api-token-create NAME SCOPE...` (fcgi/api_token.c); `portal probe SOCKET [/PATH]`
 * (fcgi/probe.c); `portal statement NAME`
 * prints a prepared statement's parameter count and SQL (make bench EXPLAINs them). */
static int command(int argc, char **argv)
{
	if (strcmp(argv[1], "probe") == 0) /* needs no config: stack.sh asks a new pool before using it */
		return probe_main(argc, argv);
	const char *path = getenv("PORTAL_CONFIG");
	char err[512];
	if (config_load(&cfg, path && *path ? path : "var/portal.json", err, sizeof err) < 0) {
		fprintf(stderr, "portal: %s\n", err);
		return 1;
	}
	log_open("-", LOG_WARN);
	if (strcmp(argv[1], "admin-create") == 0)
		return admin_create_main(argc, argv);
	if (strcmp(argv[1], "api-token-create") == 0)
		return api_token_create_main(argc, argv);
	if (strcmp(argv[1], "statement") == 0 && argc == 3) { /* make bench EXPLAINs the workers' own SQL */
		for (unsigned i = 0; stmt_tables[i]; i++)
			for (const struct db_stmt *st = stmt_tables[i]; st->name; st++)
				if (strcmp(st->name, argv[2]) == 0) {
					printf("%d\n%s\n", st->nparams, st->sql);
					return 0;
				}
		fprintf(stderr, "portal: no statement %s\n", argv[2]);
		return 1;
	}
	fprintf(stderr, "portal: unknown command %s (known: admin-create, api-token-create, probe, statement NAME)\n", argv[1]);
	return 2;
}

/* libfcgi ends a connection with a lingering close made for TCP: it shuts its side for writing
 * and waits (poll, read) until the web server closes first, so that unread request data cannot
 * turn into a reset that loses the response. Over a Unix socket there is no such reset; a request
 * without a body has nothing left unread, so its connection is simply closed (FCGX_Detach makes
 * FCGX_Finish_r close plainly). A GET or HEAD without a length is that; anything else, and TCP
 * listeners, keep the lingering close. */
static int unix_listener(void)
{
	struct sockaddr_storage a;
	socklen_t l = sizeof a;
	return getsockname(0, (struct sockaddr *)&a, &l) == 0 && a.ss_family == AF_UNIX;
}

static int bodiless(FCGX_Request *rq)
{
	const char *m = FCGX_GetParam("REQUEST_METHOD", rq->envp);
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", rq->envp);
	return m && (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) && (!cl || !*cl || strcmp(cl, "0") == 0);
}

/*
 * Stopping gracefully (make scale, make reload, systemctl stop: multiwatch passes SIGUSR1 on to
 * its workers, systemd sends SIGTERM): a worker told to stop finishes the request it is on and
 * leaves the accept loop. SIGUSR1 and SIGTERM stay blocked while a request runs, so no system
 * call of a request (a read of its body, a write of its answer, libpq's) is ever interrupted;
 * they are let in only while the worker waits for the next connection, in epoll_pwait, whose
 * EINTR ends the loop, after the connections already queued on the socket are served (see
 * accept_next). The listening socket is non-blocking: a worker woken for a connection
 * another worker took gets EAGAIN from the accept and waits again (EPOLLEXCLUSIVE keeps such
 * wake-ups few).
 */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Block the stop signals and install their handler; *waiting gets the mask epoll_pwait lets
 * them in with. Returns the epoll descriptor watching the listening socket, or -1. */
static int accept_wait_setup(sigset_t *waiting)
{
	sigset_t stops;
	sigemptyset(&stops);
	sigaddset(&stops, SIGUSR1);
	sigaddset(&stops, SIGTERM);
	sigprocmask(SIG_BLOCK, &stops, waiting);
	sigdelset(waiting, SIGUSR1);
	sigdelset(waiting, SIGTERM);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	int fl = fcntl(0, F_GETFL);
	if (fl < 0 || fcntl(0, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) < 0) {
		if (ep >= 0)
			close(ep);
		return -1;
	}
	return ep;
}

/* Requests a stopping worker still serves from its socket's queue: make scale and make reload
 * unname the old pool's socket first, so the queue only shrinks; a bound for a stop under way
 * while the socket still takes connections (systemctl stop). */
#define DRAIN_MAX 1000
static unsigned drained;

/* The next request: 0, or -1 when the worker is to leave (told to stop and nothing is queued any
 * more, or the socket failed). */
static int accept_next(int ep, const sigset_t *waiting, FCGX_Request *rq)
{
	for (;;) {
		if (stop_requested) { /* serve what is queued already, then leave */
			if (drained >= DRAIN_MAX || FCGX_Accept_r(rq) < 0)
				return -1;
			drained++;
			return 0;
		}
		struct epoll_event ev;
		int n = epoll_pwait(ep, &ev, 1, -1, waiting);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n <= 0)
			continue; /* a signal: stop_requested says which */
		int r = FCGX_Accept_r(rq);
		if (r >= 0)
			return 0;
		if (r != -EAGAIN && r != -EWOULDBLOCK && r != -EINTR) {
			log_msg(LOG_ERROR, "accept on the FastCGI socket failed (%d)", r);
			return -1;
		}
	}
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1)
		return command(argc, argv);
	sigset_t waiting;
	int ep = accept_wait_setup(&waiting);
	if (ep < 0) {
		fprintf(stderr, "portal: no FastCGI socket on descriptor 0 (run under spawn-fcgi)\n");
		return 1;
	}
	if (startup() < 0)
		return 1;
	if (FCGX_Init() != 0)
		return 1;
	FCGX_Request rq;
	FCGX_InitRequest(&rq, 0, 0);
	struct arena a;
	arena_init(&a, 64 * 1024);
	struct response res;
	response_init(&res);
	int plain_close = unix_listener();
	while (accept_next(ep, &waiting, &rq) == 0) {
		response_reset(&res);
		handle(&rq, &a, &res);
		if (plain_close && bodiless(&rq))
			FCGX_Detach(&rq);
		FCGX_Finish_r(&rq);
		arena_reset(&a);
	}
	if (stop_requested)
		log_msg(LOG_INFO, "worker stopping: told to (SIGUSR1 or SIGTERM); served %u queued after", drained);
	close(ep);
	response_free(&res);
	arena_free(&a);
	db_disconnect();
	settings_free();
	i18n_free();
	tmpl_set_free(templates);
	saml_shutdown();
	return 0;
}
