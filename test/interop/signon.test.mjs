// signon.test.mjs - Chromium against SimpleSAMLphp: sign-on from the ticket list through the IdP's
// own login form and back; the email as an attribute beside an opaque NameID.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BASE, psql } from '../lib/stack.mjs';
import { launch } from '../lib/browser.mjs';
import {
  IDP_DIR, PORTAL_ORIGIN, addUser, configurePortal, restorePortal, signOn, uniq,
  nameIdFromEmail, nameIdOpaque, NAMEID_PERSISTENT, NAMEID_TRANSIENT, sessionCount,
} from './idp.mjs';

let browser;
before(async () => { ({ browser } = await launch()); });
after(async () => {
  nameIdFromEmail();
  await restorePortal();
  await browser?.close();
});

test('(1) SAML sign-on from /tickets through SimpleSAMLphp\'s login form and back: the ticket list shows the email', async () => {
  const t = uniq();
  const user = addUser(`ada-${t}`, `interop-ada-${t}@example.net`);
  nameIdFromEmail();
  await configurePortal();
  const { context, page, responses } = await signOn(browser, user, '/tickets?filter=closed');
  try {
    assert.equal(responses.length, 1, 'the IdP posted one Response to the ACS');
    const sp = readFileSync(path.join(IDP_DIR, 'sp-metadata.xml'), 'utf8');
    assert.match(responses[0], /<ds:Signature/, 'the IdP signed the Response or its Assertion (SimpleSAMLphp signs the '
      + `Assertion only when the SP metadata does not say WantAssertionsSigned="false"; it says: ${/WantAssertionsSigned="[^"]*"/.exec(sp)})`);
    assert.match(responses[0], /SignatureMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#rsa-sha256"/, 'RSA-SHA256');
    const at = new URL(page.url());
    assert.equal(at.origin, PORTAL_ORIGIN);
    assert.equal(at.pathname + at.search, '/tickets?filter=closed', 'back on the page the visitor asked for');
    assert.match(await page.textContent('header'), new RegExp(user.email.replace(/[.]/g, '\\.')),
      'the header shows the signed-in email');
    assert.equal(await page.locator('form[action="/logout"] button').count(), 1, 'a Log out button');
    const session = (await context.cookies()).find((c) => c.name === 'portal_session');
    assert.ok(session && session.httpOnly, 'an HttpOnly session cookie');
    assert.equal(sessionCount(user.email), 1, 'one session for the member');
    assert.equal(psql(`SELECT count(*) FROM members m JOIN contacts c ON c.id = m.contact_id
                       WHERE c.email = '${user.email}' AND m.portal_id = 1 AND m.verified_at IS NOT NULL`), '1',
    'a verified member was made for the new contact');
    // a second visit to the portal in the same browser needs no new sign-on
    await page.goto(BASE + '/tickets');
    assert.equal(new URL(page.url()).origin, PORTAL_ORIGIN);
  } finally {
    await context.close();
  }
});

for (const [label, format, emailAttribute] of [
  ['a persistent NameID, portal on its default email attributes', NAMEID_PERSISTENT, ''],
  ['a transient NameID, portal told the attribute is "email"', NAMEID_TRANSIENT, 'email'],
]) {
  test(`(6) the email as the IdP's "email" attribute with ${label}`, async () => {
    const t = uniq();
    const user = addUser(`grace-${t}`, `interop-grace-${t}@example.net`, { displayName: [`Grace ${t}`] });
    nameIdOpaque(format);
    await configurePortal({ emailAttribute });
    let ctx;
    try {
      const { context, page, responses } = await signOn(browser, user);
      ctx = context;
      const nameId = /<saml:NameID[^>]*Format="([^"]+)"[^>]*>([^<]*)</.exec(responses[0] || '');
      assert.ok(nameId, 'the Response has a NameID');
      assert.equal(nameId[1], format, 'the IdP sent the NameID format asked for');
      assert.ok(!nameId[2].includes('@'), `the NameID is not the email (${nameId[2]})`);
      assert.match(responses[0], /<saml:Attribute Name="email"[^>]*>\s*<saml:AttributeValue[^>]*>interop-grace-/,
        'the email travels as the attribute "email"');
      assert.equal(new URL(page.url()).pathname, '/tickets', 'signed in and on the ticket list');
      assert.match(await page.textContent('header'), new RegExp(`Grace ${t}`), 'the header shows the name sent by the IdP');
      assert.equal(psql(`SELECT count(*) FROM contacts WHERE email = '${user.email}'`), '1',
        'the contact is the email attribute, not the NameID');
      assert.equal(sessionCount(user.email), 1);
    } finally {
      await ctx?.close();
      nameIdFromEmail();
    }
  });
}
