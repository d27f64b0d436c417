/* i18n.h - message catalogs per language (templates/i18n/<lang>.json) and date formatting. */
#ifndef PORTAL_I18N_H
#define PORTAL_I18N_H

#include <json-c/json.h>
#include <stddef.h>

#include "buf.h"

#define I18N_DEFAULT_LANG "en"

/*
 * Catalogs are flat JSON objects key -> text, loaded once at start-up. Every catalog must hold
 * exactly the keys of the default (English) one: i18n_load refuses a catalog with a missing or
 * extra key, so a missing translation is a start-up error and a test failure, never a blank.
 */
int i18n_load(const char *dir, char *err, size_t errlen); /* number of languages, or -1 */
void i18n_free(void);
int i18n_has_lang(const char *lang);
/* The catalog for lang (default language when unknown); borrowed, valid until i18n_free. */
struct json_object *i18n_catalog(const char *lang);
/* Text for key; the key itself when missing (and logged). */
const char *i18n_get(const char *lang, const char *key);
/* Format a local timestamp "YYYY-MM-DD HH:MM[:SS...]" (already in the portal's time zone, as
 * PostgreSQL's to_char/AT TIME ZONE gives it) with the language's pattern and month names,
 * e.g. "3 Nov 2026, 14:05" (en) or "3 nov. 2026 14:05" (sv). Returns -1 on a malformed input. */
int i18n_format_datetime(const char *lang, const char *ts, struct buf *out);
int i18n_format_date(const char *lang, const char *ts, struct buf *out);
/* An instant (decimal seconds since 1970, as extract(epoch FROM ts) gives it) as the local time
 * of zone with the zone's abbreviation at that instant: "3 Nov 2026, 14:05 CET" (en), "3 nov.
 * 2026 14:05 CEST" (sv). Every time shown to a person goes through this. -1 when malformed. */
int i18n_format_instant(const char *lang, const char *zone, const char *epoch, struct buf *out);

#endif
