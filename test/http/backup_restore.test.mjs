// backup_restore.test.mjs - make backup of the suite's stack while it serves, make restore into a new
// PORTAL_VAR, and the restored stack serves the same ticket, messages and download byte for byte;
// a restore over an existing cluster and a tampered backup are refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { BASE, ROOT, VAR, psql } from '../lib/stack.mjs';
import { Client, csrfOf, loggedIn } from '../lib/client.mjs';

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const nonceOf = (html) => {
  const m = /name="nonce" value="([A-Za-z0-9_-]{43})"/.exec(html);
  if (!m) throw new Error('no nonce on the form');
  return m[1];
};
const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.on('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
/* A folder the stack's users (postgres, www-data) can reach, as test/stack_env.sh makes one. */
const newVar = (name) => { const d = mkdtempSync(`/tmp/${name}.`); chmodSync(d, 0o755); return d; };
const envFor = (dir, port) => ({ ...process.env, PORTAL_VAR: dir, PORTAL_CONFIG: path.join(dir, 'portal.json'),
  PORTAL_HTTP_PORT: String(port || 8080), PORTAL_DEMO: '0', PORTAL_SMTP_URL: '' });
const make = (args, env) => spawnSync('make', ['--no-print-directory', '-C', ROOT, ...args], { env, encoding: 'utf8' });
const psqlAt = (dir, sql) => execFileSync('psql', ['-X', '-q', '-tA', '-h', path.join(dir, 'pg'), '-U', 'portal', '-d', 'portal',
  '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' }).trim();
const counts = (q) => q('SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM messages), (SELECT count(*) FROM attachments)');

/* The Client of client.mjs against another stack's URL. */
class At extends Client {
  constructor(base) { super(); this.base = base; }
  async request(p, opts = {}) {
    const headers = { ...(opts.headers || {}) };
    if (this.jar.size) headers.cookie = this.cookieHeader();
    const res = await fetch(this.base + p, { redirect: 'manual', ...opts, headers });
    this.store(res);
    res.bytes = Buffer.from(await res.arrayBuffer());
    res.html = res.bytes.toString('utf8');
    return res;
  }
}
/* The conversation on a ticket page (its <ol class="messages">): author, time, text, file links. */
const conversation = (html) => {
  const m = /<ol class="messages">[\s\S]*?<\/ol>/.exec(html);
  assert.ok(m, 'the ticket page shows its conversation');
  return m[0];
};

const made = [];
let restored = null, backupFile = null;
after(() => {
  if (restored) spawnSync(path.join(ROOT, 'nginx', 'stack.sh'), ['down'], { env: envFor(restored), encoding: 'utf8' });
  for (const d of made) rmSync(d, { recursive: true, force: true });
  if (backupFile) rmSync(backupFile, { force: true });
});

test('a backup taken while the stack serves restores into a new folder that serves the same tickets, messages and files', async () => {
  // data made through the pages: a ticket, a reply with a binary (not UTF-8) attachment
  const ada = await loggedIn('ada@example.com');
  const subject = `Backup me ${uniq()}`;
  let page = await ada.get('/tickets/new');
  let res = await ada.post('/tickets/new', { csrf: csrfOf(page.html), nonce: nonceOf(page.html), subject,
    description: 'Before the backup: \u00e9t\u00e9 \u2013 caf\u00e9.' });
  assert.equal(res.status, 303);
  const id = /^\/tickets\/(\d+)$/.exec(res.headers.get('location'))[1];
  page = await ada.get(`/tickets/${id}`);
  const bin = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]), randomBytes(4096)]);
  assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(bin), 'the attachment is not UTF-8');
  const fd = new FormData();
  fd.append('csrf', csrfOf(page.html));
  fd.append('nonce', nonceOf(page.html));
  fd.append('body', `The dump you asked for.\r\nSecond line ${uniq()}.`);
  fd.append('files', new Blob([bin], { type: 'application/octet-stream' }), 'dump.bin');
  res = await fetch(`${BASE}/tickets/${id}/reply`, { method: 'POST', body: fd, redirect: 'manual', headers: { cookie: ada.cookieHeader() } });
  assert.equal(res.status, 303);
  const aid = psql(`SELECT a.id FROM attachments a JOIN messages m ON m.id = a.message_id
    JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = ${id} AND a.file_name = 'dump.bin'`);
  assert.match(aid, /^\d+$/);

  const before = new At(BASE);
  before.jar = ada.jar;
  const pageBefore = conversation((await before.get(`/tickets/${id}`)).html);
  assert.match(pageBefore, new RegExp(`href="/files/${aid}/dump.bin"`));
  const download = await before.get(`/files/${aid}/dump.bin`);
  assert.equal(download.status, 200);
  assert.equal(sha256(download.bytes), sha256(bin), 'the download is the upload');
  const countsBefore = counts(psql);
  const secretBefore = JSON.parse(readFileSync(path.join(VAR, 'portal.json'), 'utf8')).secret_key;

  // make backup: one 0600 file in a 0700 folder, path and time printed
  const b = make(['backup'], process.env);
  assert.equal(b.status, 0, b.stderr);
  const m = /^backup: (\S+\/backups\/portal-\d{8}T\d{6}Z\.tar) \(.*\) in [\d.]+ s$/m.exec(b.stdout);
  assert.ok(m, `make backup prints the file and the time: ${b.stdout}`);
  backupFile = m[1];
  assert.equal(path.dirname(backupFile), path.join(VAR, 'backups'));
  assert.equal(statSync(backupFile).mode & 0o777, 0o600, 'the backup holds the secret key: 0600');
  assert.equal(statSync(path.dirname(backupFile)).mode & 0o777, 0o700);
  const manifest = JSON.parse(execFileSync('tar', ['-xOf', backupFile, 'manifest.json'], { encoding: 'utf8' }));
  assert.equal(manifest.format, 1);
  assert.deepEqual([manifest.counts.tickets, manifest.counts.messages, manifest.counts.attachments].join('|'), countsBefore);
  assert.deepEqual(manifest.schema_migrations, psql('SELECT version FROM schema_migrations ORDER BY version').split('\n'));

  // make restore into a new folder, then the stack up there on another port
  restored = newVar('portal-restore');
  made.push(restored);
  const port = await freePort();
  const env = envFor(restored, port);
  assert.equal(make(['restore'], env).status, 2, 'make restore without FILE= is refused');
  const r = make(['restore', `FILE=${backupFile}`], env);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /restored .* in [\d.]+ s/);
  assert.match(r.stdout, /make run/);
  const config = path.join(restored, 'portal.json');
  const cfg = JSON.parse(readFileSync(config, 'utf8'));
  assert.equal(cfg.secret_key, secretBefore, 'the secret key comes along');
  assert.equal(cfg.files_dir, path.join(restored, 'files'), 'paths point at the new folder');
  assert.equal(cfg.metrics.file, path.join(restored, 'run', 'metrics'), 'its own metrics file, not the original stack\'s');
  assert.match(cfg.database, new RegExp(`host=${restored}/pg `));
  assert.equal(statSync(config).mode & 0o777, process.getuid() === 0 ? 0o640 : 0o600);
  // the restored mailer must not send the suite's queued mail to the suite's SMTP sink again
  writeFileSync(config, readFileSync(config, 'utf8').replace(/"url": "smtp:[^"]*"/, '"url": ""'));
  execFileSync(path.join(ROOT, 'nginx', 'stack.sh'), ['up'], { env, encoding: 'utf8' });

  const base = `http://127.0.0.1:${port}`;
  assert.equal(counts((sql) => psqlAt(restored, sql)), countsBefore, 'as many tickets, messages and attachments');
  assert.equal(psqlAt(restored, "SELECT has_database_privilege('portal_app', 'portal', 'TEMPORARY')"), 'f', 'the app role still has no temporary tables (a database privilege, which a dump does not carry)');
  const ada2 = new At(base);
  assert.equal((await ada2.submit('/login', { email: 'ada@example.com', password: 'demo-Portal-2026' })).status, 303,
    'the same customer logs in with the same password');
  const p2 = await ada2.get(`/tickets/${id}`);
  assert.equal(p2.status, 200);
  assert.match(p2.html, new RegExp(subject));
  assert.equal(conversation(p2.html), pageBefore, 'the same conversation, byte for byte');
  const d2 = await ada2.get(`/files/${aid}/dump.bin`);
  assert.equal(d2.status, 200);
  assert.equal(d2.headers.get('content-type'), download.headers.get('content-type'));
  assert.equal(sha256(d2.bytes), sha256(bin), 'the same download, byte for byte');

  // a restore over a folder that has a cluster is refused, and leaves it alone
  const again = make(['restore', `FILE=${backupFile}`], env);
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /already exists/);
  assert.equal((await ada2.get(`/tickets/${id}`)).status, 200, 'the restored stack still serves');
});

test('a backup with one byte changed in a part is refused by the manifest check', () => {
  assert.ok(backupFile && existsSync(backupFile), 'the backup of the first test');
  const work = newVar('portal-tamper');
  made.push(work);
  execFileSync('tar', ['-C', work, '-xf', backupFile]);
  const dump = path.join(work, 'portal.dump');
  const bytes = readFileSync(dump);
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  writeFileSync(dump, bytes);
  const tampered = path.join(work, 'tampered.tar');
  execFileSync('tar', ['-C', work, '-cf', tampered, 'manifest.json', 'portal.dump', 'roles.sql', 'files.tar', 'portal.json']);
  const target = newVar('portal-restore-tampered');
  made.push(target);
  const r = make(['restore', `FILE=${tampered}`], envFor(target));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /portal\.dump does not match its sha256/);
  assert.ok(!existsSync(path.join(target, 'pg', 'data')), 'no cluster made');
  assert.ok(!existsSync(path.join(target, 'portal.json')), 'no config written');
});
