-- mail_inbound_count.sql - the one definition (created first by 028_metrics.sql); see sql/README.md.

-- Trigger function on mail_inbound (AFTER INSERT): one more message of its via and outcome in
-- mail_inbound_counts, the running totals /metrics reads (portal_inbound_mail_total) instead of
-- counting a table that only grows.
CREATE OR REPLACE FUNCTION mail_inbound_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mail_inbound_counts (via, outcome, n) VALUES (NEW.via, NEW.outcome, 1)
    ON CONFLICT (via, outcome) DO UPDATE SET n = mail_inbound_counts.n + 1;
    RETURN NULL;
END $$;
