// accounts.test.mjs - customer accounts from outside: login, logout, sessions, CSRF, registration, reset, links.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { psql, sleep, PORT } from '../lib/stack.mjs';
import { Client, csrfOf, loggedIn, DEMO_PASSWORD } from '../lib/client.mjs';
import { waitForMail, mailTo, linkPath } from '../lib/mail.mjs';

const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

test('login with the demo password lands on the ticket list with a hardened session cookie', async () => {
  const c = new Client();
  const page = await c.get('/login');
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
  assert.equal(psql("SELECT count(*) FROM audit_log WHERE action = 'login' AND at > now() - interval '1 minute'") > '0', true);
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

test('logout deletes the session server-side: the old cookie no longer works', async () => {
  const c = await loggedIn('ada@example.com');
  const token = c.jar.get('portal_session');
  const page = await c.get('/tickets');
  const r = await c.post('/logout', { csrf: csrfOf(page.html) });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/login?logged_out=1');
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

test('registration: consent required, verification mail, verify, log in, log out', async () => {
  const email = `reg-${uniq()}@example.net`;
  const c = new Client();
  const form = await c.get('/register');
  assert.match(form.html, /<a href="https:\/\/example.com\/privacy" rel="noopener noreferrer">privacy policy<\/a>/);
  assert.match(form.html, /I agree to the processing of my data/);
  const no = await c.post('/register', { csrf: csrfOf(form.html), name: 'Rita Register', email, password: 'Blue-Harbour-71' });
  assert.equal(no.status, 422);
  assert.match(no.html, /id="consent-error"/);
  assert.match(no.html, /value="Rita Register"/, 'input kept');
  assert.match(no.html, new RegExp(`value="${email}"`));
  assert.equal(psql(`SELECT count(*) FROM contacts WHERE lower(email) = '${email}'`), '0', 'nothing stored');

  const ok = await c.post('/register', { csrf: csrfOf(no.html), name: 'Rita Register', email, password: 'Blue-Harbour-71', consent: 'yes' });
  assert.equal(ok.status, 200);
  assert.match(ok.html, /Check your inbox/);
  const consent = psql(`SELECT m.consent_text FROM members m JOIN contacts c ON c.id = m.contact_id WHERE lower(c.email) = '${email}'`);
  assert.match(consent, /privacy policy\]\(https:\/\/example.com\/privacy\)/);
  assert.match(consent, /I agree to the processing of my data/);

  const early = await new Client().submit('/login', { email, password: 'Blue-Harbour-71' });
  assert.equal(early.status, 403, 'the account works only once verified');
  assert.match(early.html, /confirm your email address first/);

  const mail = await waitForMail(email, (m) => /Confirm your email/.test(m.subject));
  assert.match(mail.html, /<a href="http/);
  assert.match(mail.text, new RegExp(`http://localhost:${PORT}/verify\\?token=[A-Za-z0-9_-]{43}`),
    'links use the portal domain and the configured scheme and port, not request headers');
  assert.doesNotMatch(mail.text, /Rita Register/, 'what a registrant typed does not travel to an unconfirmed address');
  const verify = await c.get(linkPath(mail));
  assert.equal(verify.status, 303);
  assert.equal(verify.headers.get('location'), '/login?verified=1');
  assert.equal((await c.get(linkPath(mail))).status, 400, 'the verification link works once');

  const u = await loggedIn(email, 'Blue-Harbour-71');
  const list = await u.get('/tickets');
  assert.match(list.html, /Rita Register/);
  const out = await u.post('/logout', { csrf: csrfOf(list.html) });
  assert.equal(out.status, 303);
  assert.equal((await u.get('/tickets')).status, 303);
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
  const r = await c.submit('/register', { name: 'Not Grace', email: 'grace@example.com', password: 'Green-Lantern-58', consent: 'yes' });
  assert.equal(r.status, 200);
  assert.match(r.html, /Check your inbox/);
  const mail = await waitForMail('grace@example.com', (m) => /already have an account/.test(m.subject));
  assert.ok(mailTo('grace@example.com').length > before);
  assert.match(mail.text, /\/password-reset/);
  await loggedIn('grace@example.com'); // her password is unchanged
});

test('an email that matches an existing contact attaches the login to that contact', async () => {
  const email = `known-${uniq()}@example.net`;
  const id = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${email}', 'Known', 'Contact') RETURNING id`);
  const r = await new Client().submit('/register', { name: 'Known Contact', email: email.toUpperCase(), password: 'Quiet-Meadow-42', consent: 'yes' });
  assert.equal(r.status, 200);
  assert.equal(psql(`SELECT contact_id FROM members WHERE contact_id = ${id}`), id);
  assert.equal(psql(`SELECT count(*) FROM contacts WHERE lower(email) = '${email}'`), '1');
});

test('password rules say which rule failed', async () => {
  const cases = [
    ['short', 'Ab1!', /at least 8 characters/],
    ['email', 'rule-tester-Xy9!', /must not contain your email/],
    ['sequence', 'xx12345yy!Q', /runs like 12345/],
    ['repeat', 'Qaaaaa-9z!', /runs like 12345/],
  ];
  for (const [, password, msg] of cases) {
    const r = await new Client().submit('/register', { name: 'Rule Tester', email: 'rule-tester@example.net', password, consent: 'yes' });
    assert.equal(r.status, 422, password);
    assert.match(r.html, msg, password);
    assert.match(r.html, /id="password-error"/);
  }
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
  const form = await c.get(link);
  assert.equal(form.status, 200);
  const mismatch = await c.post(link, { csrf: csrfOf(form.html), password: 'Tall-Pine-Tree-88', password_confirm: 'Tall-Pine-Tree-89' });
  assert.equal(mismatch.status, 422);
  assert.match(mismatch.html, /not the same/);
  const set = await c.post(link, { csrf: csrfOf(form.html), password: 'Tall-Pine-Tree-88', password_confirm: 'Tall-Pine-Tree-88' });
  assert.equal(set.status, 303);
  assert.equal(set.headers.get('location'), '/login?reset=1');
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
  await sleep(200);
  try {
    for (const p of ['/login', '/tickets', '/register']) {
      const r = await c.get(p);
      assert.equal(r.status, 403, p);
      assert.match(r.html, /closed at the moment/);
    }
    assert.equal((await c.get('/healthz')).status, 200);
  } finally {
    psql('UPDATE portals SET enabled = true WHERE id = 1');
    await sleep(200);
  }
  assert.equal((await c.get('/tickets')).status, 200);
});
