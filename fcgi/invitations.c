/* invitations.c - turn pending list invitations into single-use set-password links and emails
 * (no URL: run by the mailer on its connection, see mailer.c). */
#include "mailer.h"

#include <stdio.h>

#include "db.h"
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
	" btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) AS name,"
	" p.name AS portal_name, coalesce(d.host, 'localhost') AS host, coalesce(d.language, 'en') AS lang,"
	" EXISTS (SELECT 1 FROM members m WHERE m.portal_id = i.portal_id"
	"   AND m.contact_id = i.contact_id AND m.password_hash IS NOT NULL) AS registered,"
	" portal_contact_allowed(i.portal_id, i.contact_id) OR NOT p.enabled AS allowed,"
	" e.subject AS edited_subject, e.body_text AS edited_text"
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

/* The invitation email with the set-password link of token, into mail_outbox. */
static int queue_mail(struct mailer *m, PGresult *row, const char *token)
{
	char link[1024], err[256];
	const char *host = db_col(row, 0, "host"), *lang = db_col(row, 0, "lang");
	if (m->cfg.link_port)
		snprintf(link, sizeof link, "%s://%s:%d/password-reset/%s", m->cfg.link_scheme, host, m->cfg.link_port, token);
	else
		snprintf(link, sizeof link, "%s://%s/password-reset/%s", m->cfg.link_scheme, host, token);
	struct json_object *data = json_object_new_object();
	json_object_object_add(data, "name", json_object_new_string(db_col(row, 0, "name")));
	json_object_object_add(data, "portal_name", json_object_new_string(db_col(row, 0, "portal_name")));
	json_object_object_add(data, "link", json_object_new_string(link));
	struct buf subject = BUF_INIT, text = BUF_INIT, html = BUF_INIT;
	int rc = -1;
	if (!PQgetisnull(row, 0, PQfnumber(row, "edited_subject"))) {
		rc = mail_render_custom(lang, db_col(row, 0, "edited_subject"), db_col(row, 0, "edited_text"), data,
					&subject, &text, &html, err, sizeof err);
		if (rc < 0) { /* it compiled when saved; should it not now, the shipped email goes out */
			log_msg(LOG_ERROR, "mailer: edited invitation of portal %s: %s", db_col(row, 0, "portal_id"), err);
			buf_reset(&subject);
			buf_reset(&text);
			buf_reset(&html);
		}
	}
	if (rc < 0)
		rc = mail_render(m->templates, lang, "invite", data, &subject, &text, &html, err, sizeof err);
	if (rc < 0) {
		log_msg(LOG_ERROR, "mailer: invitation: %s", err);
	} else {
		const char *p[4] = {db_col(row, 0, "email"), subject.data, text.data, html.len ? html.data : NULL};
		rc = mailer_command(m, "invitation email", SQL_OUTBOX, 4, p);
	}
	json_object_put(data);
	buf_free(&subject);
	buf_free(&text);
	buf_free(&html);
	return rc;
}

/* The members row (made if missing), an invite token stored hashed, the email. 0 or -1. */
static int invite(struct mailer *m, PGresult *row)
{
	const char *pm[2] = {db_col(row, 0, "portal_id"), db_col(row, 0, "contact_id")};
	PGresult *member = mailer_query(m, "invitation member", SQL_MEMBER, 2, pm);
	char token[64], hash[65];
	int rc = -1;
	if (member && token_new(token, sizeof token) == 0) {
		token_sha256_hex(token, hash);
		const char *pt[2] = {hash, db_col(member, 0, "id")};
		if (mailer_command(m, "invitation token", SQL_TOKEN, 2, pt) == 0 && queue_mail(m, row, token) == 0)
			rc = 0;
	}
	PQclear(member);
	return rc;
}

/* One pending invitation: 1 handled, 0 none pending, -1 error (rolled back). */
static int process_one(struct mailer *m)
{
	int rc;
	PGresult *row = mailer_claim(m, "invitation claim", SQL_CLAIM, 0, NULL, &rc);
	if (!row)
		return rc;
	const char *id[1] = {db_col(row, 0, "id")};
	int wanted = db_col(row, 0, "registered")[0] != 't' && db_col(row, 0, "allowed")[0] == 't';
	int ok = (!wanted || invite(m, row) == 0) && mailer_command(m, "invitation sent", SQL_DONE, 1, id) == 0 &&
		 mailer_command(m, "COMMIT", "COMMIT", 0, NULL) == 0;
	if (ok)
		log_msg(LOG_INFO, "mailer: invitation %s %s", id[0], wanted ? "queued" : "not needed");
	else
		mailer_rollback(m);
	PQclear(row);
	return ok ? 1 : -1;
}

int invitations_process(struct mailer *m)
{
	int n = 0, r = 0;
	while (n < 100 && m->pg && (r = process_one(m)) == 1)
		n++;
	return r < 0 && n == 0 ? -1 : n;
}
