/* base64.c - RFC 4648 base64 for tokens, JWTs, MIME and SAML: one encoder, one strict decoder. */
#include "base64.h"

static const char alphabet_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char alphabet_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int value(unsigned char c, int flags)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (flags & BASE64_URL ? '-' : '+'))
		return 62;
	if (c == (flags & BASE64_URL ? '_' : '/'))
		return 63;
	return -1;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

size_t base64_encoded_len(size_t n, int flags)
{
	if (flags & BASE64_NOPAD)
		return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
	return (n + 2) / 3 * 4;
}

size_t base64_encode(const void *in, size_t n, char *out, int flags)
{
	const unsigned char *p = in;
	const char *tab = flags & BASE64_URL ? alphabet_url : alphabet_std;
	int pad = !(flags & BASE64_NOPAD);
	size_t k = 0;

	for (size_t i = 0; i < n; i += 3) {
		size_t left = n - i;
		unsigned long v = (unsigned long)p[i] << 16;
		if (left > 1)
			v |= (unsigned long)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		out[k++] = tab[v >> 18 & 63];
		out[k++] = tab[v >> 12 & 63];
		if (left > 1)
			out[k++] = tab[v >> 6 & 63];
		else if (pad)
			out[k++] = '=';
		if (left > 2)
			out[k++] = tab[v & 63];
		else if (pad)
			out[k++] = '=';
	}
	out[k] = '\0';
	return k;
}

void buf_base64(struct buf *b, const void *in, size_t n, int flags)
{
	size_t len = base64_encoded_len(n, flags);
	if (buf_reserve(b, len) < 0)
		return;
	b->len += base64_encode(in, n, b->data + b->len, flags);
}

int base64_decode(const char *in, size_t n, unsigned char *out, size_t cap, size_t *outlen,
		  int flags)
{
	unsigned long acc = 0;
	int bits = 0;
	size_t k = 0, chars = 0, pad = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if ((flags & BASE64_SPACE) && is_space(c))
			continue;
		if (c == '=' && !(flags & BASE64_NOPAD)) {
			pad++;
			continue;
		}
		int v = value(c, flags);
		if (v < 0 || pad)
			return -1; /* outside the alphabet, or data after padding */
		acc = (acc << 6 | (unsigned long)v) & 0xffff;
		bits += 6;
		chars++;
		if (bits >= 8) {
			bits -= 8;
			if (k == cap)
				return -1;
			out[k++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	if (chars % 4 == 1 || (bits && (acc & ((1UL << bits) - 1))))
		return -1;
	if (!(flags & BASE64_NOPAD) && pad != (4 - chars % 4) % 4)
		return -1;
	*outlen = k;
	return 0;
}

size_t base64_decoded_max(size_t n)
{
	return n / 4 * 3 + n % 4 * 3 / 4;
}

size_t base64_span(const char *s, int flags)
{
	size_t n = 0;
	while (value((unsigned char)s[n], flags) >= 0)
		n++;
	return n;
}
