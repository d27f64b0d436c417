-- staff_ticket_ok.sql - the one definition of which tickets a staff member or an API token
-- limited to some inboxes may see: those with a thread in one of them. p_inboxes NULL: not
-- limited (admins, agents without a limit, tokens for every inbox); an empty array: none. Used by
-- the console's ticket and inbox pages and by the API, beside the thread rule "inbox_id = ANY".
CREATE OR REPLACE FUNCTION staff_ticket_ok(p_ticket bigint, p_inboxes bigint[]) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p_inboxes IS NULL
        OR EXISTS (SELECT 1 FROM threads th WHERE th.ticket_id = p_ticket AND th.inbox_id = ANY (p_inboxes))
$$;
