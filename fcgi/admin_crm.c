/* admin_crm.c - what the CRM pages of the console share (contacts, companies, lists, the CSV
 * import): the statements two of their files run, the CRM notices, the keyset index, rows of a
 * record's related lists, the record a form page's decorate hook shows, uniqueness checks, custom
 * properties, and lock / audit + commit / resend for the actions that are not form pages. */
#include "admin_crm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

const struct db_stmt admin_crm_stmts[] = {
	{"crm_contact_insert",
	 "INSERT INTO contacts (email, first_name, last_name, primary_company_id, properties)"
	 " VALUES ($1, $2, $3, nullif($4, '')::bigint, $5::jsonb) RETURNING id, " CONTACT_JSON " AS state",
	 5},
	{"crm_resend", "SELECT portal_resend_invitation($1, $2)", 2},
	{"crm_company_insert",
	 "INSERT INTO companies (name, domain, properties) VALUES ($1, nullif($2, ''), $3::jsonb)"
	 " RETURNING id, " COMPANY_JSON " AS state",
	 3},
	{"crm_member_add",
	 "INSERT INTO list_members (list_id, contact_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
	 " RETURNING contact_id",
	 2},
	{NULL, NULL, 0},
};

/* The search words of ?q= trimmed, at most 100 bytes; "" when none (SQL lower-cases them). */
static const char *crm_query(struct ctx *c)
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

int crm_index(struct ctx *c, struct json_object *page, const char *stmt, const char *url)
{
	struct pager pg;
	if (pager_read(c, "after", "", &pg) < 0)
		return 400;
	const char *q = crm_query(c);
	const char *p[2] = {q, pg.id};
	PGresult *r = db_exec(stmt, 2, p);
	if (!r)
		return 500;
	if (*q) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s?q=", url);
		buf_urlenc(&b, q, strlen(q));
		url = arena_strdup(c->arena, b.data ? b.data : url);
		buf_free(&b);
	}
	pager_next(c, &pg, page, r, url, "after", -1, PQfnumber(r, "id"));
	json_object_object_add(page, "rows", db_rows_json(r, pg.shown));
	PQclear(r);
	json_object_object_add(page, "empty", json_object_new_boolean(pg.shown == 0));
	json_object_object_add(page, "paged", json_object_new_boolean(pg.id != NULL));
	json_object_object_add(page, "q", json_object_new_string(q));
	return 0;
}

int crm_index_page(struct ctx *c, const char *title, const char *section, const char *stmt,
		   const char *url)
{
	struct json_object *page = admin_page_new(c, title, section);
	int rc = crm_index(c, page, stmt, url);
	if (rc) {
		json_object_put(page);
		return rc;
	}
	return admin_render(c, 200, arena_printf(c->arena, "admin/crm_%s", section), page);
}

void crm_rows(struct json_object *page, const char *key, PGresult *r, int max)
{
	char name[64];
	int n = PQntuples(r);
	json_object_object_add(page, key, db_rows_json(r, max));
	snprintf(name, sizeof name, "has_%s", key);
	json_object_object_add(page, name, json_object_new_boolean(n > 0));
	snprintf(name, sizeof name, "more_%s", key);
	json_object_object_add(page, name, json_object_new_boolean(n > max));
}

int crm_record(struct ctx *c, const struct form_page *fp, PGresult **row, PGresult **own)
{
	*own = NULL;
	if (*row)
		return 0;
	const char *p[1] = {admin_idstr(c, admin_id(c->caps.v[0]))};
	PGresult *r = db_exec(fp->load, 1, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return r ? 404 : 500;
	}
	*row = *own = r;
	return 0;
}

int crm_taken(struct ctx *c, const char *stmt, const char *value, char *out, size_t cap)
{
	long self = c->caps.n > 0 ? admin_id(c->caps.v[0]) : 0;
	const char *p[2] = {value, self ? admin_idstr(c, self) : NULL};
	return db_exec_value(stmt, 2, p, out, cap);
}

int crm_property_key_ok(const char *k, size_t n)
{
	if (n < 1 || n > CRM_PROP_KEY_MAX || k[0] < 'a' || k[0] > 'z')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return 0;
	return 1;
}

const char *crm_property_problem(const char *key, const char *value)
{
	if (!crm_property_key_ok(key, strlen(key)))
		return "a key starts with a lower-case letter and holds only a-z, 0-9 and _ (at most 40).";
	if (utf8_length(value) > CRM_PROP_VALUE_MAX)
		return "a value may have at most 500 characters.";
	return NULL;
}

const char *crm_properties(struct ctx *c, struct form *f, const char *field, const char *text)
{
	if (text && strlen(text) > 40000) {
		json_object_object_add(f->values, field, json_object_new_string(""));
		form_message(f, field, "The properties are too long.");
		return NULL;
	}
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
		const char *why = crm_property_problem(l, v);
		if (why)
			msg = arena_printf(c->arena, "Line %d: %s", line, why);
		else if (json_object_object_get_ex(o, l, NULL))
			msg = arena_printf(c->arena, "Line %d: the key %s appears twice.", line, l);
		else if (json_object_object_length(o) >= CRM_PROPS_MAX)
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

int crm_lock(const char *stmt, const char *id, PGresult **row)
{
	if (db_begin() < 0)
		return 500;
	const char *p[1] = {id};
	PGresult *r = db_exec(stmt, 1, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		db_rollback();
		return r ? 404 : 500;
	}
	*row = r;
	return 0;
}

struct json_object *crm_member_json(const char *list, const char *contact, const char *email)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "list", json_object_new_string(list));
	json_object_object_add(o, "contact_id", json_object_new_int64(atol(contact)));
	json_object_object_add(o, "email", json_object_new_string(email));
	return o;
}

int crm_resend_commit(struct ctx *c, const char *contact, const char *email, const char *back)
{
	char queued[8] = "";
	const char *p[2] = {admin_pid(c), contact};
	if (db_exec_value("crm_resend", 2, p, queued, sizeof queued) != 1) {
		db_rollback();
		return 500;
	}
	const char *to = arena_printf(c->arena, "%s?notice=%s", back, queued[0] == 't' ? "invited" : "not_invited");
	if (queued[0] != 't') {
		if (db_commit() < 0)
			return 500;
		return page_redirect(c, 303, to);
	}
	struct json_object *after = json_object_new_object();
	json_object_object_add(after, "contact_id", json_object_new_int64(atol(contact)));
	if (email)
		json_object_object_add(after, "email", json_object_new_string(email));
	return admin_audit_commit(c, "invitation_resend", NULL, after, to);
}
