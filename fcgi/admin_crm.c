/* admin_crm.c - CRM pages of the console: the one statement table and route table of contacts,
 * companies, lists and the CSV import (handlers in admin_crm_*.c), and the helpers they share. */
#include "admin_crm.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>


const struct db_stmt admin_crm_stmts[] = {
	{"crm_contact_insert",
	 "INSERT INTO contacts (email, first_name, last_name, primary_company_id, properties)"
	 " VALUES ($1, $2, $3, $4::bigint, $5::jsonb) RETURNING id, " CONTACT_JSON,
	 5},
	{"crm_resend", "SELECT portal_resend_invitation($1, $2)", 2},
	{"crm_company_insert",
	 "INSERT INTO companies (name, domain, properties) VALUES ($1, nullif($2, ''), $3::jsonb)"
	 " RETURNING id, " COMPANY_JSON,
	 3},
	{"crm_member_add",
	 "INSERT INTO list_members (list_id, contact_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
	 " RETURNING contact_id",
	 2},
	{NULL, NULL, 0},
};

static const struct {
	const char *word, *text;
} crm_notices[] = {
	{"invited", "Invitation queued: the contact will get a registration email shortly."},
	{"not_invited", "No invitation was queued: the contact already has a login here, one is still waiting to be sent, or the contact may not enter this portal."},
	{"added", "Contact added to the list."},
	{"removed", "Contact removed from the list."},
	{"renamed", "List renamed."},
};

struct json_object *crm_page_new(struct ctx *c, const char *title, const char *section)
{
	struct json_object *page = admin_page_new(c, title, section);
	const char *w = request_query(c->req, "notice");
	for (size_t i = 0; w && i < sizeof crm_notices / sizeof crm_notices[0]; i++)
		if (strcmp(w, crm_notices[i].word) == 0)
			crm_put(page, "notice", crm_notices[i].text);
	return page;
}

struct json_object *crm_json(const char *text)
{
	return text ? json_tokener_parse(text) : NULL;
}

void crm_put(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val ? val : ""));
}

void crm_put_bool(struct json_object *o, const char *key, int val)
{
	json_object_object_add(o, key, json_object_new_boolean(val));
}

static int prop_key_ok(const char *k, size_t n)
{
	if (n < 1 || n > 40 || k[0] < 'a' || k[0] > 'z')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return 0;
	return 1;
}

const char *crm_properties(struct ctx *c, struct form *f, const char *field, const char *text)
{
	struct json_object *o = json_object_new_object();
	const char *p = text ? text : "", *msg = NULL;
	int line = 0;
	while (*p && !msg) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		line++;
		char *l = arena_strndup(c->arena, p, n);
		p += n + (eol ? 1 : 0);
		if (!l) {
			msg = "Out of memory.";
			break;
		}
		while (*l == ' ' || *l == '\t')
			l++;
		size_t len = strlen(l);
		while (len && (l[len - 1] == ' ' || l[len - 1] == '\t' || l[len - 1] == '\r'))
			l[--len] = '\0';
		if (!len)
			continue;
		char *colon = strchr(l, ':');
		if (!colon) {
			msg = arena_printf(c->arena, "Line %d: write each property as \"key: value\".", line);
			break;
		}
		size_t klen = (size_t)(colon - l);
		while (klen && (l[klen - 1] == ' ' || l[klen - 1] == '\t'))
			klen--;
		l[klen] = '\0';
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (!prop_key_ok(l, klen))
			msg = arena_printf(c->arena, "Line %d: a key starts with a lower-case letter and holds only a-z, 0-9 and _ (at most 40).", line);
		else if (json_object_object_get_ex(o, l, NULL))
			msg = arena_printf(c->arena, "Line %d: the key %s appears twice.", line, l);
		else if (utf8_length(v) > 500)
			msg = arena_printf(c->arena, "Line %d: a value may have at most 500 characters.", line);
		else if (json_object_object_length(o) >= 50)
			msg = "At most 50 properties.";
		else
			json_object_object_add(o, l, json_object_new_string(v));
	}
	const char *out = msg ? NULL : arena_strdup(c->arena, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	if (msg)
		form_message(f, field, msg);
	return out;
}

const char *crm_domain(struct form *f, const char *field, const char *raw)
{
	static char buf[256];
	size_t n = 0;
	const char *p = raw ? raw : "";
	while (*p == ' ' || *p == '\t')
		p++;
	for (; *p && n < sizeof buf - 1; p++)
		buf[n++] = (char)tolower((unsigned char)*p);
	while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	if (n == 0)
		return "";
	if (*p || host_name_problem(buf)) {
		form_message(f, field, "Enter a host name such as example.com (letters, digits, hyphens and dots), or leave it empty.");
		return NULL;
	}
	return buf;
}

const char *crm_next_url(struct ctx *c, const char *base, const char *q, const char *after)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, base);
	buf_puts(&b, "?");
	if (q && *q) {
		buf_puts(&b, "q=");
		buf_urlenc(&b, q, strlen(q));
		buf_puts(&b, "&");
	}
	buf_puts(&b, "after=");
	buf_urlenc(&b, after, strlen(after));
	const char *s = arena_strdup(c->arena, b.data ? b.data : "");
	buf_free(&b);
	return s;
}

const char *crm_query(struct ctx *c)
{
	const char *q = request_query(c->req, "q");
	if (!q)
		return "";
	while (*q == ' ' || *q == '\t')
		q++;
	size_t n = strlen(q);
	if (n > 100) {
		n = 100;
		while (n && ((unsigned char)q[n] & 0xC0) == 0x80)
			n--; /* not in the middle of a character */
	}
	while (n && (q[n - 1] == ' ' || q[n - 1] == '\t'))
		n--;
	const char *s = arena_strndup(c->arena, q, n);
	return s ? s : "";
}

void crm_ticket_rows(struct json_object *page, const char *key, PGresult *r)
{
	struct json_object *arr = json_object_new_array();
	int n = r ? PQntuples(r) : 0;
	for (int i = 0; i < n && i < 50; i++) {
		struct json_object *o = json_object_new_object();
		crm_put(o, "id", PQgetvalue(r, i, 0));
		crm_put(o, "subject", PQgetvalue(r, i, 1));
		crm_put(o, "stage", PQgetvalue(r, i, 2));
		crm_put_bool(o, "closed", PQgetvalue(r, i, 3)[0] == 't');
		crm_put(o, "last_activity", PQgetvalue(r, i, 4));
		json_object_array_add(arr, o);
	}
	json_object_object_add(page, key, arr);
	char has[64];
	snprintf(has, sizeof has, "has_%s", key);
	crm_put_bool(page, has, n > 0);
}
