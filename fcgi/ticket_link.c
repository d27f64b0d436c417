/* ticket_link.c - GET and POST /<slug>/<id>/open: the signed ticket link a notification carries
 * (made by ticket_link_url(), fcgi/mail_tokens.h; good TICKET_LINK_DAYS days). It opens exactly
 * that ticket:
 *   - a logged-in customer who may see the ticket goes straight to it, whoever the link was for;
 *   - with single sign-on on, everyone else goes through sign-on with the ticket as next;
 *   - a valid link, logged out (or logged in as someone who may not see the ticket): a page with
 *     one button, "Continue as <the contact's address, masked>", whose POST signs that contact in
 *     (GET never signs in: mail scanners open links). Nothing of the ticket is shown before
 *     sign-in: the link may have been forwarded;
 *   - an expired, malformed, wrongly signed or used link: the login page with the ticket as next
 *     (a link signs in once: its token is spent by the POST that does, ticket_link_uses).
 * The URL carries the token: every answer here sends Referrer-Policy no-referrer (and, like every
 * page, Cache-Control no-store); nginx logs paths without their query. */
#include "app.h"
#include "mail_tokens.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "token.h"

const struct db_stmt ticket_link_stmts[] = {
	/* the one visibility rule: portal_visible_tickets() (sql/functions/portal_visible_tickets.sql) */
	/* a token spent (1 row) or spent before (none); spent tokens past their expiry are let go */
	{"ticket_link_spend",
	 "WITH old AS (DELETE FROM ticket_link_uses WHERE expires_at < now() - interval '1 day')"
	 " INSERT INTO ticket_link_uses (token_sha256, expires_at)"
	 " VALUES ($1, now() + make_interval(days => $2::int)) ON CONFLICT DO NOTHING RETURNING 1",
	 2},
	{"ticket_link_spent", "SELECT 1 FROM ticket_link_uses WHERE token_sha256 = $1", 1},
	{"ticket_link_visible",
	 "SELECT EXISTS (SELECT 1 FROM portal_visible_tickets($1, $2, 'all') t WHERE t.id = $3)", 3},
	/* the contact a link was made for: address, may they enter this portal
	 * (sql/functions/portal_contact_allowed.sql), does the portal show them the ticket */
	{"ticket_link_contact",
	 "SELECT c.email, coalesce(portal_contact_allowed($1, c.id), false) AS allowed,"
	 " EXISTS (SELECT 1 FROM portal_visible_tickets($1, c.id, 'all') t WHERE t.id = $3) AS visible"
	 " FROM contacts c WHERE c.id = $2",
	 3},
	{NULL, NULL, 0},
};

struct link_contact {
	const char *email;
	int allowed, visible;
};

static const char *ticket_path(struct ctx *c)
{
	return arena_printf(c->arena, "/%s/%s", c->portal->ticket_slug, c->caps.v[0]);
}

static int go(struct ctx *c, const char *location)
{
	response_header(c->res, "Referrer-Policy", "no-referrer");
	return page_redirect(c, 303, location);
}

/* The login page with the ticket as next (login.c carries it through safe_next). */
static int to_login(struct ctx *c)
{
	const char *path = ticket_path(c);
	struct buf to = BUF_INIT;
	buf_puts(&to, "/login?next=");
	buf_urlenc(&to, path, strlen(path));
	int status = go(c, to.data && !to.oom ? arena_strdup(c->arena, to.data) : "/login");
	buf_free(&to);
	return status;
}

/* 1 when the portal shows contact this ticket, 0 not, -1 database error. */
static int visible_to(struct ctx *c, long contact)
{
	char pid[24], cid[24], v[8];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	snprintf(cid, sizeof cid, "%ld", contact);
	const char *p[3] = {pid, cid, c->caps.v[0]};
	if (db_exec_value("ticket_link_visible", 3, p, v, sizeof v) < 0)
		return -1;
	return v[0] == 't';
}

/* 1 found (lc filled), 0 no such contact, -1 database error. */
static int load_contact(struct ctx *c, long contact, struct link_contact *lc)
{
	char pid[24], cid[24];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	snprintf(cid, sizeof cid, "%ld", contact);
	const char *p[3] = {pid, cid, c->caps.v[0]};
	PGresult *r = db_exec("ticket_link_contact", 3, p);
	if (!r)
		return -1;
	int found = PQntuples(r) == 1;
	if (found) {
		lc->email = arena_strdup(c->arena, db_col(r, 0, "email"));
		lc->allowed = db_col(r, 0, "allowed")[0] == 't';
		lc->visible = db_col(r, 0, "visible")[0] == 't';
	}
	PQclear(r);
	return found;
}

/*
 * The address on the button, masked: its first character, "•••", then "@domain" in full
 * (ada@example.com -> a•••@example.com). Enough for its owner to recognise which of their
 * addresses this is (and the domain tells a work address from a private one); not enough to
 * learn the address from a forwarded or shared link, which anyone it reaches may open.
 */
static const char *masked_email(struct ctx *c, const char *email)
{
	const char *at = strrchr(email, '@');
	if (!at || at == email)
		return "•••";
	size_t first = 1; /* one whole UTF-8 character */
	while (first < (size_t)(at - email) && ((unsigned char)email[first] & 0xC0) == 0x80)
		first++;
	return arena_printf(c->arena, "%.*s•••%s", (int)first, email, at);
}

/* The page before sign-in: the button (lc != NULL), or "this link cannot open the ticket". */
static int render(struct ctx *c, int status, const struct link_contact *lc, const char *token)
{
	c->no_referrer = 1;
	struct json_object *page = page_new(c, "ticket_link_title");
	const char *path = ticket_path(c);
	json_object_object_add(page, "ticket_id", json_object_new_string(c->caps.v[0]));
	json_object_object_add(page, "action", json_object_new_string(arena_printf(c->arena, "%s/open", path)));
	struct buf login = BUF_INIT;
	buf_puts(&login, "/login?next=");
	buf_urlenc(&login, path, strlen(path));
	json_object_object_add(page, "login_url", json_object_new_string(login.data && !login.oom ? login.data : "/login"));
	buf_free(&login);
	if (lc) {
		json_object_object_add(page, "valid", json_object_new_boolean(1));
		json_object_object_add(page, "who", json_object_new_string(masked_email(c, lc->email)));
		json_object_object_add(page, "token", json_object_new_string(token));
	}
	json_object_object_add(page, "list_url", json_object_new_string(
		arena_printf(c->arena, "/%s", c->portal->ticket_slug)));
	return page_render(c, status, "portal/ticket_link", page);
}

/* Too many bad links or failed logins from this address (the login's per-address counter). */
/* 1 when token was used to sign in already, 0 not, -1 error. With spend, use it now (inside the
 * caller's transaction): 1 then means it had been used before. */
static int token_spent(const char *token, int spend)
{
	char hash[TOKEN_HEX_LEN + 1], days[12], one[4];
	token_sha256_hex(token, hash);
	snprintf(days, sizeof days, "%d", TICKET_LINK_DAYS);
	const char *p[2] = {hash, days};
	int got = db_exec_value(spend ? "ticket_link_spend" : "ticket_link_spent", spend ? 2 : 1, p, one, sizeof one);
	return got < 0 ? -1 : spend ? got == 0 : got == 1;
}

static int limited(struct ctx *c)
{
	char ra[16];
	snprintf(ra, sizeof ra, "%d", cfg.login_ip_window_minutes * 60);
	response_header(c->res, "Retry-After", ra);
	c->no_referrer = 1;
	return page_error(c, 429);
}

/* A link whose signature is wrong (tampered, another ticket's, another install's) counts as a
 * failed login of this client address. */
static void bad_link(struct ctx *c, const char *how)
{
	login_ip_failed(c);
	log_msg(LOG_WARN, "ticket link for ticket %s refused (%s): bad signature", c->caps.v[0], how);
}

/* The logged-in customer may see this ticket: 1, else 0; -1 database error. */
static int session_sees(struct ctx *c)
{
	if (!c->sess.found || !c->sess.allowed)
		return 0;
	return visible_to(c, c->sess.contact_id);
}

int ticket_link_open(struct ctx *c)
{
	c->no_referrer = 1;
	int sees = session_sees(c);
	if (sees < 0)
		return 500;
	if (sees)
		return go(c, ticket_path(c));
	if (sso_on(c->portal)) {
		/* sign-on decides who this is, whatever the link says; the ticket is next */
		response_header(c->res, "Referrer-Policy", "no-referrer");
		return sso_start(c, ticket_path(c));
	}
	if (login_ip_limited(c))
		return limited(c);
	const char *token = request_query(c->req, "t");
	long contact = 0;
	int ok = ticket_link_check(token, c->caps.v[0], &contact);
	if (ok < 0)
		bad_link(c, "open");
	if (ok > 0) {
		int spent = token_spent(token, 0);
		if (spent < 0)
			return 500;
		if (spent)
			ok = 0; /* used already: as if expired */
	}
	if (ok <= 0)
		return to_login(c);
	struct link_contact lc = {0};
	int got = load_contact(c, contact, &lc);
	if (got < 0)
		return 500;
	if (!got || !lc.visible || !lc.email[0])
		return render(c, 403, NULL, NULL);
	return render(c, 200, &lc, token);
}

/* The button: check the link again, then open the contact's session in one transaction (the
 * member made or verified, the session, the audit row "login" {method: ticket_link}); the 303 to
 * the ticket goes out after COMMIT. */
int ticket_link_use(struct ctx *c)
{
	c->no_referrer = 1;
	if (sso_on(c->portal))
		return go(c, ticket_path(c)); /* no button with sign-on on: the ticket's page starts it */
	if (login_ip_limited(c)) {
		audit(c, "anonymous", 0, "login_rate_limited", "{\"method\": \"ticket_link\"}");
		return limited(c);
	}
	long contact = 0;
	const char *token = request_form(c->req, "t");
	int ok = ticket_link_check(token, c->caps.v[0], &contact);
	if (ok < 0)
		bad_link(c, "use");
	if (ok <= 0)
		return to_login(c);
	if (db_begin() < 0)
		return 500;
	int spent = token_spent(token, 1); /* rolled back with the rest when the sign-in fails */
	if (spent != 0) {
		db_rollback();
		return spent < 0 ? 500 : to_login(c);
	}
	struct link_contact lc = {0};
	int got = load_contact(c, contact, &lc);
	if (got < 0) {
		db_rollback();
		return 500;
	}
	const char *detail = arena_printf(c->arena, "{\"method\": \"ticket_link\", \"contact\": %ld, \"ticket\": %s}",
					  contact, c->caps.v[0]);
	if (!got || !lc.visible || !lc.email[0]) {
		db_rollback();
		audit(c, "anonymous", 0, "ticket_link_refused", detail);
		return render(c, 403, NULL, NULL);
	}
	if (!lc.allowed) { /* the portal's access mode or lists keep this contact out */
		db_rollback();
		audit(c, "anonymous", 0, "login_denied", detail);
		return go(c, "/access-denied");
	}
	/* A member locked after failed passwords is let in, as by a login link (login.c): the lock
	 * stops password guessing, and this link proves the mailbox instead. */
	/* the link was mailed to the contact's address: it proves the mailbox as a login link does */
	long member = member_verified(c->portal->id, contact);
	if (member < 0) {
		db_rollback();
		return 500;
	}
	/* The second factor, when the member has one on or the portal requires one, is asked by
	 * member_login() before any session exists: it answers 303 /login/two-factor with the ticket
	 * as the challenge's next, and the session opens only after the code is right. */
	response_header(c->res, "Referrer-Policy", "no-referrer");
	int status = member_login(c, member, "ticket_link", ticket_path(c));
	if (status != 303 || db_commit() < 0) {
		db_rollback();
		response_reset(c->res);
		return 500;
	}
	return status;
}
