/* sessions.h - the portal's sessions, customers' and staff's (fcgi/sessions.c), on the token,
 * CSRF and idle rules of lib/session.h. */
#ifndef PORTAL_SESSIONS_H
#define PORTAL_SESSIONS_H

#include "session.h"

/* the customer's session cookie: "__Host-portal_session" over HTTPS (fcgi/app.h, get_cookie) */
#define SESSION_COOKIE "portal_session"

struct session {
	int found;        /* a live session matched the cookie */
	int idle_expired; /* it matched but sat idle past the portal's timeout; now deleted */
	int allowed;      /* portal_contact_allowed(): portal on and the contact may enter */
	int org_visible;  /* the portal shows this contact a company's tickets too */
	long member_id;
	long contact_id;
	long portal_id;
	char token_hash[65];
	char csrf_secret[64];
	char email[256];
	char name[256];
};

/* The member session's row ($1 the token's hash): SESSION_NCOLS columns, by these names. A page
 * that reads its own rows in the same statement (fcgi/app.h's fold) starts with
 * "WITH s AS MATERIALIZED (" SESSION_LOAD_SQL ") SELECT s.*, ..." so that its columns follow
 * these; MATERIALIZED, or the two plpgsql calls here run again for every row of the page. */
#define SESSION_LOAD_SQL                                                                          \
	"SELECT s.member_id, m.contact_id, s.portal_id, s.csrf_secret, c.email,"                  \
	" btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) AS name,"         \
	" EXTRACT(EPOCH FROM now() - s.last_seen_at) AS idle_seconds,"                            \
	" p.session_timeout_minutes AS timeout_minutes,"                                          \
	" portal_contact_allowed(s.portal_id, m.contact_id) AS allowed,"                          \
	" portal_contact_company(s.portal_id, m.contact_id) IS NOT NULL AS org_visible"           \
	" FROM sessions s JOIN members m ON m.id = s.member_id"                                   \
	" JOIN contacts c ON c.id = m.contact_id JOIN portals p ON p.id = s.portal_id"            \
	" WHERE s.token_sha256 = $1 AND s.kind = 'member' AND s.expires_at > now()"
#define SESSION_NCOLS 10

/*
 * Look the cookie's token up. A session idle longer than its portal's timeout is deleted and
 * reported as idle_expired; last_seen_at is written at most once a minute. Returns 0 (found
 * or not), -1 on a database error.
 */
int session_load(const char *token, struct session *s);
/* session_load with a statement that reads a page's rows with the session (NULL: the plain
 * one): $1 the hash, then params[0..n). When found, *rows (if rows) gets the whole result
 * (PQclear it): the session's SESSION_NCOLS columns first, on every row. */
int session_load_fold(const char *token, struct session *s, const char *stmt, int n, const char *const *params,
		      PGresult **rows);
/* New session for a member (a new random token every login). token_out gets the cookie value
 * (SESSION_TOKEN_LEN + 1 bytes). Runs inside the caller's transaction if one is open. */
int session_create(long member_id, long portal_id, int absolute_hours, char *token_out, size_t cap);
int session_destroy(const char *token_hash);
int session_destroy_member(long member_id); /* every session of the member, e.g. after a reset */
/* Every session of the member but the one keep_hash names (a password changed, a second factor
 * turned on: sessions taken before end, this browser stays). 0 or -1. */
int session_destroy_member_others(long member_id, const char *keep_hash);

/* Staff sessions (admin console, inbox): their own cookie, scoped to /admin, never valid on the
 * customer side; the same token, CSRF and idle rules as members. */
#define STAFF_COOKIE "portal_admin" /* "__Secure-portal_admin" over HTTPS */
#define STAFF_COOKIE_PATH "/admin"
#define STAFF_IDLE_MINUTES 120

struct staff_session {
	int found;
	int idle_expired;
	int is_admin; /* role admin (else agent) */
	long user_id;
	char token_hash[65];
	char csrf_secret[64];
	char email[256];
	char name[256];
	/* An agent limited to some inboxes (staff_users.inboxes_limited): limited is 1 and inboxes
	 * their ids as a PostgreSQL array literal ("{2,5}", "{}" for none), for staff_ticket_ok()
	 * and "inbox_id = ANY ($n)"; see staff_inboxes() in admin.h. */
	int limited;
	char inboxes[1024];
};

int staff_session_load(const char *token, struct staff_session *s);
int staff_session_create(long staff_user_id, int absolute_hours, char *token_out, size_t cap);
int staff_session_destroy_others(long staff_user_id, const char *keep_hash); /* as for members */

#endif
