-- api_time.sql - a time as the JSON API writes it: RFC 3339 in UTC, "2026-12-07T22:01:34Z"
-- (NULL stays NULL). Used by every api_*_json function, so the API and the webhooks agree.
CREATE OR REPLACE FUNCTION api_time(p_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;
