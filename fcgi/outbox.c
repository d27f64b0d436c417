/* outbox.c - render an email from templates/email and queue it in mail_outbox in the caller's transaction. */
#include "app.h"

#include "log.h"
#include "mail_render.h"

const struct db_stmt outbox_stmts[] = {
	{"outbox_insert",
	 "WITH ins AS (INSERT INTO mail_outbox (to_address, subject, body_text, body_html)"
	 " VALUES ($1, $2, $3, $4) RETURNING id)"
	 " SELECT pg_notify('mail_outbox', id::text) FROM ins",
	 4},
	{NULL, NULL, 0},
};

int outbox_queue(const char *lang, const char *to, const char *name, struct json_object *data)
{
	struct buf subject = BUF_INIT, text = BUF_INIT, html = BUF_INIT;
	char err[256];
	int rc = -1;
	if (mail_render(templates, lang, name, data, &subject, &text, &html, err, sizeof err) < 0) {
		log_msg(LOG_ERROR, "outbox: %s", err);
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
