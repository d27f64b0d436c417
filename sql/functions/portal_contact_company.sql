-- portal_contact_company.sql - the one definition (was in 003_tickets.sql, then in
-- 012_session_speed.sql); see sql/README.md.

-- The company whose tickets a contact may see in a portal, or NULL: their primary company in
-- mode own_company; in mode company_rules only when the contact matches every rule of at least
-- one group (AND inside a group, OR between groups). plpgsql for the same reason as
-- portal_contact_allowed: its plan is cached per connection.
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
