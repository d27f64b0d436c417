-- 008_templates.sql - per portal: which shipped template renders each system page, or the copy
-- an admin edited (compiled before it is saved); and admin-edited registration / invitation
-- emails per language, used instead of the shipped ones when present.

CREATE TABLE portal_page_templates (
    portal_id      bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    page           text NOT NULL CHECK (page IN ('register', 'login', 'logout', 'access_denied',
                                                 'password_reset_request', 'password_reset')),
    choice         text NOT NULL DEFAULT 'standard'
                   CHECK (choice IN ('standard', 'alternative', 'custom')),
    -- kept while another template is chosen, so the admin can switch back to it
    custom_source  text CHECK (custom_source IS NULL
                               OR (custom_source <> '' AND octet_length(custom_source) <= 61440)),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (portal_id, page),
    CHECK (choice <> 'custom' OR custom_source IS NOT NULL)
);
-- every worker recompiles its portal cache (custom sources included) on this NOTIFY
CREATE TRIGGER portal_page_templates_notify AFTER INSERT OR UPDATE OR DELETE ON portal_page_templates
    FOR EACH STATEMENT EXECUTE FUNCTION notify_portal_settings();

-- Read when an email is rendered (by the worker for "verify", by the mailer for "invite"), so
-- no NOTIFY is needed. body_text is mustache with the shipped template's variables.
CREATE TABLE portal_email_templates (
    portal_id   bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    email       text NOT NULL CHECK (email IN ('invite', 'verify')),
    language    text NOT NULL CHECK (language IN ('en', 'sv')),
    subject     text NOT NULL CHECK (btrim(subject) <> '' AND length(subject) <= 300
                                     AND subject !~ '[\r\n]'),
    body_text   text NOT NULL CHECK (btrim(body_text) <> '' AND octet_length(body_text) <= 20000),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (portal_id, email, language)
);
