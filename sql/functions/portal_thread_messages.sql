-- portal_thread_messages.sql - the one definition (was in 003_tickets.sql); see sql/README.md.

-- The messages of a thread a customer may read: public messages (never internal notes) that
-- came by a channel without addresses (chat, form, portal…) or by email to or from an address
-- connected to the thread's inbox; oldest first.
CREATE OR REPLACE FUNCTION portal_thread_messages(p_thread bigint) RETURNS SETOF messages
LANGUAGE sql STABLE AS $$
    SELECT m.*
      FROM messages m JOIN threads th ON th.id = m.thread_id
     WHERE m.thread_id = p_thread AND m.kind = 'message'
       AND (cardinality(m.to_addresses) = 0
            OR (m.direction = 'incoming' AND EXISTS (
                    SELECT 1 FROM inbox_addresses a WHERE a.inbox_id = th.inbox_id AND a.connected
                       AND lower(a.address) = ANY (SELECT lower(x) FROM unnest(m.to_addresses) x)))
            OR (m.direction = 'outgoing' AND EXISTS (
                    SELECT 1 FROM inbox_addresses a WHERE a.inbox_id = th.inbox_id AND a.connected
                       AND lower(a.address) = lower(m.from_address))))
     ORDER BY m.created_at, m.id
$$;
