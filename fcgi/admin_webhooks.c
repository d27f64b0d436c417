/* admin_webhooks.c - /admin/webhooks (admins): the team's webhooks. The list (URL, events, on or
 * off, the last delivery) with the new-webhook form (URL, events); a new webhook's page shows its
 * signing secret once. /admin/webhooks/<id>: the webhook, its recent deliveries and every attempt
 * of each (time, HTTP status or error, duration), switched off and on (/active), a new secret
 * (/secret, shown once), deleted (/delete), a failed delivery sent again
 * (/deliveries/<id>/redeliver). Every change audited. Not form pages of the kit: the secret is
 * shown in the answer to the POST, never stored where a page could read it again. What the API
 * shares with this page lives in api_webhooks.c (admin.h); the delivery in mailer_webhooks.c. */
#include "admin.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#define EVENTS_TEXT "array_to_string(w.events, ', ')"

const struct db_stmt admin_webhooks_stmts[] = {
	{"admin_webhooks_list",
	 "SELECT w.id, w.url, " EVENTS_TEXT " AS events, w.active,"
	 " " SQL_CONSOLE_TIME("w.created_at", CONSOLE_TIME_FMT) " AS created, d.status AS last_status,"
	 " d.event AS last_event, " SQL_CONSOLE_TIME("d.created_at", CONSOLE_TIME_FMT) " AS last_at"
	 " FROM webhooks w LEFT JOIN LATERAL (SELECT * FROM webhook_deliveries d WHERE d.webhook_id = w.id"
	 "  AND d.payload <> '' ORDER BY d.id DESC LIMIT 1) d ON true ORDER BY w.id",
	 0},
	{"admin_webhook_head",
	 "SELECT w.id, w.url, " EVENTS_TEXT " AS events, w.active,"
	 " " SQL_CONSOLE_TIME("w.created_at", CONSOLE_TIME_FMT) " AS created,"
	 " coalesce(s.name, s.email, t.name, '') AS created_by"
	 " FROM webhooks w LEFT JOIN staff_users s ON s.id = w.created_by_staff"
	 " LEFT JOIN api_tokens t ON t.id = w.created_by_token WHERE w.id = $1",
	 1},
	/* the 50 latest deliveries, each with its attempts (JSON text) */
	{"admin_webhook_deliveries",
	 "SELECT d.id, d.event, d.event_id::text AS event_id, d.status, d.attempts, d.ticket_id, d.last_error,"
	 " d.status = 'failed' AS can_redeliver,"
	 " " SQL_CONSOLE_TIME("d.created_at", CONSOLE_TIME_FMT) " AS created,"
	 " coalesce((SELECT json_agg(json_build_object('at', " SQL_CONSOLE_TIME("a.at", "YYYY-MM-DD HH24:MI:SS") ","
	 "   'http_status', a.http_status, 'error', a.error, 'duration_ms', a.duration_ms) ORDER BY a.id)"
	 "   FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]')::text AS attempts_json"
	 " FROM webhook_deliveries d WHERE d.webhook_id = $1 AND d.payload <> '' ORDER BY d.id DESC LIMIT 50",
	 1},
	{"admin_webhook_lock",
	 "SELECT jsonb_build_object('id', id, 'url', url, 'events', events, 'active', active)::text AS record"
	 " FROM webhooks WHERE id = $1 FOR UPDATE",
	 1},
	{"admin_webhook_set_active", "UPDATE webhooks SET active = $2::boolean WHERE id = $1", 2},
	{"admin_webhook_delete", "DELETE FROM webhooks WHERE id = $1", 1},
	{"admin_webhook_redeliver",
	 "UPDATE webhook_deliveries SET status = 'queued', attempts = 0, last_error = NULL, next_attempt_at = now()"
	 " WHERE id = $2 AND webhook_id = $1 AND status = 'failed' RETURNING event_id::text",
	 2},
	{"admin_webhook_notify", "SELECT pg_notify('webhook_deliveries', '')", 0},
	{NULL, NULL, 0},
};

/* The checkboxes' names: one per event, in webhook_events' order. */
static const char *const boxes[3] = {"ev_ticket_created", "ev_ticket_updated", "ev_message_added"};

/* The list page with the new-webhook form (f: its values and errors; NULL: a fresh form). */
static int list_page(struct ctx *c, int status, struct form *f)
{
	PGresult *r = db_exec("admin_webhooks_list", 0, NULL);
	if (!r) {
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *page = admin_page_new(c, "Webhooks", "webhooks");
	json_object_object_add(page, "rows", db_rows_json(r, -1));
	json_object_object_add(page, "empty", json_object_new_boolean(PQntuples(r) == 0));
	json_object_object_add(page, "private_ok", json_object_new_boolean(cfg.webhooks_allow_private));
	PQclear(r);
	if (f) {
		form_to_page(f, page);
	} else {
		struct json_object *v = json_object_new_object();
		for (int i = 0; i < 3; i++)
			json_object_object_add(v, boxes[i], json_object_new_boolean(1));
		json_object_object_add(page, "values", v);
	}
	return admin_render(c, status, "admin/webhooks", page);
}

int admin_webhooks(struct ctx *c)
{
	return list_page(c, 200, NULL);
}

/* The page that shows a secret once (a new webhook, or a new secret). */
static int secret_page(struct ctx *c, long id, const char *url, const char *secret, int rotated)
{
	struct json_object *page = admin_page_new(c, rotated ? "New webhook secret" : "Webhook created", "webhooks");
	json_object_object_add(page, "id", json_object_new_int64(id));
	json_object_object_add(page, "url", json_object_new_string(url));
	json_object_object_add(page, "secret", json_object_new_string(secret));
	json_object_object_add(page, "rotated", json_object_new_boolean(rotated));
	response_header(c->res, "Cache-Control", "no-store");
	return admin_render(c, 200, "admin/webhooks_secret", page);
}

int admin_webhook_create(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *url = form_text(&f, c->req, "url", 1, 2048, 0, 1);
	const char *why = url ? webhook_url_problem(c, url) : NULL;
	if (why)
		form_message(&f, "url", why);
	struct buf lit = BUF_INIT;
	buf_putc(&lit, '{');
	int any = 0;
	for (int i = 0; i < 3; i++)
		if (form_checkbox(&f, c->req, boxes[i], 0)) {
			db_array_item(&lit, webhook_events[i]);
			any = 1;
		}
	buf_putc(&lit, '}');
	if (!any)
		form_message(&f, "events", "Choose at least one event.");
	if (f.nerrors) {
		buf_free(&lit);
		return list_page(c, 422, &f);
	}
	char secret[WEBHOOK_SECRET_LEN + 1];
	long id = db_begin() == 0 ? webhook_create(c, url, lit.data, c->staff.user_id, 0, secret, sizeof secret) : -1;
	struct json_object *after = json_object_new_object();
	json_object_object_add(after, "id", json_object_new_int64(id));
	json_object_object_add(after, "url", json_object_new_string(url));
	json_object_object_add(after, "events", json_object_new_string(lit.data));
	buf_free(&lit);
	form_free(&f);
	if (id < 0 || admin_audit(c, "webhook_create", NULL, NULL, after) < 0 || db_commit() < 0) {
		if (id < 0)
			json_object_put(after);
		db_rollback();
		OPENSSL_cleanse(secret, sizeof secret);
		return 500;
	}
	int rc = secret_page(c, id, url, secret, 0);
	OPENSSL_cleanse(secret, sizeof secret);
	return rc;
}

int admin_webhook_page(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	const char *p[1] = {admin_idstr(c, id)};
	PGresult *r = db_exec("admin_webhook_head", 1, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return r ? 404 : 500;
	}
	struct json_object *page = admin_page_new(c, "Webhook", "webhooks");
	json_object_object_add(page, "webhook", db_row_json(r, 0));
	PQclear(r);
	r = db_exec("admin_webhook_deliveries", 1, p);
	if (!r) {
		json_object_put(page);
		return 500;
	}
	struct json_object *rows = db_rows_json(r, -1);
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		struct json_object *row = json_object_array_get_idx(rows, i), *a = NULL;
		if (json_object_object_get_ex(row, "attempts_json", &a)) {
			json_object_object_add(row, "attempt_list", json_tokener_parse(json_object_get_string(a)));
			json_object_object_del(row, "attempts_json");
		}
	}
	json_object_object_add(page, "deliveries", rows);
	json_object_object_add(page, "no_deliveries", json_object_new_boolean(PQntuples(r) == 0));
	PQclear(r);
	return admin_render(c, 200, "admin/webhooks_one", page);
}

/* Opens the transaction and locks the route's webhook: 0 with *before (its record), 404 or 500. */
static int lock(struct ctx *c, const char **id, struct json_object **before)
{
	long n = admin_id(c->caps.v[0]);
	if (!n)
		return 404;
	*id = admin_idstr(c, n);
	char rec[4096];
	const char *p[1] = {*id};
	int got = db_begin() == 0 ? db_exec_value("admin_webhook_lock", 1, p, rec, sizeof rec) : -1;
	if (got != 1) {
		db_rollback();
		return got == 0 ? 404 : 500;
	}
	*before = json_tokener_parse(rec);
	return 0;
}

int admin_webhook_active(struct ctx *c)
{
	const char *v = request_form(c->req, "active");
	if (!v || (strcmp(v, "1") != 0 && strcmp(v, "0") != 0))
		return 400;
	const char *id;
	struct json_object *before;
	int rc = lock(c, &id, &before);
	if (rc)
		return rc;
	const char *p[2] = {id, strcmp(v, "1") == 0 ? "true" : "false"};
	if (db_run("admin_webhook_set_active", 2, p) < 0) {
		json_object_put(before);
		db_rollback();
		return 500;
	}
	struct json_object *after = json_object_new_object();
	json_object_object_add(after, "active", json_object_new_boolean(strcmp(v, "1") == 0));
	return admin_audit_commit(c, "webhook_update", before, after,
				  arena_printf(c->arena, "/admin/webhooks/%s?notice=saved", id));
}

int admin_webhook_delete(struct ctx *c)
{
	const char *id;
	struct json_object *before;
	int rc = lock(c, &id, &before);
	if (rc)
		return rc;
	const char *p[1] = {id};
	if (db_run("admin_webhook_delete", 1, p) < 0) {
		json_object_put(before);
		db_rollback();
		return 500;
	}
	return admin_audit_commit(c, "webhook_delete", before, NULL, "/admin/webhooks?notice=deleted");
}

int admin_webhook_secret(struct ctx *c)
{
	const char *id;
	struct json_object *before;
	int rc = lock(c, &id, &before);
	if (rc)
		return rc;
	char secret[WEBHOOK_SECRET_LEN + 1], url[2100] = "";
	struct json_object *u;
	if (json_object_object_get_ex(before, "url", &u))
		snprintf(url, sizeof url, "%s", json_object_get_string(u));
	if (webhook_secret_new(c, admin_id(id), secret, sizeof secret) < 0) {
		json_object_put(before);
		db_rollback();
		return 500;
	}
	if (admin_audit(c, "webhook_secret_rotate", NULL, before, NULL) < 0 || db_commit() < 0) {
		OPENSSL_cleanse(secret, sizeof secret);
		db_rollback();
		return 500;
	}
	rc = secret_page(c, admin_id(id), url, secret, 1);
	OPENSSL_cleanse(secret, sizeof secret);
	return rc;
}

int admin_webhook_redeliver(struct ctx *c)
{
	long hook = admin_id(c->caps.v[0]), delivery = admin_id(c->caps.v[1]);
	if (!hook || !delivery)
		return 404;
	const char *p[2] = {admin_idstr(c, hook), admin_idstr(c, delivery)};
	char event[64];
	int got = db_begin() == 0 ? db_exec_value("admin_webhook_redeliver", 2, p, event, sizeof event) : -1;
	if (got != 1 || db_run("admin_webhook_notify", 0, NULL) < 0) {
		db_rollback();
		return got == 0 ? 404 : 500;
	}
	struct json_object *after = json_object_new_object();
	json_object_object_add(after, "webhook", json_object_new_int64(hook));
	json_object_object_add(after, "delivery", json_object_new_int64(delivery));
	json_object_object_add(after, "event_id", json_object_new_string(event));
	return admin_audit_commit(c, "webhook_redeliver", NULL, after,
				  arena_printf(c->arena, "/admin/webhooks/%ld?notice=queued", hook));
}
