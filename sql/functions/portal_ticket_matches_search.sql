-- portal_ticket_matches_search.sql - the one definition (was in 003_tickets.sql); sql/README.md.

-- Search runs inside the visible set (a contact's or a company's tickets, walked in the list's
-- order until a page is found), so it needs no index of its own: the ID, the subject by
-- substring, the subject and description by full text (tickets.search_vector, 019), and the
-- visible messages of the latest thread by full text (messages.body_vector, 019).
-- plpgsql, not SQL: an SQL function with a subquery is never inlined, and was planned again on
-- each statement that called it; plpgsql keeps its plan for the connection, and stops at the
-- first test that matches.
CREATE OR REPLACE FUNCTION portal_ticket_matches_search(t tickets, p_query text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    q tsquery;
BEGIN
    IF p_query IS NULL OR p_query = '' OR t.id::text = ltrim(p_query, '#')
       OR strpos(lower(t.subject), lower(p_query)) > 0 THEN
        RETURN true;
    END IF;
    q := plainto_tsquery('simple', p_query);
    IF t.search_vector @@ q THEN
        RETURN true;
    END IF;
    RETURN EXISTS (SELECT 1 FROM portal_thread_messages(ticket_latest_thread(t.id)) m WHERE m.body_vector @@ q);
END;
$$;
