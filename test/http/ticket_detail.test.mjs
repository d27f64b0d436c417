// ticket_detail.test.mjs - the ticket page read in one statement with its session (issue 19): who
// gets the page through that statement, and who gets a 404 or the login instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { psql } from '../lib/stack.mjs';
import { Client, loggedIn, staffLoggedIn } from '../lib/client.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const support = "(SELECT id FROM pipelines WHERE name = 'Support')";
// Ada (contact 1, Northwind) and Linus (contact 3, Initech): each one's own ticket in the Support pipeline
const own = (contact) => one(`SELECT t.id FROM tickets t JOIN ticket_contacts tc ON tc.ticket_id = t.id
  AND tc.contact_id = ${contact} AND tc.role = 'requester' WHERE t.pipeline_id = ${support} ORDER BY t.id LIMIT 1`);
const subject = (id) => one(`SELECT subject FROM tickets WHERE id = ${id}`);
const escaped = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
// a 404 page without what differs between two requests (the CSRF token, the request ID)
const plain = (html) => html.replace(/[0-9a-f]{64}/g, 'X').replace(/<code>[0-9a-f]{32}<\/code>/g, 'X');

test('a ticket the contact may not see answers 404 exactly like a missing one, logged in and in the preview', async () => {
  const ada = await loggedIn('ada@example.com');
  const mine = own(1), theirs = own(3), missing = Number(one('SELECT max(id) FROM tickets')) + 1000;
  const ok = await ada.get(`/tickets/${mine}`);
  assert.equal(ok.status, 200);
  assert.ok(ok.html.includes(escaped(subject(mine))), 'her own ticket is shown');
  const hidden = await ada.get(`/tickets/${theirs}`), gone = await ada.get(`/tickets/${missing}`);
  assert.equal(hidden.status, 404);
  assert.equal(gone.status, 404);
  assert.ok(!hidden.html.includes(escaped(subject(theirs))), 'nothing of the hidden ticket');
  assert.equal(plain(hidden.html), plain(gone.html), 'the same answer as for a missing ticket');

  const admin = await staffLoggedIn();
  assert.equal((await admin.get(`/admin/preview/1/tickets/${mine}`)).status, 200);
  const pHidden = await admin.get(`/admin/preview/1/tickets/${theirs}`), pGone = await admin.get(`/admin/preview/1/tickets/${missing}`);
  assert.equal(pHidden.status, 404);
  assert.equal(pGone.status, 404);
  assert.ok(!pHidden.html.includes(escaped(subject(theirs))));
});

test('a CC from another company sees the page and who is copied in; removed, a 404 again', async () => {
  const ticket = own(1);
  const linus = await loggedIn('linus@example.org'), ada = await loggedIn('ada@example.com');
  assert.equal((await linus.get(`/tickets/${ticket}`)).status, 404, 'not his before he is copied in');
  psql(`INSERT INTO ticket_contacts (ticket_id, contact_id, role) VALUES (${ticket}, 3, 'cc')`);
  try {
    const page = await linus.get(`/tickets/${ticket}`);
    assert.equal(page.status, 200);
    assert.ok(page.html.includes(escaped(subject(ticket))));
    assert.match(page.html, /<ul class="cc-list">\s*<li>linus@example\.org/);
    assert.ok(!page.html.includes(`/cc/3/remove`), 'a CC may not remove anyone');
    const hers = await ada.get(`/tickets/${ticket}`);
    assert.ok(hers.html.includes(`action="/tickets/${ticket}/cc/3/remove"`), 'the requester may remove him');
  } finally {
    psql(`DELETE FROM ticket_contacts WHERE ticket_id = ${ticket} AND contact_id = 3 AND role = 'cc'`);
  }
  assert.equal((await linus.get(`/tickets/${ticket}`)).status, 404, 'out again on his next request');
});

test('a session of another portal gets no ticket page here', async () => {
  const ticket = own(1);
  const u = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const portal = one(`INSERT INTO portals (name, ticket_slug) VALUES ('Other ${u}', 'tickets') RETURNING id`);
  try {
    const member = one(`INSERT INTO members (portal_id, contact_id, verified_at) VALUES (${portal}, 1, now()) RETURNING id`);
    const token = randomBytes(32).toString('base64url');
    const hash = createHash('sha256').update(token).digest('hex');
    psql(`INSERT INTO sessions (token_sha256, kind, member_id, portal_id, csrf_secret, expires_at)
          VALUES ('${hash}', 'member', ${member}, ${portal}, 'x${u}', now() + interval '1 hour')`);
    const c = new Client();
    c.jar.set('portal_session', token);
    const r = await c.get(`/tickets/${ticket}`);
    assert.equal(r.status, 303, 'sent to sign in, as without a session');
    assert.match(r.headers.get('location'), /^\/login/);
    assert.ok(!r.html.includes(escaped(subject(ticket))));
    assert.ok(!c.jar.has('portal_session'), 'the cookie is dropped');
  } finally {
    psql(`DELETE FROM portals WHERE id = ${portal}`);
  }
});

test('visible properties show as words: true/false as Yes/No, numbers as written', async () => {
  const ticket = own(1);
  const key = `flag_${randomBytes(3).toString('hex')}`, num = `${key}_n`;
  const before = one(`SELECT properties::text FROM tickets WHERE id = ${ticket}`);
  psql(`UPDATE tickets SET properties = properties || jsonb_build_object('${key}', true, '${num}', 12.5) WHERE id = ${ticket};
    INSERT INTO ticket_property_defs (key, label, visible) VALUES ('${key}', 'Under warranty', true), ('${num}', 'Hours used', true)`);
  try {
    const page = await (await loggedIn('ada@example.com')).get(`/tickets/${ticket}`);
    assert.match(page.html, /<dt>Under warranty<\/dt><dd>Yes<\/dd>/);
    assert.match(page.html, /<dt>Hours used<\/dt><dd>12.5<\/dd>/);
    assert.doesNotMatch(page.html, /<dd>true<\/dd>/);
  } finally {
    psql(`DELETE FROM ticket_property_defs WHERE key IN ('${key}', '${num}');
      UPDATE tickets SET properties = '${before.replace(/'/g, "''")}'::jsonb WHERE id = ${ticket}`);
  }
});
