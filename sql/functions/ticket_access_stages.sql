-- ticket_access_stages.sql - keeps ticket_access (019) in step with pipeline_stages.

-- AFTER UPDATE of a stage's is_closed (an admin makes an open stage a closed one, or back):
-- the tickets in that stage change state on their access rows.
CREATE OR REPLACE FUNCTION ticket_access_stages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ticket_access a SET is_closed = NEW.is_closed
      FROM tickets t WHERE t.id = a.ticket_id AND t.stage_id = NEW.id;
    RETURN NULL;
END;
$$;
