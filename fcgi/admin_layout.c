/* admin_layout.c - the console's chrome: the base context of a page, render, the error page, the
 * ids of the request (route captures, the configured portal), and change audit rows. */
#include "admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


long admin_portal_id(const struct ctx *c)
{
	return c->portal->id;
}

const char *admin_settings_url(struct ctx *c, const char *rest)
{
	return arena_printf(c->arena, "/admin/portals/%ld/settings%s", c->portal->id, rest ? rest : "");
}

const char *admin_url(struct ctx *c, const char *path)
{
	static const char old[] = "/admin/settings";
	size_t n = sizeof old - 1;
	if (path && strncmp(path, old, n) == 0 && (!path[n] || path[n] == '/' || path[n] == '?'))
		return admin_settings_url(c, path + n);
	return path;
}

const char *staff_inboxes(const struct ctx *c)
{
	return c->staff.found && c->staff.limited ? c->staff.inboxes : NULL;
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
	{"invited", "Invitation queued: the contact will get a registration email shortly."},
	{"not_invited", "No invitation was queued: the contact already has a login here, one is still waiting to be sent, or the contact may not enter this portal."},
	{"added", "Contact added to the list."},
	{"removed", "Contact removed from the list."},
	{"renamed", "List renamed."},
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
	json_object_object_add(page, "settings_base", json_object_new_string(admin_settings_url(c, "")));
	int n = 0;
	while (settings_portal_at(n))
		n++;
	json_object_object_add(page, "several_portals", json_object_new_boolean(n > 1));
	if (c->staff.found) {
		struct json_object *st = json_object_new_object();
		json_object_object_add(st, "email", json_object_new_string(c->staff.email));
		json_object_object_add(st, "name", json_object_new_string(c->staff.name[0] ? c->staff.name : c->staff.email));
		json_object_object_add(st, "is_admin", json_object_new_boolean(c->staff.is_admin));
		/* the portal preview shows every inbox's tickets: not for an agent limited to some */
		json_object_object_add(st, "can_preview", json_object_new_boolean(!staff_inboxes(c)));
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
	page_request_id(c, page);
	return admin_render(c, status, "admin/error", page);
}

int admin_audit(struct ctx *c, const char *action, const char *setting, struct json_object *before,
		struct json_object *after)
{
	struct json_object *d = json_object_new_object();
	if (setting)
		json_object_object_add(d, "setting", json_object_new_string(setting));
	json_object_object_add(d, "before", before);
	json_object_object_add(d, "after", after);
	int rc = audit(c, "staff", c->staff.user_id, action, json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
	json_object_put(d);
	return rc;
}

int admin_audit_commit(struct ctx *c, const char *action, struct json_object *before, struct json_object *after,
		       const char *location)
{
	if (admin_audit(c, action, NULL, before, after) < 0 || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	return page_redirect(c, 303, location);
}
