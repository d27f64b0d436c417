-- set_updated_at.sql - the one definition (was in 001_init.sql); see sql/README.md.

-- Trigger function: keeps an updated_at column current on UPDATE.
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
