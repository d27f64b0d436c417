-- api_contact_json.sql - the one JSON form of a contact: what the API's contact resources answer
-- (schema Contact of the OpenAPI document, templates/api/openapi/contacts.json). NULL when there
-- is no such contact.
CREATE OR REPLACE FUNCTION api_contact_json(p_contact bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
               'id', c.id,
               'email', c.email,
               'first_name', c.first_name,
               'last_name', c.last_name,
               'company_id', c.primary_company_id,
               'properties', c.properties,
               'created_at', api_time(c.created_at))
      FROM contacts c
     WHERE c.id = p_contact
$$;
