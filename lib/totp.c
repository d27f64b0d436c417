/* totp.c - RFC 6238 TOTP / RFC 4226 HOTP with OpenSSL's HMAC-SHA-1, base32 and otpauth URIs. */
#include "totp.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int totp_base32_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
	size_t need = (n * 8 + 4) / 5 + 1;
	if (cap < need)
		return -1;
	size_t o = 0;
	unsigned buf = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = B32[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = B32[(buf << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

int totp_base32_decode(const char *s, unsigned char *out, size_t cap)
{
	size_t o = 0;
	unsigned buf = 0;
	int bits = 0;
	for (; *s; s++) {
		int ch = toupper((unsigned char)*s), v;
		if (ch == ' ' || ch == '-')
			continue;
		if (ch == '=')
			break;
		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= '2' && ch <= '7')
			v = ch - '2' + 26;
		else
			return -1;
		buf = (buf << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			if (o >= cap)
				return -1;
			out[o++] = (unsigned char)(buf >> (bits - 8));
			bits -= 8;
		}
	}
	for (; *s; s++) /* only padding may follow '=' */
		if (*s != '=')
			return -1;
	return (int)o;
}

int totp_secret_new(char out[TOTP_SECRET_B32 + 1])
{
	unsigned char key[TOTP_SECRET_BYTES];
	out[0] = '\0';
	if (RAND_bytes(key, sizeof key) != 1)
		return -1;
	int rc = totp_base32_encode(key, sizeof key, out, TOTP_SECRET_B32 + 1);
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

int totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter, char out[TOTP_DIGITS + 1])
{
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	out[0] = '\0';
	if (!HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof msg, mac, &maclen) || maclen < 20)
		return -1;
	int off = mac[maclen - 1] & 0x0f;
	uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
		       ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	snprintf(out, TOTP_DIGITS + 1, "%06u", bin % 1000000u);
	return 0;
}

uint64_t totp_step(long long unix_time)
{
	return unix_time < 0 ? 0 : (uint64_t)unix_time / TOTP_PERIOD;
}

long long totp_verify(const char *secret_b32, const char *code, long long unix_time, int window,
		      long long last_step)
{
	unsigned char key[64];
	int keylen = secret_b32 ? totp_base32_decode(secret_b32, key, sizeof key) : -1;
	if (keylen < 10)
		return -1;
	char typed[TOTP_DIGITS + 1];
	size_t n = 0;
	for (const char *p = code ? code : ""; *p; p++) {
		if (*p == ' ')
			continue;
		if (!isdigit((unsigned char)*p) || n >= TOTP_DIGITS) {
			n = 0;
			break;
		}
		typed[n++] = *p;
	}
	typed[n] = '\0';
	long long found = 0;
	if (n == TOTP_DIGITS) {
		uint64_t now = totp_step(unix_time);
		for (int d = -window; d <= window; d++) {
			if ((long long)now + d <= 0 || (long long)now + d <= last_step)
				continue;
			char want[TOTP_DIGITS + 1];
			if (totp_hotp(key, (size_t)keylen, now + (uint64_t)(long long)d, want) < 0)
				break;
			if (CRYPTO_memcmp(want, typed, TOTP_DIGITS) == 0 && !found)
				found = (long long)now + d;
		}
	}
	OPENSSL_cleanse(key, sizeof key);
	return found;
}

/* Percent-encode s (RFC 3986 unreserved kept) into out at *o. */
static int pct(const char *s, char *out, size_t cap, size_t *o)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int keep = isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == '@';
		int w = keep ? snprintf(out + *o, cap - *o, "%c", ch) : snprintf(out + *o, cap - *o, "%%%02X", ch);
		if (w < 0 || (size_t)w >= cap - *o)
			return -1;
		*o += (size_t)w;
	}
	return 0;
}

int totp_uri(const char *issuer, const char *account, const char *secret_b32, char *out, size_t cap)
{
	size_t o = 0;
	int w = snprintf(out, cap, "otpauth://totp/");
	if (w < 0 || (size_t)w >= cap)
		return -1;
	o = (size_t)w;
	if (pct(issuer, out, cap, &o) < 0 || o + 3 >= cap)
		return -1;
	memcpy(out + o, "%3A", 3); /* issuer:account, the colon encoded */
	o += 3;
	if (pct(account, out, cap, &o) < 0)
		return -1;
	w = snprintf(out + o, cap - o, "?secret=%s&issuer=", secret_b32);
	if (w < 0 || (size_t)w >= cap - o)
		return -1;
	o += (size_t)w;
	if (pct(issuer, out, cap, &o) < 0)
		return -1;
	w = snprintf(out + o, cap - o, "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS, TOTP_PERIOD);
	if (w < 0 || (size_t)w >= cap - o)
		return -1;
	return (int)(o + (size_t)w);
}
