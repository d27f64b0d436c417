// admin_inbox.test.mjs - the agent inbox from outside: the thread list (order, filters, inboxes, pages,
// empty states), the thread view with notes, replies that reach the portal and the customer's
// mailbox, double submits, internal notes kept from the portal, stage changes, validation, sessions.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { psql, VAR } from '../lib/stack.mjs';
import { Client, csrfOf, loggedIn, staffLoggedIn } from '../lib/client.mjs';
import { waitForMail, mailTo, linkPath } from '../lib/mail.mjs';
import { auditMark, auditSince, oneAudit, staffId } from '../lib/audit.mjs';
import { everyWorker, visit } from '../lib/wait.mjs';
import { ownTickets } from '../lib/demo.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const lines = (sql) => psql(sql).split('\n').filter(Boolean);
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

const agent = await staffLoggedIn('agent@example.com');
const AGENT = staffId('agent@example.com');

/* Thread ids of a list page, in the order shown. */
const rowsOf = (html) => [...html.matchAll(/<tr class="thread">\s*<td><a href="\/admin\/inbox\/(\d+)"/g)].map((m) => m[1]);
const nextOf = (html) => {
  const m = /<a class="btn secondary" href="([^"]+)">Older conversations/.exec(html);
  return m ? m[1].replace(/&amp;/g, '&') : null;
};

/* The truth, from the database: threads newest activity first under a condition. */
const WAITING = `(SELECT m.direction FROM messages m WHERE m.thread_id = th.id AND m.kind = 'message'
  ORDER BY m.created_at DESC, m.id DESC LIMIT 1) = 'incoming'`;
const CLOSED = `coalesce((SELECT s.is_closed FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id
  WHERE t.id = th.ticket_id), false)`;
const truth = (cond, limit = 50) => lines(`SELECT th.id FROM threads th WHERE ${cond}
  ORDER BY th.last_message_at DESC, th.id DESC LIMIT ${limit}`);

// An open ticket of Ada's that the portal shows her, with one contact and a thread the portal shows.
const [TICKET, THREAD] = one(`SELECT t.id || '|' || ticket_latest_thread(t.id)
  FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id
  WHERE t.id IN ${ownTickets(1)} AND NOT s.is_closed AND ticket_latest_thread(t.id) IS NOT NULL
    AND (SELECT count(*) FROM ticket_contacts x WHERE x.ticket_id = t.id) = 1
  ORDER BY t.id LIMIT 1`).split('|');
const SAVED = psql(`SELECT t.stage_id || '|' || coalesce(t.closed_at::text, '') || '|' || t.last_activity_at || '|' || th.last_message_at
  FROM tickets t JOIN threads th ON th.id = ${THREAD} WHERE t.id = ${TICKET}`).split('|');
const FIRST_NEW_MESSAGE = Number(one('SELECT coalesce(max(id), 0) + 1 FROM messages'));

after(() => { // leave the demo ticket as it was: its messages, stage and times
  psql(`DELETE FROM engagements WHERE message_id IN (SELECT id FROM messages WHERE thread_id = ${THREAD} AND id >= ${FIRST_NEW_MESSAGE});
    DELETE FROM messages WHERE thread_id = ${THREAD} AND id >= ${FIRST_NEW_MESSAGE};
    UPDATE tickets SET stage_id = ${SAVED[0]}, closed_at = ${SAVED[1] ? `'${SAVED[1]}'` : 'NULL'},
      last_activity_at = '${SAVED[2]}' WHERE id = ${TICKET};
    UPDATE threads SET last_message_at = '${SAVED[3]}' WHERE id = ${THREAD};`);
});

/* The thread page's forms: csrf and the nonce of the reply and of the note form. */
async function threadForms(client, th = THREAD) {
  const page = await client.get(`/admin/inbox/${th}`);
  assert.equal(page.status, 200, `thread ${th} opens`);
  const nonce = (action) => {
    const m = new RegExp(`action="/admin/inbox/${th}/${action}"[\\s\\S]*?name="nonce" value="([A-Za-z0-9_-]{43})"`).exec(page.html);
    assert.ok(m, `the ${action} form has a nonce`);
    return m[1];
  };
  return { page, csrf: csrfOf(page.html), reply: nonce('reply'), note: nonce('note') };
}

test('the inbox lists threads newest activity first, page after page', async () => {
  const first = await agent.get('/admin/inbox?status=all');
  assert.equal(first.status, 200);
  assert.match(first.html, /<h1>Inbox<\/h1>/);
  assert.deepEqual(rowsOf(first.html), truth('true'), 'page 1: the 50 newest threads in order');
  const next = nextOf(first.html);
  assert.ok(next, 'more than 50 demo threads: a link to older ones');
  const second = await agent.get(next);
  assert.equal(second.status, 200);
  assert.deepEqual(rowsOf(second.html), truth('true', 100).slice(50), 'page 2 continues where page 1 stopped');
  assert.match(second.html, /← Newest/);
  // a row: ticket, contact, channel, inbox
  const row = (await agent.get(`/admin/inbox?status=all&q=%23${TICKET}`)).html;
  assert.deepEqual(rowsOf(row), [THREAD], 'search by #ticket id');
  assert.match(row, new RegExp(`#${TICKET}</span> [^<]+</a>`));
  assert.match(row, /Ada Lovelace<br><span class="muted">ada@example.com<\/span>/);
  assert.match(row, /<td>Support inbox<\/td>/);
  assert.equal((await agent.get('/admin/inbox?before=not-a-cursor')).status, 400);
});

test('filters: open, closed, waiting on us, and one inbox', async () => {
  const open = await agent.get('/admin/inbox');
  assert.deepEqual(rowsOf(open.html), truth(`NOT ${CLOSED}`), 'open (the default) = no ticket or an open stage');
  const closed = await agent.get('/admin/inbox?status=closed');
  assert.deepEqual(rowsOf(closed.html), truth(CLOSED));
  assert.ok(rowsOf(closed.html).length > 0 && rowsOf(open.html).length > 0);
  assert.equal(rowsOf(closed.html).filter((id) => rowsOf(open.html).includes(id)).length, 0, 'no thread in both');
  assert.doesNotMatch(closed.html, /class="badge">/, 'closed rows carry the closed badge only');

  const waiting = await agent.get('/admin/inbox?waiting=1');
  assert.deepEqual(rowsOf(waiting.html), truth(`NOT ${CLOSED} AND ${WAITING}`), 'waiting: the customer spoke last');
  assert.ok(rowsOf(waiting.html).length > 0);
  assert.notDeepEqual(rowsOf(waiting.html), rowsOf(open.html));
  assert.equal((waiting.html.match(/badge waiting/g) || []).length, rowsOf(waiting.html).length, 'each row says so');
  // notes do not count: a thread whose latest message is a note after the customer's is waiting
  const noted = one(`SELECT th.ticket_id FROM threads th WHERE ${WAITING} AND th.ticket_id IS NOT NULL AND NOT ${CLOSED}
    AND (SELECT m.kind FROM messages m WHERE m.thread_id = th.id ORDER BY m.created_at DESC, m.id DESC LIMIT 1) = 'note' LIMIT 1`);
  assert.match(noted, /^\d+$/, 'demo data has such a thread');
  assert.equal(rowsOf((await agent.get(`/admin/inbox?waiting=1&q=%23${noted}`)).html).length, 1);

  const billing = one("SELECT id FROM inboxes WHERE name = 'Billing inbox'");
  const inbox = await agent.get(`/admin/inbox?inbox=${billing}&status=all`);
  assert.deepEqual(rowsOf(inbox.html), truth(`th.inbox_id = ${billing}`));
  assert.match(inbox.html, new RegExp(`<a href="/admin/inbox\\?inbox=${billing}&amp;status=all" aria-current="page">Billing inbox</a>`));
  assert.doesNotMatch(inbox.html, /<td>Support inbox<\/td>/);
  assert.equal((await agent.get('/admin/inbox?inbox=999999')).status, 404);
});

test('every filter has its empty state', async () => {
  const name = `Empty inbox ${uniq()}`;
  const id = one(`INSERT INTO inboxes (name) VALUES ('${name}') RETURNING id`);
  try {
    const list = await agent.get('/admin/inbox');
    assert.match(list.html, new RegExp(`href="/admin/inbox\\?inbox=${id}">${name}</a>`), 'a tab per inbox');
    const cases = [
      ['', /No open conversations\./],
      ['&status=closed', /No closed conversations yet\./],
      ['&status=all', /No conversations yet\./],
      ['&waiting=1', /Nothing is waiting on us/],
    ];
    for (const [q, text] of cases) {
      const r = await agent.get(`/admin/inbox?inbox=${id}${q}`);
      assert.equal(r.status, 200);
      assert.deepEqual(rowsOf(r.html), []);
      assert.match(r.html, text, `empty state for ${q || 'open'}`);
    }
    const none = await agent.get(`/admin/inbox?status=all&q=${uniq()}`);
    assert.match(none.html, /No conversations match your search\./);
  } finally {
    psql(`DELETE FROM inboxes WHERE id = ${id}`);
  }
});

test('the thread view shows every message in order, notes marked, the ticket and its links', async () => {
  const withNote = one(`SELECT th.id FROM threads th JOIN messages m ON m.thread_id = th.id
    WHERE m.kind = 'note' AND th.ticket_id IS NOT NULL ORDER BY th.id LIMIT 1`);
  const r = await agent.get(`/admin/inbox/${withNote}`);
  assert.equal(r.status, 200);
  const esc = (x) => x.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  const bodies = lines(`SELECT split_part(body, E'\\n', 1) FROM messages WHERE thread_id = ${withNote} ORDER BY created_at, id`).map(esc);
  let at = -1;
  for (const b of bodies) {
    const i = r.html.indexOf(b, at + 1);
    assert.ok(i > at, `message "${b}" shown, in order`);
    at = i;
  }
  const note = /<li class="message note"[^>]*>([\s\S]*?)<\/li>/.exec(r.html);
  assert.ok(note, 'the note is marked');
  assert.match(note[1], /<span class="badge note">Internal note<\/span>/);
  assert.match(note[1], /Internal:/);
  const ticket = one(`SELECT ticket_id FROM threads WHERE id = ${withNote}`);
  const contact = one(`SELECT contact_id FROM ticket_contacts WHERE ticket_id = ${ticket} ORDER BY contact_id LIMIT 1`);
  assert.match(r.html, new RegExp(`href="/admin/tickets/${ticket}"`));
  if (contact) assert.match(r.html, new RegExp(`href="/admin/preview/${contact}/tickets/${ticket}"`));
  assert.match(r.html, /<dt>Stage<\/dt>/);
  assert.equal((await agent.get('/admin/inbox/999999999')).status, 404);
});

test('an attachment downloads through its own thread only', async () => {
  const content = 'ERROR 2026-07-05 10:14:52 export: timed out after 300 s (rows=48211)\n';
  const sha = createHash('sha256').update(content).digest('hex');
  const [att, th, name] = one(`SELECT a.id || '|' || m.thread_id || '|' || a.file_name FROM attachments a
    JOIN messages m ON m.id = a.message_id WHERE a.sha256 = '${sha}' LIMIT 1`).split('|');
  const dir = path.join(VAR, 'files', sha.slice(0, 2));
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, sha), content, { mode: 0o644 });
  const page = await agent.get(`/admin/inbox/${th}`);
  assert.ok(page.html.includes(`href="/admin/inbox/${th}/files/${att}/${name}"`), 'linked from the thread');
  const r = await agent.get(`/admin/inbox/${th}/files/${att}/${name}`);
  assert.equal(r.status, 200);
  assert.equal(r.html, content);
  assert.match(r.headers.get('content-disposition'), /^attachment; filename="export-error.log"/);
  assert.equal((await agent.get(`/admin/inbox/${THREAD}/files/${att}/${name}`)).status, 404, 'not through another thread');
  assert.equal((await agent.get(`/admin/inbox/${th}/files/${att}/other.log`)).status, 404);
});

test("an agent's reply shows in Ada's portal and mails her a link that opens the ticket; a double submit stores one", async () => {
  const marker = `zebra${uniq()}`;
  const body = `Hi Ada,\n\nPlease try again now (${marker}).\n\nSam`;
  const { csrf, reply } = await threadForms(agent);
  const mark = auditMark();
  const r = await agent.post(`/admin/inbox/${THREAD}/reply`, { csrf, nonce: reply, body });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), `/admin/inbox/${THREAD}?notice=sent#latest`);
  const again = await agent.post(`/admin/inbox/${THREAD}/reply`, { csrf, nonce: reply, body });
  assert.equal(again.status, 303, 'the repeated form is answered like the first');
  assert.equal(one(`SELECT count(*) FROM messages WHERE body LIKE '%${marker}%'`), '1', 'one message');
  assert.equal(one(`SELECT count(*) FROM mail_outbox WHERE body_text LIKE '%${marker}%'`), '1', 'one email');

  const m = one(`SELECT direction || '|' || kind || '|' || author_user_id || '|' || coalesce(from_address, '') || '|' || array_to_string(to_addresses, ',')
    FROM messages WHERE body LIKE '%${marker}%'`);
  assert.equal(m, "outgoing|message|2|support@example.com|ada@example.com");
  assert.equal(one(`SELECT e.kind || '|' || e.contact_id || '|' || e.ticket_id FROM engagements e JOIN messages m ON m.id = e.message_id
    WHERE m.body LIKE '%${marker}%'`), `email|1|${TICKET}`, 'on the contact and ticket timeline');
  assert.equal(one(`SELECT th.last_message_at = m.created_at AND t.last_activity_at = m.created_at FROM messages m
    JOIN threads th ON th.id = m.thread_id JOIN tickets t ON t.id = th.ticket_id WHERE m.body LIKE '%${marker}%'`), 't');
  const message = one(`SELECT id FROM messages WHERE body LIKE '%${marker}%'`);
  oneAudit(mark, { action: 'inbox_reply', actor_kind: 'staff', actor_id: AGENT,
    detail: { after: { thread_id: THREAD, ticket_id: TICKET, message_id: message } } });
  assert.equal(auditSince(mark, { action: 'inbox_reply' }).length, 1, 'none for the repeated form');
  const view = await agent.get(`/admin/inbox/${THREAD}?notice=sent`);
  assert.match(view.html, /Sent\./);
  assert.ok(view.html.includes(marker));

  const ada = await loggedIn('ada@example.com');
  const detail = await ada.get(`/tickets/${TICKET}`);
  assert.equal(detail.status, 200);
  assert.ok(detail.html.includes(marker), 'the reply is in her ticket');
  assert.match(detail.html, /Sam Agent/);

  const mail = await waitForMail('ada@example.com', (x) => (x.text || '').includes(marker));
  assert.match(mail.subject, new RegExp(`New reply on your ticket #${TICKET}`));
  assert.ok(mail.html && mail.html.includes(marker), 'an HTML part too');
  const link = linkPath(mail);
  assert.match(link, new RegExp(`^/tickets/${TICKET}/open\\?t=1\\.\\d+\\.[0-9a-f]{64}$`),
    "the signed ticket link for Ada (contact 1); the page that answers it is ticket_link.c's");
  const opened = await ada.get(`/tickets/${TICKET}`);
  assert.equal(opened.status, 200);
  assert.ok(opened.html.includes(marker), 'the ticket shows the reply');
  assert.equal(mailTo('ada@example.com').filter((x) => (x.text || '').includes(marker)).length, 1);
});

test("a reply is mailed in the portal's language", async () => {
  psql("UPDATE portal_domains SET language = 'sv' WHERE host = 'localhost'");
  const speaks = (lang) => everyWorker(async () => (await visit('/login')).html.includes(`<html lang="${lang}">`), `the portal speaking ${lang}`);
  await speaks('sv');
  try {
    const marker = `sv${uniq()}`;
    const { csrf, reply } = await threadForms(agent);
    assert.equal((await agent.post(`/admin/inbox/${THREAD}/reply`, { csrf, nonce: reply, body: `Hej (${marker})` })).status, 303);
    const mail = await waitForMail('ada@example.com', (x) => (x.text || '').includes(marker));
    assert.match(mail.subject, new RegExp(`Nytt svar i ditt ärende #${TICKET}`));
    assert.match(mail.text, /Öppna ärendet/);
  } finally {
    psql("UPDATE portal_domains SET language = 'en' WHERE host = 'localhost'");
    await speaks('en');
  }
});

test('an internal note is shown to agents, never to the customer (page, search, mail)', async () => {
  const marker = `marmot${uniq()}`;
  const mailsBefore = Number(one('SELECT count(*) FROM mail_outbox'));
  const { csrf, note } = await threadForms(agent);
  const r = await agent.post(`/admin/inbox/${THREAD}/note`, { csrf, nonce: note, body: `Internal: check ${marker} first` });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), `/admin/inbox/${THREAD}?saved=1#latest`);
  assert.equal((await agent.post(`/admin/inbox/${THREAD}/note`, { csrf, nonce: note, body: `Internal: check ${marker} first` })).status, 303);
  assert.equal(one(`SELECT count(*) || '|' || min(kind) || '|' || min(direction) || '|' || min(author_user_id)
    FROM messages WHERE body LIKE '%${marker}%'`), '1|note|outgoing|2', 'one note by the agent');
  assert.equal(Number(one('SELECT count(*) FROM mail_outbox')), mailsBefore, 'no email');

  const view = await agent.get(`/admin/inbox/${THREAD}`);
  const li = [...view.html.matchAll(/<li class="message note"[^>]*>([\s\S]*?)<\/li>/g)].find((x) => x[1].includes(marker));
  assert.ok(li, 'the note is in the thread, marked as a note');
  assert.match(li[1], /Internal note/);

  const ada = await loggedIn('ada@example.com');
  const detail = await ada.get(`/tickets/${TICKET}`);
  assert.equal(detail.status, 200);
  assert.ok(!detail.html.includes(marker), 'not in her ticket');
  const search = await ada.get(`/tickets?q=${marker}&status=all`);
  assert.equal(search.status, 200);
  assert.ok(!search.html.includes(`/tickets/${TICKET}"`), 'not found by her search');
  assert.match(search.html, /No tickets match/);
  // the same search does find what she may read (the search itself works)
  const word = one(`SELECT split_part(subject, ' ', 1) FROM tickets WHERE id = ${TICKET}`);
  assert.ok((await ada.get(`/tickets?q=${encodeURIComponent(word)}&status=all`)).html.includes(`/tickets/${TICKET}"`));
});

test('closing the ticket from the thread closes it in the portal; reopening opens it', async () => {
  const closedStage = one(`SELECT s.id FROM pipeline_stages s JOIN tickets t ON t.pipeline_id = s.pipeline_id
    WHERE t.id = ${TICKET} AND s.is_closed ORDER BY s.position LIMIT 1`);
  const { csrf, page } = await threadForms(agent);
  assert.match(page.html, new RegExp(`<option value="${closedStage}">`));
  const ada = await loggedIn('ada@example.com');
  assert.match((await ada.get(`/tickets/${TICKET}`)).html, /action="\/tickets\/\d+\/reply"/, 'open: she can reply');

  const mark = auditMark();
  let r = await agent.post(`/admin/inbox/${THREAD}/stage`, { csrf, stage_id: closedStage });
  assert.equal(r.status, 303);
  assert.equal(one(`SELECT stage_id || '|' || (closed_at IS NOT NULL) FROM tickets WHERE id = ${TICKET}`), `${closedStage}|true`);
  const closed = await ada.get(`/tickets/${TICKET}`);
  assert.match(closed.html, /<span class="badge closed">Closed<\/span>/);
  assert.match(closed.html, /This ticket is closed/);
  assert.doesNotMatch(closed.html, /action="\/tickets\/\d+\/reply"/);
  assert.ok(rowsOf((await agent.get(`/admin/inbox?status=closed&q=%23${TICKET}`)).html).includes(THREAD));

  r = await agent.post(`/admin/inbox/${THREAD}/stage`, { csrf, stage_id: SAVED[0] });
  assert.equal(r.status, 303);
  assert.equal(one(`SELECT stage_id || '|' || (closed_at IS NULL) FROM tickets WHERE id = ${TICKET}`), `${SAVED[0]}|true`);
  assert.match((await ada.get(`/tickets/${TICKET}`)).html, /action="\/tickets\/\d+\/reply"/, 'open again');
  const audit = auditSince(mark, { action: 'ticket_stage', actor_kind: 'staff', actor_id: AGENT, detail: { after: { ticket_id: TICKET } } });
  assert.deepEqual(audit.map((a) => `${a.detail.before.closed}>${a.detail.after.closed}`), ['false>true', 'true>false'],
    'both changes audited: closed, then reopened');

  // a stage of another pipeline is refused, nothing changes
  const other = one(`SELECT s.id FROM pipeline_stages s JOIN tickets t ON t.id = ${TICKET} WHERE s.pipeline_id <> t.pipeline_id LIMIT 1`);
  r = await agent.post(`/admin/inbox/${THREAD}/stage`, { csrf, stage_id: other });
  assert.equal(r.status, 422);
  assert.match(r.html, /id="stage-error">Choose a stage of this ticket&#39;s pipeline\./);
  assert.equal(one(`SELECT stage_id FROM tickets WHERE id = ${TICKET}`), SAVED[0]);
});

test('an empty or over-long reply or note is refused with 422, the text kept, nothing stored', async () => {
  const count = () => one(`SELECT count(*) FROM messages WHERE thread_id = ${THREAD}`);
  const before = count();
  const { csrf, reply, note } = await threadForms(agent);
  let r = await agent.post(`/admin/inbox/${THREAD}/reply`, { csrf, nonce: reply, body: '  \r\n ' });
  assert.equal(r.status, 422);
  assert.match(r.html, /role="alert"/);
  assert.match(r.html, /aria-invalid="true"/);
  assert.match(r.html, /id="reply-error">Write a reply before sending\./);
  r = await agent.post(`/admin/inbox/${THREAD}/note`, { csrf, nonce: note, body: '' });
  assert.equal(r.status, 422);
  assert.match(r.html, /id="note-error">Write the note before saving\./);
  const long = `long${uniq()} ` + 'x'.repeat(20000);
  r = await agent.post(`/admin/inbox/${THREAD}/reply`, { csrf, nonce: reply, body: long });
  assert.equal(r.status, 422);
  assert.match(r.html, /over 20000 characters/);
  assert.ok(r.html.includes(long), 'the text is kept');
  assert.equal(count(), before, 'nothing stored');
  // the nonce of a refused form still works once the text is fixed
  r = await agent.post(`/admin/inbox/${THREAD}/note`, { csrf, nonce: note, body: 'Internal: fixed' });
  assert.equal(r.status, 303);
  assert.equal(Number(count()), Number(before) + 1);
  assert.equal((await agent.post(`/admin/inbox/${THREAD}/reply`, { csrf, body: 'no nonce' })).status, 400);
  assert.equal((await agent.post(`/admin/inbox/${THREAD}/reply`, { nonce: reply, body: 'no csrf' })).status, 403);
  assert.equal((await agent.post('/admin/inbox/999999999/reply', { csrf, nonce: reply, body: 'x' })).status, 404);
});

test('customer and staff sessions stay on their own side', async () => {
  const ada = await loggedIn('ada@example.com');
  const r = await ada.get('/admin/inbox');
  assert.equal(r.status, 303);
  assert.match(r.headers.get('location'), /^\/admin\/login/);
  const post = await ada.post(`/admin/inbox/${THREAD}/reply`, { csrf: csrfOf((await ada.get(`/tickets/${TICKET}`)).html), nonce: 'a'.repeat(43), body: 'hi' });
  assert.equal(post.status, 303);
  assert.match(post.headers.get('location'), /^\/admin\/login/);
  const t = await agent.get('/tickets');
  assert.equal(t.status, 303);
  assert.match(t.headers.get('location'), /^\/login/);
  assert.equal((await new Client().get(`/admin/inbox/${THREAD}`)).status, 303);
});
