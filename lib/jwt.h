/* jwt.h - JSON Web Tokens for single sign-on: HS256 or RS256, the algorithm fixed by the caller. */
#ifndef PORTAL_JWT_H
#define PORTAL_JWT_H

#include <stddef.h>

#define JWT_MAX_LEN 8192   /* longer tokens are refused before any parsing */
#define JWT_SKEW_SECONDS 60
#define JWT_MAX_LIFETIME 86400 /* exp at most this far ahead of now */
#define JWT_MAX_AGE 180 /* iat at most this many seconds before now */

enum jwt_alg { JWT_HS256, JWT_RS256 };

struct jwt_config {
	enum jwt_alg alg;     /* from the portal's settings; the token's "alg" must equal it */
	const char *key;      /* HS256: the shared secret's bytes; RS256: a PEM public key */
	size_t key_len;
	const char *issuer;   /* NULL or "": not checked; else "iss" must equal it */
	const char *audience; /* NULL or "": not checked; else "aud" (string or array) must hold it */
	long now;             /* seconds since the epoch (time(NULL); tests set it) */
	int skew;             /* seconds of clock skew allowed on exp and iat */
};

struct jwt_claims {
	char email[256];      /* required, a plausible address (one '@', no spaces or controls) */
	char name[256];       /* "name" when present, else "" */
	char replay_key[160]; /* "jti:<jti>" */
	long exp, iat;
};

/*
 * Verify token (compact JWS: header.payload.signature, base64url without padding) and read
 * its claims. 0 on success with *out filled; -1 with *out zeroed and a short English reason for
 * the log and the audit row in reason (ASCII, no token bytes beyond a short alphanumeric alg
 * name): "token missing", "token too long", "malformed token" (segments, base64url),
 * "malformed header" / "malformed payload" (not a JSON object, bad UTF-8, a duplicated key),
 * "algorithm none is not HS256", "algorithm missing", "typ is not JWT", "crit header not
 * supported", "HS256 secret not set", "RS256 public key unusable: ...", "bad signature",
 * "exp missing", "expired", "exp too far in the future", "iat missing", "iat in the future",
 * "iat too old" (more than JWT_MAX_AGE seconds), "not yet valid" (nbf),
 * "issuer missing", "wrong issuer", "audience missing", "wrong audience", "email missing",
 * "email not an address", "jti missing", "jti not a short string". Never reads a key or an algorithm from the
 * token ("jku", "jwk", "x5u", "x5c", "kid" are ignored); "none" and any algorithm other than
 * cfg->alg fail; the signature is checked before the payload is parsed; exp, iat, email and jti are
 * required. The RS256 PEM is parsed on each call (cheap; no state kept between calls).
 */
int jwt_verify(const char *token, size_t len, const struct jwt_config *cfg, struct jwt_claims *out,
	       char *reason, size_t cap);

/* 0 when pem is an RSA public key (PEM "PUBLIC KEY" or "RSA PUBLIC KEY", 2048 bits or more),
 * else -1 with a reason for the settings form. */
int jwt_public_key_check(const char *pem, char *reason, size_t cap);

#endif
