-- ticket_access_truncate.sql - keeps ticket_access (019) in step with a TRUNCATE of
-- ticket_contacts or ticket_companies, which the row and statement triggers of INSERT, UPDATE and
-- DELETE never see: the scopes that table gave go with it.
CREATE OR REPLACE FUNCTION ticket_access_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'ticket_companies' THEN
        DELETE FROM ticket_access WHERE scope = 'org';
    ELSE
        DELETE FROM ticket_access WHERE scope IN ('mine', 'shared');
    END IF;
    RETURN NULL;
END;
$$;
