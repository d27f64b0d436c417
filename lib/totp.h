/* totp.h - time-based one-time passwords (RFC 6238 over RFC 4226 HOTP, HMAC-SHA-1, 6 digits,
 * 30-second steps: what every authenticator app computes), base32 secrets (RFC 4648, no
 * padding) and the otpauth:// URI an app scans. */
#ifndef PORTAL_TOTP_H
#define PORTAL_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_BYTES 20 /* 160 bits, RFC 4226's recommendation */
#define TOTP_SECRET_B32 32   /* base32 characters of such a secret (buffers need 33) */
#define TOTP_DIGITS 6
#define TOTP_PERIOD 30

/* A fresh random secret as base32 (TOTP_SECRET_B32 characters and a NUL). 0, or -1 (no
 * randomness). */
int totp_secret_new(char out[TOTP_SECRET_B32 + 1]);

/* Base32 (upper or lower case; spaces and '-' ignored; no padding needed) into at most cap
 * bytes: the number of bytes, or -1 when malformed or too long. */
int totp_base32_decode(const char *s, unsigned char *out, size_t cap);
/* n bytes as base32 without padding into out (cap >= ceil(n * 8 / 5) + 1). 0 or -1. */
int totp_base32_encode(const unsigned char *in, size_t n, char *out, size_t cap);

/* The HOTP value of key at counter as TOTP_DIGITS decimal digits into out (7 bytes). 0 or -1. */
int totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter, char out[TOTP_DIGITS + 1]);

/* The time step of a Unix time. */
uint64_t totp_step(long long unix_time);

/*
 * Checks a typed code against the base32 secret at unix_time, accepting the steps from
 * window before to window after the current one (clock drift), and only steps above last_step
 * (a code is never taken twice, nor one older than the last taken). Spaces in the code are
 * ignored. Returns the matched step (> 0), 0 when the code is wrong, reused or malformed, -1
 * when the secret is malformed. Compares in constant time per candidate.
 */
long long totp_verify(const char *secret_b32, const char *code, long long unix_time, int window,
		      long long last_step);

/* The otpauth://totp/ URI of a secret for an app: issuer and account (percent-encoded here)
 * label it in the app. Returns the length written, or -1 when it does not fit cap. */
int totp_uri(const char *issuer, const char *account, const char *secret_b32, char *out, size_t cap);

#endif
