-- invitations_trigger.sql - the one definition (was in 002_accounts.sql); see sql/README.md.

-- Trigger function on list_members, portal_lists and portals (access_mode): queues the
-- invitations of the contacts who just gained access through queue_invitations().
CREATE OR REPLACE FUNCTION invitations_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'list_members' THEN
        PERFORM queue_invitations(NULL, NEW.list_id, NEW.contact_id);
    ELSIF TG_TABLE_NAME = 'portal_lists' THEN
        PERFORM queue_invitations(NEW.portal_id, NEW.list_id, NULL);
    ELSE
        PERFORM queue_invitations(NEW.id, NULL, NULL);
    END IF;
    RETURN NULL;
END $$;
