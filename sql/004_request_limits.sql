-- 004_request_limits.sql - requests that send mail (registration, password reset, login link) per client address.

-- One row per accepted request; rows older than a day go as new ones come in. Writing this row
-- in every case (known address or not) also keeps the answer's timing the same either way.
CREATE TABLE mail_requests (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ip       inet NOT NULL,
    purpose  text NOT NULL CHECK (purpose IN ('register', 'reset', 'login_link')),
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mail_requests_ip_idx ON mail_requests (ip, purpose, at);
