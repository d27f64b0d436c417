/* ticket_cc.c - copying colleagues in on a ticket: the rules shared by the support form, the
 * reply form and the mail gateway, the ticket page's list, and POST /<slug>/<id>/cc/<contact>/remove
 * (see ticket_cc.h). */
#include "ticket_cc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"

#define CC_MAX_INPUT 2000 /* code points of the field */
#define CC_MAX_CANDIDATES 50
#define CC_STR_(x) #x
#define CC_STR(x) CC_STR_(x) /* a number's digits, inside a statement's text */

/*
 * Design. A CC is a ticket_contacts row with role 'cc'; what it lets the contact do follows from
 * portal_visible_tickets() (sql/functions/portal_visible_tickets.sql): 'shared' lists the
 * ticket, 'all' (the detail, replies, downloads, the signed link, notifications) lets them in,
 * and a removed CC is out again on the next request. conv_recipients (conversation.c) mails
 * every ticket_contacts row, so CCs get the ticket's customer mail. The checks read what the
 * ticket holds in two statements (the context, then each candidate's standing); the writes run
 * in the caller's transaction under a lock of the ticket, and the insert itself takes at most
 * the room left under TICKET_CC_MAX, so two writers at once cannot pass the limit. The ticket
 * page reads its part with the ticket (TICKET_CC_PAGE_COLS): the address alone, never the name
 * the CRM holds, for anyone may type an address and the page must not tell them whose it is.
 */
const struct db_stmt ticket_cc_stmts[] = {
	/* the switches, the requester (the ticket's first, else $3) with the domain the same-domain
	 * rule compares with, the CCs the ticket has, and whether the contact $3 is a requester */
	{"ticket_cc_ctx",
	 "WITH r AS (SELECT coalesce((SELECT x.contact_id FROM ticket_contacts x"
	 "   WHERE x.ticket_id = nullif($2, '')::bigint AND x.role = 'requester'"
	 "   ORDER BY x.contact_id LIMIT 1), nullif($3, '0')::bigint) AS id)"
	 " SELECT p.customer_cc, p.cc_same_domain,"
	 "  coalesce((SELECT lower(co.domain) FROM r JOIN contacts c ON c.id = r.id"
	 "   JOIN companies co ON co.id = c.primary_company_id), '') AS domain,"
	 "  coalesce((SELECT lower(c.email) FROM r JOIN contacts c ON c.id = r.id), '') AS requester,"
	 "  (SELECT count(*) FROM ticket_contacts x WHERE x.ticket_id = nullif($2, '')::bigint AND x.role = 'cc') AS ccs,"
	 "  EXISTS (SELECT 1 FROM ticket_contacts x WHERE x.ticket_id = nullif($2, '')::bigint"
	 "   AND x.contact_id = nullif($3, '0')::bigint AND x.role = 'requester') AS viewer_requester"
	 " FROM portals p WHERE p.id = $1",
	 3},
	/* each candidate: its role on the ticket ('' none), and whether it is one of our addresses
	 * (with or without a +detail) */
	{"ticket_cc_addrs",
	 "SELECT a.addr,"
	 " coalesce((SELECT x.role FROM ticket_contacts x JOIN contacts c ON c.id = x.contact_id"
	 "   WHERE x.ticket_id = nullif($1, '')::bigint AND lower(c.email) = a.addr"
	 "   ORDER BY x.role DESC LIMIT 1), '') AS role,"
	 " EXISTS (SELECT 1 FROM inbox_addresses i"
	 "   WHERE lower(i.address) IN (a.addr, regexp_replace(a.addr, '\\+[^@]*@', '@'))) AS ours"
	 " FROM unnest($2::text[]) WITH ORDINALITY AS a (addr, ord) ORDER BY a.ord",
	 2},
	{"ticket_cc_lock", "SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE", 1},
	{"ticket_cc_add",
	 "WITH a AS (SELECT x AS email, ord FROM unnest($2::text[]) WITH ORDINALITY AS u (x, ord)),"
	 " room AS (SELECT greatest(0, " CC_STR(TICKET_CC_MAX) " - count(*)) AS n FROM ticket_contacts"
	 "   WHERE ticket_id = $1 AND role = 'cc'),"
	 " pick AS (SELECT a.email FROM a WHERE NOT EXISTS (SELECT 1 FROM ticket_contacts x"
	 "   JOIN contacts c ON c.id = x.contact_id WHERE x.ticket_id = $1 AND lower(c.email) = a.email)"
	 "   ORDER BY a.ord LIMIT (SELECT n FROM room)),"
	 " ct AS (INSERT INTO contacts (email, primary_company_id)"
	 "   SELECT p.email, (SELECT co.id FROM companies co WHERE lower(co.domain) = split_part(p.email, '@', 2))"
	 "   FROM pick p ON CONFLICT ((lower(email))) DO UPDATE SET email = contacts.email RETURNING id, email),"
	 " tc AS (INSERT INTO ticket_contacts (ticket_id, contact_id, role) SELECT $1, ct.id, 'cc' FROM ct"
	 "   ON CONFLICT DO NOTHING RETURNING contact_id),"
	 " e AS (INSERT INTO engagements (kind, contact_id, ticket_id, summary)"
	 "   SELECT 'cc_added', tc.contact_id, $1, ct.email || ' copied in by ' || $3"
	 "   FROM tc JOIN ct ON ct.id = tc.contact_id)"
	 " SELECT count(*) FROM tc",
	 3},
	/* may the session's contact ($2) remove CCs of ticket $3: does it see it, is it a requester */
	{"ticket_cc_may_remove",
	 "SELECT EXISTS (SELECT 1 FROM portal_visible_tickets($1, $2, 'all') t WHERE t.id = $3) AS visible,"
	 " EXISTS (SELECT 1 FROM ticket_contacts WHERE ticket_id = $3 AND contact_id = $2"
	 "   AND role = 'requester') AS requester",
	 3},
	{"ticket_cc_delete",
	 "WITH d AS (DELETE FROM ticket_contacts WHERE ticket_id = $1 AND contact_id = $2 AND role = 'cc'"
	 "   RETURNING contact_id)"
	 " INSERT INTO engagements (kind, contact_id, ticket_id, summary)"
	 " SELECT 'cc_removed', d.contact_id, $1, c.email || ' removed by ' || $3"
	 " FROM d JOIN contacts c ON c.id = d.contact_id RETURNING (SELECT email FROM contacts WHERE id = contact_id)",
	 3},
	{NULL, NULL, 0},
};


/* The ticket's context into cc; *requester the requester's address, *viewer_requester whether
 * contact is a requester of ticket. 0 or -1. */
static int load_ctx(struct ctx *c, const char *ticket, long contact, struct ticket_cc *cc, const char **requester,
		    long *ccs, int *viewer_requester)
{
	const char *p[3] = {arena_printf(c->arena, "%ld", c->portal->id), ticket ? ticket : "",
			    arena_printf(c->arena, "%ld", contact)};
	PGresult *r = db_exec("ticket_cc_ctx", 3, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	cc->on = db_col(r, 0, "customer_cc")[0] == 't';
	cc->same_domain = db_col(r, 0, "cc_same_domain")[0] == 't';
	cc->domain = arena_strdup(c->arena, db_col(r, 0, "domain"));
	cc->addrs = "{}";
	cc->n = 0;
	if (requester)
		*requester = arena_strdup(c->arena, db_col(r, 0, "requester"));
	if (ccs)
		*ccs = atol(db_col(r, 0, "ccs"));
	if (viewer_requester)
		*viewer_requester = db_col(r, 0, "viewer_requester")[0] == 't';
	PQclear(r);
	return 0;
}

/* One problem with the field: the catalog's message, then the address it is about. */
static void problem(struct ctx *c, struct form *f, const char *key, const char *addr)
{
	const char *msg = i18n_get(c->lang, key);
	form_message(f, TICKET_CC_FIELD, addr ? arena_printf(c->arena, "%s %s", msg, addr) : msg);
}

/* The candidates (lowercased, each once) against the rules into cc. f NULL: leave offenders out
 * (mail); else stop at the first and record it in f. 0 or -1. */
static int check(struct ctx *c, struct form *f, const char **cand, size_t n, const char *ticket,
		 struct ticket_cc *cc, const char *req_addr, long ccs)
{
	if (!cc->on || n == 0)
		return 0;
	struct buf in = BUF_INIT, out = BUF_INIT;
	buf_puts(&in, "{");
	for (size_t i = 0; i < n; i++)
		db_array_item(&in, cand[i]);
	buf_puts(&in, "}");
	const char *p[2] = {ticket ? ticket : "", in.oom ? NULL : arena_strdup(c->arena, in.data)};
	buf_free(&in);
	PGresult *r = p[1] ? db_exec("ticket_cc_addrs", 2, p) : NULL;
	if (!r)
		return -1;
	buf_puts(&out, "{");
	int added = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *addr = db_col(r, i, "addr"), *role = db_col(r, i, "role");
		const char *why = NULL;
		if (db_col(r, i, "ours")[0] == 't') {
			log_msg(LOG_INFO, "cc: %s is one of our own addresses: left out", addr);
			continue;
		}
		if (strcmp(role, "requester") == 0 || strcmp(addr, req_addr) == 0)
			why = "err_cc_requester";
		else if (role[0])
			continue; /* copied in already */
		else if (cc->same_domain && !cc->domain[0]) /* no company: no domain of theirs to allow */
			why = "err_cc_no_company";
		else if (cc->same_domain && strcmp(strrchr(addr, '@') + 1, cc->domain) != 0)
			why = "err_cc_domain";
		else if (ccs + added >= TICKET_CC_MAX)
			why = "err_cc_limit";
		if (why && f) {
			problem(c, f, why, strcmp(why, "err_cc_limit") == 0 || strcmp(why, "err_cc_no_company") == 0 ? NULL : addr);
			break;
		}
		if (why) {
			log_msg(LOG_INFO, "cc: %s left out (%s)", addr, why);
			continue;
		}
		db_array_item(&out, addr);
		added++;
	}
	PQclear(r);
	buf_puts(&out, "}");
	cc->addrs = out.oom ? NULL : arena_strdup(c->arena, out.data);
	buf_free(&out);
	cc->n = added;
	return cc->addrs ? 0 : -1;
}

/* addr lowercased into the arena, or NULL when it is no address. */
static const char *normal(struct ctx *c, const char *s, size_t len)
{
	char *a = arena_strndup(c->arena, s, len);
	for (char *q = a; *q; q++)
		*q = ascii_lower(*q);
	return email_well_formed(a) ? a : NULL;
}

/* Add addr to cand[] unless it is there; 0, or -1 when there is no room. */
static int cand_add(const char **cand, size_t *n, const char *addr)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(cand[i], addr) == 0)
			return 0;
	if (*n >= CC_MAX_CANDIDATES)
		return -1;
	cand[(*n)++] = addr;
	return 0;
}

int ticket_cc_read(struct ctx *c, struct form *f, const char *ticket, struct ticket_cc *cc)
{
	const char *req_addr, *raw = request_form(c->req, TICKET_CC_FIELD);
	long ccs;
	if (load_ctx(c, ticket, c->sess.contact_id, cc, &req_addr, &ccs, NULL) < 0)
		return -1;
	if (!cc->on) {
		if (raw && raw[0])
			log_msg(LOG_INFO, "cc: the portal has CC switched off: a posted cc is ignored");
		return 0;
	}
	const char *cand[CC_MAX_CANDIDATES];
	size_t n = 0;
	if (raw && raw[0]) {
		const char *v = form_text(f, c->req, TICKET_CC_FIELD, 0, CC_MAX_INPUT, 0, 1);
		if (!v)
			return 0; /* too long or a line break: the error is on the field */
		for (const char *s = v; *s;) {
			size_t len = strcspn(s, ",; \t");
			if (len) {
				const char *a = normal(c, s, len);
				if (!a) {
					problem(c, f, "err_cc_address", arena_strndup(c->arena, s, len));
					break;
				}
				if (cand_add(cand, &n, a) < 0) {
					problem(c, f, "err_cc_limit", NULL);
					break;
				}
			}
			s += len;
			s += strspn(s, ",; \t");
		}
		if (f->nerrors)
			return 0;
	}
	return check(c, f, cand, n, ticket, cc, req_addr, ccs);
}

int ticket_cc_from_mail(struct ctx *c, const char *const *addrs, size_t n, const char *ticket, long requester,
			struct ticket_cc *cc)
{
	const char *req_addr;
	long ccs;
	if (load_ctx(c, ticket, requester, cc, &req_addr, &ccs, NULL) < 0)
		return -1;
	if (!cc->on)
		return 0;
	const char *cand[CC_MAX_CANDIDATES];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *a = addrs[i] ? normal(c, addrs[i], strlen(addrs[i])) : NULL;
		if (!a || cand_add(cand, &k, a) < 0)
			log_msg(LOG_INFO, "cc: Cc address %zu of the mail left out (malformed or too many)", i + 1);
	}
	return check(c, NULL, cand, k, ticket, cc, req_addr, ccs);
}

int ticket_cc_add(struct ctx *c, const char *ticket, const struct ticket_cc *cc, const char *by)
{
	(void)c; /* the caller's transaction carries everything */
	if (!cc->on || cc->n == 0)
		return 0;
	const char *pl[1] = {ticket}, *p[3] = {ticket, cc->addrs, by && by[0] ? by : "?"};
	if (db_run("ticket_cc_lock", 1, pl) < 0)
		return -1;
	char got[24];
	return db_exec_value("ticket_cc_add", 3, p, got, sizeof got) == 1 ? 0 : -1;
}

static void add_switches(struct json_object *page, const struct ticket_cc *cc)
{
	json_object_object_add(page, "cc_on", json_object_new_boolean(cc->on));
	json_object_object_add(page, "cc_same_domain", json_object_new_boolean(cc->on && cc->same_domain));
	json_object_object_add(page, "cc_domain", json_object_new_string(cc->domain));
	json_object_object_add(page, "cc_max", json_object_new_int(TICKET_CC_MAX));
}

int ticket_cc_form(struct ctx *c, struct json_object *page)
{
	struct ticket_cc cc;
	if (load_ctx(c, NULL, c->sess.contact_id, &cc, NULL, NULL, NULL) < 0)
		return -1;
	add_switches(page, &cc);
	return 0;
}

int ticket_cc_page(struct ctx *c, struct json_object *page, const char *ticket, const PGresult *r)
{
	struct ticket_cc cc = {.on = db_col(r, 0, "cc_on")[0] == 't', .same_domain = db_col(r, 0, "cc_same_domain")[0] == 't',
			       .domain = db_col(r, 0, "cc_domain")};
	int viewer_requester = db_col(r, 0, "cc_viewer_requester")[0] == 't';
	add_switches(page, &cc);
	const char *text = db_col(r, 0, "cc_list");
	struct json_object *list = text[0] ? json_tokener_parse(text) : json_object_new_array();
	if (!list || !json_object_is_type(list, json_type_array)) {
		log_msg(LOG_ERROR, "cc: ticket %s: the page's CC list is no JSON array", ticket);
		json_object_put(list);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *o = json_object_array_get_idx(list, i), *id;
		if (json_object_object_get_ex(o, "id", &id))
			json_object_object_add(o, "remove_url", json_object_new_string(arena_printf(
				c->arena, "/%s/%s/cc/%s/remove", c->portal->ticket_slug, ticket, json_object_get_string(id))));
	}
	json_object_object_add(page, "has_ccs", json_object_new_boolean(json_object_array_length(list) > 0));
	json_object_object_add(page, "ccs", list);
	json_object_object_add(page, "cc_can_remove", json_object_new_boolean(viewer_requester && !c->preview_contact));
	return 0;
}

int ticket_cc_remove(struct ctx *c)
{
	const char *ticket = c->caps.v[0], *contact = c->caps.v[1];
	const char *p[3] = {arena_printf(c->arena, "%ld", c->portal->id),
			    arena_printf(c->arena, "%ld", c->sess.contact_id), ticket};
	PGresult *r = db_exec("ticket_cc_may_remove", 3, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return 500;
	}
	int visible = db_col(r, 0, "visible")[0] == 't', requester = db_col(r, 0, "requester")[0] == 't';
	PQclear(r);
	if (!visible)
		return 404; /* missing or not theirs: the same answer */
	if (!requester)
		return 403; /* a CC or a colleague who sees it: only its requester chooses who is copied in */
	const char *by = c->sess.name[0] ? c->sess.name : c->sess.email;
	const char *pd[3] = {ticket, contact, by};
	if (db_begin() < 0)
		return 500;
	char email[320] = "";
	int got = db_exec_value("ticket_cc_delete", 3, pd, email, sizeof email);
	if (got == 1 && audit(c, "member", c->sess.member_id, "ticket_cc_removed",
			      arena_printf(c->arena, "{\"ticket_id\": %s, \"contact_id\": %s}", ticket, contact)) < 0)
		got = -1;
	if (got != 1) {
		db_rollback();
		return got == 0 ? 404 : 500; /* not a CC of this ticket */
	}
	if (db_commit() < 0)
		return 500;
	log_msg(LOG_INFO, "cc: %s removed from ticket %s", email, ticket);
	return page_redirect(c, 303, arena_printf(c->arena, "/%s/%s#cc", c->portal->ticket_slug, ticket));
}
