// notifications.test.mjs - outgoing mail from outside: the headers that thread a ticket's mail in
// the customer's client (From the inbox's primary address with the portal's name, a signed
// Reply-To, stored Message-IDs, In-Reply-To/References), the confirmation of the support form,
// ticket_closed on a stage change, the team's mails (inbox_staff, every staff user when none, never
// a connected address), the switches on /admin/settings/notifications, an edited template per
// language, and the reply marker line.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { psql, VAR } from '../lib/stack.mjs';
import { csrfOf, loggedIn, staffLoggedIn } from '../lib/client.mjs';
import { waitForMail, mailTo, linkPath } from '../lib/mail.mjs';
import { auditMark, auditSince } from '../lib/audit.mjs';
import { everyWorker, visit } from '../lib/wait.mjs';
import { settingsPath } from '../lib/portals.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const lines = (sql) => psql(sql).split('\n').filter(Boolean);
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const nonceOf = (html, action = '') => {
  const m = new RegExp(`${action}[\\s\\S]*?name="nonce" value="([A-Za-z0-9_-]{43})"`).exec(html);
  if (!m) throw new Error('no nonce on the form');
  return m[1];
};
const MARKER_EN = '##- Please type your reply above this line -##';

const admin = await staffLoggedIn('admin@example.com');
const agent = await staffLoggedIn('agent@example.com');
const ada = await loggedIn('ada@example.com');
const PORTAL_NAME = one('SELECT name FROM portals WHERE id = 1');
const SECRET = JSON.parse(readFileSync(path.join(VAR, 'portal.json'), 'utf8')).secret_key;

/* The Reply-To that fcgi/mail_tokens.c's reply_address_ticket accepts for ticket at address. */
const signedReplyTo = (address, ticket) => {
  const [local, domain] = address.split('@');
  const sig = createHmac('sha256', SECRET).update(`reply-to:${ticket}`).digest('hex').slice(0, 16);
  return `${local}+t${ticket}-${sig}@${domain}`;
};
const ids = (header) => [...(header || '').matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]);

// An inbox of our own with two connected addresses, the second one primary; a staff user whose
// address is one of them (the team's own mailbox: never notified).
const U = uniq();
const FIRST = `first-${U}@notify.example`, HELP = `help-${U}@notify.example`;
const INBOX = one(`INSERT INTO inboxes (name) VALUES ('Notify ${U}') RETURNING id`);
psql(`INSERT INTO inbox_addresses (inbox_id, address, connected) VALUES (${INBOX}, '${FIRST}', true), (${INBOX}, '${HELP}', true);
  UPDATE inbox_addresses SET is_primary = true WHERE address = '${HELP}'`);
const MAILBOX_STAFF = one(`INSERT INTO staff_users (email, name, password_hash) VALUES ('${FIRST}', 'Team mailbox', 'x') RETURNING id`);

after(() => {
  psql(`DELETE FROM inbox_staff WHERE inbox_id = ${INBOX}; DELETE FROM staff_users WHERE id = ${MAILBOX_STAFF};
    DELETE FROM portal_notifications WHERE portal_id = 1;
    UPDATE portals SET customer_reopen = true, reopen_days = 14 WHERE id = 1;
    DELETE FROM portal_email_templates WHERE portal_id = 1 AND email = 'ticket_closed'`);
});

/* A new ticket of Ada's through the support form: its id and form thread (in the Support inbox). */
async function formTicket(subject, description = 'The export hangs at 99 %.') {
  const page = await ada.get('/tickets/new');
  assert.equal(page.status, 200);
  const nonce = nonceOf(page.html);
  const res = await ada.post('/tickets/new', { csrf: csrfOf(page.html), nonce, subject, description });
  assert.equal(res.status, 303, 'the support form creates the ticket');
  const [ticket, thread] = one(`SELECT th.ticket_id || '|' || th.id FROM messages m JOIN threads th ON th.id = m.thread_id
    WHERE m.reply_nonce = '${nonce}'`).split('|');
  return { ticket, thread };
}

/* A thread of our inbox on ticket, the one the portal shows (latest), with Ada's first message. */
function ourThread(ticket) {
  const th = one(`INSERT INTO threads (ticket_id, inbox_id, channel, last_message_at)
    VALUES (${ticket}, ${INBOX}, 'email', now() + interval '1 minute') RETURNING id`);
  psql(`INSERT INTO messages (thread_id, direction, kind, author_contact_id, from_address, body)
    VALUES (${th}, 'incoming', 'message', 1, 'ada@example.com', 'Hello again')`);
  return th;
}

async function agentReply(thread, body) {
  const page = await agent.get(`/admin/inbox/${thread}`);
  assert.equal(page.status, 200);
  const nonce = nonceOf(page.html, `action="/admin/inbox/${thread}/reply"`);
  const r = await agent.post(`/admin/inbox/${thread}/reply`, { csrf: csrfOf(page.html), nonce, body });
  assert.equal(r.status, 303, 'the reply is sent');
}

async function adaReply(ticket, body) {
  const page = await ada.get(`/tickets/${ticket}`);
  assert.equal(page.status, 200);
  const r = await ada.post(`/tickets/${ticket}/reply`, { csrf: csrfOf(page.html), nonce: nonceOf(page.html), body });
  assert.equal(r.status, 303, 'her reply is stored');
}

const outbox = (where) => lines(`SELECT to_address FROM mail_outbox WHERE ${where} ORDER BY to_address`);

test('the support form: a threaded confirmation to the requester, and a mail to every staff user', async () => {
  const subject = `Export stuck ${U}`;
  const { ticket, thread } = await formTicket(subject);
  const mail = await waitForMail('ada@example.com', (m) => m.subject === `We received your request #${ticket}: ${subject}`);
  assert.equal(mail.text.split(/\r?\n/)[0], MARKER_EN, 'the text starts with the reply marker line');
  assert.match(mail.text, /You can reply to this email: your answer is added to the ticket\./);
  assert.match(mail.text, /The export hangs at 99 %\./, 'with what she wrote');
  assert.match(linkPath(mail), new RegExp(`^/tickets/${ticket}/open\\?t=\\d+\\.\\d+\\.[0-9a-f]+$`), 'the signed ticket link');
  const inboxAddress = one(`SELECT address FROM inbox_addresses WHERE inbox_id = 1 AND connected ORDER BY is_primary DESC, id LIMIT 1`);
  assert.equal(mail.headers.from, `"${PORTAL_NAME}" <${inboxAddress}>`.replace(/^"([^"().,:;<>@[\]\\]*)"/, '$1'));
  assert.equal(mail.headers['reply-to'], signedReplyTo(inboxAddress, ticket));
  assert.equal(mail.headers['x-portal-notification'], 'ticket_created');
  assert.equal(mail.headers['auto-submitted'], 'auto-generated');
  const row = one(`SELECT message_id || '|' || email || '|' || ticket_id || '|' || thread_id FROM mail_outbox
    WHERE ticket_id = ${ticket} AND to_address = 'ada@example.com'`).split('|');
  assert.deepEqual(ids(mail.headers['message-id']), [row[0]], 'the Message-ID stored is the one sent');
  assert.deepEqual(row.slice(1), ['ticket_created', ticket, thread]);

  // the team: every staff user (the Support inbox has none chosen), never a connected address
  const staff = lines(`SELECT u.email FROM staff_users u WHERE NOT EXISTS (SELECT 1 FROM inbox_addresses a
    WHERE a.connected AND lower(a.address) = lower(u.email)) ORDER BY u.email`);
  assert.ok(staff.includes('agent@example.com') && !staff.includes(FIRST));
  assert.deepEqual(outbox(`ticket_id = ${ticket} AND email = 'staff_new_ticket'`), staff);
  const team = await waitForMail('agent@example.com', (m) => m.subject === `New ticket #${ticket}: ${subject}`);
  assert.match(team.text, new RegExp(`https?://[^\\s/]+/admin/inbox/${thread}\\b`), 'a link to the thread in the console');
  assert.match(team.text, /Ada/);
  assert.equal(team.headers['x-portal-notification'], 'staff_new_ticket');
  assert.match(team.text, /Answer in the console: a reply to this email does not reach the customer\./);
  assert.equal(one(`SELECT count(*) FROM mail_outbox o JOIN inbox_addresses a ON lower(a.address) = lower(o.to_address)
    WHERE o.ticket_id = ${ticket}`), '0', 'no mail to an inbox address');
});

test("an agent's replies: From the primary address with the portal's name, signed Reply-To, threaded", async () => {
  const subject = `Threading ${U}`;
  const { ticket } = await formTicket(subject);
  await waitForMail('ada@example.com', (m) => m.subject.startsWith(`We received your request #${ticket}:`));
  const thread = ourThread(ticket);
  await agentReply(thread, `First answer ${U}`);
  const first = await waitForMail('ada@example.com', (m) => (m.text || '').includes(`First answer ${U}`));
  await agentReply(thread, `Second answer ${U}`);
  const second = await waitForMail('ada@example.com', (m) => (m.text || '').includes(`Second answer ${U}`));

  for (const m of [first, second]) {
    assert.equal(m.subject, `New reply on your ticket #${ticket}: ${subject}`);
    assert.equal(m.headers.from.replace(/"/g, ''), `${PORTAL_NAME} <${HELP}>`, 'the primary address, not the first one');
    assert.equal(m.headers['reply-to'], signedReplyTo(HELP, ticket), 'the Reply-To reply_address_ticket accepts');
    assert.match(m.headers['reply-to'], new RegExp(`^help-${U}\\+t${ticket}-[0-9a-f]{16}@notify\\.example$`));
    assert.equal(m.headers['x-portal-notification'], 'agent_reply');
    assert.equal(m.text.split(/\r?\n/)[0], MARKER_EN);
    assert.match(linkPath(m), new RegExp(`^/tickets/${ticket}/open\\?t=`));
  }
  const rows = lines(`SELECT message_id FROM mail_outbox WHERE ticket_id = ${ticket} AND email = 'agent_reply' ORDER BY id`);
  assert.equal(rows.length, 2);
  assert.deepEqual(ids(first.headers['message-id']), [rows[0]]);
  assert.deepEqual(ids(second.headers['message-id']), [rows[1]]);
  assert.match(rows[0], /@notify\.example$/, 'made at the From domain');
  const confirmation = one(`SELECT message_id FROM mail_outbox WHERE ticket_id = ${ticket} AND email = 'ticket_created'`);
  const refs = ids(second.headers.references);
  assert.equal(refs[0], `ticket-${ticket}@notify.example`, 'a stable root per ticket first');
  assert.ok(refs.includes(confirmation) && refs.includes(rows[0]), 'the earlier mails of the ticket');
  assert.ok(refs.length <= 10);
  assert.deepEqual(ids(second.headers['in-reply-to']), [rows[0]], 'In-Reply-To: the latest before it');
  assert.deepEqual(ids(first.headers['in-reply-to']), [confirmation]);
  assert.equal(one(`SELECT array_to_string(references_ids, ' ') FROM mail_outbox WHERE message_id = '${rows[1]}'`), refs.join(' '));
});

test("the team's mails: the inbox's chosen staff users, else every one, never a connected address", async () => {
  const { ticket } = await formTicket(`Staff ${U}`);
  ourThread(ticket);
  psql(`INSERT INTO inbox_staff (inbox_id, staff_user_id) SELECT ${INBOX}, id FROM staff_users
    WHERE email = 'agent@example.com' OR id = ${MAILBOX_STAFF}`);
  await adaReply(ticket, `Chosen ${U}`);
  assert.deepEqual(outbox(`ticket_id = ${ticket} AND email = 'staff_customer_reply'`), ['agent@example.com'],
    'the chosen agent; the chosen staff user at a connected address is left out');
  const mail = await waitForMail('agent@example.com', (m) => (m.text || '').includes(`Chosen ${U}`));
  assert.equal(mail.subject, `New reply on ticket #${ticket}: Staff ${U}`);
  assert.equal(mail.headers['reply-to'], undefined, 'no ticket Reply-To for the team');

  psql(`DELETE FROM inbox_staff WHERE inbox_id = ${INBOX}`);
  const mark = one('SELECT max(id) FROM mail_outbox');
  await adaReply(ticket, `Everyone ${U}`);
  const staff = lines(`SELECT email FROM staff_users WHERE lower(email) NOT IN
    (SELECT lower(address) FROM inbox_addresses WHERE connected) ORDER BY email`);
  assert.deepEqual(outbox(`id > ${mark} AND email = 'staff_customer_reply'`), staff, 'none chosen: every staff user');
  assert.ok(!staff.includes(FIRST));
  await waitForMail('admin@example.com', (m) => (m.text || '').includes(`Everyone ${U}`));
});

async function closeByStage(ticket, thread) {
  const closed = one(`SELECT s.id FROM pipeline_stages s JOIN tickets t ON t.pipeline_id = s.pipeline_id
    WHERE t.id = ${ticket} AND s.is_closed ORDER BY s.position LIMIT 1`);
  const page = await agent.get(`/admin/inbox/${thread}`);
  const r = await agent.post(`/admin/inbox/${thread}/stage`, { csrf: csrfOf(page.html), stage_id: closed });
  assert.equal(r.status, 303);
  assert.equal(one(`SELECT closed_at IS NOT NULL FROM tickets WHERE id = ${ticket}`), 't');
}

test('ticket_closed when a ticket moves into a closed stage (inbox and ticket page)', async () => {
  const { ticket, thread } = await formTicket(`Close me ${U}`);
  await closeByStage(ticket, thread);
  const mail = await waitForMail('ada@example.com', (m) => m.subject === `Your ticket was closed #${ticket}: Close me ${U}`);
  assert.equal(mail.text.split(/\r?\n/)[0], MARKER_EN);
  assert.equal(mail.headers['x-portal-notification'], 'ticket_closed');
  assert.match(mail.headers['reply-to'], new RegExp(`\\+t${ticket}-[0-9a-f]{16}@`));
  assert.ok(ids(mail.headers.references).length >= 2, 'threaded with the confirmation');

  // the console's ticket page: reopen (no mail), close again (a mail)
  const tk = await admin.get(`/admin/tickets/${ticket}`);
  assert.equal(tk.status, 200);
  const open = one(`SELECT s.id FROM pipeline_stages s JOIN tickets t ON t.pipeline_id = s.pipeline_id
    WHERE t.id = ${ticket} AND NOT s.is_closed ORDER BY s.position LIMIT 1`);
  const closed = one(`SELECT stage_id FROM tickets WHERE id = ${ticket}`);
  const fields = { csrf: csrfOf(tk.html), subject: `Close me ${U}`, description: 'The export hangs at 99 %.', priority: '' };
  assert.equal((await admin.post(`/admin/tickets/${ticket}`, { ...fields, stage_id: open })).status, 303);
  assert.equal(outbox(`ticket_id = ${ticket} AND email = 'ticket_closed'`).length, 1, 'reopening mails nothing');
  assert.equal((await admin.post(`/admin/tickets/${ticket}`, { ...fields, stage_id: closed })).status, 303);
  assert.equal(outbox(`ticket_id = ${ticket} AND email = 'ticket_closed'`).length, 2, 'closing again mails again');
});

test(settingsPath('/notifications: switches that stop the mail, audited (the reopen window moved to ticket_actions.test.mjs)'), async () => {
  const page = await admin.get(settingsPath('/notifications'));
  assert.equal(page.status, 200);
  assert.match(page.html, /<h1>Notifications<\/h1>/);
  assert.match(page.html, /id="agent_reply" name="agent_reply" type="checkbox" value="on" checked/);
  assert.match((await admin.get(settingsPath())).html, /href="\/admin\/portals\/\d+\/settings\/notifications"/, 'linked from the settings');
  const all = { ticket_created: 'on', agent_reply: 'on', ticket_closed: 'on', staff_new_ticket: 'on', staff_customer_reply: 'on',
    staff_ticket_status: 'on' };
  assert.ok(!page.html.includes('name="reopen_days"'), 'the reopen window is on /admin/settings/ticket-actions');
  const mark = auditMark();
  const off = { ticket_created: 'on', ticket_closed: 'on', staff_new_ticket: 'on', staff_ticket_status: 'on' }; // agent_reply, staff_customer_reply off
  const r = await admin.post(settingsPath('/notifications'), { csrf: csrfOf(page.html), ...off });
  assert.equal(r.status, 303);
  assert.deepEqual(lines(`SELECT email FROM portal_notifications WHERE portal_id = 1 AND NOT enabled ORDER BY email`),
    ['agent_reply', 'staff_customer_reply']);
  const settings = auditSince(mark, { action: 'settings_change' }).map((a) => a.detail.setting).sort();
  assert.deepEqual(settings, ['notification:agent_reply', 'notification:staff_customer_reply']);

  try {
    const { ticket } = await formTicket(`Quiet ${U}`);
    const thread = ourThread(ticket);
    const before = one('SELECT max(id) FROM mail_outbox');
    await agentReply(thread, `Unmailed ${U}`);
    await adaReply(ticket, `Unmailed too ${U}`);
    assert.equal(one(`SELECT count(*) FROM messages WHERE body LIKE 'Unmailed%${U}'`), '2', 'both messages stored');
    assert.deepEqual(outbox(`id > ${before}`), [], 'switched off: nothing queued');
  } finally {
    const p2 = await admin.get(settingsPath('/notifications'));
    assert.equal((await admin.post(settingsPath('/notifications'), { csrf: csrfOf(p2.html), ...all })).status, 303);
  }
  assert.equal(one('SELECT count(*) FROM portal_notifications WHERE portal_id = 1 AND NOT enabled'), '0');
});

test('an edited notification is used in its language; every notification can be edited and previewed', async () => {
  const list = await admin.get(settingsPath('/emails'));
  for (const e of ['ticket_created', 'agent_reply', 'ticket_closed', 'staff_new_ticket', 'staff_customer_reply']) {
    assert.ok(list.html.includes(`${settingsPath()}/emails/${e}/sv`), `${e} listed`);
    const pv = await admin.get(`${settingsPath()}/emails/${e}/en/preview`);
    assert.equal(pv.status, 200, `${e} previews`);
  }
  const form = await admin.get(settingsPath('/emails/ticket_closed/sv'));
  assert.equal(form.status, 200);
  assert.ok(form.html.includes('##- Skriv ditt svar ovanför denna rad -##'), 'the shipped Swedish text, marker first');
  const subject = `Stängt ${U} #{{ticket_id}}`;
  const saved = await admin.post(settingsPath('/emails/ticket_closed/sv'), { csrf: csrfOf(form.html), action: 'save', subject,
    body: '##- Skriv ditt svar ovanför denna rad -##\n\nHej {{name}}, ärende {{ticket_id}} är stängt.' });
  assert.equal(saved.status, 303, 'a notification needs no {{link}}');

  psql("UPDATE portal_domains SET language = 'sv' WHERE host = 'localhost'");
  const speaks = (lang) => everyWorker(async () => (await visit('/login')).html.includes(`<html lang="${lang}">`), `the portal speaking ${lang}`);
  await speaks('sv');
  try {
    const { ticket, thread } = await formTicket(`Svenska ${U}`);
    const confirmation = await waitForMail('ada@example.com', (m) => m.subject.startsWith('Vi har tagit emot ditt ärende') && m.subject.includes(`#${ticket}:`));
    assert.equal(confirmation.text.split(/\r?\n/)[0], '##- Skriv ditt svar ovanför denna rad -##', 'the Swedish marker line');
    await closeByStage(ticket, thread);
    const mail = await waitForMail('ada@example.com', (m) => m.subject === `Stängt ${U} #${ticket}`);
    assert.match(mail.text, new RegExp(`ärende ${ticket} är stängt`));
  } finally {
    psql("UPDATE portal_domains SET language = 'en' WHERE host = 'localhost'");
    await speaks('en');
  }
  const { ticket, thread } = await formTicket(`English ${U}`);
  await closeByStage(ticket, thread);
  await waitForMail('ada@example.com', (m) => m.subject === `Your ticket was closed #${ticket}: English ${U}`);
  assert.equal(mailTo('ada@example.com').filter((m) => m.subject === `Stängt ${U} #${ticket}`).length, 0, 'English stays shipped');
});
