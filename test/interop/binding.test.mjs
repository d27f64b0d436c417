// binding.test.mjs - Chromium against SimpleSAMLphp: a sign-on belongs to the browser that started
// it. A Response the IdP issued in browser A and posted from browser B (no pre-session cookie of A)
// is refused, and a Response used once is refused the second time, from any browser.
// Browser A runs without JavaScript, so SimpleSAMLphp's POST form stays on screen instead of
// submitting itself: the test reads it there, as an attacker who got hold of it would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE } from '../lib/stack.mjs';
import {
  IDP_ORIGIN, PORTAL_ORIGIN, SP_ACS_URL, uniq, sessionCount, idpLogin, auditMark, refusalsAfter, portalCookie, onIdp,
} from './idp.mjs';
import { useBrowser, browser, ssoUser } from './common.mjs';

useBrowser();

/* In context A (no JavaScript): start at /tickets, sign in at the IdP if it asks, and stop on the
 * IdP's HTTP-POST page. Returns the form: {action, fields}. */
async function captureForm(page, user) {
  await page.goto(BASE + '/tickets');
  assert.ok(onIdp(page), 'sent to the IdP');
  if (await page.locator('#password').count()) await idpLogin(page, user);
  assert.ok(onIdp(page), 'still at the IdP: its POST form does not submit itself without JavaScript');
  const form = await page.locator('form[method="post"]').evaluate((f) => ({
    action: f.action,
    fields: Object.fromEntries([...f.querySelectorAll('input[type="hidden"]')].map((i) => [i.name, i.value])),
  }));
  assert.equal(form.action, SP_ACS_URL, 'the IdP posts to the portal\'s ACS');
  assert.ok(form.fields.SAMLResponse, 'the form carries a SAMLResponse');
  return form;
}

/* Post a captured form from this context, from a page on the IdP's origin (as the IdP's own
 * page would: a cross-site POST). Returns the page where the browser ends up. */
async function postFrom(context, form) {
  const page = await context.newPage();
  const url = `${IDP_ORIGIN}/interop-replay-${uniq()}`;
  const attr = (v) => String(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  await page.route(url, (route) => route.fulfill({
    status: 200,
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><title>replay</title><form method="post" action="${attr(form.action)}">` +
      Object.entries(form.fields).map(([k, v]) => `<input type="hidden" name="${attr(k)}" value="${attr(v)}">`).join('') +
      '<button id="go" type="submit">Continue</button></form>',
  }));
  await page.goto(url);
  await Promise.all([page.waitForNavigation(), page.click('#go')]);
  await page.waitForLoadState('load');
  return page;
}

/* A new user's sign-on started in browser A (no JavaScript) and held at the IdP's POST form, and
 * a second browser: fn({user, a, other, pageA, form}); both browsers close after fn. */
async function withCapturedForm(name, mailbox, fn) {
  const { user } = await ssoUser(name, mailbox);
  const a = await browser().newContext({ javaScriptEnabled: false });
  const other = await browser().newContext();
  try {
    const pageA = await a.newPage();
    const form = await captureForm(pageA, user);
    await fn({ user, a, other, pageA, form });
  } finally {
    await a.close();
    await other.close();
  }
}

async function assertRefused(page, context, mark, what) {
  assert.equal(new URL(page.url()).origin, PORTAL_ORIGIN, `${what}: on the portal`);
  assert.match(await page.textContent('main'), /could not sign you in/i, `${what}: "could not sign you in"`);
  const session = await portalCookie(context, 'portal_session');
  assert.ok(!session || !session.value, `${what}: no session cookie`);
  const refusals = refusalsAfter(mark);
  assert.equal(refusals.length, 1, `${what}: one sso_refused row in the audit log, for this attempt: ${refusals}`);
  assert.equal(JSON.parse(refusals[0]).method, 'saml');
  return refusals;
}

test('(5) a Response issued in browser A and posted from browser B is refused; B gets no session', async () => {
  await withCapturedForm('bind', 'interop-binding', async ({ user, a, other: b, form }) => {
    const mark = auditMark();
    const pageB = await postFrom(b, form);
    const refusals = await assertRefused(pageB, b, mark, 'posted from browser B');
    assert.match(refusals.join(' '), /browser|pre-session|cookie/i, `refused for the browser binding: ${refusals}`);
    assert.equal(sessionCount(user.email), 0, 'nobody was signed in');
    assert.equal(await pageB.locator('header form[action="/logout"]').count(), 0, 'browser B is not signed in');
    const pre = await portalCookie(a, 'portal_pre');
    assert.ok(pre && pre.httpOnly && pre.sameSite === 'Lax', 'browser A holds the HttpOnly, SameSite=Lax pre-session cookie of its sign-on');
  });
});

test('(5) a Response used once is refused when it comes again, in the same browser or another', async () => {
  await withCapturedForm('replay', 'interop-replay', async ({ user, a, other: c, pageA, form }) => {
    // the genuine sign-on: A submits the IdP's form itself
    await Promise.all([pageA.waitForNavigation(), pageA.locator('form[method="post"] button[type="submit"]').click()]);
    await pageA.waitForURL((u) => u.origin === PORTAL_ORIGIN && u.pathname === '/tickets', { timeout: 10000 });
    assert.equal(sessionCount(user.email), 1, 'browser A is signed in');

    let mark = auditMark();
    const again = await postFrom(c, form);
    let refusals = await assertRefused(again, c, mark, 'replayed from browser C');
    assert.match(refusals.join(' '), /replay|already used/i, `refused as a replay: ${refusals}`);
    assert.equal(sessionCount(user.email), 1, 'no second session from the replay');

    mark = auditMark();
    await a.clearCookies({ name: 'portal_session' });
    const againA = await postFrom(a, form);
    refusals = await assertRefused(againA, a, mark, 'replayed in browser A');
    assert.match(refusals.join(' '), /replay|already used/i, `refused as a replay: ${refusals}`);
    assert.equal(sessionCount(user.email), 1, 'no second session from the replay in A');
  });
});
