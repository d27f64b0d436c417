/* admin_settings_display.c - the ticket status display, the knowledge-base link (its switch in the
 * console and the public, embeddable /kb-link page) and the customers' session timeout. */
#include "admin_settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "tmpl.h"

static int fail(void)
{
	db_rollback();
	return 500;
}

/* A radio pair: 1 for on_word, 0 for off_word, -1 (with a message) for anything else. */
static int choice(struct form *f, struct ctx *c, const char *name, const char *on_word,
		  const char *off_word, const char *message)
{
	const char *v = request_form(c->req, name);
	json_object_object_add(f->values, name, json_object_new_string(v ? v : ""));
	if (v && strcmp(v, on_word) == 0)
		return 1;
	if (v && strcmp(v, off_word) == 0)
		return 0;
	form_message(f, name, message);
	return -1;
}

/* Saves one boolean column with its audit row, then 303 back to path. */
static int save_bool(struct ctx *c, const char *stmt, int col, const char *setting, int on, const char *path)
{
	if (db_begin() < 0)
		return 500;
	PGresult *row = settings_row(c, 1);
	if (!row)
		return fail();
	int was = PQgetvalue(row, 0, col)[0] == 't';
	PQclear(row);
	if (was == on) {
		db_rollback();
		return page_redirect(c, 303, arena_printf(c->arena, "%s?saved=1", path));
	}
	const char *p[2] = {admin_pid(c), on ? "true" : "false"};
	PGresult *u = db_exec(stmt, 2, p);
	if (!u)
		return fail();
	PQclear(u);
	if (settings_audit_bool(c, setting, was, on) < 0)
		return fail();
	return settings_commit_redirect(c, path);
}

/* ---- ticket status display --------------------------------------------------------------- */

static int render_status(struct ctx *c, int status, struct form *f, int custom)
{
	struct json_object *page = settings_page_new(c, "Ticket status display");
	if (!f) {
		PGresult *row = settings_row(c, 0);
		if (!row) {
			json_object_put(page);
			return 500;
		}
		custom = PQgetvalue(row, 0, SC_CUSTOM_STAGES)[0] == 't';
		PQclear(row);
	} else {
		form_to_page(f, page);
	}
	json_object_object_add(page, "custom", json_object_new_boolean(custom == 1));
	json_object_object_add(page, "open_closed", json_object_new_boolean(custom == 0));
	return admin_render(c, status, "admin/settings_status", page);
}

int admin_settings_status(struct ctx *c)
{
	return render_status(c, 200, NULL, 0);
}

int admin_settings_status_save(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	int on = choice(&f, c, "status_display", "custom_stages", "open_closed",
			"Choose how the portal shows a ticket's status.");
	if (f.nerrors)
		return render_status(c, 422, &f, on);
	form_free(&f);
	return save_bool(c, "settings_set_stages", SC_CUSTOM_STAGES, "show_custom_stages", on,
			 "/admin/settings/status");
}

/* ---- knowledge-base link ----------------------------------------------------------------- */

static const char *portal_url(struct ctx *c, const char *slug)
{
	return arena_printf(c->arena, "%s/%s", portal_base_url(c), slug);
}

static int render_kb_link(struct ctx *c, int status, struct form *f, int on)
{
	PGresult *row = settings_row(c, 0);
	if (!row) {
		if (f)
			form_free(f);
		return 500;
	}
	const char *name = PQgetvalue(row, 0, SC_NAME);
	if (!f)
		on = PQgetvalue(row, 0, SC_KB_LINK)[0] == 't';
	const char *url = portal_url(c, PQgetvalue(row, 0, SC_SLUG));
	struct buf snip = BUF_INIT;
	buf_puts(&snip, "<a href=\"");
	buf_html(&snip, url, strlen(url));
	buf_puts(&snip, "\">Go to ");
	buf_html(&snip, name, strlen(name));
	buf_puts(&snip, "</a>");
	struct json_object *page = settings_page_new(c, "Knowledge base link");
	json_object_object_add(page, "name", json_object_new_string(name));
	json_object_object_add(page, "snippet", json_object_new_string(snip.data ? snip.data : ""));
	json_object_object_add(page, "embed_url", json_object_new_string(
		arena_printf(c->arena, "%s/kb-link", portal_base_url(c))));
	json_object_object_add(page, "on", json_object_new_boolean(on == 1));
	json_object_object_add(page, "off", json_object_new_boolean(on == 0));
	json_object_object_add(page, "portal_off", json_object_new_boolean(PQgetvalue(row, 0, SC_ENABLED)[0] != 't'));
	buf_free(&snip);
	PQclear(row);
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, "admin/settings_kb_link", page);
}

int admin_settings_kb_link(struct ctx *c)
{
	return render_kb_link(c, 200, NULL, 0);
}

int admin_settings_kb_link_save(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	int on = choice(&f, c, "kb_link", "on", "off", "Choose on or off.");
	if (f.nerrors)
		return render_kb_link(c, 422, &f, on);
	form_free(&f);
	return save_bool(c, "settings_set_kb_link", SC_KB_LINK, "kb_link_enabled", on, "/admin/settings/kb-link");
}

/* Public: a small page for the knowledge base to embed (any site may frame it), in the language
 * of the domain it is asked on. Sets no cookie. 404 while the link or the portal is off. */
int kb_link_page(struct ctx *c)
{
	if (!c->portal->kb_link_enabled || !c->portal->enabled)
		return 404;
	struct json_object *page = json_object_new_object();
	json_object_object_add(page, "t", json_object_get(i18n_catalog(c->lang)));
	json_object_object_add(page, "lang", json_object_new_string(c->lang));
	json_object_object_add(page, "asset_version", json_object_new_string(asset_version));
	json_object_object_add(page, "name", json_object_new_string(c->portal->name));
	json_object_object_add(page, "url", json_object_new_string(portal_url(c, c->portal->ticket_slug)));
	char err[256];
	buf_reset(&c->res->body);
	int rc = tmpl_render(templates, "portal/kb_link", page, &c->res->body, err, sizeof err);
	json_object_put(page);
	if (rc < 0 || c->res->body.oom) {
		log_msg(LOG_ERROR, "render portal/kb_link: %s", rc < 0 ? err : "out of memory");
		buf_reset(&c->res->body);
		return 500;
	}
	c->res->status = 200;
	response_header(c->res, "Content-Security-Policy",
			"default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self';"
			" form-action 'none'; base-uri 'none'; frame-ancestors *");
	response_header(c->res, "X-Content-Type-Options", "nosniff");
	response_header(c->res, "Referrer-Policy", "same-origin");
	response_header(c->res, "Cache-Control", "no-cache");
	return 200;
}

/* ---- session timeout --------------------------------------------------------------------- */

static int render_session(struct ctx *c, int status, struct form *f)
{
	struct json_object *page = settings_page_new(c, "Session timeout");
	if (!f) {
		PGresult *row = settings_row(c, 0);
		if (!row) {
			json_object_put(page);
			return 500;
		}
		struct json_object *v = json_object_new_object();
		json_object_object_add(v, "timeout", json_object_new_string(PQgetvalue(row, 0, SC_TIMEOUT)));
		json_object_object_add(page, "values", v);
		PQclear(row);
	} else {
		form_to_page(f, page);
	}
	return admin_render(c, status, "admin/settings_session", page);
}

int admin_settings_session(struct ctx *c)
{
	return render_session(c, 200, NULL);
}

int admin_settings_session_save(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *v = form_text(&f, c->req, "timeout", 1, 12, 0, 1);
	long minutes = 0;
	if (v) {
		int digits = v[0] != '\0';
		for (const char *p = v; *p; p++)
			if (*p < '0' || *p > '9')
				digits = 0;
		errno = 0;
		minutes = digits ? strtol(v, NULL, 10) : 0;
		if (!digits || errno)
			form_message(&f, "timeout", "Enter a whole number of minutes, like 60.");
		else if (minutes < 5 || minutes > 43200)
			form_message(&f, "timeout", "Enter between 5 minutes and 43200 minutes (30 days).");
	}
	if (f.nerrors)
		return render_session(c, 422, &f);
	form_free(&f);
	if (db_begin() < 0)
		return 500;
	PGresult *row = settings_row(c, 1);
	if (!row)
		return fail();
	long was = atol(PQgetvalue(row, 0, SC_TIMEOUT));
	PQclear(row);
	if (was == minutes) {
		db_rollback();
		return page_redirect(c, 303, "/admin/settings/session?saved=1");
	}
	const char *p[2] = {admin_pid(c), arena_printf(c->arena, "%ld", minutes)};
	PGresult *u = db_exec("settings_set_timeout", 2, p);
	if (!u)
		return fail();
	PQclear(u);
	if (settings_audit_int(c, "session_timeout_minutes", was, minutes) < 0)
		return fail();
	return settings_commit_redirect(c, "/admin/settings/session");
}
