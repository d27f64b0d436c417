-- 011_inbox.sql - the agent inbox (fcgi/admin_inbox.c): threads newest activity first, for all
-- inboxes and per inbox, keyset-paginated on (last_message_at, id) DESC. They replace
-- threads_inbox_idx, which lacked the id and so could not serve the cursor.
--
-- EXPLAIN ANALYZE of admin_inbox_list_one (generic plan) with 200k extra threads: "Index Scan
-- using threads_activity_idx on threads th, Index Cond: (ROW(last_message_at, id) <
-- ROW($3, $4)), Filter: (inbox_id = $7)", 51 rows, 0.6 ms for page 2 (with two inboxes of
-- equal size the planner prefers the global index; with many inboxes the per-inbox one).
-- On the demo data (201 threads) a page takes about 2 ms.

CREATE INDEX threads_inbox_activity_idx ON threads (inbox_id, last_message_at DESC, id DESC);
CREATE INDEX threads_activity_idx ON threads (last_message_at DESC, id DESC);
DROP INDEX IF EXISTS threads_inbox_idx;
