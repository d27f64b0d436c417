/* sso.h - what the sign-on files share (sso.c: settings, requests, refusals, the member behind a
 * verified email, the handoff to the browser that started; sso_saml.c and sso_jwt.c: the two
 * methods). */
#ifndef PORTAL_SSO_H
#define PORTAL_SSO_H

#include "app.h"

/* One portal's SSO settings (portal_sso), read per sign-on: they are not on the hot path. */
struct sso_config {
	PGresult *r; /* owns the strings below */
	const char *idp_entity_id, *idp_sso_url, *idp_cert, *email_attribute;
	int allow_sha1;
	const char *jwt_alg, *jwt_secret, *jwt_public_key, *jwt_issuer, *jwt_audience;
};

/* 1 found, 0 none, -1 database error. */
int sso_config_load(struct ctx *c, struct sso_config *s);
int sso_method_on(const struct portal *p, const char *method);
const char *sso_tickets_path(struct ctx *c);
/* Record a sign-on started in this browser (bound to its pre-session cookie): 1 recorded,
 * 0 this address has too many open (answer 429), -1 error. */
int sso_request_record(struct ctx *c, const char *id, const char *kind, const char *next);
/* A refusal: a log line, an audit row sso_refused {method, reason}, and a plain page for the
 * visitor, which never repeats the reason. */
int sso_refuse(struct ctx *c, const char *method, const char *reason, int status);
/*
 * The verified email signs in: inside the open transaction, find the contact (or create it when
 * the audience is everyone), check the portal lets them in, make sure they are a member, commit;
 * then the member's session, cookie and 303 to next (member_login).
 */
int sso_finish_login(struct ctx *c, const char *method, const char *email, const char *name,
		     const char *next);
/* Record a used identity (assertion ID, jti); 1 new, 0 already used, -1 database error. */
int sso_seen_add(struct ctx *c, const char *kind, const char *key, long until);
/* Keep a verified identity for the browser that started the sign-on (pre_hash) under a fresh
 * one-time handle, inside the open transaction; the handle goes to handle_out. 0 or -1. */
int sso_handoff_add(struct ctx *c, const char *method, const char *email, const char *name,
		    const char *next, const char *pre_hash, int seconds, char *handle_out, size_t cap);
/* The second step of a sign-on: take the handoff (spent whatever follows), check it is this
 * browser's, and sign in. unknown and elsewhere are the refusal reasons of the method. */
int sso_handoff_finish(struct ctx *c, const char *method, const char *handle, const char *unknown,
		       const char *elsewhere);

#endif
