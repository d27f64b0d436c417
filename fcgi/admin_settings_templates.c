/* admin_settings_templates.c - /admin/settings/templates: the template of each system page
 * (/admin/settings/templates/<page>: one of two shipped, or an edited copy compiled before it is
 * saved) with a preview. Not a form page of the kit: the record is named by the page, may not
 * exist yet (the shipped template stands in), and one form posts one of three actions. */
#include "admin_settings_templates.h"
#include "form_page.h"
#include "settings_load.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "markup.h"
#include "tmpl.h"

const struct db_stmt admin_settings_templates_stmts[] = {
	{"templates_pages",
	 "SELECT page, choice, custom_source IS NOT NULL,"
	 " " SQL_CONSOLE_TIME("updated_at", "YYYY-MM-DD HH24:MI")
	 " FROM portal_page_templates WHERE portal_id = $1",
	 1},
	{"templates_page_get",
	 "SELECT choice, coalesce(custom_source, ''), custom_source IS NOT NULL"
	 " FROM portal_page_templates WHERE portal_id = $1 AND page = $2",
	 2},
	{"templates_page_lock",
	 "SELECT choice, custom_source FROM portal_page_templates"
	 " WHERE portal_id = $1 AND page = $2 FOR UPDATE",
	 2},
	/* an update when the row exists (it may hold the copy that "custom" needs), else an insert */
	{"templates_page_choose",
	 "WITH up AS (UPDATE portal_page_templates SET choice = $3, updated_at = now()"
	 "   WHERE portal_id = $1 AND page = $2 RETURNING 1)"
	 " INSERT INTO portal_page_templates (portal_id, page, choice)"
	 " SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM up)",
	 3},
	{"templates_page_save_copy",
	 "INSERT INTO portal_page_templates (portal_id, page, choice, custom_source)"
	 " VALUES ($1, $2, 'custom', $3) ON CONFLICT (portal_id, page)"
	 " DO UPDATE SET choice = 'custom', custom_source = EXCLUDED.custom_source, updated_at = now()",
	 3},
	{"templates_page_drop_copy",
	 "UPDATE portal_page_templates SET custom_source = NULL, updated_at = now(),"
	 " choice = CASE WHEN choice = 'custom' THEN 'standard' ELSE choice END"
	 " WHERE portal_id = $1 AND page = $2",
	 2},
	/* a row that says no more than the default goes */
	{"templates_page_tidy",
	 "DELETE FROM portal_page_templates WHERE portal_id = $1 AND page = $2"
	 " AND choice = 'standard' AND custom_source IS NULL",
	 2},
	{NULL, NULL, 0},
};

/* What the console says about each page (indexed like system_pages) and each choice. */
static const struct {
	const char *label, *title_key;
	const char *standard_hint; /* NULL: the shared one */
} page_text[SYSTEM_PAGE__MAX] = {
	[PAGE_REGISTER] = {"Registration", "register_title"},
	[PAGE_LOGIN] = {"Login", "login_title"},
	[PAGE_LOGOUT] = {"Logout", "logout_title"},
	[PAGE_ACCESS_DENIED] = {"Access denied", "access_denied_title"},
	[PAGE_RESET_REQUEST] = {"Password reset request", "reset_request_title"},
	[PAGE_RESET] = {"Password reset", "reset_title"},
	[PAGE_TICKETS] = {"Ticket list", "tickets_title",
			  "The customer's tickets in a table: views, search, status filter, sorting and pages."},
	[PAGE_TICKET] = {"Ticket", NULL,
			 "One ticket: its details, the conversation, close or reopen, the rating and the reply form."},
};
static const char *const choice_words[] = {"standard", "alternative", "custom"};
static const char *const choice_labels[] = {"Standard", "Split", "Edited copy"};
static const char *const choice_hints[] = {
	"A centred card: heading, form and links in one column.",
	"The heading and introduction on a panel in the portal's brand colour beside the form; one column on a phone.",
	"Your own version, edited below.",
};

static int choice_index(const char *w)
{
	for (int i = 0; w && i < 3; i++)
		if (strcmp(w, choice_words[i]) == 0)
			return i;
	return -1;
}

const char *templates_read_shipped(struct ctx *c, const char *name)
{
	const char *path = arena_printf(c->arena, "%s/%s.mustache", cfg.templates_dir, name);
	FILE *f = path ? fopen(path, "rb") : NULL;
	if (!f) {
		log_msg(LOG_ERROR, "templates: %s: %s", path ? path : name, strerror(errno));
		return NULL;
	}
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	char *s = b.oom ? NULL : arena_strndup(c->arena, b.data ? b.data : "", b.len);
	buf_free(&b);
	return s;
}

char *templates_source(struct ctx *c, const char *raw)
{
	size_t n = strlen(raw), w = 0;
	char *s = arena_alloc(c->arena, n + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (raw[i] == '\r') {
			s[w++] = '\n';
			if (raw[i + 1] == '\n')
				i++;
		} else {
			s[w++] = raw[i];
		}
	}
	s[w] = '\0';
	return s;
}

/* A page's choice as it can be: the ticket pages have no alternative (shipped[1] NULL). */
static int usable_choice(int pg, int choice)
{
	return choice == CHOICE_ALTERNATIVE && !system_pages[pg].shipped[1] ? CHOICE_STANDARD : choice;
}

/* The list: each page with the template in use. */
int admin_settings_templates(struct ctx *c)
{
	PGresult *r = form_page_query(c, "templates_pages");
	if (!r)
		return 500;
	struct json_object *page = admin_page_new(c, "Page templates", "settings");
	struct json_object *rows = json_object_new_array();
	for (int i = 0; i < SYSTEM_PAGE__MAX; i++) {
		int choice = 0, has_copy = 0;
		const char *updated = "";
		for (int k = 0; k < PQntuples(r); k++) {
			if (strcmp(PQgetvalue(r, k, 0), system_pages[i].name) != 0)
				continue;
			choice = usable_choice(i, choice_index(PQgetvalue(r, k, 1)));
			has_copy = PQgetvalue(r, k, 2)[0] == 't';
			updated = PQgetvalue(r, k, 3);
		}
		struct json_object *row = json_object_new_object();
		json_object_object_add(row, "name", json_object_new_string(system_pages[i].name));
		json_object_object_add(row, "label", json_object_new_string(page_text[i].label));
		json_object_object_add(row, "choice", json_object_new_string(choice_labels[choice < 0 ? 0 : choice]));
		json_object_object_add(row, "is_default", json_object_new_boolean(choice <= 0));
		json_object_object_add(row, "has_copy", json_object_new_boolean(has_copy));
		json_object_object_add(row, "updated", json_object_new_string(updated));
		json_object_array_add(rows, row);
	}
	PQclear(r);
	json_object_object_add(page, "rows", rows);
	return admin_render(c, 200, "admin/settings_templates", page);
}

/*
 * The page of one system page: the choice form and the copy editor. saved_choice/saved_copy are
 * what the database holds; source is the textarea's text (NULL: prefilled); f carries errors.
 */
static int render_page(struct ctx *c, int status, int pg, int saved_choice, const char *saved_copy,
		       const char *source, const char *picked, struct form *f)
{
	struct json_object *page = admin_page_new(c, arena_printf(c->arena, "%s page template", page_text[pg].label),
						  "settings");
	json_object_object_add(page, "name", json_object_new_string(system_pages[pg].name));
	json_object_object_add(page, "label", json_object_new_string(page_text[pg].label));
	int sel = choice_index(picked);
	if (sel < 0)
		sel = saved_choice;
	struct json_object *choices = json_object_new_array();
	for (int i = 0; i < 3; i++) {
		if ((i == CHOICE_CUSTOM && !saved_copy) || (i == CHOICE_ALTERNATIVE && !system_pages[pg].shipped[1]))
			continue;
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "value", json_object_new_string(choice_words[i]));
		json_object_object_add(o, "label", json_object_new_string(choice_labels[i]));
		json_object_object_add(o, "hint", json_object_new_string(
			i == CHOICE_STANDARD && page_text[pg].standard_hint ? page_text[pg].standard_hint : choice_hints[i]));
		json_object_object_add(o, "checked", json_object_new_boolean(i == sel));
		json_object_object_add(o, "in_use", json_object_new_boolean(i == saved_choice));
		json_object_object_add(o, "shipped", i == CHOICE_CUSTOM ? NULL
			: json_object_new_string(arena_printf(c->arena, "templates/%s.mustache", system_pages[pg].shipped[i])));
		json_object_array_add(choices, o);
	}
	json_object_object_add(page, "choices", choices);
	json_object_object_add(page, "has_copy", json_object_new_boolean(saved_copy != NULL));
	json_object_object_add(page, "has_alternative", json_object_new_boolean(system_pages[pg].shipped[1] != NULL));
	/* the editor: what was typed, else ?from=standard|alternative, else the copy, else the
	 * shipped template in use */
	const char *from = request_query(c->req, "from");
	int from_i = usable_choice(pg, choice_index(from));
	if (!source) {
		if (from_i == CHOICE_STANDARD || from_i == CHOICE_ALTERNATIVE)
			source = templates_read_shipped(c, system_pages[pg].shipped[from_i]);
		else if (saved_copy)
			source = saved_copy;
		else
			source = templates_read_shipped(c, system_pages[pg].shipped[usable_choice(pg, saved_choice) == CHOICE_ALTERNATIVE]);
		if (!source) {
			json_object_put(page);
			return form_page_drop(f, 500);
		}
	}
	json_object_object_add(page, "source", json_object_new_string(source));
	json_object_object_add(page, "source_max_kb", json_object_new_int(TEMPLATES_PAGE_MAX / 1024));
	return form_page_render(c, status, "admin/settings_template", page, f);
}

/* The system page of the route (*pg) and its saved state: choice (CHOICE_*) and the copy (arena,
 * NULL when none). 0, 404 or 500. */
static int load_page(struct ctx *c, int *pg, int *choice, const char **copy)
{
	*pg = system_page_by_name(c->caps.v[0]);
	if (*pg < 0)
		return 404;
	const char *p[2] = {admin_pid(c), system_pages[*pg].name};
	PGresult *r = db_exec("templates_page_get", 2, p);
	if (!r)
		return 500;
	*choice = CHOICE_STANDARD;
	*copy = NULL;
	if (PQntuples(r) == 1) {
		*choice = usable_choice(*pg, choice_index(PQgetvalue(r, 0, 0)));
		if (PQgetvalue(r, 0, 2)[0] == 't')
			*copy = arena_strdup(c->arena, PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return 0;
}

int admin_settings_template(struct ctx *c)
{
	int pg, choice;
	const char *copy;
	int st = load_page(c, &pg, &choice, &copy);
	return st ? st : render_page(c, 200, pg, choice, copy, NULL, NULL, NULL);
}

static struct json_object *page_state(PGresult *r)
{
	struct json_object *o = json_object_new_object();
	int found = r && PQntuples(r) == 1;
	json_object_object_add(o, "choice", json_object_new_string(found ? PQgetvalue(r, 0, 0) : "standard"));
	json_object_object_add(o, "custom_source", found && !PQgetisnull(r, 0, 1)
		? json_object_new_string(PQgetvalue(r, 0, 1)) : NULL);
	return o;
}

/* One transaction: lock the row (its before state), write, tidy, audit, commit. */
static int write_page(struct ctx *c, int pg, const char *stmt, const char *value)
{
	const char *pid = admin_pid(c);
	const char *key[2] = {pid, system_pages[pg].name};
	const char *p[3] = {pid, system_pages[pg].name, value};
	if (db_begin() < 0)
		return -1;
	PGresult *before = db_exec("templates_page_lock", 2, key);
	if (!before)
		return -1;
	struct json_object *b = page_state(before);
	PQclear(before);
	PGresult *w = db_exec(stmt, value ? 3 : 2, p);
	PGresult *t = w ? db_exec("templates_page_tidy", 2, key) : NULL;
	PGresult *after = t ? db_exec("templates_page_lock", 2, key) : NULL;
	PQclear(w);
	PQclear(t);
	if (!after) {
		json_object_put(b);
		return -1;
	}
	struct json_object *a = page_state(after);
	PQclear(after);
	const char *setting = arena_printf(c->arena, "template:%s", system_pages[pg].name);
	if (admin_audit(c, "settings_change", setting, b, a) < 0 || db_commit() < 0)
		return -1;
	return 0;
}

int admin_settings_template_save(struct ctx *c)
{
	int pg, saved;
	const char *copy, *action = request_form(c->req, "action");
	int st = load_page(c, &pg, &saved, &copy);
	if (st)
		return st;
	struct form f;
	form_init(&f, "en");
	const char *stmt = NULL, *value = NULL, *source = NULL, *picked = NULL;
	if (action && strcmp(action, "choose") == 0) {
		picked = request_form(c->req, "choice");
		int i = choice_index(picked);
		if (i < 0 || (i == CHOICE_CUSTOM && !copy) || usable_choice(pg, i) != i)
			form_message(&f, "choice", "Choose one of the templates.");
		stmt = "templates_page_choose";
		value = picked;
	} else if (action && strcmp(action, "save") == 0) {
		const char *raw = request_form(c->req, "source");
		source = templates_source(c, raw ? raw : "");
		char err[256];
		struct tmpl_set *scratch = NULL;
		if (!source) {
			form_free(&f);
			return 500;
		}
		if (strspn(source, " \t\n") == strlen(source))
			form_message(&f, "source", "Enter the template.");
		else if (strlen(source) > TEMPLATES_PAGE_MAX)
			form_message(&f, "source", arena_printf(c->arena, "The template is %zu bytes; at most %d are allowed.",
								strlen(source), TEMPLATES_PAGE_MAX));
		else if (!(scratch = tmpl_set_new())) {
			form_free(&f);
			return 500;
		} else if (tmpl_set_add(scratch, "check", source, strlen(source), err, sizeof err) < 0)
			form_message(&f, "source", arena_printf(c->arena, "The template does not compile: %s", err));
		tmpl_set_free(scratch);
		stmt = "templates_page_save_copy";
		value = source;
	} else if (action && strcmp(action, "delete_copy") == 0) {
		if (!copy)
			return page_redirect(c, 303, admin_settings_url(c, arena_printf(c->arena, "/templates/%s", system_pages[pg].name)));
		stmt = "templates_page_drop_copy";
	} else {
		form_free(&f);
		return 400;
	}
	if (f.nerrors)
		return render_page(c, 422, pg, saved, copy, source, picked, &f);
	form_free(&f);
	if (write_page(c, pg, stmt, value) < 0) {
		db_rollback();
		return 500;
	}
	return page_redirect(c, 303, admin_settings_url(c, arena_printf(c->arena, "/templates/%s?saved=1", system_pages[pg].name)));
}

/* Sample data a page's template expects, as its handler would give it. */
static int sample_context(struct ctx *c, int pg, struct json_object *page)
{
	struct json_object *values = json_object_new_object();
	json_object_object_add(page, "values", values);
	switch (pg) {
	case PAGE_REGISTER: {
		if (register_add_consent(c, page, NULL, 0) < 0)
			return -1;
		json_object_object_add(page, "sent", json_object_new_boolean(0));
		break;
	}
	case PAGE_LOGIN:
		json_object_object_add(page, "registration_open",
				       json_object_new_boolean(strcmp(c->portal->access_mode, "registration") == 0));
		break;
	case PAGE_LOGOUT:
		json_object_object_add(page, "logged_in", json_object_new_boolean(1));
		break;
	case PAGE_ACCESS_DENIED:
		json_object_object_add(page, "portal_off", json_object_new_boolean(0));
		break;
	case PAGE_RESET_REQUEST:
		json_object_object_add(page, "sent", json_object_new_boolean(0));
		break;
	case PAGE_RESET:
		json_object_object_add(page, "token", json_object_new_string("preview"));
		break;
	case PAGE_TICKETS:
		tickets_sample(c, page);
		break;
	case PAGE_TICKET:
		ticket_detail_sample(c, page);
		break;
	}
	return 0;
}

/* The catalog with the preview banner's text replaced (the layout shows t.preview_banner). */
static struct json_object *preview_catalog(struct ctx *c)
{
	struct json_object *t = json_object_new_object();
	struct json_object *cat = i18n_catalog(c->lang);
	struct json_object_iterator it = json_object_iter_begin(cat), end = json_object_iter_end(cat);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
		json_object_object_add(t, json_object_iter_peek_name(&it), json_object_get(json_object_iter_peek_value(&it)));
	json_object_object_add(t, "preview_banner",
			       json_object_new_string(i18n_get(c->lang, "template_preview_banner")));
	return t;
}

/* A page's template (the saved choice, or ?choice=) with sample data in the customer layout. */
int admin_settings_template_preview(struct ctx *c)
{
	int pg, saved;
	const char *copy;
	int st = load_page(c, &pg, &saved, &copy);
	if (st)
		return st;
	const char *q = request_query(c->req, "choice");
	int choice = q ? choice_index(q) : saved;
	if (choice < 0)
		return 400;
	if ((choice == CHOICE_CUSTOM && !copy) || usable_choice(pg, choice) != choice)
		return 404;
	const char *name = choice == CHOICE_CUSTOM ? arena_printf(c->arena, "admin_preview/%ld/%s", admin_portal_id(c),
								   system_pages[pg].name)
						   : system_pages[pg].shipped[choice];
	const char *source = choice == CHOICE_CUSTOM ? copy : NULL;
	/* A standard that is the page's own template (the ticket pages) would be replaced by the
	 * portal's choice in page_render: it is previewed under a name of its own. */
	if (choice == CHOICE_STANDARD && system_page_by_tmpl(name) >= 0) {
		source = templates_read_shipped(c, name);
		if (!source)
			return 500;
		name = arena_printf(c->arena, "admin_preview/%ld/%s/standard", admin_portal_id(c), system_pages[pg].name);
	}
	char err[256];
	if (source && tmpl_set_add(templates, name, source, strlen(source), err, sizeof err) < 0) {
		log_msg(LOG_ERROR, "template preview %s: %s", name, err);
		return 500;
	}
	struct json_object *page = page_new(c, page_text[pg].title_key);
	if (sample_context(c, pg, page) < 0) {
		json_object_put(page);
		return 500;
	}
	json_object_object_add(page, "t", preview_catalog(c));
	struct json_object *pv = json_object_new_object();
	json_object_object_add(pv, "email", json_object_new_string(
		arena_printf(c->arena, "%s · %s", page_text[pg].label, choice_labels[choice])));
	json_object_object_add(pv, "back_url", json_object_new_string(
		admin_settings_url(c, arena_printf(c->arena, "/templates/%s", system_pages[pg].name))));
	json_object_object_add(page, "preview", pv);
	return page_render(c, 200, name, page);
}
