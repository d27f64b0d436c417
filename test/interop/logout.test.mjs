// logout.test.mjs - Chromium against SimpleSAMLphp: logging out with single sign-on on ends on the
// portal's own "You are logged out" page, never an automatic trip into the IdP (which would sign
// the customer straight back in); with a logout URL the browser goes to the IdP's logout instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, psql, sleep } from '../lib/stack.mjs';
import { IDP_ORIGIN, PORTAL_ORIGIN, sessionCount, portalCookie, onIdp, importMetadata, idpMetadata } from './idp.mjs';
import { useBrowser, browser, ssoUser, signedOn } from './common.mjs';

useBrowser();

/* Every URL this context asks of the IdP from now on. */
function idpRequests(context) {
  const urls = [];
  context.on('request', (r) => { if (new URL(r.url()).origin === IDP_ORIGIN) urls.push(r.url()); });
  return urls;
}

async function clickLogOut(page) {
  const button = page.locator('header form[action="/logout"] button');
  assert.equal(await button.count(), 1, 'the page header has a Log out button');
  // the navigation's end is whatever page the chain of redirects stops on (checked by the caller)
  await Promise.all([page.waitForNavigation().catch(() => {}), button.click()]);
  // the chain has ended when the network has been quiet for 500 ms
  await page.waitForLoadState('networkidle');
}

async function assertLoggedOutPage(page, what) {
  const at = new URL(page.url());
  assert.equal(at.origin, PORTAL_ORIGIN, `${what}: the portal's own page`);
  assert.equal(at.pathname, '/logout', `${what}: the logged-out page`);
  assert.match(await page.textContent('main'), /You are logged out/i, what);
  const again = page.getByRole('link', { name: /Sign in again/i });
  assert.equal(await again.count(), 1, `${what}: a "Sign in again" link`);
  assert.equal(await page.locator('header form[action="/logout"]').count(), 0, `${what}: no Log out button any more`);
}

test('(2) logout with SSO on: the logged-out page, no redirect into the IdP, a reload stays logged out, /tickets signs on anew', async () => {
  const { user } = await ssoUser('lin', 'interop-logout');
  await signedOn(user, '/tickets', async ({ context, page }) => {
    assert.equal(sessionCount(user.email), 1);
    const toIdp = idpRequests(context);
    await clickLogOut(page);
    await assertLoggedOutPage(page, 'after Log out');
    // the page must stay put: nothing in it that moves on later, and nothing does for a while
    // (this wait is the thing tested: a delayed refresh or script is only seen by waiting)
    assert.equal(await page.locator('meta[http-equiv="refresh" i], script').count(), 0, 'no refresh, no script');
    await sleep(1500);
    assert.equal(new URL(page.url()).pathname, '/logout', 'still on the logged-out page');
    assert.deepEqual(toIdp, [], 'the browser was not sent into the IdP');
    assert.equal(sessionCount(user.email), 0, 'the session is gone from the database');
    const cookie = await portalCookie(context, 'portal_session');
    assert.ok(!cookie || !cookie.value, 'the session cookie is cleared');

    await page.reload();
    await page.waitForLoadState('networkidle'); // a sign-on through the IdP would be under way by now
    await assertLoggedOutPage(page, 'after a reload');
    assert.deepEqual(toIdp, [], 'a reload does not sign back in through the IdP');
    assert.equal(sessionCount(user.email), 0, 'a reload makes no session');

    // the ticket list needs a session again: a new sign-on (the IdP still knows the user and
    // answers at once, without its form)
    await page.goto(BASE + '/tickets');
    await page.waitForURL((u) => u.origin === PORTAL_ORIGIN && u.pathname === '/tickets', { timeout: 15000 });
    assert.ok(toIdp.some((u) => u.includes('/saml2/idp/SSOService.php?SAMLRequest=')), 'a new AuthnRequest went to the IdP');
    assert.equal(sessionCount(user.email), 1, 'signed in again');
  });
});

test('(2b) with a logout URL set, Log out goes to the IdP\'s logout (form-action allows it) and back to the logged-out page', async () => {
  const logoutUrl = `${IDP_ORIGIN}/saml2/idp/initSLO.php?RelayState=${encodeURIComponent(`${PORTAL_ORIGIN}/logout`)}`;
  const { user } = await ssoUser('lou', 'interop-slo', { logoutUrl });
  await signedOn(user, '/tickets', async ({ context, page }) => {
    const res = await page.goto(BASE + '/tickets');
    const csp = res.headers()['content-security-policy'] || '';
    const formAction = (/form-action ([^;]*)/.exec(csp) || [])[1] || '';
    assert.ok(formAction.split(/\s+/).includes(IDP_ORIGIN) || formAction.includes(`${IDP_ORIGIN}/`),
      `the page's CSP form-action allows the IdP's origin: ${formAction}`);
    const toIdp = idpRequests(context);
    await clickLogOut(page);
    assert.ok(toIdp.some((u) => u.startsWith(`${IDP_ORIGIN}/saml2/idp/initSLO.php`)), 'the browser went to the logout URL');
    await assertLoggedOutPage(page, 'back from the IdP\'s logout');
    assert.equal(sessionCount(user.email), 0, 'the portal session is gone');
    // the IdP's own session ended too: the next sign-on asks for the password again
    await page.goto(BASE + '/tickets');
    assert.ok(onIdp(page), 'sent to the IdP');
    assert.equal(await page.locator('#password').count(), 1, 'the IdP asks for the password again');
  });
});

test('(2c) with the IdP\'s metadata imported in the console, Log out still ends on a logged-out page, not an error at the IdP', async () => {
  const { user } = await ssoUser('lmd', 'interop-logout-md');
  await importMetadata(browser(), await idpMetadata());
  const logoutUrl = psql('SELECT logout_url FROM portal_sso WHERE portal_id = 1');
  await signedOn(user, '/tickets', async ({ page }) => {
    await clickLogOut(page);
    const where = `logout URL "${logoutUrl}", ended on ${page.url()}`;
    const text = await page.textContent('body');
    assert.doesNotMatch(text, /Unhandled exception|Unable to find the SAML 2 binding/i, `no error page at the IdP (${where})`);
    assert.match(text, /logged out/i, `a page saying the customer is logged out (${where})`);
    assert.equal(sessionCount(user.email), 0, 'the portal session is gone');
  });
});
