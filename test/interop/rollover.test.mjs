// rollover.test.mjs - Chromium against SimpleSAMLphp: the IdP's standard signing-certificate
// rollover. SimpleSAMLphp publishes new_certificate FIRST in its metadata while it still signs with
// the old key; the admin imports that metadata in the console; sign-in goes on working, and goes on
// working once the IdP signs with the new key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { psql } from '../lib/stack.mjs';
import {
  PORTAL_ORIGIN, addUser, configurePortal, readState, updateState, newKeyPair, certPem, certB64, idpMetadata,
  signingCerts, signerCert, nameIdFromEmail, uniq, IDP_ENTITY_ID, IDP_SSO_URL, importMetadata,
} from './idp.mjs';
import { useBrowser, browser, ssoUser, signedOn } from './common.mjs';

const original = readState().idp;
useBrowser(() => updateState((s) => { s.idp = original; }));

/* One sign-on in a new browser: it must work, and the Response must be signed by `signer`. */
async function signsIn(user, signer, what) {
  await signedOn(user, '/tickets', async ({ page, responses }) => {
    const at = new URL(page.url());
    assert.equal(at.origin + at.pathname, `${PORTAL_ORIGIN}/tickets`, `${what}: signed in and on the ticket list`);
    assert.match(await page.textContent('header'), new RegExp(user.email.replace(/[.]/g, '\\.')), `${what}: signed in`);
    assert.equal(responses.length, 1, `${what}: one Response posted to the ACS`);
    assert.equal(signerCert(responses[0]), certB64(signer), `${what}: the IdP signed with the expected key`);
    assert.match(responses[0], /SignatureMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#rsa-sha256"/,
      `${what}: RSA-SHA256`);
  });
}

test('(4) certificate rollover: new cert listed first while the old one signs, metadata imported in the console, then the new key signs', async () => {
  const oldPem = certPem(original.certificate);
  const { t, user } = await ssoUser('roll', 'interop-rollover', { cert: oldPem });
  await signsIn(user, oldPem, 'before the rollover');

  // SimpleSAMLphp's rollover: new_privatekey/new_certificate beside the key that still signs
  const fresh = newKeyPair(`idp-2-${t}`);
  updateState((s) => { s.idp.new_privatekey = fresh.key; s.idp.new_certificate = fresh.crt; });
  const md = await idpMetadata();
  assert.deepEqual(signingCerts(md), [certB64(fresh.pem), certB64(oldPem)],
    'the IdP\'s metadata lists the new signing certificate first, then the old one');

  await importMetadata(browser(), md);
  const stored = psql('SELECT saml_idp_cert FROM portal_sso WHERE portal_id = 1');
  const storedCerts = (stored.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) || []).map(certB64);
  assert.ok(storedCerts.includes(certB64(fresh.pem)), 'the portal keeps the new certificate');
  assert.ok(storedCerts.includes(certB64(oldPem)), 'the portal keeps the old certificate that still signs');
  assert.equal(psql('SELECT saml_idp_entity_id FROM portal_sso WHERE portal_id = 1'), IDP_ENTITY_ID);
  assert.equal(psql('SELECT saml_idp_sso_url FROM portal_sso WHERE portal_id = 1'), IDP_SSO_URL);
  await signsIn(user, oldPem, 'during the rollover (old key signs)');

  // the IdP switches to the new key; the old certificate leaves its metadata
  updateState((s) => { s.idp = { ...original, privatekey: fresh.key, certificate: fresh.crt }; });
  assert.deepEqual(signingCerts(await idpMetadata()), [certB64(fresh.pem)], 'the IdP now lists only the new certificate');
  await signsIn(user, fresh.pem, 'after the switch (new key signs)');
});

test('(4b) certificate rollover with both certificates stored directly (new first, as in the metadata): the old key signs, then the new one', async () => {
  const t = uniq();
  const user = addUser(`roll2-${t}`, `interop-rollover2-${t}@example.net`);
  nameIdFromEmail();
  updateState((s) => { s.idp = original; });
  const oldPem = certPem(original.certificate);
  const fresh = newKeyPair(`idp-3-${t}`);
  updateState((s) => { s.idp.new_privatekey = fresh.key; s.idp.new_certificate = fresh.crt; });
  await configurePortal({ cert: `${fresh.pem.trim()}\n${oldPem.trim()}\n` });
  await signsIn(user, oldPem, 'during the rollover (old key signs)');
  updateState((s) => { s.idp = { ...original, privatekey: fresh.key, certificate: fresh.crt }; });
  await signsIn(user, fresh.pem, 'after the switch (new key signs)');
});
