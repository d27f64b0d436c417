-- 027_app_role.sql - least privilege: the workers, the mailer and the mail gateway connect as
-- portal_app, a login role that owns nothing and may only read and write rows (no DDL, no
-- TRUNCATE, no temporary tables); the role that runs the migrations (portal) owns the schema.
-- The role itself is made before migrating, by a superuser (nginx/stack.sh, nginx/install.sh
-- setup: CREATE ROLE portal_app LOGIN): a migration runs as the owner, which may not create roles.
-- Default privileges of the migrating role grant the same on what later migrations create.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'portal_app') THEN
        RAISE EXCEPTION 'role portal_app does not exist: create it first (as a superuser: CREATE ROLE portal_app LOGIN)';
    END IF;
    -- no temporary tables for anyone but the owner; no objects in public but the owner's
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END $$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO portal_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO portal_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO portal_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO portal_app;
-- the migrations' own record is the owner's business
REVOKE ALL ON schema_migrations FROM portal_app;
-- what later migrations (run by this same role) create
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO portal_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO portal_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO portal_app;
