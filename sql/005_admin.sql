-- 005_admin.sql - admin console foundation: the previous ticket slug (answers 301 to the current
-- one after an admin renames it) and the audit log's view per action.

ALTER TABLE portals ADD COLUMN previous_slug text
    CHECK (previous_slug IS NULL OR previous_slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$');

CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC);
