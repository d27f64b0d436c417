/* admin_inbox.h - the agent inbox's handlers, split over admin_inbox*.c (one route table and one
 * statement table, in admin_inbox.c). */
#ifndef PORTAL_ADMIN_INBOX_H
#define PORTAL_ADMIN_INBOX_H

#include "admin.h"

#define INBOX_MAX_BODY 20000 /* code points of a reply or note */

/* admin_inbox.c: GET /admin/inbox */
int admin_inbox_list(struct ctx *c);

/* admin_inbox_thread.c: GET /admin/inbox/<thread>, GET /admin/inbox/<thread>/files/<id>/<name> */
int admin_inbox_thread(struct ctx *c);
int admin_inbox_file(struct ctx *c);
/*
 * Render the thread page of thread_id with status. When f is given, it carries the input and
 * errors of the form named which ("reply", "note" or "stage") back to that form; f is consumed.
 */
int admin_inbox_thread_render(struct ctx *c, const char *thread_id, int status, const char *which,
			      struct form *f);

/* admin_inbox_write.c: POST /admin/inbox/<thread>/reply, /note, /stage */
int admin_inbox_reply(struct ctx *c);
int admin_inbox_note(struct ctx *c);
int admin_inbox_stage(struct ctx *c);

#endif
