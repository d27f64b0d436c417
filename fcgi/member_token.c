/* member_token.c - single-use links sent by email (verify, reset, login, invite): issue and take. */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>

#include "token.h"

const struct db_stmt member_token_stmts[] = {
	{"member_token_insert",
	 "INSERT INTO member_tokens (token_sha256, member_id, purpose, expires_at)"
	 " VALUES ($1, $2, $3, now() + $4::interval)",
	 4},
	{"member_token_take",
	 "UPDATE member_tokens SET used_at = now()"
	 " WHERE token_sha256 = $1 AND purpose = ANY (string_to_array($2, ','))"
	 " AND used_at IS NULL AND expires_at > now()"
	 " AND member_id IN (SELECT id FROM members WHERE portal_id = $3) RETURNING member_id",
	 3},
	{"member_token_check",
	 "SELECT member_id, purpose FROM member_tokens"
	 " WHERE token_sha256 = $1 AND purpose = ANY (string_to_array($2, ','))"
	 " AND used_at IS NULL AND expires_at > now()"
	 " AND member_id IN (SELECT id FROM members WHERE portal_id = $3)",
	 3},
	/* A link proved the mailbox: the login is verified, and a password it held while unverified
	 * (chosen by whoever filled in a form, not necessarily the owner) is dropped. */
	{"member_verify",
	 "UPDATE members SET password_hash = CASE WHEN verified_at IS NULL THEN NULL ELSE password_hash END,"
	 " verified_at = coalesce(verified_at, now()) WHERE id = $1",
	 1},
	/* the same for a contact whose member of the portal is made when missing */
	{"member_verified",
	 "INSERT INTO members (portal_id, contact_id, verified_at) VALUES ($1, $2, now())"
	 " ON CONFLICT (portal_id, contact_id) DO UPDATE SET"
	 " password_hash = CASE WHEN members.verified_at IS NULL THEN NULL ELSE members.password_hash END,"
	 " verified_at = coalesce(members.verified_at, now()) RETURNING id",
	 2},
	{NULL, NULL, 0},
};

int member_token_issue(long member_id, const char *purpose, const char *ttl, char *token_out, size_t cap)
{
	char hash[65], mid[24];
	if (token_new(token_out, cap) < 0)
		return -1;
	token_sha256_hex(token_out, hash);
	snprintf(mid, sizeof mid, "%ld", member_id);
	const char *p[4] = {hash, mid, purpose, ttl};
	PGresult *r = db_exec("member_token_insert", 4, p);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

long member_token_take(long portal_id, const char *token, const char *purposes, int consume)
{
	char hash[65], out[24], pid[24];
	if (!consume)
		return member_token_peek(portal_id, token, purposes, NULL, 0);
	if (!token || !token_well_formed(token))
		return 0;
	token_sha256_hex(token, hash);
	snprintf(pid, sizeof pid, "%ld", portal_id);
	const char *p[3] = {hash, purposes, pid};
	int got = db_exec_value("member_token_take", 3, p, out, sizeof out);
	if (got < 0)
		return -1;
	return got ? atol(out) : 0;
}

int member_verify(long member_id)
{
	char mid[24];
	snprintf(mid, sizeof mid, "%ld", member_id);
	const char *p[1] = {mid};
	PGresult *r = db_exec("member_verify", 1, p);
	PQclear(r);
	return r ? 0 : -1;
}

long member_verified(long portal_id, long contact_id)
{
	char pid[24], cid[24], out[24];
	snprintf(pid, sizeof pid, "%ld", portal_id);
	snprintf(cid, sizeof cid, "%ld", contact_id);
	const char *p[2] = {pid, cid};
	int got = db_exec_value("member_verified", 2, p, out, sizeof out);
	return got == 1 ? atol(out) : -1;
}

long member_token_peek(long portal_id, const char *token, const char *purposes, char *purpose_out, size_t cap)
{
	char hash[65], pid[24];
	if (cap)
		purpose_out[0] = '\0';
	if (!token || !token_well_formed(token))
		return 0;
	token_sha256_hex(token, hash);
	snprintf(pid, sizeof pid, "%ld", portal_id);
	const char *p[3] = {hash, purposes, pid};
	PGresult *r = db_exec("member_token_check", 3, p);
	if (!r)
		return -1;
	long mid = 0;
	if (PQntuples(r) == 1) {
		mid = atol(PQgetvalue(r, 0, 0));
		if (cap)
			snprintf(purpose_out, cap, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return mid;
}
