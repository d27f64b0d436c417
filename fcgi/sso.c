/* sso.c - customer single sign-on: SAML 2.0 (SP metadata, AuthnRequest, ACS) and JWT. The
 * verification rules live in lib/saml.c and lib/jwt.c; this file holds what a portal adds:
 * its settings, the requests it sent (InResponseTo), the identities already used (replay),
 * the contact and member behind a verified email, and the session. */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "jwt.h"
#include "log.h"
#include "saml.h"
#include "token.h"

#define SSO_OPEN_PER_IP 500 /* AuthnRequests one client address may have open (10 minutes each) */

const struct db_stmt sso_stmts[] = {
	{"sso_config",
	 "SELECT saml_idp_entity_id, saml_idp_sso_url, saml_idp_cert, saml_email_attribute,"
	 " saml_allow_sha1, jwt_alg, jwt_secret, jwt_public_key, jwt_issuer, jwt_audience"
	 " FROM portal_sso WHERE portal_id = $1",
	 1},
	/* a new sign-on started in the browser whose pre-session cookie hashes to $7, unless this
	 * address already has SSO_OPEN_PER_IP open ones */
	{"sso_request_new",
	 "WITH old AS (DELETE FROM sso_requests WHERE expires_at < now())"
	 " INSERT INTO sso_requests (id, portal_id, relay_state, ip, expires_at, kind, pre_hash)"
	 " SELECT $1, $2, $3, $4::inet, now() + interval '10 minutes', $6, $7"
	 " WHERE (SELECT count(*) FROM sso_requests WHERE ip = $4::inet AND expires_at > now()) < $5::int"
	 " RETURNING 1",
	 7},
	{"sso_request_take",
	 "DELETE FROM sso_requests WHERE id = $1 AND portal_id = $2 AND kind = 'saml' AND expires_at > now()"
	 " RETURNING relay_state, coalesce(pre_hash, '')",
	 2},
	/* the newest JWT sign-on this browser started (the portal's own redirect to the app) */
	{"sso_jwt_started",
	 "DELETE FROM sso_requests WHERE id = (SELECT id FROM sso_requests WHERE portal_id = $1"
	 "   AND kind = 'jwt' AND pre_hash = $2 AND expires_at > now() ORDER BY expires_at DESC LIMIT 1)"
	 " RETURNING relay_state",
	 2},
	{"sso_handoff_add",
	 "WITH old AS (DELETE FROM sso_handoffs WHERE expires_at < now())"
	 " INSERT INTO sso_handoffs (handle_sha256, portal_id, method, email, name, next, pre_hash, expires_at)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8::int))",
	 8},
	{"sso_handoff_take",
	 "DELETE FROM sso_handoffs WHERE handle_sha256 = $1 AND portal_id = $2 AND method = $3"
	 " AND expires_at > now() RETURNING email, name, next, coalesce(pre_hash, '')",
	 3},
	{"sso_seen_add",
	 "WITH old AS (DELETE FROM sso_seen WHERE expires_at < now() - interval '1 day')"
	 " INSERT INTO sso_seen (portal_id, kind, key, expires_at)"
	 " VALUES ($1, $2, $3, to_timestamp($4::double precision))"
	 " ON CONFLICT DO NOTHING RETURNING 1",
	 4},
	{"sso_contact",
	 "WITH found AS (SELECT id FROM contacts WHERE lower(email) = lower($1)),"
	 " made AS (INSERT INTO contacts (email, first_name, last_name)"
	 "   SELECT $1, $2, $3 WHERE $4::boolean AND NOT EXISTS (SELECT 1 FROM found)"
	 "   ON CONFLICT ((lower(email))) DO UPDATE SET email = contacts.email RETURNING id)"
	 " SELECT id FROM found UNION ALL SELECT id FROM made",
	 4},
	{"sso_allowed", "SELECT coalesce(portal_contact_allowed($1, $2), false)", 2},
	/* the member, verified by the sign-on: the rule of member_verify() (fcgi/member_token.c) */
	{"sso_member",
	 "INSERT INTO members (portal_id, contact_id, verified_at) VALUES ($1, $2, now())"
	 " ON CONFLICT (portal_id, contact_id) DO UPDATE SET"
	 " password_hash = CASE WHEN members.verified_at IS NULL THEN NULL ELSE members.password_hash END,"
	 " verified_at = coalesce(members.verified_at, now()) RETURNING id",
	 2},
	{NULL, NULL, 0},
};

/* One portal's SSO settings (portal_sso), read per sign-on: they are not on the hot path. */
struct sso_config {
	PGresult *r; /* owns the strings below */
	const char *idp_entity_id, *idp_sso_url, *idp_cert, *email_attribute;
	int allow_sha1;
	const char *jwt_alg, *jwt_secret, *jwt_public_key, *jwt_issuer, *jwt_audience;
};

/* 1 found, 0 none, -1 database error. */
static int config_load_sso(struct ctx *c, struct sso_config *s)
{
	memset(s, 0, sizeof *s);
	const char *p[1] = {arena_printf(c->arena, "%ld", c->portal->id)};
	s->r = db_exec("sso_config", 1, p);
	if (!s->r)
		return -1;
	if (PQntuples(s->r) != 1)
		return 0;
	s->idp_entity_id = PQgetvalue(s->r, 0, 0);
	s->idp_sso_url = PQgetvalue(s->r, 0, 1);
	s->idp_cert = PQgetvalue(s->r, 0, 2);
	s->email_attribute = PQgetvalue(s->r, 0, 3);
	s->allow_sha1 = PQgetvalue(s->r, 0, 4)[0] == 't';
	s->jwt_alg = PQgetvalue(s->r, 0, 5);
	s->jwt_secret = PQgetvalue(s->r, 0, 6);
	s->jwt_public_key = PQgetvalue(s->r, 0, 7);
	s->jwt_issuer = PQgetvalue(s->r, 0, 8);
	s->jwt_audience = PQgetvalue(s->r, 0, 9);
	return 1;
}

int sso_on(const struct portal *p)
{
	return strcmp(p->access_mode, "sso") == 0 && p->sso_method[0];
}

static int method_on(const struct portal *p, const char *method)
{
	return sso_on(p) && strcmp(p->sso_method, method) == 0;
}

/* The SP's own URLs are on the portal's primary domain, whichever domain the visitor used:
 * the identity provider knows one entity ID and one ACS URL. */
static const char *sp_base(struct ctx *c)
{
	return host_base_url(c, settings_primary_host(c->portal));
}

const char *sso_saml_entity_id(struct ctx *c)
{
	return arena_printf(c->arena, "%s/sso/saml/metadata", sp_base(c));
}

const char *sso_saml_acs_url(struct ctx *c)
{
	return arena_printf(c->arena, "%s/sso/saml/acs", sp_base(c));
}

static const char *tickets_path(struct ctx *c)
{
	return arena_printf(c->arena, "/%s", c->portal->ticket_slug);
}

/* Record a sign-on started in this browser (bound to its pre-session cookie): 1 recorded,
 * 0 this address has too many open (answer 429), -1 error. */
static int request_record(struct ctx *c, const char *id, const char *kind, const char *next)
{
	char pre[65];
	if (!pre_session(c, pre))
		return -1;
	const char *ip = c->req->remote_addr && c->req->remote_addr[0] ? c->req->remote_addr : NULL;
	const char *p[7] = {id, arena_printf(c->arena, "%ld", c->portal->id), next, ip,
			    arena_printf(c->arena, "%d", SSO_OPEN_PER_IP), kind, pre};
	PGresult *r = db_exec("sso_request_new", 7, p);
	if (!r)
		return -1;
	int made = PQntuples(r) == 1;
	PQclear(r);
	if (!made) {
		log_msg(LOG_WARN, "sso: too many open sign-ons from this address");
		response_header(c->res, "Retry-After", "600");
	}
	return made;
}

int sso_start(struct ctx *c, const char *next)
{
	if (!next)
		next = tickets_path(c);
	struct buf to = BUF_INIT;
	if (strcmp(c->portal->sso_method, "saml") == 0) {
		buf_puts(&to, "/sso/saml/login?next=");
		buf_urlenc(&to, next, strlen(next));
	} else {
		const char *login = c->portal->jwt_login_url;
		if (!login[0]) {
			log_msg(LOG_ERROR, "sso: JWT sign-on is on but portal %ld has no login URL", c->portal->id);
			return page_error(c, 503);
		}
		char id[64];
		if (token_new(id, sizeof id) < 0)
			return page_error(c, 500);
		int rec = request_record(c, id, "jwt", next);
		if (rec <= 0)
			return page_error(c, rec < 0 ? 503 : 429);
		const char *back = arena_printf(c->arena, "%s%s", portal_base_url(c), next);
		buf_puts(&to, login);
		buf_puts(&to, strchr(login, '?') ? "&redirect_url=" : "?redirect_url=");
		buf_urlenc(&to, back, strlen(back));
	}
	int status = to.oom ? page_error(c, 500) : page_redirect(c, 303, to.data);
	buf_free(&to);
	return status;
}

/* A refused sign-on: the exact reason to the log and the audit trail. Nothing of the attempt is
 * kept (the transaction, if any, is rolled back). */
static void log_refusal(struct ctx *c, const char *method, const char *reason)
{
	db_rollback();
	log_msg(LOG_WARN, "sso refused (%s): %s", method, reason); /* log.c escapes control bytes */
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "method", json_object_new_string(method));
	json_object_object_add(d, "reason", json_object_new_string(reason));
	audit(c, "anonymous", 0, "sso_refused", json_object_to_json_string(d));
	json_object_put(d);
}

/* ... and a plain page for the visitor, which never repeats the reason. */
static int refuse(struct ctx *c, const char *method, const char *reason, int status)
{
	log_refusal(c, method, reason);
	struct json_object *page = page_new(c, "sso_failed_title");
	json_object_object_add(page, "unavailable", json_object_new_boolean(status >= 500));
	return page_render(c, status, "portal/sso_failed", page);
}

/* A verified identity this portal does not let in (SSO users on lists). */
static int deny(struct ctx *c, const char *method, const char *email)
{
	log_refusal(c, method, arena_printf(c->arena, "%s is not on the portal's lists", email));
	return access_denied_page(c);
}

/* "Ada Lovelace" into first and last name (last = everything after the first space). */
static void split_name(struct ctx *c, const char *name, const char **first, const char **last)
{
	const char *sp = strchr(name, ' ');
	*first = sp ? arena_printf(c->arena, "%.*s", (int)(sp - name), name) : name;
	*last = sp ? sp + 1 : "";
}

/*
 * The verified email signs in: inside the open transaction, find the contact (or create it when
 * the audience is everyone), check the portal lets them in, make sure they are a member, commit;
 * then the member's session, cookie and 303 to next (member_login).
 */
static int finish_login(struct ctx *c, const char *method, const char *email, const char *name,
			const char *next)
{
	const char *pid = arena_printf(c->arena, "%ld", c->portal->id);
	const char *first, *last;
	split_name(c, name, &first, &last);
	int create = strcmp(c->portal->sso_audience, "all") == 0;
	const char *pc[4] = {email, first, last, create ? "true" : "false"};
	PGresult *r = db_exec("sso_contact", 4, pc);
	if (!r)
		return refuse(c, method, "database error finding the contact", 503);
	if (PQntuples(r) != 1) {
		PQclear(r);
		return create ? refuse(c, method, "contact could not be created", 503) : deny(c, method, email);
	}
	const char *contact = arena_printf(c->arena, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *pa[2] = {pid, contact};
	char allowed[8];
	if (db_exec_value("sso_allowed", 2, pa, allowed, sizeof allowed) < 0)
		return refuse(c, method, "database error checking access", 503);
	if (allowed[0] != 't')
		return deny(c, method, email);
	char member[24];
	if (db_exec_value("sso_member", 2, pa, member, sizeof member) < 0)
		return refuse(c, method, "database error creating the member", 503);
	if (db_commit() < 0)
		return refuse(c, method, "database error", 503);
	return member_login(c, atol(member), method, next && next[0] ? next : NULL);
}

/* Record a used identity (assertion ID, jti); 1 new, 0 already used, -1 database error. */
static int seen_add(struct ctx *c, const char *kind, const char *key, long until)
{
	const char *p[4] = {arena_printf(c->arena, "%ld", c->portal->id), kind, key,
			    arena_printf(c->arena, "%ld", until)};
	PGresult *r = db_exec("sso_seen_add", 4, p);
	if (!r)
		return -1;
	int fresh = PQntuples(r) == 1;
	PQclear(r);
	return fresh;
}

/* ---- SAML ---- */

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
	if (!method_on(c->portal, "saml"))
		return 404;
	if (c->sess.found)
		return page_redirect(c, 303, tickets_path(c));
	struct sso_config s;
	int found = config_load_sso(c, &s);
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
		next = tickets_path(c);
	char id[64];
	/* RelayState carries where to return, for the IdP's logs; the ACS trusts only the copy
	 * stored with the request ID */
	char *url = saml_authn_redirect(s.idp_sso_url, sso_saml_entity_id(c), sso_saml_acs_url(c),
					strlen(next) <= 80 ? next : "", /* the binding's limit */
					(long)time(NULL), id, sizeof id);
	PQclear(s.r);
	if (!url)
		return 500;
	int rec = request_record(c, id, "saml", next);
	if (rec <= 0) {
		free(url);
		return rec < 0 ? 503 : 429;
	}
	page_redirect(c, 303, url);
	free(url);
	return 303;
}

/* Keep a verified identity for the browser that started the sign-on (pre_hash) under a fresh
 * one-time handle, inside the open transaction; the handle goes to handle_out. 0 or -1. */
static int handoff_add(struct ctx *c, const char *method, const char *email, const char *name,
		       const char *next, const char *pre_hash, int seconds, char *handle_out, size_t cap)
{
	char hash[65];
	if (token_new(handle_out, cap) < 0)
		return -1;
	token_sha256_hex(handle_out, hash);
	const char *p[8] = {hash, arena_printf(c->arena, "%ld", c->portal->id), method, email, name,
			    next ? next : "", pre_hash && pre_hash[0] ? pre_hash : NULL,
			    arena_printf(c->arena, "%d", seconds)};
	PGresult *r = db_exec("sso_handoff_add", 8, p);
	PQclear(r);
	return r ? 0 : -1;
}

/* Take a handoff (committed at once: a refused one is spent too). 1 found with the fields
 * filled (arena copies), 0 unknown, used or expired, -1 database error. */
struct handoff {
	const char *email, *name, *next, *pre_hash;
};

static int handoff_take(struct ctx *c, const char *method, const char *handle, struct handoff *h)
{
	char hash[65];
	if (!handle || !token_well_formed(handle))
		return 0;
	token_sha256_hex(handle, hash);
	const char *p[3] = {hash, arena_printf(c->arena, "%ld", c->portal->id), method};
	PGresult *r = db_exec("sso_handoff_take", 3, p);
	if (!r)
		return -1;
	int found = PQntuples(r) == 1;
	if (found) {
		h->email = arena_printf(c->arena, "%s", PQgetvalue(r, 0, 0));
		h->name = arena_printf(c->arena, "%s", PQgetvalue(r, 0, 1));
		h->next = arena_printf(c->arena, "%s", PQgetvalue(r, 0, 2));
		h->pre_hash = arena_printf(c->arena, "%s", PQgetvalue(r, 0, 3));
	}
	PQclear(r);
	return found;
}

/* 1 when this request carries the pre-session cookie whose hash is want. */
static int same_browser(struct ctx *c, const char *want)
{
	char sent[65];
	return want && strlen(want) == 64 && pre_session_sent(c, sent) && CRYPTO_memcmp(sent, want, 64) == 0;
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
	if (!method_on(c->portal, "saml"))
		return 404;
	const char *b64 = request_form(c->req, "SAMLResponse");
	if (!b64 || !b64[0])
		return refuse(c, "saml", "no SAMLResponse in the request", 400);
	size_t len = 0;
	char *xml = saml_decode_post(b64, &len);
	if (!xml)
		return refuse(c, "saml", "SAMLResponse is not base64 or too large", 400);
	struct sso_config s;
	int found = config_load_sso(c, &s);
	if (found <= 0) {
		PQclear(s.r);
		free(xml);
		return refuse(c, "saml", found < 0 ? "database error" : "SAML is not configured", 503);
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
		return refuse(c, "saml", reason[0] ? reason : "response refused", 403);
	/* spent at once, committed on its own: whatever is refused after this, it stays used */
	int fresh = seen_add(c, "saml", id.assertion_id, id.expires);
	if (fresh <= 0)
		return refuse(c, "saml", fresh < 0 ? "database error" : "assertion already used (replay)",
			      fresh < 0 ? 503 : 403);
	if (!id.in_response_to[0])
		return refuse(c, "saml", "no InResponseTo: only answers to our own requests are accepted", 403);
	if (db_begin() < 0)
		return 503;
	const char *pt[2] = {id.in_response_to, arena_printf(c->arena, "%ld", c->portal->id)};
	PGresult *r = db_exec("sso_request_take", 2, pt);
	if (!r)
		return refuse(c, "saml", "database error", 503);
	if (PQntuples(r) != 1) {
		PQclear(r);
		return refuse(c, "saml", "InResponseTo matches no request sent in the last 10 minutes", 403);
	}
	const char *next = safe_next(arena_printf(c->arena, "%s", PQgetvalue(r, 0, 0)));
	const char *pre_hash = arena_printf(c->arena, "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	char handle[64];
	if (handoff_add(c, "saml", id.email, id.name, next, pre_hash, 120, handle, sizeof handle) < 0 ||
	    db_commit() < 0)
		return refuse(c, "saml", "database error", 503);
	return page_redirect(c, 303, arena_printf(c->arena, "/sso/saml/finish?h=%s", handle));
}

/* The second step of a sign-on: take the handoff (spent whatever follows), check it is this
 * browser's, and sign in. unknown and elsewhere are the refusal reasons of the method. */
static int handoff_finish(struct ctx *c, const char *method, const char *handle, const char *unknown,
			  const char *elsewhere)
{
	if (!method_on(c->portal, method))
		return 404;
	struct handoff h;
	int got = handoff_take(c, method, handle, &h);
	if (got <= 0)
		return refuse(c, method, got < 0 ? "database error" : unknown, got < 0 ? 503 : 403);
	if (!same_browser(c, h.pre_hash))
		return refuse(c, method, elsewhere, 403);
	if (db_begin() < 0)
		return 503;
	return finish_login(c, method, h.email, h.name, safe_next(h.next));
}

int sso_saml_finish(struct ctx *c)
{
	return handoff_finish(c, "saml", request_query(c->req, "h"), "sign-on handle unknown, used or expired",
			      "response arrived in a browser that did not start the sign-on");
}

/* ---- JWT ---- */

/* Where a JWT sign-on may return: a path, or an absolute http(s) URL on one of this portal's
 * own host names (with any port); anything else is NULL (the ticket list). */
static const char *jwt_return_path(struct ctx *c, const char *url)
{
	if (!url || !url[0])
		return NULL;
	if (url[0] == '/')
		return safe_next(url);
	const char *rest = strncmp(url, "https://", 8) == 0 ? url + 8
			   : strncmp(url, "http://", 7) == 0 ? url + 7
							     : NULL;
	if (!rest)
		return NULL;
	size_t hl = strcspn(rest, ":/?#");
	if (hl == 0 || hl > 253)
		return NULL;
	const char *after = rest + hl;
	if (*after == ':') {
		after++;
		size_t dl = strspn(after, "0123456789");
		if (dl == 0 || dl > 5)
			return NULL;
		after += dl;
	}
	char host[256];
	snprintf(host, sizeof host, "%.*s", (int)hl, rest);
	for (char *h = host; *h; h++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-", *h))
			return NULL;
	if (!settings_host_matches(c->portal, host))
		return NULL;
	if (*after == '\0')
		return NULL;
	return safe_next(after);
}

/* "Continue as <email>": a token that arrived in a browser that did not start a sign-on. */
static int render_confirm(struct ctx *c, const char *email, const char *handle)
{
	struct json_object *page = page_new(c, "sso_confirm_title");
	json_object_object_add(page, "email", json_object_new_string(email));
	json_object_object_add(page, "handle", json_object_new_string(handle));
	return page_render(c, 200, "portal/sso_confirm", page);
}

/*
 * A token from the customer's app. Verified with the settings' algorithm and key, its jti spent
 * at once (a replay is reported before anything else), then: when this browser started a
 * JWT sign-on (the portal's own redirect to the app, bound to its pre-session cookie), the
 * person is signed in; otherwise (the app sent them here on its own, or a link was planted) the
 * identity waits ten minutes under a handle and the person confirms it by POST.
 */
int sso_jwt(struct ctx *c)
{
	if (!method_on(c->portal, "jwt"))
		return 404;
	int post = c->req->method == HTTP_POST;
	const char *token = post ? request_form(c->req, "jwt") : request_query(c->req, "jwt");
	const char *back = post ? request_form(c->req, "redirect_url") : request_query(c->req, "redirect_url");
	if (!token || !token[0])
		return refuse(c, "jwt", "no jwt in the request", 400);
	struct sso_config s;
	int found = config_load_sso(c, &s);
	if (found <= 0) {
		PQclear(s.r);
		return refuse(c, "jwt", found < 0 ? "database error" : "JWT sign-on is not configured", 503);
	}
	int rs = strcmp(s.jwt_alg, "RS256") == 0;
	const char *key = rs ? s.jwt_public_key : s.jwt_secret;
	struct jwt_config jc = {
		.alg = rs ? JWT_RS256 : JWT_HS256,
		.key = key,
		.key_len = strlen(key),
		.issuer = s.jwt_issuer,
		.audience = s.jwt_audience,
		.now = (long)time(NULL),
		.skew = JWT_SKEW_SECONDS,
	};
	struct jwt_claims cl;
	char reason[256] = "";
	int ok = key[0] ? jwt_verify(token, strlen(token), &jc, &cl, reason, sizeof reason) : -1;
	PQclear(s.r);
	if (!key[0])
		return refuse(c, "jwt", rs ? "no public key configured" : "no secret configured", 503);
	if (ok < 0)
		return refuse(c, "jwt", reason[0] ? reason : "token refused", 403);
	/* spent at once, committed on its own: whatever is refused after this, it stays used */
	int fresh = seen_add(c, "jwt", cl.replay_key, cl.exp + JWT_SKEW_SECONDS);
	if (fresh <= 0)
		return refuse(c, "jwt", fresh < 0 ? "database error" : "token already used (jti)",
			      fresh < 0 ? 503 : 403);
	if (db_begin() < 0)
		return 503;
	const char *next = jwt_return_path(c, back);
	char sent[65];
	if (pre_session_sent(c, sent)) {
		const char *ps[2] = {arena_printf(c->arena, "%ld", c->portal->id), sent};
		PGresult *r = db_exec("sso_jwt_started", 2, ps);
		if (!r)
			return refuse(c, "jwt", "database error", 503);
		int started = PQntuples(r) == 1;
		if (started && !next)
			next = safe_next(arena_printf(c->arena, "%s", PQgetvalue(r, 0, 0)));
		PQclear(r);
		if (started)
			return finish_login(c, "jwt", cl.email, cl.name, next);
	}
	char pre[65], handle[64];
	if (!pre_session(c, pre) ||
	    handoff_add(c, "jwt", cl.email, cl.name, next, pre, 600, handle, sizeof handle) < 0 ||
	    db_commit() < 0)
		return refuse(c, "jwt", "database error", 503);
	audit(c, "anonymous", 0, "sso_confirm_asked", arena_printf(c->arena, "{\"method\": \"jwt\"}"));
	return render_confirm(c, cl.email, handle);
}

int sso_jwt_confirm(struct ctx *c)
{
	return handoff_finish(c, "jwt", request_form(c->req, "handle"), "confirmation unknown, used or expired",
			      "confirmed in a browser that did not receive the token");
}
