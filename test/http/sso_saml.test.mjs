// sso_saml.test.mjs - SAML 2.0 single sign-on against a test IdP signing with xmlsec1: logins, and every refusal with its reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { BASE, psql, logText } from '../lib/stack.mjs';
import { psqlEverywhere, registrationOpen, ssoOn } from '../lib/wait.mjs';
import { auditMark, auditSince, oneAudit } from '../lib/audit.mjs';
import { Client } from '../lib/client.mjs';
import {
  makeIdp, responseXml, sign, xmlsecVerifies, wrappingVariants, postResponse, startLogin, findElement, newId, isoAt,
  IDP_ENTITY_ID, IDP_SSO_URL,
} from '../lib/saml_idp.mjs';

const idp = makeIdp();
const u = Date.now().toString(36) + randomBytes(2).toString('hex');
const DOMAIN = `saml-${u}.example.test`; // every identity a test makes up; deleted afterwards
const fresh = (who) => `${who}@${DOMAIN}`;
const VICTIM = 'victim@example.com', ATTACKER = 'attacker@example.com';
const extraEmails = [VICTIM, ATTACKER, 'ada@example.com.evil.test'];
const reEsc = (s) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
const sq = (s) => `'${String(s).replace(/'/g, "''")}'`;
let spEntityId = '', acsUrl = '';

const unescapeXml = (s) => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

before(async () => {
  psql(`INSERT INTO portal_sso (portal_id, saml_idp_entity_id, saml_idp_sso_url, saml_idp_cert)
        VALUES (1, ${sq(IDP_ENTITY_ID)}, ${sq(IDP_SSO_URL)}, ${sq(idp.certPem)})
        ON CONFLICT (portal_id) DO UPDATE SET saml_idp_entity_id = EXCLUDED.saml_idp_entity_id,
          saml_idp_sso_url = EXCLUDED.saml_idp_sso_url, saml_idp_cert = EXCLUDED.saml_idp_cert,
          saml_email_attribute = '', saml_allow_sha1 = false;
        UPDATE portals SET access_mode = 'sso', sso_method = 'saml', sso_audience = 'all' WHERE id = 1`);
  await ssoOn();
  const md = await new Client().get('/sso/saml/metadata');
  assert.equal(md.status, 200, 'metadata is served');
  spEntityId = unescapeXml(/\bentityID="([^"]+)"/.exec(md.html)?.[1] || '');
  acsUrl = unescapeXml(/<(?:[\w-]+:)?AssertionConsumerService\b[^>]*?\sLocation="([^"]+)"/.exec(md.html)?.[1] || '');
});

after(async () => {
  const steps = [
    "UPDATE portals SET access_mode = 'registration', sso_method = NULL, sso_audience = 'all' WHERE id = 1",
    'DELETE FROM portal_sso',
    `DELETE FROM contacts WHERE lower(email) LIKE ${sq('%@' + DOMAIN)} OR lower(email) IN (${extraEmails.map(sq).join(', ')})`,
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

async function begin(next = '/tickets') {
  const c = new Client();
  const login = await startLogin(c, next);
  return { c, login };
}

/* Another browser holding the first one's cookies except its session (a replayer at best). */
function cloneWithoutSession(c) {
  const d = new Client();
  for (const [k, v] of c.jar) if (k !== 'portal_session') d.jar.set(k, v);
  return d;
}

const lastAuditId = auditMark;
const refusals = (id) => auditSince(id, { action: 'sso_refused' });
/* The reasons of the sso_refused rows after id, for messages ('' when none). */
const refusalSince = (id) => refusals(id).map((a) => a.detail.reason).join(' | ');
/* The reason of the one refusal after id: anonymous, method saml; fails unless exactly one. */
const oneRefusal = (id) => oneAudit(id, { action: 'sso_refused', actor_kind: 'anonymous', detail: { method: 'saml' } }).detail.reason;

const sessionSet = (res) => res.headers.getSetCookie().some((s) => /^portal_session=[^;\s]/.test(s) && !/max-age=0/i.test(s));

function sessionEmail(c) {
  const token = c.jar.get('portal_session');
  if (!token) return '';
  const hash = createHash('sha256').update(token).digest('hex');
  return psql(`SELECT lower(ct.email) FROM sessions s JOIN members m ON m.id = s.member_id
                 JOIN contacts ct ON ct.id = m.contact_id WHERE s.token_sha256 = '${hash}'`);
}

/* An ACS answer that hands off to /sso/saml/finish: that step's answer (same browser). */
async function followFinish(c, r) {
  const loc = r.status === 303 ? new URL(r.headers.get('location'), BASE) : null;
  return loc && loc.pathname === '/sso/saml/finish' ? c.get(loc.pathname + loc.search) : r;
}

/* POST the response: the ACS verifies it and answers 303 to /sso/saml/finish?h=<handle> without
 * a session; the same browser's GET of that (carrying its pre-session cookie) makes the session
 * and lands on /tickets, which shows `shown`. */
async function expectLogin(c, login, xml, email, shown) {
  const since = lastAuditId();
  const r = await postResponse(c, xml, login.relayState);
  assert.equal(r.status, 303, `login expected, got ${r.status} (refusal reason: ${refusalSince(since) || 'none'})`);
  const finish = new URL(r.headers.get('location'), BASE);
  assert.equal(finish.pathname, '/sso/saml/finish');
  assert.match(finish.searchParams.get('h') || '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(sessionSet(r), false, 'no session at the ACS: the cross-site POST carries no cookie');
  const f = await c.get(finish.pathname + finish.search);
  assert.equal(f.status, 303, `finish expected to sign in, got ${f.status} (refusal reason: ${refusalSince(since) || 'none'})`);
  assert.equal(new URL(f.headers.get('location'), BASE).pathname, '/tickets');
  assert.ok(sessionSet(f), 'a portal_session cookie is set');
  assert.equal(sessionEmail(c), email.toLowerCase(), 'the session belongs to the asserted identity');
  const list = await c.get('/tickets');
  assert.equal(list.status, 200);
  assert.match(list.html, shown);
  r.finish = finish.pathname + finish.search;
  return r;
}

/* POST the response and expect a 403 with no session, an audit row and a log line whose reason matches. */
async function expectRefused(c, login, xml, reasonRe) {
  const since = lastAuditId();
  const r = await postResponse(c, xml, login?.relayState);
  assert.equal(r.status, 403, `refusal expected, got ${r.status} ${r.headers.get('location') || ''}`);
  assert.equal(sessionSet(r), false, 'no portal_session cookie');
  assert.equal(c.jar.has('portal_session'), false, 'no session in the browser');
  const reason = oneRefusal(since);
  assert.ok(reason, 'an sso_refused audit row with method saml and a reason');
  assert.match(reason, reasonRe, `the reason "${reason}" names the fault`);
  const log = logText().split('\n').filter((l) => /sso refused/i.test(l));
  assert.ok(log.some((l) => l.includes(reason)), `a log line "sso refused" with "${reason}"`);
  return { r, reason };
}

const contactCount = (email) => psql(`SELECT count(*) FROM contacts WHERE lower(email) = lower(${sq(email)})`);
const memberCount = (email) => psql(`SELECT count(*) FROM members m JOIN contacts ct ON ct.id = m.contact_id
                                       WHERE lower(ct.email) = lower(${sq(email)})`);
const sessionCount = (email) => psql(`SELECT count(*) FROM sessions s JOIN members m ON m.id = s.member_id
                                        JOIN contacts ct ON ct.id = m.contact_id WHERE lower(ct.email) = lower(${sq(email)})`);

test('the SP metadata names the entity ID and the ACS by HTTP-POST, and says what it requires', async () => {
  const r = await new Client().get('/sso/saml/metadata');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /xml/);
  assert.match(r.html, /EntityDescriptor/);
  assert.match(r.html, /SPSSODescriptor/);
  assert.match(spEntityId, /^https?:\/\/[^/]+/, 'the entity ID is absolute');
  assert.match(acsUrl, /^https?:\/\/[^/]+\/sso\/saml\/acs$/, 'the ACS URL is absolute, on the portal');
  assert.match(r.html, /urn:oasis:names:tc:SAML:2\.0:bindings:HTTP-POST/);
  // the assertion must be signed (a Response signed only at the top is refused), and it says so
  assert.match(r.html, /WantAssertionsSigned="true"/);
  assert.match(r.html, /urn:oasis:names:tc:SAML:1\.1:nameid-format:emailAddress/);
  assert.doesNotMatch(r.html, /BEGIN CERTIFICATE|PRIVATE KEY/);
});

test('/sso/saml/login redirects to the IdP with a deflated AuthnRequest that names the ACS', async () => {
  const c = new Client();
  const { location, requestId, relayState, requestXml } = await startLogin(c, '/tickets');
  assert.ok(location.startsWith(IDP_SSO_URL + '?'), location);
  assert.match(requestXml, /<(?:[\w-]+:)?AuthnRequest\b/);
  const acs = /AssertionConsumerServiceURL="([^"]+)"/.exec(requestXml);
  assert.ok(acs, 'AssertionConsumerServiceURL is present');
  assert.equal(unescapeXml(acs[1]), acsUrl);
  assert.ok(requestXml.includes(spEntityId.replace(/&/g, '&amp;')), 'the Issuer is the SP entity ID');
  assert.match(requestId, /^_[0-9a-f]{40}$/);
  assert.ok(relayState, 'a RelayState is sent');
  assert.equal(psql(`SELECT count(*) FROM sso_requests WHERE id = ${sq(requestId)} AND portal_id = 1
                       AND expires_at BETWEEN now() + interval '8 minutes' AND now() + interval '11 minutes'`), '1',
  'the request ID is stored for about ten minutes');
  const again = await startLogin(new Client(), '/tickets');
  assert.notEqual(again.requestId, requestId, 'each login gets a new request ID');
});

test('a valid signed assertion logs in and creates the unknown contact (audience all)', async () => {
  const email = fresh('new');
  assert.equal(contactCount(email), '0');
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, { nameId: email, attributes: { displayName: 'Samuel Assertion' } })));
  assert.ok(xmlsecVerifies(xml, idp.certFile), 'xmlsec1 itself verifies the harness\'s signature');
  await expectLogin(c, login, xml, email, new RegExp(`Samuel Assertion|${reEsc(email).source}`));
  assert.equal(contactCount(email), '1', 'a contact is created');
  assert.equal(psql(`SELECT count(*) FROM members m JOIN contacts ct ON ct.id = m.contact_id
                       WHERE m.portal_id = 1 AND lower(ct.email) = ${sq(email)}`), '1', 'and a member of portal 1');
  assert.equal(psql(`SELECT count(*) FROM sso_seen WHERE portal_id = 1 AND kind = 'saml' AND expires_at > now()`) > '0', true,
    'the assertion ID is kept for replay checks');
});

test('an existing contact logs in with a signed assertion and is not duplicated', async () => {
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, { nameId: 'grace@example.com' })));
  await expectLogin(c, login, xml, 'grace@example.com', /Grace Hopper|grace@example\.com/);
  assert.equal(contactCount('grace@example.com'), '1');
});

test('a signed response with one unsigned assertion is refused: the SP wants the assertion signed', async () => {
  const email = fresh('resp');
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, { nameId: email })), { target: 'response' });
  await expectRefused(c, login, xml, /^assertion not signed \(only the Response is\)$/);
  assert.equal(contactCount(email), '0');
});

test('a signed response around a signed assertion logs in', async () => {
  const email = fresh('both');
  const { c, login } = await begin();
  const xml = sign(sign(responseXml(good(login, { nameId: email }))), { target: 'response' });
  await expectLogin(c, login, xml, email, reEsc(email));
});

test('an unsigned assertion is refused', async () => {
  const { c, login } = await begin();
  await expectRefused(c, login, responseXml(good(login, { nameId: fresh('unsigned') })), /sign/i);
  assert.equal(contactCount(fresh('unsigned')), '0');
});

test('an assertion signed by another key is refused', async () => {
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, { nameId: fresh('other') })), { key: 'other' });
  assert.equal(xmlsecVerifies(xml, idp.certFile), false, 'xmlsec1 does not verify it with the IdP certificate either');
  await expectRefused(c, login, xml, /sign|verif|certificate|key/i);
});

test('another key carried in KeyInfo as KeyValue is not trusted', async () => {
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, { nameId: fresh('keyvalue') })), { key: 'other', keyInfo: 'keyvalue' });
  assert.match(xml, /<ds:RSAKeyValue>/);
  await expectRefused(c, login, xml, /sign|verif|certificate|key/i);
  assert.equal(contactCount(fresh('keyvalue')), '0');
});

test('another certificate carried in KeyInfo as X509Certificate is not trusted', async () => {
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, { nameId: fresh('x509') })), { key: 'other', keyInfo: 'cert' });
  assert.match(xml, /<ds:X509Certificate>[A-Za-z0-9+/=\s]{100,}<\/ds:X509Certificate>/);
  await expectRefused(c, login, xml, /sign|verif|certificate|key/i);
  assert.equal(contactCount(fresh('x509')), '0');
});

/* Names of the wrapping variants, from a throwaway document (each test signs its own). */
const sample = responseXml({ assertionId: '_good', nameId: VICTIM });
const assertionVariants = wrappingVariants(sign(sample)).map((v) => v.name);
const responseVariants = wrappingVariants(sign(sample, { target: 'response' })).map((v) => v.name);
const WRAP_REASON = /sign|assertion|ID|reference|digest|wrap|verif|Response|element/i;

for (const [i, name] of assertionVariants.entries()) {
  test(`signature wrapping (signed assertion): ${name}`, async () => {
    const { c, login } = await begin();
    const signed = sign(responseXml(good(login, { assertionId: '_good' + randomBytes(8).toString('hex'), nameId: VICTIM })));
    const v = wrappingVariants(signed)[i];
    assert.equal(v.name, name);
    await expectRefused(c, login, v.xml, WRAP_REASON);
    assert.equal(contactCount(ATTACKER), '0', 'no contact for the attacker');
    assert.equal(memberCount(ATTACKER), '0', 'no member for the attacker');
    assert.equal(sessionCount(VICTIM), '0', 'nor a session for the victim');
  });
}

for (const [i, name] of responseVariants.entries()) {
  test(`signature wrapping (signed response): ${name}`, async () => {
    const { c, login } = await begin();
    const signed = sign(responseXml(good(login, { assertionId: '_good' + randomBytes(8).toString('hex'), nameId: VICTIM })),
      { target: 'response' });
    const v = wrappingVariants(signed)[i];
    assert.equal(v.name, name);
    await expectRefused(c, login, v.xml, WRAP_REASON);
    assert.equal(contactCount(ATTACKER), '0', 'no contact for the attacker');
    assert.equal(memberCount(ATTACKER), '0', 'no member for the attacker');
    assert.equal(sessionCount(VICTIM), '0', 'nor a session for the victim');
  });
}

test('a response with two signed assertions is refused', async () => {
  const { c, login } = await begin();
  const a = sign(responseXml(good(login, { nameId: fresh('two-a') })));
  const b = sign(responseXml(good(login, { nameId: fresh('two-b') })));
  const second = b.slice(...findElement(b, 'saml:Assertion'));
  const end = findElement(a, 'saml:Assertion')[1];
  await expectRefused(c, login, a.slice(0, end) + second + a.slice(end), /assertion/i);
  assert.equal(contactCount(fresh('two-a')), '0');
  assert.equal(contactCount(fresh('two-b')), '0');
});

test('an assertion for another audience is refused', async () => {
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, { audience: 'https://other-sp.example.test/metadata' })));
  await expectRefused(c, login, xml, /audience/i);
});

test('an assertion for another recipient is refused', async () => {
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, { recipient: 'https://other-sp.example.test/sso/saml/acs' })));
  await expectRefused(c, login, xml, /recipient/i);
});

test('a response for another destination is refused', async () => {
  const { c, login } = await begin();
  const xml = sign(sign(responseXml(good(login, { destination: 'https://other-sp.example.test/sso/saml/acs' }))), { target: 'response' });
  await expectRefused(c, login, xml, /destination/i);
});

test('an assertion from another issuer is refused', async () => {
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, { issuer: 'https://evil-idp.example.test/metadata' })));
  await expectRefused(c, login, xml, /issuer/i);
});

test('a response whose status is not Success is refused', async () => {
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, { status: 'Responder', nameId: fresh('status') })));
  await expectRefused(c, login, xml, /status|success/i);
  assert.equal(contactCount(fresh('status')), '0');
});

test('an InResponseTo this portal never sent is refused', async () => {
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, { inResponseTo: newId() })));
  await expectRefused(c, login, xml, /InResponseTo|request/i);
});

test('an unsolicited response (IdP-initiated, no InResponseTo) is refused', async () => {
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, { inResponseTo: null, nameId: fresh('unsolicited') })));
  await expectRefused(c, login, xml, /InResponseTo/i);
  assert.equal(contactCount(fresh('unsolicited')), '0');
});

test('an unsolicited assertion with InResponseTo forged onto the unsigned Response is refused', async () => {
  const { c, login } = await begin();
  const signed = sign(responseXml(good(login, { inResponseTo: null, nameId: fresh('forged-irt') })));
  const forged = signed.replace('<samlp:Response ', `<samlp:Response InResponseTo="${login.requestId}" `);
  assert.notEqual(forged, signed);
  await expectRefused(c, login, forged, /InResponseTo/i);
  assert.equal(contactCount(fresh('forged-irt')), '0');
});

test('an InResponseTo answered once is refused the second time', async () => {
  const email = fresh('irt');
  const { c, login } = await begin();
  await expectLogin(c, login, sign(responseXml(good(login, { nameId: email }))), email, reEsc(email));
  const other = cloneWithoutSession(c);
  await expectRefused(other, login, sign(responseXml(good(login, { nameId: email }))), /InResponseTo|request/i);
});

test('an expired assertion is refused', async () => {
  const { c, login } = await begin();
  const t = Date.now();
  const xml = sign(responseXml(good(login, {
    issueInstant: isoAt(t - 20 * 60e3), notBefore: isoAt(t - 20 * 60e3), notOnOrAfter: isoAt(t - 10 * 60e3),
    scdNotOnOrAfter: isoAt(t - 10 * 60e3),
  })));
  await expectRefused(c, login, xml, /expired|NotOnOrAfter/i);
});

test('an assertion not yet valid is refused', async () => {
  const { c, login } = await begin();
  const t = Date.now();
  const xml = sign(responseXml(good(login, { notBefore: isoAt(t + 10 * 60e3), notOnOrAfter: isoAt(t + 20 * 60e3) })));
  await expectRefused(c, login, xml, /not yet|NotBefore/i);
});

test('a replayed response is refused, and so is its assertion ID in a new response', async () => {
  const email = fresh('replay');
  const assertionId = newId();
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, { nameId: email, assertionId })));
  await expectLogin(c, login, xml, email, reEsc(email));
  // the very same bytes again, from a browser with the same cookies but no session
  await expectRefused(cloneWithoutSession(c), login, xml, /already used/);
  // the same assertion ID answering a fresh request: only the replay store can catch it
  const second = await begin();
  const again = sign(responseXml(good(second.login, { nameId: email, assertionId })));
  await expectRefused(second.c, second.login, again, /replay|already|used|seen/i);
});

test('a DOCTYPE with an internal entity is refused', async () => {
  const { c, login } = await begin();
  // the entity expands to the very NameID that was signed: only the DOCTYPE is wrong
  const signed = sign(responseXml(good(login, { nameId: VICTIM })));
  const xml = `<?xml version="1.0"?>\n<!DOCTYPE samlp:Response [<!ENTITY who "${VICTIM}">]>\n` +
    signed.replace(`>${VICTIM}</saml:NameID>`, '>&who;</saml:NameID>');
  assert.match(xml, /&who;<\/saml:NameID>/);
  await expectRefused(c, login, xml, /DOCTYPE|entity|DTD/i);
  assert.equal(sessionCount(VICTIM), '0');
});

test('a DOCTYPE with an external entity is refused', async () => {
  const { c, login } = await begin();
  const signed = sign(responseXml(good(login, { nameId: VICTIM })));
  const xml = '<?xml version="1.0"?>\n<!DOCTYPE samlp:Response [<!ENTITY who SYSTEM "file:///etc/hostname">]>\n' +
    signed.replace(`>${VICTIM}</saml:NameID>`, '>&who;</saml:NameID>');
  await expectRefused(c, login, xml, /DOCTYPE|entity|DTD/i);
});

test('a NameID with a comment inside is refused or taken whole, never truncated', async () => {
  const before = sessionCount('ada@example.com');
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, { nameIdRaw: 'ada@example.com<!---->.evil.test' })));
  assert.match(xml, /ada@example\.com<!---->\.evil\.test<\/saml:NameID>/, 'the comment survives signing');
  const since = lastAuditId();
  const r = await followFinish(c, await postResponse(c, xml, login.relayState));
  if (r.status === 403) {
    assert.equal(sessionSet(r), false);
    assert.match(oneRefusal(since), /comment|NameID/i);
  } else {
    assert.equal(r.status, 303, `refused (403) or logged in (303), not ${r.status}`);
    assert.equal(sessionEmail(c), 'ada@example.com.evil.test', 'the identity is the whole NameID');
  }
  assert.equal(sessionCount('ada@example.com'), before, 'no session for the truncated address');
});

test('rsa-sha1 is refused unless saml_allow_sha1 is set', async () => {
  const email = fresh('sha1');
  const { c, login } = await begin();
  const xml = sign(responseXml(good(login, { nameId: email })), { alg: 'rsa-sha1' });
  assert.match(xml, /xmldsig#rsa-sha1/);
  await expectRefused(c, login, xml, /sha-?1|algorithm|digest|signature method/i);
  try {
    await psqlEverywhere('UPDATE portal_sso SET saml_allow_sha1 = true WHERE portal_id = 1', 'allowing rsa-sha1');
    const ok = await begin();
    await expectLogin(ok.c, ok.login, sign(responseXml(good(ok.login, { nameId: email })), { alg: 'rsa-sha1' }), email, reEsc(email));
  } finally {
    await psqlEverywhere('UPDATE portal_sso SET saml_allow_sha1 = false WHERE portal_id = 1', 'refusing rsa-sha1 again');
  }
});

test('audience lists: only contacts on a portal list get in', async () => {
  const list = psql(`INSERT INTO lists (name) VALUES ('SAML access ${u}') RETURNING id`);
  /* refused with the access-denied page: 403 at once, or 303 to /access-denied which is 403 */
  const expectDenied = async (email) => {
    const { c, login } = await begin();
    const r = await followFinish(c, await postResponse(c, sign(responseXml(good(login, { nameId: email }))), login.relayState));
    assert.equal(sessionSet(r), false, `no session for ${email}`);
    if (r.status === 303) {
      assert.equal(new URL(r.headers.get('location'), BASE).pathname, '/access-denied');
      assert.equal((await c.get('/access-denied')).status, 403);
    } else {
      assert.equal(r.status, 403, `${email}: denied`);
    }
    assert.equal(c.jar.has('portal_session'), false);
    assert.notEqual((await c.get('/tickets')).status, 200, 'the ticket list stays closed');
  };
  try {
    await psqlEverywhere("UPDATE portals SET sso_audience = 'lists' WHERE id = 1", 'SSO audience lists');
    await expectDenied('grace@example.com');
    await expectDenied(fresh('unlisted'));
    assert.equal(contactCount(fresh('unlisted')), '0', 'no contact is created in lists mode');

    psql(`INSERT INTO list_members (list_id, contact_id) VALUES (${list}, 2);
          INSERT INTO portal_lists (portal_id, list_id) VALUES (1, ${list})`);
    const { c, login } = await begin();
    await expectLogin(c, login, sign(responseXml(good(login, { nameId: 'grace@example.com' }))), 'grace@example.com',
      /Grace Hopper|grace@example\.com/);
  } finally {
    await psqlEverywhere(`UPDATE portals SET sso_audience = 'all' WHERE id = 1; DELETE FROM lists WHERE id = ${list}`, 'SSO audience all');
  }
});

/* The finish step refuses with a 403 page, no session, and the reason in the audit trail. */
async function expectFinishRefused(c, finish, reasonRe) {
  const since = lastAuditId();
  const r = await c.get(finish);
  assert.equal(r.status, 403, `refusal expected, got ${r.status} ${r.headers.get('location') || ''}`);
  assert.equal(sessionSet(r), false, 'no portal_session cookie');
  const reason = oneRefusal(since);
  assert.match(reason, reasonRe, `the reason "${reason}" names the fault`);
  assert.ok(logText().split('\n').some((l) => /sso refused/i.test(l) && l.includes(reason)), 'a log line');
}

const finishOf = (r) => {
  const u = new URL(r.headers.get('location'), BASE);
  assert.equal(u.pathname, '/sso/saml/finish');
  return u.pathname + u.search;
};

test('a Response is accepted only in the browser that sent the AuthnRequest (login CSRF)', async () => {
  const email = fresh('csrf');
  // the attacker starts a sign-on in its own browser and gets a Response for its own account
  const { c: attacker, login } = await begin();
  const xml = sign(responseXml(good(login, { nameId: email })));
  // ... and makes the victim's browser post it: the victim has its own pre-session cookie
  const victim = new Client();
  await victim.get('/logout');
  assert.ok(victim.jar.has('portal_pre'));
  const since = lastAuditId();
  const r = await postResponse(victim, xml, login.relayState);
  assert.equal(r.status, 303, `the ACS verifies and hands off (reason: ${refusalSince(since) || 'none'})`);
  const finish = finishOf(r);
  await expectFinishRefused(victim, finish, /did not start the sign-on/);
  assert.equal(victim.jar.has('portal_session'), false);
  assert.equal(sessionCount(email), '0', 'nobody was signed in as the attacker');
  // the handle is spent: not even the browser that started the sign-on can use it now
  await expectFinishRefused(attacker, finish, /unknown, used or expired/);
});

test('a browser without the pre-session cookie cannot finish a sign-on, and a handle works once', async () => {
  const email = fresh('handle');
  const { c, login } = await begin();
  const r = await expectLogin(c, login, sign(responseXml(good(login, { nameId: email }))), email, reEsc(email));
  await expectFinishRefused(cloneWithoutSession(c), r.finish, /unknown, used or expired/);
  const second = await begin();
  const r2 = await postResponse(second.c, sign(responseXml(good(second.login, { nameId: email }))), second.login.relayState);
  assert.equal(r2.status, 303);
  await expectFinishRefused(new Client(), finishOf(r2), /did not start the sign-on/);
  await expectFinishRefused(second.c, `/sso/saml/finish?h=${'ab'.repeat(32)}`, /unknown, used or expired/);
});
