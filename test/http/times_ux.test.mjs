// times_ux.test.mjs - issue 15: every time with its zone named (the portal's zone on the portal,
// the install's in the console, set at /admin/console-settings), thread and ticket numbers told
// apart, timelines in words, and the small things a new user tripped over.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BASE, psql } from '../lib/stack.mjs';
import { Client, csrfOf, loggedIn, staffLoggedIn } from '../lib/client.mjs';
import { auditMark, oneAudit, staffId } from '../lib/audit.mjs';
import { waitForMail, linkPath } from '../lib/mail.mjs';
import { psqlEverywhere, registrationOpen } from '../lib/wait.mjs';
import { ownTickets } from '../lib/demo.mjs';
import { settingsPath } from '../lib/portals.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const admin = await staffLoggedIn();
const ADMIN = staffId('admin@example.com');
const PORTAL = one('SELECT id FROM portals WHERE is_default');
// Ada's open ticket with a conversation, and its times as they were
const TICKET = one(`SELECT t.id FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id WHERE t.id IN ${ownTickets(1)}
  AND NOT s.is_closed AND ticket_latest_thread(t.id) IS NOT NULL ORDER BY t.id DESC LIMIT 1`);
const saved = one(`SELECT created_at || '|' || last_activity_at || '|' || coalesce(description, '') FROM tickets WHERE id = ${TICKET}`).split('|');
const zoneBefore = one(`SELECT time_zone FROM portals WHERE id = ${PORTAL}`);

after(async () => {
  psql(`UPDATE tickets SET created_at = '${saved[0]}', last_activity_at = '${saved[1]}' WHERE id = ${TICKET}`);
  psql(`UPDATE install_settings SET time_zone = 'UTC'`);
  await psqlEverywhere(`UPDATE portals SET time_zone = '${zoneBefore}' WHERE id = ${PORTAL}`, 'the portal zone back');
});

test('the portal shows its times in its own zone with the zone named, summer and winter alike', async () => {
  psql(`UPDATE tickets SET created_at = '2026-01-15 12:00:00+00', last_activity_at = '2026-07-01 12:00:00+00' WHERE id = ${TICKET}`);
  await psqlEverywhere(`UPDATE portals SET time_zone = 'Europe/Stockholm' WHERE id = ${PORTAL}`, 'Stockholm time');
  const ada = await loggedIn('ada@example.com');
  const list = await ada.get('/tickets?status=all&sort=created&dir=asc');
  assert.equal(list.status, 200);
  const page = await ada.get(`/tickets/${TICKET}`);
  assert.equal(page.status, 200);
  for (const html of [page.html]) {
    assert.match(html, /15 Jan 2026, 13:00 CET/, 'winter: CET');
    assert.match(html, /1 Jul 2026, 14:00 CEST/, 'summer: CEST');
  }
  // every time on the list names its zone
  const cells = [...list.html.matchAll(/<td data-label="[^"]*">(\d{1,2} \w+ \d{4}, \d\d:\d\d[^<]*)<\/td>/g)].map((m) => m[1]);
  assert.ok(cells.length >= 2);
  for (const c of cells) assert.match(c, / CES?T$/, c);
  // the conversation's times too
  assert.match(page.html, /<time>\d{1,2} \w+ \d{4}, \d\d:\d\d CES?T<\/time>/);
});

test('the console shows every time in the install zone set at /admin/console-settings, with its abbreviation', async () => {
  const form = await admin.get('/admin/console-settings');
  assert.equal(form.status, 200);
  assert.match(form.html, /name="time_zone"[^>]*value="UTC"/);
  assert.match((await admin.get(settingsPath())).html, /href="\/admin\/console-settings"/);
  const agent = await staffLoggedIn('agent@example.com');
  assert.equal((await agent.get('/admin/console-settings')).status, 403);

  const bad = await admin.post('/admin/console-settings', { csrf: csrfOf(form.html), time_zone: 'Mars/Olympus_Mons' });
  assert.equal(bad.status, 422);
  assert.match(bad.html, /Enter a time zone from the list/);
  assert.match(bad.html, /value="Mars\/Olympus_Mons"/, 'the input is kept');
  assert.equal(one('SELECT time_zone FROM install_settings'), 'UTC');

  const mark = auditMark();
  const ok = await admin.post('/admin/console-settings', { csrf: csrfOf(form.html), time_zone: 'america/new_york' });
  assert.equal(ok.status, 303);
  assert.equal(one('SELECT time_zone FROM install_settings'), 'America/New_York', 'saved as PostgreSQL spells it');
  const audit = oneAudit(mark, { action: 'settings_change', setting: 'console_time_zone', actor_kind: 'staff', actor_id: ADMIN }).detail;
  assert.deepEqual([audit.before.console_time_zone, audit.after.console_time_zone], ['UTC', 'America/New_York']);

  psql(`UPDATE tickets SET created_at = '2026-01-15 12:00:00+00', last_activity_at = '2026-07-01 12:00:00+00' WHERE id = ${TICKET}`);
  const t = await admin.get(`/admin/tickets/${TICKET}`);
  assert.equal(t.status, 200);
  assert.match(t.html, /2026-01-15 07:00 EST/, 'created, winter');
  assert.match(t.html, /2026-07-01 08:00 EDT/, 'last activity, summer');
  assert.doesNotMatch(t.html, /\bUTC\b/, 'no time labelled UTC any more');
  const audit_page = await admin.get('/admin/audit?action=settings_change');
  assert.match(audit_page.html, /<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d E[SD]T<\/time>/);
  assert.match(audit_page.html, />Settings changed</, 'the action in words');
  assert.doesNotMatch(audit_page.html, /<td>settings_change/);
  const thread = one(`SELECT ticket_latest_thread(${TICKET})`);
  const th = await admin.get(`/admin/inbox/${thread}`);
  assert.match(th.html, /<time>\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T<\/time>/, 'the thread page too');
  assert.match(th.html, new RegExp(`Conversation T-${thread}\\b`));
});

test('a reply on the portal is "Reply on the portal" on the console timeline; threads are T-n, tickets #n', async () => {
  const ada = await loggedIn('ada@example.com');
  const page = await ada.get(`/tickets/${TICKET}`);
  const nonce = /name="nonce" value="([A-Za-z0-9_-]{43})"/.exec(page.html)[1];
  const fd = new FormData();
  fd.append('csrf', csrfOf(page.html));
  fd.append('nonce', nonce);
  fd.append('body', `A reply from the portal ${uniq()}`);
  const r = await fetch(`${BASE}/tickets/${TICKET}/reply`, { method: 'POST', body: fd, headers: { cookie: ada.cookieHeader() }, redirect: 'manual' });
  assert.equal(r.status, 303);
  const t = await admin.get(`/admin/tickets/${TICKET}`);
  assert.match(t.html, /Reply on the portal/);
  assert.doesNotMatch(t.html, /portal_reply|incoming email/);
  const thread = one(`SELECT ticket_latest_thread(${TICKET})`);
  assert.match(t.html, new RegExp(`>T-${thread}</a>`), 'the conversation as T-n');
  assert.doesNotMatch(t.html, new RegExp(`>#${thread}</a>`));
  assert.match(t.html, new RegExp(`<h1>#${TICKET} `), 'the ticket as #n');
  // the attach form takes the number as the console writes it
  const other = one(`SELECT th.id FROM threads th WHERE th.ticket_id IS NULL ORDER BY th.id LIMIT 1`);
  if (other) {
    const a = await admin.submit(`/admin/tickets/${TICKET}`, { thread_id: `T-${other}` }, `/admin/tickets/${TICKET}/threads`);
    assert.equal(a.status, 303);
    assert.equal(one(`SELECT ticket_id FROM threads WHERE id = ${other}`), TICKET);
    psql(`UPDATE threads SET ticket_id = NULL WHERE id = ${other}`);
  }
});

test('the ticket page shows the description once: no card when the conversation starts with it', async () => {
  const ada = await loggedIn('ada@example.com');
  const first = one(`SELECT body FROM messages WHERE thread_id = (SELECT min(id) FROM threads WHERE ticket_id = ${TICKET} AND id = ticket_latest_thread(${TICKET}))
    ORDER BY created_at, id LIMIT 1`);
  try {
    psql(`UPDATE tickets SET description = (SELECT body FROM messages WHERE thread_id = ticket_latest_thread(${TICKET}) ORDER BY created_at, id LIMIT 1) WHERE id = ${TICKET}`);
    assert.doesNotMatch((await ada.get(`/tickets/${TICKET}`)).html, /class="card description"/);
    psql(`UPDATE tickets SET description = 'Something else entirely ${uniq()}' WHERE id = ${TICKET}`);
    assert.match((await ada.get(`/tickets/${TICKET}`)).html, /class="card description"/, 'a description the conversation lacks stays');
  } finally {
    psql(`UPDATE tickets SET description = nullif('${saved[2].replace(/'/g, "''")}', '') WHERE id = ${TICKET}`);
  }
  assert.ok(first !== undefined);
});

test('a first password: the mail and the page say "choose your password", the rule names the email part, and it ends "Your password is set"', async () => {
  await registrationOpen();
  const email = `grace.first-${uniq()}@example.net`;
  // a contact staff entered registers: the mails greet her by the name she has, never by what
  // the form typed (that must not travel to an address not confirmed yet)
  psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${email}', 'Grace', 'Hopper')`);
  const c = new Client();
  const form = await c.get('/register');
  const reg = await c.post('/register', { csrf: csrfOf(form.html), name: 'Typed Name', email, consent: 'yes' });
  assert.equal(reg.status, 200);
  const verify = await waitForMail(email);
  assert.match(verify.text, /^Hello Grace Hopper,/, 'the verification mail greets by name');
  assert.doesNotMatch(verify.text, /Typed Name/);
  const again = new Client();
  const form2 = await again.get('/register');
  assert.equal((await again.post('/register', { csrf: csrfOf(form2.html), name: 'Typed Name', email, consent: 'yes' })).status, 200);
  const exists = await waitForMail(email, (m) => /already have an account/.test(m.subject));
  assert.match(exists.text, /^Hello Grace Hopper,/, 'the account-exists mail too');
  // asked again on the reset page before choosing one: still a first password
  const rq = await new Client().submit('/password-reset', { email });
  assert.equal(rq.status, 200);
  const mail = await waitForMail(email, (m) => /Choose your password/.test(m.subject));
  assert.doesNotMatch(mail.text, /new password/i);
  const link = linkPath(mail);
  const page = await c.get(link);
  assert.equal(page.status, 200);
  assert.match(page.html, /<label for="password">Password<\/label>/);
  assert.doesNotMatch(page.html, /New password|new password/);
  const weak = await c.post(link, { csrf: csrfOf(page.html), password: 'Grace-Tr0ub4dor', password_confirm: 'Grace-Tr0ub4dor' });
  assert.equal(weak.status, 422);
  assert.match(weak.html, /user name, the part before the @/);
  assert.doesNotMatch(weak.html, /must not contain your email address\./);
  const good = await c.post(link, { csrf: csrfOf(weak.html), password: 'Blue-Harbour-71x', password_confirm: 'Blue-Harbour-71x' });
  assert.equal(good.status, 303);
  const login = await new Client().get('/login?reset=1');
  assert.match(login.html, /Your password is set\./);
  assert.doesNotMatch(login.html, /Your new password/);
});

test('/kb-link takes the theme; the first card is not flush against the header', async () => {
  await psqlEverywhere(`UPDATE portals SET kb_link_enabled = true WHERE id = ${PORTAL}`, 'the knowledge base link on');
  try {
    const r = await new Client().get('/kb-link');
    assert.equal(r.status, 200);
    assert.match(r.html, /<link rel="stylesheet" href="\/theme.css\?v=[^"]*">/);
  } finally {
    psql(`UPDATE portals SET kb_link_enabled = false WHERE id = ${PORTAL}`);
  }
  const login = await new Client().get('/login');
  const css = /href="(\/static\/[^"]+\/portal.css)"/.exec(login.html)[1];
  const text = await (await fetch(BASE + css)).text();
  assert.match(text, /main\.wrap \{ padding: 2rem 1rem 3rem; \}/);
});

test('the Access page names the SSO method that is set up', async () => {
  const before = one(`SELECT coalesce(sso_method, '') FROM portals WHERE id = ${PORTAL}`);
  try {
    psql(`UPDATE portals SET sso_method = 'jwt' WHERE id = ${PORTAL}`);
    const r = await admin.get(settingsPath('/access'));
    assert.match(r.html, /Single sign-on \(JWT\)/);
    assert.doesNotMatch(r.html, /Single sign-on \(SAML 2.0\)/);
  } finally {
    psql(`UPDATE portals SET sso_method = nullif('${before}', '') WHERE id = ${PORTAL}`);
  }
});
