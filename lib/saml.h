/* saml.h - SAML 2.0 service provider: verify a Response (libxml2 + xmlsec1, openssl), build the
 * AuthnRequest redirect, the SP metadata, and read IdP metadata. */
#ifndef PORTAL_SAML_H
#define PORTAL_SAML_H

#include <stddef.h>

#define SAML_SKEW_SECONDS 120
#define SAML_MAX_RESPONSE (256 * 1024) /* decoded XML; larger is refused */
#define SAML_MAX_CERTS 4                 /* certificates in one IdP bundle */
#define SAML_MAX_CERT_PEM 65536          /* the bundle's text (portal_sso.saml_idp_cert) */

/* Once per process before any other call (xmlsec and libxml2 set-up, no network, no entities;
 * libxml2 and xmlsec error output silenced process-wide). 0 or -1. saml_shutdown() undoes it. */
int saml_init(void);
void saml_shutdown(void);

struct saml_config {
	const char *idp_entity_id;   /* the Issuer expected */
	const char *idp_cert_pem;    /* 1..SAML_MAX_CERTS PEM certificates concatenated (a rollover
					bundle): the only keys a signature may verify with */
	const char *sp_entity_id;    /* the Audience expected */
	const char *acs_url;         /* the Destination and the Recipient expected */
	const char *email_attribute; /* the Attribute (by Name, else FriendlyName) holding the email;
					NULL or "": see saml_verify_response */
	int allow_sha1;              /* rsa-sha1 / sha1 digests accepted only when set */
	long now;                    /* seconds since the epoch */
};

struct saml_identity {
	char email[256];
	char name[256];            /* a displayName / cn / givenName+sn attribute when present, else "" */
	char assertion_id[256];    /* for the replay store */
	char in_response_to[256];  /* the SubjectConfirmationData's (else the Response's) InResponseTo; "" if none */
	long expires;              /* the latest NotOnOrAfter that applied + SAML_SKEW_SECONDS (at least
				      now + 5 min): the assertion is acceptable until then, so keep its ID */
};

/*
 * Verify a decoded Response (the XML of the SAMLResponse form field) against cfg. 0 on success
 * with *id filled; -1 with *id zeroed and a short English reason for the log and audit row (e.g.
 * "not signed", "signature does not verify with any configured certificate",
 * "two assertions", "audience is not this portal", "expired", "DOCTYPE not allowed").
 * Accepted: a Response with exactly one Assertion, where the Assertion or the Response (or both)
 * carries a valid signature by the key of ANY certificate of cfg->idp_cert_pem over exactly that
 * element; the values are read only from that Assertion. A signed Response must carry a
 * Destination equal to cfg->acs_url (SAML bindings 3.5.5.2). EncryptedAssertion is refused.
 * The email: with cfg->email_attribute set, that attribute (matched by Name, else FriendlyName);
 * without, the NameID when its format is emailAddress or its value is an email address, else the
 * first of the attributes email, mail, urn:oid:0.9.2342.19200300.100.1.3 and
 * http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress (each by Name, else
 * FriendlyName). The caller checks in_response_to against its stored request IDs ("" for an
 * IdP-initiated Response: the caller decides) and the assertion ID against its replay store.
 * The email is returned as sent (not lowercased).
 */
int saml_verify_response(const char *xml, size_t len, const struct saml_config *cfg, struct saml_identity *id,
			 char *reason, size_t cap);

/* Decode the SAMLResponse form field (base64, whitespace ignored). malloc'd, NUL-terminated,
 * *len set; NULL when not base64, empty, or the result is larger than SAML_MAX_RESPONSE. */
char *saml_decode_post(const char *b64, size_t *len);

/*
 * The HTTP-Redirect URL of a new AuthnRequest: idp_sso_url + ('?' or '&') + SAMLRequest=<raw
 * deflate, base64, URL-encoded>&RelayState=<relay_state URL-encoded> (left out when relay_state
 * is NULL or ""; the binding allows 80 bytes, the caller keeps it short). The request's fresh ID
 * ("_" and 40 hex characters) goes to request_id (cap >= 42). malloc'd, or NULL (idp_sso_url not
 * an http(s) URL or with a fragment, a value with control bytes or invalid UTF-8, no randomness).
 */
char *saml_authn_redirect(const char *idp_sso_url, const char *sp_entity_id, const char *acs_url,
			  const char *relay_state, long now, char *request_id, size_t cap);

/* The SP metadata document (EntityDescriptor with an SPSSODescriptor, the ACS by HTTP-POST,
 * NameIDFormat emailAddress, AuthnRequestsSigned false, WantAssertionsSigned false: a Response
 * signed only at the top, over its one Assertion, is accepted, so the SP does not require the
 * Assertion itself to be signed). malloc'd. */
char *saml_sp_metadata(const char *sp_entity_id, const char *acs_url);

/*
 * Read pasted IdP metadata (an EntityDescriptor, or an EntitiesDescriptor holding exactly one with
 * an IDPSSODescriptor): its entityID, the SingleSignOnService Location of the HTTP-Redirect
 * binding, the SingleLogoutService Location of the HTTP-Redirect binding into slo_url ("" when
 * there is none, or it is not an http(s) URL that fits), and EVERY signing certificate
 * (KeyDescriptor use="signing" or without use; the first X509Certificate of each, duplicates
 * dropped, in document order) as one PEM bundle (malloc'd into *cert_pem, passing
 * saml_cert_check). 0, or -1 with a reason for the settings form, *cert_pem NULL and the strings
 * "". Parsed with the same no-network, no-DOCTYPE rules.
 */
int saml_idp_metadata(const char *xml, size_t len, char *entity_id, size_t ecap, char *sso_url, size_t ucap,
		      char *slo_url, size_t scap, char **cert_pem, char *reason, size_t rcap);

/* 0 when pem is a bundle of 1..SAML_MAX_CERTS X.509 certificates (PEM blocks "CERTIFICATE"; text
 * between blocks is ignored, any other PEM block refused), each with an RSA key of at least 2048
 * bits and none twice; else -1 with a reason for the form. */
int saml_cert_check(const char *pem, char *reason, size_t cap);

/* One certificate of a bundle, for the admin page. */
struct saml_cert_info {
	char subject[512]; /* one line, RFC 2253 (X509_NAME_print_ex), cut to fit */
	long not_after;    /* seconds since the epoch */
	char sha256[96];   /* SHA-256 of the DER, upper-case hex pairs joined by ':' */
};

/* Describe the certificates of a bundle in order: how many were written to out (at most max),
 * or -1 when the bundle does not pass saml_cert_check. */
int saml_cert_list(const char *bundle, struct saml_cert_info *out, int max);

#endif
