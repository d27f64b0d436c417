/* routes.c - the URL map: every route the worker answers, grouped by URL prefix (each group's
 * handlers live in the file its comment names), and the statement tables every worker prepares at
 * start-up. Closed unless opened: a route without an auth level needs a logged-in customer. */
#include "app.h"
#include "admin.h"
#include "admin_crm.h"
#include "admin_inbox.h"
#include "admin_records.h"
#include "admin_settings.h"
#include "metrics_notes.h"
#include "ticket_cc.h"

const struct route routes[] = {
	/* /, /healthz and the pages every visitor may see (access.c: / and /access-denied; healthz.c, too_large.c) */
	{HTTP_GET, "/", home, AUTH_PUBLIC, 0},
	{HTTP_GET, "/healthz", healthz, AUTH_ALWAYS, 0},
	{HTTP_GET, "/metrics", metrics_page, AUTH_ALWAYS, 0}, /* metrics.c: to metrics.allow only, else 404 */
	{HTTP_GET, "/access-denied", access_denied_page, AUTH_ALWAYS, 0},
	{HTTP_GET, "/request-too-large", too_large_page, AUTH_ALWAYS, 0},
	/* /login, /logout, /login/link: signing in and out (login.c) */
	{HTTP_GET, "/login", login_page, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/login", login_submit, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_GET, "/logout", logout_page, AUTH_PUBLIC, 0},
	{HTTP_POST, "/logout", logout_submit, AUTH_PUBLIC, 0},
	{HTTP_GET, "/login/link", login_link_page, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/login/link", login_link_submit, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_GET, "/login/link/<token>", login_link_open, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/login/link/<token>", login_link_use, AUTH_PUBLIC, ROUTE_PASSWORD},
	/* /register, /verify: a new member (register.c) */
	{HTTP_GET, "/register", register_page, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/register", register_submit, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_GET, "/verify", verify_page, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/verify", verify_submit, AUTH_PUBLIC, ROUTE_PASSWORD},
	/* /password-reset: choosing a password from an emailed link (reset.c) */
	{HTTP_GET, "/password-reset", reset_request_page, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/password-reset", reset_request_submit, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_GET, "/password-reset/<token>", reset_page, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/password-reset/<token>", reset_submit, AUTH_PUBLIC, ROUTE_PASSWORD},
	/* /account, /account/two-factor: the customer's name, password and second factor (account.c, account_two_factor.c); /login/two-factor: the code after the first factor (login_two_factor.c); the console removes a contact's factor (admin_contacts.c) */
	{HTTP_GET, "/account", account_page, AUTH_MEMBER, 0},
	{HTTP_POST, "/account", account_submit, AUTH_MEMBER, 0},
	{HTTP_GET, "/account/two-factor", account_two_factor_page, AUTH_MEMBER, 0},
	{HTTP_POST, "/account/two-factor", account_two_factor_submit, AUTH_MEMBER, 0},
	{HTTP_GET, "/login/two-factor", login_two_factor_page, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/login/two-factor", login_two_factor_submit, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/admin/contacts/<id>/two-factor/remove", crm_contact_two_factor_remove, AUTH_ADMIN, 0},
	/* /<slug>/...: the customer's tickets, under the portal's ticket slug (tickets.c list and one ticket, ticket_new.c, ticket_reply.c; ticket_link.c the signed link of a notification, public; files.c the attachments) */
	{HTTP_GET, "/<slug>", tickets_page, AUTH_MEMBER, 0},
	{HTTP_GET, "/<slug>/new", ticket_new_page, AUTH_MEMBER, 0},
	{HTTP_POST, "/<slug>/new", ticket_new_submit, AUTH_MEMBER, ROUTE_DRAFT},
	{HTTP_GET, "/<slug>/<id>", ticket_detail, AUTH_MEMBER, 0},
	{HTTP_POST, "/<slug>/<id>/reply", ticket_reply, AUTH_MEMBER, ROUTE_DRAFT},
	/* close and reopen (ticket_actions.c) */
	{HTTP_POST, "/<slug>/<id>/close", ticket_close, AUTH_MEMBER, 0},
	{HTTP_POST, "/<slug>/<id>/reopen", ticket_reopen, AUTH_MEMBER, 0},
	{HTTP_POST, "/<slug>/<id>/cc/<id>/remove", ticket_cc_remove, AUTH_MEMBER, 0}, /* ticket_cc.c */
	{HTTP_GET, "/<slug>/<id>/open", ticket_link_open, AUTH_PUBLIC, 0},
	{HTTP_POST, "/<slug>/<id>/open", ticket_link_use, AUTH_PUBLIC, 0},
	/* ticket_rating.c: rating a closed ticket, by the mail's signed link (public) or logged in */
	{HTTP_GET, "/<slug>/<id>/rating", ticket_rating_page, AUTH_PUBLIC, 0},
	{HTTP_POST, "/<slug>/<id>/rating", ticket_rating_submit, AUTH_PUBLIC, 0},
	{HTTP_GET, "/files/<id>/<name>", file_download, AUTH_MEMBER, 0},
	/* /sso/...: single sign-on (sso_saml.c, sso_jwt.c; what both share in sso.c) */
	{HTTP_GET, "/sso/saml/metadata", sso_saml_metadata, AUTH_ALWAYS, 0},
	{HTTP_GET, "/sso/saml/login", sso_saml_login, AUTH_PUBLIC, 0},
	{HTTP_POST, "/sso/saml/acs", sso_saml_acs, AUTH_PUBLIC, ROUTE_NO_CSRF},
	{HTTP_GET, "/sso/saml/finish", sso_saml_finish, AUTH_PUBLIC, 0},
	{HTTP_GET, "/sso/jwt", sso_jwt, AUTH_PUBLIC, 0},
	{HTTP_POST, "/sso/jwt", sso_jwt, AUTH_PUBLIC, ROUTE_NO_CSRF},
	{HTTP_POST, "/sso/jwt/confirm", sso_jwt_confirm, AUTH_PUBLIC, 0},

	/* ---- /admin/...: the console (staff cookie, Path=/admin; served whether or not the portal is on) ---- */
	/* /admin, /admin/login, /admin/logout, /admin/audit: the console's door and its audit log (admin_dashboard.c, admin_login.c, admin_audit.c) */
	{HTTP_GET, "/admin", admin_dashboard, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/login", admin_login_page, AUTH_STAFF_PUBLIC, 0},
	{HTTP_POST, "/admin/login", admin_login_submit, AUTH_STAFF_PUBLIC, 0},
	/* the staff's second factor: the code after the password (admin_login.c), their own factor
	 * (admin_account.c), the requirement of all staff and a colleague's removed (admin_security.c) */
	{HTTP_GET, "/admin/login/two-factor", admin_login_two_factor_page, AUTH_STAFF_PUBLIC, 0},
	{HTTP_POST, "/admin/login/two-factor", admin_login_two_factor_submit, AUTH_STAFF_PUBLIC, 0},
	{HTTP_GET, "/admin/account/two-factor", admin_account_two_factor, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/account/two-factor", admin_account_two_factor_confirm, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/account/two-factor/recovery-codes", admin_account_two_factor_codes, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/account/two-factor/off", admin_account_two_factor_off, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/security", admin_security, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/security", admin_security_save, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/security/staff/<id>/two-factor/remove", admin_security_two_factor_remove, AUTH_ADMIN, 0},
	/* the staff users and the inboxes an agent is limited to (admin_staff.c) */
	{HTTP_GET, "/admin/staff", admin_staff_page, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/staff/<id>", admin_staff_user, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/staff/<id>", admin_staff_save, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/logout", admin_logout_submit, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/audit", admin_audit_page, AUTH_ADMIN, 0},
	/* /admin/ratings: the customers' ratings per inbox and agent, with their comments (admin_ratings.c) */
	{HTTP_GET, "/admin/ratings", admin_ratings_page, AUTH_STAFF, 0},
	/* /admin/preview/<contact>/...: a contact's view of the customer pages (admin_preview.c) */
	{HTTP_GET, "/admin/preview/<id>/tickets", admin_preview_tickets, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/preview/<id>/tickets/<id>", admin_preview_ticket, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/preview/<id>/files/<id>/<name>", admin_preview_file, AUTH_STAFF, 0},
	/* /admin/inbox/...: the agents' inbox (admin_inbox.c list, admin_inbox_thread.c one thread, admin_inbox_write.c its posts) */
	{HTTP_GET, "/admin/inbox", admin_inbox_list, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/inbox/<id>", admin_inbox_thread, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/inbox/<id>/files/<id>/<name>", admin_inbox_file, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/inbox/<id>/reply", admin_inbox_reply, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/inbox/<id>/note", admin_inbox_note, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/inbox/<id>/stage", admin_inbox_stage, AUTH_STAFF, 0},
	/* /admin/tickets/...: tickets (admin_tickets.c the list, admin_tickets_new.c a new one, admin_ticket.c one ticket) */
	{HTTP_GET, "/admin/tickets", rec_tickets_page, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/tickets/new", rec_ticket_new_page, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/new", rec_ticket_new_submit, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/tickets/<id>", rec_ticket_page, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>", rec_ticket_update, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>/properties", rec_ticket_property, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>/contacts", rec_ticket_contact_add, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>/contacts/<id>/remove", rec_ticket_contact_remove, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>/companies", rec_ticket_company_add, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>/companies/<id>/remove", rec_ticket_company_remove, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>/threads", rec_ticket_thread_attach, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/tickets/<id>/threads/<id>/detach", rec_ticket_thread_detach, AUTH_STAFF, 0},
	/* /admin/contacts/...: contacts (admin_contacts.c; the CSV import in admin_contacts_import.c) */
	{HTTP_GET, "/admin/contacts", crm_contacts_page, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/contacts/new", crm_contact_new_page, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/contacts/new", crm_contact_create, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/contacts/import", crm_import_page, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/contacts/import", crm_import_submit, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/contacts/import/<id>", crm_import_report, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/contacts/<id>", crm_contact_page, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/contacts/<id>", crm_contact_update, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/contacts/<id>/resend", crm_contact_resend, AUTH_STAFF, 0},
	/* /admin/companies/...: companies (admin_companies.c) */
	{HTTP_GET, "/admin/companies", crm_companies_page, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/companies/new", crm_company_new_page, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/companies/new", crm_company_create, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/companies/<id>", crm_company_page, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/companies/<id>", crm_company_update, AUTH_STAFF, 0},
	/* /admin/lists/...: static contact lists (admin_lists.c) */
	{HTTP_GET, "/admin/lists", crm_lists_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/lists", crm_list_create, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/lists/<id>", crm_list_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/lists/<id>/rename", crm_list_rename, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/lists/<id>/delete", crm_list_delete_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/lists/<id>/delete", crm_list_delete, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/lists/<id>/members", crm_list_member_add, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/lists/<id>/members/<id>/remove", crm_list_member_remove, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/lists/<id>/members/<id>/resend", crm_list_member_resend, AUTH_ADMIN, 0},
	/* /admin/pipelines/...: pipelines and their stages (admin_pipelines.c) */
	{HTTP_GET, "/admin/pipelines", rec_pipelines_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/pipelines", rec_pipeline_create, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/pipelines/<id>", rec_pipeline_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/pipelines/<id>", rec_pipeline_rename, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/pipelines/<id>/move", rec_pipeline_move, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/pipelines/<id>/stages", rec_stage_create, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/pipelines/<id>/stages/<id>", rec_stage_update, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/pipelines/<id>/stages/<id>/move", rec_stage_move, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/pipelines/<id>/stages/<id>/delete", rec_stage_delete, AUTH_ADMIN, 0},
	/* /admin/inboxes/...: inboxes, their connected addresses and their mail (admin_inboxes.c) */
	{HTTP_GET, "/admin/inboxes", rec_inboxes_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/inboxes", rec_inbox_create, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/inboxes/<id>", rec_inbox_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/inboxes/<id>", rec_inbox_rename, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/inboxes/<id>/addresses", rec_address_add, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/inboxes/<id>/addresses/<id>", rec_address_connect, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/inboxes/<id>/addresses/<id>/delete", rec_address_delete, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/inboxes/<id>/addresses/<id>/primary", rec_address_primary, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/inboxes/<id>/addresses/<id>/imap", rec_address_imap, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/inboxes/<id>/addresses/<id>/imap/delete", rec_address_imap_delete, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/inboxes/<id>/mail", rec_inbox_mail, AUTH_ADMIN, 0},
	/* /admin/forms/...: forms that create tickets (admin_forms.c) */
	{HTTP_GET, "/admin/forms", rec_forms_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/forms", rec_form_create, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/forms/<id>", rec_form_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/forms/<id>", rec_form_save, AUTH_ADMIN, 0},
	/* /admin/properties/...: what customers see of the custom ticket properties (admin_properties.c) */
	{HTTP_GET, "/admin/properties", admin_properties, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/properties/<key>", admin_property, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/properties/<key>", admin_property_save, AUTH_ADMIN, 0},
	/* /admin/api-tokens/...: the JSON API's tokens: list, create (shown once), revoke (admin_api_tokens.c) */
	{HTTP_GET, "/admin/api-tokens", admin_api_tokens, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/api-tokens", admin_api_token_create, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/api-tokens/<id>/revoke", admin_api_token_revoke_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/api-tokens/<id>/revoke", admin_api_token_revoke, AUTH_ADMIN, 0},
	/* /admin/portals: the install's portals and a new one (admin_portals.c); a portal's settings
	 * are at /admin/portals/<id>/settings/..., which main.c matches against the /admin/settings
	 * routes below with that portal configured (/admin/settings/... itself redirects there) */
	{HTTP_GET, "/admin/portals", admin_portals_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/portals", admin_portal_create, AUTH_ADMIN, 0},
	/* /admin/settings/...: the portal's settings, one file a page: admin_settings_<page>.c (the index in admin_settings.c; /admin/settings/slug is a form of the domains page) */
	{HTTP_GET, "/admin/settings/filters", admin_settings_filters, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/filters", admin_settings_filter_add, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/filters/<id>/delete", admin_settings_filter_delete, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/permissions", admin_settings_permissions, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/permissions", admin_settings_permissions_save, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/permissions/rules", admin_settings_permission_rule_add, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/permissions/rules/<id>/delete", admin_settings_permission_rule_delete, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/theme", admin_settings_theme, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/theme", admin_settings_theme_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/navigation", admin_settings_navigation, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/navigation", admin_settings_nav_add, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/navigation/<id>", admin_settings_nav_item, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/navigation/<id>", admin_settings_nav_item_save, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/navigation/<id>/delete", admin_settings_nav_delete, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/navigation/<id>/move", admin_settings_nav_move, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/support-form", admin_settings_support_form, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/support-form", admin_settings_support_form_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings", admin_settings_index, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/general", admin_settings_general, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/general", admin_settings_general_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/domains", admin_settings_domains, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/domains", admin_settings_domain_add, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/domains/<id>/remove", admin_settings_domain_remove, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/domains/<id>/primary", admin_settings_domain_primary, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/domains/<id>/language", admin_settings_domain_language, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/slug", admin_settings_slug_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/access", admin_settings_access, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/access", admin_settings_access_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/consent", admin_settings_consent, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/consent", admin_settings_consent_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/inbox", admin_settings_inbox, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/inbox", admin_settings_inbox_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/status", admin_settings_status, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/status", admin_settings_status_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/kb-link", admin_settings_kb_link, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/kb-link", admin_settings_kb_link_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/notifications", admin_settings_notifications, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/notifications", admin_settings_notifications_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/ticket-actions", admin_settings_ticket_actions, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/ticket-actions", admin_settings_ticket_actions_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/session", admin_settings_session, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/session", admin_settings_session_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/sso", admin_settings_sso, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/sso", admin_settings_sso_save, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/sso/secret", admin_settings_sso_secret, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/templates", admin_settings_templates, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/templates/<name>", admin_settings_template, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/templates/<name>", admin_settings_template_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/templates/<name>/preview", admin_settings_template_preview, AUTH_ADMIN, 0},
	/* issue 15 (templates and times): the console's own settings, install-wide (admin_console_settings.c) */
	{HTTP_GET, "/admin/console-settings", admin_console_settings, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/console-settings", admin_console_settings_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/emails", admin_settings_emails, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/emails/<name>/<name>", admin_settings_email, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/settings/emails/<name>/<name>", admin_settings_email_save, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/settings/emails/<name>/<name>/preview", admin_settings_email_preview, AUTH_ADMIN, 0},
	/* /admin/webhooks/...: the team's webhooks, their deliveries and every attempt (admin_webhooks.c) */
	{HTTP_GET, "/admin/webhooks", admin_webhooks, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/webhooks", admin_webhook_create, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/webhooks/<id>", admin_webhook_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/webhooks/<id>/active", admin_webhook_active, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/webhooks/<id>/delete", admin_webhook_delete, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/webhooks/<id>/secret", admin_webhook_secret, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/webhooks/<id>/deliveries/<id>/redeliver", admin_webhook_redeliver, AUTH_ADMIN, 0},
	/* public pages the console configures: the theme's stylesheet (in admin_settings_theme.c, which holds the theme's vocabulary and checks) and the knowledge base's link (kb_link.c) */
	{HTTP_GET, "/theme.css", admin_settings_theme_css, AUTH_ALWAYS, 0},
	{HTTP_GET, "/kb-link", kb_link_page, AUTH_ALWAYS, 0},
	{0},
};

/* Statement tables, one per file that runs statements (each beside its handlers). */
/* The pages read in one statement with their session (struct fold in app.h). */
const struct route_fold route_folds[] = {
	{tickets_page, tickets_fold},
	{ticket_detail, ticket_detail_fold},
	{NULL, NULL},
};

extern const struct db_stmt admin_audit_stmts[];
extern const struct db_stmt api_stmts[];
extern const struct db_stmt api_token_stmts[];
/* issue 16: the API's contacts and companies, the console's API tokens */
extern const struct db_stmt api_contacts_stmts[];
extern const struct db_stmt api_companies_stmts[];
extern const struct db_stmt admin_api_tokens_stmts[];
extern const struct db_stmt api_tickets_stmts[]; /* api_tickets.c */
extern const struct db_stmt api_messages_stmts[]; /* api_messages.c */
extern const struct db_stmt admin_companies_stmts[];
extern const struct db_stmt admin_contacts_import_stmts[];
extern const struct db_stmt admin_contacts_stmts[];
extern const struct db_stmt admin_crm_stmts[];
extern const struct db_stmt admin_dashboard_stmts[];
extern const struct db_stmt admin_forms_stmts[];
extern const struct db_stmt admin_properties_stmts[];
extern const struct db_stmt admin_inbox_stmts[];
extern const struct db_stmt admin_inbox_thread_stmts[];
extern const struct db_stmt admin_inbox_write_stmts[];
extern const struct db_stmt admin_inboxes_stmts[];
extern const struct db_stmt admin_lists_stmts[];
extern const struct db_stmt admin_login_stmts[];
extern const struct db_stmt admin_security_stmts[];
extern const struct db_stmt admin_staff_stmts[];
extern const struct db_stmt admin_pipelines_stmts[];
extern const struct db_stmt admin_preview_stmts[];
extern const struct db_stmt admin_ratings_stmts[];
extern const struct db_stmt admin_records_stmts[];
extern const struct db_stmt admin_portals_stmts[];
extern const struct db_stmt admin_settings_access_stmts[];
extern const struct db_stmt admin_settings_consent_stmts[];
extern const struct db_stmt admin_settings_domains_stmts[];
extern const struct db_stmt admin_settings_emails_stmts[];
extern const struct db_stmt admin_settings_filters_stmts[];
extern const struct db_stmt admin_settings_general_stmts[];
extern const struct db_stmt admin_settings_inbox_stmts[];
extern const struct db_stmt admin_settings_kb_link_stmts[];
extern const struct db_stmt admin_settings_navigation_stmts[];
extern const struct db_stmt admin_settings_notifications_stmts[];
extern const struct db_stmt admin_settings_permissions_stmts[];
extern const struct db_stmt admin_settings_rules_stmts[];
extern const struct db_stmt admin_settings_session_stmts[];
extern const struct db_stmt admin_settings_sso_stmts[];
extern const struct db_stmt admin_settings_status_stmts[];
extern const struct db_stmt admin_settings_stmts[];
extern const struct db_stmt admin_settings_support_form_stmts[];
extern const struct db_stmt admin_settings_templates_stmts[];
extern const struct db_stmt admin_settings_theme_stmts[];
extern const struct db_stmt admin_settings_ticket_actions_stmts[];
extern const struct db_stmt admin_ticket_stmts[];
extern const struct db_stmt admin_tickets_stmts[];
extern const struct db_stmt audit_stmts[];
extern const struct db_stmt conversation_read_stmts[];
extern const struct db_stmt conversation_stmts[];
extern const struct db_stmt drafts_stmts[];
extern const struct db_stmt files_stmts[];
extern const struct db_stmt healthz_stmts[];
extern const struct db_stmt metrics_stmts[];
extern const struct db_stmt limits_stmts[];
extern const struct db_stmt login_stmts[];
extern const struct db_stmt member_token_stmts[];
extern const struct db_stmt outbox_stmts[];
extern const struct db_stmt register_stmts[];
extern const struct db_stmt reset_stmts[];
extern const struct db_stmt sessions_stmts[];
extern const struct db_stmt settings_load_stmts[];
extern const struct db_stmt admin_console_settings_stmts[];
extern const struct db_stmt sso_stmts[];
extern const struct db_stmt sso_saml_stmts[];
extern const struct db_stmt sso_jwt_stmts[];
extern const struct db_stmt ticket_actions_stmts[];
extern const struct db_stmt ticket_link_stmts[];
extern const struct db_stmt ticket_new_stmts[];
extern const struct db_stmt ticket_reply_stmts[];
extern const struct db_stmt ticket_rating_stmts[];
extern const struct db_stmt tickets_stmts[];
extern const struct db_stmt ticket_detail_stmts[];
extern const struct db_stmt ticket_cc_stmts[];
extern const struct db_stmt two_factor_stmts[];
extern const struct db_stmt account_stmts[];
extern const struct db_stmt login_two_factor_stmts[];
extern const struct db_stmt admin_webhooks_stmts[];
extern const struct db_stmt api_webhooks_stmts[];

const struct db_stmt *const stmt_tables[] = {
	admin_audit_stmts,
	api_stmts,
	api_token_stmts,
	api_contacts_stmts,
	api_companies_stmts,
	admin_api_tokens_stmts,
	api_tickets_stmts,
	api_messages_stmts,
	admin_companies_stmts,
	admin_contacts_import_stmts,
	admin_contacts_stmts,
	admin_crm_stmts,
	admin_dashboard_stmts,
	admin_forms_stmts,
	admin_properties_stmts,
	admin_inbox_stmts,
	admin_inbox_thread_stmts,
	admin_inbox_write_stmts,
	admin_inboxes_stmts,
	admin_lists_stmts,
	admin_login_stmts,
	admin_security_stmts,
	admin_staff_stmts,
	admin_pipelines_stmts,
	admin_preview_stmts,
	admin_ratings_stmts,
	admin_records_stmts,
	admin_portals_stmts,
	admin_settings_access_stmts,
	admin_settings_consent_stmts,
	admin_settings_domains_stmts,
	admin_settings_emails_stmts,
	admin_settings_filters_stmts,
	admin_settings_general_stmts,
	admin_settings_inbox_stmts,
	admin_settings_kb_link_stmts,
	admin_settings_navigation_stmts,
	admin_settings_notifications_stmts,
	admin_settings_permissions_stmts,
	admin_settings_rules_stmts,
	admin_settings_session_stmts,
	admin_settings_sso_stmts,
	admin_settings_status_stmts,
	admin_settings_stmts,
	admin_settings_support_form_stmts,
	admin_settings_templates_stmts,
	admin_settings_theme_stmts,
	admin_settings_ticket_actions_stmts,
	admin_ticket_stmts,
	admin_tickets_stmts,
	audit_stmts,
	conversation_read_stmts,
	conversation_stmts,
	drafts_stmts,
	files_stmts,
	healthz_stmts,
	metrics_stmts,
	limits_stmts,
	login_stmts,
	member_token_stmts,
	outbox_stmts,
	register_stmts,
	reset_stmts,
	sessions_stmts,
	settings_load_stmts,
	admin_console_settings_stmts,
	sso_stmts,
	sso_saml_stmts,
	sso_jwt_stmts,
	ticket_actions_stmts,
	ticket_link_stmts,
	ticket_new_stmts,
	ticket_reply_stmts,
	ticket_rating_stmts,
	tickets_stmts,
	ticket_detail_stmts,
	ticket_cc_stmts,
	two_factor_stmts,
	account_stmts,
	login_two_factor_stmts,
	admin_webhooks_stmts,
	api_webhooks_stmts,
	NULL,
};
