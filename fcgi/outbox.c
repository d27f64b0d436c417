/* outbox.c - render an email (a shipped one from templates/email, or the portal's edited copy)
 * and queue it in mail_outbox in the caller's transaction, with its threading headers; the
 * portal's notification switches are checked here and nowhere else. */
#include "outbox.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mail.h"
#include "mail_render.h"
#include "str.h"

#define OUTBOX_REFS 10 /* References kept, the per-ticket root included */

const struct db_stmt outbox_stmts[] = {
	{"outbox_insert",
	 "WITH ins AS (INSERT INTO mail_outbox (to_address, subject, body_text, body_html, from_address,"
	 "   from_name, reply_to, message_id, in_reply_to, references_ids, email, ticket_id, thread_id)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text[], $11, nullif($12, '0')::bigint,"
	 "   nullif($13, '0')::bigint) RETURNING id)"
	 " SELECT pg_notify('mail_outbox', id::text) FROM ins",
	 13},
	/* whether the portal sends email $2 (no row in portal_notifications: yes; only notifications
	 * have rows) and its edited version in language $3 (NULL columns: the shipped one) */
	{"outbox_portal_email",
	 "SELECT NOT EXISTS (SELECT 1 FROM portal_notifications"
	 "   WHERE portal_id = $1 AND email = $2 AND NOT enabled) AS enabled, t.subject, t.body_text"
	 " FROM (SELECT 1) one LEFT JOIN portal_email_templates t"
	 "   ON t.portal_id = $1 AND t.email = $2 AND t.language = $3",
	 3},
	/* what a new mail of ticket $1 to $2 refers to, oldest first: the first and the latest
	 * message that came by mail, and the latest mails to that address */
	{"outbox_thread_ids",
	 "SELECT id FROM ("
	 " (SELECT m.mail_message_id AS id, m.created_at AS at, m.id AS seq FROM messages m"
	 "   JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = $1 AND m.mail_message_id IS NOT NULL"
	 "   ORDER BY m.created_at, m.id LIMIT 1)"
	 " UNION"
	 " (SELECT m.mail_message_id, m.created_at, m.id FROM messages m"
	 "   JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = $1 AND m.mail_message_id IS NOT NULL"
	 "   ORDER BY m.created_at DESC, m.id DESC LIMIT 1)"
	 " UNION"
	 " (SELECT o.message_id, o.created_at, o.id FROM mail_outbox o"
	 "   WHERE o.ticket_id = $1 AND lower(o.to_address) = lower($2) AND o.message_id IS NOT NULL"
	 "   ORDER BY o.id DESC LIMIT 7)) x"
	 " ORDER BY at, seq",
	 2},
	{NULL, NULL, 0},
};

/* The domain of the From address (the config's smtp_from without one). */
static const char *from_domain(const struct outbox_mail *m, char *buf, size_t cap)
{
	const char *a = m->from_address;
	if (!a || !*a) {
		if (mail_bare_address(cfg.smtp_from, buf, cap) < 0)
			return "localhost";
		a = buf;
	}
	const char *at = strrchr(a, '@');
	return at && at[1] ? at + 1 : "localhost";
}

/* References (as an array literal into refs) and In-Reply-To (into irt, "" none) of a ticket's
 * mail. 0 or -1. */
static int thread_ids(const struct outbox_mail *m, const char *domain, struct buf *refs, char *irt, size_t cap)
{
	irt[0] = '\0';
	buf_puts(refs, "{");
	if (!m->ticket || !strcmp(m->ticket, "0")) {
		buf_puts(refs, "}");
		return 0;
	}
	char root[300];
	snprintf(root, sizeof root, "ticket-%s@%s", m->ticket, domain);
	if (mail_message_id_ok(root))
		db_array_item(refs, root);
	const char *p[2] = {m->ticket, m->to};
	PGresult *r = db_exec("outbox_thread_ids", 2, p);
	if (!r)
		return -1;
	int n = PQntuples(r), room = OUTBOX_REFS - 1;
	/* the first (the mail that opened the ticket, when it came by mail) and the latest ones */
	for (int i = 0; i < n; i++) {
		const char *id = PQgetvalue(r, i, 0);
		if (n > room && i > 0 && i < n - (room - 1))
			continue;
		if (!mail_message_id_ok(id))
			continue;
		db_array_item(refs, id);
		snprintf(irt, cap, "%s", id);
	}
	PQclear(r);
	buf_puts(refs, "}");
	return refs->oom ? -1 : 0;
}

int outbox_send(const struct outbox_mail *m)
{
	struct buf subject = BUF_INIT, text = BUF_INIT, html = BUF_INIT, refs = BUF_INIT;
	char err[256];
	int rc = -1, got = -1;
	PGresult *o = NULL;
	if (m->portal_id > 0) { /* one statement: the switch and the edited copy */
		char pid[24];
		snprintf(pid, sizeof pid, "%ld", m->portal_id);
		const char *p[3] = {pid, m->name, m->lang};
		if (!(o = db_exec("outbox_portal_email", 3, p)))
			return -1;
		if (db_col(o, 0, "enabled")[0] != 't') {
			PQclear(o);
			return 1;
		}
	}
	if (o && !PQgetisnull(o, 0, PQfnumber(o, "subject"))) {
		got = mail_render_custom(m->lang, db_col(o, 0, "subject"), db_col(o, 0, "body_text"), m->data, &subject,
					 &text, &html, err, sizeof err);
		if (got < 0) { /* it compiled when saved; should it not now, the shipped email goes out */
			log_msg(LOG_ERROR, "outbox: edited %s (%s) of portal %ld: %s", m->name, m->lang,
				m->portal_id, err);
			buf_reset(&subject);
			buf_reset(&text);
			buf_reset(&html);
		}
	}
	if (got < 0)
		got = mail_render(templates, m->lang, m->name, m->data, &subject, &text, &html, err, sizeof err);
	PQclear(o);
	if (got < 0) {
		log_msg(LOG_ERROR, "outbox: %s: %s", m->name, err);
		goto out;
	}
	char dbuf[MAIL_ADDR_MAX], hex[33], msgid[400], irt[400];
	const char *domain = from_domain(m, dbuf, sizeof dbuf);
	unsigned char rnd[16];
	if (RAND_bytes(rnd, sizeof rnd) != 1) {
		log_msg(LOG_ERROR, "outbox: no random bytes for a Message-ID");
		goto out;
	}
	hex_encode(rnd, sizeof rnd, hex);
	snprintf(msgid, sizeof msgid, "p.%s@%s", hex, domain);
	if (thread_ids(m, domain, &refs, irt, sizeof irt) < 0)
		goto out;
	const char *from = m->from_address && *m->from_address ? m->from_address : NULL;
	const char *p[13] = {m->to, subject.data, text.data, html.len ? html.data : NULL, from,
			     from && m->from_name && *m->from_name ? m->from_name : NULL,
			     m->reply_to && *m->reply_to ? m->reply_to : NULL, msgid, irt[0] ? irt : NULL,
			     refs.data, m->name, m->ticket ? m->ticket : "0", m->thread ? m->thread : "0"};
	PGresult *r = db_exec("outbox_insert", 13, p);
	if (r) {
		rc = 0;
		PQclear(r);
	}
out:
	buf_free(&subject);
	buf_free(&text);
	buf_free(&html);
	buf_free(&refs);
	return rc;
}

int outbox_queue_portal(long portal_id, const char *lang, const char *to, const char *name,
			struct json_object *data)
{
	const struct outbox_mail m = {.portal_id = portal_id, .lang = lang, .to = to, .name = name, .data = data};
	return outbox_send(&m);
}

int outbox_queue(const char *lang, const char *to, const char *name, struct json_object *data)
{
	return outbox_queue_portal(0, lang, to, name, data);
}
