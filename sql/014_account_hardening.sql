-- 014_account_hardening.sql - a password only from someone who read the mailbox; single sign-on
-- bound to the browser that started it; several IdP certificates; a remote logout URL; text
-- typed without a session kept for thirty minutes.

-- Logins never verified lose the password a visitor chose for them: it was set by whoever filled
-- in the registration form, not necessarily the owner of the address. A reset or login link
-- verifies them and lets the owner choose one.
UPDATE members SET password_hash = NULL WHERE verified_at IS NULL AND password_hash IS NOT NULL;

-- saml_idp_cert holds one or more PEM certificates (the IdP metadata's signing certificates and
-- one pasted by hand); a signature by any of them verifies.
ALTER TABLE portal_sso DROP CONSTRAINT IF EXISTS portal_sso_saml_idp_cert_check;
ALTER TABLE portal_sso ADD CONSTRAINT portal_sso_saml_idp_cert_check CHECK (length(saml_idp_cert) <= 65536);
-- Where the browser goes after the portal's own logout (the IdP's SingleLogoutService or the
-- app's logout page); '' for none.
ALTER TABLE portal_sso ADD COLUMN logout_url text NOT NULL DEFAULT '' CHECK (length(logout_url) <= 2048);

-- A sign-on the portal started (SAML AuthnRequest, or the redirect to the JWT app's login URL),
-- tied to the browser by the SHA-256 of its pre-session cookie.
ALTER TABLE sso_requests ADD COLUMN kind text NOT NULL DEFAULT 'saml' CHECK (kind IN ('saml', 'jwt'));
ALTER TABLE sso_requests ADD COLUMN pre_hash text CHECK (length(pre_hash) = 64);
CREATE INDEX sso_requests_pre_idx ON sso_requests (portal_id, pre_hash) WHERE kind = 'jwt';

-- A verified identity waiting for the browser that started the sign-on (SAML: the ACS answers
-- 303 to /sso/saml/finish?h=<handle>) or for the person to confirm it (JWT that arrived
-- without a sign-on started in this browser). Kept two minutes (SAML) or ten (JWT), used once.
CREATE TABLE sso_handoffs (
    handle_sha256  text PRIMARY KEY CHECK (length(handle_sha256) = 64),
    portal_id      bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    method         text NOT NULL CHECK (method IN ('saml', 'jwt')),
    email          text NOT NULL CHECK (length(email) <= 320),
    name           text NOT NULL DEFAULT '' CHECK (length(name) <= 256),
    next           text NOT NULL DEFAULT '' CHECK (length(next) <= 2048),
    pre_hash       text CHECK (length(pre_hash) = 64),
    expires_at     timestamptz NOT NULL
);
CREATE INDEX sso_handoffs_expires_idx ON sso_handoffs (expires_at);

-- Text of a reply or a new ticket posted without a session (it expired, or the customer logged
-- out in another tab): kept for the browser (its pre-session cookie) for thirty minutes and
-- offered back in the form after sign-in. Files are not kept.
CREATE TABLE drafts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    portal_id   bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    pre_hash    text NOT NULL CHECK (length(pre_hash) = 64),
    page        text NOT NULL CHECK (length(page) <= 1024),
    fields      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX drafts_pre_idx ON drafts (portal_id, pre_hash, page);
CREATE INDEX drafts_expires_idx ON drafts (expires_at);
