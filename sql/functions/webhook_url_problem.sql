-- webhook_url_problem.sql - the one rule of which URLs a webhook may call: NULL when url is fine,
-- else why not (a sentence for a form or an API error). HTTPS anywhere (no user:password@, no
-- spaces or control characters, no backslash, at most 2048 characters), or plain HTTP only to
-- this machine (127.0.0.1, [::1], localhost), for local testing. It is the syntax rule (and the
-- table's CHECK); the install's switch webhooks.allow_private_addresses (off by default) narrows it
-- in C: off, only https:// to a public address (fcgi/api_webhooks.c when a webhook is saved, and
-- the mailer on every address it dials). The console and the API check it when a webhook is
-- saved; the mailer checks it again before every delivery (and then makes curl parse the URL
-- itself and agree, fcgi/mailer_webhooks.c).
CREATE OR REPLACE FUNCTION webhook_url_problem(p_url text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_url IS NULL OR p_url = '' THEN 'Enter the URL to call.'
        WHEN length(p_url) > 2048 THEN 'The URL is longer than 2048 characters.'
        WHEN p_url ~ '[[:space:][:cntrl:]\\]' THEN 'The URL may not hold spaces, control characters or backslashes.'
        WHEN p_url !~* '^https?://' THEN 'The URL must start with https:// (or http:// to this machine, for testing).'
        WHEN p_url ~ '^[^/]+//[^/?#]*@' THEN 'The URL may not hold a user name or password.'
        WHEN p_url ~* '^https://[^/?#:]+(:[0-9]{1,5})?([/?#].*)?$'
          OR p_url ~* '^https://\[[0-9a-f:.]+\](:[0-9]{1,5})?([/?#].*)?$' THEN NULL
        WHEN p_url ~* '^http://(127\.0\.0\.1|\[::1\]|localhost)(:[0-9]{1,5})?([/?#].*)?$' THEN NULL
        WHEN p_url ~* '^http://' THEN 'Plain http:// is allowed only to this machine (127.0.0.1, [::1], localhost); use https://.'
        ELSE 'The URL is not a valid https:// address.' END
$$;
