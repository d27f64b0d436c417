/* admin_crm.c - CRM pages of the console: the one statement table and route table of contacts,
 * companies, lists and the CSV import (handlers in admin_crm_*.c), and the helpers they share. */
#include "admin_crm.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* before/after values of the audit log */
#define CONTACT_JSON                                                                       \
	"jsonb_build_object('email', email, 'first_name', first_name, 'last_name', last_name," \
	" 'primary_company_id', primary_company_id, 'properties', properties)::text"
#define COMPANY_JSON "jsonb_build_object('name', name, 'domain', domain, 'properties', properties)::text"
#define PROPS_LINES \
	"coalesce((SELECT string_agg(key || ': ' || value, E'\\n' ORDER BY key) FROM jsonb_each_text(properties)), '')"
#define UTC(col, fmt) "to_char(" col " AT TIME ZONE 'UTC', '" fmt "')"

const struct db_stmt admin_crm_stmts[] = {
	/* --- contacts --- */
	/* keyset on id, newest first; $1 '' or words found in the email or the name */
	{"crm_contacts_page",
	 "SELECT c.id, c.email, c.first_name, c.last_name, coalesce(co.name, ''), coalesce(co.id::text, ''),"
	 " " UTC("c.created_at", "YYYY-MM-DD")
	 " FROM contacts c LEFT JOIN companies co ON co.id = c.primary_company_id"
	 " WHERE ($2::bigint IS NULL OR c.id < $2)"
	 "  AND ($1 = '' OR strpos(lower(c.email), lower($1)) > 0"
	 "       OR strpos(lower(c.first_name || ' ' || c.last_name), lower($1)) > 0)"
	 " ORDER BY c.id DESC LIMIT 51",
	 2},
	{"crm_contact_get",
	 "SELECT c.email, c.first_name, c.last_name, coalesce(c.primary_company_id::text, ''),"
	 " coalesce(co.name, ''),"
	 " coalesce((SELECT string_agg(key || ': ' || value, E'\\n' ORDER BY key)"
	 "   FROM jsonb_each_text(c.properties)), ''),"
	 " " UTC("c.created_at", "YYYY-MM-DD HH24:MI")
	 " FROM contacts c LEFT JOIN companies co ON co.id = c.primary_company_id WHERE c.id = $1",
	 1},
	{"crm_contact_lock", "SELECT " CONTACT_JSON " FROM contacts WHERE id = $1 FOR UPDATE", 1},
	{"crm_contact_email_taken",
	 "SELECT id FROM contacts WHERE lower(email) = lower($1) AND id <> coalesce($2::bigint, 0)", 2},
	{"crm_contact_insert",
	 "INSERT INTO contacts (email, first_name, last_name, primary_company_id, properties)"
	 " VALUES ($1, $2, $3, $4::bigint, $5::jsonb) RETURNING id, " CONTACT_JSON,
	 5},
	{"crm_contact_update",
	 "UPDATE contacts SET email = $2, first_name = $3, last_name = $4, primary_company_id = $5::bigint,"
	 " properties = $6::jsonb WHERE id = $1 RETURNING " CONTACT_JSON,
	 6},
	{"crm_company_exists", "SELECT name FROM companies WHERE id = $1", 1},
	{"crm_company_options", "SELECT id, name FROM companies ORDER BY lower(name), id LIMIT 1000", 0},
	{"crm_contact_lists",
	 "SELECT l.id, l.name, EXISTS (SELECT 1 FROM portal_lists pl WHERE pl.list_id = l.id AND pl.portal_id = $2)"
	 " FROM list_members lm JOIN lists l ON l.id = lm.list_id WHERE lm.contact_id = $1"
	 " ORDER BY lower(l.name) LIMIT 200",
	 2},
	/* the contact's login to this portal */
	{"crm_contact_access",
	 "SELECT p.access_mode, coalesce(portal_contact_allowed(p.id, $2), false), m.id IS NOT NULL,"
	 " coalesce(m.password_hash IS NOT NULL, false), coalesce(" UTC("m.verified_at", "YYYY-MM-DD HH24:MI") ", ''),"
	 " EXISTS (SELECT 1 FROM member_invitations i WHERE i.portal_id = p.id AND i.contact_id = $2"
	 "   AND i.sent_at IS NULL),"
	 " coalesce((SELECT " UTC("max(i.sent_at)", "YYYY-MM-DD HH24:MI") " FROM member_invitations i"
	 "   WHERE i.portal_id = p.id AND i.contact_id = $2), '')"
	 " FROM portals p LEFT JOIN members m ON m.portal_id = p.id AND m.contact_id = $2 WHERE p.id = $1",
	 2},
	{"crm_contact_tickets",
	 "SELECT t.id, t.subject, s.name, s.is_closed, " UTC("t.last_activity_at", "YYYY-MM-DD HH24:MI")
	 " FROM ticket_contacts tc JOIN tickets t ON t.id = tc.ticket_id"
	 " JOIN pipeline_stages s ON s.id = t.stage_id"
	 " WHERE tc.contact_id = $1 ORDER BY tc.ticket_id DESC LIMIT 51",
	 1},
	/* engagements and the messages it wrote that have no engagement of their own, newest first */
	{"crm_contact_timeline",
	 "SELECT " UTC("x.at", "YYYY-MM-DD HH24:MI") ", x.kind, x.summary, coalesce(x.ticket_id::text, '')"
	 " FROM ((SELECT e.created_at AS at, e.kind, e.summary, e.ticket_id FROM engagements e"
	 "   WHERE e.contact_id = $1 ORDER BY e.created_at DESC LIMIT 51)"
	 "  UNION ALL"
	 "  (SELECT m.created_at, th.channel || '_message', left(m.body, 300), th.ticket_id"
	 "   FROM messages m JOIN threads th ON th.id = m.thread_id WHERE m.author_contact_id = $1"
	 "   AND NOT EXISTS (SELECT 1 FROM engagements e WHERE e.message_id = m.id AND e.contact_id = $1)"
	 "   ORDER BY m.created_at DESC LIMIT 51)) x"
	 " ORDER BY x.at DESC LIMIT 51",
	 1},
	{"crm_resend", "SELECT portal_resend_invitation($1, $2)", 2},

	/* --- companies --- */
	/* keyset on (lower(name), id) after the company $2 */
	{"crm_companies_page",
	 "SELECT co.id, co.name, coalesce(co.domain, ''),"
	 " (SELECT count(*) FROM contacts c WHERE c.primary_company_id = co.id)"
	 " FROM companies co"
	 " WHERE ($1 = '' OR strpos(lower(co.name), lower($1)) > 0 OR strpos(coalesce(co.domain, ''), lower($1)) > 0)"
	 "  AND ($2::bigint IS NULL OR (lower(co.name), co.id) >"
	 "       (SELECT lower(name), id FROM companies WHERE id = $2))"
	 " ORDER BY lower(co.name), co.id LIMIT 51",
	 2},
	{"crm_company_get",
	 "SELECT name, coalesce(domain, ''), " PROPS_LINES ", " UTC("created_at", "YYYY-MM-DD HH24:MI")
	 " FROM companies WHERE id = $1",
	 1},
	{"crm_company_lock", "SELECT " COMPANY_JSON " FROM companies WHERE id = $1 FOR UPDATE", 1},
	{"crm_company_domain_taken",
	 "SELECT name FROM companies WHERE lower(domain) = lower($1) AND id <> coalesce($2::bigint, 0)", 2},
	{"crm_company_insert",
	 "INSERT INTO companies (name, domain, properties) VALUES ($1, nullif($2, ''), $3::jsonb)"
	 " RETURNING id, " COMPANY_JSON,
	 3},
	{"crm_company_update",
	 "UPDATE companies SET name = $2, domain = nullif($3, ''), properties = $4::jsonb WHERE id = $1"
	 " RETURNING " COMPANY_JSON,
	 4},
	{"crm_company_contacts",
	 "SELECT id, email, first_name, last_name FROM contacts WHERE primary_company_id = $1"
	 " ORDER BY id LIMIT 101",
	 1},
	{"crm_company_tickets",
	 "SELECT t.id, t.subject, s.name, s.is_closed, " UTC("t.last_activity_at", "YYYY-MM-DD HH24:MI")
	 " FROM ticket_companies tc JOIN tickets t ON t.id = tc.ticket_id"
	 " JOIN pipeline_stages s ON s.id = t.stage_id"
	 " WHERE tc.company_id = $1 ORDER BY tc.ticket_id DESC LIMIT 51",
	 1},
	{"crm_company_by_name", "SELECT id FROM companies WHERE lower(name) = lower($1) ORDER BY id LIMIT 1", 1},

	/* --- lists --- */
	/* keyset on lower(name) (unique) after the list $2; the portals each list grants access to */
	{"crm_lists_page",
	 "SELECT l.id, l.name, (SELECT count(*) FROM list_members lm WHERE lm.list_id = l.id),"
	 " coalesce((SELECT string_agg(p.name || CASE p.access_mode WHEN 'lists' THEN ''"
	 "     WHEN 'sso' THEN CASE p.sso_audience WHEN 'lists' THEN ' (SSO audience)' ELSE ' (not in use)' END"
	 "     ELSE ' (not in use)' END, ', ' ORDER BY p.name)"
	 "   FROM portal_lists pl JOIN portals p ON p.id = pl.portal_id WHERE pl.list_id = l.id), '')"
	 " FROM lists l"
	 " WHERE ($2::bigint IS NULL OR lower(l.name) > (SELECT lower(name) FROM lists WHERE id = $2))"
	 "  AND ($1 = '' OR strpos(lower(l.name), lower($1)) > 0)"
	 " ORDER BY lower(l.name) LIMIT 51",
	 2},
	/* name, members, created, grants access to this portal ($2), that portal is in lists mode */
	{"crm_list_get",
	 "SELECT l.name, (SELECT count(*) FROM list_members lm WHERE lm.list_id = l.id),"
	 " " UTC("l.created_at", "YYYY-MM-DD HH24:MI") ","
	 " EXISTS (SELECT 1 FROM portal_lists pl WHERE pl.list_id = l.id AND pl.portal_id = $2),"
	 " coalesce((SELECT access_mode = 'lists' FROM portals WHERE id = $2), false),"
	 " coalesce((SELECT string_agg(p.name, ', ' ORDER BY p.name) FROM portal_lists pl"
	 "   JOIN portals p ON p.id = pl.portal_id WHERE pl.list_id = l.id), '')"
	 " FROM lists l WHERE l.id = $1",
	 2},
	{"crm_list_lock",
	 "SELECT jsonb_build_object('name', name, 'members',"
	 " (SELECT count(*) FROM list_members lm WHERE lm.list_id = lists.id))::text"
	 " FROM lists WHERE id = $1 FOR UPDATE",
	 1},
	{"crm_list_name_taken",
	 "SELECT id FROM lists WHERE lower(name) = lower($1) AND id <> coalesce($2::bigint, 0)", 2},
	{"crm_list_insert", "INSERT INTO lists (name) VALUES ($1) RETURNING id", 1},
	{"crm_list_rename", "UPDATE lists SET name = $2 WHERE id = $1", 2},
	{"crm_list_delete", "DELETE FROM lists WHERE id = $1", 1},
	{"crm_list_by_name", "SELECT id FROM lists WHERE lower(name) = lower($1)", 1},
	/* keyset on contact id; $2 the portal whose login status is shown */
	{"crm_list_members",
	 "SELECT c.id, c.email, c.first_name, c.last_name, " UTC("lm.added_at", "YYYY-MM-DD") ","
	 " coalesce(m.password_hash IS NOT NULL, false), m.id IS NOT NULL,"
	 " EXISTS (SELECT 1 FROM member_invitations i WHERE i.portal_id = $2 AND i.contact_id = c.id"
	 "   AND i.sent_at IS NULL)"
	 " FROM list_members lm JOIN contacts c ON c.id = lm.contact_id"
	 " LEFT JOIN members m ON m.portal_id = $2 AND m.contact_id = c.id"
	 " WHERE lm.list_id = $1 AND ($3::bigint IS NULL OR lm.contact_id > $3)"
	 " ORDER BY lm.contact_id LIMIT 51",
	 3},
	{"crm_contact_by_email", "SELECT id, email FROM contacts WHERE lower(email) = lower($1)", 1},
	{"crm_member_add",
	 "INSERT INTO list_members (list_id, contact_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
	 " RETURNING contact_id",
	 2},
	/* did the trigger queue an invitation in this transaction (now() is its start)? */
	{"crm_invited_now",
	 "SELECT EXISTS (SELECT 1 FROM member_invitations WHERE contact_id = $1 AND requested_at = now()"
	 " AND sent_at IS NULL)",
	 1},
	{"crm_member_exists", "SELECT 1 FROM list_members WHERE list_id = $1 AND contact_id = $2", 2},
	{"crm_member_remove",
	 "DELETE FROM list_members lm USING contacts c WHERE lm.list_id = $1 AND lm.contact_id = $2"
	 " AND c.id = lm.contact_id RETURNING c.email",
	 2},

	/* --- CSV import --- */
	{"crm_import_find", "SELECT id, " CONTACT_JSON " FROM contacts WHERE lower(email) = lower($1) FOR UPDATE", 1},
	/* empty values keep what is there; no row back when nothing changes */
	{"crm_import_update",
	 "UPDATE contacts SET first_name = CASE WHEN $2 = '' THEN first_name ELSE $2 END,"
	 " last_name = CASE WHEN $3 = '' THEN last_name ELSE $3 END,"
	 " primary_company_id = coalesce($4::bigint, primary_company_id)"
	 " WHERE id = $1 AND (first_name, last_name, primary_company_id) IS DISTINCT FROM"
	 "  (CASE WHEN $2 = '' THEN first_name ELSE $2 END, CASE WHEN $3 = '' THEN last_name ELSE $3 END,"
	 "   coalesce($4::bigint, primary_company_id))"
	 " RETURNING " CONTACT_JSON,
	 4},
	{"crm_import_save",
	 "INSERT INTO contact_imports (staff_user_id, file_name, created_count, updated_count,"
	 " unchanged_count, rejected, ignored_columns) VALUES ($1, $2, $3, $4, $5, $6::jsonb,"
	 "  ARRAY(SELECT jsonb_array_elements_text($7::jsonb)))"
	 " RETURNING id",
	 7},
	{"crm_import_get",
	 "SELECT i.file_name, i.created_count, i.updated_count, i.unchanged_count, i.rejected::text,"
	 " array_to_string(i.ignored_columns, ', '), " UTC("i.created_at", "YYYY-MM-DD HH24:MI") ","
	 " coalesce(u.email, '') FROM contact_imports i LEFT JOIN staff_users u ON u.id = i.staff_user_id"
	 " WHERE i.id = $1",
	 1},
	{NULL, NULL, 0},
};

const struct route admin_crm_routes[] = {
	{HTTP_GET, "/admin/contacts", crm_contacts_page, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/contacts/new", crm_contact_new_page, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/contacts/new", crm_contact_create, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/contacts/import", crm_import_page, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/contacts/import", crm_import_submit, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/contacts/import/<id>", crm_import_report, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/contacts/<id>", crm_contact_page, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/contacts/<id>", crm_contact_update, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/contacts/<id>/resend", crm_contact_resend, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/companies", crm_companies_page, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/companies/new", crm_company_new_page, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/companies/new", crm_company_create, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/companies/<id>", crm_company_page, AUTH_STAFF, 0},
	{HTTP_POST, "/admin/companies/<id>", crm_company_update, AUTH_STAFF, 0},
	{HTTP_GET, "/admin/lists", crm_lists_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/lists", crm_list_create, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/lists/<id>", crm_list_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/lists/<id>/rename", crm_list_rename, AUTH_ADMIN, 0},
	{HTTP_GET, "/admin/lists/<id>/delete", crm_list_delete_page, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/lists/<id>/delete", crm_list_delete, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/lists/<id>/members", crm_list_member_add, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/lists/<id>/members/<id>/remove", crm_list_member_remove, AUTH_ADMIN, 0},
	{HTTP_POST, "/admin/lists/<id>/members/<id>/resend", crm_list_member_resend, AUTH_ADMIN, 0},
	{0},
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
