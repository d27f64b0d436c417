-- 019_ticket_access.sql - the customer's ticket list walks one index in its own order and stops
-- at the page (issue 19). Until now a list collected the whole visible set (the contact's
-- ticket_contacts rows or the company's ticket_companies rows), joined and sorted it before the
-- LIMIT, so a contact or company with thousands of tickets paid for all of them on every page.
--
-- ticket_access: one row per way a ticket is tied to someone in the portal sense — 'mine' (the
-- contact is a requester: ticket_contacts role 'requester'), 'shared' (a cc row), 'org' (a
-- ticket_companies row) — with copies of the fields a list filters and sorts on (is_closed of
-- the ticket's stage, last_activity_at, created_at). It holds no decision of its own: it is
-- ticket_contacts and ticket_companies again, kept by statement-level triggers in the writer's
-- transaction (sql/functions/ticket_access_*.sql). Who sees what is still decided on each
-- request by portal_visible_list() (which company is visible, the portal's filter rules).

-- Nobody writes the ties, a ticket's state or a stage's while the copy is made and its triggers
-- are put in place (each statement here takes a new snapshot): a tie added or removed meanwhile
-- would otherwise be missed for good.
LOCK TABLE tickets, ticket_contacts, ticket_companies, pipeline_stages IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE ticket_access (
    ticket_id         bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    scope             text NOT NULL CHECK (scope IN ('mine', 'shared', 'org')),
    who_id            bigint NOT NULL, -- the contact (mine, shared) or the company (org)
    is_closed         boolean NOT NULL,
    last_activity_at  timestamptz NOT NULL,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, scope, who_id)
);

INSERT INTO ticket_access (ticket_id, scope, who_id, is_closed, last_activity_at, created_at)
SELECT tc.ticket_id, CASE tc.role WHEN 'cc' THEN 'shared' ELSE 'mine' END, tc.contact_id,
       s.is_closed, t.last_activity_at, t.created_at
  FROM ticket_contacts tc JOIN tickets t ON t.id = tc.ticket_id JOIN pipeline_stages s ON s.id = t.stage_id;
INSERT INTO ticket_access (ticket_id, scope, who_id, is_closed, last_activity_at, created_at)
SELECT tco.ticket_id, 'org', tco.company_id, s.is_closed, t.last_activity_at, t.created_at
  FROM ticket_companies tco JOIN tickets t ON t.id = tco.ticket_id JOIN pipeline_stages s ON s.id = t.stage_id;

-- A list page is one range of one of these, walked in order: (who, scope, sort key, id), the
-- open/closed filter read from the index entry.
CREATE INDEX ticket_access_activity_idx ON ticket_access (who_id, scope, last_activity_at, ticket_id) INCLUDE (is_closed);
CREATE INDEX ticket_access_created_idx ON ticket_access (who_id, scope, created_at, ticket_id) INCLUDE (is_closed);

-- Search reads stored word vectors instead of building them from every subject, description
-- and message of the walked tickets on each request (portal_ticket_matches_search). Only the
-- first 200,000 characters are indexed, so that no long text can fail the write (a tsvector
-- holds at most 1 MB).
ALTER TABLE tickets ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', left(subject || ' ' || description, 200000))) STORED;
ALTER TABLE messages ADD COLUMN body_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', left(body, 200000))) STORED;

-- The trigger functions with their definitions of this time; their files replace them at the
-- end of this run and are where they are edited.
CREATE FUNCTION ticket_access_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM ticket_access a USING old_rows o
         WHERE a.ticket_id = o.ticket_id AND a.who_id = o.contact_id
           AND a.scope = CASE o.role WHEN 'cc' THEN 'shared' ELSE 'mine' END;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO ticket_access (ticket_id, scope, who_id, is_closed, last_activity_at, created_at)
        SELECT n.ticket_id, CASE n.role WHEN 'cc' THEN 'shared' ELSE 'mine' END, n.contact_id,
               s.is_closed, t.last_activity_at, t.created_at
          FROM new_rows n JOIN tickets t ON t.id = n.ticket_id JOIN pipeline_stages s ON s.id = t.stage_id
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION ticket_access_companies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM ticket_access a USING old_rows o
         WHERE a.ticket_id = o.ticket_id AND a.who_id = o.company_id AND a.scope = 'org';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO ticket_access (ticket_id, scope, who_id, is_closed, last_activity_at, created_at)
        SELECT n.ticket_id, 'org', n.company_id, s.is_closed, t.last_activity_at, t.created_at
          FROM new_rows n JOIN tickets t ON t.id = n.ticket_id JOIN pipeline_stages s ON s.id = t.stage_id
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION ticket_access_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ticket_access a
       SET is_closed = s.is_closed, last_activity_at = n.last_activity_at, created_at = n.created_at
      FROM new_rows n JOIN pipeline_stages s ON s.id = n.stage_id
     WHERE a.ticket_id = n.id
       AND (a.is_closed, a.last_activity_at, a.created_at)
           IS DISTINCT FROM (s.is_closed, n.last_activity_at, n.created_at);
    RETURN NULL;
END;
$$;

CREATE FUNCTION ticket_access_stages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ticket_access a SET is_closed = NEW.is_closed
      FROM tickets t WHERE t.id = a.ticket_id AND t.stage_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE FUNCTION ticket_access_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'ticket_companies' THEN
        DELETE FROM ticket_access WHERE scope = 'org';
    ELSE
        DELETE FROM ticket_access WHERE scope IN ('mine', 'shared');
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ticket_contacts_access_ins AFTER INSERT ON ticket_contacts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_access_contacts();
CREATE TRIGGER ticket_contacts_access_upd AFTER UPDATE ON ticket_contacts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_access_contacts();
CREATE TRIGGER ticket_contacts_access_del AFTER DELETE ON ticket_contacts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_access_contacts();
CREATE TRIGGER ticket_companies_access_ins AFTER INSERT ON ticket_companies
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_access_companies();
CREATE TRIGGER ticket_companies_access_upd AFTER UPDATE ON ticket_companies
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_access_companies();
CREATE TRIGGER ticket_companies_access_del AFTER DELETE ON ticket_companies
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_access_companies();
CREATE TRIGGER tickets_access_upd AFTER UPDATE ON tickets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_access_tickets();
CREATE TRIGGER pipeline_stages_access_upd AFTER UPDATE OF is_closed ON pipeline_stages
    FOR EACH ROW WHEN (OLD.is_closed IS DISTINCT FROM NEW.is_closed) EXECUTE FUNCTION ticket_access_stages();
CREATE TRIGGER ticket_contacts_access_trunc AFTER TRUNCATE ON ticket_contacts
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_access_truncate();
CREATE TRIGGER ticket_companies_access_trunc AFTER TRUNCATE ON ticket_companies
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_access_truncate();
