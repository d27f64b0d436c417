/* sessions.c - no URL: the portal's member and staff sessions in the sessions table, on the token,
 * CSRF and expiry rules of lib/session.c (loaded by main.c's dispatch, made by the login pages). */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each load returns idle_seconds and timeout_minutes for session_find(); inserts take the token's
 * hash as $1 and the CSRF secret as $2 (session_insert()). */
const struct db_stmt sessions_stmts[] = {
	{"session_load", SESSION_LOAD_SQL, 1},
	{"session_touch", "UPDATE sessions SET last_seen_at = now() WHERE token_sha256 = $1", 1},
	{"session_delete", "DELETE FROM sessions WHERE token_sha256 = $1", 1},
	{"session_delete_member", "DELETE FROM sessions WHERE member_id = $1", 1},
	{"session_delete_member_others",
	 "DELETE FROM sessions WHERE member_id = $1 AND kind = 'member' AND token_sha256 <> $2", 2},
	{"session_delete_staff_others",
	 "DELETE FROM sessions WHERE staff_user_id = $1 AND kind = 'staff' AND token_sha256 <> $2", 2},
	{"session_insert",
	 "INSERT INTO sessions (token_sha256, csrf_secret, kind, member_id, portal_id, expires_at)"
	 " VALUES ($1, $2, 'member', $3, $4, now() + make_interval(hours => $5::int))",
	 5},
	{"staff_session_load",
	 "SELECT s.staff_user_id, u.role = 'admin' AS is_admin, s.csrf_secret, u.email, u.name,"
	 " u.role = 'agent' AND u.inboxes_limited AS limited,"
	 " CASE WHEN u.role = 'agent' AND u.inboxes_limited THEN (SELECT COALESCE(array_agg(l.inbox_id ORDER BY l.inbox_id), '{}')"
	 "  FROM staff_inbox_limits l WHERE l.staff_user_id = u.id)::text END AS inboxes,"
	 " EXTRACT(EPOCH FROM now() - s.last_seen_at) AS idle_seconds, $2::int AS timeout_minutes"
	 " FROM sessions s JOIN staff_users u ON u.id = s.staff_user_id"
	 " WHERE s.token_sha256 = $1 AND s.kind = 'staff' AND s.expires_at > now()",
	 2},
	{"staff_session_insert",
	 "INSERT INTO sessions (token_sha256, csrf_secret, kind, staff_user_id, expires_at)"
	 " VALUES ($1, $2, 'staff', $3, now() + make_interval(hours => $4::int))",
	 4},
	{NULL, NULL, 0},
};

static const struct session_stmts member_stmts = {"session_load", "session_touch", "session_delete"};
static const struct session_stmts staff_stmts = {"staff_session_load", "session_touch", "session_delete"};

#define TEXT(s, r, field) str_copy((s)->field, sizeof (s)->field, db_col(r, 0, #field))

/* Looks token up with st, or with the statement stmt when not NULL (params[0..n) after the hash:
 * a page read with the session, fcgi/app.h's fold); a live session's row goes to fill(row, s), and
 * the whole result to *rows when rows is not NULL (else it is freed). Sets *found and
 * *idle_expired; 0, or -1 on a database error. */
static int load(const char *token, const struct session_stmts *st, const char *stmt, int n, const char *const *params,
		char hash[65], int *found, int *idle_expired, void (*fill)(PGresult *, void *), void *s,
		PGresult **rows)
{
	PGresult *r;
	enum session_found f = session_find_with(token, st, stmt, n, params, hash, &r);
	*found = f == SESSION_FOUND;
	*idle_expired = f == SESSION_IDLE_EXPIRED;
	if (r)
		fill(r, s);
	if (rows)
		*rows = r;
	else
		PQclear(r);
	return f == SESSION_ERROR ? -1 : 0;
}

static void fill_member(PGresult *r, void *p)
{
	struct session *s = p;
	s->member_id = atol(db_col(r, 0, "member_id"));
	s->contact_id = atol(db_col(r, 0, "contact_id"));
	s->portal_id = atol(db_col(r, 0, "portal_id"));
	s->allowed = db_col(r, 0, "allowed")[0] == 't';
	s->org_visible = db_col(r, 0, "org_visible")[0] == 't';
	TEXT(s, r, csrf_secret);
	TEXT(s, r, email);
	TEXT(s, r, name);
}

static void fill_staff(PGresult *r, void *p)
{
	struct staff_session *s = p;
	s->user_id = atol(db_col(r, 0, "staff_user_id"));
	s->is_admin = db_col(r, 0, "is_admin")[0] == 't';
	TEXT(s, r, csrf_secret);
	TEXT(s, r, email);
	TEXT(s, r, name);
	s->limited = db_col(r, 0, "limited")[0] == 't';
	const char *in = db_col(r, 0, "inboxes");
	if (s->limited && strlen(in) >= sizeof s->inboxes)
		snprintf(s->inboxes, sizeof s->inboxes, "{}"); /* more limits than fit: fail closed */
	else
		snprintf(s->inboxes, sizeof s->inboxes, "%s", in);
}

int session_load(const char *token, struct session *s)
{
	return session_load_fold(token, s, NULL, 0, NULL, NULL);
}

int session_load_fold(const char *token, struct session *s, const char *stmt, int n, const char *const *params,
		      PGresult **rows)
{
	memset(s, 0, sizeof *s);
	return load(token, &member_stmts, stmt, n, params, s->token_hash, &s->found, &s->idle_expired, fill_member, s,
		    rows);
}

int staff_session_load(const char *token, struct staff_session *s)
{
	char idle[16];
	memset(s, 0, sizeof *s);
	snprintf(idle, sizeof idle, "%d", STAFF_IDLE_MINUTES);
	const char *p[1] = {idle};
	return load(token, &staff_stmts, NULL, 1, p, s->token_hash, &s->found, &s->idle_expired, fill_staff, s, NULL);
}

int session_create(long member_id, long portal_id, int absolute_hours, char *token_out, size_t cap)
{
	char mid[24], pid[24], hours[16];
	snprintf(mid, sizeof mid, "%ld", member_id);
	snprintf(pid, sizeof pid, "%ld", portal_id);
	snprintf(hours, sizeof hours, "%d", absolute_hours);
	const char *p[3] = {mid, pid, hours};
	return session_insert("session_insert", 3, p, token_out, cap);
}

int staff_session_create(long staff_user_id, int absolute_hours, char *token_out, size_t cap)
{
	char uid[24], hours[16];
	snprintf(uid, sizeof uid, "%ld", staff_user_id);
	snprintf(hours, sizeof hours, "%d", absolute_hours);
	const char *p[2] = {uid, hours};
	return session_insert("staff_session_insert", 2, p, token_out, cap);
}

int session_destroy(const char *token_hash)
{
	const char *p[1] = {token_hash};
	return db_run("session_delete", 1, p);
}

int session_destroy_member(long member_id)
{
	char mid[24];
	snprintf(mid, sizeof mid, "%ld", member_id);
	const char *p[1] = {mid};
	return db_run("session_delete_member", 1, p);
}

/* $1 the login, $2 the hash of the session that stays. */
static int destroy_others(const char *stmt, long id, const char *keep_hash)
{
	char ids[24];
	snprintf(ids, sizeof ids, "%ld", id);
	const char *p[2] = {ids, keep_hash};
	return db_run(stmt, 2, p);
}

int session_destroy_member_others(long member_id, const char *keep_hash)
{
	return destroy_others("session_delete_member_others", member_id, keep_hash);
}

int staff_session_destroy_others(long staff_user_id, const char *keep_hash)
{
	return destroy_others("session_delete_staff_others", staff_user_id, keep_hash);
}
