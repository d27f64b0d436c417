// login.test.mjs - Chromium loads the login page: stylesheet applied, no console or CSP errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, VAR } from '../lib/stack.mjs';
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
