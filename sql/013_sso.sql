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

-- AuthnRequests sent: a Response must answer one of them, once, within ten minutes. ip bounds
-- how many open requests one client address may have (the table cannot be flooded).
CREATE TABLE sso_requests (
    id           text PRIMARY KEY CHECK (length(id) <= 64),
    portal_id    bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    relay_state  text NOT NULL DEFAULT '' CHECK (length(relay_state) <= 2048),
    ip           inet,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sso_requests_expires_idx ON sso_requests (expires_at);
CREATE INDEX sso_requests_ip_idx ON sso_requests (ip, expires_at);

-- Identities already used: SAML assertion IDs and JWT replay keys (jti, or the signature's hash).
CREATE TABLE sso_seen (
    portal_id   bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('saml', 'jwt')),
    key         text NOT NULL CHECK (length(key) <= 300),
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (portal_id, kind, key)
);
CREATE INDEX sso_seen_expires_idx ON sso_seen (expires_at);

-- The login URL of JWT sign-on is part of every worker's settings cache (the redirect of a
-- visitor without a session).
CREATE TRIGGER portal_sso_notify AFTER INSERT OR UPDATE OR DELETE ON portal_sso
    FOR EACH STATEMENT EXECUTE FUNCTION notify_portal_settings();

-- What keeps a portal's single sign-on from working ('' when nothing): for the Access page and
-- the switch-on check of the admin console.
CREATE FUNCTION portal_sso_problem(p_portal bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN p.sso_method IS NULL THEN 'Choose a single sign-on method and set it up (Single sign-on).'
        WHEN s.portal_id IS NULL THEN 'Set single sign-on up (Single sign-on).'
        WHEN p.sso_method = 'saml' AND (s.saml_idp_entity_id = '' OR s.saml_idp_sso_url = ''
                                         OR s.saml_idp_cert = '')
            THEN 'SAML needs the identity provider''s entity ID, SSO URL and certificate (Single sign-on).'
        WHEN p.sso_method = 'jwt' AND s.jwt_login_url = ''
            THEN 'JWT sign-on needs the login URL of your app (Single sign-on).'
        WHEN p.sso_method = 'jwt' AND s.jwt_alg = 'HS256' AND s.jwt_secret = ''
            THEN 'Generate the JWT signing secret (Single sign-on).'
        WHEN p.sso_method = 'jwt' AND s.jwt_alg = 'RS256' AND s.jwt_public_key = ''
            THEN 'Paste the public key of your app for RS256 (Single sign-on).'
        ELSE '' END
      FROM portals p LEFT JOIN portal_sso s ON s.portal_id = p.id
     WHERE p.id = p_portal
$$;

-- The SSO settings page lists a portal's latest refused sign-ons.
CREATE INDEX audit_log_sso_refused_idx ON audit_log (portal_id, at DESC) WHERE action = 'sso_refused';
