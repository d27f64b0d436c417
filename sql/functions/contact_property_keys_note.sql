-- contact_property_keys_note.sql - the one definition (was in 007_rules.sql); see sql/README.md.

-- Trigger function (statement triggers on contacts): notes every key of contacts.properties
-- in contact_property_keys, one pass over the statement's new rows (a transition table).
CREATE OR REPLACE FUNCTION contact_property_keys_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO contact_property_keys (key)
    SELECT DISTINCT k FROM new_rows, jsonb_object_keys(new_rows.properties) k
     WHERE k <> '' ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
