// signon.test.mjs - Chromium against SimpleSAMLphp: sign-on from the ticket list through the IdP's
// own login form and back; the email as an attribute beside an opaque NameID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BASE, psql } from '../lib/stack.mjs';
import {
  IDP_DIR, PORTAL_ORIGIN, addUser, configurePortal, uniq, nameIdFromEmail, nameIdOpaque, NAMEID_PERSISTENT,
  NAMEID_TRANSIENT, sessionCount,
} from './idp.mjs';
import { useBrowser, ssoUser, signedOn } from './common.mjs';

useBrowser(nameIdFromEmail);

test('(1) SAML sign-on from /tickets through SimpleSAMLphp\'s login form and back: the ticket list shows the email', async () => {
  const { user } = await ssoUser('ada', 'interop-ada');
  await signedOn(user, '/tickets?filter=closed', async ({ context, page, responses }) => {
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
  });
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
    try {
      await signedOn(user, '/tickets', async ({ page, responses }) => {
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
      });
    } finally {
      nameIdFromEmail();
    }
  });
}
