/* jwt.h - JSON Web Tokens for single sign-on: HS256 or RS256, the algorithm fixed by the caller. */
#ifndef PORTAL_JWT_H
#define PORTAL_JWT_H

#include <stddef.h>

#define JWT_MAX_LEN 8192   /* longer tokens are refused before any parsing */
#define JWT_SKEW_SECONDS 60

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
	char replay_key[160]; /* "jti:<jti>", or "sig:<hex SHA-256 of the signature>" without a jti */
	long exp, iat;
};

/*
 * Verify token (compact JWS: header.payload.signature, base64url without padding) and read
 * its claims. 0 on success with *out filled; -1 with a short English reason for the log and
 * the audit row (e.g. "algorithm none is not RS256", "expired", "iat in the future",
 * "wrong issuer", "email missing", "bad signature") in reason. Never reads the key from the
 * token; "none" and any algorithm other than cfg->alg fail; exp, iat and email are required.
 */
int jwt_verify(const char *token, size_t len, const struct jwt_config *cfg, struct jwt_claims *out,
	       char *reason, size_t cap);

/* 0 when pem is an RSA public key (PEM "PUBLIC KEY" or "RSA PUBLIC KEY", 2048 bits or more),
 * else -1 with a reason for the settings form. */
int jwt_public_key_check(const char *pem, char *reason, size_t cap);

#endif
