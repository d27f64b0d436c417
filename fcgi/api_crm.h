/* api_crm.h - the JSON API's CRM resources: contacts (api_contacts.c) and companies
 * (api_companies.c), routed in api_routes.c; their JSON forms are api_contact_json() and
 * api_company_json() (sql/functions/), their document templates/api/openapi/contacts.json. */
#ifndef PORTAL_API_CRM_H
#define PORTAL_API_CRM_H

#include "api.h"

int api_contacts_list(struct ctx *c);  /* GET /contacts (contacts:read) */
int api_contact_get(struct ctx *c);    /* GET /contacts/{id} (contacts:read) */
int api_contact_create(struct ctx *c); /* POST /contacts (contacts:write) */
int api_contact_update(struct ctx *c); /* PATCH /contacts/{id} (contacts:write) */
int api_companies_list(struct ctx *c); /* GET /companies (contacts:read) */
int api_company_get(struct ctx *c);    /* GET /companies/{id} (contacts:read) */

#endif
