/* mail_render.c - render the three parts of a templated email. */
#include "mail_render.h"

#include <stdio.h>

#include "i18n.h"

static int part(const struct tmpl_set *set, const char *name, const char *suffix,
		struct json_object *data, struct buf *out, int optional, char *err, size_t errlen)
{
	char tname[160];
	snprintf(tname, sizeof tname, "email/%s.%s", name, suffix);
	if (!tmpl_set_has(set, tname)) {
		if (!optional)
			snprintf(err, errlen, "no template %s", tname);
		return optional ? 0 : -1;
	}
	if (tmpl_render(set, tname, data, out, err, errlen) < 0)
		return -1;
	if (out->oom) {
		snprintf(err, errlen, "out of memory rendering %s", tname);
		return -1;
	}
	return 0;
}

int mail_render(const struct tmpl_set *set, const char *lang, const char *name,
		struct json_object *data, struct buf *subject, struct buf *text, struct buf *html,
		char *err, size_t errlen)
{
	json_object_object_add(data, "t", json_object_get(i18n_catalog(lang)));
	if (part(set, name, "subject", data, subject, 0, err, errlen) < 0 ||
	    part(set, name, "text", data, text, 0, err, errlen) < 0 ||
	    part(set, name, "html", data, html, 1, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < subject->len; i++)
		if (subject->data[i] == '\r' || subject->data[i] == '\n' || subject->data[i] == '\t')
			subject->data[i] = ' ';
	while (subject->len && subject->data[subject->len - 1] == ' ')
		subject->data[--subject->len] = '\0';
	if (!subject->data)
		buf_puts(subject, "");
	if (!text->data)
		buf_puts(text, "");
	return 0;
}
