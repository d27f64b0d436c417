/* sessions.h - the portal's sessions, customers' and staff's (fcgi/sessions.c), on the token,
 * CSRF and idle rules of lib/session.h. */
#ifndef PORTAL_SESSIONS_H
#define PORTAL_SESSIONS_H

#include "session.h"

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

/*
 * Look the cookie's token up. A session idle longer than its portal's timeout is deleted and
 * reported as idle_expired; last_seen_at is written at most once a minute. Returns 0 (found
 * or not), -1 on a database error.
 */
int session_load(const char *token, struct session *s);
/* New session for a member (a new random token every login). token_out gets the cookie value
 * (SESSION_TOKEN_LEN + 1 bytes). Runs inside the caller's transaction if one is open. */
int session_create(long member_id, long portal_id, int absolute_hours, char *token_out, size_t cap);
int session_destroy(const char *token_hash);
int session_destroy_member(long member_id); /* every session of the member, e.g. after a reset */

/* Staff sessions (admin console, inbox): their own cookie, scoped to /admin, never valid on the
 * customer side; the same token, CSRF and idle rules as members. */
#define STAFF_COOKIE "portal_admin"
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
};

int staff_session_load(const char *token, struct staff_session *s);
int staff_session_create(long staff_user_id, int absolute_hours, char *token_out, size_t cap);

#endif
