/* api_routes.c - the JSON API's URL map under /api/v1 (each group's handlers live in the file its
 * comment names; the kit: api.c). Every route needs a token with its scope unless API_PUBLIC. */
#include "api.h"
#include "admin.h"

const struct api_route api_routes[] = {
	/* the OpenAPI document (api.c) */
	{HTTP_GET, "/openapi.json", api_openapi, 0, API_PUBLIC},
	/* the token itself: its name, scopes, inbox limit and rate (api_token.c) */
	{HTTP_GET, "/token", api_token_self, 0, 0},
	/* webhooks: the team's endpoints for ticket and message events (api_webhooks.c) */
	{HTTP_GET, "/webhooks", api_webhooks_list, API_WEBHOOKS_WRITE, 0},
	{HTTP_POST, "/webhooks", api_webhook_create, API_WEBHOOKS_WRITE, 0},
	{HTTP_GET, "/webhooks/<id>", api_webhook_get, API_WEBHOOKS_WRITE, 0},
	{HTTP_DELETE, "/webhooks/<id>", api_webhook_delete, API_WEBHOOKS_WRITE, 0},
	{0},
};
