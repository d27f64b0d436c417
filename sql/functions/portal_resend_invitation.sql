-- portal_resend_invitation.sql - the one definition (was in 002_accounts.sql); see sql/README.md.

-- What the admin console calls to send a list invitation again (nothing for a contact who has a
-- password already or is not on the portal's lists). Returns whether one was queued.
CREATE OR REPLACE FUNCTION portal_resend_invitation(p_portal bigint, p_contact bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_invitations (portal_id, contact_id, reason)
    SELECT p_portal, p_contact, 'resend'
     WHERE portal_contact_allowed(p_portal, p_contact)
       AND (SELECT access_mode FROM portals WHERE id = p_portal) = 'lists'
       AND NOT EXISTS (SELECT 1 FROM members m WHERE m.portal_id = p_portal
                          AND m.contact_id = p_contact AND m.password_hash IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM member_invitations i WHERE i.portal_id = p_portal
                          AND i.contact_id = p_contact AND i.sent_at IS NULL);
    IF FOUND THEN
        PERFORM pg_notify('mail_outbox', 'invitation');
        RETURN true;
    END IF;
    RETURN false;
END $$;
