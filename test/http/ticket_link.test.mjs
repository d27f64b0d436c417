// ticket_link.test.mjs - the signed ticket link of a notification (/<slug>/<id>/open?t=...): a
// logged-out contact signs in with one button (POST) and lands on exactly that ticket; nothing of
// the ticket shows before; a logged-in customer who may see it goes straight there; a bad or
// expired link falls back to the login with the ticket as next; sign-on when SSO is on.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BASE, VAR, psql, rawRequest } from '../lib/stack.mjs';
import { Client, csrfOf, loggedIn } from '../lib/client.mjs';
import { auditMark, oneAudit, auditSince } from '../lib/audit.mjs';
import { everyWorker, registrationOpen, ssoOn, visit } from '../lib/wait.mjs';

/* The token as fcgi/mail_tokens.c makes it: "<contact>.<expires>.<hex HMAC-SHA-256 under the
 * config's secret_key of "ticket-link:<contact>.<ticket>.<expires>">". */
const SECRET = JSON.parse(readFileSync(path.join(VAR, 'portal.json'), 'utf8')).secret_key;
const now = () => Math.floor(Date.now() / 1000);
let made = 0; // a link signs in once: each token made here is a different one
function token(contact, ticket, expires = now() + 14 * 86400 - made++) {
  const sig = createHmac('sha256', SECRET).update(`ticket-link:${contact}.${ticket}.${expires}`).digest('hex');
  return `${contact}.${expires}.${sig}`;
}
const link = (contact, ticket, t = token(contact, ticket)) => `/tickets/${ticket}/open?t=${encodeURIComponent(t)}`;
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

const ADA = 1, LINUS = 3;
/* An open Support ticket of Ada's (demo: g % 10 = 1, g > 140), which the portal shows Ada and not Linus. */
const TICKET = Number(psql(`SELECT min(t.id) FROM portal_visible_tickets(1, ${ADA}, 'mine') t WHERE t.id > 140`));
const SUBJECT = psql(`SELECT subject FROM tickets WHERE id = ${TICKET}`);
const OTHER = Number(psql(`SELECT min(t.id) FROM portal_visible_tickets(1, ${ADA}, 'mine') t WHERE t.id <> ${TICKET}`));
const LOGIN_NEXT = `/login?next=${encodeURIComponent(`/tickets/${TICKET}`)}`;

after(() => psql('DELETE FROM login_failures'));

function noSecretsLeak(res) {
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer', 'the token in the URL is never sent on as a Referer');
  assert.equal(res.headers.get('cache-control'), 'no-store');
}

test('the demo data has what these tests need', () => {
  assert.ok(TICKET > 140 && OTHER > 0 && SUBJECT.length > 3, `ticket ${TICKET} "${SUBJECT}", other ${OTHER}`);
  assert.equal(psql(`SELECT count(*) FROM portal_visible_tickets(1, ${LINUS}, 'all') t WHERE t.id = ${TICKET}`), '0');
});

test('logged out: a page with one button and nothing of the ticket; its POST signs the contact in onto the ticket', async () => {
  const c = new Client();
  const href = link(ADA, TICKET);
  const page = await c.get(href);
  assert.equal(page.status, 200);
  noSecretsLeak(page);
  assert.match(page.html, new RegExp(`<h1[^>]*>Open ticket #${TICKET}</h1>`));
  assert.ok(page.html.includes('Continue as a•••@example.com'), 'the contact, masked');
  assert.ok(!page.html.includes('ada@example.com'), 'not the full address');
  assert.ok(!page.html.includes(SUBJECT), 'not the subject');
  assert.match(page.html, new RegExp(`<form method="post" action="/tickets/${TICKET}/open">`));
  assert.match(page.html, new RegExp(`Not you\\? <a href="${LOGIN_NEXT.replace(/[?]/g, '\\?')}">Log in</a>`));
  assert.equal(c.jar.has('portal_session'), false, 'a GET signs nobody in');
  assert.ok(c.jar.has('portal_pre'), 'the button is CSRF-bound to the pre-session');
  // a second GET (the person after the mail scanner) still works: GET spends nothing
  assert.equal((await new Client().get(href)).status, 200);

  const mark = auditMark();
  const t = /name="t" value="([^"]+)"/.exec(page.html)[1];
  const use = await c.post(`/tickets/${TICKET}/open`, { csrf: csrfOf(page.html), t });
  assert.equal(use.status, 303);
  noSecretsLeak(use);
  assert.equal(use.headers.get('location'), `/tickets/${TICKET}`);
  assert.ok(c.jar.has('portal_session'), 'a session');
  const ticket = await c.get(`/tickets/${TICKET}`);
  assert.equal(ticket.status, 200);
  assert.ok(ticket.html.includes(SUBJECT), 'the ticket itself, logged in');
  oneAudit(mark, { action: 'login', actor_kind: 'member', actor_id: 1, detail: { method: 'ticket_link' } });

  // a link signs in once: the same token again, in another browser, leads to the login
  const again = new Client();
  const form = await again.get('/login');
  const second = await again.post(`/tickets/${TICKET}/open`, { csrf: csrfOf(form.html), t });
  assert.equal(second.status, 303);
  assert.equal(second.headers.get('location'), LOGIN_NEXT);
  assert.equal(again.jar.has('portal_session'), false, 'no second session from one link');
  const reopened = await again.get(href);
  assert.equal(reopened.status, 303, 'and its page no longer offers the button');
  assert.equal(reopened.headers.get('location'), LOGIN_NEXT);
});

test('a customer logged in who may see the ticket goes straight to it, whoever the link was for', async () => {
  const ada = await loggedIn('ada@example.com');
  for (const href of [link(ADA, TICKET), link(LINUS, TICKET), `/tickets/${TICKET}/open?t=garbage`]) {
    const r = await ada.get(href);
    assert.equal(r.status, 303, href);
    assert.equal(r.headers.get('location'), `/tickets/${TICKET}`);
    noSecretsLeak(r);
  }
});

test("another ticket's token, a tampered signature, an expired link, no token: the login with the ticket as next", async () => {
  const good = token(ADA, TICKET);
  const flip = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
  const expired = token(ADA, TICKET, now() - 60);
  const later = good.replace(/^(\d+)\.(\d+)\./, (_, c, e) => `${c}.${Number(e) + 86400}.`); // expiry moved on
  const cases = { other: token(ADA, OTHER), tampered: flip, later, expired, someone: token(LINUS + 100000, TICKET).replace(/^\d+/, '1') };
  for (const [name, t] of Object.entries(cases)) {
    const c = new Client();
    const r = await c.get(link(ADA, TICKET, t));
    assert.equal(r.status, 303, name);
    assert.equal(r.headers.get('location'), LOGIN_NEXT, name);
    noSecretsLeak(r);
    // the same token in the button's POST opens no session either
    const form = await c.get('/login');
    const p = await c.post(`/tickets/${TICKET}/open`, { csrf: csrfOf(form.html), t });
    assert.equal(p.status, 303, name);
    assert.equal(p.headers.get('location'), LOGIN_NEXT, name);
    assert.equal(c.jar.has('portal_session'), false, name);
  }
  const none = await visit(`/tickets/${TICKET}/open`);
  assert.equal(none.status, 303);
  assert.equal(none.location, LOGIN_NEXT);
  // and the login page carries that next on to where the customer lands
  const c = new Client();
  const login = await c.get(LOGIN_NEXT);
  assert.match(login.html, new RegExp(`name="next" value="/tickets/${TICKET}"`));
  const r = await c.post('/login', { csrf: csrfOf(login.html), email: 'ada@example.com', password: 'demo-Portal-2026', next: `/tickets/${TICKET}` });
  assert.equal(r.headers.get('location'), `/tickets/${TICKET}`);
  psql('DELETE FROM login_failures');
});

test('the POST without the CSRF token is refused and opens no session', async () => {
  const c = new Client();
  await c.get(link(ADA, TICKET));
  const r = await c.post(`/tickets/${TICKET}/open`, { t: token(ADA, TICKET) });
  assert.equal(r.status, 403);
  assert.equal(c.jar.has('portal_session'), false);
});

test('a contact the portal does not show that ticket: no button, and a POST makes no session', async () => {
  const c = new Client();
  const page = await c.get(link(LINUS, TICKET));
  assert.equal(page.status, 403);
  noSecretsLeak(page);
  assert.match(page.html, /This link cannot open the ticket/);
  assert.ok(!page.html.includes('Continue as'));
  assert.ok(!page.html.includes(SUBJECT));
  const mark = auditMark();
  const form = await c.get('/login'); // a POST made by hand, with this browser's CSRF token
  const r = await c.post(`/tickets/${TICKET}/open`, { csrf: csrfOf(form.html), t: token(LINUS, TICKET) });
  assert.equal(r.status, 403);
  assert.match(r.html, /This link cannot open the ticket/);
  assert.equal(c.jar.has('portal_session'), false);
  assert.deepEqual(auditSince(mark, { action: 'login' }), []);
  oneAudit(mark, { action: 'ticket_link_refused', detail: { contact: LINUS, ticket: TICKET } });
});

test('logged in as someone who may not see it: the button replaces that session with the contact\'s', async () => {
  const linus = await loggedIn('linus@example.org');
  const old = linus.jar.get('portal_session');
  const page = await linus.get(link(ADA, TICKET));
  assert.equal(page.status, 200);
  assert.match(page.html, /You are logged in as someone who cannot see this ticket/);
  assert.ok(!page.html.includes(SUBJECT));
  const r = await linus.post(`/tickets/${TICKET}/open`, { csrf: csrfOf(page.html), t: token(ADA, TICKET) });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), `/tickets/${TICKET}`);
  assert.notEqual(linus.jar.get('portal_session'), old, 'a new session');
  const sha = psql(`SELECT count(*) FROM sessions WHERE token_sha256 = encode(sha256('${old}'::bytea), 'hex')`);
  assert.equal(sha, '0', 'the old session is gone');
  assert.equal((await linus.get(`/tickets/${TICKET}`)).status, 200);
});

test('a contact without a login yet: the button makes a verified member of this portal and signs them in', async () => {
  const email = `tl-${uniq()}@example.net`;
  const contact = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${email}', 'Tia', 'Link') RETURNING id`);
  psql(`INSERT INTO ticket_contacts (ticket_id, contact_id) VALUES (${TICKET}, ${contact})`);
  try {
    const c = new Client();
    const page = await c.get(link(contact, TICKET));
    assert.equal(page.status, 200);
    assert.ok(page.html.includes(`Continue as t•••@example.net`));
    const mark = auditMark();
    const r = await c.post(`/tickets/${TICKET}/open`, { csrf: csrfOf(page.html), t: token(contact, TICKET) });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), `/tickets/${TICKET}`);
    const member = psql(`SELECT id || ' ' || (verified_at IS NOT NULL) FROM members WHERE portal_id = 1 AND contact_id = ${contact}`);
    assert.match(member, /^\d+ true$/);
    oneAudit(mark, { action: 'login', actor_id: Number(member.split(' ')[0]), detail: { method: 'ticket_link' } });
    assert.equal((await c.get(`/tickets/${TICKET}`)).status, 200);
  } finally {
    psql(`DELETE FROM ticket_contacts WHERE contact_id = ${contact}; DELETE FROM contacts WHERE id = ${contact}`);
  }
});

test('too many bad links from one address: 429 with Retry-After', async () => {
  psql('DELETE FROM login_failures');
  psql("INSERT INTO login_failures (ip) SELECT '127.0.0.1' FROM generate_series(1, 29)");
  try {
    const bad = await visit(link(ADA, TICKET, token(ADA, OTHER)));
    assert.equal(bad.status, 303, 'the 30th failure is still answered');
    assert.equal(psql("SELECT count(*) FROM login_failures WHERE ip = '127.0.0.1'"), '30', 'a bad signature counts as a failed login');
    const r = await new Client().get(link(ADA, TICKET));
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '600');
  } finally {
    psql('DELETE FROM login_failures');
  }
});

test('the previous ticket slug answers 301 to the new one with the token kept', async () => {
  psql("UPDATE portals SET ticket_slug = 'cases', previous_slug = 'tickets' WHERE id = 1");
  try {
    const t = token(ADA, TICKET);
    const r = await everyWorker(async () => {
      const x = await visit(`/tickets/${TICKET}/open?t=${t}`);
      return x.status === 301 && x;
    }, 'the slug cases on every worker');
    assert.equal(r.location, `/cases/${TICKET}/open?t=${t}`);
    const page = await visit(r.location);
    assert.equal(page.status, 200);
    assert.match(page.html, new RegExp(`action="/cases/${TICKET}/open"`));
  } finally {
    psql("UPDATE portals SET ticket_slug = 'tickets', previous_slug = NULL WHERE id = 1");
    await everyWorker(async () => (await visit('/tickets')).status === 303 && (await visit('/cases')).status === 404, 'the slug tickets back');
  }
});

test('a Swedish domain shows the page in Swedish', async () => {
  const host = `sv-link-${uniq()}.invalid`;
  psql(`INSERT INTO portal_domains (portal_id, host, language) VALUES (1, '${host}', 'sv')`);
  try {
    const body = await everyWorker(async () => {
      const r = await rawRequest(`GET ${link(ADA, TICKET)} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      return r.status === 200 && r.body.includes('<html lang="sv"') && r.body;
    }, 'the Swedish domain on every worker');
    assert.match(body, new RegExp(`<h1[^>]*>Öppna ärende #${TICKET}</h1>`));
    assert.ok(body.includes('Fortsätt som a•••@example.com'));
    assert.ok(body.includes('Inte du?'));
  } finally {
    psql(`DELETE FROM portal_domains WHERE host = '${host}'`);
  }
});

test('with single sign-on on, the link goes through sign-on with the ticket as next (no button)', async () => {
  const LOGIN_URL = 'https://app.example/portal-login';
  try {
    psql(`INSERT INTO portal_sso (portal_id, jwt_login_url, jwt_alg, jwt_secret)
          VALUES (1, '${LOGIN_URL}', 'HS256', 'tl-secret-${uniq()}')
          ON CONFLICT (portal_id) DO UPDATE SET jwt_login_url = EXCLUDED.jwt_login_url, jwt_alg = EXCLUDED.jwt_alg,
            jwt_secret = EXCLUDED.jwt_secret;
          UPDATE portals SET access_mode = 'sso', sso_method = 'jwt', sso_audience = 'all' WHERE id = 1`);
    await ssoOn(new RegExp(`^${LOGIN_URL}\\?redirect_url=`));
    const r = await new Client().get(link(ADA, TICKET));
    assert.equal(r.status, 303);
    noSecretsLeak(r);
    const loc = new URL(r.headers.get('location'));
    assert.equal(`${loc.origin}${loc.pathname}`, LOGIN_URL);
    assert.match(loc.searchParams.get('redirect_url'), new RegExp(`^https?://[^/]+/tickets/${TICKET}$`));
    assert.equal(psql(`SELECT relay_state FROM sso_requests WHERE portal_id = 1 ORDER BY expires_at DESC LIMIT 1`),
      `/tickets/${TICKET}`, 'the sign-on returns to the ticket');
  } finally {
    psql(`UPDATE portals SET access_mode = 'registration', sso_method = NULL, sso_audience = 'all' WHERE id = 1;
          DELETE FROM portal_sso WHERE portal_id = 1; DELETE FROM sso_requests WHERE portal_id = 1`);
    await registrationOpen();
  }
});

test('a contact the portal does not let in (lists mode, not on a list): the access-denied page, no session', async () => {
  const email = `tl-out-${uniq()}@example.net`;
  const contact = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${email}', 'Otto', 'Outside') RETURNING id`);
  psql(`INSERT INTO ticket_contacts (ticket_id, contact_id) VALUES (${TICKET}, ${contact})`);
  try {
    psql("UPDATE portals SET access_mode = 'lists' WHERE id = 1");
    await everyWorker(async () => (await visit('/register')).status === 404, 'no self-registration (lists mode)');
    const c = new Client();
    const page = await c.get(link(contact, TICKET));
    assert.equal(page.status, 200);
    const mark = auditMark();
    const r = await c.post(`/tickets/${TICKET}/open`, { csrf: csrfOf(page.html), t: token(contact, TICKET) });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/access-denied');
    assert.equal(c.jar.has('portal_session'), false);
    assert.equal(psql(`SELECT count(*) FROM members WHERE contact_id = ${contact}`), '0', 'no member made');
    oneAudit(mark, { action: 'login_denied', detail: { method: 'ticket_link', contact: Number(contact) } });
    assert.deepEqual(auditSince(mark, { action: 'login' }), []);
  } finally {
    psql(`UPDATE portals SET access_mode = 'registration' WHERE id = 1;
          DELETE FROM ticket_contacts WHERE contact_id = ${contact}; DELETE FROM contacts WHERE id = ${contact}`);
    await registrationOpen();
  }
});
