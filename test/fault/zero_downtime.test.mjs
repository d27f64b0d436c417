// zero_downtime.test.mjs - make scale and make reload under a load of GETs and POSTs: no request
// fails, every acknowledged reply is stored exactly once, nothing else is stored, and the pool
// afterwards is the new one (nginx/stack.sh "Zero-downtime changes", fcgi/main.c's stop signals).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, VAR, psql, readPid, workerPids } from '../lib/stack.mjs';
import { Client, DEMO_PASSWORD, loggedIn } from '../lib/client.mjs';
import { ownTickets } from '../lib/demo.mjs';
import { waitFor } from '../lib/wait.mjs';

const run = promisify(execFile);
// the stack's own command, run asynchronously so that the load goes on meanwhile
const stackCmd = (...args) => run(path.join(ROOT, 'nginx', 'stack.sh'), args, { env: process.env, encoding: 'utf8' });
const WORKERS = Number(process.env.PORTAL_WORKERS || 2);

/* A load of page views, replies (each with its own nonce and marker) and password logins, until
 * stop() is called: every answer is counted as expected or failed, every acknowledged reply kept. */
function startLoad(ada, ticket, tag) {
  const s = { ok: 0, failed: [], acked: [], sent: 0, running: true };
  const one = async (what, fn, expect) => {
    try {
      const r = await fn();
      if (r.status === expect) { s.ok++; return r; }
      s.failed.push(`${what}: ${r.status}`);
    } catch (e) { s.failed.push(`${what}: ${e.message}`); }
    return null;
  };
  const viewer = async () => {
    while (s.running) {
      await one('GET /tickets', () => ada.get('/tickets'), 200);
      await one(`GET /tickets/${ticket}`, () => ada.get(`/tickets/${ticket}`), 200);
    }
  };
  const replier = async () => {
    while (s.running) {
      const nonce = randomBytes(32).toString('base64url');
      const marker = `${tag}-${nonce}`;
      s.sent++;
      const page = await one('GET reply form', () => ada.get(`/tickets/${ticket}`), 200);
      if (!page) continue;
      const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(page.html)[1];
      const r = await one('POST reply', () => ada.post(`/tickets/${ticket}/reply`, { csrf, nonce, body: marker }), 303);
      if (r) s.acked.push(marker);
    }
  };
  const loginer = async () => {
    while (s.running) {
      const c = new Client();
      await one('POST /login', () => c.submit('/login', { email: 'grace@example.com', password: DEMO_PASSWORD }), 303);
    }
  };
  const loops = [viewer(), viewer(), replier(), replier(), loginer()];
  s.stop = async () => { s.running = false; await Promise.all(loops); };
  return s;
}

/* Each acknowledged reply is stored once, and no reply of this run is stored that was not acknowledged. */
function assertReplies(s, tag) {
  const rows = psql(`SELECT body, count(*) FROM messages WHERE body LIKE '${tag}-%' GROUP BY body`);
  const stored = new Map(rows ? rows.split('\n').map((l) => { const [b, n] = l.split('|'); return [b, Number(n)]; }) : []);
  const lost = s.acked.filter((m) => !stored.has(m));
  const doubled = [...stored].filter(([, n]) => n > 1).map(([b]) => b);
  const unacked = [...stored.keys()].filter((m) => !s.acked.includes(m));
  assert.deepEqual(lost, [], 'no acknowledged reply lost');
  assert.deepEqual(doubled, [], 'no reply stored twice');
  assert.deepEqual(unacked, [], 'nothing stored that was not acknowledged');
}

test('make scale and make reload under load: 0 failed requests, 0 replies lost or doubled', { timeout: 180000 }, async (t) => {
  const ada = await loggedIn('ada@example.com');
  const ticket = psql(`SELECT t.id FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id
    WHERE t.id IN ${ownTickets(psql("SELECT id FROM contacts WHERE email = 'ada@example.com'"))} AND NOT s.is_closed ORDER BY t.id LIMIT 1`);
  assert.match(ticket, /^\d+$/, 'an open ticket of Ada');
  const tag = `zd${Date.now()}`;
  const firstPool = readPid('workers.pid');
  const firstWorkers = workerPids();
  const s = startLoad(ada, ticket, tag);
  try {
    await waitFor(() => s.ok >= 30, { timeout: 20000, what: 'the load to flow' });

    // scale up: a new pool of 3, the old one gone
    const out = (await stackCmd('scale', '3')).stdout;
    assert.match(out, /workers: 3 in /);
    const scaledPool = readPid('workers.pid');
    assert.notEqual(scaledPool, firstPool, 'a new pool serves');
    await waitFor(() => workerPids().length === 3, { timeout: 10000, what: '3 workers' });
    assert.throws(() => process.kill(firstPool, 0), 'the old pool stopped');
    for (const w of firstWorkers) assert.throws(() => process.kill(w, 0), `old worker ${w} stopped`);
    let okThen = s.ok;
    await waitFor(() => s.ok >= okThen + 30, { timeout: 20000, what: 'the load to flow on the new pool' });

    // reload: same size, new processes (program, templates, config re-read), migrations re-run
    const scaledWorkers = workerPids();
    const out2 = (await stackCmd('reload')).stdout;
    assert.match(out2, /reloaded/);
    const reloadedWorkers = workerPids();
    assert.equal(reloadedWorkers.length, 3, 'reload keeps the pool size');
    assert.ok(reloadedWorkers.every((w) => !scaledWorkers.includes(w)), 'every worker is new after the reload');
    okThen = s.ok;
    await waitFor(() => s.ok >= okThen + 30, { timeout: 20000, what: 'the load to flow after the reload' });

  } finally {
    await s.stop();
    // back to the suite's size, whatever happened above
    if (workerPids().length !== WORKERS) await stackCmd('scale', String(WORKERS));
  }
  await waitFor(() => workerPids().length === WORKERS, { timeout: 10000, what: 'the suite\'s pool size' });
  assert.deepEqual(s.failed, [], `no request failed (${s.ok} answered as expected)`);
  assert.ok(s.acked.length >= 10, `replies went through the changes (${s.acked.length})`);
  assertReplies(s, tag);
  t.diagnostic(`answered as expected: ${s.ok}, failed: ${s.failed.length}, replies acknowledged: ${s.acked.length}, each stored once`);
});

test('a worker told to stop finishes the request it is on', { timeout: 60000 }, async () => {
  // Password logins take the longest (argon2): send a few, signal every worker while they run.
  const pool = workerPids();
  const logins = Array.from({ length: 6 }, async () => {
    const c = new Client();
    return c.submit('/login', { email: 'grace@example.com', password: DEMO_PASSWORD });
  });
  await new Promise((r) => setTimeout(r, 30));
  for (const w of pool) process.kill(w, 'SIGUSR1'); // as multiwatch does when told to stop
  const answers = await Promise.all(logins);
  assert.deepEqual(answers.map((r) => r.status), answers.map(() => 303), 'every login in flight was answered');
  // multiwatch replaces the workers that left (they exited, they were not killed)
  await waitFor(() => { const now = workerPids(); return now.length === pool.length && now.every((w) => !pool.includes(w)); },
    { timeout: 10000, what: 'a renewed pool' });
  const log = readFileSync(path.join(VAR, 'log', 'portal.log'), 'utf8');
  for (const w of pool) assert.match(log, new RegExp(` ${w} info - - worker stopping`), `worker ${w} left its loop itself`);
});
