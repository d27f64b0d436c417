-- 028_metrics.sql - inbound mail counted as it arrives, per way in (gateway, imap) and outcome
-- (stored, duplicate, dropped, refused), for /metrics: a scrape reads a handful of rows instead of
-- counting mail_inbound, which only grows.
--
-- Safe while the old workers serve: a new table, and a trigger on mail_inbound (written by the
-- mail gateway and the IMAP poller only, never by a page). The lock holds mail_inbound's inserts
-- back for the moment the backfill takes, so no message is counted twice or missed (this file
-- runs in one transaction); tickets and messages are not touched.
CREATE TABLE mail_inbound_counts (
    via      text NOT NULL,
    outcome  text NOT NULL,
    n        bigint NOT NULL DEFAULT 0 CHECK (n >= 0),
    PRIMARY KEY (via, outcome)
);

LOCK TABLE mail_inbound IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO mail_inbound_counts (via, outcome, n)
    SELECT via, outcome, count(*) FROM mail_inbound GROUP BY via, outcome;

CREATE FUNCTION mail_inbound_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mail_inbound_counts (via, outcome, n) VALUES (NEW.via, NEW.outcome, 1)
    ON CONFLICT (via, outcome) DO UPDATE SET n = mail_inbound_counts.n + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER mail_inbound_count AFTER INSERT ON mail_inbound
    FOR EACH ROW EXECUTE FUNCTION mail_inbound_count();
