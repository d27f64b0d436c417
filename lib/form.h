/* form.h - validate form fields at the edge; keep raw input and per-field messages for re-rendering. */
#ifndef PORTAL_FORM_H
#define PORTAL_FORM_H

#include <json-c/json.h>
#include <stddef.h>

#include "request.h"

/*
 * A handler declares each field it accepts with its type and bounds. Valid values come back
 * typed (trimmed text); invalid ones keep their raw text in `values` so the form can be shown
 * again, and `errors` maps the field name to a message in the page's language. Both objects
 * go straight into the template context ("values", "errors").
 */
struct form {
	const char *lang;
	struct json_object *values; /* field -> submitted text (never passwords) */
	struct json_object *errors; /* field -> message */
	int nerrors;
};

void form_init(struct form *f, const char *lang);
void form_free(struct form *f); /* drops what was not handed to a page */
/* Attach values, errors, has_errors and error_list ([{field, message}] for an error summary) to a
 * page context; the form no longer owns them. */
void form_to_page(struct form *f, struct json_object *page);
/* Record an error (message key from the catalog) against a field. */
void form_error(struct form *f, const char *field, const char *key);
/* Record an error given as the message itself (the admin console speaks English only). */
void form_message(struct form *f, const char *field, const char *message);

/* Trimmed text of 'min'..'max' code points; NULL (with an error) when missing or out of bounds,
 * or when it holds a line break and multiline is 0. keep=0 for secrets. */
const char *form_text(struct form *f, const struct request *r, const char *name, size_t min,
		      size_t max, int multiline, int keep);
/* An email address: local@domain, at most 254 bytes, no spaces or controls; lowercased domain. */
const char *form_email(struct form *f, const struct request *r, const char *name);
/* A checkbox: 1 when sent with any value, else 0 (an error when required). */
int form_checkbox(struct form *f, const struct request *r, const char *name, int required);

/* Why host is not a lower-case DNS host name (labels of 1-63 a-z 0-9 and inner hyphens, at most
 * 253 characters, no scheme, port or path), as a message for the form; NULL when it is one. */
const char *host_name_problem(const char *host);
int email_well_formed(const char *s);

#endif
