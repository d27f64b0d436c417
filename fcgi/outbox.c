/* outbox.c - render an email from templates/email and queue it in mail_outbox in the caller's transaction. */
#include "app.h"

#include <string.h>

#include "i18n.h"
#include "log.h"
#include "tmpl.h"

const struct db_stmt outbox_stmts[] = {
	{"outbox_insert",
	 "WITH ins AS (INSERT INTO mail_outbox (to_address, subject, body_text, body_html)"
	 " VALUES ($1, $2, $3, $4) RETURNING id)"
	 " SELECT pg_notify('mail_outbox', id::text) FROM ins",
	 4},
	{NULL, NULL, 0},
};

static int render_part(const char *name, const char *part, struct json_object *data, struct buf *out)
{
	char tname[128], err[256];
	snprintf(tname, sizeof tname, "email/%s.%s", name, part);
	if (!tmpl_set_has(templates, tname))
		return 1;
	if (tmpl_render(templates, tname, data, out, err, sizeof err) < 0 || out->oom) {
		log_msg(LOG_ERROR, "outbox: render %s: %s", tname, err);
		return -1;
	}
	return 0;
}

int outbox_queue(const char *lang, const char *to, const char *name, struct json_object *data)
{
	json_object_object_add(data, "t", json_object_get(i18n_catalog(lang)));
	struct buf subject = BUF_INIT, text = BUF_INIT, html = BUF_INIT;
	int rc = -1;
	if (render_part(name, "subject", data, &subject) != 0 || render_part(name, "text", data, &text) != 0)
		goto out;
	int has_html = render_part(name, "html", data, &html);
	if (has_html < 0)
		goto out;
	/* a subject is one line */
	for (size_t i = 0; i < subject.len; i++)
		if (subject.data[i] == '\r' || subject.data[i] == '\n')
			subject.data[i] = ' ';
	while (subject.len && subject.data[subject.len - 1] == ' ')
		subject.data[--subject.len] = '\0';
	const char *p[4] = {to, subject.data, text.data, has_html == 0 ? html.data : NULL};
	PGresult *r = db_exec("outbox_insert", 4, p);
	if (r) {
		rc = 0;
		PQclear(r);
	}
out:
	buf_free(&subject);
	buf_free(&text);
	buf_free(&html);
	return rc;
}
