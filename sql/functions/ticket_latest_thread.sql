-- ticket_latest_thread.sql - the one definition (was in 003_tickets.sql); see sql/README.md.

-- The thread a ticket shows: its most recent one.
CREATE OR REPLACE FUNCTION ticket_latest_thread(p_ticket bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT id FROM threads WHERE ticket_id = p_ticket
     ORDER BY last_message_at DESC, id DESC LIMIT 1
$$;
