-- portal_contact_allowed.sql - the one definition (was in 002_accounts.sql, then in
-- 012_session_speed.sql); see sql/README.md.

-- The one definition of "this contact may enter this portal" (access mode and lists); NULL
-- for a portal that does not exist. plpgsql, not SQL: called from the session lookup on every
-- request, an SQL function could not be inlined there and was planned on every call (about
-- 1 ms); plpgsql caches its plan per connection.
CREATE OR REPLACE FUNCTION portal_contact_allowed(p_portal bigint, p_contact bigint) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    p portals%ROWTYPE;
BEGIN
    SELECT * INTO p FROM portals WHERE id = p_portal;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF NOT p.enabled THEN
        RETURN false;
    END IF;
    IF p.access_mode = 'registration' OR (p.access_mode = 'sso' AND p.sso_audience = 'all') THEN
        RETURN true;
    END IF;
    RETURN EXISTS (SELECT 1 FROM portal_lists pl JOIN list_members lm ON lm.list_id = pl.list_id
                    WHERE pl.portal_id = p_portal AND lm.contact_id = p_contact);
END;
$$;
