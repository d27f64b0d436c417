-- 023: several portals' staff side (agents limited to inboxes), the JSON API (tokens, idempotency
-- keys, rate windows) and webhooks (endpoints, deliveries through an outbox, every attempt kept).

-- ---------------------------------------------------------------------------
-- Agents limited to some inboxes
-- ---------------------------------------------------------------------------

-- An agent with inboxes_limited sees only the threads of the inboxes listed in
-- staff_inbox_limits, and the tickets that have a thread in one of them
-- (functions/staff_ticket_ok.sql); none listed: none. Admins are never limited.
ALTER TABLE staff_users ADD COLUMN inboxes_limited boolean NOT NULL DEFAULT false;
CREATE TABLE staff_inbox_limits (
    staff_user_id  bigint NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    inbox_id       bigint NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    PRIMARY KEY (staff_user_id, inbox_id)
);
CREATE INDEX staff_inbox_limits_inbox_idx ON staff_inbox_limits (inbox_id);
-- "Which tickets have a thread in these inboxes": threads by inbox and ticket.
CREATE INDEX threads_inbox_ticket_idx ON threads (inbox_id, ticket_id) WHERE ticket_id IS NOT NULL;

-- ---------------------------------------------------------------------------
-- JSON API tokens
-- ---------------------------------------------------------------------------

-- A bearer token: only its SHA-256 is kept (the token is shown once); prefix (its first 8
-- characters) lets the console name it. inbox_ids NULL: every inbox; else the token sees only
-- those inboxes' tickets, as an agent limited to them. rate_limit requests a minute; the current
-- window and its count are kept on the row (one UPDATE authenticates, counts and stamps the use).
CREATE TABLE api_tokens (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 100 AND name !~ '[[:cntrl:]]'),
    token_sha256  char(64) NOT NULL CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    prefix        text NOT NULL CHECK (prefix ~ '^[A-Za-z0-9_-]{1,16}$'),
    scopes        text[] NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['tickets:read',
                      'tickets:write', 'contacts:read', 'contacts:write', 'webhooks:write']::text[]),
    inbox_ids     bigint[],
    rate_limit    int NOT NULL DEFAULT 600 CHECK (rate_limit BETWEEN 1 AND 1000000),
    rate_window   timestamptz,
    rate_count    int NOT NULL DEFAULT 0,
    created_by    bigint REFERENCES staff_users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE UNIQUE INDEX api_tokens_sha256_key ON api_tokens (token_sha256);

-- The answer to a POST sent with an Idempotency-Key, kept 24 hours: the same key again gets the
-- same answer; the same key with another request (method, path, body) is refused. The row is
-- written in the request's own transaction, so a twin sent meanwhile waits for its outcome.
CREATE TABLE api_idempotency (
    token_id        bigint NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_sha256  char(64) NOT NULL,
    status          int,
    location        text,
    body            text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, key)
);
CREATE INDEX api_idempotency_created_idx ON api_idempotency (created_at);

-- Audit rows written by a token name it: actor_kind api_token, actor_id the token's id.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_kind_check
    CHECK (actor_kind IN ('member', 'staff', 'system', 'anonymous', 'api_token'));

-- ---------------------------------------------------------------------------
-- Webhooks
-- ---------------------------------------------------------------------------

-- An endpoint: HTTPS (or loopback HTTP, for local testing; checked by the console and the API),
-- the events it wants, its signing secret sealed by lib/secretbox under the context
-- "webhook:<id>".
CREATE TABLE webhooks (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url               text NOT NULL CHECK (url ~ '^https?://[^[:space:][:cntrl:]]+$' AND length(url) <= 2048),
    events            text[] NOT NULL CHECK (cardinality(events) > 0 AND events <@ ARRAY['ticket.created',
                          'ticket.updated', 'message.added']::text[]),
    secret_sealed     text NOT NULL DEFAULT '',
    active            boolean NOT NULL DEFAULT true,
    created_by_staff  bigint REFERENCES staff_users (id) ON DELETE SET NULL,
    created_by_token  bigint REFERENCES api_tokens (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- One event for one endpoint, delivered by the mailer like mail_outbox: claimed with FOR UPDATE
-- SKIP LOCKED, retried with backoff, failed after a set number of attempts. payload is the exact
-- body that is signed and sent.
CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id       bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event            text NOT NULL,
    event_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    payload          text NOT NULL,
    status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'delivered', 'failed')),
    attempts         int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'queued';
CREATE INDEX webhook_deliveries_hook_idx ON webhook_deliveries (webhook_id, id DESC);

-- Every attempt of a delivery, shown in the console.
CREATE TABLE webhook_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL DEFAULT now(),
    http_status  int,
    error        text,
    duration_ms  int
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);
