// two_factor.test.mjs - Chromium walks the customer's second factor as a person would: log in, open
// /account/two-factor, read the secret text off the page into an "authenticator" (test/lib/totp.mjs),
// type its code, keep the recovery codes, log out, log in again and type the next code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, psql } from '../lib/stack.mjs';
import { DEMO_PASSWORD } from '../lib/client.mjs';
import { launch } from '../lib/browser.mjs';
import { totp, nextTotp } from '../lib/totp.mjs';

const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

test('Chromium: enrol a second factor with the QR page, then log in with a code from the app', async () => {
  const email = `tf-browser-${uniq()}@example.net`;
  const contact = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${email}', 'Tove', 'Factor') RETURNING id`);
  psql(`INSERT INTO members (portal_id, contact_id, password_hash, verified_at)
    SELECT 1, ${contact}, password_hash, now() FROM members WHERE contact_id = 1`);
  const { browser, close } = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[13]|status of 422/.test(m.text())) problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(BASE + '/login');
    await page.fill('#email', email);
    await page.fill('#password', DEMO_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/tickets$/);

    await page.goto(BASE + '/account');
    await page.click('text=Manage two-step login');
    await page.waitForURL(/\/account\/two-factor$/);
    assert.ok(await page.isVisible('.qr svg'), 'the QR code is shown');
    const secret = (await page.textContent('#tf-secret')).trim();
    assert.match(secret, /^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/);
    await page.click('#code');
    await page.keyboard.type(totp(secret), { delay: 30 });
    await page.click('text=Turn on');
    await page.waitForSelector('#recovery-codes');
    const codes = await page.$$eval('#recovery-codes code', (els) => els.map((e) => e.textContent));
    assert.equal(codes.length, 10);
    await page.click('text=I have kept them, continue');
    await page.waitForURL(/\/account\/two-factor$/);
    assert.match(await page.textContent('main'), /Two-step login is on/);

    await page.goto(BASE + '/logout');
    await page.click('button[type=submit]');
    await page.goto(BASE + '/login');
    await page.fill('#email', email);
    await page.fill('#password', DEMO_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/login\/two-factor$/);
    await page.click('#code');
    await page.keyboard.type('000000' === nextTotp(secret) ? '111111' : '000000', { delay: 30 });
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert]');
    assert.match(await page.textContent('[role=alert]'), /code is not right/);
    await page.fill('#code', '');
    await page.click('#code');
    await page.keyboard.type(nextTotp(secret), { delay: 30 });
    await page.click('button[type=submit]');
    await page.waitForURL(/\/tickets$/);
    assert.deepEqual(problems, []);
  } finally {
    await close();
    psql('DELETE FROM login_failures');
  }
});
