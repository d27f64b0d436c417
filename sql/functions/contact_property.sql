-- contact_property.sql - the one definition (was in 003_tickets.sql); see sql/README.md.

-- The value of a contact property as the portal's permission rules name it.
CREATE OR REPLACE FUNCTION contact_property(c contacts, p_property text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE p_property
        WHEN 'email' THEN c.email
        WHEN 'first_name' THEN c.first_name
        WHEN 'last_name' THEN c.last_name
        ELSE c.properties ->> p_property
    END
$$;
