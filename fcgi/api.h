/* api.h - the JSON API under /api/v1 for the team's own systems: the kit every resource uses
 * (fcgi/api.c), its URL map (fcgi/api_routes.c), one file per resource (api_<resource>.c), tokens
 * (fcgi/api_token.c), the OpenAPI document (templates/api/, assembled at start-up).
 *
 * A request's way: main.c hands every path under /api/ to api_dispatch(). The API never reads a
 * cookie and the pages never read a token. The kit finds the route, authenticates the bearer
 * token (one UPDATE: the token, its scopes and inbox limit, its use stamped, its rate window
 * counted), refuses a missing scope (403) or a spent rate (429), and for every write (POST, PATCH,
 * DELETE) opens the transaction the handler writes in: the handler never begins or commits; the
 * kit commits when the handler answered below 400 (and stores the answer for an Idempotency-Key)
 * and rolls back otherwise. Handlers answer with api_json*() or api_problem*().
 */
#ifndef PORTAL_API_H
#define PORTAL_API_H

#include "app.h"

/* Scopes a token holds (api_tokens.scopes). */
#define API_TICKETS_READ 0x1
#define API_TICKETS_WRITE 0x2
#define API_CONTACTS_READ 0x4
#define API_CONTACTS_WRITE 0x8
#define API_WEBHOOKS_WRITE 0x10
/* The scopes' names in bit order, for the console's form and the CLI ("tickets:read", ...). */
extern const char *const api_scope_names[5];
/* The bit of a scope's name, 0 when unknown. */
unsigned api_scope_bit(const char *name);

/* The token of the request (c->api; NULL on the public routes). */
struct api_token {
	long id;
	char name[401]; /* up to 100 characters of UTF-8 */
	unsigned scopes;
	/* limited to some inboxes: their ids as a PostgreSQL array literal ("{}": none), for
	 * staff_ticket_ok() and "inbox_id = ANY ($n)"; see api_inboxes() */
	int limited;
	char inboxes[1024];
	long rate_limit, rate_remaining, rate_reset;
};
/* NULL (every inbox) or the token's inbox limit as an array literal: a statement's parameter. */
const char *api_inboxes(const struct ctx *c);

/* A route of the API: pattern under /api/v1 (lib/route.h: "/tickets/<id>"); method HTTP_GET
 * (also HEAD), HTTP_POST, HTTP_PATCH or HTTP_DELETE; the scope it needs (0 with API_PUBLIC). */
struct api_route {
	enum http_method method;
	const char *pattern;
	handler_fn handler;
	unsigned scope;
	unsigned flags;
};
#define API_PUBLIC 0x1 /* no token: the OpenAPI document */
extern const struct api_route api_routes[]; /* ends with {0} (fcgi/api_routes.c) */

/* Everything under /api/ (main.c). Returns the status. */
int api_dispatch(struct ctx *c);

/* ---- Answers (each returns the status) ---- */
/* body (consumed) as application/json. */
int api_json(struct ctx *c, int status, struct json_object *body);
/* A JSON text already made (by SQL: api_ticket_json(), ...), as application/json. */
int api_json_text(struct ctx *c, int status, const char *json);
/* 201 with Location (a path under /api/v1, e.g. "/tickets/12") and the JSON text. */
int api_created(struct ctx *c, const char *location, const char *json);
/*
 * RFC 9457 application/problem+json: {type: "urn:portal:problem:<slug>", title (the slug's
 * fixed sentence), status, detail (may be NULL), instance (the request's ID)}. slug NULL: type
 * "about:blank" with the status's reason phrase as title. Slugs: "invalid-token",
 * "insufficient-scope", "rate-limited", "not-found", "method-not-allowed", "bad-request",
 * "unsupported-media-type", "validation", "conflict", "idempotency-key-reused", "unavailable",
 * "payload-too-large".
 */
int api_problem(struct ctx *c, int status, const char *slug, const char *detail);
/* 422 "validation" with errors: [{field, message}] (errs consumed; see api_error). */
int api_invalid(struct ctx *c, struct json_object *errs);
/* Append {field, message} to *errs (made on first use). */
void api_error(struct json_object **errs, const char *field, const char *message);
/* The answer being made holds a secret shown once (a webhook's signing secret): for an
 * Idempotency-Key replay the kit keeps it only sealed (lib/secretbox, bound to the token and the
 * key); one too long to seal is not kept, and its replay is a 409. */
void api_answer_secret(struct ctx *c);
/* A database failure: 503 "unavailable" (logged by db.c). */
int api_db_error(struct ctx *c);

/* ---- Input ---- */
/* The request's body as a JSON object (Content-Type application/json). 0 and *out (owned by the
 * kit, freed after the handler), or the status of the problem already answered (415, 400). */
int api_body(struct ctx *c, struct json_object **out);
/*
 * Members of a JSON body, checked; each returns 1 present and valid, 0 absent (or JSON null when
 * nullable), -1 invalid (the error added to *errs under key). A string is trimmed of nothing,
 * must be valid UTF-8 (json-c checked it), at most max bytes and free of control characters
 * other than \t \r \n (multiline) or any (single line); an id is a positive integer; a bool is
 * true or false. Strings point into o (alive as long as o).
 */
int api_str(struct json_object *o, const char *key, size_t max, int multiline, const char **out,
	    struct json_object **errs);
int api_id(struct json_object *o, const char *key, long *out, struct json_object **errs);
int api_bool(struct json_object *o, const char *key, int *out, struct json_object **errs);
/* Members other than the allowed (NULL-ended) each add "unknown field": 0 when none. */
int api_unknown(struct json_object *o, const char *const *allowed, struct json_object **errs);

/* ---- Lists: keyset pages ---- */
/* ?limit (1-100, default 25) and ?cursor (opaque: the last id of the previous page, as api_list
 * wrote it). Every list pages by an id that never changes, so pages neither skip nor repeat. */
struct api_page {
	int limit;
	char limit_s[16];  /* limit + 1, for the statement: one row more says there is a next page */
	const char *after; /* the cursor's id (NULL: the first page) */
};
/* 0, or the status of the 400 answered for a bad limit or a cursor the API did not give. */
int api_page(struct ctx *c, struct api_page *pg);
/*
 * Answer a page: r's rows in order, each with the columns "json" (an object's JSON text) and
 * "cursor" (its id); at most pg->limit rows go out, and when r holds more, next_cursor names the
 * last one sent: {"data": [...], "next_cursor": "..." | null}. PQclear(r) is the caller's.
 */
int api_list(struct ctx *c, const struct api_page *pg, PGresult *r);

/* ---- Audit ---- */
/* One audit_log row by the token (actor api_token), detail {..., "token": name} (detail
 * consumed; may be NULL), in the request's transaction. 0 or -1. */
int api_audit(struct ctx *c, const char *action, struct json_object *detail);

/* ---- Tokens (fcgi/api_token.c) ---- */
/*
 * Create a token: name, scopes (bits), inboxes (NULL: every inbox; else an array literal of
 * inbox ids), rate_limit (requests a minute, 0: the default 600), created_by (staff id, 0: none,
 * as from the command line). The token ("ptk_" and 43 base64url characters) is written to
 * token_out (48+ bytes) and is never stored: only its SHA-256. Runs in the caller's transaction
 * if one is open. The new id, or -1.
 */
long api_token_create(const char *name, unsigned scopes, const char *inboxes, int rate_limit,
		      long created_by, char *token_out, size_t cap);
#define API_TOKEN_PREFIX "ptk_"
#define API_TOKEN_LEN 47 /* "ptk_" and 43 */
/* `portal api-token-create NAME SCOPE...`: prints the token once (fcgi/api_token.c). */
int api_token_create_main(int argc, char **argv);
int api_token_self(struct ctx *c); /* GET /api/v1/token */

/* ---- The OpenAPI document (fcgi/api.c) ---- */
/* Assemble templates/api/openapi.json with every templates/api/openapi/<part>.json (their paths,
 * webhooks and components merged in, in name order) at start-up. 0 or -1 (logged). */
int api_openapi_load(const char *templates_dir);
int api_openapi(struct ctx *c); /* GET /api/v1/openapi.json */

#endif
