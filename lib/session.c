/* session.c - session tokens: hashing, new secrets, idle and touch rules, lookup and insert by statement name. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>

#include "token.h"

enum session_age session_age(double idle_seconds, int timeout_minutes)
{
	if (idle_seconds > timeout_minutes * 60.0)
		return SESSION_IDLE;
	return idle_seconds > SESSION_TOUCH_SECONDS ? SESSION_STALE : SESSION_FRESH;
}

int session_token_hash(const char *token, char hash[65])
{
	if (!token || !token_well_formed(token))
		return 0;
	token_sha256_hex(token, hash);
	return hash[0] != '\0';
}

int session_secrets_new(char *token_out, size_t cap, char hash[65], char csrf_secret[64])
{
	if (cap < SESSION_TOKEN_LEN + 1 || token_new(token_out, cap) < 0 ||
	    token_new(csrf_secret, 64) < 0)
		return -1;
	token_sha256_hex(token_out, hash);
	return hash[0] ? 0 : -1;
}

enum session_found session_find(const char *token, const struct session_stmts *st, const char *extra,
				char hash[65], PGresult **row)
{
	return session_find_with(token, st, NULL, extra ? 1 : 0, &extra, hash, row);
}

enum session_found session_find_with(const char *token, const struct session_stmts *st, const char *load,
				     int n, const char *const *params, char hash[65], PGresult **row)
{
	*row = NULL;
	hash[0] = '\0';
	if (n < 0 || n > 15 || !session_token_hash(token, hash))
		return SESSION_NONE;
	const char *p[16] = {hash}; /* p[0] alone: the touch and drop parameters */
	for (int i = 0; i < n; i++)
		p[1 + i] = params[i];
	PGresult *r = db_exec(load ? load : st->load, 1 + n, p);
	if (!r)
		return SESSION_ERROR;
	if (PQntuples(r) < 1) {
		PQclear(r);
		return SESSION_NONE;
	}
	switch (session_age(strtod(db_col(r, 0, "idle_seconds"), NULL),
			    atoi(db_col(r, 0, "timeout_minutes")))) {
	case SESSION_IDLE:
		PQclear(r);
		db_run(st->drop, 1, p);
		return SESSION_IDLE_EXPIRED;
	case SESSION_STALE:
		db_run(st->touch, 1, p);
		break;
	case SESSION_FRESH:
		break;
	}
	*row = r;
	return SESSION_FOUND;
}

int session_insert(const char *stmt, int n, const char *const *params, char *token_out, size_t cap)
{
	char hash[65], csrf[64];
	const char *p[8] = {hash, csrf};
	if (n < 0 || n > 6 || session_secrets_new(token_out, cap, hash, csrf) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		p[2 + i] = params[i];
	return db_run(stmt, 2 + n, p);
}
