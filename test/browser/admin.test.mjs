// admin.test.mjs - Chromium: an admin switches the portal off and on, changes the page title and
// the theme colour, and sees each take effect in the customer portal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, psql } from '../lib/stack.mjs';
import { launch } from '../lib/browser.mjs';
import { settingsPath } from '../lib/portals.mjs';

test('Chromium: an admin switches the portal off and on, renames it and recolours it', async () => {
  const before = psql('SELECT page_title || chr(31) || theme::text FROM portals WHERE id = 1').split('\x1f');
  const title = `Acme Help Centre ${Date.now()}`;
  const { browser, close } = await launch();
  try {
    const adminCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const custCtx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const admin = await adminCtx.newPage();
    const customer = await custCtx.newPage();
    const problems = [];
    for (const p of [admin, customer]) p.on('pageerror', (e) => problems.push(String(e)));

    await admin.goto(BASE + settingsPath('/general'));
    assert.equal(new URL(admin.url()).pathname, '/admin/login', 'the console asks for a staff login first');
    await admin.fill('#email', 'admin@example.com');
    await admin.fill('#password', 'demo-Portal-2026');
    await admin.click('main button[type=submit]');
    assert.equal(new URL(admin.url()).pathname, settingsPath('/general'), 'and returns to the page asked for');

    // off: customers get the access-denied page
    await admin.check('#enabled-off');
    await admin.click('form:has(#page_title) button[type=submit]');
    assert.match(await admin.textContent('.notice'), /Saved/);
    assert.match(await admin.textContent('header.bar'), /Portal off/);
    const off = await customer.goto(BASE + '/login');
    assert.equal(off.status(), 403);
    assert.doesNotMatch(await customer.content(), /id="password"/, 'no login form while off');

    // on again, with a new page title
    await admin.check('#enabled-on');
    await admin.fill('#page_title', title);
    await admin.click('form:has(#page_title) button[type=submit]');
    assert.match(await admin.textContent('.notice'), /Saved/);
    assert.match(await admin.textContent('header.bar'), /Portal on/);
    const on = await customer.goto(BASE + '/login');
    assert.equal(on.status(), 200);
    assert.ok(await customer.isVisible('#password'));
    assert.match(await customer.title(), new RegExp(title));

    // theme colour: the customer header takes it
    await admin.goto(BASE + settingsPath('/theme'));
    await admin.fill('#brand_color', '#8a1538');
    await admin.click('form:has(#brand_color) button[type=submit]');
    assert.match(await admin.textContent('.notice'), /Saved/);
    await customer.goto(BASE + '/login');
    const bg = await customer.evaluate(() => getComputedStyle(document.querySelector('header.top')).backgroundColor);
    assert.equal(bg, 'rgb(138, 21, 56)');

    // and a wrong colour is refused with the input kept, nothing changed
    await admin.fill('#brand_color', 'red;}');
    await admin.click('form:has(#brand_color) button[type=submit]');
    assert.equal(await admin.inputValue('#brand_color'), 'red;}');
    assert.ok(await admin.isVisible('#brand_color-error'));
    await customer.reload();
    assert.equal(await customer.evaluate(() => getComputedStyle(document.querySelector('header.top')).backgroundColor), 'rgb(138, 21, 56)');
    assert.deepEqual(problems, []);
  } finally {
    await close();
    psql(`UPDATE portals SET enabled = true, page_title = $q$${before[0]}$q$, theme = $q$${before[1]}$q$::jsonb WHERE id = 1`);
  }
});
