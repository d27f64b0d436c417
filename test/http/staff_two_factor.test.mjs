// staff_two_factor.test.mjs - the staff's second factor: enrolment at /admin/account/two-factor with
// the code an authenticator app would compute from the key on the page, the code asked at
// /admin/login after the password (wrong 401, a code never taken twice, recovery codes once,
// the challenge's end and the lockout), the install's requirement (a staff user without a factor
// enrols at the next login; nobody turns theirs off), and an admin removing a colleague's factor.
// Only staff users made here get a factor; the requirement is switched off again in any case.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, csrfOf, staffLoggedIn, DEMO_PASSWORD } from '../lib/client.mjs';
import { psql } from '../lib/stack.mjs';
import { auditMark, auditSince, oneAudit } from '../lib/audit.mjs';
import { totp, nextTotp } from '../lib/totp.mjs';
import { settingsPath } from '../lib/portals.mjs';

const RUN = Date.now();
const A = `tf-a-${RUN}@example.com`; // enrols on the account page
const B = `tf-b-${RUN}@example.com`; // enrols at the login once the install requires it
const newStaff = (email, role) => Number(psql(`INSERT INTO staff_users (email, name, password_hash, role)
  SELECT '${email}', 'Second factor ${role}', password_hash, '${role}' FROM staff_users WHERE email = 'admin@example.com'
  RETURNING id`));
const aId = newStaff(A, 'agent');
const bId = newStaff(B, 'admin');
const required = (on) => psql(`UPDATE install_settings SET staff_two_factor_required = ${on ? 'true' : 'false'}`);
const unlock = (id) => {
  psql(`UPDATE staff_users SET locked_until = NULL, failed_logins = 0 WHERE id = ${id}`);
  psql('DELETE FROM login_failures');
};

after(() => {
  required(false);
  psql(`DELETE FROM staff_users WHERE id IN (${aId}, ${bId})`);
  psql('DELETE FROM login_failures');
});

/* The key the page shows as text, as the person would type it into the app. */
const secretOf = (html) => {
  const m = /id="secret"[^>]*>([A-Z2-7 ]+)</.exec(html);
  assert.ok(m, 'the page shows the key as text');
  return m[1];
};
const codesOf = (html) => [...html.matchAll(/<code class="value">([a-z2-7]{5}-[a-z2-7]{5})<\/code>/g)].map((m) => m[1]);
const wrongCode = (secret) => {
  const right = new Set([-1, 0, 1, 2].map((offset) => totp(secret, { offset })));
  for (let n = 123456; ; n++) if (!right.has(String(n))) return String(n);
};

/* The password step: a client at /admin/login/two-factor (303 there), or the response. */
async function password(email) {
  const c = new Client();
  const r = await c.submit('/admin/login', { email, password: DEMO_PASSWORD });
  return { c, r };
}
const code = (c, value) => c.submit('/admin/login/two-factor', { code: value });

let secretA;
let codesA;
let lastCode;

test('a staff user turns the second factor on: QR code and key, a wrong code refused, then ten recovery codes once', async () => {
  const c = await staffLoggedIn(A);
  const dash = await c.get('/admin');
  assert.match(dash.html, /href="\/admin\/account\/two-factor"[^>]*>Your account</, 'the header links the account page');
  const page = await c.get('/admin/account/two-factor');
  assert.equal(page.status, 200);
  assert.match(page.html, /<svg[^>]*>[\s\S]*<\/svg>/, 'the QR code is inline SVG');
  secretA = secretOf(page.html);
  assert.equal(secretA.replace(/ /g, '').length, 32);
  // nothing is on yet: the login asks no code
  assert.equal(psql(`SELECT count(*) FROM two_factors WHERE staff_user_id = ${aId} AND confirmed_at IS NOT NULL`), '0');
  const { r: plain } = await password(A);
  assert.equal(plain.headers.get('location'), '/admin');

  const bad = await c.submit('/admin/account/two-factor', { code: wrongCode(secretA) });
  assert.equal(bad.status, 422);
  assert.match(bad.html, /That code is not right/);
  assert.equal(secretOf(bad.html), secretA, 'the same key again');

  const mark = auditMark();
  const ok = await c.submit('/admin/account/two-factor', { code: totp(secretA) });
  assert.equal(ok.status, 200);
  codesA = codesOf(ok.html);
  assert.equal(codesA.length, 10);
  assert.equal(new Set(codesA).size, 10);
  oneAudit(mark, { action: 'staff_two_factor_on', actor_kind: 'staff', actor_id: aId });
  const again = await c.get('/admin/account/two-factor');
  assert.match(again.html, /10 of 10 recovery codes left/);
  assert.deepEqual(codesOf(again.html), [], 'the codes are not shown again');
  assert.doesNotMatch(again.html, /<svg/);
  assert.equal(psql(`SELECT count(*) FROM two_factor_recovery_codes r JOIN two_factors f ON f.id = r.two_factor_id
    WHERE f.staff_user_id = ${aId} AND r.code_hmac ~ '^[0-9a-f]{64}$'`), '10', 'kept hashed');
});

test('the login asks the code after the password: wrong 401, right signs in (next kept), the same code twice refused', async () => {
  const c = new Client();
  const r = await c.submit('/admin/login?next=/admin/tickets', { email: A, password: DEMO_PASSWORD, next: '/admin/tickets' });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/admin/login/two-factor');
  assert.ok(c.jar.get('portal_admin_2fa'), 'the challenge cookie');
  assert.equal(c.jar.get('portal_admin'), undefined, 'no session yet');
  const page = await c.get('/admin/login/two-factor');
  assert.equal(page.status, 200);
  assert.match(page.html, /Enter your code/);
  assert.equal((await c.get('/admin')).status, 303, 'the console stays shut during the code step');

  let mark = auditMark();
  const bad = await code(c, wrongCode(secretA));
  assert.equal(bad.status, 401);
  assert.match(bad.html, /That code is not right/);
  assert.match(bad.html, /name="code"/);
  oneAudit(mark, { action: 'staff_login_2fa_failed', actor_id: aId });

  mark = auditMark();
  lastCode = nextTotp(secretA);
  const ok = await code(c, lastCode);
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get('location'), '/admin/tickets');
  assert.ok(c.jar.get('portal_admin'));
  assert.equal(c.jar.get('portal_admin_2fa'), undefined, 'the challenge cookie is cleared');
  assert.equal((await c.get('/admin/tickets')).status, 200);
  oneAudit(mark, { action: 'staff_login', actor_kind: 'staff', actor_id: aId });

  // the same code at the next login: refused (its time step is spent)
  const { c: c2, r: r2 } = await password(A);
  assert.equal(r2.headers.get('location'), '/admin/login/two-factor');
  const replay = await code(c2, lastCode);
  assert.equal(replay.status, 401);
  assert.equal(c2.jar.get('portal_admin'), undefined);
  unlock(aId);
});

test('a recovery code signs in once, and not twice', async () => {
  const { c } = await password(A);
  const mark = auditMark();
  const ok = await code(c, codesA[0].toUpperCase());
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get('location'), '/admin');
  oneAudit(mark, { action: 'staff_login_recovery_code_used', actor_id: aId, detail: { left: 9 } });
  oneAudit(mark, { action: 'staff_login', actor_id: aId });
  const acct = await c.get('/admin/account/two-factor');
  assert.match(acct.html, /9 of 10 recovery codes left/);

  const { c: c2 } = await password(A);
  const twice = await code(c2, codesA[0]);
  assert.equal(twice.status, 401);
  assert.equal(c2.jar.get('portal_admin'), undefined);
  unlock(aId);
});

test('five wrong codes end the challenge; with the passwords\' count the login locks; a locked login gets the lockout message', async () => {
  unlock(aId);
  const mark = auditMark();
  const { c } = await password(A);
  for (let i = 0; i < 4; i++) assert.equal((await code(c, wrongCode(secretA))).status, 401);
  const fifth = await code(c, wrongCode(secretA));
  assert.equal(fifth.status, 303);
  assert.equal(fifth.headers.get('location'), '/admin/login?two_factor_ended=1');
  assert.equal(c.jar.get('portal_admin_2fa'), undefined);
  const back = await c.get('/admin/login?two_factor_ended=1');
  assert.match(back.html, /Log in again/);
  const gone = await c.get('/admin/login/two-factor');
  assert.equal(gone.status, 303, 'the ended challenge is gone');
  assert.equal(auditSince(mark, { action: 'staff_login_2fa_failed', actor_id: aId }).length, 5);

  // a right password does not reset the count: five more wrong codes lock the login (10)
  const { c: c2 } = await password(A);
  for (let i = 0; i < 5; i++) await code(c2, wrongCode(secretA));
  assert.equal(psql(`SELECT locked_until > now() FROM staff_users WHERE id = ${aId}`), 't');
  const { r: refused } = await password(A);
  assert.equal(refused.status, 401, 'locked: even the right password is refused');

  // locked between the password and the code: the lockout message, even for a right code
  unlock(aId);
  const { c: c3 } = await password(A);
  psql(`UPDATE staff_users SET locked_until = now() + interval '10 minutes' WHERE id = ${aId}`);
  const m2 = auditMark();
  const locked = await code(c3, codesA[1]);
  assert.equal(locked.status, 401);
  assert.match(locked.html, /locked for a while/);
  assert.equal(c3.jar.get('portal_admin'), undefined);
  oneAudit(m2, { action: 'staff_login_locked', actor_id: aId });
  unlock(aId);
});

test('new recovery codes and turning off ask the current password or a code', async () => {
  unlock(aId);
  const { c } = await password(A);
  assert.equal((await code(c, codesA[2])).status, 303);
  const wrong = await c.submit('/admin/account/two-factor', { proof: 'not-my-password' }, '/admin/account/two-factor/recovery-codes');
  assert.equal(wrong.status, 422);
  assert.match(wrong.html, /neither your current password nor a current code/);
  const mark = auditMark();
  const fresh = await c.submit('/admin/account/two-factor', { proof: DEMO_PASSWORD }, '/admin/account/two-factor/recovery-codes');
  assert.equal(fresh.status, 200);
  const newCodes = codesOf(fresh.html);
  assert.equal(newCodes.length, 10);
  oneAudit(mark, { action: 'staff_two_factor_recovery_codes_new', actor_id: aId });
  codesA = newCodes;
  // an old code is void now
  const { c: c2 } = await password(A);
  assert.equal((await code(c2, codesA[3])).status, 303, 'a new one works');
  unlock(aId);
});

test('an agent may not open /admin/security; an admin requires a second factor of all staff (audited)', async () => {
  const { c: agent } = await password(A);
  assert.equal((await code(agent, codesA[4])).status, 303);
  assert.equal((await agent.get('/admin/security')).status, 403);
  const admin = await staffLoggedIn();
  const idx = await admin.get(settingsPath());
  assert.match(idx.html, /href="\/admin\/security"/);
  const page = await admin.get('/admin/security');
  assert.equal(page.status, 200);
  assert.match(page.html, /Require a second factor for all staff/);
  assert.match(page.html, new RegExp(`data-email="${A}"[\\s\\S]*?<span class="badge">On</span>`));
  assert.match(page.html, /at their next login/);
  const mark = auditMark();
  try {
    const saved = await admin.submit('/admin/security', { required: 'on' });
    assert.equal(saved.status, 303);
    assert.equal(psql('SELECT staff_two_factor_required FROM install_settings'), 't');
    oneAudit(mark, { action: 'settings_change', setting: 'staff_two_factor_required',
      detail: { before: { staff_two_factor_required: false }, after: { staff_two_factor_required: true } } });
  } finally {
    required(false);
  }
});

test('required: a staff user without a factor sets it up at the next login, sees the codes once, goes on; nobody turns theirs off', async () => {
  required(true);
  try {
    const c = new Client();
    const r = await c.submit('/admin/login', { email: B, password: DEMO_PASSWORD });
    assert.equal(r.headers.get('location'), '/admin/login/two-factor');
    const page = await c.get('/admin/login/two-factor');
    assert.match(page.html, /Set up a second factor/);
    assert.match(page.html, /<svg/);
    const secretB = secretOf(page.html);
    assert.equal((await code(c, wrongCode(secretB))).status, 401);
    assert.equal(c.jar.get('portal_admin'), undefined);
    const mark = auditMark();
    const ok = await code(c, totp(secretB));
    assert.equal(ok.status, 200);
    assert.equal(codesOf(ok.html).length, 10);
    assert.match(ok.html, /href="\/admin"[^>]*>I have saved them/);
    oneAudit(mark, { action: 'staff_two_factor_on', actor_id: bId });
    oneAudit(mark, { action: 'staff_login', actor_id: bId, detail: { second_factor: 'enrolled' } });
    assert.equal((await c.get('/admin')).status, 200, 'signed in');

    // turning off is refused while required: B (on the page) and A (posting anyway)
    const acct = await c.get('/admin/account/two-factor');
    assert.match(acct.html, /cannot be turned off/);
    assert.doesNotMatch(acct.html, /action="\/admin\/account\/two-factor\/off"/);
    const off = await c.submit('/admin/account/two-factor', { proof: DEMO_PASSWORD }, '/admin/account/two-factor/off');
    assert.equal(off.status, 409);
    assert.equal(psql(`SELECT count(*) FROM two_factors WHERE staff_user_id = ${bId} AND confirmed_at IS NOT NULL`), '1');
  } finally {
    required(false);
  }
});

test('an admin removes a colleague\'s factor (audited); the login then asks no code; the owner turns theirs off', async () => {
  const demo = await staffLoggedIn();
  const page = await demo.get('/admin/security');
  assert.match(page.html, new RegExp(`action="/admin/security/staff/${aId}/two-factor/remove"`));
  const mark = auditMark();
  const rm = await demo.submit('/admin/security', {}, `/admin/security/staff/${aId}/two-factor/remove`);
  assert.equal(rm.status, 303);
  assert.equal(rm.headers.get('location'), `/admin/security?removed=${aId}`);
  const notice = await demo.get(rm.headers.get('location'));
  assert.match(notice.html, new RegExp(`The second factor of ${A.replace(/\./g, '\\.')} is removed`));
  const a = oneAudit(mark, { action: 'staff_two_factor_removed', actor_kind: 'staff' });
  assert.deepEqual(a.detail.after, { staff_user_id: aId, email: A, second_factor: false });
  assert.equal(psql(`SELECT count(*) FROM two_factors WHERE staff_user_id = ${aId}`), '0');
  const { r } = await password(A);
  assert.equal(r.headers.get('location'), '/admin', 'no code asked any more');
  // nothing to remove: no audit row
  const m2 = auditMark();
  await demo.submit('/admin/security', {}, `/admin/security/staff/${aId}/two-factor/remove`);
  assert.deepEqual(auditSince(m2, { action: 'staff_two_factor_removed' }), []);
  // an admin's own factor is not removed here
  const self = await demo.submit('/admin/security', {}, `/admin/security/staff/${psql("SELECT id FROM staff_users WHERE email = 'admin@example.com'")}/two-factor/remove`);
  assert.equal(self.status, 422);
});

test('off: with the password, audited; the login asks nothing again', async () => {
  // B's factor removed by the admin, then B turns one on and off again on the account page
  const demo = await staffLoggedIn();
  await demo.submit('/admin/security', {}, `/admin/security/staff/${bId}/two-factor/remove`);
  const c = await staffLoggedIn(B);
  const page = await c.get('/admin/account/two-factor');
  const secretB = secretOf(page.html);
  assert.equal((await c.submit('/admin/account/two-factor', { code: totp(secretB) })).status, 200);
  const mark = auditMark();
  const off = await c.submit('/admin/account/two-factor', { proof: DEMO_PASSWORD }, '/admin/account/two-factor/off');
  assert.equal(off.status, 303);
  assert.equal(off.headers.get('location'), '/admin/account/two-factor?off=1');
  oneAudit(mark, { action: 'staff_two_factor_off', actor_id: bId });
  const after_ = await c.get(off.headers.get('location'));
  assert.match(after_.html, /Your second factor is off/);
  assert.match(after_.html, /<svg/, 'the enrolment is offered again');
  const { r } = await password(B);
  assert.equal(r.headers.get('location'), '/admin');
});
