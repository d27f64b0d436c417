/* routes.c - the one route table and the statements every page prepares at worker start. */
#include "app.h"
#include "admin.h"

/* Closed unless opened: a route without an auth level needs a logged-in customer. */
static const struct route portal_routes[] = {
	{HTTP_GET, "/", home, AUTH_PUBLIC, 0},
	{HTTP_GET, "/healthz", healthz, AUTH_ALWAYS, 0},
	{HTTP_GET, "/access-denied", access_denied_page, AUTH_ALWAYS, 0},
	{HTTP_GET, "/request-too-large", too_large_page, AUTH_ALWAYS, 0},
	{HTTP_GET, "/login", login_page, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/login", login_submit, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_GET, "/logout", logout_page, AUTH_PUBLIC, 0},
	{HTTP_POST, "/logout", logout_submit, AUTH_PUBLIC, 0},
	{HTTP_GET, "/login/link", login_link_page, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/login/link", login_link_submit, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_GET, "/login/link/<token>", login_link_open, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/login/link/<token>", login_link_use, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_GET, "/register", register_page, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/register", register_submit, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_GET, "/verify", verify_page, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/verify", verify_submit, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_GET, "/password-reset", reset_request_page, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/password-reset", reset_request_submit, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_GET, "/password-reset/<token>", reset_page, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_POST, "/password-reset/<token>", reset_submit, AUTH_PUBLIC, ROUTE_PASSWORD},
	{HTTP_GET, "/<slug>", tickets_page, AUTH_MEMBER, 0},
	{HTTP_GET, "/<slug>/new", ticket_new_page, AUTH_MEMBER, 0},
	{HTTP_POST, "/<slug>/new", ticket_new_submit, AUTH_MEMBER, ROUTE_DRAFT},
	{HTTP_GET, "/<slug>/<id>", ticket_detail, AUTH_MEMBER, 0},
	{HTTP_POST, "/<slug>/<id>/reply", ticket_reply, AUTH_MEMBER, ROUTE_DRAFT},
	{HTTP_GET, "/files/<id>/<name>", file_download, AUTH_MEMBER, 0},
	{HTTP_GET, "/sso/saml/metadata", sso_saml_metadata, AUTH_ALWAYS, 0},
	{HTTP_GET, "/sso/saml/login", sso_saml_login, AUTH_PUBLIC, 0},
	{HTTP_POST, "/sso/saml/acs", sso_saml_acs, AUTH_PUBLIC, ROUTE_NO_CSRF},
	{HTTP_GET, "/sso/saml/finish", sso_saml_finish, AUTH_PUBLIC, 0},
	{HTTP_GET, "/sso/jwt", sso_jwt, AUTH_PUBLIC, 0},
	{HTTP_POST, "/sso/jwt", sso_jwt, AUTH_PUBLIC, ROUTE_NO_CSRF},
	{HTTP_POST, "/sso/jwt/confirm", sso_jwt_confirm, AUTH_PUBLIC, 0},
	{0},
};

const struct route *const route_tables[] = {
	portal_routes, admin_routes, admin_settings_routes, admin_rules_routes, admin_templates_routes,
	admin_crm_routes, admin_records_routes, admin_inbox_routes, NULL,
};

const struct db_stmt *const stmt_tables[] = {
	settings_stmts, session_stmts, layout_stmts, healthz_stmts, login_stmts, register_stmts,
	reset_stmts, outbox_stmts, member_token_stmts, tickets_stmts, reply_stmts, ticket_new_stmts,
	limits_stmts, sso_stmts, drafts_stmts, admin_stmts, admin_login_stmts, admin_preview_stmts, admin_settings_stmts,
	admin_sso_stmts,
	admin_rules_stmts, admin_templates_stmts, admin_crm_stmts, admin_records_stmts, admin_inbox_stmts,
	NULL,
};
