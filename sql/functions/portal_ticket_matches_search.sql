-- portal_ticket_matches_search.sql - the one definition (was in 003_tickets.sql); sql/README.md.

-- Search runs inside the visible set (a contact's or a company's tickets, a few hundred at most),
-- so it needs no index of its own: subject and description by full text and substring, the ID,
-- and the visible messages of the latest thread.
CREATE OR REPLACE FUNCTION portal_ticket_matches_search(t tickets, p_query text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p_query IS NULL OR p_query = ''
        OR t.id::text = ltrim(p_query, '#')
        OR strpos(lower(t.subject), lower(p_query)) > 0
        OR to_tsvector('simple', t.subject || ' ' || t.description) @@ plainto_tsquery('simple', p_query)
        OR EXISTS (SELECT 1 FROM portal_thread_messages(ticket_latest_thread(t.id)) m
                    WHERE to_tsvector('simple', m.body) @@ plainto_tsquery('simple', p_query))
$$;
