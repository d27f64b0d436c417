-- webhook_payload.sql - the deferred constraint trigger on webhook_deliveries (AFTER INSERT,
-- DEFERRABLE INITIALLY DEFERRED, migration 025): at COMMIT of the writer's transaction, when the
-- ticket's contacts and the message's attachments exist, builds the exact body that is signed and
-- sent, and wakes the mailer (NOTIFY webhook_deliveries):
--   {"id": event uuid, "type": "ticket.created" | "ticket.updated" | "message.added",
--    "created_at": api_time(now()), "data": {"ticket": api_ticket_json(id)}}
-- message.added: "data": {"message": api_message_json(id), "ticket": api_ticket_json(its ticket)
-- or null when its thread is on no ticket}. A delivery whose ticket or message is gone by then
-- is dropped.
CREATE OR REPLACE FUNCTION webhook_payload() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_ticket bigint := NEW.ticket_id;
    v_message jsonb;
    v_data jsonb;
BEGIN
    IF NEW.payload <> '' THEN
        RETURN NULL;
    END IF;
    IF NEW.event = 'message.added' THEN
        v_message := api_message_json(NEW.message_id);
        IF v_message IS NOT NULL THEN
            v_ticket := (v_message ->> 'ticket_id')::bigint;
            v_data := jsonb_build_object('message', v_message, 'ticket', api_ticket_json(v_ticket));
        END IF;
    ELSE
        v_data := jsonb_build_object('ticket', api_ticket_json(v_ticket));
        IF v_data -> 'ticket' = 'null'::jsonb THEN
            v_data := NULL;
        END IF;
    END IF;
    IF v_data IS NULL THEN
        DELETE FROM webhook_deliveries WHERE id = NEW.id;
        RETURN NULL;
    END IF;
    UPDATE webhook_deliveries
       SET ticket_id = v_ticket,
           payload = jsonb_build_object('id', NEW.event_id, 'type', NEW.event,
                                        'created_at', api_time(now()), 'data', v_data)::text
     WHERE id = NEW.id;
    PERFORM pg_notify('webhook_deliveries', '');
    RETURN NULL;
END;
$$;
