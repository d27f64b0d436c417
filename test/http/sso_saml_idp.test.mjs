// sso_saml_idp.test.mjs - SAML as real identity providers send it, through the portal's ACS: key rollover, email by FriendlyName or fallback attribute, signed Response without Destination.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { BASE, psql } from '../lib/stack.mjs';
import { registrationOpen, ssoOn } from '../lib/wait.mjs';
import { auditMark, auditSince, oneAudit } from '../lib/audit.mjs';
import { Client } from '../lib/client.mjs';
import { makeIdp, responseXml, sign, postResponse, startLogin, IDP_ENTITY_ID, IDP_SSO_URL } from '../lib/saml_idp.mjs';

const idp = makeIdp();
const u = Date.now().toString(36) + randomBytes(2).toString('hex');
const DOMAIN = `saml-idp-${u}.example.test`; // every identity a test makes up; deleted afterwards
const fresh = (who) => `${who}@${DOMAIN}`;
const sq = (s) => `'${String(s).replace(/'/g, "''")}'`;
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const unescapeXml = (s) => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
let spEntityId = '', acsUrl = '';

/* The portal's SAML settings: the rollover bundle as SimpleSAMLphp publishes it (new first). */
async function configure({ certs = idp.newCertPem + idp.certPem, emailAttribute = '' } = {}) {
  psql(`INSERT INTO portal_sso (portal_id, saml_idp_entity_id, saml_idp_sso_url, saml_idp_cert, saml_email_attribute)
        VALUES (1, ${sq(IDP_ENTITY_ID)}, ${sq(IDP_SSO_URL)}, ${sq(certs)}, ${sq(emailAttribute)})
        ON CONFLICT (portal_id) DO UPDATE SET saml_idp_entity_id = EXCLUDED.saml_idp_entity_id,
          saml_idp_sso_url = EXCLUDED.saml_idp_sso_url, saml_idp_cert = EXCLUDED.saml_idp_cert,
          saml_email_attribute = EXCLUDED.saml_email_attribute, saml_allow_sha1 = false;
        UPDATE portals SET access_mode = 'sso', sso_method = 'saml', sso_audience = 'all' WHERE id = 1`);
  await ssoOn();
}

before(async () => {
  await configure();
  const md = await new Client().get('/sso/saml/metadata');
  assert.equal(md.status, 200, 'metadata is served');
  spEntityId = unescapeXml(/\bentityID="([^"]+)"/.exec(md.html)?.[1] || '');
  acsUrl = unescapeXml(/<(?:[\w-]+:)?AssertionConsumerService\b[^>]*?\sLocation="([^"]+)"/.exec(md.html)?.[1] || '');
  assert.match(acsUrl, /\/sso\/saml\/acs$/);
});

after(async () => {
  const steps = [
    "UPDATE portals SET access_mode = 'registration', sso_method = NULL, sso_audience = 'all' WHERE id = 1",
    'DELETE FROM portal_sso',
    `DELETE FROM contacts WHERE lower(email) LIKE ${sq('%@' + DOMAIN)}`,
    'DELETE FROM sso_seen',
    'DELETE FROM sso_requests',
  ];
  try {
    for (const s of steps) {
      try { psql(s); } catch (e) { console.error(`restore step failed: ${s}: ${e.message}`); }
    }
    await registrationOpen();
  } finally {
    idp.cleanup();
  }
});

/* The fields of a Response a correctly configured SP accepts, answering this login. */
const good = (login, o = {}) => ({
  destination: acsUrl, recipient: acsUrl, audience: spEntityId, inResponseTo: login.requestId, ...o,
});

async function begin() {
  const c = new Client();
  return { c, login: await startLogin(c, '/tickets') };
}

const lastAuditId = auditMark;
/* The reasons of the sso_refused rows after id ('' when none). */
const refusalSince = (id) => auditSince(id, { action: 'sso_refused' }).map((a) => a.detail.reason).join(' | ');
/* The reason of the one refusal after id: anonymous, method saml; fails unless exactly one. */
const oneRefusal = (id) => oneAudit(id, { action: 'sso_refused', actor_kind: 'anonymous', detail: { method: 'saml' } }).detail.reason;

/* Who the browser is signed in as, when the ACS started a session itself. */
function sessionEmail(c) {
  const token = c.jar.get('portal_session');
  if (!token) return '';
  const hash = createHash('sha256').update(token).digest('hex');
  return psql(`SELECT lower(ct.email) FROM sessions s JOIN members m ON m.id = s.member_id
                 JOIN contacts ct ON ct.id = m.contact_id WHERE s.token_sha256 = '${hash}'`);
}

/*
 * Accepted: 303, no new sso_refused row, and the identity is `email`. The ACS either signs the
 * browser in and sends it to the ticket list, or (the finish step) hands the verified identity
 * over by /sso/saml/finish?h=<handle>: then the hand-off row carries the email.
 */
async function expectAccepted(c, login, xml, email) {
  const since = lastAuditId();
  const r = await postResponse(c, xml, login.relayState);
  const refused = refusalSince(since);
  assert.equal(r.status, 303, `accepted expected, got ${r.status} (refusal reason: ${refused || 'none'})`);
  assert.equal(refused, '', 'no sso_refused row');
  const to = new URL(r.headers.get('location'), BASE);
  if (to.pathname === '/sso/saml/finish') {
    assert.match(to.searchParams.get('h') || '', /^[A-Za-z0-9_-]{16,}$/, 'a hand-off handle');
    assert.equal(psql(`SELECT count(*) FROM sso_handoffs WHERE method = 'saml' AND lower(email) = lower(${sq(email)})`), '1',
      'the hand-off holds the asserted email');
  } else {
    assert.equal(to.pathname, '/tickets', `lands on the ticket list, not ${to.pathname}`);
    assert.equal(sessionEmail(c), email.toLowerCase(), 'the session belongs to the asserted email');
  }
}

/* Refused: 403 with no session, and an sso_refused audit row whose reason matches. */
async function expectRefused(c, login, xml, reasonRe) {
  const since = lastAuditId();
  const r = await postResponse(c, xml, login.relayState);
  assert.equal(r.status, 403, `refusal expected, got ${r.status} ${r.headers.get('location') || ''}`);
  assert.equal(c.jar.has('portal_session'), false, 'no session in the browser');
  const reason = oneRefusal(since);
  assert.match(reason, reasonRe, `the audit reason "${reason}" names the fault`);
  return reason;
}

test('during a key rollover (bundle: new certificate first, then the old) the old key still signs in', async () => {
  const { c, login } = await begin();
  const email = fresh('rollover-old');
  await expectAccepted(c, login, sign(responseXml(good(login, { nameId: email }))), email);
});

test('the new key of the bundle signs in too, the Response signed as well as the assertion', async () => {
  const { c, login } = await begin();
  const email = fresh('rollover-new');
  await expectAccepted(c, login, sign(sign(responseXml(good(login, { nameId: email })), { key: 'new' }), { target: 'response', key: 'new' }), email);
});

test('a key that is in no certificate of the bundle is refused, with the reason audited', async () => {
  const { c, login } = await begin();
  const email = fresh('rollover-unknown');
  const reason = await expectRefused(c, login, sign(responseXml(good(login, { nameId: email })), { key: 'other' }),
    /^signature does not verify with any configured certificate$/);
  assert.ok(reason);
  assert.equal(psql(`SELECT count(*) FROM contacts WHERE lower(email) = lower(${sq(email)})`), '0', 'no contact made');
});

test('the old key alone is refused once the admin keeps only the new certificate', async () => {
  try {
    await configure({ certs: idp.newCertPem });
    const { c, login } = await begin();
    await expectRefused(c, login, sign(responseXml(good(login, { nameId: fresh('after-rollover') }))),
      /does not verify with any configured certificate/);
  } finally {
    await configure();
  }
});

test('pysaml2: the email attribute named by its FriendlyName', async () => {
  const attr = (email) => ({ attributeList: [{ name: 'urn:mace:dir:attribute-def:email', friendlyName: 'email', value: email }],
    nameId: randomBytes(16).toString('hex'), nameIdFormat: PERSISTENT });
  try {
    await configure({ emailAttribute: 'email' });
    const { c, login } = await begin();
    const email = fresh('py-configured');
    await expectAccepted(c, login, sign(responseXml(good(login, attr(email)))), email);
  } finally {
    await configure();
  }
  // and with no attribute configured, found among the default names by its FriendlyName
  const { c, login } = await begin();
  const email = fresh('py-default');
  await expectAccepted(c, login, sign(responseXml(good(login, attr(email)))), email);
});

test('SimpleSAMLphp: a persistent NameID, the email in the mail attribute', async () => {
  const { c, login } = await begin();
  const email = fresh('ssp-mail');
  const xml = sign(responseXml(good(login, {
    nameId: '_' + randomBytes(20).toString('hex'), nameIdFormat: PERSISTENT,
    attributes: { 'urn:oid:0.9.2342.19200300.100.1.1': 'ssp', mail: email },
  })));
  await expectAccepted(c, login, xml, email);
});

test('no email in the NameID or any attribute is refused with a reason that says so', async () => {
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, {
    nameId: '_' + randomBytes(20).toString('hex'), nameIdFormat: PERSISTENT, attributes: { uid: 'nobody' },
  })));
  await expectRefused(c, login, xml, /^no email: the NameID is not an email address/);
});

test('a signed Response without Destination is refused (SAML bindings 3.5.5.2)', async () => {
  const { c, login } = await begin();
  const email = fresh('no-destination');
  const xml = sign(sign(responseXml(good(login, { nameId: email, destination: null }))), { target: 'response' });
  assert.doesNotMatch(xml.slice(0, xml.indexOf('>')), /Destination=/);
  await expectRefused(c, login, xml, /^signed Response without Destination$/);
  // the same Response with its Destination is accepted (a new login: request IDs are used once)
  const again = await begin();
  await expectAccepted(again.c, again.login,
    sign(sign(responseXml(good(again.login, { nameId: email }))), { target: 'response' }), email);
});
