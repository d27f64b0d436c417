// sso.test.mjs - Chromium: a customer signs in through single sign-on end to end. The identity
// provider (SAML) and the customer's app (JWT) are small HTTP servers of this test on loopback:
// the IdP reads the AuthnRequest, signs a Response with the xmlsec1 command and returns the
// HTTP-POST form; the app signs a JWT and sends the browser back to /sso/jwt. Everything on the
// portal's side is the real stack.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { BASE, psql } from '../lib/stack.mjs';
import { registrationOpen, ssoOn } from '../lib/wait.mjs';
import { auditMark, oneAudit } from '../lib/audit.mjs';
import { ownTickets } from '../lib/demo.mjs';
import { launch } from '../lib/browser.mjs';
import { makeIdp, responseXml, sign, authnRequestOf, IDP_ENTITY_ID } from '../lib/saml_idp.mjs';

/* The portal on localhost and the IdP and app on 127.0.0.1: two sites, so the SameSite=Lax
 * cookies behave as they do between a real portal and a real identity provider. */
const PORTAL = BASE.replace('//127.0.0.1', '//localhost');
const u = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
const idp = makeIdp();
const q = (s) => s.replace(/'/g, "''");

/* A loopback HTTP server answering every request with handler(url) -> {status, headers, body}. */
async function server(handler) {
  const srv = http.createServer((req, res) => {
    if (req.url.startsWith('/favicon')) return res.writeHead(404).end();
    const { status = 200, headers = {}, body = '' } = handler(new URL(req.url, 'http://127.0.0.1'));
    res.writeHead(status, headers);
    res.end(body);
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${srv.address().port}`, close: () => new Promise((r) => srv.close(r)) };
}

function restore() {
  psql(`UPDATE portals SET access_mode = 'registration', sso_method = NULL, sso_audience = 'all' WHERE id = 1;
        DELETE FROM portal_sso WHERE portal_id = 1;
        DELETE FROM contacts WHERE email LIKE 'sso-browser-%@example.net'`);
}
after(async () => {
  restore();
  idp.cleanup();
  await registrationOpen();
});

test('Chromium: SAML sign-on from the ticket list through the IdP and back, with a contact created', async () => {
  const email = `sso-browser-saml-${u}@example.net`;
  let seen = null;
  const idpServer = await server((url) => {
    const { xml, relayState } = authnRequestOf(url.href);
    const id = /\sID="([^"]+)"/.exec(xml)[1];
    const acs = /AssertionConsumerServiceURL="([^"]+)"/.exec(xml)[1];
    const audience = /<(?:saml:)?Issuer[^>]*>([^<]+)</.exec(xml)[1];
    seen = { id, acs, audience, relayState };
    const signed = sign(responseXml({
      inResponseTo: id, destination: acs, recipient: acs, audience, nameId: email,
      attributes: { displayName: 'Sam Single' },
    }));
    const attr = (v) => String(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    return {
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: `<!doctype html><title>IdP</title><form method="post" action="${attr(acs)}">` +
        `<input type="hidden" name="SAMLResponse" value="${Buffer.from(signed).toString('base64')}">` +
        `<input type="hidden" name="RelayState" value="${attr(relayState || '')}">` +
        `<button id="continue" type="submit">Continue</button></form>`,
    };
  });
  psql(`INSERT INTO portal_sso (portal_id, saml_idp_entity_id, saml_idp_sso_url, saml_idp_cert)
        VALUES (1, '${IDP_ENTITY_ID}', '${idpServer.url}/sso', '${q(idp.certPem)}');
        UPDATE portals SET access_mode = 'sso', sso_method = 'saml', sso_audience = 'all' WHERE id = 1`);
  await ssoOn();
  const { browser, close } = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(PORTAL + '/tickets?filter=closed');
    assert.equal(new URL(page.url()).origin, idpServer.url, 'the visitor is sent to the identity provider');
    assert.equal(seen.relayState, '/tickets?filter=closed');
    await Promise.all([page.waitForNavigation(), page.click('#continue')]);
    const at = new URL(page.url());
    assert.equal(at.pathname + at.search, '/tickets?filter=closed', 'back where the visitor was going');
    assert.match(await page.textContent('body'), /Sam Single|sso-browser-saml/);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'portal_session');
    assert.ok(session && session.httpOnly, 'an HttpOnly session cookie');
    assert.equal(psql(`SELECT first_name || ' ' || last_name FROM contacts WHERE email = '${email}'`), 'Sam Single');
    assert.equal(psql(`SELECT count(*) FROM members m JOIN contacts c ON c.id = m.contact_id
                       WHERE c.email = '${email}' AND m.portal_id = 1 AND m.verified_at IS NOT NULL`), '1');
  } finally {
    await close();
    await idpServer.close();
    restore();
    await registrationOpen();
  }
});

test('Chromium: JWT sign-on through the customer\'s app and back to the page asked for', async () => {
  const email = `sso-browser-jwt-${u}@example.net`;
  const secret = 'browser-test-secret-' + u;
  psql(`INSERT INTO portal_sso (portal_id, jwt_login_url, jwt_alg, jwt_secret)
        VALUES (1, 'https://app.example.test/login', 'HS256', '${secret}');
        UPDATE portals SET access_mode = 'sso', sso_method = 'jwt', sso_audience = 'all' WHERE id = 1`);
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const app = await server((url) => {
    const back = url.searchParams.get('redirect_url');
    const now = Math.floor(Date.now() / 1000);
    const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ email, name: 'Jo Token', iat: now, exp: now + 120, jti: 'b-' + u })}`;
    const jwt = `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
    const to = new URL('/sso/jwt', back);
    to.searchParams.set('jwt', jwt);
    to.searchParams.set('redirect_url', back);
    return { status: 302, headers: { location: to.href } };
  });
  psql(`UPDATE portal_sso SET jwt_login_url = '${app.url}/login' WHERE portal_id = 1`);
  await ssoOn(new RegExp(`^${app.url}/login\\?`)); // JWT sign-on on, with this app's login URL
  const { browser, close } = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(PORTAL + '/tickets/new');
    const at = new URL(page.url());
    assert.equal(at.pathname, '/tickets/new', 'signed in and back on the page asked for');
    assert.match(await page.textContent('body'), /Jo Token|sso-browser-jwt/);
    assert.equal(psql(`SELECT first_name FROM contacts WHERE email = '${email}'`), 'Jo');
  } finally {
    await close();
    await app.close();
    restore();
    await registrationOpen();
  }
});

/* The test IdP's answer page for a request URL: the signed Response for email in an HTTP-POST form. */
function idpAnswer(url, email) {
  const { xml } = authnRequestOf(url.href);
  const id = /\sID="([^"]+)"/.exec(xml)[1];
  const acs = /AssertionConsumerServiceURL="([^"]+)"/.exec(xml)[1];
  const audience = /<(?:saml:)?Issuer[^>]*>([^<]+)</.exec(xml)[1];
  const signed = sign(responseXml({ inResponseTo: id, destination: acs, recipient: acs, audience, nameId: email }));
  const attr = (v) => String(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return {
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: `<!doctype html><title>IdP</title><form method="post" action="${attr(acs)}">` +
      `<input type="hidden" name="SAMLResponse" value="${Buffer.from(signed).toString('base64')}">` +
      `<button id="continue" type="submit">Continue</button></form>`,
  };
}

async function withSaml(idpServer, fn) {
  psql(`INSERT INTO portal_sso (portal_id, saml_idp_entity_id, saml_idp_sso_url, saml_idp_cert)
        VALUES (1, '${IDP_ENTITY_ID}', '${idpServer.url}/sso', '${q(idp.certPem)}');
        UPDATE portals SET access_mode = 'sso', sso_method = 'saml', sso_audience = 'all' WHERE id = 1`);
  await ssoOn();
  const { browser, close } = await launch();
  try {
    await fn(browser);
  } finally {
    await close();
    await idpServer.close();
    restore();
    await registrationOpen();
  }
}

test('Chromium: a SAML Response posted from another browser does not sign that browser in', async () => {
  const email = `sso-browser-csrf-${u}@example.net`;
  const idpServer = await server((url) => idpAnswer(url, email));
  await withSaml(idpServer, async (browser) => {
    // the attacker's browser starts a sign-on and stops at the IdP's form, holding a valid Response
    const attacker = await (await browser.newContext()).newPage();
    await attacker.goto(PORTAL + '/tickets');
    assert.equal(new URL(attacker.url()).origin, idpServer.url);
    const form = await attacker.content();
    // the victim's browser is made to submit that very form (from the attacker's own site)
    const victim = await (await browser.newContext()).newPage();
    await victim.goto(PORTAL + '/logout');
    const evil = await server(() => ({ headers: { 'content-type': 'text/html' }, body: form }));
    try {
      await victim.goto(evil.url + '/');
      const mark = auditMark();
      await Promise.all([victim.waitForNavigation(), victim.click('#continue')]);
      assert.match(await victim.textContent('body'), /could not sign you in/i);
      const cookies = await victim.context().cookies();
      assert.equal(cookies.some((c) => c.name === 'portal_session'), false, 'no session in the victim browser');
      const refusal = oneAudit(mark, { action: 'sso_refused', actor_kind: 'anonymous', detail: { method: 'saml' } });
      assert.match(refusal.detail.reason, /did not start the sign-on/);
    } finally {
      await evil.close();
    }
  });
});

test('Chromium: with SAML on, Log out ends on the logged-out page and a reload stays logged out', async () => {
  const email = `sso-browser-out-${u}@example.net`;
  const idpServer = await server((url) => idpAnswer(url, email));
  await withSaml(idpServer, async (browser) => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(PORTAL + '/tickets');
    await Promise.all([page.waitForNavigation(), page.click('#continue')]);
    assert.equal(new URL(page.url()).pathname, '/tickets');
    await Promise.all([page.waitForNavigation(), page.click('form[action="/logout"] button')]);
    assert.equal(new URL(page.url()).origin, PORTAL, 'still on the portal, not sent into the IdP');
    assert.doesNotMatch(await page.textContent('body'), new RegExp(email));
    await page.reload();
    assert.equal(new URL(page.url()).origin, PORTAL, 'a reload does not sign back in');
    const cookies = await page.context().cookies();
    assert.equal(cookies.some((c) => c.name === 'portal_session'), false);
  });
});

test('Chromium: a reply typed after the session expired is kept and offered back after signing in again', async () => {
  const email = 'ada@example.com';
  const idpServer = await server((url) => idpAnswer(url, email));
  await withSaml(idpServer, async (browser) => {
    const page = await (await browser.newContext()).newPage();
    const ticket = psql(`SELECT min(t.id) FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id
      WHERE t.id IN ${ownTickets(1)} AND NOT s.is_closed AND ticket_latest_thread(t.id) IS NOT NULL`);
    assert.ok(Number(ticket) > 0, 'an open ticket of Ada');
    await page.goto(`${PORTAL}/tickets/${ticket}`);
    await Promise.all([page.waitForNavigation(), page.click('#continue')]);
    assert.equal(new URL(page.url()).pathname, `/tickets/${ticket}`);
    const text = `Kept across a sign-in ${u}`;
    await page.fill('#body', text);
    psql(`DELETE FROM sessions WHERE member_id = (SELECT m.id FROM members m JOIN contacts c ON c.id = m.contact_id
            WHERE c.email = '${email}' AND m.portal_id = 1)`); // the session ends while the customer types
    await Promise.all([page.waitForNavigation(), page.click('form.reply button[type="submit"]')]);
    assert.equal(new URL(page.url()).origin, PORTAL, 'the reply does not vanish into a redirect to the IdP');
    const body = await page.textContent('body');
    assert.match(body, /signed out/i);
    assert.match(body, /kept your text/i);
    assert.equal(psql(`SELECT count(*) FROM messages WHERE body LIKE '%${text}%'`), '0', 'nothing was sent');
    await Promise.all([page.waitForNavigation(), page.click('a:has-text("Sign in again")')]);
    await Promise.all([page.waitForNavigation(), page.click('#continue')]);
    assert.equal(new URL(page.url()).pathname, `/tickets/${ticket}`);
    assert.equal(await page.inputValue('#body'), text, 'the text is back in the reply box');
    assert.match(await page.textContent('body'), /We kept the text you wrote/);
  });
});

test('Chromium: a JWT the app sends on its own asks "Continue as" before signing in', async () => {
  const email = `sso-browser-jwt2-${u}@example.net`;
  const secret = 'browser-test-secret2-' + u;
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const app = await server(() => {
    const now = Math.floor(Date.now() / 1000);
    const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ email, iat: now, exp: now + 120, jti: 'c-' + u })}`;
    const jwt = `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
    return { status: 302, headers: { location: `${PORTAL}/sso/jwt?jwt=${jwt}&redirect_url=${encodeURIComponent('/tickets')}` } };
  });
  psql(`INSERT INTO portal_sso (portal_id, jwt_login_url, jwt_alg, jwt_secret)
        VALUES (1, '${app.url}/login', 'HS256', '${secret}');
        UPDATE portals SET access_mode = 'sso', sso_method = 'jwt', sso_audience = 'all' WHERE id = 1`);
  await ssoOn(new RegExp(`^${app.url}/login\\?`));
  const { browser, close } = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(app.url + '/go'); // the app's own "open the help desk" link
    assert.equal(new URL(page.url()).pathname, '/sso/jwt');
    assert.match(await page.textContent('body'), new RegExp(`Continue as ${email.replace(/[.]/g, '\\.')}`));
    assert.equal((await page.context().cookies()).some((c) => c.name === 'portal_session'), false);
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Continue as")')]);
    assert.equal(new URL(page.url()).pathname, '/tickets');
    assert.ok((await page.context().cookies()).some((c) => c.name === 'portal_session'));
  } finally {
    await close();
    await app.close();
    restore();
    await registrationOpen();
  }
});
