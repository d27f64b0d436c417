/* tickets.c - the customer's landing page after login (the ticket list itself comes with the tickets issue). */
#include "app.h"

int tickets_page(struct ctx *c)
{
	struct json_object *page = page_new(c, "tickets_title");
	return page_render(c, 200, "portal/tickets", page);
}
