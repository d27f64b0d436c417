/* admin_settings_consent.c - /admin/settings/consent: the consent-to-process notice and the label
 * of the checkbox under it on the registration page (a form page on the kit, form_page.h). */
#include "admin_settings.h"
#include "form_page.h"

/* the audit row's before and after: both texts */
#define CONSENT_STATE "json_build_object('consent_text', consent_text, 'consent_label', consent_label)::text AS state"

const struct db_stmt admin_settings_consent_stmts[] = {
	FP_STMTS("settings_consent", "SELECT consent_text, consent_label, " CONSENT_STATE " FROM portals WHERE id = $1",
		 "UPDATE portals SET consent_text = $2, consent_label = $3 WHERE id = $1 RETURNING " CONSENT_STATE, 3),
	{NULL, NULL, 0},
};

static const struct fp_field fields[] = {
	{.name = "consent_text", .kind = FP_LINES, .min = 1, .max = 2000},
	{.name = "consent_label", .kind = FP_TEXT, .min = 1, .max = 200},
};

static const struct form_page page = {
	SETTINGS_PAGE("consent", "consent", "Consent to process"),
	.audit_kind = FP_AUDIT_RECORD, .audit_setting = "consent", .fields = FP_FIELDS(fields),
};

FP_HANDLERS(admin_settings_consent, admin_settings_consent_save, page)
