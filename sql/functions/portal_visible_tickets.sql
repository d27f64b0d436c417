-- portal_visible_tickets.sql - the one definition (was in 003_tickets.sql); see sql/README.md.

-- THE definition of which tickets a contact sees in a portal. scope: 'mine' (tied to the
-- contact), 'org' (tied to the visible company), 'all' (either). A ticket must also match every
-- one of the portal's filter rules. The list, the detail, replies and downloads all go through
-- this function; a ticket outside it does not exist for them. It is a single SELECT, so the
-- planner inlines it: the ticket ids come from the association indexes (a semi-join), never
-- from a scan of all tickets.
CREATE OR REPLACE FUNCTION portal_visible_tickets(p_portal bigint, p_contact bigint, p_scope text)
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
