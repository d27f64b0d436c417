-- portal_visible_list.sql - THE definition of which tickets a contact sees in a portal (issue 19;
-- portal_visible_tickets() is defined through it). See sql/README.md.

-- A contact sees a ticket in a portal when it is tied to them in the scope asked for and it
-- matches every one of the portal's filter rules (portal_ticket_filters). Scopes:
--   'mine'   the contact is a requester of it (ticket_contacts.role 'requester');
--   'shared' the contact is copied in on it (role 'cc');
--   'org'    it is tied to the contact's visible company (portal_contact_company: own company
--            mode, or company rules the contact matches; NULL: none).
-- ('all', any of them, is portal_visible_tickets().) p_status: 'open', 'closed' or 'all' (the
-- ticket's stage is closed or not).
--
-- The ties are read from ticket_access (019: ticket_contacts and ticket_companies again, with
-- the ticket's is_closed, last_activity_at and created_at, kept by triggers), one range of its
-- (who_id, scope, sort key, ticket_id) indexes. The function is one SELECT, so the planner
-- inlines it: a caller that orders by (last_activity_at, ticket_id) or (created_at, ticket_id)
-- and takes a LIMIT walks that index in order and stops at the page, whatever the number of
-- tickets the contact or company has. Nothing here is cached: a change of company, list, rule
-- or tie is seen by the next statement.
CREATE OR REPLACE FUNCTION portal_visible_list(p_portal bigint, p_contact bigint, p_scope text, p_status text)
RETURNS TABLE (ticket_id bigint, is_closed boolean, last_activity_at timestamptz, created_at timestamptz,
               stage_name text, ticket tickets)
LANGUAGE sql STABLE AS $$
    SELECT a.ticket_id, a.is_closed, a.last_activity_at, a.created_at, st.name, t
      FROM ticket_access a
      JOIN tickets t ON t.id = a.ticket_id
      JOIN pipelines pl ON pl.id = t.pipeline_id
      JOIN pipeline_stages st ON st.id = t.stage_id
     WHERE a.who_id = CASE WHEN p_scope = 'org' THEN portal_contact_company(p_portal, p_contact) ELSE p_contact END
       AND a.scope = p_scope
       AND (p_status = 'all' OR a.is_closed = (p_status = 'closed'))
       AND NOT EXISTS (
            SELECT 1 FROM portal_ticket_filters f
             WHERE f.portal_id = p_portal
               AND NOT rule_matches(CASE f.property
                        WHEN 'pipeline' THEN pl.name WHEN 'stage' THEN st.name
                        WHEN 'priority' THEN t.priority WHEN 'subject' THEN t.subject
                        ELSE t.properties ->> f.property END,
                    f.operator, f.match_values))
$$;
