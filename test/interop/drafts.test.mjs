// drafts.test.mjs - Chromium against SimpleSAMLphp: a reply typed while the session ran out is not
// lost. The portal answers on its own origin (no trip into the IdP that would drop the POST), keeps
// the text for thirty minutes, and offers it back in the reply box after the customer has signed in
// again through the IdP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, psql } from '../lib/stack.mjs';
import { IDP_ORIGIN, PORTAL_ORIGIN, sessionCount, expireSessions, idpLogin, backOnPortal } from './idp.mjs';
import { useBrowser, ssoUser, signedOn } from './common.mjs';

useBrowser();

test('(3) a reply typed after the session expired is kept and offered back in the reply box after signing in again', async () => {
  // Ada of the demo data has tickets of her own; the IdP vouches for her address
  const { t, user } = await ssoUser('ada-drafts', 'ada@example.com');
  await signedOn(user, '/tickets', async ({ context, page }) => {
    const hrefs = await page.locator('main a[href^="/tickets/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    const ticket = hrefs.find((h) => /^\/tickets\/\d+$/.test(h));
    assert.ok(ticket, `Ada's ticket list links a ticket (${hrefs.join(' ')})`);
    await page.goto(BASE + ticket);
    const text = `Here is the log you asked for (${t}).\nIt fails every morning at 9.`;
    await page.fill('#body', text);
    await page.setInputFiles('#files', { name: `log-${t}.txt`, mimeType: 'text/plain', buffer: Buffer.from('a log line\n') });

    expireSessions(user.email); // the session ran out while the customer was typing
    assert.equal(sessionCount(user.email), 0);
    const toIdp = [];
    context.on('request', (r) => { if (new URL(r.url()).origin === IDP_ORIGIN) toIdp.push(r.url()); });
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `${ticket}/reply`),
      page.click('form.reply button[type="submit"]'),
    ]);
    // a redirect into the IdP would come now: wait until the network has been quiet for 500 ms
    await page.waitForLoadState('networkidle');
    assert.ok([200, 401].includes(res.status()), `the portal answers the reply itself (status ${res.status()}), no redirect`);
    assert.equal(new URL(page.url()).origin, PORTAL_ORIGIN, 'a page of the portal');
    assert.deepEqual(toIdp, [], 'not sent into the IdP with the reply in flight');
    const said = await page.textContent('main');
    assert.match(said, /signed out|logged out|session (has )?(expired|ended)/i, 'says the customer was signed out');
    assert.match(said, /30 minutes/i, 'says the text is kept for 30 minutes');
    assert.match(said, /attach/i, 'says files must be attached again');
    const again = page.getByRole('link', { name: /Sign in again/i });
    assert.equal(await again.count(), 1, 'a "Sign in again" link');

    // the IdP's session ended too by now: the customer types the password again
    await context.clearCookies({ domain: new URL(IDP_ORIGIN).hostname });
    await Promise.all([page.waitForNavigation(), again.click()]);
    assert.equal(new URL(page.url()).origin, IDP_ORIGIN, 'Sign in again goes through the IdP');
    await idpLogin(page, user);
    await backOnPortal(page);
    await page.waitForSelector('#body');
    assert.equal(new URL(page.url()).pathname, ticket, 'back on the ticket');
    assert.equal(await page.inputValue('#body'), text, 'the reply box holds the text typed before');
    assert.match(await page.locator('main [role="status"]').textContent(), /kept the text/i,
      'a notice says why the text is there');
    assert.equal(await page.inputValue('#files'), '', 'files are not kept');
    assert.equal(sessionCount(user.email), 1, 'signed in again');
  });
});

test('(3b) a new ticket typed after the session expired is kept and offered back in the support form', async () => {
  const { t, user } = await ssoUser('newt', 'interop-newticket');
  await signedOn(user, '/tickets/new', async ({ page }) => {
    const formPath = new URL(page.url()).pathname;
    assert.equal(formPath, '/tickets/new', 'back on the support form');
    const form = page.locator('main form[method="post"]');
    // every text field of the form gets a value of its own
    const typed = {};
    for (const el of await form.locator('input[type="text"], textarea').all()) {
      const name = await el.getAttribute('name');
      const v = (await el.evaluate((e) => e.tagName)) === 'TEXTAREA'
        ? `The export button does nothing (${t}).\nSince this morning.` : `Export broken ${t}`;
      await el.fill(v);
      typed[name] = v;
    }
    for (const sel of await form.locator('select').all()) {
      const values = await sel.locator('option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
      if (values.length) await sel.selectOption(values[0]);
    }
    assert.ok(Object.keys(typed).length >= 1, 'the support form has text fields');

    expireSessions(user.email);
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === formPath),
      form.locator('button[type="submit"]').click(),
    ]);
    await page.waitForLoadState('load');
    assert.ok([200, 401].includes(res.status()), `the portal answers itself (status ${res.status()})`);
    assert.equal(new URL(page.url()).origin, PORTAL_ORIGIN);
    assert.match(await page.textContent('main'), /30 minutes/i, 'the text is kept for 30 minutes');
    assert.equal(psql(`SELECT count(*) FROM tickets WHERE subject LIKE '%${t}%'`), '0', 'no ticket was made without a session');

    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: /Sign in again/i }).click()]);
    await backOnPortal(page); // the IdP still knows the customer: straight back
    await page.waitForSelector('main form[method="post"]');
    assert.equal(new URL(page.url()).pathname, formPath, 'back on the support form');
    for (const [name, v] of Object.entries(typed)) {
      assert.equal(await page.locator(`main form [name="${name}"]`).inputValue(), v, `field ${name} is back`);
    }
    assert.match(await page.locator('main [role="status"]').textContent(), /kept the text/i, 'with a notice');
  });
});
