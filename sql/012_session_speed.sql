-- 012_session_speed.sql - the two per-request access functions in plpgsql. As SQL functions
-- called from the session lookup they could not be inlined and were planned on every call
-- (about 1 ms per request); plpgsql caches their plans per connection. Same definitions as in
-- 002_accounts.sql and 003_tickets.sql.

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

CREATE OR REPLACE FUNCTION portal_contact_company(p_portal bigint, p_contact bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_mode text;
    c contacts%ROWTYPE;
BEGIN
    SELECT permission_mode INTO v_mode FROM portals WHERE id = p_portal;
    SELECT * INTO c FROM contacts WHERE id = p_contact;
    IF v_mode IS NULL OR NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF v_mode = 'own_company' THEN
        RETURN c.primary_company_id;
    END IF;
    IF v_mode = 'company_rules' AND EXISTS (
            SELECT 1 FROM portal_permission_rules g
             WHERE g.portal_id = p_portal
             GROUP BY g.group_no
            HAVING bool_and(rule_matches(contact_property(c, g.property), g.operator, g.match_values))) THEN
        RETURN c.primary_company_id;
    END IF;
    RETURN NULL;
END;
$$;
