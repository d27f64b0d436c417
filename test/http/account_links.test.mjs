// account_links.test.mjs - every link the portal emails acts only on POST: opening it (twice, as a
// mail scanner and then the person would) spends nothing; the owner's POST works once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { psql } from '../lib/stack.mjs';
import { Client, csrfOf, loggedIn } from '../lib/client.mjs';
import { waitForMail, linkPath } from '../lib/mail.mjs';
import { everyWorker, registrationOpen, visit } from '../lib/wait.mjs';

const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const tokenState = (token) => psql(`SELECT CASE WHEN used_at IS NULL THEN 'unused' ELSE 'used' END
  FROM member_tokens WHERE token_sha256 = '${sha256(token)}'`);
const PASSWORD = 'Copper-Lantern-57';

function newMember(prefix, { verified = true, hash = null } = {}) {
  const email = `${prefix}-${uniq()}@example.net`;
  const contact = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${email}', 'Link', 'Tester') RETURNING id`);
  const member = psql(`INSERT INTO members (portal_id, contact_id, password_hash, verified_at)
    VALUES (1, ${contact}, ${hash ? `'${hash}'` : 'NULL'}, ${verified ? 'now()' : 'NULL'}) RETURNING id`);
  return { email, contact, member };
}

/* Two GETs of a password-page link spend nothing; the POST sets the password and signs in; a
 * second POST with the same link is refused. */
async function passwordLinkActsOnPost(link, { heading, email }) {
  const token = link.split('/').pop();
  const scanner = new Client();
  for (const who of [scanner, new Client()]) {
    const page = await who.get(link);
    assert.equal(page.status, 200);
    assert.match(page.html, new RegExp(`<h1[^>]*>${heading}</h1>`));
    assert.match(page.html, /<form method="post" action="\/password-reset\//);
    assert.equal(tokenState(token), 'unused', 'a GET spends nothing');
  }
  const owner = new Client();
  const form = await owner.get(link);
  const set = await owner.post(link, { csrf: csrfOf(form.html), password: PASSWORD, password_confirm: PASSWORD });
  assert.equal(set.status, 303);
  assert.equal(set.headers.get('location'), '/tickets');
  assert.equal((await owner.get('/tickets')).status, 200, 'signed in');
  assert.equal(tokenState(token), 'used');
  const again = new Client();
  const f2 = await again.get('/password-reset');
  const second = await again.post(link, { csrf: csrfOf(f2.html), password: 'Other-Lantern-58', password_confirm: 'Other-Lantern-58' });
  assert.equal(second.status, 400, 'a second POST is refused');
  assert.match(second.html, /no longer works/);
  await loggedIn(email, PASSWORD); // the first password stands
}

test('verification link (registration): two GETs spend nothing, the POST chooses the password, a second POST is refused', async () => {
  const email = `link-verify-${uniq()}@example.net`;
  assert.equal((await new Client().submit('/register', { name: 'Vera Link', email, consent: 'yes' })).status, 200);
  const mail = await waitForMail(email, (m) => /Confirm your email/.test(m.subject));
  const link = linkPath(mail);
  assert.match(link, /^\/password-reset\/[A-Za-z0-9_-]{43}$/);
  await passwordLinkActsOnPost(link, { heading: 'Choose your password', email });
  assert.equal(psql(`SELECT m.verified_at IS NOT NULL FROM members m JOIN contacts c ON c.id = m.contact_id
    WHERE lower(c.email) = '${email}'`), 't', 'choosing the password verified the login');
});

test('password reset link: two GETs spend nothing, the POST sets the password, a second POST is refused', async () => {
  const m = newMember('link-reset', { hash: psql('SELECT password_hash FROM members WHERE contact_id = 1') });
  assert.equal((await new Client().submit('/password-reset', { email: m.email })).status, 200);
  const mail = await waitForMail(m.email, (x) => /Reset your password/.test(x.subject));
  await passwordLinkActsOnPost(linkPath(mail), { heading: 'Reset your password', email: m.email });
});

test('a reset link verifies a login that was never verified and lets the owner choose a password', async () => {
  const m = newMember('link-unverified', { verified: false, hash: psql('SELECT password_hash FROM members WHERE contact_id = 1') });
  assert.equal((await new Client().submit('/password-reset', { email: m.email })).status, 200);
  const mail = await waitForMail(m.email, (x) => /Reset your password/.test(x.subject));
  await passwordLinkActsOnPost(linkPath(mail), { heading: 'Reset your password', email: m.email });
  assert.equal(psql(`SELECT verified_at IS NOT NULL FROM members WHERE id = ${m.member}`), 't');
});

test('invitation link (lists mode): two GETs spend nothing, the POST sets the first password, a second POST is refused', async () => {
  const u = uniq();
  const email = `link-invite-${u}@example.net`;
  const list = psql(`INSERT INTO lists (name) VALUES ('Link test ${u}') RETURNING id`);
  const contact = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${email}', 'Ina', 'Invite') RETURNING id`);
  psql(`INSERT INTO list_members (list_id, contact_id) VALUES (${list}, ${contact})`);
  try {
    psql(`INSERT INTO portal_lists (portal_id, list_id) VALUES (1, ${list}); UPDATE portals SET access_mode = 'lists' WHERE id = 1`);
    await everyWorker(async () => (await visit('/register')).status === 404, 'no self-registration (lists mode)');
    const mail = await waitForMail(email, (m) => /invited to our support portal/.test(m.subject));
    const link = linkPath(mail);
    assert.equal(psql(`SELECT purpose FROM member_tokens WHERE token_sha256 = '${sha256(link.split('/').pop())}'`), 'invite');
    await passwordLinkActsOnPost(link, { heading: 'Choose your password', email });
  } finally {
    psql(`UPDATE portals SET access_mode = 'registration' WHERE id = 1; DELETE FROM portal_lists WHERE list_id = ${list}`);
    await registrationOpen();
  }
});

test('login link: two GETs spend nothing, the POST logs in, a second POST is refused', async () => {
  const m = newMember('link-login');
  assert.equal((await new Client().submit('/login/link', { email: m.email })).status, 200);
  const mail = await waitForMail(m.email, (x) => /login link/.test(x.subject));
  const link = linkPath(mail);
  const token = link.split('/').pop();
  for (const who of [new Client(), new Client()]) {
    const page = await who.get(link);
    assert.equal(page.status, 200);
    assert.match(page.html, new RegExp(`<form method="post" action="${link}">`));
    assert.equal(who.jar.has('portal_session'), false);
    assert.equal(tokenState(token), 'unused', 'a GET spends nothing');
  }
  const owner = new Client();
  const page = await owner.get(link);
  const use = await owner.post(link, { csrf: csrfOf(page.html) });
  assert.equal(use.status, 303);
  assert.equal(use.headers.get('location'), '/tickets');
  assert.equal((await owner.get('/tickets')).status, 200);
  assert.equal(tokenState(token), 'used');
  const again = new Client();
  const f2 = await again.get('/login');
  const second = await again.post(link, { csrf: csrfOf(f2.html) });
  assert.equal(second.status, 400, 'a second POST is refused');
  assert.equal(again.jar.has('portal_session'), false);
});

test('legacy /verify?token= link: two GETs spend nothing, the POST verifies and leads to choosing a password, a second POST is refused', async () => {
  // a confirmation mail from before registration chose no password; its login held one
  const m = newMember('link-legacy', { verified: false, hash: psql('SELECT password_hash FROM members WHERE contact_id = 1') });
  const token = randomBytes(32).toString('base64url');
  psql(`INSERT INTO member_tokens (token_sha256, member_id, purpose, expires_at)
        VALUES ('${sha256(token)}', ${m.member}, 'verify', now() + interval '7 days')`);
  const link = `/verify?token=${token}`;
  for (const who of [new Client(), new Client()]) {
    const page = await who.get(link);
    assert.equal(page.status, 200);
    assert.match(page.html, /<form method="post" action="\/verify">/);
    assert.match(page.html, new RegExp(`<input type="hidden" name="token" value="${token}">`));
    assert.equal(tokenState(token), 'unused', 'a GET spends nothing');
    assert.equal(psql(`SELECT verified_at IS NULL FROM members WHERE id = ${m.member}`), 't');
  }
  const owner = new Client();
  const page = await owner.get(link);
  const r = await owner.post('/verify', { csrf: csrfOf(page.html), token });
  assert.equal(r.status, 303);
  const next = r.headers.get('location');
  assert.match(next, /^\/password-reset\/[A-Za-z0-9_-]{43}$/, 'straight on to choosing a password');
  assert.equal(tokenState(token), 'used');
  assert.equal(psql(`SELECT (verified_at IS NOT NULL) || ' ' || (password_hash IS NULL) FROM members WHERE id = ${m.member}`),
    'true true', 'verified, and the password chosen by whoever registered is gone');
  const form = await owner.get(next);
  assert.match(form.html, /<h1[^>]*>Choose your password<\/h1>/);
  const set = await owner.post(next, { csrf: csrfOf(form.html), password: PASSWORD, password_confirm: PASSWORD });
  assert.equal(set.status, 303);
  assert.equal(set.headers.get('location'), '/tickets');
  const again = new Client();
  const f2 = await again.get('/login');
  const second = await again.post('/verify', { csrf: csrfOf(f2.html), token });
  assert.equal(second.status, 400, 'a second POST is refused');
  assert.match(second.html, /no longer works/);
  assert.equal((await again.post('/verify', { token })).status, 403, 'CSRF as on every POST');
});
