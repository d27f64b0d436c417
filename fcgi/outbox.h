/* outbox.h - queue an email that a portal's admin may have edited (portal_email_templates). */
#ifndef PORTAL_OUTBOX_H
#define PORTAL_OUTBOX_H

#include "app.h"

/* As outbox_queue, but when the portal has an edited version of email `name` in lang, that
 * subject and text are used, with an HTML part made from the text (mail_render_custom).
 * Returns 0 or -1. */
int outbox_queue_portal(long portal_id, const char *lang, const char *to, const char *name,
			struct json_object *data);

#endif
