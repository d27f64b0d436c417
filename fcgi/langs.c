/* langs.c - the one list of the portal's languages (see langs.h). */
#include "langs.h"

#include "app.h"

#include <stdio.h>
#include <string.h>

const struct lang langs[] = {
	{"en", "English"},
	{"sv", "Swedish"},
};
const size_t nlangs = sizeof langs / sizeof langs[0];
_Static_assert(sizeof langs / sizeof langs[0] <= LANGS_MAX, "raise LANGS_MAX in langs.h");

const struct lang *lang_find(const char *code)
{
	for (size_t i = 0; code && i < nlangs; i++)
		if (strcmp(langs[i].code, code) == 0)
			return &langs[i];
	return NULL;
}

const char *lang_names(const char *sep)
{
	/* "A, B or C": commas between all but the last two. Built once per separator use; the
	 * list is fixed, so a static buffer is enough. */
	static char out[512];
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < nlangs && n < sizeof out; i++) {
		const char *join = i == 0 ? "" : i + 1 == nlangs ? sep : ", ";
		int w = snprintf(out + n, sizeof out - n, "%s%s", join, langs[i].name);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return out;
}

const char *lang_form_texts(struct ctx *c, struct form *f, const char *prefix, size_t max)
{
	struct json_object *o = json_object_new_object();
	int ok = 1;
	for (size_t i = 0; i < nlangs; i++) {
		const char *v = form_text(f, c->req, arena_printf(c->arena, "%s%s", prefix, langs[i].code), 0, max, 0, 1);
		if (!v)
			ok = 0;
		else if (v[0])
			json_object_object_add(o, langs[i].code, json_object_new_string(v));
	}
	const char *out = ok ? arena_strdup(c->arena, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) : NULL;
	json_object_put(o);
	return out;
}

void lang_spread(struct json_object *values, const char *prefix, const char *json)
{
	struct json_object *o = json && json[0] ? json_tokener_parse(json) : NULL, *v;
	char name[64];
	for (size_t i = 0; i < nlangs; i++) {
		snprintf(name, sizeof name, "%s%s", prefix, langs[i].code);
		int has = json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, langs[i].code, &v) &&
			  json_object_is_type(v, json_type_string);
		json_object_object_add(values, name, json_object_new_string(has ? json_object_get_string(v) : ""));
	}
	json_object_put(o);
}

void lang_translations(struct json_object *page, const char *key, const char *prefix)
{
	struct json_object *values = NULL, *errors = NULL, *v;
	json_object_object_get_ex(page, "values", &values);
	json_object_object_get_ex(page, "errors", &errors);
	struct json_object *a = json_object_new_array();
	char name[64];
	for (size_t i = 0; i < nlangs; i++) {
		snprintf(name, sizeof name, "%s%s", prefix, langs[i].code);
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "lang", json_object_new_string(langs[i].code));
		json_object_object_add(o, "name", json_object_new_string(langs[i].name));
		json_object_object_add(o, "field", json_object_new_string(name));
		json_object_object_add(o, "value", json_object_new_string(
							   json_object_object_get_ex(values, name, &v) ? json_object_get_string(v) : ""));
		/* null rather than absent: a template's {{#error}} must not find an outer "error" */
		json_object_object_add(o, "error", json_object_object_get_ex(errors, name, &v) ? json_object_get(v) : NULL);
		json_object_array_add(a, o);
	}
	json_object_object_add(page, key, a);
}

struct json_object *lang_shown(const char *json)
{
	struct json_object *o = json && json[0] ? json_tokener_parse(json) : NULL, *v;
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < nlangs; i++) {
		if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, langs[i].code, &v) ||
		    !json_object_get_string(v)[0])
			continue;
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "lang", json_object_new_string(langs[i].code));
		json_object_object_add(e, "name", json_object_new_string(langs[i].name));
		json_object_object_add(e, "value", json_object_new_string(json_object_get_string(v)));
		json_object_object_add(e, "br", json_object_new_boolean(i + 1 < nlangs));
		json_object_array_add(a, e);
	}
	json_object_put(o);
	return a;
}
