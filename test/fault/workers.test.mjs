// workers.test.mjs - faults: a worker killed under load is replaced; a PostgreSQL restart loses nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get, psql, stack, workerPids } from '../lib/stack.mjs';
import { waitFor } from '../lib/wait.mjs';

test('kill -9 of one worker under load: multiwatch restarts it and requests keep succeeding', async () => {
  const before = workerPids();
  assert.ok(before.length >= 2, `a pool of workers runs (${before})`);
  let ok = 0, bad = 0, stop = false;
  const load = async () => {
    while (!stop) {
      try {
        const r = await get('/login');
        await r.arrayBuffer();
        if (r.status === 200) ok++; else bad++;
      } catch { bad++; }
    }
  };
  const loaders = Array.from({ length: 4 }, load);
  await waitFor(() => ok >= 25, { what: 'the load to flow (25 answers)' });
  process.kill(before[0], 'SIGKILL');
  // multiwatch starts a new worker in the killed one's place ...
  await waitFor(() => { const now = workerPids(); return now.length === before.length && !now.includes(before[0]); },
    { timeout: 10000, what: 'a full pool without the killed worker' });
  // ... and the load goes on through the renewed pool
  const okThen = ok;
  await waitFor(() => ok >= okThen + 50, { timeout: 10000, what: '50 more answers after the replacement' });
  stop = true;
  await Promise.all(loaders);
  const after = workerPids();
  assert.equal(after.length, before.length, 'the pool is back to full size');
  assert.ok(!after.includes(before[0]), 'the killed worker was replaced');
  // A request in flight on the killed worker may fail (nginx answers 502 for it); nothing else.
  assert.ok(bad <= 2, `at most the in-flight requests failed (ok=${ok}, bad=${bad})`);
  assert.ok(ok > 50, `load kept flowing (ok=${ok})`);
  for (let i = 0; i < 10; i++) assert.equal((await get('/healthz')).status, 200);
});

test('PostgreSQL restart: committed data survives and the next request succeeds', async () => {
  psql("CREATE TABLE IF NOT EXISTS fault_probe (v text); INSERT INTO fault_probe VALUES ('committed before restart')");
  assert.equal((await get('/healthz')).status, 200);
  stack('pg-restart');
  for (let i = 0; i < 6; i++) { // every worker reconnects on its next request
    const r = await get('/login');
    assert.equal(r.status, 200, `request ${i} after the restart`);
  }
  assert.equal((await get('/healthz')).status, 200);
  assert.equal(psql('SELECT v FROM fault_probe'), 'committed before restart');
  psql('DROP TABLE fault_probe');
});

test('PostgreSQL down: /healthz says 503, and 200 again once it is back', async () => {
  stack('pg-stop');
  try {
    const r = await get('/healthz');
    assert.equal(r.status, 503);
  } finally {
    stack('pg-start');
  }
  assert.equal((await get('/healthz')).status, 200);
});
