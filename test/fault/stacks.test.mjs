// stacks.test.mjs - a second stack runs beside the first; up is idempotent; down stops only its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT, get, readPid } from '../lib/stack.mjs';

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

test('two stacks run side by side, up twice changes nothing, down stops exactly its own', async () => {
  const dir = mkdtempSync('/tmp/portal-second-');
  chmodSync(dir, 0o755);
  const port = await freePort();
  const env = { ...process.env, PORTAL_VAR: dir, PORTAL_HTTP_PORT: String(port), PORTAL_WORKERS: '1', PORTAL_CONFIG: path.join(dir, 'portal.json') };
  const stack = (cmd) => execFileSync(path.join(ROOT, 'nginx', 'stack.sh'), [cmd], { env, encoding: 'utf8' });
  try {
    const first = stack('up');
    assert.match(first, /Customer portal is up/);
    assert.match(first, /ada@example.com/);
    const second = stack('up');
    assert.match(second, /already up/);
    const r = await fetch(`http://127.0.0.1:${port}/login`);
    assert.equal(r.status, 200);
    assert.match(await r.text(), /Acme Support/);
    assert.equal((await get('/healthz')).status, 200, 'the first stack still answers');
    stack('down');
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'the second stack is gone');
    assert.ok(!existsSync(path.join(dir, 'run', 'workers.pid')));
    assert.equal((await get('/healthz')).status, 200, 'the first stack is untouched');
    assert.ok(readPid('nginx.pid') > 0);
  } finally {
    try { stack('down'); } catch { /* already down */ }
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a new install (no demo data): the first admin signs in and is led to create the first portal', { timeout: 90000 }, async () => {
  const dir = mkdtempSync('/tmp/portal-empty-');
  chmodSync(dir, 0o755);
  const port = await freePort();
  const env = { ...process.env, PORTAL_VAR: dir, PORTAL_HTTP_PORT: String(port), PORTAL_WORKERS: '1', PORTAL_DEMO: '0', PORTAL_CONFIG: path.join(dir, 'portal.json') };
  const stack = (cmd) => execFileSync(path.join(ROOT, 'nginx', 'stack.sh'), [cmd], { env, encoding: 'utf8' });
  try {
    stack('up');
    const base = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    execFileSync(path.join(ROOT, 'build', 'portal'), ['admin-create', 'first@example.com', 'First Admin'],
      { env, input: 'Ocean-Lantern-4821-violet\n', encoding: 'utf8' });
    // sign in as that admin (the login form's CSRF token is bound to the pre-session cookie)
    const jar = new Map();
    const go = async (p, opts = {}) => {
      const r = await fetch(base + p, { redirect: 'manual', ...opts, headers: { ...(opts.headers || {}), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const c of r.headers.getSetCookie()) { const [kv] = c.split(';'); const i = kv.indexOf('='); jar.set(kv.slice(0, i), kv.slice(i + 1)); }
      r.html = await r.text();
      return r;
    };
    const form = await go('/admin/login');
    const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(form.html)[1];
    const login = await go('/admin/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, email: 'first@example.com', password: 'Ocean-Lantern-4821-violet' }).toString() });
    assert.equal(login.status, 303, 'the first admin signs in');
    const settings = await go('/admin/settings');
    assert.equal(settings.status, 303, 'no portal to configure yet');
    assert.equal(settings.headers.get('location'), '/admin/portals');
    const portals = await go('/admin/portals');
    assert.equal(portals.status, 200);
    assert.match(portals.html, /There is no portal yet/);
    assert.equal((await go('/admin')).status, 200, 'the dashboard works on an empty install');
  } finally {
    try { stack('down'); } catch { /* already down */ }
    rmSync(dir, { recursive: true, force: true });
  }
});
