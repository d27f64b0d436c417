/* admin_templates.h - the handlers of the templates group (system page templates, emails) and
 * the helpers its two files share. Routes and statements live in admin_templates.c. */
#ifndef PORTAL_ADMIN_TEMPLATES_H
#define PORTAL_ADMIN_TEMPLATES_H

#include "admin.h"

/* Limits of what an admin may save (bytes; the request parser allows 64 KB per field). */
#define TEMPLATES_PAGE_MAX 61440
#define TEMPLATES_EMAIL_BODY_MAX 20000
#define TEMPLATES_EMAIL_SUBJECT_MAX 300

/* System page templates (admin_settings_templates.c). */
int admin_templates_list(struct ctx *c);
int admin_templates_page(struct ctx *c);
int admin_templates_save(struct ctx *c);
int admin_templates_preview(struct ctx *c);

/* Emails (admin_settings_emails.c). */
int admin_templates_emails(struct ctx *c);
int admin_templates_email_page(struct ctx *c);
int admin_templates_email_save(struct ctx *c);
int admin_templates_email_preview(struct ctx *c);

/* The text of templates_dir/<name>.mustache in the request's arena, or NULL (logged). */
const char *templates_read_shipped(struct ctx *c, const char *name);
/* A textarea's text as a template source: CR LF and lone CR become LF. */
char *templates_source(struct ctx *c, const char *raw);
/* The portal id as text, for statement parameters. */

#endif
