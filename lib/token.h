/* token.h - random tokens, SHA-256/HMAC hex digests, constant-time comparison and CSRF tokens. */
#ifndef PORTAL_TOKEN_H
#define PORTAL_TOKEN_H

#include <stddef.h>

#define TOKEN_LEN 43	 /* base64url, no padding, of 32 random bytes */
#define TOKEN_HEX_LEN 64 /* SHA-256 / HMAC-SHA-256 as lowercase hex; buffers need 65 */

/*
 * Writes a fresh 256-bit token from RAND_bytes as base64url without padding (TOKEN_LEN chars
 * and a NUL) to out. Returns 0, or -1 (cap < TOKEN_LEN + 1, no randomness) with out "" when
 * cap > 0. The token goes to the user; the database stores only token_sha256_hex() of it.
 */
int token_new(char *out, size_t cap);

/* Lowercase hex SHA-256 of the string s (NULL hashes as ""). out is "" if OpenSSL fails. */
void token_sha256_hex(const char *s, char out[TOKEN_HEX_LEN + 1]);

/* Lowercase hex HMAC-SHA-256 of msg under key. out is "" if OpenSSL fails. */
void hmac_sha256_hex(const char *key, size_t keylen, const char *msg, size_t msglen,
		     char out[TOKEN_HEX_LEN + 1]);

/*
 * 1 when the NUL-terminated strings a and b are equal, else 0 (also when either is NULL).
 * The time depends only on the two lengths, never on where the contents differ.
 */
int token_equal(const char *a, const char *b);

/* 1 when s is exactly TOKEN_LEN base64url characters (A-Z a-z 0-9 - _), else 0. */
int token_well_formed(const char *s);

/*
 * CSRF token of a session: hex HMAC-SHA-256 under secret_key (the configured hex string,
 * used as its bytes) of "csrf:" followed by the session's own random CSRF secret. Anonymous
 * forms need a (pre-login) session too: with a NULL or empty session secret or key, out is ""
 * and csrf_check() answers 0.
 */
void csrf_token(const char *secret_key, const char *session_csrf_secret,
		char out[TOKEN_HEX_LEN + 1]);

/* 1 when submitted equals csrf_token(secret_key, session_csrf_secret) (token_equal), else 0. */
int csrf_check(const char *secret_key, const char *session_csrf_secret, const char *submitted);

#endif
