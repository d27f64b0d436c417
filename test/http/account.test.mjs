// account.test.mjs - /account (name, password), /account/two-factor, and the second factor at every
// way in (password, login link, ticket link, reset link), the portal's requirement, the console's
// removal. A fresh contact and member per test; the portal's requirement is turned off again.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { VAR, psql } from '../lib/stack.mjs';
import { Client, csrfOf, DEMO_PASSWORD, staffLoggedIn } from '../lib/client.mjs';
import { waitForMail, linkPath } from '../lib/mail.mjs';
import { auditMark, oneAudit, auditSince } from '../lib/audit.mjs';
import { totp, nextTotp } from '../lib/totp.mjs';
import { registrationOpen, ssoOn } from '../lib/wait.mjs';
import { settingsPath } from '../lib/portals.mjs';

const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const HASH = psql('SELECT password_hash FROM members WHERE contact_id = 1'); // DEMO_PASSWORD's
after(() => psql('DELETE FROM login_failures'));

function newMember(prefix, { password = true } = {}) {
  const email = `${prefix}-${uniq()}@example.net`;
  const contact = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${email}', 'Acc', 'Tester') RETURNING id`);
  const member = psql(`INSERT INTO members (portal_id, contact_id, password_hash, verified_at)
    VALUES (1, ${contact}, ${password ? `'${HASH}'` : 'NULL'}, now()) RETURNING id`);
  return { email, contact: Number(contact), member: Number(member) };
}

async function passwordLogin(email, password = DEMO_PASSWORD, c = new Client()) {
  const r = await c.submit('/login', { email, password });
  return { c, r };
}

async function login(email) {
  const { c, r } = await passwordLogin(email);
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/tickets');
  return c;
}

const secretOf = (html) => {
  const m = /<code id="tf-secret">([A-Z2-7 ]+)<\/code>/.exec(html);
  assert.ok(m, 'the secret shows as text');
  return m[1];
};
const codesOf = (html) => [...html.matchAll(/<li><code>([a-z2-7]{5}-[a-z2-7]{5})<\/code><\/li>/g)].map((m) => m[1]);

/* Turn the factor on over HTTP for a logged-in client: the secret from the page, the code computed. */
async function enrol(c) {
  const page = await c.get('/account/two-factor');
  assert.equal(page.status, 200);
  assert.match(page.html, /<svg[^>]*>/, 'the QR code is rendered as SVG');
  const secret = secretOf(page.html);
  const wrong = await c.post('/account/two-factor', { csrf: csrfOf(page.html), action: 'enable', code: '000000' === totp(secret) ? '111111' : '000000' });
  assert.equal(wrong.status, 422);
  const on = await c.post('/account/two-factor', { csrf: csrfOf(page.html), action: 'enable', code: totp(secret) });
  assert.equal(on.status, 200);
  const codes = codesOf(on.html);
  assert.equal(codes.length, 10, 'ten recovery codes shown once');
  assert.match(on.html, /log in once/, 'the page says what a recovery code is for');
  return { secret, codes };
}

/* After a first factor: the challenge page, then the code. */
async function secondStep(c, r, code, expect = 303) {
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/login/two-factor');
  assert.equal(c.jar.has('portal_session'), false, 'no session before the code');
  const page = await c.get('/login/two-factor');
  assert.equal(page.status, 200);
  assert.match(page.html, /name="code"/);
  const res = await c.post('/login/two-factor', { csrf: csrfOf(page.html), code });
  assert.equal(res.status, expect);
  return res;
}

test('name change shows on the page; bad input comes back with a message (422)', async () => {
  const m = newMember('acc-name');
  const c = await login(m.email);
  const page = await c.get('/account');
  assert.equal(page.status, 200);
  assert.match(page.html, /value="Acc"/);
  const mark = auditMark();
  const r = await c.post('/account', { csrf: csrfOf(page.html), form: 'name', first_name: 'Grace', last_name: 'Hopper' });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/account?saved=name');
  const after_ = await c.get('/account?saved=name');
  assert.match(after_.html, /value="Grace"/);
  assert.match(after_.html, /Your name is saved/);
  assert.equal(psql(`SELECT first_name || ' ' || last_name FROM contacts WHERE id = ${m.contact}`), 'Grace Hopper');
  oneAudit(mark, { action: 'account_name_changed', actor_id: m.member });
  const bad = await c.post('/account', { csrf: csrfOf(page.html), form: 'name', first_name: '', last_name: 'Kept' });
  assert.equal(bad.status, 422);
  assert.match(bad.html, /value="Kept"/, 'input kept');
});

test('password change: wrong current 422, policy errors, other sessions end, current kept, mail sent', async () => {
  const m = newMember('acc-pw');
  const c = await login(m.email);
  const other = await login(m.email);
  const page = await c.get('/account');
  const csrf = csrfOf(page.html);
  const NEW = 'Walnut-Harbour-83';
  const wrong = await c.post('/account', { csrf, form: 'password', current_password: 'not-it-at-all', password: NEW, password_confirm: NEW });
  assert.equal(wrong.status, 422);
  assert.match(wrong.html, /current password is not right/);
  assert.doesNotMatch(wrong.html, new RegExp(NEW), 'never the passwords back');
  assert.equal(psql(`SELECT failed_logins FROM members WHERE id = ${m.member}`), '1', 'counted like a failed login');
  const short = await c.post('/account', { csrf, form: 'password', current_password: DEMO_PASSWORD, password: 'ab1', password_confirm: 'ab1' });
  assert.equal(short.status, 422);
  assert.match(short.html, /at least 8 characters/);
  const mine = await c.post('/account', { csrf, form: 'password', current_password: DEMO_PASSWORD, password: `${m.email.split('@')[0]}-X9`, password_confirm: 'x' });
  assert.equal(mine.status, 422);
  const mismatch = await c.post('/account', { csrf, form: 'password', current_password: DEMO_PASSWORD, password: NEW, password_confirm: NEW + 'x' });
  assert.equal(mismatch.status, 422);
  assert.match(mismatch.html, /not the same/);
  const mark = auditMark();
  const ok = await c.post('/account', { csrf, form: 'password', current_password: DEMO_PASSWORD, password: NEW, password_confirm: NEW });
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get('location'), '/account?saved=password');
  assert.match((await c.get('/account?saved=password')).html, /Your password is changed/);
  assert.equal((await c.get('/tickets')).status, 200, 'the current session stays');
  assert.notEqual((await other.get('/tickets')).status, 200, 'the other session ended');
  oneAudit(mark, { action: 'password_changed', actor_id: m.member });
  const mail = await waitForMail(m.email, (x) => /password was changed/.test(x.subject));
  assert.match(mail.text, /just changed/);
  assert.equal((await passwordLogin(m.email)).r.status, 401, 'the old password is gone');
  assert.equal((await passwordLogin(m.email, NEW)).r.status, 303);
});

test('a member without a password sets a first one without a current one; /account/two-factor asks for a password first', async () => {
  const m = newMember('acc-first', { password: false });
  const c = new Client();
  assert.equal((await c.submit('/login/link', { email: m.email })).status, 200);
  const link = linkPath(await waitForMail(m.email, (x) => /login link/.test(x.subject)));
  const use = await c.post(link, { csrf: csrfOf((await c.get(link)).html) });
  assert.equal(use.status, 303);
  const tf = await c.get('/account/two-factor');
  assert.match(tf.html, /Set a password on your account page first/);
  assert.doesNotMatch(tf.html, /<svg/);
  const page = await c.get('/account');
  assert.doesNotMatch(page.html, /name="current_password"/);
  const r = await c.post('/account', { csrf: csrfOf(page.html), form: 'password', password: 'Cedar-Window-42', password_confirm: 'Cedar-Window-42' });
  assert.equal(r.status, 303);
  assert.equal((await passwordLogin(m.email, 'Cedar-Window-42')).r.status, 303);
});

test('enrolment, then password login asks the code: wrong 401, right in, the same code twice refused, recovery code once', async () => {
  const m = newMember('acc-tf');
  const elsewhere = await login(m.email); // a session taken before the factor was on
  const c = await login(m.email);
  let mark = auditMark();
  const { secret, codes } = await enrol(c);
  oneAudit(mark, { action: 'two_factor_on', actor_id: m.member });
  assert.notEqual((await elsewhere.get('/tickets')).status, 200, 'turning the factor on ends the other sessions');
  assert.equal((await c.get('/tickets')).status, 200, 'this browser stays logged in');
  // recovery codes are kept keyed (HMAC under the install's key), never as a plain SHA-256
  const kept = psql(`SELECT r.code_hmac FROM two_factor_recovery_codes r JOIN two_factors f ON f.id = r.two_factor_id
    WHERE f.member_id = ${m.member}`).split('\n');
  assert.equal(kept.length, 10);
  for (const code of codes) assert.ok(!kept.includes(createHash('sha256').update(code.replace('-', '')).digest('hex')));
  assert.match((await c.get('/account')).html, /Two-step login is on/);
  const acct = await c.get('/account/two-factor');
  assert.match(acct.html, /<strong id="codes-left">10<\/strong>/);

  // wrong code: 401 with the form and a message
  const a = await passwordLogin(m.email);
  mark = auditMark();
  const bad = await secondStep(a.c, a.r, '123456' === nextTotp(secret) ? '654321' : '123456', 401);
  assert.match(bad.html, /code is not right/);
  assert.match(bad.html, /name="code"/);
  oneAudit(mark, { action: 'login_2fa_failed', actor_id: m.member });
  // right code (the next step: the current one was taken by the enrolment)
  const code = nextTotp(secret);
  mark = auditMark();
  const good = await a.c.post('/login/two-factor', { csrf: csrfOf(bad.html), code });
  assert.equal(good.status, 303);
  assert.equal(good.headers.get('location'), '/tickets');
  assert.equal((await a.c.get('/tickets')).status, 200);
  oneAudit(mark, { action: 'login', actor_id: m.member, detail: { method: 'password' } });
  // the same code again: refused
  const b = await passwordLogin(m.email);
  await secondStep(b.c, b.r, code, 401);
  // a recovery code works once
  mark = auditMark();
  const rc = await secondStep(b.c, (await passwordLogin(m.email, DEMO_PASSWORD, b.c)).r, codes[0].toUpperCase());
  assert.equal(rc.headers.get('location'), '/tickets');
  oneAudit(mark, { action: 'two_factor_recovery_used', actor_id: m.member });
  const again = await passwordLogin(m.email);
  await secondStep(again.c, again.r, codes[0], 401);
  assert.match((await c.get('/account/two-factor')).html, /<strong id="codes-left">9<\/strong>/);
});

test('wrong codes end the challenge after five, and count against the login until it locks', async () => {
  const m = newMember('acc-lock');
  const c = await login(m.email);
  const { secret } = await enrol(c);
  const a = await passwordLogin(m.email);
  let page = await secondStep(a.c, a.r, '000001', 401);
  for (let i = 0; i < 3; i++) page = await a.c.post('/login/two-factor', { csrf: csrfOf(page.html), code: '000001' });
  const fifth = await a.c.post('/login/two-factor', { csrf: csrfOf(page.html), code: '000001' });
  assert.equal(fifth.status, 303);
  assert.equal(fifth.headers.get('location'), '/login?tf_ended=1');
  assert.match((await a.c.get('/login?tf_ended=1')).html, /log in again/);
  assert.equal((await a.c.get('/login/two-factor')).headers.get('location'), '/login?tf_ended=1', 'the challenge is gone');
  // five more failures in a row lock the login (10, the password's limit)
  assert.equal(psql(`SELECT failed_logins FROM members WHERE id = ${m.member}`), '5');
  psql(`UPDATE members SET failed_logins = 9 WHERE id = ${m.member}`);
  const b = await passwordLogin(m.email);
  const last = await secondStep(b.c, b.r, '000001', 401);
  const mark = auditMark();
  const locked = await b.c.post('/login/two-factor', { csrf: csrfOf(last.html), code: nextTotp(secret) });
  assert.equal(locked.status, 303);
  assert.equal(locked.headers.get('location'), '/login?tf_locked=1');
  assert.match((await b.c.get('/login?tf_locked=1')).html, /locked/);
  oneAudit(mark, { action: 'login_2fa_locked', actor_id: m.member });
  assert.equal(b.c.jar.has('portal_session'), false);
});

test('the login link and the ticket link ask the code too, and go on to the ticket', async () => {
  const m = newMember('acc-links');
  const c = await login(m.email);
  const { codes } = await enrol(c);
  const l = new Client();
  assert.equal((await l.submit('/login/link', { email: m.email })).status, 200);
  const link = linkPath(await waitForMail(m.email, (x) => /login link/.test(x.subject)));
  const use = await l.post(link, { csrf: csrfOf((await l.get(link)).html) });
  let mark = auditMark();
  await secondStep(l, use, codes[1]);
  oneAudit(mark, { action: 'login', actor_id: m.member, detail: { method: 'link' } });

  const ticket = psql(`WITH t AS (INSERT INTO tickets (subject, pipeline_id, stage_id)
      SELECT 'Two-step ticket ${uniq()}', t.pipeline_id, t.stage_id FROM tickets t
      JOIN ticket_contacts tc ON tc.ticket_id = t.id AND tc.contact_id = 1
      WHERE t.pipeline_id = 1 AND t.closed_at IS NULL ORDER BY t.id LIMIT 1 RETURNING id)
    INSERT INTO ticket_contacts (ticket_id, contact_id) SELECT id, ${m.contact} FROM t RETURNING ticket_id`);
  const SECRET = JSON.parse(readFileSync(path.join(VAR, 'portal.json'), 'utf8')).secret_key;
  const expires = Math.floor(Date.now() / 1000) + 86400;
  const sig = createHmac('sha256', SECRET).update(`ticket-link:${m.contact}.${ticket}.${expires}`).digest('hex');
  const open = `/tickets/${ticket}/open?t=${encodeURIComponent(`${m.contact}.${expires}.${sig}`)}`;
  const t = new Client();
  const btn = await t.get(open);
  assert.equal(btn.status, 200);
  const r = await t.post(`/tickets/${ticket}/open`, { csrf: csrfOf(btn.html), t: `${m.contact}.${expires}.${sig}` });
  mark = auditMark();
  const done = await secondStep(t, r, codes[2]);
  assert.equal(done.headers.get('location'), `/tickets/${ticket}`);
  assert.equal((await t.get(`/tickets/${ticket}`)).status, 200);
  oneAudit(mark, { action: 'login', actor_id: m.member, detail: { method: 'ticket_link' } });
});

test('a password reset by email keeps the factor; the console removes it (audited) and login asks no more', async () => {
  const m = newMember('acc-reset');
  const c = await login(m.email);
  const { codes } = await enrol(c);
  const r0 = new Client();
  assert.equal((await r0.submit('/password-reset', { email: m.email })).status, 200);
  const link = linkPath(await waitForMail(m.email, (x) => /Reset your password/.test(x.subject)));
  psql(`UPDATE members SET failed_logins = 7 WHERE id = ${m.member}`); // wrong codes so far
  const set = await r0.post(link, { csrf: csrfOf((await r0.get(link)).html), password: 'Maple-Comet-61', password_confirm: 'Maple-Comet-61' });
  assert.equal(psql(`SELECT failed_logins FROM members WHERE id = ${m.member}`), '7',
    'a reset (the mailbox, not the phone) does not clear the count of wrong codes');
  await secondStep(r0, set, codes[3]);
  assert.equal(psql(`SELECT failed_logins FROM members WHERE id = ${m.member}`), '0', 'the session made after the code does');
  assert.equal(psql(`SELECT count(*) FROM two_factors WHERE member_id = ${m.member} AND confirmed_at IS NOT NULL`), '1');
  const a = await passwordLogin(m.email, 'Maple-Comet-61');
  assert.equal(a.r.headers.get('location'), '/login/two-factor', 'the factor is still asked');

  const admin = await staffLoggedIn();
  const page = await admin.get(`/admin/contacts/${m.contact}`);
  assert.match(page.html, /Second factor<\/dt><dd><span class="badge">On/);
  assert.match(page.html, /Remove second factor/);
  const mark = auditMark();
  const rm = await admin.post(`/admin/contacts/${m.contact}/two-factor/remove`, { csrf: csrfOf(page.html) });
  assert.equal(rm.status, 303);
  oneAudit(mark, { action: 'two_factor_removed', detail: { member: m.member } });
  assert.match((await admin.get(`/admin/contacts/${m.contact}?two_factor_removed=1`)).html, /second factor of this contact's login is removed/);
  const b = await passwordLogin(m.email, 'Maple-Comet-61');
  assert.equal(b.r.headers.get('location'), '/tickets', 'no code asked any more');
});

test('turning off and new recovery codes ask the password or a code', async () => {
  const m = newMember('acc-off');
  const c = await login(m.email);
  await enrol(c);
  const page = await c.get('/account/two-factor');
  const refused = await c.post('/account/two-factor', { csrf: csrfOf(page.html), action: 'off', proof: 'nope-nope-nope' });
  assert.equal(refused.status, 422);
  const mark = auditMark();
  const fresh = await c.post('/account/two-factor', { csrf: csrfOf(page.html), action: 'codes', proof: DEMO_PASSWORD });
  assert.equal(fresh.status, 200);
  assert.equal(codesOf(fresh.html).length, 10);
  oneAudit(mark, { action: 'two_factor_recovery_codes_new', actor_id: m.member });
  const off = await c.post('/account/two-factor', { csrf: csrfOf(page.html), action: 'off', proof: DEMO_PASSWORD });
  assert.equal(off.status, 303);
  oneAudit(mark, { action: 'two_factor_off', actor_id: m.member });
  assert.equal((await passwordLogin(m.email)).r.headers.get('location'), '/tickets');
});

test('the portal requirement: enrolment at the next login, codes once, then on; saved and audited in the console', async () => {
  const m = newMember('acc-req');
  const admin = await staffLoggedIn();
  try {
    const page = await admin.get(settingsPath('/access'));
    assert.match(page.html, /Require a second factor/);
    assert.match(page.html, /does not apply with single sign-on/);
    const mark = auditMark();
    const save = await admin.post(settingsPath('/access'), { csrf: csrfOf(page.html), access_mode: 'registration', sso_audience: 'all', two_factor_required: 'on' });
    assert.equal(save.status, 303);
    assert.ok(auditSince(mark).some((r) => JSON.stringify(r.detail).includes('two_factor_required')), 'audited');
    assert.equal(psql('SELECT two_factor_required FROM portals WHERE id = 1'), 't');
    const a = await passwordLogin(m.email);
    assert.equal(a.r.headers.get('location'), '/login/two-factor');
    const step = await a.c.get('/login/two-factor');
    assert.match(step.html, /requires two-step login/);
    assert.match(step.html, /<svg/);
    const secret = secretOf(step.html);
    const done = await a.c.post('/login/two-factor', { csrf: csrfOf(step.html), code: totp(secret) });
    assert.equal(done.status, 200);
    assert.equal(codesOf(done.html).length, 10);
    assert.match(done.html, /href="\/tickets"/);
    assert.equal((await a.c.get('/tickets')).status, 200, 'signed in');
    assert.equal(psql(`SELECT count(*) FROM two_factors WHERE member_id = ${m.member} AND confirmed_at IS NOT NULL`), '1');
    const tf = await a.c.get('/account/two-factor');
    assert.doesNotMatch(tf.html, /value="off"/, 'no turning off while required');
  } finally {
    psql('UPDATE portals SET two_factor_required = false WHERE id = 1');
  }
});

test('with single sign-on on: name read-only, no second factor offered, and SSO never asks one', async () => {
  const m = newMember('acc-sso');
  const c = await login(m.email);
  await enrol(c);
  try {
    psql(`INSERT INTO portal_sso (portal_id, jwt_login_url, jwt_alg, jwt_secret)
          VALUES (1, 'https://app.example/login', 'HS256', 'acc-secret-${uniq()}')
          ON CONFLICT (portal_id) DO UPDATE SET jwt_login_url = EXCLUDED.jwt_login_url, jwt_alg = EXCLUDED.jwt_alg,
            jwt_secret = EXCLUDED.jwt_secret;
          UPDATE portals SET access_mode = 'sso', sso_method = 'jwt', sso_audience = 'all' WHERE id = 1`);
    await ssoOn(/^https:\/\/app\.example\/login\?redirect_url=/);
    const acct = await c.get('/account');
    assert.equal(acct.status, 200);
    assert.match(acct.html, /managed there, not here/);
    assert.doesNotMatch(acct.html, /name="password"/);
    assert.doesNotMatch(acct.html, /account\/two-factor/);
    const tf = await c.get('/account/two-factor');
    assert.match(tf.html, /handled there/);
    assert.doesNotMatch(tf.html, /<svg|name="code"|name="proof"/);
  } finally {
    psql(`UPDATE portals SET access_mode = 'registration', sso_method = NULL, sso_audience = 'all' WHERE id = 1;
          DELETE FROM portal_sso WHERE portal_id = 1; DELETE FROM sso_requests WHERE portal_id = 1`);
    await registrationOpen();
  }
});
