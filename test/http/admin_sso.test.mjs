// admin_sso.test.mjs - the single sign-on settings page of the admin console and the Access
// page's SSO choice: SP values shown, bad input refused with the form kept, IdP metadata filling
// the SAML fields, the HS256 secret shown exactly once, SSO switched on only when ready, and the
// password pages then replaced by the sign-on start; certificate bundles with their expiry (and
// the dashboard's warning), the logout URL, and the domains page's note on the SP URLs. The demo
// portal is left as it was.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { psql, BASE, VAR, logText } from '../lib/stack.mjs';
import { Client, staffLoggedIn, loggedIn } from '../lib/client.mjs';
import { everyWorker, registrationOpen, ssoOn, waitFor } from '../lib/wait.mjs';
import { auditMark, auditSince, oneAudit, staffId } from '../lib/audit.mjs';
import { settingsPath } from '../lib/portals.mjs';

const admin = await staffLoggedIn();
const agent = await staffLoggedIn('agent@example.com');
const dir = mkdtempSync(path.join(tmpdir(), 'admin-sso-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=idp.example.test',
  '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
execFileSync('openssl', ['pkey', '-in', path.join(dir, 'key.pem'), '-pubout', '-out', path.join(dir, 'pub.pem')], { stdio: 'ignore' });
const CERT = readFileSync(path.join(dir, 'cert.pem'), 'utf8').trim();
const PUB = readFileSync(path.join(dir, 'pub.pem'), 'utf8').trim();
const certBody = CERT.replace(/-----[A-Z ]+-----|\s/g, '');

const ADMIN = staffId('admin@example.com');
/* The detail of the one settings_change row for setting written by the admin after mark. */
const audited = (mark, setting) => oneAudit(mark, { action: 'settings_change', setting, actor_kind: 'staff', actor_id: ADMIN }).detail;
const JWT_APP = /^https:\/\/app\.example\.test\/login/;
const ssoRow = () => psql(`SELECT coalesce(row_to_json(s)::text, '') FROM portal_sso s WHERE portal_id = 1`);

function restore() {
  psql(`UPDATE portals SET access_mode = 'registration', sso_method = NULL, sso_audience = 'all' WHERE id = 1;
        DELETE FROM portal_sso WHERE portal_id = 1`);
}
after(async () => {
  restore();
  rmSync(dir, { recursive: true, force: true });
  await registrationOpen();
});

const SAML = {
  sso_method: 'saml', saml_idp_entity_id: 'https://idp.example.test/metadata',
  saml_idp_sso_url: 'https://idp.example.test/sso', saml_idp_cert: CERT, jwt_alg: 'HS256',
};

test('the SSO page shows the values to copy into the identity provider; agents are refused', async () => {
  const r = await admin.get(settingsPath('/sso'));
  assert.equal(r.status, 200);
  const md = await new Client().get('/sso/saml/metadata');
  assert.equal(md.status, 200);
  assert.match(md.headers.get('content-type'), /samlmetadata\+xml/);
  const entity = /entityID="([^"]+)"/.exec(md.html)[1];
  const acs = /AssertionConsumerService[^>]*Location="([^"]+)"/.exec(md.html)[1];
  assert.match(entity, /^http:\/\/localhost(:\d+)?\/sso\/saml\/metadata$/);
  assert.match(acs, /^http:\/\/localhost(:\d+)?\/sso\/saml\/acs$/);
  assert.ok(r.html.includes(`id="sp-entity-id">${entity}<`), 'the entity ID is shown');
  assert.ok(r.html.includes(`id="sp-acs-url">${acs}<`), 'the ACS URL is shown');
  assert.equal((await agent.get(settingsPath('/sso'))).status, 403);
});

test('bad SSO settings are refused with the form kept and nothing saved', async () => {
  const bad = async (fields, message) => {
    const r = await admin.submit(settingsPath('/sso'), fields);
    assert.equal(r.status, 422, JSON.stringify(fields));
    assert.match(r.html, message);
    assert.equal(ssoRow(), '', 'nothing saved');
    return r;
  };
  await bad({}, /Choose SAML 2.0 or JWT/);
  const kept = await bad({ ...SAML, saml_idp_cert: 'not a certificate' }, /signing certificate/);
  assert.ok(kept.html.includes('value="https://idp.example.test/metadata"'), 'the entity ID is kept');
  assert.ok(kept.html.includes('not a certificate'), 'the bad certificate is kept for correcting');
  assert.match(kept.html, /id="saml_allow_sha1" name="saml_allow_sha1" type="checkbox" value="1">/, 'SHA-1 stays unticked');
  const ticked = await bad({ ...SAML, saml_idp_entity_id: '', saml_allow_sha1: '1' }, /entity ID/);
  assert.match(ticked.html, /id="saml_allow_sha1" name="saml_allow_sha1" type="checkbox" value="1" checked>/, 'and a ticked one stays ticked');
  await bad({ ...SAML, saml_idp_sso_url: 'https://idp.example.test/sso#frag' }, /SSO URL/);
  await bad({ ...SAML, saml_idp_sso_url: 'javascript:alert(1)' }, /SSO URL, starting with https/);
  await bad({ ...SAML, saml_idp_entity_id: '' }, /entity ID/);
  await bad({ ...SAML, saml_metadata: '<!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>' }, /This metadata cannot be used/);
  await bad({ sso_method: 'jwt', jwt_login_url: 'ftp://app.example.test', jwt_alg: 'HS256' }, /login URL of your app/);
  await bad({ sso_method: 'jwt', jwt_login_url: 'https://app.example.test/login', jwt_alg: 'RS256', jwt_public_key: CERT.replace(/A/g, 'B') },
    /public key/);
  await bad({ sso_method: 'jwt', jwt_login_url: 'https://app.example.test/login', jwt_alg: 'none' }, /HS256 or RS256/);
});

test('pasted IdP metadata fills entity ID, SSO URL and certificate; the save is audited', async () => {
  const md = `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.test/md">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
      <ds:X509Certificate>${certBody}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.test/post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/redirect"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
  try {
    const mark = auditMark();
    const r = await admin.submit(settingsPath('/sso'), { sso_method: 'saml', saml_metadata: md, jwt_alg: 'HS256' });
    assert.equal(r.status, 303);
    const row = JSON.parse(ssoRow());
    assert.equal(row.saml_idp_entity_id, 'https://idp.example.test/md');
    assert.equal(row.saml_idp_sso_url, 'https://idp.example.test/redirect', 'the HTTP-Redirect binding is used');
    assert.equal(row.saml_idp_cert.replace(/-----[A-Z ]+-----|\s/g, ''), certBody);
    assert.equal(psql('SELECT sso_method FROM portals WHERE id = 1'), 'saml');
    const a = audited(mark, 'sso');
    assert.equal(a.after.saml_idp_entity_id, 'https://idp.example.test/md');
    assert.match(a.after.saml_idp_cert_sha256, /^[0-9a-f]{64}$/, 'the certificate is audited by its hash');
    const page = await admin.get(settingsPath('/sso'));
    assert.match(page.html, /value="https:\/\/idp.example.test\/redirect"/);
  } finally {
    restore();
  }
});

test('choosing HS256 makes a secret and shows it once; a new one replaces it', async () => {
  try {
    const mark = auditMark();
    const r = await admin.submit(settingsPath('/sso'), { sso_method: 'jwt', jwt_login_url: 'https://app.example.test/login', jwt_alg: 'HS256' });
    assert.equal(r.status, 200);
    const secret = /id="new-secret">([A-Za-z0-9_-]{43})</.exec(r.html)?.[1];
    assert.ok(secret, 'the new secret is on the page');
    assert.equal(psql('SELECT jwt_secret FROM portal_sso WHERE portal_id = 1'), secret);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    // the save and the new secret are audited, the secret itself is not in the row
    assert.equal(audited(mark, 'sso').after.sso_method, 'jwt');
    assert.equal(audited(mark, 'sso_jwt_secret').after, 'generated');
    const again = await admin.get(settingsPath('/sso'));
    assert.ok(!again.html.includes(secret), 'never shown again');
    assert.match(again.html, /secret generated \d{4}-\d\d-\d\d/);
    const freshMark = auditMark();
    const fresh = await admin.submit(settingsPath('/sso'), {}, settingsPath('/sso/secret'));
    const second = /id="new-secret">([A-Za-z0-9_-]{43})</.exec(fresh.html)?.[1];
    assert.ok(second && second !== secret);
    assert.equal(psql('SELECT jwt_secret FROM portal_sso WHERE portal_id = 1'), second);
    assert.equal(audited(freshMark, 'sso_jwt_secret').after, 'generated');
    const rows = JSON.stringify(auditSince(mark));
    assert.ok(!rows.includes(secret) && !rows.includes(second), 'the audit rows of both saves hold neither secret');
    // RS256 with a real public key is accepted
    const rs = await admin.submit(settingsPath('/sso'), { sso_method: 'jwt', jwt_login_url: 'https://app.example.test/login', jwt_alg: 'RS256', jwt_public_key: PUB });
    assert.equal(rs.status, 303);
    assert.equal(psql('SELECT jwt_alg FROM portal_sso WHERE portal_id = 1'), 'RS256');
  } finally {
    restore();
  }
});

test('SSO is switched on only when set up; then the password pages lead to the sign-on start', async () => {
  try {
    const notReady = await admin.submit(settingsPath('/access'), { access_mode: 'sso', sso_audience: 'all' });
    assert.equal(notReady.status, 422);
    assert.match(notReady.html, /Single sign-on is not ready/);
    assert.equal((await admin.submit(settingsPath('/sso'), SAML)).status, 303);
    const noList = await admin.submit(settingsPath('/access'), { access_mode: 'sso', sso_audience: 'lists' });
    assert.equal(noList.status, 422);
    assert.match(noList.html, /Choose at least one list/);
    const mark = auditMark();
    const on = await admin.submit(settingsPath('/access'), { access_mode: 'sso', sso_audience: 'all' });
    assert.equal(on.status, 303);
    assert.equal(psql('SELECT access_mode || sso_method || sso_audience FROM portals WHERE id = 1'), 'ssosamlall');
    assert.deepEqual(audited(mark, 'access_mode').after, { access_mode: 'sso' });
    await ssoOn(/^\/sso\/saml\/login\?next=%2Ftickets$/);
    const visitor = new Client();
    for (const p of ['/login', '/register', '/password-reset', '/login/link']) {
      const r = await visitor.get(p);
      assert.equal(r.status, 303, p);
      assert.match(r.headers.get('location'), /^\/sso\/saml\/login\?next=%2Ftickets$/, p);
    }
    const list = await visitor.get('/tickets/12?x=1');
    assert.equal(list.status, 303);
    assert.equal(list.headers.get('location'), '/sso/saml/login?next=%2Ftickets%2F12%3Fx%3D1');
    const start = await visitor.get('/sso/saml/login?next=%2Ftickets');
    assert.equal(start.status, 303);
    assert.match(start.headers.get('location'), /^https:\/\/idp\.example\.test\/sso\?SAMLRequest=[^&]+&RelayState=/);
    const post = await visitor.post('/login', { email: 'ada@example.com', password: 'demo-Portal-2026' });
    assert.equal(post.status, 303, 'a password login attempt goes to the identity provider');
    assert.match(post.headers.get('location'), /^\/sso\/saml\/login/);
    assert.ok(!visitor.jar.has('portal_session'));
    // the settings index says so
    assert.match((await admin.get(settingsPath())).html, /SAML 2\.0, on/);
  } finally {
    restore();
    await registrationOpen();
  }
  assert.equal((await new Client().get('/login')).status, 200, 'the login page is back');
  await loggedIn('ada@example.com');
});

test('JWT sign-on sends a visitor to the app with redirect_url on the portal', async () => {
  try {
    psql(`INSERT INTO portal_sso (portal_id, jwt_login_url, jwt_alg, jwt_secret) VALUES (1, 'https://app.example.test/login?x=1', 'HS256', 's3cret')`);
    psql(`UPDATE portals SET access_mode = 'sso', sso_method = 'jwt' WHERE id = 1`);
    await ssoOn(JWT_APP);
    const r = await new Client().get('/tickets');
    assert.equal(r.status, 303);
    const to = new URL(r.headers.get('location'));
    assert.equal(to.origin + to.pathname, 'https://app.example.test/login');
    assert.equal(to.searchParams.get('x'), '1');
    assert.equal(to.searchParams.get('redirect_url'), new URL('/tickets', BASE.replace('127.0.0.1', 'localhost')).href);
  } finally {
    restore();
    await registrationOpen();
  }
});

test('a sign-on token in the URL is not written to the access logs', async () => {
  try {
    psql(`INSERT INTO portal_sso (portal_id, jwt_login_url, jwt_alg, jwt_secret) VALUES (1, 'https://app.example.test/login', 'HS256', 's3cret')`);
    psql(`UPDATE portals SET access_mode = 'sso', sso_method = 'jwt' WHERE id = 1`);
    await ssoOn(JWT_APP);
    const marker = `eyJhbGciOiJIUzI1NiJ9.marker${Date.now()}.c2ln`;
    const nginxFile = path.join(VAR, 'log', 'nginx-access.log');
    const nginxFrom = readFileSync(nginxFile, 'utf8').length, portalFrom = logText().length;
    const mark = auditMark();
    const r = await new Client().get(`/sso/jwt?jwt=${marker}&redirect_url=%2Ftickets`);
    assert.equal(r.status, 403, 'a malformed token is refused');
    // nginx writes its line once the response is sent; the worker its access line after the body
    await waitFor(() => /"GET \/sso\/jwt HTTP\/1\.1" 403 /.test(readFileSync(nginxFile, 'utf8').slice(nginxFrom))
      && /access GET \/sso\/jwt 403 /.test(logText().slice(portalFrom)), { what: "both logs' lines for the refused request" });
    const nginxLog = readFileSync(nginxFile, 'utf8');
    assert.ok(!nginxLog.includes(marker) && !logText().includes(marker), 'the token is in neither log');
    const page = await admin.get(settingsPath('/sso'));
    const reason = oneAudit(mark, { action: 'sso_refused', actor_kind: 'anonymous', detail: { method: 'jwt' } }).detail.reason;
    assert.ok(reason.length > 0);
    assert.match(page.html, /Recent refused sign-ons/);
    assert.ok(page.html.includes(`<td>jwt</td><td>${reason.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')}</td>`),
      'the admin sees the exact reason');
  } finally {
    restore();
    await registrationOpen();
  }
});

test('one address cannot flood the table of open SAML requests', async () => {
  try {
    assert.equal((await admin.submit(settingsPath('/sso'), SAML)).status, 303);
    psql(`UPDATE portals SET access_mode = 'sso' WHERE id = 1`);
    await ssoOn();
    const visitor = new Client();
    assert.equal((await visitor.get('/sso/saml/login')).status, 303);
    const ip = psql(`SELECT host(ip) FROM sso_requests ORDER BY expires_at DESC LIMIT 1`);
    assert.match(ip, /^(127\.0\.0\.1|::1)$/, 'the request is stored with the client address');
    psql(`INSERT INTO sso_requests (id, portal_id, ip, expires_at)
          SELECT '_flood' || g, 1, '${ip}', now() + interval '10 minutes' FROM generate_series(1, 500) g`);
    const r = await visitor.get('/sso/saml/login');
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '600');
    psql(`UPDATE sso_requests SET expires_at = now() - interval '1 second' WHERE id LIKE '\\_flood%'`);
    assert.equal((await visitor.get('/sso/saml/login')).status, 303, 'expired requests do not count');
    assert.equal(psql(`SELECT count(*) FROM sso_requests WHERE id LIKE '\\_flood%'`), '0', 'and are cleared away');
  } finally {
    psql(`DELETE FROM sso_requests`);
    restore();
    await registrationOpen();
  }
});

test('first sign-ons of one new email at the same moment all succeed, with one contact', async () => {
  const { createHmac } = await import('node:crypto');
  const stamp = Date.now();
  const emails = [0, 1, 2].map((r) => `sso-race-${r}-${stamp}@example.net`);
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const token = (email, i) => {
    const t = Math.floor(Date.now() / 1000);
    const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ email, iat: t, exp: t + 120, jti: `race-${i}-${email}` })}`;
    return `${body}.${createHmac('sha256', 'race-secret').update(body).digest('base64url')}`;
  };
  try {
    psql(`INSERT INTO portal_sso (portal_id, jwt_login_url, jwt_alg, jwt_secret) VALUES (1, 'https://app.example.test/login', 'HS256', 'race-secret')`);
    psql(`UPDATE portals SET access_mode = 'sso', sso_method = 'jwt', sso_audience = 'all' WHERE id = 1`);
    await ssoOn(JWT_APP);
    for (const email of emails) {
      // four browsers, each having started its sign-on (the portal's redirect to the app)
      const clients = [0, 1, 2, 3].map(() => new Client());
      for (const c of clients) assert.equal((await c.get('/login')).status, 303);
      const rs = await Promise.all(clients.map((c, i) => c.get(`/sso/jwt?jwt=${token(email, i)}`)));
      assert.deepEqual(rs.map((r) => r.status), [303, 303, 303, 303], email);
      assert.equal(psql(`SELECT count(*) FROM contacts WHERE email = '${email}'`), '1');
    }
  } finally {
    psql(`DELETE FROM contacts WHERE email LIKE 'sso-race-%-${stamp}@example.net'`);
    restore();
    await registrationOpen();
  }
});

/* ---------------------------------------------------------------- certificates, logout URL, domains */

const mkCert = (name, days, subj) => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', String(days), '-subj', subj,
    '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.pem`)], { stdio: 'ignore' });
  return readFileSync(path.join(dir, `${name}.pem`), 'utf8');
};
const LONG = mkCert('long', 400, '/CN=idp-long.example.test');
const SOON = mkCert('soon', 10, '/O=Example Support/CN=idp-soon.example.test');
const bodyOf = (pem) => pem.replace(/-----[A-Z ]+-----|\s/g, '');
const utcMinute = (pem) => {
  const d = new Date(new X509Certificate(pem).validTo);
  return d.toISOString().replace('T', ' ').replace(/:\d\d\.\d{3}Z$/, ' UTC');
};
const certRows = (page) => [...page.matchAll(/<td class="cert-subject">([^<]*)<\/td><td class="cert-expires">([^<]*)(?:<strong class="warn cert-warning">([^<]*)<\/strong>)?<\/td><td><code class="cert-fingerprint">([^<]*)<\/code>/g)]
  .map((m) => ({ subject: m[1], expires: m[2].trim(), warning: m[3] || '', fingerprint: m[4] }));

test('a rollover bundle is saved; each certificate is listed with subject, expiry, fingerprint and a 30-day warning', async () => {
  try {
    const mark = auditMark();
    const r = await admin.submit(settingsPath('/sso'), { ...SAML, saml_idp_cert: LONG + SOON });
    assert.equal(r.status, 303);
    assert.equal(bodyOf(JSON.parse(ssoRow()).saml_idp_cert), bodyOf(LONG) + bodyOf(SOON), 'both certificates saved, in order');
    const page = await admin.get(settingsPath('/sso'));
    assert.match(page.html, /IdP signing certificate\(s\) — paste a second one during a rollover/);
    const rows = certRows(page.html);
    assert.equal(rows.length, 2, 'two certificates listed');
    assert.deepEqual(rows.map((x) => x.subject), ['CN=idp-long.example.test', 'CN=idp-soon.example.test,O=Example Support']);
    assert.deepEqual(rows.map((x) => x.expires), [utcMinute(LONG), utcMinute(SOON)]);
    assert.deepEqual(rows.map((x) => x.fingerprint), [new X509Certificate(LONG).fingerprint256, new X509Certificate(SOON).fingerprint256]);
    assert.deepEqual(rows.map((x) => x.warning), ['', 'expires in 10 days'], 'only the one made with -days 10 warns');
    assert.match(audited(mark, 'sso').after.saml_idp_cert_sha256, /^[0-9a-f]{64}$/);
  } finally {
    restore();
  }
});

test('the dashboard warns when a SAML certificate expires within 30 days, with a link to the SSO page', async () => {
  const warning = async () => /<p class="alert" id="sso-cert-warning">([^]*?)<\/p>/.exec((await admin.get('/admin')).html)?.[1] || '';
  try {
    assert.equal(await warning(), '', 'no SSO set up: no warning');
    assert.equal((await admin.submit(settingsPath('/sso'), { ...SAML, saml_idp_cert: LONG })).status, 303);
    assert.equal(await warning(), '', 'a certificate good for 400 days: no warning');
    assert.equal((await admin.submit(settingsPath('/sso'), { ...SAML, saml_idp_cert: LONG + SOON })).status, 303);
    const w = await warning();
    assert.match(w, /signing certificate of your SAML identity provider expires in 10 days/);
    assert.match(w, /<a href="\/admin\/portals\/\d+\/settings\/sso">/);
    const agentView = /id="sso-cert-warning">([^]*?)<\/p>/.exec((await agent.get('/admin')).html)?.[1] || '';
    assert.match(agentView, /expires in 10 days/, 'agents see it too');
    assert.doesNotMatch(agentView, /<a href/, 'without the link to a page they cannot open');
    psql(`UPDATE portals SET sso_method = 'jwt' WHERE id = 1`);
    assert.equal(await warning(), '', 'the certificate does not matter when the method is JWT');
  } finally {
    restore();
  }
});

test('imported metadata keeps every signing certificate it lists, and not its SingleLogoutService as the logout URL', async () => {
  const kd = (use, pem) => `<md:KeyDescriptor${use ? ` use="${use}"` : ''}><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>` +
    `<ds:X509Certificate>${bodyOf(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
  const md = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.test/ssp">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    ${kd('signing', SOON)}${kd('', LONG)}${kd('encryption', CERT)}${kd('signing', SOON)}
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/slo"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/redirect"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
  try {
    const r = await admin.submit(settingsPath('/sso'), { sso_method: 'saml', saml_metadata: md, jwt_alg: 'HS256' });
    assert.equal(r.status, 303);
    const row = JSON.parse(ssoRow());
    assert.equal(bodyOf(row.saml_idp_cert), bodyOf(SOON) + bodyOf(LONG), 'both signing certificates, once each, no encryption key');
    // a bare visit to the SLO endpoint (no LogoutRequest) is an error at the IdP: never taken
    assert.equal(row.logout_url, '');
    const page = await admin.get(settingsPath('/sso'));
    assert.equal(certRows(page.html).length, 2);
    assert.match(page.html, /id="logout_url" name="logout_url" type="url" maxlength="2048" value=""/);
  } finally {
    restore();
  }
});

test('a bad certificate bundle is refused with the form kept and a reason', async () => {
  const bad = async (cert, message) => {
    const r = await admin.submit(settingsPath('/sso'), { ...SAML, saml_idp_cert: cert, logout_url: 'https://idp.example.test/bye' });
    assert.equal(r.status, 422);
    assert.match(r.html, message);
    assert.ok(r.html.includes('value="https://idp.example.test/bye"'), 'the logout URL is kept');
    assert.ok(r.html.includes(cert.trim().split('\n')[1]), 'the pasted text is kept for correcting');
    assert.equal(ssoRow(), '', 'nothing saved');
  };
  const key = readFileSync(path.join(dir, 'soon.key'), 'utf8');
  await bad(LONG + key, /only PEM certificates/);
  await bad(LONG + LONG, /certificate 2 of 2: the same certificate is there twice/);
  await bad(LONG + SOON + CERT + mkCert('fourth', 30, '/CN=fourth') + mkCert('fifth', 30, '/CN=fifth'),
    /more than 4 certificates/);
});

test('the logout URL must be an http(s) URL; it is saved and audited for JWT too', async () => {
  const JWT = { sso_method: 'jwt', jwt_login_url: 'https://app.example.test/login', jwt_alg: 'RS256', jwt_public_key: PUB };
  try {
    for (const bad of ['javascript:alert(1)', 'ftp://app.example.test/out', 'https://app.example.test/out#x', '/logout', 'https://user@app.example.test/out']) {
      const r = await admin.submit(settingsPath('/sso'), { ...JWT, logout_url: bad });
      assert.equal(r.status, 422, bad);
      assert.match(r.html, /Enter the logout URL starting with https:\/\//);
      assert.match(r.html, /id="logout_url"[^>]* aria-invalid="true"/);
      assert.equal(ssoRow(), '', 'nothing saved');
    }
    let mark = auditMark();
    const ok = await admin.submit(settingsPath('/sso'), { ...JWT, logout_url: 'https://app.example.test/logout?from=portal' });
    assert.equal(ok.status, 303);
    assert.equal(JSON.parse(ssoRow()).logout_url, 'https://app.example.test/logout?from=portal');
    const a = audited(mark, 'sso');
    assert.deepEqual([a.before.logout_url, a.after.logout_url], ['', 'https://app.example.test/logout?from=portal']);
    // emptied again: allowed, and audited
    mark = auditMark();
    assert.equal((await admin.submit(settingsPath('/sso'), { ...JWT, logout_url: '' })).status, 303);
    assert.equal(JSON.parse(ssoRow()).logout_url, '');
    assert.deepEqual([audited(mark, 'sso').before.logout_url, audited(mark, 'sso').after.logout_url], ['https://app.example.test/logout?from=portal', '']);
  } finally {
    restore();
  }
});

test('the SSO page lists what the identity provider must do', async () => {
  const page = (await admin.get(settingsPath('/sso'))).html;
  const rules = /<ul id="idp-rules"[^>]*>([^]*?)<\/ul>/.exec(page)?.[1] || '';
  assert.match(rules, /RSA-SHA256/);
  assert.match(rules, /SHA-1 only if you tick the box/);
  assert.match(rules, /emailAddress/);
  for (const name of ['email', 'mail', 'urn:oid:0.9.2342.19200300.100.1.3', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'])
    assert.ok(rules.includes(`<code>${name}</code>`), name);
  assert.match(rules, /IdP-initiated, unsolicited\) are refused/);
  assert.match(rules, /encrypted assertions are not supported/);
  assert.match(page, /primary domain \(<code>localhost<\/code>/);
  assert.match(page, /<code>links<\/code> in the install's configuration \(<code>portal.json<\/code>\)/);
});

test('with SAML set up, the domains page shows the entity ID and ACS URL and warns when the primary domain changes', async () => {
  const host = `sp-move-${Date.now().toString(36)}.example.test`;
  const domainId = (h) => psql(`SELECT id FROM portal_domains WHERE host = '${h}'`);
  try {
    assert.doesNotMatch((await admin.get(settingsPath('/domains'))).html, /id="saml-note"/, 'no note without SAML');
    assert.equal((await admin.submit(settingsPath('/sso'), SAML)).status, 303);
    const before = (await admin.get(settingsPath('/domains'))).html;
    assert.match(before, /id="saml-note"/);
    assert.match(before, /entity ID <code>http:\/\/localhost(:\d+)?\/sso\/saml\/metadata<\/code> with the ACS URL <code>http:\/\/localhost(:\d+)?\/sso\/saml\/acs<\/code>/);
    assert.doesNotMatch(before, /id="saml-moved"/);
    assert.equal((await admin.submit(settingsPath('/domains'), { host, language: 'en' })).status, 303);
    const prim = await admin.submit(settingsPath('/domains'), {}, `${settingsPath()}/domains/${domainId(host)}/primary`);
    assert.equal(prim.status, 303);
    assert.match(prim.headers.get('location'), /[?&]sp=moved/);
    await everyWorker(async () => (await new Client().get('/sso/saml/metadata')).html.includes(`entityID="http://${host}`),
      'the SP metadata naming the new primary domain');
    const after = (await admin.get(prim.headers.get('location'))).html;
    const moved = /<div class="alert" role="alert" id="saml-moved">([^]*?)<\/div>/.exec(after)?.[1] || '';
    assert.match(moved, /Update them in your identity provider now/);
    assert.ok(moved.includes(`<code>http://${host}`) && moved.includes('/sso/saml/acs</code>'), 'the new values are shown');
    const md = await new Client().get('/sso/saml/metadata');
    assert.ok(md.html.includes(`entityID="http://${host}`), 'the SP metadata moved with it');
  } finally {
    psql(`UPDATE portal_domains SET is_primary = false WHERE portal_id = 1 AND host = '${host}';
          UPDATE portal_domains SET is_primary = true WHERE portal_id = 1 AND host = 'localhost';
          DELETE FROM portal_domains WHERE host = '${host}'`);
    restore();
    await everyWorker(async () => /entityID="http:\/\/localhost[:/]/.test((await new Client().get('/sso/saml/metadata')).html),
      'the SP metadata naming localhost again');
    await registrationOpen();
  }
});
