/* jwt_fuzz.c - libFuzzer target: fuzzed tokens through jwt_verify under HS256 and RS256 settings.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"

/*
 * Each input is used twice:
 * 1. As a token, verified under an HS256 and an RS256 configuration. Its private key was thrown
 *    away when the key below was made, so no input may ever pass under RS256.
 * 2. Split at the first NUL into header and payload JSON (no NUL: the header is {"alg":"HS256"}
 *    and the whole input the payload), base64url-encoded and signed here with the HS256 secret,
 *    so that the header and claim checks behind the signature are reached; the same token is
 *    signed with the RS256 public key PEM as HMAC secret and must fail under RS256.
 * 3. As the text of a public key (up to the first NUL) for jwt_public_key_check.
 * Whatever passes must keep the promises of jwt.h; whatever fails must say why.
 */

#define NOW 1700000000L
#define SECRET "fuzz-secret"

static const char rsa_pub[] = "-----BEGIN PUBLIC KEY-----\n"
			      "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsQOD+MgOemQDVZbDjXsr\n"
			      "rgTr4Ot7EOZ2Ap6NJvUmq/OW6fYf4/GnFy/6pmEcTNdh9hnkIC9xr63NKMtQmWif\n"
			      "M2DOHCdUB/Lc2wARBIZMF3jZyoMswIcklZNzkRyD2EaYmlm/ZeTjlZMnfLHQDsd7\n"
			      "kbPrO/AuWhsezF6PX1QZ75Z919lf3r3V11iUdatYusLh5zRHtPXjx/UM7hg4dQ02\n"
			      "4wvHYIqFNUsDrfMi6YfCaTlz8/oaerSRFdbIiLHRf52D54P/AmjEerE5wOuJpezJ\n"
			      "wQwyWm9Pz3tXvmxhax3oKoZ2JoWJskR+a0Uaj/PnqMKtuIAOIwHNvcFEdxLclM7r\n"
			      "+QIDAQAB\n"
			      "-----END PUBLIC KEY-----\n";

/* base64url without padding of n bytes at in, written at out (which needs room for the padded
 * encoding and a NUL); returns the characters written. */
static size_t b64url(char *out, const unsigned char *in, size_t n)
{
	int k = EVP_EncodeBlock((unsigned char *)out, in, (int)n);

	while (k > 0 && out[k - 1] == '=')
		k--;
	for (int i = 0; i < k; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return (size_t)k;
}

static int plausible_email(const char *e)
{
	size_t n = strlen(e);
	const char *at = strchr(e, '@');

	if (n == 0 || n > 254 || !at || strchr(at + 1, '@') || at == e || !at[1])
		return 0;
	for (; *e; e++)
		if ((unsigned char)*e <= 0x20 || *e == 0x7f)
			return 0;
	return 1;
}

/* The promises of jwt.h about one call's result. */
static void check(int rc, const struct jwt_config *cfg, const struct jwt_claims *c,
		  const char *reason)
{
	if (rc == 0) {
		if (reason[0] || !plausible_email(c->email))
			abort();
		if (strncmp(c->replay_key, "jti:", 4) != 0)
			abort();
		if (strlen(c->replay_key) <= 4 || strlen(c->name) >= sizeof c->name)
			abort();
		if (c->exp + cfg->skew < cfg->now || c->iat > cfg->now + cfg->skew ||
		    c->iat < cfg->now - JWT_MAX_AGE ||
		    c->exp > cfg->now + JWT_MAX_LIFETIME)
			abort();
		for (const char *p = c->name; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				abort();
	} else if (rc != -1 || !reason[0] || strlen(reason) >= 128 || c->email[0] ||
		   c->replay_key[0]) {
		abort();
	}
}

static int verify(const char *t, size_t n, const struct jwt_config *cfg)
{
	struct jwt_claims c;
	char reason[128];
	int rc;

	memset(&c, 0x5a, sizeof c); /* must come back cleared or filled */
	memset(reason, 0x5a, sizeof reason);
	rc = jwt_verify(t, n, cfg, &c, reason, sizeof reason);
	check(rc, cfg, &c, reason);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwt_config hs = {JWT_HS256, SECRET, sizeof SECRET - 1, "",
				"",	   NOW,	   JWT_SKEW_SECONDS};
	struct jwt_config rs = {JWT_RS256, rsa_pub, sizeof rsa_pub - 1, "",
				"",	   NOW,	    JWT_SKEW_SECONDS};
	struct jwt_config hs_claims = hs;
	char *tok;
	const unsigned char *nul = memchr(data, '\0', size), *hdr, *pay;
	static const unsigned char default_hdr[] = "{\"alg\":\"HS256\"}";
	size_t hlen, plen, k, sig_at;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (size > 2 * JWT_MAX_LEN)
		return 0;

	/* 1. the input as a token, copied to exactly its size so ASan sees any over-read */
	tok = malloc(size ? size : 1);
	if (!tok)
		abort();
	memcpy(tok, data, size);
	verify(tok, size, &hs);
	if (verify(tok, size, &rs) == 0)
		abort(); /* nobody holds the private key */
	free(tok);

	/* 2. header and payload from the input, signed here */
	if (nul) {
		hdr = data;
		hlen = (size_t)(nul - data);
		pay = nul + 1;
		plen = size - hlen - 1;
	} else {
		hdr = default_hdr;
		hlen = sizeof default_hdr - 1;
		pay = data;
		plen = size;
	}
	tok = malloc((hlen + plen) / 3 * 4 + 64);
	if (!tok)
		abort();
	k = b64url(tok, hdr, hlen);
	tok[k++] = '.';
	k += b64url(tok + k, pay, plen);
	sig_at = k;
	if (!HMAC(EVP_sha256(), SECRET, sizeof SECRET - 1, (unsigned char *)tok, sig_at, md,
		  &mdlen))
		abort();
	tok[k++] = '.';
	k += b64url(tok + k, md, mdlen);
	/* with issuer and audience set, on every other input */
	if (size % 2) {
		hs_claims.issuer = "https://app.example";
		hs_claims.audience = "portal";
	}
	verify(tok, k, &hs_claims);

	/* the key confusion: HMAC under the public key PEM, presented to the RS256 settings */
	if (!HMAC(EVP_sha256(), rsa_pub, sizeof rsa_pub - 1, (unsigned char *)tok, sig_at, md,
		  &mdlen))
		abort();
	k = sig_at;
	tok[k++] = '.';
	k += b64url(tok + k, md, mdlen);
	if (verify(tok, k, &rs) == 0)
		abort();
	free(tok);

	/* 3. the input as a public key PEM: a verdict, and a reason exactly when refused */
	char *pem = malloc(size + 1), why[128];
	if (!pem)
		abort();
	memcpy(pem, data, size);
	pem[size] = '\0';
	memset(why, 0x5a, sizeof why);
	int rc = jwt_public_key_check(pem, why, sizeof why);
	if ((rc != 0 && rc != -1) || !memchr(why, '\0', sizeof why) ||
	    (rc == 0) != (why[0] == '\0'))
		abort();
	free(pem);
	return 0;
}
