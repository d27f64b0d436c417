// accounts.test.mjs - Chromium registers a new customer, follows the emailed link to choose a
// password (which signs in), logs out onto the logged-out page and stays logged out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, VAR } from '../lib/stack.mjs';
import { launch } from '../lib/browser.mjs';
import { waitForMail, linkPath } from '../lib/mail.mjs';
import path from 'node:path';

test('Chromium: register with consent, choose the password from the emailed link, log out and stay out', async () => {
  const email = `browser-${Date.now()}@example.net`;
  const { browser, close } = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    // a form sent back with errors answers 422: that is expected; anything else in the console is not
    page.on('console', (m) => { if (m.type() === 'error' && !/status of 422/.test(m.text())) problems.push(m.text()); });

    await page.goto(BASE + '/login');
    await page.click('text=Register here');
    assert.equal(new URL(page.url()).pathname, '/register');
    assert.equal(await page.$('input[type=password]'), null, 'registration asks for no password');
    await page.fill('#name', 'Bea Browser');
    await page.fill('#email', email);
    await page.click('button[type=submit]');
    // no consent: the form comes back with the input kept and the message next to the box
    assert.match(await page.textContent('#consent-error'), /tick this box/);
    assert.equal(await page.inputValue('#email'), email);
    assert.equal(await page.getAttribute('#consent', 'aria-invalid'), 'true');
    await page.check('#consent');
    await page.click('button[type=submit]');
    assert.match(await page.textContent('main'), /Check your inbox/);

    const mail = await waitForMail(email, (m) => /Confirm your email/.test(m.subject));
    await page.goto(BASE + linkPath(mail));
    assert.match(new URL(page.url()).pathname, /^\/password-reset\//);
    assert.equal(await page.textContent('h1'), 'Choose your password');
    await page.fill('#password', 'Silver-Canyon-64');
    await page.fill('#password_confirm', 'Silver-Canyon-64');
    await page.click('button[type=submit]');
    assert.equal(new URL(page.url()).pathname, '/tickets', 'choosing the password signs in');
    assert.match(await page.textContent('header'), /Bea Browser/);
    const cookies = await page.context().cookies();
    const sid = cookies.find((c) => c.name === 'portal_session');
    assert.ok(sid.httpOnly);
    assert.equal(sid.sameSite, 'Lax');
    await page.screenshot({ path: path.join(VAR, 'tickets-desktop.png') });

    await page.click('header button:has-text("Log out")');
    assert.equal(new URL(page.url()).pathname, '/logout');
    assert.equal(await page.textContent('h1'), 'You are logged out');
    const again = page.locator('a:has-text("Sign in again")');
    assert.equal(await again.getAttribute('href'), '/login');
    await page.reload();
    assert.equal(new URL(page.url()).pathname, '/logout', 'a reload stays on the logged-out page');
    assert.equal(await page.textContent('h1'), 'You are logged out');
    await page.goto(BASE + '/tickets');
    assert.equal(new URL(page.url()).pathname, '/login', 'the session is gone');
    await page.goBack();
    await again.click();
    assert.equal(new URL(page.url()).pathname, '/login');

    // the password works from now on
    await page.fill('#email', email);
    await page.fill('#password', 'Silver-Canyon-64');
    await page.click('button[type=submit]');
    assert.equal(new URL(page.url()).pathname, '/tickets');
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});
