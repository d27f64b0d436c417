/* password.c - argon2id password hashes, a dummy verify for unknown accounts, password rules. */
#include "password.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "str.h"

#define SALT_LEN 16
#define HASH_LEN 32
#define SALT_B64_LEN 22 /* base64 without padding of SALT_LEN bytes */
#define HASH_B64_LEN 43 /* ... of HASH_LEN bytes */

/* "portal-dummy-slt" and "portal dummy hash; never matches" in argon2's base64. */
#define DUMMY_SALT_B64 "cG9ydGFsLWR1bW15LXNsdA"
#define DUMMY_HASH_B64 "cG9ydGFsIGR1bW15IGhhc2g7IG5ldmVyIG1hdGNoZXM"

struct encoded_params {
	unsigned long m, t, p;
	size_t salt_b64, hash_b64; /* lengths of the two base64 fields */
};

static int params_ok(int t_cost, int m_cost_kib, int parallelism)
{
	return t_cost >= 1 && t_cost <= PASSWORD_MAX_T_COST && parallelism >= 1 &&
	       parallelism <= PASSWORD_MAX_PARALLELISM && m_cost_kib >= 8 * parallelism &&
	       m_cost_kib <= PASSWORD_MAX_M_COST_KIB;
}

/* Reads "KEY=digits" at *s (KEY a single letter), at most max; advances *s. */
static int parse_num(const char **s, char key, unsigned long max, unsigned long *out)
{
	const char *p = *s;
	if (p[0] != key || p[1] != '=')
		return -1;
	p += 2;
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return -1; /* no digits, or a leading zero */
	unsigned long v = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	*s = p;
	return 0;
}

/*
 * Strict parse of "$argon2id$v=19$m=M,t=T,p=P$salt$hash", the only shape password_hash writes.
 * Numbers beyond the ceilings are refused. Returns 0 or -1.
 */
static int parse_encoded(const char *s, struct encoded_params *ep)
{
	static const char prefix[] = "$argon2id$v=19$";
	if (!s || strncmp(s, prefix, sizeof(prefix) - 1) != 0)
		return -1;
	s += sizeof(prefix) - 1;
	if (parse_num(&s, 'm', PASSWORD_MAX_M_COST_KIB, &ep->m) < 0 || *s++ != ',' ||
	    parse_num(&s, 't', PASSWORD_MAX_T_COST, &ep->t) < 0 || *s++ != ',' ||
	    parse_num(&s, 'p', PASSWORD_MAX_PARALLELISM, &ep->p) < 0 || *s++ != '$')
		return -1;
	ep->salt_b64 = base64_span(s, 0);
	s += ep->salt_b64;
	if (*s++ != '$')
		return -1;
	ep->hash_b64 = base64_span(s, 0);
	if (s[ep->hash_b64] != '\0' || ep->salt_b64 == 0 || ep->hash_b64 == 0)
		return -1;
	if (ep->t < 1 || ep->p < 1 || ep->m < 8 * ep->p)
		return -1;
	return 0;
}

int password_hash(const char *pw, int t_cost, int m_cost_kib, int parallelism, char *out,
		  size_t cap)
{
	unsigned char salt[SALT_LEN];

	if (out && cap > 0)
		out[0] = '\0';
	if (!pw || !out || !params_ok(t_cost, m_cost_kib, parallelism))
		return -1;
	if (cap < argon2_encodedlen((uint32_t)t_cost, (uint32_t)m_cost_kib, (uint32_t)parallelism,
				    SALT_LEN, HASH_LEN, Argon2_id))
		return -1;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -1;
	int rc =
	    argon2id_hash_encoded((uint32_t)t_cost, (uint32_t)m_cost_kib, (uint32_t)parallelism, pw,
				  strlen(pw), salt, sizeof(salt), HASH_LEN, out, cap);
	if (rc != ARGON2_OK) {
		OPENSSL_cleanse(out, cap);
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int password_verify(const char *encoded, const char *pw)
{
	struct encoded_params ep;

	if (parse_encoded(encoded, &ep) < 0)
		return -1;
	if (!pw)
		return 0;
	int rc = argon2id_verify(encoded, pw, strlen(pw));
	if (rc == ARGON2_OK)
		return 1;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return 0;
	return -1;
}

void password_dummy_verify(const char *pw, int t_cost, int m_cost_kib, int parallelism)
{
	static char dummy[PASSWORD_HASH_MAX];
	static int dummy_t, dummy_m, dummy_p;

	if (!params_ok(t_cost, m_cost_kib, parallelism))
		return; /* password_hash would refuse these too: no real hash can exist */
	if (!dummy[0] || dummy_t != t_cost || dummy_m != m_cost_kib || dummy_p != parallelism) {
		snprintf(dummy, sizeof(dummy), "$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m_cost_kib,
			 t_cost, parallelism, DUMMY_SALT_B64, DUMMY_HASH_B64);
		dummy_t = t_cost;
		dummy_m = m_cost_kib;
		dummy_p = parallelism;
	}
	if (!pw)
		pw = "";
	(void)argon2id_verify(dummy, pw, strlen(pw));
}

int password_needs_rehash(const char *encoded, int t_cost, int m_cost_kib, int parallelism)
{
	struct encoded_params ep;

	if (parse_encoded(encoded, &ep) < 0)
		return 1;
	if (ep.m < (unsigned long)(m_cost_kib > 0 ? m_cost_kib : 0) ||
	    ep.t < (unsigned long)(t_cost > 0 ? t_cost : 0) ||
	    ep.p < (unsigned long)(parallelism > 0 ? parallelism : 0))
		return 1;
	return ep.salt_b64 < SALT_B64_LEN || ep.hash_b64 < HASH_B64_LEN;
}

/* ---- rules ---- */

/* clang-format off */
static const char *const common_passwords[] = {
	"password",    "password1",   "password12",  "password123", "passw0rd",    "p@ssw0rd",
	"qwertyuiop",  "qwerty123",   "qwerty12",    "1q2w3e4r",    "1qaz2wsx",    "zaq12wsx",
	"iloveyou",    "letmein1",    "letmein123",  "welcome1",    "welcome123",  "admin123",
	"11111111",    "12345678",    "123456789",   "1234567890",  "87654321",    "abc12345",
	"football",    "baseball",    "sunshine",    "princess",    "superman",    "trustno1",
	"starwars",    "whatever",    "changeme",
};
/* clang-format on */

static int ascii_alnum(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
}

/* Code points of s (n bytes) with ASCII lowered; an invalid byte becomes 0xDC00 + byte. */
static size_t utf8_decode_lower(const char *s, size_t n, uint32_t *cp)
{
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		long c;
		size_t len = utf8_next(s + i, n - i, &c);
		if (c < 0)
			c = 0xDC00 + (unsigned char)s[i];
		else if (len == 1)
			c = ascii_lower((char)c);
		cp[k++] = (uint32_t)c;
		i += len;
	}
	return k;
}

/* Does lowered hay (n bytes) contain needle (m bytes), ASCII case-insensitively? */
static int contains_ci(const char *hay, size_t n, const char *needle, size_t m)
{
	if (m == 0 || m > n)
		return 0;
	for (size_t i = 0; i + m <= n; i++) {
		size_t j = 0;
		while (j < m && hay[i + j] == ascii_lower(needle[j]))
			j++;
		if (j == m)
			return 1;
	}
	return 0;
}

static int is_local_sep(char c)
{
	return c == '.' || c == '_' || c == '-' || c == '+';
}

/* 1 when the password holds the whole email address, 2 when only its local part or a piece of
 * it (what the message then names), else 0. */
static int has_email(const char *lower, size_t n, const char *email)
{
	if (!email || !email[0])
		return 0;
	if (contains_ci(lower, n, email, strlen(email)))
		return 1;
	const char *at = strrchr(email, '@');
	size_t local = at ? (size_t)(at - email) : strlen(email);
	if (utf8_count(email, local) >= 3 && contains_ci(lower, n, email, local))
		return 2;
	for (size_t i = 0; i < local;) { /* pieces of the local part */
		size_t j = i;
		while (j < local && !is_local_sep(email[j]))
			j++;
		if (utf8_count(email + i, j - i) >= 3 && contains_ci(lower, n, email + i, j - i))
			return 2;
		i = j + 1;
	}
	return 0;
}

static int is_trivial(const uint32_t *cp, size_t n)
{
	size_t up = 1, down = 1, same = 1;
	for (size_t i = 1; i < n; i++) {
		int seq = ascii_alnum(cp[i]) && ascii_alnum(cp[i - 1]);
		up = seq && cp[i] == cp[i - 1] + 1 ? up + 1 : 1;
		down = seq && cp[i] + 1 == cp[i - 1] ? down + 1 : 1;
		same = cp[i] == cp[i - 1] ? same + 1 : 1;
		if (up >= 5 || down >= 5 || same >= 5)
			return 1;
	}
	for (size_t k = 1; k <= 4 && 2 * k <= n; k++) { /* one short unit repeated throughout */
		if (n % k)
			continue;
		size_t i = k;
		while (i < n && cp[i] == cp[i - k])
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

const char *password_rule_violation(const char *pw, const char *email)
{
	char lower[PASSWORD_MAX_BYTES + 1];
	uint32_t cp[PASSWORD_MAX_BYTES];
	const char *why = NULL;

	if (!pw)
		pw = "";
	size_t n = strlen(pw);
	if (n > PASSWORD_MAX_BYTES)
		return "pw_too_long";
	if (utf8_count(pw, n) < PASSWORD_MIN_CHARS)
		return "pw_too_short";

	for (size_t i = 0; i < n; i++)
		lower[i] = ascii_lower(pw[i]);
	lower[n] = '\0';
	size_t ncp = utf8_decode_lower(pw, n, cp);

	int in_email = has_email(lower, n, email);
	if (in_email) {
		why = in_email == 1 ? "pw_contains_email" : "ux_pw_contains_email_name";
	} else if (is_trivial(cp, ncp)) {
		why = "pw_trivial_sequence";
	} else {
		size_t ncommon = sizeof(common_passwords) / sizeof(common_passwords[0]);
		for (size_t i = 0; i < ncommon; i++) {
			if (strcmp(lower, common_passwords[i]) == 0) {
				why = "pw_common";
				break;
			}
		}
	}
	OPENSSL_cleanse(lower, n + 1);
	OPENSSL_cleanse(cp, ncp * sizeof(cp[0]));
	return why;
}
