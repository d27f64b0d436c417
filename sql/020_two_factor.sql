-- 020_two_factor.sql - a second factor (TOTP, RFC 6238) for customers and staff, with single-use
-- recovery codes and the step between the first factor and the session; install-wide settings
-- (the console's time zone, a second factor required of all staff); the slugs account and metrics
-- reserved.

-- The ticket slug may not take a path the portal answers itself.
UPDATE portals SET ticket_slug = 'tickets' WHERE ticket_slug IN ('account', 'metrics');
ALTER TABLE portals DROP CONSTRAINT IF EXISTS portals_ticket_slug_check;
ALTER TABLE portals ADD CONSTRAINT portals_ticket_slug_check
    CHECK (ticket_slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'
           AND length(ticket_slug) <= 64
           AND ticket_slug NOT IN ('login', 'logout', 'register', 'verify', 'password-reset',
               'access-denied', 'request-too-large', 'files', 'kb-link', 'sso', 'healthz', 'admin',
               'api', 'static', 'assets', 'account', 'metrics'));

-- An admin may require a second factor of the portal's customers (those who sign in with a
-- password or a link; never with single sign-on on): they set it up at their next login.
ALTER TABLE portals ADD COLUMN two_factor_required boolean NOT NULL DEFAULT false;

-- Settings of the whole install (not of one portal): exactly one row.
CREATE TABLE install_settings (
    id                         int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    -- the zone every time in the console is shown in (portals show theirs: portals.time_zone)
    time_zone                  text NOT NULL DEFAULT 'UTC' CHECK (time_zone <> '' AND length(time_zone) <= 64),
    -- every staff user must have a second factor (set up at their next login)
    staff_two_factor_required  boolean NOT NULL DEFAULT false,
    updated_at                 timestamptz NOT NULL DEFAULT now()
);
INSERT INTO install_settings DEFAULT VALUES;
CREATE TRIGGER install_settings_updated_at BEFORE UPDATE ON install_settings
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER install_settings_notify AFTER INSERT OR UPDATE OR DELETE ON install_settings
    FOR EACH STATEMENT EXECUTE FUNCTION notify_portal_settings();

-- A login's second factor: a member's (one portal's login) or a staff user's. secret_sealed is the
-- TOTP secret sealed by lib/secretbox.h under the context "two_factor:<id>". A row with
-- confirmed_at NULL is an enrolment in progress (the QR code shown, no code typed yet) and asks
-- nothing at login. last_step is the highest TOTP time step accepted: a code is never taken twice.
CREATE TABLE two_factors (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id      bigint UNIQUE REFERENCES members (id) ON DELETE CASCADE,
    staff_user_id  bigint UNIQUE REFERENCES staff_users (id) ON DELETE CASCADE,
    secret_sealed  text NOT NULL CHECK (secret_sealed <> '' AND length(secret_sealed) <= 512),
    confirmed_at   timestamptz,
    last_step      bigint NOT NULL DEFAULT 0 CHECK (last_step >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((member_id IS NULL) <> (staff_user_id IS NULL))
);

-- Ten single-use recovery codes per confirmed factor, shown once; only their HMAC-SHA-256 under the
-- install's secret_key (with the factor's id) is kept, so the database alone does not yield them.
CREATE TABLE two_factor_recovery_codes (
    two_factor_id  bigint NOT NULL REFERENCES two_factors (id) ON DELETE CASCADE,
    code_hmac      text NOT NULL CHECK (code_hmac ~ '^[0-9a-f]{64}$'),
    used_at        timestamptz,
    PRIMARY KEY (two_factor_id, code_hmac)
);

-- The step between the first factor (a password, a login link, a ticket link) and the session:
-- the browser holds a random token (its own cookie), the row its SHA-256, who passed the first
-- factor, how, where they were going, and the wrong codes typed. Ten minutes, used once.
CREATE TABLE two_factor_challenges (
    token_sha256   text PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    member_id      bigint REFERENCES members (id) ON DELETE CASCADE,
    staff_user_id  bigint REFERENCES staff_users (id) ON DELETE CASCADE,
    portal_id      bigint REFERENCES portals (id) ON DELETE CASCADE,
    method         text NOT NULL CHECK (method ~ '^[a-z_]{1,32}$'),
    next           text NOT NULL DEFAULT '' CHECK (length(next) <= 2048),
    failures       int NOT NULL DEFAULT 0 CHECK (failures >= 0),
    expires_at     timestamptz NOT NULL,
    CHECK ((member_id IS NOT NULL AND staff_user_id IS NULL AND portal_id IS NOT NULL)
        OR (staff_user_id IS NOT NULL AND member_id IS NULL))
);
CREATE INDEX two_factor_challenges_expires_idx ON two_factor_challenges (expires_at);
