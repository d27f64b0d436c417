/* admin.h - the admin console's shared pieces: chrome, change audit, and the route tables and
 * statements of its page groups (each group keeps its routes beside its handlers). */
#ifndef PORTAL_ADMIN_H
#define PORTAL_ADMIN_H

#include "app.h"

/* A timestamp column as UTC text in a statement: SQL_UTC("c.created_at", "YYYY-MM-DD"). */
#define SQL_UTC(col, fmt) "to_char(" col " AT TIME ZONE 'UTC', '" fmt "')"

/*
 * Base context of a console page: title, csrf, asset_version, staff {email, name, is_admin},
 * portal {id, name, enabled, slug}, section (marks the current nav entry: "dashboard",
 * "settings", "contacts", "companies", "lists", "pipelines", "inboxes", "forms", "tickets",
 * "inbox", "audit", "ratings"), and notice when the URL carries ?saved=1 ("Saved.") or ?notice=<word> from
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
int admin_login_page(struct ctx *c);
int admin_login_submit(struct ctx *c);
int admin_logout_submit(struct ctx *c);
int admin_preview_tickets(struct ctx *c);
int admin_preview_ticket(struct ctx *c);
int admin_preview_file(struct ctx *c);

/* `portal admin-create EMAIL`: create an admin, password from stdin (fcgi/admin_create.c). */
int admin_create_main(int argc, char **argv);

#endif
