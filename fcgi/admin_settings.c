/* admin_settings.c - the portal settings of the admin console: the route and statement tables of
 * every settings page, the helpers they share, the settings index and the general page (portal
 * name, page title, on/off switch). */
#include "admin_settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PORTAL_COLS                                                                              \
	"SELECT name, page_title, enabled, ticket_slug, coalesce(previous_slug, ''), access_mode," \
	" consent_text, consent_label, coalesce(default_inbox_id::text, ''), show_custom_stages,"  \
	" kb_link_enabled, session_timeout_minutes, permission_mode, theme::text,"                 \
	" coalesce(support_form_id::text, '') FROM portals WHERE id = $1"

const struct db_stmt admin_settings_stmts[] = {
	{"settings_portal_row", PORTAL_COLS, 1},
	{"settings_portal_lock", PORTAL_COLS " FOR UPDATE", 1},
	{"settings_index_facts",
	 "SELECT (SELECT count(*) FROM portal_domains WHERE portal_id = $1),"
	 " coalesce((SELECT host || CASE language WHEN 'sv' THEN ' (Swedish)' ELSE ' (English)' END"
	 "   FROM portal_domains WHERE portal_id = $1 AND is_primary), ''),"
	 " (SELECT count(*) FROM portal_lists WHERE portal_id = $1),"
	 " coalesce((SELECT i.name FROM portals p JOIN inboxes i ON i.id = p.default_inbox_id WHERE p.id = $1), ''),"
	 " (SELECT count(*) FROM portal_ticket_filters WHERE portal_id = $1),"
	 " (SELECT count(*) FROM portal_nav_items WHERE portal_id = $1),"
	 " coalesce((SELECT f.name FROM portals p JOIN forms f ON f.id = p.support_form_id WHERE p.id = $1), '')",
	 1},
	/* what switching on needs: a domain, a usable access mode, consent, a default inbox */
	{"settings_switch_facts",
	 "SELECT EXISTS (SELECT 1 FROM portal_domains WHERE portal_id = p.id), p.access_mode,"
	 " (SELECT count(*) FROM portal_lists WHERE portal_id = p.id),"
	 " btrim(p.consent_text) <> '', btrim(p.consent_label) <> '', p.default_inbox_id IS NOT NULL,"
	 " portal_sso_problem(p.id), p.sso_audience"
	 " FROM portals p WHERE p.id = $1",
	 1},
	{"settings_set_general", "UPDATE portals SET name = $2, page_title = $3, enabled = $4 WHERE id = $1", 4},
	{NULL, NULL, 0},
};

/* ---- shared helpers ---------------------------------------------------------------------- */

PGresult *settings_row(struct ctx *c, int lock)
{
	const char *p[1] = {admin_pid(c)};
	PGresult *r = db_exec(lock ? "settings_portal_lock" : "settings_portal_row", 1, p);
	if (r && PQntuples(r) != 1) {
		PQclear(r);
		return NULL;
	}
	return r;
}

struct json_object *settings_page_new(struct ctx *c, const char *title)
{
	return admin_page_new(c, title, "settings");
}

static int audit_pair(struct ctx *c, const char *setting, struct json_object *b, struct json_object *a)
{
	struct json_object *before = json_object_new_object(), *after = json_object_new_object();
	json_object_object_add(before, setting, b);
	json_object_object_add(after, setting, a);
	return admin_audit(c, "settings_change", setting, before, after);
}

int settings_audit_str(struct ctx *c, const char *setting, const char *before, const char *after)
{
	return audit_pair(c, setting, before ? json_object_new_string(before) : NULL,
			  after ? json_object_new_string(after) : NULL);
}

int settings_audit_bool(struct ctx *c, const char *setting, int before, int after)
{
	return audit_pair(c, setting, json_object_new_boolean(before), json_object_new_boolean(after));
}

int settings_audit_int(struct ctx *c, const char *setting, long before, long after)
{
	return audit_pair(c, setting, json_object_new_int64(before), json_object_new_int64(after));
}

/*
 * Other workers learn of a change by NOTIFY portal_settings, which their PostgreSQL backends
 * forward to them after our COMMIT, asynchronously: within microseconds on an idle machine, a
 * few milliseconds on a busy one (measured: about one request in ten that arrived right after
 * the 303 still saw the old value). Holding the answer back briefly makes "every request after
 * the admin's save sees the new value" hold in practice; saves are rare, so the cost is small.
 */
int settings_commit_redirect(struct ctx *c, const char *path)
{
	if (db_commit() < 0)
		return 500;
	return page_redirect(c, 303, arena_printf(c->arena, "%s?saved=1", path));
}

struct json_object *settings_switch_on_blockers(struct ctx *c)
{
	const char *p[1] = {admin_pid(c)};
	PGresult *r = db_exec("settings_switch_facts", 1, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return NULL;
	}
	struct json_object *why = json_object_new_array();
	const char *mode = PQgetvalue(r, 0, 1);
#define WHY(s) json_object_array_add(why, json_object_new_string(s))
	if (PQgetvalue(r, 0, 0)[0] != 't')
		WHY("Add a domain the portal runs on (Domains and URL).");
	int sso = strcmp(mode, "sso") == 0, on_lists = sso && strcmp(PQgetvalue(r, 0, 7), "lists") == 0;
	if ((strcmp(mode, "lists") == 0 || on_lists) && atol(PQgetvalue(r, 0, 2)) == 0)
		WHY("Access is by specific lists, but no list is chosen (Access).");
	else if (strcmp(mode, "registration") != 0 && strcmp(mode, "lists") != 0 && !sso)
		WHY("Choose an access mode: member registration, specific lists or single sign-on (Access).");
	if (sso && PQgetvalue(r, 0, 6)[0])
		json_object_array_add(why, json_object_new_string(PQgetvalue(r, 0, 6)));
	if (PQgetvalue(r, 0, 3)[0] != 't')
		WHY("Write the consent-to-process notice (Consent).");
	if (PQgetvalue(r, 0, 4)[0] != 't')
		WHY("Write the consent checkbox label (Consent).");
	if (PQgetvalue(r, 0, 5)[0] != 't')
		WHY("Choose a default inbox (Default inbox).");
#undef WHY
	PQclear(r);
	return why;
}

/* ---- index ------------------------------------------------------------------------------- */

static void entry(struct json_object *list, const char *title, const char *url, const char *summary)
{
	struct json_object *e = json_object_new_object();
	json_object_object_add(e, "title", json_object_new_string(title));
	if (url)
		json_object_object_add(e, "url", json_object_new_string(url));
	json_object_object_add(e, "summary", json_object_new_string(summary));
	json_object_array_add(list, e);
}

/* The first line of text, cut to about n characters (whole UTF-8 sequences). */
static const char *excerpt(struct ctx *c, const char *text, size_t n)
{
	size_t len = strcspn(text, "\r\n"), cut = len;
	if (cut > n) {
		cut = n;
		while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
			cut--;
	}
	return arena_printf(c->arena, "%.*s%s", (int)cut, text, cut < strlen(text) ? "…" : "");
}

static const char *plural(struct ctx *c, long n, const char *one, const char *many)
{
	return arena_printf(c->arena, "%ld %s", n, n == 1 ? one : many);
}

int admin_settings_index(struct ctx *c)
{
	PGresult *r = settings_row(c, 0);
	if (!r)
		return 500;
	const char *p[1] = {admin_pid(c)};
	PGresult *f = db_exec("settings_index_facts", 1, p);
	if (!f || PQntuples(f) != 1) {
		PQclear(r);
		PQclear(f);
		return 500;
	}
#define V(col) PQgetvalue(r, 0, col)
#define F(col) PQgetvalue(f, 0, col)
	struct json_object *list = json_object_new_array();
	const char *title = V(SC_PAGE_TITLE)[0] ? V(SC_PAGE_TITLE) : "(none)";
	entry(list, "General", "/admin/settings/general",
	      arena_printf(c->arena, "%s · page title: %s · portal %s", V(SC_NAME), title,
			   V(SC_ENABLED)[0] == 't' ? "on" : "off"));
	long nd = atol(F(0));
	entry(list, "Domains and URL", "/admin/settings/domains",
	      nd ? arena_printf(c->arena, "%s, primary %s · ticket pages at /%s",
				plural(c, nd, "domain", "domains"), F(1), V(SC_SLUG))
		 : arena_printf(c->arena, "No domain yet · ticket pages at /%s", V(SC_SLUG)));
	const char *mode = V(SC_ACCESS_MODE);
	entry(list, "Access", "/admin/settings/access",
	      strcmp(mode, "registration") == 0 ? "Member registration: anyone may sign up"
	      : strcmp(mode, "lists") == 0
		      ? arena_printf(c->arena, "Specific lists of contacts (%s)", plural(c, atol(F(2)), "list", "lists"))
		      : "Single sign-on");
	entry(list, "Consent to process", "/admin/settings/consent",
	      V(SC_CONSENT_TEXT)[0] ? excerpt(c, V(SC_CONSENT_TEXT), 80) : "Not written yet");
	entry(list, "Default inbox", "/admin/settings/inbox", F(3)[0] ? F(3) : "Not chosen yet");
	entry(list, "Ticket status display", "/admin/settings/status",
	      V(SC_CUSTOM_STAGES)[0] == 't' ? "Custom stage names" : "Open / Closed");
	entry(list, "Knowledge base link", "/admin/settings/kb-link",
	      V(SC_KB_LINK)[0] == 't' ? arena_printf(c->arena, "On: \"Go to %s\"", V(SC_NAME)) : "Off");
	entry(list, "Session timeout", "/admin/settings/session",
	      arena_printf(c->arena, "Customers are logged out after %s minutes of inactivity", V(SC_TIMEOUT)));
	long nf = atol(F(4));
	entry(list, "Ticket filters", "/admin/settings/filters",
	      nf ? arena_printf(c->arena, "%s: only matching tickets show", plural(c, nf, "rule", "rules"))
		 : "No rules: every ticket of a customer shows");
	const char *pm = V(SC_PERMISSION_MODE);
	entry(list, "Ticket permissions", "/admin/settings/permissions",
	      strcmp(pm, "own") == 0		? "Own tickets only"
	      : strcmp(pm, "own_company") == 0	? "Own tickets and all of the primary company's"
						: "Own tickets; company tickets by contact rules");
	struct json_object *theme = json_tokener_parse(V(SC_THEME));
	int nt = theme && json_object_is_type(theme, json_type_object) ? json_object_object_length(theme) : 0;
	json_object_put(theme);
	entry(list, "Theme", "/admin/settings/theme",
	      nt ? plural(c, nt, "style setting", "style settings") : "Default styles");
	long nn = atol(F(5));
	entry(list, "Navigation menu", "/admin/settings/navigation",
	      nn ? plural(c, nn, "menu item", "menu items") : "No menu items");
	entry(list, "Support form", "/admin/settings/support-form",
	      F(6)[0] ? arena_printf(c->arena, "Form \"%s\"", F(6)) : "None: no \"Submit a support ticket\" link");
	entry(list, "System pages", "/admin/settings/templates",
	      "Templates of registration, login, logout, access denied and password reset pages");
	entry(list, "Emails", "/admin/settings/emails", "Registration and invitation emails per language");
	const char *sm = c->portal->sso_method;
	entry(list, "Single sign-on", "/admin/settings/sso",
	      !sm[0] ? "Not set up"
	      : arena_printf(c->arena, "%s%s", strcmp(sm, "saml") == 0 ? "SAML 2.0" : "JWT",
			     strcmp(V(SC_ACCESS_MODE), "sso") == 0 ? ", on" : ", set up but not on (Access)"));
#undef V
#undef F
	PQclear(r);
	PQclear(f);
	struct json_object *page = settings_page_new(c, "Portal settings");
	json_object_object_add(page, "entries", list);
	return admin_render(c, 200, "admin/settings_index", page);
}

/* ---- general: name, page title, on/off ----------------------------------------------------- */

static int render_general(struct ctx *c, int status, struct form *f, struct json_object *blockers)
{
	PGresult *r = NULL;
	struct json_object *page = settings_page_new(c, "General settings");
	if (!f) {
		r = settings_row(c, 0);
		if (!r) {
			json_object_put(page);
			return 500;
		}
		struct json_object *v = json_object_new_object();
		json_object_object_add(v, "name", json_object_new_string(PQgetvalue(r, 0, SC_NAME)));
		json_object_object_add(v, "page_title", json_object_new_string(PQgetvalue(r, 0, SC_PAGE_TITLE)));
		json_object_object_add(v, "enabled", json_object_new_boolean(PQgetvalue(r, 0, SC_ENABLED)[0] == 't'));
		json_object_object_add(page, "values", v);
		PQclear(r);
	} else {
		form_to_page(f, page);
	}
	if (!blockers)
		blockers = settings_switch_on_blockers(c);
	if (blockers) {
		json_object_object_add(page, "has_blockers", json_object_new_boolean(json_object_array_length(blockers) > 0));
		json_object_object_add(page, "blockers", blockers);
	}
	return admin_render(c, status, "admin/settings_general", page);
}

int admin_settings_general(struct ctx *c)
{
	return render_general(c, 200, NULL, NULL);
}

int admin_settings_general_save(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *name = form_text(&f, c->req, "name", 1, 120, 0, 1);
	const char *title = form_text(&f, c->req, "page_title", 0, 200, 0, 1);
	const char *sw = request_form(c->req, "enabled");
	int on = sw && strcmp(sw, "on") == 0;
	json_object_object_add(f.values, "enabled", json_object_new_boolean(on));
	if (!sw || (strcmp(sw, "on") != 0 && strcmp(sw, "off") != 0))
		form_message(&f, "enabled", "Choose on or off.");
	if (f.nerrors)
		return render_general(c, 422, &f, NULL);

	if (db_begin() < 0) {
		form_free(&f);
		return 500;
	}
	PGresult *r = settings_row(c, 1);
	if (!r) {
		db_rollback();
		form_free(&f);
		return 500;
	}
	char old_name[256], old_title[512];
	snprintf(old_name, sizeof old_name, "%s", PQgetvalue(r, 0, SC_NAME));
	snprintf(old_title, sizeof old_title, "%s", PQgetvalue(r, 0, SC_PAGE_TITLE));
	int was_on = PQgetvalue(r, 0, SC_ENABLED)[0] == 't';
	PQclear(r);
	if (on && !was_on) {
		struct json_object *why = settings_switch_on_blockers(c);
		if (!why) {
			db_rollback();
			form_free(&f);
			return 500;
		}
		if (json_object_array_length(why) > 0) {
			db_rollback();
			form_message(&f, "enabled", "The portal cannot be switched on yet: see the list above.");
			return render_general(c, 422, &f, why);
		}
		json_object_put(why);
	}
	form_free(&f);
	const char *p[4] = {admin_pid(c), name, title, on ? "true" : "false"};
	PGresult *u = db_exec("settings_set_general", 4, p);
	int ok = u != NULL;
	PQclear(u);
	if (ok && strcmp(old_name, name) != 0)
		ok = settings_audit_str(c, "name", old_name, name) == 0;
	if (ok && strcmp(old_title, title) != 0)
		ok = settings_audit_str(c, "page_title", old_title, title) == 0;
	if (ok && was_on != on)
		ok = settings_audit_bool(c, "enabled", was_on, on) == 0;
	if (!ok) {
		db_rollback();
		return 500;
	}
	return settings_commit_redirect(c, "/admin/settings/general");
}
