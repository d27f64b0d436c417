-- 006_settings.sql - portal settings pages: the inbox picker lists inboxes by name.

CREATE INDEX settings_inboxes_name_idx ON inboxes (lower(name), id);
