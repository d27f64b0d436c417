/* admin_settings_kb_link.c - /admin/settings/kb-link: the switch of the knowledge base's "Go to
 * <portal>" link, with the snippet to paste (a form page on the kit, form_page.h). The public page
 * itself is kb_link.c. */
#include "admin_settings.h"
#include "form_page.h"

#include <string.h>

#include "buf.h"

#define KB_COLS "SELECT kb_link_enabled AS kb_link, name, ticket_slug, enabled FROM portals WHERE id = $1"

const struct db_stmt admin_settings_kb_link_stmts[] = {
	FP_STMTS("settings_kb_link", KB_COLS, "UPDATE portals SET kb_link_enabled = $2::boolean WHERE id = $1", 2),
	{NULL, NULL, 0},
};

static const char *const words[] = {"on", "off", NULL};

static const struct fp_field fields[] = {
	{.name = "kb_link", .kind = FP_CHOICE, .choices = words, .choices_bool = 1,
	 .audit = "kb_link_enabled", .message = "Choose on or off."},
};

/* The snippet to paste, the embeddable page's URL and the portal's state (after a refused save
 * too, so the row is read again then). */
static int decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	PGresult *own = NULL;
	if (!row) {
		const char *p[1] = {admin_pid(c)};
		row = own = db_exec(fp->load, 1, p);
		if (!row || PQntuples(row) != 1) {
			PQclear(own);
			return 500;
		}
	}
	const char *name = db_col(row, 0, "name");
	const char *url = arena_printf(c->arena, "%s/%s", portal_base_url(c), db_col(row, 0, "ticket_slug"));
	struct buf snip = BUF_INIT;
	buf_puts(&snip, "<a href=\"");
	buf_html(&snip, url, strlen(url));
	buf_puts(&snip, "\">Go to ");
	buf_html(&snip, name, strlen(name));
	buf_puts(&snip, "</a>");
	json_object_object_add(page, "name", json_object_new_string(name));
	json_object_object_add(page, "snippet", json_object_new_string(snip.data ? snip.data : ""));
	json_object_object_add(page, "embed_url", json_object_new_string(arena_printf(c->arena, "%s/kb-link", portal_base_url(c))));
	json_object_object_add(page, "portal_off", json_object_new_boolean(db_col(row, 0, "enabled")[0] != 't'));
	buf_free(&snip);
	PQclear(own);
	return 0;
}

static const struct form_page page = {
	SETTINGS_PAGE("kb-link", "kb_link", "Knowledge base link"),
	.fields = FP_FIELDS(fields), .decorate = decorate,
};

FP_HANDLERS(admin_settings_kb_link, admin_settings_kb_link_save, page)
