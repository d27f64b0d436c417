/* invitations.c - turn pending list invitations into single-use set-password links and emails (run by the mailer). */
#include "invitations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mail_render.h"
#include "token.h"

/*
 * A row in member_invitations is written by a trigger when a contact joins a list that grants
 * access to a portal in "lists" mode (or by portal_resend_invitation()). Each pending row is
 * handled in its own transaction: claimed with SKIP LOCKED, a members row made if missing, an
 * invite token stored hashed, the email rendered in the language of the portal's primary
 * domain and put in mail_outbox, the row marked sent. Contacts who have a password by then,
 * or who lost access, are marked without an email. When the portal's admin edited the
 * invitation for that language (portal_email_templates), the edited subject and text are used.
 */
static const char SQL_CLAIM[] =
	"SELECT i.id, i.portal_id, i.contact_id, c.email,"
	" btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), p.name,"
	" coalesce(d.host, 'localhost'), coalesce(d.language, 'en'),"
	" EXISTS (SELECT 1 FROM members m WHERE m.portal_id = i.portal_id"
	"   AND m.contact_id = i.contact_id AND m.password_hash IS NOT NULL),"
	" portal_contact_allowed(i.portal_id, i.contact_id) OR NOT p.enabled,"
	" e.subject, e.body_text"
	" FROM member_invitations i JOIN contacts c ON c.id = i.contact_id"
	" JOIN portals p ON p.id = i.portal_id"
	" LEFT JOIN LATERAL (SELECT host, language FROM portal_domains WHERE portal_id = p.id"
	"   ORDER BY is_primary DESC, id LIMIT 1) d ON true"
	" LEFT JOIN portal_email_templates e ON e.portal_id = i.portal_id AND e.email = 'invite'"
	"   AND e.language = coalesce(d.language, 'en')"
	" WHERE i.sent_at IS NULL ORDER BY i.requested_at, i.id LIMIT 1 FOR UPDATE OF i SKIP LOCKED";
static const char SQL_MEMBER[] =
	"INSERT INTO members (portal_id, contact_id) VALUES ($1, $2)"
	" ON CONFLICT (portal_id, contact_id) DO UPDATE SET portal_id = EXCLUDED.portal_id RETURNING id";
static const char SQL_TOKEN[] =
	"INSERT INTO member_tokens (token_sha256, member_id, purpose, expires_at)"
	" VALUES ($1, $2, 'invite', now() + interval '7 days')";
static const char SQL_OUTBOX[] =
	"INSERT INTO mail_outbox (to_address, subject, body_text, body_html) VALUES ($1, $2, $3, $4)";
static const char SQL_DONE[] = "UPDATE member_invitations SET sent_at = now() WHERE id = $1";

static PGresult *run(PGconn *pg, const char *sql, int n, const char *const *p)
{
	PGresult *r = PQexecParams(pg, sql, n, NULL, p, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	log_msg(LOG_ERROR, "mailer: invitation: %s", PQresultErrorMessage(r));
	PQclear(r);
	return NULL;
}

static int ok(PGresult *r)
{
	PQclear(r);
	return r != NULL;
}

static int queue_mail(PGconn *pg, const struct invite_ctx *ic, PGresult *row, const char *token)
{
	char link[1024], err[256];
	const char *host = PQgetvalue(row, 0, 6), *lang = PQgetvalue(row, 0, 7);
	if (ic->link_port)
		snprintf(link, sizeof link, "%s://%s:%d/password-reset/%s", ic->link_scheme, host, ic->link_port, token);
	else
		snprintf(link, sizeof link, "%s://%s/password-reset/%s", ic->link_scheme, host, token);
	struct json_object *data = json_object_new_object();
	json_object_object_add(data, "name", json_object_new_string(PQgetvalue(row, 0, 4)));
	json_object_object_add(data, "portal_name", json_object_new_string(PQgetvalue(row, 0, 5)));
	json_object_object_add(data, "link", json_object_new_string(link));
	struct buf subject = BUF_INIT, text = BUF_INIT, html = BUF_INIT;
	int rc = -1;
	if (!PQgetisnull(row, 0, 10)) {
		rc = mail_render_custom(lang, PQgetvalue(row, 0, 10), PQgetvalue(row, 0, 11), data, &subject, &text,
					&html, err, sizeof err);
		if (rc < 0) { /* it compiled when saved; should it not now, the shipped email goes out */
			log_msg(LOG_ERROR, "mailer: edited invitation of portal %s: %s", PQgetvalue(row, 0, 1), err);
			buf_reset(&subject);
			buf_reset(&text);
			buf_reset(&html);
		}
	}
	if (rc < 0)
		rc = mail_render(ic->templates, lang, "invite", data, &subject, &text, &html, err, sizeof err);
	if (rc < 0) {
		log_msg(LOG_ERROR, "mailer: invitation: %s", err);
	} else {
		const char *p[4] = {PQgetvalue(row, 0, 3), subject.data, text.data, html.len ? html.data : NULL};
		rc = ok(run(pg, SQL_OUTBOX, 4, p)) ? 0 : -1;
	}
	json_object_put(data);
	buf_free(&subject);
	buf_free(&text);
	buf_free(&html);
	return rc;
}

/* One pending invitation: 1 handled, 0 none pending, -1 error (rolled back). */
static int process_one(PGconn *pg, const struct invite_ctx *ic)
{
	if (!ok(PQexec(pg, "BEGIN")))
		return -1;
	PGresult *row = run(pg, SQL_CLAIM, 0, NULL);
	if (!row || PQntuples(row) == 0) {
		PQclear(row);
		PQclear(PQexec(pg, row ? "COMMIT" : "ROLLBACK"));
		return row ? 0 : -1;
	}
	int registered = PQgetvalue(row, 0, 8)[0] == 't', allowed = PQgetvalue(row, 0, 9)[0] == 't';
	const char *id = PQgetvalue(row, 0, 0);
	int rc = 0;
	if (!registered && allowed) {
		const char *pm[2] = {PQgetvalue(row, 0, 1), PQgetvalue(row, 0, 2)};
		PGresult *m = run(pg, SQL_MEMBER, 2, pm);
		char token[64], hash[65];
		rc = -1;
		if (m && token_new(token, sizeof token) == 0) {
			token_sha256_hex(token, hash);
			const char *pt[2] = {hash, PQgetvalue(m, 0, 0)};
			if (ok(run(pg, SQL_TOKEN, 2, pt)) && queue_mail(pg, ic, row, token) == 0)
				rc = 0;
		}
		PQclear(m);
	}
	const char *pd[1] = {id};
	if (rc == 0 && ok(run(pg, SQL_DONE, 1, pd))) {
		PGresult *c = PQexec(pg, "COMMIT");
		rc = PQresultStatus(c) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(c), "COMMIT") == 0 ? 1 : -1;
		PQclear(c);
		if (rc == 1)
			log_msg(LOG_INFO, "mailer: invitation %s %s", id, !registered && allowed ? "queued" : "not needed");
	} else {
		PQclear(PQexec(pg, "ROLLBACK"));
		rc = -1;
	}
	PQclear(row);
	return rc;
}

int invitations_process(PGconn *pg, const struct invite_ctx *ic)
{
	int n = 0, r = 0;
	while (n < 100 && (r = process_one(pg, ic)) == 1)
		n++;
	return r < 0 && n == 0 ? -1 : n;
}
