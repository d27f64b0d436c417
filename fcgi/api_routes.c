/* api_routes.c - the JSON API's URL map under /api/v1 (each group's handlers live in the file its
 * comment names; the kit: api.c). Every route needs a token with its scope unless API_PUBLIC. */
#include "api.h"
#include "api_crm.h" /* contacts and companies */
#include "api_tickets.h" /* api_tickets.c, api_messages.c */
#include "admin.h"

const struct api_route api_routes[] = {
	/* the OpenAPI document (api.c) */
	{HTTP_GET, "/openapi.json", api_openapi, 0, API_PUBLIC},
	/* the token itself: its name, scopes, inbox limit and rate (api_token.c) */
	{HTTP_GET, "/token", api_token_self, 0, 0},
	/* contacts and companies: api_contacts.c, api_companies.c (handlers in api_crm.h) */
	{HTTP_GET, "/contacts", api_contacts_list, API_CONTACTS_READ, 0},
	{HTTP_POST, "/contacts", api_contact_create, API_CONTACTS_WRITE, 0},
	{HTTP_GET, "/contacts/<id>", api_contact_get, API_CONTACTS_READ, 0},
	{HTTP_PATCH, "/contacts/<id>", api_contact_update, API_CONTACTS_WRITE, 0},
	{HTTP_GET, "/companies", api_companies_list, API_CONTACTS_READ, 0},
	{HTTP_GET, "/companies/<id>", api_company_get, API_CONTACTS_READ, 0},
	/* tickets (api_tickets.c); a ticket's messages and the attachments (api_messages.c) */
	{HTTP_GET, "/tickets", api_tickets_list, API_TICKETS_READ, 0},
	{HTTP_POST, "/tickets", api_ticket_create, API_TICKETS_WRITE, 0},
	{HTTP_GET, "/tickets/<id>", api_ticket_get, API_TICKETS_READ, 0},
	{HTTP_PATCH, "/tickets/<id>", api_ticket_update, API_TICKETS_WRITE, 0},
	{HTTP_GET, "/tickets/<id>/messages", api_messages_list, API_TICKETS_READ, 0},
	{HTTP_POST, "/tickets/<id>/messages", api_message_create, API_TICKETS_WRITE, 0},
	{HTTP_GET, "/attachments/<id>", api_attachment_get, API_TICKETS_READ, 0},
	/* webhooks: the team's endpoints for ticket and message events (api_webhooks.c) */
	{HTTP_GET, "/webhooks", api_webhooks_list, API_WEBHOOKS_WRITE, 0},
	{HTTP_POST, "/webhooks", api_webhook_create, API_WEBHOOKS_WRITE, 0},
	{HTTP_GET, "/webhooks/<id>", api_webhook_get, API_WEBHOOKS_WRITE, 0},
	{HTTP_DELETE, "/webhooks/<id>", api_webhook_delete, API_WEBHOOKS_WRITE, 0},
	{0},
};
