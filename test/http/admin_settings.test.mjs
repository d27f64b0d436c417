// admin_settings.test.mjs - the portal settings pages of the admin console: each valid save takes
// effect in the portal (through either worker), invalid input is refused with 422 and changes
// nothing, every change is in the audit log, agents and forged posts are refused; the demo portal
// is left exactly as it was.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { psql, rawRequest, workerPids } from '../lib/stack.mjs';
import { Client, staffLoggedIn, loggedIn, csrfOf } from '../lib/client.mjs';
import { waitForMail } from '../lib/mail.mjs';
import { everyWorker, registrationOpen } from '../lib/wait.mjs';
import { auditMark, auditSince, oneAudit, staffId } from '../lib/audit.mjs';
import { ownTickets } from '../lib/demo.mjs';
import { settingsPath } from '../lib/portals.mjs';

const u = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
const admin = await staffLoggedIn();
const agent = await staffLoggedIn('agent@example.com');

const q = (s) => s.replace(/'/g, "''");
const html = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const COLS = `name, page_title, enabled, ticket_slug, previous_slug, access_mode, consent_text, consent_label,
  default_inbox_id, show_custom_stages, kb_link_enabled, session_timeout_minutes`;
const portalState = () => psql(`SELECT row_to_json(x)::text FROM (SELECT ${COLS} FROM portals WHERE id = 1) x`);
const domainsState = () => psql(`SELECT coalesce(string_agg(host || ':' || language || ':' || is_primary, ',' ORDER BY host), '')
  FROM portal_domains WHERE portal_id = 1`);
const listsState = () => psql('SELECT coalesce(string_agg(list_id::text, \',\' ORDER BY list_id), \'\') FROM portal_lists WHERE portal_id = 1');
const state = () => `${portalState()}|${domainsState()}|${listsState()}`;
const ADMIN = staffId('admin@example.com');
/* The detail of the one settings_change row for setting written by the admin after mark. */
const audited = (mark, setting) => oneAudit(mark, { action: 'settings_change', setting, actor_kind: 'staff', actor_id: ADMIN }).detail;
const domainId = (host) => psql(`SELECT id FROM portal_domains WHERE host = '${host}'`);

const ORIGINAL = portalState();
const ORIGINAL_DOMAINS = domainsState();
assert.equal(ORIGINAL_DOMAINS, 'localhost:en:true', 'demo data: one domain, localhost, English, primary');

/* Put the demo portal back as it was, whatever a failed test left behind. */
function restore() {
  psql(`UPDATE portals p SET name = o.name, page_title = o.page_title, enabled = o.enabled,
    ticket_slug = o.ticket_slug, previous_slug = o.previous_slug, access_mode = o.access_mode,
    consent_text = o.consent_text, consent_label = o.consent_label, default_inbox_id = o.default_inbox_id,
    show_custom_stages = o.show_custom_stages, kb_link_enabled = o.kb_link_enabled,
    session_timeout_minutes = o.session_timeout_minutes
    FROM json_populate_record(NULL::portals, '${q(ORIGINAL)}') o WHERE p.id = 1 AND p IS DISTINCT FROM o`);
  psql(`DELETE FROM portal_domains WHERE portal_id = 1 AND host <> 'localhost';
    UPDATE portal_domains SET language = 'en', is_primary = true WHERE portal_id = 1 AND host = 'localhost'
      AND (language <> 'en' OR NOT is_primary);
    DELETE FROM portal_lists WHERE portal_id = 1;
    DELETE FROM portals WHERE name = 'Other portal ${u}'`);
}
after(async () => {
  restore();
  await registrationOpen();
});

/* A form refused with 422: the message shows, the input is kept, nothing changed, no audit row. */
async function refused(page, fields, message, { action, kept = [] } = {}) {
  const before = state(), mark = auditMark();
  const r = await admin.submit(page, fields, action);
  assert.equal(r.status, 422, `${JSON.stringify(fields)} is refused`);
  assert.match(r.html, message);
  assert.match(r.html, /class="alert" role="alert"/, 'a summary at the top');
  for (const k of kept) assert.ok(r.html.includes(html(k)), `the input "${k}" is kept on the page`);
  assert.equal(state(), before, 'nothing changed in the database');
  assert.deepEqual(auditSince(mark), [], 'no audit row');
  return r;
}

/* A customer-side GET on a fresh connection (any worker), optionally for another Host. */
async function fresh(path, host = '127.0.0.1') {
  return rawRequest(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
}

const PAGES = [settingsPath(), settingsPath('/general'), settingsPath('/domains'), settingsPath('/access'),
  settingsPath('/consent'), settingsPath('/inbox'), settingsPath('/status'), settingsPath('/kb-link'),
  settingsPath('/session')];
const POSTS = [settingsPath('/general'), settingsPath('/domains'), `${settingsPath()}/domains/1/remove`,
  settingsPath('/domains/1/primary'), settingsPath('/domains/1/language'), settingsPath('/slug'),
  settingsPath('/access'), settingsPath('/consent'), settingsPath('/inbox'), settingsPath('/status'),
  settingsPath('/kb-link'), settingsPath('/session')];

test('an agent gets 403 on every settings page and post; a post without CSRF is refused', async () => {
  const before = state();
  for (const p of PAGES) assert.equal((await agent.get(p)).status, 403, `agent GET ${p}`);
  const csrf = csrfOf((await agent.get('/admin')).html);
  for (const p of POSTS) {
    const r = await agent.post(p, { csrf, name: 'Agent was here', page_title: 'x', enabled: 'on', host: 'agent.example.com',
      slug: 'agent', timeout: '10', kb_link: 'off', status_display: 'custom_stages', language: 'sv' });
    assert.equal(r.status, 403, `agent POST ${p}`);
  }
  for (const p of POSTS) {
    const r = await admin.post(p, { name: 'No token', page_title: 'x', enabled: 'on', host: 'nocsrf.example.com',
      slug: 'nocsrf', timeout: '10', kb_link: 'off', status_display: 'custom_stages', language: 'sv' });
    assert.equal(r.status, 403, `POST ${p} without CSRF`);
  }
  const wrong = await admin.post(settingsPath('/general'), { csrf: '0'.repeat(64), name: 'Wrong token', page_title: '', enabled: 'on' });
  assert.equal(wrong.status, 403);
  assert.equal(state(), before, 'nothing changed');
  assert.equal((await new Client().get(settingsPath())).status, 303, 'not logged in: to the staff login');
});

test('the settings index links every settings page with a summary of its value', async () => {
  const r = await admin.get(settingsPath());
  assert.equal(r.status, 200);
  for (const p of ['general', 'domains', 'access', 'consent', 'inbox', 'status', 'kb-link', 'session', 'filters',
    'permissions', 'theme', 'navigation', 'support-form', 'templates', 'emails']) {
    assert.match(r.html, new RegExp(`href="${settingsPath()}/${p}"`), `links ${settingsPath()}/${p}`);
  }
  assert.match(r.html, /href="\/admin\/portals\/\d+\/settings\/sso"/);
  assert.match(r.html, /Not set up/, 'single sign-on is not set up in the demo');
  assert.match(r.html, /Acme Support · page title: Acme Support · portal on/);
  assert.match(r.html, /1 domain, primary localhost \(English\) · ticket pages at \/tickets/);
  assert.match(r.html, /Member registration/);
  assert.match(r.html, /Support inbox/);
  assert.match(r.html, /after 60 minutes/);
});

test('page title: saved, audited, and shown by both workers on the very next requests', async () => {
  assert.equal(workerPids().length, 2, 'the test stack runs two workers');
  for (let i = 0; i < 6; i++) assert.match((await fresh('/login')).body, /<title>[^<]*Acme Support<\/title>/);
  const title = `Help centre ${u} & "friends"`;
  try {
    const mark = auditMark();
    const r = await admin.submit(settingsPath('/general'), { name: 'Acme Support', page_title: title, enabled: 'on' });
    assert.equal(r.status, 303);
    // right after the 303, with nothing in between: every request, whichever worker takes it
    for (let i = 0; i < 20; i++) {
      const res = await fresh('/login');
      assert.equal(res.status, 200);
      assert.ok(res.body.includes(`${html(title)}</title>`), `request ${i + 1} shows the new title`);
    }
    assert.equal(r.headers.get('location'), settingsPath('/general?saved=1'));
    assert.match((await admin.get(settingsPath('/general?saved=1'))).html, /Saved\./);
    assert.equal(psql('SELECT page_title FROM portals WHERE id = 1'), title);
    assert.deepEqual(audited(mark, 'page_title'), { setting: 'page_title', before: { page_title: 'Acme Support' }, after: { page_title: title } });
    const audit = await admin.get('/admin/audit?action=settings_change');
    assert.ok(audit.html.includes(html(`{"page_title": "Help centre ${u}`)), 'the audit page shows it');
    // and again, several saves in a row, each followed at once by requests on both workers
    for (let round = 0; round < 5; round++) {
      const t = `${title} ${round}`;
      assert.equal((await admin.submit(settingsPath('/general'), { name: 'Acme Support', page_title: t, enabled: 'on' })).status, 303);
      for (let i = 0; i < 8; i++) assert.ok((await fresh('/login')).body.includes(`${html(t)}</title>`), `round ${round}, request ${i + 1}`);
    }
    assert.equal((await admin.submit(settingsPath('/general'), { name: 'Acme Support', page_title: title, enabled: 'on' })).status, 303);
  } finally {
    const r = await admin.submit(settingsPath('/general'), { name: 'Acme Support', page_title: 'Acme Support', enabled: 'on' });
    assert.equal(r.status, 303);
  }
  for (let i = 0; i < 6; i++) assert.match((await fresh('/login')).body, /<title>[^<]*Acme Support<\/title>/);
});

test('general: a missing or too long name and a multi-line title are refused with the input kept', async () => {
  await refused(settingsPath('/general'), { name: '', page_title: `Kept ${u}`, enabled: 'on' }, /id="name-error"/, { kept: [`Kept ${u}`] });
  await refused(settingsPath('/general'), { name: 'x'.repeat(121), page_title: '', enabled: 'on' }, /too long/i, { kept: ['x'.repeat(121)] });
  await refused(settingsPath('/general'), { name: `Kept ${u}`, page_title: 'two\nlines', enabled: 'on' }, /id="page_title-error"/, { kept: [`Kept ${u}`] });
  await refused(settingsPath('/general'), { name: `Kept ${u}`, page_title: '', enabled: 'maybe' }, /Choose on or off/);
});

test('switching off always works; switching on is refused with every missing requirement listed', async () => {
  try {
    const offMark = auditMark();
    const off = await admin.submit(settingsPath('/general'), { name: 'Acme Support', page_title: 'Acme Support', enabled: 'off' });
    assert.equal(off.status, 303);
    assert.equal(psql('SELECT enabled FROM portals WHERE id = 1'), 'f');
    assert.deepEqual(audited(offMark, 'enabled'), { setting: 'enabled', before: { enabled: true }, after: { enabled: false } });
    assert.equal((await fresh('/login')).status, 403, 'customers get the access-denied page');

    // (the console reads what blocks switching on from the database, not from a worker's cache)
    psql(`UPDATE portals SET consent_text = '', default_inbox_id = NULL, access_mode = 'lists' WHERE id = 1`);
    const r = await refused(settingsPath('/general'), { name: `Renamed ${u}`, page_title: 'Acme Support', enabled: 'on' },
      /cannot be switched on yet/, { kept: [`Renamed ${u}`] });
    assert.match(r.html, /no list is chosen/);
    assert.match(r.html, /consent-to-process notice/);
    assert.match(r.html, /default inbox/);
    assert.doesNotMatch(r.html, /Add a domain/, 'the domain is there');
    assert.equal(psql('SELECT enabled FROM portals WHERE id = 1'), 'f');
  } finally {
    restore();
    psql('UPDATE portals SET enabled = false WHERE id = 1');
  }
  await everyWorker(async () => (await fresh('/login')).status === 403, 'customers getting the access-denied page');
  const onMark = auditMark();
  const on = await admin.submit(settingsPath('/general'), { name: 'Acme Support', page_title: 'Acme Support', enabled: 'on' });
  assert.equal(on.status, 303);
  assert.equal(psql('SELECT enabled FROM portals WHERE id = 1'), 't');
  assert.deepEqual(audited(onMark, 'enabled'), { setting: 'enabled', before: { enabled: false }, after: { enabled: true } });
  assert.equal((await fresh('/login')).status, 200);
});

test('domains: bad host names, duplicates and another portal\'s host are refused', async () => {
  for (const [host, msg] of [['exa mple.com', /no spaces/], ['http://x', /without http:\/\//], ['help.example.com:8080', /without a port/],
    ['-bad.example.com', /hyphen/], ['a..b', /empty parts/], [`${'a'.repeat(64)}.com`, /63 characters/],
    ['under_score.example.com', /only letters/], ['', /Enter a host name|required/i]]) {
    await refused(settingsPath('/domains'), { host, language: 'en' }, msg, { kept: host ? [host] : [] });
  }
  await refused(settingsPath('/domains'), { host: 'LOCALHOST', language: 'en' }, /already has this domain/);
  await refused(settingsPath('/domains'), { host: `ok-${u}.example.com`, language: 'fi' }, /English or Swedish/);
  const other = psql(`INSERT INTO portals (name) VALUES ('Other portal ${u}') RETURNING id`);
  try {
    psql(`INSERT INTO portal_domains (portal_id, host, is_primary) VALUES (${other}, 'other-${u}.example.com', true)`);
    await refused(settingsPath('/domains'), { host: `other-${u}.example.com`, language: 'en' },
      new RegExp(`already used by the portal &quot;Other portal ${u}&quot;`));
  } finally {
    psql(`DELETE FROM portals WHERE id = ${other}`);
  }
});

test('domains: add one with its language, change the language, make it primary, remove it', async () => {
  const host = `help-${u}.example.com`;
  try {
    let mark = auditMark();
    const add = await admin.submit(settingsPath('/domains'), { host: `Help-${u}.Example.com`, language: 'sv' });
    assert.equal(add.status, 303);
    assert.equal(domainsState(), `${host}:sv:false,localhost:en:true`, 'stored lower-cased, not primary');
    assert.deepEqual(audited(mark, 'domains'), { setting: 'domains', before: null, after: { host, language: 'sv', primary: false } });
    const page = await admin.get(settingsPath('/domains'));
    assert.ok(page.html.includes(host));
    assert.match(page.html, /<html lang="en">/);
    assert.match((await fresh('/login', host)).body, /<html lang="sv">/, 'the portal speaks Swedish on that domain');
    assert.match((await fresh('/login')).body, /<html lang="en">/, 'and English elsewhere');

    const id = domainId(host);
    mark = auditMark();
    const lang = await admin.submit(settingsPath('/domains'), { language: 'en' }, `${settingsPath()}/domains/${id}/language`);
    assert.equal(lang.status, 303);
    assert.match((await fresh('/login', host)).body, /<html lang="en">/, 'a changed language takes effect');
    assert.deepEqual(audited(mark, 'domain_language').after, { host, language: 'en' });
    await refused(settingsPath('/domains'), { language: 'xx' }, /English or Swedish/, { action: `${settingsPath()}/domains/${id}/language` });

    // the primary one cannot go while others are there
    await refused(settingsPath('/domains'), {}, /Make another domain primary first/, { action: `${settingsPath()}/domains/${domainId('localhost')}/remove` });
    mark = auditMark();
    const prim = await admin.submit(settingsPath('/domains'), {}, `${settingsPath()}/domains/${id}/primary`);
    assert.equal(prim.status, 303);
    assert.equal(domainsState(), `${host}:en:true,localhost:en:false`);
    assert.deepEqual(audited(mark, 'primary_domain'), { setting: 'primary_domain', before: { primary_domain: 'localhost' }, after: { primary_domain: host } });
    assert.equal((await admin.submit(settingsPath('/domains'), {}, `${settingsPath()}/domains/${domainId('localhost')}/primary`)).status, 303);
    assert.equal(domainsState(), `${host}:en:false,localhost:en:true`);

    mark = auditMark();
    const rm = await admin.submit(settingsPath('/domains'), {}, `${settingsPath()}/domains/${id}/remove`);
    assert.equal(rm.status, 303);
    assert.equal(domainsState(), 'localhost:en:true');
    assert.deepEqual(audited(mark, 'domains').before, { host, language: 'en', primary: false });
    // the last domain of a portal that is switched on stays
    await refused(settingsPath('/domains'), {}, /only domain/, { action: `${settingsPath()}/domains/${domainId('localhost')}/remove` });
    assert.equal((await admin.submit(settingsPath('/domains'), {}, settingsPath('/domains/999999999/remove'))).status, 404);
  } finally {
    restore();
  }
});

test('ticket slug: bad and reserved slugs are refused; a new one serves the list and the old one answers 301', async () => {
  for (const slug of ['Bad Slug', 'UPPER', 'a--b', '-x', 'x-', 'dots.no', 'a'.repeat(65)]) {
    await refused(settingsPath('/domains'), { slug }, /id="slug-error"/, { action: settingsPath('/slug'), kept: [slug] });
  }
  for (const slug of ['login', 'admin', 'kb-link', 'files', 'api']) {
    await refused(settingsPath('/domains'), { slug }, /taken by another portal page/, { action: settingsPath('/slug'), kept: [slug] });
  }
  const ada = await loggedIn('ada@example.com');
  const id = psql(`SELECT min(id) FROM tickets WHERE id IN ${ownTickets(1)}`);
  const slug = `help-${u}`;
  try {
    const mark = auditMark();
    const r = await admin.submit(settingsPath('/domains'), { slug }, settingsPath('/slug'));
    assert.equal(r.status, 303);
    assert.equal(psql('SELECT ticket_slug || \'|\' || previous_slug FROM portals WHERE id = 1'), `${slug}|tickets`);
    assert.deepEqual(audited(mark, 'ticket_slug'), { setting: 'ticket_slug', before: { ticket_slug: 'tickets' }, after: { ticket_slug: slug } });
    const old = await ada.get(`/tickets/${id}`);
    assert.equal(old.status, 301);
    assert.equal(old.headers.get('location'), `/${slug}/${id}`);
    const oldList = await ada.get('/tickets?status=all');
    assert.equal(oldList.status, 301);
    assert.equal(oldList.headers.get('location'), `/${slug}?status=all`);
    const list = await ada.get(`/${slug}`);
    assert.equal(list.status, 200);
    assert.ok(list.html.includes(`href="/${slug}/`), 'the list links to the new slug');
    assert.equal((await ada.get(`/${slug}/${id}`)).status, 200);
  } finally {
    assert.equal((await admin.submit(settingsPath('/domains'), { slug: 'tickets' }, settingsPath('/slug'))).status, 303);
    psql('UPDATE portals SET previous_slug = NULL WHERE id = 1');
  }
  assert.equal((await ada.get(`/tickets/${id}`)).status, 200);
});

test('access: SSO and lists without a list are refused; lists mode invites the list\'s contacts by email', async () => {
  await refused(settingsPath('/access'), { access_mode: 'sso' }, /Single sign-on is not ready: Choose a single sign-on method/);
  await refused(settingsPath('/access'), { access_mode: 'lists' }, /Choose at least one list/);
  await refused(settingsPath('/access'), { access_mode: 'lists', list: '999999999' }, /does not exist any more/);
  await refused(settingsPath('/access'), { access_mode: 'everyone' }, /Choose who may enter/);
  const email = `listed-${u}@example.net`;
  const list = psql(`INSERT INTO lists (name) VALUES ('Settings access ${u}') RETURNING id`);
  const contact = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${email}', 'Lisa', 'Listed') RETURNING id`);
  psql(`INSERT INTO list_members (list_id, contact_id) VALUES (${list}, ${contact})`);
  try {
    const page = await admin.get(settingsPath('/access'));
    assert.match(page.html, new RegExp(`value="${list}"`));
    assert.match(page.html, /Before choosing single sign-on: Choose a single sign-on method/);
    const kept = await refused(settingsPath('/access'), { access_mode: 'sso', list }, /Single sign-on is not ready/);
    assert.match(kept.html, new RegExp(`id="list-${list}" name="list" type="checkbox" value="${list}" checked`), 'the chosen list stays ticked');

    const mark = auditMark();
    const r = await admin.submit(settingsPath('/access'), { access_mode: 'lists', list });
    assert.equal(r.status, 303);
    assert.equal(psql('SELECT access_mode FROM portals WHERE id = 1'), 'lists');
    assert.equal(listsState(), list);
    assert.deepEqual(audited(mark, 'access_mode'), { setting: 'access_mode', before: { access_mode: 'registration' }, after: { access_mode: 'lists' } });
    assert.deepEqual(audited(mark, 'access_lists').after, { lists: [{ id: Number(list), name: `Settings access ${u}` }] });
    assert.equal(psql(`SELECT count(*) FROM member_invitations WHERE portal_id = 1 AND contact_id = ${contact}`), '1', 'an invitation is queued');
    const mail = await waitForMail(email, (m) => /invited/.test(m.subject));
    assert.match(mail.text, /Lisa Listed/);
    assert.equal((await new Client().get('/register')).status, 404, 'no self-registration in lists mode');
  } finally {
    const back = await admin.submit(settingsPath('/access'), { access_mode: 'registration' });
    assert.equal(back.status, 303);
    psql(`DELETE FROM member_invitations WHERE contact_id = ${contact}; DELETE FROM members WHERE contact_id = ${contact};
      DELETE FROM contacts WHERE id = ${contact}; DELETE FROM lists WHERE id = ${list}`);
  }
  assert.equal(psql('SELECT access_mode FROM portals WHERE id = 1'), 'registration');
  assert.equal(listsState(), '');
  assert.equal((await new Client().get('/register')).status, 200);
});

test('consent: the notice and label show on the registration page; empty or too long ones are refused', async () => {
  const text = `We keep your data ${u} safe.\nRead the [terms](https://example.com/terms).`;
  const label = `I agree ${u}`;
  await refused(settingsPath('/consent'), { consent_text: '', consent_label: label }, /id="consent_text-error"/, { kept: [label] });
  await refused(settingsPath('/consent'), { consent_text: 'x'.repeat(2001), consent_label: label }, /id="consent_text-error"/, { kept: [label] });
  await refused(settingsPath('/consent'), { consent_text: text, consent_label: '' }, /id="consent_label-error"/, { kept: [`We keep your data ${u} safe.`] });
  await refused(settingsPath('/consent'), { consent_text: text, consent_label: 'y'.repeat(201) }, /id="consent_label-error"/);
  const orig = JSON.parse(ORIGINAL);
  try {
    const mark = auditMark();
    const r = await admin.submit(settingsPath('/consent'), { consent_text: text, consent_label: label });
    assert.equal(r.status, 303);
    const reg = await new Client().get('/register');
    assert.match(reg.html, new RegExp(`We keep your data ${u} safe\\.<br>`));
    assert.match(reg.html, /<a href="https:\/\/example.com\/terms" rel="noopener noreferrer">terms<\/a>/);
    assert.ok(reg.html.includes(`<label for="consent">${label}</label>`));
    const a = audited(mark, 'consent');
    assert.equal(a.before.consent_label, orig.consent_label);
    assert.deepEqual(a.after, { consent_text: text, consent_label: label });
  } finally {
    const r = await admin.submit(settingsPath('/consent'), { consent_text: orig.consent_text, consent_label: orig.consent_label });
    assert.equal(r.status, 303);
  }
});

test('default inbox: a reply on a ticket without a conversation lands in the chosen inbox', async () => {
  await refused(settingsPath('/inbox'), { inbox_id: '' }, /Choose the inbox/);
  await refused(settingsPath('/inbox'), { inbox_id: 'abc' }, /Choose the inbox/);
  await refused(settingsPath('/inbox'), { inbox_id: '999999999' }, /does not exist any more/);
  const ticket = psql(`INSERT INTO tickets (subject, pipeline_id, stage_id) VALUES ('Phone call ${u}', 1, 1) RETURNING id`);
  psql(`INSERT INTO ticket_contacts (ticket_id, contact_id) VALUES (${ticket}, 1)`);
  try {
    const mark = auditMark();
    const r = await admin.submit(settingsPath('/inbox'), { inbox_id: '2' });
    assert.equal(r.status, 303);
    assert.match((await admin.get(settingsPath('/inbox'))).html, /<option value="2" selected>Billing inbox<\/option>/);
    assert.deepEqual(audited(mark, 'default_inbox'), { setting: 'default_inbox',
      before: { default_inbox: { id: 1, name: 'Support inbox' } }, after: { default_inbox: { id: 2, name: 'Billing inbox' } } });
    const ada = await loggedIn('ada@example.com');
    const page = await ada.get(`/tickets/${ticket}`);
    assert.equal(page.status, 200);
    const nonce = /name="nonce" value="([A-Za-z0-9_-]{43})"/.exec(page.html)[1];
    const fd = new FormData();
    fd.append('csrf', csrfOf(page.html));
    fd.append('nonce', nonce);
    fd.append('body', 'Following up on the call.');
    const res = await fetch(`${process.env.PORTAL_URL}/tickets/${ticket}/reply`, { method: 'POST', body: fd, redirect: 'manual',
      headers: { cookie: ada.cookieHeader() } });
    assert.equal(res.status, 303);
    assert.equal(psql(`SELECT inbox_id FROM threads WHERE ticket_id = ${ticket}`), '2');
  } finally {
    assert.equal((await admin.submit(settingsPath('/inbox'), { inbox_id: '1' })).status, 303);
    psql(`DELETE FROM engagements WHERE ticket_id = ${ticket}; DELETE FROM threads WHERE ticket_id = ${ticket};
      DELETE FROM tickets WHERE id = ${ticket}`);
  }
  assert.equal(psql('SELECT default_inbox_id FROM portals WHERE id = 1'), '1');
});

test('status display: custom stage names show in the customer\'s ticket list', async () => {
  await refused(settingsPath('/status'), { status_display: 'rainbow' }, /Choose how the portal shows/);
  const ada = await loggedIn('ada@example.com');
  const badges = async () => [...(await ada.get('/tickets?status=all')).html.matchAll(/<span class="badge(?: closed)?">([^<]+)<\/span>/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(await badges())].sort(), ['Closed', 'Open']);
  try {
    const mark = auditMark();
    assert.equal((await admin.submit(settingsPath('/status'), { status_display: 'custom_stages' })).status, 303);
    assert.deepEqual(audited(mark, 'show_custom_stages').after, { show_custom_stages: true });
    const names = new Set(await badges());
    assert.ok(!names.has('Open'), 'no plain "Open"');
    assert.ok([...names].some((n) => ['New', 'Waiting on contact', 'Waiting on us'].includes(n)), `stage names: ${[...names]}`);
  } finally {
    assert.equal((await admin.submit(settingsPath('/status'), { status_display: 'open_closed' })).status, 303);
  }
  assert.deepEqual([...new Set(await badges())].sort(), ['Closed', 'Open']);
});

test('knowledge-base link: the embeddable page follows the switch, frames anywhere and speaks the domain\'s language', async () => {
  await refused(settingsPath('/kb-link'), { kb_link: 'sometimes' }, /Choose on or off/);
  const page = await admin.get(settingsPath('/kb-link'));
  assert.match(page.html, /Go to Acme Support/);
  assert.match(page.html, /<textarea id="snippet"[^>]*readonly[^>]*>&lt;a href=&quot;https?:\/\/localhost(:\d+)?\/tickets&quot;&gt;Go to Acme Support&lt;\/a&gt;<\/textarea>/);
  const on = await fresh('/kb-link');
  assert.equal(on.status, 200);
  assert.match(on.body, /<a class="btn" href="https?:\/\/localhost(:\d+)?\/tickets" target="_top">Go to Acme Support<\/a>/);
  assert.match(on.headers['content-security-policy'], /frame-ancestors \*/);
  assert.doesNotMatch(on.headers['content-security-policy'], /frame-ancestors 'none'/);
  assert.equal(on.headers['x-frame-options'], undefined);
  assert.equal(on.headers['set-cookie'], undefined, 'the embeddable page sets no cookie');
  const host = `kb-${u}.example.com`;
  psql(`INSERT INTO portal_domains (portal_id, host, language) VALUES (1, '${host}', 'sv')`);
  try {
    const swedish = new RegExp(`href="https?://${host.replace(/\./g, '\\.')}(:\\d+)?/tickets" target="_top">Gå till Acme Support`);
    await everyWorker(async () => swedish.test((await fresh('/kb-link', host)).body), `the link in Swedish on ${host}`);
  } finally {
    psql(`DELETE FROM portal_domains WHERE host = '${host}'`);
  }
  try {
    const mark = auditMark();
    assert.equal((await admin.submit(settingsPath('/kb-link'), { kb_link: 'off' })).status, 303);
    assert.deepEqual(audited(mark, 'kb_link_enabled'), { setting: 'kb_link_enabled', before: { kb_link_enabled: true }, after: { kb_link_enabled: false } });
    for (let i = 0; i < 4; i++) assert.equal((await fresh('/kb-link')).status, 404);
  } finally {
    assert.equal((await admin.submit(settingsPath('/kb-link'), { kb_link: 'on' })).status, 303);
  }
  assert.equal((await fresh('/kb-link')).status, 200);
});

test('session timeout: out of range or not a whole number is refused; a shorter one logs idle customers out', async () => {
  for (const timeout of ['4', 'abc', '43201', '10.5', '-5', '']) {
    await refused(settingsPath('/session'), { timeout }, /id="timeout-error"/, { kept: timeout ? [timeout] : [] });
  }
  const grace = await loggedIn('grace@example.com');
  const idle = () => psql(`UPDATE sessions SET last_seen_at = now() - interval '6 minutes'
    WHERE member_id = (SELECT id FROM members WHERE portal_id = 1 AND contact_id = 2)`);
  idle();
  assert.equal((await grace.get('/tickets')).status, 200, '6 idle minutes are fine with 60');
  try {
    const mark = auditMark();
    assert.equal((await admin.submit(settingsPath('/session'), { timeout: '5' })).status, 303);
    assert.deepEqual(audited(mark, 'session_timeout_minutes'), { setting: 'session_timeout_minutes',
      before: { session_timeout_minutes: 60 }, after: { session_timeout_minutes: 5 } });
    assert.equal((await admin.submit(settingsPath('/session'), { timeout: '43200' })).status, 303, 'the upper bound is allowed');
    assert.equal((await admin.submit(settingsPath('/session'), { timeout: '5' })).status, 303, 'and the lower one');
    idle();
    const r = await grace.get('/tickets');
    assert.equal(r.status, 303);
    assert.match(r.headers.get('location'), /^\/login\?idle=1/);
  } finally {
    assert.equal((await admin.submit(settingsPath('/session'), { timeout: '60' })).status, 303);
  }
});

test('the demo portal is left exactly as it was', async () => {
  assert.equal(portalState(), ORIGINAL);
  assert.equal(domainsState(), ORIGINAL_DOMAINS);
  assert.equal(listsState(), '');
  const o = JSON.parse(ORIGINAL);
  assert.equal(o.previous_slug, null);
  assert.equal(o.ticket_slug, 'tickets');
});
