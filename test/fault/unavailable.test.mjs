// unavailable.test.mjs - with no worker to answer, nginx's own page still gives the request's ID
// (and says to try again); the next make run brings the pool back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get, readPid, stack, workerPids } from '../lib/stack.mjs';
import { waitFor } from '../lib/wait.mjs';

test('no workers: a 503 page with the request ID and Retry-After, then the pool is back', { timeout: 60000 }, async () => {
  const pool = readPid('workers.pid');
  const workers = workerPids();
  process.kill(pool, 'SIGTERM');
  await waitFor(() => { try { process.kill(pool, 0); return false; } catch { return true; } }, { timeout: 10000, what: 'the pool to stop' });
  try {
    for (const w of workers) assert.throws(() => process.kill(w, 0), `worker ${w} is gone`);
    const r = await get('/login');
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '5');
    const id = r.headers.get('x-request-id');
    assert.match(id, /^[0-9a-f]{32}$/);
    const html = await r.text();
    assert.ok(html.includes(id), 'the page shows the ID');
    assert.match(html, /not answering/);
  } finally {
    stack('up');
  }
  assert.equal((await get('/login')).status, 200);
});
