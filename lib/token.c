/* token.c - random tokens, SHA-256/HMAC hex digests, constant-time comparison and CSRF tokens. */
#include "token.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <string.h>

#include "base64.h"
#include "str.h"

#define RAW_LEN 32

int token_new(char *out, size_t cap)
{
	unsigned char raw[RAW_LEN];

	if (!out || cap < TOKEN_LEN + 1) {
		if (out && cap > 0)
			out[0] = '\0';
		return -1;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		out[0] = '\0';
		return -1;
	}
	base64_encode(raw, sizeof(raw), out, BASE64_URL | BASE64_NOPAD);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

/* OpenSSL 3 looks an algorithm up in its provider tables (locks, name hashing) on every call that
 * names it (EVP_sha256(), EVP_MAC_fetch); a worker hashes a session token and signs a CSRF token
 * on most requests, so each algorithm is fetched once per process and kept. */
static const EVP_MD *sha256_md(void)
{
	static EVP_MD *md;
	if (!md)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	return md;
}

static EVP_MAC *hmac_mac(void)
{
	static EVP_MAC *mac;
	if (!mac)
		mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	return mac;
}

void token_sha256_hex(const char *s, char out[TOKEN_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!s)
		s = "";
	const EVP_MD *sha = sha256_md();
	if (!sha || EVP_Digest(s, strlen(s), md, &mdlen, sha, NULL) != 1 ||
	    mdlen != TOKEN_HEX_LEN / 2) {
		out[0] = '\0';
		return;
	}
	hex_encode(md, mdlen, out);
}

/* A context keyed with the last key used (most calls sign CSRF tokens with the one server key):
 * keying hashes the key and sets up two digests, so a call copies the keyed context instead. */
static EVP_MAC_CTX *keyed_ctx(const char *key, size_t keylen)
{
	static EVP_MAC_CTX *base;
	static unsigned char *base_key;
	static size_t base_len;
	if (base && base_len == keylen && CRYPTO_memcmp(base_key, key, keylen) == 0)
		return base;
	EVP_MAC_CTX_free(base);
	if (base_key)
		OPENSSL_clear_free(base_key, base_len);
	base = NULL;
	base_key = NULL;
	EVP_MAC *mac = hmac_mac();
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
	    OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	unsigned char *copy = OPENSSL_malloc(keylen ? keylen : 1);
	if (!ctx || !copy || EVP_MAC_init(ctx, (const unsigned char *)key, keylen, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		OPENSSL_free(copy);
		return NULL;
	}
	memcpy(copy, key, keylen);
	base = ctx;
	base_key = copy;
	base_len = keylen;
	return base;
}

/* HMAC-SHA-256 of the concatenation p1 p2 under key into md (32 bytes). Returns 0 or -1. */
static int hmac_sha256_2(const char *key, size_t keylen, const char *p1, size_t n1, const char *p2,
			 size_t n2, unsigned char *md)
{
	EVP_MAC_CTX *base = keyed_ctx(key ? key : "", key ? keylen : 0);
	EVP_MAC_CTX *ctx = base ? EVP_MAC_CTX_dup(base) : NULL;
	size_t mdlen = 0;
	int ok = ctx &&
		 EVP_MAC_update(ctx, (const unsigned char *)p1, n1) == 1 &&
		 EVP_MAC_update(ctx, (const unsigned char *)p2, n2) == 1 &&
		 EVP_MAC_final(ctx, md, &mdlen, TOKEN_HEX_LEN / 2) == 1 &&
		 mdlen == TOKEN_HEX_LEN / 2;
	EVP_MAC_CTX_free(ctx); /* wipes the keyed state */
	return ok ? 0 : -1;
}

void hmac_sha256_hex(const char *key, size_t keylen, const char *msg, size_t msglen,
		     char out[TOKEN_HEX_LEN + 1])
{
	unsigned char md[TOKEN_HEX_LEN / 2];

	if (hmac_sha256_2(key, keylen, msg ? msg : "", msg ? msglen : 0, "", 0, md) < 0) {
		out[0] = '\0';
		return;
	}
	hex_encode(md, sizeof(md), out);
	OPENSSL_cleanse(md, sizeof(md));
}

int token_equal(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	size_t la = strlen(a), lb = strlen(b);
	size_t n = la > lb ? la : lb;
	unsigned int diff = la != lb;
	for (size_t i = 0; i < n; i++) {
		unsigned char x = i < la ? (unsigned char)a[i] : 0;
		unsigned char y = i < lb ? (unsigned char)b[i] : 0;
		diff |= (unsigned int)(x ^ y);
	}
	return diff == 0;
}

int token_well_formed(const char *s)
{
	if (!s)
		return 0;
	size_t i = 0;
	for (; i <= TOKEN_LEN && s[i]; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return i == TOKEN_LEN;
}

void csrf_token(const char *secret_key, const char *session_csrf_secret,
		char out[TOKEN_HEX_LEN + 1])
{
	static const char label[] = "csrf:";
	unsigned char md[TOKEN_HEX_LEN / 2];

	out[0] = '\0';
	if (!secret_key || !secret_key[0] || !session_csrf_secret || !session_csrf_secret[0])
		return;
	if (hmac_sha256_2(secret_key, strlen(secret_key), label, sizeof(label) - 1,
			  session_csrf_secret, strlen(session_csrf_secret), md) < 0)
		return;
	hex_encode(md, sizeof(md), out);
	OPENSSL_cleanse(md, sizeof(md));
}

int csrf_check(const char *secret_key, const char *session_csrf_secret, const char *submitted)
{
	char want[TOKEN_HEX_LEN + 1];

	if (!submitted)
		return 0;
	csrf_token(secret_key, session_csrf_secret, want);
	int ok = want[0] != '\0' && token_equal(want, submitted);
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}
