-- ticket_access_tickets.sql - keeps ticket_access (019) in step with tickets.

-- Statement-level AFTER UPDATE of tickets (transition table new_rows): a ticket's open/closed
-- state (its stage's), last activity and creation time onto its access rows, where they changed.
CREATE OR REPLACE FUNCTION ticket_access_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ticket_access a
       SET is_closed = s.is_closed, last_activity_at = n.last_activity_at, created_at = n.created_at
      FROM new_rows n JOIN pipeline_stages s ON s.id = n.stage_id
     WHERE a.ticket_id = n.id
       AND (a.is_closed, a.last_activity_at, a.created_at)
           IS DISTINCT FROM (s.is_closed, n.last_activity_at, n.created_at);
    RETURN NULL;
END;
$$;
