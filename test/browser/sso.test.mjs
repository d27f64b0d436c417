// sso.test.mjs - Chromium: a customer signs in through single sign-on end to end. The identity
// provider (SAML) and the customer's app (JWT) are small HTTP servers of this test on loopback:
// the IdP reads the AuthnRequest, signs a Response with the xmlsec1 command and returns the
// HTTP-POST form; the app signs a JWT and sends the browser back to /sso/jwt. Everything on the
// portal's side is the real stack.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { BASE, psql, sleep } from '../lib/stack.mjs';
import { launch } from '../lib/browser.mjs';
import { makeIdp, responseXml, sign, authnRequestOf, IDP_ENTITY_ID } from '../lib/saml_idp.mjs';

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
  await sleep(300);
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
  await sleep(300);
  const { browser, close } = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(BASE + '/tickets?filter=closed');
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
    await sleep(300);
  }
});

test('Chromium: JWT sign-on through the customer\'s app and back to the page asked for', async () => {
  const email = `sso-browser-jwt-${u}@example.net`;
  const secret = 'browser-test-secret-' + u;
  psql(`INSERT INTO portal_sso (portal_id, jwt_login_url, jwt_alg, jwt_secret)
        VALUES (1, 'https://app.example.test/login', 'HS256', '${secret}');
        UPDATE portals SET access_mode = 'sso', sso_method = 'jwt', sso_audience = 'all' WHERE id = 1`);
  await sleep(300);
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
  await sleep(300);
  const { browser, close } = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(BASE + '/tickets/new');
    const at = new URL(page.url());
    assert.equal(at.pathname, '/tickets/new', 'signed in and back on the page asked for');
    assert.match(await page.textContent('body'), /Jo Token|sso-browser-jwt/);
    assert.equal(psql(`SELECT first_name FROM contacts WHERE email = '${email}'`), 'Jo');
  } finally {
    await close();
    await app.close();
    restore();
    await sleep(300);
  }
});
