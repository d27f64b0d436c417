// staff_inbox_limits.test.mjs - an agent limited to some inboxes: an admin sets the limit on
// /admin/staff/<id> (audited, 422 for inboxes that do not exist, admins cannot be limited); the
// agent then sees only those inboxes' threads and the tickets with a thread there (inbox, ticket
// list and search, ticket and thread pages, files, replies, notes, stage changes: 404 for the
// rest); the admin still sees everything; without the limit everything is back.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { psql, VAR } from '../lib/stack.mjs';
import { csrfOf, staffLoggedIn } from '../lib/client.mjs';
import { auditMark, oneAudit, staffId } from '../lib/audit.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const lines = (sql) => psql(sql).split('\n').filter(Boolean);

const admin = await staffLoggedIn('admin@example.com');
const agent = await staffLoggedIn('agent@example.com');
const AGENT = staffId('agent@example.com');
const ADMIN = staffId('admin@example.com');

// The demo's file attachment (export-error.log) written to disk, so that a download can succeed.
const CONTENT = 'ERROR 2026-07-05 10:14:52 export: timed out after 300 s (rows=48211)\n';
const SHA = createHash('sha256').update(CONTENT).digest('hex');
const [ATT, FILE_THREAD, FILE_NAME, OTHER] = one(`SELECT a.id || '|' || m.thread_id || '|' || a.file_name || '|' || th.inbox_id
  FROM attachments a JOIN messages m ON m.id = a.message_id JOIN threads th ON th.id = m.thread_id
  WHERE a.sha256 = '${SHA}' LIMIT 1`).split('|');
{
  const dir = path.join(VAR, 'files', SHA.slice(0, 2));
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, SHA), CONTENT, { mode: 0o644 });
}
// ALLOWED: the other demo inbox (there are two), the one the agent is limited to.
const ALLOWED = one(`SELECT id FROM inboxes WHERE id <> ${OTHER} ORDER BY id LIMIT 1`);
assert.ok(ALLOWED, 'the demo has a second inbox');
// A thread of the other inbox whose ticket has no thread in ALLOWED, and one of ALLOWED with a ticket.
const [HIDDEN_THREAD, HIDDEN_TICKET] = one(`SELECT th.id || '|' || th.ticket_id FROM threads th
  WHERE th.inbox_id = ${OTHER} AND th.ticket_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM threads x WHERE x.ticket_id = th.ticket_id AND x.inbox_id = ${ALLOWED})
  ORDER BY th.id LIMIT 1`).split('|');
const [SHOWN_THREAD, SHOWN_TICKET] = one(`SELECT th.id || '|' || th.ticket_id FROM threads th
  WHERE th.inbox_id = ${ALLOWED} AND th.ticket_id IS NOT NULL ORDER BY th.id LIMIT 1`).split('|');
const FIRST_NEW_MESSAGE = Number(one('SELECT coalesce(max(id), 0) + 1 FROM messages'));
const created = []; // tickets this file makes

after(() => { // the demo agent sees every inbox again (other test files use it)
  psql(`UPDATE staff_users SET inboxes_limited = false WHERE id = ${AGENT};
    DELETE FROM staff_inbox_limits WHERE staff_user_id = ${AGENT};
    DELETE FROM engagements WHERE message_id >= ${FIRST_NEW_MESSAGE};
    DELETE FROM messages WHERE id >= ${FIRST_NEW_MESSAGE};`);
  for (const id of created) {
    psql(`DELETE FROM engagements WHERE ticket_id = ${id}; DELETE FROM threads WHERE ticket_id = ${id};
      DELETE FROM ticket_contacts WHERE ticket_id = ${id}; DELETE FROM ticket_companies WHERE ticket_id = ${id};
      DELETE FROM tickets WHERE id = ${id};`);
  }
});

const threadRows = (html) => [...html.matchAll(/<tr class="thread">\s*<td><a href="\/admin\/inbox\/(\d+)"/g)].map((m) => m[1]);
const ticketRows = (html) => [...html.matchAll(/<td><a href="\/admin\/tickets\/(\d+)">/g)].map((m) => m[1]);

/* The admin saves the agent's inbox access through the console page. */
async function setLimit(limited, inboxes) {
  const page = await admin.get(`/admin/staff/${AGENT}`);
  assert.equal(page.status, 200);
  const body = new URLSearchParams({ csrf: csrfOf(page.html) });
  if (limited) body.append('limited', 'on');
  for (const id of inboxes) body.append('inbox', String(id));
  return admin.request(`/admin/staff/${AGENT}`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString(),
  });
}

test('the staff page lists the staff with their inbox access; agents may not open it', async () => {
  const r = await admin.get('/admin/staff');
  assert.equal(r.status, 200);
  assert.match(r.html, /<h1>Staff<\/h1>/);
  assert.match(r.html, /data-email="agent@example.com"[\s\S]*?<td class="inbox-access">All inboxes<\/td>/);
  assert.match(r.html, /href="\/admin\/staff"[^>]*aria-current="page"/, 'its nav entry is marked');
  assert.equal((await agent.get('/admin/staff')).status, 403);
  assert.equal((await agent.get(`/admin/staff/${AGENT}`)).status, 403);
  const mine = await admin.get(`/admin/staff/${ADMIN}`);
  assert.equal(mine.status, 200);
  assert.match(mine.html, /cannot be limited/);
  assert.doesNotMatch(mine.html, /name="limited"/, 'an admin has no limit form');
  assert.equal((await admin.get('/admin/staff/999999999')).status, 404);
});

test('an admin cannot be limited, and unknown inboxes are refused with the input kept', async () => {
  let page = await admin.get(`/admin/staff/${ADMIN}`);
  let r = await admin.post(`/admin/staff/${ADMIN}`, { csrf: csrfOf(page.html), limited: 'on', inbox: ALLOWED });
  assert.equal(r.status, 422);
  assert.match(r.html, /only an agent can be limited/);
  assert.equal(one(`SELECT inboxes_limited FROM staff_users WHERE id = ${ADMIN}`), 'f');

  const mark = auditMark();
  r = await setLimit(true, [ALLOWED, 987654321]);
  assert.equal(r.status, 422);
  assert.match(r.html, /One of the inboxes ticked does not exist/);
  assert.match(r.html, /id="limited" name="limited" type="checkbox" value="on" checked/, 'the limit stays ticked');
  assert.match(r.html, new RegExp(`id="inbox-${ALLOWED}" name="inbox" type="checkbox" value="${ALLOWED}" checked`), 'the inbox stays ticked');
  assert.equal(one(`SELECT inboxes_limited FROM staff_users WHERE id = ${AGENT}`), 'f', 'nothing saved');
  assert.equal(Number(one(`SELECT count(*) FROM audit_log WHERE id > ${mark}`)), 0);
});

test('a limited agent sees only their inboxes\' threads and tickets; the rest is not found', async () => {
  const mark = auditMark();
  const r = await setLimit(true, [ALLOWED]);
  assert.equal(r.status, 303);
  const audit = oneAudit(mark, { action: 'staff_inboxes_change', actor_kind: 'staff', actor_id: ADMIN });
  assert.equal(audit.detail.before.limited, false);
  assert.equal(audit.detail.after.limited, true);
  assert.deepEqual(audit.detail.after.inboxes.map((i) => i.id), [ALLOWED]);
  assert.match((await admin.get('/admin/staff')).html,
    /data-email="agent@example.com"[\s\S]*?<td class="inbox-access">Only: [^<]+<\/td>/);

  // the inbox: only ALLOWED's threads, in order; no tab of the other inbox; the other one's list is 404
  const list = await agent.get('/admin/inbox?status=all');
  assert.equal(list.status, 200);
  assert.deepEqual(threadRows(list.html), lines(`SELECT id FROM threads WHERE inbox_id = ${ALLOWED}
    ORDER BY last_message_at DESC, id DESC LIMIT 50`));
  assert.doesNotMatch(list.html, new RegExp(`href="/admin/inbox\\?inbox=${OTHER}`));
  assert.equal((await agent.get(`/admin/inbox?inbox=${OTHER}`)).status, 404);
  assert.deepEqual(threadRows((await agent.get(`/admin/inbox?status=all&q=%23${HIDDEN_TICKET}`)).html), [], 'search finds nothing hidden');

  // tickets: those with a thread in ALLOWED, newest activity first; search the same
  const tickets = await agent.get('/admin/tickets?status=all');
  assert.equal(tickets.status, 200);
  assert.deepEqual(ticketRows(tickets.html), lines(`SELECT t.id FROM tickets t WHERE EXISTS (SELECT 1 FROM threads th
    WHERE th.ticket_id = t.id AND th.inbox_id = ${ALLOWED}) ORDER BY t.last_activity_at DESC, t.id DESC LIMIT 50`));
  assert.deepEqual(ticketRows((await agent.get(`/admin/tickets?status=all&q=${HIDDEN_TICKET}`)).html), []);
  assert.deepEqual(ticketRows((await agent.get(`/admin/tickets?status=all&q=${SHOWN_TICKET}`)).html), [SHOWN_TICKET]);

  // pages of the other inbox: 404; of ALLOWED: 200
  assert.equal((await agent.get(`/admin/inbox/${SHOWN_THREAD}`)).status, 200);
  assert.equal((await agent.get(`/admin/tickets/${SHOWN_TICKET}`)).status, 200);
  assert.equal((await agent.get(`/admin/inbox/${HIDDEN_THREAD}`)).status, 404);
  assert.equal((await agent.get(`/admin/tickets/${HIDDEN_TICKET}`)).status, 404);
  assert.equal((await agent.get(`/admin/inbox/${FILE_THREAD}/files/${ATT}/${FILE_NAME}`)).status, 404);
  const csrf = csrfOf(list.html);
  const nonce = 'A'.repeat(43);
  for (const [url, fields] of [
    [`/admin/inbox/${HIDDEN_THREAD}/reply`, { body: 'A reply that must not be stored', nonce }],
    [`/admin/inbox/${HIDDEN_THREAD}/note`, { body: 'A note that must not be stored', nonce }],
    [`/admin/inbox/${HIDDEN_THREAD}/stage`, { stage_id: one(`SELECT stage_id FROM tickets WHERE id = ${HIDDEN_TICKET}`) }],
    [`/admin/tickets/${HIDDEN_TICKET}`, { subject: 'Renamed', description: '', priority: '', stage_id: '1' }],
    [`/admin/tickets/${HIDDEN_TICKET}/properties`, { prop_key: 'x', prop_value: 'y' }],
  ]) {
    const p = await agent.post(url, { csrf, ...fields });
    assert.equal(p.status, 404, `${url} is not found`);
  }
  assert.equal(Number(one(`SELECT count(*) FROM messages WHERE id >= ${FIRST_NEW_MESSAGE}`)), 0, 'nothing stored');
  assert.notEqual(one(`SELECT subject FROM tickets WHERE id = ${HIDDEN_TICKET}`), 'Renamed');

  // the admin still sees everything
  assert.equal((await admin.get(`/admin/inbox/${HIDDEN_THREAD}`)).status, 200);
  assert.equal((await admin.get(`/admin/tickets/${HIDDEN_TICKET}`)).status, 200);
  const file = await admin.get(`/admin/inbox/${FILE_THREAD}/files/${ATT}/${FILE_NAME}`);
  assert.equal(file.status, 200);
  assert.equal(file.html, CONTENT);
  assert.ok(threadRows((await admin.get(`/admin/inbox?status=all&q=%23${HIDDEN_TICKET}`)).html).includes(HIDDEN_THREAD));
});

test('a limited agent\'s new ticket is in one of their inboxes', async () => {
  await setLimit(true, [ALLOWED]);
  const page = await agent.get('/admin/tickets/new');
  assert.equal(page.status, 200);
  const select = /<select id="inbox_id"[\s\S]*?<\/select>/.exec(page.html)[0];
  assert.deepEqual([...select.matchAll(/<option value="(\d*)"/g)].map((m) => m[1]), [ALLOWED],
    'only their inbox is offered, and no "no conversation"');
  const email = one('SELECT email FROM contacts ORDER BY id LIMIT 1');
  const stage = one('SELECT id FROM pipeline_stages ORDER BY id LIMIT 1');
  const fields = { csrf: csrfOf(page.html), email, subject: 'Phone call about limits', description: '', stage_id: stage, priority: '' };
  let r = await agent.post('/admin/tickets/new', { ...fields, inbox_id: OTHER });
  assert.equal(r.status, 422, 'another inbox is refused');
  assert.match(r.html, /Choose one of your inboxes/);
  r = await agent.post('/admin/tickets/new', { ...fields, inbox_id: ALLOWED });
  assert.equal(r.status, 303);
  const id = /\/admin\/tickets\/(\d+)/.exec(r.headers.get('location'))[1];
  created.push(id);
  assert.equal(one(`SELECT inbox_id FROM threads WHERE ticket_id = ${id}`), ALLOWED);
  assert.equal((await agent.get(`/admin/tickets/${id}`)).status, 200, 'and they see it');
});

test('limited to no inbox the agent sees nothing; without the limit everything is back', async () => {
  let r = await setLimit(true, []);
  assert.equal(r.status, 303);
  assert.equal(one(`SELECT inboxes_limited || '|' || (SELECT count(*) FROM staff_inbox_limits WHERE staff_user_id = ${AGENT})
    FROM staff_users WHERE id = ${AGENT}`), 'true|0');
  assert.deepEqual(threadRows((await agent.get('/admin/inbox?status=all')).html), []);
  assert.deepEqual(ticketRows((await agent.get('/admin/tickets?status=all')).html), []);
  assert.equal((await agent.get(`/admin/inbox/${SHOWN_THREAD}`)).status, 404);
  assert.equal((await agent.get(`/admin/tickets/${SHOWN_TICKET}`)).status, 404);

  const mark = auditMark();
  r = await setLimit(false, [ALLOWED]);
  assert.equal(r.status, 303);
  const audit = oneAudit(mark, { action: 'staff_inboxes_change', actor_id: ADMIN });
  assert.equal(audit.detail.after.limited, false);
  assert.deepEqual(audit.detail.after.inboxes, [], 'no limit: the list is emptied');
  assert.equal((await agent.get(`/admin/inbox/${HIDDEN_THREAD}`)).status, 200);
  assert.equal((await agent.get(`/admin/tickets/${HIDDEN_TICKET}`)).status, 200);
  assert.equal((await agent.get(`/admin/inbox/${FILE_THREAD}/files/${ATT}/${FILE_NAME}`)).status, 200);
  assert.equal(ticketRows((await agent.get('/admin/tickets?status=all')).html).length, 50);
});

test('a limited agent has no portal preview, and a contact\'s timeline holds nothing of another inbox', async () => {
  const r = await setLimit(true, [ALLOWED]);
  assert.equal(r.status, 303);
  const contact = one(`SELECT contact_id FROM ticket_contacts WHERE ticket_id = ${SHOWN_TICKET} ORDER BY contact_id LIMIT 1`);
  // the preview shows the contact's whole portal (every inbox): not found for the limited agent
  assert.equal((await agent.get(`/admin/preview/${contact}/tickets`)).status, 404);
  assert.equal((await agent.get(`/admin/preview/${contact}/tickets/${SHOWN_TICKET}`)).status, 404);
  assert.equal((await agent.get(`/admin/preview/${contact}/tickets/${HIDDEN_TICKET}`)).status, 404);
  const thread = await agent.get(`/admin/inbox/${SHOWN_THREAD}`);
  assert.doesNotMatch(thread.html, /\/admin\/preview\//, 'no preview link offered');
  assert.doesNotMatch((await agent.get(`/admin/contacts/${contact}`)).html, /\/admin\/preview\//);
  assert.equal((await admin.get(`/admin/preview/${contact}/tickets`)).status, 200);
  // a mail in a thread of the other inbox without a ticket leaves an engagement with its words
  const words = `Hidden words ${Date.now()}`;
  psql(`WITH th AS (INSERT INTO threads (inbox_id, channel) VALUES (${OTHER}, 'email') RETURNING id),
    m AS (INSERT INTO messages (thread_id, direction, author_contact_id, body) SELECT id, 'incoming', ${contact}, '${words}' FROM th RETURNING id)
    INSERT INTO engagements (kind, contact_id, message_id, summary) SELECT 'email', ${contact}, id, '${words}' FROM m`);
  assert.doesNotMatch((await agent.get(`/admin/contacts/${contact}`)).html, new RegExp(words));
  assert.match((await admin.get(`/admin/contacts/${contact}`)).html, new RegExp(words));
  psql(`DELETE FROM engagements WHERE summary = '${words}';
    DELETE FROM threads WHERE id IN (SELECT thread_id FROM messages WHERE body = '${words}')`);
  await setLimit(false, []);
});
