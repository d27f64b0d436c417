/* jwt.c - JSON Web Token verification for single sign-on: HS256 or RS256, fixed by the caller. */
#include "jwt.h"

#include <json-c/json.h>
#include <math.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base64.h"

/*
 * Order of the checks in jwt_verify: size, shape (three strict base64url segments), header
 * (a JSON object; "alg" equal to the configured one, "typ" JWT if present, no "crit"), then the
 * signature over the first two segments as they were sent, and only then the payload's JSON and
 * its claims. Nothing from the header ever chooses a key or an algorithm.
 *
 * json-c keeps the last of two equal keys and in strict mode still takes single-quoted strings;
 * json_shape() refuses single quotes and NUL bytes and counts the name separators (':') outside
 * strings, which must equal the number of members json-c kept, so a duplicated key (e.g. two
 * "email" claims read differently by the issuer and by us) is refused.
 */

#define SEG_MAX (JWT_MAX_LEN / 4 * 3 + 3) /* decoded bytes of the longest segment */
#define HS256_LEN 32
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 16384
#define JTI_MAX 128
#define EMAIL_MAX 254
#define NUM_LIMIT 9007199254740992LL /* 2^53: numbers are clamped here, no overflow below */

static int fail(char *reason, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *reason, size_t cap, const char *fmt, ...)
{
	if (reason && cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(reason, cap, fmt, ap);
		va_end(ap);
	}
	ERR_clear_error();
	return -1;
}

/* One segment: base64url without padding, strict (one spelling per byte string); out holds SEG_MAX. */
static int segment(const char *in, size_t n, unsigned char *out, size_t *outlen)
{
	return base64_decode(in, n, out, SEG_MAX, outlen, BASE64_URL | BASE64_NOPAD);
}

/* Name separators outside strings, or -1 for a NUL byte or a single quote outside a string. */
static long json_shape(const unsigned char *s, size_t n)
{
	long colons = 0;
	int in_str = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == '\0')
			return -1;
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '\'') {
			return -1;
		} else if (c == ':') {
			colons++;
		}
	}
	return colons;
}

/* Members of all objects in v (json-c bounds the depth at 32). */
static long json_members(struct json_object *v)
{
	long n = 0;

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, val)
		{
			(void)key;
			n += 1 + json_members(val);
		}
	} else if (json_object_is_type(v, json_type_array)) {
		size_t len = json_object_array_length(v);
		for (size_t i = 0; i < len; i++)
			n += json_members(json_object_array_get_idx(v, i));
	}
	return n;
}

/* A JSON object from n bytes of valid UTF-8 with no duplicated key, or NULL. */
static struct json_object *json_object_strict(const unsigned char *s, size_t n)
{
	long colons = json_shape(s, n);
	struct json_tokener *tok;
	struct json_object *o = NULL;

	if (colons < 0 || n > SEG_MAX || !(tok = json_tokener_new()))
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, (const char *)s, (int)n);
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  json_tokener_get_parse_end(tok) != n ||
		  !json_object_is_type(o, json_type_object) || json_members(o) != colons)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* The member name of object o when it is a string: its bytes and length, else NULL. */
static const char *json_str(struct json_object *o, const char *name, size_t *len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

/* 1 when the string v (n bytes) equals the NUL-terminated want. */
static int str_is(const char *v, size_t n, const char *want)
{
	return v && strlen(want) == n && memcmp(v, want, n) == 0;
}

/* Number member name: 1 with *out (clamped to +-2^53), 0 when absent, -1 when not a number. */
static int json_num(struct json_object *o, const char *name, long long *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v))
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		long long x = (long long)json_object_get_int64(v);
		*out = x > NUM_LIMIT ? NUM_LIMIT : x < -NUM_LIMIT ? -NUM_LIMIT : x;
		return 1;
	}
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (!isfinite(d))
			return -1;
		if (d >= (double)NUM_LIMIT || d <= -(double)NUM_LIMIT) {
			*out = d > 0 ? NUM_LIMIT : -NUM_LIMIT;
		} else {
			*out = (long long)d; /* toward zero, then down: floor without libm */
			if ((double)*out > d)
				(*out)--;
		}
		return 1;
	}
	return -1;
}

/*
 * The RSA public key in the first PEM block of pem (n bytes), which must be the only thing there
 * apart from white space: "PUBLIC KEY" (SubjectPublicKeyInfo) or "RSA PUBLIC KEY" (PKCS#1),
 * plain RSA (not RSA-PSS), RSA_MIN_BITS to RSA_MAX_BITS. NULL with a reason otherwise. thorough
 * adds OpenSSL's public key check (a Miller-Rabin test that n is composite): done when the key is
 * saved, not on every login.
 */
static EVP_PKEY *rsa_public_key(const char *pem, size_t n, int thorough, char *reason, size_t cap)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL, rest[64];
	unsigned char *der = NULL;
	const unsigned char *p;
	long derlen = 0;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	const char *why = NULL;
	size_t i = 0;
	int got;

	while (i < n && pem[i] && strchr(" \t\r\n", pem[i]))
		i++;
	if (n > 65536 || i + 11 > n || memcmp(pem + i, "-----BEGIN ", 11) != 0) {
		why = "not a PEM public key";
		goto out;
	}
	bio = BIO_new_mem_buf(pem + i, (int)(n - i));
	if (!bio || !PEM_read_bio(bio, &name, &header, &der, &derlen)) {
		why = "not a PEM public key";
		goto out;
	}
	while ((got = BIO_read(bio, rest, sizeof rest)) > 0)
		for (int k = 0; k < got && !why; k++)
			if (!rest[k] || !strchr(" \t\r\n", rest[k]))
				why = "more than one PEM block";
	if (why)
		goto out;
	p = der;
	if (strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0 ||
	    strcmp(name, "TRUSTED CERTIFICATE") == 0) {
		why = "a certificate, not a public key";
	} else if (strstr(name, "PRIVATE KEY")) {
		why = "a private key: give the public key only";
	} else if (header[0]) {
		why = "PEM headers are not expected in a public key";
	} else if (strcmp(name, "PUBLIC KEY") == 0) {
		pkey = d2i_PUBKEY(NULL, &p, derlen);
	} else if (strcmp(name, "RSA PUBLIC KEY") == 0) {
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, derlen);
	} else {
		why = "not a PEM public key";
	}
	if (why)
		goto out;
	if (!pkey || p != der + derlen) {
		why = "public key unreadable";
	} else if (!EVP_PKEY_is_a(pkey, "RSA")) {
		why = "not an RSA key";
	} else if (EVP_PKEY_get_bits(pkey) < RSA_MIN_BITS) {
		why = "RSA key shorter than 2048 bits";
	} else if (EVP_PKEY_get_bits(pkey) > RSA_MAX_BITS) {
		why = "RSA key longer than 16384 bits";
	} else if (thorough && (!(ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) ||
				EVP_PKEY_public_check(ctx) != 1)) {
		why = "RSA public key invalid";
	}
out:
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	if (why) {
		EVP_PKEY_free(pkey);
		fail(reason, cap, "%s", why);
		return NULL;
	}
	return pkey;
}

int jwt_public_key_check(const char *pem, char *reason, size_t cap)
{
	EVP_PKEY *pkey;

	if (reason && cap)
		reason[0] = '\0';
	if (!pem || !pem[0])
		return fail(reason, cap, "no public key");
	pkey = rsa_public_key(pem, strlen(pem), 1, reason, cap);
	if (!pkey)
		return -1;
	EVP_PKEY_free(pkey);
	return 0;
}

/* 0 when sig is the signature of the n bytes at tbs under cfg, else -1 with a reason. */
static int signature_check(const struct jwt_config *cfg, const char *tbs, size_t n,
			   const unsigned char *sig, size_t siglen, char *reason, size_t cap)
{
	if (cfg->alg == JWT_HS256) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		int ok;

		if (!cfg->key || cfg->key_len == 0)
			return fail(reason, cap, "HS256 secret not set");
		if (cfg->key_len > 65536)
			return fail(reason, cap, "HS256 secret too long");
		if (!HMAC(EVP_sha256(), cfg->key, (int)cfg->key_len, (const unsigned char *)tbs, n,
			  md, &mdlen) ||
		    mdlen != HS256_LEN)
			return fail(reason, cap, "HMAC failed");
		ok = siglen == HS256_LEN && CRYPTO_memcmp(md, sig, HS256_LEN) == 0;
		OPENSSL_cleanse(md, sizeof md);
		return ok ? 0 : fail(reason, cap, "bad signature");
	}

	char why[96];
	EVP_PKEY *pkey = rsa_public_key(cfg->key ? cfg->key : "", cfg->key ? cfg->key_len : 0, 0,
					why, sizeof why);
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;

	if (!pkey)
		return fail(reason, cap, "RS256 public key unusable: %s", why);
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
		EVP_MD_CTX_free(md);
		EVP_PKEY_free(pkey);
		return fail(reason, cap, "RSA verification failed to start");
	}
	ok = (size_t)EVP_PKEY_get_size(pkey) == siglen &&
	     EVP_DigestVerify(md, sig, siglen, (const unsigned char *)tbs, n) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return ok ? 0 : fail(reason, cap, "bad signature");
}

/* 1 when the n bytes at s hold a printable name: alphanumerics only, 1 to 16 of them. */
static int alg_printable(const char *s, size_t n)
{
	if (n == 0 || n > 16)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

static int header_check(struct json_object *h, const struct jwt_config *cfg, char *reason,
			size_t cap)
{
	const char *want = cfg->alg == JWT_HS256 ? "HS256" : "RS256", *alg;
	size_t alg_len = 0, typ_len = 0;
	struct json_object *v;

	if (!json_object_object_get_ex(h, "alg", &v))
		return fail(reason, cap, "algorithm missing");
	alg = json_str(h, "alg", &alg_len);
	if (!alg)
		return fail(reason, cap, "algorithm not a string");
	if (!str_is(alg, alg_len, want)) {
		if (alg_printable(alg, alg_len))
			return fail(reason, cap, "algorithm %.*s is not %s", (int)alg_len, alg,
				    want);
		return fail(reason, cap, "algorithm is not %s", want);
	}
	if (json_object_object_get_ex(h, "typ", &v)) {
		const char *typ = json_str(h, "typ", &typ_len);
		if (!typ || typ_len != 3 || strncasecmp(typ, "JWT", 3) != 0)
			return fail(reason, cap, "typ is not JWT");
	}
	if (json_object_object_get_ex(h, "crit", &v))
		return fail(reason, cap, "crit header not supported");
	/* jku, jwk, x5u, x5c, kid: never read; the key is the configured one. */
	return 0;
}

/* 1 when e (n bytes) looks like an address: one '@' inside, no white space or controls. */
static int email_plausible(const char *e, size_t n)
{
	const char *at = memchr(e, '@', n);

	if (n == 0 || n > EMAIL_MAX || !at || at == e || at == e + n - 1 ||
	    memchr(at + 1, '@', (size_t)(e + n - at - 1)))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)e[i];
		if (c <= 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

/* Copies name (UTF-8) into out: controls become spaces, cut at a character boundary. */
static void name_copy(char *out, size_t cap, const char *s, size_t n)
{
	size_t k = n < cap - 1 ? n : cap - 1;

	while (k > 0 && k < n && ((unsigned char)s[k] & 0xc0) == 0x80)
		k--;
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (char)(c < 0x20 || c == 0x7f ? ' ' : c);
	}
	out[k] = '\0';
}

static int audience_holds(struct json_object *p, const char *want)
{
	struct json_object *v;
	size_t n;
	const char *s = json_str(p, "aud", &n);

	if (s)
		return str_is(s, n, want);
	if (!json_object_object_get_ex(p, "aud", &v) || !json_object_is_type(v, json_type_array))
		return 0;
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		if (json_object_is_type(e, json_type_string) &&
		    str_is(json_object_get_string(e), (size_t)json_object_get_string_len(e), want))
			return 1;
	}
	return 0;
}

static int claims_read(struct json_object *p, const struct jwt_config *cfg, struct jwt_claims *out,
		       char *reason, size_t cap)
{
	long long exp = 0, iat = 0, nbf = 0, now = cfg->now, skew = cfg->skew > 0 ? cfg->skew : 0;
	const char *s;
	size_t n;
	int r;
	struct json_object *v;

	if ((r = json_num(p, "exp", &exp)) <= 0)
		return fail(reason, cap, r ? "exp not a number" : "exp missing");
	if ((r = json_num(p, "iat", &iat)) <= 0)
		return fail(reason, cap, r ? "iat not a number" : "iat missing");
	if ((r = json_num(p, "nbf", &nbf)) < 0)
		return fail(reason, cap, "nbf not a number");
	if (now - skew > exp)
		return fail(reason, cap, "expired");
	if (iat > now + skew)
		return fail(reason, cap, "iat in the future");
	/* a sign-on token is used the moment it is made (Zendesk allows three minutes) */
	if (iat < now - JWT_MAX_AGE)
		return fail(reason, cap, "iat too old");
	/* a sign-on token is for the next minutes: one valid for days (or exp in milliseconds)
	 * would sit in the replay store for as long */
	if (exp > now + JWT_MAX_LIFETIME)
		return fail(reason, cap, "exp too far in the future");
	if (r && nbf > now + skew)
		return fail(reason, cap, "not yet valid");

	if (cfg->issuer && cfg->issuer[0]) {
		if (!json_object_object_get_ex(p, "iss", &v))
			return fail(reason, cap, "issuer missing");
		s = json_str(p, "iss", &n);
		if (!str_is(s, n, cfg->issuer))
			return fail(reason, cap, "wrong issuer");
	}
	if (cfg->audience && cfg->audience[0]) {
		if (!json_object_object_get_ex(p, "aud", &v))
			return fail(reason, cap, "audience missing");
		if (!audience_holds(p, cfg->audience))
			return fail(reason, cap, "wrong audience");
	}

	if (!json_object_object_get_ex(p, "email", &v))
		return fail(reason, cap, "email missing");
	s = json_str(p, "email", &n);
	if (!s || !email_plausible(s, n))
		return fail(reason, cap, "email not an address");
	memcpy(out->email, s, n);
	out->email[n] = '\0';

	if ((s = json_str(p, "name", &n)))
		name_copy(out->name, sizeof out->name, s, n);

	if (!json_object_object_get_ex(p, "jti", &v))
		return fail(reason, cap, "jti missing");
	s = json_str(p, "jti", &n);
	if (!s || n == 0 || n > JTI_MAX)
		return fail(reason, cap, "jti not a short string");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(reason, cap, "jti not a short string");
	snprintf(out->replay_key, sizeof out->replay_key, "jti:%.*s", (int)n, s);
	out->exp = (long)exp;
	out->iat = (long)iat;
	return 0;
}

int jwt_verify(const char *token, size_t len, const struct jwt_config *cfg, struct jwt_claims *out,
	       char *reason, size_t cap)
{
	unsigned char hbuf[SEG_MAX], pbuf[SEG_MAX], sig[SEG_MAX];
	size_t hlen, plen, siglen;
	const char *d1, *d2;
	struct json_object *h = NULL, *p = NULL;
	int rc = -1;

	if (reason && cap)
		reason[0] = '\0';
	if (out)
		memset(out, 0, sizeof *out);
	if (!cfg || !out)
		return fail(reason, cap, "not configured");
	if (!token || len == 0)
		return fail(reason, cap, "token missing");
	if (len > JWT_MAX_LEN)
		return fail(reason, cap, "token too long");
	d1 = memchr(token, '.', len);
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
	if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
		return fail(reason, cap, "malformed token");
	if (d1 == token || d2 == d1 + 1 ||
	    segment(token, (size_t)(d1 - token), hbuf, &hlen) < 0 ||
	    segment(d1 + 1, (size_t)(d2 - d1 - 1), pbuf, &plen) < 0 ||
	    segment(d2 + 1, len - (size_t)(d2 + 1 - token), sig, &siglen) < 0)
		return fail(reason, cap, "malformed token");

	if (!(h = json_object_strict(hbuf, hlen))) {
		fail(reason, cap, "malformed header");
		goto out;
	}
	if (header_check(h, cfg, reason, cap) < 0)
		goto out;
	if (signature_check(cfg, token, (size_t)(d2 - token), sig, siglen, reason, cap) < 0)
		goto out;
	/* The payload is read only now that its signature is good. */
	if (!(p = json_object_strict(pbuf, plen))) {
		fail(reason, cap, "malformed payload");
		goto out;
	}
	rc = claims_read(p, cfg, out, reason, cap);
out:
	json_object_put(h);
	json_object_put(p);
	if (rc < 0) {
		memset(out, 0, sizeof *out);
		if (reason && cap && !reason[0])
			fail(reason, cap, "refused");
	}
	return rc;
}
