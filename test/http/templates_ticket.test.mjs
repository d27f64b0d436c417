// templates_ticket.test.mjs - the customer's ticket list and ticket page as editable templates
// (issue 15): an edited copy of the list is what customers and the admin preview get, a copy that
// does not compile is refused with the compiler's message and the form kept, the sample preview,
// and back to the standard template.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, loggedIn, staffLoggedIn, csrfOf } from '../lib/client.mjs';
import { psql } from '../lib/stack.mjs';
import { auditMark, oneAudit, staffId } from '../lib/audit.mjs';
import { WORKERS } from '../lib/wait.mjs';
import { settingsPath } from '../lib/portals.mjs';

const admin = await staffLoggedIn();
const PORTAL = psql('SELECT id FROM portals WHERE is_default');
const ADMIN = staffId('admin@example.com');
const u = Date.now().toString(36);

after(() => psql(`DELETE FROM portal_page_templates WHERE portal_id = ${PORTAL} AND page IN ('tickets', 'ticket')`));

const unescape = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
const textareaOf = (html) => unescape(/<textarea[^>]* id="source"[^>]*>([\s\S]*?)<\/textarea>/.exec(html)[1]);

test('the page templates list offers the ticket list and the ticket page, without a split alternative', async () => {
  const r = await admin.get(settingsPath('/templates'));
  assert.equal(r.status, 200);
  assert.match(r.html, /<a href="\/admin\/portals\/\d+\/settings\/templates\/tickets">Ticket list<\/a>/);
  assert.match(r.html, /<a href="\/admin\/portals\/\d+\/settings\/templates\/ticket">Ticket<\/a>/);
  const page = await admin.get(settingsPath('/templates/tickets'));
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.html, /value="alternative"/, 'no split template to choose');
  assert.doesNotMatch(page.html, /from=alternative/);
  assert.match(textareaOf(page.html), /\{\{#tickets\}\}/, 'the editor starts from the shipped list');
  // choosing an alternative that does not exist is refused
  const bad = await admin.submit(settingsPath('/templates/tickets'), { action: 'choose', choice: 'alternative' });
  assert.equal(bad.status, 422);
  assert.equal((await admin.get(settingsPath('/templates/tickets/preview?choice=alternative'))).status, 404);
});

test('the previews show sample tickets and a sample conversation, each time with its zone', async () => {
  const list = await admin.get(settingsPath('/templates/tickets/preview'));
  assert.equal(list.status, 200);
  assert.match(list.html, /Invoice 2026-118 shows the wrong VAT number/);
  assert.match(list.html, /<td data-label="[^"]*">\d{1,2} \S+ \d{4},? \d{2}:\d{2} [A-Z+\-0-9]{2,6}<\/td>/, 'a time with its zone');
  const one = await admin.get(settingsPath('/templates/ticket/preview'));
  assert.equal(one.status, 200);
  assert.match(one.html, /Can the earlier invoices be corrected too\?/);
  // the sample's description is its first message: no card repeating it
  assert.doesNotMatch(one.html, /class="card description"/);
});

test('a custom ticket list is what customers and the contact preview get; a broken one is refused; back to standard', async () => {
  const ada = await loggedIn('ada@example.com');
  const before = await ada.get('/tickets');
  assert.equal(before.status, 200);
  assert.match(before.html, /<table class="tickets">/);

  const page = await admin.get(settingsPath('/templates/tickets'));
  const source = textareaOf(page.html).replace('<table class="tickets">', `<p class="custom-list">Our list ${u}</p>\n  <table class="tickets">`);
  // a source that does not compile: 422, the compiler's message, the text kept
  const broken = source.replace('{{/tickets}}', '');
  const refused = await admin.post(settingsPath('/templates/tickets'), { csrf: csrfOf(page.html), action: 'save', source: broken });
  assert.equal(refused.status, 422);
  assert.match(refused.html, /The template does not compile: [^<]*line \d+/);
  assert.ok(textareaOf(refused.html).includes(`Our list ${u}`), 'the form keeps what was typed');
  assert.equal(psql(`SELECT count(*) FROM portal_page_templates WHERE portal_id = ${PORTAL} AND page = 'tickets'`), '0');

  const mark = auditMark();
  const saved = await admin.post(settingsPath('/templates/tickets'), { csrf: csrfOf(page.html), action: 'save', source });
  assert.equal(saved.status, 303);
  const audit = oneAudit(mark, { action: 'settings_change', setting: 'template:tickets', actor_kind: 'staff', actor_id: ADMIN }).detail;
  assert.equal(audit.after.choice, 'custom');
  for (let i = 0; i < 2 * WORKERS; i++) {
    const r = await ada.get('/tickets');
    assert.equal(r.status, 200);
    assert.ok(r.html.includes(`Our list ${u}`), 'the customer gets the edited list');
  }
  const preview = await admin.get('/admin/preview/1/tickets');
  assert.equal(preview.status, 200);
  assert.ok(preview.html.includes(`Our list ${u}`), "the admin's view as the contact uses it too");
  const sample = await admin.get(settingsPath('/templates/tickets/preview?choice=custom'));
  assert.ok(sample.html.includes(`Our list ${u}`));
  const std = await admin.get(settingsPath('/templates/tickets/preview?choice=standard'));
  assert.equal(std.status, 200);
  assert.ok(!std.html.includes(`Our list ${u}`), 'the standard preview is the shipped template');

  // back to the standard template: the copy stays for later
  assert.equal((await admin.submit(settingsPath('/templates/tickets'), { action: 'choose', choice: 'standard' })).status, 303);
  const back = await ada.get('/tickets');
  assert.ok(!back.html.includes(`Our list ${u}`));
  assert.match(back.html, /<table class="tickets">/);
  assert.equal(psql(`SELECT choice || ' ' || (custom_source IS NOT NULL) FROM portal_page_templates WHERE portal_id = ${PORTAL} AND page = 'tickets'`), 'standard true');
});

test('a custom ticket page is used on the ticket and in the contact preview', async () => {
  const ada = await loggedIn('ada@example.com');
  const id = psql(`SELECT t.id FROM tickets t JOIN ticket_contacts tc ON tc.ticket_id = t.id AND tc.contact_id = 1
    AND tc.role = 'requester' WHERE t.pipeline_id = (SELECT id FROM pipelines WHERE name = 'Support') ORDER BY t.id LIMIT 1`);
  const page = await admin.get(settingsPath('/templates/ticket'));
  const source = textareaOf(page.html).replace('<h2>{{t.conversation}}</h2>', `<h2>{{t.conversation}} (${u})</h2>`);
  assert.ok(source.includes(`(${u})`));
  assert.equal((await admin.post(settingsPath('/templates/ticket'), { csrf: csrfOf(page.html), action: 'save', source })).status, 303);
  const r = await ada.get(`/tickets/${id}`);
  assert.equal(r.status, 200);
  assert.ok(r.html.includes(`(${u})`));
  assert.ok((await admin.get(`/admin/preview/1/tickets/${id}`)).html.includes(`(${u})`));
  assert.equal((await admin.submit(settingsPath('/templates/ticket'), { action: 'delete_copy' })).status, 303);
  assert.ok(!(await ada.get(`/tickets/${id}`)).html.includes(`(${u})`));
});
