/* admin_crm.h - the CRM pages of the console (contacts, companies, lists, CSV import): their
 * handlers and the helpers the files share. Statements and routes live in admin_crm.c. */
#ifndef PORTAL_ADMIN_CRM_H
#define PORTAL_ADMIN_CRM_H

#include "admin.h"

/* SQL text of the group's statements: a record's before/after values for the audit log. */
#define CONTACT_JSON                                                                       \
	"jsonb_build_object('email', email, 'first_name', first_name, 'last_name', last_name," \
	" 'primary_company_id', primary_company_id, 'properties', properties)::text"
#define COMPANY_JSON "jsonb_build_object('name', name, 'domain', domain, 'properties', properties)::text"
#define PROPS_LINES \
	"coalesce((SELECT string_agg(key || ': ' || value, E'\\n' ORDER BY key) FROM jsonb_each_text(properties)), '')"

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

/* Shared helpers (admin_crm.c). */
#define CRM_NAME_MAX 200 /* names of contacts, companies and lists, in code points */

/* The console page with the CRM's own notices (?notice=invited|not_invited|...) added. */
struct json_object *crm_page_new(struct ctx *c, const char *title, const char *section);
/* form_to_page plus "error_list" [{field, message}] for the error summary. */
/* A JSON value from a text column (NULL when it does not parse). */
struct json_object *crm_json(const char *text);
void crm_put(struct json_object *o, const char *key, const char *val);
void crm_put_bool(struct json_object *o, const char *key, int val);
/* "%ld" into the arena. */
/*
 * Custom properties typed as "key: value" lines into a JSON object text (arena), or NULL with
 * a message on field: keys ^[a-z][a-z0-9_]{0,39}$, each once, values one line of at most 500
 * code points, at most 50 properties. Blank lines are skipped.
 */
const char *crm_properties(struct ctx *c, struct form *f, const char *field, const char *text);
/* A company domain: "" (none) or a lower-cased host name; NULL with a message on field. */
const char *crm_domain(struct form *f, const char *field, const char *raw);
/* Tickets (id, subject, stage, is_closed, last activity) of r, the first 50, as page[key]. */
void crm_ticket_rows(struct json_object *page, const char *key, PGresult *r);
/* Link to the next keyset page: base?q=<q>&after=<id> (q omitted when empty). */
const char *crm_next_url(struct ctx *c, const char *base, const char *q, const char *after);
/* The search words of ?q= trimmed, at most 100 bytes; "" when none (SQL lower-cases them). */
const char *crm_query(struct ctx *c);

#endif
