/* admin_records.h - the CRM records group of the console (pipelines, inboxes, forms, tickets):
 * its handlers, one per route, and the small helpers its files share (admin_records.c). */
#ifndef PORTAL_ADMIN_RECORDS_H
#define PORTAL_ADMIN_RECORDS_H

#include "admin.h"

/* SQL text the group's statements share. */
#define SNIPPET(thread) \
	"(SELECT left(m.body, 140) FROM messages m WHERE m.thread_id = " thread \
	" ORDER BY m.created_at, m.id LIMIT 1)"
#define TICKET_STATE \
	"jsonb_build_object('subject', t.subject, 'description', t.description, 'priority', t.priority," \
	" 'pipeline_id', t.pipeline_id, 'stage_id', t.stage_id, 'properties', t.properties)::text"

#define REC_NAME_MAX 100 /* pipeline, stage, inbox and form names (code points) */
#define REC_LIST_MAX 500 /* configuration lists (pipelines, inboxes, forms) are short */

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

/* Forms (admin_forms.c). */
int rec_forms_page(struct ctx *c);
int rec_form_create(struct ctx *c);
int rec_form_page(struct ctx *c);
int rec_form_save(struct ctx *c);

/* Tickets: list and new (admin_tickets.c), one ticket (admin_ticket.c). */
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
/* Row i as an object: keys is a comma-separated list naming the columns in order (an empty
 * name skips a column); booleans become true/false, NULLs are left out. */
struct json_object *rec_row(PGresult *r, int i, const char *keys);
/* Every row of r as rec_row; r is not freed. */
struct json_object *rec_rows(PGresult *r, const char *keys);
/* A JSON text parsed (a null json value when it does not parse). */
struct json_object *rec_json(const char *text);
/* An object of string pairs: key, value, ..., NULL (a NULL value becomes json null). */
struct json_object *rec_obj(const char *key, ...);
/* A number as an arena string. */
/* COMMIT, then 303 to location; 500 when the commit failed. */
int rec_commit_redirect(struct ctx *c, const char *location);
/* ROLLBACK and 500. */
int rec_abort(void);
/* The form's values and errors into the page, with error_list [{field, message}] for the
 * summary at the top; consumes f. */
/* Pipelines with their stages for a stage picker: [{name, stages: [{id, name, is_closed,
 * selected}]}]; NULL on a database error. */
struct json_object *rec_stage_groups(const char *selected);
/* Inboxes for a picker: [{id, name, selected}]; NULL on a database error. */
struct json_object *rec_inbox_choices(const char *selected);
/* "up" -> -1, "down" -> 1, anything else 0. */
int rec_direction(const char *s);

#endif
