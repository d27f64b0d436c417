/* admin_settings_templates.h - what the system page templates (admin_settings_templates.c) and
 * the emails (admin_settings_emails.c) share: limits, the shipped templates, a textarea's text as
 * a template source. */
#ifndef PORTAL_ADMIN_SETTINGS_TEMPLATES_H
#define PORTAL_ADMIN_SETTINGS_TEMPLATES_H

#include "admin_settings.h"

/* Limits of what an admin may save (bytes; the request parser allows 64 KB per field). */
#define TEMPLATES_PAGE_MAX 61440
#define TEMPLATES_EMAIL_BODY_MAX 20000
#define TEMPLATES_EMAIL_SUBJECT_MAX 300

/* The text of templates_dir/<name>.mustache in the request's arena, or NULL (logged). */
const char *templates_read_shipped(struct ctx *c, const char *name);
/* A textarea's text as a template source: CR LF and lone CR become LF. */
char *templates_source(struct ctx *c, const char *raw);

#endif
