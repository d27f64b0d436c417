/* api_webhooks.c - /api/v1/webhooks (scope webhooks:write): list, create (the signing secret in
 * the 201 answer only), one webhook with its recent deliveries, delete. Also what the console's
 * /admin/webhooks shares with it (admin.h): the URL rule, making a webhook with its sealed secret,
 * a new secret. The events and their delivery: sql/025_webhook_events.sql, fcgi/mailer_webhooks.c.
 * A token limited to some inboxes may not manage webhooks: they carry every ticket. */
#include "admin.h"
#include "api.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netaddr.h"
#include "secretbox.h"
#include "token.h"

/* The API's form of a webhook (schema Webhook), with its last delivery. */
#define WEBHOOK_JSON                                                                                         \
	"jsonb_build_object('id', w.id, 'url', w.url, 'events', to_jsonb(w.events), 'active', w.active,"       \
	" 'created_at', api_time(w.created_at), 'last_delivery', (SELECT jsonb_build_object('id', d.id,"       \
	"   'event', d.event, 'status', d.status, 'attempts', d.attempts, 'created_at', api_time(d.created_at))" \
	"   FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.payload <> '' ORDER BY d.id DESC LIMIT 1))"

const struct db_stmt api_webhooks_stmts[] = {
	{"webhook_url_problem", "SELECT coalesce(webhook_url_problem($1), '')", 1},
	{"webhook_insert",
	 "INSERT INTO webhooks (url, events, created_by_staff, created_by_token) VALUES ($1, $2::text[], $3, $4)"
	 " RETURNING id",
	 4},
	{"webhook_secret_set", "UPDATE webhooks SET secret_sealed = $2 WHERE id = $1", 2},
	{"api_webhooks_list",
	 "SELECT " WEBHOOK_JSON "::text AS json, w.id AS cursor FROM webhooks w"
	 " WHERE ($1::bigint IS NULL OR w.id > $1) ORDER BY w.id LIMIT $2",
	 2},
	{"api_webhook_get",
	 "SELECT (" WEBHOOK_JSON " || jsonb_build_object('deliveries', coalesce((SELECT jsonb_agg(x.o ORDER BY x.id DESC)"
	 "  FROM (SELECT d.id, jsonb_build_object('id', d.id, 'event', d.event, 'event_id', d.event_id, 'status', d.status,"
	 "   'attempts', d.attempts, 'created_at', api_time(d.created_at), 'delivered_at', api_time(d.delivered_at),"
	 "   'last_error', d.last_error) AS o FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.payload <> ''"
	 "   ORDER BY d.id DESC LIMIT 20) x), '[]'::jsonb)))::text AS json"
	 " FROM webhooks w WHERE w.id = $1",
	 1},
	{"api_webhook_delete",
	 "DELETE FROM webhooks WHERE id = $1 RETURNING jsonb_build_object('id', id, 'url', url, 'events', events)::text",
	 1},
	{NULL, NULL, 0},
};

const char *const webhook_events[3] = {"ticket.created", "ticket.updated", "message.added"};

/* Past the syntax rule (webhook_url_problem() in SQL), the install's switch: with
 * webhooks.allow_private_addresses off, https only, and not to an address that is plainly not
 * public (an IP literal, or localhost). A name is judged where it resolves, by the mailer
 * (fcgi/mailer_webhooks.c), which checks every address it dials whatever was accepted here. */
static const char *private_problem(const char *url)
{
	if (cfg.webhooks_allow_private)
		return NULL;
	if (strncasecmp(url, "https://", 8) != 0)
		return "The URL must start with https://: plain http:// is allowed only on an install set up for "
		       "local testing (webhooks.allow_private_addresses).";
	CURLU *u = curl_url();
	char *host = NULL;
	const char *why = NULL;
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		why = "The URL is not a valid https:// address.";
	} else {
		size_t n = strlen(host);
		enum netaddr_kind k = netaddr_kind_text(host);
		if ((k != NETADDR_INVALID && k != NETADDR_PUBLIC) || strcasecmp(host, "localhost") == 0 ||
		    (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0))
			why = "The URL must point to a public address: this machine, private, link-local and other "
			      "internal addresses are not allowed.";
	}
	curl_free(host);
	curl_url_cleanup(u);
	return why;
}

const char *webhook_url_problem(struct ctx *c, const char *url)
{
	char why[300];
	const char *p[1] = {url};
	if (!cfg.webhooks_allow_private && strncasecmp(url, "http://", 7) == 0)
		return private_problem(url); /* not the SQL rule's "http:// to this machine" hint */
	if (db_exec_value("webhook_url_problem", 1, p, why, sizeof why) != 1)
		return "The URL could not be checked; try again.";
	return why[0] ? arena_printf(c->arena, "%s", why) : private_problem(url);
}

int webhook_secret_new(struct ctx *c, long id, char *secret, size_t cap)
{
	char raw[TOKEN_LEN + 1], ctx_[48], sid[24];
	if (cap < WEBHOOK_SECRET_LEN + 1 || token_new(raw, sizeof raw) < 0)
		return -1;
	snprintf(secret, cap, "whsec_%s", raw);
	OPENSSL_cleanse(raw, sizeof raw);
	snprintf(ctx_, sizeof ctx_, "webhook:%ld", id);
	snprintf(sid, sizeof sid, "%ld", id);
	size_t scap = secretbox_sealed_len(strlen(secret)) + 1;
	char *sealed = arena_alloc(c->arena, scap);
	const char *p[2] = {sid, sealed};
	if (!sealed || secretbox_seal(cfg.secret_key, ctx_, secret, sealed, scap) < 0 ||
	    db_run("webhook_secret_set", 2, p) < 0) {
		OPENSSL_cleanse(secret, cap);
		secret[0] = '\0';
		return -1;
	}
	return 0;
}

long webhook_create(struct ctx *c, const char *url, const char *events, long staff, long token, char *secret,
		    size_t cap)
{
	char id[24], by_staff[24], by_token[24];
	snprintf(by_staff, sizeof by_staff, "%ld", staff);
	snprintf(by_token, sizeof by_token, "%ld", token);
	const char *p[4] = {url, events, staff > 0 ? by_staff : NULL, token > 0 ? by_token : NULL};
	if (db_exec_value("webhook_insert", 4, p, id, sizeof id) != 1)
		return -1;
	long n = atol(id);
	return webhook_secret_new(c, n, secret, cap) == 0 ? n : -1;
}

/* ---- the API ---- */

static int limited(struct ctx *c)
{
	if (!c->api || !c->api->limited)
		return 0;
	return api_problem(c, 403, "insufficient-scope",
			   "A token limited to some inboxes cannot manage webhooks: they carry every ticket.");
}

int api_webhooks_list(struct ctx *c)
{
	int rc = limited(c);
	struct api_page pg;
	if (rc || (rc = api_page(c, &pg)))
		return rc;
	const char *p[2] = {pg.after, pg.limit_s};
	PGresult *r = db_exec("api_webhooks_list", 2, p);
	if (!r)
		return api_db_error(c);
	rc = api_list(c, &pg, r);
	PQclear(r);
	return rc;
}

static const char *id_of(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	return id ? admin_idstr(c, id) : NULL;
}

int api_webhook_get(struct ctx *c)
{
	int rc = limited(c);
	if (rc)
		return rc;
	const char *id = id_of(c);
	if (!id)
		return api_problem(c, 404, "not-found", NULL);
	const char *p[1] = {id};
	PGresult *r = db_exec("api_webhook_get", 1, p);
	if (!r)
		return api_db_error(c);
	rc = PQntuples(r) == 1 ? api_json_text(c, 200, db_col(r, 0, "json")) : api_problem(c, 404, "not-found", NULL);
	PQclear(r);
	return rc;
}

int api_webhook_create(struct ctx *c)
{
	int rc = limited(c);
	struct json_object *o, *errs = NULL, *ev = NULL;
	if (rc || (rc = api_body(c, &o)))
		return rc;
	static const char *const allowed[] = {"url", "events", NULL};
	api_unknown(o, allowed, &errs);
	const char *url = NULL;
	if (api_str(o, "url", 2048, 0, &url, &errs) == 0)
		api_error(&errs, "url", "required");
	if (url) {
		const char *why = webhook_url_problem(c, url);
		if (why)
			api_error(&errs, "url", why);
	}
	struct buf lit = BUF_INIT;
	buf_putc(&lit, '{');
	unsigned seen = 0;
	if (!json_object_object_get_ex(o, "events", &ev))
		api_error(&errs, "events", "required");
	else if (!json_object_is_type(ev, json_type_array) || json_object_array_length(ev) == 0)
		api_error(&errs, "events", "must be a non-empty array of ticket.created, ticket.updated, message.added");
	else
		for (size_t i = 0; i < json_object_array_length(ev); i++) {
			struct json_object *e = json_object_array_get_idx(ev, i);
			unsigned bit = 0;
			for (unsigned k = 0; k < 3 && e && json_object_is_type(e, json_type_string); k++)
				if (strcmp(json_object_get_string(e), webhook_events[k]) == 0)
					bit = 1u << k;
			if (!bit) {
				api_error(&errs, "events", "unknown event (ticket.created, ticket.updated, message.added)");
				break;
			}
			if (!(seen & bit))
				db_array_item(&lit, json_object_get_string(e));
			seen |= bit;
		}
	buf_putc(&lit, '}');
	if (errs) {
		buf_free(&lit);
		return api_invalid(c, errs);
	}
	char secret[WEBHOOK_SECRET_LEN + 1];
	long id = webhook_create(c, url, lit.data, 0, c->api->id, secret, sizeof secret);
	buf_free(&lit);
	if (id < 0)
		return api_db_error(c);
	const char *p[1] = {admin_idstr(c, id)};
	PGresult *r = db_exec("api_webhook_get", 1, p);
	struct json_object *w = r && PQntuples(r) == 1 ? json_tokener_parse(db_col(r, 0, "json")) : NULL;
	PQclear(r);
	if (!w) {
		OPENSSL_cleanse(secret, sizeof secret);
		return api_db_error(c);
	}
	json_object_object_del(w, "deliveries");
	struct json_object *detail = json_object_new_object();
	json_object_object_add(detail, "id", json_object_new_int64(id));
	json_object_object_add(detail, "url", json_object_new_string(url));
	json_object_object_add(detail, "events", json_object_get(json_object_object_get(w, "events")));
	if (api_audit(c, "webhook_create", detail) < 0) {
		json_object_put(w);
		OPENSSL_cleanse(secret, sizeof secret);
		return api_db_error(c);
	}
	json_object_object_add(w, "secret", json_object_new_string(secret));
	api_answer_secret(c);
	OPENSSL_cleanse(secret, sizeof secret);
	rc = api_created(c, arena_printf(c->arena, "/webhooks/%ld", id),
			 json_object_to_json_string_ext(w, JSON_C_TO_STRING_PLAIN));
	json_object_put(w);
	return rc;
}

int api_webhook_delete(struct ctx *c)
{
	int rc = limited(c);
	if (rc)
		return rc;
	const char *id = id_of(c);
	if (!id)
		return api_problem(c, 404, "not-found", NULL);
	char gone[4096];
	const char *p[1] = {id};
	int n = db_exec_value("api_webhook_delete", 1, p, gone, sizeof gone);
	if (n < 0)
		return api_db_error(c);
	if (n == 0)
		return api_problem(c, 404, "not-found", NULL);
	struct json_object *detail = json_tokener_parse(gone);
	if (api_audit(c, "webhook_delete", detail) < 0)
		return api_db_error(c);
	return api_json_text(c, 204, "");
}
