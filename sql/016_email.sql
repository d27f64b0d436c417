-- 016_email.sql - email in both directions: what came in (fcgi/mail_ingest.c, by the gateway
-- build/portal-mailgate or the mailer's IMAP poller), what goes out threaded (mail_outbox with
-- its headers), which notifications a portal sends, and who on the team gets them.

-- ---------------------------------------------------------------------------
-- Addresses of an inbox
-- ---------------------------------------------------------------------------

-- The inbox's mail goes out From its primary connected address (one per inbox).
ALTER TABLE inbox_addresses ADD COLUMN is_primary boolean NOT NULL DEFAULT false;
UPDATE inbox_addresses a SET is_primary = true
 WHERE a.connected AND a.id = (SELECT min(b.id) FROM inbox_addresses b
                                WHERE b.inbox_id = a.inbox_id AND b.connected);
CREATE UNIQUE INDEX inbox_addresses_primary_key ON inbox_addresses (inbox_id) WHERE is_primary;
ALTER TABLE inbox_addresses ADD CONSTRAINT inbox_addresses_primary_connected
    CHECK (NOT is_primary OR connected);

-- An address may name an IMAP mailbox the mailer polls (teams without their own MTA). The
-- password is encrypted (AES-256-GCM under the config's secret_key, base64 of nonce|tag|data)
-- and never shown again.
ALTER TABLE inbox_addresses
    ADD COLUMN imap_host text CHECK (imap_host ~ '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$'
                                     AND length(imap_host) <= 253),
    ADD COLUMN imap_port int CHECK (imap_port BETWEEN 1 AND 65535),
    ADD COLUMN imap_security text NOT NULL DEFAULT 'tls' CHECK (imap_security IN ('tls', 'starttls', 'none')),
    ADD COLUMN imap_user text CHECK (length(imap_user) <= 256 AND imap_user !~ '[[:cntrl:]]'),
    ADD COLUMN imap_password_enc text,
    ADD COLUMN imap_folder text NOT NULL DEFAULT 'INBOX'
                            CHECK (imap_folder <> '' AND length(imap_folder) <= 200 AND imap_folder !~ '[[:cntrl:]"\\]'),
    ADD COLUMN imap_polled_at timestamptz,
    ADD COLUMN imap_error text,
    ADD CONSTRAINT inbox_addresses_imap_whole
        CHECK (imap_host IS NULL OR (imap_port IS NOT NULL AND imap_user IS NOT NULL
                                     AND imap_password_enc IS NOT NULL));
CREATE INDEX inbox_addresses_imap_idx ON inbox_addresses (id) WHERE imap_host IS NOT NULL;

-- What an inbox does with mail from an address that is no contact and matches no ticket.
ALTER TABLE inboxes ADD COLUMN unknown_senders text NOT NULL DEFAULT 'ticket'
    CHECK (unknown_senders IN ('ticket', 'drop'));

-- The staff users who get an inbox's notifications (new ticket, customer reply). An inbox with
-- none chosen notifies every staff user.
CREATE TABLE inbox_staff (
    inbox_id       bigint NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    staff_user_id  bigint NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    PRIMARY KEY (inbox_id, staff_user_id)
);
CREATE INDEX inbox_staff_user_idx ON inbox_staff (staff_user_id);

-- ---------------------------------------------------------------------------
-- Outgoing mail
-- ---------------------------------------------------------------------------

-- A queued mail keeps its headers: From (NULL: the config's smtp_from), Reply-To, its own
-- Message-ID (without angle brackets, made when queued, so a reply can be matched to it), and
-- In-Reply-To/References; ticket and thread it belongs to; which email it is.
ALTER TABLE mail_outbox
    ADD COLUMN from_address text CHECK (from_address ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    ADD COLUMN from_name text CHECK (from_name !~ '[[:cntrl:]]'),
    ADD COLUMN reply_to text CHECK (reply_to ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    ADD COLUMN message_id text CHECK (message_id ~ '^[^<>@[:space:]]+@[^<>@[:space:]]+$'),
    ADD COLUMN in_reply_to text CHECK (in_reply_to ~ '^[^<>[:space:]]+$'),
    ADD COLUMN references_ids text[] NOT NULL DEFAULT '{}',
    ADD COLUMN email text CHECK (email ~ '^[a-z][a-z0-9_]*$'),
    ADD COLUMN ticket_id bigint REFERENCES tickets (id) ON DELETE SET NULL,
    ADD COLUMN thread_id bigint REFERENCES threads (id) ON DELETE SET NULL;
CREATE UNIQUE INDEX mail_outbox_message_id_key ON mail_outbox (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX mail_outbox_ticket_idx ON mail_outbox (ticket_id, id) WHERE ticket_id IS NOT NULL;

-- Which notifications a portal sends (no row: on).
CREATE TABLE portal_notifications (
    portal_id  bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    email      text NOT NULL CHECK (email IN ('ticket_created', 'agent_reply', 'ticket_closed',
                                              'staff_new_ticket', 'staff_customer_reply')),
    enabled    boolean NOT NULL,
    PRIMARY KEY (portal_id, email)
);

-- Every notification is editable per language like the invitation.
ALTER TABLE portal_email_templates DROP CONSTRAINT portal_email_templates_email_check;
ALTER TABLE portal_email_templates ADD CONSTRAINT portal_email_templates_email_check
    CHECK (email IN ('invite', 'verify', 'ticket_created', 'agent_reply', 'ticket_closed',
                     'staff_new_ticket', 'staff_customer_reply'));

-- ---------------------------------------------------------------------------
-- Incoming mail
-- ---------------------------------------------------------------------------

-- A message that came by mail keeps its Message-ID (without angle brackets: the same one twice
-- is stored once) and, when the quoted history was cut from body, the whole text for agents.
ALTER TABLE messages
    ADD COLUMN mail_message_id text CHECK (length(mail_message_id) <= 998),
    ADD COLUMN body_original text;
CREATE UNIQUE INDEX messages_mail_message_id_key ON messages (mail_message_id)
    WHERE mail_message_id IS NOT NULL;

-- Every message the gateway or the poller was handed, and what became of it: stored, dropped
-- (noise, loops, unknown senders, rate limit: deliberately, exit 0) or refused (too large,
-- malformed). The per-sender rate limit counts these rows.
CREATE TABLE mail_inbound (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now(),
    via          text NOT NULL CHECK (via IN ('gateway', 'imap')),
    sender       text NOT NULL DEFAULT '',
    recipient    text NOT NULL DEFAULT '',
    message_id   text,
    subject      text NOT NULL DEFAULT '',
    size_bytes   bigint NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
    outcome      text NOT NULL CHECK (outcome IN ('stored', 'duplicate', 'dropped', 'refused')),
    reason       text NOT NULL DEFAULT '',
    ticket_id    bigint REFERENCES tickets (id) ON DELETE SET NULL,
    message_row  bigint REFERENCES messages (id) ON DELETE SET NULL
);
CREATE INDEX mail_inbound_sender_idx ON mail_inbound (lower(sender), received_at);
CREATE INDEX mail_inbound_received_idx ON mail_inbound (received_at DESC, id DESC);

-- A ticket opened by a reply to a closed ticket that customers may not reopen links that one.
ALTER TABLE tickets ADD COLUMN follow_up_of bigint REFERENCES tickets (id) ON DELETE SET NULL;

-- Whether customers may reopen a closed ticket, and for how many days after it closed (the
-- ticket-actions work adds the buttons; an emailed reply already follows these): when they may
-- not, a reply to a closed ticket opens a follow-up ticket instead.
ALTER TABLE portals
    ADD COLUMN customer_reopen boolean NOT NULL DEFAULT true,
    ADD COLUMN reopen_days int NOT NULL DEFAULT 14 CHECK (reopen_days BETWEEN 1 AND 365);
