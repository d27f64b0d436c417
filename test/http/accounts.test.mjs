// accounts.test.mjs - customer accounts from outside: login, logout, sessions, CSRF, registration, reset, links.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { psql, PORT, VAR } from '../lib/stack.mjs';
import { Client, csrfOf, loggedIn, DEMO_PASSWORD } from '../lib/client.mjs';
import { waitForMail, mailTo, linkPath } from '../lib/mail.mjs';
import { auditMark, oneAudit } from '../lib/audit.mjs';
import { everyWorker, psqlEverywhere, registrationOpen, ssoOn, visit } from '../lib/wait.mjs';

const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const mailCount = (email) => mailTo(email).length;
/* Mail the portal queued for an address: a request queues its mail before it answers. */
const queuedFor = (email) => psql(`SELECT count(*) FROM mail_outbox WHERE lower(to_address) = lower('${email}')`);

/* A login token made the way the portal makes them (43 base64url characters, stored as SHA-256). */
function issueToken(memberId, purpose, ttl = '1 hour') {
  const token = randomBytes(32).toString('base64url');
  psql(`INSERT INTO member_tokens (token_sha256, member_id, purpose, expires_at)
        VALUES ('${sha256(token)}', ${memberId}, '${purpose}', now() + interval '${ttl}')`);
  return token;
}

/* A new contact with a login in the demo portal; returns {email, contact, member}. */
function newMember(prefix, { verified = true, hash = null } = {}) {
  const email = `${prefix}-${uniq()}@example.net`;
  const contact = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${email}', 'Test', 'Person') RETURNING id`);
  const member = psql(`INSERT INTO members (portal_id, contact_id, password_hash, verified_at)
    VALUES (1, ${contact}, ${hash ? `'${hash}'` : 'NULL'}, ${verified ? 'now()' : 'NULL'}) RETURNING id`);
  return { email, contact, member };
}

test('login with the demo password lands on the ticket list with a hardened session cookie', async () => {
  const c = new Client();
  const page = await c.get('/login');
  const mark = auditMark();
  const r = await c.post('/login', { csrf: csrfOf(page.html), email: 'ada@example.com', password: DEMO_PASSWORD });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/tickets');
  const sc = r.headers.getSetCookie().find((s) => s.startsWith('portal_session='));
  assert.match(sc, /HttpOnly/);
  assert.match(sc, /SameSite=Lax/);
  assert.match(sc, /Path=\//);
  const token = c.jar.get('portal_session');
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  const hash = createHash('sha256').update(token).digest('hex');
  assert.equal(psql(`SELECT count(*) FROM sessions WHERE token_sha256 = '${hash}'`), '1', 'stored as its SHA-256');
  assert.equal(psql(`SELECT count(*) FROM sessions WHERE token_sha256 = '${token}'`), '0');
  const list = await c.get('/tickets');
  assert.equal(list.status, 200);
  assert.match(list.html, /Ada Lovelace/);
  assert.match(list.html, /action="\/logout"/, 'log out at the top');
  const ada = Number(psql('SELECT id FROM members WHERE portal_id = 1 AND contact_id = 1'));
  oneAudit(mark, { action: 'login', actor_kind: 'member', actor_id: ada, portal_id: 1, detail: { method: 'password' } });
});

test('a wrong password and an unknown email get the same answer', async () => {
  const c = new Client();
  const a = await c.submit('/login', { email: 'grace@example.com', password: 'not-her-password-1' });
  const b = await c.submit('/login', { email: 'nobody-here@example.com', password: 'not-her-password-1' });
  assert.equal(a.status, 401);
  assert.equal(b.status, 401);
  const strip = (h, email) => h.replace(/value="[0-9a-f]{64}"/g, '').replace(email, 'EMAIL');
  assert.equal(strip(a.html, 'grace@example.com'), strip(b.html, 'nobody-here@example.com'));
  assert.match(a.html, /value="grace@example.com"/, 'the email is kept in the form');
  assert.doesNotMatch(a.html, /not-her-password/, 'the password is not echoed');
  psql("UPDATE members SET failed_logins = 0 WHERE contact_id = 2");
});

test('a POST without a valid CSRF token is refused with 403', async () => {
  const c = new Client();
  await c.get('/login');
  assert.equal((await c.post('/login', { email: 'ada@example.com', password: DEMO_PASSWORD })).status, 403);
  assert.equal((await c.post('/login', { csrf: 'f'.repeat(64), email: 'ada@example.com', password: DEMO_PASSWORD })).status, 403);
  const other = new Client();
  const foreign = csrfOf((await other.get('/login')).html);
  assert.equal((await c.post('/login', { csrf: foreign, email: 'ada@example.com', password: DEMO_PASSWORD })).status, 403,
    'a token bound to another visitor does not work');
  const ada = await loggedIn('ada@example.com');
  assert.equal((await ada.post('/logout', {})).status, 403);
  assert.equal((await ada.get('/tickets')).status, 200, 'still logged in');
});

test('logout deletes the session server-side and lands on the logged-out page with a plain sign-in link', async () => {
  const c = await loggedIn('ada@example.com');
  const token = c.jar.get('portal_session');
  const page = await c.get('/tickets');
  const r = await c.post('/logout', { csrf: csrfOf(page.html) });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/logout');
  assert.equal(c.jar.has('portal_session'), false, 'the cookie is cleared');
  const done = await c.get('/logout');
  assert.equal(done.status, 200);
  assert.match(done.html, /<h1[^>]*>You are logged out<\/h1>/);
  assert.match(done.html, /<a class="btn" href="\/login">Sign in again<\/a>/, 'a link, not a form');
  assert.doesNotMatch(done.html, /<form[^>]*action="\/login"/);
  assert.doesNotMatch(done.html, /<meta http-equiv="refresh"/i, 'no automatic redirect');
  assert.doesNotMatch(done.html, /action="\/logout"/, 'no logout button once logged out');
  assert.equal((await c.get('/tickets')).status, 303, 'no session');
  const replay = new Client();
  replay.jar.set('portal_session', token);
  const after = await replay.get('/tickets');
  assert.equal(after.status, 303);
  assert.match(after.headers.get('location'), /^\/login\?next=/);
});

test('after login the customer lands where they were going, on this site only', async () => {
  const c = new Client();
  const r0 = await c.get('/tickets?status=closed');
  assert.equal(r0.status, 303);
  const loginUrl = r0.headers.get('location');
  assert.equal(loginUrl, '/login?next=%2Ftickets%3Fstatus%3Dclosed');
  const r = await c.submit(loginUrl, { email: 'ada@example.com', password: DEMO_PASSWORD, next: '/tickets?status=closed' }, '/login');
  assert.equal(r.headers.get('location'), '/tickets?status=closed');
  const d = new Client();
  const r2 = await d.submit('/login', { email: 'ada@example.com', password: DEMO_PASSWORD, next: '//evil.example/x' });
  assert.equal(r2.headers.get('location'), '/tickets');
});

test('registration: no password field, consent required, the mailed link opens the password page, the password signs in', async () => {
  const email = `reg-${uniq()}@example.net`;
  const c = new Client();
  const form = await c.get('/register');
  assert.match(form.html, /<a href="https:\/\/example.com\/privacy" rel="noopener noreferrer">privacy policy<\/a>/);
  assert.match(form.html, /I agree to the processing of my data/);
  assert.doesNotMatch(form.html, /type="password"|name="password"/, 'no password field');
  const no = await c.post('/register', { csrf: csrfOf(form.html), name: 'Rita Register', email });
  assert.equal(no.status, 422);
  assert.match(no.html, /id="consent-error"/);
  assert.match(no.html, /value="Rita Register"/, 'input kept');
  assert.match(no.html, new RegExp(`value="${email}"`));
  assert.equal(psql(`SELECT count(*) FROM contacts WHERE lower(email) = '${email}'`), '0', 'nothing stored');

  // a password posted anyway (an old form, a script) is ignored
  const ok = await c.post('/register', { csrf: csrfOf(no.html), name: 'Rita Register', email, password: 'Blue-Harbour-71', consent: 'yes' });
  assert.equal(ok.status, 200);
  assert.match(ok.html, /Check your inbox/);
  const row = `FROM members m JOIN contacts c ON c.id = m.contact_id WHERE lower(c.email) = '${email}'`;
  assert.equal(psql(`SELECT m.password_hash IS NULL AND m.verified_at IS NULL ${row}`), 't', 'no password stored, not verified');
  const consent = psql(`SELECT m.consent_text || ' | ' || (m.consent_at > now() - interval '1 minute') ${row}`);
  assert.match(consent, /privacy policy\]\(https:\/\/example.com\/privacy\)/);
  assert.match(consent, /I agree to the processing of my data/);
  assert.match(consent, /\| true$/, 'the consent time is recorded');

  const early = await new Client().submit('/login', { email, password: 'Blue-Harbour-71' });
  assert.equal(early.status, 401, 'the typed password never became one');

  const mail = await waitForMail(email, (m) => /Confirm your email/.test(m.subject));
  assert.match(mail.html, /<a href="http/);
  assert.match(mail.text, new RegExp(`http://localhost:${PORT}/password-reset/[A-Za-z0-9_-]{43}\\s`),
    'links use the portal domain and the configured scheme and port, not request headers');
  assert.doesNotMatch(mail.text, /Rita Register/, 'what a registrant typed does not travel to an unconfirmed address');
  const link = linkPath(mail);
  const token = link.split('/').pop();
  assert.equal(psql(`SELECT purpose || ' ' || (expires_at - created_at)::text FROM member_tokens WHERE token_sha256 = '${sha256(token)}'`),
    'verify 7 days');
  const page = await c.get(link);
  assert.equal(page.status, 200);
  assert.match(page.html, /<h1[^>]*>Choose your password<\/h1>/, 'worded for a first password');
  assert.match(page.html, /<title>Choose your password/);
  const set = await c.post(link, { csrf: csrfOf(page.html), password: 'Blue-Harbour-71', password_confirm: 'Blue-Harbour-71' });
  assert.equal(set.status, 303);
  assert.equal(set.headers.get('location'), '/tickets', 'choosing the password signs in');
  assert.ok(c.jar.has('portal_session'));
  assert.equal(psql(`SELECT m.password_hash IS NOT NULL AND m.verified_at IS NOT NULL ${row}`), 't');
  const list = await c.get('/tickets');
  assert.equal(list.status, 200);
  assert.match(list.html, /Rita Register/);
  assert.equal((await new Client().get(link)).status, 400, 'the link works once');

  const u = await loggedIn(email, 'Blue-Harbour-71');
  const out = await u.post('/logout', { csrf: csrfOf((await u.get('/tickets')).html) });
  assert.equal(out.status, 303);
  assert.equal((await u.get('/tickets')).status, 303);
});

test('registering for a CRM contact with tickets never leads to a login without the mailbox', async () => {
  const email = `victim-${uniq()}@example.net`;
  const contact = psql(`INSERT INTO contacts (email, first_name, last_name, primary_company_id)
    VALUES ('${email}', 'Vic', 'Tim', 1) RETURNING id`);
  const ticket = psql(`WITH t AS (INSERT INTO tickets (subject, pipeline_id, stage_id)
      SELECT 'Secret merger plans ${uniq()}', t.pipeline_id, t.stage_id FROM tickets t
      JOIN ticket_contacts tc ON tc.ticket_id = t.id AND tc.contact_id = 1
      WHERE t.pipeline_id = 1 AND t.closed_at IS NULL ORDER BY t.id LIMIT 1 RETURNING id)
    INSERT INTO ticket_contacts (ticket_id, contact_id) SELECT id, ${contact} FROM t RETURNING ticket_id`);
  const subject = psql(`SELECT subject FROM tickets WHERE id = ${ticket}`);
  const attacker = new Client();
  const r = await attacker.submit('/register', { name: 'Mallory', email, password: 'Attacker-Chosen-91', consent: 'yes' });
  assert.equal(r.status, 200);
  assert.equal(attacker.jar.has('portal_session'), false);
  assert.equal(psql(`SELECT password_hash IS NULL FROM members WHERE contact_id = ${contact}`), 't');
  for (const password of ['Attacker-Chosen-91', DEMO_PASSWORD]) {
    const l = await attacker.submit('/login', { email, password });
    assert.equal(l.status, 401, password);
  }
  // a reset or login link goes to the mailbox only; the registration link too
  const mail = await waitForMail(email, (m) => /Confirm your email/.test(m.subject));
  assert.doesNotMatch(mail.text, /Mallory/);
  // the owner, who reads the mailbox, is the one who gets in and sees the ticket
  const owner = new Client();
  const page = await owner.get(linkPath(mail));
  const set = await owner.post(linkPath(mail), { csrf: csrfOf(page.html), password: 'Owner-Picked-Pass-44', password_confirm: 'Owner-Picked-Pass-44' });
  assert.equal(set.status, 303);
  assert.match((await owner.get('/tickets?status=all')).html, new RegExp(subject));
  assert.equal(attacker.jar.has('portal_session'), false);
  psql("UPDATE members SET failed_logins = 0 WHERE contact_id = " + contact);
});

test('an unverified login that still holds a password cannot log in: the answer of a wrong password, no mail', async () => {
  // a login from before sql/014 whose hash survived somehow: the visitor's chosen password
  const hash = psql('SELECT password_hash FROM members WHERE contact_id = 1'); // Ada's: the demo password
  const good = newMember('unv-ref', { hash });
  const m = newMember('unverified', { verified: false, hash });
  const before = mailCount(m.email);
  const strip = (h, e) => h.replace(/value="[0-9a-f]{64}"/g, '').replace(e, 'EMAIL');
  const wrong = await new Client().submit('/login', { email: good.email, password: 'not-the-password-1' });
  for (let i = 0; i < 5; i++) {
    const r = await new Client().submit('/login', { email: m.email, password: DEMO_PASSWORD });
    assert.equal(r.status, 401, 'the right password of an unverified login is refused');
    assert.equal(strip(r.html, m.email), strip(wrong.html, good.email), 'the same page as a wrong password');
    assert.match(r.html, /The email or password is incorrect/);
  }
  // nothing queued by the time the answers came, so nothing can arrive later either
  assert.equal(queuedFor(m.email), '0', 'no mail queued for login attempts');
  assert.equal(psql(`SELECT count(*) FROM member_invitations WHERE contact_id = ${m.contact}`), '0', 'no invitation either');
  assert.equal(mailCount(m.email), before, 'no mail at all for login attempts');
  assert.equal(psql(`SELECT count(*) FROM member_tokens WHERE member_id = ${m.member}`), '0', 'no link issued');
  psql(`UPDATE members SET failed_logins = 0 WHERE id IN (${m.member}, ${good.member})`);
  psql('DELETE FROM login_failures');
});

test('a login link verifies an unverified login and drops a password it held', async () => {
  const hash = psql("SELECT password_hash FROM members WHERE contact_id = 1");
  const m = newMember('unv-link', { verified: false, hash });
  const c = new Client();
  await c.submit('/login/link', { email: m.email });
  const mail = await waitForMail(m.email, (x) => /login link/.test(x.subject));
  const page = await c.get(linkPath(mail));
  const use = await c.post(linkPath(mail), { csrf: csrfOf(page.html) });
  assert.equal(use.status, 303);
  assert.equal(psql(`SELECT (verified_at IS NOT NULL) || ' ' || (password_hash IS NULL) FROM members WHERE id = ${m.member}`), 'true true');
  assert.equal((await new Client().submit('/login', { email: m.email, password: DEMO_PASSWORD })).status, 401);
  psql(`UPDATE members SET failed_logins = 0 WHERE id = ${m.member}`);
});

test('registration never sets the password of an existing login without one', async () => {
  const email = `nopass-${uniq()}@example.net`;
  const cid = psql(`INSERT INTO contacts (email, first_name) VALUES ('${email}', 'Nopass') RETURNING id`);
  psql(`INSERT INTO members (portal_id, contact_id, verified_at) VALUES (1, ${cid}, now())`);
  const r = await new Client().submit('/register', { name: 'Attacker', email, password: 'Attacker-Chosen-91', consent: 'yes' });
  assert.equal(r.status, 200);
  assert.equal(psql(`SELECT password_hash IS NULL FROM members WHERE contact_id = ${cid}`), 't');
  assert.equal((await new Client().submit('/login', { email, password: 'Attacker-Chosen-91' })).status, 401);
  await waitForMail(email, (m) => /already have an account/.test(m.subject));
});

test('registering an address that has an account reveals nothing and mails the owner', async () => {
  const c = new Client();
  const before = mailTo('grace@example.com').length;
  const fresh = await new Client().submit('/register', { name: 'New Person', email: `fresh-${uniq()}@example.net`, consent: 'yes' });
  const r = await c.submit('/register', { name: 'Not Grace', email: 'grace@example.com', consent: 'yes' });
  assert.equal(r.status, 200);
  assert.match(r.html, /Check your inbox/);
  const strip = (h) => h.replace(/value="[^"]*"/g, '');
  assert.equal(strip(r.html), strip(fresh.html), 'the same page for a new and a known address');
  const mail = await waitForMail('grace@example.com', (m) => /already have an account/.test(m.subject));
  assert.ok(mailTo('grace@example.com').length > before);
  assert.match(mail.text, /\/password-reset/);
  await loggedIn('grace@example.com'); // her password is unchanged
});

test('an email that matches an existing contact attaches the login to that contact', async () => {
  const email = `known-${uniq()}@example.net`;
  const id = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${email}', 'Known', 'Contact') RETURNING id`);
  const r = await new Client().submit('/register', { name: 'Known Contact', email: email.toUpperCase(), consent: 'yes' });
  assert.equal(r.status, 200);
  assert.equal(psql(`SELECT contact_id FROM members WHERE contact_id = ${id}`), id);
  assert.equal(psql(`SELECT count(*) FROM contacts WHERE lower(email) = '${email}'`), '1');
});

test('password rules say which rule failed, on the page where a password is chosen', async () => {
  const m = newMember('rule-tester');
  const cases = [
    ['short', 'Ab1!', /at least 8 characters/],
    ['email', `${m.email.split('@')[0]}-Xy9!`, /must not contain your email/],
    ['sequence', 'xx12345yy!Q', /runs like 12345/],
    ['repeat', 'Qaaaaa-9z!', /runs like 12345/],
  ];
  const link = `/password-reset/${issueToken(m.member, 'reset')}`;
  for (const [, password, msg] of cases) {
    const c = new Client();
    const r = await c.submit(link, { password, password_confirm: password });
    assert.equal(r.status, 422, password);
    assert.match(r.html, msg, password);
    assert.match(r.html, /id="password-error"/);
  }
  assert.equal(psql(`SELECT password_hash IS NULL FROM members WHERE id = ${m.member}`), 't');
});

test('password reset: mail, new password works, the link works once; unknown emails look the same', async () => {
  const email = 'linus@example.org';
  const c = new Client();
  const known = await c.submit('/password-reset', { email });
  const unknown = await c.submit('/password-reset', { email: 'nobody-at-all@example.org' });
  assert.equal(known.status, 200);
  assert.equal(unknown.status, 200);
  const strip = (h) => h.replace(/value="[^"]*"/g, '');
  assert.equal(strip(known.html), strip(unknown.html));
  assert.equal(mailTo('nobody-at-all@example.org').length, 0);

  const mail = await waitForMail(email, (m) => /Reset your password/.test(m.subject));
  const link = linkPath(mail);
  const elsewhere = await loggedIn(email); // a session on another device
  const form = await c.get(link);
  assert.equal(form.status, 200);
  assert.match(form.html, /<h1[^>]*>Reset your password<\/h1>/, 'worded for a reset when the login has a password');
  const mismatch = await c.post(link, { csrf: csrfOf(form.html), password: 'Tall-Pine-Tree-88', password_confirm: 'Tall-Pine-Tree-89' });
  assert.equal(mismatch.status, 422);
  assert.match(mismatch.html, /not the same/);
  const set = await c.post(link, { csrf: csrfOf(form.html), password: 'Tall-Pine-Tree-88', password_confirm: 'Tall-Pine-Tree-88' });
  assert.equal(set.status, 303);
  assert.equal(set.headers.get('location'), '/tickets', 'signed in with the new password');
  assert.match((await c.get('/tickets')).html, /Linus/);
  assert.equal((await elsewhere.get('/tickets')).status, 303, 'other sessions end');
  await loggedIn(email, 'Tall-Pine-Tree-88');
  assert.equal((await new Client().submit('/login', { email, password: DEMO_PASSWORD })).status, 401, 'the old password is gone');
  const again = await c.get(link);
  assert.equal(again.status, 400, 'the reset link fails the second time');
  assert.match(again.html, /no longer works/);
  const reuse = await c.post(link, { csrf: csrfOf((await c.get('/password-reset')).html), password: 'Other-Pine-Tree-77', password_confirm: 'Other-Pine-Tree-77' });
  assert.equal(reuse.status, 400);
  // put the demo password back through the same door
  await c.submit('/password-reset', { email });
  const mail2 = await waitForMail(email, (m) => m.text.includes('/password-reset/') && linkPath(m) !== link);
  const l2 = linkPath(mail2);
  const f2 = await c.get(l2);
  assert.equal((await c.post(l2, { csrf: csrfOf(f2.html), password: DEMO_PASSWORD, password_confirm: DEMO_PASSWORD })).status, 303);
  psql("UPDATE members SET failed_logins = 0 WHERE contact_id = 3");
});

test('a reset link older than 24 hours is refused', async () => {
  const c = new Client();
  await c.submit('/password-reset', { email: 'grace@example.com' });
  const mail = await waitForMail('grace@example.com', (m) => /Reset your password/.test(m.subject));
  psql("UPDATE member_tokens SET created_at = now() - interval '25 hours', expires_at = now() - interval '1 hour' WHERE purpose = 'reset' AND used_at IS NULL");
  assert.equal((await c.get(linkPath(mail))).status, 400);
});

test('10 wrong passwords in a row lock the account for 15 minutes, without saying so to strangers', async () => {
  const email = 'grace@example.com';
  const c = new Client();
  for (let i = 0; i < 10; i++) {
    const r = await c.submit('/login', { email, password: `wrong-guess-${i}` });
    assert.equal(r.status, 401);
  }
  const locked = psql("SELECT locked_until > now() + interval '14 minutes' FROM members WHERE contact_id = 2");
  assert.equal(locked, 't');
  const right = await c.submit('/login', { email, password: DEMO_PASSWORD });
  assert.equal(right.status, 401, 'even the right password is refused while locked');
  const unknown = await c.submit('/login', { email: 'nobody-x@example.com', password: 'whatever-1' });
  const strip = (h, e) => h.replace(/value="[0-9a-f]{64}"/g, '').replace(e, 'EMAIL');
  assert.equal(strip(right.html, email), strip(unknown.html, 'nobody-x@example.com'));
  psql("UPDATE members SET locked_until = now() - interval '1 second', failed_logins = 0 WHERE contact_id = 2");
  await loggedIn(email);
  psql('DELETE FROM login_failures');
});

test('one client address gets at most 30 failed logins in 10 minutes, then 429 with Retry-After', async () => {
  psql('DELETE FROM login_failures');
  psql("INSERT INTO login_failures (ip) SELECT '127.0.0.1' FROM generate_series(1, 30)");
  try {
    const r = await new Client().submit('/login', { email: 'ada@example.com', password: DEMO_PASSWORD });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '600');
    assert.match(r.html, /Too many failed attempts/);
  } finally {
    psql('DELETE FROM login_failures');
  }
  await loggedIn('ada@example.com');
});

test('requests that send mail are limited per client address, and answer alike for unknown addresses', async () => {
  psql('DELETE FROM mail_requests');
  psql("INSERT INTO mail_requests (ip, purpose) SELECT '127.0.0.1', 'reset' FROM generate_series(1, 30)");
  try {
    const r = await new Client().submit('/password-reset', { email: 'ada@example.com' });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '600');
    assert.match(r.html, /wait a little/);
    const link = await new Client().submit('/login/link', { email: 'ada@example.com' });
    assert.equal(link.status, 200, 'each kind of request has its own count');
  } finally {
    psql('DELETE FROM mail_requests');
  }
  const before = psql("SELECT count(*) FROM mail_requests WHERE purpose = 'reset'");
  await new Client().submit('/password-reset', { email: 'no-such-person@example.org' });
  assert.equal(psql("SELECT count(*) FROM mail_requests WHERE purpose = 'reset'"), String(Number(before) + 1),
    'an unknown address costs the same write as a known one');
});

/* The per-address limit of PORTAL_CONFIG (limits.login_ip_max_failures, default 30). */
function mailLimit() {
  try {
    const cfg = JSON.parse(readFileSync(process.env.PORTAL_CONFIG || path.join(VAR, 'portal.json'), 'utf8'));
    return cfg.limits?.login_ip_max_failures ?? 30;
  } catch { return 30; }
}

test('every request that sends mail is limited per client address: the (N+1)th is 429 and sends nothing', async () => {
  const N = mailLimit();
  const paths = [
    { purpose: 'register', page: '/register', fields: (e) => ({ name: 'Limit Tester', email: e, consent: 'yes' }) },
    { purpose: 'reset', page: '/password-reset', fields: (e) => ({ email: e }) },
    { purpose: 'login_link', page: '/login/link', fields: (e) => ({ email: e }) },
  ];
  psql('DELETE FROM mail_requests');
  try {
    for (const p of paths) {
      const m = newMember(`limit-${p.purpose.replace('_', '')}`);
      psql(`INSERT INTO mail_requests (ip, purpose) SELECT '127.0.0.1', '${p.purpose}' FROM generate_series(1, ${N - 1})`);
      const nth = await new Client().submit(p.page, p.fields(p.purpose === 'register' ? `new-${uniq()}@example.net` : m.email));
      assert.equal(nth.status, 200, `${p.purpose}: the Nth request is served`);
      const sent = p.purpose === 'register' ? null : await waitForMail(m.email);
      const tokens = psql(`SELECT count(*) FROM member_tokens WHERE member_id = ${m.member}`);
      const fresh = `over-${uniq()}@example.net`;
      const over = await new Client().submit(p.page, p.fields(p.purpose === 'register' ? fresh : m.email));
      assert.equal(over.status, 429, `${p.purpose}: the (N+1)th is refused`);
      assert.equal(over.headers.get('retry-after'), '600');
      assert.match(over.html, /wait a little/);
      assert.equal(psql(`SELECT count(*) FROM member_tokens WHERE member_id = ${m.member}`), tokens, `${p.purpose}: no link issued`);
      if (p.purpose === 'register')
        assert.equal(psql(`SELECT count(*) FROM contacts WHERE email = '${fresh}'`), '0', 'nothing stored');
      if (sent) {
        assert.equal(queuedFor(m.email), '1', `${p.purpose}: the refused request queued no mail`);
        assert.equal(mailTo(m.email).length, 1, `${p.purpose}: one mail, not two`);
      }
    }
  } finally {
    psql('DELETE FROM mail_requests');
  }
});

test('an idle session past the portal timeout is logged out; so is one past its absolute lifetime', async () => {
  const c = await loggedIn('ada@example.com');
  const hash = createHash('sha256').update(c.jar.get('portal_session')).digest('hex');
  psql(`UPDATE sessions SET last_seen_at = now() - interval '61 minutes' WHERE token_sha256 = '${hash}'`);
  const r = await c.get('/tickets');
  assert.equal(r.status, 303);
  assert.match(r.headers.get('location'), /^\/login\?idle=1&next=/);
  assert.equal(psql(`SELECT count(*) FROM sessions WHERE token_sha256 = '${hash}'`), '0');
  const login = await c.get(r.headers.get('location'));
  assert.match(login.html, /logged out after a period of inactivity/);

  const d = await loggedIn('ada@example.com');
  const h2 = createHash('sha256').update(d.jar.get('portal_session')).digest('hex');
  psql(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_sha256 = '${h2}'`);
  assert.equal((await d.get('/tickets')).status, 303);
});

test('last-seen is written at most once a minute', async () => {
  const c = await loggedIn('ada@example.com');
  const hash = createHash('sha256').update(c.jar.get('portal_session')).digest('hex');
  psql(`UPDATE sessions SET last_seen_at = now() - interval '30 seconds' WHERE token_sha256 = '${hash}'`);
  const before = psql(`SELECT last_seen_at FROM sessions WHERE token_sha256 = '${hash}'`);
  await c.get('/tickets');
  assert.equal(psql(`SELECT last_seen_at FROM sessions WHERE token_sha256 = '${hash}'`), before);
  psql(`UPDATE sessions SET last_seen_at = now() - interval '90 seconds' WHERE token_sha256 = '${hash}'`);
  await c.get('/tickets');
  assert.equal(psql(`SELECT last_seen_at > now() - interval '5 seconds' FROM sessions WHERE token_sha256 = '${hash}'`), 't');
});

test('passwordless login: a single-use link valid 15 minutes', async () => {
  const c = new Client();
  const r = await c.submit('/login/link', { email: 'ada@example.com' });
  assert.equal(r.status, 200);
  assert.match(r.html, /login link is on its way/);
  const none = await c.submit('/login/link', { email: 'nobody-link@example.com' });
  assert.equal(none.html.replace(/value="[^"]*"/g, ''), r.html.replace(/value="[^"]*"/g, ''));
  const mail = await waitForMail('ada@example.com', (m) => /login link/.test(m.subject));
  const link = linkPath(mail);
  const page = await c.get(link);
  assert.equal(page.status, 200, 'opening the link does not log in by itself (mail scanners)');
  assert.equal(c.jar.has('portal_session'), false);
  const use = await c.post(link, { csrf: csrfOf(page.html) });
  assert.equal(use.status, 303);
  assert.equal(use.headers.get('location'), '/tickets');
  assert.match((await c.get('/tickets')).html, /Ada Lovelace/);
  const second = new Client();
  assert.equal((await second.get(link)).status, 400, 'the link works once');
  assert.equal(psql("SELECT count(*) FROM member_tokens WHERE purpose = 'login' AND expires_at > created_at + interval '15 minutes'"), '0');
});

test('a switched-off portal serves customers the access-denied page', async () => {
  const c = await loggedIn('ada@example.com');
  psql('UPDATE portals SET enabled = false WHERE id = 1');
  await everyWorker(async () => (await visit('/login')).status === 403, 'the access-denied page for visitors');
  try {
    for (const p of ['/login', '/tickets', '/register']) {
      const r = await c.get(p);
      assert.equal(r.status, 403, p);
      assert.match(r.html, /closed at the moment/);
    }
    assert.equal((await c.get('/healthz')).status, 200);
  } finally {
    psql('UPDATE portals SET enabled = true WHERE id = 1');
    await registrationOpen();
  }
  assert.equal((await c.get('/tickets')).status, 200);
});

test('logout with single sign-on on: 303 to the logout URL, whose origin the CSP form-action lists; a bad URL is not used', async () => {
  const CSP_DEFAULT = "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  const LOGOUT_URL = 'https://IdP.Example.test:8443/slo?wa=wsignout1.0&x=1';
  const ada = await loggedIn('ada@example.com');
  const grace = await loggedIn('grace@example.com');
  // a bad URL shows exactly as no URL does: wait for the reload itself, not for a visible change
  const setUrl = (u) => psqlEverywhere(`INSERT INTO portal_sso (portal_id, saml_idp_entity_id, saml_idp_sso_url, logout_url)
          VALUES (1, 'https://idp.example.test/metadata', 'https://idp.example.test/sso', '${u.replace(/'/g, "''")}')
          ON CONFLICT (portal_id) DO UPDATE SET logout_url = EXCLUDED.logout_url`, `the logout URL ${u}`);
  try {
    // SSO off: a logout URL changes nothing
    await setUrl(LOGOUT_URL);
    assert.equal((await ada.get('/tickets')).headers.get('content-security-policy'), CSP_DEFAULT);

    psql("UPDATE portals SET access_mode = 'sso', sso_method = 'saml', sso_audience = 'all' WHERE id = 1");
    await ssoOn();
    for (const bad of ['javascript:alert(1)', 'ftp://idp.example.test/slo', 'https://user@evil.example/slo',
      'https://evil.example:99999/', 'https://evil.example;script-src *', "https://evil.example'/", 'https://a..b/',
      'https://[::1]/slo', 'https:///slo', 'https://evil.example#x']) {
      await setUrl(bad);
      const page = await grace.get('/tickets');
      assert.equal(page.status, 200, bad);
      assert.equal(page.headers.get('content-security-policy'), CSP_DEFAULT, bad);
    }
    const out = await grace.post('/logout', { csrf: csrfOf((await grace.get('/tickets')).html) });
    assert.equal(out.status, 303);
    assert.equal(out.headers.get('location'), '/logout', 'a bad URL is never a redirect');

    await setUrl(LOGOUT_URL);
    const page = await ada.get('/tickets');
    assert.equal(page.headers.get('content-security-policy'),
      CSP_DEFAULT.replace("form-action 'self'", "form-action 'self' https://idp.example.test:8443"));
    const r = await ada.post('/logout', { csrf: csrfOf(page.html) });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), LOGOUT_URL);
    assert.equal(ada.jar.has('portal_session'), false);
    const after = await ada.get('/tickets');
    assert.equal(after.status, 303);
    assert.match(after.headers.get('location'), /^\/sso\/saml\/login/, 'no session: signing in again starts SSO');
    // the logged-out page stays on the portal: a link to /login, no redirect into the IdP
    const done = await ada.get('/logout');
    assert.equal(done.status, 200);
    assert.match(done.html, /<a class="btn" href="\/login">Sign in again<\/a>/);

    // SSO on without a logout URL: the portal's own logged-out page
    await setUrl('');
    const g = await new Client().get('/logout');
    assert.equal(g.headers.get('content-security-policy'), CSP_DEFAULT);
  } finally {
    psql("UPDATE portals SET access_mode = 'registration', sso_method = NULL, sso_audience = 'all' WHERE id = 1; DELETE FROM portal_sso WHERE portal_id = 1");
    await registrationOpen();
  }
  assert.equal((await new Client().get('/login')).status, 200);
});
