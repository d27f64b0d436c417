// login.test.mjs - Chromium loads the login page (stylesheet applied, no console or CSP errors), and
// logs out with single sign-on on: onto the logged-out page, or on to the IdP's logout URL.
import { test, after } from 'node:test';
import http from 'node:http';
import assert from 'node:assert/strict';
import { BASE, VAR, psql } from '../lib/stack.mjs';
import { registrationOpen, ssoOn } from '../lib/wait.mjs';
import { launch } from '../lib/browser.mjs';
import path from 'node:path';

test('Chromium renders the login page with its stylesheet and no CSP violations', async () => {
  const { browser, close } = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(String(e)));
    const resp = await page.goto(BASE + '/login');
    assert.equal(resp.status(), 200);
    assert.equal(await page.title(), 'Log in · Acme Support');
    const headerBg = await page.$eval('header.top', (el) => getComputedStyle(el).backgroundColor);
    // the demo portal's theme (primary_color #1f4e79, served by /theme.css) over portal.css's default
    assert.equal(headerBg, 'rgb(31, 78, 121)', 'the theme stylesheet is applied');
    const btn = await page.$eval('button[type=submit]', (el) => ({ h: el.getBoundingClientRect().height, text: el.textContent }));
    assert.ok(btn.h >= 44, 'the submit button is a comfortable touch target');
    assert.equal(btn.text, 'Log in');
    const labelled = await page.$$eval('input:not([type=hidden])', (els) => els.every((el) => el.labels && el.labels.length === 1));
    assert.ok(labelled, 'every input has its label');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip', 'the skip link comes first');
    await page.screenshot({ path: path.join(VAR, 'login-mobile.png'), fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

function ssoOff() {
  psql("UPDATE portals SET access_mode = 'registration', sso_method = NULL, sso_audience = 'all' WHERE id = 1; DELETE FROM portal_sso WHERE portal_id = 1");
}
after(async () => { ssoOff(); await registrationOpen(); });

/* Log in with the password while SSO is off, then turn SAML sign-on on (with logoutUrl) under
 * the open session: the state a customer is in when they press Log out. */
async function loggedInThenSso(browser, logoutUrl) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(BASE + '/login');
  await page.fill('#email', 'ada@example.com');
  await page.fill('#password', 'demo-Portal-2026');
  await page.click('button[type=submit]');
  assert.equal(new URL(page.url()).pathname, '/tickets');
  psql(`INSERT INTO portal_sso (portal_id, saml_idp_entity_id, saml_idp_sso_url, logout_url)
        VALUES (1, 'https://idp.example.test/metadata', 'https://idp.example.test/sso', '${logoutUrl}')
        ON CONFLICT (portal_id) DO UPDATE SET logout_url = EXCLUDED.logout_url;
        UPDATE portals SET access_mode = 'sso', sso_method = 'saml', sso_audience = 'all' WHERE id = 1`);
  await ssoOn(); // one commit: the workers that start the sign-on have the logout URL too
  await page.reload();
  assert.equal(new URL(page.url()).pathname, '/tickets');
  return page;
}

test('Chromium with SAML on: Log out lands on the logged-out page and stays logged out after a reload', async () => {
  const { browser, close } = await launch();
  try {
    const page = await loggedInThenSso(browser, '');
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    await page.click('header button:has-text("Log out")');
    assert.equal(new URL(page.url()).pathname, '/logout');
    assert.equal(await page.textContent('h1'), 'You are logged out');
    assert.equal(await page.$('header button:has-text("Log out")'), null, 'no tickets, no logout button');
    await page.reload();
    assert.equal(new URL(page.url()).pathname, '/logout', 'a reload does not sign back in');
    assert.equal(await page.textContent('h1'), 'You are logged out');
    const cookies = await page.context().cookies();
    assert.equal(cookies.find((c) => c.name === 'portal_session'), undefined);
    // "Sign in again" is a link to /login, which starts the sign-on (the IdP here is not reachable)
    assert.equal(await page.getAttribute('a:has-text("Sign in again")', 'href'), '/login');
    assert.deepEqual(problems, []);
  } finally {
    await close();
    ssoOff();
    await registrationOpen();
  }
});

test('Chromium with SAML on and a logout URL: Log out ends the session and the browser reaches that URL', async () => {
  let hits = 0;
  const srv = http.createServer((req, res) => {
    if (req.url.startsWith('/slo')) hits++;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>IdP</title><h1>Signed out at the IdP</h1>');
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const slo = `http://127.0.0.1:${srv.address().port}/slo?from=portal`;
  const { browser, close } = await launch();
  try {
    const page = await loggedInThenSso(browser, slo);
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    await page.click('header button:has-text("Log out")');
    await page.waitForLoadState();
    assert.equal(page.url(), slo, 'the form-action CSP lets the 303 through');
    assert.equal(await page.textContent('h1'), 'Signed out at the IdP');
    assert.equal(hits, 1);
    assert.deepEqual(problems, []);
    const cookies = await page.context().cookies(BASE);
    assert.equal(cookies.find((c) => c.name === 'portal_session'), undefined, 'the portal session is gone');
  } finally {
    await close();
    await new Promise((r) => srv.close(r));
    ssoOff();
    await registrationOpen();
  }
});
