// migrations_live.test.mjs - migrations run while the workers serve (make reload; sql/README.md,
// "Migrations while the portal serves"): a migration that cannot have its table gives up after
// its lock timeout instead of holding every page behind it, and runs later; an index is built
// concurrently by a no-transaction migration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { ROOT, VAR, psql } from '../lib/stack.mjs';
import { loggedIn } from '../lib/client.mjs';
import { waitFor } from '../lib/wait.mjs';

const run = promisify(execFile);

function migrate(dir, timeout) {
  return run(path.join(ROOT, 'nginx', 'migrate.sh'), [`host=${path.join(VAR, 'pg')} dbname=portal user=portal`],
    { env: { ...process.env, PORTAL_SQL_DIR: dir, MIGRATE_LOCK_TIMEOUT: timeout }, encoding: 'utf8' });
}

test('a migration waits for its lock only so long, pages keep answering, and it applies later', { timeout: 120000 }, async () => {
  const dir = mkdtempSync('/tmp/portal-migrations-');
  cpSync(path.join(ROOT, 'sql'), dir, { recursive: true });
  writeFileSync(path.join(dir, '900_live_probe.sql'), 'ALTER TABLE tickets ADD COLUMN live_probe text;\n');
  writeFileSync(path.join(dir, '901_live_probe_index.sql'),
    '-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_live_probe ON tickets (live_probe);\n');
  const ada = await loggedIn('ada@example.com');
  // a long transaction that has read tickets: ALTER TABLE cannot have its exclusive lock meanwhile
  const blocker = spawn('psql', ['-X', '-q', '-h', path.join(VAR, 'pg'), '-U', 'portal', '-d', 'portal',
    '-c', 'BEGIN', '-c', 'SELECT count(*) FROM tickets', '-c', "SELECT pg_sleep(60) AS live_probe_blocker", '-c', 'COMMIT'],
  { stdio: 'ignore' });
  const blocking = () => psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%live_probe_blocker%' AND pid <> pg_backend_pid()") === '1';
  try {
    await waitFor(blocking, { timeout: 10000, what: 'the long transaction' });
    const migrating = migrate(dir, '1s').then(() => ({ ok: true }), (e) => ({ ok: false, out: `${e.stdout}${e.stderr}` }));
    // while the migration asks for its lock, the ticket list is read (it waits at most that long)
    for (let i = 0; i < 5; i++) {
      const r = await ada.get('/tickets');
      assert.equal(r.status, 200);
    }
    const m = await migrating;
    assert.equal(m.ok, false, 'the migration gave up');
    assert.match(m.out, /lock timeout/);
    assert.ok(blocking(), 'it gave up while the long transaction still held the table: nothing waited for that');
    assert.equal(psql("SELECT count(*) FROM schema_migrations WHERE version LIKE '90%'"), '0', 'and recorded nothing');
    assert.equal(psql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'tickets' AND column_name = 'live_probe'"), '0');
  } finally {
    blocker.kill();
    psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%live_probe_blocker%' AND pid <> pg_backend_pid()");
  }
  try {
    // run again once the table is free: both apply, the index concurrently, while pages are read
    const migrating = migrate(dir, '5s');
    let pages = 0;
    let done = false;
    migrating.finally(() => { done = true; });
    while (!done) { assert.equal((await ada.get('/tickets')).status, 200); pages++; }
    const { stdout } = await migrating;
    assert.match(stdout, /migrated 900_live_probe/);
    assert.match(stdout, /migrated 901_live_probe_index/);
    assert.ok(pages > 0);
    assert.equal(psql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'tickets_live_probe'::regclass"), 't', 'a valid index');
    assert.equal(psql("SELECT count(*) FROM schema_migrations WHERE version LIKE '90%'"), '2');
  } finally {
    psql('DROP INDEX IF EXISTS tickets_live_probe');
    psql('ALTER TABLE tickets DROP COLUMN IF EXISTS live_probe');
    psql("DELETE FROM schema_migrations WHERE version LIKE '90%'");
    rmSync(dir, { recursive: true, force: true });
  }
});
