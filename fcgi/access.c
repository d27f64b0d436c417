/* access.c - the access-denied page and the customer's landing page after login. */
#include "app.h"

int access_denied_page(struct ctx *c)
{
	struct json_object *page = page_new(c, "access_denied_title");
	json_object_object_add(page, "portal_off", json_object_new_boolean(!c->portal->enabled));
	return page_render(c, 403, "portal/access_denied", page);
}

int home(struct ctx *c)
{
	if (c->sess.found)
		return page_redirect(c, 303, arena_printf(c->arena, "/%s", c->portal->ticket_slug));
	return page_redirect(c, 303, "/login");
}
