/* admin_settings.c - /admin/portals/<id>/settings (/admin/settings in the route table): the index of the portal settings pages, each with a
 * summary of its value (every page lives in admin_settings_<page>.c). */
#include "admin_settings.h"
#include "form_page.h"
#include "langs.h"

#include <stdlib.h>
#include <string.h>

const struct db_stmt admin_settings_stmts[] = {
	{"settings_index",
	 "SELECT p.name, p.page_title, p.enabled, p.ticket_slug, p.access_mode, p.consent_text, p.show_custom_stages,"
	 " p.kb_link_enabled, p.session_timeout_minutes, p.permission_mode, p.theme::text AS theme,"
	 " (SELECT count(*) FROM portal_domains WHERE portal_id = p.id) AS domains,"
	 " coalesce((SELECT host FROM portal_domains WHERE portal_id = p.id AND is_primary), '') AS primary_host,"
	 " coalesce((SELECT language FROM portal_domains WHERE portal_id = p.id AND is_primary), '') AS primary_lang,"
	 " (SELECT count(*) FROM portal_lists WHERE portal_id = p.id) AS lists,"
	 " coalesce((SELECT name FROM inboxes WHERE id = p.default_inbox_id), '') AS inbox,"
	 " (SELECT count(*) FROM portal_ticket_filters WHERE portal_id = p.id) AS filters,"
	 " (SELECT count(*) FROM portal_nav_items WHERE portal_id = p.id AND builtin IS NULL) AS nav_items,"
	 " coalesce((SELECT name FROM forms WHERE id = p.support_form_id), '') AS support_form,"
	 " (SELECT count(*) FROM portal_notifications WHERE portal_id = p.id AND NOT enabled) AS notifications_off,"
	 " p.customer_reopen, p.reopen_days, p.customer_cc, p.cc_same_domain, p.ratings_enabled"
	 " FROM portals p WHERE p.id = $1",
	 1},
	{NULL, NULL, 0},
};

/* One line of the index; a settings page's url is the configured portal's (admin_url). */
static void entry(struct ctx *c, struct json_object *list, const char *title, const char *url, const char *summary)
{
	url = admin_url(c, url);
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
	PGresult *r = form_page_query(c, "settings_index");
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return 500;
	}
#define V(col) db_col(r, 0, col)
	struct json_object *list = json_object_new_array();
	const char *title = V("page_title")[0] ? V("page_title") : "(none)";
	entry(c, list, "General", "/admin/settings/general",
	      arena_printf(c->arena, "%s · page title: %s · portal %s", V("name"), title,
			   V("enabled")[0] == 't' ? "on" : "off"));
	long nd = atol(V("domains"));
	const struct lang *pl = lang_find(V("primary_lang"));
	const char *primary = !V("primary_host")[0] ? ""
			      : arena_printf(c->arena, "%s (%s)", V("primary_host"), pl ? pl->name : V("primary_lang"));
	entry(c, list, "Domains and URL", "/admin/settings/domains",
	      nd ? arena_printf(c->arena, "%s, primary %s · ticket pages at /%s",
				plural(c, nd, "domain", "domains"), primary, V("ticket_slug"))
		 : arena_printf(c->arena, "No domain yet · ticket pages at /%s", V("ticket_slug")));
	const char *mode = V("access_mode");
	entry(c, list, "Access", "/admin/settings/access",
	      strcmp(mode, "registration") == 0 ? "Member registration: anyone may sign up"
	      : strcmp(mode, "lists") == 0
		      ? arena_printf(c->arena, "Specific lists of contacts (%s)", plural(c, atol(V("lists")), "list", "lists"))
		      : "Single sign-on");
	entry(c, list, "Consent to process", "/admin/settings/consent",
	      V("consent_text")[0] ? excerpt(c, V("consent_text"), 80) : "Not written yet");
	entry(c, list, "Default inbox", "/admin/settings/inbox", V("inbox")[0] ? V("inbox") : "Not chosen yet");
	entry(c, list, "Ticket status display", "/admin/settings/status",
	      V("show_custom_stages")[0] == 't' ? "Custom stage names" : "Open / Closed");
	entry(c, list, "Knowledge base link", "/admin/settings/kb-link",
	      V("kb_link_enabled")[0] == 't' ? arena_printf(c->arena, "On: \"Go to %s\"", V("name")) : "Off");
	entry(c, list, "Session timeout", "/admin/settings/session",
	      arena_printf(c->arena, "Customers are logged out after %s minutes of inactivity", V("session_timeout_minutes")));
	long nf = atol(V("filters"));
	entry(c, list, "Ticket filters", "/admin/settings/filters",
	      nf ? arena_printf(c->arena, "%s: only matching tickets show", plural(c, nf, "rule", "rules"))
		 : "No rules: every ticket of a customer shows");
	const char *pm = V("permission_mode");
	entry(c, list, "Ticket permissions", "/admin/settings/permissions",
	      strcmp(pm, "own") == 0		? "Own tickets only"
	      : strcmp(pm, "own_company") == 0	? "Own tickets and all of the primary company's"
						: "Own tickets; company tickets by contact rules");
	struct json_object *theme = json_tokener_parse(V("theme"));
	int nt = theme && json_object_is_type(theme, json_type_object) ? json_object_object_length(theme) : 0;
	json_object_put(theme);
	entry(c, list, "Theme", "/admin/settings/theme",
	      nt ? plural(c, nt, "style setting", "style settings") : "Default styles");
	long nn = atol(V("nav_items"));
	entry(c, list, "Navigation menu", "/admin/settings/navigation",
	      nn ? arena_printf(c->arena, "%s and the portal's own links", plural(c, nn, "link", "links")) : "The portal's own links only");
	entry(c, list, "Support form", "/admin/settings/support-form",
	      V("support_form")[0] ? arena_printf(c->arena, "Form \"%s\"", V("support_form")) : "None: no \"Submit a support ticket\" link");
	entry(c, list, "System pages", "/admin/settings/templates",
	      "Templates of registration, login, logout, access denied, password reset, ticket list and ticket pages");
	entry(c, list, "Emails", "/admin/settings/emails", "Registration, invitation and ticket notification emails per language");
	long off = atol(V("notifications_off"));
	entry(c, list, "Notifications", "/admin/settings/notifications",
	      off ? arena_printf(c->arena, "%ld of 6 emails off", off) : "Every email on");
	entry(c, list, "Ticket actions", "/admin/settings/ticket-actions",
	      arena_printf(c->arena, "%s · CC %s · ratings %s",
			   V("customer_reopen")[0] == 't'
				   ? arena_printf(c->arena, "Customers close and reopen tickets (within %s days)", V("reopen_days"))
				   : "Customers cannot close or reopen tickets",
			   V("customer_cc")[0] != 't' ? "off" : V("cc_same_domain")[0] == 't' ? "on (company domain only)" : "on",
			   V("ratings_enabled")[0] == 't' ? "on" : "off"));
	const char *sm = c->portal->sso_method;
	entry(c, list, "Staff security", "/admin/security", "For all staff of the install: a second factor required or not, and whose is on");
	entry(c, list, "Single sign-on", "/admin/settings/sso",
	      !sm[0] ? "Not set up"
	      : arena_printf(c->arena, "%s%s", strcmp(sm, "saml") == 0 ? "SAML 2.0" : "JWT",
			     strcmp(V("access_mode"), "sso") == 0 ? ", on" : ", set up but not on (Access)"));
	entry(c, list, "Portals (all portals)", "/admin/portals",
	      "Every portal of the install, the default one, and a new portal (brand) on its own domain");
	entry(c, list, "Console settings (all portals)", "/admin/console-settings",
	      arena_printf(c->arena, "Times in the console are shown in %s", console_zone()));
#undef V
	PQclear(r);
	struct json_object *page = admin_page_new(c, "Portal settings", "settings");
	json_object_object_add(page, "entries", list);
	return admin_render(c, 200, "admin/settings_index", page);
}
