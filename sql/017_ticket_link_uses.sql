-- 017_ticket_link_uses.sql - a notification's ticket link signs in once (fcgi/ticket_link.c):
-- the SHA-256 of each token that was used, kept until the token would have expired anyway.
CREATE TABLE ticket_link_uses (
    token_sha256  char(64) PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    used_at       timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX ticket_link_uses_expires_idx ON ticket_link_uses (expires_at);
