-- 003_tickets.sql - which tickets a customer sees (the one definition), what of a conversation they see.

-- The value of a contact property as the portal's permission rules name it.
CREATE FUNCTION contact_property(c contacts, p_property text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE p_property
        WHEN 'email' THEN c.email
        WHEN 'first_name' THEN c.first_name
        WHEN 'last_name' THEN c.last_name
        ELSE c.properties ->> p_property
    END
$$;

-- One rule: is any of, is none of, equals, contains (case-insensitive), is known.
CREATE FUNCTION rule_matches(p_value text, p_operator text, p_values text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_operator
        WHEN 'any_of' THEN coalesce(p_value = ANY (p_values), false)
        WHEN 'none_of' THEN p_value IS NULL OR NOT (p_value = ANY (p_values))
        WHEN 'equals' THEN coalesce(p_value = p_values[1], false)
        WHEN 'contains' THEN coalesce(strpos(lower(p_value), lower(p_values[1])) > 0, false)
        WHEN 'is_known' THEN coalesce(p_value <> '', false)
        ELSE false
    END
$$;

-- The company whose tickets a contact may see in a portal, or NULL: their primary company in
-- mode own_company; in mode company_rules only when the contact matches every rule of at least
-- one group (AND inside a group, OR between groups).
CREATE FUNCTION portal_contact_company(p_portal bigint, p_contact bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT c.primary_company_id
      FROM contacts c JOIN portals p ON p.id = p_portal
     WHERE c.id = p_contact
       AND (p.permission_mode = 'own_company'
            OR (p.permission_mode = 'company_rules' AND EXISTS (
                    SELECT 1 FROM portal_permission_rules g
                     WHERE g.portal_id = p.id
                     GROUP BY g.group_no
                    HAVING bool_and(rule_matches(contact_property(c, g.property), g.operator, g.match_values)))))
$$;

-- THE definition of which tickets a contact sees in a portal. scope: 'mine' (tied to the
-- contact), 'org' (tied to the visible company), 'all' (either). A ticket must also match every
-- one of the portal's filter rules. The list, the detail, replies and downloads all go through
-- this function; a ticket outside it does not exist for them. It is a single SELECT, so the
-- planner inlines it: the ticket ids come from the association indexes (a semi-join), never
-- from a scan of all tickets.
CREATE FUNCTION portal_visible_tickets(p_portal bigint, p_contact bigint, p_scope text)
RETURNS SETOF tickets LANGUAGE sql STABLE AS $$
    SELECT t.*
      FROM tickets t
      JOIN pipelines pl ON pl.id = t.pipeline_id
      JOIN pipeline_stages st ON st.id = t.stage_id
     WHERE t.id IN (
            SELECT tc.ticket_id FROM ticket_contacts tc
             WHERE p_scope IN ('mine', 'all') AND tc.contact_id = p_contact
            UNION
            SELECT tco.ticket_id FROM ticket_companies tco
             WHERE p_scope IN ('org', 'all')
               AND tco.company_id = portal_contact_company(p_portal, p_contact))
       AND NOT EXISTS (
            SELECT 1 FROM portal_ticket_filters f
             WHERE f.portal_id = p_portal
               AND NOT rule_matches(CASE f.property
                        WHEN 'pipeline' THEN pl.name WHEN 'stage' THEN st.name
                        WHEN 'priority' THEN t.priority WHEN 'subject' THEN t.subject
                        ELSE t.properties ->> f.property END,
                    f.operator, f.match_values))
$$;

-- The thread a ticket shows: its most recent one.
CREATE FUNCTION ticket_latest_thread(p_ticket bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT id FROM threads WHERE ticket_id = p_ticket
     ORDER BY last_message_at DESC, id DESC LIMIT 1
$$;

-- The messages of a thread a customer may read: public messages (never internal notes) that
-- came by a channel without addresses (chat, form, portal…) or by email to or from an address
-- connected to the thread's inbox; oldest first.
CREATE FUNCTION portal_thread_messages(p_thread bigint) RETURNS SETOF messages
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

-- Search runs inside the visible set (a contact's or a company's tickets, a few hundred at most),
-- so it needs no index of its own: subject and description by full text and substring, the ID,
-- and the visible messages of the latest thread.
CREATE FUNCTION portal_ticket_matches_search(t tickets, p_query text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p_query IS NULL OR p_query = ''
        OR t.id::text = ltrim(p_query, '#')
        OR strpos(lower(t.subject), lower(p_query)) > 0
        OR to_tsvector('simple', t.subject || ' ' || t.description) @@ plainto_tsquery('simple', p_query)
        OR EXISTS (SELECT 1 FROM portal_thread_messages(ticket_latest_thread(t.id)) m
                    WHERE to_tsvector('simple', m.body) @@ plainto_tsquery('simple', p_query))
$$;
