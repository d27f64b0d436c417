/* app.h - what every page handler sees: the request context, the route table's types, chrome helpers. */
#ifndef PORTAL_APP_H
#define PORTAL_APP_H

#include <json-c/json.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "form.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "sessions.h"
#include "settings.h"

/* Who may enter a route; checked once in dispatch before any handler runs (closed unless opened). */
enum auth_level {
	AUTH_MEMBER,  /* a logged-in customer allowed into this portal (the default: value 0) */
	AUTH_PUBLIC,  /* anyone, while the portal is switched on */
	AUTH_ALWAYS,  /* anyone, even with the portal switched off (health, access denied) */
	/* Admin console (paths under /admin): the staff cookie, never the customer's; served
	 * whether or not the portal is switched on. */
	AUTH_STAFF_PUBLIC, /* anyone (the staff login page) */
	AUTH_STAFF,        /* a logged-in admin or agent */
	AUTH_ADMIN,        /* a logged-in admin */
	AUTH_LEVEL__MAX
};

/* Route flags. Every POST is checked for a CSRF token unless marked. */
#define ROUTE_NO_CSRF 0x1
/* A password page (login, registration, reset): not offered while single sign-on is on; the
 * visitor goes to the sign-on start instead. */
#define ROUTE_PASSWORD 0x2

/* A POST of this route that arrives without a session keeps its text for the browser (a reply, a
 * new ticket): see fcgi/drafts.c. */
#define ROUTE_DRAFT 0x4

#define PRE_COOKIE "portal_pre" /* pre-session cookie that CSRF tokens of login forms bind to */

struct api_token;

struct ctx {
	struct request *req;
	struct response *res;
	struct arena *arena;
	const struct portal *portal; /* never NULL inside a handler */
	const char *lang;
	struct route_caps caps;
	struct session sess;   /* sess.found when a customer is logged in (never on staff routes) */
	struct staff_session staff; /* staff.found when an admin or agent is logged in (staff routes) */
	long preview_contact;  /* admin preview: the contact whose portal view is shown, else 0 */
	const char *csrf;      /* the token forms of this page carry */
	const char *pre;       /* this browser's pre-session token once pre_session() ran */
	int draft_restored;    /* a form on this page holds text kept from before a sign-in */
	int no_referrer;       /* this page's URL carries a secret: Referrer-Policy no-referrer */
	PGresult *folded;      /* the route's fold, read with the session; the handler takes it */
	const struct api_token *api; /* the JSON API's bearer token (fcgi/api.h); NULL elsewhere */
};

/* A handler fills ctx->res (status, headers, body) and returns the status. A status >= 400
 * with an empty body is turned into the standard error page by dispatch. */
typedef int (*handler_fn)(struct ctx *c);

/* A page read in the same statement as its customer's session (issue 19: one round trip): the
 * statement starts with the session's columns (fcgi/sessions.h SESSION_LOAD_SQL, $1 the token's
 * hash) and takes params[0..n) as $2... The handler finds the result in ctx->folded when the
 * session was found (else it was never its to read), and reads its own rows from column
 * SESSION_NCOLS on; it may ignore it (PQclear) and read the plain way. */
struct fold {
	const char *stmt;
	int n;
	const char *params[15];
};
/* Fills f for this request; 0, or -1 for no fold (the session is read alone). */
typedef int (*fold_fn)(struct ctx *c, struct fold *f);

struct route {
	enum http_method method; /* HTTP_GET routes also answer HEAD */
	const char *pattern;     /* see lib/route.h */
	handler_fn handler;
	enum auth_level auth;
	unsigned flags;
};

/* Which AUTH_MEMBER GET handlers read their page with the session (fcgi/routes.c), ending {0}. */
struct route_fold {
	handler_fn handler;
	fold_fn fold;
};
extern const struct route_fold route_folds[];

/* The URL map, ending with {0} (fcgi/routes.c: every route of the worker, grouped by prefix). */
extern const struct route routes[];
/* The statement tables every worker prepares, each beside the file that runs its statements;
 * each ends with {NULL}, the list ends with NULL (fcgi/routes.c). */
extern const struct db_stmt *const stmt_tables[];

/* Process-wide state built at start-up (fcgi/main.c). */
extern struct config cfg;
extern struct tmpl_set *templates;
extern char asset_version[17];

/* Start-up shared by the worker and the mail gateway (fcgi/startup.c): PORTAL_CONFIG (default
 * var/portal.json) into cfg, the log (log_fallback: to stderr when the file cannot be opened),
 * templates and message catalogs. 0, or -1 after saying why (prog names the program). */
int startup_load(const char *prog, int log_fallback);

/* Chrome (fcgi/layout.c). */
struct json_object *page_new(struct ctx *c, const char *title_key); /* base context: t, lang, portal, nav, csrf, user */
/* An admin-written text in the request's language: the non-empty string texts[c->lang], else
 * texts[the portal's primary language], else dflt (texts may be NULL or not an object). */
const char *lang_pick(struct ctx *c, struct json_object *texts, const char *dflt);
int page_render(struct ctx *c, int status, const char *tmpl, struct json_object *page); /* consumes page */
int page_error(struct ctx *c, int status);
/* The request's ID (nginx's $request_id, also sent as X-Request-Id) as page.request_id, for an
 * error page to show so that a customer can quote it; nothing when the request has none. */
void page_request_id(struct ctx *c, struct json_object *page);
int page_redirect(struct ctx *c, int status, const char *location);
void page_security_headers(struct ctx *c);
/* A same-site path from a "next" field or NULL: starts with one '/', no "//" or backslash. */
const char *safe_next(const char *next);
/* Absolute URL on the portal's own domain for links in emails: the request's host when it is
 * one of the portal's domains, else the portal's primary domain; scheme and port from the
 * configuration (links), never from request headers. */
const char *portal_base_url(struct ctx *c);
/* The same for a given host name of the portal ("" is localhost). */
const char *host_base_url(struct ctx *c, const char *host);
/* Cookies by their base name (SESSION_COOKIE, STAFF_COOKIE, PRE_COOKIE, ...). Over HTTPS
 * (req->https) each is Secure and named with the prefix browsers enforce: "__Host-" for Path=/
 * (Secure, no Domain: no other host or plain-http page can set it), "__Secure-" for another path
 * (the staff's, Path=/admin); over plain HTTP the bare name. Reading looks up only the name of the
 * request's scheme, so a cookie set over http never counts on https. cookie_wire_name is NULL
 * when out of memory (then nothing is read or set). */
const char *cookie_wire_name(struct ctx *c, const char *name, const char *path);
const char *get_cookie(struct ctx *c, const char *name); /* a Path=/ cookie */
const char *get_cookie_path(struct ctx *c, const char *name, const char *path);
void set_cookie(struct ctx *c, const char *name, const char *value, long max_age);
void set_cookie_path(struct ctx *c, const char *name, const char *value, long max_age, const char *path);
/* The CSRF token this page's forms carry (staff session, customer session or pre-session). */
const char *page_csrf(struct ctx *c);
/* This browser's pre-session token (the PRE_COOKIE cookie, HttpOnly, SameSite=Lax), set here
 * when missing or malformed; NULL only when no randomness could be had. hash_out (65 bytes, may
 * be NULL) gets its SHA-256 in hex, which is what the database stores to bind a sign-on or a
 * draft to the browser. */
const char *pre_session(struct ctx *c, char *hash_out);
/* The SHA-256 hex of the pre-session cookie the request carries, or 0 when it carries none. */
int pre_session_sent(struct ctx *c, char hash_out[65]);
/* The one writer of audit_log rows (fcgi/audit.c), inside the caller's transaction if one is
 * open; the portal and the client address come from the request. 0 or -1. */
int audit(struct ctx *c, const char *actor_kind, long actor_id, const char *action, const char *detail_json);

/* Outbox (fcgi/outbox.c): render email/<name> in lang with data and queue it, inside the
 * caller's transaction. Returns 0 or -1. */
int outbox_queue(const char *lang, const char *to, const char *name, struct json_object *data);

/* `portal probe SOCKET [/PATH]` (fcgi/probe.c): one FastCGI GET over a worker pool's socket;
 * prints the status, 0 for a 200. */
int probe_main(int argc, char **argv);

/* Handlers, one file per page group. */
int healthz(struct ctx *c);
int home(struct ctx *c);
int login_page(struct ctx *c);
int login_submit(struct ctx *c);
int logout_page(struct ctx *c);
int logout_submit(struct ctx *c);
int login_link_page(struct ctx *c);
int login_link_submit(struct ctx *c);
int login_link_open(struct ctx *c);
int login_link_use(struct ctx *c);
int register_page(struct ctx *c);
/* The consent notice of the registration page into page (consent_html, consent_label), and the
 * exact text shown into text_out when not NULL (fcgi/register.c). 0, or -1 on a database error. */
int register_add_consent(struct ctx *c, struct json_object *page, char *text_out, size_t cap);
int register_submit(struct ctx *c);
int verify_page(struct ctx *c);
int verify_submit(struct ctx *c);
int reset_request_page(struct ctx *c);
int reset_request_submit(struct ctx *c);
int reset_page(struct ctx *c);
int reset_submit(struct ctx *c);
/* Issue 15, the customer's account and second factor: /account (account.c), /account/two-factor
 * (account_two_factor.c), /login/two-factor (login_two_factor.c), the console's removal of a
 * contact's factor (admin_contacts.c). member_login() (login.c) asks the second factor when the
 * member has one on or the portal requires one (never for single sign-on): it then starts a
 * challenge and answers 303 /login/two-factor. member_session_open() makes the session itself
 * (cookie, audit "login" {method: how}) without asking: 0 or -1. */
int account_page(struct ctx *c);
int account_submit(struct ctx *c);
int account_two_factor_page(struct ctx *c);
int account_two_factor_submit(struct ctx *c);
int login_two_factor_page(struct ctx *c);
int login_two_factor_submit(struct ctx *c);
int crm_contact_two_factor_remove(struct ctx *c);
int member_session_open(struct ctx *c, long member_id, const char *how);
/* The logged-in member's current password (account.c): 1 right, 0 wrong (not counted: the caller
 * counts it), 2 the login is locked, -1 error. */
int account_password_check(struct ctx *c, const char *password);
int account_has_password(struct ctx *c); /* 1, 0, -1 error */
/* The current password or a current code (TOTP or recovery) of the logged-in member, as the
 * factor's "New recovery codes" and "Turn off" ask: 1 right, 0 wrong (counted against the login),
 * 2 locked, -1 error. */
int access_denied_page(struct ctx *c);
int kb_link_page(struct ctx *c); /* fcgi/kb_link.c */
int too_large_page(struct ctx *c);
int tickets_page(struct ctx *c);
int tickets_fold(struct ctx *c, struct fold *f);
int ticket_detail(struct ctx *c);
int ticket_detail_fold(struct ctx *c, struct fold *f); /* the ticket page read with the session */
/* Sample pages for the template preview (admin_settings_templates.c): the list (tickets.c) and
 * one ticket (ticket_detail.c) with made-up data, as their handlers fill the page. */
void tickets_sample(struct ctx *c, struct json_object *page);
void ticket_detail_sample(struct ctx *c, struct json_object *page);
int ticket_reply(struct ctx *c);
/* The signed ticket link of a notification (fcgi/ticket_link.c): GET and POST /<slug>/<id>/open. */
int ticket_link_open(struct ctx *c);
int ticket_link_use(struct ctx *c);
/* Rating the answer to a closed ticket (fcgi/ticket_rating.c): GET and POST /<slug>/<id>/rating,
 * by a rating link of the ticket_closed mail or logged in. */
int ticket_rating_page(struct ctx *c);
int ticket_rating_submit(struct ctx *c);
/* The ticket page's rating state, read in the page's own statement (ticket_detail.c): these
 * columns and this join, where t is the ticket's row, st its stage, p the portal's row, ALLOWED
 * (SQL) whether the contact may still enter the portal (portal_contact_allowed, as rating_ticket
 * asks) and TZ the time zone's parameter. Inner alias: rt. */
#define TICKET_RATING_COLS(ALLOWED)                                                            \
	"p.ratings_enabled AND st.is_closed AND " ALLOWED " AS rating_shown,"                       \
	" coalesce(rt.score, '') AS rating_score, coalesce(rt.comment, '') AS rating_comment,"      \
	" coalesce(" SQL_EPOCH("rt.created_at") "::text, '') AS rating_at"
#define TICKET_RATING_JOIN " LEFT JOIN ticket_ratings rt ON rt.ticket_id = t.id"
/* The ticket page's rating block into page.rating ({form} until rated, then {given}; {none} in
 * the preview), from row 0 of r (TICKET_RATING_COLS): for a closed ticket with ratings on;
 * nothing otherwise. */
void ticket_rating_fill(struct ctx *c, struct json_object *page, const char *ticket, const PGresult *r);
/* The ticket_closed mail offers the rating: ratings on and the ticket not rated. 1, 0, -1 error. */
int ticket_rating_offered(struct ctx *c, const char *ticket);
/* Attachments (fcgi/files.c). GET /files/<id>/<name>: one the logged-in customer may see. */
int file_download(struct ctx *c);
/* Answer with a stored attachment: nginx sends the bytes by X-Accel-Redirect; a safe
 * Content-Type, inline only for plain images, nosniff. 404 for a malformed digest. The caller
 * has checked that the viewer may have it. */
int file_send(struct ctx *c, const char *sha, const char *stored_type, const char *name);
/* Run statement stmt, which finds at most one attachment as (sha256, content_type, file_name)
 * among those the viewer may have, and send it; 404 when it finds none, 500 on an error. */
int file_send_found(struct ctx *c, const char *stmt, int n, const char *const *params);
/* Keep an upload's bytes as <files_dir>/<sub>/<name>, written to a temporary name, renamed and
 * synced (so a path that exists is complete), unless a complete copy is there. 0 or -1 (logged). */
int file_keep(const char *sub, const char *name, const struct upload *up);
/* The same under <2 hex>/<sha256> (written into sha as hex): an attachment's bytes, kept before
 * the caller commits the row that names them. */
int file_store(const struct upload *up, char sha[65]);
int ticket_new_page(struct ctx *c);
/* Single sign-on (fcgi/sso.c). */
int sso_saml_metadata(struct ctx *c);
int sso_saml_login(struct ctx *c);
int sso_saml_acs(struct ctx *c);
int sso_saml_finish(struct ctx *c);
int sso_jwt(struct ctx *c);
int sso_jwt_confirm(struct ctx *c);
int sso_on(const struct portal *p); /* access mode sso with a method chosen */
/* 303 to where this portal's sign-on starts (/sso/saml/login, or the JWT login URL with
 * redirect_url), returning to the same-site path next (NULL: the ticket list). */
int sso_start(struct ctx *c, const char *next);
/* The SP values an IdP needs: on the portal's primary domain. */
const char *sso_saml_entity_id(struct ctx *c);
const char *sso_saml_acs_url(struct ctx *c);
int ticket_new_submit(struct ctx *c);


/* Drafts (fcgi/drafts.c). A POST to a member route without a session: keep its text when
 * keep_text (ROUTE_DRAFT) and answer the "you were signed out" page (401) with a link to sign
 * in again and come back; never a redirect (the page CSP's form-action would stop one that
 * leads to an identity provider). */
int signed_out_post(struct ctx *c, int keep_text);
/* The text kept for this browser from a POST to form_path, into a fresh *f (values only) and
 * c->draft_restored; 1 when there was one (spent), else 0 and *f untouched. */
int draft_restore(struct ctx *c, const char *form_path, struct form *f);

/* Failed logins per client address (fcgi/login.c), shared by customer and staff logins: 1 when the
 * address had login_ip_max_failures failures in the window (answer 429), else 0; record one. */
int login_ip_limited(struct ctx *c);
/* A member is in (fcgi/login.c): new session (replacing the old one), cookie, audit row "login"
 * with {method: how}, then 303 to next (a checked same-site path; NULL: the ticket list). */
int member_login(struct ctx *c, long member_id, const char *how, const char *next);
void login_ip_failed(struct ctx *c);

/* Requests that send mail (fcgi/limits.c): records this one inside the caller's transaction and
 * says 1 (Retry-After set; answer 429) when the client address sent too many in the window
 * (the login limits of PORTAL_CONFIG), 0 when fine, -1 on a database error. */
int mail_request_limited(struct ctx *c, const char *purpose);
/* A page that mails a link: tmpl with title_key, the form f (may be NULL) and `sent` once the
 * mail is queued (fcgi/limits.c). */
int mail_form_render(struct ctx *c, int status, struct form *f, int sent, const char *title_key, const char *tmpl);
typedef int (*mail_form_render_fn)(struct ctx *c, int status, struct form *f, int sent);
/* After the work of such a page (rc: 0 done, 1 over the address's limit, -1 error): 500, the form
 * again with 429 and its message, or the page saying the mail is on its way. */
int mail_form_answer(struct ctx *c, struct form *f, int rc, mail_form_render_fn render);

/* Tickets (fcgi/tickets.c). The one visibility rule is SQL's portal_visible_tickets(); every
 * ticket query asks it, and a ticket the contact may not see answers 404 exactly as a missing one. */
/* An instant (SQL_EPOCH) in the portal's zone, the customer's language's format, the zone named. */
const char *ticket_when(struct ctx *c, const char *epoch);
/* Every time a statement hands to a page is an instant, seconds since 1970 (SQL_EPOCH), formatted
 * in C in the zone of whoever reads it with the zone named (i18n_format_instant): the portal's
 * zone on the portal (ticket_when), the install's in the console (console_when, admin.h). */
#define SQL_EPOCH(X) "floor(extract(epoch FROM " X "))::bigint"
/* "Open"/"Closed" in the page's language, or the stage's own name when the portal shows those. */
const char *ticket_status_label(struct ctx *c, int closed, const char *stage);
/* Where the ticket pages live: "/<slug>", or the admin preview's "/admin/preview/<contact>/tickets". */
const char *tickets_base(struct ctx *c);
/* Render the detail page of a visible ticket; f (may be NULL) carries a reply form's input
 * and errors back. */
int ticket_detail_render(struct ctx *c, const char *ticket_id, int status, struct form *f);
/* Close and reopen (fcgi/ticket_actions.c): POST /<slug>/<id>/close and /<slug>/<id>/reopen, and
 * the detail page's "actions" block (what the customer may do now, a status after the action);
 * nothing in the admin preview. */
int ticket_close(struct ctx *c);
int ticket_reopen(struct ctx *c);
/* A ticket's close/reopen state: where t is the ticket's row, st its stage and p the portal's
 * row, TZ the time zone's parameter; read by the POSTs (ticket_actions_state) and in the ticket
 * page's own statement (ticket_detail.c). closed is the ticket's; the stage it would move to is
 * looked up only for the move it can make (closed_stage of an open ticket, open_stage of a closed
 * one; 0 otherwise). */
#define TICKET_ACTIONS_COLS                                                                    \
	"st.is_closed AS closed, p.customer_reopen AS switch, p.reopen_days,"                       \
	" st.is_closed AND ticket_reopen_until(t.closed_at, t.last_activity_at, p.reopen_days) > now()" \
	"   AS in_window,"                                                                           \
	" " SQL_EPOCH("ticket_reopen_until(t.closed_at, t.last_activity_at, p.reopen_days)")          \
	"   AS reopen_until,"                                                                           \
	" CASE WHEN st.is_closed THEN coalesce(pipeline_first_stage(t.pipeline_id, false), 0) ELSE 0 END"  \
	"   AS open_stage,"                                                                          \
	" CASE WHEN st.is_closed THEN 0 ELSE coalesce(pipeline_first_stage(t.pipeline_id, true), 0) END"  \
	"   AS closed_stage"
/* The page's "actions" block from row 0 of r (TICKET_ACTIONS_COLS, by name). */
void ticket_actions_fill(struct ctx *c, struct json_object *page, const char *ticket_id, const PGresult *r);

/* Member tokens (fcgi/member_token.c): single-use links by email. */
int member_token_issue(long member_id, const char *purpose, const char *ttl, char *token_out, size_t cap);
/* Consume (or just check, when consume is 0) a token of one of the purposes ("reset,invite")
 * issued for a member of this portal. Returns the member id, 0 when invalid, used, expired or
 * another portal's, -1 on a database error. */
long member_token_take(long portal_id, const char *token, const char *purposes, int consume);
/* As member_token_take without consuming, also giving the token's purpose ("" when invalid;
 * purpose_out may be NULL with cap 0). */
long member_token_peek(long portal_id, const char *token, const char *purposes, char *purpose_out, size_t cap);
/* A link proved the mailbox: mark the member verified, dropping a password held while
 * unverified, inside the caller's transaction (member_verified below applies the same rule).
 * 0 or -1. */
int member_verify(long member_id);
/* The member of portal_id for contact_id, made when missing, verified as member_verify does (a
 * sign-on or a mailed link proved the mailbox): its id, or -1 on a database error. */
long member_verified(long portal_id, long contact_id);

#endif
