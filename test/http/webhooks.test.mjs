// webhooks.test.mjs - issue 16, webhooks end to end: registered through the API (a token with
// webhooks:write) and through the console; a ticket from the support form and a reply reach a test
// HTTP server on 127.0.0.1 as ticket.created and message.added, signed (HMAC-SHA256 of
// "timestamp.body" under the secret shown once) with a fresh timestamp, the ticket as
// api_ticket_json says; a receiver answering 500 gets the same event again and the console shows
// both attempts; an event not subscribed is not sent; a non-loopback http:// URL is refused (422,
// API and console); a deleted webhook gets nothing more.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { psql } from '../lib/stack.mjs';
import { csrfOf, loggedIn, staffLoggedIn } from '../lib/client.mjs';
import { Api, createToken, openapiDoc } from '../lib/api.mjs';
import { auditMark, auditSince } from '../lib/audit.mjs';
import { waitFor } from '../lib/wait.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const U = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

// The receiver: every request kept per path; /flaky answers 500 to the first delivery of an event.
const got = new Map();
const seenFlaky = new Set();
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = req.url;
    if (!got.has(path)) got.set(path, []);
    let status = 200;
    if (path === '/flaky' && !seenFlaky.has(req.headers['webhook-id'])) {
      seenFlaky.add(req.headers['webhook-id']);
      status = 500;
    }
    got.get(path).push({ headers: req.headers, raw, body: JSON.parse(raw), status, at: Date.now() });
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(status === 200 ? 'ok' : 'no');
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const PORT = server.address().port;
const url = (p) => `http://127.0.0.1:${PORT}${p}`;
after(() => {
  server.close();
  psql(`DELETE FROM webhooks WHERE url LIKE 'http://127.0.0.1:${PORT}/%'`);
});

const received = (p, pred = () => true) => (got.get(p) || []).filter(pred);
const aboutTicket = (t) => (r) => String(r.body.data.ticket?.id) === String(t);
async function waitReceived(p, pred, what, n = 1) {
  await waitFor(() => received(p, pred).length >= n, { timeout: 15000, what });
  return received(p, pred);
}
// every payload must match the document's WebhookEvent schema (with Ticket and Message in it)
const { ajv } = await openapiDoc();
const eventSchema = ajv.compile({ $ref: 'openapi.json#/components/schemas/WebhookEvent' });
function verify(r, secret) {
  assert.ok(eventSchema(r.body), `the payload matches WebhookEvent: ${ajv.errorsText(eventSchema.errors)}`);
  const ts = r.headers['webhook-timestamp'];
  assert.match(ts, /^\d+$/);
  assert.ok(Math.abs(Date.now() / 1000 - Number(ts)) < 60, 'a fresh timestamp');
  const want = createHmac('sha256', secret).update(`${ts}.${r.raw}`).digest('hex');
  assert.equal(r.headers['webhook-signature'], `v1=${want}`, 'a valid signature');
  assert.notEqual(createHmac('sha256', `${secret}x`).update(`${ts}.${r.raw}`).digest('hex'), want);
  assert.equal(r.headers['webhook-id'], r.body.id);
  assert.match(r.headers['content-type'], /^application\/json/);
}

const ada = await loggedIn('ada@example.com');
const admin = await staffLoggedIn('admin@example.com');
const token = createToken(`hooks ${U}`, ['webhooks:write']);
const api = new Api(token);

async function formTicket(subject) {
  const page = await ada.get('/tickets/new');
  const nonce = /name="nonce" value="([A-Za-z0-9_-]{43})"/.exec(page.html)[1];
  const res = await ada.post('/tickets/new', { csrf: csrfOf(page.html), nonce, subject, description: 'Webhook test' });
  assert.equal(res.status, 303);
  return one(`SELECT th.ticket_id FROM messages m JOIN threads th ON th.id = m.thread_id WHERE m.reply_nonce = '${nonce}'`);
}
async function adaReply(ticket, body) {
  const page = await ada.get(`/tickets/${ticket}`);
  const nonce = /name="nonce" value="([A-Za-z0-9_-]{43})"/.exec(page.html)[1];
  const r = await ada.post(`/tickets/${ticket}/reply`, { csrf: csrfOf(page.html), nonce, body });
  assert.equal(r.status, 303);
}
async function consoleCreate(fields) {
  const page = await admin.get('/admin/webhooks');
  assert.equal(page.status, 200);
  return admin.post('/admin/webhooks', { csrf: csrfOf(page.html), ...fields });
}

let apiHook, apiSecret, consoleHook, consoleSecret, onlyUpdated, flakyHook;

test('webhooks are registered through the API (secret shown once) and the console; bad URLs are refused', async () => {
  const mark = auditMark();
  let r = await api.post('/webhooks', { url: url('/api'), events: ['ticket.created', 'message.added'] });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.match(r.body.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(r.body.events, ['ticket.created', 'message.added']);
  assert.equal(r.headers.get('location'), `/api/v1/webhooks/${r.body.id}`);
  apiHook = r.body.id;
  apiSecret = r.body.secret;
  assert.equal(one(`SELECT secret_sealed <> '' AND strpos(secret_sealed, '${apiSecret.slice(6)}') = 0 FROM webhooks WHERE id = ${apiHook}`), 't', 'stored sealed');
  r = await api.get(`/webhooks/${apiHook}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.secret, undefined, 'never shown again');
  assert.deepEqual(r.body.deliveries, []);
  r = await api.get('/webhooks?limit=100');
  assert.ok(r.body.data.some((w) => w.id === apiHook && w.url === url('/api')));
  assert.equal(auditSince(mark, { action: 'webhook_create' }).length, 1);

  r = await api.post('/webhooks', { url: url('/updated'), events: ['ticket.updated'] });
  assert.equal(r.status, 201);
  onlyUpdated = r.body.id;
  r = await api.post('/webhooks', { url: url('/flaky'), events: ['ticket.created'] });
  flakyHook = r.body.id;

  // refused: plain http to another machine, user info, unknown events, unknown fields
  for (const bad of ['http://example.com/hook', 'http://10.0.0.1:8080/x', 'ftp://127.0.0.1/x', 'https://user:pw@example.com/x', 'http://127.0.0.1.evil.example/x']) {
    r = await api.post('/webhooks', { url: bad, events: ['ticket.created'] });
    assert.equal(r.status, 422, bad);
    assert.ok(r.body.errors.some((e) => e.field === 'url'), bad);
  }
  r = await api.post('/webhooks', { url: url('/x'), events: ['ticket.deleted'] });
  assert.equal(r.status, 422);
  r = await api.post('/webhooks', { url: url('/x'), events: [], extra: 1 });
  assert.equal(r.status, 422);
  // a token without the scope
  r = await new Api(createToken(`no hooks ${U}`, ['tickets:read'])).get('/webhooks');
  assert.equal(r.status, 403);

  // the console: a refused URL keeps the input (422), then a good one shows its secret once
  let res = await consoleCreate({ url: 'http://192.168.1.5/hook', ev_ticket_created: '1' });
  assert.equal(res.status, 422);
  assert.match(res.html, /value="http:\/\/192\.168\.1\.5\/hook"/);
  assert.match(res.html, /only to this machine/);
  res = await consoleCreate({ url: url('/console') });
  assert.equal(res.status, 422, 'no event chosen');
  assert.match(res.html, /Choose at least one event/);
  res = await consoleCreate({ url: url('/console'), ev_ticket_created: '1', ev_message_added: '1' });
  assert.equal(res.status, 200);
  consoleSecret = /value="(whsec_[A-Za-z0-9_-]{43})"/.exec(res.html)[1];
  consoleHook = one(`SELECT id FROM webhooks WHERE url = '${url('/console')}'`);
  const list = await admin.get('/admin/webhooks');
  assert.ok(list.html.includes(url('/console')));
  const page = await admin.get(`/admin/webhooks/${consoleHook}`);
  assert.equal(page.status, 200);
  assert.ok(!page.html.includes(consoleSecret), 'the secret is not shown again');
  assert.match(page.html, /Nothing delivered yet/);
  assert.ok(auditSince(mark, { action: 'webhook_create' }).length >= 4);
});

test('a new ticket and a reply arrive signed as ticket.created and message.added; the 500 is retried', async () => {
  const ticket = await formTicket(`Hooked ${U}`);
  const [created] = await waitReceived('/api', (r) => r.body.type === 'ticket.created' && aboutTicket(ticket)(r), 'ticket.created at the API hook');
  verify(created, apiSecret);
  assert.match(created.body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(created.body.data.ticket, JSON.parse(one(`SELECT api_ticket_json(${ticket})`)), 'the API\'s ticket JSON');
  assert.equal(created.body.data.ticket.subject, `Hooked ${U}`);
  assert.ok(created.body.data.ticket.contact_ids.length >= 1, 'built at COMMIT: its contact is there');
  const [viaConsole] = await waitReceived('/console', (r) => r.body.type === 'ticket.created' && aboutTicket(ticket)(r), 'ticket.created at the console hook');
  verify(viaConsole, consoleSecret);
  assert.notEqual(viaConsole.body.id, created.body.id, 'one event id per delivery');

  await adaReply(ticket, `A reply ${U}`);
  const [msg] = await waitReceived('/api', (r) => r.body.type === 'message.added' && r.body.data.message.body === `A reply ${U}`, 'message.added');
  const first = await waitReceived('/api', (r) => r.body.type === 'message.added' && aboutTicket(ticket)(r), 'the first message', 2);
  assert.ok(first.some((r) => r.body.data.message.body === 'Webhook test'), 'the form\'s own first message too');
  verify(msg, apiSecret);
  assert.equal(String(msg.body.data.message.ticket_id), String(ticket));

  // the flaky receiver: 500 first, the same event again about a second later, then 200
  const flaky = await waitReceived('/flaky', aboutTicket(ticket), 'the retry', 2);
  assert.equal(flaky[0].status, 500);
  assert.equal(flaky[1].status, 200);
  assert.equal(flaky[1].headers['webhook-id'], flaky[0].headers['webhook-id'], 'the same event');
  assert.equal(flaky[1].raw, flaky[0].raw, 'the same body');
  await waitFor(() => one(`SELECT status FROM webhook_deliveries WHERE webhook_id = ${flakyHook} AND ticket_id = ${ticket}`) === 'delivered',
    { timeout: 5000, what: 'delivered' });
  const page = await admin.get(`/admin/webhooks/${flakyHook}`);
  assert.equal(page.status, 200);
  const row = new RegExp(`${flaky[0].body.id}[\\s\\S]*?</tr>`).exec(page.html)[0];
  assert.equal((row.match(/class="attempt"/g) || []).length, 2, 'both attempts shown');
  assert.match(row, /HTTP 500/);
  assert.match(row, /HTTP 200/);
  const r = await api.get(`/webhooks/${flakyHook}`);
  assert.equal(r.body.deliveries.find((d) => d.event_id === flaky[0].body.id).attempts, 2);

  // not subscribed: the ticket.updated-only hook got neither event of this ticket
  assert.equal(received('/updated', (x) => x.body.type !== 'ticket.updated').length, 0);
  assert.equal(received('/updated', aboutTicket(ticket)).length, 0);
});

test('only real changes make ticket.updated; a deleted or switched-off webhook gets nothing more', async () => {
  const ticket = await formTicket(`Changing ${U}`);
  await waitReceived('/api', (r) => r.body.type === 'ticket.created' && aboutTicket(ticket)(r), 'created');
  psql(`UPDATE tickets SET last_activity_at = now() WHERE id = ${ticket}`);
  psql(`UPDATE tickets SET priority = 'urgent' WHERE id = ${ticket}`);
  const [upd] = await waitReceived('/updated', aboutTicket(ticket), 'ticket.updated');
  assert.equal(upd.body.type, 'ticket.updated');
  assert.equal(upd.body.data.ticket.priority, 'urgent');
  assert.equal(one(`SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ${onlyUpdated} AND ticket_id = ${ticket}`), '1', 'last_activity_at alone is no update');

  const mark = auditMark();
  let r = await api.delete(`/webhooks/${apiHook}`);
  assert.equal(r.status, 204);
  assert.equal(auditSince(mark, { action: 'webhook_delete' }).length, 1);
  r = await api.get(`/webhooks/${apiHook}`);
  assert.equal(r.status, 404);
  // the console switches its webhook off, then deletes the flaky one
  const page = await admin.get(`/admin/webhooks/${consoleHook}`);
  let res = await admin.post(`/admin/webhooks/${consoleHook}/active`, { csrf: csrfOf(page.html), active: '0' });
  assert.equal(res.status, 303);
  res = await admin.post(`/admin/webhooks/${flakyHook}/delete`, { csrf: csrfOf(page.html) });
  assert.equal(res.status, 303);
  assert.equal(one(`SELECT count(*) FROM webhooks WHERE id = ${flakyHook}`), '0');

  const before = received('/api').length + received('/console').length + received('/flaky').length;
  const later = await formTicket(`After delete ${U}`);
  psql(`UPDATE tickets SET priority = 'low' WHERE id = ${later}`);
  await waitReceived('/updated', aboutTicket(later), 'the remaining hook still gets its event');
  await new Promise((r2) => setTimeout(r2, 1500));
  assert.equal(received('/api').length + received('/console').length + received('/flaky').length, before, 'nothing to deleted or switched-off hooks');
  assert.equal(one(`SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ${consoleHook} AND ticket_id = ${later}`), '0');
});
