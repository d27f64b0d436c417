/* drafts.c - a form posted without a session (it expired, or the customer logged out elsewhere):
 * the "you were signed out" page, the text kept for this browser for thirty minutes, and
 * offered back in the form after sign-in. */
#include "app.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "log.h"

#define DRAFT_COOKIE "portal_draft" /* "1" while this browser may have a draft waiting */
#define DRAFT_SECONDS 1800
#define DRAFT_MAX_BYTES 65536 /* the text kept; a larger post is not kept (the page says so) */
#define DRAFT_MAX_PER_BROWSER 20

const struct db_stmt drafts_stmts[] = {
	{"drafts_keep",
	 "WITH old AS (DELETE FROM drafts WHERE expires_at < now())"
	 " INSERT INTO drafts (portal_id, pre_hash, page, fields, expires_at)"
	 " SELECT $1, $2, $3, $4::jsonb, now() + make_interval(secs => $5::int)"
	 " WHERE (SELECT count(*) FROM drafts WHERE portal_id = $1 AND pre_hash = $2"
	 "   AND expires_at > now()) < $6::int"
	 " RETURNING 1",
	 6},
	{"drafts_take",
	 "WITH d AS (DELETE FROM drafts WHERE portal_id = $1 AND pre_hash = $2 AND page = $3"
	 "   RETURNING id, fields, expires_at)"
	 " SELECT fields FROM d WHERE expires_at > now() ORDER BY id DESC LIMIT 1",
	 3},
	{NULL, NULL, 0},
};

/* The Origin (or, without one, the Referer) names this request's own host. */
static int same_origin(struct ctx *c)
{
	const char *o = request_param(c->req, "HTTP_ORIGIN");
	if (!o || !o[0] || strcmp(o, "null") == 0)
		o = request_param(c->req, "HTTP_REFERER");
	if (!o || !c->req->host || !c->req->host[0])
		return 0;
	const char *h = strstr(o, "://");
	if (!h)
		return 0;
	h += 3;
	size_t n = strcspn(h, ":/?#");
	return n == strlen(c->req->host) && strncasecmp(h, c->req->host, n) == 0;
}

/* The form's text fields (never the CSRF token or the nonce) as a JSON object; NULL when none
 * or too large. */
static struct json_object *draft_fields(struct ctx *c)
{
	struct json_object *o = json_object_new_object();
	size_t total = 0;
	int any = 0;
	for (size_t i = 0; i < c->req->nform; i++) {
		const struct kv *f = &c->req->form[i];
		if (strcmp(f->name, "csrf") == 0 || strcmp(f->name, "nonce") == 0)
			continue;
		total += strlen(f->name) + f->value_len;
		any |= f->value_len > 0;
		json_object_object_add(o, f->name, json_object_new_string_len(f->value, (int)f->value_len));
	}
	if (!any || total > DRAFT_MAX_BYTES) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* 1 kept, 0 not (nothing to keep, too large, a cross-site post, too many), -1 database error. */
static int keep(struct ctx *c)
{
	char pre[65];
	int sent = pre_session_sent(c, pre);
	if (!sent && !same_origin(c))
		return 0; /* a form of another site: nothing of it is kept for this browser */
	if (!sent && !pre_session(c, pre))
		return -1;
	struct json_object *fields = draft_fields(c);
	if (!fields)
		return 0;
	const char *p[6] = {arena_printf(c->arena, "%ld", c->portal->id), pre, c->req->path,
			    json_object_to_json_string_ext(fields, JSON_C_TO_STRING_PLAIN),
			    arena_printf(c->arena, "%d", DRAFT_SECONDS),
			    arena_printf(c->arena, "%d", DRAFT_MAX_PER_BROWSER)};
	PGresult *r = db_exec("drafts_keep", 6, p);
	json_object_put(fields);
	if (!r)
		return -1;
	int kept = PQntuples(r) == 1;
	PQclear(r);
	if (kept)
		set_cookie(c, DRAFT_COOKIE, "1", DRAFT_SECONDS);
	return kept;
}

int signed_out_post(struct ctx *c, int keep_text)
{
	int kept = keep_text ? keep(c) : 0;
	if (kept < 0)
		log_msg(LOG_ERROR, "draft of %s not kept: database error", c->req->path);
	/* back to the page the form was on: the ticket for a reply, the form itself otherwise */
	const char *path = c->req->path;
	size_t n = strlen(path);
	const char *back = n > 6 && strcmp(path + n - 6, "/reply") == 0
				   ? arena_printf(c->arena, "%.*s", (int)(n - 6), path)
				   : path;
	struct buf to = BUF_INIT;
	buf_puts(&to, "/login?next=");
	buf_urlenc(&to, back, strlen(back));
	struct json_object *page = page_new(c, "signed_out_title");
	json_object_object_add(page, "kept", json_object_new_boolean(kept > 0));
	json_object_object_add(page, "had_text", json_object_new_boolean(keep_text));
	json_object_object_add(page, "had_files", json_object_new_boolean(c->req->nfiles > 0));
	json_object_object_add(page, "login_url", json_object_new_string(to.data ? to.data : "/login"));
	buf_free(&to);
	return page_render(c, 401, "portal/signed_out", page);
}

int draft_restore(struct ctx *c, const char *form_path, struct form *f)
{
	char pre[65];
	if (!get_cookie(c, DRAFT_COOKIE) || !pre_session_sent(c, pre))
		return 0;
	const char *p[3] = {arena_printf(c->arena, "%ld", c->portal->id), pre, form_path};
	PGresult *r = db_exec("drafts_take", 3, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return 0;
	}
	struct json_object *fields = json_tokener_parse(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (!fields || !json_object_is_type(fields, json_type_object)) {
		json_object_put(fields);
		return 0;
	}
	form_init(f, c->lang);
	json_object_put(f->values);
	f->values = fields;
	c->draft_restored = 1;
	return 1;
}
