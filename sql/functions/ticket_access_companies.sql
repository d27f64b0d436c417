-- ticket_access_companies.sql - keeps ticket_access (019) in step with ticket_companies.

-- Statement-level AFTER INSERT, UPDATE and DELETE of ticket_companies (transition tables
-- new_rows / old_rows): a row is its company's 'org' access to the ticket.
CREATE OR REPLACE FUNCTION ticket_access_companies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM ticket_access a USING old_rows o
         WHERE a.ticket_id = o.ticket_id AND a.who_id = o.company_id AND a.scope = 'org';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO ticket_access (ticket_id, scope, who_id, is_closed, last_activity_at, created_at)
        SELECT n.ticket_id, 'org', n.company_id, s.is_closed, t.last_activity_at, t.created_at
          FROM new_rows n JOIN tickets t ON t.id = n.ticket_id JOIN pipeline_stages s ON s.id = t.stage_id
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
