/* admin_settings_theme.c - /admin/settings/theme: the portal's theme (colours, font, logo,
 * favicon) stored in portals.theme, the uploads stored for nginx; and /theme.css, the stylesheet
 * that applies it. Not a form page of the kit: image uploads, and keys merged into a JSON
 * column (set or dropped one by one) rather than columns saved. */
#include "admin_settings.h"
#include "form_page.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "log.h"

const struct db_stmt admin_settings_theme_stmts[] = {
	{"settings_theme_snap", "SELECT theme::text FROM portals WHERE id = $1", 1},
	/* $2: keys to set, $3: keys to drop; rev = a hash of the rest (the stylesheet's cache key) */
	{"settings_theme_set",
	 "UPDATE portals SET theme = (SELECT t || jsonb_build_object('rev', left(md5(t::text), 16))"
	 "   FROM (SELECT (theme - 'rev' - ARRAY(SELECT jsonb_array_elements_text($3::jsonb)))"
	 "     || $2::jsonb AS t) x) WHERE id = $1",
	 3},
	{NULL, NULL, 0},
};

/*
 * Design: portals.theme holds primary_color, text_color, background_color (#rgb or #rrggbb),
 * font_family (one of the stacks below, verbatim), logo and favicon ("<sha256>.<ext>": files
 * under <files_dir>/theme/ that nginx serves at /theme-files/), and rev, a hash of the rest
 * that the customer layout puts in the stylesheet's URL (/theme.css?v=<rev>) so browsers may
 * cache it for good. Other keys (accent_color of the demo data) are kept as they are. The
 * stylesheet is built from the worker's settings cache and validates every value again, so
 * a hand-edited theme cannot inject CSS. Uploads are typed by their first bytes, never by the
 * name or the Content-Type the browser sent; SVG is refused (it can carry script).
 */

#define LOGO_MAX (512 * 1024)
#define FAVICON_MAX (100 * 1024)

static const struct {
	const char *key, *label, *stack;
} fonts[] = {
	{"system", "System UI (the device's own font)", "system-ui, -apple-system, \"Segoe UI\", sans-serif"},
	{"helvetica", "Helvetica / Arial", "\"Helvetica Neue\", Helvetica, Arial, sans-serif"},
	{"verdana", "Verdana (wide, very legible)", "Verdana, Geneva, Tahoma, sans-serif"},
	{"trebuchet", "Trebuchet", "\"Trebuchet MS\", \"Lucida Grande\", \"Lucida Sans Unicode\", sans-serif"},
	{"georgia", "Georgia (serif)", "Georgia, \"Times New Roman\", Times, serif"},
	{"mono", "Monospace", "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"},
};
#define NFONTS (sizeof fonts / sizeof fonts[0])

static const struct {
	const char *field, *key, *label;
} colours[] = {
	{"brand_color", "primary_color", "Brand colour"},
	{"text_color", "text_color", "Text colour"},
	{"background_color", "background_color", "Background colour"},
};
#define NCOLOURS (sizeof colours / sizeof colours[0])

static int colour_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if ((n != 4 && n != 7) || s[0] != '#')
		return 0;
	return strspn(s + 1, "0123456789abcdefABCDEF") == n - 1;
}

static const char *theme_str(struct json_object *theme, const char *key)
{
	struct json_object *v;
	if (theme && json_object_object_get_ex(theme, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static int font_index(const char *stack)
{
	for (size_t i = 0; stack && i < NFONTS; i++)
		if (strcmp(fonts[i].stack, stack) == 0)
			return (int)i;
	return -1;
}

/* "<64 hex>.<ext>" as the save writes it; anything else is ignored. */
static int file_name_ok(const char *s)
{
	static const char *const exts[] = {".png", ".jpg", ".gif", ".webp", ".ico"};
	if (!s || strlen(s) < 68 || strspn(s, "0123456789abcdef") != 64)
		return 0;
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
		if (strcmp(s + 64, exts[i]) == 0)
			return 1;
	return 0;
}

/* ---- the stylesheet ---- */

/* Near-white or near-black text on the brand colour, whichever reads better (YIQ brightness). */
static const char *ink_on(const char *hex)
{
	unsigned r, g, b;
	if (strlen(hex) == 4) {
		if (sscanf(hex, "#%1x%1x%1x", &r, &g, &b) != 3)
			return "#ffffff";
		r *= 17, g *= 17, b *= 17;
	} else if (sscanf(hex, "#%2x%2x%2x", &r, &g, &b) != 3) {
		return "#ffffff";
	}
	return (299 * r + 587 * g + 114 * b) / 1000 >= 150 ? "#111111" : "#ffffff";
}

int admin_settings_theme_css(struct ctx *c)
{
	struct json_object *theme = c->portal->theme;
	struct buf *b = &c->res->body;
	const char *brand = theme_str(theme, "primary_color"), *text = theme_str(theme, "text_color");
	const char *bg = theme_str(theme, "background_color"), *font = theme_str(theme, "font_family");
	buf_puts(b, "/* theme.css - the portal's theme styles (admin console: Settings > Theme) */\n:root {\n");
	if (colour_ok(brand))
		buf_printf(b, "  --brand: %s;\n  --brand-ink: %s;\n", brand, ink_on(brand));
	if (colour_ok(text))
		buf_printf(b, "  --ink: %s;\n", text);
	if (colour_ok(bg))
		buf_printf(b, "  --bg: %s;\n", bg);
	if (font_index(font) >= 0)
		buf_printf(b, "  --font: %s;\n", font);
	buf_puts(b, "}\n.brand-logo { display: block; max-height: 2.5rem; max-width: 14rem; width: auto; height: auto; }\n");
	const char *rev = theme_str(theme, "rev"), *v = request_query(c->req, "v");
	response_header(c->res, "Content-Type", "text/css; charset=utf-8");
	response_header(c->res, "X-Content-Type-Options", "nosniff");
	/* the URL of the current theme never changes its contents; any other may be stale */
	response_header(c->res, "Cache-Control", rev && v && strcmp(rev, v) == 0
							 ? "public, max-age=31536000, immutable"
							 : "no-cache");
	c->res->status = 200;
	return 200;
}

/* ---- uploads ---- */

/* The extension for the file's real type, by its first bytes; NULL when not allowed. */
static const char *image_ext(const unsigned char *d, size_t n, int favicon)
{
	if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "png";
	if (favicon)
		return n >= 6 && memcmp(d, "\0\0\1\0", 4) == 0 && (d[4] | d[5]) ? "ico" : NULL;
	if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
		return "jpg";
	if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
		return "gif";
	if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
		return "webp";
	return NULL;
}

static const struct upload *upload_of(struct ctx *c, const char *field)
{
	for (size_t i = 0; i < c->req->nfiles; i++)
		if (strcmp(c->req->files[i].field, field) == 0)
			return &c->req->files[i];
	return NULL;
}

/* Check an upload; on success *name = "<sha256>.<ext>" (arena). Errors go to f. */
static void upload_check(struct ctx *c, struct form *f, const char *field, const char *what, int favicon,
			 const char **name)
{
	const struct upload *up = upload_of(c, field);
	size_t max = favicon ? FAVICON_MAX : LOGO_MAX;
	*name = NULL;
	if (!up)
		return;
	if (up->len == 0) {
		form_message(f, field, arena_printf(c->arena, "The %s file is empty. Choose the image again.", what));
		return;
	}
	if (up->len > max) {
		form_message(f, field, arena_printf(c->arena, "The %s is %zu KB; the limit is %zu KB. Choose a smaller image.",
						    what, (up->len + 1023) / 1024, max / 1024));
		return;
	}
	const char *ext = image_ext((const unsigned char *)up->data, up->len, favicon);
	if (!ext) {
		form_message(f, field, favicon
			? "The favicon must be a PNG or ICO image (SVG is not accepted). This file is not one, whatever its name says."
			: "The logo must be a PNG, JPEG, GIF or WebP image (SVG is not accepted). This file is not one, whatever its name says.");
		return;
	}
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	char hex[65];
	if (!EVP_Digest(up->data, up->len, d, &dl, EVP_sha256(), NULL) || dl != 32)
		return;
	for (unsigned i = 0; i < dl; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	*name = arena_printf(c->arena, "%s.%s", hex, ext);
}

/* ---- the page ---- */

static struct json_object *current_theme(struct ctx *c)
{
	PGresult *r = form_page_query(c, "settings_theme_snap");
	if (!r)
		return NULL;
	struct json_object *t = PQntuples(r) == 1 ? json_tokener_parse(PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	if (!json_object_is_type(t, json_type_object)) {
		json_object_put(t);
		t = json_object_new_object();
	}
	return t;
}

static int theme_render(struct ctx *c, int status, struct form *f)
{
	struct json_object *theme = current_theme(c);
	if (!theme)
		return form_page_drop(f, 500);
	struct json_object *page = admin_page_new(c, "Theme", "settings");
	const char *font_sel;
	if (!f) {
		struct json_object *values = json_object_new_object();
		for (size_t i = 0; i < NCOLOURS; i++) {
			const char *v = theme_str(theme, colours[i].key);
			json_object_object_add(values, colours[i].field, json_object_new_string(v ? v : ""));
		}
		json_object_object_add(page, "values", values);
		int fi = font_index(theme_str(theme, "font_family"));
		font_sel = fi >= 0 ? fonts[fi].key : "";
	} else {
		font_sel = request_form(c->req, "font");
		form_to_page(f, page);
	}
	struct json_object *fo = json_object_new_array();
	for (size_t i = 0; i < NFONTS; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "value", json_object_new_string(fonts[i].key));
		json_object_object_add(o, "label", json_object_new_string(fonts[i].label));
		json_object_object_add(o, "selected", json_object_new_boolean(font_sel && strcmp(font_sel, fonts[i].key) == 0));
		json_object_array_add(fo, o);
	}
	json_object_object_add(page, "fonts", fo);
	const char *logo = theme_str(theme, "logo"), *fav = theme_str(theme, "favicon");
	if (file_name_ok(logo))
		json_object_object_add(page, "logo", json_object_new_string(logo));
	if (file_name_ok(fav))
		json_object_object_add(page, "favicon", json_object_new_string(fav));
	json_object_object_add(page, "logo_max_kb", json_object_new_int(LOGO_MAX / 1024));
	json_object_object_add(page, "favicon_max_kb", json_object_new_int(FAVICON_MAX / 1024));
	json_object_put(theme);
	return admin_render(c, status, "admin/settings_theme", page);
}

int admin_settings_theme(struct ctx *c)
{
	return theme_render(c, 200, NULL);
}

int admin_settings_theme_save(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	struct json_object *set = json_object_new_object(), *drop = json_object_new_array();
	for (size_t i = 0; i < NCOLOURS; i++) {
		const char *v = form_text(&f, c->req, colours[i].field, 0, 32, 0, 1);
		if (!v)
			continue;
		if (!*v) {
			json_object_array_add(drop, json_object_new_string(colours[i].key));
		} else if (!colour_ok(v)) {
			form_message(&f, colours[i].field, arena_printf(c->arena,
				"%s: enter a colour as # and 3 or 6 hexadecimal digits, e.g. #1f4e79, or leave it empty for the default.",
				colours[i].label));
		} else {
			char low[8];
			snprintf(low, sizeof low, "%s", v);
			for (char *q = low; *q; q++)
				*q = (char)(*q >= 'A' && *q <= 'F' ? *q + 32 : *q);
			json_object_object_add(set, colours[i].key, json_object_new_string(low));
		}
	}
	const char *font = form_text(&f, c->req, "font", 0, 32, 0, 1);
	if (font && !*font) {
		json_object_array_add(drop, json_object_new_string("font_family"));
	} else if (font) {
		int fi = -1;
		for (size_t i = 0; i < NFONTS; i++)
			if (strcmp(font, fonts[i].key) == 0)
				fi = (int)i;
		if (fi < 0)
			form_message(&f, "font", "Choose a font from the list.");
		else
			json_object_object_add(set, "font_family", json_object_new_string(fonts[fi].stack));
	}
	const char *logo, *fav;
	upload_check(c, &f, "logo", "logo", 0, &logo);
	upload_check(c, &f, "favicon", "favicon", 1, &fav);
	int rm_logo = form_checkbox(&f, c->req, "remove_logo", 0);
	int rm_fav = form_checkbox(&f, c->req, "remove_favicon", 0);
	if (f.nerrors) {
		json_object_put(set);
		json_object_put(drop);
		if (upload_of(c, "logo") || upload_of(c, "favicon"))
			json_object_object_add(f.values, "reupload", json_object_new_boolean(1));
		return theme_render(c, 422, &f);
	}
	form_free(&f);
	if ((logo && file_keep("theme", logo, upload_of(c, "logo")) < 0) ||
	    (fav && file_keep("theme", fav, upload_of(c, "favicon")) < 0)) {
		json_object_put(set);
		json_object_put(drop);
		return 500;
	}
	if (logo)
		json_object_object_add(set, "logo", json_object_new_string(logo));
	else if (rm_logo)
		json_object_array_add(drop, json_object_new_string("logo"));
	if (fav)
		json_object_object_add(set, "favicon", json_object_new_string(fav));
	else if (rm_fav)
		json_object_array_add(drop, json_object_new_string("favicon"));
	const char *p[3] = {admin_pid(c), arena_strdup(c->arena, json_object_to_json_string_ext(set, JSON_C_TO_STRING_PLAIN)),
			    arena_strdup(c->arena, json_object_to_json_string_ext(drop, JSON_C_TO_STRING_PLAIN))};
	json_object_put(set);
	json_object_put(drop);
	int rc = form_page_change(c, "theme", "settings_theme_snap", "settings_theme_set", 3, p);
	return rc ? rc : form_page_done(c, "/admin/settings/theme", NULL);
}
