/* login.c - the customer login page. */
#include "app.h"

#include <string.h>

int login_page(struct ctx *c)
{
	struct json_object *page = page_new(c, "login_title");
	json_object_object_add(page, "registration_open",
				json_object_new_boolean(strcmp(c->portal->access_mode, "registration") == 0));
	const char *next = request_query(c->req, "next");
	if (next && next[0] == '/' && next[1] != '/' && next[1] != '\\')
		json_object_object_add(page, "next", json_object_new_string(next));
	return page_render(c, 200, "portal/login", page);
}

int home(struct ctx *c)
{
	return page_redirect(c, 303, "/login");
}
