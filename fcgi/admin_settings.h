/* admin_settings.h - the portal settings pages of the admin console: handlers (one file per
 * group of pages) and the helpers they share (fcgi/admin_settings.c). */
#ifndef PORTAL_ADMIN_SETTINGS_H
#define PORTAL_ADMIN_SETTINGS_H

#include "admin.h"

/* Columns of settings_portal_row / settings_portal_lock, in this order. */
enum settings_col {
	SC_NAME, SC_PAGE_TITLE, SC_ENABLED, SC_SLUG, SC_PREVIOUS_SLUG, SC_ACCESS_MODE,
	SC_CONSENT_TEXT, SC_CONSENT_LABEL, SC_DEFAULT_INBOX, SC_CUSTOM_STAGES, SC_KB_LINK,
	SC_TIMEOUT, SC_PERMISSION_MODE, SC_THEME, SC_SUPPORT_FORM, SC__MAX
};

/* The portal's settings row (lock=1: FOR UPDATE, inside the caller's transaction). NULL on a
 * database error or when the portal is gone; PQclear it. */
PGresult *settings_row(struct ctx *c, int lock);
/* The portal id as text, in the request's arena. */
/* A settings page's base context (section "settings", breadcrumb back to the index). */
struct json_object *settings_page_new(struct ctx *c, const char *title);
/* form_to_page plus error_list [{field, message}] for the summary at the top of the form. */
/* One settings_change audit row {setting: before} -> {setting: after}, strings. */
int settings_audit_str(struct ctx *c, const char *setting, const char *before, const char *after);
/* Same for a boolean or an integer. */
int settings_audit_bool(struct ctx *c, const char *setting, int before, int after);
int settings_audit_int(struct ctx *c, const char *setting, long before, long after);
/* Commit and answer 303 to path?saved=1, or roll back and 500. */
int settings_commit_redirect(struct ctx *c, const char *path);
/* The reasons the portal cannot be switched on yet, as an array of strings (empty when it can).
 * NULL on a database error. Reads inside the caller's transaction. */
struct json_object *settings_switch_on_blockers(struct ctx *c);

/* admin_settings.c: the index and the general page (name, page title, on/off). */
int admin_settings_index(struct ctx *c);
int admin_settings_general(struct ctx *c);
int admin_settings_general_save(struct ctx *c);
/* admin_settings_domains.c: domains and the ticket slug. */
int admin_settings_domains(struct ctx *c);
int admin_settings_domain_add(struct ctx *c);
int admin_settings_domain_remove(struct ctx *c);
int admin_settings_domain_primary(struct ctx *c);
int admin_settings_domain_language(struct ctx *c);
int admin_settings_slug_save(struct ctx *c);
/* admin_settings_access.c: access mode and lists, consent, default inbox. */
int admin_settings_access(struct ctx *c);
int admin_settings_access_save(struct ctx *c);
int admin_settings_consent(struct ctx *c);
int admin_settings_consent_save(struct ctx *c);
int admin_settings_inbox(struct ctx *c);
int admin_settings_inbox_save(struct ctx *c);
/* admin_settings_status.c, admin_settings_kb_link.c (the public page: kb_link.c),
 * admin_settings_session.c. */
int admin_settings_status(struct ctx *c);
int admin_settings_status_save(struct ctx *c);
int admin_settings_kb_link(struct ctx *c);
int admin_settings_kb_link_save(struct ctx *c);
int admin_settings_session(struct ctx *c);
int admin_settings_session_save(struct ctx *c);
/* admin_settings_sso.c: single sign-on (SAML and JWT settings, the JWT secret). */
int admin_settings_sso(struct ctx *c);
int admin_settings_sso_save(struct ctx *c);
int admin_settings_sso_secret(struct ctx *c);
/* "expired" or "expires in N days" for the soonest-ending certificate of a SAML bundle when that
 * is within 30 days, else NULL (also for an empty or unreadable bundle). In the arena. */
const char *sso_cert_warning(struct ctx *c, const char *bundle);

#endif
