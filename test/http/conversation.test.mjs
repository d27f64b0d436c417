// conversation.test.mjs - the one conversation writer from outside: an agent's reply carries
// attachments that the customer sees and downloads in the portal; a reply retried with the same
// nonce posts once (one message, one file row, one email).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BASE, VAR, psql } from '../lib/stack.mjs';
import { csrfOf, loggedIn, staffLoggedIn } from '../lib/client.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

// An open ticket of Ada's with one contact and a thread the portal shows her.
const [TICKET, THREAD] = one(`SELECT t.id || '|' || ticket_latest_thread(t.id)
  FROM portal_visible_tickets(1, 1, 'mine') t JOIN pipeline_stages s ON s.id = t.stage_id
  WHERE NOT s.is_closed AND ticket_latest_thread(t.id) IS NOT NULL
    AND (SELECT count(*) FROM ticket_contacts x WHERE x.ticket_id = t.id) = 1
  ORDER BY t.id DESC LIMIT 1`).split('|');
const SAVED = psql(`SELECT t.last_activity_at || '|' || th.last_message_at
  FROM tickets t JOIN threads th ON th.id = ${THREAD} WHERE t.id = ${TICKET}`).split('|');
const FIRST_NEW_MESSAGE = Number(one('SELECT coalesce(max(id), 0) + 1 FROM messages'));

after(() => { // leave the demo ticket as it was
  psql(`DELETE FROM engagements WHERE message_id IN (SELECT id FROM messages WHERE thread_id = ${THREAD} AND id >= ${FIRST_NEW_MESSAGE});
    DELETE FROM messages WHERE thread_id = ${THREAD} AND id >= ${FIRST_NEW_MESSAGE};
    UPDATE tickets SET last_activity_at = '${SAVED[0]}' WHERE id = ${TICKET};
    UPDATE threads SET last_message_at = '${SAVED[1]}' WHERE id = ${THREAD};`);
});

/* POST the thread's reply form as a browser does (multipart, with files). */
async function postReply(client, fields, files) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  for (const f of files) fd.append('files', new Blob([f.data], { type: f.type }), f.name);
  return client.request(`/admin/inbox/${THREAD}/reply`, { method: 'POST', body: fd });
}

test("an agent's reply with an attachment: the customer sees it and downloads it; a retry posts once", async () => {
  const agent = await staffLoggedIn('agent@example.com');
  const page = await agent.get(`/admin/inbox/${THREAD}`);
  assert.equal(page.status, 200);
  assert.match(page.html, new RegExp(`action="/admin/inbox/${THREAD}/reply" enctype="multipart/form-data"`));
  assert.match(page.html, /<input id="reply-files" name="files" type="file" multiple/);
  const nonce = new RegExp(`action="/admin/inbox/${THREAD}/reply"[\\s\\S]*?name="nonce" value="([A-Za-z0-9_-]{43})"`).exec(page.html)[1];
  const marker = `okapi${uniq()}`;
  const data = Buffer.from(`Invoice corrected (${marker})\n`);
  const sha = createHash('sha256').update(data).digest('hex');
  const fields = { csrf: csrfOf(page.html), nonce, body: `Hi Ada, the corrected invoice is attached (${marker}).` };
  const file = [{ name: 'invoice-corrected.txt', type: 'text/plain', data }];

  const first = await postReply(agent, fields, file);
  assert.equal(first.status, 303);
  assert.equal(first.headers.get('location'), `/admin/inbox/${THREAD}?notice=sent#latest`);
  const again = await postReply(agent, fields, file);
  assert.equal(again.status, 303, 'the retry is answered like the first');
  assert.equal(again.headers.get('location'), first.headers.get('location'));

  assert.equal(one(`SELECT count(*) FROM messages WHERE reply_nonce = '${nonce}'`), '1', 'one message');
  const message = one(`SELECT id FROM messages WHERE reply_nonce = '${nonce}'`);
  assert.equal(one(`SELECT direction || '|' || kind || '|' || author_user_id || '|' || thread_id FROM messages WHERE id = ${message}`),
    `outgoing|message|2|${THREAD}`);
  assert.equal(psql(`SELECT file_name || '|' || content_type || '|' || size_bytes || '|' || sha256 FROM attachments WHERE message_id = ${message}`),
    `invoice-corrected.txt|text/plain|${data.length}|${sha}`, 'one file row');
  assert.ok(existsSync(path.join(VAR, 'files', sha.slice(0, 2), sha)), 'the bytes are stored by their hash');
  assert.equal(one(`SELECT count(*) FROM engagements WHERE message_id = ${message}`), '1', 'one timeline entry');
  assert.equal(one(`SELECT count(*) FROM mail_outbox WHERE body_text LIKE '%${marker}%'`), '1', 'one email');
  assert.equal(one(`SELECT count(*) FROM audit_log WHERE action = 'inbox_reply' AND detail->'after'->>'message_id' = '${message}'`), '1');

  const att = one(`SELECT id FROM attachments WHERE message_id = ${message}`);
  const staffView = await agent.get(`/admin/inbox/${THREAD}`);
  assert.ok(staffView.html.includes(`href="/admin/inbox/${THREAD}/files/${att}/invoice-corrected.txt"`), 'agents see the file');

  const ada = await loggedIn('ada@example.com');
  const detail = await ada.get(`/tickets/${TICKET}`);
  assert.equal(detail.status, 200);
  assert.ok(detail.html.includes(marker), 'the reply is in her ticket');
  assert.ok(detail.html.includes(`href="/files/${att}/invoice-corrected.txt"`), 'with its file');
  const r = await ada.request(`/files/${att}/invoice-corrected.txt`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-disposition'), /^attachment; filename="invoice-corrected.txt"/);
  const bytes = Buffer.from(await (await fetch(`${BASE}/files/${att}/invoice-corrected.txt`, { headers: { cookie: ada.cookieHeader() } })).arrayBuffer());
  assert.ok(bytes.equals(data), 'she downloads the bytes the agent attached');
  const linus = await loggedIn('linus@example.org');
  assert.equal((await linus.request(`/files/${att}/invoice-corrected.txt`)).status, 404, 'nobody else');
});
