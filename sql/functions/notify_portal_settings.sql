-- notify_portal_settings.sql - the one definition (was in 002_accounts.sql); see sql/README.md.

-- Settings changes reach every worker's cache.
CREATE OR REPLACE FUNCTION notify_portal_settings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('portal_settings', TG_TABLE_NAME);
    RETURN NULL;
END $$;
