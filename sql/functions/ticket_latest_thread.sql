-- ticket_latest_thread.sql - the one definition (was in 003_tickets.sql); see sql/README.md.

-- The thread a ticket shows: its most recent one. plpgsql, not SQL: an SQL function with a FROM
-- is never inlined, and was parsed and planned again on every statement that called it (the
-- ticket page, search on each ticket it looked at); plpgsql keeps its plan for the connection.
CREATE OR REPLACE FUNCTION ticket_latest_thread(p_ticket bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT id FROM threads WHERE ticket_id = p_ticket
             ORDER BY last_message_at DESC, id DESC LIMIT 1);
END;
$$;
