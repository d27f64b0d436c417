// webhooks_ssrf.test.mjs - issue 16, webhooks cannot be pointed inside (server-side request
// forgery). The test stack allows private addresses (its receivers listen on 127.0.0.1), so the
// switch off is tested with a second mailer: the stack's mailer is paused, `build/mailer --once`
// runs on a copy of portal.json with webhooks.allow_private_addresses false, and every URL that
// reaches this machine (http://, https:// to 127.0.0.1, [::1], ::ffff:127.0.0.1, 2130706433,
// localhost) or the cloud metadata address fails with "URL not allowed" or "address not allowed",
// with no connection made. Whatever the switch, what the API and the console show of a failure is
// a category, never curl's text, and the mailer's log never holds a URL's path.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { psql, readPid, ROOT, VAR } from '../lib/stack.mjs';
import { csrfOf, loggedIn, staffLoggedIn } from '../lib/client.mjs';
import { Api, createToken } from '../lib/api.mjs';
import { waitFor } from '../lib/wait.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const U = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

// A TCP listener that only counts connections: nothing may reach it with the switch off.
let connections = 0;
const sink = net.createServer((s) => { connections++; s.destroy(); });
await new Promise((r) => sink.listen(0, '127.0.0.1', r));
const P = sink.address().port;
// a port nothing listens on
const closed = await new Promise((r) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });

const ada = await loggedIn('ada@example.com');
const admin = await staffLoggedIn('admin@example.com');
const api = new Api(createToken(`ssrf ${U}`, ['webhooks:write']));
const made = [];
after(() => {
  sink.close();
  if (made.length) psql(`DELETE FROM webhooks WHERE id IN (${made.join(',')})`);
});

async function hook(url) {
  const r = await api.post('/webhooks', { url, events: ['ticket.created'] });
  assert.equal(r.status, 201, `${url}: ${JSON.stringify(r.body)}`);
  made.push(r.body.id);
  return r.body.id;
}
async function formTicket(subject) {
  const page = await ada.get('/tickets/new');
  const nonce = /name="nonce" value="([A-Za-z0-9_-]{43})"/.exec(page.html)[1];
  const res = await ada.post('/tickets/new', { csrf: csrfOf(page.html), nonce, subject, description: 'SSRF test' });
  assert.equal(res.status, 303);
  return one(`SELECT th.ticket_id FROM messages m JOIN threads th ON th.id = m.thread_id WHERE m.reply_nonce = '${nonce}'`);
}
const delivery = (id, ticket) => psql(`SELECT status || '|' || coalesce(last_error, '') FROM webhook_deliveries WHERE webhook_id = ${id} AND ticket_id = ${ticket}`);
const attemptErrors = (id) => psql(`SELECT coalesce(a.error, '') FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = ${id} ORDER BY a.id`).split('\n').filter(Boolean);
// no curl text: no addresses, ports, "Failed to connect", "after N ms"
const noDetail = (s) => !/127\.0\.0\.1|::1|\bport\b|Failed|after \d+ ms|Connection refused|\d{4,}/i.test(s.replace(/^gave up after \d+ attempts: /, ''));

test('a failed delivery shows a category, never curl\'s text; the log does not hold the URL\'s path', async () => {
  const id = await hook(`http://127.0.0.1:${closed}/closed-secret-${U}?key=k${U}`);
  const ticket = await formTicket(`Closed ${U}`);
  await waitFor(() => attemptErrors(id).length >= 1, { timeout: 15000, what: 'the first attempt' });
  const errors = attemptErrors(id);
  assert.equal(errors[0], 'could not connect');
  assert.ok(errors.every(noDetail), errors.join(' / '));
  const r = await api.get(`/webhooks/${id}`);
  assert.equal(r.status, 200);
  const d = r.body.deliveries.find((x) => String(x.id) === one(`SELECT id FROM webhook_deliveries WHERE webhook_id = ${id} AND ticket_id = ${ticket}`));
  assert.equal(d.last_error, 'could not connect');
  const page = await admin.get(`/admin/webhooks/${id}`);
  assert.equal(page.status, 200);
  assert.match(page.html, /could not connect/);
  assert.doesNotMatch(page.html, /Failed to connect|Connection refused/);
  const log = readFileSync(path.join(VAR, 'log', 'portal.log'), 'utf8');
  assert.match(log, new RegExp(`webhook delivery \\d+ to http://127\\.0\\.0\\.1:${closed} deferred`), 'the log names scheme, host and port');
  assert.ok(!log.includes(`closed-secret-${U}`) && !log.includes(`k${U}`), 'never the path or query');
  psql(`DELETE FROM webhooks WHERE id = ${id}`);
});

test('with webhooks.allow_private_addresses off the mailer refuses every address of this machine and the metadata service', async () => {
  const conf = JSON.parse(readFileSync(process.env.PORTAL_CONFIG, 'utf8'));
  assert.equal(conf.webhooks.allow_private_addresses, true, 'the test stack allows private addresses');
  const strict = path.join(VAR, `portal-strict-${U}.json`);
  const strictLog = path.join(VAR, 'log', `mailer-strict-${U}.log`);
  const mailer = path.join(ROOT, 'build', 'mailer');

  // a switch that is not true or false stops the mailer from starting
  writeFileSync(strict, JSON.stringify({ ...conf, log_file: strictLog, webhooks: { allow_private_addresses: 'no' } }), { mode: 0o600 });
  const bad = spawnSync(mailer, ['--once'], { env: { ...process.env, PORTAL_CONFIG: strict }, encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr + (existsSync(strictLog) ? readFileSync(strictLog, 'utf8') : ''), /allow_private_addresses must be true or false/);
  writeFileSync(strict, JSON.stringify({ ...conf, log_file: strictLog, webhooks: { allow_private_addresses: false } }), { mode: 0o600 });

  const urls = {
    http: `http://127.0.0.1:${P}/http-secret-${U}`,
    v4: `https://127.0.0.1:${P}/v4-secret-${U}`,
    v6: `https://[::1]:${P}/v6-secret-${U}`,
    mapped: `https://[::ffff:127.0.0.1]:${P}/mapped-secret-${U}`,
    decimal: `https://2130706433:${P}/decimal-secret-${U}`,
    name: `https://localhost:${P}/name-secret-${U}`,
    metadata: `https://169.254.169.254/latest/meta-data-secret-${U}`,
    private: `https://10.1.2.3:${P}/private-secret-${U}`,
  };
  const ids = {};
  for (const [k, u] of Object.entries(urls)) ids[k] = await hook(u);

  const stackMailer = readPid('mailer.pid');
  assert.ok(stackMailer > 0);
  process.kill(stackMailer, 'SIGSTOP');
  let ticket;
  try {
    ticket = await formTicket(`Inside ${U}`);
    await waitFor(() => Object.values(ids).every((id) => delivery(id, ticket).startsWith('queued')), { what: 'the deliveries queued' });
    const run = spawnSync(mailer, ['--once'], { env: { ...process.env, PORTAL_CONFIG: strict }, encoding: 'utf8', timeout: 60000 });
    assert.ok(run.status !== null, `the strict mailer finished: ${run.stderr}`);
  } finally {
    process.kill(stackMailer, 'SIGCONT');
  }
  for (const [k, id] of Object.entries(ids)) {
    const want = k === 'http' ? 'URL not allowed' : 'address not allowed';
    assert.equal(delivery(id, ticket), `failed|${want}`, k);
    assert.deepEqual(attemptErrors(id), [want], `${k}: one attempt, failed at once`);
    const r = await api.get(`/webhooks/${id}`);
    assert.equal(r.body.deliveries[0].last_error, want, k);
  }
  assert.equal(connections, 0, 'nothing connected to this machine');
  const page = await admin.get(`/admin/webhooks/${ids.v4}`);
  assert.match(page.html, /address not allowed/);

  const log = readFileSync(strictLog, 'utf8');
  assert.match(log, new RegExp(`webhook delivery \\d+ to https://127\\.0\\.0\\.1:${P} failed: address not allowed`));
  assert.match(log, /webhook delivery \d+ to https:\/\/169\.254\.169\.254:443 failed: address not allowed/);
  assert.match(log, new RegExp(`to http://127\\.0\\.0\\.1:${P} failed: URL not allowed`));
  assert.ok(!log.includes(`secret-${U}`), 'no URL path in the log');
  execFileSync('rm', ['-f', strict]);
});
