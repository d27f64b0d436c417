-- queue_invitations.sql - the one definition (was in 002_accounts.sql); see sql/README.md.

-- Queue an invitation for every contact who gained access to a portal in 'lists' mode: a
-- contact added to a list, a list attached to a portal, or a portal switched to lists mode
-- (NULL arguments mean "any"). Contacts with a password there, or with an invitation still
-- pending, get none.
CREATE OR REPLACE FUNCTION queue_invitations(p_portal bigint, p_list bigint, p_contact bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_invitations (portal_id, contact_id)
    SELECT DISTINCT p.id, lm.contact_id
      FROM portals p JOIN portal_lists pl ON pl.portal_id = p.id
      JOIN list_members lm ON lm.list_id = pl.list_id
     WHERE p.access_mode = 'lists'
       AND (p_portal IS NULL OR p.id = p_portal)
       AND (p_list IS NULL OR pl.list_id = p_list)
       AND (p_contact IS NULL OR lm.contact_id = p_contact)
       AND NOT EXISTS (SELECT 1 FROM members m WHERE m.portal_id = p.id
                          AND m.contact_id = lm.contact_id AND m.password_hash IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM member_invitations i WHERE i.portal_id = p.id
                          AND i.contact_id = lm.contact_id AND i.sent_at IS NULL);
    IF FOUND THEN
        PERFORM pg_notify('mail_outbox', 'invitation');
    END IF;
END $$;
