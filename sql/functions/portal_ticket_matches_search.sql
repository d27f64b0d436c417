-- portal_ticket_matches_search.sql - the one definition (was in 003_tickets.sql); sql/README.md.

-- Search runs inside the visible set (a contact's or a company's tickets, walked in the list's
-- order until a page is found), so it needs no index of its own: the ID, the subject by
-- substring, the subject and description by full text (tickets.search_vector, 019), and the
-- visible messages of the latest thread by full text (messages.body_vector, 019).
-- plpgsql, not SQL: an SQL function with a subquery is never inlined, and was planned again on
-- each statement that called it; plpgsql keeps its plans for the connection, and stops at the
-- first test that matches. Most tickets match none: their messages (never internal notes) are
-- first tested for the words at all, in any thread, and only then the latest thread's visible
-- ones read through portal_thread_messages().
CREATE OR REPLACE FUNCTION portal_ticket_matches_search(t tickets, p_query text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    q tsquery;
    v_thread bigint;
BEGIN
    IF p_query IS NULL OR p_query = '' OR t.id::text = ltrim(p_query, '#')
       OR strpos(lower(t.subject), lower(p_query)) > 0 THEN
        RETURN true;
    END IF;
    q := plainto_tsquery('simple', p_query);
    IF t.search_vector @@ q THEN
        RETURN true;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM threads th JOIN messages m ON m.thread_id = th.id
                    WHERE th.ticket_id = t.id AND m.kind = 'message' AND m.body_vector @@ q) THEN
        RETURN false;
    END IF;
    v_thread := ticket_latest_thread(t.id);
    RETURN EXISTS (SELECT 1 FROM portal_thread_messages(v_thread) m WHERE m.body_vector @@ q);
END;
$$;
