-- ticket_reopen_until.sql - the one rule of the reopen window (issue 14): a closed ticket may be
-- reopened by its customer (the Reopen button, fcgi/ticket_actions.c, or an emailed reply,
-- fcgi/mail_ingest.c) until reopen_days after it closed (its last activity when closed_at is
-- missing), when the portal lets customers reopen at all (portals.customer_reopen).
-- STABLE, not IMMUTABLE: timestamptz + interval of days depends on the session's time zone, and
-- an IMMUTABLE function with a STABLE body is never inlined (it was parsed and planned on every
-- call, twice per ticket page).
CREATE OR REPLACE FUNCTION ticket_reopen_until(p_closed_at timestamptz, p_last_activity_at timestamptz,
                                               p_reopen_days int)
RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT coalesce(p_closed_at, p_last_activity_at) + make_interval(days => p_reopen_days)
$$;
