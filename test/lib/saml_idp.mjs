// saml_idp.mjs - a test SAML identity provider: keys by openssl, Responses as strings, signatures by xmlsec1, wrapping attacks.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

export const NS_SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const NS_DS = 'http://www.w3.org/2000/09/xmldsig#';
export const IDP_ENTITY_ID = 'https://idp.example.test/metadata';
export const IDP_SSO_URL = 'https://idp.example.test/sso';

const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

export const newId = () => '_' + randomBytes(20).toString('hex');

/* ISO UTC without milliseconds: "YYYY-MM-DDThh:mm:ssZ"; t in milliseconds (default now). */
export const isoAt = (t = Date.now()) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

let idp = null;

/*
 * Three RSA 2048 key pairs with self-signed certificates in a fresh temp dir: the IdP's, another
 * one (an attacker's), and the IdP's next one (its key rollover: newKeyFile, newCertPem).
 */
export function makeIdp() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'saml-idp-'));
  const pair = (name, cn) => {
    const keyFile = path.join(dir, `${name}.key.pem`), certFile = path.join(dir, `${name}.cert.pem`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${cn}`,
      '-keyout', keyFile, '-out', certFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { keyFile, certFile, certPem: readFileSync(certFile, 'utf8') };
  };
  const mine = pair('idp', 'idp.example.test'), other = pair('other', 'attacker.example.test');
  const next = pair('new', 'idp-next.example.test');
  idp = {
    dir,
    keyFile: mine.keyFile, certFile: mine.certFile, certPem: mine.certPem,
    otherKeyFile: other.keyFile, otherCertFile: other.certFile, otherCertPem: other.certPem,
    newKeyFile: next.keyFile, newCertFile: next.certFile, newCertPem: next.certPem,
    cleanup() { rmSync(dir, { recursive: true, force: true }); if (idp === this) idp = null; },
  };
  return idp;
}

/*
 * An unsigned samlp:Response. Every field has a default a correctly configured SP accepts, given
 * destination/recipient (the ACS URL), audience (the SP entity ID) and inResponseTo.
 * destination: null omits the attribute. assertion: false leaves the Assertion out.
 * attributes: {Name: value}; attributeList: [{name, friendlyName, value}] for attributes that
 * carry a FriendlyName too (both lists are sent, attributeList first).
 * responseSignature / assertionSignature: markup placed right after that element's Issuer
 * (the schema's place for ds:Signature); sign() puts its template there itself.
 */
export function responseXml(o = {}) {
  const now = Date.now();
  const v = {
    responseId: newId(), assertionId: newId(), issuer: IDP_ENTITY_ID, destination: null, inResponseTo: null,
    audience: '', recipient: '', issueInstant: isoAt(now), notBefore: isoAt(now - 60e3),
    notOnOrAfter: isoAt(now + 300e3), scdNotOnOrAfter: isoAt(now + 300e3), nameId: 'victim@example.com',
    nameIdFormat: EMAIL_FORMAT, status: 'Success', attributes: {}, attributeList: [], responseSignature: '',
    assertionSignature: '',
    assertion: true, ...o,
  };
  const irt = v.inResponseTo == null ? '' : ` InResponseTo="${esc(v.inResponseTo)}"`;
  const dest = v.destination == null ? '' : ` Destination="${esc(v.destination)}"`;
  const statusUri = v.status.startsWith('urn:') ? v.status : `urn:oasis:names:tc:SAML:2.0:status:${v.status}`;
  const attrs = [...v.attributeList, ...Object.entries(v.attributes).map(([name, value]) => ({ name, value }))];
  const attrStatement = attrs.length === 0 ? '' : '<saml:AttributeStatement>' + attrs.map((a) =>
    `<saml:Attribute Name="${esc(a.name)}"${a.friendlyName == null ? '' : ` FriendlyName="${esc(a.friendlyName)}"`}` +
    ` NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:${a.friendlyName == null ? 'basic' : 'uri'}">` +
    `<saml:AttributeValue>${esc(a.value)}</saml:AttributeValue></saml:Attribute>`).join('') + '</saml:AttributeStatement>';
  // nameIdRaw: markup put into NameID as is (comments, entity references)
  const nameId = v.nameIdRaw != null ? v.nameIdRaw : esc(v.nameId);
  const assertion = !v.assertion ? '' :
    `<saml:Assertion xmlns:saml="${NS_SAML}" ID="${esc(v.assertionId)}" Version="2.0" IssueInstant="${v.issueInstant}">` +
    `<saml:Issuer>${esc(v.issuer)}</saml:Issuer>${v.assertionSignature}` +
    `<saml:Subject><saml:NameID Format="${esc(v.nameIdFormat)}">${nameId}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="${BEARER}"><saml:SubjectConfirmationData${irt}` +
    ` NotOnOrAfter="${v.scdNotOnOrAfter}" Recipient="${esc(v.recipient)}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${v.notBefore}" NotOnOrAfter="${v.notOnOrAfter}">` +
    `<saml:AudienceRestriction><saml:Audience>${esc(v.audience)}</saml:Audience></saml:AudienceRestriction>` +
    `</saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${v.issueInstant}" SessionIndex="${newId()}"><saml:AuthnContext>` +
    `<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport` +
    `</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>${attrStatement}</saml:Assertion>`;
  return `<samlp:Response xmlns:samlp="${NS_SAMLP}" xmlns:saml="${NS_SAML}" ID="${esc(v.responseId)}" Version="2.0"` +
    ` IssueInstant="${v.issueInstant}"${dest}${irt}>` +
    `<saml:Issuer>${esc(v.issuer)}</saml:Issuer>${v.responseSignature}` +
    `<samlp:Status><samlp:StatusCode Value="${statusUri}"/></samlp:Status>${assertion}</samlp:Response>`;
}

/* The ds:Signature template xmlsec1 fills in: exclusive C14N, one same-document reference, enveloped. */
export function signatureTemplate(id, { alg = 'rsa-sha256', keyInfo = 'none' } = {}) {
  const sha1 = alg === 'rsa-sha1';
  const sigAlg = sha1 ? `${NS_DS}rsa-sha1` : 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
  const digAlg = sha1 ? `${NS_DS}sha1` : 'http://www.w3.org/2001/04/xmlenc#sha256';
  const ki = keyInfo === 'keyvalue' ? '<ds:KeyInfo><ds:KeyValue/></ds:KeyInfo>'
    : keyInfo === 'cert' ? '<ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>' : '';
  const exc = 'http://www.w3.org/2001/10/xml-exc-c14n#';
  return `<ds:Signature xmlns:ds="${NS_DS}"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${exc}"/>` +
    `<ds:SignatureMethod Algorithm="${sigAlg}"/><ds:Reference URI="#${esc(id)}"><ds:Transforms>` +
    `<ds:Transform Algorithm="${NS_DS}enveloped-signature"/><ds:Transform Algorithm="${exc}"/></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${digAlg}"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>` +
    `<ds:SignatureValue></ds:SignatureValue>${ki}</ds:Signature>`;
}

/* Where the element starting at `start` (its "<") ends: the index just past its end tag. Prefixed names only. */
function elementEnd(xml, start) {
  const name = /^<([\w:.-]+)/.exec(xml.slice(start))[1];
  const re = new RegExp(`<(/?)${name.replace(/[.]/g, '\\.')}(?=[\\s>/])[^>]*?(/?)>`, 'g');
  re.lastIndex = start;
  let depth = 0, m;
  while ((m = re.exec(xml))) {
    if (m[1]) depth--;
    else if (!m[2]) depth++;
    if (depth === 0) return m.index + m[0].length;
  }
  throw new Error(`no end tag for ${name}`);
}

/* [start, end) of the first element with this tag name (e.g. "saml:Assertion") at or after `from`. */
export function findElement(xml, tag, from = 0) {
  const re = new RegExp(`<${tag}(?=[\\s>/])`, 'g');
  re.lastIndex = from;
  const m = re.exec(xml);
  if (!m) return null;
  return [m.index, elementEnd(xml, m.index)];
}

const stripDecl = (xml) => xml.replace(/^\s*<\?xml[^>]*\?>\s*/, '');
const idOf = (xml, at) => /\sID="([^"]*)"/.exec(xml.slice(at, xml.indexOf('>', at)))[1];

function tmpDir() {
  if (!idp) throw new Error('makeIdp() first');
  return idp.dir;
}

/*
 * Sign the Assertion or the Response with xmlsec1: a template goes right after the element's Issuer,
 * then `xmlsec1 --sign` fills it in. key 'idp' (the configured one), 'other' or 'new' (the IdP's next).
 * To sign both, sign the assertion first, then the response.
 */
export function sign(xml, { target = 'assertion', key = 'idp', alg = 'rsa-sha256', keyInfo = 'none' } = {}) {
  const dir = tmpDir();
  xml = stripDecl(xml);
  const tag = target === 'assertion' ? 'saml:Assertion' : 'samlp:Response';
  const el = findElement(xml, tag);
  if (!el) throw new Error(`no ${tag} to sign`);
  const id = idOf(xml, el[0]);
  const issuer = findElement(xml, 'saml:Issuer', el[0]);
  if (!issuer || issuer[1] > el[1]) throw new Error(`${tag} has no Issuer`);
  const tpl = xml.slice(0, issuer[1]) + signatureTemplate(id, { alg, keyInfo }) + xml.slice(issuer[1]);
  const n = randomBytes(6).toString('hex');
  const inFile = path.join(dir, `tpl-${n}.xml`), outFile = path.join(dir, `signed-${n}.xml`);
  writeFileSync(inFile, tpl);
  const [k, c] = key === 'other' ? [idp.otherKeyFile, idp.otherCertFile]
    : key === 'new' ? [idp.newKeyFile, idp.newCertFile] : [idp.keyFile, idp.certFile];
  try {
    execFileSync('xmlsec1', ['--sign', '--privkey-pem', `${k},${c}`,
      '--id-attr:ID', `${NS_SAML}:Assertion`, '--id-attr:ID', `${NS_SAMLP}:Response`,
      '--output', outFile, inFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    return stripDecl(readFileSync(outFile, 'utf8')).trimEnd();
  } finally {
    rmSync(inFile, { force: true });
    rmSync(outFile, { force: true });
  }
}

/* xmlsec1's own verdict on a document whose first signature is checked with this certificate. */
export function xmlsecVerifies(xml, certFile) {
  const f = path.join(tmpDir(), `verify-${randomBytes(6).toString('hex')}.xml`);
  writeFileSync(f, xml);
  try {
    execFileSync('xmlsec1', ['--verify', '--pubkey-cert-pem', certFile, '--id-attr:ID', `${NS_SAML}:Assertion`,
      '--id-attr:ID', `${NS_SAMLP}:Response`, f], { stdio: ['ignore', 'pipe', 'pipe'] });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(f, { force: true });
  }
}

/* The victim's assertion turned into the attacker's: signature removed, NameID and emails swapped, a new ID. */
function evilFrom(assertion, id) {
  const sig = findElement(assertion, 'ds:Signature');
  let a = sig ? assertion.slice(0, sig[0]) + assertion.slice(sig[1]) : assertion;
  const victim = /<saml:NameID[^>]*>([^<]*)<\/saml:NameID>/.exec(a)[1];
  a = a.split(victim).join('attacker@example.com');
  return a.replace(/^(<saml:Assertion[^>]*?\sID=")[^"]*"/, `$1${id}"`);
}

/* Put `inner` into `outer` (an element's markup) right after its child element `afterTag` (or as first child). */
function insertInto(outer, inner, afterTag) {
  if (afterTag) {
    const at = findElement(outer, afterTag);
    return outer.slice(0, at[1]) + inner + outer.slice(at[1]);
  }
  const gt = outer.indexOf('>');
  return outer.slice(0, gt + 1) + inner + outer.slice(gt + 1);
}

/* Insert before the closing tag of `outer` (its last child). */
const appendInto = (outer, inner) => {
  const lt = outer.lastIndexOf('</');
  return outer.slice(0, lt) + inner + outer.slice(lt);
};

/*
 * XML signature wrapping: the attacks a signed document allows when an SP uses an element other
 * than the one its verified signature covers. Given a Response with a signed Assertion (the
 * victim's), or a signed Response (assertion unsigned), returns [{name, xml}] of documents in which
 * an unsigned evil assertion for attacker@example.com sits somewhere an SP might read it.
 */
export function wrappingVariants(signedXml) {
  const xml = stripDecl(signedXml);
  const resp = findElement(xml, 'samlp:Response');
  const asrt = findElement(xml, 'saml:Assertion');
  const firstSig = findElement(xml, 'ds:Signature');
  const responseSigned = firstSig && firstSig[0] < asrt[0];
  const good = xml.slice(asrt[0], asrt[1]);
  const goodId = idOf(xml, asrt[0]);
  const before = xml.slice(0, asrt[0]), after = xml.slice(asrt[1]);
  const evilId = '_evil' + randomBytes(12).toString('hex');
  const evil = evilFrom(good, evilId);
  const out = [];

  if (!responseSigned) {
    const sig = findElement(good, 'ds:Signature');
    const goodNoSig = good.slice(0, sig[0]) + good.slice(sig[1]);
    const goodSig = good.slice(sig[0], sig[1]);
    out.push({ name: 'evil assertion before the signed one', xml: before + evil + good + after });
    out.push({ name: 'evil assertion after the signed one', xml: before + good + evil + after });
    out.push({ name: 'signed assertion inside the evil one\'s Subject',
      xml: before + insertInto(evil, good, 'saml:NameID') + after });
    out.push({ name: 'signed assertion inside the evil one\'s Advice',
      xml: before + insertInto(evil, `<saml:Advice>${good}</saml:Advice>`, 'saml:Conditions') + after });
    // the Response's Extensions come after Issuer (and Signature), before Status
    const respIssuer = findElement(xml, 'saml:Issuer', resp[0]);
    out.push({ name: 'signed assertion in the Response\'s Extensions, evil assertion as the Response\'s',
      xml: xml.slice(0, respIssuer[1]) + `<samlp:Extensions>${good}</samlp:Extensions>` +
        xml.slice(respIssuer[1], asrt[0]) + evil + after });
    // the good signature moved to the evil assertion, the signed content in its ds:Object
    const sigWithObject = appendInto(goodSig, `<ds:Object>${goodNoSig}</ds:Object>`);
    out.push({ name: 'signature moved to the evil assertion, signed assertion in its ds:Object',
      xml: before + insertInto(evil, sigWithObject, 'saml:Issuer') + after });
    const copyWithObject = appendInto(goodSig, `<ds:Object>${good}</ds:Object>`);
    out.push({ name: 'evil assertion carrying a copy of the signature with the whole signed assertion in ds:Object',
      xml: before + insertInto(evil, copyWithObject, 'saml:Issuer') + after });
    // the signature moved to the evil assertion, still verifying: its reference finds the signed
    // content elsewhere, so only an SP that uses what the reference points at notices
    const evilWithSig = insertInto(evil, goodSig, 'saml:Issuer');
    out.push({ name: 'signature moved to the evil assertion, signed assertion in the Response\'s Extensions',
      xml: xml.slice(0, respIssuer[1]) + `<samlp:Extensions>${goodNoSig}</samlp:Extensions>` +
        xml.slice(respIssuer[1], asrt[0]) + evilWithSig + after });
    out.push({ name: 'signature moved to the evil assertion, signed assertion in its Advice',
      xml: before + insertInto(evilWithSig, `<saml:Advice>${goodNoSig}</saml:Advice>`, 'saml:Conditions') + after });
    const evilSameId = evilFrom(good, goodId);
    out.push({ name: 'evil assertion with the signed one\'s ID, before it', xml: before + evilSameId + good + after });
    out.push({ name: 'evil assertion with the signed one\'s ID, after it', xml: before + good + evilSameId + after });
    out.push({ name: 'evil assertion with the signed one\'s ID, signed one in its Advice',
      xml: before + insertInto(evilSameId, `<saml:Advice>${good}</saml:Advice>`, 'saml:Conditions') + after });
    out.push({ name: 'signed assertion moved to a second evil Response inside the first',
      xml: before + evil + `<samlp:Response xmlns:samlp="${NS_SAMLP}" ID="_w${evilId}" Version="2.0">` + good +
        '</samlp:Response>' + after });
    return out;
  }

  // the Response is signed: its content may not change, but an evil Response may wrap it
  const signedResp = xml.slice(resp[0], resp[1]);
  const respId = idOf(xml, resp[0]);
  out.push({ name: 'signed response with its assertion swapped for the evil one', xml: before + evil + after });
  out.push({ name: 'signed response with an evil assertion added after its own', xml: before + good + evil + after });
  out.push({ name: 'signed response with an evil assertion added before its own', xml: before + evil + good + after });
  const outer = (id) => {
    const attrs = /^<samlp:Response([^>]*)>/.exec(signedResp)[1].replace(/\sID="[^"]*"/, ` ID="${id}"`);
    const issuer = /<saml:Issuer>[^<]*<\/saml:Issuer>/.exec(signedResp)[0];
    const status = signedResp.slice(...findElement(signedResp, 'samlp:Status'));
    return `<samlp:Response${attrs}>${issuer}<samlp:Extensions>${signedResp}</samlp:Extensions>${status}` +
      `${evil}</samlp:Response>`;
  };
  out.push({ name: 'signed response inside the Extensions of an evil response', xml: outer('_r' + evilId) });
  out.push({ name: 'signed response inside the Extensions of an evil response with the same ID', xml: outer(respId) });
  // the signature lifted out to the evil response, the signed response in its ds:Object
  const sig = signedResp.slice(...findElement(signedResp, 'ds:Signature'));
  const respNoSig = signedResp.replace(sig, '');
  const attrs = /^<samlp:Response([^>]*)>/.exec(signedResp)[1].replace(/\sID="[^"]*"/, ` ID="_r${evilId}"`);
  const issuer = /<saml:Issuer>[^<]*<\/saml:Issuer>/.exec(signedResp)[0];
  const status = signedResp.slice(...findElement(signedResp, 'samlp:Status'));
  out.push({ name: 'response signature moved to an evil response, signed response in its Extensions',
    xml: `<samlp:Response${attrs}>${issuer}${sig}<samlp:Extensions>${respNoSig}</samlp:Extensions>${status}` +
      `${evil}</samlp:Response>` });
  out.push({ name: 'response signature moved to an evil response, signed response in its ds:Object',
    xml: `<samlp:Response${attrs}>${issuer}${appendInto(sig, `<ds:Object>${respNoSig}</ds:Object>`)}${status}` +
      `${evil}</samlp:Response>` });
  return out;
}

/* POST the Response to the ACS as the HTTP-POST binding does. */
export function postResponse(client, xml, relayState) {
  const fields = { SAMLResponse: Buffer.from(xml, 'utf8').toString('base64') };
  if (relayState != null) fields.RelayState = relayState;
  return client.post('/sso/saml/acs', fields);
}

/* The AuthnRequest XML carried by a HTTP-Redirect URL. */
export function authnRequestOf(location) {
  const u = new URL(location);
  const req = u.searchParams.get('SAMLRequest');
  if (!req) throw new Error(`no SAMLRequest in ${location}`);
  return { xml: zlib.inflateRawSync(Buffer.from(req, 'base64')).toString('utf8'), relayState: u.searchParams.get('RelayState') };
}

/* Start an SP-initiated login with this client: {res, location, requestId, relayState, requestXml}. */
export async function startLogin(client, next = '/tickets') {
  const res = await client.get(`/sso/saml/login?next=${encodeURIComponent(next)}`);
  const location = res.headers.get('location');
  if (res.status !== 303 || !location) throw new Error(`/sso/saml/login answered ${res.status}`);
  const { xml, relayState } = authnRequestOf(location);
  const m = /<(?:[\w-]+:)?AuthnRequest\b[^>]*?\sID="([^"]+)"/.exec(xml);
  if (!m) throw new Error(`no AuthnRequest ID in ${xml}`);
  return { res, location, requestId: m[1], relayState, requestXml: xml };
}
