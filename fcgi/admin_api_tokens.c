/* admin_api_tokens.c - /admin/api-tokens (admins): the JSON API's tokens: the list (name, prefix,
 * scopes, inbox limit, rate limit, who made it and when, last use, revoked), the create form whose
 * answer shows the new token once (the POST's own page: the token is in no URL, no log and no
 * audit row, and the page is no-store as every console page), and revoke with a confirmation.
 * Not a form page of the kit: a list with an add form, and a result that must not be a redirect.
 * Tokens are made by api_token_create() (api_token.c), shared with the command line. */
#include "admin.h"
#include "api.h"
#include "form_page.h"

#include <stdlib.h>
#include <string.h>

#define TOKENS_SHOWN 200
#define INBOXES_SHOWN 500

const struct db_stmt admin_api_tokens_stmts[] = {
	/* live tokens first, newest first */
	{"api_tokens_list",
	 "SELECT t.id, t.name, t.prefix, array_to_string(t.scopes, ', ') AS scopes, t.inbox_ids IS NOT NULL AS limited,"
	 " coalesce((SELECT string_agg(i.name, ', ' ORDER BY lower(i.name)) FROM inboxes i WHERE i.id = ANY (t.inbox_ids)), '') AS inboxes,"
	 " t.rate_limit, coalesce(nullif(s.name, ''), s.email, '') AS created_by,"
	 " " SQL_CONSOLE_TIME("t.created_at", "YYYY-MM-DD HH24:MI") " AS created,"
	 " coalesce(" SQL_CONSOLE_TIME("t.last_used_at", "YYYY-MM-DD HH24:MI") ", '') AS last_used,"
	 " t.revoked_at IS NOT NULL AS revoked,"
	 " coalesce(" SQL_CONSOLE_TIME("t.revoked_at", "YYYY-MM-DD HH24:MI") ", '') AS revoked_at"
	 " FROM api_tokens t LEFT JOIN staff_users s ON s.id = t.created_by"
	 " ORDER BY t.revoked_at IS NOT NULL, t.id DESC LIMIT 201",
	 0},
	{"api_tokens_inboxes",
	 "SELECT id, name FROM inboxes ORDER BY lower(name), id LIMIT 501", 0},
	{"api_token_one",
	 "SELECT id, name, prefix, revoked_at IS NOT NULL AS revoked FROM api_tokens WHERE id = $1", 1},
	{"api_token_revoke",
	 "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING name, prefix", 1},
	{NULL, NULL, 0},
};

/* Whether the form's field name holds value (a ticked checkbox sent back). */
static int ticked(struct json_object *values, const char *name, const char *value)
{
	struct json_object *a;
	if (!values || !json_object_object_get_ex(values, name, &a) || !json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), value) == 0)
			return 1;
	return 0;
}

/* The list and the create form; f: a refused form (consumed), its input kept. */
static int render(struct ctx *c, int status, struct form *f)
{
	PGresult *r = db_exec("api_tokens_list", 0, NULL), *ri = db_exec("api_tokens_inboxes", 0, NULL);
	if (!r || !ri) {
		PQclear(r);
		PQclear(ri);
		return form_page_drop(f, 500);
	}
	struct json_object *page = admin_page_new(c, "API tokens", "api_tokens");
	if (request_query(c->req, "revoked"))
		json_object_object_add(page, "notice", json_object_new_string("Token revoked: it no longer works."));
	struct json_object *vals = f ? f->values : NULL;
	struct json_object *scopes = json_object_new_array();
	for (unsigned i = 0; i < 5; i++) {
		struct json_object *s = json_object_new_object();
		json_object_object_add(s, "name", json_object_new_string(api_scope_names[i]));
		json_object_object_add(s, "key", json_object_new_string(arena_printf(c->arena, "scope-%u", i)));
		json_object_object_add(s, "checked", json_object_new_boolean(ticked(vals, "scopes", api_scope_names[i])));
		json_object_array_add(scopes, s);
	}
	json_object_object_add(page, "scopes", scopes);
	int ni = PQntuples(ri) > INBOXES_SHOWN ? INBOXES_SHOWN : PQntuples(ri);
	struct json_object *inboxes = json_object_new_array();
	for (int i = 0; i < ni; i++) {
		struct json_object *o = db_row_json(ri, i);
		json_object_object_add(o, "checked", json_object_new_boolean(ticked(vals, "inboxes", db_col(ri, i, "id"))));
		json_object_array_add(inboxes, o);
	}
	json_object_object_add(page, "inboxes", inboxes);
	json_object_object_add(page, "has_inboxes", json_object_new_boolean(ni > 0));
	json_object_object_add(page, "more_tokens", json_object_new_boolean(PQntuples(r) > TOKENS_SHOWN));
	PQclear(ri);
	struct json_object *rows = db_rows_json(r, TOKENS_SHOWN);
	PQclear(r);
	if (!f) { /* the form's defaults */
		struct json_object *v = json_object_new_object();
		json_object_object_add(v, "rate_limit", json_object_new_string("600"));
		json_object_object_add(page, "values", v);
	}
	return form_page_list(c, status, "admin/api_tokens", page, "tokens", rows, (size_t)-1, f);
}

int admin_api_tokens(struct ctx *c)
{
	return render(c, 200, NULL);
}

/* The name: trimmed, 1 to 100 characters, one line (the table's rule). */
static const char *parse_name(struct ctx *c, struct form *f)
{
	const char *raw = request_form(c->req, "name"), *end;
	raw = raw ? raw : "";
	end = raw + strlen(raw);
	str_trim(&raw, &end, " \t\r\n");
	const char *v = arena_strndup(c->arena, raw, (size_t)(end - raw));
	json_object_object_add(f->values, "name", json_object_new_string(v ? v : ""));
	if (!v || !*v)
		form_message(f, "name", "Give the token a name that says who uses it, such as \"Billing system\".");
	else if (utf8_length(v) > 100)
		form_message(f, "name", "A name has at most 100 characters.");
	else if (strpbrk(v, "\t\r\n"))
		form_message(f, "name", "A name is one line without tabs.");
	else
		return v;
	return NULL;
}

/* The ticked scopes (fields "scope") as bits; values.scopes keeps them. */
static unsigned parse_scopes(struct ctx *c, struct form *f)
{
	unsigned bits = 0;
	int bad = 0;
	struct json_object *kept = json_object_new_array();
	for (size_t i = 0; i < c->req->nform; i++) {
		if (strcmp(c->req->form[i].name, "scope") != 0)
			continue;
		unsigned b = api_scope_bit(c->req->form[i].value);
		bad |= !b;
		bits |= b;
		if (b)
			json_object_array_add(kept, json_object_new_string(c->req->form[i].value));
	}
	json_object_object_add(f->values, "scopes", kept);
	if (bad)
		form_message(f, "scopes", "Choose scopes from the list.");
	else if (!bits)
		form_message(f, "scopes", "Choose at least one scope: a token without one could do nothing.");
	return bad ? 0 : bits;
}

/* The ticked inboxes (fields "inbox") as an array literal, NULL when none is ticked (every
 * inbox); values.inboxes keeps them. *ok 0 after a message. */
static const char *parse_inboxes(struct ctx *c, struct form *f, int *ok)
{
	struct json_object *kept = json_object_new_array();
	struct buf b = BUF_INIT;
	int n = 0, bad = 0;
	buf_putc(&b, '{');
	for (size_t i = 0; i < c->req->nform; i++) {
		if (strcmp(c->req->form[i].name, "inbox") != 0)
			continue;
		long id = admin_id(c->req->form[i].value);
		bad |= !id;
		if (!id)
			continue;
		buf_printf(&b, "%s%ld", n++ ? "," : "", id);
		json_object_array_add(kept, json_object_new_string(c->req->form[i].value));
	}
	buf_putc(&b, '}');
	json_object_object_add(f->values, "inboxes", kept);
	const char *lit = b.oom ? NULL : arena_strdup(c->arena, b.data);
	buf_free(&b);
	int known = bad || !lit ? 0 : n ? staff_inboxes_exist(lit) : 1;
	*ok = known < 0 ? -1 : 1;
	if (!known) {
		form_message(f, "inboxes", "One of the chosen inboxes does not exist any more. Reload the page and choose again.");
		*ok = 0;
	}
	return n ? lit : NULL;
}

/* Requests a minute: 1 to 1000000, 600 when empty. 0 after a message. */
static int parse_rate(struct ctx *c, struct form *f)
{
	const char *raw = request_form(c->req, "rate_limit"), *end;
	raw = raw ? raw : "";
	end = raw + strlen(raw);
	str_trim(&raw, &end, " \t\r\n");
	const char *v = arena_strndup(c->arena, raw, (size_t)(end - raw));
	json_object_object_add(f->values, "rate_limit", json_object_new_string(v ? v : ""));
	if (v && !*v)
		return 600;
	long n = v ? admin_id(v) : 0;
	if (n < 1 || n > 1000000) {
		form_message(f, "rate_limit", "Enter the requests a minute as a whole number from 1 to 1000000 (600 by default).");
		return 0;
	}
	return (int)n;
}

int admin_api_token_create(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *name = parse_name(c, &f);
	unsigned scopes = parse_scopes(c, &f);
	int ok, rate = parse_rate(c, &f);
	const char *inboxes = parse_inboxes(c, &f, &ok);
	if (ok < 0)
		return form_page_drop(&f, 500);
	if (f.nerrors)
		return render(c, 422, &f);
	form_free(&f);
	char tok[API_TOKEN_LEN + 1];
	if (db_begin() < 0)
		return 500;
	long id = api_token_create(name, scopes, inboxes, rate, c->staff.user_id, tok, sizeof tok);
	if (id < 0) {
		db_rollback();
		explicit_bzero(tok, sizeof tok);
		return 500;
	}
	struct json_object *after = json_object_new_object(), *sc = json_object_new_array();
	json_object_object_add(after, "id", json_object_new_int64(id));
	json_object_object_add(after, "name", json_object_new_string(name));
	json_object_object_add(after, "prefix", json_object_new_string(arena_printf(c->arena, "%.12s", tok)));
	for (unsigned i = 0; i < 5; i++)
		if (scopes & (1u << i))
			json_object_array_add(sc, json_object_new_string(api_scope_names[i]));
	json_object_object_add(after, "scopes", sc);
	json_object_object_add(after, "inbox_ids", api_token_inboxes_json(c, inboxes));
	json_object_object_add(after, "rate_limit", json_object_new_int(rate));
	if (admin_audit(c, "api_token_create", NULL, NULL, after) < 0 || db_commit() < 0) { /* after consumed */
		db_rollback();
		explicit_bzero(tok, sizeof tok);
		return 500;
	}
	struct json_object *page = admin_page_new(c, "API token created", "api_tokens");
	json_object_object_add(page, "token", json_object_new_string(tok));
	json_object_object_add(page, "name", json_object_new_string(name));
	explicit_bzero(tok, sizeof tok);
	/* the page's copy of the token dies with page_render's page; every console page is no-store */
	return admin_render(c, 200, "admin/api_tokens_created", page);
}

struct json_object *api_token_inboxes_json(struct ctx *c, const char *inboxes)
{
	/* "{1,2}" -> "[1,2]": the literal holds only ids (api_token_create, staff_inboxes) */
	if (!inboxes || strlen(inboxes) < 2)
		return NULL;
	return json_tokener_parse(arena_printf(c->arena, "[%.*s]", (int)strlen(inboxes) - 2, inboxes + 1));
}

/* The token of the route's id: 0 with *row, or 404 / 500. */
static int token_row(struct ctx *c, PGresult **row)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	const char *p[1] = {admin_idstr(c, id)};
	PGresult *r = db_exec("api_token_one", 1, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return r ? 404 : 500;
	}
	*row = r;
	return 0;
}

int admin_api_token_revoke_page(struct ctx *c)
{
	PGresult *r;
	int rc = token_row(c, &r);
	if (rc)
		return rc;
	struct json_object *page = admin_page_new(c, "Revoke API token", "api_tokens");
	json_object_object_add(page, "token", db_row_json(r, 0));
	PQclear(r);
	return admin_render(c, 200, "admin/api_tokens_revoke", page);
}

int admin_api_token_revoke(struct ctx *c)
{
	PGresult *r;
	int rc = token_row(c, &r);
	if (rc)
		return rc;
	const char *id = arena_strdup(c->arena, db_col(r, 0, "id"));
	PQclear(r);
	if (db_begin() < 0)
		return 500;
	const char *p[1] = {id};
	r = db_exec("api_token_revoke", 1, p);
	if (!r) {
		db_rollback();
		return 500;
	}
	if (PQntuples(r) != 1) { /* revoked already: nothing to do */
		PQclear(r);
		db_rollback();
		return page_redirect(c, 303, "/admin/api-tokens?revoked=1");
	}
	struct json_object *after = json_object_new_object();
	json_object_object_add(after, "id", json_object_new_int64(atol(id)));
	json_object_object_add(after, "name", json_object_new_string(db_col(r, 0, "name")));
	json_object_object_add(after, "prefix", json_object_new_string(db_col(r, 0, "prefix")));
	PQclear(r);
	return admin_audit_commit(c, "api_token_revoke", NULL, after, "/admin/api-tokens?revoked=1");
}
