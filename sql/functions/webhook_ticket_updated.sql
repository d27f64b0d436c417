-- webhook_ticket_updated.sql - statement-level AFTER UPDATE on tickets (old_rows, new_rows,
-- migration 025): ticket.updated for the tickets whose subject, priority, stage, pipeline or
-- properties changed (not last_activity_at alone), once per webhook and ticket and transaction:
-- not again while a delivery of the same ticket to the same webhook is still pending (payload ''),
-- e.g. a ticket created and then moved in one transaction gives ticket.created only; the payload
-- is built at COMMIT (webhook_payload), so it shows the final state.
CREATE OR REPLACE FUNCTION webhook_ticket_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhooks WHERE active AND 'ticket.updated' = ANY (events)) THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_deliveries (webhook_id, event, payload, ticket_id)
    SELECT w.id, 'ticket.updated', '', n.id
      FROM new_rows n JOIN old_rows o ON o.id = n.id CROSS JOIN webhooks w
     WHERE w.active AND 'ticket.updated' = ANY (w.events)
       AND (n.subject, n.priority, n.stage_id, n.pipeline_id, n.properties)
           IS DISTINCT FROM (o.subject, o.priority, o.stage_id, o.pipeline_id, o.properties)
       AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                        WHERE d.payload = '' AND d.ticket_id = n.id AND d.webhook_id = w.id
                          AND d.event IN ('ticket.created', 'ticket.updated'))
     ORDER BY n.id, w.id;
    RETURN NULL;
END;
$$;
