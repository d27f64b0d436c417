-- console_time(ts, zone, fmt): ts as to_char(ts, fmt) reads in time zone zone, the zone's
-- abbreviation at that instant appended when fmt shows a time of day ("2026-11-03 14:05 CET",
-- "2026-07-01 09:30 CEST"); NULL for NULL. The console shows every time through it (SQL_UTC and
-- SQL_CONSOLE_TIME, fcgi/admin.h) in install_settings.time_zone. The session's TimeZone is
-- switched for the one to_char (PostgreSQL names the abbreviation only of the session's zone)
-- and put back: AT TIME ZONE gives the local time but not the abbreviation, and the abbreviation
-- cannot be told from the offset alone.
CREATE OR REPLACE FUNCTION console_time(ts timestamptz, zone text, fmt text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    was text := current_setting('TimeZone');
    out text;
BEGIN
    IF ts IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('TimeZone', coalesce(nullif(zone, ''), 'UTC'), true);
    out := to_char(ts, CASE WHEN fmt LIKE '%HH24%' AND fmt NOT LIKE '%TZ%' THEN fmt || ' TZ' ELSE fmt END);
    PERFORM set_config('TimeZone', was, true);
    RETURN out;
END
$$;
