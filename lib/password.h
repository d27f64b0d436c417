/* password.h - argon2id password hashes, a dummy verify for unknown accounts, password rules. */
#ifndef PORTAL_PASSWORD_H
#define PORTAL_PASSWORD_H

#include <stddef.h>

/* Room for any encoded hash password_hash() writes (about 100 bytes at the ceilings below). */
#define PASSWORD_HASH_MAX 128

/* Byte length limits of password_rule_violation(); the minimum counts UTF-8 code points. */
#define PASSWORD_MIN_CHARS 8
#define PASSWORD_MAX_BYTES 1024

/*
 * Sanity ceilings on argon2 parameters. password_hash() refuses larger ones, and
 * password_verify() treats a stored hash that asks for more as malformed, so one corrupt row
 * cannot make a worker allocate gigabytes. The configured values (config.h) sit far below.
 */
#define PASSWORD_MAX_T_COST 100
#define PASSWORD_MAX_M_COST_KIB (1024 * 1024) /* 1 GiB */
#define PASSWORD_MAX_PARALLELISM 64

/*
 * Hashes pw with argon2id: 16-byte salt from RAND_bytes, 32-byte hash, written to out as the
 * standard encoded string "$argon2id$v=19$m=M,t=T,p=P$salt$hash" (NUL-terminated).
 * Returns 0, or -1 (bad parameters, cap too small, no randomness, argon2 error) with out ""
 * when cap > 0. Parameters: t_cost >= 1, parallelism >= 1, m_cost_kib >= 8 * parallelism,
 * all within the ceilings above.
 */
int password_hash(const char *pw, int t_cost, int m_cost_kib, int parallelism, char *out,
		  size_t cap);

/*
 * Checks pw against an encoded argon2id hash in constant time (argon2id_verify).
 * Returns 1 on a match, 0 on no match (also when pw is NULL), -1 when encoded is NULL, not an
 * argon2id v=19 string, malformed, beyond the ceilings, or argon2 fails (e.g. out of memory).
 */
int password_verify(const char *encoded, const char *pw);

/*
 * Spends the time of one password_verify() with the given parameters and throws the result
 * away: call it when the email is unknown so that answer takes as long as a wrong password.
 * The dummy encoded hash (fixed salt and hash bytes) is built on first use and cached per
 * parameter set in a static; no argon2 run is spent building it. Not thread-safe (workers
 * serve one request at a time). pw may be NULL.
 */
void password_dummy_verify(const char *pw, int t_cost, int m_cost_kib, int parallelism);

/*
 * Returns 1 when encoded should be replaced by a fresh hash after a successful login: any of
 * m, t, p below the configured value, a salt shorter than 16 or a hash shorter than 32 bytes,
 * or a string that is not "$argon2id$v=19$..." at all. Returns 0 when it is at least as strong
 * as configured (a stronger hash is never downgraded).
 */
int password_needs_rehash(const char *encoded, int t_cost, int m_cost_kib, int parallelism);

/*
 * Checks a new password against the rules and returns NULL when it is acceptable, else the
 * message-catalog key of the first rule broken, in this order:
 *   1. "pw_too_long"         more than PASSWORD_MAX_BYTES bytes (checked first: bounds the rest)
 *   2. "pw_too_short"        fewer than PASSWORD_MIN_CHARS UTF-8 code points (NULL counts as "")
 *   3. "pw_contains_email"   contains the whole email; "ux_pw_contains_email_name" (the message
 *                            says which part matched) contains only the email's local part (text
 *                            before the last '@') when that is at least 3 code points, or any
 *                            piece of the local part split at . _ - + that is at least 3 code
 *                            points ("ada.lovelace+x" gives "ada", "lovelace"); ASCII
 *                            case-insensitive. Skipped when email is NULL or "".
 *   4. "pw_trivial_sequence" 5 or more consecutive ascending or descending letters or digits
 *                            (12345, abcde, 54321, EDCBA), 5 or more of the same character
 *                            (aaaaa, 11111, ééééé), or the whole password one unit of 1-4
 *                            characters repeated (abcabcabc, ab12ab12); case-insensitive.
 *   5. "pw_common"           equal, ignoring ASCII case, to one of ~30 most common passwords.
 * Invalid UTF-8 bytes count as one character each. Temporary copies of pw are wiped.
 */
const char *password_rule_violation(const char *pw, const char *email);

#endif
