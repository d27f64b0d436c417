-- 001_init.sql — initial schema of the customer portal (PostgreSQL 15).
--
-- Applied by the migration runner in one transaction (psql -v ON_ERROR_STOP=1);
-- the runner keeps its own schema_migrations table. No extensions are needed.
--
-- Conventions:
--   * ids are "bigint generated always as identity"; to insert an explicit id
--     use INSERT ... OVERRIDING SYSTEM VALUE.
--   * every time is timestamptz; created_at defaults to now().
--   * e-mail addresses and host names are unique case-insensitively through
--     unique indexes on lower(...); look them up with lower(col) = lower($1).
--   * hex digests (sha256 of files, session tokens) are lower-case hex char(64).
--   * list-valued rule operands are text[] in a column named match_values
--     ("values" is an SQL reserved word).

-- ---------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------

-- Keeps an updated_at column current on UPDATE.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- ---------------------------------------------------------------------------
-- CRM: companies, contacts, lists
-- ---------------------------------------------------------------------------

-- Customer organisations; properties holds custom company properties.
CREATE TABLE companies (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> ''),
    domain      text CHECK (domain IS NULL OR domain ~ '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$'),
    properties  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX companies_domain_key ON companies (lower(domain)) WHERE domain IS NOT NULL;

-- People the support team talks to; each may belong to one primary company.
-- properties holds custom contact properties (used by company permission rules).
CREATE TABLE contacts (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email               text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'
                                             AND length(email) <= 254),
    first_name          text NOT NULL DEFAULT '',
    last_name           text NOT NULL DEFAULT '',
    primary_company_id  bigint REFERENCES companies (id) ON DELETE SET NULL,
    properties          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contacts_email_key ON contacts (lower(email));
CREATE INDEX contacts_primary_company_idx ON contacts (primary_company_id);

-- Named static lists of contacts (used for portal access and SSO audience).
CREATE TABLE lists (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> ''),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX lists_name_key ON lists (lower(name));

-- Membership of contacts in lists.
CREATE TABLE list_members (
    list_id     bigint NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    contact_id  bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (list_id, contact_id)
);
CREATE INDEX list_members_contact_idx ON list_members (contact_id);

-- ---------------------------------------------------------------------------
-- Tickets
-- ---------------------------------------------------------------------------

-- Ticket pipelines (e.g. Support, Billing), shown in display_order.
CREATE TABLE pipelines (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL CHECK (btrim(name) <> ''),
    display_order  int NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX pipelines_name_key ON pipelines (lower(name));

-- Stages of a pipeline in position order; is_closed marks the "Closed" state.
CREATE TABLE pipeline_stages (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pipeline_id  bigint NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (btrim(name) <> ''),
    position     int NOT NULL CHECK (position >= 0),
    is_closed    boolean NOT NULL DEFAULT false,
    UNIQUE (pipeline_id, position),
    UNIQUE (id, pipeline_id)            -- target of the composite FKs below
);
CREATE UNIQUE INDEX pipeline_stages_name_key ON pipeline_stages (pipeline_id, lower(name));

-- Support tickets. status open/closed = the stage's is_closed. The composite FK
-- guarantees the stage belongs to the ticket's pipeline. properties holds custom
-- ticket properties.
CREATE TABLE tickets (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject           text NOT NULL CHECK (btrim(subject) <> '' AND length(subject) <= 500),
    description       text NOT NULL DEFAULT '',
    priority          text CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    pipeline_id       bigint NOT NULL REFERENCES pipelines (id),
    stage_id          bigint NOT NULL,
    properties        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_activity_at  timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz,
    FOREIGN KEY (stage_id, pipeline_id) REFERENCES pipeline_stages (id, pipeline_id),
    CHECK (last_activity_at >= created_at),
    CHECK (closed_at IS NULL OR closed_at >= created_at)
);
CREATE INDEX tickets_stage_idx ON tickets (stage_id, pipeline_id);
CREATE INDEX tickets_pipeline_idx ON tickets (pipeline_id);
CREATE INDEX tickets_last_activity_idx ON tickets (last_activity_at DESC, id DESC);
CREATE INDEX tickets_created_idx ON tickets (created_at DESC, id DESC);

-- Contacts associated with a ticket (the requester and any CC'd contacts).
CREATE TABLE ticket_contacts (
    ticket_id   bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    contact_id  bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, contact_id)
);
CREATE INDEX ticket_contacts_contact_idx ON ticket_contacts (contact_id, ticket_id);

-- Companies associated with a ticket.
CREATE TABLE ticket_companies (
    ticket_id   bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    company_id  bigint NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, company_id)
);
CREATE INDEX ticket_companies_company_idx ON ticket_companies (company_id, ticket_id);

-- ---------------------------------------------------------------------------
-- Staff
-- ---------------------------------------------------------------------------

-- Admins and agents of the support team (admin console, inbox).
CREATE TABLE staff_users (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email          text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    name           text NOT NULL DEFAULT '',
    password_hash  text NOT NULL,                       -- argon2id encoded string
    role           text NOT NULL DEFAULT 'agent' CHECK (role IN ('admin', 'agent')),
    failed_logins  int NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_users_email_key ON staff_users (lower(email));

-- ---------------------------------------------------------------------------
-- Conversations
-- ---------------------------------------------------------------------------

-- Conversation inboxes of the team.
CREATE TABLE inboxes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> ''),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Team e-mail addresses of an inbox. Only mail to/from a connected address is
-- shown in the portal.
CREATE TABLE inbox_addresses (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inbox_id    bigint NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    address     text NOT NULL CHECK (address ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    connected   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX inbox_addresses_address_key ON inbox_addresses (lower(address));
CREATE INDEX inbox_addresses_inbox_idx ON inbox_addresses (inbox_id);

-- Conversation threads in an inbox; ticket_id NULL = not (or no longer) tied to
-- a ticket. The portal shows only the thread with the latest last_message_at.
CREATE TABLE threads (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id        bigint REFERENCES tickets (id) ON DELETE SET NULL,
    inbox_id         bigint NOT NULL REFERENCES inboxes (id),
    channel          text NOT NULL CHECK (channel IN ('email', 'chat', 'messenger', 'form', 'portal', 'phone')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_message_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (last_message_at >= created_at)
);
CREATE INDEX threads_ticket_idx ON threads (ticket_id, last_message_at DESC, id DESC);
CREATE INDEX threads_inbox_idx ON threads (inbox_id, last_message_at DESC);

-- Messages of a thread. kind 'note' = internal note (never shown to customers;
-- always direction 'outgoing', written by staff). reply_nonce is a one-time
-- token of the submitting form against double submits.
CREATE TABLE messages (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    thread_id          bigint NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    direction          text NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
    kind               text NOT NULL DEFAULT 'message' CHECK (kind IN ('message', 'note')),
    author_contact_id  bigint REFERENCES contacts (id) ON DELETE SET NULL,
    author_user_id     bigint REFERENCES staff_users (id) ON DELETE SET NULL,
    from_address       text,
    to_addresses       text[] NOT NULL DEFAULT '{}',
    body               text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    reply_nonce        text UNIQUE,
    CHECK (author_contact_id IS NULL OR author_user_id IS NULL),
    CHECK (kind = 'message' OR (direction = 'outgoing' AND author_contact_id IS NULL))
);
CREATE INDEX messages_thread_idx ON messages (thread_id, created_at, id);
CREATE INDEX messages_author_contact_idx ON messages (author_contact_id) WHERE author_contact_id IS NOT NULL;
CREATE INDEX messages_author_user_idx ON messages (author_user_id) WHERE author_user_id IS NOT NULL;

-- Files attached to messages; the bytes live on disk, addressed by sha256.
CREATE TABLE attachments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id    bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    file_name     text NOT NULL CHECK (file_name <> '' AND length(file_name) <= 255
                                       AND file_name !~ '[/\\[:cntrl:]]'
                                       AND file_name NOT IN ('.', '..')),
    content_type  text NOT NULL DEFAULT 'application/octet-stream',
    size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
    sha256        char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_message_idx ON attachments (message_id);

-- Timeline entries on contacts and tickets (e-mails, form submissions, portal
-- replies, ...).
CREATE TABLE engagements (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    contact_id  bigint REFERENCES contacts (id) ON DELETE SET NULL,
    ticket_id   bigint REFERENCES tickets (id) ON DELETE SET NULL,
    message_id  bigint REFERENCES messages (id) ON DELETE SET NULL,
    summary     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX engagements_contact_idx ON engagements (contact_id, created_at DESC) WHERE contact_id IS NOT NULL;
CREATE INDEX engagements_ticket_idx ON engagements (ticket_id, created_at DESC) WHERE ticket_id IS NOT NULL;
CREATE INDEX engagements_message_idx ON engagements (message_id) WHERE message_id IS NOT NULL;

-- ---------------------------------------------------------------------------
-- Forms
-- ---------------------------------------------------------------------------

-- Forms whose submissions create tickets in a pipeline stage and a thread in an
-- inbox. fields: JSON array of {name, label, property, type, required[, options]}.
CREATE TABLE forms (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (btrim(name) <> ''),
    inbox_id     bigint NOT NULL REFERENCES inboxes (id),
    pipeline_id  bigint NOT NULL REFERENCES pipelines (id),
    stage_id     bigint NOT NULL,
    fields       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(fields) = 'array'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (stage_id, pipeline_id) REFERENCES pipeline_stages (id, pipeline_id)
);
CREATE INDEX forms_inbox_idx ON forms (inbox_id);
CREATE INDEX forms_stage_idx ON forms (stage_id, pipeline_id);

-- ---------------------------------------------------------------------------
-- Portal settings
-- ---------------------------------------------------------------------------

-- One row per customer portal (brand) with all of its settings. Exactly one may
-- be the default (served for a Host that matches no portal domain).
CREATE TABLE portals (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                     text NOT NULL CHECK (btrim(name) <> ''),
    page_title               text NOT NULL DEFAULT '',
    is_default               boolean NOT NULL DEFAULT false,
    enabled                  boolean NOT NULL DEFAULT false,
    ticket_slug              text NOT NULL DEFAULT 'tickets'
                             CHECK (ticket_slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'
                                    AND length(ticket_slug) <= 64
                                    AND ticket_slug NOT IN ('login', 'logout', 'register', 'verify',
                                        'password-reset', 'access-denied', 'files', 'kb-link', 'sso',
                                        'healthz', 'admin', 'api', 'static', 'assets')),
    access_mode              text NOT NULL DEFAULT 'registration'
                             CHECK (access_mode IN ('registration', 'lists', 'sso')),
    sso_method               text CHECK (sso_method IN ('saml', 'jwt')),
    sso_audience             text NOT NULL DEFAULT 'all' CHECK (sso_audience IN ('all', 'lists')),
    consent_text             text NOT NULL DEFAULT '',
    consent_label            text NOT NULL DEFAULT '',
    permission_mode          text NOT NULL DEFAULT 'own'
                             CHECK (permission_mode IN ('own', 'own_company', 'company_rules')),
    show_custom_stages       boolean NOT NULL DEFAULT false,
    default_inbox_id         bigint REFERENCES inboxes (id) ON DELETE SET NULL,
    support_form_id          bigint REFERENCES forms (id) ON DELETE SET NULL,
    time_zone                text NOT NULL DEFAULT 'UTC',
    session_timeout_minutes  int NOT NULL DEFAULT 60 CHECK (session_timeout_minutes BETWEEN 5 AND 43200),
    theme                    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(theme) = 'object'),
    kb_link_enabled          boolean NOT NULL DEFAULT false,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CHECK (access_mode <> 'sso' OR sso_method IS NOT NULL)
);
CREATE UNIQUE INDEX portals_one_default ON portals (is_default) WHERE is_default;
CREATE TRIGGER portals_updated_at BEFORE UPDATE ON portals
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Host names a portal answers on; the primary domain's language is the
-- portal's language. host is lower-case, without port.
CREATE TABLE portal_domains (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    portal_id   bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    host        text NOT NULL CHECK (host ~ '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$' AND length(host) <= 253),
    language    text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'sv')),
    is_primary  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX portal_domains_host_key ON portal_domains (lower(host));
CREATE UNIQUE INDEX portal_domains_one_primary ON portal_domains (portal_id) WHERE is_primary;
CREATE INDEX portal_domains_portal_idx ON portal_domains (portal_id);

-- Contact lists that grant access (access_mode 'lists') or form the SSO
-- audience (sso_audience 'lists').
CREATE TABLE portal_lists (
    portal_id  bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    list_id    bigint NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    PRIMARY KEY (portal_id, list_id)
);
CREATE INDEX portal_lists_list_idx ON portal_lists (list_id);

-- Ticket filter rules (all must match) deciding which tickets the portal shows.
-- property: a built-in ('pipeline' = pipeline name, 'stage', 'priority', ...)
-- or a key of tickets.properties.
CREATE TABLE portal_ticket_filters (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    portal_id     bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    property      text NOT NULL CHECK (property <> ''),
    operator      text NOT NULL CHECK (operator IN ('any_of', 'none_of', 'equals', 'contains', 'is_known')),
    match_values  text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX portal_ticket_filters_portal_idx ON portal_ticket_filters (portal_id);

-- Contact property rules for permission_mode 'company_rules': rules with the
-- same group_no are ANDed, groups are ORed.
CREATE TABLE portal_permission_rules (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    portal_id     bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    group_no      int NOT NULL CHECK (group_no >= 0),
    property      text NOT NULL CHECK (property <> ''),
    operator      text NOT NULL CHECK (operator IN ('any_of', 'none_of', 'equals', 'contains', 'is_known')),
    match_values  text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX portal_permission_rules_portal_idx ON portal_permission_rules (portal_id, group_no);

-- Navigation menu entries of a portal, in position order.
CREATE TABLE portal_nav_items (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    portal_id  bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    label      text NOT NULL CHECK (btrim(label) <> ''),
    url        text NOT NULL CHECK (url ~ '^(https?://[^[:space:]]+|/[^/[:space:]][^[:space:]]*|/)$'),
    position   int NOT NULL DEFAULT 0
);
CREATE INDEX portal_nav_items_portal_idx ON portal_nav_items (portal_id, position);

-- ---------------------------------------------------------------------------
-- Portal logins, sessions
-- ---------------------------------------------------------------------------

-- A contact's login to one portal. password_hash NULL until set (invited or
-- SSO-only); verified_at NULL until the e-mail is confirmed. consent_* records
-- the consent given at self-registration.
CREATE TABLE members (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    portal_id      bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    contact_id     bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    password_hash  text,                                -- argon2id encoded string
    verified_at    timestamptz,
    failed_logins  int NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until   timestamptz,
    consent_text   text,
    consent_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (portal_id, contact_id),
    CHECK ((consent_text IS NULL) = (consent_at IS NULL))
);
CREATE INDEX members_contact_idx ON members (contact_id);

-- Login sessions of members (customers) and staff. Only the SHA-256 (lower-case
-- hex) of the cookie token is stored. Staff sessions have portal_id NULL.
CREATE TABLE sessions (
    token_sha256   char(64) PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    kind           text NOT NULL CHECK (kind IN ('member', 'staff')),
    member_id      bigint REFERENCES members (id) ON DELETE CASCADE,
    staff_user_id  bigint REFERENCES staff_users (id) ON DELETE CASCADE,
    portal_id      bigint REFERENCES portals (id) ON DELETE CASCADE,
    csrf_secret    text NOT NULL CHECK (csrf_secret <> ''),
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    CHECK ((kind = 'member' AND member_id IS NOT NULL AND staff_user_id IS NULL AND portal_id IS NOT NULL)
        OR (kind = 'staff' AND staff_user_id IS NOT NULL AND member_id IS NULL))
);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
CREATE INDEX sessions_member_idx ON sessions (member_id) WHERE member_id IS NOT NULL;
CREATE INDEX sessions_staff_user_idx ON sessions (staff_user_id) WHERE staff_user_id IS NOT NULL;

-- ---------------------------------------------------------------------------
-- Audit and mail
-- ---------------------------------------------------------------------------

-- Security-relevant events: logins, lockouts, SSO failures, replies, settings
-- changes. actor_id is a members.id / staff_users.id per actor_kind (no FK, so
-- the log survives deletions).
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_kind  text NOT NULL CHECK (actor_kind IN ('member', 'staff', 'system', 'anonymous')),
    actor_id    bigint,
    portal_id   bigint REFERENCES portals (id) ON DELETE SET NULL,
    action      text NOT NULL CHECK (action <> ''),
    detail      jsonb NOT NULL DEFAULT '{}',
    ip          inet
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_portal_idx ON audit_log (portal_id, at DESC) WHERE portal_id IS NOT NULL;

-- Outgoing e-mail queue drained by the mailer (retry with next_attempt_at).
CREATE TABLE mail_outbox (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_address       text NOT NULL CHECK (to_address ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    subject          text NOT NULL,
    body_text        text NOT NULL,
    body_html        text,
    status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts         int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    CHECK (status <> 'sent' OR sent_at IS NOT NULL)
);
CREATE INDEX mail_outbox_queued_idx ON mail_outbox (next_attempt_at) WHERE status = 'queued';
