// ticket_cc.test.mjs - copying colleagues in (CC) from outside: the cc field of the support form
// and of the reply form (new contacts, role cc), "Shared with me", a CC replying and getting the
// agent's reply by mail, validation (422, input kept, nothing stored), the requester removing a
// CC (then 404 on the ticket, its reply and its downloads), who may not remove, another company's
// customer, the switch off (no field; a posted cc is ignored), and the Cc of a mail that opens a
// ticket.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { psql, VAR, BASE } from '../lib/stack.mjs';
import { Client, csrfOf, loggedIn, staffLoggedIn } from '../lib/client.mjs';
import { auditMark, oneAudit } from '../lib/audit.mjs';
import { waitForMail, linkPath } from '../lib/mail.mjs';
import { gate, plain, replyAddress } from '../lib/mailgate.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const ids = (html) => [...html.matchAll(/<td data-label="ID">#(\d+)<\/td>/g)].map((m) => m[1]);
const nonceOf = (html) => /name="nonce" value="([A-Za-z0-9_-]{43})"/.exec(html)[1];
const MAX = Object.fromEntries(['tickets', 'contacts', 'messages', 'threads', 'engagements', 'mail_outbox']
  .map((t) => [t, Number(one(`SELECT coalesce(max(id), 0) FROM ${t}`))]));

const SAVED_CC = one('SELECT customer_cc || \' \' || cc_same_domain FROM portals WHERE id = 1').split(' ');
after(() => {
  psql(`UPDATE portals SET customer_cc = ${SAVED_CC[0]}, cc_same_domain = ${SAVED_CC[1]} WHERE id = 1;
    DELETE FROM engagements WHERE id > ${MAX.engagements};
    DELETE FROM mail_outbox WHERE id > ${MAX.mail_outbox};
    DELETE FROM messages WHERE id > ${MAX.messages};
    DELETE FROM threads WHERE id > ${MAX.threads};
    DELETE FROM tickets WHERE id > ${MAX.tickets};
    DELETE FROM contacts WHERE id > ${MAX.contacts};`);
});

const switches = (cc, sameDomain = false) =>
  psql(`UPDATE portals SET customer_cc = ${cc}, cc_same_domain = ${sameDomain} WHERE id = 1`);
const role = (ticket, email) => one(`SELECT coalesce((SELECT x.role FROM ticket_contacts x JOIN contacts c ON c.id = x.contact_id
  WHERE x.ticket_id = ${ticket} AND lower(c.email) = lower('${email}')), 'none')`);
const ccCount = (ticket) => Number(one(`SELECT count(*) FROM ticket_contacts WHERE ticket_id = ${ticket} AND role = 'cc'`));
const ticketCount = () => Number(one('SELECT count(*) FROM tickets'));

/* The support form, GET then POST with its csrf and nonce. */
async function newTicket(client, fields) {
  const page = await client.get('/tickets/new');
  assert.equal(page.status, 200);
  return client.post('/tickets/new', { csrf: csrfOf(page.html), nonce: nonceOf(page.html),
    subject: `CC test ${uniq()}`, description: 'Please look at this.', ...fields });
}
const idOf = (res) => /^\/tickets\/(\d+)$/.exec(res.headers.get('location'))[1];

/* A reply POST as the browser sends it (multipart), with a fresh nonce. */
async function reply(client, id, fields = {}) {
  const page = await client.get(`/tickets/${id}`);
  const csrf = page.status === 200 ? csrfOf(page.html) : csrfOf((await client.get('/tickets')).html);
  const fd = new FormData();
  fd.append('csrf', csrf);
  fd.append('nonce', 'c' + createHash('sha256').update(String(Math.random())).digest('base64url').slice(0, 42));
  for (const [k, v] of Object.entries({ body: 'a reply', ...fields })) fd.append(k, v);
  const r = await fetch(`${BASE}/tickets/${id}/reply`, { method: 'POST', body: fd, redirect: 'manual',
    headers: { cookie: client.cookieHeader() } });
  r.html = await r.text();
  return r;
}

/* A file on a public message of the ticket's latest thread. */
function attachFile(id) {
  const content = `cc file of ticket ${id} ${uniq()}\n`;
  const sha = createHash('sha256').update(content).digest('hex');
  const th = one(`SELECT ticket_latest_thread(${id})`);
  const msg = one(`INSERT INTO messages (thread_id, direction, kind, body) VALUES (${th}, 'outgoing', 'message', 'file for you') RETURNING id`);
  const att = one(`INSERT INTO attachments (message_id, file_name, content_type, size_bytes, sha256) VALUES (${msg}, 'cc.txt', 'text/plain', ${content.length}, '${sha}') RETURNING id`);
  const dir = path.join(VAR, 'files', sha.slice(0, 2));
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, sha), content, { mode: 0o644 });
  return `/files/${att}/cc.txt`;
}

/* Sign in through the signed link of a notification (GET shows the button, POST signs in). */
async function openLink(href) {
  const c = new Client();
  const page = await c.get(href);
  assert.equal(page.status, 200, `the link ${href} shows its button`);
  const t = /name="t" value="([^"]+)"/.exec(page.html)[1];
  const ticket = /^\/tickets\/(\d+)\/open/.exec(href)[1];
  const use = await c.post(`/tickets/${ticket}/open`, { csrf: csrfOf(page.html), t });
  assert.equal(use.status, 303, 'the link signs the CC in');
  return c;
}

test('CC on the support form: a new contact (lowercased) and a colleague become CCs, see it under "Shared with me", may reply and get the agent reply', async () => {
  switches(true);
  const ada = await loggedIn('ada@example.com');
  const form = await ada.get('/tickets/new');
  assert.match(form.html, /<label for="cc">Copy in colleagues \(optional\)<\/label>/);
  assert.match(form.html, /<input id="cc" name="cc" type="text"/);
  const u = uniq();
  const fresh = `cc-${u}@example.com`;
  assert.equal(one(`SELECT count(*) FROM contacts WHERE lower(email) = '${fresh}'`), '0');
  const res = await newTicket(ada, { cc: `CC-${u}@Example.com, grace@example.com,grace@example.com` });
  assert.equal(res.status, 303);
  const id = idOf(res);
  assert.equal(one(`SELECT email FROM contacts WHERE lower(email) = '${fresh}'`), fresh, 'a new contact, lowercased');
  assert.equal(role(id, fresh), 'cc');
  assert.equal(role(id, 'grace@example.com'), 'cc');
  assert.equal(role(id, 'ada@example.com'), 'requester');
  assert.equal(ccCount(id), 2, 'the repeated address once');
  assert.equal(one(`SELECT count(*) FROM engagements WHERE ticket_id = ${id} AND kind = 'cc_added'`), '2', 'on the timeline');

  // the ticket page lists who is copied in; the requester has the Remove buttons
  const page = await ada.get(`/tickets/${id}`);
  assert.match(page.html, /<h2 id="cc-h">Copied in<\/h2>/);
  const ccList = page.html.slice(page.html.indexOf('<ul class="cc-list">'), page.html.indexOf('</ul>', page.html.indexOf('<ul class="cc-list">')));
  assert.ok(ccList.includes(fresh) && ccList.includes('grace@example.com'));
  assert.ok(!ccList.includes('Grace Hopper'), 'the address alone: the page never tells whose an address is');
  assert.match(page.html, new RegExp(`action="/tickets/${id}/cc/2/remove"`));

  // Grace: under "Shared with me", not under "My tickets"; no Remove for her
  const grace = await loggedIn('grace@example.com');
  const shared = await grace.get('/tickets?view=shared&status=all');
  assert.match(shared.html, /<h1 id="tk-h">Shared with me<\/h1>/);
  assert.ok(ids(shared.html).includes(id), 'listed under Shared with me');
  assert.ok(!ids((await grace.get(`/tickets?status=all&q=${id}`)).html).includes(id), 'not under My tickets');
  assert.ok(!ids((await ada.get(`/tickets?view=shared&status=all&q=${id}`)).html).includes(id), "not in the requester's shared view");
  assert.ok(ids((await ada.get(`/tickets?status=all&q=${id}`)).html).includes(id), "in the requester's own view");
  const gpage = await grace.get(`/tickets/${id}`);
  assert.equal(gpage.status, 200);
  assert.doesNotMatch(gpage.html, /\/cc\/\d+\/remove/, 'only the requester removes');
  // filters and search work in the shared view
  assert.ok(!ids((await grace.get(`/tickets?view=shared&status=closed`)).html).includes(id), 'open, not under closed');
  assert.ok(ids((await grace.get(`/tickets?view=shared&q=${id}`)).html).includes(id), 'search by ID');

  // Grace may reply
  const r = await reply(grace, id, { body: `Grace answers ${u}` });
  assert.equal(r.status, 303);
  assert.equal(one(`SELECT count(*) FROM messages m JOIN threads th ON th.id = m.thread_id
    WHERE th.ticket_id = ${id} AND m.author_contact_id = 2 AND m.body = 'Grace answers ${u}'`), '1');

  // the agent's reply reaches every CC, with a link that opens the ticket for them
  const agent = await staffLoggedIn('agent@example.com');
  const th = one(`SELECT ticket_latest_thread(${id})`);
  const tp = await agent.get(`/admin/inbox/${th}`);
  const nonce = new RegExp(`action="/admin/inbox/${th}/reply"[\\s\\S]*?name="nonce" value="([A-Za-z0-9_-]{43})"`).exec(tp.html)[1];
  const marker = `agent-${u}`;
  assert.equal((await agent.post(`/admin/inbox/${th}/reply`, { csrf: csrfOf(tp.html), nonce, body: `Hello all ${marker}` })).status, 303);
  const mail = await waitForMail(fresh, (m) => (m.text || '').includes(marker));
  await waitForMail('grace@example.com', (m) => (m.text || '').includes(marker));
  await waitForMail('ada@example.com', (m) => (m.text || '').includes(marker));
  const href = linkPath(mail);
  assert.match(href, new RegExp(`^/tickets/${id}/open\\?t=`));
  const newcomer = await openLink(href);
  assert.equal((await newcomer.get(`/tickets/${id}`)).status, 200);
  assert.ok(ids((await newcomer.get('/tickets?view=shared')).html).includes(id), 'the new contact sees it as shared');
  assert.deepEqual(ids((await newcomer.get('/tickets?status=all')).html), [], 'and has no tickets of their own');
});

test('CC on a reply: the address becomes a CC of the ticket in the same transaction as the reply', async () => {
  switches(true);
  const ada = await loggedIn('ada@example.com');
  const id = idOf(await newTicket(ada, {}));
  assert.equal(ccCount(id), 0);
  const page = await ada.get(`/tickets/${id}`);
  assert.match(page.html, /<input id="cc" name="cc" type="text"/, 'the reply form has the field');
  const u = uniq();
  const r = await reply(ada, id, { body: `with a colleague ${u}`, cc: `new-${u}@Northwind.example` });
  assert.equal(r.status, 303);
  assert.equal(role(id, `new-${u}@northwind.example`), 'cc');
  assert.equal(one(`SELECT primary_company_id FROM contacts WHERE email = 'new-${u}@northwind.example'`), '1', 'the company of its domain');
  assert.equal(one(`SELECT detail->>'cc' FROM audit_log WHERE action = 'reply' AND detail->>'ticket_id' = '${id}' ORDER BY id DESC LIMIT 1`), '1');
});

test('validation: a bad address, 11 CCs, the requester, another domain with cc_same_domain: 422, input kept, nothing stored', async () => {
  switches(true);
  const ada = await loggedIn('ada@example.com');
  const before = ticketCount(), contacts = one('SELECT count(*) FROM contacts');
  const bad = await newTicket(ada, { cc: 'grace@example.com, not-an-address' });
  assert.equal(bad.status, 422);
  assert.match(bad.html, /This is not a valid email address: not-an-address/);
  assert.match(bad.html, /value="grace@example.com, not-an-address" aria-describedby="cc-hint cc-error" aria-invalid="true"/);
  const eleven = Array.from({ length: 11 }, (_, i) => `p${i}-${uniq()}@example.com`).join(', ');
  const many = await newTicket(ada, { cc: eleven });
  assert.equal(many.status, 422);
  assert.match(many.html, /At most 10 people can be copied in on a ticket\./);
  assert.ok(many.html.includes(`value="${eleven}"`), 'input kept');
  const self = await newTicket(ada, { cc: 'ADA@example.com' });
  assert.equal(self.status, 422);
  assert.match(self.html, /This is the address of the person the ticket is for/);
  switches(true, true);
  const hint = await ada.get('/tickets/new');
  assert.match(hint.html, /Only addresses at this domain can be copied in: northwind.example/, "Ada's company domain");
  const other = await newTicket(ada, { cc: 'margaret.hamilton@northwind.example, linus@example.org' });
  assert.equal(other.status, 422);
  assert.match(other.html, /Only addresses of your company(&#39;|&#x27;|')s domain can be copied in, not: linus@example.org/);
  assert.equal(ticketCount(), before, 'no ticket stored');
  assert.equal(one('SELECT count(*) FROM contacts'), contacts, 'no contact made');
  // the same rule passes for the company's domain
  const ok = await newTicket(ada, { cc: 'margaret.hamilton@northwind.example' });
  assert.equal(ok.status, 303);
  assert.equal(role(idOf(ok), 'margaret.hamilton@northwind.example'), 'cc');
  switches(true);

  // the reply form: 10 in all per ticket, counting the ones it has; a bad one stores no reply
  const id = idOf(await newTicket(ada, { cc: Array.from({ length: 9 }, (_, i) => `q${i}-${uniq()}@example.com`).join(',') }));
  assert.equal(ccCount(id), 9);
  const messages = one(`SELECT count(*) FROM messages m JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = ${id}`);
  const over = await reply(ada, id, { body: 'two more', cc: `x-${uniq()}@example.com, y-${uniq()}@example.com` });
  assert.equal(over.status, 422);
  assert.match(over.html, /At most 10 people can be copied in on a ticket\./);
  assert.match(over.html, />two more<\/textarea>/, 'the reply text kept');
  const wrong = await reply(ada, id, { body: 'bad cc', cc: 'nope@' });
  assert.equal(wrong.status, 422);
  assert.match(wrong.html, /value="nope@"/);
  assert.equal(one(`SELECT count(*) FROM messages m JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = ${id}`), messages, 'no reply stored');
  assert.equal(ccCount(id), 9);
  assert.equal((await reply(ada, id, { body: 'one more', cc: `z-${uniq()}@example.com` })).status, 303, 'the tenth fits');
  assert.equal(ccCount(id), 10);
});

test('the requester removes a CC: that contact then gets 404 on the ticket, its reply and its downloads; others cannot remove', async () => {
  switches(true);
  const ada = await loggedIn('ada@example.com');
  const grace = await loggedIn('grace@example.com'); // Ada's colleague: sees it through the company, no CC
  const linus = await loggedIn('linus@example.org'); // another company (Initech)
  const id = idOf(await newTicket(ada, { cc: 'margaret.hamilton@northwind.example' }));
  const file = attachFile(id);
  // another company's customer: 404 on everything, removal included
  assert.equal((await linus.get(`/tickets/${id}`)).status, 404, "another company's customer");
  assert.equal((await linus.get(file)).status, 404);
  assert.equal((await reply(linus, id)).status, 404);
  const margaret = one(`SELECT id FROM contacts WHERE email = 'margaret.hamilton@northwind.example'`);
  const lr = await linus.post(`/tickets/${id}/cc/${margaret}/remove`, { csrf: csrfOf((await linus.get('/tickets')).html) });
  assert.equal(lr.status, 404, "another company's customer cannot even find it");
  // Ada copies Linus in with a reply: now he sees it, answers it and downloads its files
  assert.equal((await reply(ada, id, { body: 'Linus, please help', cc: 'linus@example.org' })).status, 303);
  assert.equal(role(id, 'linus@example.org'), 'cc');
  assert.equal((await linus.get(`/tickets/${id}`)).status, 200);
  assert.equal((await linus.get(file)).status, 200, 'the CC downloads its files');
  assert.equal((await reply(linus, id, { body: 'Linus here' })).status, 303);
  // neither a CC nor a colleague who sees the ticket may remove anyone
  const l = await linus.post(`/tickets/${id}/cc/${margaret}/remove`, { csrf: csrfOf((await linus.get(`/tickets/${id}`)).html) });
  assert.equal(l.status, 403);
  const g = await grace.post(`/tickets/${id}/cc/3/remove`, { csrf: csrfOf((await grace.get(`/tickets/${id}`)).html) });
  assert.equal(g.status, 403);
  assert.doesNotMatch((await grace.get(`/tickets/${id}`)).html, /\/cc\/\d+\/remove/, 'no Remove button for her');
  assert.equal(role(id, 'margaret.hamilton@northwind.example'), 'cc');
  assert.equal(role(id, 'linus@example.org'), 'cc');
  // without CSRF: refused
  assert.equal((await ada.post(`/tickets/${id}/cc/3/remove`, {})).status, 403);
  assert.equal(role(id, 'linus@example.org'), 'cc');

  const mark = auditMark();
  const r = await ada.post(`/tickets/${id}/cc/3/remove`, { csrf: csrfOf((await ada.get(`/tickets/${id}`)).html) });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), `/tickets/${id}#cc`);
  assert.equal(role(id, 'linus@example.org'), 'none');
  oneAudit(mark, { action: 'ticket_cc_removed', actor_kind: 'member', detail: { ticket_id: Number(id), contact_id: 3 } });
  assert.equal(one(`SELECT count(*) FROM engagements WHERE ticket_id = ${id} AND kind = 'cc_removed' AND contact_id = 3`), '1');
  assert.equal((await linus.get(`/tickets/${id}`)).status, 404, 'the ticket');
  assert.equal((await reply(linus, id, { body: 'still here?' })).status, 404, 'its reply');
  assert.equal((await linus.get(file)).status, 404, 'its download');
  assert.ok(!ids((await linus.get('/tickets?view=shared&status=all')).html).includes(id));
  // nor by email: his answer to a notification he got while copied in (he wrote in the ticket
  // before) opens a ticket of his own
  const to = replyAddress('support@example.com', id);
  const before = Number(one(`SELECT count(*) FROM messages m JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = ${id}`));
  const mail = plain({ from: 'Linus <linus@example.org>', to, subject: 'Re: still here' });
  assert.equal(gate(mail.text, ['--to', to]).status, 0);
  assert.notEqual(one(`SELECT coalesce(ticket_id, 0) FROM mail_inbound WHERE message_id = '${mail.id}'`), String(id));
  assert.equal(Number(one(`SELECT count(*) FROM messages m JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = ${id}`)), before,
    'nothing added to the ticket he was removed from');
  // a second removal, or of someone who is no CC: 404
  assert.equal((await ada.post(`/tickets/${id}/cc/3/remove`, { csrf: csrfOf((await ada.get(`/tickets/${id}`)).html) })).status, 404);
  assert.equal((await ada.post(`/tickets/${id}/cc/1/remove`, { csrf: csrfOf((await ada.get(`/tickets/${id}`)).html) })).status, 404, 'not the requester herself');
  assert.equal(role(id, 'ada@example.com'), 'requester');
});

test('"Shared with me" has its empty state', async () => {
  const linus = await loggedIn('linus@example.org');
  const r = await linus.get('/tickets?view=shared');
  assert.equal(r.status, 200);
  assert.match(r.html, /No tickets are shared with you\./);
  assert.match(r.html, /<a href="\/tickets\?view=shared" aria-current="page">Shared with me<\/a>/);
  assert.match(r.html, /<input type="hidden" name="view" value="shared">/, 'the filters stay in the view');
});

test('switched off: no cc field on either form, and a posted cc is ignored (the ticket and reply are stored without CCs)', async () => {
  switches(false);
  try {
    const ada = await loggedIn('ada@example.com');
    assert.doesNotMatch((await ada.get('/tickets/new')).html, /name="cc"/);
    const res = await newTicket(ada, { cc: 'grace@example.com' });
    assert.equal(res.status, 303);
    const id = idOf(res);
    assert.equal(ccCount(id), 0, 'ignored');
    assert.doesNotMatch((await ada.get(`/tickets/${id}`)).html, /name="cc"/);
    assert.equal((await reply(ada, id, { cc: 'grace@example.com' })).status, 303);
    assert.equal(ccCount(id), 0);
  } finally {
    switches(true);
  }
});

test('a mail that opens a ticket: its Cc become CCs (not our address, not the sender); switched off, none', async () => {
  switches(true);
  const u = uniq();
  const colleague = `mailcc-${u}@example.com`;
  const m = plain({ subject: `Mail with Cc ${u}`, extra: { Cc: `Colleague <${colleague.toUpperCase()}>, support@example.com, ada@example.com` } });
  const g = gate(m.text);
  assert.equal(g.status, 0, g.stderr);
  const id = one(`SELECT ticket_id FROM mail_inbound WHERE message_id = '${m.id}'`);
  assert.ok(Number(id) > 0);
  assert.equal(role(id, colleague), 'cc', 'the Cc address, lowercased, a new contact');
  assert.equal(role(id, 'support@example.com'), 'none', 'never our own address');
  assert.equal(role(id, 'ada@example.com'), 'requester', 'the sender stays the requester');
  assert.equal(ccCount(id), 1);
  // a reply by the CC'd contact lands in the ticket (they are one of its contacts)
  const re = plain({ from: colleague, to: replyAddress('support@example.com', id), subject: `Re: Mail with Cc ${u}`,
    body: `cc answers ${u}` });
  assert.equal(gate(re.text).status, 0);
  assert.equal(one(`SELECT ticket_id FROM mail_inbound WHERE message_id = '${re.id}'`), id, "the CC's mail is a reply in the ticket");
  // the Cc of an emailed reply is copied in the same way, as the reply form's cc field
  const third = `mailcc2-${u}@example.com`;
  const re2 = plain({ to: replyAddress('support@example.com', id), subject: `Re: Mail with Cc ${u}`, body: `adding one ${u}`,
    extra: { Cc: `${third}, ${colleague}` } });
  assert.equal(gate(re2.text).status, 0);
  assert.equal(one(`SELECT ticket_id FROM mail_inbound WHERE message_id = '${re2.id}'`), id);
  assert.equal(role(id, third), 'cc', 'a new CC from the reply');
  assert.equal(ccCount(id), 2, 'the one already copied in counted once');

  switches(false);
  try {
    const m2 = plain({ subject: `Mail with Cc off ${u}`, extra: { Cc: `other-${u}@example.com` } });
    assert.equal(gate(m2.text).status, 0);
    const id2 = one(`SELECT ticket_id FROM mail_inbound WHERE message_id = '${m2.id}'`);
    assert.ok(Number(id2) > 0);
    assert.equal(ccCount(id2), 0);
  } finally {
    switches(true);
  }
});
