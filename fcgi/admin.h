/* admin.h - the admin console's shared pieces: chrome, change audit, and the route tables and
 * statements of its page groups (each group keeps its routes beside its handlers). */
#ifndef PORTAL_ADMIN_H
#define PORTAL_ADMIN_H

#include "app.h"

/*
 * Times in the console. The console is install-wide: every time it shows is in the install's zone
 * (install_settings.time_zone, /admin/console-settings) with the zone's abbreviation at that
 * instant, "2026-11-03 14:05 CET" (sql/functions/console_time.sql). SQL_CONSOLE_TIME(col, fmt) in
 * a statement reads the zone from the table; a statement that takes the zone as a parameter
 * (console_zone(), the cache's copy) writes console_time(col, $n, 'fmt').
 */
#define SQL_CONSOLE_TIME(col, fmt) "console_time(" col ", (SELECT time_zone FROM install_settings WHERE id = 1), '" fmt "')"
#define CONSOLE_TIME_FMT "YYYY-MM-DD HH24:MI"
/* Words for a stored code (admin_words.c): an engagement kind, audit action or channel
 * ("portal_reply" -> "Reply on the portal"; unknown codes lose their underscores). A message on a
 * timeline by its direction, its thread's channel and its engagement kind ("Email received"). */
const char *admin_words(struct ctx *c, const char *code);
const char *admin_message_words(struct ctx *c, int incoming, const char *channel, const char *engagement);
/* The install's zone (the settings cache's copy) for a statement's parameter. */
const char *console_zone(void);
/* /admin/console-settings (admin_console_settings.c): the console's own, install-wide settings. */
int admin_console_settings(struct ctx *c);
int admin_console_settings_save(struct ctx *c);

/*
 * Base context of a console page: title, csrf, asset_version, staff {email, name, is_admin, can_preview},
 * portal {id, name, enabled, slug} (the configured portal), settings_base (its settings pages'
 * URL, admin_settings_url), several_portals (true: the header names the configured portal), section (marks the current nav entry: "dashboard",
 * "settings", "contacts", "companies", "lists", "pipelines", "inboxes", "forms", "tickets",
 * "inbox", "audit", "ratings", "portals"), and notice when the URL carries ?saved=1 ("Saved.") or ?notice=<word> from
 * the fixed list in admin_layout.c.
 */
struct json_object *admin_page_new(struct ctx *c, const char *title, const char *section);
/* Render an admin/... template (which extends admin/layout); consumes page. */
int admin_render(struct ctx *c, int status, const char *tmpl, struct json_object *page);
/* The console's own error page (404, 403, 500, ...). */
int admin_error(struct ctx *c, int status);
/*
 * One audit_log row by the logged-in staff member, inside the caller's transaction if one is
 * open: action (e.g. "settings_change", "contact_create"), detail
 * {"setting": setting, "before": before, "after": after} (setting, before, after may be NULL;
 * before/after are consumed). Returns 0 or -1.
 */
int admin_audit(struct ctx *c, const char *action, const char *setting, struct json_object *before,
		struct json_object *after);
/* The end of a change inside the open transaction: its audit row (before and after consumed),
 * COMMIT, 303 to location; 500 (rolled back) when one fails. */
int admin_audit_commit(struct ctx *c, const char *action, struct json_object *before, struct json_object *after,
		       const char *location);
/* The portal the console configures: the one of the request's host (the default portal on
 * any other host). */
long admin_portal_id(const struct ctx *c);
/* The settings pages of a portal live at /admin/portals/<id>/settings/<page> (main.c matches
 * them against the /admin/settings/<page> routes with c->portal that portal). The URL of the
 * configured portal's settings page rest ("" for the index, "/theme", "/templates/x?saved=1"),
 * in the arena; page templates get its base as settings_base. */
const char *admin_settings_url(struct ctx *c, const char *rest);
/* A console path as links and redirects use it: one under /admin/settings becomes the configured
 * portal's (admin_settings_url), any other is path itself. The form-page kit passes its paths
 * through it. */
const char *admin_url(struct ctx *c, const char *path);
/* NULL when the logged-in staff member sees every inbox, else the inboxes an agent is limited to
 * as a PostgreSQL array literal: a statement's parameter for staff_ticket_ok() (the one definition
 * of the tickets they see, sql/functions/staff_ticket_ok.sql) and "inbox_id = ANY ($n)". */
const char *staff_inboxes(const struct ctx *c);
/* A positive id from a route capture or form field, else 0. */
long admin_id(const char *s);
/* An id as a statement parameter (arena text), and the configured portal's id as one. */
const char *admin_idstr(struct ctx *c, long id);
const char *admin_pid(struct ctx *c);


/* Handlers of the console's core (admin_layout.c, admin_login.c, admin_preview.c). */
int admin_dashboard(struct ctx *c);
int admin_audit_page(struct ctx *c);
/* admin_properties.c: the custom ticket properties and what customers see of them */
int admin_properties(struct ctx *c);
int admin_property(struct ctx *c);
int admin_property_save(struct ctx *c);
int admin_ratings_page(struct ctx *c); /* /admin/ratings (admin_ratings.c) */
/* /admin/portals (admin_portals.c): the install's portals, and a new one */
int admin_portals_page(struct ctx *c);
int admin_portal_create(struct ctx *c);
int admin_login_page(struct ctx *c);
int admin_login_submit(struct ctx *c);
int admin_logout_submit(struct ctx *c);
int admin_preview_tickets(struct ctx *c);
int admin_preview_ticket(struct ctx *c);
int admin_preview_file(struct ctx *c);

/* The staff's second factor: /admin/login/two-factor (admin_login.c), /admin/account/two-factor
 * (admin_account.c), /admin/security (admin_security.c). */
int admin_login_two_factor_page(struct ctx *c);
int admin_login_two_factor_submit(struct ctx *c);
int admin_account_two_factor(struct ctx *c);
int admin_account_two_factor_confirm(struct ctx *c);
int admin_account_two_factor_codes(struct ctx *c);
int admin_account_two_factor_off(struct ctx *c);
int admin_security(struct ctx *c);
int admin_security_save(struct ctx *c);
int admin_security_two_factor_remove(struct ctx *c);
/* /admin/staff: the staff users; /admin/staff/<id>: an agent's inbox limit (admin_staff.c). */
int admin_staff_page(struct ctx *c);
int admin_staff_user(struct ctx *c);
int admin_staff_save(struct ctx *c);
/* Whether every id of the array literal ids (ticked in a form) is an inbox: 1, 0 when one is
 * not, -1 on a database error (admin_staff.c; the token form of admin_api_tokens.c uses it too). */
int staff_inboxes_exist(const char *ids);

/* /admin/api-tokens: the JSON API's tokens, list, create, revoke (admin_api_tokens.c) */
int admin_api_tokens(struct ctx *c);
int admin_api_token_create(struct ctx *c);
int admin_api_token_revoke_page(struct ctx *c);
int admin_api_token_revoke(struct ctx *c);
/* A token's inbox limit (array literal, NULL for none) as its JSON inbox_ids: [1, 2] or NULL.
 * The console's audit row of a new token and GET /api/v1/token (api_token.c) show it so. */
struct json_object *api_token_inboxes_json(struct ctx *c, const char *inboxes);

/* Webhooks (issue 16): the console's /admin/webhooks (admin_webhooks.c) and what it shares with
 * the API's /api/v1/webhooks (api_webhooks.c, which also holds these helpers). */
int admin_webhooks(struct ctx *c);
int admin_webhook_create(struct ctx *c);
int admin_webhook_page(struct ctx *c);
int admin_webhook_active(struct ctx *c);
int admin_webhook_delete(struct ctx *c);
int admin_webhook_secret(struct ctx *c);
int admin_webhook_redeliver(struct ctx *c);
int api_webhooks_list(struct ctx *c);
int api_webhook_create(struct ctx *c);
int api_webhook_get(struct ctx *c);
int api_webhook_delete(struct ctx *c);
/* The events a webhook may want, in the order of webhooks.events' CHECK. */
extern const char *const webhook_events[3];
/* NULL when a webhook may call url (sql/functions/webhook_url_problem.sql), else why not. */
const char *webhook_url_problem(struct ctx *c, const char *url);
#define WEBHOOK_SECRET_LEN 49 /* "whsec_" and 43 base64url characters */
/* A new signing secret for webhook id, sealed (lib/secretbox, context "webhook:<id>") and stored
 * in the open transaction; the secret itself (to show once) in secret. 0 or -1. */
int webhook_secret_new(struct ctx *c, long id, char *secret, size_t cap);
/* Insert a webhook (events: a text[] literal) made by staff or token (0: not), with its secret:
 * its id, or -1. In the caller's transaction. */
long webhook_create(struct ctx *c, const char *url, const char *events, long staff, long token, char *secret,
		    size_t cap);

/* `portal admin-create EMAIL`: create an admin, password from stdin (fcgi/admin_create.c). */
int admin_create_main(int argc, char **argv);

#endif
