/* sso_jwt.c - /sso/jwt and /sso/jwt/confirm: sign-on by a JWT from the team's own login page
 * (lib/jwt.c verifies). */
#include "sso.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jwt.h"
#include "log.h"
#include "saml.h"
#include "token.h"

const struct db_stmt sso_jwt_stmts[] = {
	/* the newest JWT sign-on this browser started (the portal's own redirect to the app) */
	{"sso_jwt_started",
	 "DELETE FROM sso_requests WHERE id = (SELECT id FROM sso_requests WHERE portal_id = $1"
	 "   AND kind = 'jwt' AND pre_hash = $2 AND expires_at > now() ORDER BY expires_at DESC LIMIT 1)"
	 " RETURNING relay_state",
	 2},
	{NULL},
};


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
	if (!sso_method_on(c->portal, "jwt"))
		return 404;
	int post = c->req->method == HTTP_POST;
	const char *token = post ? request_form(c->req, "jwt") : request_query(c->req, "jwt");
	const char *back = post ? request_form(c->req, "redirect_url") : request_query(c->req, "redirect_url");
	if (!token || !token[0])
		return sso_refuse(c, "jwt", "no jwt in the request", 400);
	struct sso_config s;
	int found = sso_config_load(c, &s);
	if (found <= 0) {
		PQclear(s.r);
		return sso_refuse(c, "jwt", found < 0 ? "database error" : "JWT sign-on is not configured", 503);
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
		return sso_refuse(c, "jwt", rs ? "no public key configured" : "no secret configured", 503);
	if (ok < 0)
		return sso_refuse(c, "jwt", reason[0] ? reason : "token refused", 403);
	/* spent at once, committed on its own: whatever is refused after this, it stays used */
	int fresh = sso_seen_add(c, "jwt", cl.replay_key, cl.exp + JWT_SKEW_SECONDS);
	if (fresh <= 0)
		return sso_refuse(c, "jwt", fresh < 0 ? "database error" : "token already used (jti)",
			      fresh < 0 ? 503 : 403);
	if (db_begin() < 0)
		return 503;
	const char *next = jwt_return_path(c, back);
	char sent[65];
	if (pre_session_sent(c, sent)) {
		const char *ps[2] = {arena_printf(c->arena, "%ld", c->portal->id), sent};
		PGresult *r = db_exec("sso_jwt_started", 2, ps);
		if (!r)
			return sso_refuse(c, "jwt", "database error", 503);
		int started = PQntuples(r) == 1;
		if (started && !next)
			next = safe_next(arena_printf(c->arena, "%s", PQgetvalue(r, 0, 0)));
		PQclear(r);
		if (started)
			return sso_finish_login(c, "jwt", cl.email, cl.name, next);
	}
	char pre[65], handle[64];
	if (!pre_session(c, pre) ||
	    sso_handoff_add(c, "jwt", cl.email, cl.name, next, pre, 600, handle, sizeof handle) < 0 ||
	    db_commit() < 0)
		return sso_refuse(c, "jwt", "database error", 503);
	audit(c, "anonymous", 0, "sso_confirm_asked", arena_printf(c->arena, "{\"method\": \"jwt\"}"));
	return render_confirm(c, cl.email, handle);
}

int sso_jwt_confirm(struct ctx *c)
{
	return sso_handoff_finish(c, "jwt", request_form(c->req, "handle"), "confirmation unknown, used or expired",
			      "confirmed in a browser that did not receive the token");
}
