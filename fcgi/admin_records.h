/* admin_records.h - the CRM records group of the console (pipelines, inboxes, forms, tickets):
 * its handlers, one per route, and the small helpers its files share (admin_records.c). */
#ifndef PORTAL_ADMIN_RECORDS_H
#define PORTAL_ADMIN_RECORDS_H

#include "admin.h"
#include "form_page.h"

#define REC_NAME_MAX 100 /* pipeline, stage, inbox and form names (code points) */

/* A boolean column as "yes"/"no" in an audit state built in SQL. */
#define SQL_YES_NO(col) "CASE WHEN " col " THEN 'yes' ELSE 'no' END"

/* Pipelines and stages (admin_pipelines.c). */
int rec_pipelines_page(struct ctx *c);
int rec_pipeline_create(struct ctx *c);
int rec_pipeline_move(struct ctx *c);
int rec_pipeline_page(struct ctx *c);
int rec_pipeline_rename(struct ctx *c);
int rec_stage_create(struct ctx *c);
int rec_stage_update(struct ctx *c);
int rec_stage_move(struct ctx *c);
int rec_stage_delete(struct ctx *c);

/* Inboxes and their addresses (admin_inboxes.c). */
int rec_inboxes_page(struct ctx *c);
int rec_inbox_create(struct ctx *c);
int rec_inbox_page(struct ctx *c);
int rec_inbox_rename(struct ctx *c);
int rec_address_add(struct ctx *c);
int rec_address_connect(struct ctx *c);
int rec_address_delete(struct ctx *c);
int rec_address_primary(struct ctx *c);
int rec_address_imap(struct ctx *c);
int rec_address_imap_delete(struct ctx *c);
int rec_inbox_mail(struct ctx *c);

/* Forms (admin_forms.c the list, admin_form.c one form). */
int rec_forms_page(struct ctx *c);
int rec_form_create(struct ctx *c);
int rec_form_page(struct ctx *c);
int rec_form_save(struct ctx *c);

/* Tickets: the list (admin_tickets.c), a new one (admin_tickets_new.c), one ticket (admin_ticket.c). */
int rec_tickets_page(struct ctx *c);
int rec_ticket_new_page(struct ctx *c);
int rec_ticket_new_submit(struct ctx *c);
int rec_ticket_page(struct ctx *c);
int rec_ticket_update(struct ctx *c);
int rec_ticket_property(struct ctx *c);
int rec_ticket_contact_add(struct ctx *c);
int rec_ticket_contact_remove(struct ctx *c);
int rec_ticket_company_add(struct ctx *c);
int rec_ticket_company_remove(struct ctx *c);
int rec_ticket_thread_attach(struct ctx *c);
int rec_ticket_thread_detach(struct ctx *c);

/* --- shared helpers (admin_records.c) --- */

/* Run statement name with n text parameters given as varargs (NULL = SQL NULL). */
PGresult *rec_q(const char *name, int n, ...);
/* 1 when the statement returns a row, 0 when none, -1 on a database error. */
int rec_exists(const char *name, int n, ...);
/* A JSON text parsed (NULL for NULL or text that does not parse). */
struct json_object *rec_json(const char *text);
/* An object of string pairs: key, value, ..., NULL (a NULL value becomes json null). */
struct json_object *rec_obj(const char *key, ...);
/* COMMIT, then 303 to location; 500 when the commit failed. */
int rec_commit_redirect(struct ctx *c, const char *location);
/* ROLLBACK and 500. */
int rec_abort(void);

/* BEGIN and lock the record of the route (statement lock, $1 = the first capture; every capture
 * must be an id): 0 (the transaction open), 404 or 500. */
int rec_lock(struct ctx *c, const char *lock);
/* admin_audit_commit (admin.h) for the result of the change's statement (freed): NULL is a database error (500), no
 * row a record that is not there (rolled back, 404); the row's columns "before" and "after"
 * (JSON text built in SQL, NULL or absent for none) make the audit row. */
int rec_finish(struct ctx *c, PGresult *r, const char *action, const char *location);
/* Statement stmt ($1 = name, $2 = a record to leave out or NULL) finds another record named
 * name: message on field in f and 1; 0 when not (or name is NULL); -1 on a database error. */
int rec_taken(struct form *f, const char *field, const char *stmt, const char *name, const char *exclude,
	      const char *message);

/* A list of the group into page: rows (statement stmt without parameters, its columns named in
 * SQL, each row marked first/last) and empty. 0, or 500 on a database error. */
int rec_list(struct json_object *page, const char *stmt);
/* Mark the objects of array rows with first and last. */
void rec_mark_ends(struct json_object *rows);
/* The head of a record's page: its row (row, or statement get with $1 = the route's id when
 * NULL) as page.<key> and the title "<title> <name column>"; then, when list is not NULL, that
 * statement's result for the same id into *rows (the caller frees it; rows is NULL when list
 * is). 0, 404 or 500. */
int rec_record_fill(struct ctx *c, struct json_object *page, PGresult *row, const char *get, const char *key,
		    const char *title, const char *list, PGresult **rows);
/* Render page through tmpl with status and the form f (NULL for none; consumed), unless failed is
 * an HTTP status from building the page (then page is dropped and failed returned). */
int rec_render(struct ctx *c, int status, int failed, const char *tmpl, struct json_object *page, struct form *f);

/* A kind of named record (pipelines, inboxes): a list with a form that creates one, and each
 * record's page whose name form is a form page on the kit. */
struct rec_named {
	const char *section; /* the console's nav entry */
	const char *title, *list, *list_tmpl; /* the list: rec_list(list) through list_tmpl */
	const char *insert;  /* $1 = name, RETURNING id and after (the audit row's JSON) */
	const char *created; /* the audit action of a new record */
	const char *exists;  /* the message when a new record's name is taken */
	const char *base;    /* the list's URL: records at base/<id> */
	const char *tmpl, *get, *lock, *rename; /* the record's page: load, lock, save (form_page.h) */
	const char *updated; /* the audit action of a rename */
	const char *another; /* the message when the new name is taken */
	const char *taken;   /* rec_taken's statement for both forms */
	/* The rest of the record's page (decorate of form_page.h; its row, or NULL to read it). */
	int (*fill)(struct ctx *c, struct json_object *page, PGresult *row);
};
int rec_named_list(struct ctx *c, int status, const struct rec_named *k, struct form *f);
/* POST of the create form: field "name", unique (as well when created meanwhile elsewhere). */
int rec_named_create(struct ctx *c, const struct rec_named *k);
/* GET and POST of a record's page (POST renames it; rename_form is set when the form comes back). */
int rec_named_page(struct ctx *c, const struct rec_named *k);
int rec_named_rename(struct ctx *c, const struct rec_named *k);
/* The four route handlers of kind k: list (GET base), create (POST base), page (GET base/<id>)
 * and rename (POST base/<id>). */
#define REC_NAMED_HANDLERS(k, list, create, page, rename) \
	int list(struct ctx *c) { return rec_named_list(c, 200, &(k), NULL); } \
	int create(struct ctx *c) { return rec_named_create(c, &(k)); } \
	int page(struct ctx *c) { return rec_named_page(c, &(k)); } \
	int rename(struct ctx *c) { return rec_named_rename(c, &(k)); }

/* Pipelines with their stages for a stage picker: [{name, stages: [{id, name, is_closed,
 * selected}]}]; NULL on a database error. */
struct json_object *rec_stage_groups(const char *selected);
/* The rows of statement stmt (columns id, name; no parameters) for a picker, each with selected
 * (its id is selected); NULL on a database error. */
struct json_object *rec_choices(const char *stmt, const char *selected);

/* v is one of list (ending with NULL); 0 for a NULL v. */
int rec_in_list(const char *const *list, const char *v);
/* A key of a custom property or a form field: ^[a-z][a-z0-9_]{0,39}$. */
int rec_key_ok(const char *s);

/* A ticket's custom properties (admin_ticket.c, and the JSON API's api_tickets.c): a key is
 * rec_key_ok and not a name of the ticket's own fields; a text value's length limit (the console
 * counts code points, the API bytes). */
#define REC_PROP_VALUE_MAX 2000
int rec_prop_key_ok(const char *key);

/* id as text in the request's arena, NULL for 0 (an optional id left out). */
const char *rec_idstr(struct ctx *c, long id);

#endif
