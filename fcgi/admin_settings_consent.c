/* admin_settings_consent.c - /admin/settings/consent: the consent-to-process notice and the label
 * of the checkbox under it on the registration page (a form page on the kit, form_page.h): the
 * default pair (written in the portal's primary language) and a translation per language of the
 * list (langs.h; portals.consent_i18n {"<language>": {text, label}}); register.c shows the
 * request language's, else the primary language's, else the default.
 *
 * The translations are one field of the kit (consent_i18n, FP_CUSTOM): its parse reads the form
 * fields consent_text_<code> and consent_label_<code> of every language and gives the JSON the
 * save stores (a JSON field of the kit: compared as JSON to see whether it changed). */
#include "admin_settings.h"
#include "form_page.h"
#include "langs.h"

#include <string.h>

/* the audit row's before and after: both texts, and the translations when there are any */
#define CONSENT_STATE                                                                              \
	"json_strip_nulls(json_build_object('consent_text', consent_text, 'consent_label', consent_label," \
	" 'translations', nullif(consent_i18n, '{}')))::text AS state"

const struct db_stmt admin_settings_consent_stmts[] = {
	FP_STMTS("settings_consent",
		 "SELECT consent_text, consent_label, coalesce(consent_i18n, '{}')::text AS consent_i18n, "
		 CONSENT_STATE " FROM portals WHERE id = $1",
		 "UPDATE portals SET consent_text = $2, consent_label = $3, consent_i18n = $4::jsonb"
		 " WHERE id = $1 RETURNING " CONSENT_STATE,
		 4),
	{NULL, NULL, 0},
};

#define TEXT_MAX 2000
#define LABEL_MAX 200

static const char *text_field(struct ctx *c, const struct lang *l)
{
	return arena_printf(c->arena, "consent_text_%s", l->code);
}

static const char *label_field(struct ctx *c, const struct lang *l)
{
	return arena_printf(c->arena, "consent_label_%s", l->code);
}

/* The kept (trimmed) text of field in f, "" when there is none. */
static const char *kept(struct form *f, const char *field)
{
	struct json_object *v;
	return json_object_object_get_ex(f->values, field, &v) ? json_object_get_string(v) : "";
}

/* consent_i18n: every language's pair from its two fields, as jsonb text ({} when none has a
 * text); NULL after a message on a field. */
static const char *parse_i18n(struct ctx *c, struct form *f, const char *name, const char *raw)
{
	(void)name;
	(void)raw;
	struct json_object *o = json_object_new_object();
	int ok = 1;
	for (size_t i = 0; i < nlangs; i++) {
		const char *t = form_text(f, c->req, text_field(c, &langs[i]), 0, TEXT_MAX, 1, 1);
		const char *b = form_text(f, c->req, label_field(c, &langs[i]), 0, LABEL_MAX, 0, 1);
		if (!t || !b) {
			ok = 0;
			continue;
		}
		if (!t[0])
			continue;
		struct json_object *pair = json_object_new_object();
		json_object_object_add(pair, "text", json_object_new_string(t));
		json_object_object_add(pair, "label", json_object_new_string(b));
		json_object_object_add(o, langs[i].code, pair);
	}
	const char *json = ok ? arena_strdup(c->arena, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) : NULL;
	json_object_put(o);
	return json;
}

static const struct fp_field fields[] = {
	{.name = "consent_text", .kind = FP_LINES, .min = 1, .max = TEXT_MAX},
	{.name = "consent_label", .kind = FP_TEXT, .min = 1, .max = LABEL_MAX},
	{.name = "consent_i18n", .kind = FP_CUSTOM, .parse = parse_i18n, .json = 1},
};

/* A translation is both texts or neither. */
static int check(struct ctx *c, const struct form_page *fp, struct form *f, struct fp_save *s)
{
	(void)fp;
	(void)s;
	for (size_t i = 0; i < nlangs; i++) {
		const char *tf = text_field(c, &langs[i]), *lf = label_field(c, &langs[i]);
		const char *text = kept(f, tf), *label = kept(f, lf);
		if (!text[0] == !label[0])
			continue;
		form_message(f, text[0] ? lf : tf,
			     arena_printf(c->arena, "Write both the %s notice and its checkbox label, or leave both empty.",
					  langs[i].name));
		return 422;
	}
	return 0;
}

/* page.translations: per language of the list its name, its two fields' names, values and errors
 * (from the load row's consent_i18n, or the refused form's values and errors). */
static int decorate(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row)
{
	(void)fp;
	struct json_object *saved = row ? json_tokener_parse(db_col(row, 0, "consent_i18n")) : NULL, *errors = NULL;
	json_object_object_get_ex(page, "errors", &errors);
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < nlangs; i++) {
		const struct lang *l = &langs[i];
		const char *tf = text_field(c, l), *lf = label_field(c, l);
		const char *text = form_page_value(page, tf), *label = form_page_value(page, lf);
		struct json_object *pair, *v;
		if (row) {
			text = label = "";
			if (json_object_object_get_ex(saved, l->code, &pair)) {
				if (json_object_object_get_ex(pair, "text", &v))
					text = arena_strdup(c->arena, json_object_get_string(v));
				if (json_object_object_get_ex(pair, "label", &v))
					label = arena_strdup(c->arena, json_object_get_string(v));
			}
		}
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "lang", json_object_new_string(l->code));
		json_object_object_add(o, "name", json_object_new_string(l->name));
		json_object_object_add(o, "text_field", json_object_new_string(tf));
		json_object_object_add(o, "label_field", json_object_new_string(lf));
		json_object_object_add(o, "text", json_object_new_string(text));
		json_object_object_add(o, "label", json_object_new_string(label));
		/* null rather than absent: {{#text_error}} must not find an outer key */
		json_object_object_add(o, "text_error", json_object_object_get_ex(errors, tf, &v) ? json_object_get(v) : NULL);
		json_object_object_add(o, "label_error", json_object_object_get_ex(errors, lf, &v) ? json_object_get(v) : NULL);
		json_object_array_add(a, o);
	}
	json_object_put(saved);
	json_object_object_add(page, "translations", a);
	return 0;
}

static const struct form_page page = {
	SETTINGS_PAGE("consent", "consent", "Consent to process"),
	.audit_kind = FP_AUDIT_RECORD, .audit_setting = "consent", .fields = FP_FIELDS(fields), .check = check,
	.decorate = decorate,
};

FP_HANDLERS(admin_settings_consent, admin_settings_consent_save, page)
