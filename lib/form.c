/* form.c - field validators that fill a json object of values and one of messages. */
#include "form.h"

#include <ctype.h>
#include <string.h>

#include "i18n.h"

void form_init(struct form *f, const char *lang)
{
	f->lang = lang;
	f->values = json_object_new_object();
	f->errors = json_object_new_object();
	f->nerrors = 0;
}

void form_free(struct form *f)
{
	json_object_put(f->values);
	json_object_put(f->errors);
	f->values = f->errors = NULL;
}

void form_to_page(struct form *f, struct json_object *page)
{
	json_object_object_add(page, "values", f->values);
	json_object_object_add(page, "errors", f->errors);
	json_object_object_add(page, "has_errors", json_object_new_boolean(f->nerrors > 0));
	f->values = f->errors = NULL;
}

void form_message(struct form *f, const char *field, const char *message)
{
	struct json_object *old;
	if (json_object_object_get_ex(f->errors, field, &old))
		return; /* the first problem of a field is the one shown */
	json_object_object_add(f->errors, field, json_object_new_string(message));
	f->nerrors++;
}

void form_error(struct form *f, const char *field, const char *key)
{
	form_message(f, field, i18n_get(f->lang, key));
}

size_t utf8_length(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static char *trimmed(const struct request *r, const char *raw)
{
	while (*raw == ' ' || *raw == '\t' || *raw == '\r' || *raw == '\n')
		raw++;
	size_t n = strlen(raw);
	while (n && (raw[n - 1] == ' ' || raw[n - 1] == '\t' || raw[n - 1] == '\r' || raw[n - 1] == '\n'))
		n--;
	return arena_strndup(r->arena, raw, n);
}

const char *form_text(struct form *f, const struct request *r, const char *name, size_t min,
		      size_t max, int multiline, int keep)
{
	const char *raw = request_form(r, name);
	char *v = trimmed(r, raw ? raw : "");
	if (!v)
		return NULL;
	if (keep)
		json_object_object_add(f->values, name, json_object_new_string(v));
	size_t len = utf8_length(v);
	if (len == 0 && min > 0) {
		form_error(f, name, "err_required");
		return NULL;
	}
	if (len < min) {
		form_error(f, name, "err_too_short");
		return NULL;
	}
	if (len > max) {
		form_error(f, name, "err_too_long");
		return NULL;
	}
	if (!multiline && strpbrk(v, "\r\n")) {
		form_error(f, name, "err_single_line");
		return NULL;
	}
	return v;
}

int email_well_formed(const char *s)
{
	size_t n = strlen(s);
	const char *at = strrchr(s, '@');
	if (n < 3 || n > 254 || !at || at == s || at[1] == '\0' || strchr(s, '@') != at)
		return 0;
	if ((size_t)(at - s) > 64)
		return 0;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c == 0x7f || strchr("<>()[],;:\\\"", c))
			return 0;
	}
	const char *d = at + 1;
	if (d[0] == '.' || d[0] == '-' || strstr(d, "..") || d[strlen(d) - 1] == '.')
		return 0;
	return 1;
}

const char *form_email(struct form *f, const struct request *r, const char *name)
{
	char *v = (char *)form_text(f, r, name, 1, 254, 0, 1);
	if (!v)
		return NULL;
	if (!email_well_formed(v)) {
		form_error(f, name, "err_email");
		return NULL;
	}
	for (char *d = strrchr(v, '@'); *d; d++)
		*d = (char)tolower((unsigned char)*d);
	return v;
}

int form_checkbox(struct form *f, const struct request *r, const char *name, int required)
{
	int on = request_form(r, name) != NULL;
	json_object_object_add(f->values, name, json_object_new_boolean(on));
	if (!on && required)
		form_error(f, name, "err_checkbox_required");
	return on;
}
