-- 010_records.sql - indexes for the console's record lists (admin_records*.c): the staff ticket
-- list by pipeline and by subject words, newest activity first, and the recent conversations
-- that no ticket holds; company lookup by name.

-- /admin/tickets?pipeline=N: keyset on (last_activity_at, id) inside one pipeline.
CREATE INDEX tickets_pipeline_activity_idx ON tickets (pipeline_id, last_activity_at DESC, id DESC);

-- /admin/tickets?q=words: full-text match on the subject.
CREATE INDEX tickets_subject_fts_idx ON tickets USING gin (to_tsvector('simple', subject));

-- The ticket page's "recent conversations without a ticket".
CREATE INDEX threads_detached_idx ON threads (last_message_at DESC, id DESC) WHERE ticket_id IS NULL;

-- A company picked by name on a ticket (case-insensitive, as typed).
CREATE INDEX records_companies_name_idx ON companies (lower(name));
