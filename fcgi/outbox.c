/* outbox.c - render an email (a shipped one from templates/email, or the portal's edited copy)
 * and queue it in mail_outbox in the caller's transaction. */
#include "outbox.h"

#include <stdio.h>

#include "log.h"
#include "mail_render.h"

const struct db_stmt outbox_stmts[] = {
	{"outbox_insert",
	 "WITH ins AS (INSERT INTO mail_outbox (to_address, subject, body_text, body_html)"
	 " VALUES ($1, $2, $3, $4) RETURNING id)"
	 " SELECT pg_notify('mail_outbox', id::text) FROM ins",
	 4},
	{"outbox_email_override",
	 "SELECT subject, body_text FROM portal_email_templates"
	 " WHERE portal_id = $1 AND email = $2 AND language = $3",
	 3},
	{NULL, NULL, 0},
};

int outbox_queue_portal(long portal_id, const char *lang, const char *to, const char *name,
			struct json_object *data)
{
	struct buf subject = BUF_INIT, text = BUF_INIT, html = BUF_INIT;
	char err[256];
	int rc = -1, got;
	PGresult *o = NULL;
	if (portal_id > 0) {
		char pid[24];
		snprintf(pid, sizeof pid, "%ld", portal_id);
		const char *p[3] = {pid, name, lang};
		if (!(o = db_exec("outbox_email_override", 3, p)))
			return -1;
	}
	got = -1;
	if (o && PQntuples(o) == 1) {
		got = mail_render_custom(lang, PQgetvalue(o, 0, 0), PQgetvalue(o, 0, 1), data, &subject, &text,
					 &html, err, sizeof err);
		if (got < 0) { /* it compiled when saved; should it not now, the shipped email goes out */
			log_msg(LOG_ERROR, "outbox: edited %s (%s) of portal %ld: %s", name, lang, portal_id, err);
			buf_reset(&subject);
			buf_reset(&text);
			buf_reset(&html);
		}
	}
	if (got < 0)
		got = mail_render(templates, lang, name, data, &subject, &text, &html, err, sizeof err);
	PQclear(o);
	if (got < 0) {
		log_msg(LOG_ERROR, "outbox: %s: %s", name, err);
	} else {
		const char *p[4] = {to, subject.data, text.data, html.len ? html.data : NULL};
		PGresult *r = db_exec("outbox_insert", 4, p);
		if (r) {
			rc = 0;
			PQclear(r);
		}
	}
	buf_free(&subject);
	buf_free(&text);
	buf_free(&html);
	return rc;
}

int outbox_queue(const char *lang, const char *to, const char *name, struct json_object *data)
{
	return outbox_queue_portal(0, lang, to, name, data);
}
