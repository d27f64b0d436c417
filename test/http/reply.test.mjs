// reply.test.mjs - replies with attachments and downloads from outside: the transaction, double submits,
// closed and invisible tickets, CSRF, the multipart limits, and how files are handed out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { BASE, VAR, psql } from '../lib/stack.mjs';
import { csrfOf, loggedIn } from '../lib/client.mjs';
import { auditMark, oneAudit } from '../lib/audit.mjs';
import { allTickets, ownTickets } from '../lib/demo.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const freshNonce = () => randomBytes(32).toString('base64url');
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const nonceOf = (html) => {
  const m = /name="nonce" value="([A-Za-z0-9_-]{43})"/.exec(html);
  if (!m) throw new Error('no nonce on the reply form');
  return m[1];
};
const countOf = (sql) => Number(one(sql));
const storedFiles = () => {
  const dir = path.join(VAR, 'files');
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).reduce((n, d) => n + readdirSync(path.join(dir, d)).filter((f) => !f.startsWith('.')).length, 0);
};

// Tickets from the demo data, found by what they are rather than by number (test/lib/demo.mjs).
const visible = (contact, cond) => one(`SELECT t.id FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id
  WHERE t.id IN ${ownTickets(contact)} AND ${cond} ORDER BY t.id DESC LIMIT 1`);
const T = {
  open: () => visible(1, 'NOT s.is_closed AND ticket_latest_thread(t.id) IS NOT NULL'),
  closed: () => visible(1, 's.is_closed AND ticket_latest_thread(t.id) IS NOT NULL'),
  linus: () => visible(3, 'NOT s.is_closed AND ticket_latest_thread(t.id) IS NOT NULL'),
  billing: () => one(`SELECT t.id FROM tickets t JOIN ticket_contacts tc ON tc.ticket_id = t.id AND tc.contact_id = 1
    JOIN pipelines p ON p.id = t.pipeline_id JOIN pipeline_stages s ON s.id = t.stage_id
    WHERE p.name = 'Billing' AND NOT s.is_closed ORDER BY t.id LIMIT 1`),
};

/* POST a multipart reply the way a browser does (FormData with Blobs), with the client's cookies. */
async function postReply(client, id, fields, files = [], extraHeaders = {}) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  for (const f of files) fd.append(f.field || 'files', new Blob([f.data], { type: f.type || '' }), f.name);
  return rawPost(client, `/tickets/${id}/reply`, fd, extraHeaders);
}

async function rawPost(client, p, body, headers = {}) {
  const h = { ...headers };
  if (client.jar.size) h.cookie = client.cookieHeader();
  const res = await fetch(BASE + p, { method: 'POST', body, headers: h, redirect: 'manual' });
  client.store(res);
  res.html = await res.text();
  return res;
}

/* The reply form of a ticket: its CSRF token and nonce. */
async function form(client, id) {
  const page = await client.get(`/tickets/${id}`);
  assert.equal(page.status, 200, `ticket ${id} opens`);
  return { csrf: csrfOf(page.html), nonce: nonceOf(page.html) };
}

const NOTES = Buffer.from('line 1\r\nline 2\r\n\r\n--not-a-boundary\r\n-- \r\n\u00e9t\u00e9\n', 'utf8');
const PIXEL = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
  '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

/* A reply with two files on Ada's open ticket; returns what the tests below look at. */
async function replyWithFiles(ada, id, body) {
  const { csrf, nonce } = await form(ada, id);
  const res = await postReply(ada, id, { csrf, nonce, body }, [
    { name: 'notes.txt', type: 'text/plain', data: NOTES },
    { name: 'pixel.png', type: 'image/png', data: PIXEL },
  ]);
  const message = one(`SELECT id FROM messages WHERE reply_nonce = '${nonce}'`);
  return { res, nonce, message };
}

test('a reply with two attachments lands in the latest thread, on the timeline and in the inbox', async () => {
  const ada = await loggedIn('ada@example.com');
  const id = T.open();
  assert.match(id, /^\d+$/, 'demo data has an open ticket of Ada with a thread');
  const thread = one(`SELECT ticket_latest_thread(${id})`);
  const subject = one(`SELECT subject FROM tickets WHERE id = ${id}`);
  const word = 'quokka' + uniq();
  // line breaks travel as CRLF in form data and are stored as sent
  const body = `Here are the logs you asked for (${word}).\r\n` + 'More detail follows. '.repeat(10);
  const outboxMark = countOf('SELECT coalesce(max(id), 0) FROM mail_outbox');
  const mark = auditMark();

  const { res, nonce, message } = await replyWithFiles(ada, id, body);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `/tickets/${id}#latest`);
  assert.match(message, /^\d+$/, 'the message is stored');

  const m = psql(`SELECT thread_id, direction, kind, author_contact_id, from_address, cardinality(to_addresses), body
    FROM messages WHERE id = ${message}`).split('|');
  assert.deepEqual(m.slice(0, 6), [thread, 'incoming', 'message', '1', 'ada@example.com', '0']);
  assert.equal(psql(`SELECT body FROM messages WHERE id = ${message}`), body.trim(), 'the text, trimmed');
  assert.equal(one(`SELECT ticket_latest_thread(${id})`), thread, 'still the same thread');

  const files = psql(`SELECT file_name, content_type, size_bytes, sha256 FROM attachments WHERE message_id = ${message} ORDER BY id`)
    .split('\n').map((l) => l.split('|'));
  assert.deepEqual(files, [
    ['notes.txt', 'text/plain', String(NOTES.length), sha256(NOTES)],
    ['pixel.png', 'image/png', String(PIXEL.length), sha256(PIXEL)],
  ]);
  for (const [, , , h] of files) {
    const onDisk = path.join(VAR, 'files', h.slice(0, 2), h);
    assert.ok(existsSync(onDisk), `stored under files/${h.slice(0, 2)}/${h}`);
    assert.equal(sha256(readFileSync(onDisk)), h, 'the bytes as sent');
  }

  assert.equal(one(`SELECT th.last_message_at >= m.created_at AND t.last_activity_at >= m.created_at
    FROM messages m JOIN threads th ON th.id = m.thread_id JOIN tickets t ON t.id = th.ticket_id WHERE m.id = ${message}`), 't',
  'thread and ticket times move');
  const eng = psql(`SELECT kind, contact_id, ticket_id, summary FROM engagements WHERE message_id = ${message}`).split('|');
  assert.deepEqual(eng.slice(0, 3), ['portal_reply', '1', id]);
  assert.equal(eng[3], body.trim().replace(/\r\n/g, ' ').slice(0, 140), 'summary: the first 140 characters');

  // the team hears of it: staff_customer_reply to the inbox's staff users (every one when none
  // are chosen), never to the inbox's own address
  const staff = psql(`SELECT string_agg(email, E'\n' ORDER BY email) FROM staff_users u WHERE NOT EXISTS
    (SELECT 1 FROM inbox_addresses a WHERE a.connected AND lower(a.address) = lower(u.email))`);
  assert.equal(psql(`SELECT string_agg(to_address, E'\n' ORDER BY to_address) FROM mail_outbox WHERE id > ${outboxMark}`),
    staff, 'one mail to each staff user');
  assert.equal(psql(`SELECT string_agg(DISTINCT email || '|' || subject, E'\n') FROM mail_outbox WHERE id > ${outboxMark}`),
    `staff_customer_reply|New reply on ticket #${id}: ${subject}`);
  const text = psql(`SELECT body_text FROM mail_outbox WHERE id > ${outboxMark} ORDER BY id LIMIT 1`);
  assert.match(text, new RegExp(word));
  assert.match(text, /notes\.txt/);
  assert.match(text, /pixel\.png/);

  const member = Number(one('SELECT id FROM members WHERE portal_id = 1 AND contact_id = 1'));
  assert.deepEqual(oneAudit(mark, { action: 'reply', actor_kind: 'member', actor_id: member }).detail,
    { ticket_id: Number(id), message_id: Number(message), files: 2 });

  const page = (await ada.get(`/tickets/${id}`)).html;
  assert.match(page, new RegExp(word));
  const fileIds = psql(`SELECT id FROM attachments WHERE message_id = ${message} ORDER BY id`).split('\n');
  assert.match(page, new RegExp(`href="/files/${fileIds[0]}/notes.txt"`));
  assert.match(page, new RegExp(`href="/files/${fileIds[1]}/pixel.png"`));
  assert.notEqual(nonceOf(page), nonce, 'the next form carries a new nonce');
});

test('a ticket without a conversation gets a new portal thread in the default inbox', async () => {
  const ada = await loggedIn('ada@example.com');
  const id = visible(1, 'NOT s.is_closed AND ticket_latest_thread(t.id) IS NULL');
  assert.match(id, /^\d+$/, 'demo data has an open ticket of Ada without a thread (e.g. 181)');
  const activity = one(`SELECT last_activity_at FROM tickets WHERE id = ${id}`);
  try {
    const { csrf, nonce } = await form(ada, id);
    const res = await postReply(ada, id, { csrf, nonce, body: 'Calling back about the phone call.' });
    assert.equal(res.status, 303);
    const row = psql(`SELECT th.id, th.channel, th.inbox_id = p.default_inbox_id, th.id = ticket_latest_thread(${id})
      FROM messages m JOIN threads th ON th.id = m.thread_id JOIN portals p ON p.id = 1 WHERE m.reply_nonce = '${nonce}'`).split('|');
    assert.deepEqual(row.slice(1), ['portal', 't', 't']);
    assert.equal(countOf(`SELECT count(*) FROM threads WHERE ticket_id = ${id}`), 1, 'exactly one new thread');
    assert.match((await ada.get(`/tickets/${id}`)).html, /Calling back about the phone call\./);
    // a second reply goes to that thread
    const f2 = await form(ada, id);
    assert.equal((await postReply(ada, id, { ...f2, body: 'And a follow-up.' })).status, 303);
    assert.equal(countOf(`SELECT count(*) FROM threads WHERE ticket_id = ${id}`), 1);
    assert.equal(countOf(`SELECT count(*) FROM messages WHERE thread_id = ${row[0]}`), 2);
  } finally {
    // leave the demo ticket as documented: no conversation
    psql(`DELETE FROM engagements WHERE ticket_id = ${id} AND kind = 'portal_reply'`);
    psql(`DELETE FROM threads WHERE ticket_id = ${id}`);
    psql(`UPDATE tickets SET last_activity_at = '${activity}' WHERE id = ${id}`);
  }
});

test('the same form posted twice stores one reply, and both answers go back to the ticket', async () => {
  const ada = await loggedIn('ada@example.com');
  const id = T.open();
  const { csrf, nonce } = await form(ada, id);
  const fields = { csrf, nonce, body: 'Double click ' + uniq() };
  const file = [{ name: 'once.txt', type: 'text/plain', data: Buffer.from('once') }];
  const a = await postReply(ada, id, fields, file);
  const b = await postReply(ada, id, fields, file);
  for (const r of [a, b]) {
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), `/tickets/${id}#latest`);
  }
  assert.equal(countOf(`SELECT count(*) FROM messages WHERE reply_nonce = '${nonce}'`), 1);
  assert.equal(countOf(`SELECT count(*) FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.reply_nonce = '${nonce}'`), 1);
  assert.equal(countOf(`SELECT count(*) FROM engagements e JOIN messages m ON m.id = e.message_id WHERE m.reply_nonce = '${nonce}'`), 1);

  // at the same moment, too
  const f2 = await form(ada, id);
  const both = await Promise.all([1, 2].map(() => postReply(ada, id, { ...f2, body: 'Same time ' + uniq() })));
  assert.deepEqual(both.map((r) => r.status), [303, 303]);
  assert.equal(countOf(`SELECT count(*) FROM messages WHERE reply_nonce = '${f2.nonce}'`), 1);
});

test('a closed ticket refuses a reply with 409 and stores nothing', async () => {
  const ada = await loggedIn('ada@example.com');
  const id = T.closed();
  assert.match(id, /^\d+$/);
  const page = await ada.get(`/tickets/${id}`);
  const nonce = freshNonce();
  const res = await postReply(ada, id, { csrf: csrfOf(page.html), nonce, body: 'Reopen please' },
    [{ name: 'x.txt', type: 'text/plain', data: Buffer.from('x') }]);
  assert.equal(res.status, 409);
  assert.match(res.html, /<!doctype html>/);
  assert.equal(countOf(`SELECT count(*) FROM messages WHERE reply_nonce = '${nonce}'`), 0);
});

test('a ticket the customer cannot see answers 404 like a missing one, and nothing is stored', async () => {
  const ada = await loggedIn('ada@example.com');
  const csrf = csrfOf((await ada.get('/tickets')).html);
  const linus = T.linus(), billing = T.billing();
  assert.match(linus, /^\d+$/, "demo data has an open ticket of Linus (Initech)");
  assert.match(billing, /^\d+$/, 'demo data has an open Billing ticket of Ada');
  assert.equal(one(`SELECT count(*) FROM tickets t WHERE t.id IN (${linus}, ${billing}) AND t.id IN ${allTickets(1)}`), '0', 'neither is Ada\'s');
  const files = storedFiles(), rows = countOf('SELECT count(*) FROM attachments');
  const strip = (h) => h.replace(/value="[^"]*"/g, '').replace(/<code>[0-9a-f]{32}<\/code>/g, ''); // tokens, the request ID
  const answers = [];
  for (const id of [linus, billing, '999999']) {
    const nonce = freshNonce();
    const res = await postReply(ada, id, { csrf, nonce, body: 'Let me in' },
      [{ name: `secret-${uniq()}.txt`, type: 'text/plain', data: randomBytes(64) }]);
    assert.equal(res.status, 404, `ticket ${id}`);
    answers.push(strip(res.html));
    assert.equal(countOf(`SELECT count(*) FROM messages WHERE reply_nonce = '${nonce}'`), 0);
  }
  assert.equal(answers[0], answers[2], 'the same page as for a missing ticket');
  assert.equal(answers[1], answers[2]);
  assert.equal(storedFiles(), files, 'no file written');
  assert.equal(countOf('SELECT count(*) FROM attachments'), rows);
});

test('a reply without a valid CSRF token is refused with 403', async () => {
  const ada = await loggedIn('ada@example.com');
  const id = T.open();
  const { csrf, nonce } = await form(ada, id);
  assert.equal((await postReply(ada, id, { nonce, body: 'no token' })).status, 403);
  assert.equal((await postReply(ada, id, { csrf: 'f'.repeat(64), nonce, body: 'wrong token' })).status, 403);
  const linus = await loggedIn('linus@example.org');
  assert.equal((await postReply(linus, id, { csrf, nonce, body: "another's token" })).status, 403);
  assert.equal(countOf(`SELECT count(*) FROM messages WHERE reply_nonce = '${nonce}'`), 0);
  // and without a nonce the form is not one of ours
  assert.equal((await postReply(ada, id, { csrf, body: 'no nonce' })).status, 400);
});

test('an empty or too long reply is shown again with 422; a file alone is a reply', async () => {
  const ada = await loggedIn('ada@example.com');
  const id = T.open();
  let f = await form(ada, id);
  let res = await postReply(ada, id, { ...f, body: '  \r\n ' }, [{ name: '', type: 'application/octet-stream', data: Buffer.alloc(0) }]);
  assert.equal(res.status, 422, 'an empty file input is no file');
  assert.match(res.html, /Write a message or attach a file\./);
  assert.match(res.html, /aria-invalid="true"/);
  assert.equal(countOf(`SELECT count(*) FROM messages WHERE reply_nonce = '${f.nonce}'`), 0);

  const long = 'é'.repeat(20001);
  res = await postReply(ada, id, { ...f, body: long });
  assert.equal(res.status, 422);
  assert.match(res.html, /This is too long\./);
  assert.ok(res.html.includes(long), 'the text is kept');

  f = await form(ada, id);
  res = await postReply(ada, id, { ...f, body: 'é'.repeat(20000) });
  assert.equal(res.status, 303, '20000 characters are fine');

  f = await form(ada, id);
  res = await postReply(ada, id, { ...f, body: '' }, [{ name: 'only-a-file.txt', type: 'text/plain', data: Buffer.from('just this') }]);
  assert.equal(res.status, 303);
  const msg = one(`SELECT id FROM messages WHERE reply_nonce = '${f.nonce}'`);
  assert.equal(one(`SELECT file_name FROM attachments WHERE message_id = ${msg}`), 'only-a-file.txt');
  assert.equal(one(`SELECT summary FROM engagements WHERE message_id = ${msg}`), 'only-a-file.txt');
});

test('downloads: the owner gets the bytes with safe headers; others, wrong names and hidden messages get 404', async () => {
  const ada = await loggedIn('ada@example.com');
  const id = T.open();
  const { res, message } = await replyWithFiles(ada, id, 'Files for download ' + uniq());
  assert.equal(res.status, 303);
  const [txt, png] = psql(`SELECT id FROM attachments WHERE message_id = ${message} ORDER BY id`).split('\n');

  let r = await ada.request(`/files/${txt}/notes.txt`);
  assert.equal(r.status, 200);
  const bytes = Buffer.from(await (await fetch(`${BASE}/files/${txt}/notes.txt`, { headers: { cookie: ada.cookieHeader() } })).arrayBuffer());
  assert.ok(bytes.equals(NOTES), 'the bytes as uploaded');
  assert.equal(r.headers.get('content-type'), 'text/plain');
  assert.equal(r.headers.get('content-disposition'), `attachment; filename="notes.txt"; filename*=UTF-8''notes.txt`);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('cache-control'), 'private, no-store');
  assert.equal(r.headers.get('x-accel-redirect'), null, 'the internal path stays inside');

  r = await ada.request(`/files/${png}/pixel.png`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'image/png');
  assert.match(r.headers.get('content-disposition'), /^inline; filename="pixel.png"/, 'safe images show inline');

  // Linus cannot see the ticket; a wrong name, a wrong id, no login: all 404 (or the login)
  const linus = await loggedIn('linus@example.org');
  assert.equal((await linus.request(`/files/${txt}/notes.txt`)).status, 404);
  assert.equal((await ada.request(`/files/${txt}/pixel.png`)).status, 404);
  assert.equal((await ada.request(`/files/${txt}/NOTES.txt`)).status, 404);
  assert.equal((await ada.request('/files/999999/notes.txt')).status, 404);
  const anon = await fetch(`${BASE}/files/${txt}/notes.txt`, { redirect: 'manual' });
  assert.equal(anon.status, 303);
  const sha = sha256(NOTES);
  assert.equal((await ada.request(`/_files/${sha.slice(0, 2)}/${sha}`)).status, 404, 'the internal location is internal');

  // a file on a message the portal does not show (an internal note) is not handed out
  const thread = one(`SELECT ticket_latest_thread(${id})`);
  const note = psql(`INSERT INTO messages (thread_id, direction, kind, body) VALUES (${thread}, 'outgoing', 'note', 'Internal: see file') RETURNING id`);
  const hidden = psql(`INSERT INTO attachments (message_id, file_name, content_type, size_bytes, sha256)
    VALUES (${note}, 'notes.txt', 'text/plain', ${NOTES.length}, '${sha}') RETURNING id`);
  assert.equal((await ada.request(`/files/${hidden}/notes.txt`)).status, 404);
});

test('uploaded HTML and SVG are served as bytes, names with any characters survive', async () => {
  const ada = await loggedIn('ada@example.com');
  const id = T.open();
  const { csrf, nonce } = await form(ada, id);
  const html = Buffer.from('<html><body><script>alert(document.cookie)</script></body></html>');
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
  const name = 'räksmörgås €% "quoted".txt';
  const res = await postReply(ada, id, { csrf, nonce, body: 'Odd files' }, [
    { name: 'page.html', type: 'text/html', data: html },
    { name: 'image.svg', type: 'image/svg+xml', data: svg },
    { name: 'C:\\Users\\ada\\report.txt', type: 'text/plain', data: Buffer.from('r') },
    { name, type: 'text/plain', data: Buffer.from('u') },
  ]);
  assert.equal(res.status, 303);
  const rows = psql(`SELECT a.id, a.file_name, a.content_type FROM attachments a JOIN messages m ON m.id = a.message_id
    WHERE m.reply_nonce = '${nonce}' ORDER BY a.id`).split('\n').map((l) => l.split('|'));
  // browsers (and fetch) send a quote in a file name as %22; the path before a backslash goes
  assert.deepEqual(rows.map((r) => r[1]), ['page.html', 'image.svg', 'report.txt', 'räksmörgås €% %22quoted%22.txt']);
  assert.doesNotMatch(rows[3][1], /["\\/]/, 'no quotes or path separators in a stored name');
  for (const [aid, fname] of rows.slice(0, 2)) {
    const r = await ada.request(`/files/${aid}/${encodeURIComponent(fname)}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/octet-stream', `${fname} is not rendered`);
    assert.match(r.headers.get('content-disposition'), /^attachment;/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  }
  // the detail page links the odd name so that it downloads under its own name
  const page = (await ada.get(`/tickets/${id}`)).html;
  const link = new RegExp(`href="(/files/${rows[3][0]}/[^"]+)"`).exec(page);
  assert.ok(link, 'the file is linked');
  const r = await ada.request(link[1].replace(/&amp;/g, '&'));
  assert.equal(r.status, 200);
  const cd = r.headers.get('content-disposition');
  assert.match(cd, /^attachment; filename="[ -~]+"; filename\*=UTF-8''/, 'an ASCII fallback and the exact name');
  assert.equal(decodeURIComponent(cd.split("UTF-8''")[1]), rows[3][1]);
});

test('a 12 MiB file is refused with 413 and nothing is stored', async () => {
  const ada = await loggedIn('ada@example.com');
  const id = T.open();
  const { csrf, nonce } = await form(ada, id);
  const res = await postReply(ada, id, { csrf, nonce, body: 'big' },
    [{ name: 'big.bin', type: 'application/octet-stream', data: Buffer.alloc(12 * 1024 * 1024, 7) }]);
  assert.equal(res.status, 413);
  assert.match(res.html, /larger than the portal accepts/);
  assert.equal(countOf(`SELECT count(*) FROM messages WHERE reply_nonce = '${nonce}'`), 0);
  // eleven files are too many
  const eleven = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}.txt`, type: 'text/plain', data: Buffer.from(String(i)) }));
  assert.equal((await postReply(ada, id, { csrf, nonce, body: 'many' }, eleven)).status, 413);
  assert.equal(countOf(`SELECT count(*) FROM messages WHERE reply_nonce = '${nonce}'`), 0);
});

test('a malformed multipart body is refused with 400', async () => {
  const ada = await loggedIn('ada@example.com');
  const id = T.open();
  const { csrf, nonce } = await form(ada, id);
  const post = (body, ct = 'multipart/form-data; boundary=XyZ') =>
    rawPost(ada, `/tickets/${id}/reply`, body, { 'content-type': ct });
  const good = `--XyZ\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${csrf}\r\n` +
    `--XyZ\r\nContent-Disposition: form-data; name="nonce"\r\n\r\n${nonce}\r\n` +
    '--XyZ\r\nContent-Disposition: form-data; name="body"\r\n\r\nhello\r\n';
  assert.equal((await post(good)).status, 400, 'no final boundary');
  assert.equal((await post(good + '--XyZ--', 'multipart/form-data')).status, 400, 'no boundary parameter');
  assert.equal((await post(good.replace('name="body"\r\n', 'name="body"\n') + '--XyZ--')).status, 400, 'bare LF');
  assert.equal((await post(good.replace('name="body"', 'filename="x"') + '--XyZ--')).status, 400, 'a part without a name');
  assert.equal((await post('not multipart at all')).status, 400);
  assert.equal(countOf(`SELECT count(*) FROM messages WHERE reply_nonce = '${nonce}'`), 0);
  // the same body, well formed, is a reply
  assert.equal((await post(good + '--XyZ--\r\n')).status, 303);
  assert.equal(countOf(`SELECT count(*) FROM messages WHERE reply_nonce = '${nonce}'`), 1);
});
