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
	struct json_object *list = json_object_new_array(); /* for an error summary: [{field, message}] */
	json_object_object_foreach(f->errors, field, msg)
	{
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "field", json_object_new_string(field));
		json_object_object_add(e, "message", json_object_get(msg));
		json_object_array_add(list, e);
	}
	json_object_object_add(page, "error_list", list);
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

static char *trimmed(const struct request *r, const char *raw)
{
	const char *end = raw + strlen(raw);
	str_trim(&raw, &end, " \t\r\n");
	return arena_strndup(r->arena, raw, (size_t)(end - raw));
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
		*d = ascii_lower(*d);
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

/* Why host is not a DNS host name (labels of 1-63 a-z 0-9 and inner hyphens, at most 253
 * characters, no scheme, port or path), or NULL when it is one. */
const char *host_name_problem(const char *host)
{
	size_t n = strlen(host);
	if (n == 0)
		return "Enter a host name, like help.example.com.";
	if (strstr(host, "://"))
		return "Enter the host name only, without http:// or https://.";
	if (strchr(host, '/'))
		return "Enter the host name only, without a path.";
	if (strchr(host, ':'))
		return "Enter the host name without a port.";
	if (strpbrk(host, " \t"))
		return "A host name has no spaces.";
	if (n > 253)
		return "A host name is at most 253 characters long.";
	const char *label = host;
	for (const char *p = host;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t len = (size_t)(p - label);
			if (len == 0)
				return "A host name has no empty parts: no leading, trailing or double dots.";
			if (len > 63)
				return "Each part of a host name (between dots) is at most 63 characters long.";
			if (label[0] == '-' || p[-1] == '-')
				return "A part of a host name cannot start or end with a hyphen.";
			if (*p == '\0')
				break;
			label = p + 1;
		} else if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-')) {
			return "A host name holds only letters a-z, digits, hyphens and dots.";
		}
	}
	return NULL;
}
