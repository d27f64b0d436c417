-- 002_accounts.sql - customer accounts: single-use links, login rate limiting, list invitations.

-- Single-use links sent by email: address verification, password reset, passwordless login and
-- list invitations. Only the SHA-256 of the token is stored; used_at makes each work once.
CREATE TABLE member_tokens (
    token_sha256  char(64) PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    member_id     bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    purpose       text NOT NULL CHECK (purpose IN ('verify', 'reset', 'login', 'invite')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX member_tokens_member_idx ON member_tokens (member_id, purpose);
CREATE INDEX member_tokens_expires_idx ON member_tokens (expires_at);

-- Failed logins per client address, for the per-address limit (rows older than the window are
-- deleted as new ones come in).
CREATE TABLE login_failures (
    id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ip  inet NOT NULL,
    at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_ip_at_idx ON login_failures (ip, at);

-- Invitations owed to contacts on a list that grants access to a portal in 'lists' mode.
-- Rows are created by the trigger below (whoever adds the contact to the list) or by an
-- admin's resend; the mailer turns each pending row into a token and an email.
CREATE TABLE member_invitations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    portal_id     bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    contact_id    bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz,
    reason        text NOT NULL DEFAULT 'list' CHECK (reason IN ('list', 'resend'))
);
CREATE INDEX member_invitations_pending_idx ON member_invitations (requested_at) WHERE sent_at IS NULL;
CREATE INDEX member_invitations_contact_idx ON member_invitations (contact_id, portal_id);

-- The one definition of "this contact may enter this portal" (access mode and lists).
CREATE FUNCTION portal_contact_allowed(p_portal bigint, p_contact bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p.enabled AND (
        (p.access_mode = 'registration')
        OR (p.access_mode = 'lists' AND EXISTS (
                SELECT 1 FROM portal_lists pl JOIN list_members lm ON lm.list_id = pl.list_id
                 WHERE pl.portal_id = p.id AND lm.contact_id = p_contact))
        OR (p.access_mode = 'sso' AND (p.sso_audience = 'all' OR EXISTS (
                SELECT 1 FROM portal_lists pl JOIN list_members lm ON lm.list_id = pl.list_id
                 WHERE pl.portal_id = p.id AND lm.contact_id = p_contact))))
    FROM portals p WHERE p.id = p_portal
$$;

-- Queue an invitation for every contact who gained access to a portal in 'lists' mode: a
-- contact added to a list, a list attached to a portal, or a portal switched to lists mode
-- (NULL arguments mean "any"). Contacts with a password there, or with an invitation still
-- pending, get none.
CREATE FUNCTION queue_invitations(p_portal bigint, p_list bigint, p_contact bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_invitations (portal_id, contact_id)
    SELECT DISTINCT p.id, lm.contact_id
      FROM portals p JOIN portal_lists pl ON pl.portal_id = p.id
      JOIN list_members lm ON lm.list_id = pl.list_id
     WHERE p.access_mode = 'lists'
       AND (p_portal IS NULL OR p.id = p_portal)
       AND (p_list IS NULL OR pl.list_id = p_list)
       AND (p_contact IS NULL OR lm.contact_id = p_contact)
       AND NOT EXISTS (SELECT 1 FROM members m WHERE m.portal_id = p.id
                          AND m.contact_id = lm.contact_id AND m.password_hash IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM member_invitations i WHERE i.portal_id = p.id
                          AND i.contact_id = lm.contact_id AND i.sent_at IS NULL);
    IF FOUND THEN
        PERFORM pg_notify('mail_outbox', 'invitation');
    END IF;
END $$;

CREATE FUNCTION invitations_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'list_members' THEN
        PERFORM queue_invitations(NULL, NEW.list_id, NEW.contact_id);
    ELSIF TG_TABLE_NAME = 'portal_lists' THEN
        PERFORM queue_invitations(NEW.portal_id, NEW.list_id, NULL);
    ELSE
        PERFORM queue_invitations(NEW.id, NULL, NULL);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER list_members_invite AFTER INSERT ON list_members
    FOR EACH ROW EXECUTE FUNCTION invitations_trigger();
CREATE TRIGGER portal_lists_invite AFTER INSERT ON portal_lists
    FOR EACH ROW EXECUTE FUNCTION invitations_trigger();
CREATE TRIGGER portals_mode_invite AFTER UPDATE OF access_mode ON portals
    FOR EACH ROW WHEN (NEW.access_mode = 'lists' AND OLD.access_mode IS DISTINCT FROM 'lists')
    EXECUTE FUNCTION invitations_trigger();

-- Settings changes reach every worker's cache.
CREATE FUNCTION notify_portal_settings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('portal_settings', TG_TABLE_NAME);
    RETURN NULL;
END $$;
CREATE TRIGGER portals_notify AFTER INSERT OR UPDATE OR DELETE ON portals
    FOR EACH STATEMENT EXECUTE FUNCTION notify_portal_settings();
CREATE TRIGGER portal_domains_notify AFTER INSERT OR UPDATE OR DELETE ON portal_domains
    FOR EACH STATEMENT EXECUTE FUNCTION notify_portal_settings();
CREATE TRIGGER portal_nav_items_notify AFTER INSERT OR UPDATE OR DELETE ON portal_nav_items
    FOR EACH STATEMENT EXECUTE FUNCTION notify_portal_settings();

-- What the admin console calls to send a list invitation again (nothing for a contact who has a
-- password already or is not on the portal's lists). Returns whether one was queued.
CREATE FUNCTION portal_resend_invitation(p_portal bigint, p_contact bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_invitations (portal_id, contact_id, reason)
    SELECT p_portal, p_contact, 'resend'
     WHERE portal_contact_allowed(p_portal, p_contact)
       AND (SELECT access_mode FROM portals WHERE id = p_portal) = 'lists'
       AND NOT EXISTS (SELECT 1 FROM members m WHERE m.portal_id = p_portal
                          AND m.contact_id = p_contact AND m.password_hash IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM member_invitations i WHERE i.portal_id = p_portal
                          AND i.contact_id = p_contact AND i.sent_at IS NULL);
    IF FOUND THEN
        PERFORM pg_notify('mail_outbox', 'invitation');
        RETURN true;
    END IF;
    RETURN false;
END $$;
