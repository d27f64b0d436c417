/* saml_test.c - unit tests of lib/saml: Responses signed by the xmlsec1 command with keys made
 * here, each refusal with its reason, wrapping variants, the AuthnRequest, metadata and
 * certificates. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "check.h"
#include "saml.h"

#define NOW 1798761600L /* 2027-01-01T00:00:00Z: every config uses this fixed clock */
#define IDP "https://idp.example.test/saml"
#define SP "https://portal.example.test/sso/saml/metadata"
#define ACS "https://portal.example.test/sso/saml/acs"
#define NS_DECL                                                                                    \
	"xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "                                    \
	"xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\""
#define RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define RSA_SHA1 "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
#define SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"
#define SHA1 "http://www.w3.org/2000/09/xmldsig#sha1"
#define EMAIL_FMT "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
#define ENVELOPED                                                                                  \
	"<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
#define EXC_C14N "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"

static char dir[64];
static char *idp_cert, *other_cert;

/* ---------------------------------------------------------------- fixtures */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char tmp[4096];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_append(&b, tmp, n);
	fclose(f);
	if (!b.data)
		buf_puts(&b, "");
	return b.data;
}

static int spit(const char *path, const char *s)
{
	FILE *f = fopen(path, "wb");
	int rc;

	if (!f)
		return -1;
	rc = fputs(s, f) < 0 ? -1 : 0;
	return fclose(f) == 0 ? rc : -1;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void instant(long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A fresh RSA key and self-signed certificate: dir/<name>.key, dir/<name>.crt. */
static int make_key(const char *name, int bits)
{
	return sh("openssl req -x509 -newkey rsa:%d -nodes -sha256 -days 3650 -subj /CN=%s "
		  "-keyout %s/%s.key -out %s/%s.crt 2>/dev/null",
		  bits, name, dir, name, dir, name);
}

struct resp {
	const char *resp_id, *as_id;
	const char *destination; /* NULL: no Destination */
	const char *resp_issuer; /* NULL: no Response Issuer */
	const char *issuer;
	const char *audience;
	const char *recipient;
	const char *nameid, *nameid_format;
	const char *resp_irt,
	    *scd_irt;	      /* InResponseTo of the Response and the confirmation; NULL: none */
	const char *cond_noa; /* a literal NotOnOrAfter for Conditions, else from the times */
	long not_before, not_on_or_after, scd_noa;
	const char *attrs; /* an AttributeStatement, or "" */
	int sign_assertion, sign_response;
	const char *sig_alg, *digest_alg;
	const char *ref_uri;	/* NULL: "#" + the signed element's ID */
	const char *keyinfo;	/* "" or a KeyInfo template that xmlsec1 fills in */
	const char *transforms; /* NULL: enveloped-signature then exc-c14n */
	const char *key;	/* "idp" or "other" */
};

static struct resp base(void)
{
	struct resp r = {
	    .resp_id = "_resp1",
	    .as_id = "_as1",
	    .destination = ACS,
	    .resp_issuer = IDP,
	    .issuer = IDP,
	    .audience = SP,
	    .recipient = ACS,
	    .nameid = "ada@example.com",
	    .nameid_format = EMAIL_FMT,
	    .resp_irt = "_req1",
	    .scd_irt = "_req1",
	    .cond_noa = NULL,
	    .not_before = NOW - 60,
	    .not_on_or_after = NOW + 300,
	    .scd_noa = NOW + 300,
	    .attrs = "",
	    .sign_assertion = 1,
	    .sign_response = 0,
	    .sig_alg = RSA_SHA256,
	    .digest_alg = SHA256,
	    .ref_uri = NULL,
	    .keyinfo = "",
	    .key = "idp",
	    .transforms = NULL,
	};
	return r;
}

static void sig_template(struct buf *b, const struct resp *r, const char *id)
{
	buf_printf(
	    b,
	    "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>"
	    "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
	    "<ds:SignatureMethod Algorithm=\"%s\"/><ds:Reference "
	    "URI=\"%s%s\"><ds:Transforms>%s</ds:Transforms>"
	    "<ds:DigestMethod Algorithm=\"%s\"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>"
	    "<ds:SignatureValue/>%s</ds:Signature>",
	    r->sig_alg, r->ref_uri ? "" : "#", r->ref_uri ? r->ref_uri : id,
	    r->transforms ? r->transforms : ENVELOPED EXC_C14N, r->digest_alg, r->keyinfo);
}

static void assertion_xml(struct buf *b, const struct resp *r)
{
	char nb[32], noa[32], snoa[32], now[32];

	instant(r->not_before, nb);
	instant(r->not_on_or_after, noa);
	instant(r->scd_noa, snoa);
	instant(NOW, now);
	buf_printf(b,
		   "<saml:Assertion ID=\"%s\" Version=\"2.0\" "
		   "IssueInstant=\"%s\"><saml:Issuer>%s</saml:Issuer>",
		   r->as_id, now, r->issuer);
	if (r->sign_assertion)
		sig_template(b, r, r->as_id);
	buf_printf(b,
		   "<saml:Subject><saml:NameID Format=\"%s\">%s</saml:NameID>"
		   "<saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">"
		   "<saml:SubjectConfirmationData",
		   r->nameid_format, r->nameid);
	if (r->scd_irt)
		buf_printf(b, " InResponseTo=\"%s\"", r->scd_irt);
	buf_printf(
	    b,
	    " NotOnOrAfter=\"%s\" Recipient=\"%s\"/></saml:SubjectConfirmation></saml:Subject>"
	    "<saml:Conditions NotBefore=\"%s\" NotOnOrAfter=\"%s\"><saml:AudienceRestriction>"
	    "<saml:Audience>%s</saml:Audience></saml:AudienceRestriction></saml:Conditions>"
	    "<saml:AuthnStatement AuthnInstant=\"%s\" SessionIndex=\"_s1\"><saml:AuthnContext>"
	    "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:"
	    "PasswordProtectedTransport"
	    "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>%s</"
	    "saml:Assertion>",
	    snoa, r->recipient, nb, r->cond_noa ? r->cond_noa : noa, r->audience, now, r->attrs);
}

static void response_xml(struct buf *b, const struct resp *r, int with_response_sig)
{
	char now[32];

	instant(NOW, now);
	buf_printf(b, "<samlp:Response " NS_DECL " ID=\"%s\" Version=\"2.0\" IssueInstant=\"%s\"",
		   r->resp_id, now);
	if (r->destination)
		buf_printf(b, " Destination=\"%s\"", r->destination);
	if (r->resp_irt)
		buf_printf(b, " InResponseTo=\"%s\"", r->resp_irt);
	buf_puts(b, ">");
	if (r->resp_issuer)
		buf_printf(b, "<saml:Issuer>%s</saml:Issuer>", r->resp_issuer);
	if (with_response_sig)
		sig_template(b, r, r->resp_id);
	buf_puts(
	    b,
	    "<samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/>"
	    "</samlp:Status>");
	assertion_xml(b, r);
	buf_puts(b, "</samlp:Response>");
}

/* Sign dir/in.xml's first ds:Signature with key into dir/out.xml; the output, malloc'd, or NULL. */
static char *xmlsec_sign(const char *xml, const char *key)
{
	char in[128], out[128];

	snprintf(in, sizeof in, "%s/in.xml", dir);
	snprintf(out, sizeof out, "%s/out.xml", dir);
	unlink(out);
	if (spit(in, xml) < 0)
		return NULL;
	if (sh("xmlsec1 --sign --privkey-pem %s/%s.key,%s/%s.crt "
	       "--id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion "
	       "--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response --output %s %s "
	       "2>%s/sign.err",
	       dir, key, dir, key, out, in, dir) != 0) {
		fprintf(stderr, "xmlsec1 --sign failed:\n%s\n", xml);
		return NULL;
	}
	return slurp(out);
}

/* The Response of r, signed as r asks (the assertion first, then the Response around it). */
static char *signed_response(const struct resp *r)
{
	struct buf b = BUF_INIT;
	char *doc;

	response_xml(&b, r, 0);
	if (!r->sign_assertion)
		return b.data;
	doc = xmlsec_sign(b.data, r->key);
	buf_free(&b);
	return doc;
}

static char *signed_doc(const struct resp *r)
{
	struct buf b = BUF_INIT;
	char *doc;

	if (!r->sign_response)
		return signed_response(r);
	if (r->sign_assertion) {
		/* sign the assertion, then put the Response's template after its Issuer and sign
		 * that */
		char *p;
		doc = signed_response(r);
		if (!doc || !(p = strstr(doc, "</saml:Issuer>"))) {
			free(doc);
			return NULL;
		}
		p += strlen("</saml:Issuer>");
		buf_append(&b, doc, (size_t)(p - doc));
		sig_template(&b, r, r->resp_id);
		buf_puts(&b, p);
		free(doc);
	} else {
		response_xml(&b, r, 1);
	}
	doc = xmlsec_sign(b.data, r->key);
	buf_free(&b);
	return doc;
}

static struct saml_config config(void)
{
	struct saml_config c = {
	    .idp_entity_id = IDP,
	    .idp_cert_pem = idp_cert,
	    .sp_entity_id = SP,
	    .acs_url = ACS,
	    .email_attribute = "",
	    .allow_sha1 = 0,
	    .now = NOW,
	};
	return c;
}

/* Verify doc under cfg: the return code, with the reason in reason[]. */
static int verify(const char *doc, const struct saml_config *cfg, struct saml_identity *id,
		  char reason[160])
{
	if (!doc) {
		snprintf(reason, 160, "(no document)");
		return -2;
	}
	return saml_verify_response(doc, strlen(doc), cfg, id, reason, 160);
}

/* Verify doc with the default config and expect refusal with exactly want. */
static void expect_refused(const char *doc, const struct saml_config *cfg, const char *want)
{
	struct saml_identity id;
	char reason[160];

	CHECK_INT(verify(doc, cfg, &id, reason), -1);
	CHECK_STR(reason, want);
	CHECK_STR(id.email, "");
}

/* What the Response tests work on: r, the Response to sign (base()); cfg, the SP's settings
 * (config()); id and reason, what the last verify filled in. */
struct fixture {
	struct resp r;
	struct saml_config cfg;
	struct saml_identity id;
	char reason[160];
};

static struct fixture fixture(void)
{
	struct fixture f = {.r = base(), .cfg = config()};
	return f;
}

/* Sign f->r as it asks and verify the document under f->cfg: the return code. */
static int verify_signed(struct fixture *f)
{
	char *doc = signed_doc(&f->r);
	int rc = verify(doc, &f->cfg, &f->id, f->reason);

	free(doc);
	return rc;
}

/* Sign f->r as it asks and expect f->cfg to refuse the document with exactly want. */
static void expect_signed_refused(const struct fixture *f, const char *want)
{
	char *doc = signed_doc(&f->r);

	expect_refused(doc, &f->cfg, want);
	free(doc);
}

/* Replace the first occurrence of from in s by to; malloc'd. */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = s ? strstr(s, from) : NULL;
	struct buf b = BUF_INIT;

	if (!p) {
		fprintf(stderr, "replace: %s not found\n", from);
		return NULL;
	}
	buf_append(&b, s, (size_t)(p - s));
	buf_puts(&b, to);
	buf_puts(&b, p + strlen(from));
	return b.data;
}

/* The text from the first start to the matching end (inclusive), malloc'd. */
static char *between(const char *s, const char *start, const char *end)
{
	const char *a = s ? strstr(s, start) : NULL, *z = a ? strstr(a, end) : NULL;
	struct buf b = BUF_INIT;

	if (!z)
		return NULL;
	buf_append(&b, a, (size_t)(z + strlen(end) - a));
	return b.data;
}

/* The doc without the first start..end span. */
static char *cut(const char *s, const char *start, const char *end)
{
	char *span = between(s, start, end), *out = span ? replace(s, span, "") : NULL;
	free(span);
	return out;
}

/* ---------------------------------------------------------------- accepted */

static void test_signed_assertion_accepted(void)
{
	struct fixture f = fixture();
	char *doc = signed_doc(&f.r);

	CHECK_INT(verify(doc, &f.cfg, &f.id, f.reason), 0);
	CHECK_STR(f.reason, "");
	CHECK_STR(f.id.email, "ada@example.com");
	CHECK_STR(f.id.assertion_id, "_as1");
	CHECK_STR(f.id.in_response_to, "_req1");
	CHECK_STR(f.id.name, "");
	CHECK_INT(f.id.expires, NOW + 300 + SAML_SKEW_SECONDS);
	free(doc);
}

static void test_signed_response_with_one_assertion_accepted(void)
{
	struct fixture f = fixture();

	/* the SP wants signed assertions (its metadata says so): a Response signed only at the top
	 * is refused */
	f.r.sign_assertion = 0;
	f.r.sign_response = 1;
	expect_signed_refused(&f, "assertion not signed (only the Response is)");

	/* both signed */
	f.r.sign_assertion = 1;
	CHECK_INT(verify_signed(&f), 0);
	CHECK_STR(f.id.email, "ada@example.com");
}

static void test_transform_variants_accepted(void)
{
	struct fixture f = fixture();

	/* exc-c14n with InclusiveNamespaces, as many IdPs send it */
	f.r.transforms = ENVELOPED
	    "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\">"
	    "<ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" "
	    "PrefixList=\"xs samlp\"/></ds:Transform>";
	CHECK_INT(verify_signed(&f), 0);
	CHECK_STR(f.reason, "");
	/* enveloped-signature alone (xmlsec then applies inclusive C14N), on the Response too */
	f.r.transforms = ENVELOPED;
	f.r.sign_response = 1;
	CHECK_INT(verify_signed(&f), 0);
	CHECK_STR(f.reason, "");
	/* exc-c14n alone: the digest would cover the signature itself */
	f.r.transforms = EXC_C14N;
	f.r.sign_response = 0;
	expect_signed_refused(&f, "signature transform not allowed");
}

static void test_key_in_keyinfo_is_ignored(void)
{
	struct fixture f = fixture();
	char *doc, *x509, *other, *evil;

	/* signed with the IdP key; its KeyInfo then swapped for the other certificate: still
	 * verifies, because the key comes from the configuration alone */
	f.r.keyinfo = "<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>";
	doc = signed_doc(&f.r);
	x509 = between(doc, "<ds:X509Certificate>", "</ds:X509Certificate>");
	char path[128];
	snprintf(path, sizeof path, "%s/other.b64", dir);
	other = slurp(path);
	evil = x509 && other ? replace(doc, x509, other) : NULL;
	CHECK(evil != NULL);
	CHECK_INT(verify(evil, &f.cfg, &f.id, f.reason), 0);
	CHECK_STR(f.id.email, "ada@example.com");
	free(doc);
	free(x509);
	free(other);
	free(evil);
}

static void test_email_from_attribute(void)
{
	struct fixture f = fixture();
	char *doc;

	f.r.nameid = "8f1c7e2a";
	f.r.nameid_format = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
	f.r.attrs =
	    "<saml:AttributeStatement>"
	    "<saml:Attribute "
	    "Name=\"mail\"><saml:AttributeValue>grace@example.com</saml:AttributeValue>"
	    "<saml:AttributeValue>other@example.com</saml:AttributeValue></saml:Attribute>"
	    "<saml:Attribute "
	    "Name=\"givenName\"><saml:AttributeValue>Grace</saml:AttributeValue></saml:Attribute>"
	    "<saml:Attribute "
	    "Name=\"sn\"><saml:AttributeValue>Hopper</saml:AttributeValue></saml:Attribute>"
	    "</saml:AttributeStatement>";
	doc = signed_doc(&f.r);
	f.cfg.email_attribute = "mail";
	CHECK_INT(verify(doc, &f.cfg, &f.id, f.reason), 0);
	CHECK_STR(f.id.email, "grace@example.com");
	CHECK_STR(f.id.name, "Grace Hopper");

	/* with no attribute configured the persistent NameID is not an email: "mail" is used */
	f.cfg.email_attribute = "";
	CHECK_INT(verify(doc, &f.cfg, &f.id, f.reason), 0);
	CHECK_STR(f.id.email, "grace@example.com");
	f.cfg.email_attribute = "emailaddress";
	expect_refused(doc, &f.cfg, "the email attribute is missing");
	free(doc);
}

static void test_display_name_and_idp_initiated(void)
{
	struct fixture f = fixture();

	f.r.resp_irt = NULL;
	f.r.scd_irt = NULL;
	f.r.attrs =
	    "<saml:AttributeStatement><saml:Attribute Name=\"urn:oid:2.16.840.1.113730.3.1.241\" "
	    "FriendlyName=\"displayName\"><saml:AttributeValue>Ada Lovelace</saml:AttributeValue>"
	    "</saml:Attribute></saml:AttributeStatement>";
	CHECK_INT(verify_signed(&f), 0);
	CHECK_STR(f.id.name, "Ada Lovelace");
	CHECK_STR(f.id.in_response_to, "");
}

static void test_sha1_only_when_allowed(void)
{
	struct fixture f = fixture();
	char *doc;

	f.r.sig_alg = RSA_SHA1;
	f.r.digest_alg = SHA1;
	doc = signed_doc(&f.r);
	expect_refused(doc, &f.cfg, "signature algorithm not allowed");
	f.cfg.allow_sha1 = 1;
	CHECK_INT(verify(doc, &f.cfg, &f.id, f.reason), 0);
	CHECK_STR(f.id.email, "ada@example.com");
	free(doc);

	/* SHA-256 digest under an RSA-SHA1 signature: the signature method alone decides too */
	f.r.digest_alg = SHA256;
	doc = signed_doc(&f.r);
	f.cfg.allow_sha1 = 0;
	expect_refused(doc, &f.cfg, "signature algorithm not allowed");
	free(doc);
}

/* ---------------------------------------------------------------- signatures refused */

static void test_unsigned_refused(void)
{
	struct fixture f = fixture();

	f.r.sign_assertion = 0;
	expect_signed_refused(&f, "not signed");
}

static void test_other_key_refused(void)
{
	struct fixture f = fixture();
	char *doc;

	f.r.key = "other";
	expect_signed_refused(&f, "signature does not verify with any configured certificate");

	/* the other key's public value and certificate inside KeyInfo do not help */
	f.r.keyinfo = "<ds:KeyInfo><ds:KeyValue/></ds:KeyInfo>";
	doc = signed_doc(&f.r);
	CHECK(doc && strstr(doc, "<ds:Modulus>"));
	expect_refused(doc, &f.cfg, "signature does not verify with any configured certificate");
	free(doc);
	f.r.keyinfo = "<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>";
	doc = signed_doc(&f.r);
	CHECK(doc && strstr(doc, "<ds:X509Certificate>"));
	expect_refused(doc, &f.cfg, "signature does not verify with any configured certificate");
	free(doc);

	/* a signed Response by the other key around an assertion signed by the IdP: refused too */
	f.r = base();
	f.r.sign_response = 1;
	f.r.key = "other";
	expect_signed_refused(&f, "signature does not verify with any configured certificate");
}

static void test_tampered_assertion_refused(void)
{
	struct fixture f = fixture();
	char *doc = signed_doc(&f.r),
	     *evil = replace(doc, ">ada@example.com<", ">eve@example.com<");

	expect_refused(evil, &f.cfg, "signature does not verify with any configured certificate");
	free(doc);
	free(evil);

	f.r.sign_assertion = 0;
	f.r.sign_response = 1;
	doc = signed_doc(&f.r);
	evil = replace(doc, ">ada@example.com<", ">eve@example.com<");
	expect_refused(evil, &f.cfg, "signature does not verify with any configured certificate");
	free(doc);
	free(evil);
}

static void test_whole_document_reference_refused(void)
{
	struct fixture f = fixture();

	f.r.ref_uri =
	    ""; /* URI="": a valid signature over the whole document, not over the assertion */
	expect_signed_refused(&f, "signature reference is not the signed element");
	f.r.ref_uri = "#_resp1"; /* the assertion's signature names the Response */
	expect_signed_refused(&f, "signature reference is not the signed element");
}

static void test_signature_shape_refused(void)
{
	struct fixture f = fixture();
	char *doc = signed_doc(&f.r), *evil;

	evil = replace(doc, "xml-exc-c14n#\"/><ds:SignatureMethod",
		       "xml-exc-c14n#WithComments\"/><ds:SignatureMethod");
	expect_refused(evil, &f.cfg, "signature algorithm not allowed");
	free(evil);
	evil = replace(
	    doc,
	    "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>",
	    "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xslt-19991116\"/>");
	expect_refused(evil, &f.cfg, "signature transform not allowed");
	free(evil);
	evil = replace(doc, "</ds:SignatureValue>", "</ds:SignatureValue><ds:Object/>");
	expect_refused(evil, &f.cfg, "signature structure not allowed");
	free(evil);
	evil = replace(
	    doc, "</ds:Signature>",
	    "</ds:Signature><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/>");
	expect_refused(evil, &f.cfg, "two signatures on one element");
	free(evil);
	free(doc);
}

/* ---------------------------------------------------------------- signature wrapping */

/* The unsigned copy of the signed assertion with another NameID and the given ID. */
static char *evil_assertion(const char *doc, const char *id)
{
	char *as = between(doc, "<saml:Assertion", "</saml:Assertion>");
	char *a = as ? cut(as, "<ds:Signature", "</ds:Signature>") : NULL;
	char *b = a ? replace(a, ">ada@example.com<", ">eve@example.com<") : NULL;
	char *c = b ? replace(b, "ID=\"_as1\"", id) : NULL;

	free(as);
	free(a);
	free(b);
	return c;
}

static void test_wrapping_refused(void)
{
	struct fixture f = fixture();
	char *doc = signed_doc(&f.r), *good = between(doc, "<saml:Assertion", "</saml:Assertion>");
	char *evil = evil_assertion(doc, "ID=\"_evil\""),
	     *same = evil_assertion(doc, "ID=\"_as1\"");
	struct buf b = BUF_INIT;
	char *w, *sig;

	CHECK(good && evil && same);
	if (!good || !evil || !same)
		goto out;

	/* an evil assertion before, and after, the signed one */
	buf_printf(&b, "%s%s", evil, good);
	w = replace(doc, good, b.data);
	expect_refused(w, &f.cfg, "two assertions");
	free(w);
	buf_reset(&b);
	buf_printf(&b, "%s%s", good, evil);
	w = replace(doc, good, b.data);
	expect_refused(w, &f.cfg, "two assertions");
	free(w);

	/* the signed assertion moved into Extensions, the evil one in its place (other ID, same ID)
	 */
	{
		char *noas = cut(doc, "<saml:Assertion", "</saml:Assertion>"), *w1, *w2;
		buf_reset(&b);
		buf_printf(&b, "<samlp:Extensions>%s</samlp:Extensions><samlp:Status>", good);
		w1 = noas ? replace(noas, "<samlp:Status>", b.data) : NULL;
		w2 = w1 ? replace(w1, "</samlp:Response>", "__EVIL__</samlp:Response>") : NULL;
		w = w2 ? replace(w2, "__EVIL__", evil) : NULL;
		expect_refused(w, &f.cfg, "not signed");
		free(w);
		w = w2 ? replace(w2, "__EVIL__", same) : NULL;
		expect_refused(w, &f.cfg, "duplicate ID");
		free(w);
		free(noas), free(w1), free(w2);
	}

	/* the evil assertion carries the original signature (Reference #_as1) and the signed one
	 * rides inside it: the signature no longer names its own parent */
	sig = between(good, "<ds:Signature", "</ds:Signature>");
	{
		char *e1 = replace(evil, "</saml:Issuer>", "</saml:Issuer>__SIG__");
		char *e2 = e1 ? replace(e1, "__SIG__", sig) : NULL;
		char *e3 = e2 ? replace(e2, "</saml:Assertion>",
					"<saml:Advice>__GOOD__</saml:Advice></saml:Assertion>")
			      : NULL;
		char *e4 = e3 ? replace(e3, "__GOOD__", good) : NULL;
		w = e4 ? replace(doc, good, e4) : NULL;
		expect_refused(w, &f.cfg, "signature reference is not the signed element");
		free(w);
		/* the same with the evil assertion taking the original ID: two elements with one ID
		 */
		char *e5 = e4 ? replace(e4, "ID=\"_evil\"", "ID=\"_as1\"") : NULL;
		w = e5 ? replace(doc, good, e5) : NULL;
		expect_refused(w, &f.cfg, "duplicate ID");
		free(w);
		/* the signed assertion inside the signature's Object, evil one with its ID */
		free(e1), free(e2), free(e3), free(e4), free(e5);
		e1 = replace(same, "</saml:Issuer>", "</saml:Issuer>__SIG__");
		buf_reset(&b);
		buf_puts(&b, sig);
		e2 = replace(b.data, "</ds:Signature>",
			     "<ds:Object>__GOOD__</ds:Object></ds:Signature>");
		e3 = e2 ? replace(e2, "__GOOD__", good) : NULL;
		e4 = e1 && e3 ? replace(e1, "__SIG__", e3) : NULL;
		w = e4 ? replace(doc, good, e4) : NULL;
		expect_refused(w, &f.cfg, "duplicate ID");
		free(w);
		free(e1), free(e2), free(e3), free(e4);
	}
	free(sig);

	/* a signed Response with a second, evil assertion added */
	f.r.sign_assertion = 0;
	f.r.sign_response = 1;
	free(doc);
	doc = signed_doc(&f.r);
	w = replace(doc, "</samlp:Response>", "__EVIL__</samlp:Response>");
	{
		char *w2 = replace(w, "__EVIL__", evil);
		expect_refused(w2, &f.cfg, "two assertions");
		free(w2);
	}
	free(w);
	/* the Response signature moved into the evil assertion (the signed one gone) */
	{
		char *rsig = between(doc, "<ds:Signature", "</ds:Signature>");
		char *w1 = cut(doc, "<ds:Signature", "</ds:Signature>");
		char *w2 = w1 ? cut(w1, "<saml:Assertion", "</saml:Assertion>") : NULL;
		char *e1 = replace(evil, "</saml:Issuer>", "</saml:Issuer>__SIG__");
		char *e2 = e1 && rsig ? replace(e1, "__SIG__", rsig) : NULL;
		char *w3 =
		    w2 ? replace(w2, "</samlp:Response>", "__EVIL__</samlp:Response>") : NULL;
		char *w4 = w3 && e2 ? replace(w3, "__EVIL__", e2) : NULL;
		expect_refused(w4, &f.cfg, "signature reference is not the signed element");
		free(rsig), free(w1), free(w2), free(e1), free(e2), free(w3), free(w4);
	}
out:
	buf_free(&b);
	free(doc);
	free(good);
	free(evil);
	free(same);
}

static void test_two_or_no_assertions_refused(void)
{
	struct fixture f = fixture();
	char *doc = signed_doc(&f.r), *good = between(doc, "<saml:Assertion", "</saml:Assertion>");
	struct buf b = BUF_INIT;
	char *w;

	buf_printf(&b, "%s%s", good, good); /* the same signed assertion twice: duplicate IDs too */
	w = replace(doc, good, b.data);
	expect_refused(w, &f.cfg, "two assertions");
	free(w);
	w = replace(doc, good, "");
	expect_refused(w, &f.cfg, "no assertion");
	free(w);
	w = replace(doc, good, "<saml:EncryptedAssertion/>");
	expect_refused(w, &f.cfg, "encrypted assertions are not supported");
	free(w);
	w = replace(doc, good, "");
	{
		char *w2 = replace(w, "status:Success", "status:Responder");
		expect_refused(w2, &f.cfg, "status is not Success");
		free(w2);
	}
	free(w);
	buf_free(&b);
	free(good);
	free(doc);
}

/* ---------------------------------------------------------------- the contents refused */

static void test_wrong_audience_refused(void)
{
	struct fixture f = fixture();

	f.cfg.sp_entity_id = "https://other-portal.example.test/sso/saml/metadata";
	expect_signed_refused(&f, "audience is not this portal");
}

static void test_wrong_recipient_refused(void)
{
	struct fixture f = fixture();

	f.r.recipient = "https://other.example.test/acs";
	expect_signed_refused(&f, "recipient is not this portal's ACS URL");
}

static void test_wrong_destination_refused(void)
{
	struct fixture f = fixture();

	f.r.destination = "https://other.example.test/acs";
	expect_signed_refused(&f, "destination is not this portal's ACS URL");
	f.r.destination = NULL; /* no Destination on a Response that is not signed: allowed */
	CHECK_INT(verify_signed(&f), 0);
	/* a signed Response must say where it goes (bindings 3.5.5.2), signed assertion or not */
	f.r.sign_response = 1;
	expect_signed_refused(&f, "signed Response without Destination");
	f.r.destination = ACS;
	CHECK_INT(verify_signed(&f), 0);
}

static void test_wrong_issuer_refused(void)
{
	struct fixture f = fixture();
	char *doc, *w;

	/* on the assertion (signed), or on the Response (not signed, still checked) */
	f.r.issuer = "https://evil.example.test/saml";
	expect_signed_refused(&f, "issuer is not the configured identity provider");
	f.r = base();
	doc = signed_doc(&f.r);
	w = replace(doc, "<saml:Issuer>" IDP "</saml:Issuer>",
		    "<saml:Issuer>https://evil.example.test</saml:Issuer>");
	expect_refused(w, &f.cfg, "Response issuer is not the configured identity provider");
	free(w);
	free(doc);
}

static void test_in_response_to_mismatch_refused(void)
{
	struct fixture f = fixture();

	f.r.resp_irt = "_other";
	f.r.sign_response = 1; /* a signed Response's InResponseTo counts, and must agree */
	expect_signed_refused(&f, "InResponseTo of the assertion and the Response differ");
	f.r.sign_response = 0; /* an unsigned one is ignored: the assertion's is used */
	CHECK_INT(verify_signed(&f), 0);
	CHECK_STR(f.id.in_response_to, base().scd_irt);
	f.r.resp_irt = "_req9";
	f.r.sign_response = 1; /* only a signed Response's: copied out */
	f.r.scd_irt = NULL;
	CHECK_INT(verify_signed(&f), 0);
	CHECK_STR(f.id.in_response_to, "_req9");
	f.r.sign_response = 0;
	f.r.scd_irt =
	    NULL; /* only the unsigned Response's: not trusted, the answer is unsolicited */
	CHECK_INT(verify_signed(&f), 0);
	CHECK_STR(f.id.in_response_to, "");
}

static void test_expired_refused(void)
{
	struct fixture f = fixture();
	char *doc = signed_doc(&f.r);

	f.cfg.now = NOW + 300 + SAML_SKEW_SECONDS - 1; /* within the skew */
	CHECK_INT(verify(doc, &f.cfg, &f.id, f.reason), 0);
	CHECK_INT(f.id.expires, f.cfg.now + 300); /* kept at least five minutes */
	f.cfg.now = NOW + 300 + SAML_SKEW_SECONDS;
	expect_refused(doc, &f.cfg, "expired");
	f.cfg.now = NOW + 86400;
	expect_refused(doc, &f.cfg, "expired");
	free(doc);

	/* the subject confirmation alone expired */
	f.r.scd_noa = NOW - 600;
	doc = signed_doc(&f.r);
	f.cfg.now = NOW;
	expect_refused(doc, &f.cfg, "expired");
	free(doc);
}

static void test_not_yet_valid_refused(void)
{
	struct fixture f = fixture();
	char *doc = signed_doc(&f.r);

	f.cfg.now = NOW - 60 - SAML_SKEW_SECONDS; /* NotBefore is NOW - 60: within the skew */
	CHECK_INT(verify(doc, &f.cfg, &f.id, f.reason), 0);
	f.cfg.now = NOW - 60 - SAML_SKEW_SECONDS - 1;
	expect_refused(doc, &f.cfg, "not yet valid");
	free(doc);
}

static void test_timestamp_form_refused(void)
{
	struct fixture f = fixture();

	f.r.cond_noa = "2027-01-01T01:00:00+01:00";
	expect_signed_refused(&f, "timestamp is not UTC xs:dateTime");
	f.r.cond_noa = "2027-02-30T00:00:00Z";
	expect_signed_refused(&f, "timestamp is not UTC xs:dateTime");
	f.r.cond_noa = "2027-01-01T00:05:00.123456Z"; /* fractions are fine */
	CHECK_INT(verify_signed(&f), 0);
}

static void test_doctype_refused(void)
{
	struct fixture f = fixture();
	char *doc = signed_doc(&f.r), *body = doc ? strstr(doc, "<samlp:Response") : NULL;
	struct buf b = BUF_INIT;

	CHECK(body != NULL);
	if (!body) {
		free(doc);
		return;
	}
	buf_printf(&b, "<!DOCTYPE samlp:Response>%s", body);
	expect_refused(b.data, &f.cfg, "DOCTYPE not allowed");
	buf_reset(&b);
	buf_printf(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY e \"ada@example.com\">]>%s",
		   body);
	expect_refused(b.data, &f.cfg, "DOCTYPE not allowed");
	buf_reset(&b);
	buf_printf(&b, "<!DOCTYPE r SYSTEM \"file:///etc/passwd\">%s", body);
	expect_refused(b.data, &f.cfg, "DOCTYPE not allowed");
	buf_reset(&b);
	/* a billion laughs never gets expanded */
	buf_puts(
	    &b,
	    "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
	    "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><r>&c;</r>");
	expect_refused(b.data, &f.cfg, "DOCTYPE not allowed");
	buf_free(&b);

	/* an entity reference with no DOCTYPE is not well-formed */
	char *w = replace(doc, ">ada@example.com<", ">&e;<");
	expect_refused(w, &f.cfg, "not well-formed XML");
	free(w);
	expect_refused("<samlp:Response", &f.cfg, "not well-formed XML");
	expect_refused("<Response/>", &f.cfg, "not a SAML Response");
	free(doc);
}

static void test_nameid_with_comment_refused(void)
{
	struct fixture f = fixture();
	char *doc, *w;

	/* the IdP signed "ada@example.com.evil.test"; a comment after ".com" keeps the signature
	 * valid (comments are not signed) but would make a truncating reader see ada@example.com */
	f.r.nameid = "ada@example.com.evil.test";
	doc = signed_doc(&f.r);
	CHECK_INT(verify(doc, &f.cfg, &f.id, f.reason), 0);
	CHECK_STR(f.id.email, "ada@example.com.evil.test");
	w = replace(doc, "ada@example.com.evil.test", "ada@example.com<!---->.evil.test");
	expect_refused(w, &f.cfg, "NameID contains a comment");
	free(w);
	w = replace(doc, "ada@example.com.evil.test", "ada@example.com<!-- x -->");
	expect_refused(w, &f.cfg, "signature does not verify with any configured certificate");
	free(w);
	free(doc);

	/* CDATA is text and is taken whole */
	f.r.nameid = "<![CDATA[ada@example.com]]>";
	CHECK_INT(verify_signed(&f), 0);
	CHECK_STR(f.id.email, "ada@example.com");
	f.r.nameid = "ada@example.com<x/>";
	expect_signed_refused(&f, "NameID is not plain text");
	f.r.nameid = "not an email";
	expect_signed_refused(&f, "email address is not valid");
}

static void test_config_and_size_refused(void)
{
	struct fixture f = fixture();
	char *big = malloc(SAML_MAX_RESPONSE + 2);

	memset(big, ' ', SAML_MAX_RESPONSE + 1);
	big[SAML_MAX_RESPONSE + 1] = '\0';
	expect_refused(big, &f.cfg, "response too large");
	free(big);
	f.cfg.idp_cert_pem = "";
	expect_refused("<x/>", &f.cfg, "SAML is not configured");
	f.cfg.idp_cert_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	char *doc = signed_doc(&f.r);
	expect_refused(doc, &f.cfg, "the configured certificate is not usable");
	free(doc);
	CHECK_INT(saml_verify_response("", 0, &f.cfg, &f.id, f.reason, sizeof f.reason), -1);
	CHECK(f.reason[0] != '\0');
}

/* ---------------------------------------------------------------- bindings and metadata */

static void test_decode_post(void)
{
	size_t n = 0;
	char *s = saml_decode_post("PHNhbWxwOlJlc3BvbnNl\r\n IC8+", &n);

	CHECK_STR(s, "<samlp:Response />");
	CHECK_INT(n, 18);
	free(s);
	s = saml_decode_post("YQ==", &n);
	CHECK_STR(s, "a");
	free(s);
	CHECK(saml_decode_post("YQ=", &n) == NULL);
	CHECK(saml_decode_post("Y$Q=", &n) == NULL);
	CHECK(saml_decode_post("YQ==YQ==", &n) == NULL);
	CHECK(saml_decode_post("YR==", &n) == NULL); /* stray bits in the padding */
	CHECK(saml_decode_post("", &n) == NULL);
	CHECK(saml_decode_post("   ", &n) == NULL);
	CHECK(saml_decode_post(NULL, &n) == NULL);

	/* the size limit counts the decoded bytes */
	size_t raw = SAML_MAX_RESPONSE / 3 * 4;
	char *b = malloc(raw + 5);
	memset(b, 'A', raw);
	b[raw] = '\0';
	s = saml_decode_post(b, &n);
	CHECK(s != NULL);
	CHECK_INT(n, SAML_MAX_RESPONSE / 3 * 3);
	free(s);
	memcpy(b + raw, "AAAA", 5);
	CHECK(saml_decode_post(b, &n) == NULL);
	free(b);
}

static char *pct_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n + 1) {
			char h[3] = {s[i + 1], s[i + 2], 0};
			*o++ = (char)strtol(h, NULL, 16);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static void test_authn_request(void)
{
	char rid[64],
	    *url = saml_authn_redirect("https://idp.example.test/sso?tenant=1", SP,
				       ACS "?a=1&b=\"2\"", "/tickets?x=1", NOW, rid, sizeof rid);
	const char *q, *amp;

	CHECK(url != NULL);
	if (!url)
		return;
	CHECK_INT(strlen(rid), 41);
	CHECK(rid[0] == '_' && strspn(rid + 1, "0123456789abcdef") == 40);
	static const char pre[] = "https://idp.example.test/sso?tenant=1&SAMLRequest=";
	CHECK(strncmp(url, pre, strlen(pre)) == 0);
	q = url + strlen(pre);
	amp = strchr(q, '&');
	CHECK(amp && strcmp(amp, "&RelayState=%2Ftickets%3Fx%3D1") == 0);

	char *b64 = pct_decode(q, amp ? (size_t)(amp - q) : strlen(q));
	size_t zlen = 0;
	char *z = saml_decode_post(b64, &zlen);
	unsigned char xml[4096];
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	CHECK(z != NULL);
	CHECK_INT(inflateInit2(&zs, -15), Z_OK);
	zs.next_in = (unsigned char *)z;
	zs.avail_in = (unsigned)zlen;
	zs.next_out = xml;
	zs.avail_out = sizeof xml - 1;
	CHECK_INT(inflate(&zs, Z_FINISH), Z_STREAM_END);
	xml[zs.total_out] = '\0';
	inflateEnd(&zs);

	char want[128];
	snprintf(want, sizeof want, "ID=\"%s\"", rid);
	CHECK(strstr((char *)xml, want) != NULL);
	CHECK(strstr((char *)xml, "<samlp:AuthnRequest ") == (char *)xml);
	CHECK(strstr((char *)xml, "Version=\"2.0\" IssueInstant=\"2027-01-01T00:00:00Z\"") != NULL);
	CHECK(strstr((char *)xml,
		     "AssertionConsumerServiceURL=\"" ACS "?a=1&amp;b=&quot;2&quot;\"") != NULL);
	CHECK(strstr((char *)xml, "Destination=\"https://idp.example.test/sso?tenant=1\"") != NULL);
	CHECK(strstr((char *)xml, "<saml:Issuer>" SP "</saml:Issuer>") != NULL);
	CHECK(strstr((char *)xml,
		     "ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\"") != NULL);
	CHECK(strstr((char *)xml, "<samlp:NameIDPolicy Format=\"" EMAIL_FMT
				  "\" AllowCreate=\"true\"/>") != NULL);
	free(z);
	free(b64);
	free(url);

	/* no '?' yet: one is added; no RelayState: none sent; two requests get two IDs */
	char rid2[64];
	url = saml_authn_redirect("https://idp.example.test/sso", SP, ACS, NULL, NOW, rid2,
				  sizeof rid2);
	CHECK(url && strncmp(url, "https://idp.example.test/sso?SAMLRequest=",
			     strlen("https://idp.example.test/sso?SAMLRequest=")) == 0);
	CHECK(url && !strstr(url, "RelayState"));
	CHECK(strcmp(rid, rid2) != 0);
	free(url);
	CHECK(saml_authn_redirect("https://idp.example.test/sso", SP, ACS, NULL, NOW, rid2, 41) ==
	      NULL);
	CHECK(saml_authn_redirect("https://idp.example.test/sso", "sp\001", ACS, NULL, NOW, rid2,
				  sizeof rid2) == NULL);
}

static void test_sp_metadata(void)
{
	char *m = saml_sp_metadata(SP, ACS);

	CHECK(m != NULL);
	CHECK(m && strstr(m, "entityID=\"" SP "\""));
	CHECK(m && strstr(m, "<md:AssertionConsumerService "
			     "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
			     "Location=\"" ACS "\""));
	/* the assertion must be signed, and the metadata says so (an IdP set up from it signs) */
	CHECK(m && strstr(m, "WantAssertionsSigned=\"true\""));
	CHECK(m && !strstr(m, "WantAssertionsSigned=\"false\""));
	CHECK(m && strstr(m, "<md:NameIDFormat>" EMAIL_FMT "</md:NameIDFormat>"));
	free(m);
	m = saml_sp_metadata("a\"<b", ACS);
	CHECK(m && strstr(m, "entityID=\"a&quot;&lt;b\""));
	free(m);
}

/* The base64 body of a PEM, newlines dropped. */
static char *pem_body(const char *pem)
{
	struct buf b = BUF_INIT;
	const char *p = pem ? strstr(pem, "-----\n") : NULL,
		   *e = pem ? strstr(pem, "-----END") : NULL;

	if (!p || !e)
		return NULL;
	for (p += 6; p < e; p++)
		if (*p != '\n' && *p != '\r')
			buf_putc(&b, *p);
	return b.data;
}

/* What saml_idp_metadata reads out of a document, in buffers of the sizes the console uses. */
struct idp_md {
	char eid[256], url[256], slo[256], reason[160];
	char *pem; /* malloc'd */
};

/* saml_idp_metadata of xml into m (the PEM of an earlier read freed first). */
static int read_metadata(struct idp_md *m, const char *xml, size_t len)
{
	free(m->pem);
	m->pem = NULL;
	return saml_idp_metadata(xml, len, m->eid, sizeof m->eid, m->url, sizeof m->url, m->slo,
				 sizeof m->slo, &m->pem, m->reason, sizeof m->reason);
}

static void test_idp_metadata(void)
{
	char *idp_b64 = pem_body(idp_cert), *other_b64 = pem_body(other_cert);
	struct idp_md m = {.pem = NULL};
	struct buf b = BUF_INIT;

	buf_printf(
	    &b,
	    "<?xml version=\"1.0\"?>\n"
	    "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
	    "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"" IDP "\">"
	    "<md:IDPSSODescriptor "
	    "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
	    "<md:KeyDescriptor use=\"encryption\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
	    "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
	    "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n  "
	    "%.50s\n  %s\n"
	    "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
	    "<md:NameIDFormat>" EMAIL_FMT "</md:NameIDFormat>"
	    "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
	    "Location=\"https://idp.example.test/sso/post\"/>"
	    "<md:SingleSignOnService "
	    "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" "
	    "Location=\"https://idp.example.test/sso/redirect\"/>"
	    "</md:IDPSSODescriptor></md:EntityDescriptor>",
	    other_b64, idp_b64, idp_b64 + 50);
	CHECK_INT(read_metadata(&m, b.data, b.len), 0);
	CHECK_STR(m.reason, "");
	CHECK_STR(m.eid, IDP);
	CHECK_STR(m.url, "https://idp.example.test/sso/redirect");
	CHECK_STR(m.slo, "");
	char *got = pem_body(m.pem);
	CHECK_STR(got, idp_b64);
	CHECK(m.pem && strncmp(m.pem, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
	CHECK_INT(saml_cert_check(m.pem, m.reason, sizeof m.reason), 0);
	free(got);

	/* the same inside an EntitiesDescriptor */
	{
		const char *inner = strstr(b.data, "<md:EntityDescriptor");
		struct buf e = BUF_INIT;
		buf_printf(
		    &e,
		    "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\">%s"
		    "</md:EntitiesDescriptor>",
		    inner);
		CHECK_INT(read_metadata(&m, e.data, e.len), 0);
		CHECK_STR(m.eid, IDP);
		buf_free(&e);
	}

	/* refused: a DOCTYPE, no Redirect binding, no signing key, too small a buffer */
	{
		struct buf d = BUF_INIT;
		buf_printf(&d, "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>%s",
			   strstr(b.data, "<md:"));
		CHECK_INT(read_metadata(&m, d.data, d.len), -1);
		CHECK_STR(m.reason, "DOCTYPE not allowed");
		CHECK(m.pem == NULL);
		buf_free(&d);
	}
	char *w = replace(b.data, "bindings:HTTP-Redirect", "bindings:SOAP");
	CHECK_INT(read_metadata(&m, w, strlen(w)), -1);
	CHECK_STR(m.reason, "the metadata has no HTTP-Redirect SingleSignOnService");
	CHECK_STR(m.eid, "");
	free(w);
	w = replace(b.data, "use=\"signing\"", "use=\"encryption\"");
	CHECK_INT(read_metadata(&m, w, strlen(w)), -1);
	CHECK_STR(m.reason, "no signing certificate in the metadata");
	free(w);
	CHECK_INT(saml_idp_metadata(b.data, b.len, m.eid, 8, m.url, sizeof m.url, m.slo,
				    sizeof m.slo, &m.pem, m.reason, sizeof m.reason),
		  -1);
	CHECK_STR(m.reason, "entityID too long");
	CHECK_INT(read_metadata(&m, "<x/>", 4), -1);
	CHECK_STR(m.reason, "not SAML metadata of an identity provider");
	CHECK(m.pem == NULL);
	buf_free(&b);
	free(idp_b64);
	free(other_b64);
	free(m.pem);
}

static void test_cert_check(void)
{
	char reason[160], path[128], *s;
	struct buf two = BUF_INIT;

	CHECK_INT(saml_cert_check(idp_cert, reason, sizeof reason), 0);
	CHECK_STR(reason, "");
	CHECK_INT(saml_cert_check("", reason, sizeof reason), -1);
	CHECK_STR(reason, "no certificate");
	CHECK_INT(saml_cert_check("hello", reason, sizeof reason), -1);
	CHECK(reason[0] != '\0');
	CHECK_INT(saml_cert_check("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
				  reason, sizeof reason),
		  -1);
	CHECK_STR(reason, "the certificate cannot be read");
	buf_printf(&two, "%s%s", idp_cert, other_cert);
	CHECK_INT(saml_cert_check(two.data, reason, sizeof reason), 0);
	buf_free(&two);
	snprintf(path, sizeof path, "%s/idp.key", dir);
	s = slurp(path);
	CHECK_INT(saml_cert_check(s, reason, sizeof reason), -1);
	CHECK_STR(reason,
		  "only PEM certificates (-----BEGIN CERTIFICATE-----) can be pasted, no keys or "
		  "other blocks");
	free(s);
	if (sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 "
	       "-subj /CN=ec "
	       "-keyout %s/ec.key -out %s/ec.crt 2>/dev/null",
	       dir, dir) == 0) {
		snprintf(path, sizeof path, "%s/ec.crt", dir);
		s = slurp(path);
		CHECK_INT(saml_cert_check(s, reason, sizeof reason), -1);
		CHECK_STR(reason, "the certificate does not hold an RSA key");
		free(s);
	}
	if (make_key("short", 1024) == 0) {
		snprintf(path, sizeof path, "%s/short.crt", dir);
		s = slurp(path);
		CHECK_INT(saml_cert_check(s, reason, sizeof reason), -1);
		CHECK_STR(reason, "the certificate's RSA key is shorter than 2048 bits");
		free(s);
	}
}

/* ---------------------------------------------------------------- rollover, email, certificates */

static char *cert_of(const char *name)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s.crt", dir, name);
	return slurp(path);
}

static void test_rollover_bundle(void)
{
	struct fixture f = fixture();
	char *fresh = cert_of("newidp"), *big = cert_of("big");
	struct buf bundle = BUF_INIT, mixed = BUF_INIT;

	/* SimpleSAMLphp's rollover: the NEW certificate listed first, the OLD key still signing */
	buf_printf(&bundle, "%s\n%s", fresh, idp_cert);
	f.cfg.idp_cert_pem = bundle.data;
	CHECK_INT(verify_signed(&f), 0);
	CHECK_STR(f.reason, "");
	CHECK_STR(f.id.email, "ada@example.com");
	/* the Response signed too, by the old key; then both by the new one */
	f.r.sign_response = 1;
	CHECK_INT(verify_signed(&f), 0);
	f.r.key = "newidp";
	CHECK_INT(verify_signed(&f), 0);
	/* a third key is refused, with the same anti-wrapping rules as one certificate */
	f.r.key = "other";
	expect_signed_refused(&f, "signature does not verify with any configured certificate");
	/* the old certificate alone no longer accepts the new key */
	f.cfg.idp_cert_pem = idp_cert;
	f.r.key = "newidp";
	expect_signed_refused(&f, "signature does not verify with any configured certificate");
	/* keys of different sizes in one bundle: a 3072-bit one first, the 2048-bit one signing */
	buf_printf(&mixed, "%s%s", big, idp_cert);
	f.cfg.idp_cert_pem = mixed.data;
	f.r = base();
	CHECK_INT(verify_signed(&f), 0);
	CHECK_STR(f.reason, "");
	/* a configured bundle that does not pass the check verifies nothing */
	buf_printf(&mixed, "%s", idp_cert); /* the same certificate twice now */
	expect_signed_refused(&f, "the configured certificate is not usable");
	buf_free(&bundle);
	buf_free(&mixed);
	free(fresh);
	free(big);
}

static void test_cert_bundle_limits(void)
{
	char reason[160], *c[5];
	const char *names[5] = {"idp", "other", "newidp", "big", "fifth"};
	struct buf b = BUF_INIT;

	for (int i = 0; i < 5; i++)
		c[i] = cert_of(names[i]);
	for (int i = 0; i < 4; i++)
		buf_printf(&b, "%s", c[i]);
	CHECK_INT(saml_cert_check(b.data, reason, sizeof reason), 0);
	CHECK_STR(reason, "");
	buf_printf(&b, "%s", c[4]);
	CHECK_INT(saml_cert_check(b.data, reason, sizeof reason), -1);
	CHECK_STR(reason, "more than 4 certificates");
	buf_free(&b);
	/* text between blocks (as openssl prints it) is ignored */
	buf_printf(&b, "subject=CN = idp\n%s\nissuer=CN = other\n%s", c[0], c[1]);
	CHECK_INT(saml_cert_check(b.data, reason, sizeof reason), 0);
	buf_free(&b);
	buf_printf(&b, "%s%s", c[0], c[0]);
	CHECK_INT(saml_cert_check(b.data, reason, sizeof reason), -1);
	CHECK_STR(reason, "certificate 2 of 2: the same certificate is there twice");
	buf_free(&b);
	char path[128];
	snprintf(path, sizeof path, "%s/short.crt", dir);
	char *shrt = slurp(path);
	buf_printf(&b, "%s%s", c[1], shrt ? shrt : "");
	CHECK_INT(saml_cert_check(b.data, reason, sizeof reason), -1);
	CHECK_STR(reason,
		  "certificate 2 of 2: the certificate's RSA key is shorter than 2048 bits");
	buf_free(&b);
	free(shrt);
	/* a block left open, one broken inside, one BEGIN inside another */
	buf_printf(&b, "%s-----BEGIN CERTIFICATE-----\nMIIB\n", c[0]);
	CHECK_INT(saml_cert_check(b.data, reason, sizeof reason), -1);
	CHECK_STR(reason,
		  "only PEM certificates (-----BEGIN CERTIFICATE-----) can be pasted, no keys or "
		  "other blocks");
	buf_free(&b);
	buf_printf(&b, "%s-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", c[0]);
	CHECK_INT(saml_cert_check(b.data, reason, sizeof reason), -1);
	CHECK_STR(reason, "certificate 2 of 2: the certificate cannot be read");
	buf_free(&b);
	buf_printf(&b, "-----BEGIN CERTIFICATE-----\n%s", c[0]);
	CHECK_INT(saml_cert_check(b.data, reason, sizeof reason), -1);
	buf_free(&b);
	CHECK_INT(saml_cert_check("hello", reason, sizeof reason), -1);
	CHECK_STR(reason, "no PEM certificate (-----BEGIN CERTIFICATE-----)");
	{
		char *huge = malloc(SAML_MAX_CERT_PEM + 2);
		memset(huge, ' ', SAML_MAX_CERT_PEM + 1);
		huge[SAML_MAX_CERT_PEM + 1] = '\0';
		CHECK_INT(saml_cert_check(huge, reason, sizeof reason), -1);
		CHECK_STR(reason, "the certificates are too long");
		free(huge);
	}
	for (int i = 0; i < 5; i++)
		free(c[i]);
}

/* IdP metadata with a KeyDescriptor per certificate listed: each given as b64 DER. */
static void key_descriptor(struct buf *b, const char *use, const char *b64)
{
	buf_printf(b,
		   "<md:KeyDescriptor%s%s%s><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
		   "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>",
		   use ? " use=\"" : "", use ? use : "", use ? "\"" : "", b64);
}

static void metadata_doc(struct buf *b, const char *keys, const char *slo)
{
	buf_printf(b,
		   "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
		   "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"" IDP "\">"
		   "<md:IDPSSODescriptor "
		   "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">%s%s"
		   "<md:SingleSignOnService "
		   "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" "
		   "Location=\"https://idp.example.test/sso/redirect\"/>"
		   "</md:IDPSSODescriptor></md:EntityDescriptor>",
		   keys, slo);
}

static void test_idp_metadata_rollover(void)
{
	char *old_pem = idp_cert, *new_pem = cert_of("newidp"), *enc_pem = other_cert;
	char *old_b64 = pem_body(old_pem), *new_b64 = pem_body(new_pem),
	     *enc_b64 = pem_body(enc_pem);
	struct idp_md m = {.pem = NULL};
	struct buf keys = BUF_INIT, doc = BUF_INIT, want = BUF_INIT;

	/* the new certificate first (no use), the old one signing, the old one again, an
	 * encryption key; SLO by POST listed before SLO by Redirect */
	key_descriptor(&keys, NULL, new_b64);
	key_descriptor(&keys, "signing", old_b64);
	key_descriptor(&keys, "signing", old_b64);
	key_descriptor(&keys, "encryption", enc_b64);
	metadata_doc(&doc, keys.data,
		     "<md:SingleLogoutService "
		     "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
		     "Location=\"https://idp.example.test/slo/post\"/>"
		     "<md:SingleLogoutService "
		     "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" "
		     "Location=\"https://idp.example.test/slo/redirect\"/>");
	CHECK_INT(read_metadata(&m, doc.data, doc.len), 0);
	CHECK_STR(m.reason, "");
	CHECK_STR(m.slo, "https://idp.example.test/slo/redirect");
	buf_printf(&want, "%s%s", new_pem, old_pem); /* in order, the duplicate dropped */
	CHECK_STR(m.pem, want.data);
	struct saml_cert_info info[SAML_MAX_CERTS];
	CHECK_INT(saml_cert_list(m.pem, info, SAML_MAX_CERTS), 2);
	CHECK_STR(info[0].subject, "CN=newidp");
	CHECK_STR(info[1].subject, "CN=idp");
	/* and the bundle verifies a Response signed by either key */
	struct fixture f = fixture();
	f.cfg.idp_cert_pem = m.pem;
	CHECK_INT(verify_signed(&f), 0);
	buf_free(&doc);

	/* an SLO URL that is not http(s) is left out; no SLO is "" */
	metadata_doc(&doc, keys.data,
		     "<md:SingleLogoutService "
		     "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" "
		     "Location=\"javascript:alert(1)\"/>");
	CHECK_INT(read_metadata(&m, doc.data, doc.len), 0);
	CHECK_STR(m.slo, "");
	buf_free(&doc);

	/* five different signing certificates are more than a bundle holds */
	const char *more[] = {"other", "big", "fifth"};
	for (int i = 0; i < 3; i++) {
		char *c = cert_of(more[i]), *b64 = pem_body(c);
		key_descriptor(&keys, "signing", b64);
		free(c);
		free(b64);
	}
	metadata_doc(&doc, keys.data, "");
	CHECK_INT(read_metadata(&m, doc.data, doc.len), -1);
	CHECK_STR(m.reason, "the metadata lists more than 4 signing certificates");
	CHECK(m.pem == NULL);
	CHECK_STR(m.eid, "");
	buf_free(&doc);
	buf_free(&keys);
	buf_free(&want);
	free(new_pem);
	free(old_b64);
	free(new_b64);
	free(enc_b64);
	free(m.pem);
}

/* A persistent NameID (not an email) with these attributes: the identity under cfg, or the
 * reason. */
static int verify_attrs(const char *attrs, const char *nameid, const char *format,
			const char *email_attribute, struct saml_identity *id, char reason[160])
{
	struct resp r = base();
	struct saml_config cfg = config();
	char *doc;
	int rc;

	r.nameid = nameid;
	r.nameid_format = format;
	r.attrs = attrs;
	cfg.email_attribute = email_attribute;
	doc = signed_doc(&r);
	rc = verify(doc, &cfg, id, reason);
	free(doc);
	return rc;
}

#define PERSISTENT "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
#define TRANSIENT "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
#define ATTR(name, friendly, value)                                                                \
	"<saml:Attribute Name=\"" name "\"" friendly "><saml:AttributeValue>" value                \
	"</saml:AttributeValue></saml:Attribute>"
#define STMT(x) "<saml:AttributeStatement>" x "</saml:AttributeStatement>"

static void test_email_by_friendly_name(void)
{
	struct saml_identity id;
	char reason[160];
	/* pysaml2 */
	const char *pysaml2 = STMT(
	    ATTR("urn:mace:dir:attribute-def:email", " FriendlyName=\"email\"", "py@example.com"));

	CHECK_INT(verify_attrs(pysaml2, "a7f3", PERSISTENT, "email", &id, reason), 0);
	CHECK_STR(id.email, "py@example.com");
	CHECK_INT(verify_attrs(pysaml2, "a7f3", PERSISTENT, "", &id, reason), 0);
	CHECK_STR(id.email, "py@example.com");
	CHECK_INT(verify_attrs(pysaml2, "a7f3", PERSISTENT, "urn:mace:dir:attribute-def:email", &id,
			       reason),
		  0);
	CHECK_STR(id.email, "py@example.com");
	/* a Name match wins over a FriendlyName match listed before it */
	const char *both = STMT(ATTR("urn:x:other", " FriendlyName=\"mail\"",
				     "friendly@example.com") ATTR("mail", "", "named@example.com"));
	CHECK_INT(verify_attrs(both, "a7f3", PERSISTENT, "mail", &id, reason), 0);
	CHECK_STR(id.email, "named@example.com");
	/* a comment inside the configured attribute's value refuses */
	const char *comment = STMT(ATTR("email", "", "ada@example.com<!---->.evil.test"));
	CHECK_INT(verify_attrs(comment, "a7f3", PERSISTENT, "email", &id, reason), -1);
	CHECK_STR(reason, "email attribute contains a comment");
}

static void test_email_fallback_attributes(void)
{
	struct saml_identity id;
	char reason[160];
	/* SimpleSAMLphp: oid and mail both sent; "mail" comes before the oid in the order */
	const char *ssp = STMT(ATTR("urn:oid:0.9.2342.19200300.100.1.3", "", "oid@example.com")
				   ATTR("mail", "", "mail@example.com"));

	CHECK_INT(verify_attrs(ssp, "_2a6b9c", PERSISTENT, "", &id, reason), 0);
	CHECK_STR(id.email, "mail@example.com");
	CHECK_INT(
	    verify_attrs(STMT(ATTR("urn:oid:0.9.2342.19200300.100.1.3", "", "oid@example.com")),
			 "_t1", TRANSIENT, "", &id, reason),
	    0);
	CHECK_STR(id.email, "oid@example.com");
	CHECK_INT(verify_attrs(STMT(ATTR("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
					 "emailaddress",
					 "", "claim@example.com")),
			       "u-1", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", "",
			       &id, reason),
		  0);
	CHECK_STR(id.email, "claim@example.com");
	/* an email as the NameID's value is used whatever its format, before any attribute */
	CHECK_INT(verify_attrs(ssp, "nameid@example.com", PERSISTENT, "", &id, reason), 0);
	CHECK_STR(id.email, "nameid@example.com");
	/* an emailAddress NameID that is not one refuses rather than falls back */
	CHECK_INT(verify_attrs(ssp, "not-an-email", EMAIL_FMT, "", &id, reason), -1);
	CHECK_STR(reason, "email address is not valid");
	/* a fallback attribute that is not an email refuses */
	CHECK_INT(
	    verify_attrs(STMT(ATTR("email", "", "nobody")), "_p", PERSISTENT, "", &id, reason), -1);
	CHECK_STR(reason, "email address is not valid");
}

static void test_no_email_refused(void)
{
	struct saml_identity id;
	char reason[160];

	CHECK_INT(verify_attrs(STMT(ATTR("givenName", "", "Ada") ATTR("uid", "", "ada")), "_p9",
			       PERSISTENT, "", &id, reason),
		  -1);
	CHECK_STR(reason, "no email: the NameID is not an email address and no email, mail, "
			  "urn:oid:0.9.2342.19200300.100.1.3 or emailaddress claim attribute");
	CHECK_STR(id.email, "");
	CHECK_INT(verify_attrs("", "_p9", PERSISTENT, "", &id, reason), -1);
	CHECK(strncmp(reason, "no email:", 9) == 0);
	/* a configured attribute that is missing does not fall back to the NameID */
	CHECK_INT(verify_attrs("", "ada@example.com", EMAIL_FMT, "email", &id, reason), -1);
	CHECK_STR(reason, "the email attribute is missing");
}

static void test_cert_list(void)
{
	struct saml_cert_info info[SAML_MAX_CERTS];
	char path[128], *fp, *named = cert_of("named");
	struct buf b = BUF_INIT;
	long now = (long)time(NULL);

	buf_printf(&b, "%s%s", named, idp_cert);
	CHECK_INT(saml_cert_list(b.data, info, SAML_MAX_CERTS), 2);
	CHECK_STR(info[0].subject, "CN=idp rollover,O=Example Org,C=SE");
	CHECK_STR(info[1].subject, "CN=idp");
	/* made with -days 10 and -days 3650 a moment ago */
	CHECK(info[0].not_after > now + 10 * 86400 - 600 &&
	      info[0].not_after <= now + 10 * 86400 + 5);
	CHECK(info[1].not_after > now + 3650L * 86400 - 600 &&
	      info[1].not_after <= now + 3650L * 86400 + 5);
	/* the fingerprint as openssl prints it */
	snprintf(path, sizeof path, "%s/named.fp", dir);
	CHECK_INT(sh("openssl x509 -in %s/named.crt -noout -fingerprint -sha256 | sed 's/.*=//' | "
		     "tr -d '\\n' > %s",
		     dir, path),
		  0);
	fp = slurp(path);
	CHECK_STR(info[0].sha256, fp ? fp : "?");
	CHECK_INT((int)strlen(info[0].sha256), 95);
	/* max bounds what is written; a bad bundle is -1 */
	CHECK_INT(saml_cert_list(b.data, info, 1), 1);
	CHECK_STR(info[0].subject, "CN=idp rollover,O=Example Org,C=SE");
	CHECK_INT(saml_cert_list("nothing", info, SAML_MAX_CERTS), -1);
	buf_free(&b);
	free(fp);
	free(named);
}

int main(void)
{
	char path[128];
	int rc;

	snprintf(dir, sizeof dir, "/tmp/saml_test.XXXXXX");
	if (!mkdtemp(dir) || make_key("idp", 2048) != 0 || make_key("other", 2048) != 0 ||
	    make_key("newidp", 2048) != 0 || make_key("big", 3072) != 0 ||
	    make_key("fifth", 2048) != 0 ||
	    sh("openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 10 "
	       "-subj '/C=SE/O=Example Org/CN=idp rollover' -keyout %s/named.key -out %s/named.crt "
	       "2>/dev/null",
	       dir, dir) != 0 ||
	    sh("openssl x509 -in %s/other.crt -outform DER | openssl base64 -A > %s/other.b64", dir,
	       dir) != 0) {
		fprintf(stderr, "saml_test: cannot make keys with openssl in %s\n", dir);
		return 1;
	}
	snprintf(path, sizeof path, "%s/idp.crt", dir);
	idp_cert = slurp(path);
	snprintf(path, sizeof path, "%s/other.crt", dir);
	other_cert = slurp(path);
	if (!idp_cert || !other_cert || saml_init() != 0) {
		fprintf(stderr, "saml_test: set-up failed\n");
		return 1;
	}

	test_signed_assertion_accepted();
	test_signed_response_with_one_assertion_accepted();
	test_transform_variants_accepted();
	test_key_in_keyinfo_is_ignored();
	test_email_from_attribute();
	test_display_name_and_idp_initiated();
	test_sha1_only_when_allowed();
	test_unsigned_refused();
	test_other_key_refused();
	test_tampered_assertion_refused();
	test_whole_document_reference_refused();
	test_signature_shape_refused();
	test_wrapping_refused();
	test_two_or_no_assertions_refused();
	test_wrong_audience_refused();
	test_wrong_recipient_refused();
	test_wrong_destination_refused();
	test_wrong_issuer_refused();
	test_in_response_to_mismatch_refused();
	test_expired_refused();
	test_not_yet_valid_refused();
	test_timestamp_form_refused();
	test_doctype_refused();
	test_nameid_with_comment_refused();
	test_config_and_size_refused();
	test_decode_post();
	test_authn_request();
	test_sp_metadata();
	test_idp_metadata();
	test_cert_check();
	test_rollover_bundle();
	test_cert_bundle_limits();
	test_idp_metadata_rollover();
	test_email_by_friendly_name();
	test_email_fallback_attributes();
	test_no_email_refused();
	test_cert_list();

	saml_shutdown();
	free(idp_cert);
	free(other_cert);
	sh("rm -rf -- '%s'", dir);
	rc = CHECK_DONE("saml");
	return rc;
}
