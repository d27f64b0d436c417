/* jwt_test.c - unit tests of JWT verification (HS256, RS256) and of the RS256 public key check. */
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "jwt.h"

/* Tokens are made here, with OpenSSL: HMAC for HS256, a key generated per run for RS256. */

#define NOW 1700000000L
#define SECRET "a shared secret of the customer's app"
#define TOK_MAX (2 * JWT_MAX_LEN)

static EVP_PKEY *rsa_key, *rsa_other;
static char rsa_pub[4096], rsa_pub_pkcs1[4096];

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Appends base64url without padding of n bytes to the string out. */
static void b64url_cat(char *out, const void *in, size_t n)
{
	const unsigned char *p = in;
	char *o = out + strlen(out);
	size_t i = 0;

	for (; i + 3 <= n; i += 3) {
		unsigned long v =
		    (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 | p[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = b64[v >> 6 & 63];
		*o++ = b64[v & 63];
	}
	if (n - i) {
		unsigned long v =
		    (unsigned long)p[i] << 16 | (n - i == 2 ? (unsigned long)p[i + 1] << 8 : 0);
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		if (n - i == 2)
			*o++ = b64[v >> 6 & 63];
	}
	*o = '\0';
}

/* out = b64(header) "." b64(payload): the signing input. */
static void signing_input(char *out, const char *header, const char *payload)
{
	out[0] = '\0';
	b64url_cat(out, header, strlen(header));
	strcat(out, ".");
	b64url_cat(out, payload, strlen(payload));
}

/* A token signed by HMAC-SHA-256 under key (whatever its header says). */
static const char *tok_hmac(char *out, const char *header, const char *payload, const char *key,
			    size_t keylen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	signing_input(out, header, payload);
	HMAC(EVP_sha256(), key, (int)keylen, (unsigned char *)out, strlen(out), md, &mdlen);
	strcat(out, ".");
	b64url_cat(out, md, mdlen);
	return out;
}

static const char *tok_hs(char *out, const char *header, const char *payload)
{
	return tok_hmac(out, header, payload, SECRET, strlen(SECRET));
}

/* A token signed RSASSA-PKCS1-v1_5 SHA-256 under key. */
static const char *tok_rsa(char *out, const char *header, const char *payload, EVP_PKEY *key)
{
	unsigned char sig[1024];
	size_t siglen = sizeof sig;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	signing_input(out, header, payload);
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (unsigned char *)out, strlen(out)) != 1)
		siglen = 0;
	EVP_MD_CTX_free(md);
	strcat(out, ".");
	b64url_cat(out, sig, siglen);
	return out;
}

static const char *tok_rs(char *out, const char *header, const char *payload)
{
	return tok_rsa(out, header, payload, rsa_key);
}

/* Claims of a good token without its jti: issued 10 s ago, valid 5 minutes, extra members appended.
 */
static const char *claims_no_jti(char *out, size_t cap, const char *extra)
{
	snprintf(
	    out, cap,
	    "{\"email\":\"ada@example.com\",\"name\":\"Ada Lovelace\",\"exp\":%ld,\"iat\":%ld%s}",
	    NOW + 300, NOW - 10, extra);
	return out;
}

/* The same with "jti":"base-jti". */
static const char *claims(char *out, size_t cap, const char *extra)
{
	char more[512];
	snprintf(more, sizeof more, ",\"jti\":\"base-jti\"%s", extra);
	return claims_no_jti(out, cap, more);
}

static const char HS[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
static const char RS[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";

static struct jwt_config cfg_hs(void)
{
	struct jwt_config c = {JWT_HS256, SECRET, strlen(SECRET),  NULL,
			       NULL,	  NOW,	  JWT_SKEW_SECONDS};
	return c;
}

static struct jwt_config cfg_rs(void)
{
	struct jwt_config c = {JWT_RS256, rsa_pub, strlen(rsa_pub), NULL,
			       NULL,	  NOW,	   JWT_SKEW_SECONDS};
	return c;
}

static char reason[128];
static struct jwt_claims cl;

static int verify(const char *t, const struct jwt_config *c)
{
	return jwt_verify(t, strlen(t), c, &cl, reason, sizeof reason);
}

/* HS256 token with these claims (alone, not appended) under the HS256 config; a payload
 * object without a "jti" gets "jti":"p-1" as its first member (test_jti_required tests its
 * absence). */
static int verify_hs_payload(const char *payload, const struct jwt_config *c)
{
	char t[TOK_MAX], p[TOK_MAX];
	if (payload[0] == '{' && !strstr(payload, "\"jti\"")) {
		snprintf(p, sizeof p, "{\"jti\":\"p-1\"%s%s", payload[1] == '}' ? "" : ",",
			 payload + 1);
		payload = p;
	}
	return verify(tok_hs(t, HS, payload), c);
}

/* printf into out (cap bytes); returns out. */
static char *fmt(char *out, size_t cap, const char *f, ...) __attribute__((format(printf, 3, 4)));
static char *fmt(char *out, size_t cap, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(out, cap, f, ap);
	va_end(ap);
	return out;
}

/* The start of most payloads below, and the whole one of most date checks. */
#define EMAIL_AB "{\"email\":\"a@b.example\","
#define EXP_IAT EMAIL_AB "\"exp\":%ld,\"iat\":%ld}"

/* verify_hs_payload of a payload made by printf. */
static int verify_hs_fmt(const struct jwt_config *c, const char *f, ...)
    __attribute__((format(printf, 2, 3)));
static int verify_hs_fmt(const struct jwt_config *c, const char *f, ...)
{
	char p[1024];
	va_list ap;

	va_start(ap, f);
	vsnprintf(p, sizeof p, f, ap);
	va_end(ap);
	return verify_hs_payload(p, c);
}

/* rc and reason say the token was refused for want (two checks). */
static void refused(int rc, const char *want)
{
	CHECK_INT(rc, -1);
	CHECK_STR(reason, want);
}

/* rc and cl say the good claims (claims()) were accepted (four checks). */
static void accepted(int rc)
{
	CHECK_INT(rc, 0);
	CHECK_STR(reason, "");
	CHECK_STR(cl.email, "ada@example.com");
	CHECK_STR(cl.name, "Ada Lovelace");
}

/* Texts an HS256 token is made of, each with the reason it is refused for under a config. */
struct refusal {
	const char *text, *reason;
};

/* Where a refusal's text goes: the header (over the good claims), the payload (under the HS256
 * header), or more members appended to the good claims (claims()). */
enum place { HEADER, PAYLOAD, MORE_CLAIMS };

static void check_refusals(const struct jwt_config *c, enum place where, const struct refusal *r,
			   size_t n)
{
	char t[TOK_MAX], p[512];

	for (size_t i = 0; i < n; i++) {
		claims(p, sizeof p, where == MORE_CLAIMS ? r[i].text : "");
		tok_hs(t, where == HEADER ? r[i].text : HS, where == PAYLOAD ? r[i].text : p);
		refused(verify(t, c), r[i].reason);
	}
}
#define CHECK_REFUSALS(c, where, r) check_refusals(c, where, r, sizeof r / sizeof r[0])

static void test_valid_hs256(void)
{
	char t[TOK_MAX], p[512];
	struct jwt_config c = cfg_hs();

	accepted(verify(tok_hs(t, HS, claims(p, sizeof p, "")), &c));
	CHECK_INT(cl.exp, NOW + 300);
	CHECK_INT(cl.iat, NOW - 10);
	CHECK_STR(cl.replay_key, "jti:base-jti");
	/* no typ at all is fine too; so is "jwt" in lower case */
	CHECK_INT(verify(tok_hs(t, "{\"alg\":\"HS256\"}", p), &c), 0);
	CHECK_INT(verify(tok_hs(t, "{\"typ\":\"jwt\",\"alg\":\"HS256\"}", p), &c), 0);
}

static void test_valid_rs256(void)
{
	char t[TOK_MAX], p[512];
	struct jwt_config c = cfg_rs();

	accepted(verify(tok_rs(t, RS, claims(p, sizeof p, "")), &c));
}

static void test_valid_rs256_pkcs1_key(void)
{
	char t[TOK_MAX], p[512];
	struct jwt_config c = cfg_rs();

	c.key = rsa_pub_pkcs1;
	c.key_len = strlen(rsa_pub_pkcs1);
	CHECK(strstr(rsa_pub_pkcs1, "BEGIN RSA PUBLIC KEY") != NULL);
	CHECK_INT(verify(tok_rs(t, RS, claims(p, sizeof p, "")), &c), 0);
	CHECK_STR(cl.email, "ada@example.com");
}

static void test_rs256_other_key_refused(void)
{
	char t[TOK_MAX], p[512];
	struct jwt_config c = cfg_rs();

	refused(verify(tok_rsa(t, RS, claims(p, sizeof p, ""), rsa_other), &c), "bad signature");
	CHECK_STR(cl.email, "");
}

static void test_hs256_other_secret_refused(void)
{
	char t[TOK_MAX], p[512];
	struct jwt_config c = cfg_hs();

	refused(verify(tok_hmac(t, HS, claims(p, sizeof p, ""), "other", 5), &c), "bad signature");
	CHECK_STR(cl.email, "");
}

static void test_alg_none_refused(void)
{
	char t[TOK_MAX], p[512];
	struct jwt_config hs = cfg_hs(), rs = cfg_rs();

	/* header.payload. with an empty signature, as "none" tokens are sent */
	signing_input(t, "{\"alg\":\"none\",\"typ\":\"JWT\"}", claims(p, sizeof p, ""));
	strcat(t, ".");
	refused(verify(t, &hs), "algorithm none is not HS256");
	refused(verify(t, &rs), "algorithm none is not RS256");
	signing_input(t, "{\"alg\":\"None\"}", p);
	strcat(t, ".");
	refused(verify(t, &hs), "algorithm None is not HS256");
	CHECK_STR(cl.email, "");
}

static void test_hs256_signed_with_public_key_refused(void)
{
	char t[TOK_MAX], p[512];
	struct jwt_config c = cfg_rs();

	/* the classic key confusion: the public PEM used as an HMAC secret */
	tok_hmac(t, HS, claims(p, sizeof p, ""), rsa_pub, strlen(rsa_pub));
	refused(verify(t, &c), "algorithm HS256 is not RS256");
	tok_hmac(t, RS, p, rsa_pub, strlen(rsa_pub));
	refused(verify(t, &c), "bad signature");
}

static void test_rs256_token_when_hs256_refused(void)
{
	char t[TOK_MAX], p[512];
	struct jwt_config c = cfg_hs();

	refused(verify(tok_rs(t, RS, claims(p, sizeof p, "")), &c), "algorithm RS256 is not HS256");
}

/* Other algorithms, another typ, crit: the header alone refuses the token. */
static void test_header_refused(void)
{
	static const struct refusal headers[] = {
	    {"{\"alg\":\"HS512\"}", "algorithm HS512 is not HS256"},
	    {"{\"alg\":\"hs256\"}", "algorithm hs256 is not HS256"},
	    {"{\"alg\":\"HS256 \"}", "algorithm is not HS256"},
	    {"{\"alg\":\"HS256\\u0000\"}", "algorithm is not HS256"},
	    {"{\"typ\":\"JWT\"}", "algorithm missing"},
	    {"{\"alg\":[\"HS256\"]}", "algorithm not a string"},
	    /* typ other than JWT */
	    {"{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", "typ is not JWT"},
	    {"{\"alg\":\"HS256\",\"typ\":1}", "typ is not JWT"},
	    /* crit */
	    {"{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}", "crit header not supported"},
	};
	struct jwt_config c = cfg_hs();

	CHECK_REFUSALS(&c, HEADER, headers);
}

static void test_header_keys_ignored(void)
{
	char t[TOK_MAX], p[512], h[512];
	struct jwt_config c = cfg_rs();

	/* a token signed by another key that names that key in jwk/jku/kid still fails... */
	snprintf(h, sizeof h,
		 "{\"alg\":\"RS256\",\"kid\":\"k1\",\"jku\":\"https://evil.example/jwks\","
		 "\"x5u\":\"https://evil.example/"
		 "c\",\"jwk\":{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}}");
	refused(verify(tok_rsa(t, h, claims(p, sizeof p, ""), rsa_other), &c), "bad signature");
	/* ...and one signed by the configured key passes whatever they say */
	CHECK_INT(verify(tok_rs(t, h, p), &c), 0);
}

static void test_expired_refused(void)
{
	struct jwt_config c = cfg_hs();

	refused(verify_hs_fmt(&c, EXP_IAT, NOW - 61, NOW - 600), "expired");
	CHECK_STR(cl.email, "");
}

static void test_exp_far_ahead_refused(void)
{
	struct jwt_config c = cfg_hs();

	CHECK_INT(verify_hs_fmt(&c, EXP_IAT, NOW + JWT_MAX_LIFETIME, NOW), 0);
	refused(verify_hs_fmt(&c, EXP_IAT, NOW + JWT_MAX_LIFETIME + 1, NOW),
		"exp too far in the future");
	/* exp in milliseconds */
	CHECK_INT(verify_hs_fmt(&c, EMAIL_AB "\"exp\":%ld000,\"iat\":%ld}", NOW + 60, NOW), -1);
}

static void test_exp_within_skew_accepted(void)
{
	char p[512];
	struct jwt_config c = cfg_hs();

	fmt(p, sizeof p, EXP_IAT, NOW - 60, NOW - 120);
	CHECK_INT(verify_hs_payload(p, &c), 0);
	CHECK_INT(cl.exp, NOW - 60);
	c.skew = 0;
	refused(verify_hs_payload(p, &c), "expired");
}

static void test_future_iat_refused(void)
{
	struct jwt_config c = cfg_hs();

	refused(verify_hs_fmt(&c, EXP_IAT, NOW + 900, NOW + 61), "iat in the future");
	CHECK_INT(verify_hs_fmt(&c, EXP_IAT, NOW + 900, NOW + 60), 0);
}

static void test_nbf_checked(void)
{
	struct jwt_config c = cfg_hs();

	refused(verify_hs_fmt(&c, EMAIL_AB "\"exp\":%ld,\"iat\":%ld,\"nbf\":%ld}", NOW + 900, NOW,
			      NOW + 61),
		"not yet valid");
	CHECK_INT(verify_hs_fmt(&c, EMAIL_AB "\"exp\":%ld,\"iat\":%ld,\"nbf\":%ld}", NOW + 900, NOW,
				NOW + 60),
		  0);
	refused(
	    verify_hs_fmt(&c, EMAIL_AB "\"exp\":%ld,\"iat\":%ld,\"nbf\":\"soon\"}", NOW + 900, NOW),
	    "nbf not a number");
}

static void test_missing_exp_refused(void)
{
	struct jwt_config c = cfg_hs();

	refused(verify_hs_fmt(&c, EMAIL_AB "\"iat\":%ld}", NOW), "exp missing");
	refused(verify_hs_fmt(&c, EMAIL_AB "\"exp\":\"%ld\",\"iat\":%ld}", NOW + 60, NOW),
		"exp not a number");
	refused(verify_hs_fmt(&c, EMAIL_AB "\"exp\":null,\"iat\":%ld}", NOW), "exp not a number");
	refused(verify_hs_fmt(&c, EMAIL_AB "\"exp\":NaN,\"iat\":%ld}", NOW), "exp not a number");
}

static void test_missing_iat_refused(void)
{
	struct jwt_config c = cfg_hs();

	refused(verify_hs_fmt(&c, EMAIL_AB "\"exp\":%ld}", NOW + 60), "iat missing");
	refused(verify_hs_fmt(&c, EMAIL_AB "\"exp\":%ld,\"iat\":true}", NOW + 60),
		"iat not a number");
}

static void test_numeric_dates_as_fractions_and_extremes(void)
{
	struct jwt_config c = cfg_hs();

	CHECK_INT(verify_hs_fmt(&c, EMAIL_AB "\"exp\":%ld.75,\"iat\":%ld.5}", NOW + 60, NOW), 0);
	CHECK_INT(cl.exp, NOW + 60);
	CHECK_INT(cl.iat, NOW);
	/* huge and tiny values neither overflow nor pass */
	refused(verify_hs_fmt(&c, EMAIL_AB "\"exp\":1e308,\"iat\":-99999999999999999999}"),
		"iat too old");
	refused(verify_hs_fmt(&c, EMAIL_AB "\"exp\":%ld,\"iat\":-99999999999999999999}", NOW + 60),
		"iat too old");
	refused(verify_hs_fmt(&c, EMAIL_AB "\"exp\":-1e308,\"iat\":0}"), "expired");
	refused(verify_hs_fmt(&c, EMAIL_AB "\"exp\":%ld,\"iat\":99999999999999999999}", NOW),
		"iat in the future");
}

/* iss must be the configured issuer, when one is configured. */
static void test_issuer_checked(void)
{
	static const struct refusal more[] = {
	    {",\"iss\":\"https://evil.example\"", "wrong issuer"},
	    {",\"iss\":\"https://app.example/\"", "wrong issuer"},
	    {",\"iss\":\"https://app.example\\u0000x\"", "wrong issuer"},
	    {",\"iss\":[\"https://app.example\"]", "wrong issuer"},
	    {"", "issuer missing"},
	};
	char p[512];
	struct jwt_config c = cfg_hs();

	c.issuer = "https://app.example";
	CHECK_INT(verify_hs_payload(claims(p, sizeof p, ",\"iss\":\"https://app.example\""), &c),
		  0);
	CHECK_REFUSALS(&c, MORE_CLAIMS, more);
	/* not configured: any or no issuer */
	c.issuer = "";
	CHECK_INT(verify_hs_payload(claims(p, sizeof p, ",\"iss\":\"anyone\""), &c), 0);
}

/* aud, a string or an array, must name the configured audience. */
static void test_audience_checked(void)
{
	static const struct refusal more[] = {
	    {",\"aud\":\"portal2\"", "wrong audience"},	       {"", "audience missing"},
	    {",\"aud\":[\"other\",1,null]", "wrong audience"}, {",\"aud\":[]", "wrong audience"},
	    {",\"aud\":[[\"portal\"]]", "wrong audience"},
	};
	char p[512];
	struct jwt_config c = cfg_hs();

	c.audience = "portal";
	CHECK_INT(verify_hs_payload(claims(p, sizeof p, ",\"aud\":\"portal\""), &c), 0);
	CHECK_INT(verify_hs_payload(claims(p, sizeof p, ",\"aud\":[\"other\",\"portal\"]"), &c), 0);
	CHECK_REFUSALS(&c, MORE_CLAIMS, more);
}

static void test_email_missing_refused(void)
{
	struct jwt_config c = cfg_hs();

	refused(verify_hs_fmt(&c, "{\"name\":\"Ada\",\"exp\":%ld,\"iat\":%ld}", NOW + 60, NOW),
		"email missing");
}

static void test_email_not_an_address_refused(void)
{
	static const char *bad[] = {
	    "\"\"",
	    "\"ada\"",
	    "\"@example.com\"",
	    "\"ada@\"",
	    "\"a@b@c\"",
	    "\"ada @example.com\"",
	    "\"ada@example.com\\n\"",
	    "\"ada@exa\\u0000mple.com\"",
	    "\"ada\\t@example.com\"",
	    "\"ada@example.com\\u007f\"",
	    "null",
	    "42",
	    "[\"ada@example.com\"]",
	};
	char e[300];
	struct jwt_config c = cfg_hs();

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		refused(verify_hs_fmt(&c, "{\"email\":%s,\"exp\":%ld,\"iat\":%ld}", bad[i],
				      NOW + 60, NOW),
			"email not an address");
	/* 254 bytes pass, 255 do not */
	memset(e, 'a', 242);
	strcpy(e + 242, "@example.com");
	CHECK_INT(strlen(e), 254);
	CHECK_INT(verify_hs_fmt(&c, "{\"email\":\"%s\",\"exp\":%ld,\"iat\":%ld}", e, NOW + 60, NOW),
		  0);
	CHECK_STR(cl.email, e);
	memset(e, 'a', 243);
	strcpy(e + 243, "@example.com");
	refused(verify_hs_fmt(&c, "{\"email\":\"%s\",\"exp\":%ld,\"iat\":%ld}", e, NOW + 60, NOW),
		"email not an address");
}

static void test_name_optional_and_cleaned(void)
{
	char n[600];
	struct jwt_config c = cfg_hs();

	CHECK_INT(verify_hs_fmt(&c, EXP_IAT, NOW + 60, NOW), 0);
	CHECK_STR(cl.name, "");
	CHECK_INT(verify_hs_fmt(&c, EMAIL_AB "\"name\":7,\"exp\":%ld,\"iat\":%ld}", NOW + 60, NOW),
		  0);
	CHECK_STR(cl.name, "");
	CHECK_INT(verify_hs_fmt(&c, EMAIL_AB "\"name\":\"Ada\\nL\\u00f6\",\"exp\":%ld,\"iat\":%ld}",
				NOW + 60, NOW),
		  0);
	CHECK_STR(cl.name, "Ada L\xc3\xb6");
	/* 254 ASCII bytes then "ö" (2 bytes): cut before the character, not inside it */
	memset(n, 'x', 254);
	strcpy(n + 254, "\\u00f6yy");
	CHECK_INT(verify_hs_fmt(&c, EMAIL_AB "\"name\":\"%s\",\"exp\":%ld,\"iat\":%ld}", n,
				NOW + 60, NOW),
		  0);
	CHECK_INT(strlen(cl.name), 254);
}

static void test_tampered_payload_refused(void)
{
	char t[TOK_MAX], t2[TOK_MAX], p[512], evil[512];
	struct jwt_config c = cfg_hs();

	tok_hs(t, HS, claims(p, sizeof p, ""));
	/* same header and signature, payload re-encoded with another email */
	snprintf(evil, sizeof evil, "{\"email\":\"admin@example.com\",\"exp\":%ld,\"iat\":%ld}",
		 NOW + 300, NOW - 10);
	signing_input(t2, HS, evil);
	strcat(t2, strrchr(t, '.'));
	refused(verify(t2, &c), "bad signature");
	CHECK_STR(cl.email, "");

	struct jwt_config r = cfg_rs();
	tok_rs(t, RS, p);
	signing_input(t2, RS, evil);
	strcat(t2, strrchr(t, '.'));
	refused(verify(t2, &r), "bad signature");
}

static void test_bad_base64_refused(void)
{
	char t[TOK_MAX], p[512], bad[TOK_MAX + 16];
	struct jwt_config c = cfg_hs();
	char *last;

	tok_hs(t, HS, claims(p, sizeof p, ""));
	CHECK_INT(verify(t, &c), 0);
	/* a character outside base64url in each segment */
	static const char subst[] = "+/=!. %";
	const size_t seg[3] = {3, (size_t)(strchr(t, '.') - t) + 3,
			       (size_t)(strrchr(t, '.') - t) + 3};
	for (size_t i = 0; i < 3; i++) {
		for (const char *s = subst; *s; s++) {
			strcpy(bad, t);
			bad[seg[i]] = *s;
			refused(verify(bad, &c), "malformed token");
		}
	}
	/* padding on the signature (32 bytes: 43 characters, "=" makes 44) */
	refused(verify(fmt(bad, sizeof bad, "%s=", t), &c), "malformed token");
	/* a signature one character longer (length 1 mod 4) or with its last bits not zero */
	refused(verify(fmt(bad, sizeof bad, "%sAA", t), &c), "malformed token"); /* 45 characters */
	/* well formed, 33 bytes: wrong length */
	refused(verify(fmt(bad, sizeof bad, "%sA", t), &c), "bad signature");
	strcpy(bad, t);
	last = bad + strlen(bad) - 1; /* 43 characters: the last one carries 2 unused bits */
	CHECK((strchr(b64, *last) - b64) % 4 == 0);
	*last = b64[strchr(b64, *last) - b64 + 1];
	refused(verify(bad, &c), "malformed token");
	/* an embedded NUL byte */
	strcpy(bad, t);
	bad[5] = '\0';
	refused(jwt_verify(bad, strlen(t), &c, &cl, reason, sizeof reason), "malformed token");
}

static void test_segment_count_refused(void)
{
	char t[TOK_MAX], p[512], bad[TOK_MAX + 16];
	struct jwt_config c = cfg_hs();

	tok_hs(t, HS, claims(p, sizeof p, ""));
	refused(verify(fmt(bad, sizeof bad, "%s.", t), &c), "malformed token");
	refused(verify(fmt(bad, sizeof bad, "%s.AAAA", t), &c), "malformed token");
	refused(verify(fmt(bad, sizeof bad, "%.*s", (int)(strrchr(t, '.') - t), t), &c),
		"malformed token");
	refused(verify(fmt(bad, sizeof bad, "%s", strchr(t, '.')), &c), "malformed token");
	refused(verify("..", &c), "malformed token");
	refused(verify("", &c), "token missing");
	refused(jwt_verify(NULL, 0, &c, &cl, reason, sizeof reason), "token missing");
}

static void test_too_long_refused(void)
{
	static char t[JWT_MAX_LEN + 2];
	struct jwt_config c = cfg_hs();

	memset(t, 'A', JWT_MAX_LEN + 1);
	t[100] = t[200] = '.';
	refused(jwt_verify(t, JWT_MAX_LEN + 1, &c, &cl, reason, sizeof reason), "token too long");
}

static void test_json_not_an_object_refused(void)
{
	static const struct refusal headers[] = {
	    {"[\"HS256\"]", "malformed header"},
	    {"{\"alg\":'HS256'}", "malformed header"},
	    {"{\"alg\":\"HS256\"} x", "malformed header"},
	};
	static const struct refusal payloads[] = {
	    {"\"ada@example.com\"", "malformed payload"},
	    {"{\"email\":\"ada@example.com\",}", "malformed payload"},
	    {"{\"email\":\"\xff@example.com\"}", "malformed payload"},
	};
	struct jwt_config c = cfg_hs();

	CHECK_REFUSALS(&c, HEADER, headers);
	CHECK_REFUSALS(&c, PAYLOAD, payloads);
}

static void test_duplicate_keys_refused(void)
{
	static const struct refusal more[] = {
	    {",\"email\":\"admin@example.com\"", "malformed payload"},
	    /* the same key spelled with an escape is the same key */
	    {",\"e\\u006dail\":\"admin@example.com\"", "malformed payload"},
	};
	static const struct refusal headers[] = {
	    {"{\"alg\":\"none\",\"alg\":\"HS256\"}", "malformed header"},
	};
	char t[TOK_MAX], p[512];
	struct jwt_config c = cfg_hs();

	CHECK_REFUSALS(&c, MORE_CLAIMS, more);
	CHECK_REFUSALS(&c, HEADER, headers);
	/* colons inside strings and nested objects are counted right */
	claims(p, sizeof p, ",\"x\":{\"a:b\":\"c:d\",\"e\":[{\"f\":1}]},\"u\":\"\\\":\"");
	CHECK_INT(verify(tok_hs(t, HS, p), &c), 0);
}

static void test_replay_key_from_jti(void)
{
	char p[512], j[200];
	struct jwt_config c = cfg_hs();

	CHECK_INT(verify_hs_payload(claims_no_jti(p, sizeof p, ",\"jti\":\"abc-123\""), &c), 0);
	CHECK_STR(cl.replay_key, "jti:abc-123");
	memset(j, 'j', 128);
	j[128] = '\0';
	CHECK_INT(
	    verify_hs_fmt(&c, EMAIL_AB "\"exp\":%ld,\"iat\":%ld,\"jti\":\"%s\"}", NOW + 60, NOW, j),
	    0);
	CHECK_INT(strlen(cl.replay_key), 4 + 128);
	strcat(j, "j");
	refused(
	    verify_hs_fmt(&c, EMAIL_AB "\"exp\":%ld,\"iat\":%ld,\"jti\":\"%s\"}", NOW + 60, NOW, j),
	    "jti not a short string");
	refused(verify_hs_payload(claims_no_jti(p, sizeof p, ",\"jti\":\"\""), &c),
		"jti not a short string");
	refused(verify_hs_payload(claims_no_jti(p, sizeof p, ",\"jti\":12"), &c),
		"jti not a short string");
	refused(verify_hs_payload(claims_no_jti(p, sizeof p, ",\"jti\":\"a\\u0000b\""), &c),
		"jti not a short string");
}

/* jti is required, and iat at most JWT_MAX_AGE seconds old. */
static void test_jti_required(void)
{
	char t[TOK_MAX], p[512];
	struct jwt_config c = cfg_hs();

	refused(verify(tok_hs(t, HS, claims_no_jti(p, sizeof p, "")), &c), "jti missing");
	CHECK_STR(cl.email, "");
}

static void test_iat_max_age(void)
{
	struct jwt_config c = cfg_hs();

	CHECK_INT(verify_hs_fmt(&c, EXP_IAT, NOW + 60, NOW - JWT_MAX_AGE), 0);
	refused(verify_hs_fmt(&c, EXP_IAT, NOW + 60, NOW - JWT_MAX_AGE - 1), "iat too old");
}

static void test_empty_secret_refused(void)
{
	char t[TOK_MAX], p[512];
	struct jwt_config c = cfg_hs();

	c.key = "";
	c.key_len = 0;
	refused(verify(tok_hmac(t, HS, claims(p, sizeof p, ""), "", 0), &c),
		"HS256 secret not set");
	c.key = NULL;
	refused(verify(t, &c), "HS256 secret not set");
}

static void test_unusable_rs256_key_refused(void)
{
	char t[TOK_MAX], p[512];
	struct jwt_config c = cfg_rs();

	tok_rs(t, RS, claims(p, sizeof p, ""));
	c.key = "not a key";
	c.key_len = strlen(c.key);
	refused(verify(t, &c), "RS256 public key unusable: not a PEM public key");
	/* key_len is honoured: the PEM cut short fails */
	c.key = rsa_pub;
	c.key_len = strlen(rsa_pub) / 2;
	CHECK_INT(verify(t, &c), -1);
	CHECK(strncmp(reason, "RS256 public key unusable", 25) == 0);
}

/* PEM text of whatever write() puts into a memory BIO. */
static void pem_of(char *out, size_t cap, int (*write)(BIO *, const void *), const void *arg)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = b && write(b, arg) ? BIO_read(b, out, (int)cap - 1) : 0;
	out[n > 0 ? n : 0] = '\0';
	BIO_free(b);
}

static int w_pubkey(BIO *b, const void *k)
{
	return PEM_write_bio_PUBKEY(b, (EVP_PKEY *)k);
}

static int w_privkey(BIO *b, const void *k)
{
	return PEM_write_bio_PrivateKey(b, (EVP_PKEY *)k, NULL, NULL, 0, NULL, NULL);
}

static int w_pkcs1(BIO *b, const void *k)
{
	unsigned char *der = NULL;
	int n = i2d_PublicKey((EVP_PKEY *)k, &der), ok = 0;
	if (n > 0)
		ok = PEM_write_bio(b, "RSA PUBLIC KEY", "", der, n) > 0;
	OPENSSL_free(der);
	return ok;
}

static int w_cert(BIO *b, const void *k)
{
	X509 *x = X509_new();
	X509_NAME *name = x ? X509_get_subject_name(x) : NULL;
	int ok = x && name && X509_set_version(x, 2) &&
		 ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
		 X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
		 X509_gmtime_adj(X509_getm_notAfter(x), 3600) &&
		 X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"idp",
					    -1, -1, 0) &&
		 X509_set_issuer_name(x, name) && X509_set_pubkey(x, (EVP_PKEY *)k) &&
		 X509_sign(x, (EVP_PKEY *)k, EVP_sha256()) && PEM_write_bio_X509(b, x);
	X509_free(x);
	return ok;
}

/* jwt_public_key_check refuses pem for want (two checks). */
static void key_refused(const char *pem, const char *want)
{
	char r[128];

	CHECK_INT(jwt_public_key_check(pem, r, sizeof r), -1);
	CHECK_STR(r, want);
}

static void test_public_key_check_accepts_rsa_keys(void)
{
	char r[128] = "x";

	CHECK_INT(jwt_public_key_check(rsa_pub, r, sizeof r), 0);
	CHECK_STR(r, "");
	CHECK_INT(jwt_public_key_check(rsa_pub_pkcs1, r, sizeof r), 0);
	/* white space around the block is fine */
	char padded[4200];
	snprintf(padded, sizeof padded, "\n  %s\n\n", rsa_pub);
	CHECK_INT(jwt_public_key_check(padded, r, sizeof r), 0);
}

static void test_public_key_check_refuses_garbage(void)
{
	char pem[8400];

	key_refused("", "no public key");
	key_refused(NULL, "no public key");
	key_refused("hello", "not a PEM public key");
	key_refused("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
		    "public key unreadable");
	/* text before the block, a second block after it */
	key_refused(fmt(pem, sizeof pem, "my key:\n%s", rsa_pub), "not a PEM public key");
	key_refused(fmt(pem, sizeof pem, "%s%s", rsa_pub, rsa_pub), "more than one PEM block");
	/* the PEM cut short */
	key_refused(fmt(pem, sizeof pem, "%.*s", (int)strlen(rsa_pub) - 30, rsa_pub),
		    "not a PEM public key");
}

static void test_public_key_check_refuses_certificate(void)
{
	char pem[4096];

	pem_of(pem, sizeof pem, w_cert, rsa_key);
	CHECK(strstr(pem, "BEGIN CERTIFICATE") != NULL);
	key_refused(pem, "a certificate, not a public key");
}

static void test_public_key_check_refuses_private_key(void)
{
	char pem[4096];

	pem_of(pem, sizeof pem, w_privkey, rsa_key);
	CHECK(strstr(pem, "PRIVATE KEY") != NULL);
	key_refused(pem, "a private key: give the public key only");
}

static void test_public_key_check_refuses_short_and_non_rsa_keys(void)
{
	char pem[4096];
	EVP_PKEY *small = EVP_RSA_gen(1024), *ec = EVP_EC_gen("P-256");

	CHECK(small && ec);
	pem_of(pem, sizeof pem, w_pubkey, small);
	key_refused(pem, "RSA key shorter than 2048 bits");
	pem_of(pem, sizeof pem, w_pubkey, ec);
	key_refused(pem, "not an RSA key");
	EVP_PKEY_free(small);
	EVP_PKEY_free(ec);
}

static void test_public_key_check_refuses_even_modulus(void)
{
	char pem[4096];
	BIGNUM *n = BN_new(), *e = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *bad = NULL;

	/* 2^2047 + 2: 2048 bits, even, so no RSA modulus */
	CHECK(n && e && bld && ctx && BN_set_bit(n, 2047) && BN_set_bit(n, 1) &&
	      BN_set_word(e, 65537));
	CHECK(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e));
	params = OSSL_PARAM_BLD_to_param(bld);
	CHECK(params && EVP_PKEY_fromdata_init(ctx) == 1 &&
	      EVP_PKEY_fromdata(ctx, &bad, EVP_PKEY_PUBLIC_KEY, params) == 1);
	pem_of(pem, sizeof pem, w_pubkey, bad);
	key_refused(pem, "RSA public key invalid");
	EVP_PKEY_free(bad);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
}

int main(void)
{
	rsa_key = EVP_RSA_gen(2048);
	rsa_other = EVP_RSA_gen(2048);
	if (!rsa_key || !rsa_other) {
		fprintf(stderr, "RSA key generation failed\n");
		return 1;
	}
	pem_of(rsa_pub, sizeof rsa_pub, w_pubkey, rsa_key);
	pem_of(rsa_pub_pkcs1, sizeof rsa_pub_pkcs1, w_pkcs1, rsa_key);

	test_valid_hs256();
	test_valid_rs256();
	test_valid_rs256_pkcs1_key();
	test_rs256_other_key_refused();
	test_hs256_other_secret_refused();
	test_alg_none_refused();
	test_hs256_signed_with_public_key_refused();
	test_rs256_token_when_hs256_refused();
	test_header_refused();
	test_header_keys_ignored();
	test_expired_refused();
	test_exp_far_ahead_refused();
	test_exp_within_skew_accepted();
	test_future_iat_refused();
	test_nbf_checked();
	test_missing_exp_refused();
	test_missing_iat_refused();
	test_numeric_dates_as_fractions_and_extremes();
	test_issuer_checked();
	test_audience_checked();
	test_email_missing_refused();
	test_email_not_an_address_refused();
	test_name_optional_and_cleaned();
	test_tampered_payload_refused();
	test_bad_base64_refused();
	test_segment_count_refused();
	test_too_long_refused();
	test_json_not_an_object_refused();
	test_duplicate_keys_refused();
	test_replay_key_from_jti();
	test_jti_required();
	test_iat_max_age();
	test_empty_secret_refused();
	test_unusable_rs256_key_refused();
	test_public_key_check_accepts_rsa_keys();
	test_public_key_check_refuses_garbage();
	test_public_key_check_refuses_certificate();
	test_public_key_check_refuses_private_key();
	test_public_key_check_refuses_short_and_non_rsa_keys();
	test_public_key_check_refuses_even_modulus();

	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(rsa_other);
	return CHECK_DONE("jwt");
}
