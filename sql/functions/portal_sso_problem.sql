-- portal_sso_problem.sql - the one definition (was in 013_sso.sql); see sql/README.md.

-- What keeps a portal's single sign-on from working ('' when nothing): for the Access page and
-- the switch-on check of the admin console.
CREATE OR REPLACE FUNCTION portal_sso_problem(p_portal bigint) RETURNS text LANGUAGE sql STABLE AS $$
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
