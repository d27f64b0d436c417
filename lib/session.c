/* session.c - create, load, touch and destroy member sessions. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

const struct db_stmt session_stmts[] = {
	{"session_load",
	 "SELECT s.member_id, m.contact_id, s.portal_id, s.csrf_secret, c.email,"
	 " btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')),"
	 " s.last_seen_at < now() - make_interval(mins => p.session_timeout_minutes),"
	 " s.last_seen_at < now() - interval '1 minute',"
	 " portal_contact_allowed(s.portal_id, m.contact_id),"
	 " portal_contact_company(s.portal_id, m.contact_id) IS NOT NULL"
	 " FROM sessions s JOIN members m ON m.id = s.member_id"
	 " JOIN contacts c ON c.id = m.contact_id JOIN portals p ON p.id = s.portal_id"
	 " WHERE s.token_sha256 = $1 AND s.kind = 'member' AND s.expires_at > now()",
	 1},
	{"session_touch", "UPDATE sessions SET last_seen_at = now() WHERE token_sha256 = $1", 1},
	{"session_delete", "DELETE FROM sessions WHERE token_sha256 = $1", 1},
	{"session_delete_member", "DELETE FROM sessions WHERE member_id = $1", 1},
	{"session_insert",
	 "INSERT INTO sessions (token_sha256, kind, member_id, portal_id, csrf_secret, expires_at)"
	 " VALUES ($1, 'member', $2, $3, $4, now() + make_interval(hours => $5::int))",
	 5},
	{"staff_session_load",
	 "SELECT s.staff_user_id, u.role = 'admin', s.csrf_secret, u.email, u.name,"
	 " s.last_seen_at < now() - make_interval(mins => $2::int),"
	 " s.last_seen_at < now() - interval '1 minute'"
	 " FROM sessions s JOIN staff_users u ON u.id = s.staff_user_id"
	 " WHERE s.token_sha256 = $1 AND s.kind = 'staff' AND s.expires_at > now()",
	 2},
	{"staff_session_insert",
	 "INSERT INTO sessions (token_sha256, kind, staff_user_id, csrf_secret, expires_at)"
	 " VALUES ($1, 'staff', $2, $3, now() + make_interval(hours => $4::int))",
	 4},
	{NULL, NULL, 0},
};

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

int session_load(const char *token, struct session *s)
{
	memset(s, 0, sizeof *s);
	if (!token || !token_well_formed(token))
		return 0;
	token_sha256_hex(token, s->token_hash);
	const char *p[1] = {s->token_hash};
	PGresult *r = db_exec("session_load", 1, p);
	if (!r)
		return -1;
	if (PQntuples(r) == 1) {
		s->member_id = atol(PQgetvalue(r, 0, 0));
		s->contact_id = atol(PQgetvalue(r, 0, 1));
		s->portal_id = atol(PQgetvalue(r, 0, 2));
		copy(s->csrf_secret, sizeof s->csrf_secret, PQgetvalue(r, 0, 3));
		copy(s->email, sizeof s->email, PQgetvalue(r, 0, 4));
		copy(s->name, sizeof s->name, PQgetvalue(r, 0, 5));
		int idle = PQgetvalue(r, 0, 6)[0] == 't';
		int stale = PQgetvalue(r, 0, 7)[0] == 't';
		s->allowed = PQgetvalue(r, 0, 8)[0] == 't';
		s->org_visible = PQgetvalue(r, 0, 9)[0] == 't';
		if (idle) {
			s->idle_expired = 1;
			PQclear(db_exec("session_delete", 1, p));
		} else {
			s->found = 1;
			if (stale)
				PQclear(db_exec("session_touch", 1, p));
		}
	}
	PQclear(r);
	return 0;
}

int session_create(long member_id, long portal_id, int absolute_hours, char *token_out, size_t cap)
{
	char hash[65], csrf[64], mid[24], pid[24], hours[16];
	if (cap < SESSION_TOKEN_LEN + 1 || token_new(token_out, cap) < 0 ||
	    token_new(csrf, sizeof csrf) < 0)
		return -1;
	token_sha256_hex(token_out, hash);
	snprintf(mid, sizeof mid, "%ld", member_id);
	snprintf(pid, sizeof pid, "%ld", portal_id);
	snprintf(hours, sizeof hours, "%d", absolute_hours);
	const char *p[5] = {hash, mid, pid, csrf, hours};
	PGresult *r = db_exec("session_insert", 5, p);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

int session_destroy(const char *token_hash)
{
	const char *p[1] = {token_hash};
	PGresult *r = db_exec("session_delete", 1, p);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

int session_destroy_member(long member_id)
{
	char mid[24];
	snprintf(mid, sizeof mid, "%ld", member_id);
	const char *p[1] = {mid};
	PGresult *r = db_exec("session_delete_member", 1, p);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

int staff_session_load(const char *token, struct staff_session *s)
{
	memset(s, 0, sizeof *s);
	if (!token || !token_well_formed(token))
		return 0;
	token_sha256_hex(token, s->token_hash);
	char idle[16];
	snprintf(idle, sizeof idle, "%d", STAFF_IDLE_MINUTES);
	const char *p[2] = {s->token_hash, idle};
	PGresult *r = db_exec("staff_session_load", 2, p);
	if (!r)
		return -1;
	if (PQntuples(r) == 1) {
		s->user_id = atol(PQgetvalue(r, 0, 0));
		s->is_admin = PQgetvalue(r, 0, 1)[0] == 't';
		copy(s->csrf_secret, sizeof s->csrf_secret, PQgetvalue(r, 0, 2));
		copy(s->email, sizeof s->email, PQgetvalue(r, 0, 3));
		copy(s->name, sizeof s->name, PQgetvalue(r, 0, 4));
		if (PQgetvalue(r, 0, 5)[0] == 't') {
			s->idle_expired = 1;
			PQclear(db_exec("session_delete", 1, p));
		} else {
			s->found = 1;
			if (PQgetvalue(r, 0, 6)[0] == 't')
				PQclear(db_exec("session_touch", 1, p));
		}
	}
	PQclear(r);
	return 0;
}

int staff_session_create(long staff_user_id, int absolute_hours, char *token_out, size_t cap)
{
	char hash[65], csrf[64], uid[24], hours[16];
	if (cap < SESSION_TOKEN_LEN + 1 || token_new(token_out, cap) < 0 ||
	    token_new(csrf, sizeof csrf) < 0)
		return -1;
	token_sha256_hex(token_out, hash);
	snprintf(uid, sizeof uid, "%ld", staff_user_id);
	snprintf(hours, sizeof hours, "%d", absolute_hours);
	const char *p[4] = {hash, uid, csrf, hours};
	PGresult *r = db_exec("staff_session_insert", 4, p);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}
