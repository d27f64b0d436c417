// install.test.mjs - make install and its services: the installed tree, the systemd units checked
// by systemd-analyze verify, their ExecStart lines run as installed (paths moved into a temporary
// DESTDIR and socket) against this test stack's database and config, the config's mode, and the
// least-privilege database role the portal serves with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, statSync, chmodSync, chownSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT, VAR, get, psql, sleep } from '../lib/stack.mjs';
import { waitFor } from '../lib/wait.mjs';

const AS_ROOT = process.getuid() === 0;
const WEB_UID = AS_ROOT ? Number(execFileSync('id', ['-u', 'www-data'], { encoding: 'utf8' })) : process.getuid();
const WEB_GID = AS_ROOT ? Number(execFileSync('id', ['-g', 'www-data'], { encoding: 'utf8' })) : process.getgid();
const CONFIG = process.env.PORTAL_CONFIG || path.join(VAR, 'portal.json');
let tmp, dest;

before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'portal-install-'));
  chmodSync(tmp, 0o755); // the web user runs the installed programs from here
  dest = path.join(tmp, 'dest');
  execFileSync('make', ['-s', '--no-print-directory', 'install', `DESTDIR=${dest}`, 'PREFIX=/usr'], { cwd: ROOT, encoding: 'utf8' });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const inDest = (p) => path.join(dest, p);
const read = (p) => readFileSync(inDest(p), 'utf8');

test('make install DESTDIR=… PREFIX=/usr lays out programs, templates, migrations, site, units and config', () => {
  for (const p of ['portal', 'mailer', 'portal-mailgate']) {
    const st = statSync(inDest(`/usr/lib/portal/${p}`));
    assert.equal(st.mode & 0o777, 0o755, p);
  }
  assert.ok(existsSync(inDest('/usr/share/portal/templates/layout.mustache')));
  assert.ok(existsSync(inDest('/usr/share/portal/sql/027_app_role.sql')));
  assert.ok(existsSync(inDest('/usr/share/portal/sql/functions/notify_portal_settings.sql')));
  assert.equal(statSync(inDest('/usr/share/portal/nginx/migrate.sh')).mode & 0o111, 0o111);
  const site = read('/etc/nginx/sites-available/portal');
  assert.match(site, /^\s*listen 80;$/m);
  assert.match(site, /^include \/etc\/portal\/upstream\.conf;$/m);
  assert.match(site, /alias \/var\/lib\/portal\/files\/;/);
  assert.match(site, /alias \/usr\/share\/portal\/templates\/static\/\$1;/);
  assert.match(site, /access_log \/var\/log\/portal\/nginx-access\.log/);
  assert.doesNotMatch(site, /@[A-Z_]+@/, 'every placeholder filled in');
  assert.match(read('/etc/portal/upstream.conf'), /server unix:\/run\/portal\/portal\.sock;/);
  assert.match(read('/etc/portal/workers.env'), /^PORTAL_WORKERS=\d+$/m);
  const example = JSON.parse(read('/etc/portal/portal.json.example'));
  assert.equal(example.database, 'dbname=portal user=portal_app');
  assert.equal(example.templates_dir, '/usr/share/portal/templates');
  assert.equal(example.files_dir, '/var/lib/portal/files');
  assert.doesNotMatch(example.secret_key, /^[0-9a-f]{64}$/, 'no secret in a world-readable example');
  const w = read('/usr/lib/systemd/system/portal-workers.service');
  assert.match(w, /^ExecStart=\/usr\/bin\/spawn-fcgi -n -s \/run\/portal\/portal\.sock -M 0660 -- \/usr\/bin\/multiwatch -f \$\{PORTAL_WORKERS\} -- \/usr\/lib\/portal\/portal$/m);
  for (const line of ['User=portal', 'Group=www-data', 'SupplementaryGroups=portal', 'RuntimeDirectory=portal', 'KillMode=mixed',
    'Restart=on-failure', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes',
    'ReadWritePaths=/var/lib/portal /var/log/portal', 'EnvironmentFile=-/etc/portal/workers.env',
    'Environment=PORTAL_CONFIG=/etc/portal/portal.json', 'After=postgresql.service network-online.target'])
    assert.ok(w.split('\n').includes(line), `workers unit has ${line}`);
  const m = read('/usr/lib/systemd/system/portal-mailer.service');
  for (const line of ['User=portal', 'ExecStart=/usr/lib/portal/mailer', 'Restart=on-failure', 'ProtectSystem=strict',
    'After=postgresql.service network-online.target'])
    assert.ok(m.split('\n').includes(line), `mailer unit has ${line}`);
});

/* The installed units with the programs' folder moved into DESTDIR (verify checks they exist). */
function unitCopy(name, dir, edit = (s) => s) {
  mkdirSync(dir, { recursive: true });
  const text = edit(read(`/usr/lib/systemd/system/${name}`).replaceAll('/usr/lib/portal/', inDest('/usr/lib/portal/')));
  writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
}

test('systemd-analyze verify passes on the installed units (and fails on a broken one)', () => {
  const dir = path.join(tmp, 'units');
  const files = ['portal-workers.service', 'portal-mailer.service'].map((n) => unitCopy(n, dir));
  const ok = spawnSync('systemd-analyze', ['verify', ...files], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr + ok.stdout);
  assert.equal(ok.stderr.trim(), '', 'no warnings');
  const bad = unitCopy('portal-workers.service', path.join(tmp, 'bad'), (s) => s.replace('/usr/bin/multiwatch', '/usr/bin/multiwatch-gone').replace('/usr/bin/spawn-fcgi', '/usr/bin/spawn-fcgi-gone'));
  const r = spawnSync('systemd-analyze', ['verify', bad], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /spawn-fcgi-gone/);
});

/* The ExecStart= of an installed unit as argv, paths moved into this test's DESTDIR and folder. */
function execStart(unit, subst) {
  const line = read(`/usr/lib/systemd/system/${unit}`).split('\n').find((l) => l.startsWith('ExecStart='));
  let cmd = line.slice('ExecStart='.length).replaceAll('/usr/lib/portal/', inDest('/usr/lib/portal/'));
  for (const [a, b] of subst) cmd = cmd.replaceAll(a, b);
  return cmd.split(/\s+/);
}

/* Run argv as the stack's web user (the one its pg_ident maps to portal_app), PORTAL_CONFIG set. */
function runAsWeb(argv) {
  const drop = AS_ROOT ? ['setpriv', '--reuid=www-data', '--regid=www-data', '--init-groups', '--'] : [];
  const all = [...drop, ...argv];
  return spawn(all[0], all.slice(1), { env: { ...process.env, PORTAL_CONFIG: CONFIG }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/* One FastCGI request (a responder) over a unix socket; resolves to the worker's CGI response text. */
function fcgiGet(sock, uri) {
  const rec = (type, body) => {
    const h = Buffer.alloc(8);
    h.writeUInt8(1, 0); h.writeUInt8(type, 1); h.writeUInt16BE(1, 2); h.writeUInt16BE(body.length, 4);
    return Buffer.concat([h, body]);
  };
  const len = (n) => (n < 128 ? Buffer.from([n]) : (() => { const b = Buffer.alloc(4); b.writeUInt32BE(n | 0x80000000); return b; })());
  const params = { REQUEST_METHOD: 'GET', REQUEST_URI: uri, DOCUMENT_URI: uri, SCRIPT_NAME: uri, QUERY_STRING: '',
    SERVER_PROTOCOL: 'HTTP/1.1', REMOTE_ADDR: '127.0.0.1', SERVER_NAME: 'localhost', SERVER_PORT: '80',
    HTTP_HOST: 'localhost', CONTENT_LENGTH: '0', REQUEST_ID: 'install-test' };
  const pbody = Buffer.concat(Object.entries(params).map(([k, v]) =>
    Buffer.concat([len(Buffer.byteLength(k)), len(Buffer.byteLength(v)), Buffer.from(k), Buffer.from(v)])));
  return new Promise((resolve, reject) => {
    const s = net.connect(sock);
    let buf = Buffer.alloc(0), out = '';
    s.on('error', reject);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 8) {
        const type = buf[1], n = buf.readUInt16BE(4), pad = buf[6];
        if (buf.length < 8 + n + pad) break;
        if (type === 6) out += buf.subarray(8, 8 + n).toString('utf8');
        buf = buf.subarray(8 + n + pad);
        if (type === 3) { s.end(); resolve(out); return; }
      }
    });
    s.on('end', () => resolve(out));
    s.write(Buffer.concat([rec(1, Buffer.from([0, 1, 0, 0, 0, 0, 0, 0])), rec(4, pbody), rec(4, Buffer.alloc(0)), rec(5, Buffer.alloc(0))]));
  });
}

const children = (pid) => {
  const r = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').map((s) => Number(s.trim())).filter(Boolean);
};
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

test("the workers unit's ExecStart, as installed, runs a pool that serves FastCGI and stops on SIGTERM", async () => {
  const run = path.join(tmp, 'run');
  mkdirSync(run);
  if (AS_ROOT) chownSync(run, WEB_UID, WEB_GID); // RuntimeDirectory=portal: owned by the service's user
  const sock = path.join(run, 'portal.sock');
  const argv = execStart('portal-workers.service', [['/run/portal/portal.sock', sock], ['${PORTAL_WORKERS}', '2']]);
  assert.equal(path.basename(argv[0]), 'spawn-fcgi');
  const p = runAsWeb(argv);
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  try {
    await waitFor(() => existsSync(sock) && children(p.pid).length === 2, { what: 'socket and 2 workers' });
    // -n: spawn-fcgi became multiwatch (no fork): systemd's main pid is the supervisor itself
    assert.equal(readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim(), 'multiwatch');
    const st = statSync(sock);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.gid, WEB_GID, 'the socket has the service group (nginx connects through it)');
    const res = await fcgiGet(sock, '/healthz');
    assert.match(res, /^Status: 200/m, res + err);
    assert.match(res, /\r?\n\r?\nok\n$/);
    const kids = children(p.pid);
    p.kill('SIGTERM'); // KillMode=mixed: SIGTERM to the main process alone
    await waitFor(() => !alive(p.pid) && kids.every((k) => !alive(k)), { what: 'the pool to stop' });
  } finally {
    if (alive(p.pid)) p.kill('SIGKILL');
  }
});

test("the mailer unit's ExecStart, as installed, starts and stays up", async () => {
  const argv = execStart('portal-mailer.service', []);
  assert.equal(argv[0], inDest('/usr/lib/portal/mailer'));
  const p = runAsWeb(argv);
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { out += d; });
  try {
    await sleep(1500); // what is checked is that nothing happens: it neither exits nor fails
    assert.equal(p.exitCode, null, `the mailer exited: ${out}`);
    assert.ok(alive(p.pid));
  } finally {
    p.kill('SIGTERM');
    await waitFor(() => p.exitCode !== null || p.signalCode !== null, { what: 'the mailer to stop' });
  }
});

test('install.sh write-config writes the config once, mode 0640, readable by its group only', { skip: !AS_ROOT && 'needs root (chown)' }, () => {
  const f = path.join(tmp, 'portal.json');
  const env = { ...process.env, PORTAL_GROUP: 'www-data', PREFIX: '/usr' };
  execFileSync(path.join(ROOT, 'nginx', 'install.sh'), ['write-config', f], { env, encoding: 'utf8' });
  const st = statSync(f);
  assert.equal(st.mode & 0o777, 0o640);
  assert.equal(st.uid, 0);
  assert.equal(st.gid, WEB_GID);
  const c = JSON.parse(readFileSync(f, 'utf8'));
  assert.match(c.secret_key, /^[0-9a-f]{64}$/);
  assert.equal(c.database, 'dbname=portal user=portal_app');
  execFileSync(path.join(ROOT, 'nginx', 'install.sh'), ['write-config', f], { env, encoding: 'utf8' });
  assert.equal(JSON.parse(readFileSync(f, 'utf8')).secret_key, c.secret_key, 'never overwritten');
});

function psqlAs(role, sql) {
  return spawnSync('psql', ['-X', '-q', '-tA', '-h', path.join(VAR, 'pg'), '-U', role, '-d', 'portal', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    { encoding: 'utf8' });
}

test('the portal serves as portal_app, a role that can read and write rows but not change the schema', async () => {
  assert.match(JSON.parse(readFileSync(CONFIG, 'utf8')).database, /user=portal_app\b/);
  assert.equal((await get('/healthz')).status, 200);
  assert.equal((await get('/login')).status, 200);
  const users = psql("SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = 'portal' AND usename <> 'portal' ORDER BY 1");
  assert.equal(users, 'portal_app', 'the workers and the mailer connect as portal_app only');
  assert.equal(psqlAs('portal_app', 'SELECT count(*) > 0 FROM tickets').stdout.trim(), 't');
  for (const sql of ['CREATE TABLE app_made (i int)', 'CREATE TEMP TABLE app_tmp (i int)', 'TRUNCATE mail_outbox',
    'ALTER TABLE tickets ADD COLUMN x int', 'DROP TABLE schema_migrations', 'SELECT count(*) FROM schema_migrations']) {
    const r = psqlAs('portal_app', sql);
    assert.notEqual(r.status, 0, sql);
    assert.match(r.stderr, /permission denied|must be owner/, `${sql}: ${r.stderr}`);
  }
  assert.equal(psql("SELECT to_regclass('app_made') IS NULL"), 't');
});

test("the installed site passes nginx -t inside Debian's own nginx.conf (sites-enabled)", { skip: !AS_ROOT && 'needs root (nginx user line)' }, () => {
  const dir = path.join(tmp, 'nginx');
  mkdirSync(path.join(dir, 'log'), { recursive: true });
  const site = read('/etc/nginx/sites-available/portal').replaceAll('/etc/portal/upstream.conf', inDest('/etc/portal/upstream.conf'))
    .replaceAll('/var/log/portal', path.join(dir, 'log'));
  writeFileSync(path.join(dir, 'site'), site);
  const conf = readFileSync('/etc/nginx/nginx.conf', 'utf8').replace(/include \/etc\/nginx\/sites-enabled\/\*;/, `include ${dir}/site;`)
    .replace(/^pid .*$/m, `pid ${dir}/nginx.pid;`).replace(/^error_log .*$/m, `error_log ${dir}/log/error.log;`);
  assert.match(conf, new RegExp(`include ${dir}/site;`));
  writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const r = spawnSync('nginx', ['-t', '-q', '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'log', 'error.log')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
