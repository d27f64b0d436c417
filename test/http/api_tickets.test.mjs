// api_tickets.test.mjs - issue 16, the JSON API's tickets, a ticket's messages and attachments:
// list with filters and keyset pages, get, create (Idempotency-Key, sequential and concurrent),
// update (stage, priority, properties, closing), scopes, a token limited to an inbox, replies and
// notes (mail or none, the portal's page), multipart uploads and downloads, validation problems.
// Every API call goes through Api (test/lib/api.mjs), which checks each answer against the document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { psql } from '../lib/stack.mjs';
import { loggedIn, staffLoggedIn } from '../lib/client.mjs';
import { auditMark, auditSince } from '../lib/audit.mjs';
import { mailTo, waitForMail } from '../lib/mail.mjs';
import { Api, createToken } from '../lib/api.mjs';

const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const one = (sql) => psql(sql).split('\n')[0];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const RW = ['tickets:read', 'tickets:write'];
const TOKEN_NAME = `tickets ${uniq()}`;
const api = new Api(createToken(TOKEN_NAME, RW));

/* A fresh contact of its own, so that mails and lists are this test's. */
function newContact() {
  const email = `api-${uniq()}@example.com`;
  const id = Number(one(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${email}', 'Api', 'Person') RETURNING id`));
  return { id, email };
}

async function create(body, a = api, headers = {}) {
  const r = await a.post('/tickets', body, { headers });
  return r;
}

test('create: 201 with Location and the ticket, written in the console\'s tables, audited; no message, no mail', async () => {
  const ct = newContact();
  const mark = auditMark();
  const r = await create({ subject: `Printer ${uniq()}`, description: 'It jams', priority: 'high',
    properties: { serial: 'X-1', floor: 3 }, contact_id: ct.id });
  assert.equal(r.status, 201);
  const id = r.body.id;
  assert.equal(r.headers.get('location'), `/api/v1/tickets/${id}`);
  assert.equal(r.body.priority, 'high');
  assert.equal(r.body.status, 'open');
  assert.deepEqual(r.body.properties, { serial: 'X-1', floor: 3 });
  assert.deepEqual(r.body.contact_ids, [ct.id]);
  assert.equal(r.body.pipeline.name, 'Support'); // the first pipeline's first open stage
  assert.equal(r.body.stage.id, Number(one(`SELECT pipeline_first_stage(${r.body.pipeline.id}, false)`)));
  assert.equal(one(`SELECT subject || '|' || description FROM tickets WHERE id = ${id}`), `${r.body.subject}|It jams`);
  assert.equal(one(`SELECT count(*) FROM threads WHERE ticket_id = ${id}`), '0');
  const rows = auditSince(mark, { action: 'api_ticket_create', actor_kind: 'api_token' });
  assert.equal(rows.length, 1);
  assert.equal(rows[0].detail.id, String(id));
  assert.match(rows[0].detail.token, /^tickets /);
  const g = await api.get(`/tickets/${id}`);
  assert.equal(g.status, 200);
  assert.deepEqual(g.body, r.body);
  await sleep(500);
  assert.equal(mailTo(ct.email).length, 0);
});

test('create by email with a first message: the contact gets it as an agent reply from the inbox; a note mails nobody', async () => {
  const ct = newContact();
  const body = `We opened this for you ${uniq()}`;
  const r = await create({ subject: 'Call back', contact_email: ct.email.toUpperCase(), message: { body } });
  assert.equal(r.status, 201);
  assert.deepEqual(r.body.inbox_ids, [Number(one('SELECT default_inbox_id FROM portals WHERE is_default'))]);
  const mail = await waitForMail(ct.email, (m) => (m.text || '').includes(body));
  assert.match(mail.from, /support@example\.com|Acme/);
  const m = await api.get(`/tickets/${r.body.id}/messages`);
  assert.equal(m.status, 200);
  assert.equal(m.body.data.length, 1);
  assert.equal(m.body.data[0].direction, 'outgoing');
  assert.equal(m.body.data[0].kind, 'message');
  assert.equal(m.body.data[0].author.type, null);
  assert.match(m.body.data[0].author.name, /^tickets /);

  const ct2 = newContact();
  const n = await create({ subject: 'Internal', contact_id: ct2.id, inbox_id: 2, message: { body: 'only us', kind: 'note' } });
  assert.equal(n.status, 201);
  assert.deepEqual(n.body.inbox_ids, [2]);
  await sleep(500);
  assert.equal(mailTo(ct2.email).length, 0);
});

test('an Idempotency-Key makes a retried create one ticket (sequential and concurrent); the same key with another body is 422', async () => {
  const ct = newContact();
  const subject = `Idem ${uniq()}`;
  const key = `k-${uniq()}`;
  const body = { subject, contact_id: ct.id, message: { body: 'first words' } };
  const a = await create(body, api, { 'idempotency-key': key });
  const b = await create(body, api, { 'idempotency-key': key });
  assert.equal(a.status, 201);
  assert.equal(b.status, 201);
  assert.equal(b.headers.get('idempotent-replayed'), 'true');
  assert.equal(b.body.id, a.body.id);
  assert.equal(b.headers.get('location'), a.headers.get('location'));
  assert.equal(one(`SELECT count(*) FROM tickets WHERE subject = '${subject}'`), '1');
  assert.equal(one(`SELECT count(*) FROM messages m JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = ${a.body.id}`), '1');
  const c = await create({ ...body, subject: `${subject} changed` }, api, { 'idempotency-key': key });
  assert.equal(c.status, 422);
  assert.equal(c.body.type, 'urn:portal:problem:idempotency-key-reused');

  const subject2 = `Twins ${uniq()}`;
  const key2 = `k-${uniq()}`;
  const twins = await Promise.all([0, 1, 2].map(() => create({ subject: subject2, contact_id: ct.id }, api, { 'idempotency-key': key2 })));
  const ok = twins.filter((t) => t.status === 201);
  assert.ok(ok.length >= 1, twins.map((t) => t.status).join());
  for (const t of twins) assert.ok(t.status === 201 || t.status === 409, `status ${t.status}`);
  assert.equal(new Set(ok.map((t) => t.body.id)).size, 1);
  assert.equal(one(`SELECT count(*) FROM tickets WHERE subject = '${subject2}'`), '1');
});

test('list: filters, keyset pages without gaps or repeats, and validation of every filter', async () => {
  const ct = newContact();
  const ids = [];
  for (let i = 0; i < 5; i++) {
    const r = await create({ subject: `List ${i}`, contact_id: ct.id, priority: i % 2 ? 'low' : 'urgent' });
    ids.push(r.body.id);
  }
  const seen = [];
  let cursor = null;
  let pages = 0;
  do {
    const r = await api.get(`/tickets?contact_id=${ct.id}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200);
    assert.ok(r.body.data.length <= 2);
    seen.push(...r.body.data.map((t) => t.id));
    cursor = r.body.next_cursor;
    pages++;
  } while (cursor && pages < 10);
  assert.equal(pages, 3);
  assert.deepEqual(seen, [...ids].reverse()); // newest first, each once
  let r = await api.get(`/tickets?contact_id=${ct.id}&priority=low`);
  assert.deepEqual(r.body.data.map((t) => t.id), [ids[3], ids[1]]);
  r = await api.get(`/tickets?contact_id=${ct.id}&status=closed`);
  assert.deepEqual(r.body.data, []);
  r = await api.get(`/tickets?contact_id=${ct.id}&status=open&pipeline_id=1&stage_id=${Number(one('SELECT pipeline_first_stage(1, false)'))}`);
  assert.equal(r.body.data.length, 5);
  r = await api.get(`/tickets?pipeline_id=2&contact_id=${ct.id}`);
  assert.equal(r.body.data.length, 0);
  const future = new Date(Date.now() + 3600e3).toISOString();
  r = await api.get(`/tickets?contact_id=${ct.id}&updated_since=${encodeURIComponent(future)}`);
  assert.equal(r.body.data.length, 0);
  r = await api.get(`/tickets?contact_id=${ct.id}&updated_since=2000-01-01T00:00:00%2B02:00`);
  assert.equal(r.body.data.length, 5);
  r = await api.get(`/tickets?contact_id=${ct.id}&updated_since=2000-01-01T00:00:00-15:59`);
  assert.equal(r.body.data.length, 5); // the widest offset PostgreSQL takes
  const company = Number(one('SELECT id FROM companies ORDER BY id LIMIT 1'));
  r = await api.get(`/tickets?company_id=${company}&limit=100`);
  assert.ok(r.body.data.every((t) => t.company_ids.includes(company)));
  for (const [q, field] of [['status=pending', 'status'], ['priority=extreme', 'priority'], ['stage_id=x', 'stage_id'],
    ['pipeline_id=0', 'pipeline_id'], ['contact_id=-1', 'contact_id'], ['company_id=1.5', 'company_id'],
    ['updated_since=yesterday', 'updated_since'], ['updated_since=2024-02-30T00:00:00Z', 'updated_since'],
    // offsets RFC 3339 allows but PostgreSQL refuses: a 422, not a failed statement (503)
    ['updated_since=0001-01-01T00:00:00%2B23:59', 'updated_since'],
    ['updated_since=9999-12-31T23:59:59-23:59', 'updated_since'],
    ['updated_since=2024-05-01T10:00:00%2B16:00', 'updated_since']]) {
    r = await api.get(`/tickets?${q}`);
    assert.equal(r.status, 422, q);
    assert.deepEqual(r.body.errors.map((e) => e.field), [field], q);
  }
  r = await api.get('/tickets?cursor=bm9wZQ');
  assert.equal(r.status, 400);
  r = await api.get('/tickets?limit=500');
  assert.equal(r.status, 400);
});

test('update: stage, priority, properties merged and removed, subject; closing stamps closed_at and mails ticket_closed; audited', async () => {
  const ct = newContact();
  const c = await create({ subject: 'To close', contact_id: ct.id, properties: { a: '1', b: '2' }, message: { body: 'hello' } });
  const id = c.body.id;
  await waitForMail(ct.email, (m) => (m.text || '').includes('hello'));
  const mark = auditMark();
  let r = await api.patch(`/tickets/${id}`, { priority: 'urgent', properties: { b: null, c: true }, subject: 'Renamed' });
  assert.equal(r.status, 200);
  assert.equal(r.body.priority, 'urgent');
  assert.equal(r.body.subject, 'Renamed');
  assert.deepEqual(r.body.properties, { a: '1', c: true });
  r = await api.patch(`/tickets/${id}`, { priority: null });
  assert.equal(r.body.priority, null);
  const closed = Number(one(`SELECT pipeline_first_stage(${c.body.pipeline.id}, true)`));
  const before = mailTo(ct.email).length;
  r = await api.patch(`/tickets/${id}`, { stage_id: closed });
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'closed');
  assert.ok(r.body.closed_at);
  assert.equal(one(`SELECT closed_at IS NOT NULL FROM tickets WHERE id = ${id}`), 't');
  await waitForMail(ct.email, () => mailTo(ct.email).length > before);
  const rows = auditSince(mark, { action: 'api_ticket_update' });
  assert.equal(rows.length, 3);
  assert.equal(rows[2].detail.before.status, 'open');
  assert.equal(rows[2].detail.after.status, 'closed');
  // reopening clears closed_at; another pipeline's stage only with its pipeline_id
  const open = Number(one(`SELECT pipeline_first_stage(${c.body.pipeline.id}, false)`));
  r = await api.patch(`/tickets/${id}`, { stage_id: open });
  assert.equal(r.body.closed_at, null);
  const billing = Number(one("SELECT pipeline_first_stage((SELECT id FROM pipelines WHERE name = 'Billing'), false)"));
  r = await api.patch(`/tickets/${id}`, { stage_id: billing });
  assert.equal(r.status, 422);
  assert.equal(r.body.errors[0].field, 'stage_id');
  r = await api.patch(`/tickets/${id}`, { stage_id: billing, pipeline_id: Number(one("SELECT id FROM pipelines WHERE name = 'Billing'")) });
  assert.equal(r.status, 200);
  assert.equal(r.body.pipeline.name, 'Billing');
  r = await api.patch(`/tickets/${id}`, { priority: 'soon', properties: { 'Bad Key': 1, status: 'x', ok: [1] }, color: 'red', subject: '' });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.errors.map((e) => e.field).sort(),
    ['color', 'priority', 'properties.Bad Key', 'properties.ok', 'properties.status', 'subject']);
  r = await api.patch('/tickets/999999999', { priority: 'low' });
  assert.equal(r.status, 404);
  const quiet = auditMark();
  r = await api.patch(`/tickets/${id}`, {}); // nothing to change: the ticket, unaudited
  assert.equal(r.status, 200);
  assert.equal(r.body.id, id);
  assert.equal(auditSince(quiet, { action: 'api_ticket_update' }).length, 0);
});

test('create: validation problems name each field', async () => {
  let r = await create({ description: 5, contact_id: 'x', priority: 'p', properties: [], stage_id: 0, extra: 1 });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.errors.map((e) => e.field).sort(),
    ['contact_id', 'description', 'extra', 'priority', 'properties', 'stage_id', 'subject']);
  r = await create({ subject: 'x', contact_email: `nobody-${uniq()}@example.com` });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.errors.map((e) => e.field), ['contact_email']);
  const ct = newContact();
  r = await create({ subject: 'x', contact_id: ct.id, stage_id: 999999, company_id: 999999, inbox_id: 999999, message: { body: 'x' } });
  assert.deepEqual(r.body.errors.map((e) => e.field).sort(), ['company_id', 'inbox_id', 'stage_id']);
  r = await create({ subject: 'x', contact_id: ct.id, message: { kind: 'shout' } });
  assert.deepEqual(r.body.errors.map((e) => e.field).sort(), ['message.body', 'message.kind']);
  r = await api.request('POST', '/tickets', { body: 'subject=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(r.status, 415);
  r = await api.request('POST', '/tickets', { body: '{"subject":', headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 400);
});

test('scopes: tickets:read cannot write, tickets:write alone cannot read', async () => {
  const ct = newContact();
  const reader = new Api(createToken(`reader ${uniq()}`, ['tickets:read']));
  const writer = new Api(createToken(`writer ${uniq()}`, ['tickets:write']));
  const other = new Api(createToken(`contacts ${uniq()}`, ['contacts:read']));
  const t = (await create({ subject: 'Scopes', contact_id: ct.id })).body;
  for (const r of [await reader.post('/tickets', { subject: 'no', contact_id: ct.id }),
    await reader.patch(`/tickets/${t.id}`, { priority: 'low' }),
    await reader.post(`/tickets/${t.id}/messages`, { body: 'no' }),
    await writer.get('/tickets'), await writer.get(`/tickets/${t.id}`), await writer.get(`/tickets/${t.id}/messages`),
    await other.get('/tickets'), await other.get('/attachments/1')]) {
    assert.equal(r.status, 403);
    assert.equal(r.body.type, 'urn:portal:problem:insufficient-scope');
  }
  assert.equal((await reader.get(`/tickets/${t.id}`)).status, 200);
  assert.equal((await writer.post('/tickets', { subject: 'yes', contact_id: ct.id })).status, 201);
});

test('a token limited to an inbox sees only that inbox\'s tickets, messages and files; others are 404', async () => {
  const ct = newContact();
  const limited = new Api(createToken(`billing only ${uniq()}`, RW, { inboxes: [2] }));
  const support = (await create({ subject: 'Support side', contact_id: ct.id, inbox_id: 1, message: { body: 'in support' } })).body;
  const billing = (await create({ subject: 'Billing side', contact_id: ct.id, inbox_id: 2, message: { body: 'in billing', kind: 'note' } })).body;
  let r = await limited.get(`/tickets?contact_id=${ct.id}`);
  assert.deepEqual(r.body.data.map((t) => t.id), [billing.id]);
  r = await limited.get('/tickets?limit=100');
  for (const t of r.body.data) assert.ok(t.inbox_ids.includes(2), `ticket ${t.id} in ${t.inbox_ids}`);
  assert.equal((await limited.get(`/tickets/${support.id}`)).status, 404);
  assert.equal((await limited.get(`/tickets/${support.id}/messages`)).status, 404);
  assert.equal((await limited.patch(`/tickets/${support.id}`, { priority: 'low' })).status, 404);
  assert.equal((await limited.post(`/tickets/${support.id}/messages`, { body: 'x' })).status, 404);
  assert.equal((await limited.get(`/tickets/${billing.id}`)).status, 200);
  assert.equal((await limited.patch(`/tickets/${billing.id}`, { priority: 'low' })).status, 200);
  // its writes stay in its inboxes
  r = await limited.post('/tickets', { subject: 'x', contact_id: ct.id, message: { body: 'x' } });
  assert.equal(r.status, 422); // the default inbox (Support) is not its
  assert.equal(r.body.errors[0].field, 'inbox_id');
  r = await limited.post('/tickets', { subject: 'x', contact_id: ct.id, inbox_id: 2 });
  assert.equal(r.status, 422); // without a message its ticket would be in no inbox
  r = await limited.post('/tickets', { subject: 'Limited made', contact_id: ct.id, inbox_id: 2, message: { body: 'x', kind: 'note' } });
  assert.equal(r.status, 201);
  // a file on the Support ticket is not its to download
  const fd = new FormData();
  fd.append('body', 'with a file');
  fd.append('attachments', new Blob([Buffer.from('secret')], { type: 'text/plain' }), 's.txt');
  const up = await api.request('POST', `/tickets/${support.id}/messages`, { body: fd });
  assert.equal(up.status, 201);
  const file = up.body.attachments[0].id;
  assert.equal((await limited.get(`/attachments/${file}`)).status, 404);
  assert.equal((await api.get(`/attachments/${file}`, { raw: true })).status, 200);
});

test('messages: a reply is mailed and shown on the portal, a note is neither; the list pages through all of them', async () => {
  const ada = 'ada@example.com';
  const c = await create({ subject: `Portal view ${uniq()}`, contact_id: 1, message: { body: 'first' } });
  const id = c.body.id;
  const reply = `Reply from our CRM ${uniq()}`;
  const note = `Secret note ${uniq()}`;
  const mark = auditMark();
  let r = await api.post(`/tickets/${id}/messages`, { body: reply });
  assert.equal(r.status, 201);
  assert.equal(r.body.kind, 'message');
  assert.equal(r.body.ticket_id, id);
  assert.equal(r.body.author.email, 'support@example.com');
  const mail = await waitForMail(ada, (m) => (m.text || '').includes(reply));
  assert.match(mail.headers['reply-to'] || '', /@/);
  r = await api.post(`/tickets/${id}/messages`, { body: note, kind: 'note' });
  assert.equal(r.status, 201);
  assert.equal(r.body.kind, 'note');
  assert.equal(auditSince(mark, { action: 'api_message_create' }).length, 1);
  assert.equal(auditSince(mark, { action: 'api_note_create' }).length, 1);
  const client = await loggedIn(ada);
  const page = await client.get(`/tickets/${id}`);
  assert.equal(page.status, 200);
  assert.ok(page.html.includes(reply), 'the reply is on the portal page');
  assert.ok(!page.html.includes(note), 'the note is not');
  await sleep(500);
  assert.equal(mailTo(ada).filter((m) => (m.text || '').includes(note)).length, 0);
  // every message, notes included, over pages of one
  const bodies = [];
  let cursor = null;
  do {
    r = await api.get(`/tickets/${id}/messages?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200);
    bodies.push(...r.body.data.map((m) => m.body));
    cursor = r.body.next_cursor;
  } while (cursor);
  assert.deepEqual(bodies, ['first', reply, note]);
  // idempotent retry: one message
  const key = `m-${uniq()}`;
  const a = await api.post(`/tickets/${id}/messages`, { body: 'once' }, { headers: { 'idempotency-key': key } });
  const b = await api.post(`/tickets/${id}/messages`, { body: 'once' }, { headers: { 'idempotency-key': key } });
  assert.equal(b.body.id, a.body.id);
  assert.equal(one(`SELECT count(*) FROM messages m JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = ${id} AND m.body = 'once'`), '1');
  // the console names the token as the author of both (thread page and ticket timeline)
  const thread = one(`SELECT thread_id FROM messages WHERE body = '${reply}'`);
  const staff = await staffLoggedIn();
  const tp = await staff.get(`/admin/inbox/${thread}`);
  assert.equal(tp.status, 200);
  const byToken = `<strong>${TOKEN_NAME} (API)</strong>`;
  const entry = (html, text) => html.split('<li class="message').find((a) => a.includes(text)) || '';
  assert.ok(entry(tp.html, reply).includes(byToken), 'the reply names the token');
  assert.ok(entry(tp.html, note).includes(byToken), 'the note names the token');
  const tl = await staff.get(`/admin/tickets/${id}`);
  assert.equal(tl.status, 200);
  assert.ok(entry(tl.html, reply).includes(` · ${TOKEN_NAME} (API)`), 'the timeline names it for the reply');
  assert.ok(entry(tl.html, note).includes(` · ${TOKEN_NAME} (API)`), 'and for the note');
  // validation
  r = await api.post(`/tickets/${id}/messages`, { body: '', kind: 'memo', to: 'x' });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.errors.map((e) => e.field).sort(), ['body', 'kind', 'to']);
  assert.equal((await api.get('/tickets/999999999/messages')).status, 404);
});

test('multipart: a reply with attachments, downloaded byte for byte as attachments', async () => {
  const ct = newContact();
  const t = (await create({ subject: 'Files', contact_id: ct.id, message: { body: 'start' } })).body;
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
  const bin = Buffer.from([0, 1, 2, 255, 13, 10, 45, 45, 0x80]);
  const fd = new FormData();
  fd.append('body', 'two files');
  fd.append('attachments', new Blob([png], { type: 'image/png' }), 'pixel.png');
  fd.append('attachments', new Blob([bin], { type: 'application/octet-stream' }), 'raw.bin');
  const r = await api.request('POST', `/tickets/${t.id}/messages`, { body: fd });
  assert.equal(r.status, 201);
  assert.deepEqual(r.body.attachments.map((a) => [a.file_name, a.content_type, a.size]),
    [['pixel.png', 'image/png', png.length], ['raw.bin', 'application/octet-stream', bin.length]]);
  for (const [a, bytes] of [[r.body.attachments[0], png], [r.body.attachments[1], bin]]) {
    assert.equal(a.url, `/api/v1/attachments/${a.id}`);
    const d = await api.get(`/attachments/${a.id}`, { raw: true });
    assert.equal(d.status, 200);
    assert.equal(d.headers.get('content-type'), a.content_type);
    assert.match(d.headers.get('content-disposition'), new RegExp(`^attachment; filename="${a.file_name}"`));
    assert.ok(Buffer.compare(d.body, bytes) === 0, `${a.file_name} byte for byte`);
  }
  const mail = await waitForMail(ct.email, (m) => (m.text || '').includes('two files'));
  assert.ok(mail);
  // a file with no body, and refusals
  const f2 = new FormData();
  f2.append('attachments', new Blob([bin]), 'only.bin');
  assert.equal((await api.request('POST', `/tickets/${t.id}/messages`, { body: f2 })).status, 201);
  const f3 = new FormData();
  f3.append('body', 'a note');
  f3.append('kind', 'note');
  f3.append('file', new Blob([bin]), 'x.bin');
  const bad = await api.request('POST', `/tickets/${t.id}/messages`, { body: f3 });
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.errors.map((e) => e.field), ['file']);
  // a control character in the body: the multipart parser refuses it (400) as api_str does a JSON one (422)
  const f4 = new FormData();
  f4.append('body', 'bell\u0007 here');
  const before = one(`SELECT count(*) FROM messages m JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = ${t.id}`);
  assert.equal((await api.request('POST', `/tickets/${t.id}/messages`, { body: f4 })).status, 400);
  const ctl = await api.post(`/tickets/${t.id}/messages`, { body: 'bell\u0007 here' });
  assert.equal(ctl.status, 422);
  assert.deepEqual(ctl.body.errors.map((e) => e.field), ['body']);
  assert.equal(one(`SELECT count(*) FROM messages m JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = ${t.id}`), before);
  assert.equal((await api.get('/attachments/999999999')).status, 404);
});
