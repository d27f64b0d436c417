/* sso.c - customer single sign-on, what both methods share (the methods: sso_saml.c for
 * /sso/saml/..., sso_jwt.c for /sso/jwt...). The verification rules live in lib/saml.c and
 * lib/jwt.c; this file holds what a portal adds: its settings, the requests it sent
 * (InResponseTo), the identities already used (replay), the contact and member behind a
 * verified email, the handoff to the browser that started, and the session. */
#include "sso.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "jwt.h"
#include "log.h"
#include "metrics_notes.h"
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
	{NULL, NULL, 0},
};


/* 1 found, 0 none, -1 database error. */
int sso_config_load(struct ctx *c, struct sso_config *s)
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

int sso_method_on(const struct portal *p, const char *method)
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

const char *sso_tickets_path(struct ctx *c)
{
	return arena_printf(c->arena, "/%s", c->portal->ticket_slug);
}

/* Record a sign-on started in this browser (bound to its pre-session cookie): 1 recorded,
 * 0 this address has too many open (answer 429), -1 error. */
int sso_request_record(struct ctx *c, const char *id, const char *kind, const char *next)
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
		next = sso_tickets_path(c);
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
		int rec = sso_request_record(c, id, "jwt", next);
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
	metrics_note_sso(method, reason);
	json_object_put(d);
}

/* ... and a plain page for the visitor, which never repeats the reason. */
int sso_refuse(struct ctx *c, const char *method, const char *reason, int status)
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
int sso_finish_login(struct ctx *c, const char *method, const char *email, const char *name,
			const char *next)
{
	const char *pid = arena_printf(c->arena, "%ld", c->portal->id);
	const char *first, *last;
	split_name(c, name, &first, &last);
	int create = strcmp(c->portal->sso_audience, "all") == 0;
	const char *pc[4] = {email, first, last, create ? "true" : "false"};
	PGresult *r = db_exec("sso_contact", 4, pc);
	if (!r)
		return sso_refuse(c, method, "database error finding the contact", 503);
	if (PQntuples(r) != 1) {
		PQclear(r);
		return create ? sso_refuse(c, method, "contact could not be created", 503) : deny(c, method, email);
	}
	const char *contact = arena_printf(c->arena, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *pa[2] = {pid, contact};
	char allowed[8];
	if (db_exec_value("sso_allowed", 2, pa, allowed, sizeof allowed) < 0)
		return sso_refuse(c, method, "database error checking access", 503);
	if (allowed[0] != 't')
		return deny(c, method, email);
	long member = member_verified(c->portal->id, atol(contact)); /* the sign-on proved the mailbox */
	if (member < 0)
		return sso_refuse(c, method, "database error creating the member", 503);
	if (db_commit() < 0)
		return sso_refuse(c, method, "database error", 503);
	return member_login(c, member, method, next && next[0] ? next : NULL);
}

/* Record a used identity (assertion ID, jti); 1 new, 0 already used, -1 database error. */
int sso_seen_add(struct ctx *c, const char *kind, const char *key, long until)
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

/* Keep a verified identity for the browser that started the sign-on (pre_hash) under a fresh
 * one-time handle, inside the open transaction; the handle goes to handle_out. 0 or -1. */
int sso_handoff_add(struct ctx *c, const char *method, const char *email, const char *name,
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
/* The second step of a sign-on: take the handoff (spent whatever follows), check it is this
 * browser's, and sign in. unknown and elsewhere are the refusal reasons of the method. */
int sso_handoff_finish(struct ctx *c, const char *method, const char *handle, const char *unknown,
			  const char *elsewhere)
{
	if (!sso_method_on(c->portal, method))
		return 404;
	struct handoff h;
	int got = handoff_take(c, method, handle, &h);
	if (got <= 0)
		return sso_refuse(c, method, got < 0 ? "database error" : unknown, got < 0 ? 503 : 403);
	if (!same_browser(c, h.pre_hash))
		return sso_refuse(c, method, elsewhere, 403);
	if (db_begin() < 0)
		return 503;
	return sso_finish_login(c, method, h.email, h.name, safe_next(h.next));
}
