-- portal_nav_builtins.sql - the one definition (created first in 021_languages.sql); see sql/README.md.

-- Trigger function (AFTER INSERT on portals, per row): a new portal's navigation menu holds the
-- portal's own links (tickets, new ticket, account, log out), which the admin may then move among
-- the custom items; their labels come from the customer catalog (templates/i18n).
CREATE OR REPLACE FUNCTION portal_nav_builtins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO portal_nav_items (portal_id, builtin, position)
    SELECT NEW.id, b.name, b.n FROM unnest(ARRAY['tickets', 'new_ticket', 'account', 'logout'])
        WITH ORDINALITY AS b (name, n)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
