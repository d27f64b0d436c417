// idp.mjs - what the interop tests know of the real identity provider (SimpleSAMLphp, started by
// test/interop/run.sh on http://127.0.0.1:PORT) and how they point the portal at it.
// The IdP reads INTEROP_IDP_DIR/state.json on every request: users, signing keys, NameID options.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { BASE, psql } from '../lib/stack.mjs';
import { psqlEverywhere, registrationOpen } from '../lib/wait.mjs';
import { DEMO_PASSWORD } from '../lib/client.mjs';
import { settingsPath } from '../lib/portals.mjs';

export const IDP_URL = process.env.INTEROP_IDP_URL;
export const IDP_DIR = process.env.INTEROP_IDP_DIR;
if (!IDP_URL || !IDP_DIR) throw new Error('INTEROP_IDP_URL and INTEROP_IDP_DIR must be set (test/interop/run.sh sets them)');
export const IDP_ORIGIN = new URL(IDP_URL).origin;
export const IDP_ENTITY_ID = `${IDP_ORIGIN}/saml2/idp/metadata.php`;
export const IDP_SSO_URL = `${IDP_ORIGIN}/saml2/idp/SSOService.php`;
export const IDP_METADATA_URL = IDP_ENTITY_ID;
export const PORTAL_ORIGIN = new URL(BASE).origin;
export const SP_ENTITY_ID = `${PORTAL_ORIGIN}/sso/saml/metadata`;
export const SP_ACS_URL = `${PORTAL_ORIGIN}/sso/saml/acs`;

export const NAMEID_PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
export const NAMEID_TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

const STATE = path.join(IDP_DIR, 'state.json');
export const readState = () => JSON.parse(readFileSync(STATE, 'utf8'));

/* Change the IdP's state.json (atomically: php may read it at any moment). */
export function updateState(fn) {
  const s = readState();
  fn(s);
  const tmp = `${STATE}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2));
  renameSync(tmp, STATE);
}

/* A run-unique tag for names and emails. */
export const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/* A user of the IdP's login form (exampleauth:UserPass) with an email attribute. */
export function addUser(name, email, extra = {}) {
  const password = `pw-${uniq()}`;
  updateState((s) => {
    s.users[name] = { password, attributes: { uid: [name], email: [email], ...extra } };
  });
  return { username: name, password, email };
}

/* A new RSA 2048 key and self-signed certificate for the IdP, made with openssl in its folder. */
export function newKeyPair(name) {
  const key = path.join(IDP_DIR, `${name}.key`), crt = path.join(IDP_DIR, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '7', '-subj', `/CN=${name}`,
    '-keyout', key, '-out', crt], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { key: `${name}.key`, crt: `${name}.crt`, pem: readFileSync(crt, 'utf8') };
}

export const certPem = (file) => readFileSync(path.join(IDP_DIR, file), 'utf8');

/* The base64 body of a PEM certificate, as metadata and KeyInfo carry it. */
export const certB64 = (pem) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

export async function idpMetadata() {
  const r = await fetch(IDP_METADATA_URL);
  if (r.status !== 200) throw new Error(`IdP metadata answered ${r.status}`);
  return r.text();
}

/* The signing certificates (base64) of the IdP's metadata, in document order. */
export function signingCerts(xml) {
  const out = [];
  const re = /<md:KeyDescriptor(?:\s+use="([^"]*)")?\s*>([\s\S]*?)<\/md:KeyDescriptor>/g;
  let m;
  while ((m = re.exec(xml))) {
    if (m[1] && m[1] !== 'signing') continue;
    const c = /<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/.exec(m[2]);
    if (c) out.push(c[1].replace(/\s+/g, ''));
  }
  return out;
}

const q = (s) => String(s).replace(/'/g, "''");

/*
 * SAML single sign-on on for portal 1 (the one on localhost) with this IdP: everyone who signs in
 * gets a contact (audience all). cert: one or more PEM certificates; emailAttribute '' (NameID or
 * the usual email attributes) or an attribute name.
 */
export async function configurePortal({ cert = certPem(readState().idp.certificate), emailAttribute = '', logoutUrl = '' } = {}) {
  // SSO may be on already (with another certificate): wait for the reload of this very change
  await psqlEverywhere(`DELETE FROM portal_sso WHERE portal_id = 1;
        INSERT INTO portal_sso (portal_id, saml_idp_entity_id, saml_idp_sso_url, saml_idp_cert, saml_email_attribute, logout_url)
        VALUES (1, '${q(IDP_ENTITY_ID)}', '${q(IDP_SSO_URL)}', '${q(cert)}', '${q(emailAttribute)}', '${q(logoutUrl)}');
        UPDATE portals SET access_mode = 'sso', sso_method = 'saml', sso_audience = 'all' WHERE id = 1`, 'the SAML settings');
}

export async function restorePortal() {
  psql(`UPDATE portals SET access_mode = 'registration', sso_method = NULL, sso_audience = 'all' WHERE id = 1;
        DELETE FROM portal_sso WHERE portal_id = 1`);
  await registrationOpen();
}

/* The NameID the IdP sends: the email attribute as an emailAddress NameID (default), or opts. */
export function nameIdFromEmail() {
  updateState((s) => { s.sp = { 'simplesaml.nameidattribute': 'email' }; });
}
export function nameIdOpaque(format = NAMEID_PERSISTENT) {
  updateState((s) => { s.sp = { NameIDFormat: format, 'simplesaml.nameidattribute': null }; });
}

/* On the IdP's login page: type the username and password like a person and submit. */
export async function idpLogin(page, user) {
  await page.waitForSelector('#username');
  await page.fill('#username', user.username);
  await page.fill('#password', user.password);
  await Promise.all([page.waitForNavigation(), page.click('#submit_button')]);
}

export const onIdp = (page) => new URL(page.url()).origin === IDP_ORIGIN;
export const onPortal = (page) => new URL(page.url()).origin === PORTAL_ORIGIN;

/* Wait until the browser is back on the portal (the IdP's POST form submits itself by script). */
export async function backOnPortal(page, timeout = 15000) {
  await page.waitForURL((u) => u.origin === PORTAL_ORIGIN, { timeout });
  await page.waitForLoadState('load');
}

/* The member sessions of the contact with this email. */
export function sessionCount(email) {
  return Number(psql(`SELECT count(*) FROM sessions s JOIN members m ON m.id = s.member_id
                      JOIN contacts c ON c.id = m.contact_id
                      WHERE lower(c.email) = lower('${q(email)}') AND s.expires_at > now()`));
}

/* Where the audit log stands now, and the sign-on refusals audited after that mark (their details). */
export const auditMark = () => Number(psql('SELECT coalesce(max(id), 0) FROM audit_log'));
export function refusalsAfter(mark) {
  const out = psql(`SELECT detail::text FROM audit_log WHERE action = 'sso_refused' AND id > ${Number(mark)} ORDER BY id`);
  return out ? out.split('\n') : [];
}

/*
 * A sign-on in a new browser context: open startPath on the portal, get sent to the IdP, type the
 * user's name and password into the IdP's own form, come back. Returns {context, page, responses}:
 * responses collects every SAML Response the browser POSTs to the ACS (decoded XML).
 */
export async function signOn(browser, user, startPath = '/tickets', contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  const responses = watchResponses(context);
  await page.goto(BASE + startPath);
  if (new URL(page.url()).origin !== IDP_ORIGIN) {
    throw new Error(`a visitor without a session should be at the IdP, is at ${page.url()}`);
  }
  await idpLogin(page, user);
  await backOnPortal(page);
  return { context, page, responses };
}

/* The SAML Responses (XML) this context POSTs to the portal's ACS, as they go. */
export function watchResponses(context) {
  const seen = [];
  context.on('request', (req) => {
    if (req.method() !== 'POST' || !req.url().startsWith(SP_ACS_URL)) return;
    const form = new URLSearchParams(req.postData() || '');
    const b64 = form.get('SAMLResponse');
    if (b64) seen.push(Buffer.from(b64, 'base64').toString('utf8'));
  });
  return seen;
}

/* The certificate (base64) in the KeyInfo of a Response's first signature: which key signed it. */
export function signerCert(xml) {
  const m = /<ds:Signature[\s\S]*?<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/.exec(xml);
  return m ? m[1].replace(/\s+/g, '') : null;
}

/* The member's sessions end (as an idle or absolute expiry would end them). */
export function expireSessions(email) {
  psql(`DELETE FROM sessions WHERE member_id IN (SELECT m.id FROM members m JOIN contacts c ON c.id = m.contact_id
        WHERE lower(c.email) = lower('${q(email)}'))`);
}

/* The portal's cookie of this name in a context, or undefined. */
export async function portalCookie(context, name) {
  return (await context.cookies(PORTAL_ORIGIN)).find((c) => c.name === name);
}

/* The admin pastes the IdP's metadata into Single sign-on and saves (Chromium, the console's own form). */
export async function importMetadata(browser, xml) {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(BASE + '/admin/login');
    await page.fill('#email', 'admin@example.com');
    await page.fill('#password', DEMO_PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]')]);
    await page.goto(BASE + settingsPath('/sso'));
    await page.check('#method-saml');
    await page.fill('#saml_metadata', xml);
    const form = page.locator('form[action="' + settingsPath('/sso') + '"]').first();
    await Promise.all([page.waitForNavigation(), form.locator('button[type="submit"]').click()]);
    const errors = await page.locator('.field-error').allTextContents();
    assert.deepEqual(errors, [], 'the console takes the metadata');
    assert.match(page.url(), /\/admin\/portals\/\d+\/settings\/sso\?saved=1$/, 'saved');
  } finally {
    await context.close();
  }
}
