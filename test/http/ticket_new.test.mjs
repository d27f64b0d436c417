// ticket_new.test.mjs - the support form from outside: rendering, validation, the ticket it creates, double submits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { psql } from '../lib/stack.mjs';
import { everyWorker } from '../lib/wait.mjs';
import { Client, csrfOf, loggedIn } from '../lib/client.mjs';
import { auditMark, auditSince, oneAudit } from '../lib/audit.mjs';

const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const nonceOf = (html) => {
  const m = /name="nonce" value="([A-Za-z0-9_-]{43})"/.exec(html);
  if (!m) throw new Error('no nonce on the form');
  return m[1];
};
const ticketCount = () => Number(psql('SELECT count(*) FROM tickets'));

/* GET the form, POST it with its CSRF token and nonce plus these fields. */
async function submit(client, fields) {
  const page = await client.get('/tickets/new');
  assert.equal(page.status, 200);
  const nonce = nonceOf(page.html);
  const res = await client.post('/tickets/new', { csrf: csrfOf(page.html), nonce, ...fields });
  return { res, nonce, csrf: csrfOf(page.html) };
}

/* Run body with form 1's fields replaced, restoring the definition afterwards. */
async function withFields(fields, body) {
  const saved = psql('SELECT fields::text FROM forms WHERE id = 1');
  psql(`UPDATE forms SET fields = '${JSON.stringify(fields).replace(/'/g, "''")}' WHERE id = 1`);
  try {
    await body();
  } finally {
    psql(`UPDATE forms SET fields = '${saved.replace(/'/g, "''")}' WHERE id = 1`);
  }
}

test('the form renders its fields in order with labels, required marks, a nonce and a way back', async () => {
  const ada = await loggedIn('ada@example.com');
  const r = await ada.get('/tickets/new');
  assert.equal(r.status, 200);
  const html = r.html;
  assert.match(html, /<h1 id="tn-h">Submit a support ticket<\/h1>/);
  assert.match(html, /<label for="field-subject">Subject <span class="required">\(required\)<\/span><\/label>/);
  assert.match(html, /<label for="field-description">Description <span class="required">\(required\)<\/span><\/label>/);
  assert.match(html, /<label for="field-priority">Priority<\/label>/, 'optional field has no mark');
  assert.match(html, /<input id="field-subject" name="subject" type="text" maxlength="500" value="" required>/);
  assert.match(html, /<textarea id="field-description" name="description" rows="8" maxlength="20000" required><\/textarea>/);
  for (const [v, l] of [['low', 'Low'], ['medium', 'Medium'], ['high', 'High'], ['urgent', 'Urgent']])
    assert.match(html, new RegExp(`<option value="${v}">${l}</option>`));
  assert.ok(html.indexOf('name="subject"') < html.indexOf('name="description"'), 'fields in order');
  assert.ok(html.indexOf('name="description"') < html.indexOf('name="priority"'), 'fields in order');
  assert.match(html, /<form method="post" action="\/tickets\/new" novalidate>/);
  assert.match(html, /<a class="btn secondary" href="\/tickets">Cancel<\/a>/);
  nonceOf(html);
  assert.notEqual(nonceOf(html), nonceOf((await ada.get('/tickets/new')).html), 'a fresh nonce per page');
});

test('a missing subject answers 422 with the input kept and the message next to the field', async () => {
  const ada = await loggedIn('ada@example.com');
  const before = ticketCount();
  const { res, nonce } = await submit(ada, { subject: '   ', description: 'Printer <b>on fire</b>', priority: 'high' });
  assert.equal(res.status, 422);
  assert.match(res.html, /role="alert">Please correct the marked fields\./);
  assert.match(res.html, /name="subject" type="text" maxlength="500" value="" required aria-invalid="true" aria-describedby="field-subject-error">/);
  assert.match(res.html, /<p class="field-error" id="field-subject-error">This field is required\.<\/p>/);
  assert.match(res.html, />Printer &lt;b&gt;on fire&lt;\/b&gt;<\/textarea>/, 'description kept, escaped');
  assert.match(res.html, /<option value="high" selected>High<\/option>/, 'choice kept');
  assert.doesNotMatch(res.html, /id="field-description-error"/);
  assert.equal(nonceOf(res.html), nonce, 'the unused nonce is kept');
  assert.equal(ticketCount(), before, 'nothing stored');
});

test('a priority outside low/medium/high/urgent answers 422', async () => {
  const ada = await loggedIn('ada@example.com');
  const before = ticketCount();
  const { res } = await submit(ada, { subject: 'Bad priority', description: 'x', priority: 'critical' });
  assert.equal(res.status, 422);
  assert.match(res.html, /<select id="field-priority" name="priority" aria-invalid="true" aria-describedby="field-priority-error">/);
  assert.match(res.html, /id="field-priority-error">Choose one of the options\.</);
  assert.match(res.html, /value="Bad priority"/);
  assert.equal(ticketCount(), before);
});

test('too long and multi-line subjects are refused', async () => {
  const ada = await loggedIn('ada@example.com');
  const long = await submit(ada, { subject: 'x'.repeat(501), description: 'd' });
  assert.equal(long.res.status, 422);
  assert.match(long.res.html, /id="field-subject-error">This is too long\.</);
  const lines = await submit(ada, { subject: 'two\nlines', description: 'd' });
  assert.equal(lines.res.status, 422);
  assert.match(lines.res.html, /id="field-subject-error">Use a single line here\.</);
});

test('a submission creates the ticket, its links, the form thread, the first message and the timeline entry', async () => {
  const ada = await loggedIn('ada@example.com');
  const subject = `Export stuck ${uniq()}`;
  const mark = auditMark();
  const { res, nonce } = await submit(ada, { subject, description: 'The export hangs at 99 %.\nSince Monday.', priority: 'urgent' });
  assert.equal(res.status, 303);
  const m = /^\/tickets\/(\d+)$/.exec(res.headers.get('location'));
  assert.ok(m, `redirect to the new ticket, got ${res.headers.get('location')}`);
  const id = m[1];
  const row = (sql) => psql(sql).split('|');

  assert.deepEqual(row(`SELECT t.subject, t.priority, t.pipeline_id = f.pipeline_id, t.stage_id = f.stage_id, t.properties::text,
      t.created_at > now() - interval '1 minute', t.last_activity_at = t.created_at
      FROM tickets t, forms f WHERE t.id = ${id} AND f.id = 1`),
  [subject, 'urgent', 't', 't', '{}', 't', 't']);
  assert.equal(psql(`SELECT description FROM tickets WHERE id = ${id}`), 'The export hangs at 99 %.\nSince Monday.');
  assert.equal(psql(`SELECT string_agg(contact_id::text, ',') FROM ticket_contacts WHERE ticket_id = ${id}`), '1', 'Ada');
  assert.equal(psql(`SELECT string_agg(company_id::text, ',') FROM ticket_companies WHERE ticket_id = ${id}`), '1', 'Northwind');
  assert.deepEqual(row(`SELECT channel, inbox_id = (SELECT inbox_id FROM forms WHERE id = 1), count(*) OVER ()
      FROM threads WHERE ticket_id = ${id}`), ['form', 't', '1']);
  assert.deepEqual(row(`SELECT m.direction, m.kind, m.author_contact_id, m.from_address, m.to_addresses::text, m.body, m.reply_nonce
      FROM messages m JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = ${id}`),
  ['incoming', 'message', '1', 'ada@example.com', '{}', 'The export hangs at 99 %.\nSince Monday.', nonce]);
  assert.deepEqual(row(`SELECT e.kind, e.contact_id, e.summary, e.message_id = m.id
      FROM engagements e JOIN threads th ON th.ticket_id = e.ticket_id JOIN messages m ON m.thread_id = th.id
      WHERE e.ticket_id = ${id}`), ['form_submission', '1', subject, 't']);
  const member = Number(psql('SELECT id FROM members WHERE portal_id = 1 AND contact_id = 1'));
  assert.deepEqual(oneAudit(mark, { action: 'ticket_created', actor_kind: 'member', actor_id: member }).detail,
    { ticket_id: Number(id), form_id: 1 });

  const detail = await ada.get(`/tickets/${id}`);
  assert.equal(detail.status, 200, 'the customer may open it');
  assert.ok(detail.html.includes(subject));
  const list = await ada.get('/tickets');
  assert.match(list.html, new RegExp(`<td data-label="ID">#${id}</td>`), 'shows at once in the list');
  const grace = await loggedIn('grace@example.com');
  assert.match((await grace.get('/tickets?view=org')).html, new RegExp(`#${id}<`), 'and in the company view of a colleague');
});

test('a repeated POST with the same nonce creates one ticket and leads to it', async () => {
  const ada = await loggedIn('ada@example.com');
  const subject = `Double click ${uniq()}`;
  const fields = { subject, description: 'Clicked twice.' };
  const mark = auditMark();
  const { res, nonce, csrf } = await submit(ada, fields);
  assert.equal(res.status, 303);
  const again = await ada.post('/tickets/new', { csrf, nonce, ...fields });
  assert.equal(again.status, 303);
  assert.equal(again.headers.get('location'), res.headers.get('location'));
  const race = nonceOf((await ada.get('/tickets/new')).html);
  const rs = await Promise.all([0, 1, 2].map(() => ada.post('/tickets/new', { csrf, nonce: race, subject: `${subject} race`, description: 'x' })));
  assert.deepEqual(rs.map((r) => r.status), [303, 303, 303]);
  assert.equal(new Set(rs.map((r) => r.headers.get('location'))).size, 1, 'concurrent twins land on one ticket');
  assert.equal(psql(`SELECT count(*) FROM tickets WHERE subject = '${subject}'`), '1');
  assert.equal(psql(`SELECT count(*) FROM tickets WHERE subject = '${subject} race'`), '1');
  const ids = [res, rs[0]].map((r) => Number(r.headers.get('location').split('/').pop()));
  assert.deepEqual(auditSince(mark, { action: 'ticket_created' }).map((a) => a.detail.ticket_id).sort((a, b) => a - b), ids.sort((a, b) => a - b),
    'one audit row for each ticket created, none for the repeats');
});

test('a nonce of another customer or a malformed one creates nothing', async () => {
  const ada = await loggedIn('ada@example.com');
  const { res, nonce } = await submit(ada, { subject: `Ada's ${uniq()}`, description: 'mine' });
  assert.equal(res.status, 303);
  const grace = await loggedIn('grace@example.com');
  const before = ticketCount();
  const page = await grace.get('/tickets/new');
  const stolen = await grace.post('/tickets/new', { csrf: csrfOf(page.html), nonce, subject: 'Grace', description: 'x' });
  assert.equal(stolen.status, 400);
  assert.equal(stolen.headers.get('location'), null, 'no way to Ada\'s ticket');
  const bad = await grace.post('/tickets/new', { csrf: csrfOf(page.html), nonce: 'short', subject: 'Grace', description: 'x' });
  assert.equal(bad.status, 400);
  assert.equal(ticketCount(), before);
});

test('a POST without the CSRF token is refused with 403', async () => {
  const ada = await loggedIn('ada@example.com');
  const page = await ada.get('/tickets/new');
  const before = ticketCount();
  const r = await ada.post('/tickets/new', { nonce: nonceOf(page.html), subject: 'No token', description: 'x' });
  assert.equal(r.status, 403);
  assert.equal(ticketCount(), before);
});

test('not logged in: sent to log in and back', async () => {
  const r = await new Client().get('/tickets/new');
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/login?next=%2Ftickets%2Fnew');
});

test('a portal without a support form answers 404', async () => {
  const ada = await loggedIn('ada@example.com');
  const page = await ada.get('/tickets/new');
  psql('UPDATE portals SET support_form_id = NULL WHERE id = 1; NOTIFY portal_settings;');
  try {
    await everyWorker(async () => (await ada.get('/tickets/new')).status === 404, '/tickets/new answering 404');
    assert.doesNotMatch((await ada.get('/tickets')).html, /href="\/tickets\/new"/, 'no link to a missing form');
    const r = await ada.post('/tickets/new', { csrf: csrfOf(page.html), nonce: nonceOf(page.html), subject: 'x', description: 'y' });
    assert.equal(r.status, 404);
  } finally {
    psql('UPDATE portals SET support_form_id = 1 WHERE id = 1; NOTIFY portal_settings;');
    await everyWorker(async () => (await ada.get('/tickets/new')).status === 200, '/tickets/new answering 200 again');
  }
  assert.equal((await ada.get('/tickets/new')).status, 200);
  assert.match((await ada.get('/tickets')).html, /<a href="\/tickets\/new">Submit a support ticket<\/a>/, 'the navigation links to the form');
});

test('custom properties, types and labelled options follow the form definition', async () => {
  const fields = [
    { name: 'subject', label: 'Summary', property: 'subject', type: 'text', required: false },
    { name: 'order', label: 'Order number', property: 'order_number', type: 'number', required: true },
    { name: 'cc', label: 'Copy to', property: 'cc_email', type: 'email', required: false },
    { name: 'area', label: 'Area', property: 'product_area', type: 'select', required: true,
      options: [{ value: 'web', label: 'Web app' }, { value: 'api', label: 'API & SDK' }] },
    { name: 'prio', label: 'How urgent?', property: 'priority', type: 'select', required: false,
      options: ['low', 'critical', 'high'] },
    { name: 'notes', label: 'Notes <i>', property: 'notes', type: 'textarea', required: false },
  ];
  await withFields(fields, async () => {
    const ada = await loggedIn('ada@example.com');
    const page = await ada.get('/tickets/new');
    assert.match(page.html, /<label for="field-subject">Summary <span class="required">/, 'subject required whatever the definition says');
    assert.match(page.html, /name="order" type="text" inputmode="numeric"/);
    assert.match(page.html, /name="cc" type="email"/);
    assert.match(page.html, /<option value="api">API &amp; SDK<\/option>/);
    assert.doesNotMatch(page.html, /value="critical"/, 'a priority a ticket cannot hold is not offered');
    assert.match(page.html, /Notes &lt;i&gt;/, 'admin labels are escaped');

    const bad = await submit(ada, { subject: '', order: '12a', cc: 'not-an-email', area: 'desktop', prio: 'critical' });
    assert.equal(bad.res.status, 422);
    for (const [f, msg] of [['subject', 'This field is required.'], ['order', 'Enter a whole number, like 42.'],
      ['cc', 'Enter an email address like name@example.com.'], ['area', 'Choose one of the options.'],
      ['prio', 'Choose one of the options.']])
      assert.match(bad.res.html, new RegExp(`id="field-${f}-error">${msg.replace(/\./g, '\\.')}<`), f);
    assert.match(bad.res.html, /value="12a"/);
    assert.match(bad.res.html, /value="not-an-email"/);

    const subject = `Custom ${uniq()}`;
    const ok = await submit(ada, { subject, order: '-42', cc: 'Boss@Northwind.EXAMPLE', area: 'api', prio: 'high', notes: 'line 1\nline 2' });
    assert.equal(ok.res.status, 303);
    const id = ok.res.headers.get('location').split('/').pop();
    assert.deepEqual(JSON.parse(psql(`SELECT properties::text FROM tickets WHERE id = ${id}`)),
      { order_number: -42, cc_email: 'Boss@northwind.example', product_area: 'api', notes: 'line 1\nline 2' });
    assert.equal(psql(`SELECT priority || '|' || description FROM tickets WHERE id = ${id}`), 'high|');
    const body = psql(`SELECT m.body FROM messages m JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = ${id}`);
    assert.equal(body, 'Order number: -42\nCopy to: Boss@northwind.example\nArea: API & SDK\nHow urgent?: High\nNotes <i>:\nline 1\nline 2',
      'without a description the message lists the fields');
  });
});

test('a form without a subject field asks for one', async () => {
  await withFields([{ name: 'details', label: 'What happened?', property: 'description', type: 'textarea', required: true }], async () => {
    const ada = await loggedIn('ada@example.com');
    const page = await ada.get('/tickets/new');
    assert.ok(page.html.indexOf('name="subject"') > 0 && page.html.indexOf('name="subject"') < page.html.indexOf('name="details"'));
    assert.match(page.html, /<label for="field-subject">Subject <span class="required">/);
    const subject = `No subject field ${uniq()}`;
    const ok = await submit(ada, { subject, details: 'It broke.' });
    assert.equal(ok.res.status, 303);
    assert.equal(psql(`SELECT count(*) FROM tickets WHERE subject = '${subject}' AND description = 'It broke.'`), '1');
  });
});
