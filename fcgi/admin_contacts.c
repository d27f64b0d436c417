/* admin_contacts.c - contacts in the console: list with search, create, the record page (edit,
 * lists, portal login, tickets, timeline) and resending a list invitation. */
#include "admin_crm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct db_stmt admin_contacts_stmts[] = {
	/* --- contacts --- */
	/* keyset on id, newest first; $1 '' or words found in the email or the name */
	{"crm_contacts_page",
	 "SELECT c.id, c.email, c.first_name, c.last_name, coalesce(co.name, ''), coalesce(co.id::text, ''),"
	 " " SQL_UTC("c.created_at", "YYYY-MM-DD")
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
	 " " SQL_UTC("c.created_at", "YYYY-MM-DD HH24:MI")
	 " FROM contacts c LEFT JOIN companies co ON co.id = c.primary_company_id WHERE c.id = $1",
	 1},
	{"crm_contact_lock", "SELECT " CONTACT_JSON " FROM contacts WHERE id = $1 FOR UPDATE", 1},
	{"crm_contact_email_taken",
	 "SELECT id FROM contacts WHERE lower(email) = lower($1) AND id <> coalesce($2::bigint, 0)", 2},
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
	 " coalesce(m.password_hash IS NOT NULL, false), coalesce(" SQL_UTC("m.verified_at", "YYYY-MM-DD HH24:MI") ", ''),"
	 " EXISTS (SELECT 1 FROM member_invitations i WHERE i.portal_id = p.id AND i.contact_id = $2"
	 "   AND i.sent_at IS NULL),"
	 " coalesce((SELECT " SQL_UTC("max(i.sent_at)", "YYYY-MM-DD HH24:MI") " FROM member_invitations i"
	 "   WHERE i.portal_id = p.id AND i.contact_id = $2), '')"
	 " FROM portals p LEFT JOIN members m ON m.portal_id = p.id AND m.contact_id = $2 WHERE p.id = $1",
	 2},
	{"crm_contact_tickets",
	 "SELECT t.id, t.subject, s.name, s.is_closed, " SQL_UTC("t.last_activity_at", "YYYY-MM-DD HH24:MI")
	 " FROM ticket_contacts tc JOIN tickets t ON t.id = tc.ticket_id"
	 " JOIN pipeline_stages s ON s.id = t.stage_id"
	 " WHERE tc.contact_id = $1 ORDER BY tc.ticket_id DESC LIMIT 51",
	 1},
	/* engagements and the messages it wrote that have no engagement of their own, newest first */
	{"crm_contact_timeline",
	 "SELECT " SQL_UTC("x.at", "YYYY-MM-DD HH24:MI") ", x.kind, x.summary, coalesce(x.ticket_id::text, '')"
	 " FROM ((SELECT e.created_at AS at, e.kind, e.summary, e.ticket_id FROM engagements e"
	 "   WHERE e.contact_id = $1 ORDER BY e.created_at DESC LIMIT 51)"
	 "  UNION ALL"
	 "  (SELECT m.created_at, th.channel || '_message', left(m.body, 300), th.ticket_id"
	 "   FROM messages m JOIN threads th ON th.id = m.thread_id WHERE m.author_contact_id = $1"
	 "   AND NOT EXISTS (SELECT 1 FROM engagements e WHERE e.message_id = m.id AND e.contact_id = $1)"
	 "   ORDER BY m.created_at DESC LIMIT 51)) x"
	 " ORDER BY x.at DESC LIMIT 51",
	 1},
	{NULL},
};

/* Companies for the "primary company" select, the chosen one marked (and kept when it is not
 * among the first 1000 by name). */
static void company_options(struct json_object *page, const char *chosen, const char *chosen_name)
{
	struct json_object *arr = json_object_new_array();
	PGresult *r = db_exec("crm_company_options", 0, NULL);
	int found = 0;
	for (int i = 0; r && i < PQntuples(r); i++) {
		struct json_object *o = json_object_new_object();
		crm_put(o, "id", PQgetvalue(r, i, 0));
		crm_put(o, "name", PQgetvalue(r, i, 1));
		int sel = chosen && strcmp(chosen, PQgetvalue(r, i, 0)) == 0;
		found |= sel;
		crm_put_bool(o, "selected", sel);
		json_object_array_add(arr, o);
	}
	PQclear(r);
	if (chosen && *chosen && !found && chosen_name && *chosen_name) {
		struct json_object *o = json_object_new_object();
		crm_put(o, "id", chosen);
		crm_put(o, "name", chosen_name);
		crm_put_bool(o, "selected", 1);
		json_object_array_add(arr, o);
	}
	json_object_object_add(page, "companies", arr);
}

struct contact_in {
	const char *email, *first, *last, *company, *props;
};

/* Validates the contact form into in; returns the number of problems (messages in f). */
static int contact_read(struct ctx *c, struct form *f, long self, struct contact_in *in)
{
	in->email = form_email(f, c->req, "email");
	in->first = form_text(f, c->req, "first_name", 0, CRM_NAME_MAX, 0, 1);
	in->last = form_text(f, c->req, "last_name", 0, CRM_NAME_MAX, 0, 1);
	const char *company = request_form(c->req, "company_id");
	crm_put(f->values, "company_id", company ? company : "");
	in->company = NULL;
	if (company && *company) {
		char name[8];
		const char *p[1] = {company};
		if (!admin_id(company) || db_exec_value("crm_company_exists", 1, p, name, sizeof name) != 1)
			form_message(f, "company_id", "Choose a company from the list.");
		else
			in->company = company;
	}
	const char *props = request_form(c->req, "properties");
	if (props && strlen(props) > 40000) {
		form_message(f, "properties", "The properties are too long.");
		props = NULL;
	}
	crm_put(f->values, "properties", props ? props : "");
	in->props = crm_properties(c, f, "properties", props);
	if (in->email) {
		char other[24];
		const char *p[2] = {in->email, self ? admin_idstr(c, self) : NULL};
		if (db_exec_value("crm_contact_email_taken", 2, p, other, sizeof other) == 1) {
			form_message(f, "email", "Another contact already has this email address.");
			crm_put(f->values, "email_taken_id", other);
		}
	}
	return f->nerrors;
}

int crm_contacts_page(struct ctx *c)
{
	const char *q = crm_query(c), *after = request_query(c->req, "after");
	if (after && !admin_id(after))
		return 400;
	const char *p[2] = {q, after};
	PGresult *r = db_exec("crm_contacts_page", 2, p);
	if (!r)
		return 500;
	struct json_object *page = crm_page_new(c, "Contacts", "contacts");
	struct json_object *rows = json_object_new_array();
	int n = PQntuples(r), shown = n > 50 ? 50 : n;
	for (int i = 0; i < shown; i++) {
		struct json_object *o = json_object_new_object();
		crm_put(o, "id", PQgetvalue(r, i, 0));
		crm_put(o, "email", PQgetvalue(r, i, 1));
		const char *name = arena_printf(c->arena, "%s %s", PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
		crm_put(o, "name", strcmp(name, " ") ? name : "");
		crm_put(o, "company", PQgetvalue(r, i, 4));
		crm_put(o, "company_id", PQgetvalue(r, i, 5));
		crm_put(o, "created", PQgetvalue(r, i, 6));
		json_object_array_add(rows, o);
	}
	if (n > 50)
		crm_put(page, "next_url", crm_next_url(c, "/admin/contacts", q, PQgetvalue(r, 49, 0)));
	PQclear(r);
	json_object_object_add(page, "rows", rows);
	crm_put_bool(page, "empty", shown == 0);
	crm_put_bool(page, "paged", after != NULL);
	crm_put(page, "q", q);
	return admin_render(c, 200, "admin/crm_contacts", page);
}

static int render_new(struct ctx *c, int status, struct form *f)
{
	struct json_object *page = crm_page_new(c, "New contact", "contacts");
	const char *chosen = NULL;
	if (f) {
		struct json_object *v;
		if (json_object_object_get_ex(f->values, "company_id", &v))
			chosen = arena_strdup(c->arena, json_object_get_string(v));
		form_to_page(f, page);
	}
	company_options(page, chosen, NULL);
	return admin_render(c, status, "admin/crm_contact_new", page);
}

int crm_contact_new_page(struct ctx *c)
{
	return render_new(c, 200, NULL);
}

int crm_contact_create(struct ctx *c)
{
	struct form f;
	struct contact_in in;
	form_init(&f, "en");
	if (contact_read(c, &f, 0, &in))
		return render_new(c, 422, &f);
	form_free(&f);
	if (db_begin() < 0)
		return 500;
	const char *p[5] = {in.email, in.first, in.last, in.company, in.props};
	PGresult *r = db_exec("crm_contact_insert", 5, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		db_rollback();
		if (strcmp(db_last_sqlstate(), "23505") == 0) { /* created meanwhile by someone else */
			form_init(&f, "en");
			contact_read(c, &f, 0, &in);
			return render_new(c, 422, &f);
		}
		return 500;
	}
	long id = atol(PQgetvalue(r, 0, 0));
	struct json_object *after = crm_json(PQgetvalue(r, 0, 1));
	PQclear(r);
	if (admin_audit(c, "contact_create", NULL, NULL, after) < 0 || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	return page_redirect(c, 303, arena_printf(c->arena, "/admin/contacts/%ld?notice=created", id));
}

/* The portal login of the contact on the configured portal, and whether a resend is offered. */
static int add_access(struct ctx *c, struct json_object *page, const char *cid)
{
	const char *p[2] = {admin_idstr(c, admin_portal_id(c)), cid};
	PGresult *r = db_exec("crm_contact_access", 2, p);
	if (!r)
		return -1;
	struct json_object *a = json_object_new_object();
	if (PQntuples(r) == 1) {
		int lists_mode = strcmp(PQgetvalue(r, 0, 0), "lists") == 0;
		int allowed = PQgetvalue(r, 0, 1)[0] == 't', member = PQgetvalue(r, 0, 2)[0] == 't';
		int registered = PQgetvalue(r, 0, 3)[0] == 't', pending = PQgetvalue(r, 0, 5)[0] == 't';
		const char *sent = PQgetvalue(r, 0, 6);
		crm_put(a, "mode", PQgetvalue(r, 0, 0));
		crm_put_bool(a, "registered", registered);
		crm_put_bool(a, "invited", !registered && (member || pending || *sent));
		crm_put_bool(a, "none", !registered && !member && !pending && !*sent);
		crm_put(a, "verified_at", PQgetvalue(r, 0, 4));
		crm_put_bool(a, "allowed", allowed);
		crm_put_bool(a, "pending", pending);
		crm_put(a, "invitation_sent", sent);
		crm_put_bool(a, "lists_mode", lists_mode);
		crm_put_bool(a, "can_resend", lists_mode && allowed && !registered && !pending);
	}
	PQclear(r);
	json_object_object_add(page, "access", a);
	return 0;
}

static int contact_render(struct ctx *c, long id, int status, struct form *f)
{
	const char *cid = admin_idstr(c, id);
	const char *p[1] = {cid};
	PGresult *r = db_exec("crm_contact_get", 1, p);
	if (!r)
		return 500;
	if (PQntuples(r) != 1) {
		PQclear(r);
		if (f)
			form_free(f);
		return 404;
	}
	const char *email = arena_strdup(c->arena, PQgetvalue(r, 0, 0));
	const char *name = arena_printf(c->arena, "%s %s", PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
	if (strcmp(name, " ") == 0)
		name = "";
	struct json_object *page = crm_page_new(c, *name ? name : email, "contacts");
	struct json_object *ct = json_object_new_object();
	crm_put(ct, "id", cid);
	crm_put(ct, "email", email);
	crm_put(ct, "name", name);
	crm_put(ct, "company_id", PQgetvalue(r, 0, 3));
	crm_put(ct, "company", PQgetvalue(r, 0, 4));
	crm_put(ct, "created", PQgetvalue(r, 0, 6));
	json_object_object_add(page, "contact", ct);
	const char *chosen = arena_strdup(c->arena, PQgetvalue(r, 0, 3));
	const char *chosen_name = arena_strdup(c->arena, PQgetvalue(r, 0, 4));
	if (f) {
		struct json_object *v;
		if (json_object_object_get_ex(f->values, "company_id", &v))
			chosen = arena_strdup(c->arena, json_object_get_string(v));
		form_to_page(f, page);
	} else {
		struct json_object *v = json_object_new_object();
		crm_put(v, "email", email);
		crm_put(v, "first_name", PQgetvalue(r, 0, 1));
		crm_put(v, "last_name", PQgetvalue(r, 0, 2));
		crm_put(v, "company_id", PQgetvalue(r, 0, 3));
		crm_put(v, "properties", PQgetvalue(r, 0, 5));
		json_object_object_add(page, "values", v);
	}
	PQclear(r);
	company_options(page, chosen, chosen_name);

	const char *lp[2] = {cid, admin_idstr(c, admin_portal_id(c))};
	PGresult *rl = db_exec("crm_contact_lists", 2, lp);
	PGresult *rt = db_exec("crm_contact_tickets", 1, p);
	PGresult *re = db_exec("crm_contact_timeline", 1, p);
	int ok = rl && rt && re && add_access(c, page, cid) == 0;
	if (ok) {
		struct json_object *lists = json_object_new_array();
		for (int i = 0; i < PQntuples(rl); i++) {
			struct json_object *o = json_object_new_object();
			crm_put(o, "id", PQgetvalue(rl, i, 0));
			crm_put(o, "name", PQgetvalue(rl, i, 1));
			crm_put_bool(o, "grants", PQgetvalue(rl, i, 2)[0] == 't');
			json_object_array_add(lists, o);
		}
		json_object_object_add(page, "lists", lists);
		crm_put_bool(page, "has_lists", PQntuples(rl) > 0);
		crm_ticket_rows(page, "tickets", rt);
		crm_put_bool(page, "more_tickets", PQntuples(rt) > 50);
		struct json_object *tl = json_object_new_array();
		int n = PQntuples(re);
		for (int i = 0; i < n && i < 50; i++) {
			struct json_object *o = json_object_new_object();
			crm_put(o, "at", PQgetvalue(re, i, 0));
			char *kind = arena_strdup(c->arena, PQgetvalue(re, i, 1));
			for (char *k = kind; k && *k; k++)
				if (*k == '_')
					*k = ' ';
			crm_put(o, "kind", kind);
			crm_put(o, "summary", PQgetvalue(re, i, 2));
			crm_put(o, "ticket_id", PQgetvalue(re, i, 3));
			json_object_array_add(tl, o);
		}
		json_object_object_add(page, "timeline", tl);
		crm_put_bool(page, "has_timeline", n > 0);
		crm_put_bool(page, "more_timeline", n > 50);
	}
	PQclear(rl);
	PQclear(rt);
	PQclear(re);
	if (!ok) {
		json_object_put(page);
		return 500;
	}
	return admin_render(c, status, "admin/crm_contact", page);
}

int crm_contact_page(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	return id ? contact_render(c, id, 200, NULL) : 404;
}

int crm_contact_update(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	struct form f;
	struct contact_in in;
	form_init(&f, "en");
	if (contact_read(c, &f, id, &in))
		return contact_render(c, id, 422, &f);
	if (db_begin() < 0) {
		form_free(&f);
		return 500;
	}
	const char *cid = admin_idstr(c, id);
	const char *lp[1] = {cid};
	PGresult *r = db_exec("crm_contact_lock", 1, lp);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		db_rollback();
		form_free(&f);
		return r ? 404 : 500;
	}
	struct json_object *before = crm_json(PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *p[6] = {cid, in.email, in.first, in.last, in.company, in.props};
	r = db_exec("crm_contact_update", 6, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		json_object_put(before);
		db_rollback();
		if (strcmp(db_last_sqlstate(), "23505") == 0) {
			form_message(&f, "email", "Another contact already has this email address.");
			return contact_render(c, id, 422, &f);
		}
		form_free(&f);
		return 500;
	}
	form_free(&f);
	struct json_object *after = crm_json(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (admin_audit(c, "contact_update", NULL, before, after) < 0 || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	return page_redirect(c, 303, arena_printf(c->arena, "/admin/contacts/%ld?saved=1", id));
}

int crm_contact_resend(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	const char *cid = admin_idstr(c, id);
	const char *lp[1] = {cid};
	if (db_begin() < 0)
		return 500;
	PGresult *r = db_exec("crm_contact_lock", 1, lp);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		db_rollback();
		return r ? 404 : 500;
	}
	struct json_object *who = crm_json(PQgetvalue(r, 0, 0));
	PQclear(r);
	char queued[8] = "";
	const char *p[2] = {admin_idstr(c, admin_portal_id(c)), cid};
	if (db_exec_value("crm_resend", 2, p, queued, sizeof queued) != 1) {
		json_object_put(who);
		db_rollback();
		return 500;
	}
	struct json_object *after = json_object_new_object();
	json_object_object_add(after, "contact_id", json_object_new_int64(id));
	struct json_object *em;
	if (who && json_object_object_get_ex(who, "email", &em))
		json_object_object_add(after, "email", json_object_get(em));
	json_object_put(who);
	if (queued[0] != 't')
		json_object_put(after);
	else if (admin_audit(c, "invitation_resend", NULL, NULL, after) < 0) {
		db_rollback();
		return 500;
	}
	if (db_commit() < 0)
		return 500;
	return page_redirect(c, 303, arena_printf(c->arena, "/admin/contacts/%ld?notice=%s", id,
						  queued[0] == 't' ? "invited" : "not_invited"));
}
