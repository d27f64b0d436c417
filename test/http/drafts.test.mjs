// drafts.test.mjs - a reply or new ticket posted without a session is kept for the browser and
// offered back after sign-in, never lost and never sent; the upload limit is stated, and a body
// over it gets the portal's own 413 page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, psql } from '../lib/stack.mjs';
import { registrationOpen, ssoOn } from '../lib/wait.mjs';
import { ownTickets } from '../lib/demo.mjs';
import { Client, csrfOf, loggedIn, DEMO_PASSWORD } from '../lib/client.mjs';

const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
// an open ticket of Ada's own, with a thread (test/lib/demo.mjs)
const openTicket = () => psql(`SELECT min(t.id) FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id
  WHERE t.id IN ${ownTickets(1)} AND NOT s.is_closed AND ticket_latest_thread(t.id) IS NOT NULL`);
const endSessions = (email) => psql(`DELETE FROM sessions WHERE member_id IN (SELECT m.id FROM members m
  JOIN contacts c ON c.id = m.contact_id WHERE lower(c.email) = '${email}')`);
const nonceOf = (html) => /name="nonce" value="([A-Za-z0-9_-]{43})"/.exec(html)[1];

async function postMultipart(client, path, fields, files = [], headers = {}) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  for (const f of files) fd.append('files', new Blob([f.data]), f.name);
  const h = { ...headers };
  if (client.jar.size) h.cookie = client.cookieHeader();
  const res = await fetch(BASE + path, { method: 'POST', body: fd, headers: h, redirect: 'manual' });
  client.store(res);
  res.html = await res.text();
  return res;
}

test('a reply posted after the session ended is kept, not sent, and back in the form after signing in', async () => {
  const c = await loggedIn('ada@example.com');
  const id = openTicket();
  const page = await c.get(`/tickets/${id}`);
  assert.equal(page.status, 200);
  assert.match(page.html, /Files up to \d+ MB in total\./, 'the reply form states the upload limit');
  const text = `Typed while the session ran out ${uniq()}`;
  endSessions('ada@example.com');
  const r = await postMultipart(c, `/tickets/${id}/reply`, { csrf: csrfOf(page.html), nonce: nonceOf(page.html), body: text },
    [{ name: 'log.txt', data: 'x' }]);
  assert.equal(r.status, 401, 'a page, not a redirect that a form-action CSP could block');
  assert.match(r.html, /You were signed out/);
  assert.match(r.html, /We kept your text for 30 minutes/);
  assert.match(r.html, /Attached files were not kept/);
  assert.match(r.html, new RegExp(`href="/login\\?next=%2Ftickets%2F${id}"`), 'sign in again, back to the ticket');
  assert.equal(psql(`SELECT count(*) FROM messages WHERE body = '${text}'`), '0', 'nothing was sent');
  assert.equal(psql(`SELECT count(*) FROM drafts WHERE fields->>'body' = '${text}'`), '1');
  assert.equal(psql(`SELECT count(*) FROM drafts WHERE fields ? 'csrf' OR fields ? 'nonce'`), '0', 'no token is kept');

  const back = await c.submit(`/login?next=/tickets/${id}`, { email: 'ada@example.com', password: DEMO_PASSWORD, next: `/tickets/${id}` }, '/login');
  assert.equal(back.status, 303);
  assert.equal(back.headers.get('location'), `/tickets/${id}`);
  const again = await c.get(`/tickets/${id}`);
  assert.equal(again.status, 200);
  assert.match(again.html, new RegExp(`<textarea id="body" name="body" rows="6">${text}</textarea>`));
  assert.match(again.html, /We kept the text you wrote before you were signed out/);
  assert.equal(psql(`SELECT count(*) FROM drafts WHERE fields->>'body' = '${text}'`), '0', 'offered once, then gone');
  const third = await c.get(`/tickets/${id}`);
  assert.doesNotMatch(third.html, new RegExp(text));
  // and it can be sent now
  const sent = await postMultipart(c, `/tickets/${id}/reply`, { csrf: csrfOf(again.html), nonce: nonceOf(again.html), body: text });
  assert.equal(sent.status, 303);
  assert.equal(psql(`SELECT count(*) FROM messages WHERE body = '${text}'`), '1');
});

test('a new ticket posted without a session is kept and offered back in the support form', async () => {
  const c = await loggedIn('grace@example.com');
  const form = await c.get('/tickets/new');
  assert.equal(form.status, 200);
  const subject = `Printer on fire ${uniq()}`;
  endSessions('grace@example.com');
  const r = await c.post('/tickets/new', { csrf: csrfOf(form.html), nonce: nonceOf(form.html), subject,
    description: 'It started this morning.' });
  assert.equal(r.status, 401);
  assert.match(r.html, /We kept your text/);
  assert.doesNotMatch(r.html, /Attached files were not kept/, 'no files were sent');
  assert.equal(psql(`SELECT count(*) FROM tickets WHERE subject = '${subject}'`), '0');
  await c.submit('/login', { email: 'grace@example.com', password: DEMO_PASSWORD });
  const back = await c.get('/tickets/new');
  assert.match(back.html, new RegExp(`name="subject" type="text" maxlength="500" value="${subject}"`));
  assert.match(back.html, />It started this morning\.<\/textarea>/);
  assert.match(back.html, /We kept the text you wrote/);
});

test('a draft is kept only for the browser that wrote it, and never from another site', async () => {
  const c = await loggedIn('ada@example.com');
  const id = openTicket();
  const page = await c.get(`/tickets/${id}`);
  const text = `Only mine ${uniq()}`;
  endSessions('ada@example.com');
  await postMultipart(c, `/tickets/${id}/reply`, { csrf: csrfOf(page.html), nonce: nonceOf(page.html), body: text });
  // another browser signing in as Ada does not see it
  const other = await loggedIn('ada@example.com');
  other.jar.set('portal_draft', '1');
  assert.doesNotMatch((await other.get(`/tickets/${id}`)).html, new RegExp(text));
  // a cross-site form (no pre-session cookie, a foreign Origin) keeps nothing
  const bare = new Client();
  const planted = `Planted ${uniq()}`;
  const r = await postMultipart(bare, `/tickets/${id}/reply`, { body: planted }, [], { origin: 'https://evil.example' });
  assert.equal(r.status, 401);
  assert.match(r.html, /could not be kept/);
  assert.equal(psql(`SELECT count(*) FROM drafts WHERE fields->>'body' = '${planted}'`), '0');
});

test('with SAML on, a reply without a session gets the signed-out page, not a redirect into the IdP', async () => {
  const c = await loggedIn('ada@example.com');
  const id = openTicket();
  const page = await c.get(`/tickets/${id}`);
  try {
    psql(`INSERT INTO portal_sso (portal_id, saml_idp_entity_id, saml_idp_sso_url, saml_idp_cert)
          VALUES (1, 'https://idp.example/e', 'https://idp.example/sso', 'x') ON CONFLICT (portal_id) DO NOTHING;
          UPDATE portals SET access_mode = 'sso', sso_method = 'saml' WHERE id = 1`);
    await ssoOn();
    endSessions('ada@example.com');
    const r = await postMultipart(c, `/tickets/${id}/reply`, { csrf: csrfOf(page.html), nonce: nonceOf(page.html), body: 'kept' });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('location'), null);
    assert.match(r.html, /href="\/login\?next=/);
    const login = await c.get(`/login?next=/tickets/${id}`);
    assert.equal(login.status, 303);
    assert.match(login.headers.get('location'), /^\/sso\/saml\/login\?next=%2Ftickets%2F\d+$/, 'the link starts the sign-on');
  } finally {
    psql(`UPDATE portals SET access_mode = 'registration', sso_method = NULL WHERE id = 1; DELETE FROM portal_sso`);
    await registrationOpen();
  }
});

test('a body over the size limit gets the portal\'s own 413 page, which says the limit', async () => {
  const c = await loggedIn('ada@example.com');
  const id = openTicket();
  const page = await c.get(`/tickets/${id}`);
  const limit = Number(/Files up to (\d+) MB in total/.exec(page.html)[1]);
  assert.ok(limit > 0, 'the page states the limit');
  const big = Buffer.alloc((limit + 1) * 1024 * 1024, 0x61);
  const r = await postMultipart(c, `/tickets/${id}/reply`, { csrf: csrfOf(page.html), nonce: nonceOf(page.html), body: 'big' },
    [{ name: 'big.bin', data: big }]);
  assert.equal(r.status, 413);
  assert.match(r.headers.get('content-type') || '', /text\/html/);
  assert.match(r.html, /<link[^>]+portal\.css/, 'the portal\'s own page, with its theme');
  assert.match(r.html, new RegExp(`up to ${limit} MB in total`));
  assert.doesNotMatch(r.html, /<center>nginx/);
});
