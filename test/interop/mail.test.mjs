// mail.test.mjs - mail in through real mail servers (test/interop/mail_servers.sh): a private
// Postfix whose transport_maps pipe support@example.com to build/portal-mailgate, and a private
// Dovecot whose mailbox the mailer polls once an admin set it up in the console. Messages go to
// Postfix by SMTP (python's smtplib) and into Dovecot's maildir; they must land as tickets and
// replies in the portal and the console, and IMAP messages must be marked read exactly when the
// rules say (stored or refused: read; deferred: left unread, stored once later).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { staffLoggedIn, loggedIn } from '../lib/client.mjs';
import { psql, VAR } from '../lib/stack.mjs';
import { waitFor } from '../lib/wait.mjs';
import { message, replyAddress, uniq } from '../lib/mailgate.mjs';

const env = process.env;
const SMTP = Number(env.INTEROP_SMTP_PORT || 0);
const IMAP = Number(env.INTEROP_IMAP_PORT || 0);
const one = (sql) => psql(sql).split('\n')[0];
/* As the cluster's superuser (peer map: root and the owner may be postgres), when role portal is
 * barred from logging in. */
const psqlSuper = (sql) => execFileSync('psql', ['-X', '-q', '-tA', '-h', path.join(VAR, 'pg'), '-U', 'postgres', '-d', 'portal',
  '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' }).trim();

/* Send text by SMTP to Postfix on 127.0.0.1 (python's smtplib: a real SMTP client). */
function smtpSend(from, to, text) {
  execFileSync('python3', ['-c', `import smtplib,sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20)
s.sendmail(sys.argv[2], [sys.argv[3]], sys.stdin.buffer.read())
s.quit()`, String(SMTP), from, to], { input: text });
}

/* A plain message from ada with a fresh Message-ID. */
function plain({ from = 'Ada Lovelace <ada@example.com>', to = 'support@example.com', subject, body, extra = {} }) {
  const id = `${uniq()}@client.example`;
  return { id, text: message({ From: from, To: to, Subject: subject, 'Message-ID': `<${id}>`, Date: new Date().toUTCString(), ...extra }, body) };
}

/* The mail_inbound row of a Message-ID: "via|outcome|ticket", or '' while none. */
const inbound = (id) => one(`SELECT via || '|' || outcome || '|' || coalesce(ticket_id::text, '') FROM mail_inbound
  WHERE message_id = '${id}' ORDER BY id DESC LIMIT 1`);
const waitInbound = (id, what, timeout = 30000) => waitFor(() => inbound(id) || null, { timeout, interval: 200, what });

/* An IMAP command through curl to the private Dovecot (never one that changes a flag). */
function imap(cmd) {
  return execFileSync('curl', ['-sS', '--max-time', '20', '-u', `${env.INTEROP_IMAP_USER}:${env.INTEROP_IMAP_PASSWORD}`,
    `imap://127.0.0.1:${IMAP}/INBOX`, '-X', cmd], { encoding: 'utf8' });
}
/* 'seen', 'unseen' or 'gone' for the message with this Message-ID. */
function imapState(id) {
  const uids = (s) => (/\* SEARCH([\d ]*)/.exec(s)?.[1] || '').trim();
  if (uids(imap(`UID SEARCH SEEN HEADER Message-ID "${id}"`))) return 'seen';
  if (uids(imap(`UID SEARCH UNSEEN HEADER Message-ID "${id}"`))) return 'unseen';
  return 'gone';
}
/* Deliver text into the mailbox as an MTA would: maildir tmp/ then new/, owned by the mail user. */
let dropped = 0;
function dropInMaildir(text) {
  const name = `${Date.now()}.P${process.pid}Q${++dropped}.interop`;
  const tmp = path.join(env.INTEROP_MAILDIR, 'tmp', name);
  writeFileSync(tmp, text);
  if (process.getuid() === 0) {
    const uid = Number(execFileSync('id', ['-u', env.INTEROP_MAIL_USER], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', env.INTEROP_MAIL_USER], { encoding: 'utf8' }));
    chownSync(tmp, uid, gid);
  }
  renameSync(tmp, path.join(env.INTEROP_MAILDIR, 'new', name));
}

const SUPPORT_INBOX = one("SELECT id FROM inboxes WHERE name = 'Support inbox'");

test('Postfix: mail to the support address opens a ticket; a reply to its Reply-To token lands in it', { skip: !SMTP && 'no private Postfix (make test-interop runs one as root)' }, async () => {
  const marker = `heron${uniq()}`;
  const m = plain({ subject: `Scanner offline ${marker}`, body: `The scanner on floor 3 is offline (${marker}).` });
  smtpSend('ada@example.com', 'support@example.com', m.text);
  const row = await waitInbound(m.id, 'the message through Postfix in mail_inbound');
  const [via, outcome, ticket] = row.split('|');
  assert.equal(via, 'gateway');
  assert.equal(outcome, 'stored');
  assert.match(ticket, /^\d+$/);
  assert.equal(one(`SELECT subject FROM tickets WHERE id = ${ticket}`), `Scanner offline ${marker}`);
  assert.equal(one(`SELECT inbox_id FROM threads WHERE ticket_id = ${ticket} ORDER BY id LIMIT 1`), SUPPORT_INBOX);

  const ada = await loggedIn('ada@example.com');
  const list = await ada.get('/tickets');
  assert.ok(list.html.includes(`Scanner offline ${marker}`), 'the portal lists the new ticket');
  const admin = await staffLoggedIn();
  const page = await admin.get(`/admin/tickets/${ticket}`);
  assert.equal(page.status, 200);
  assert.ok(page.html.includes(`Scanner offline ${marker}`), 'the console shows it');

  // the customer replies to the signed Reply-To address (through Postfix: +token, recipient_delimiter)
  const to = replyAddress('support@example.com', ticket);
  const reply = plain({ to, subject: `Re: Scanner offline ${marker}`, body: `It is back online, thanks (${marker}-reply).` });
  const tickets = one('SELECT count(*) FROM tickets');
  smtpSend('ada@example.com', to, reply.text);
  assert.equal((await waitInbound(reply.id, 'the reply through Postfix')), `gateway|stored|${ticket}`);
  assert.equal(one('SELECT count(*) FROM tickets'), tickets, 'no new ticket');
  const shown = await ada.get(`/tickets/${ticket}`);
  assert.ok(shown.html.includes(`It is back online, thanks (${marker}-reply).`), 'the portal ticket shows the reply');
  const maillog = execFileSync('cat', [path.join(env.INTEROP_POSTFIX_DIR, 'maillog')], { encoding: 'utf8' });
  assert.match(maillog, new RegExp(`to=<${to.replace(/[+.]/g, '\\$&')}>, relay=portal, .*status=sent`), 'Postfix piped it to the gateway');
});

test('Dovecot: an admin sets up the IMAP mailbox in the console; the mailer polls mail into tickets, marks it read as the rules say', { skip: !IMAP && 'no private Dovecot' }, async () => {
  const u = uniq();
  const address = `help-${u}@example.com`;
  const admin = await staffLoggedIn();
  const base = `/admin/inboxes/${SUPPORT_INBOX}`;
  assert.equal((await admin.submit(base, { address, connected: '1' }, `${base}/addresses`)).status, 303);
  const aid = one(`SELECT id FROM inbox_addresses WHERE address = '${address}'`);
  after(() => psql(`DELETE FROM inbox_addresses WHERE id = ${aid}`));

  // a wrong password first: the poll's error shows on the console page
  const form = { imap_host: '127.0.0.1', imap_port: String(IMAP), imap_security: 'none', imap_user: env.INTEROP_IMAP_USER, imap_folder: 'INBOX' };
  assert.equal((await admin.submit(base, { ...form, imap_password: 'wrong-password' }, `${base}/addresses/${aid}/imap`)).status, 303);
  const err = await waitFor(() => one(`SELECT imap_error FROM inbox_addresses WHERE id = ${aid} AND imap_polled_at IS NOT NULL`) || null,
    { timeout: 20000, interval: 200, what: 'the failed poll recorded' });
  assert.match(err, /login|auth/i);
  assert.ok(!err.includes('wrong-password'), 'the password is never in the error');
  const page = await admin.get(base);
  assert.ok(page.html.includes('Last error:'), 'the console shows the error');
  assert.ok(!page.html.includes('wrong-password'), 'and never the password');
  assert.ok(!execFileSync('cat', [path.join(VAR, 'log', 'portal.log')], { encoding: 'utf8' }).includes('wrong-password'), 'nor the log');

  // the right password: the field left empty keeps it, so enter it once
  assert.equal((await admin.submit(base, { ...form, imap_password: env.INTEROP_IMAP_PASSWORD }, `${base}/addresses/${aid}/imap`)).status, 303);
  await waitFor(() => one(`SELECT imap_error IS NULL AND imap_polled_at IS NOT NULL FROM inbox_addresses WHERE id = ${aid}`) === 't' || null,
    { timeout: 20000, interval: 200, what: 'a clean poll' });

  // two messages for the portal and one the gateway refuses
  const a = plain({ to: address, subject: `Badge reader ${u}`, body: `My badge does not open door 4 (${u}).` });
  const b = plain({ to: address, subject: `Parking ${u}`, body: `Parking permit please (${u}).` });
  const badId = `${uniq()}@client.example`;
  const bad = `Message-ID: <${badId}>\r\nthis is not a message at all\r\n`;
  for (const t of [a.text, b.text, bad]) dropInMaildir(t);
  const ra = await waitInbound(a.id, 'the first message polled');
  const rb = await waitInbound(b.id, 'the second message polled');
  assert.match(ra, /^imap\|stored\|\d+$/);
  assert.match(rb, /^imap\|stored\|\d+$/);
  const ticket = ra.split('|')[2];
  assert.equal(one(`SELECT subject FROM tickets WHERE id = ${ticket}`), `Badge reader ${u}`);
  await waitFor(() => (imapState(a.id) === 'seen' && imapState(b.id) === 'seen') || null, { timeout: 10000, interval: 200, what: 'both marked read' });
  await waitFor(() => imapState(badId) === 'seen' || null, { timeout: 20000, interval: 200, what: 'the refused one marked read' });
  assert.match(one(`SELECT outcome || '|' || reason FROM mail_inbound WHERE via = 'imap' AND outcome = 'refused' ORDER BY id DESC LIMIT 1`), /^refused\|malformed/);
  const ada = await loggedIn('ada@example.com');
  assert.ok((await ada.get('/tickets')).html.includes(`Badge reader ${u}`), 'the portal lists the polled ticket');
  assert.ok((await admin.get(`/admin/tickets/${ticket}`)).html.includes(`Badge reader ${u}`), 'the console shows it');

  // the database refuses new connections: the gateway defers (75), the message stays unread and
  // the console says so; once the database is back it is stored once and marked read
  const c = plain({ to: address, subject: `Deferred ${u}`, body: `Stored once (${u}).` });
  psqlSuper('ALTER ROLE portal_app NOLOGIN'); // the role the gateway connects as (027_app_role)
  try {
    dropInMaildir(c.text);
    await waitFor(() => /deferred/.test(psqlSuper(`SELECT coalesce(imap_error, '') FROM inbox_addresses WHERE id = ${aid}`)) || null,
      { timeout: 20000, interval: 200, what: 'the deferral recorded' });
    assert.equal(imapState(c.id), 'unseen', 'a deferred message stays unread');
  } finally {
    psqlSuper('ALTER ROLE portal_app LOGIN');
  }
  assert.match(await waitInbound(c.id, 'the deferred message stored at a later poll'), /^imap\|stored\|\d+$/);
  await waitFor(() => imapState(c.id) === 'seen' || null, { timeout: 10000, interval: 200, what: 'the deferred one marked read' });
  assert.equal(one(`SELECT count(*) FROM messages WHERE mail_message_id = '${c.id}'`), '1', 'stored once');
  await waitFor(() => one(`SELECT imap_error IS NULL FROM inbox_addresses WHERE id = ${aid}`) === 't' || null,
    { timeout: 10000, interval: 200, what: 'the error cleared by a clean poll' });
});
