-- api_company_json.sql - the one JSON form of a company: what the API's company resources answer
-- (schema Company of the OpenAPI document, templates/api/openapi/contacts.json). NULL when there
-- is no such company.
CREATE OR REPLACE FUNCTION api_company_json(p_company bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
               'id', co.id,
               'name', co.name,
               'domain', co.domain,
               'properties', co.properties,
               'created_at', api_time(co.created_at))
      FROM companies co
     WHERE co.id = p_company
$$;
