/* session.h - session tokens and their expiry: only the token's SHA-256 is stored; idle and absolute expiry. */
#ifndef PORTAL_SESSION_H
#define PORTAL_SESSION_H

#include <stddef.h>

#include "db.h"

/*
 * The mechanism: a cookie carries a random token (token.h), the database row only its SHA-256 and
 * the session's own CSRF secret; a session idle past its timeout is deleted when next seen, and
 * last_seen_at is written at most once a SESSION_TOUCH_SECONDS. Which tables hold the sessions
 * and what a session row says is the product's: fcgi/sessions.c, whose statements follow the
 * contract of session_find() and session_insert().
 */
#define SESSION_TOKEN_LEN 43      /* base64url of 256 random bits */
#define SESSION_TOUCH_SECONDS 60  /* last_seen_at is written when older than this */

/* What a session last seen idle_seconds ago is, under an idle timeout of timeout_minutes. */
enum session_age {
	SESSION_FRESH, /* in use, seen lately */
	SESSION_STALE, /* in use; last_seen_at is due to be written */
	SESSION_IDLE,  /* idle past the timeout: to be deleted */
};
enum session_age session_age(double idle_seconds, int timeout_minutes);

/* The stored hash of a cookie's token: 1 with hash set when token is well formed (TOKEN_LEN
 * base64url characters), else 0. */
int session_token_hash(const char *token, char hash[65]);
/* Secrets of a new session: a token for the cookie (cap >= SESSION_TOKEN_LEN + 1), its hash for
 * the row, and a CSRF secret. 0, or -1 (no randomness, cap too small). */
int session_secrets_new(char *token_out, size_t cap, char hash[65], char csrf_secret[64]);

/* The statements of one kind of session (names of prepared statements). */
struct session_stmts {
	const char *load;  /* $1 the token's hash (then extra): at most one live row, with the columns
			      idle_seconds and timeout_minutes beside its own */
	const char *touch; /* $1 the hash: last_seen_at = now() */
	const char *drop;  /* $1 the hash: delete the session */
};

enum session_found { SESSION_ERROR = -1, SESSION_NONE, SESSION_FOUND, SESSION_IDLE_EXPIRED };
/*
 * Looks a cookie's token up with st->load (parameters: the hash, then extra unless NULL). An idle
 * session is deleted (SESSION_IDLE_EXPIRED), a stale one touched. SESSION_FOUND hands the row to
 * the caller in *row (PQclear it); hash holds the token's hash unless SESSION_NONE came from a
 * malformed token.
 */
enum session_found session_find(const char *token, const struct session_stmts *st, const char *extra,
				char hash[65], PGresult **row);
/* session_find with another load statement (NULL: st->load) and parameters: $1 the hash, then
 * params[0..n) (n <= 15). The first row is the session's; more may follow (a page read in the same
 * statement as its session, fcgi/app.h's fold), all handed over in *row. */
enum session_found session_find_with(const char *token, const struct session_stmts *st, const char *load,
				     int n, const char *const *params, char hash[65], PGresult **row);
/*
 * A new session: stmt runs with $1 the new token's hash, $2 a fresh CSRF secret, then params[0..n)
 * (n <= 6); token_out gets the cookie value (cap >= SESSION_TOKEN_LEN + 1). 0 or -1.
 */
int session_insert(const char *stmt, int n, const char *const *params, char *token_out, size_t cap);

#endif
