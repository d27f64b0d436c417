/* secretbox.h - small secrets kept in the database encrypted under the config's secret_key (the
 * IMAP passwords of inbox addresses): AES-256-GCM through OpenSSL EVP, the key HMAC-SHA-256 of
 * "secretbox" under the secret_key's text (apart from the key of its other uses, which sign
 * tokens), a random 12-byte nonce per secret, and the secret's context (what it belongs to, e.g.
 * "inbox_address:7") as additional authenticated data, so a sealed value copied to another row
 * does not open there; stored as base64 (standard alphabet, padded) of nonce | 16-byte tag |
 * ciphertext. The console encrypts, the mailer decrypts. */
#ifndef PORTAL_SECRETBOX_H
#define PORTAL_SECRETBOX_H

#include <stddef.h>

#define SECRETBOX_NONCE 12
#define SECRETBOX_TAG 16
#define SECRETBOX_MAX 1024 /* longest plaintext, bytes */

/* Characters secretbox_seal writes for a plaintext of n bytes, without the NUL. */
size_t secretbox_sealed_len(size_t n);

/* Encrypt the NUL-terminated plain (at most SECRETBOX_MAX bytes) under key_text (the config's
 * secret_key) for context into out (cap bytes, NUL-terminated). 0, or -1 (too long, out too
 * small, no randomness, OpenSSL failure). */
int secretbox_seal(const char *key_text, const char *context, const char *plain, char *out, size_t cap);

/* Decrypt sealed into out (cap bytes, NUL-terminated). 0, or -1 when malformed, forged, sealed
 * under another key or for another context, holding a NUL, or too long for out. out is wiped on
 * failure. */
int secretbox_open(const char *key_text, const char *context, const char *sealed, char *out, size_t cap);

#endif
