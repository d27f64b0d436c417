-- webhook_ticket_created.sql - statement-level AFTER INSERT on tickets (transition table
-- new_rows, migration 025): a pending delivery (payload '') of ticket.created for every active
-- webhook that wants it; webhook_payload() fills it in at COMMIT. One EXISTS a statement when no
-- webhook wants the event: nothing else.
CREATE OR REPLACE FUNCTION webhook_ticket_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhooks WHERE active AND 'ticket.created' = ANY (events)) THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_deliveries (webhook_id, event, payload, ticket_id)
    SELECT w.id, 'ticket.created', '', n.id
      FROM new_rows n CROSS JOIN webhooks w
     WHERE w.active AND 'ticket.created' = ANY (w.events)
     ORDER BY n.id, w.id;
    RETURN NULL;
END;
$$;
