/* layout.c - shared chrome: the base template context, rendering, error pages, redirects. */
#include "app.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "tmpl.h"

#define CSP "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self';" \
	    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

void page_security_headers(struct ctx *c)
{
	response_header(c->res, "Content-Security-Policy", CSP);
	response_header(c->res, "X-Content-Type-Options", "nosniff");
	response_header(c->res, "Referrer-Policy", "same-origin");
	response_header(c->res, "X-Frame-Options", "DENY");
	response_header(c->res, "Cache-Control", "no-store");
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
	struct json_object *portal = json_object_new_object();
	json_object_object_add(portal, "name", json_object_new_string(c->portal->name));
	json_object_object_add(portal, "page_title", json_object_new_string(c->portal->page_title));
	json_object_object_add(portal, "theme", json_object_get(c->portal->theme));
	json_object_object_add(portal, "nav", json_object_get(c->portal->nav));
	json_object_object_add(page, "portal", portal);
	return page;
}

int page_render(struct ctx *c, int status, const char *tmpl, struct json_object *page)
{
	char err[256];
	buf_reset(&c->res->body);
	int rc = tmpl_render(templates, tmpl, page, &c->res->body, err, sizeof err);
	json_object_put(page);
	if (rc < 0 || c->res->body.oom) {
		log_msg(LOG_ERROR, "render %s: %s", tmpl, rc < 0 ? err : "out of memory");
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
	json_object_object_add(page, "message", json_object_new_string(i18n_get(c->lang, key)));
	json_object_object_add(page, "status", json_object_new_int(status));
	return page_render(c, status, "portal/error", page);
}

int page_redirect(struct ctx *c, int status, const char *location)
{
	response_redirect(c->res, status, location);
	response_header(c->res, "Cache-Control", "no-store");
	return status;
}
