/* api.c - /api/...: the JSON API's kit: dispatch, bearer tokens and scopes, rate limits, the write
 * transaction with Idempotency-Key, RFC 9457 problems, JSON input, keyset pages, audit, and the
 * OpenAPI document (see api.h). */
#include "api.h"

#include <dirent.h>
#include <math.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "log.h"
#include "secretbox.h"
#include "token.h"

const struct db_stmt api_stmts[] = {
	/* One statement authenticates, stamps the use and counts the minute's requests. In SET every
	 * expression sees the row as it was, so the count restarts when the minute changed. */
	{"api_token_auth",
	 "UPDATE api_tokens SET last_used_at = now(),"
	 " rate_count = CASE WHEN rate_window = date_trunc('minute', now()) THEN rate_count + 1 ELSE 1 END,"
	 " rate_window = date_trunc('minute', now())"
	 " WHERE token_sha256 = $1 AND revoked_at IS NULL"
	 " RETURNING id, name, array_to_string(scopes, ' ') AS scopes, inbox_ids IS NOT NULL AS limited,"
	 " inbox_ids::text AS inboxes, rate_limit, rate_count,"
	 " GREATEST(1, ceil(EXTRACT(EPOCH FROM rate_window + interval '1 minute' - now())))::int AS reset",
	 1},
	/* The key is ours when it is new or its answer is older than 24 hours; a twin's INSERT waits
	 * here until the first request's transaction ends. A few expired keys go each time. */
	{"api_idem_claim",
	 "WITH gone AS (DELETE FROM api_idempotency WHERE ctid IN (SELECT ctid FROM api_idempotency"
	 "  WHERE created_at < now() - interval '24 hours' AND NOT (token_id = $1 AND key = $2) LIMIT 20"
	 "  FOR UPDATE SKIP LOCKED))"
	 " INSERT INTO api_idempotency (token_id, key, request_sha256) VALUES ($1, $2, $3)"
	 " ON CONFLICT (token_id, key) DO UPDATE SET request_sha256 = EXCLUDED.request_sha256, status = NULL,"
	 "  location = NULL, body = NULL, created_at = now()"
	 "  WHERE api_idempotency.created_at < now() - interval '24 hours'"
	 " RETURNING 1",
	 3},
	{"api_idem_get",
	 "SELECT request_sha256, status, location, body FROM api_idempotency WHERE token_id = $1 AND key = $2",
	 2},
	{"api_idem_save",
	 "UPDATE api_idempotency SET status = $3, location = $4, body = $5 WHERE token_id = $1 AND key = $2",
	 5},
	{NULL, NULL, 0},
};

const char *const api_scope_names[5] = {"tickets:read", "tickets:write", "contacts:read", "contacts:write",
					 "webhooks:write"};

unsigned api_scope_bit(const char *name)
{
	for (unsigned i = 0; name && i < 5; i++)
		if (strcmp(name, api_scope_names[i]) == 0)
			return 1u << i;
	return 0;
}

const char *api_inboxes(const struct ctx *c)
{
	return c->api && c->api->limited ? c->api->inboxes : NULL;
}

/* ---- Answers ---- */

static void api_headers(struct ctx *c, const char *type)
{
	response_header(c->res, "Content-Type", type);
	response_header(c->res, "X-Content-Type-Options", "nosniff");
	response_header(c->res, "Cache-Control", "no-store");
	response_header(c->res, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
	if (c->api) {
		char v[24];
		snprintf(v, sizeof v, "%ld", c->api->rate_limit);
		response_header(c->res, "RateLimit-Limit", v);
		snprintf(v, sizeof v, "%ld", c->api->rate_remaining);
		response_header(c->res, "RateLimit-Remaining", v);
		snprintf(v, sizeof v, "%ld", c->api->rate_reset);
		response_header(c->res, "RateLimit-Reset", v);
	}
}

int api_json_text(struct ctx *c, int status, const char *json)
{
	c->res->status = status;
	api_headers(c, "application/json");
	buf_puts(&c->res->body, json);
	return status;
}

int api_json(struct ctx *c, int status, struct json_object *body)
{
	api_json_text(c, status, json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
	json_object_put(body);
	return status;
}

static const char *answer_location; /* this request's Location (api_created), for a kept answer */

int api_created(struct ctx *c, const char *location, const char *json)
{
	answer_location = arena_printf(c->arena, "/api/v1%s", location);
	response_header(c->res, "Location", answer_location);
	return api_json_text(c, 201, json);
}

static const struct {
	const char *slug, *title;
} problems[] = {
	{"invalid-token", "The bearer token is missing, malformed, unknown or revoked."},
	{"insufficient-scope", "The token lacks the scope this operation needs."},
	{"rate-limited", "Too many requests for this token; wait for the window to reset."},
	{"not-found", "No such resource, or not one this token may see."},
	{"method-not-allowed", "The resource does not answer this method."},
	{"bad-request", "The request could not be read."},
	{"unsupported-media-type", "The body must be application/json."},
	{"validation", "Some fields are not valid."},
	{"conflict", "The request conflicts with the resource's current state."},
	{"idempotency-key-reused", "This Idempotency-Key was used with a different request."},
	{"unavailable", "The service could not complete the request; try again."},
	{"payload-too-large", "The request body is over the limit."},
};

static struct json_object *problem_new(struct ctx *c, int status, const char *slug, const char *detail)
{
	struct json_object *p = json_object_new_object();
	const char *title = NULL;
	for (size_t i = 0; slug && i < sizeof problems / sizeof problems[0]; i++)
		if (strcmp(slug, problems[i].slug) == 0)
			title = problems[i].title;
	if (!title)
		slug = NULL;
	json_object_object_add(p, "type", json_object_new_string(
						  slug ? arena_printf(c->arena, "urn:portal:problem:%s", slug) : "about:blank"));
	json_object_object_add(p, "title", json_object_new_string(title ? title : response_reason(status)));
	json_object_object_add(p, "status", json_object_new_int(status));
	if (detail)
		json_object_object_add(p, "detail", json_object_new_string(detail));
	json_object_object_add(p, "instance",
			       json_object_new_string(arena_printf(c->arena, "urn:portal:request:%s",
								   c->req->request_id ? c->req->request_id : "-")));
	return p;
}

static int problem_send(struct ctx *c, int status, struct json_object *p)
{
	c->res->status = status;
	api_headers(c, "application/problem+json");
	buf_puts(&c->res->body, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
	json_object_put(p);
	return status;
}

int api_problem(struct ctx *c, int status, const char *slug, const char *detail)
{
	return problem_send(c, status, problem_new(c, status, slug, detail));
}

void api_error(struct json_object **errs, const char *field, const char *message)
{
	if (!*errs)
		*errs = json_object_new_array();
	struct json_object *e = json_object_new_object();
	json_object_object_add(e, "field", json_object_new_string(field));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_array_add(*errs, e);
}

int api_invalid(struct ctx *c, struct json_object *errs)
{
	struct json_object *p = problem_new(c, 422, "validation", NULL);
	json_object_object_add(p, "errors", errs ? errs : json_object_new_array());
	return problem_send(c, 422, p);
}

int api_db_error(struct ctx *c)
{
	return api_problem(c, 503, "unavailable", NULL);
}

/* ---- Input ---- */

static struct json_object *body_obj; /* the request's parsed body; freed after the handler */

/* 1 when v holds a number PostgreSQL cannot take (json-c reads NaN, Infinity, 1e999 as doubles). */
static int has_nonfinite(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_double:
		return !isfinite(json_object_get_double(v));
	case json_type_array:
		for (size_t i = 0, n = json_object_array_length(v); i < n; i++)
			if (has_nonfinite(json_object_array_get_idx(v, i)))
				return 1;
		return 0;
	case json_type_object: {
		json_object_object_foreach(v, k, m) {
			(void)k;
			if (has_nonfinite(m))
				return 1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

int api_body(struct ctx *c, struct json_object **out)
{
	*out = NULL;
	if (body_obj) {
		*out = body_obj;
		return 0;
	}
	const char *ct = c->req->content_type;
	size_t n = strcspn(ct, ";");
	while (n && ct[n - 1] == ' ')
		n--;
	if (!((n == 16 && strncasecmp(ct, "application/json", 16) == 0)))
		return api_problem(c, 415, "unsupported-media-type", "Send Content-Type: application/json.");
	struct json_tokener *tok = json_tokener_new_ex(32);
	if (!tok)
		return api_db_error(c);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	struct json_object *o = json_tokener_parse_ex(tok, c->req->body ? c->req->body : "", (int)c->req->body_len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || e != json_tokener_success || used != c->req->body_len || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return api_problem(c, 400, "bad-request", "The body is not one JSON object.");
	}
	if (has_nonfinite(o)) {
		json_object_put(o);
		return api_problem(c, 400, "bad-request", "The body holds a number out of range (NaN, Infinity or too large).");
	}
	body_obj = *out = o;
	return 0;
}

int api_str(struct json_object *o, const char *key, size_t max, int multiline, const char **out,
	    struct json_object **errs)
{
	struct json_object *v;
	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		api_error(errs, key, "must be a string");
		return -1;
	}
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	if (len > max) {
		char m[64];
		snprintf(m, sizeof m, "must be at most %zu bytes", max);
		api_error(errs, key, m);
		return -1;
	}
	if (strlen(s) != len || has_ctl_bytes(s, len, multiline)) {
		api_error(errs, key, "must not hold control characters");
		return -1;
	}
	*out = s;
	return 1;
}

int api_id(struct json_object *o, const char *key, long *out, struct json_object **errs)
{
	struct json_object *v;
	*out = 0;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) <= 0) {
		api_error(errs, key, "must be a positive integer");
		return -1;
	}
	*out = (long)json_object_get_int64(v);
	return 1;
}

int api_bool(struct json_object *o, const char *key, int *out, struct json_object **errs)
{
	struct json_object *v;
	*out = 0;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		api_error(errs, key, "must be true or false");
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 1;
}

int api_unknown(struct json_object *o, const char *const *allowed, struct json_object **errs)
{
	int bad = 0;
	json_object_object_foreach(o, k, v) {
		(void)v;
		int ok = 0;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, k) == 0;
		if (!ok) {
			api_error(errs, k, "unknown field");
			bad = 1;
		}
	}
	return bad;
}

/* ---- Keyset pages ---- */

int api_page(struct ctx *c, struct api_page *pg)
{
	memset(pg, 0, sizeof *pg);
	pg->limit = 25;
	const char *l = request_query(c->req, "limit"), *cur = request_query(c->req, "cursor");
	if (l) {
		char *end;
		long v = strtol(l, &end, 10);
		if (!*l || *end || v < 1 || v > 100)
			return api_problem(c, 400, "bad-request", "limit must be a whole number from 1 to 100.");
		pg->limit = (int)v;
	}
	snprintf(pg->limit_s, sizeof pg->limit_s, "%d", pg->limit + 1);
	if (cur) {
		char raw[32];
		size_t n = strlen(cur), got = 0;
		if (n > 24 || base64_decode(cur, n, (unsigned char *)raw, sizeof raw - 1, &got, BASE64_URL | BASE64_NOPAD) < 0)
			return api_problem(c, 400, "bad-request", "cursor is not one this API gave.");
		raw[got] = '\0';
		if (!got || got > 18 || strspn(raw, "0123456789") != got || raw[0] == '0')
			return api_problem(c, 400, "bad-request", "cursor is not one this API gave.");
		pg->after = arena_strdup(c->arena, raw);
	}
	return 0;
}

int api_list(struct ctx *c, const struct api_page *pg, PGresult *r)
{
	int n = PQntuples(r), more = n > pg->limit;
	if (more)
		n = pg->limit;
	struct buf *b = &c->res->body;
	buf_puts(b, "{\"data\":[");
	for (int i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		buf_puts(b, db_col(r, i, "json"));
	}
	buf_puts(b, "],\"next_cursor\":");
	if (more) {
		const char *k = db_col(r, n - 1, "cursor");
		struct buf e = BUF_INIT;
		buf_base64(&e, k, strlen(k), BASE64_URL | BASE64_NOPAD);
		buf_putc(b, '"');
		buf_puts(b, e.data ? e.data : "");
		buf_putc(b, '"');
		buf_free(&e);
	} else {
		buf_puts(b, "null");
	}
	buf_putc(b, '}');
	c->res->status = 200;
	api_headers(c, "application/json");
	return 200;
}

/* ---- Audit ---- */

int api_audit(struct ctx *c, const char *action, struct json_object *detail)
{
	if (!detail)
		detail = json_object_new_object();
	json_object_object_add(detail, "token", json_object_new_string(c->api ? c->api->name : ""));
	int rc = audit(c, "api_token", c->api ? c->api->id : 0, action,
		       json_object_to_json_string_ext(detail, JSON_C_TO_STRING_PLAIN));
	json_object_put(detail);
	return rc;
}

/* ---- Tokens, scopes, rate ---- */

/* 0 with c->api set, or the status answered. */
static int authenticate(struct ctx *c, struct api_token *t)
{
	const char *h = request_param(c->req, "HTTP_AUTHORIZATION");
	const char *tok = NULL;
	if (h && strncasecmp(h, "Bearer ", 7) == 0) {
		tok = h + 7;
		while (*tok == ' ')
			tok++;
	}
	if (!tok || strlen(tok) != API_TOKEN_LEN || strncmp(tok, API_TOKEN_PREFIX, 4) != 0 ||
	    !token_well_formed(tok + 4)) {
		response_header(c->res, "WWW-Authenticate", h ? "Bearer realm=\"api\", error=\"invalid_token\"" : "Bearer realm=\"api\"");
		return api_problem(c, 401, "invalid-token", h ? "The token is malformed." : "Send Authorization: Bearer <token>.");
	}
	char hash[TOKEN_HEX_LEN + 1];
	token_sha256_hex(tok, hash);
	const char *p[1] = {hash};
	PGresult *r = db_exec("api_token_auth", 1, p);
	if (!r)
		return api_db_error(c);
	if (PQntuples(r) != 1) {
		PQclear(r);
		log_msg(LOG_WARN, "api: unknown or revoked token");
		response_header(c->res, "WWW-Authenticate", "Bearer realm=\"api\", error=\"invalid_token\"");
		return api_problem(c, 401, "invalid-token", "The token is unknown or revoked.");
	}
	memset(t, 0, sizeof *t);
	t->id = atol(db_col(r, 0, "id"));
	str_copy(t->name, sizeof t->name, db_col(r, 0, "name"));
	const char *sc = db_col(r, 0, "scopes");
	while (*sc) {
		size_t n = strcspn(sc, " ");
		char one[32];
		snprintf(one, sizeof one, "%.*s", (int)(n < 31 ? n : 31), sc);
		t->scopes |= api_scope_bit(one);
		sc += n;
		while (*sc == ' ')
			sc++;
	}
	t->limited = db_col(r, 0, "limited")[0] == 't';
	const char *in = db_col(r, 0, "inboxes");
	snprintf(t->inboxes, sizeof t->inboxes, "%s", t->limited && strlen(in) >= sizeof t->inboxes ? "{}" : in);
	t->rate_limit = atol(db_col(r, 0, "rate_limit"));
	long count = atol(db_col(r, 0, "rate_count"));
	t->rate_remaining = count >= t->rate_limit ? 0 : t->rate_limit - count;
	t->rate_reset = atol(db_col(r, 0, "reset"));
	PQclear(r);
	c->api = t;
	if (count > t->rate_limit) {
		char s[24];
		snprintf(s, sizeof s, "%ld", t->rate_reset);
		response_header(c->res, "Retry-After", s);
		log_msg(LOG_WARN, "api: token %ld over its rate limit", t->id);
		return api_problem(c, 429, "rate-limited", NULL);
	}
	return 0;
}

/* ---- The write transaction and Idempotency-Key ---- */

static int answer_secret; /* this request's answer holds a secret (api_answer_secret) */

void api_answer_secret(struct ctx *c)
{
	(void)c;
	answer_secret = 1;
}

/* The secretbox context of a kept answer: the token and a hash of the key. */
static const char *idem_context(struct ctx *c, const char *key)
{
	char h[TOKEN_HEX_LEN + 1];
	token_sha256_hex(key, h);
	return arena_printf(c->arena, "api_idempotency:%ld:%s", c->api->id, h);
}

static void request_hash(struct ctx *c, char out[TOKEN_HEX_LEN + 1])
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s\n%s\n%s\n%s\n", c->req->method_name, c->req->path, c->req->query_string,
		   c->req->content_type);
	buf_append(&b, c->req->body ? c->req->body : "", c->req->body_len);
	token_sha256_hex(b.data ? b.data : "", out);
	buf_free(&b);
}

/* Claim the key (in the open transaction): 1 ours, 0 answered here (a replay or a refusal). */
static int idem_claim(struct ctx *c, const char *key, int *status)
{
	char hash[TOKEN_HEX_LEN + 1], tid[24];
	request_hash(c, hash);
	snprintf(tid, sizeof tid, "%ld", c->api->id);
	const char *p[3] = {tid, key, hash};
	PGresult *r = db_exec("api_idem_claim", 3, p);
	if (!r) {
		*status = api_db_error(c);
		return 0;
	}
	int mine = PQntuples(r) == 1;
	PQclear(r);
	if (mine)
		return 1;
	r = db_exec("api_idem_get", 2, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		*status = api_db_error(c);
		return 0;
	}
	if (strcmp(db_col(r, 0, "request_sha256"), hash) != 0) {
		PQclear(r);
		*status = api_problem(c, 422, "idempotency-key-reused", NULL);
		return 0;
	}
	int st = atoi(db_col(r, 0, "status"));
	if (st < 200) { /* a row without an answer cannot outlive its transaction */
		PQclear(r);
		*status = api_problem(c, 409, "conflict", "The first request with this Idempotency-Key is still running.");
		return 0;
	}
	const char *body = db_col(r, 0, "body");
	char open[SECRETBOX_MAX + 1];
	if (strncmp(body, "sealed:", 7) == 0 || PQgetisnull(r, 0, 3)) {
		if (PQgetisnull(r, 0, 3) || secretbox_open(cfg.secret_key, idem_context(c, key), body + 7, open, sizeof open) < 0) {
			PQclear(r);
			*status = api_problem(c, 409, "conflict", "The first answer to this Idempotency-Key held a secret that was not kept.");
			return 0;
		}
		body = open;
	}
	response_header(c->res, "Idempotent-Replayed", "true");
	if (db_col(r, 0, "location")[0])
		response_header(c->res, "Location", db_col(r, 0, "location"));
	*status = api_json_text(c, st, body);
	PQclear(r);
	OPENSSL_cleanse(open, sizeof open);
	return 0;
}

static int idem_save(struct ctx *c, const char *key, int status)
{
	char tid[24], st[16];
	snprintf(tid, sizeof tid, "%ld", c->api->id);
	snprintf(st, sizeof st, "%d", status);
	const char *body = arena_strndup(c->arena, c->res->body.data ? c->res->body.data : "", c->res->body.len);
	if (answer_secret) { /* kept sealed, or (too long to seal) not at all */
		size_t cap = secretbox_sealed_len(strlen(body)) + 8;
		char *sealed = arena_alloc(c->arena, cap);
		if (sealed && secretbox_seal(cfg.secret_key, idem_context(c, key), body, sealed + 7, cap - 7) == 0) {
			memcpy(sealed, "sealed:", 7);
			body = sealed;
		} else {
			body = NULL;
		}
	}
	const char *p[5] = {tid, key, st, answer_location, body};
	return db_run("api_idem_save", 5, p);
}

/* ---- Dispatch ---- */

static const struct api_route *api_find(struct ctx *c, const char *sub, char *allow, size_t cap)
{
	allow[0] = '\0';
	for (const struct api_route *r = api_routes; r->pattern; r++) {
		if (!route_match(r->pattern, sub, "", &c->caps))
			continue;
		enum http_method m = c->req->method == HTTP_HEAD ? HTTP_GET : c->req->method;
		if (r->method == m)
			return r;
		static const char *const names[] = {[HTTP_GET] = "GET, HEAD", [HTTP_POST] = "POST",
						    [HTTP_PATCH] = "PATCH", [HTTP_DELETE] = "DELETE"};
		size_t l = strlen(allow);
		snprintf(allow + l, cap - l, "%s%s", l ? ", " : "", names[r->method] ? names[r->method] : "");
	}
	return NULL;
}

static int api_route_run(struct ctx *c, const struct api_route *rt)
{
	if (!(rt->flags & API_PUBLIC)) {
		struct api_token *tok = arena_alloc(c->arena, sizeof *tok);
		if (!tok)
			return api_db_error(c);
		int st = authenticate(c, tok);
		if (st)
			return st;
		if ((c->api->scopes & rt->scope) != rt->scope) {
			response_header(c->res, "WWW-Authenticate", "Bearer realm=\"api\", error=\"insufficient_scope\"");
			const char *need = "";
			for (unsigned i = 0; i < 5; i++)
				if (rt->scope & (1u << i))
					need = api_scope_names[i];
			log_msg(LOG_WARN, "api: token %ld lacks %s for %s %s", c->api->id, need, c->req->method_name, c->req->path);
			return api_problem(c, 403, "insufficient-scope", arena_printf(c->arena, "This operation needs the scope %s.", need));
		}
	}
	int write = c->req->method == HTTP_POST || c->req->method == HTTP_PATCH || c->req->method == HTTP_DELETE;
	if (!write)
		return rt->handler(c);
	const char *key = request_param(c->req, "HTTP_IDEMPOTENCY_KEY");
	if (key && (!*key || strlen(key) > 255 || has_ctl_bytes(key, strlen(key), 0)))
		return api_problem(c, 400, "bad-request", "Idempotency-Key must be 1 to 255 printable characters.");
	if (db_begin() < 0)
		return api_db_error(c);
	int status = 0;
	if (key && c->api && !idem_claim(c, key, &status)) {
		db_rollback();
		return status;
	}
	status = rt->handler(c);
	if (status >= 400) {
		db_rollback();
		return status;
	}
	if (key && c->api && idem_save(c, key, status) < 0) {
		db_rollback();
		response_reset(c->res);
		return api_db_error(c);
	}
	if (db_commit() < 0) {
		response_reset(c->res);
		return api_db_error(c);
	}
	return status;
}

int api_dispatch(struct ctx *c)
{
	const char *path = c->req->path;
	int status;
	if (strncmp(path, "/api/v1/", 8) != 0) {
		status = api_problem(c, 404, "not-found", "The API lives under /api/v1/.");
	} else {
		char allow[64];
		const struct api_route *rt = api_find(c, path + 7, allow, sizeof allow);
		if (!rt && allow[0]) {
			response_header(c->res, "Allow", allow);
			status = api_problem(c, 405, "method-not-allowed", NULL);
		} else if (!rt) {
			status = api_problem(c, 404, "not-found", NULL);
		} else {
			status = api_route_run(c, rt);
		}
	}
	json_object_put(body_obj);
	body_obj = NULL;
	answer_secret = 0;
	answer_location = NULL;
	if (status >= 400 && c->res->body.len == 0) /* a handler that returned a bare status */
		status = api_problem(c, status, NULL, NULL);
	return status;
}

/* ---- The OpenAPI document ---- */

static char *openapi_text;

static struct json_object *read_json(const char *path)
{
	struct json_object *o = json_object_from_file(path);
	if (!o || !json_object_is_type(o, json_type_object)) {
		log_msg(LOG_ERROR, "api: %s is not a JSON object (%s)", path, json_util_get_last_err());
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Copy the members of from[key] into into[key] (made when missing); a name twice is an error. */
static int merge_member(struct json_object *into, struct json_object *from, const char *key, const char *file)
{
	struct json_object *src, *dst;
	if (!json_object_object_get_ex(from, key, &src))
		return 0;
	if (!json_object_object_get_ex(into, key, &dst)) {
		dst = json_object_new_object();
		json_object_object_add(into, key, dst);
	}
	json_object_object_foreach(src, k, v) {
		if (json_object_object_get_ex(dst, k, NULL)) {
			log_msg(LOG_ERROR, "api: %s: %s %s is defined twice", file, key, k);
			return -1;
		}
		json_object_object_add(dst, k, json_object_get(v));
	}
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int api_openapi_load(const char *dir)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/api/openapi.json", dir);
	struct json_object *doc = read_json(path);
	if (!doc)
		return -1;
	snprintf(path, sizeof path, "%s/api/openapi", dir);
	DIR *d = opendir(path);
	char *names[64];
	int n = 0, rc = 0;
	for (struct dirent *e; d && (e = readdir(d)) && n < 64;) {
		size_t l = strlen(e->d_name);
		if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0)
			names[n++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, (size_t)n, sizeof names[0], name_cmp);
	struct json_object *comp;
	if (!json_object_object_get_ex(doc, "components", &comp)) {
		comp = json_object_new_object();
		json_object_object_add(doc, "components", comp);
	}
	for (int i = 0; i < n; i++) {
		char file[1200];
		snprintf(file, sizeof file, "%s/%s", path, names[i]);
		struct json_object *part = rc == 0 && names[i] ? read_json(file) : NULL, *pc;
		if (rc == 0 && (!part || merge_member(doc, part, "paths", file) < 0 ||
				merge_member(doc, part, "webhooks", file) < 0))
			rc = -1;
		if (rc == 0 && json_object_object_get_ex(part, "components", &pc)) {
			json_object_object_foreach(pc, k, v) {
				(void)v;
				if (rc == 0 && merge_member(comp, pc, k, file) < 0)
					rc = -1;
			}
		}
		json_object_put(part);
		free(names[i]);
	}
	if (rc == 0) {
		free(openapi_text);
		openapi_text = strdup(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
	}
	json_object_put(doc);
	return rc;
}

int api_openapi(struct ctx *c)
{
	if (!openapi_text)
		return api_problem(c, 503, "unavailable", "The OpenAPI document did not load.");
	return api_json_text(c, 200, openapi_text);
}
