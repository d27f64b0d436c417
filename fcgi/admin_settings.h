/* admin_settings.h - the portal settings pages of the admin console, /admin/settings/<page>: one
 * file a page, admin_settings_<page>.c (the index: admin_settings.c). Most are form pages of the
 * kit (form_page.h); a page that is not says why at its top. */
#ifndef PORTAL_ADMIN_SETTINGS_H
#define PORTAL_ADMIN_SETTINGS_H

#include "admin.h"

/* The settings page of the kit at /admin/settings/<url>: template admin/settings_<name>, the
 * statements settings_<name>_row/_lock/_save (FP_STMTS), changes audited as settings_change; for
 * a struct form_page initializer. */
#define SETTINGS_PAGE(url, name, page_title)                                                     \
	.path = "/admin/settings/" url, .title = page_title, .section = "settings", .tmpl = "admin/settings_" name, \
	FP_STMT_NAMES("settings_" name), .audit_action = "settings_change"

/* admin_settings_notifications.c: which notifications go out */
int admin_settings_notifications(struct ctx *c);
int admin_settings_notifications_save(struct ctx *c);
/* admin_settings_ticket_actions.c: close and reopen, CC, ratings (issue 14's switches) */
int admin_settings_ticket_actions(struct ctx *c);
int admin_settings_ticket_actions_save(struct ctx *c);
/* admin_settings.c */
int admin_settings_index(struct ctx *c);
/* admin_settings_general.c: name, page title, on/off */
int admin_settings_general(struct ctx *c);
int admin_settings_general_save(struct ctx *c);
/* admin_settings_domains.c: domains, and the ticket slug (/admin/settings/slug) */
int admin_settings_domains(struct ctx *c);
int admin_settings_domain_add(struct ctx *c);
int admin_settings_domain_remove(struct ctx *c);
int admin_settings_domain_primary(struct ctx *c);
int admin_settings_domain_language(struct ctx *c);
int admin_settings_slug_save(struct ctx *c);
/* admin_settings_access.c, admin_settings_consent.c, admin_settings_inbox.c */
int admin_settings_access(struct ctx *c);
int admin_settings_access_save(struct ctx *c);
int admin_settings_consent(struct ctx *c);
int admin_settings_consent_save(struct ctx *c);
int admin_settings_inbox(struct ctx *c);
int admin_settings_inbox_save(struct ctx *c);
/* admin_settings_status.c, admin_settings_kb_link.c (the public page: kb_link.c),
 * admin_settings_session.c */
int admin_settings_status(struct ctx *c);
int admin_settings_status_save(struct ctx *c);
int admin_settings_kb_link(struct ctx *c);
int admin_settings_kb_link_save(struct ctx *c);
int admin_settings_session(struct ctx *c);
int admin_settings_session_save(struct ctx *c);
/* admin_settings_filters.c, admin_settings_permissions.c (the rule form they share:
 * admin_settings_rules.c) */
int admin_settings_filters(struct ctx *c);
int admin_settings_filter_add(struct ctx *c);
int admin_settings_filter_delete(struct ctx *c);
int admin_settings_permissions(struct ctx *c);
int admin_settings_permissions_save(struct ctx *c);
int admin_settings_permission_rule_add(struct ctx *c);
int admin_settings_permission_rule_delete(struct ctx *c);
/* admin_settings_theme.c, with the public stylesheet /theme.css */
int admin_settings_theme(struct ctx *c);
int admin_settings_theme_save(struct ctx *c);
int admin_settings_theme_css(struct ctx *c);
/* admin_settings_navigation.c */
int admin_settings_navigation(struct ctx *c);
int admin_settings_nav_add(struct ctx *c);
int admin_settings_nav_item(struct ctx *c);
int admin_settings_nav_item_save(struct ctx *c);
int admin_settings_nav_delete(struct ctx *c);
int admin_settings_nav_move(struct ctx *c);
/* admin_settings_support_form.c */
int admin_settings_support_form(struct ctx *c);
int admin_settings_support_form_save(struct ctx *c);
/* admin_settings_templates.c: system page templates; admin_settings_emails.c: emails (what
 * they share: admin_settings_templates.h) */
int admin_settings_templates(struct ctx *c);
int admin_settings_template(struct ctx *c);
int admin_settings_template_save(struct ctx *c);
int admin_settings_template_preview(struct ctx *c);
int admin_settings_emails(struct ctx *c);
int admin_settings_email(struct ctx *c);
int admin_settings_email_save(struct ctx *c);
int admin_settings_email_preview(struct ctx *c);
/* admin_settings_sso.c: single sign-on (SAML and JWT settings, the JWT secret) */
int admin_settings_sso(struct ctx *c);
int admin_settings_sso_save(struct ctx *c);
int admin_settings_sso_secret(struct ctx *c);
/* "expired" or "expires in N days" for the soonest-ending certificate of a SAML bundle when that
 * is within 30 days, else NULL (also for an empty or unreadable bundle). In the arena. */
const char *sso_cert_warning(struct ctx *c, const char *bundle);

#endif
