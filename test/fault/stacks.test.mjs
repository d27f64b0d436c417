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
