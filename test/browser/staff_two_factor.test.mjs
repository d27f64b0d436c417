// staff_two_factor.test.mjs - Chromium: a staff user turns on a second factor from the console's
// header (the QR code shown, the key typed into the "app" - here the test computes the code), saves
// the recovery codes, logs out, and logs in again with a code from the app after the password.
// A staff user made for this test only; the demo admin never gets a factor.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BASE, VAR, psql } from '../lib/stack.mjs';
import { launch } from '../lib/browser.mjs';
import { totp, nextTotp } from '../lib/totp.mjs';

const EMAIL = `tf-walk-${Date.now()}@example.com`;
const ID = Number(psql(`INSERT INTO staff_users (email, name, password_hash, role)
  SELECT '${EMAIL}', 'Walk Agent', password_hash, 'agent' FROM staff_users WHERE email = 'admin@example.com' RETURNING id`));
after(() => {
  psql('UPDATE install_settings SET staff_two_factor_required = false');
  psql(`DELETE FROM staff_users WHERE id = ${ID}`);
});

const typeInto = async (page, sel, text) => {
  await page.click(sel);
  await page.keyboard.type(text, { delay: 25 });
};

test('Chromium: a staff user enrols a second factor and logs in with a code computed by the test', async () => {
  const { browser, close } = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = [];
    // (the wrong code's 401 answer is logged by Chromium as a failed load: expected, not a problem)
    page.on('console', (m) => { if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(String(e)));

    await page.goto(BASE + '/admin/login');
    await typeInto(page, '#email', EMAIL);
    await typeInto(page, '#password', 'demo-Portal-2026');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/admin');

    // from the header to the account page: the QR code and the key
    await page.click('header.bar >> text=Your account');
    await page.waitForURL((u) => u.pathname === '/admin/account/two-factor');
    const qr = await page.$eval('.qr svg', (el) => el.getBoundingClientRect());
    assert.ok(qr.width >= 100 && qr.height >= 100, `the QR code is shown large enough to scan (${qr.width}x${qr.height})`);
    const secret = (await page.textContent('#secret')).trim();
    assert.match(secret, /^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/);

    await typeInto(page, '#code', totp(secret));
    await page.click('button:has-text("Turn on")');
    const codes = await page.$$eval('.recovery-codes code', (els) => els.map((e) => e.textContent));
    assert.equal(codes.length, 10);
    assert.equal(psql(`SELECT confirmed_at IS NOT NULL FROM two_factors WHERE staff_user_id = ${ID}`), 't');
    await page.click('text=I have saved them');
    assert.match(await page.textContent('#codes-left'), /10 of 10 recovery codes left/);
    await page.screenshot({ path: path.join(VAR, 'staff-two-factor-on.png'), fullPage: true });

    // log out, and in again: the password, then the code
    await page.click('header.bar button:has-text("Log out")');
    await page.waitForURL((u) => u.pathname === '/admin/login');
    await typeInto(page, '#email', EMAIL);
    await typeInto(page, '#password', 'demo-Portal-2026');
    await page.click('main button[type=submit]');
    await page.waitForURL((u) => u.pathname === '/admin/login/two-factor');
    assert.match(await page.textContent('h1'), /Enter your code/);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'code', 'the code field has the focus');

    // a mistyped code first: refused with a message, the form again
    const good = nextTotp(secret);
    const wrong = good === '000000' ? '000001' : '000000';
    await page.keyboard.type(wrong, { delay: 25 });
    await page.keyboard.press('Enter');
    await page.waitForSelector('#code-error');
    assert.match(await page.textContent('#code-error'), /not right/);
    assert.equal(new URL(page.url()).pathname, '/admin/login/two-factor');

    await typeInto(page, '#code', good);
    await page.click('main button[type=submit]');
    await page.waitForURL((u) => u.pathname === '/admin');
    assert.match(await page.textContent('header.bar'), /Walk Agent/);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});
