/* langs.h - the languages the portal speaks and keeps admin-written translations in: one list.
 *
 * Adding a language means: its catalog templates/i18n/<code>.json, the portal_domains.language
 * CHECK (a migration), and one line in langs[] (fcgi/langs.c). The console pages that keep a
 * translation per language (consent, navigation, ticket properties, support form fields) and the
 * domain and email pages loop over this list; none names a language by hand.
 */
#ifndef PORTAL_LANGS_H
#define PORTAL_LANGS_H

#include <stddef.h>

struct json_object;

struct lang {
	const char *code; /* as in portal_domains.language and the catalog's file name */
	const char *name; /* the language's English name, for the (English) console */
};

/* at most this many (for arrays per language; langs.c checks it at compile time) */
#define LANGS_MAX 8

extern const struct lang langs[];
extern const size_t nlangs;

/* The list's entry for code, or NULL when code is not one of the languages. */
const struct lang *lang_find(const char *code);
/* The names joined for a sentence, "English or Swedish" (sep " or "), arena-free static text. */
const char *lang_names(const char *sep);

/* ---- pages that keep one text per language in a jsonb {"<code>": text} ---- */
struct ctx;
struct form;

/* The form fields <prefix><code> of every language (0..max code points, one line, kept in f) as
 * the jsonb text {"<code>": text} of the non-empty ones ("{}" when none); NULL after a message on
 * f. */
const char *lang_form_texts(struct ctx *c, struct form *f, const char *prefix, size_t max);
/* values.<prefix><code> = json's text for code ("" for none), for every language. */
void lang_spread(struct json_object *values, const char *prefix, const char *json);
/* page.translations: per language {lang, name, field (<prefix><code>), value (values.<field>),
 * error (errors.<field>, absent when none)}, for a template to loop over. */
void lang_translations(struct json_object *page, const char *key, const char *prefix);
/* The non-empty texts of json as a list to show: [{lang, name, value, br}], br on all but the
 * list's last language. */
struct json_object *lang_shown(const char *json);

#endif
