/* sso_saml.c - /sso/saml/metadata, /sso/saml/login, /sso/saml/acs, /sso/saml/finish: SAML 2.0 sign-on
 * (the SP side; lib/saml.c verifies). */
#include "sso.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jwt.h"
#include "log.h"
#include "saml.h"
#include "token.h"

const struct db_stmt sso_saml_stmts[] = {
	{"sso_request_take",
	 "DELETE FROM sso_requests WHERE id = $1 AND portal_id = $2 AND kind = 'saml' AND expires_at > now()"
	 " RETURNING relay_state, coalesce(pre_hash, '')",
	 2},
	{NULL},
};


int sso_saml_metadata(struct ctx *c)
{
	char *xml = saml_sp_metadata(sso_saml_entity_id(c), sso_saml_acs_url(c));
	if (!xml)
		return 500;
	response_header(c->res, "Content-Type", "application/samlmetadata+xml");
	buf_puts(&c->res->body, xml);
	free(xml);
	return c->res->status = 200;
}

int sso_saml_login(struct ctx *c)
{
	if (!sso_method_on(c->portal, "saml"))
		return 404;
	if (c->sess.found)
		return page_redirect(c, 303, sso_tickets_path(c));
	struct sso_config s;
	int found = sso_config_load(c, &s);
	if (found < 0) {
		PQclear(s.r);
		return 503;
	}
	if (!found || !s.idp_sso_url[0]) {
		PQclear(s.r);
		log_msg(LOG_ERROR, "sso: SAML is on but portal %ld has no IdP SSO URL", c->portal->id);
		return 503;
	}
	const char *next = safe_next(request_query(c->req, "next"));
	if (!next)
		next = sso_tickets_path(c);
	char id[64];
	/* RelayState carries where to return, for the IdP's logs; the ACS trusts only the copy
	 * stored with the request ID */
	char *url = saml_authn_redirect(s.idp_sso_url, sso_saml_entity_id(c), sso_saml_acs_url(c),
					strlen(next) <= 80 ? next : "", /* the binding's limit */
					(long)time(NULL), id, sizeof id);
	PQclear(s.r);
	if (!url)
		return 500;
	int rec = sso_request_record(c, id, "saml", next);
	if (rec <= 0) {
		free(url);
		return rec < 0 ? 503 : 429;
	}
	page_redirect(c, 303, url);
	free(url);
	return 303;
}


/*
 * The IdP's cross-site POST carries no SameSite=Lax cookie, so the ACS cannot see which browser
 * it is in: it verifies the Response, spends the assertion ID (a replay is reported as such
 * before anything else is looked at), takes the AuthnRequest it answers, and keeps the identity
 * for two minutes under a handle; the 303 to /sso/saml/finish?h= is a same-site GET that
 * carries the pre-session cookie, and only there is the session made.
 */
int sso_saml_acs(struct ctx *c)
{
	if (!sso_method_on(c->portal, "saml"))
		return 404;
	const char *b64 = request_form(c->req, "SAMLResponse");
	if (!b64 || !b64[0])
		return sso_refuse(c, "saml", "no SAMLResponse in the request", 400);
	size_t len = 0;
	char *xml = saml_decode_post(b64, &len);
	if (!xml)
		return sso_refuse(c, "saml", "SAMLResponse is not base64 or too large", 400);
	struct sso_config s;
	int found = sso_config_load(c, &s);
	if (found <= 0) {
		PQclear(s.r);
		free(xml);
		return sso_refuse(c, "saml", found < 0 ? "database error" : "SAML is not configured", 503);
	}
	struct saml_config sc = {
		.idp_entity_id = s.idp_entity_id,
		.idp_cert_pem = s.idp_cert,
		.sp_entity_id = sso_saml_entity_id(c),
		.acs_url = sso_saml_acs_url(c),
		.email_attribute = s.email_attribute,
		.allow_sha1 = s.allow_sha1,
		.now = (long)time(NULL),
	};
	struct saml_identity id;
	char reason[256] = "";
	int ok = saml_verify_response(xml, len, &sc, &id, reason, sizeof reason);
	PQclear(s.r);
	free(xml);
	if (ok < 0)
		return sso_refuse(c, "saml", reason[0] ? reason : "response refused", 403);
	/* spent at once, committed on its own: whatever is refused after this, it stays used */
	int fresh = sso_seen_add(c, "saml", id.assertion_id, id.expires);
	if (fresh <= 0)
		return sso_refuse(c, "saml", fresh < 0 ? "database error" : "assertion already used (replay)",
			      fresh < 0 ? 503 : 403);
	if (!id.in_response_to[0])
		return sso_refuse(c, "saml", "no InResponseTo: only answers to our own requests are accepted", 403);
	if (db_begin() < 0)
		return 503;
	const char *pt[2] = {id.in_response_to, arena_printf(c->arena, "%ld", c->portal->id)};
	PGresult *r = db_exec("sso_request_take", 2, pt);
	if (!r)
		return sso_refuse(c, "saml", "database error", 503);
	if (PQntuples(r) != 1) {
		PQclear(r);
		return sso_refuse(c, "saml", "InResponseTo matches no request sent in the last 10 minutes", 403);
	}
	const char *next = safe_next(arena_printf(c->arena, "%s", PQgetvalue(r, 0, 0)));
	const char *pre_hash = arena_printf(c->arena, "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	char handle[64];
	if (sso_handoff_add(c, "saml", id.email, id.name, next, pre_hash, 120, handle, sizeof handle) < 0 ||
	    db_commit() < 0)
		return sso_refuse(c, "saml", "database error", 503);
	return page_redirect(c, 303, arena_printf(c->arena, "/sso/saml/finish?h=%s", handle));
}

int sso_saml_finish(struct ctx *c)
{
	return sso_handoff_finish(c, "saml", request_query(c->req, "h"), "sign-on handle unknown, used or expired",
			      "response arrived in a browser that did not start the sign-on");
}
