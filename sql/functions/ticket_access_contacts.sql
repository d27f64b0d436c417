-- ticket_access_contacts.sql - keeps ticket_access (019) in step with ticket_contacts.

-- Statement-level AFTER INSERT, UPDATE and DELETE of ticket_contacts (transition tables
-- new_rows / old_rows): a requester row is the contact's 'mine' access to the ticket, a cc row
-- its 'shared' access. Runs in the writer's transaction, after the statement (so a writable CTE
-- that inserted the ticket in the same statement is seen).
CREATE OR REPLACE FUNCTION ticket_access_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM ticket_access a USING old_rows o
         WHERE a.ticket_id = o.ticket_id AND a.who_id = o.contact_id
           AND a.scope = CASE o.role WHEN 'cc' THEN 'shared' ELSE 'mine' END;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO ticket_access (ticket_id, scope, who_id, is_closed, last_activity_at, created_at)
        SELECT n.ticket_id, CASE n.role WHEN 'cc' THEN 'shared' ELSE 'mine' END, n.contact_id,
               s.is_closed, t.last_activity_at, t.created_at
          FROM new_rows n JOIN tickets t ON t.id = n.ticket_id JOIN pipeline_stages s ON s.id = t.stage_id
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
