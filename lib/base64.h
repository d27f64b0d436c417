/* base64.h - RFC 4648 base64: the standard and the URL alphabet, with or without '=' padding. */
#ifndef PORTAL_BASE64_H
#define PORTAL_BASE64_H

#include <stddef.h>

#include "buf.h"

/* Flags, or-ed together. */
#define BASE64_URL 0x1   /* '-' and '_' instead of '+' and '/' */
#define BASE64_NOPAD 0x2 /* encode without '='; decode refuses '=' and takes any length but 1 mod 4 */
#define BASE64_SPACE 0x4 /* decode: ASCII white space anywhere is skipped */

/* Characters base64_encode writes for n bytes, without the NUL. */
size_t base64_encoded_len(size_t n, int flags);

/* Encodes n bytes at in to out (base64_encoded_len(n, flags) + 1 bytes: a NUL ends it); returns
 * the characters written. */
size_t base64_encode(const void *in, size_t n, char *out, int flags);

/* Appends the encoding of n bytes to b (b->oom on failure). */
void buf_base64(struct buf *b, const void *in, size_t n, int flags);

/*
 * Strict decode of in[0..n) into out (cap bytes): only the alphabet's 64 characters (and white
 * space with BASE64_SPACE); with padding, a whole number of 4-character groups and '=' only at
 * the end; the unused low bits of the last character zero (one spelling per byte string).
 * Returns 0 with *outlen set, or -1 when malformed or the result would not fit in cap.
 */
int base64_decode(const char *in, size_t n, unsigned char *out, size_t cap, size_t *outlen,
		  int flags);

/* Bytes base64_decode can write at most for n characters. */
size_t base64_decoded_max(size_t n);

/* How many characters at the start of s belong to the alphabet (no padding, no white space). */
size_t base64_span(const char *s, int flags);

#endif
