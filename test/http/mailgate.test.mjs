// mailgate.test.mjs - real messages through build/portal-mailgate (as an MTA's pipe transport runs
// it) into the real database: new tickets with attachments and charsets, replies by the signed
// Reply-To token and by In-Reply-To, reopen and follow-up, and everything that must never open a
// ticket: forged tokens of unknown senders, bounces, auto-replies, our own mail, duplicates, the
// rate limit, too large and malformed messages.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BASE, VAR, psql } from '../lib/stack.mjs';
import { loggedIn, staffLoggedIn } from '../lib/client.mjs';
import { gate, message, plain, replyAddress, uniq, CONFIG } from '../lib/mailgate.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const MAX = Object.fromEntries(['tickets', 'threads', 'messages', 'contacts', 'engagements', 'mail_outbox']
  .map((t) => [t, Number(one(`SELECT coalesce(max(id), 0) FROM ${t}`))]));

// Ada's open ticket whose thread the portal shows her, and a closed one of hers
const OPEN = one(`SELECT t.id FROM portal_visible_tickets(1, 1, 'mine') t JOIN pipeline_stages s ON s.id = t.stage_id
  WHERE NOT s.is_closed AND ticket_latest_thread(t.id) IS NOT NULL ORDER BY t.id DESC LIMIT 1`);
const OPEN_THREAD = one(`SELECT ticket_latest_thread(${OPEN})`);
const CLOSED = one(`SELECT t.id FROM portal_visible_tickets(1, 1, 'mine') t JOIN pipeline_stages s ON s.id = t.stage_id
  WHERE s.is_closed AND ticket_latest_thread(t.id) IS NOT NULL AND t.id <> ${OPEN} ORDER BY t.id DESC LIMIT 1`);
const SAVED = psql(`SELECT id || '|' || stage_id || '|' || coalesce(closed_at::text, '') || '|' || last_activity_at
  FROM tickets WHERE id IN (${OPEN}, ${CLOSED})`).split('\n').map((l) => l.split('|'));
const SAVED_THREADS = psql(`SELECT id || '|' || last_message_at FROM threads WHERE ticket_id IN (${OPEN}, ${CLOSED})`)
  .split('\n').map((l) => l.split('|'));

after(() => { // leave the demo data as it was
  psql(`UPDATE inboxes SET unknown_senders = 'ticket';
    UPDATE portals SET customer_reopen = true, reopen_days = 14 WHERE id = 1;
    DELETE FROM engagements WHERE id > ${MAX.engagements};
    DELETE FROM mail_outbox WHERE id > ${MAX.mail_outbox};
    DELETE FROM messages WHERE id > ${MAX.messages};
    DELETE FROM threads WHERE id > ${MAX.threads};
    DELETE FROM tickets WHERE id > ${MAX.tickets};
    DELETE FROM contacts WHERE id > ${MAX.contacts};
    ${SAVED.map(([id, stage, closed, act]) => `UPDATE tickets SET stage_id = ${stage}, closed_at = ${closed ? `'${closed}'` : 'NULL'},
      last_activity_at = '${act}' WHERE id = ${id};`).join('\n')}
    ${SAVED_THREADS.map(([id, at]) => `UPDATE threads SET last_message_at = '${at}' WHERE id = ${id};`).join('\n')}`);
});

/* The mail_inbound row of a Message-ID (the latest): outcome|reason|ticket|message. */
const inbound = (id) => one(`SELECT outcome || '|' || reason || '|' || coalesce(ticket_id, 0) || '|' || coalesce(message_row, 0)
  FROM mail_inbound WHERE message_id = '${id}' ORDER BY id DESC LIMIT 1`);
const messageOf = (id) => one(`SELECT id FROM messages WHERE mail_message_id = '${id}'`);
const ticketsNow = () => Number(one('SELECT count(*) FROM tickets'));

function ok(r, what) {
  assert.equal(r.status, 0, `${what}: exit 0 (${r.stdout}${r.stderr})`);
}

test('usage: an unknown option is exit 64', () => {
  assert.equal(gate('', ['--bogus']).status, 64);
  assert.equal(gate('', ['--via', 'carrier-pigeon']).status, 64);
});

test('a new message with attachments opens a ticket; the files download in the portal and the console', async () => {
  const id = `${uniq()}@client.example`;
  const marker = `narwhal${uniq()}`;
  const pdf = Buffer.from(`%PDF-1.4 fake invoice ${marker}\n`);
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
  const b = `b-${uniq()}`;
  const text = message({
    From: 'Ada Lovelace <ada@example.com>', To: 'Acme Support <support@example.com>', Subject: `Printer jam ${marker}`,
    'Message-ID': `<${id}>`, Date: new Date().toUTCString(), 'MIME-Version': '1.0',
    'Content-Type': `multipart/mixed; boundary="${b}"`,
  }, [`--${b}`, 'Content-Type: text/plain; charset=utf-8', '', `The printer jams on page two (${marker}). Invoice and photo attached.`,
    `--${b}`, 'Content-Type: application/pdf; name="invoice.pdf"', 'Content-Disposition: attachment; filename="invoice.pdf"',
    'Content-Transfer-Encoding: base64', '', pdf.toString('base64'),
    `--${b}`, 'Content-Type: image/png', 'Content-Disposition: attachment; filename="photo.png"',
    'Content-Transfer-Encoding: base64', '', png.toString('base64'), `--${b}--`, ''].join('\n'));
  const r = gate(text, ['--to', 'support@example.com']);
  ok(r, 'stored');
  const [outcome, , ticket, msg] = inbound(id).split('|');
  assert.equal(outcome, 'stored');
  assert.equal(messageOf(id), msg, 'the message row is logged');
  assert.equal(one(`SELECT t.subject || '|' || s.pipeline_id || '|' || s.position || '|' || (t.closed_at IS NULL)
    FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id WHERE t.id = ${ticket}`), `Printer jam ${marker}|1|1|true`,
  'in the support form\'s open stage');
  assert.equal(one(`SELECT string_agg(contact_id::text, ',') FROM ticket_contacts WHERE ticket_id = ${ticket}`), '1', 'Ada is its contact');
  assert.equal(one(`SELECT string_agg(company_id::text, ',') FROM ticket_companies WHERE ticket_id = ${ticket}`), '1', 'with her company');
  const thread = one(`SELECT thread_id FROM messages WHERE id = ${msg}`);
  assert.equal(one(`SELECT inbox_id || '|' || channel || '|' || ticket_id FROM threads WHERE id = ${thread}`), `1|email|${ticket}`);
  assert.equal(one(`SELECT direction || '|' || author_contact_id || '|' || from_address || '|' || array_to_string(to_addresses, ',')
    FROM messages WHERE id = ${msg}`), 'incoming|1|ada@example.com|support@example.com');
  const files = psql(`SELECT id || '|' || file_name || '|' || content_type || '|' || size_bytes || '|' || sha256
    FROM attachments WHERE message_id = ${msg} ORDER BY file_name`).split('\n');
  const sha = createHash('sha256').update(pdf).digest('hex');
  assert.equal(files.length, 2, files.join(' / '));
  assert.match(files[0], new RegExp(`^\\d+\\|invoice\\.pdf\\|application/pdf\\|${pdf.length}\\|${sha}$`));
  assert.match(files[1], /^\d+\|photo\.png\|image\/png\|\d+\|/);
  const att = files[0].split('|')[0];

  const ada = await loggedIn('ada@example.com');
  const page = await ada.get(`/tickets/${ticket}`);
  assert.equal(page.status, 200);
  assert.ok(page.html.includes(`The printer jams on page two (${marker})`), 'the portal shows the mail');
  assert.ok(page.html.includes(`href="/files/${att}/invoice.pdf"`), 'with its attachment');
  const dl = await fetch(`${BASE}/files/${att}/invoice.pdf`, { headers: { cookie: ada.cookieHeader() } });
  assert.equal(dl.status, 200);
  assert.ok(Buffer.from(await dl.arrayBuffer()).equals(pdf), 'the customer downloads the bytes that were mailed');
  const linus = await loggedIn('linus@example.org');
  assert.equal((await linus.request(`/files/${att}/invoice.pdf`)).status, 404, 'nobody else does');

  const agent = await staffLoggedIn('agent@example.com');
  const view = await agent.get(`/admin/inbox/${thread}`);
  assert.equal(view.status, 200);
  assert.ok(view.html.includes(marker), 'the console thread shows it');
  const href = `/admin/inbox/${thread}/files/${att}/invoice.pdf`;
  assert.ok(view.html.includes(`href="${href}"`), 'with the file');
  const sdl = await fetch(BASE + href, { headers: { cookie: agent.cookieHeader() } });
  assert.equal(sdl.status, 200);
  assert.ok(Buffer.from(await sdl.arrayBuffer()).equals(pdf), 'agents download it too');
  // the notifications are flagged (the outgoing-mail work decides what they say)
  assert.ok(Number(one(`SELECT count(*) FROM mail_outbox WHERE id > ${MAX.mail_outbox} AND body_text LIKE '%${marker}%'`)) >= 1,
    'a notification is queued');
});

test('ISO-8859-1 and Shift_JIS bodies and an encoded subject arrive as UTF-8', () => {
  const latin = `${uniq()}@client.example`;
  const l1 = Buffer.concat([Buffer.from([
    `From: =?iso-8859-1?q?J=F6rgen_=C5str=F6m?= <jorgen.${latin.slice(0, 8)}@example.net>`,
    'To: support@example.com', `Message-ID: <${latin}>`, 'Subject: =?iso-8859-1?q?R=E4kning_f=F6r_m=E5nad?=',
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: 8bit', '', ''].join('\r\n')),
  Buffer.from('Hej! Fakturan för maj är fel: 1 200 kr för mycket. Smörgåsbord.\r\n', 'latin1')]);
  ok(gate(l1, ['--to', 'support@example.com']), 'latin-1');
  const lm = messageOf(latin);
  assert.match(lm, /^\d+$/);
  assert.equal(one(`SELECT body FROM messages WHERE id = ${lm}`), 'Hej! Fakturan för maj är fel: 1 200 kr för mycket. Smörgåsbord.');
  const lt = inbound(latin).split('|')[2];
  assert.equal(one(`SELECT subject FROM tickets WHERE id = ${lt}`), 'Räkning för månad');
  assert.equal(one(`SELECT first_name || '|' || last_name FROM contacts c JOIN ticket_contacts x ON x.contact_id = c.id
    WHERE x.ticket_id = ${lt}`), 'Jörgen|Åström', 'a new contact named from the display name');

  const sjis = `${uniq()}@client.example`;
  // 日本語のテキストです。 in Shift_JIS
  const jp = Buffer.from('93fa967b8cea82cc8365834c8358836782c582b78142', 'hex');
  const m2 = Buffer.concat([Buffer.from([
    'From: Taro <taro@example.jp>', 'To: support@example.com', `Message-ID: <${sjis}>`, 'Subject: Shift_JIS',
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=Shift_JIS', 'Content-Transfer-Encoding: base64', '',
    jp.toString('base64'), ''].join('\r\n'))]);
  ok(gate(m2, ['--to', 'support@example.com']), 'shift_jis');
  assert.equal(one(`SELECT body FROM messages WHERE mail_message_id = '${sjis}'`), '日本語のテキストです。');
});

test('an HTML-only message is kept as safe text', () => {
  const id = `${uniq()}@client.example`;
  const text = message({
    From: 'grace@example.com', To: 'support@example.com', 'Message-ID': `<${id}>`, Subject: 'HTML only',
    'MIME-Version': '1.0', 'Content-Type': 'text/html; charset=utf-8',
  }, '<html><head><style>p{color:red}</style><script>alert(1)</script></head><body><p>Our <b>dashboard</b> is down.</p>'
    + '<p>See <a href="https://status.example.com/">the status page</a>.</p></body></html>');
  ok(gate(text, ['--to', 'support@example.com']), 'html');
  const body = psql(`SELECT body FROM messages WHERE mail_message_id = '${id}'`);
  assert.match(body, /Our dashboard is down\./);
  assert.match(body, /the status page \(https:\/\/status\.example\.com\/\)/);
  assert.doesNotMatch(body, /<|alert|color:red/, 'no markup, script or style');
});

test('a new sender becomes a contact of the company of their domain; the recipient may come from To', () => {
  const who = `new.${uniq()}@globex.example`;
  const m = plain({ from: `"Nils Holgersson" <${who.toUpperCase().replace('GLOBEX.EXAMPLE', 'globex.example')}>`, to: 'Support <SUPPORT@example.com>', subject: '' });
  ok(gate(m.text), 'no --to');
  const [outcome, , ticket] = inbound(m.id).split('|');
  assert.equal(outcome, 'stored');
  assert.equal(one(`SELECT c.email || '|' || c.first_name || '|' || c.last_name || '|' || c.primary_company_id
    FROM contacts c JOIN ticket_contacts x ON x.contact_id = c.id WHERE x.ticket_id = ${ticket}`), `${who}|Nils|Holgersson|3`);
  assert.equal(one(`SELECT subject FROM tickets WHERE id = ${ticket}`), '(no subject)');
  assert.equal(one(`SELECT string_agg(company_id::text, ',') FROM ticket_companies WHERE ticket_id = ${ticket}`), '3');
  // the confirmation goes to the sender without repeating their text (a forged From would make
  // us mail a stranger's words to whoever it names)
  const confirm = psql(`SELECT reply_to || '|' || body_text FROM mail_outbox WHERE ticket_id = ${ticket} AND email = 'ticket_created'
    AND lower(to_address) = '${who}'`);
  assert.match(confirm, new RegExp(`^support\\+t${ticket}-[0-9a-f]{16}@example\\.com\\|`), 'confirmed, with the signed Reply-To');
  assert.ok(!confirm.includes('Hello there.'), 'without the text of the mail');
});

test('mail to no connected address is dropped and logged', () => {
  const m = plain({ to: 'old-help@example.com' });
  const before = ticketsNow();
  ok(gate(m.text, ['--to', 'old-help@example.com']), 'dropped');
  assert.match(inbound(m.id), /^dropped\|no connected inbox address/);
  assert.equal(ticketsNow(), before);
});

test("a reply by the signed Reply-To token lands in the ticket's thread, quoted history cut; portal and console show it", async () => {
  const marker = `quokka${uniq()}`;
  const to = replyAddress('support@example.com', OPEN);
  const m = plain({
    to, subject: 'Re: your ticket', extra: { 'In-Reply-To': `<unknown-${uniq()}@elsewhere.example>` },
    body: `Thanks, that fixed it (${marker}).\n\nOn Mon, 2 Nov 2026 at 10:00, Acme Support <support@example.com> wrote:\n> Please try restarting.\n> Regards\n`,
  });
  const before = ticketsNow();
  ok(gate(m.text, ['--to', to]), 'reply');
  const [outcome, , ticket, msg] = inbound(m.id).split('|');
  assert.equal(outcome, 'stored');
  assert.equal(ticket, OPEN);
  assert.equal(ticketsNow(), before, 'no new ticket');
  assert.equal(one(`SELECT thread_id || '|' || body FROM messages WHERE id = ${msg}`), `${OPEN_THREAD}|Thanks, that fixed it (${marker}).`);
  assert.match(psql(`SELECT body_original FROM messages WHERE id = ${msg}`), /> Please try restarting\./, 'the whole text kept for agents');
  assert.ok(psql(`SELECT array_to_string(to_addresses, ',') FROM messages WHERE id = ${msg}`).split(',').includes('support@example.com'),
    'addressed to the connected address, so the portal shows it');

  const ada = await loggedIn('ada@example.com');
  const page = await ada.get(`/tickets/${OPEN}`);
  assert.ok(page.html.includes(`Thanks, that fixed it (${marker}).`), 'the portal ticket page shows the reply');
  assert.ok(!page.html.includes('Please try restarting'), 'without the quoted history');
  const agent = await staffLoggedIn('agent@example.com');
  const thread = (await agent.get(`/admin/inbox/${OPEN_THREAD}`)).html;
  assert.ok(thread.includes(marker), 'the console thread shows it');
  const li = thread.slice(thread.lastIndexOf('<li', thread.indexOf(marker)), thread.indexOf('</li>', thread.indexOf(marker)));
  assert.match(li, /<details class="original">[\s\S]*&gt; Please try restarting\./, 'and, folded, the whole message with its quoted history');
});

test('a forged token is not trusted: a new ticket, or dropped for an unknown sender when the inbox says so', () => {
  const forged = `support+t${OPEN}-0123456789abcdef@example.com`;
  const m = plain({ to: forged, subject: 'Forged' });
  ok(gate(m.text, ['--to', forged]), 'forged');
  const [outcome, reason, ticket] = inbound(m.id).split('|');
  assert.equal(outcome, 'stored');
  assert.match(reason, /forged/);
  assert.notEqual(ticket, OPEN, 'not the ticket the token names');
  assert.ok(Number(ticket) > MAX.tickets, 'a new ticket');

  psql("UPDATE inboxes SET unknown_senders = 'drop' WHERE id = 1");
  try {
    const stranger = plain({ from: `stranger.${uniq()}@example.org`, to: forged, subject: 'Forged' });
    const before = ticketsNow();
    ok(gate(stranger.text, ['--to', forged]), 'forged, unknown sender');
    assert.match(inbound(stranger.id), /^dropped\|unknown sender with a forged/);
    assert.equal(ticketsNow(), before);
    assert.equal(one(`SELECT count(*) FROM contacts WHERE id > ${MAX.contacts} AND email LIKE 'stranger.%'`), '0', 'no contact made');
  } finally {
    psql("UPDATE inboxes SET unknown_senders = 'ticket' WHERE id = 1");
  }
});

test('In-Reply-To naming a mail we sent threads the reply into its ticket', () => {
  const sent = `outbox-${uniq()}@example.com`;
  psql(`INSERT INTO mail_outbox (to_address, subject, body_text, status, sent_at, message_id, ticket_id, thread_id, email)
    VALUES ('ada@example.com', 'Re: ticket', 'agent reply', 'sent', now(), '${sent}', ${OPEN}, ${OPEN_THREAD}, 'agent_reply')`);
  const m = plain({ extra: { 'In-Reply-To': `<${sent}>`, References: `<older-${uniq()}@example.com> <${sent}>` }, subject: 'Re: ticket',
    body: 'Replying by the headers alone.' });
  ok(gate(m.text, ['--to', 'support@example.com']), 'in-reply-to');
  const [outcome, , ticket, msg] = inbound(m.id).split('|');
  assert.equal(outcome, 'stored');
  assert.equal(ticket, OPEN);
  assert.equal(one(`SELECT thread_id FROM messages WHERE id = ${msg}`), OPEN_THREAD);
  // and a reply to that reply (References naming a message that came in) threads the same way
  const m2 = plain({ extra: { References: `<${m.id}>` }, subject: 'Re: ticket', body: 'And one more thing.' });
  ok(gate(m2.text, ['--to', 'support@example.com']), 'references');
  assert.equal(inbound(m2.id).split('|')[2], OPEN);

  // a staff notification's Message-ID threads nothing (staff answer in the console)
  const staffMail = `staff-${uniq()}@example.com`;
  psql(`INSERT INTO mail_outbox (to_address, subject, body_text, status, sent_at, message_id, ticket_id, thread_id, email)
    VALUES ('agent@example.com', 'New ticket', 'x', 'sent', now(), '${staffMail}', ${OPEN}, ${OPEN_THREAD}, 'staff_new_ticket')`);
  const m3 = plain({ extra: { 'In-Reply-To': `<${staffMail}>` }, subject: 'Re: New ticket', body: 'Through a staff mail.' });
  ok(gate(m3.text, ['--to', 'support@example.com']), 'staff mail id');
  assert.notEqual(inbound(m3.id).split('|')[2], OPEN, 'not threaded by a staff notification');
});

test("a valid token or Message-ID in someone else's hands never writes into that ticket: a new ticket of their own", () => {
  const before = Number(one(`SELECT count(*) FROM messages WHERE thread_id = ${OPEN_THREAD}`));
  const outsider = `outsider.${uniq()}@example.org`;
  const to = replyAddress('support@example.com', OPEN);
  const byToken = plain({ from: outsider, to, subject: 'Re: forwarded notification' });
  ok(gate(byToken.text, ['--to', to]), 'token, unrelated sender');
  const [outcome, reason, ticket] = inbound(byToken.id).split('|');
  assert.equal(outcome, 'stored');
  assert.equal(reason, 'a new ticket');
  assert.notEqual(ticket, OPEN);
  assert.equal(one(`SELECT c.email FROM ticket_contacts x JOIN contacts c ON c.id = x.contact_id WHERE x.ticket_id = ${ticket}`), outsider);

  const known = one(`SELECT mail_message_id FROM messages WHERE thread_id = ${OPEN_THREAD} AND mail_message_id IS NOT NULL LIMIT 1`);
  assert.ok(known, 'the ticket has a message that came by mail');
  const byHeader = plain({ from: outsider, extra: { References: `<${known}>` }, subject: 'Re: guessed' });
  ok(gate(byHeader.text, ['--to', 'support@example.com']), 'header, unrelated sender');
  assert.notEqual(inbound(byHeader.id).split('|')[2], OPEN);
  assert.equal(Number(one(`SELECT count(*) FROM messages WHERE thread_id = ${OPEN_THREAD}`)), before, 'nothing added to the ticket');
});

test('noise and loops never open tickets: a bounce, an auto-reply, bulk mail, our own notification', () => {
  const before = ticketsNow(), outbox = Number(one('SELECT coalesce(max(id), 0) FROM mail_outbox'));
  const b = `r-${uniq()}`;
  const bounce = `${uniq()}@mx.example`;
  const dsn = message({
    From: 'Mail Delivery System <MAILER-DAEMON@mx.example.net>', To: 'support@example.com', Subject: 'Undelivered Mail Returned to Sender',
    'Message-ID': `<${bounce}>`, 'MIME-Version': '1.0', 'Content-Type': `multipart/report; report-type=delivery-status; boundary="${b}"`,
  }, [`--${b}`, 'Content-Type: text/plain', '', 'Your message could not be delivered.', `--${b}`, 'Content-Type: message/delivery-status', '',
    'Reporting-MTA: dns; mx.example.net', '', 'Final-Recipient: rfc822; nobody@example.org', 'Action: failed', 'Status: 5.1.1', `--${b}--`, ''].join('\n'));
  ok(gate(dsn, ['--to', 'support@example.com']), 'bounce');
  assert.match(inbound(bounce), /^dropped\|a bounce/);

  const auto = plain({ subject: 'Out of office', extra: { 'Auto-Submitted': 'auto-replied' } });
  ok(gate(auto.text, ['--to', 'support@example.com']), 'auto-reply');
  assert.match(inbound(auto.id), /^dropped\|Auto-Submitted: auto-replied/);

  const bulk = plain({ subject: 'Newsletter', extra: { Precedence: 'bulk' } });
  ok(gate(bulk.text, ['--to', 'support@example.com']), 'bulk');
  assert.match(inbound(bulk.id), /^dropped\|Precedence: bulk/);

  const human = plain({ subject: 'Not automatic', extra: { 'Auto-Submitted': 'no' }, body: 'Auto-Submitted: no is a person.' });
  ok(gate(human.text, ['--to', 'support@example.com']), 'auto-submitted no');
  assert.match(inbound(human.id), /^stored/, 'Auto-Submitted: no is a person writing');

  const ours = plain({ from: 'Acme Support <support@example.com>', to: 'ada@example.com, support@example.com',
    extra: { 'X-Portal-Notification': 'agent_reply' } });
  ok(gate(ours.text, ['--to', 'support@example.com']), 'our notification');
  assert.match(inbound(ours.id), /^dropped\|our own notification/);

  const echo = `echo-${uniq()}@example.com`;
  psql(`INSERT INTO mail_outbox (to_address, subject, body_text, status, sent_at, message_id)
    VALUES ('someone@example.org', 'x', 'x', 'sent', now(), '${echo}')`);
  const back = plain({ from: `someone.${uniq()}@example.org`, id: echo });
  ok(gate(back.text, ['--to', 'support@example.com']), 'our Message-ID');
  assert.match(inbound(echo), /^dropped\|our own notification \(its Message-ID/);

  // an agent answering a staff notification by email: not taken as the customer's words
  const agentReply = plain({ from: 'Agent <AGENT@example.com>', subject: 'Re: New ticket', extra: { 'In-Reply-To': `<${echo}>` } });
  ok(gate(agentReply.text, ['--to', 'support@example.com']), 'a staff user');
  assert.match(inbound(agentReply.id), /^dropped\|sent by a staff user/);

  // a bounce whose From holds no address at all; a null sender; mailing-list mail
  const daemon = `${uniq()}@mx.example`;
  const bare = message({ From: 'MAILER-DAEMON', To: 'support@example.com', Subject: 'failure notice', 'Message-ID': `<${daemon}>` },
    'Hi. This is the qmail-send program. I am afraid I was unable to deliver your message.');
  ok(gate(bare, ['--to', 'support@example.com']), 'bounce without an address');
  assert.match(inbound(daemon), /^dropped\|a bounce/);
  const nul = plain({ subject: 'Automatic answer', extra: { 'Return-Path': '<>' } });
  ok(gate(nul.text, ['--to', 'support@example.com']), 'null sender');
  assert.match(inbound(nul.id), /^dropped\|a null sender/);
  const list = plain({ subject: '[users] Digest', extra: { 'List-Id': 'Users <users.lists.example.org>' } });
  ok(gate(list.text, ['--to', 'support@example.com']), 'list mail');
  assert.match(inbound(list.id), /^dropped\|mailing list mail/);

  assert.equal(ticketsNow(), before + 1, 'only the person opened a ticket');
  assert.equal(one(`SELECT count(*) FROM mail_outbox WHERE id > ${outbox}
    AND (body_text LIKE '%could not be delivered%' OR body_text LIKE '%Out of office%')`), '0', 'and nothing notified');
});

test('the same message twice is stored once, exit 0 both times; one without a Message-ID gets one from its bytes', () => {
  const m = plain({ subject: 'Twice', body: `Sent twice ${uniq()}` });
  ok(gate(m.text, ['--to', 'support@example.com']), 'first');
  ok(gate(m.text, ['--to', 'support@example.com']), 'second');
  assert.equal(one(`SELECT count(*) FROM messages WHERE mail_message_id = '${m.id}'`), '1');
  assert.equal(psql(`SELECT outcome FROM mail_inbound WHERE message_id = '${m.id}' ORDER BY id`), 'stored\nduplicate');

  const body = `No id ${uniq()}`;
  const noid = message({ From: 'ada@example.com', To: 'support@example.com', Subject: 'No id' }, body);
  ok(gate(noid, ['--to', 'support@example.com']), 'no id, first');
  ok(gate(noid, ['--to', 'support@example.com']), 'no id, again');
  const sha = createHash('sha256').update(noid).digest('hex');
  assert.equal(one(`SELECT count(*) FROM messages WHERE body = '${body}'`), '1');
  assert.equal(one(`SELECT mail_message_id FROM messages WHERE body = '${body}'`), `sha256-${sha}@portal-mailgate.invalid`);
});

test('over the size limit and malformed messages are refused with 65 and logged', () => {
  const small = path.join(VAR, 'portal-small.json');
  const cfg = JSON.parse(readFileSync(CONFIG, 'utf8'));
  cfg.limits = { ...cfg.limits, max_mail_mb: 1 };
  writeFileSync(small, JSON.stringify(cfg), { mode: 0o640 });
  if (process.getuid() === 0) execFileSync('chgrp', ['www-data', small]); // as the real config
  const big = plain({ subject: 'Big', body: 'x'.repeat(1024 * 1024 + 10) });
  const r = gate(big.text, ['--to', 'support@example.com'], small);
  assert.equal(r.status, 65, r.stderr);
  assert.match(r.stderr, /too large/);
  const row = one(`SELECT outcome || '|' || size_bytes FROM mail_inbound WHERE reason LIKE 'too large%' ORDER BY id DESC LIMIT 1`);
  assert.equal(row, `refused|${Buffer.byteLength(big.text)}`);
  assert.equal(one(`SELECT count(*) FROM messages WHERE mail_message_id = '${big.id}'`), '0');

  const bad = gate('this is not a message at all\n', ['--to', 'support@example.com']);
  assert.equal(bad.status, 65, bad.stderr);
  assert.match(one("SELECT outcome || '|' || reason FROM mail_inbound ORDER BY id DESC LIMIT 1"), /^refused\|malformed/);
});

test('a sender over the rate limit is dropped; only stored messages count', () => {
  const who = `flood.${uniq()}@example.org`;
  // what was dropped (a forged From flooding us with noise, say) does not silence the address
  psql(`INSERT INTO mail_inbound (via, sender, recipient, outcome, reason)
    SELECT 'gateway', '${who}', 'support@example.com', 'dropped', 'test' FROM generate_series(1, 40)`);
  const first = plain({ from: who });
  ok(gate(first.text, ['--to', 'support@example.com']), 'not limited by drops');
  assert.match(inbound(first.id), /^stored/);
  psql(`INSERT INTO mail_inbound (via, sender, recipient, outcome, reason)
    SELECT 'gateway', '${who}', 'support@example.com', 'stored', 'test' FROM generate_series(1, 29)`);
  const m = plain({ from: who });
  const before = ticketsNow();
  ok(gate(m.text, ['--to', 'support@example.com']), 'rate limited');
  assert.match(inbound(m.id), /^dropped\|rate limit/);
  assert.equal(ticketsNow(), before);
});

test('a reply to a closed ticket reopens it within the window, else opens a follow-up', async () => {
  psql(`UPDATE tickets SET stage_id = (SELECT id FROM pipeline_stages WHERE pipeline_id = tickets.pipeline_id AND is_closed LIMIT 1),
    closed_at = greatest(created_at, now() - interval '1 day') WHERE id = ${CLOSED}`);
  const to = replyAddress('support@example.com', CLOSED);
  const m = plain({ to, subject: 'Re: closed', body: 'It broke again.' });
  ok(gate(m.text, ['--to', to]), 'reopen');
  assert.match(inbound(m.id), new RegExp(`^stored\\|a reply that reopened ticket ${CLOSED}\\|${CLOSED}\\|`));
  assert.equal(one(`SELECT s.is_closed || '|' || (t.closed_at IS NULL) || '|' || s.position FROM tickets t
    JOIN pipeline_stages s ON s.id = t.stage_id WHERE t.id = ${CLOSED}`), 'false|true|1', 'in the first open stage');
  assert.equal(one(`SELECT count(*) FROM engagements WHERE ticket_id = ${CLOSED} AND kind = 'ticket_reopened'`), '1', 'on the timeline');

  // closed again, and customers may not reopen: a follow-up ticket naming it
  psql(`UPDATE tickets SET stage_id = (SELECT id FROM pipeline_stages WHERE pipeline_id = tickets.pipeline_id AND is_closed LIMIT 1),
    closed_at = now() WHERE id = ${CLOSED}; UPDATE portals SET customer_reopen = false WHERE id = 1`);
  try {
    const f = plain({ to, subject: 'Re: closed', body: 'Still broken.' });
    ok(gate(f.text, ['--to', to]), 'follow-up');
    const [outcome, reason, ticket] = inbound(f.id).split('|');
    assert.equal(outcome, 'stored');
    assert.match(reason, /follow-up/);
    assert.notEqual(ticket, CLOSED);
    assert.equal(one(`SELECT follow_up_of || '|' || (description LIKE '%#${CLOSED}%') FROM tickets WHERE id = ${ticket}`), `${CLOSED}|true`);
    assert.equal(one(`SELECT closed_at IS NOT NULL FROM tickets WHERE id = ${CLOSED}`), 't', 'the closed ticket stays closed');
    const ada = await loggedIn('ada@example.com');
    assert.ok((await ada.get(`/tickets/${ticket}`)).html.includes('Still broken.'), 'Ada sees the follow-up');
  } finally {
    psql('UPDATE portals SET customer_reopen = true WHERE id = 1');
  }
  // closed longer ago than the window: a follow-up as well
  psql(`UPDATE tickets SET closed_at = greatest(created_at, now() - interval '30 days') WHERE id = ${CLOSED}`);
  const late = plain({ to, subject: 'Re: closed', body: 'Months later.' });
  ok(gate(late.text, ['--to', to]), 'late');
  assert.match(inbound(late.id), /^stored\|a follow-up/);
});

test('attachments over the upload limits (10 files, 10 MB each) are left out and the message says so; --via imap is logged', async () => {
  const b = `b-${uniq()}`;
  const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0x61);
  const parts = [`--${b}`, 'Content-Type: text/plain; charset=utf-8', '', 'Twelve files.'];
  parts.push(`--${b}`, 'Content-Type: application/octet-stream', 'Content-Disposition: attachment; filename="huge.bin"',
    'Content-Transfer-Encoding: base64', '', big.toString('base64').replace(/.{76}/g, '$&\n'));
  for (let i = 1; i <= 11; i++) {
    parts.push(`--${b}`, 'Content-Type: text/plain', `Content-Disposition: attachment; filename="note-${String(i).padStart(2, '0')}.txt"`,
      '', `note ${i}`);
  }
  parts.push(`--${b}--`, '');
  const id = `${uniq()}@client.example`;
  const text = message({ From: 'ada@example.com', To: 'support@example.com', Subject: 'Many files', 'Message-ID': `<${id}>`,
    'MIME-Version': '1.0', 'Content-Type': `multipart/mixed; boundary="${b}"` }, parts.join('\n'));
  ok(gate(text, ['--to', 'support@example.com', '--via', 'imap']), 'many files');
  const msg = messageOf(id);
  assert.equal(psql(`SELECT string_agg(file_name, ',' ORDER BY file_name) FROM attachments WHERE message_id = ${msg}`),
    Array.from({ length: 10 }, (_, i) => `note-${String(i + 1).padStart(2, '0')}.txt`).join(','), 'the first ten that fit');
  const body = psql(`SELECT body FROM messages WHERE id = ${msg}`);
  assert.match(body, /^Twelve files\.\n\n\[Attachments left out, over the upload limits \(10 × 10 MB\): huge\.bin \(10241 KB\), note-11\.txt \(1 KB\)\]$/);
  assert.equal(one(`SELECT via FROM mail_inbound WHERE message_id = '${id}'`), 'imap');
});
