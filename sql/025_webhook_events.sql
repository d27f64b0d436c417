-- 025: webhook events, written in the writer's transaction by triggers, whatever wrote (portal,
-- console, API, mail gateway): ticket.created, ticket.updated, message.added. Statement-level
-- triggers on tickets and messages (one EXISTS a statement when no webhook wants the event) queue
-- a pending delivery (payload '') per active webhook that wants it; a deferred constraint trigger
-- on webhook_deliveries builds the payload at COMMIT (when the ticket's contacts and the message's
-- attachments exist) and NOTIFYs webhook_deliveries, which wakes the mailer that delivers them
-- (fcgi/mailer_webhooks.c). The functions' current definitions are in sql/functions/webhook_*.sql;
-- this migration creates them as the triggers need them (sql/README.md).

-- What a delivery is about: the ticket (both events; a message's ticket once known) and the message.
ALTER TABLE webhook_deliveries ADD COLUMN ticket_id bigint, ADD COLUMN message_id bigint;
-- The deliveries of the open transaction whose payload is not built yet (almost always none).
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (ticket_id) WHERE payload = '';

CREATE OR REPLACE FUNCTION webhook_url_problem(p_url text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_url IS NULL OR p_url = '' THEN 'Enter the URL to call.'
        WHEN length(p_url) > 2048 THEN 'The URL is longer than 2048 characters.'
        WHEN p_url ~ '[[:space:][:cntrl:]\\]' THEN 'The URL may not hold spaces, control characters or backslashes.'
        WHEN p_url !~* '^https?://' THEN 'The URL must start with https:// (or http:// to this machine, for testing).'
        WHEN p_url ~ '^[^/]+//[^/?#]*@' THEN 'The URL may not hold a user name or password.'
        WHEN p_url ~* '^https://[^/?#:]+(:[0-9]{1,5})?([/?#].*)?$'
          OR p_url ~* '^https://\[[0-9a-f:.]+\](:[0-9]{1,5})?([/?#].*)?$' THEN NULL
        WHEN p_url ~* '^http://(127\.0\.0\.1|\[::1\]|localhost)(:[0-9]{1,5})?([/?#].*)?$' THEN NULL
        WHEN p_url ~* '^http://' THEN 'Plain http:// is allowed only to this machine (127.0.0.1, [::1], localhost); use https://.'
        ELSE 'The URL is not a valid https:// address.' END
$$;

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

CREATE TRIGGER tickets_webhook_created AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_ticket_created();
CREATE TRIGGER tickets_webhook_updated AFTER UPDATE ON tickets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_ticket_updated();
CREATE TRIGGER messages_webhook_added AFTER INSERT ON messages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_message_added();
CREATE CONSTRAINT TRIGGER webhook_deliveries_payload AFTER INSERT ON webhook_deliveries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION webhook_payload();

-- Every URL already stored obeys the rule (none are, before this migration: nothing could save one).
ALTER TABLE webhooks ADD CONSTRAINT webhooks_url_ok CHECK (webhook_url_problem(url) IS NULL);
