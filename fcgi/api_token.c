/* api_token.c - no URL: making a JSON API token (the console's token page and the command line
 * share it), and `portal api-token-create NAME SCOPE... [--rate=N] [--inboxes=ID,...]`. */
#include "admin.h"
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "token.h"

const struct db_stmt api_token_stmts[] = {
	{"api_token_insert",
	 "INSERT INTO api_tokens (name, token_sha256, prefix, scopes, inbox_ids, rate_limit, created_by)"
	 " VALUES ($1, $2, $3, $4::text[], $5::bigint[], COALESCE($6::int, 600), $7) RETURNING id",
	 7},
	{NULL, NULL, 0},
};

long api_token_create(const char *name, unsigned scopes, const char *inboxes, int rate_limit,
		      long created_by, char *token_out, size_t cap)
{
	char raw[TOKEN_LEN + 1], hash[TOKEN_HEX_LEN + 1], prefix[16], rate[16], by[24], id[24];
	if (cap < API_TOKEN_LEN + 1 || token_new(raw, sizeof raw) < 0)
		return -1;
	snprintf(token_out, cap, "%s%s", API_TOKEN_PREFIX, raw);
	token_sha256_hex(token_out, hash);
	snprintf(prefix, sizeof prefix, "%.12s", token_out);
	struct buf sc = BUF_INIT;
	buf_putc(&sc, '{');
	for (unsigned i = 0; i < 5; i++)
		if (scopes & (1u << i))
			db_array_item(&sc, api_scope_names[i]);
	buf_putc(&sc, '}');
	snprintf(rate, sizeof rate, "%d", rate_limit);
	snprintf(by, sizeof by, "%ld", created_by);
	const char *p[7] = {name, hash, prefix, sc.data, inboxes, rate_limit > 0 ? rate : NULL, created_by > 0 ? by : NULL};
	int n = db_exec_value("api_token_insert", 7, p, id, sizeof id);
	buf_free(&sc);
	if (n != 1) {
		token_out[0] = '\0';
		return -1;
	}
	return atol(id);
}

static int usage(void)
{
	fprintf(stderr, "usage: PORTAL_CONFIG=portal.json portal api-token-create NAME SCOPE... [--rate=N] "
			"[--inboxes=ID,...]\n  scopes: tickets:read tickets:write contacts:read contacts:write "
			"webhooks:write\n");
	return 2;
}

int api_token_create_main(int argc, char **argv)
{
	if (argc < 4)
		return usage();
	unsigned scopes = 0;
	int rate = 0;
	const char *inboxes = NULL;
	char in_lit[512];
	for (int i = 3; i < argc; i++) {
		if (strncmp(argv[i], "--rate=", 7) == 0) {
			char *end;
			long v = strtol(argv[i] + 7, &end, 10);
			if (*end || v < 1 || v > 1000000)
				return usage();
			rate = (int)v;
		} else if (strncmp(argv[i], "--inboxes=", 10) == 0) {
			const char *s = argv[i] + 10;
			if (strspn(s, "0123456789,") != strlen(s) || strlen(s) > sizeof in_lit - 3)
				return usage();
			snprintf(in_lit, sizeof in_lit, "{%s}", s);
			inboxes = in_lit;
		} else if (api_scope_bit(argv[i])) {
			scopes |= api_scope_bit(argv[i]);
		} else {
			fprintf(stderr, "api-token-create: unknown scope %s\n", argv[i]);
			return usage();
		}
	}
	if (!scopes)
		return usage();
	db_register(api_token_stmts);
	if (db_connect(cfg.database) < 0) {
		fprintf(stderr, "api-token-create: cannot connect to the database (see the log)\n");
		return 1;
	}
	char tok[API_TOKEN_LEN + 1];
	long id = api_token_create(argv[2], scopes, inboxes, rate, 0, tok, sizeof tok);
	db_disconnect();
	if (id < 0) {
		fprintf(stderr, "api-token-create: the database refused the token (name empty or too long?)\n");
		return 1;
	}
	printf("%s\n", tok);
	fprintf(stderr, "token %ld \"%s\" created; it is shown only now\n", id, argv[2]);
	return 0;
}

/* GET /api/v1/token: the token the request carries (any scope): who am I, what may I. */
int api_token_self(struct ctx *c)
{
	struct json_object *o = json_object_new_object(), *sc = json_object_new_array();
	json_object_object_add(o, "id", json_object_new_int64(c->api->id));
	json_object_object_add(o, "name", json_object_new_string(c->api->name));
	for (unsigned i = 0; i < 5; i++)
		if (c->api->scopes & (1u << i))
			json_object_array_add(sc, json_object_new_string(api_scope_names[i]));
	json_object_object_add(o, "scopes", sc);
	json_object_object_add(o, "inbox_ids", api_token_inboxes_json(c, c->api->limited ? c->api->inboxes : NULL));
	json_object_object_add(o, "rate_limit", json_object_new_int64(c->api->rate_limit));
	return api_json(c, 200, o);
}
