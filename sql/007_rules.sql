-- 007_rules.sql - the property names the console offers for ticket filters and permission rules:
-- every key ever stored in tickets.properties / contacts.properties, kept by statement triggers,
-- so the settings pages need no scan of all tickets or contacts to list them.

CREATE TABLE ticket_property_keys (
    key  text PRIMARY KEY CHECK (key <> '')
);
CREATE TABLE contact_property_keys (
    key  text PRIMARY KEY CHECK (key <> '')
);

INSERT INTO ticket_property_keys (key)
SELECT DISTINCT k FROM tickets, jsonb_object_keys(properties) k WHERE k <> '' ON CONFLICT DO NOTHING;
INSERT INTO contact_property_keys (key)
SELECT DISTINCT k FROM contacts, jsonb_object_keys(properties) k WHERE k <> '' ON CONFLICT DO NOTHING;

-- One pass over the statement's new rows (a transition table), whatever their number.
CREATE FUNCTION ticket_property_keys_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ticket_property_keys (key)
    SELECT DISTINCT k FROM new_rows, jsonb_object_keys(new_rows.properties) k
     WHERE k <> '' ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE FUNCTION contact_property_keys_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO contact_property_keys (key)
    SELECT DISTINCT k FROM new_rows, jsonb_object_keys(new_rows.properties) k
     WHERE k <> '' ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER tickets_property_keys_ins AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_property_keys_note();
CREATE TRIGGER tickets_property_keys_upd AFTER UPDATE ON tickets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_property_keys_note();
CREATE TRIGGER contacts_property_keys_ins AFTER INSERT ON contacts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION contact_property_keys_note();
CREATE TRIGGER contacts_property_keys_upd AFTER UPDATE ON contacts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION contact_property_keys_note();
