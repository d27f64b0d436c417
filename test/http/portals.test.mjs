// portals.test.mjs - several portals on one install, from outside: a second portal created in the
// console (/admin/portals) on its own domain, set up through its own settings pages (theme,
// language, access, single sign-on), and the scoping that keeps the two apart: members,
// sessions, verification, reset and login links, JWT sign-on; a contact may be a member of both
// with separate passwords. Also the old settings URLs, an unknown portal, and an agent refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { psql } from '../lib/stack.mjs';
import { Client, csrfOf, loggedIn, staffLoggedIn, DEMO_PASSWORD } from '../lib/client.mjs';
import { HostClient } from '../lib/host_client.mjs';
import { auditMark, auditSince } from '../lib/audit.mjs';
import { everyWorker } from '../lib/wait.mjs';
import { settingsPath, DEFAULT_PORTAL } from '../lib/portals.mjs';

const u = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
const HOST2 = `brand2-${u}.localhost`;
const NAME2 = `Brand Two ${u}`;
const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const sq = (s) => `'${String(s).replace(/'/g, "''")}'`;
const admin = await staffLoggedIn();
let P2 = 0;
const made = { contacts: [], lists: [] };

after(() => {
  if (P2) psql(`DELETE FROM portals WHERE id = ${P2}`);
  if (made.lists.length) psql(`DELETE FROM lists WHERE id IN (${made.lists})`);
  if (made.contacts.length) psql(`DELETE FROM contacts WHERE id IN (${made.contacts})`);
  psql(`DELETE FROM portal_sso WHERE portal_id = ${DEFAULT_PORTAL}`);
});

/* POST a form of a settings page of portal p (fields: an object or [name, value] pairs). */
async function save(p, page, fields, action) {
  const form = await admin.get(settingsPath(page, p));
  assert.equal(form.status, 200, `GET ${settingsPath(page, p)}`);
  const pairs = Array.isArray(fields) ? fields : Object.entries(fields);
  return admin.request(action || settingsPath(page, p), {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams([['csrf', csrfOf(form.html)], ...pairs]).toString(),
  });
}

/* A login token made as the portal makes them (43 base64url characters stored as SHA-256). */
function issueToken(member, purpose) {
  const token = randomBytes(32).toString('base64url');
  psql(`INSERT INTO member_tokens (token_sha256, member_id, purpose, expires_at)
        VALUES ('${sha256(token)}', ${member}, '${purpose}', now() + interval '1 hour')`);
  return token;
}

/* Wait until every worker serves portal 2 as host2 shows it (the settings cache reloaded). */
const onHost2 = (check, what) => everyWorker(async () => check(await new HostClient(HOST2).get('/login')), what);

test('an admin lists the portals and creates a second one; bad input comes back kept (422)', async () => {
  const list = await admin.get('/admin/portals');
  assert.equal(list.status, 200);
  assert.match(list.html, /<th scope="row">[^<]+ <span class="badge">Default<\/span><\/th>/, 'the default portal marked');
  assert.match(list.html, /<td>localhost/, 'its primary domain');
  assert.match(list.html, /href="\/admin\/portals"[^>]*>Portals</, 'in the console navigation');
  assert.match((await admin.get(settingsPath())).html, /href="\/admin\/portals"/, 'linked from the settings index');

  const bad = await admin.submit('/admin/portals', { name: NAME2, host: 'not a host!', language: 'sv' });
  assert.equal(bad.status, 422);
  assert.match(bad.html, /aria-invalid="true"/);
  assert.match(bad.html, new RegExp(`value="${NAME2}"`), 'the name kept');
  assert.match(bad.html, /<option value="sv" selected>/, 'the language kept');
  const taken = await admin.submit('/admin/portals', { name: NAME2, host: 'LOCALHOST', language: 'sv' });
  assert.equal(taken.status, 422);
  assert.match(taken.html, /already used by the portal &quot;/);
  const noName = await admin.submit('/admin/portals', { name: ' ', host: HOST2, language: 'xx' });
  assert.equal(noName.status, 422);
  assert.match(noName.html, /Enter the portal&#39;s name|Enter the portal's name/);
  assert.match(noName.html, /Choose English or Swedish/);
  assert.equal(psql(`SELECT count(*) FROM portal_domains WHERE host = ${sq(HOST2)}`), '0', 'nothing created');

  const mark = auditMark();
  const r = await admin.submit('/admin/portals', { name: NAME2, host: HOST2.toUpperCase(), language: 'sv' });
  assert.equal(r.status, 303);
  const m = /^\/admin\/portals\/(\d+)\/settings\?notice=created$/.exec(r.headers.get('location'));
  assert.ok(m, `to the new portal's settings: ${r.headers.get('location')}`);
  P2 = Number(m[1]);
  assert.equal(psql(`SELECT enabled || ' ' || is_default || ' ' || ticket_slug || ' ' || theme::text FROM portals WHERE id = ${P2}`),
    'false false tickets {}', 'off, not the default, the default slug and the shipped theme');
  assert.equal(psql(`SELECT host || ' ' || language || ' ' || is_primary FROM portal_domains WHERE portal_id = ${P2}`),
    `${HOST2} sv true`);
  assert.equal(psql(`SELECT string_agg(builtin, ',' ORDER BY position) FROM portal_nav_items WHERE portal_id = ${P2}`),
    'tickets,new_ticket,account,logout', 'its built-in navigation');
  const rows = auditSince(mark).filter((a) => a.action === 'portal_create');
  assert.equal(rows.length, 1, 'audited');
  assert.equal(rows[0].detail.after.domain, HOST2);

  const idx = await admin.get(settingsPath('', P2));
  assert.equal(idx.status, 200);
  assert.match(idx.html, new RegExp(`id="configuring">Settings of <strong>${NAME2}</strong>`), 'the header names the portal');
  assert.match(idx.html, new RegExp(`href="/admin/portals/${P2}/settings/theme"`), 'links stay on the portal');
  assert.ok(!idx.html.includes('href="/admin/settings'), 'no link to the old settings URLs');
  const again = await admin.get('/admin/portals');
  assert.match(again.html, new RegExp(`<th scope="row">${NAME2}</th>\\s*<td>${HOST2.replace(/\./g, '\\.')}`));
  assert.match(again.html, new RegExp(`href="/admin/portals/${P2}/settings"`));
  // switched off: its domain shows the access-denied page, not portal 1
  const off = await new HostClient(HOST2).get('/login');
  assert.notEqual(off.status, 200);
});

test('old settings URLs go to the default portal; an unknown portal is a 404; an agent gets 403', async () => {
  const r = await admin.get('/admin/settings/theme?x=1');
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), `${settingsPath('/theme')}?x=1`);
  assert.equal((await admin.get('/admin/settings')).headers.get('location'), settingsPath());
  const p = await admin.post('/admin/settings/general', { csrf: 'x' });
  assert.equal(p.status, 308, 'a POST is repeated at the new URL');
  assert.equal(p.headers.get('location'), settingsPath('/general'));
  assert.equal((await admin.get('/admin/portals/999999999/settings/general')).status, 404);
  assert.equal((await admin.get('/admin/portals/999999999/settings')).status, 404);
  const agent = await staffLoggedIn('agent@example.com');
  assert.equal((await agent.get('/admin/portals')).status, 403);
  assert.equal((await agent.post('/admin/portals', { csrf: csrfOf((await agent.get('/admin')).html), name: 'x', host: 'x.localhost', language: 'en' })).status, 403);
  assert.equal((await agent.get(settingsPath('/general', P2))).status, 403);
});

test('the second portal is set up through its own pages: theme, access by lists, switched on', async () => {
  assert.ok(P2, 'created above');
  const before1 = psql(`SELECT theme::text || access_mode FROM portals WHERE id = ${DEFAULT_PORTAL}`);
  const themePage = await admin.get(settingsPath('/theme', P2));
  assert.match(themePage.html, new RegExp(`action="/admin/portals/${P2}/settings/theme"`));
  const font = /<option value="([^"]*)"/.exec(themePage.html.slice(themePage.html.indexOf('id="font"')))?.[1] ?? '';
  const t = await save(P2, '/theme', { brand_color: '#8a1538', text_color: '#111111', background_color: '#fdfdfd', font });
  assert.equal(t.status, 303);
  assert.equal(t.headers.get('location'), `${settingsPath('/theme', P2)}?saved=1`);

  const contact = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('both-${u}@example.net', 'Bo', 'Both') RETURNING id`);
  made.contacts.push(contact);
  const list = psql(`INSERT INTO lists (name) VALUES ('Brand two ${u}') RETURNING id`);
  made.lists.push(list);
  psql(`INSERT INTO list_members (list_id, contact_id) VALUES (${list}, ${contact})`);
  const a = await save(P2, '/access', [['access_mode', 'lists'], ['sso_audience', 'all'], ['list', list]]);
  assert.equal(a.status, 303, `access saved: ${a.status}`);
  // what a portal needs before it may be switched on: consent texts and a default inbox
  const cs = await save(P2, '/consent', { consent_text: 'We process your data to answer you.', consent_label: 'I agree',
    consent_text_sv: 'Vi behandlar dina uppgifter för att svara dig.', consent_label_sv: 'Jag godkänner' });
  assert.equal(cs.status, 303, `consent saved: ${cs.status}`);
  const inbox = psql('SELECT min(id) FROM inboxes');
  assert.equal((await save(P2, '/inbox', { inbox_id: inbox })).status, 303, 'default inbox saved');
  const g = await save(P2, '/general', { name: NAME2, page_title: NAME2, enabled: 'on' });
  assert.equal(g.status, 303, `switched on: ${g.status} ${/role="alert"[\s\S]{0,300}/.exec(g.html)?.[0] ?? ''}`);
  assert.equal(psql(`SELECT enabled || ' ' || access_mode FROM portals WHERE id = ${P2}`), 'true lists');
  assert.equal(psql(`SELECT theme::text || access_mode FROM portals WHERE id = ${DEFAULT_PORTAL}`), before1, 'portal 1 untouched');
  await onHost2((r) => r.status === 200, 'portal 2 on');
});

test('the two hosts render their own name, language and theme', async () => {
  const one = await new Client().get('/login');
  const two = await new HostClient(HOST2).get('/login');
  assert.equal(two.status, 200);
  assert.match(one.html, /<html lang="en"/);
  assert.match(two.html, /<html lang="sv"/);
  assert.match(two.html, new RegExp(NAME2));
  assert.ok(!two.html.includes('Acme Support'), 'not portal 1');
  assert.ok(!one.html.includes(NAME2), 'not portal 2');
  const css2 = await new HostClient(HOST2).get('/theme.css');
  const css1 = await new Client().get('/theme.css');
  assert.match(css2.html, /--brand: #8a1538;/);
  assert.ok(!css1.html.includes('#8a1538'), 'portal 1 keeps its colour');
});

test('members, sessions and links of one portal are refused on the other; a contact may be a member of both', async () => {
  const contact = made.contacts[0];
  const email = `both-${u}@example.net`;
  const hash1 = psql('SELECT password_hash FROM members WHERE portal_id = 1 AND contact_id = 1'); // the demo password
  const m1 = psql(`INSERT INTO members (portal_id, contact_id, password_hash, verified_at) VALUES (1, ${contact}, ${sq(hash1)}, now()) RETURNING id`);
  // portal 2: its own login, with its own password set through its own reset link
  const m2 = psql(`INSERT INTO members (portal_id, contact_id, verified_at) VALUES (${P2}, ${contact}, now())
                   ON CONFLICT (portal_id, contact_id) DO UPDATE SET verified_at = now() RETURNING id`);
  const PW2 = 'Second-Harbour-Brand-77';
  const reset2 = issueToken(m2, 'reset');
  assert.equal((await new Client().get(`/password-reset/${reset2}`)).status, 400, "portal 2's reset link refused on portal 1");
  const c2 = new HostClient(HOST2);
  const rp = await c2.get(`/password-reset/${reset2}`);
  assert.equal(rp.status, 200, 'and taken on portal 2');
  const set = await c2.post(`/password-reset/${reset2}`, { csrf: csrfOf(rp.html), password: PW2, password_confirm: PW2 });
  assert.equal(set.status, 303);
  assert.notEqual(psql(`SELECT password_hash FROM members WHERE id = ${m2}`), hash1, 'separate passwords');

  // the console's contact page lists the logins of every portal
  const page = await admin.get(`/admin/contacts/${contact}`);
  assert.match(page.html, /<ul id="portal-logins"><li>[^<]+: registered<\/li><li>[^<]+: registered<\/li><\/ul>/, 'a login on each portal');
  // each password works on its own portal only
  const in1 = await loggedIn(email);
  const wrong2 = new HostClient(HOST2);
  const w = await wrong2.submit('/login', { email, password: DEMO_PASSWORD });
  assert.notEqual(w.status, 303, "portal 1's password does not open portal 2");
  const wrong1 = await new Client().submit('/login', { email, password: PW2 });
  assert.notEqual(wrong1.status, 303, "portal 2's password does not open portal 1");
  const in2 = new HostClient(HOST2);
  assert.equal((await in2.submit('/login', { email, password: PW2 })).status, 303);
  assert.equal((await in2.get('/tickets')).status, 200);

  // a member of portal 1 only (Ada) is no member of portal 2
  const ada = await new HostClient(HOST2).submit('/login', { email: 'ada@example.com', password: DEMO_PASSWORD });
  assert.notEqual(ada.status, 303, 'a member of portal 1 cannot log in on portal 2');

  // a session cookie of one portal is no session on the other
  const stolen1 = new HostClient(HOST2);
  stolen1.jar.set('portal_session', in1.jar.get('portal_session'));
  const s1 = await stolen1.get('/tickets');
  assert.equal(s1.status, 303, "portal 1's cookie on portal 2: to the login");
  assert.match(s1.headers.get('location'), /^\/login/);
  const stolen2 = new Client();
  stolen2.jar.set('portal_session', in2.jar.get('portal_session'));
  const s2 = await stolen2.get('/tickets');
  assert.equal(s2.status, 303, "portal 2's cookie on portal 1: to the login");
  assert.equal((await in1.get('/tickets')).status, 200, 'both sessions still good at home');
  assert.equal((await in2.get('/tickets')).status, 200);

  // verification and login links of portal 1 are refused on portal 2, and the other way round
  const v1 = issueToken(m1, 'verify');
  assert.equal((await new HostClient(HOST2).get(`/verify?token=${v1}`)).status, 400, "portal 1's verification link refused on portal 2");
  assert.equal((await new Client().get(`/verify?token=${v1}`)).status, 200, 'and good on portal 1');
  const l1 = issueToken(m1, 'login');
  assert.equal((await new HostClient(HOST2).get(`/login/link/${l1}`)).status, 400, "portal 1's login link refused on portal 2");
  assert.equal((await new Client().get(`/login/link/${l1}`)).status, 200, 'and good on portal 1');
  const l2 = issueToken(m2, 'login');
  assert.equal((await new Client().get(`/login/link/${l2}`)).status, 400, "portal 2's login link refused on portal 1");
  assert.equal((await new HostClient(HOST2).get(`/login/link/${l2}`)).status, 200);
  const r1 = issueToken(m1, 'reset');
  assert.equal((await new HostClient(HOST2).get(`/password-reset/${r1}`)).status, 400, "portal 1's reset link refused on portal 2");
});

test("JWT sign-on: a token signed with portal 1's secret is refused on portal 2", async () => {
  const S1 = `one-${randomBytes(24).toString('hex')}`;
  psql(`INSERT INTO portal_sso (portal_id, jwt_login_url, jwt_alg, jwt_secret) VALUES (1, 'https://app.example.test/one', 'HS256', ${sq(S1)})
        ON CONFLICT (portal_id) DO UPDATE SET jwt_secret = EXCLUDED.jwt_secret`);
  const r = await save(P2, '/sso', { sso_method: 'jwt', jwt_login_url: 'https://app.example.test/two', jwt_alg: 'HS256' });
  assert.equal(r.status, 200);
  const S2 = /id="new-secret">([A-Za-z0-9_-]{43})</.exec(r.html)?.[1];
  assert.ok(S2, "portal 2's secret shown once");
  assert.equal(psql(`SELECT jwt_secret FROM portal_sso WHERE portal_id = 1`), S1, "portal 1's secret untouched");
  const a = await save(P2, '/access', [['access_mode', 'sso'], ['sso_audience', 'all']]);
  assert.equal(a.status, 303, `SSO switched on for portal 2: ${a.status}`);
  await onHost2((res) => res.status === 303 && /^https:\/\/app\.example\.test\/two\?/.test(res.headers.get('location') || ''), 'portal 2 on JWT');
  const b64 = (x) => Buffer.from(x).toString('base64url');
  const jwt = (secret, email) => {
    const t = Math.floor(Date.now() / 1000);
    const input = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64(JSON.stringify({ email, name: 'Jo Jwt', iat: t - 5, exp: t + 300, jti: `j-${randomBytes(6).toString('hex')}` }))}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  };
  const email = `jwt-${u}@example.net`;
  const bad = await new HostClient(HOST2).get(`/sso/jwt?jwt=${jwt(S1, email)}`);
  assert.equal(bad.status, 403, "portal 1's signature refused");
  assert.ok(!bad.headers.getSetCookie().some((c) => /^portal_session=[^;]/.test(c)), 'no session');
  const good = new HostClient(HOST2);
  const ok = await good.get(`/sso/jwt?jwt=${jwt(S2, email)}`);
  // accepted: a browser that did not start the sign-on confirms the identity first
  assert.equal(ok.status, 200, "portal 2's own signature accepted");
  assert.ok(ok.html.includes(email), 'the confirmation names the signed-in address');
  made.contacts.push(...psql(`SELECT id FROM contacts WHERE lower(email) = ${sq(email)}`).split('\n').filter(Boolean));
  // portal 1 has no sign-on: its /sso/jwt does not exist
  assert.equal((await new Client().get(`/sso/jwt?jwt=${jwt(S1, email)}`)).status, 404);
});
