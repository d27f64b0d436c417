-- 021_languages.sql - every text a customer sees follows the domain's language (issue 15).
--
-- The pattern everywhere: the existing text is the default (written in the portal's primary
-- language) and a jsonb object {"<language>": text} holds the translations. A page shows the
-- request language's translation, else the primary language's, else the default.

-- Consent notice and checkbox: {"sv": {"text": ..., "label": ...}}; both or neither per language.
ALTER TABLE portals ADD COLUMN consent_i18n jsonb NOT NULL DEFAULT '{}'
    CHECK (jsonb_typeof(consent_i18n) = 'object');

-- Navigation: a label per language, and the portal's own links as items (builtin) that the admin
-- places among the custom ones. A built-in item has no label or URL of its own.
ALTER TABLE portal_nav_items
    ADD COLUMN labels jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(labels) = 'object'),
    ADD COLUMN builtin text CHECK (builtin IN ('tickets', 'new_ticket', 'account', 'logout')),
    ALTER COLUMN label DROP NOT NULL,
    ALTER COLUMN url DROP NOT NULL,
    ADD CONSTRAINT portal_nav_items_kind CHECK (
        CASE WHEN builtin IS NULL THEN label IS NOT NULL AND url IS NOT NULL
             ELSE label IS NULL AND url IS NULL END);
CREATE UNIQUE INDEX portal_nav_items_builtin_key ON portal_nav_items (portal_id, builtin)
    WHERE builtin IS NOT NULL;

-- Every existing portal keeps showing its own links, after its custom items as before.
INSERT INTO portal_nav_items (portal_id, builtin, position)
SELECT p.id, b.name, coalesce((SELECT max(position) FROM portal_nav_items n WHERE n.portal_id = p.id), 0) + b.n
FROM portals p, unnest(ARRAY['tickets', 'new_ticket', 'account', 'logout']) WITH ORDINALITY AS b (name, n);

-- New portals get them too (the definition's home: functions/portal_nav_builtins.sql).
CREATE FUNCTION portal_nav_builtins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO portal_nav_items (portal_id, builtin, position)
    SELECT NEW.id, b.name, b.n FROM unnest(ARRAY['tickets', 'new_ticket', 'account', 'logout'])
        WITH ORDINALITY AS b (name, n)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER portals_nav_builtins AFTER INSERT ON portals
    FOR EACH ROW EXECUTE FUNCTION portal_nav_builtins();

-- Custom ticket properties as customers see them (install-wide, like the keys): a default label,
-- translations, and whether customers see it at all. A key without a definition is hidden.
CREATE TABLE ticket_property_defs (
    key         text PRIMARY KEY REFERENCES ticket_property_keys (key) ON DELETE CASCADE,
    label       text NOT NULL CHECK (btrim(label) <> '' AND length(label) <= 100),
    labels      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(labels) = 'object'),
    visible     boolean NOT NULL DEFAULT false,
    position    int NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Support form fields keep their JSON shape: a field may carry "labels": {"sv": ...} beside
-- "label", and a select option object "labels" beside its "label" (no schema change).
