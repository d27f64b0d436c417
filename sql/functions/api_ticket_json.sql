-- api_ticket_json.sql - the one JSON form of a ticket: what the API's ticket resources answer and
-- what the ticket.created / ticket.updated webhooks carry (schema Ticket of the OpenAPI document,
-- templates/api/). NULL when there is no such ticket.
CREATE OR REPLACE FUNCTION api_ticket_json(p_ticket bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT jsonb_build_object(
            'id', t.id,
            'subject', t.subject,
            'description', t.description,
            'priority', t.priority,
            'status', CASE WHEN s.is_closed THEN 'closed' ELSE 'open' END,
            'pipeline', jsonb_build_object('id', p.id, 'name', p.name),
            'stage', jsonb_build_object('id', s.id, 'name', s.name, 'closed', s.is_closed),
            'properties', t.properties,
            'contact_ids', COALESCE((SELECT jsonb_agg(tc.contact_id ORDER BY tc.contact_id)
                                       FROM ticket_contacts tc WHERE tc.ticket_id = t.id), '[]'::jsonb),
            'company_ids', COALESCE((SELECT jsonb_agg(tc.company_id ORDER BY tc.company_id)
                                       FROM ticket_companies tc WHERE tc.ticket_id = t.id), '[]'::jsonb),
            'inbox_ids', COALESCE((SELECT jsonb_agg(DISTINCT th.inbox_id)
                                     FROM threads th WHERE th.ticket_id = t.id), '[]'::jsonb),
            'created_at', api_time(t.created_at),
            'last_activity_at', api_time(t.last_activity_at),
            'closed_at', api_time(t.closed_at))
          FROM tickets t
          JOIN pipeline_stages s ON s.id = t.stage_id
          JOIN pipelines p ON p.id = t.pipeline_id
         WHERE t.id = p_ticket);
END;
$$;
