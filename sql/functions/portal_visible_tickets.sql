-- portal_visible_tickets.sql - the tickets a contact sees in a portal, one row each; see
-- sql/README.md. Which those are is defined once, in portal_visible_list() (019/issue 19; the
-- definition was here before): this is that set as tickets, for the detail, replies,
-- downloads, the signed link and notifications. p_scope: 'mine', 'shared', 'org', or 'all' (any
-- of the three: a CC'd contact is let in, and a removed one out, on their next request).
CREATE OR REPLACE FUNCTION portal_visible_tickets(p_portal bigint, p_contact bigint, p_scope text)
RETURNS SETOF tickets LANGUAGE sql STABLE AS $$
    SELECT t.* FROM tickets t
     WHERE t.id IN (SELECT v.ticket_id
                      FROM unnest(CASE p_scope WHEN 'all' THEN ARRAY['mine', 'shared', 'org'] ELSE ARRAY[p_scope] END) s,
                           LATERAL portal_visible_list(p_portal, p_contact, s, 'all') v)
$$;
