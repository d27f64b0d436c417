/* admin_crm.h - the CRM pages of the console (contacts, companies, lists, CSV import): their
 * handlers (admin_contacts.c, admin_companies.c, admin_lists.c, admin_contacts_import.c) and what
 * those files share (admin_crm.c). */
#ifndef PORTAL_ADMIN_CRM_H
#define PORTAL_ADMIN_CRM_H

#include "form_page.h"
#include "pager.h"

/* SQL text of the group's statements: a record's before/after values for the audit log. */
#define CONTACT_JSON                                                                       \
	"jsonb_build_object('email', email, 'first_name', first_name, 'last_name', last_name," \
	" 'primary_company_id', primary_company_id, 'properties', properties)::text"
#define COMPANY_JSON "jsonb_build_object('name', name, 'domain', domain, 'properties', properties)::text"
/* The custom properties as the form shows them: "key: value" lines (p: the table's alias and
 * dot). */
#define PROPS_LINES(p)                                                   \
	"coalesce((SELECT string_agg(key || ': ' || value, E'\\n' ORDER BY key)" \
	" FROM jsonb_each_text(" p "properties)), '')"
/* A contact's "first last", '' when it has neither name (p: the table's alias and dot). */
#define FULL_NAME(p) "coalesce(nullif(" p "first_name || ' ' || " p "last_name, ' '), '')"
/* The tickets linked to a record through table.col = $1 (ticket_contacts, ticket_companies),
 * newest first, one more than a page. */
#define CRM_TICKETS(table, col)                                                          \
	"SELECT t.id, t.subject, s.name AS stage, s.is_closed AS closed, "                    \
	SQL_CONSOLE_TIME("t.last_activity_at", "YYYY-MM-DD HH24:MI") " AS last_activity FROM " table \
	" x JOIN tickets t ON t.id = x.ticket_id"                                          \
	" JOIN pipeline_stages s ON s.id = t.stage_id"                                     \
	" WHERE x." col " = $1 AND staff_ticket_ok(t.id, $2::bigint[])" /* staff_inboxes() */ \
	" ORDER BY x.ticket_id DESC " PAGE_LIMIT

/* admin_contacts.c */
int crm_contacts_page(struct ctx *c);
int crm_contact_new_page(struct ctx *c);
int crm_contact_create(struct ctx *c);
int crm_contact_page(struct ctx *c);
int crm_contact_update(struct ctx *c);
int crm_contact_resend(struct ctx *c);
/* admin_companies.c */
int crm_companies_page(struct ctx *c);
int crm_company_new_page(struct ctx *c);
int crm_company_create(struct ctx *c);
int crm_company_page(struct ctx *c);
int crm_company_update(struct ctx *c);
/* admin_lists.c */
int crm_lists_page(struct ctx *c);
int crm_list_create(struct ctx *c);
int crm_list_page(struct ctx *c);
int crm_list_rename(struct ctx *c);
int crm_list_delete_page(struct ctx *c);
int crm_list_delete(struct ctx *c);
int crm_list_member_add(struct ctx *c);
int crm_list_member_remove(struct ctx *c);
int crm_list_member_resend(struct ctx *c);
/* admin_contacts_import.c */
int crm_import_page(struct ctx *c);
int crm_import_submit(struct ctx *c);
int crm_import_report(struct ctx *c);

/* Shared pieces (admin_crm.c). */
#define CRM_NAME_MAX 200 /* names of contacts, companies and lists, in code points */

/*
 * An index page's rows (keyset-paged by pager.h, cursor ?after=<id>): stmt takes $1 = the search
 * words of ?q= ('' for none) and $2 = the cursor's id (NULL on the first page). Adds rows,
 * next_url (url with q), empty, paged and q to page. 0, 400 (a malformed cursor) or 500.
 */
int crm_index(struct ctx *c, struct json_object *page, const char *stmt, const char *url);
/* A whole index page (title, nav section) rendered with admin/crm_<section>. */
int crm_index_page(struct ctx *c, const char *title, const char *section, const char *stmt,
		   const char *url);
/* page[key] = the first max rows of r (db_rows_json), has_<key> and more_<key> (r has more). */
void crm_rows(struct json_object *page, const char *key, PGresult *r, int max);
/* The record of a form page's decorate hook: row as given (GET), or loaded again by the route's
 * id when the form comes back (*own then holds it, to PQclear). 0, 404 or 500. */
int crm_record(struct ctx *c, const struct form_page *fp, PGresult **row, PGresult **own);
/* Whether a record other than the route's (none on a "new" page) already holds value: stmt
 * takes $1 = value and $2 = the id to leave out. 1 with its first column in out, 0, or -1. */
int crm_taken(struct ctx *c, const char *stmt, const char *value, char *out, size_t cap);
/*
 * FP_CUSTOM parse: custom properties typed as "key: value" lines into a JSON object text (arena),
 * or NULL with a message on field: keys ^[a-z][a-z0-9_]{0,39}$, each once, values one line of at
 * most 500 code points, at most 50 properties. Blank lines are skipped.
 */
const char *crm_properties(struct ctx *c, struct form *f, const char *field, const char *text);
/* The rule of one custom property (of a contact or company), shared by crm_properties and the
 * API (api_contacts.c): a key ^[a-z][a-z0-9_]{0,39}$, a value of at most 500 code points, at
 * most 50 of them. crm_property_problem: why key/value break it (a lower-case sentence), or NULL. */
#define CRM_PROP_KEY_MAX 40
#define CRM_PROP_VALUE_MAX 500
#define CRM_PROPS_MAX 50
int crm_property_key_ok(const char *key, size_t n);
const char *crm_property_problem(const char *key, const char *value);
/* Opens a transaction and runs stmt ($1 = id), which locks one row: 0 with *row (PQclear it), or
 * 404 / 500 with the transaction rolled back. */
int crm_lock(const char *stmt, const char *id, PGresult **row);
/* {list, contact_id, email}: a list membership as the audit log shows it. */
struct json_object *crm_member_json(const char *list, const char *contact, const char *email);
/* Inside the caller's transaction: queues a new invitation of the contact to the console's portal
 * when it may have one (audited as invitation_resend {contact_id, email when given}), commits and
 * redirects to back?notice=invited|not_invited. */
int crm_resend_commit(struct ctx *c, const char *contact, const char *email, const char *back);

#endif
