// admin_records.test.mjs - the console's CRM records: pipelines and stages, inboxes and their
// addresses, forms and their fields, tickets (create for a phone call, stage, threads) as the
// customer's portal then shows them; agents edit tickets but not the configuration.
// Everything here works on records it creates (own pipeline, inbox, form, contact) and leaves
// the demo pipelines, stages, forms and inboxes as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, staffLoggedIn, loggedIn, csrfOf } from '../lib/client.mjs';
import { psql } from '../lib/stack.mjs';
import { auditMark, oneAudit, staffId } from '../lib/audit.mjs';

const u = Date.now().toString(36);
const one = (sql) => psql(sql).split('\n')[0];
const admin = await staffLoggedIn();
const portalIds = (html) => [...html.matchAll(/<td data-label="ID">#(\d+)<\/td>/g)].map((m) => m[1]);
const idFrom = (res) => /\/(\d+)(\?|$)/.exec(res.headers.get('location') || '')?.[1];
const stages = (p) => psql(`SELECT name || ':' || is_closed FROM pipeline_stages WHERE pipeline_id = ${p} ORDER BY position`).split('\n');
const ADMIN = staffId('admin@example.com');
/* The detail (as JSON text) of the one row of action that the admin wrote after mark. */
const audited = (mark, action) => JSON.stringify(oneAudit(mark, { action, actor_kind: 'staff', actor_id: ADMIN }).detail);

test('pipelines: create with default stages, refuse a duplicate, add and reorder stages, delete only unused ones', async () => {
  const name = `Records pipeline ${u}`;
  let mark = auditMark();
  const r = await admin.submit('/admin/pipelines', { name });
  assert.equal(r.status, 303);
  const p = idFrom(r);
  assert.match(r.headers.get('location'), new RegExp(`^/admin/pipelines/${p}\\?notice=created$`));
  assert.deepEqual(stages(p), ['New:false', 'Closed:true']);
  assert.match(audited(mark, 'pipeline_create'), new RegExp(name));
  const page = await admin.get(r.headers.get('location'));
  assert.equal(page.status, 200);
  assert.match(page.html, /Created\./);

  // the same name in other case: refused, nothing added
  const count = one('SELECT count(*) FROM pipelines');
  const dup = await admin.submit('/admin/pipelines', { name: name.toUpperCase() });
  assert.equal(dup.status, 422);
  assert.match(dup.html, /exists already/);
  assert.match(dup.html, /aria-invalid="true"/);
  assert.equal(one('SELECT count(*) FROM pipelines'), count);

  // add a stage; a duplicate stage name is refused
  assert.equal((await admin.submit(`/admin/pipelines/${p}`, { stage_name: 'Review' }, `/admin/pipelines/${p}/stages`)).status, 303);
  assert.deepEqual(stages(p), ['New:false', 'Closed:true', 'Review:false']);
  const dupStage = await admin.submit(`/admin/pipelines/${p}`, { stage_name: 'review' }, `/admin/pipelines/${p}/stages`);
  assert.equal(dupStage.status, 422);
  assert.match(dupStage.html, /has a stage with this name/);

  // move Review up: positions stay unique, order changes, audited
  const review = one(`SELECT id FROM pipeline_stages WHERE pipeline_id = ${p} AND name = 'Review'`);
  mark = auditMark();
  assert.equal((await admin.submit(`/admin/pipelines/${p}`, { dir: 'up' }, `/admin/pipelines/${p}/stages/${review}/move`)).status, 303);
  assert.deepEqual(stages(p), ['New:false', 'Review:false', 'Closed:true']);
  assert.match(audited(mark, 'stage_move'), /"name": ?"Review"/);
  // moving the last one further down changes nothing
  const closed = one(`SELECT id FROM pipeline_stages WHERE pipeline_id = ${p} AND name = 'Closed'`);
  assert.equal((await admin.submit(`/admin/pipelines/${p}`, { dir: 'down' }, `/admin/pipelines/${p}/stages/${closed}/move`)).status, 303);
  assert.deepEqual(stages(p), ['New:false', 'Review:false', 'Closed:true']);

  // rename a stage and refuse to open the only closed stage
  assert.equal((await admin.submit(`/admin/pipelines/${p}`, { name: 'Done', closed: '1' }, `/admin/pipelines/${p}/stages/${closed}`)).status, 303);
  const reopen = await admin.submit(`/admin/pipelines/${p}`, { name: 'Done' }, `/admin/pipelines/${p}/stages/${closed}`);
  assert.equal(reopen.status, 422);
  assert.match(reopen.html, /only closed stage/);
  assert.deepEqual(stages(p), ['New:false', 'Review:false', 'Done:true']);

  // a stage a ticket uses cannot be deleted; an unused one can; the last closed one cannot
  psql(`INSERT INTO tickets (subject, pipeline_id, stage_id) VALUES ('records stage use ${u}', ${p}, ${review})`);
  const used = await admin.submit(`/admin/pipelines/${p}`, {}, `/admin/pipelines/${p}/stages/${review}/delete`);
  assert.equal(used.status, 409);
  assert.match(used.html, /cannot be deleted: tickets use it/);
  const last = await admin.submit(`/admin/pipelines/${p}`, {}, `/admin/pipelines/${p}/stages/${closed}/delete`);
  assert.equal(last.status, 409);
  assert.match(last.html, /only closed stage/);
  assert.equal((await admin.submit(`/admin/pipelines/${p}`, { stage_name: 'Spare' }, `/admin/pipelines/${p}/stages`)).status, 303);
  const spare = one(`SELECT id FROM pipeline_stages WHERE pipeline_id = ${p} AND name = 'Spare'`);
  mark = auditMark();
  const del = await admin.submit(`/admin/pipelines/${p}`, {}, `/admin/pipelines/${p}/stages/${spare}/delete`);
  assert.equal(del.status, 303);
  assert.deepEqual(stages(p), ['New:false', 'Review:false', 'Done:true']);
  assert.match(audited(mark, 'stage_delete'), /Spare/);

  // reorder pipelines: up swaps with the one before, down puts it back
  const order = () => psql('SELECT name FROM pipelines ORDER BY display_order, id').split('\n');
  const before = order();
  assert.equal(before.at(-1), name);
  assert.equal((await admin.submit('/admin/pipelines', { dir: 'up' }, `/admin/pipelines/${p}/move`)).status, 303);
  assert.equal(order().at(-2), name);
  assert.equal((await admin.submit('/admin/pipelines', { dir: 'down' }, `/admin/pipelines/${p}/move`)).status, 303);
  assert.deepEqual(order(), before);

  // a missing pipeline or stage is 404
  assert.equal((await admin.get('/admin/pipelines/99999999')).status, 404);
  assert.equal((await admin.submit(`/admin/pipelines/${p}`, { dir: 'up' }, `/admin/pipelines/${p}/stages/99999999/move`)).status, 404);
});

test('inboxes: create, refuse a bad or taken address, connect and disconnect, remove', async () => {
  const r = await admin.submit('/admin/inboxes', { name: `Records inbox ${u}` });
  assert.equal(r.status, 303);
  const ib = idFrom(r);
  const page = await admin.get(`/admin/inboxes/${ib}`);
  assert.match(page.html, /Only messages sent to or from a <strong>connected<\/strong> address show in the customer portal/);
  assert.match(page.html, /No email addresses yet/);
  assert.equal((await admin.submit('/admin/inboxes', { name: `records INBOX ${u}` })).status, 422);

  const addrs = () => one(`SELECT count(*) FROM inbox_addresses WHERE inbox_id = ${ib}`);
  const bad = await admin.submit(`/admin/inboxes/${ib}`, { address: 'not an address', connected: '1' }, `/admin/inboxes/${ib}/addresses`);
  assert.equal(bad.status, 422);
  assert.match(bad.html, /aria-invalid="true" aria-describedby="address-error"/);
  assert.match(bad.html, /value="not an address"/);
  const taken = await admin.submit(`/admin/inboxes/${ib}`, { address: 'Support@example.com', connected: '1' }, `/admin/inboxes/${ib}/addresses`);
  assert.equal(taken.status, 422);
  assert.match(taken.html, /belongs to the inbox &quot;Support inbox&quot; already/);
  assert.equal(addrs(), '0');

  const address = `team-${u}@example.com`;
  assert.equal((await admin.submit(`/admin/inboxes/${ib}`, { address, connected: '1' }, `/admin/inboxes/${ib}/addresses`)).status, 303);
  const aid = one(`SELECT id FROM inbox_addresses WHERE address = '${address}' AND connected`);
  assert.match(aid, /^\d+$/);
  assert.equal((await admin.submit(`/admin/inboxes/${ib}`, { address, connected: '1' }, `/admin/inboxes/${ib}/addresses`)).status, 422, 'a duplicate');
  const mark = auditMark();
  assert.equal((await admin.submit(`/admin/inboxes/${ib}`, { connected: '0' }, `/admin/inboxes/${ib}/addresses/${aid}`)).status, 303);
  assert.equal(one(`SELECT connected FROM inbox_addresses WHERE id = ${aid}`), 'f');
  const a = audited(mark, 'inbox_address_update');
  assert.match(a, /"connected": ?"no"/);
  assert.ok(a.includes(address), 'the row names the address');
  assert.equal((await admin.submit(`/admin/inboxes/${ib}`, {}, `/admin/inboxes/${ib}/addresses/${aid}/delete`)).status, 303);
  assert.equal(addrs(), '0');
  // another inbox's address through this inbox's URL: 404
  assert.equal((await admin.submit(`/admin/inboxes/${ib}`, {}, `/admin/inboxes/${ib}/addresses/1/delete`)).status, 404);
  assert.equal(one('SELECT count(*) FROM inbox_addresses WHERE id = 1'), '1');
});

test('forms: an invalid field definition is refused with messages, a valid one saved as the portal reads it', async () => {
  const inbox = one("SELECT id FROM inboxes WHERE name = 'Support inbox'");
  const stage = one("SELECT s.id FROM pipeline_stages s JOIN pipelines p ON p.id = s.pipeline_id WHERE p.name = 'Support' AND s.name = 'New'");
  const missing = await admin.submit('/admin/forms', { name: `Records form ${u}`, inbox_id: '', stage_id: stage });
  assert.equal(missing.status, 422);
  assert.match(missing.html, /Choose the inbox/);
  const r = await admin.submit('/admin/forms', { name: `Records form ${u}`, inbox_id: inbox, stage_id: stage });
  assert.equal(r.status, 303);
  const f = idFrom(r);
  const saved = () => one(`SELECT fields::text FROM forms WHERE id = ${f}`);
  const initial = saved();
  assert.match(initial, /"property": "subject"/);

  const base = { name: `Records form ${u}`, inbox_id: inbox, stage_id: stage, nrows: '3', op: 'save',
    f0_label: 'Subject', f0_name: 'subject', f0_property: 'subject', f0_type: 'text', f0_required: '1' };
  const bad = await admin.submit(`/admin/forms/${f}`, { ...base,
    f1_label: 'Bad', f1_name: 'Bad Name!', f1_property: 'custom', f1_custom: 'plan', f1_type: 'checkbox',
    f2_label: '', f2_name: 'kind', f2_property: 'custom', f2_custom: 'kind', f2_type: 'select', f2_options: '' });
  assert.equal(bad.status, 422);
  assert.match(bad.html, /Nothing was saved/);
  assert.match(bad.html, /id="f1_name-error"/);
  assert.match(bad.html, /id="f1_type-error"/);
  assert.match(bad.html, /id="f2_label-error"/);
  assert.doesNotMatch(bad.html, /id="f2_label_[a-z]+-error"/, "the field's error is not repeated in its translations");
  assert.doesNotMatch(bad.html, /id="f2_options_[a-z]+-error"/);
  assert.match(bad.html, /A select field needs options/);
  assert.match(bad.html, /value="Bad Name!"/, 'input kept');
  assert.equal(saved(), initial, 'nothing changed');
  const prio = await admin.submit(`/admin/forms/${f}`, { ...base, nrows: '2',
    f1_label: 'Priority', f1_name: 'prio', f1_property: 'priority', f1_type: 'select', f1_options: 'low\nsoon' });
  assert.equal(prio.status, 422);
  assert.match(prio.html, /Priority options must be among/);

  // a row button re-renders without saving
  const add = await admin.submit(`/admin/forms/${f}`, { ...base, nrows: '1', op: 'add' });
  assert.equal(add.status, 200);
  assert.match(add.html, /Not saved yet/);
  assert.match(add.html, /name="f1_label"/);
  assert.equal(saved(), initial);

  const mark = auditMark();
  const ok = await admin.submit(`/admin/forms/${f}`, { ...base,
    f1_label: 'Priority', f1_name: 'prio', f1_property: 'priority', f1_type: 'select', f1_options: 'low | Low\nhigh | High',
    f2_label: 'Plan', f2_name: 'plan', f2_property: 'custom', f2_custom: 'plan', f2_type: 'select', f2_options: 'basic\npro' });
  assert.equal(ok.status, 303);
  assert.deepEqual(JSON.parse(saved()), [
    { name: 'subject', label: 'Subject', property: 'subject', type: 'text', required: true },
    { name: 'prio', label: 'Priority', property: 'priority', type: 'select', required: false,
      options: [{ value: 'low', label: 'Low' }, { value: 'high', label: 'High' }] },
    { name: 'plan', label: 'Plan', property: 'plan', type: 'select', required: false, options: ['basic', 'pro'] },
  ]);
  const a = audited(mark, 'form_update');
  assert.match(a, /"after":/);
  assert.match(a, /Records form/, 'the row names the form');
  const page = await admin.get(`/admin/forms/${f}`);
  assert.match(page.html, /low \| Low\nhigh \| High/);
});

test('tickets: created for a phone call, seen in the customer portal, closed and reopened, threads decide what the portal shows', async () => {
  // a customer of our own, so the demo customers' lists stay as they are
  const email = `records-${u}@example.net`;
  const contact = one(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${email}', 'Rita', 'Records') RETURNING id`);
  psql(`INSERT INTO members (portal_id, contact_id, password_hash, verified_at)
        SELECT 1, ${contact}, password_hash, now() FROM members WHERE id = 3`);
  const customer = await loggedIn(email);
  const support = one("SELECT s.id FROM pipeline_stages s JOIN pipelines p ON p.id = s.pipeline_id WHERE p.name = 'Support' AND s.name = 'New'");
  const supportClosed = one("SELECT s.id FROM pipeline_stages s JOIN pipelines p ON p.id = s.pipeline_id WHERE p.name = 'Support' AND s.is_closed");

  const unknown = await admin.submit('/admin/tickets/new', { email: `nobody-${u}@example.net`, subject: 'x', stage_id: support, priority: '' });
  assert.equal(unknown.status, 422);
  assert.match(unknown.html, /No contact has this email address/);
  let mark = auditMark();
  const r = await admin.submit('/admin/tickets/new', {
    email, subject: `Phone call ${u}`, description: 'Called about the invoice.', stage_id: support, priority: 'high', company: '' });
  assert.equal(r.status, 303);
  const id = idFrom(r);
  assert.equal(one(`SELECT count(*) FROM threads WHERE ticket_id = ${id}`), '0', 'no conversation until someone writes');
  assert.match(audited(mark, 'ticket_create'), new RegExp(`Phone call ${u}`));
  const staffPage = await admin.get(`/admin/tickets/${id}`);
  assert.match(staffPage.html, new RegExp(`href="/admin/preview/${contact}/tickets/${id}"`));
  assert.match(staffPage.html, /Ticket created by Alex Admin/);
  assert.match((await admin.get(`/admin/tickets?q=${id}&status=all`)).html, new RegExp(`/admin/tickets/${id}"`));
  assert.match((await admin.get(`/admin/tickets?q=phone+call+${u}`)).html, new RegExp(`/admin/tickets/${id}"`));
  assert.match((await admin.get(`/admin/tickets?q=zzzz${u}`)).html, /No tickets match/);

  assert.deepEqual(portalIds((await customer.get('/tickets')).html), [id]);
  assert.deepEqual(portalIds((await customer.get('/tickets?status=closed')).html), []);

  // close it: closed_at set, the customer sees it under "closed"; reopen clears it
  const props = { subject: `Phone call ${u}`, description: 'Called about the invoice.', priority: 'high' };
  mark = auditMark();
  assert.equal((await admin.submit(`/admin/tickets/${id}`, { ...props, stage_id: supportClosed })).status, 303);
  assert.equal(one(`SELECT closed_at IS NOT NULL FROM tickets WHERE id = ${id}`), 't');
  assert.deepEqual(portalIds((await customer.get('/tickets?status=closed')).html), [id]);
  assert.deepEqual(portalIds((await customer.get('/tickets?status=open')).html), []);
  assert.match(audited(mark, 'ticket_update'), new RegExp(`"stage_id": ?${supportClosed}`));
  const badPrio = await admin.submit(`/admin/tickets/${id}`, { ...props, priority: 'whenever', stage_id: support });
  assert.equal(badPrio.status, 422);
  assert.equal(one(`SELECT stage_id FROM tickets WHERE id = ${id}`), supportClosed, 'nothing changed');
  assert.equal((await admin.submit(`/admin/tickets/${id}`, { ...props, stage_id: support })).status, 303);
  assert.equal(one(`SELECT closed_at IS NULL FROM tickets WHERE id = ${id}`), 't');

  // a conversation attached to the ticket shows in the portal; detached, it is gone again
  const text = `records-attach-${u}`;
  const thread = one("INSERT INTO threads (inbox_id, channel) VALUES (1, 'chat') RETURNING id");
  psql(`INSERT INTO messages (thread_id, direction, author_contact_id, body) VALUES (${thread}, 'incoming', ${contact}, '${text}')`);
  try {
    assert.doesNotMatch((await customer.get(`/tickets/${id}`)).html, new RegExp(text));
    assert.equal((await admin.submit(`/admin/tickets/${id}`, { thread_id: `#${thread}` }, `/admin/tickets/${id}/threads`)).status, 303);
    assert.match((await customer.get(`/tickets/${id}`)).html, new RegExp(text));
    const shown = await admin.get(`/admin/tickets/${id}`);
    assert.match(shown.html, /shown in portal/);
    assert.match(shown.html, new RegExp(`href="/admin/inbox/${thread}"`));
    // a conversation is tied to one ticket
    const other = one(`SELECT id FROM tickets WHERE id <> ${id} ORDER BY id LIMIT 1`);
    const twice = await admin.submit(`/admin/tickets/${other}`, { thread_id: thread }, `/admin/tickets/${other}/threads`);
    assert.equal(twice.status, 422);
    assert.match(twice.html, new RegExp(`belongs to ticket #${id}`));
    mark = auditMark();
    assert.equal((await admin.submit(`/admin/tickets/${id}`, {}, `/admin/tickets/${id}/threads/${thread}/detach`)).status, 303);
    assert.doesNotMatch((await customer.get(`/tickets/${id}`)).html, new RegExp(text));
    assert.match(audited(mark, 'ticket_thread_detach'), new RegExp(`"thread_id": ?"${thread}"`));
  } finally {
    psql(`DELETE FROM threads WHERE id = ${thread}`);
  }

  // contacts, companies and custom properties
  assert.equal((await admin.submit(`/admin/tickets/${id}`, { contact_email: 'nobody@nowhere.example' }, `/admin/tickets/${id}/contacts`)).status, 422);
  const company = one(`INSERT INTO companies (name) VALUES ('Records Co ${u}') RETURNING id`);
  assert.equal((await admin.submit(`/admin/tickets/${id}`, { company_name: `records co ${u}` }, `/admin/tickets/${id}/companies`)).status, 303);
  assert.equal(one(`SELECT count(*) FROM ticket_companies WHERE ticket_id = ${id} AND company_id = ${company}`), '1');
  assert.equal((await admin.submit(`/admin/tickets/${id}`, {}, `/admin/tickets/${id}/companies/${company}/remove`)).status, 303);
  assert.equal((await admin.submit(`/admin/tickets/${id}`, { op: 'set', prop_key: 'Bad Key', prop_value: 'x' }, `/admin/tickets/${id}/properties`)).status, 422);
  assert.equal((await admin.submit(`/admin/tickets/${id}`, { op: 'set', prop_key: 'source', prop_value: 'phone' }, `/admin/tickets/${id}/properties`)).status, 303);
  assert.equal(one(`SELECT properties->>'source' FROM tickets WHERE id = ${id}`), 'phone');
});

test('agents edit tickets but get 403 on pipelines, inboxes and forms', async () => {
  const agent = await staffLoggedIn('agent@example.com');
  for (const p of ['/admin/pipelines', '/admin/pipelines/1', '/admin/inboxes', '/admin/inboxes/1', '/admin/forms', '/admin/forms/1'])
    assert.equal((await agent.get(p)).status, 403, p);
  const list = await agent.get('/admin/tickets');
  assert.equal(list.status, 200);
  const csrf = csrfOf(list.html);
  assert.equal((await agent.post('/admin/pipelines', { csrf, name: `Agent pipeline ${u}` })).status, 403);
  assert.equal((await agent.post('/admin/inboxes', { csrf, name: `Agent inbox ${u}` })).status, 403);
  assert.equal(one(`SELECT count(*) FROM pipelines WHERE name = 'Agent pipeline ${u}'`), '0');

  const id = one(`SELECT id FROM tickets WHERE subject = 'records stage use ${u}'`);
  const stage = one(`SELECT stage_id FROM tickets WHERE id = ${id}`);
  const r = await agent.submit(`/admin/tickets/${id}`, { subject: `Edited by agent ${u}`, description: '', stage_id: stage, priority: 'low' });
  assert.equal(r.status, 303);
  assert.equal(one(`SELECT subject || '/' || priority FROM tickets WHERE id = ${id}`), `Edited by agent ${u}/low`);
  // no login at all: to the staff login
  assert.equal((await new Client().get('/admin/tickets')).status, 303);
});

test('ticket list: keyset pages without overlap, filter by pipeline and status', async () => {
  const ids = (html) => [...html.matchAll(/<td>#(\d+)<\/td>/g)].map((m) => m[1]);
  const first = await admin.get('/admin/tickets?status=all');
  assert.equal(first.status, 200);
  const next = /href="(\/admin\/tickets\?[^"]*before=[^"]+)"/.exec(first.html)?.[1].replaceAll('&amp;', '&');
  assert.ok(next, 'a link to older tickets');
  const second = await admin.get(next);
  assert.equal(second.status, 200);
  const a = ids(first.html), b = ids(second.html);
  assert.equal(a.length, 50);
  assert.ok(b.length > 0);
  assert.deepEqual(a.filter((x) => b.includes(x)), []);
  const billing = one("SELECT id FROM pipelines WHERE name = 'Billing'");
  const closedBilling = ids((await admin.get(`/admin/tickets?pipeline=${billing}&status=closed`)).html);
  assert.ok(closedBilling.length > 0);
  assert.equal(one(`SELECT count(*) FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id
    WHERE t.id IN (${closedBilling.join(',')}) AND (t.pipeline_id <> ${billing} OR NOT s.is_closed)`), '0');
  assert.equal((await admin.get('/admin/tickets?before=garbage_12')).status, 400);
});
