-- 009_crm.sql - admin console CRM pages: indexes for their lists and searches, and the reports
-- of CSV contact imports (shown after the upload's redirect).

-- The contact list walks the primary key newest first (keyset on id); its search filters on the
-- way (email or name containing the words), which stays cheap because a page stops at 51 rows.
-- A contact's timeline: the messages it authored, newest first.
CREATE INDEX messages_author_contact_at_idx ON messages (author_contact_id, created_at DESC)
    WHERE author_contact_id IS NOT NULL;
-- Companies listed by name (keyset on lower(name), id) and matched by name in imports.
CREATE INDEX companies_name_idx ON companies (lower(name), id);
-- A list's members are paged by contact id: the primary key (list_id, contact_id) serves it.

-- The outcome of one CSV import: counts and the rejected rows [{row, email, reason}].
CREATE TABLE contact_imports (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_user_id  bigint REFERENCES staff_users (id) ON DELETE SET NULL,
    file_name      text NOT NULL DEFAULT '',
    created_count  int NOT NULL DEFAULT 0 CHECK (created_count >= 0),
    updated_count  int NOT NULL DEFAULT 0 CHECK (updated_count >= 0),
    unchanged_count int NOT NULL DEFAULT 0 CHECK (unchanged_count >= 0),
    rejected       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(rejected) = 'array'),
    ignored_columns text[] NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now()
);
