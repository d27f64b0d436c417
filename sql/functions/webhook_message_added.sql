-- webhook_message_added.sql - statement-level AFTER INSERT on messages (new_rows, migration 025):
-- a pending delivery of message.added for every active webhook that wants it (every message:
-- public replies, internal notes, mail; the payload says which, and its ticket, at COMMIT).
CREATE OR REPLACE FUNCTION webhook_message_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhooks WHERE active AND 'message.added' = ANY (events)) THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_deliveries (webhook_id, event, payload, message_id)
    SELECT w.id, 'message.added', '', n.id
      FROM new_rows n CROSS JOIN webhooks w
     WHERE w.active AND 'message.added' = ANY (w.events)
     ORDER BY n.id, w.id;
    RETURN NULL;
END;
$$;
