/* admin_settings_consent.c - /admin/settings/consent: the consent-to-process notice and the label
 * of the checkbox under it on the registration page (a form page on the kit, form_page.h): the
 * default pair (written in the portal's primary language) and a translation per language
 * (portals.consent_i18n {"<language>": {text, label}}); register.c shows the request language's,
 * else the primary language's, else the default. */
#include "admin_settings.h"
#include "form_page.h"

#include <string.h>

/* the audit row's before and after: both texts, and the translations when there are any */
#define CONSENT_STATE                                                                              \
	"json_strip_nulls(json_build_object('consent_text', consent_text, 'consent_label', consent_label," \
	" 'translations', nullif(consent_i18n, '{}')))::text AS state"
#define TR(lang, what) "coalesce(consent_i18n->'" lang "'->>'" what "', '') AS consent_" what "_" lang

const struct db_stmt admin_settings_consent_stmts[] = {
	FP_STMTS("settings_consent",
		 "SELECT consent_text, consent_label, " TR("en", "text") ", " TR("en", "label") ", "
		 TR("sv", "text") ", " TR("sv", "label") ", " CONSENT_STATE " FROM portals WHERE id = $1",
		 "UPDATE portals SET consent_text = $2, consent_label = $3, consent_i18n ="
		 " (SELECT coalesce(jsonb_object_agg(l, jsonb_build_object('text', t, 'label', b)), '{}')"
		 "   FROM (VALUES ('en', $4::text, $5::text), ('sv', $6::text, $7::text)) v (l, t, b) WHERE t <> '')"
		 " WHERE id = $1 RETURNING " CONSENT_STATE,
		 7),
	{NULL, NULL, 0},
};

static const struct fp_field fields[] = {
	{.name = "consent_text", .kind = FP_LINES, .min = 1, .max = 2000},
	{.name = "consent_label", .kind = FP_TEXT, .min = 1, .max = 200},
	{.name = "consent_text_en", .kind = FP_LINES, .min = 0, .max = 2000},
	{.name = "consent_label_en", .kind = FP_TEXT, .min = 0, .max = 200},
	{.name = "consent_text_sv", .kind = FP_LINES, .min = 0, .max = 2000},
	{.name = "consent_label_sv", .kind = FP_TEXT, .min = 0, .max = 200},
};

/* A translation is both texts or neither. */
static int check(struct ctx *c, const struct form_page *fp, struct form *f, struct fp_save *s)
{
	(void)c;
	(void)fp;
	static const char *const langs[] = {"English", "Swedish"};
	for (int i = 0; i < 2; i++) {
		const char *text = s->vals[2 + 2 * i], *label = s->vals[3 + 2 * i];
		if (!text[0] == !label[0])
			continue;
		const char *name = fields[text[0] ? 3 + 2 * i : 2 + 2 * i].name;
		form_message(f, name, !strcmp(langs[i], "English")
					      ? "Write both the English notice and its checkbox label, or leave both empty."
					      : "Write both the Swedish notice and its checkbox label, or leave both empty.");
		return 422;
	}
	return 0;
}

static const struct form_page page = {
	SETTINGS_PAGE("consent", "consent", "Consent to process"),
	.audit_kind = FP_AUDIT_RECORD, .audit_setting = "consent", .fields = FP_FIELDS(fields), .check = check,
};

FP_HANDLERS(admin_settings_consent, admin_settings_consent_save, page)
