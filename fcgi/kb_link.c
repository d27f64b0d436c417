/* kb_link.c - /kb-link: the public, embeddable "Go to <portal>" link for the knowledge base
 * (switched on and off at /admin/settings/kb-link). */
#include "app.h"

#include "i18n.h"
#include "log.h"
#include "tmpl.h"

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
	/* the portal's theme (its colours, font and radius from /theme.css), as on every portal page */
	json_object_object_add(page, "theme", json_object_get(c->portal->theme));
	json_object_object_add(page, "url", json_object_new_string(arena_printf(c->arena, "%s/%s", portal_base_url(c), c->portal->ticket_slug)));
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
