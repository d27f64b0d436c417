-- portal_visible_tickets.sql - the one definition (was in 003_tickets.sql); see sql/README.md.

-- THE definition of which tickets a contact sees in a portal. scope: 'mine' (the contact is a
-- requester of it: ticket_contacts.role 'requester'), 'shared' (the contact is copied in on it:
-- role 'cc'), 'org' (tied to the visible company), 'all' (any of them). A ticket must also match every
-- one of the portal's filter rules. The list, the detail, replies and downloads all go through
-- this function; a ticket outside it does not exist for them. It is a single SELECT, so the
-- planner inlines it: the ticket ids come from the association indexes (a semi-join), never
-- from a scan of all tickets.
-- Changed with 018/issue 14 (CC): 'mine' was every ticket_contacts row of the contact and is now
-- its requester rows only; 'shared' (its cc rows) is new; 'all' still means every row, so the
-- detail, replies, downloads, the signed link and notifications (all 'all') let a CC'd contact
-- in and a removed one out. The role set comes from the scope, so the contact's rows are read
-- through ticket_contacts (contact_id, role, ticket_id).
CREATE OR REPLACE FUNCTION portal_visible_tickets(p_portal bigint, p_contact bigint, p_scope text)
RETURNS SETOF tickets LANGUAGE sql STABLE AS $$
    SELECT t.*
      FROM tickets t
      JOIN pipelines pl ON pl.id = t.pipeline_id
      JOIN pipeline_stages st ON st.id = t.stage_id
     WHERE t.id IN (
            SELECT tc.ticket_id FROM ticket_contacts tc
             WHERE tc.contact_id = p_contact
               AND tc.role = ANY (CASE p_scope WHEN 'mine' THEN ARRAY['requester']
                                               WHEN 'shared' THEN ARRAY['cc']
                                               WHEN 'all' THEN ARRAY['requester', 'cc']
                                               ELSE ARRAY[]::text[] END)
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
