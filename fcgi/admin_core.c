/* admin_core.c - the console's chrome (base context, render, errors), change audit, the
 * dashboard and the audit log page. */
#include "admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_settings.h"
#include "log.h"

const struct db_stmt admin_stmts[] = {
	{"admin_audit_insert",
	 "INSERT INTO audit_log (actor_kind, actor_id, portal_id, action, detail, ip)"
	 " VALUES ('staff', $1, $2, $3, jsonb_strip_nulls(jsonb_build_object('setting', $4::text))"
	 "   || jsonb_build_object('before', $5::jsonb, 'after', $6::jsonb), $7::inet)",
	 7},
	{"admin_dashboard",
	 "SELECT (SELECT count(*) FROM threads th JOIN tickets t ON t.id = th.ticket_id"
	 "         JOIN pipeline_stages s ON s.id = t.stage_id WHERE NOT s.is_closed),"
	 " (SELECT count(*) FROM contacts), (SELECT count(*) FROM members WHERE portal_id = $1),"
	 " (SELECT count(*) FROM mail_outbox WHERE status = 'queued'),"
	 " (SELECT count(*) FROM mail_outbox WHERE status = 'failed'),"
	 " (SELECT s.saml_idp_cert FROM portal_sso s JOIN portals p ON p.id = s.portal_id"
	 "   WHERE s.portal_id = $1 AND p.sso_method = 'saml')",
	 1},
	/* keyset: (at, id) below the cursor; $2 '' = any action */
	{"admin_audit_page",
	 "SELECT a.id, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), a.actor_kind,"
	 " coalesce(u.email, m.email, ''), a.action, coalesce(a.detail->>'setting', ''),"
	 " coalesce((a.detail - 'setting' - 'before' - 'after')::text, '{}'),"
	 " coalesce(a.detail->'before', 'null')::text, coalesce(a.detail->'after', 'null')::text,"
	 " coalesce(host(a.ip), ''), a.at"
	 " FROM audit_log a"
	 " LEFT JOIN staff_users u ON a.actor_kind = 'staff' AND u.id = a.actor_id"
	 " LEFT JOIN LATERAL (SELECT c.email FROM members mm JOIN contacts c ON c.id = mm.contact_id"
	 "   WHERE a.actor_kind = 'member' AND mm.id = a.actor_id) m ON true"
	 " WHERE ($2 = '' OR a.action = $2)"
	 "   AND (a.at, a.id) < (coalesce($3::timestamptz, 'infinity'), coalesce($4::bigint, 0))"
	 "   AND ($1::bigint IS NULL OR a.portal_id = $1 OR a.portal_id IS NULL)"
	 " ORDER BY a.at DESC, a.id DESC LIMIT 51",
	 4},
	{"admin_audit_actions", "SELECT DISTINCT action FROM audit_log ORDER BY action LIMIT 200", 0},
	{NULL, NULL, 0},
};

long admin_portal_id(const struct ctx *c)
{
	return c->portal->id;
}

long admin_id(const char *s)
{
	if (!s || !*s || strlen(s) > 18)
		return 0;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	long v = strtol(s, NULL, 10);
	return v > 0 ? v : 0;
}

const char *admin_idstr(struct ctx *c, long id)
{
	return arena_printf(c->arena, "%ld", id);
}

const char *admin_pid(struct ctx *c)
{
	return admin_idstr(c, admin_portal_id(c));
}

static const struct {
	const char *word, *text;
} notices[] = {
	{"saved", "Saved."},
	{"created", "Created."},
	{"deleted", "Deleted."},
	{"sent", "Sent."},
	{"logged_in", "Welcome back."},
	{"queued", "Queued for sending."},
};

struct json_object *admin_page_new(struct ctx *c, const char *title, const char *section)
{
	struct json_object *page = json_object_new_object();
	json_object_object_add(page, "title", json_object_new_string(title ? title : ""));
	json_object_object_add(page, "asset_version", json_object_new_string(asset_version));
	json_object_object_add(page, "csrf", json_object_new_string(page_csrf(c)));
	if (section) {
		json_object_object_add(page, "section", json_object_new_string(section));
		struct json_object *is = json_object_new_object();
		json_object_object_add(is, section, json_object_new_boolean(1));
		json_object_object_add(page, "is", is);
	}
	struct json_object *portal = json_object_new_object();
	json_object_object_add(portal, "id", json_object_new_int64(c->portal->id));
	json_object_object_add(portal, "name", json_object_new_string(c->portal->name));
	json_object_object_add(portal, "enabled", json_object_new_boolean(c->portal->enabled));
	json_object_object_add(portal, "slug", json_object_new_string(c->portal->ticket_slug));
	json_object_object_add(page, "portal", portal);
	if (c->staff.found) {
		struct json_object *st = json_object_new_object();
		json_object_object_add(st, "email", json_object_new_string(c->staff.email));
		json_object_object_add(st, "name", json_object_new_string(c->staff.name[0] ? c->staff.name : c->staff.email));
		json_object_object_add(st, "is_admin", json_object_new_boolean(c->staff.is_admin));
		json_object_object_add(page, "staff", st);
	}
	const char *notice = request_query(c->req, "saved") ? "saved" : request_query(c->req, "notice");
	for (size_t i = 0; notice && i < sizeof notices / sizeof notices[0]; i++)
		if (strcmp(notice, notices[i].word) == 0)
			json_object_object_add(page, "notice", json_object_new_string(notices[i].text));
	return page;
}

int admin_render(struct ctx *c, int status, const char *tmpl, struct json_object *page)
{
	return page_render(c, status, tmpl, page);
}

int admin_error(struct ctx *c, int status)
{
	static const struct {
		int status;
		const char *title, *text;
	} msgs[] = {
		{400, "Bad request", "The request could not be understood."},
		{403, "Not allowed", "Your role does not allow this page, or the form was stale. Reload the page and try again."},
		{404, "Not found", "There is nothing here. It may have been deleted."},
		{405, "Method not allowed", "This address does not take that kind of request."},
		{409, "Conflict", "Someone changed this at the same time. Reload and try again."},
		{413, "Too large", "What you sent is over the size limit."},
		{429, "Too many requests", "Wait a moment and try again."},
		{500, "Something went wrong", "The server could not finish this. Nothing was changed; try again."},
		{503, "Temporarily unavailable", "The database is not reachable right now. Try again in a moment."},
	};
	const char *title = "Error", *text = "";
	for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
		if (msgs[i].status == status) {
			title = msgs[i].title;
			text = msgs[i].text;
		}
	struct json_object *page = admin_page_new(c, title, NULL);
	json_object_object_add(page, "message", json_object_new_string(text));
	json_object_object_add(page, "status", json_object_new_int(status));
	return admin_render(c, status, "admin/error", page);
}

int admin_audit(struct ctx *c, const char *action, const char *setting, struct json_object *before,
		struct json_object *after)
{
	char uid[24], pid[24];
	snprintf(uid, sizeof uid, "%ld", c->staff.user_id);
	snprintf(pid, sizeof pid, "%ld", admin_portal_id(c));
	const char *b = before ? json_object_to_json_string_ext(before, JSON_C_TO_STRING_PLAIN) : "null";
	const char *a = after ? json_object_to_json_string_ext(after, JSON_C_TO_STRING_PLAIN) : "null";
	const char *ip = c->req->remote_addr && c->req->remote_addr[0] ? c->req->remote_addr : NULL;
	const char *p[7] = {uid, c->portal->id ? pid : NULL, action, setting, b, a, ip};
	PGresult *r = db_exec("admin_audit_insert", 7, p);
	json_object_put(before);
	json_object_put(after);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

int admin_dashboard(struct ctx *c)
{
	char pid[24];
	snprintf(pid, sizeof pid, "%ld", admin_portal_id(c));
	const char *p[1] = {pid};
	PGresult *r = db_exec("admin_dashboard", 1, p);
	if (!r)
		return 500;
	struct json_object *page = admin_page_new(c, "Dashboard", "dashboard");
	static const char *const keys[] = {"open_threads", "contacts", "members", "mail_queued", "mail_failed"};
	struct json_object *counts = json_object_new_object();
	for (int i = 0; i < 5; i++)
		json_object_object_add(counts, keys[i], json_object_new_int64(atol(PQgetvalue(r, 0, i))));
	/* a SAML certificate about to end stops every sign-on: say so where staff look first */
	const char *cert_warning = sso_cert_warning(c, PQgetvalue(r, 0, 5));
	if (cert_warning)
		json_object_object_add(page, "sso_cert_warning", json_object_new_string(cert_warning));
	PQclear(r);
	json_object_object_add(page, "counts", counts);
	return admin_render(c, 200, "admin/dashboard", page);
}

/* Keyset-paged audit log, newest first, filtered by action. */
int admin_audit_page(struct ctx *c)
{
	const char *action = request_query(c->req, "action");
	const char *before = request_query(c->req, "before"); /* "<at>_<id>" from the previous page */
	char at[64] = "", id[24] = "";
	if (!action)
		action = "";
	if (before) {
		const char *us = strrchr(before, '_');
		if (!us || (size_t)(us - before) >= sizeof at || !admin_id(us + 1) ||
		    strspn(before, "0123456789-:. +") != (size_t)(us - before) || us - before < 10)
			return 400;
		memcpy(at, before, (size_t)(us - before));
		snprintf(id, sizeof id, "%s", us + 1);
	}
	char pid[24];
	snprintf(pid, sizeof pid, "%ld", admin_portal_id(c));
	const char *p[4] = {pid, action, at[0] ? at : NULL, id[0] ? id : NULL};
	PGresult *r = db_exec("admin_audit_page", 4, p);
	if (!r)
		return before ? 400 : 500; /* a cursor that is not a time is the client's fault */
	struct json_object *page = admin_page_new(c, "Audit log", "audit");
	struct json_object *rows = json_object_new_array();
	int n = PQntuples(r), shown = n > 50 ? 50 : n;
	for (int i = 0; i < shown; i++) {
		struct json_object *row = json_object_new_object();
		json_object_object_add(row, "at", json_object_new_string(PQgetvalue(r, i, 1)));
		json_object_object_add(row, "actor_kind", json_object_new_string(PQgetvalue(r, i, 2)));
		json_object_object_add(row, "actor", json_object_new_string(PQgetvalue(r, i, 3)));
		json_object_object_add(row, "action", json_object_new_string(PQgetvalue(r, i, 4)));
		json_object_object_add(row, "setting", json_object_new_string(PQgetvalue(r, i, 5)));
		const char *detail = PQgetvalue(r, i, 6);
		if (strcmp(detail, "{}") != 0)
			json_object_object_add(row, "detail", json_object_new_string(detail));
		const char *b = PQgetvalue(r, i, 7), *a = PQgetvalue(r, i, 8);
		if (strcmp(b, "null") != 0)
			json_object_object_add(row, "before", json_object_new_string(b));
		if (strcmp(a, "null") != 0)
			json_object_object_add(row, "after", json_object_new_string(a));
		json_object_object_add(row, "ip", json_object_new_string(PQgetvalue(r, i, 9)));
		json_object_array_add(rows, row);
	}
	json_object_object_add(page, "rows", rows);
	json_object_object_add(page, "empty", json_object_new_boolean(shown == 0));
	json_object_object_add(page, "action", json_object_new_string(action));
	if (n > 50) {
		struct buf next = BUF_INIT;
		buf_puts(&next, "/admin/audit?");
		if (action[0]) {
			buf_puts(&next, "action=");
			buf_urlenc(&next, action, strlen(action));
			buf_puts(&next, "&");
		}
		buf_puts(&next, "before=");
		const char *cur = arena_printf(c->arena, "%s_%s", PQgetvalue(r, 49, 10), PQgetvalue(r, 49, 0));
		buf_urlenc(&next, cur, strlen(cur));
		json_object_object_add(page, "next_url", json_object_new_string(next.data ? next.data : ""));
		buf_free(&next);
	}
	PQclear(r);
	PGresult *ra = db_exec("admin_audit_actions", 0, NULL);
	struct json_object *actions = json_object_new_array();
	for (int i = 0; ra && i < PQntuples(ra); i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(PQgetvalue(ra, i, 0)));
		json_object_object_add(o, "selected", json_object_new_boolean(strcmp(PQgetvalue(ra, i, 0), action) == 0));
		json_object_array_add(actions, o);
	}
	PQclear(ra);
	json_object_object_add(page, "actions", actions);
	return admin_render(c, 200, "admin/audit", page);
}

/* The console's core routes; page groups keep theirs in their own files (see routes.c). */
const struct route admin_routes[] = {
	{HTTP_GET, "/admin", admin_dashboard, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/login", admin_login_page, AUTH_STAFF_PUBLIC, 0},
	{HTTP_POST, "/admin/login", admin_login_submit, AUTH_STAFF_PUBLIC, 0},
	{HTTP_POST, "/admin/logout", admin_logout_submit, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/audit", admin_audit_page, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/preview/<id>/tickets", admin_preview_tickets, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/preview/<id>/tickets/<id>", admin_preview_ticket, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/preview/<id>/files/<id>/<name>", admin_preview_file, AUTH_STAFF, 0},
	{0},
};
