/* saml_fuzz.c - libFuzzer target: fuzzed Responses through saml_verify_response (which must never
 * accept one: the fuzzer has no IdP key), and fuzzed form fields and metadata through the rest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "saml.h"

/*
 * Input: when the first byte is 0x01, the rest goes to saml_decode_post (and what it decodes on to
 * saml_verify_response), to saml_idp_metadata and to saml_cert_check and saml_cert_list.
 * Otherwise the whole input is the Response XML, so a corpus of plain SAML documents works as it
 * is.
 *
 * The certificate below is a throwaway whose private key was deleted after it was made: no input
 * can carry a valid signature for it, so any success of saml_verify_response is a bug.
 */
static const char idp_cert[] = "-----BEGIN CERTIFICATE-----\n"
			       "MIIDCTCCAfGgAwIBAgIUPxUBG0wl5nZn9mzy8WIwVlDUEPUwDQYJKoZIhvcNAQEL\n"
			       "BQAwEzERMA8GA1UEAwwIZnV6ei1pZHAwIBcNMjYxMTI2MTkzOTQ2WhgPMjEyNjEx\n"
			       "MDIxOTM5NDZaMBMxETAPBgNVBAMMCGZ1enotaWRwMIIBIjANBgkqhkiG9w0BAQEF\n"
			       "AAOCAQ8AMIIBCgKCAQEA1Q4aWPlzjOcMIu/awFiCH4LJQwQbppFZHAbDvCS3M6/d\n"
			       "JCg6BmQ1rStbXaYJbb64Xem7c027p76rAO9lpXRVgpeHHhCQz2fJ1Y5512oY7/1f\n"
			       "kPO2ImoPDMQw81GhI5z3rh5AS2KfogcFfvcjg/7tUBjNcbS9zaGfAIjMoAK57YWJ\n"
			       "4JKKTU128wexmS3A20snfRbuWsX8BMZ4YWttVH0SOxrOElqRCF1LALLsnZDCWqrg\n"
			       "AoANCPJE5OswMnJVzRNhYzMb8yVTDH5/j9vHH+ZHz0CspR9K0UvvJMJSUcy7Is8R\n"
			       "AH3tpA8s+e7Mp8P0WQwDmGTJG3Hgeagg2RXYJ03NLwIDAQABo1MwUTAdBgNVHQ4E\n"
			       "FgQUkRRuhn54XXI0nAqrsr5/sEYEYiAwHwYDVR0jBBgwFoAUkRRuhn54XXI0nAqr\n"
			       "sr5/sEYEYiAwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAW7Mp\n"
			       "DutDvWRCR1tDaN4BVBPqEdPVP/tnFxQogmvhuGYNpjehoys/LL88f9w/HM9Zr5zO\n"
			       "aEPRRRXaBKOCQvPgDTAAhctr4HjW9vblhunnYwUn5xexBJWLR9/q4EEKO2pmju18\n"
			       "sLRwh+m2qqSeKBpljctpzAtZKlvTljUnnLMpMhRGvsbx6qTXn83ee19VD8EXawn+\n"
			       "BEq1bqBAawUl9RtP3kTgvlUJj8+cXlI17F0YRQcJOwFso0IMk3ZddMUaoiAPlRaX\n"
			       "C305o66Cis7dSyTtw6+evcQfUyjexJPsZ3M9049Y3XyoQ8OuJd7SK+8IsJ3+xOh2\n"
			       "xOua96wSLF2arkEUQQ==\n"
			       "-----END CERTIFICATE-----\n";

static const struct saml_config cfg = {
    .idp_entity_id = "https://idp.example.test/saml",
    .idp_cert_pem = idp_cert,
    .sp_entity_id = "https://portal.example.test/sso/saml/metadata",
    .acs_url = "https://portal.example.test/sso/saml/acs",
    .email_attribute = "",
    .allow_sha1 = 1, /* the widest configuration: more code reached */
    .now = 1798761600L,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (saml_init() != 0)
		abort();
	return 0;
}

static int all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i])
			return 0;
	return 1;
}

/* A Response is never accepted; a refusal always says why and leaves the identity empty. */
static void verify(const char *xml, size_t len)
{
	struct saml_identity id;
	char reason[128];

	memset(reason, 'x', sizeof reason);
	if (saml_verify_response(xml, len, &cfg, &id, reason, sizeof reason) != -1)
		abort();
	if (!reason[0] || !memchr(reason, '\0', sizeof reason) || !all_zero(&id, sizeof id))
		abort();
}

static void decode(const char *in, size_t n)
{
	char *s = malloc(n + 1), *out;
	size_t len = 0;

	if (!s)
		abort();
	memcpy(s, in, n);
	s[n] = '\0';
	out = saml_decode_post(s, &len);
	if (out) {
		/* only the base64 alphabet and white space got through, and the bytes re-encode */
		for (size_t i = 0; s[i]; i++)
			if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
				    "+/= \t\r\n\f\v",
				    s[i]))
				abort();
		if (len == 0 || len > SAML_MAX_RESPONSE || out[len] != '\0')
			abort();
		unsigned char *enc = malloc(4 * ((len + 2) / 3) + 1);
		size_t back = 0;
		if (!enc)
			abort();
		EVP_EncodeBlock(enc, (const unsigned char *)out, (int)len);
		char *again = saml_decode_post((const char *)enc, &back);
		if (!again || back != len || memcmp(again, out, len) != 0)
			abort();
		free(again);
		free(enc);
		verify(out, len);
		free(out);
	}
	free(s);
}

static void metadata(const char *in, size_t n)
{
	char eid[256], url[256], slo[256], reason[128], *pem = (char *)1;
	int rc = saml_idp_metadata(in, n, eid, sizeof eid, url, sizeof url, slo, sizeof slo, &pem,
				   reason, sizeof reason);

	if (rc == 0) {
		if (!eid[0] || strncmp(url, "http", 4) != 0 || !pem || reason[0] ||
		    (slo[0] && strncmp(slo, "http", 4) != 0) ||
		    saml_cert_check(pem, reason, sizeof reason) != 0)
			abort();
		free(pem);
	} else if (rc != -1 || !reason[0] || pem || eid[0] || url[0] || slo[0]) {
		abort();
	}
}

static void cert(const char *in, size_t n)
{
	char *s = malloc(n + 1), reason[128];
	int rc;

	if (!s)
		abort();
	memcpy(s, in, n);
	s[n] = '\0';
	rc = saml_cert_check(s, reason, sizeof reason);
	if ((rc == 0 && reason[0]) || (rc == -1 && !reason[0]) || (rc != 0 && rc != -1))
		abort();
	/* the list agrees with the check: 1..SAML_MAX_CERTS certificates, or -1 */
	struct saml_cert_info info[SAML_MAX_CERTS];
	int k = saml_cert_list(s, info, SAML_MAX_CERTS);
	if (rc == 0 ? (k < 1 || k > SAML_MAX_CERTS || !info[0].sha256[0]) : k != -1)
		abort();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char *copy;

	if (size > 0 && data[0] == 0x01) {
		decode(in + 1, size - 1);
		/* exactly size - 1 bytes, so that ASan sees any read past the end */
		copy = size > 1 ? malloc(size - 1) : NULL;
		if (copy)
			memcpy(copy, in + 1, size - 1);
		metadata(copy, copy ? size - 1 : 0);
		free(copy);
		cert(in + 1, size - 1);
		return 0;
	}
	copy = size ? malloc(size) : NULL;
	if (size && !copy)
		abort();
	if (size)
		memcpy(copy, in, size);
	verify(copy, size);
	free(copy);
	return 0;
}
