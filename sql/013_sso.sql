-- 013_sso.sql - single sign-on: each portal's SAML and JWT settings, the AuthnRequests it sent
-- (InResponseTo), and the assertion IDs and JWT ids it has accepted (replay), kept until expiry.

CREATE TABLE portal_sso (
    portal_id             bigint PRIMARY KEY REFERENCES portals (id) ON DELETE CASCADE,
    saml_idp_entity_id    text NOT NULL DEFAULT '' CHECK (length(saml_idp_entity_id) <= 1024),
    saml_idp_sso_url      text NOT NULL DEFAULT '' CHECK (length(saml_idp_sso_url) <= 2048),
    saml_idp_cert         text NOT NULL DEFAULT '' CHECK (length(saml_idp_cert) <= 16384),
    saml_email_attribute  text NOT NULL DEFAULT '' CHECK (length(saml_email_attribute) <= 256),
    saml_allow_sha1       boolean NOT NULL DEFAULT false,
    jwt_login_url         text NOT NULL DEFAULT '' CHECK (length(jwt_login_url) <= 2048),
    jwt_alg               text NOT NULL DEFAULT 'HS256' CHECK (jwt_alg IN ('HS256', 'RS256')),
    jwt_secret            text NOT NULL DEFAULT '',
    jwt_secret_at         timestamptz,
    jwt_public_key        text NOT NULL DEFAULT '' CHECK (length(jwt_public_key) <= 16384),
    jwt_issuer            text NOT NULL DEFAULT '' CHECK (length(jwt_issuer) <= 1024),
    jwt_audience          text NOT NULL DEFAULT '' CHECK (length(jwt_audience) <= 1024),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER portal_sso_updated_at BEFORE UPDATE ON portal_sso
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- AuthnRequests sent: a Response must answer one of them, once, within ten minutes.
CREATE TABLE sso_requests (
    id           text PRIMARY KEY CHECK (length(id) <= 64),
    portal_id    bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    relay_state  text NOT NULL DEFAULT '' CHECK (length(relay_state) <= 2048),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sso_requests_expires_idx ON sso_requests (expires_at);

-- Identities already used: SAML assertion IDs and JWT replay keys (jti, or the signature's hash).
CREATE TABLE sso_seen (
    portal_id   bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('saml', 'jwt')),
    key         text NOT NULL CHECK (length(key) <= 300),
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (portal_id, kind, key)
);
CREATE INDEX sso_seen_expires_idx ON sso_seen (expires_at);
