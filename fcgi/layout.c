/* layout.c - shared chrome: the base template context, rendering, error pages, redirects, cookies. */
#include "app.h"
#include "settings_load.h"

#include <stdio.h>
#include <string.h>

#include "cookie.h"
#include "i18n.h"
#include "log.h"
#include "tmpl.h"
#include "token.h"

#define CSP_HEAD "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self';" \
		 " form-action 'self'"
#define CSP_TAIL "; frame-ancestors 'none'; base-uri 'none'"
#define CSP CSP_HEAD CSP_TAIL

/* form-action also lists the origin of the portal's remote logout URL while single sign-on is
 * on: Chromium checks the redirects after a form POST against it, and POST /logout answers 303
 * there. The origin was checked strictly when the settings loaded (settings_url_origin). */
void page_security_headers(struct ctx *c)
{
	const char *csp = CSP;
	if (c->portal && c->portal->logout_origin[0] && sso_on(c->portal))
		csp = arena_printf(c->arena, "%s %s%s", CSP_HEAD, c->portal->logout_origin, CSP_TAIL);
	response_header(c->res, "Content-Security-Policy", csp ? csp : CSP);
	response_header(c->res, "X-Content-Type-Options", "nosniff");
	response_header(c->res, "Referrer-Policy", c->no_referrer ? "no-referrer" : "same-origin");
	response_header(c->res, "X-Frame-Options", "DENY");
	response_header(c->res, "Cache-Control", "no-store");
}

const char *cookie_wire_name(struct ctx *c, const char *name, const char *path)
{
	if (!c->req->https)
		return name;
	return arena_printf(c->arena, "%s%s", path && strcmp(path, "/") == 0 ? "__Host-" : "__Secure-", name);
}

const char *get_cookie_path(struct ctx *c, const char *name, const char *path)
{
	const char *wire = cookie_wire_name(c, name, path);
	return wire ? request_cookie(c->req, wire) : NULL;
}

const char *get_cookie(struct ctx *c, const char *name)
{
	return get_cookie_path(c, name, "/");
}

void set_cookie_path(struct ctx *c, const char *name, const char *value, long max_age, const char *path)
{
	struct buf b = BUF_INIT;
	const char *wire = cookie_wire_name(c, name, path);
	if (wire && cookie_set(&b, wire, value, max_age, path, c->req->https, 1, "Lax") == 0 && b.data)
		response_header(c->res, "Set-Cookie", b.data);
	buf_free(&b);
}

void set_cookie(struct ctx *c, const char *name, const char *value, long max_age)
{
	set_cookie_path(c, name, value, max_age, "/");
}

/* The CSRF token forms on this page carry: bound to the session, or before login to a
 * pre-session cookie set here when missing. */
const char *page_csrf(struct ctx *c)
{
	if (c->csrf)
		return c->csrf;
	char *tok = arena_alloc(c->arena, 65);
	if (!tok)
		return "";
	if (c->staff.found) {
		csrf_token(cfg.secret_key, c->staff.csrf_secret, tok);
	} else if (c->sess.found) {
		csrf_token(cfg.secret_key, c->sess.csrf_secret, tok);
	} else {
		const char *pre = pre_session(c, NULL);
		if (!pre)
			return "";
		csrf_token(cfg.secret_key, pre, tok);
	}
	c->csrf = tok;
	return tok;
}

const char *pre_session(struct ctx *c, char *hash_out)
{
	if (!c->pre) {
		const char *pre = get_cookie(c, PRE_COOKIE);
		if (!pre || !token_well_formed(pre)) {
			char fresh[64];
			if (token_new(fresh, sizeof fresh) < 0)
				return NULL;
			set_cookie(c, PRE_COOKIE, fresh, -1);
			pre = arena_printf(c->arena, "%s", fresh);
		}
		c->pre = pre;
	}
	if (hash_out && c->pre)
		token_sha256_hex(c->pre, hash_out);
	return c->pre;
}

int pre_session_sent(struct ctx *c, char hash_out[65])
{
	return session_token_hash(get_cookie(c, PRE_COOKIE), hash_out);
}

static const char *lang_one(struct json_object *texts, const char *lang)
{
	struct json_object *v;
	if (!texts || !lang || !json_object_is_type(texts, json_type_object) ||
	    !json_object_object_get_ex(texts, lang, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	const char *s = json_object_get_string(v);
	return s && s[0] ? s : NULL;
}

const char *lang_pick(struct ctx *c, struct json_object *texts, const char *dflt)
{
	const char *s = lang_one(texts, c->lang);
	if (!s && c->portal)
		s = lang_one(texts, c->portal->primary_lang);
	return s ? s : dflt ? dflt : "";
}

static const char *jtext(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The header's menu for this request: custom links labelled in the request's language, and the
 * portal's own links (for a logged-in customer only) where the admin placed them, labelled from
 * the catalog; log out is a POST form ({logout: true}). */
static struct json_object *nav_items(struct ctx *c)
{
	struct json_object *out = json_object_new_array();
	size_t n = c->portal->nav ? json_object_array_length(c->portal->nav) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *it = json_object_array_get_idx(c->portal->nav, i), *labels = NULL;
		const char *builtin = jtext(it, "builtin"), *label = NULL, *url = NULL;
		int logout = 0;
		if (!builtin) {
			json_object_object_get_ex(it, "labels", &labels);
			label = lang_pick(c, labels, jtext(it, "label"));
			url = jtext(it, "url");
		} else if (!c->sess.found) {
			continue;
		} else if (strcmp(builtin, "tickets") == 0) {
			label = i18n_get(c->lang, "tickets_heading");
			url = arena_printf(c->arena, "/%s", c->portal->ticket_slug);
		} else if (strcmp(builtin, "new_ticket") == 0) {
			if (!c->portal->support_form_id)
				continue;
			label = i18n_get(c->lang, "submit_ticket");
			url = arena_printf(c->arena, "/%s/new", c->portal->ticket_slug);
		} else if (strcmp(builtin, "account") == 0) {
			label = i18n_get(c->lang, "nav_account");
			url = "/account";
		} else if (strcmp(builtin, "logout") == 0) {
			label = i18n_get(c->lang, "logout_submit");
			logout = 1;
		} else {
			continue;
		}
		if (!label || !label[0] || (!url && !logout))
			continue;
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "label", json_object_new_string(label));
		if (url)
			json_object_object_add(o, "url", json_object_new_string(url));
		json_object_object_add(o, "logout", json_object_new_boolean(logout)); /* never looked up above */
		json_object_array_add(out, o);
	}
	return out;
}

struct json_object *page_new(struct ctx *c, const char *title_key)
{
	struct json_object *page = json_object_new_object();
	struct json_object *t = i18n_catalog(c->lang);
	json_object_object_add(page, "t", json_object_get(t));
	json_object_object_add(page, "lang", json_object_new_string(c->lang));
	json_object_object_add(page, "asset_version", json_object_new_string(asset_version));
	const char *title = title_key ? i18n_get(c->lang, title_key) : "";
	json_object_object_add(page, "title", json_object_new_string(title));
	json_object_object_add(page, "csrf", json_object_new_string(page_csrf(c)));
	struct json_object *portal = json_object_new_object();
	json_object_object_add(portal, "name", json_object_new_string(c->portal->name));
	json_object_object_add(portal, "page_title", json_object_new_string(c->portal->page_title));
	json_object_object_add(portal, "theme", json_object_get(c->portal->theme));
	json_object_object_add(portal, "nav", nav_items(c));
	json_object_object_add(portal, "slug", json_object_new_string(c->portal->ticket_slug));
	json_object_object_add(page, "portal", portal);
	if (c->sess.found && c->portal->support_form_id)
		json_object_object_add(portal, "form_url", json_object_new_string(
			arena_printf(c->arena, "/%s/new", c->portal->ticket_slug)));
	if (c->preview_contact) {
		struct json_object *pv = json_object_new_object();
		json_object_object_add(pv, "email", json_object_new_string(c->sess.email));
		json_object_object_add(pv, "back_url", json_object_new_string(
			arena_printf(c->arena, "/admin/contacts/%ld", c->preview_contact)));
		json_object_object_add(page, "preview", pv);
	}
	json_object_object_add(page, "upload_mb", json_object_new_int64(cfg.max_body_bytes / (1024 * 1024)));
	if (c->draft_restored)
		json_object_object_add(page, "draft_restored", json_object_new_boolean(1));
	if (c->sess.found) {
		struct json_object *user = json_object_new_object();
		json_object_object_add(user, "email", json_object_new_string(c->sess.email));
		json_object_object_add(user, "name", json_object_new_string(c->sess.name[0] ? c->sess.name : c->sess.email));
		json_object_object_add(page, "user", user);
	}
	return page;
}

/*
 * System pages (login, register, ...) render the template the portal chose for them. Admins'
 * custom sources are compiled into the global set as "custom/<portal>/<page>" once per load of
 * the settings cache (at the first render after it), never per request; a custom page that
 * fails to render is logged and the standard one is rendered instead.
 */
static void compile_custom_pages(void)
{
	static unsigned long compiled;
	unsigned long gen = settings_generation();
	if (gen == compiled)
		return;
	compiled = gen;
	const struct portal *p;
	for (int i = 0; (p = settings_portal_at(i)) != NULL; i++) {
		for (int k = 0; k < SYSTEM_PAGE__MAX; k++) {
			if (p->page_choice[k] != CHOICE_CUSTOM)
				continue;
			char name[96], err[256];
			snprintf(name, sizeof name, "custom/%ld/%s", p->id, system_pages[k].name);
			if (tmpl_set_add(templates, name, p->page_source[k], strlen(p->page_source[k]), err, sizeof err) < 0)
				log_msg(LOG_ERROR, "template %s: %s", name, err);
		}
	}
}

static const char *system_page_template(struct ctx *c, const char *tmpl, const char **fallback)
{
	int page = strncmp(tmpl, "portal/", 7) == 0 ? system_page_by_tmpl(tmpl) : -1;
	*fallback = NULL;
	if (page < 0)
		return tmpl;
	switch (c->portal->page_choice[page]) {
	case CHOICE_ALTERNATIVE:
		return system_pages[page].shipped[1];
	case CHOICE_CUSTOM: {
		compile_custom_pages();
		const char *name = arena_printf(c->arena, "custom/%ld/%s", c->portal->id, system_pages[page].name);
		*fallback = system_pages[page].shipped[0];
		if (name && tmpl_set_has(templates, name))
			return name;
		return *fallback;
	}
	default:
		return system_pages[page].shipped[0];
	}
}

int page_render(struct ctx *c, int status, const char *tmpl, struct json_object *page)
{
	char err[256];
	const char *fallback;
	const char *name = system_page_template(c, tmpl, &fallback);
	buf_reset(&c->res->body);
	int rc = tmpl_render(templates, name, page, &c->res->body, err, sizeof err);
	if (rc < 0 && fallback && fallback != name) {
		log_msg(LOG_ERROR, "render %s: %s; the standard template is used", name, err);
		name = fallback;
		buf_reset(&c->res->body);
		rc = tmpl_render(templates, name, page, &c->res->body, err, sizeof err);
	}
	json_object_put(page);
	if (rc < 0 || c->res->body.oom) {
		log_msg(LOG_ERROR, "render %s: %s", name, rc < 0 ? err : "out of memory");
		buf_reset(&c->res->body);
		c->res->status = 500;
		response_header(c->res, "Content-Type", "text/plain; charset=utf-8");
		buf_puts(&c->res->body, "Internal Server Error\n");
		return 500;
	}
	c->res->status = status;
	page_security_headers(c);
	return status;
}

void page_request_id(struct ctx *c, struct json_object *page)
{
	const char *id = c->req->request_id;
	if (id && *id && strcmp(id, "-") != 0)
		json_object_object_add(page, "request_id", json_object_new_string(id));
}

int page_error(struct ctx *c, int status)
{
	char key[32];
	snprintf(key, sizeof key, "error_%d_title", status);
	struct json_object *cat = i18n_catalog(c->lang), *v;
	if (!json_object_object_get_ex(cat, key, &v))
		snprintf(key, sizeof key, "error_%d_title", status >= 500 ? 500 : 400);
	struct json_object *page = page_new(c, key);
	snprintf(key, sizeof key, "error_%d_text", status);
	if (!json_object_object_get_ex(cat, key, &v))
		snprintf(key, sizeof key, "error_%d_text", status >= 500 ? 500 : 400);
	const char *message = i18n_get(c->lang, key);
	if (status == 413) { /* say the limit */
		const char *limit = i18n_get(c->lang, "error_413_limit"), *at = strstr(limit, "{mb}");
		if (at)
			message = arena_printf(c->arena, "%s %.*s%ld%s", message, (int)(at - limit), limit,
					       cfg.max_body_bytes / (1024 * 1024), at + 4);
	}
	json_object_object_add(page, "message", json_object_new_string(message));
	json_object_object_add(page, "status", json_object_new_int(status));
	page_request_id(c, page);
	return page_render(c, status, "portal/error", page);
}

int page_redirect(struct ctx *c, int status, const char *location)
{
	response_redirect(c->res, status, location);
	response_header(c->res, "Cache-Control", "no-store");
	return status;
}

const char *safe_next(const char *next)
{
	if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\')
		return NULL;
	if (strchr(next, '\\') || strlen(next) > 1024)
		return NULL;
	return next;
}

const char *portal_base_url(struct ctx *c)
{
	/* Never from what the client sent, beyond choosing among the portal's own domains. */
	const char *host = c->req->host && settings_host_matches(c->portal, c->req->host)
				   ? c->req->host
				   : settings_primary_host(c->portal);
	return host_base_url(c, host);
}

const char *host_base_url(struct ctx *c, const char *host)
{
	if (!host[0])
		host = "localhost";
	if (cfg.link_port)
		return arena_printf(c->arena, "%s://%s:%d", cfg.link_scheme, host, cfg.link_port);
	return arena_printf(c->arena, "%s://%s", cfg.link_scheme, host);
}
