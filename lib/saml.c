/* saml.c - SAML 2.0 service provider: strict parsing, signature checks with xmlsec1, the Response's
 * conditions, the AuthnRequest redirect, SP metadata out and IdP metadata in. */

/*
 * How a Response is trusted (read this before changing anything below):
 *
 * 1. The XML is parsed by libxml2 with no network, no DTD, no entities: a DOCTYPE stops the parser
 *    from a SAX callback before its internal subset is read, and the tree is walked again for any
 *    node that only a DTD could have made. The external entity loader refuses everything.
 * 2. The root must be samlp:Response with exactly one saml:Assertion as a direct child. Every
 *    attribute that anything could treat as an ID (ID, Id in any namespace, xml:id) must be unique
 *    in the whole document; the SAML ID attributes are then registered with xmlAddID, so the
 *    XPointer "#id" of a signature reference can only reach the element that carries that ID.
 * 3. Only ds:Signature elements that are direct children of the Response or of that Assertion
 *    count. Each must have exactly one Reference whose URI is "#" + the ID of the Signature's own
 *    parent (this is what defeats signature wrapping: a signature cannot vouch for any element but
 *    the one it sits in), exclusive C14N, enveloped-signature, RSA-SHA256/SHA-256 (SHA-1 only when
 *    allowed). These are checked by hand before xmlsec sees the signature, and xmlsec is given the
 *    same lists of allowed transforms and URI types.
 * 4. xmlsec verifies with a context that has no keys manager and whose signKey is a configured
 *    certificate's key, set before the call: xmlsec then never reads ds:KeyInfo, so a KeyValue or
 *    X509Data in the message can never supply the key. (An EMPTY enabledKeyData list would mean
 *    "all key data allowed" in xmlsec, so the list is given one harmless entry instead.) The
 *    configuration may hold several certificates (an IdP rolling its key over): each is tried in
 *    turn with a fresh context, and the first that verifies is the one whose references are
 *    checked; every other rule applies unchanged whichever key it was.
 * 5. Every value is read from the verified element by walking direct children (never "//" or an
 *    XPath over the document): the signed Assertion, or the single Assertion of a signed Response.
 *    Text values are taken whole; a comment or element inside a NameID refuses the login.
 */

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/c14n.h>
#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlerror.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/keyinfo.h>
#include <xmlsec/keys.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>
#include <zlib.h>

#include "base64.h"
#include "buf.h"
#include "str.h"
#include "saml.h"

#define NS_SAML "urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_SAMLP "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_MD "urn:oasis:names:tc:SAML:2.0:metadata"
#define NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define NS_EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"

#define ALG_EXC_C14N NS_EXC_C14N
#define ALG_ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define ALG_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define ALG_RSA_SHA1 "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
#define ALG_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"
#define ALG_SHA1 "http://www.w3.org/2000/09/xmldsig#sha1"

#define STATUS_SUCCESS "urn:oasis:names:tc:SAML:2.0:status:Success"
#define CM_BEARER "urn:oasis:names:tc:SAML:2.0:cm:bearer"
#define NAMEID_EMAIL "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
#define BINDING_REDIRECT "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
#define BINDING_POST "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

#define SAML_MAX_METADATA (1024 * 1024) /* pasted IdP metadata */
#define SAML_MIN_RSA_BITS 2048
#define SAML_MIN_KEEP 300   /* an assertion ID is kept at least this long */
#define SAML_VALUE_MAX 1024 /* longest Issuer, Audience, NameID... we read */

static int saml_ready;
static xmlExternalEntityLoader saml_old_loader;

/* ---------------------------------------------------------------- small helpers */

static int fail(char *reason, size_t cap, const char *msg)
{
	if (reason && cap)
		snprintf(reason, cap, "%s", msg);
	return -1;
}

static int streq(const xmlChar *a, const char *b)
{
	return a && b && strcmp((const char *)a, b) == 0;
}

static int is_el(const xmlNode *n, const char *ns, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && streq(n->ns->href, ns) &&
	       streq(n->name, name);
}

/* The first element among n and its following siblings, or NULL. */
static xmlNodePtr next_el(xmlNodePtr n)
{
	while (n && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

/* How many direct children of parent are ns:name (0, 1, or 2 for "two or more"); *out the first. */
static int child_count(xmlNodePtr parent, const char *ns, const char *name, xmlNodePtr *out)
{
	int n = 0;

	if (out)
		*out = NULL;
	for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next) {
		if (!is_el(c, ns, name))
			continue;
		if (n == 0 && out)
			*out = c;
		if (++n == 2)
			break;
	}
	return n;
}

/* The attribute name without a namespace (SAML's own attributes are unqualified), or NULL. */
static xmlAttrPtr attr_get(xmlNodePtr n, const char *name)
{
	for (xmlAttrPtr a = n ? n->properties : NULL; a; a = a->next)
		if (!a->ns && streq(a->name, name))
			return a;
	return NULL;
}

/* Copy an unqualified attribute's value: 1 when present and it fits, 0 when absent, -1 otherwise.
 */
static int attr_copy(xmlNodePtr n, const char *name, char *out, size_t cap)
{
	xmlAttrPtr a = attr_get(n, name);
	size_t len = 0;

	out[0] = '\0';
	if (!a)
		return 0;
	for (xmlNodePtr t = a->children; t; t = t->next) {
		if (t->type != XML_TEXT_NODE || !t->content)
			return -1;
		size_t k = strlen((const char *)t->content);
		if (k >= cap - len)
			return -1;
		memcpy(out + len, t->content, k);
		len += k;
	}
	out[len] = '\0';
	return 1;
}

/* 1 when the unqualified attribute is present and equals want exactly. */
static int attr_is(xmlNodePtr n, const char *name, const char *want)
{
	char v[SAML_VALUE_MAX];
	return attr_copy(n, name, v, sizeof v) == 1 && strcmp(v, want) == 0;
}

enum text_rc { TEXT_OK = 0, TEXT_COMMENT = -1, TEXT_OTHER = -2, TEXT_LONG = -3 };

/*
 * The text of n taken whole: all its text children concatenated (CDATA is merged into text by the
 * parser), leading and trailing XML white space trimmed. A comment, element or processing
 * instruction inside refuses the value: the canonical form that was signed drops comments, so a
 * reader that stopped at one would see less than was signed.
 */
static enum text_rc node_text(xmlNodePtr n, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type == XML_COMMENT_NODE)
			return TEXT_COMMENT;
		if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) || !c->content)
			return TEXT_OTHER;
		size_t k = strlen((const char *)c->content);
		if (k >= cap - len)
			return TEXT_LONG;
		memcpy(out + len, c->content, k);
		len += k;
	}
	out[len] = '\0';
	size_t a = 0;
	while (a < len && strchr(" \t\r\n", out[a]))
		a++;
	while (len > a && strchr(" \t\r\n", out[len - 1]))
		len--;
	memmove(out, out + a, len - a);
	out[len - a] = '\0';
	return TEXT_OK;
}

static int is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's days_from_civil). */
static long days_from_civil(long y, long m, long d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n, long *out)
{
	long v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* xs:dateTime in UTC only: YYYY-MM-DDThh:mm:ss[.f+]Z (fraction dropped). 0 and *t, or -1. */
static int parse_instant(const char *s, long *t)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	long y, mo, d, h, mi, se;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
		return -1;
	const char *p = s + 19;
	if (*p == '.') {
		int n = 0;
		for (p++; *p >= '0' && *p <= '9'; p++)
			n++;
		if (n < 1 || n > 9)
			return -1;
	}
	if (p[0] != 'Z' || p[1] != '\0')
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59)
		return -1;
	if (d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return -1;
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

static void format_instant(long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

/*
 * Base64 (standard alphabet, '=' padding only at the end) with ASCII white space ignored. malloc'd,
 * NUL-terminated, *outlen set; NULL when malformed, empty, or longer than max once decoded.
 */
static unsigned char *b64_decode(const char *s, size_t n, size_t max, size_t *outlen)
{
	size_t cap = base64_decoded_max(n) < max ? base64_decoded_max(n) : max;
	unsigned char *out = s ? malloc(cap + 1) : NULL;

	if (!out)
		return NULL;
	if (base64_decode(s, n, out, cap, outlen, BASE64_SPACE) < 0 || *outlen == 0) {
		free(out);
		return NULL;
	}
	out[*outlen] = '\0';
	return out;
}

/* XML text/attribute escaping; -1 on a control byte or invalid UTF-8 (not representable in XML). */
static int xml_esc(struct buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n && (has_ctl_bytes(s, n, 0) || !utf8_valid(s, n)))
		return -1;
	buf_html(b, s ? s : "", n);
	return 0;
}

/* ---------------------------------------------------------------- set-up */

static xmlParserInputPtr no_entity_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

static void quiet_xmlsec(const char *file, int line, const char *func, const char *obj,
			 const char *subj, int reason, const char *msg)
{
	(void)file, (void)line, (void)func, (void)obj, (void)subj, (void)reason, (void)msg;
}

static void quiet_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void quiet_structured(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

int saml_init(void)
{
	if (saml_ready)
		return 0;
	xmlInitParser();
	saml_old_loader = xmlGetExternalEntityLoader();
	xmlSetExternalEntityLoader(no_entity_loader);
	xmlSetGenericErrorFunc(NULL, quiet_generic);
	xmlSetStructuredErrorFunc(NULL, quiet_structured);
	if (xmlSecInit() < 0)
		goto undo_xml;
	if (xmlSecCheckVersion() != 1)
		goto undo_sec;
	xmlSecErrorsSetCallback(quiet_xmlsec);
	if (xmlSecCryptoAppInit(NULL) < 0)
		goto undo_sec;
	if (xmlSecCryptoInit() < 0)
		goto undo_app;
	saml_ready = 1;
	return 0;
undo_app:
	xmlSecCryptoAppShutdown();
undo_sec:
	xmlSecShutdown();
undo_xml:
	xmlSetExternalEntityLoader(saml_old_loader);
	xmlSetGenericErrorFunc(NULL, NULL);
	xmlSetStructuredErrorFunc(NULL, NULL);
	xmlCleanupParser();
	return -1;
}

void saml_shutdown(void)
{
	if (!saml_ready)
		return;
	xmlSecCryptoShutdown();
	xmlSecCryptoAppShutdown();
	xmlSecShutdown();
	xmlSetExternalEntityLoader(saml_old_loader);
	xmlSetGenericErrorFunc(NULL, NULL);
	xmlSetStructuredErrorFunc(NULL, NULL);
	xmlCleanupParser();
	saml_ready = 0;
}

/* ---------------------------------------------------------------- strict parsing */

struct parse_flags {
	int doctype;
};

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
	xmlParserCtxtPtr c = ctx;
	(void)name, (void)eid, (void)sid;
	((struct parse_flags *)c->_private)->doctype = 1;
	xmlStopParser(c);
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
			   const xmlChar *sys, xmlChar *content)
{
	xmlParserCtxtPtr c = ctx;
	(void)name, (void)type, (void)pub, (void)sys, (void)content;
	((struct parse_flags *)c->_private)->doctype = 1;
	xmlStopParser(c);
}

/* 1 when the tree holds any node that only a DTD, an entity or XInclude could have produced. */
static int has_dtd_nodes(xmlDocPtr doc)
{
	xmlNodePtr n = doc->children;

	if (doc->intSubset || doc->extSubset)
		return 1;
	while (n) {
		switch (n->type) {
		case XML_ELEMENT_NODE:
			for (xmlAttrPtr a = n->properties; a; a = a->next)
				for (xmlNodePtr t = a->children; t; t = t->next)
					if (t->type != XML_TEXT_NODE)
						return 1;
			break;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			break;
		default:
			return 1;
		}
		if (n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		while (n && !n->next)
			n = n->parent && n->parent->type != XML_DOCUMENT_NODE ? n->parent : NULL;
		if (n)
			n = n->next;
	}
	return 0;
}

/*
 * Parse with no network, no DTD loading, no entity substitution; refuse any DOCTYPE. The caller
 * frees the document with xmlFreeDoc. NULL with a reason.
 */
static xmlDocPtr parse_strict(const char *xml, size_t len, size_t max, char *reason, size_t cap)
{
	struct parse_flags flags = {0};
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	if (!xml || len == 0) {
		fail(reason, cap, "empty document");
		return NULL;
	}
	if (len > max || len > INT_MAX) {
		fail(reason, cap, "document too large");
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		fail(reason, cap, "out of memory");
		return NULL;
	}
	ctxt->_private = &flags;
	ctxt->sax->internalSubset = on_doctype;
	ctxt->sax->externalSubset = on_doctype;
	ctxt->sax->entityDecl = on_entity_decl;
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				    XML_PARSE_NOCDATA);
	xmlFreeParserCtxt(ctxt);
	if (flags.doctype || (doc && has_dtd_nodes(doc))) {
		xmlFreeDoc(doc);
		fail(reason, cap, "DOCTYPE not allowed");
		return NULL;
	}
	if (!doc || !xmlDocGetRootElement(doc)) {
		xmlFreeDoc(doc);
		fail(reason, cap, "not well-formed XML");
		return NULL;
	}
	return doc;
}

/* ---------------------------------------------------------------- IDs */

static int is_id_attr(const xmlAttr *a)
{
	if (streq(a->name, "ID") || streq(a->name, "Id"))
		return 1;
	return streq(a->name, "id") && a->ns && streq(a->ns->href, (const char *)XML_XML_NAMESPACE);
}

/*
 * Every ID-like attribute value in the document must be unique; the unqualified ID attributes
 * (SAML's) are registered as IDs so that "#value" resolves to exactly their element. 0 or -1.
 */
static int register_ids(xmlDocPtr doc, char *reason, size_t cap)
{
	xmlHashTablePtr seen = xmlHashCreate(64);
	xmlNodePtr n = xmlDocGetRootElement(doc);
	int rc = 0;

	if (!seen)
		return fail(reason, cap, "out of memory");
	while (n && rc == 0) {
		if (n->type == XML_ELEMENT_NODE) {
			for (xmlAttrPtr a = n->properties; a && rc == 0; a = a->next) {
				if (!is_id_attr(a))
					continue;
				xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
				if (!v) {
					rc = fail(reason, cap, "out of memory");
					break;
				}
				if (xmlHashAddEntry(seen, v, a) != 0) {
					rc = fail(reason, cap, "duplicate ID");
				} else if (!a->ns && streq(a->name, "ID") && v[0]) {
					xmlAttrPtr had = xmlGetID(doc, v);
					if (had && had != a)
						rc = fail(reason, cap, "duplicate ID");
					else if (!had && !xmlAddID(NULL, doc, v, a))
						rc = fail(reason, cap, "out of memory");
				}
				xmlFree(v);
			}
		}
		if (n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		while (n && !n->next)
			n = n->parent && n->parent->type == XML_ELEMENT_NODE ? n->parent : NULL;
		if (n)
			n = n->next;
	}
	xmlHashFree(seen, NULL);
	return rc;
}

/* An ID we will put in an XPointer: NCName-like characters only, 1..255 bytes. */
static int id_safe(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

/* ---------------------------------------------------------------- certificate bundles */

#define PEM_BEGIN "-----BEGIN "
#define PEM_END "-----END "
#define PEM_CERT_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_CERT_END "-----END CERTIFICATE-----"

/* One PEM certificate block of a bundle, from its BEGIN line to the end of its END line. */
struct pem_span {
	const char *p;
	size_t n;
};

/*
 * The PEM blocks of a bundle: every "-----BEGIN " must open a CERTIFICATE block closed by its own
 * END line before the next BEGIN. The number of blocks (spans of the first max in out; counting
 * stops at max + 1), or -1 when another kind of block or an unclosed one is there.
 */
static int bundle_split(const char *pem, struct pem_span *out, int max)
{
	const char *p = pem;
	int n = 0;

	while ((p = strstr(p, PEM_BEGIN)) && n <= max) {
		const char *body = p + strlen(PEM_CERT_BEGIN), *e, *next;
		if (strncmp(p, PEM_CERT_BEGIN, strlen(PEM_CERT_BEGIN)) != 0)
			return -1;
		e = strstr(body, PEM_END);
		next = strstr(body, PEM_BEGIN);
		if (!e || (next && next < e) || strncmp(e, PEM_CERT_END, strlen(PEM_CERT_END)) != 0)
			return -1;
		e += strlen(PEM_CERT_END);
		if (n < max) {
			out[n].p = p;
			out[n].n = (size_t)(e - p);
		}
		n++;
		p = e;
	}
	return n;
}

/* A span as its own NUL-terminated text ending in a newline (malloc'd), or NULL. */
static char *span_text(const struct pem_span *sp)
{
	char *t = malloc(sp->n + 2);

	if (t) {
		memcpy(t, sp->p, sp->n);
		t[sp->n] = '\n';
		t[sp->n + 1] = '\0';
	}
	return t;
}

static X509 *span_x509(const struct pem_span *sp)
{
	char *t = span_text(sp);
	BIO *bio = t ? BIO_new_mem_buf(t, -1) : NULL;
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	free(t);
	return x;
}

/* Why x is not usable as an IdP signing certificate, or NULL. */
static const char *x509_problem(X509 *x)
{
	EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;

	if (!x)
		return "the certificate cannot be read";
	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA)
		return "the certificate does not hold an RSA key";
	if (EVP_PKEY_get_bits(k) < SAML_MIN_RSA_BITS)
		return "the certificate's RSA key is shorter than 2048 bits";
	return NULL;
}

static void certs_free(X509 **x, int n)
{
	for (int i = 0; i < n; i++)
		X509_free(x[i]);
}

/* Why a bundle's text cannot hold certificates, or NULL; *n the number of blocks in sp. */
static const char *bundle_shape_problem(const char *pem, struct pem_span *sp, int *n)
{
	size_t len = pem ? strlen(pem) : 0;

	*n = 0;
	if (len == 0)
		return "no certificate";
	if (len > SAML_MAX_CERT_PEM)
		return "the certificates are too long";
	*n = bundle_split(pem, sp, SAML_MAX_CERTS);
	if (*n < 0)
		return "only PEM certificates (-----BEGIN CERTIFICATE-----) can be pasted, "
		       "no keys or other blocks";
	if (*n == 0)
		return "no PEM certificate (-----BEGIN CERTIFICATE-----)";
	if (*n > SAML_MAX_CERTS)
		return "more than 4 certificates";
	return NULL;
}

/*
 * The certificates of a bundle, each checked: their number (1..SAML_MAX_CERTS) with x[] and sp[]
 * filled (the caller frees x with certs_free), or -1 with a reason and nothing to free.
 */
static int bundle_load(const char *pem, X509 *x[SAML_MAX_CERTS], struct pem_span sp[SAML_MAX_CERTS],
		       char *reason, size_t cap)
{
	int n;
	const char *why = bundle_shape_problem(pem, sp, &n);

	if (why)
		return fail(reason, cap, why);
	for (int i = 0; i < n; i++) {
		x[i] = span_x509(&sp[i]);
		why = x509_problem(x[i]);
		for (int j = 0; !why && j < i; j++)
			if (X509_cmp(x[i], x[j]) == 0)
				why = "the same certificate is there twice";
		if (why) {
			certs_free(x, i + 1);
			ERR_clear_error();
			if (n == 1)
				return fail(reason, cap, why);
			if (reason && cap)
				snprintf(reason, cap, "certificate %d of %d: %s", i + 1, n, why);
			return -1;
		}
	}
	ERR_clear_error();
	return n;
}

int saml_cert_check(const char *pem, char *reason, size_t cap)
{
	X509 *x[SAML_MAX_CERTS];
	struct pem_span sp[SAML_MAX_CERTS];
	int n;

	if (reason && cap)
		reason[0] = '\0';
	n = bundle_load(pem, x, sp, reason, cap);
	if (n < 0)
		return -1;
	certs_free(x, n);
	return 0;
}

/* x's subject on one line (RFC 2253, UTF-8 kept when valid), cut between characters. */
static void cert_subject(X509 *x, char *out, size_t cap)
{
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
	char *data = NULL;
	long n = 0;

	out[0] = '\0';
	if (!bio)
		return;
	if (X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, flags) >= 0)
		n = BIO_get_mem_data(bio, &data);
	if (n > 0 && !utf8_valid(data, (size_t)n)) {
		(void)BIO_reset(bio);
		n = X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0
			? BIO_get_mem_data(bio, &data)
			: 0;
	}
	size_t k = n > 0 ? (size_t)n : 0;
	if (k >= cap) {
		k = cap - 1;
		while (k > 0 && ((unsigned char)data[k] & 0xc0) == 0x80)
			k--; /* not inside a UTF-8 sequence */
	}
	if (k)
		memcpy(out, data, k);
	out[k] = '\0';
	BIO_free(bio);
}

static long cert_not_after(X509 *x)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1)
		return 0;
	return days_from_civil(tm.tm_year + 1900L, tm.tm_mon + 1L, tm.tm_mday) * 86400 +
	       tm.tm_hour * 3600L + tm.tm_min * 60L + tm.tm_sec;
}

static void cert_fingerprint(X509 *x, char out[96])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	out[0] = '\0';
	if (X509_digest(x, EVP_sha256(), md, &len) != 1 || len != 32)
		return;
	for (unsigned int i = 0; i < len; i++)
		snprintf(out + 3 * i, 4, i + 1 < len ? "%02X:" : "%02X", md[i]);
}

int saml_cert_list(const char *bundle, struct saml_cert_info *out, int max)
{
	X509 *x[SAML_MAX_CERTS];
	struct pem_span sp[SAML_MAX_CERTS];
	int n = bundle_load(bundle, x, sp, NULL, 0), k = 0;

	if (n < 0)
		return -1;
	for (int i = 0; i < n && out && i < max; i++, k++) {
		memset(&out[i], 0, sizeof out[i]);
		cert_subject(x[i], out[i].subject, sizeof out[i].subject);
		out[i].not_after = cert_not_after(x[i]);
		cert_fingerprint(x[i], out[i].sha256);
	}
	certs_free(x, n);
	ERR_clear_error();
	return k;
}

/* ---------------------------------------------------------------- signatures */

/* Algorithm of an element (unqualified attribute), or "" when absent or too long. */
static void algorithm_of(xmlNodePtr n, char out[256])
{
	if (attr_copy(n, "Algorithm", out, 256) != 1)
		out[0] = '\0';
}

/* 1 when n has element children other than ec:InclusiveNamespaces (at most one of those). */
static int bad_c14n_children(xmlNodePtr n)
{
	int incl = 0;

	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!is_el(c, NS_EXC_C14N, "InclusiveNamespaces") || ++incl > 1)
			return 1;
	}
	return 0;
}

static int has_element_child(xmlNodePtr n)
{
	return next_el(n->children) != NULL;
}

/*
 * The shape and algorithms of a ds:Signature, checked before xmlsec runs: SignedInfo with
 * CanonicalizationMethod (exc-c14n), SignatureMethod (rsa-sha256, rsa-sha1 when allowed) and
 * exactly one Reference to want_uri, whose Transforms are enveloped-signature then optionally
 * exc-c14n, with a SHA-256 (SHA-1 when allowed) DigestMethod. SignatureValue, optional KeyInfo
 * (never read), nothing else.
 */
static int check_signature_shape(xmlNodePtr sig, const char *want_uri, int allow_sha1, char *reason,
				 size_t cap)
{
	char alg[256], uri[512];
	xmlNodePtr si, sv, c, ref;

	si = next_el(sig->children);
	if (!is_el(si, NS_DS, "SignedInfo"))
		return fail(reason, cap, "signature structure not allowed");
	sv = next_el(si->next);
	if (!is_el(sv, NS_DS, "SignatureValue"))
		return fail(reason, cap, "signature structure not allowed");
	c = next_el(sv->next);
	if (is_el(c, NS_DS, "KeyInfo"))
		c = next_el(c->next);
	if (c)
		return fail(reason, cap, "signature structure not allowed");

	c = next_el(si->children);
	if (!is_el(c, NS_DS, "CanonicalizationMethod"))
		return fail(reason, cap, "signature structure not allowed");
	algorithm_of(c, alg);
	if (strcmp(alg, ALG_EXC_C14N) != 0 || bad_c14n_children(c))
		return fail(reason, cap, "signature algorithm not allowed");
	c = next_el(c->next);
	if (!is_el(c, NS_DS, "SignatureMethod"))
		return fail(reason, cap, "signature structure not allowed");
	algorithm_of(c, alg);
	if (has_element_child(c) ||
	    !(strcmp(alg, ALG_RSA_SHA256) == 0 || (allow_sha1 && strcmp(alg, ALG_RSA_SHA1) == 0)))
		return fail(reason, cap, "signature algorithm not allowed");
	ref = next_el(c->next);
	if (!is_el(ref, NS_DS, "Reference"))
		return fail(reason, cap, "signature structure not allowed");
	if (next_el(ref->next))
		return fail(reason, cap, "signature must have exactly one reference");

	if (attr_copy(ref, "URI", uri, sizeof uri) != 1 || strcmp(uri, want_uri) != 0)
		return fail(reason, cap, "signature reference is not the signed element");
	c = next_el(ref->children);
	if (is_el(c, NS_DS, "Transforms")) {
		xmlNodePtr t = next_el(c->children);
		if (!is_el(t, NS_DS, "Transform"))
			return fail(reason, cap, "signature transform not allowed");
		algorithm_of(t, alg);
		if (strcmp(alg, ALG_ENVELOPED) != 0 || has_element_child(t))
			return fail(reason, cap, "signature transform not allowed");
		t = next_el(t->next);
		if (t) {
			if (!is_el(t, NS_DS, "Transform"))
				return fail(reason, cap, "signature transform not allowed");
			algorithm_of(t, alg);
			if (strcmp(alg, ALG_EXC_C14N) != 0 || bad_c14n_children(t))
				return fail(reason, cap, "signature transform not allowed");
			if (next_el(t->next))
				return fail(reason, cap, "signature transform not allowed");
		}
		c = next_el(c->next);
	} else {
		/* without enveloped-signature the digest would cover the signature itself */
		return fail(reason, cap, "signature transform not allowed");
	}
	if (!is_el(c, NS_DS, "DigestMethod"))
		return fail(reason, cap, "signature structure not allowed");
	algorithm_of(c, alg);
	if (has_element_child(c) ||
	    !(strcmp(alg, ALG_SHA256) == 0 || (allow_sha1 && strcmp(alg, ALG_SHA1) == 0)))
		return fail(reason, cap, "signature algorithm not allowed");
	c = next_el(c->next);
	if (!is_el(c, NS_DS, "DigestValue") || next_el(c->next))
		return fail(reason, cap, "signature structure not allowed");
	return 0;
}

/* The dsig context: no keys manager, the key of one configured certificate (cert, already
 * checked), only our URIs, transforms, algorithms. */
static xmlSecDSigCtxPtr dsig_ctx_new(const struct saml_config *cfg, const struct pem_span *cert,
				     char *reason, size_t cap)
{
	char *pem = span_text(cert);
	xmlSecDSigCtxPtr ctx;
	xmlSecKeyPtr key;
	int rc = 0;

	key = pem ? xmlSecCryptoAppKeyLoadMemory((const xmlSecByte *)pem, (xmlSecSize)strlen(pem),
						 xmlSecKeyDataFormatCertPem, NULL, NULL, NULL)
		  : NULL;
	free(pem);
	ERR_clear_error();
	if (!key) {
		fail(reason, cap, "the configured certificate cannot be read");
		return NULL;
	}
	ctx = xmlSecDSigCtxCreate(NULL);
	if (!ctx) {
		xmlSecKeyDestroy(key);
		fail(reason, cap, "out of memory");
		return NULL;
	}
	ctx->signKey = key; /* owned by ctx from here; with it set xmlsec never reads ds:KeyInfo */
	/* keep the bytes each reference digested, to compare them with the element we will read */
	ctx->flags |=
	    XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS | XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES;
	ctx->enabledReferenceUris =
	    xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument;
	ctx->transformCtx.enabledUris =
	    xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument;
	ctx->keyInfoReadCtx.retrievalMethodCtx.enabledUris = xmlSecTransformUriTypeNone;
	ctx->keyInfoReadCtx.maxRetrievalMethodLevel = 0;
	ctx->keyInfoReadCtx.maxEncryptedKeyLevel = 0;
	/* an empty enabledKeyData list would mean "every kind of key data"; KeyName alone is inert
	 */
	rc |= xmlSecPtrListAdd(&ctx->keyInfoReadCtx.enabledKeyData, (void *)xmlSecKeyDataNameId);

	rc |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformExclC14NId);
	rc |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformRsaSha256Id);
	rc |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId);
	rc |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformExclC14NId);
	rc |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha256Id);
	if (cfg->allow_sha1) {
		rc |= xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformRsaSha1Id);
		rc |= xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha1Id);
	}
	if (rc < 0) {
		xmlSecDSigCtxDestroy(ctx);
		fail(reason, cap, "out of memory");
		return NULL;
	}
	return ctx;
}

struct c14n_scope {
	xmlNodePtr el, sig;
};

/* The node-set a "#id" reference with enveloped-signature selects: el's subtree without sig's
 * subtree and without comments. Namespace nodes are judged by the element they belong to. */
static int c14n_visible(void *data, xmlNodePtr node, xmlNodePtr parent)
{
	const struct c14n_scope *sc = data;
	xmlNodePtr n;

	if (!node || node->type == XML_COMMENT_NODE)
		return 0;
	n = node->type == XML_NAMESPACE_DECL ? parent : node;
	for (; n; n = n->parent) {
		if (n == sc->sig)
			return 0;
		if (n == sc->el)
			return 1;
	}
	return 0;
}

/*
 * 1 when the bytes xmlsec digested for the reference are exactly the canonical form of signed_el
 * minus sig: proof that the reference resolved to signed_el and nothing else. The C14N mode and
 * inclusive prefixes are read from the (already checked) Reference as xmlsec reads them.
 */
static int digested_is(xmlDocPtr doc, xmlNodePtr sig, xmlNodePtr signed_el,
		       xmlSecBufferPtr digested)
{
	struct c14n_scope sc = {signed_el, sig};
	xmlNodePtr ref = next_el(next_el(next_el(next_el(sig->children)->children)->next)->next);
	xmlNodePtr t = next_el(next_el(ref->children)->children); /* enveloped-signature */
	xmlNodePtr exc = t ? next_el(t->next) : NULL, incl = exc ? next_el(exc->children) : NULL;
	xmlChar *list = incl ? xmlGetProp(incl, BAD_CAST "PrefixList") : NULL;
	xmlChar **prefixes = NULL;
	xmlOutputBufferPtr out = NULL;
	int same = 0;

	if (!digested || (incl && !list))
		goto done;
	if (list) {
		/* space-separated, split on each single space as xmlsec does */
		size_t n = 2;
		for (xmlChar *p = list; *p; p++)
			n += *p == ' ';
		prefixes = calloc(n, sizeof *prefixes);
		if (!prefixes)
			goto done;
		n = 0;
		for (xmlChar *p = list, *q; p && *p; p = q) {
			q = (xmlChar *)xmlStrchr(p, ' ');
			if (q)
				*q++ = '\0';
			prefixes[n++] = p;
		}
	}
	out = xmlAllocOutputBuffer(NULL);
	if (!out ||
	    xmlC14NExecute(doc, c14n_visible, &sc, exc ? XML_C14N_EXCLUSIVE_1_0 : XML_C14N_1_0,
			   prefixes, 0, out) < 0)
		goto done;
	same = (size_t)xmlOutputBufferGetSize(out) == (size_t)xmlSecBufferGetSize(digested) &&
	       memcmp(xmlOutputBufferGetContent(out), xmlSecBufferGetData(digested),
		      xmlSecBufferGetSize(digested)) == 0;
done:
	if (out)
		xmlOutputBufferClose(out);
	free(prefixes);
	xmlFree(list);
	return same;
}

/*
 * Verify sig with the key of each configured certificate in turn (during a rollover the IdP's
 * metadata lists the new certificate first while the old key still signs): the context of the
 * first key the signature verifies with, or NULL with a reason.
 */
static xmlSecDSigCtxPtr verify_any_key(xmlNodePtr sig, const struct saml_config *cfg, char *reason,
				       size_t cap)
{
	X509 *x[SAML_MAX_CERTS];
	struct pem_span sp[SAML_MAX_CERTS];
	int n = bundle_load(cfg->idp_cert_pem, x, sp, NULL, 0), processed = 0;

	if (n < 0) {
		fail(reason, cap, "the configured certificate is not usable");
		return NULL;
	}
	certs_free(x, n);
	for (int i = 0; i < n; i++) {
		xmlSecDSigCtxPtr ctx = dsig_ctx_new(cfg, &sp[i], reason, cap);
		if (!ctx)
			return NULL;
		int rc = xmlSecDSigCtxVerify(ctx, sig);
		ERR_clear_error();
		if (rc >= 0 && ctx->status == xmlSecDSigStatusSucceeded)
			return ctx;
		processed |= rc >= 0;
		xmlSecDSigCtxDestroy(ctx);
	}
	fail(reason, cap,
	     processed ? "signature does not verify with any configured certificate"
		       : "signature could not be processed");
	return NULL;
}

/*
 * Verify the ds:Signature sig, a direct child of signed (the Response or the Assertion). 0 when it
 * verifies with a configured key and covers exactly signed; -1 with a reason.
 */
static int verify_signature(xmlDocPtr doc, xmlNodePtr sig, xmlNodePtr signed_el,
			    const struct saml_config *cfg, char *reason, size_t cap)
{
	char idv[256], want[260];
	xmlAttrPtr ida = attr_get(signed_el, "ID");
	xmlSecDSigCtxPtr ctx;
	int rc = -1;

	if (!ida || attr_copy(signed_el, "ID", idv, sizeof idv) != 1 || !idv[0])
		return fail(reason, cap, "signed element has no ID");
	if (!id_safe(idv))
		return fail(reason, cap, "signed element's ID has characters not allowed");
	if (xmlGetID(doc, BAD_CAST idv) != ida)
		return fail(reason, cap, "duplicate ID");
	snprintf(want, sizeof want, "#%s", idv);
	if (check_signature_shape(sig, want, cfg->allow_sha1, reason, cap) < 0)
		return -1;

	ctx = verify_any_key(sig, cfg, reason, cap);
	if (!ctx)
		return -1;
	if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1) {
		fail(reason, cap, "signature must have exactly one reference");
	} else {
		xmlSecDSigReferenceCtxPtr ref = xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0);
		/* the reference xmlsec digested is the one we checked, and "#id" still names
		 * signed_el */
		if (!ref || ref->status != xmlSecDSigStatusSucceeded || !streq(ref->uri, want) ||
		    xmlGetID(doc, BAD_CAST idv) != ida ||
		    !digested_is(doc, sig, signed_el,
				 xmlSecDSigReferenceCtxGetPreDigestBuffer(ref)))
			fail(reason, cap, "signature reference is not the signed element");
		else
			rc = 0;
	}
	xmlSecDSigCtxDestroy(ctx);
	ERR_clear_error();
	return rc;
}

/* ---------------------------------------------------------------- the Response's contents */

struct check {
	const struct saml_config *cfg;
	struct saml_identity *id;
	char *reason;
	size_t cap;
	long latest;	     /* the latest NotOnOrAfter seen, 0 if none */
	int response_signed; /* the Response's own signature verified: its attributes count */
};

/* The text of an element that must equal want (Issuer, Audience). */
static int text_is(xmlNodePtr n, const char *want)
{
	char v[SAML_VALUE_MAX];
	return node_text(n, v, sizeof v) == TEXT_OK && strcmp(v, want) == 0;
}

/* A timestamp attribute: 1 present and valid (*t), 0 absent, -1 malformed (reason set). */
static int instant_attr(struct check *k, xmlNodePtr n, const char *name, long *t)
{
	char v[64];
	int rc = attr_copy(n, name, v, sizeof v);

	if (rc == 0)
		return 0;
	if (rc < 0 || parse_instant(v, t) < 0)
		return fail(k->reason, k->cap, "timestamp is not UTC xs:dateTime");
	return 1;
}

static int check_response(struct check *k, xmlNodePtr resp)
{
	char v[SAML_VALUE_MAX];
	xmlNodePtr issuer, status, code;
	long t;
	int rc;

	if (!attr_is(resp, "Version", "2.0"))
		return fail(k->reason, k->cap, "Response version is not 2.0");
	rc = attr_copy(resp, "Destination", v, sizeof v);
	if (rc != 0 && (rc < 0 || strcmp(v, k->cfg->acs_url) != 0))
		return fail(k->reason, k->cap, "destination is not this portal's ACS URL");
	/* SAML bindings 3.5.5.2: a signed Response sent by HTTP-POST must name where it goes */
	if (rc == 0 && k->response_signed)
		return fail(k->reason, k->cap, "signed Response without Destination");
	if (instant_attr(k, resp, "IssueInstant", &t) < 0)
		return -1;
	rc = child_count(resp, NS_SAML, "Issuer", &issuer);
	if (rc > 1 || (rc == 1 && !text_is(issuer, k->cfg->idp_entity_id)))
		return fail(k->reason, k->cap,
			    "Response issuer is not the configured identity provider");
	if (child_count(resp, NS_SAMLP, "Status", &status) != 1 ||
	    child_count(status, NS_SAMLP, "StatusCode", &code) != 1 ||
	    !attr_is(code, "Value", STATUS_SUCCESS))
		return fail(k->reason, k->cap, "status is not Success");
	/* the Response's InResponseTo only when its own signature covers it: on an unsigned
	 * Response around a signed assertion anyone could add one to an unsolicited assertion */
	if (!k->response_signed)
		return 0;
	rc = attr_copy(resp, "InResponseTo", k->id->in_response_to, sizeof k->id->in_response_to);
	if (rc < 0)
		return fail(k->reason, k->cap, "InResponseTo too long");
	return 0;
}

/* Conditions: times with skew, and every AudienceRestriction names this portal. */
static int check_conditions(struct check *k, xmlNodePtr as)
{
	const struct saml_config *cfg = k->cfg;
	xmlNodePtr cond;
	long t;
	int rc, restrictions = 0;

	rc = child_count(as, NS_SAML, "Conditions", &cond);
	if (rc == 0)
		return fail(k->reason, k->cap, "assertion has no conditions");
	if (rc > 1)
		return fail(k->reason, k->cap, "assertion has two Conditions");
	rc = instant_attr(k, cond, "NotBefore", &t);
	if (rc < 0)
		return -1;
	if (rc == 1 && cfg->now + SAML_SKEW_SECONDS < t)
		return fail(k->reason, k->cap, "not yet valid");
	rc = instant_attr(k, cond, "NotOnOrAfter", &t);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		if (cfg->now - SAML_SKEW_SECONDS >= t)
			return fail(k->reason, k->cap, "expired");
		if (t > k->latest)
			k->latest = t;
	}
	for (xmlNodePtr c = next_el(cond->children); c; c = next_el(c->next)) {
		if (is_el(c, NS_SAML, "AudienceRestriction")) {
			int ours = 0;
			restrictions++;
			for (xmlNodePtr a = next_el(c->children); a; a = next_el(a->next)) {
				if (!is_el(a, NS_SAML, "Audience"))
					return fail(k->reason, k->cap, "unknown condition");
				if (text_is(a, cfg->sp_entity_id))
					ours = 1;
			}
			if (!ours)
				return fail(k->reason, k->cap, "audience is not this portal");
		} else if (!is_el(c, NS_SAML, "OneTimeUse") &&
			   !is_el(c, NS_SAML, "ProxyRestriction")) {
			return fail(k->reason, k->cap, "unknown condition");
		}
	}
	if (restrictions == 0)
		return fail(k->reason, k->cap, "assertion has no audience restriction");
	return 0;
}

/* One bearer SubjectConfirmation: 0 when it confirms for us (with *noa), else -1 and a reason. */
static int check_bearer(struct check *k, xmlNodePtr sc, long *noa, char *irt, size_t irtcap)
{
	const struct saml_config *cfg = k->cfg;
	char v[SAML_VALUE_MAX];
	xmlNodePtr scd;
	long t;
	int rc;

	if (child_count(sc, NS_SAML, "SubjectConfirmationData", &scd) != 1)
		return fail(k->reason, k->cap, "subject confirmation has no data");
	rc = attr_copy(scd, "Recipient", v, sizeof v);
	if (rc != 1 || strcmp(v, cfg->acs_url) != 0)
		return fail(k->reason, k->cap, "recipient is not this portal's ACS URL");
	rc = instant_attr(k, scd, "NotOnOrAfter", noa);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return fail(k->reason, k->cap, "subject confirmation has no NotOnOrAfter");
	if (cfg->now - SAML_SKEW_SECONDS >= *noa)
		return fail(k->reason, k->cap, "expired");
	rc = instant_attr(k, scd, "NotBefore", &t);
	if (rc < 0)
		return -1;
	if (rc == 1 && cfg->now + SAML_SKEW_SECONDS < t)
		return fail(k->reason, k->cap, "not yet valid");
	rc = attr_copy(scd, "InResponseTo", irt, irtcap);
	if (rc < 0)
		return fail(k->reason, k->cap, "InResponseTo too long");
	return 0;
}

static int check_subject(struct check *k, xmlNodePtr subject)
{
	char irt[sizeof k->id->in_response_to], first[128] = "";
	int bearers = 0;

	for (xmlNodePtr sc = next_el(subject->children); sc; sc = next_el(sc->next)) {
		long noa = 0;
		if (!is_el(sc, NS_SAML, "SubjectConfirmation") || !attr_is(sc, "Method", CM_BEARER))
			continue;
		bearers++;
		if (check_bearer(k, sc, &noa, irt, sizeof irt) < 0) {
			if (!first[0] && k->reason && k->cap)
				snprintf(first, sizeof first, "%s", k->reason);
			continue;
		}
		/* InResponseTo: the confirmation's, else the Response's; both and different: refuse
		 */
		if (irt[0] && k->id->in_response_to[0] && strcmp(irt, k->id->in_response_to) != 0)
			return fail(k->reason, k->cap,
				    "InResponseTo of the assertion and the Response differ");
		if (irt[0])
			snprintf(k->id->in_response_to, sizeof k->id->in_response_to, "%s", irt);
		if (noa > k->latest)
			k->latest = noa;
		return 0;
	}
	if (!bearers)
		return fail(k->reason, k->cap, "no bearer subject confirmation");
	return fail(k->reason, k->cap, first[0] ? first : "subject confirmation refused");
}

/* Plain-text email: one '@', no white space or control bytes, valid UTF-8, <= 254 bytes. */
static int email_ok(const char *e)
{
	size_t n = strlen(e);
	const char *at = strchr(e, '@');

	if (n < 3 || n > 254 || !at || strchr(at + 1, '@') || at == e || !at[1])
		return 0;
	if (!utf8_valid(e, n))
		return 0;
	for (const char *p = e; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c == 0x7f || strchr("\"(),:;<>[\\]", c))
			return 0;
	}
	if (at[1] == '.' || e[n - 1] == '.' || strstr(at, ".."))
		return 0;
	return 1;
}

/* The first AttributeValue of the assertion's first Attribute called name: by Name, else (a
 * second pass) by FriendlyName. 1 found (text in out), 0 none, <0 an enum text_rc of the value. */
static int attribute_named(xmlNodePtr as, const char *name, char *out, size_t cap)
{
	for (int pass = 0; pass < 2; pass++) {
		for (xmlNodePtr st = next_el(as->children); st; st = next_el(st->next)) {
			if (!is_el(st, NS_SAML, "AttributeStatement"))
				continue;
			for (xmlNodePtr a = next_el(st->children); a; a = next_el(a->next)) {
				if (!is_el(a, NS_SAML, "Attribute") ||
				    !attr_is(a, pass ? "FriendlyName" : "Name", name))
					continue;
				xmlNodePtr val;
				if (child_count(a, NS_SAML, "AttributeValue", &val) == 0)
					return 0;
				enum text_rc rc = node_text(val, out, cap);
				return rc == TEXT_OK ? 1 : (int)rc;
			}
		}
	}
	return 0;
}

/* The first of names the assertion has (each by Name, else FriendlyName): as attribute_named. */
static int attribute_value(xmlNodePtr as, const char *const *names, char *out, size_t cap)
{
	for (int i = 0; names[i]; i++) {
		int rc = attribute_named(as, names[i], out, cap);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The email taken from v, or -1 with a reason. */
static int take_email(struct check *k, const char *v)
{
	if (!email_ok(v) || strlen(v) >= sizeof k->id->email)
		return fail(k->reason, k->cap, "email address is not valid");
	memcpy(k->id->email, v, strlen(v) + 1);
	return 0;
}

/* An attribute_named result that is not a value: -1 with the reason. */
static int attribute_refused(struct check *k, int rc)
{
	if (rc == TEXT_COMMENT)
		return fail(k->reason, k->cap, "email attribute contains a comment");
	return fail(k->reason, k->cap, "email attribute is not plain text");
}

/*
 * The NameID as the email: 1 with v filled when it is one (format emailAddress, or any format
 * whose value is an email address), 0 when it is not an email or there is none (the caller falls
 * back to attributes), -1 refused with a reason.
 */
static int nameid_email(struct check *k, xmlNodePtr subject, char *v, size_t cap)
{
	xmlNodePtr nameid;
	char fmt[256];
	int rc;

	if (child_count(subject, NS_SAML, "EncryptedID", NULL))
		return fail(k->reason, k->cap, "encrypted NameID not supported");
	rc = child_count(subject, NS_SAML, "NameID", &nameid);
	if (rc > 1)
		return fail(k->reason, k->cap, "assertion has two NameIDs");
	if (rc == 0)
		return 0;
	rc = node_text(nameid, v, cap);
	if (rc == TEXT_COMMENT)
		return fail(k->reason, k->cap, "NameID contains a comment");
	if (rc != TEXT_OK)
		return fail(k->reason, k->cap, "NameID is not plain text");
	if (attr_copy(nameid, "Format", fmt, sizeof fmt) == 1 && strcmp(fmt, NAMEID_EMAIL) == 0)
		return 1;
	return email_ok(v) ? 1 : 0;
}

static int check_email(struct check *k, xmlNodePtr as, xmlNodePtr subject)
{
	static const char *const fallback[] = {
	    "email", "mail", "urn:oid:0.9.2342.19200300.100.1.3",
	    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", NULL};
	const char *attr = k->cfg->email_attribute;
	char v[SAML_VALUE_MAX];
	int rc;

	if (attr && attr[0]) {
		rc = attribute_named(as, attr, v, sizeof v);
		if (rc == 0)
			return fail(k->reason, k->cap, "the email attribute is missing");
		return rc < 0 ? attribute_refused(k, rc) : take_email(k, v);
	}
	rc = nameid_email(k, subject, v, sizeof v);
	if (rc != 0)
		return rc < 0 ? -1 : take_email(k, v);
	rc = attribute_value(as, fallback, v, sizeof v);
	if (rc == 0)
		return fail(k->reason, k->cap,
			    "no email: the NameID is not an email address and no email, mail, "
			    "urn:oid:0.9.2342.19200300.100.1.3 or emailaddress claim attribute");
	return rc < 0 ? attribute_refused(k, rc) : take_email(k, v);
}

/* A display name for the customer: valid UTF-8, control bytes dropped, cut between characters. */
static void set_name(char *dst, size_t cap, const char *src)
{
	size_t n = 0, len = strlen(src);

	dst[0] = '\0';
	if (!utf8_valid(src, len))
		return;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)src[i];
		size_t k = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (c < 0x20 || c == 0x7f) {
			i++;
			continue;
		}
		if (n + k >= cap)
			break;
		memcpy(dst + n, src + i, k);
		n += k;
		i += k;
	}
	dst[n] = '\0';
}

static void read_name(xmlNodePtr as, struct saml_identity *id)
{
	static const char *const display[] = {
	    "displayName", "urn:oid:2.16.840.1.113730.3.1.241",
	    "http://schemas.microsoft.com/identity/claims/displayname", NULL};
	static const char *const cn[] = {"cn", "urn:oid:2.5.4.3", "commonName", NULL};
	static const char *const given[] = {
	    "givenName", "urn:oid:2.5.4.42",
	    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", NULL};
	static const char *const sn[] = {
	    "sn", "surname", "urn:oid:2.5.4.4",
	    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", NULL};
	char a[SAML_VALUE_MAX], b[SAML_VALUE_MAX], full[2 * SAML_VALUE_MAX + 2];

	if ((attribute_value(as, display, a, sizeof a) == 1 && a[0]) ||
	    (attribute_value(as, cn, a, sizeof a) == 1 && a[0])) {
		set_name(id->name, sizeof id->name, a);
		return;
	}
	if (attribute_value(as, given, a, sizeof a) != 1)
		a[0] = '\0';
	if (attribute_value(as, sn, b, sizeof b) != 1)
		b[0] = '\0';
	snprintf(full, sizeof full, "%s%s%s", a, a[0] && b[0] ? " " : "", b);
	set_name(id->name, sizeof id->name, full);
}

static int check_assertion(struct check *k, xmlNodePtr as)
{
	xmlNodePtr issuer, subject;
	long t;
	int rc;

	if (!attr_is(as, "Version", "2.0"))
		return fail(k->reason, k->cap, "assertion version is not 2.0");
	rc = attr_copy(as, "ID", k->id->assertion_id, sizeof k->id->assertion_id);
	if (rc != 1 || !k->id->assertion_id[0])
		return fail(k->reason, k->cap, "assertion has no usable ID");
	rc = instant_attr(k, as, "IssueInstant", &t);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return fail(k->reason, k->cap, "assertion has no IssueInstant");
	if (child_count(as, NS_SAML, "Issuer", &issuer) != 1 ||
	    !text_is(issuer, k->cfg->idp_entity_id))
		return fail(k->reason, k->cap, "issuer is not the configured identity provider");
	if (check_conditions(k, as) < 0)
		return -1;
	rc = child_count(as, NS_SAML, "Subject", &subject);
	if (rc != 1)
		return fail(k->reason, k->cap,
			    rc ? "assertion has two subjects" : "assertion has no subject");
	if (check_subject(k, subject) < 0)
		return -1;
	if (check_email(k, as, subject) < 0)
		return -1;
	read_name(as, k->id);
	return 0;
}

/* The direct-child ds:Signature of el: 0 none, 1 found, -1 more than one (reason set). */
static int direct_signature(xmlNodePtr el, xmlNodePtr *sig, char *reason, size_t cap)
{
	int n = child_count(el, NS_DS, "Signature", sig);
	if (n > 1)
		return fail(reason, cap, "two signatures on one element");
	return n;
}

static int verify_doc(xmlDocPtr doc, const struct saml_config *cfg, struct saml_identity *id,
		      char *reason, size_t cap)
{
	struct check k = {cfg, id, reason, cap, 0, 0};
	xmlNodePtr resp = xmlDocGetRootElement(doc), as, rsig, asig;
	int rc, rs, ss;

	if (!is_el(resp, NS_SAMLP, "Response"))
		return fail(reason, cap, "not a SAML Response");
	if (child_count(resp, NS_SAML, "EncryptedAssertion", NULL))
		return fail(reason, cap, "encrypted assertions are not supported");
	rc = child_count(resp, NS_SAML, "Assertion", &as);
	if (rc == 0) {
		/* an error answer from the IdP is more useful as its status than as "no assertion"
		 */
		xmlNodePtr status, code;
		if (child_count(resp, NS_SAMLP, "Status", &status) == 1 &&
		    child_count(status, NS_SAMLP, "StatusCode", &code) == 1 &&
		    !attr_is(code, "Value", STATUS_SUCCESS))
			return fail(reason, cap, "status is not Success");
		return fail(reason, cap, "no assertion");
	}
	if (rc > 1)
		return fail(reason, cap, "two assertions");
	if (register_ids(doc, reason, cap) < 0)
		return -1;
	rs = direct_signature(resp, &rsig, reason, cap);
	ss = direct_signature(as, &asig, reason, cap);
	if (rs < 0 || ss < 0)
		return -1;
	if (!rs && !ss)
		return fail(reason, cap, "not signed");
	/* every signature present must verify */
	if (rs && verify_signature(doc, rsig, resp, cfg, reason, cap) < 0)
		return -1;
	if (ss && verify_signature(doc, asig, as, cfg, reason, cap) < 0)
		return -1;
	/* the SP metadata says WantAssertionsSigned="true", and means it: a signature over the
	 * Response alone is not enough (an IdP set up from that metadata signs the assertion) */
	if (!ss)
		return fail(reason, cap, "assertion not signed (only the Response is)");

	k.response_signed = rs;
	if (check_response(&k, resp) < 0 || check_assertion(&k, as) < 0)
		return -1;
	/* keep the ID as long as the assertion could still be accepted (the skew included) */
	id->expires = (k.latest ? k.latest : cfg->now) + SAML_SKEW_SECONDS;
	if (id->expires < cfg->now + SAML_MIN_KEEP)
		id->expires = cfg->now + SAML_MIN_KEEP;
	return 0;
}

static int empty(const char *s)
{
	return !s || !s[0];
}

int saml_verify_response(const char *xml, size_t len, const struct saml_config *cfg,
			 struct saml_identity *id, char *reason, size_t cap)
{
	xmlDocPtr doc;
	int rc;

	if (reason && cap)
		reason[0] = '\0';
	if (!id)
		return fail(reason, cap, "no identity to fill");
	memset(id, 0, sizeof *id);
	if (!saml_ready)
		return fail(reason, cap, "SAML is not initialised");
	if (!cfg || empty(cfg->idp_entity_id) || empty(cfg->idp_cert_pem) ||
	    empty(cfg->sp_entity_id) || empty(cfg->acs_url))
		return fail(reason, cap, "SAML is not configured");
	if (len > SAML_MAX_RESPONSE)
		return fail(reason, cap, "response too large");
	doc = parse_strict(xml, len, SAML_MAX_RESPONSE, reason, cap);
	if (!doc)
		return -1;
	rc = verify_doc(doc, cfg, id, reason, cap);
	xmlFreeDoc(doc);
	if (rc < 0) {
		memset(id, 0, sizeof *id);
		if (reason && cap && !reason[0])
			fail(reason, cap, "refused");
	}
	return rc;
}

/* ---------------------------------------------------------------- bindings and metadata */

char *saml_decode_post(const char *b64, size_t *len)
{
	size_t n;
	unsigned char *out;

	if (!b64 || !len)
		return NULL;
	n = strlen(b64);
	out = b64_decode(b64, n, SAML_MAX_RESPONSE, len);
	return (char *)out;
}

/* Raw deflate (no zlib header), as the HTTP-Redirect binding wants. malloc'd, or NULL. */
static unsigned char *raw_deflate(const char *in, size_t n, size_t *outlen)
{
	z_stream zs;
	unsigned char *out;
	uLong bound;

	memset(&zs, 0, sizeof zs);
	if (n > UINT_MAX ||
	    deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	bound = deflateBound(&zs, (uLong)n);
	out = malloc(bound);
	if (!out) {
		deflateEnd(&zs);
		return NULL;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		free(out);
		return NULL;
	}
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return out;
}

char *saml_authn_redirect(const char *idp_sso_url, const char *sp_entity_id, const char *acs_url,
			  const char *relay_state, long now, char *request_id, size_t cap)
{
	unsigned char rnd[20], *z = NULL;
	char rid[42], instant[32];
	struct buf x = BUF_INIT, b64 = BUF_INIT, url = BUF_INIT;
	size_t zlen = 0;
	int bad = 0;

	if (request_id && cap)
		request_id[0] = '\0';
	if (!request_id || cap < sizeof rid || empty(idp_sso_url) || empty(sp_entity_id) ||
	    empty(acs_url))
		return NULL;
	if (!http_url_ok(idp_sso_url))
		return NULL;
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return NULL;
	rid[0] = '_';
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(rid + 1 + 2 * i, 3, "%02x", rnd[i]);
	format_instant(now, instant);

	buf_puts(&x, "<samlp:AuthnRequest xmlns:samlp=\"" NS_SAMLP "\" xmlns:saml=\"" NS_SAML
		     "\" ID=\"");
	buf_puts(&x, rid);
	buf_puts(&x, "\" Version=\"2.0\" IssueInstant=\"");
	buf_puts(&x, instant);
	buf_puts(&x, "\" Destination=\"");
	bad |= xml_esc(&x, idp_sso_url);
	buf_puts(&x, "\" AssertionConsumerServiceURL=\"");
	bad |= xml_esc(&x, acs_url);
	buf_puts(&x, "\" ProtocolBinding=\"" BINDING_POST "\"><saml:Issuer>");
	bad |= xml_esc(&x, sp_entity_id);
	buf_puts(&x, "</saml:Issuer><samlp:NameIDPolicy Format=\"" NAMEID_EMAIL
		     "\" AllowCreate=\"true\"/>"
		     "</samlp:AuthnRequest>");
	if (bad || x.oom || !(z = raw_deflate(x.data, x.len, &zlen)))
		goto out;
	buf_base64(&b64, z, zlen, 0);
	buf_puts(&url, idp_sso_url);
	buf_putc(&url, strchr(idp_sso_url, '?') ? '&' : '?');
	buf_puts(&url, "SAMLRequest=");
	buf_urlenc(&url, b64.data ? b64.data : "", b64.len);
	if (!empty(relay_state)) {
		buf_puts(&url, "&RelayState=");
		buf_urlenc(&url, relay_state, strlen(relay_state));
	}
	if (b64.oom || url.oom)
		goto out;
	snprintf(request_id, cap, "%s", rid);
	free(z);
	buf_free(&x);
	buf_free(&b64);
	return url.data;
out:
	free(z);
	buf_free(&x);
	buf_free(&b64);
	buf_free(&url);
	return NULL;
}

char *saml_sp_metadata(const char *sp_entity_id, const char *acs_url)
{
	struct buf b = BUF_INIT;
	int bad = 0;

	buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<md:EntityDescriptor xmlns:md=\"" NS_MD "\" entityID=\"");
	bad |= xml_esc(&b, sp_entity_id);
	buf_puts(
	    &b,
	    "\">\n"
	    "  <md:SPSSODescriptor AuthnRequestsSigned=\"false\" WantAssertionsSigned=\"true\" "
	    "protocolSupportEnumeration=\"" NS_SAMLP "\">\n"
	    "    <md:NameIDFormat>" NAMEID_EMAIL "</md:NameIDFormat>\n"
	    "    <md:AssertionConsumerService Binding=\"" BINDING_POST "\" Location=\"");
	bad |= xml_esc(&b, acs_url);
	buf_puts(&b, "\" index=\"0\" isDefault=\"true\"/>\n"
		     "  </md:SPSSODescriptor>\n"
		     "</md:EntityDescriptor>\n");
	if (bad || b.oom || empty(sp_entity_id) || empty(acs_url)) {
		buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* The certificate of an X509Certificate element, or NULL with a reason. */
static X509 *metadata_x509(xmlNodePtr xc, char *reason, size_t cap)
{
	char *b64 = malloc(SAML_MAX_CERT_PEM);
	unsigned char *der = NULL;
	size_t derlen = 0;
	X509 *x = NULL;

	if (b64 && node_text(xc, b64, SAML_MAX_CERT_PEM) == TEXT_OK)
		der = b64_decode(b64, strlen(b64), SAML_MAX_CERT_PEM, &derlen);
	free(b64);
	const unsigned char *p = der;
	if (der && derlen <= LONG_MAX)
		x = d2i_X509(NULL, &p, (long)derlen);
	if (x && p != der + derlen) {
		X509_free(x);
		x = NULL;
	}
	free(der);
	ERR_clear_error();
	if (!x)
		fail(reason, cap, "a signing certificate in the metadata is not readable");
	return x;
}

/* The first ds:X509Certificate of a KeyDescriptor's KeyInfo, or NULL. */
static xmlNodePtr key_descriptor_cert(xmlNodePtr kd)
{
	xmlNodePtr ki, xd, xc;

	if (child_count(kd, NS_DS, "KeyInfo", &ki) < 1 ||
	    child_count(ki, NS_DS, "X509Data", &xd) < 1 ||
	    child_count(xd, NS_DS, "X509Certificate", &xc) < 1)
		return NULL;
	return xc;
}

/* Append x as PEM to b. 0 or -1. */
static int append_pem(struct buf *b, X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int rc = -1;

	if (bio && PEM_write_bio_X509(bio, x) == 1 && (n = BIO_get_mem_data(bio, &data)) > 0) {
		buf_append(b, data, (size_t)n);
		rc = b->oom ? -1 : 0;
	}
	BIO_free(bio);
	return rc;
}

/*
 * Every signing certificate of a role descriptor (KeyDescriptor use="signing" or without use),
 * duplicates dropped, as one PEM bundle in document order (malloc'd), or NULL with a reason.
 */
static char *signing_certs_pem(xmlNodePtr role, char *reason, size_t cap)
{
	X509 *x[SAML_MAX_CERTS];
	struct buf b = BUF_INIT;
	int n = 0, bad = 0;

	for (xmlNodePtr kd = next_el(role->children); kd && !bad; kd = next_el(kd->next)) {
		char use[32];
		int rc;
		xmlNodePtr xc;
		if (!is_el(kd, NS_MD, "KeyDescriptor"))
			continue;
		rc = attr_copy(kd, "use", use, sizeof use);
		if (rc < 0 || (rc == 1 && strcmp(use, "signing") != 0) ||
		    !(xc = key_descriptor_cert(kd)))
			continue;
		X509 *c = metadata_x509(xc, reason, cap);
		int dup = 0;
		for (int i = 0; c && i < n && !dup; i++)
			dup = X509_cmp(c, x[i]) == 0;
		if (!c || dup) {
			bad = !c;
			X509_free(c);
			continue;
		}
		if (n == SAML_MAX_CERTS) {
			X509_free(c);
			bad = fail(reason, cap,
				   "the metadata lists more than 4 signing certificates");
			continue;
		}
		x[n++] = c;
		bad = append_pem(&b, c) < 0 ? fail(reason, cap, "out of memory") : 0;
	}
	certs_free(x, n);
	if (!bad && n == 0)
		bad = fail(reason, cap, "no signing certificate in the metadata");
	if (bad) {
		buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* The Location of the role's first service element `name` with the HTTP-Redirect binding. */
static xmlNodePtr redirect_service(xmlNodePtr role, const char *name)
{
	for (xmlNodePtr c = next_el(role->children); c; c = next_el(c->next))
		if (is_el(c, NS_MD, name) && attr_is(c, "Binding", BINDING_REDIRECT))
			return c;
	return NULL;
}

/* The EntityDescriptor of an IdP in the document (the root, or the one IdP of an
 * EntitiesDescriptor), or NULL with a reason. */
static xmlNodePtr idp_entity(xmlDocPtr doc, char *reason, size_t cap)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), ed = NULL;

	if (is_el(root, NS_MD, "EntityDescriptor"))
		return root;
	if (is_el(root, NS_MD, "EntitiesDescriptor")) {
		for (xmlNodePtr c = next_el(root->children); c; c = next_el(c->next)) {
			if (!is_el(c, NS_MD, "EntityDescriptor") ||
			    !child_count(c, NS_MD, "IDPSSODescriptor", NULL))
				continue;
			if (ed) {
				fail(reason, cap,
				     "the metadata describes more than one identity provider");
				return NULL;
			}
			ed = c;
		}
	}
	if (!ed)
		fail(reason, cap, "not SAML metadata of an identity provider");
	return ed;
}

struct md_out {
	char *entity_id, *sso_url, *slo_url;
	size_t ecap, ucap, scap;
	char *reason;
	size_t rcap;
};

/* The values of an IdP's EntityDescriptor: 0 with the strings set and *pem the bundle, or -1. */
static int read_idp_entity(xmlNodePtr ed, struct md_out *o, char **pem)
{
	xmlNodePtr idp = NULL, sso, slo;

	if (child_count(ed, NS_MD, "IDPSSODescriptor", &idp) == 0)
		return fail(o->reason, o->rcap, "the metadata has no IDPSSODescriptor");
	int erc = attr_copy(ed, "entityID", o->entity_id, o->ecap);
	if (erc != 1 || !o->entity_id[0] || has_ctl_bytes(o->entity_id, strlen(o->entity_id), 0) ||
	    !utf8_valid(o->entity_id, strlen(o->entity_id)))
		return fail(o->reason, o->rcap,
			    erc < 0 ? "entityID too long" : "the metadata has no entityID");
	sso = redirect_service(idp, "SingleSignOnService");
	if (!sso)
		return fail(o->reason, o->rcap,
			    "the metadata has no HTTP-Redirect SingleSignOnService");
	int urc = attr_copy(sso, "Location", o->sso_url, o->ucap);
	if (urc != 1 || !http_url_ok(o->sso_url))
		return fail(o->reason, o->rcap,
			    urc < 0 ? "SSO URL too long" : "the SSO URL is not an http(s) URL");
	/* the logout URL is optional: one that is not usable is left out rather than refused */
	slo = redirect_service(idp, "SingleLogoutService");
	if (!slo || attr_copy(slo, "Location", o->slo_url, o->scap) != 1 ||
	    !http_url_ok(o->slo_url))
		o->slo_url[0] = '\0';
	*pem = signing_certs_pem(idp, o->reason, o->rcap);
	if (!*pem)
		return -1;
	if (saml_cert_check(*pem, o->reason, o->rcap) < 0) {
		free(*pem);
		*pem = NULL;
		return -1;
	}
	return 0;
}

int saml_idp_metadata(const char *xml, size_t len, char *entity_id, size_t ecap, char *sso_url,
		      size_t ucap, char *slo_url, size_t scap, char **cert_pem, char *reason,
		      size_t rcap)
{
	struct md_out o = {entity_id, sso_url, slo_url, ecap, ucap, scap, reason, rcap};
	xmlDocPtr doc;
	xmlNodePtr ed;
	int rc = -1;

	if (reason && rcap)
		reason[0] = '\0';
	if (!entity_id || !ecap || !sso_url || !ucap || !slo_url || !scap || !cert_pem)
		return fail(reason, rcap, "nowhere to put the metadata");
	entity_id[0] = sso_url[0] = slo_url[0] = '\0';
	*cert_pem = NULL;
	if (!saml_ready)
		return fail(reason, rcap, "SAML is not initialised");
	if (len > SAML_MAX_METADATA)
		return fail(reason, rcap, "metadata too large");
	doc = parse_strict(xml, len, SAML_MAX_METADATA, reason, rcap);
	if (!doc)
		return -1;
	ed = idp_entity(doc, reason, rcap);
	if (ed)
		rc = read_idp_entity(ed, &o, cert_pem);
	xmlFreeDoc(doc);
	if (rc < 0) {
		entity_id[0] = sso_url[0] = slo_url[0] = '\0';
		if (reason && rcap && !reason[0])
			fail(reason, rcap, "not usable metadata");
	}
	return rc;
}
