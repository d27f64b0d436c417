/* api_tickets.h - the handlers of the JSON API's tickets (api_tickets.c) and of a ticket's
 * messages and the attachments (api_messages.c), for the URL map (api_routes.c). */
#ifndef PORTAL_API_TICKETS_H
#define PORTAL_API_TICKETS_H

#include "api.h"

int api_tickets_list(struct ctx *c);   /* GET /tickets */
int api_ticket_create(struct ctx *c);  /* POST /tickets */
int api_ticket_get(struct ctx *c);     /* GET /tickets/{id} */
int api_ticket_update(struct ctx *c);  /* PATCH /tickets/{id} */
int api_messages_list(struct ctx *c);  /* GET /tickets/{id}/messages */
int api_message_create(struct ctx *c); /* POST /tickets/{id}/messages (JSON or multipart) */
int api_attachment_get(struct ctx *c); /* GET /attachments/{id} */

#endif
