// https.test.mjs - a second private stack with HTTPS on (nginx/stack.sh with PORTAL_TLS_CERT and
// PORTAL_TLS_KEY, a certificate made here by openssl) and Chromium trusting exactly that key:
// plain HTTP only redirects, TLS 1.2+ with the modern suites only, HSTS on a host name and never
// on localhost or an IP, Secure __Host-/__Secure- cookies that a plain-named cookie cannot stand
// in for, and https links in mail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from '../lib/browser.mjs';
import { waitForMail } from '../lib/mail.mjs';
import { Client } from '../lib/client.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const STACK = path.join(ROOT, 'nginx', 'stack.sh');
const PASSWORD = 'demo-Portal-2026';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

/* A self-signed certificate and key (P-256) for localhost, portal.test and 127.0.0.1 in dir/name.*;
 * the base64 SHA-256 of its SubjectPublicKeyInfo, which Chromium is told to trust. */
function makeCert(dir, name) {
  const key = path.join(dir, `${name}.key`), cert = path.join(dir, `${name}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,DNS:portal.test,IP:127.0.0.1',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const spki = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-pubkey']);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: spki });
  const sha = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der });
  return { key, cert, spki: sha.toString('base64') };
}

let dir, env, cert, other, HTTP, HTTPS, ORIGIN;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'portal-https-'));
  chmodSync(dir, 0o755); // postgres and www-data reach PORTAL_VAR below it
  cert = makeCert(dir, 'portal');
  other = makeCert(dir, 'other');
  HTTP = await freePort();
  HTTPS = await freePort();
  ORIGIN = `https://localhost:${HTTPS}`;
  env = {
    ...process.env, PORTAL_VAR: path.join(dir, 'var'), PORTAL_CONFIG: path.join(dir, 'var', 'portal.json'),
    PORTAL_HTTP_PORT: String(HTTP), PORTAL_HTTPS_PORT: String(HTTPS), PORTAL_WORKERS: '1',
    PORTAL_TLS_CERT: cert.cert, PORTAL_TLS_KEY: cert.key,
    // PORTAL_SMTP_URL stays the suite's: this stack's mail lands in the same sink
  };
  const out = execFileSync(STACK, ['up'], { env, encoding: 'utf8' });
  assert.match(out, new RegExp(`Portal: +https://localhost:${HTTPS}/login`), 'up prints the https URL');
});

after(() => {
  if (!env) return;
  try { execFileSync(STACK, ['down'], { env, stdio: 'ignore' }); } finally { rmSync(dir, { recursive: true, force: true }); }
});

/* One request over HTTPS that trusts only the test's certificate: {status, headers, body}. */
function req(p, { host = 'localhost', headers = {}, method = 'GET', body } = {}) {
  return new Promise((resolve, reject) => {
    const r = https.request({ host: '127.0.0.1', servername: 'localhost', port: HTTPS, path: p, method,
      ca: readFileSync(cert.cert), headers: { host: `${host}:${HTTPS}`, ...headers } }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { b += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: b }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

/* A TLS handshake with these client options to port on 127.0.0.1: the protocol, or the error. */
function handshake(port, opts) {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: readFileSync(cert.cert), ...opts }, () => {
      const got = { protocol: s.getProtocol(), cipher: s.getCipher().name };
      s.end();
      resolve(got);
    });
    s.on('error', (e) => resolve({ error: e.message }));
  });
}

const trusted = () => launch([`--ignore-certificate-errors-spki-list=${cert.spki}`,
  '--host-resolver-rules=MAP portal.test 127.0.0.1']);

/* One plain HTTP request to the stack's HTTP port with this Host: {status, location}. */
function plainReq(p, host, method = 'GET') {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port: HTTP, path: p, method, headers: { host: `${host}:${HTTP}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, location: res.headers.location }));
    });
    r.on('error', reject);
    r.end(method === 'POST' ? 'email=x' : undefined);
  });
}

test('plain HTTP only redirects to the same host and path on HTTPS', async () => {
  for (const [host, p] of [['localhost', '/login?next=%2Ftickets'], ['portal.test', '/healthz'], ['127.0.0.1', '/static/x.css']]) {
    const r = await plainReq(p, host);
    assert.equal(r.status, 301, `${host}${p}`);
    assert.equal(r.location, `https://${host}:${HTTPS}${p}`);
  }
  const post = await plainReq('/login', 'localhost', 'POST');
  assert.equal(post.status, 301, 'a POST reaches no worker over plain HTTP either');
  assert.equal((await req('/healthz')).status, 200, 'the same stack serves on HTTPS');
});

test('TLS 1.2 and 1.3 with the modern suites; TLS 1.1 and a CBC suite refused', async () => {
  const t12 = await handshake(HTTPS, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  assert.equal(t12.protocol, 'TLSv1.2', JSON.stringify(t12));
  assert.match(t12.cipher, /^ECDHE-ECDSA-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
  assert.equal((await handshake(HTTPS, {})).protocol, 'TLSv1.3');
  // a TLS 1.1 client (OpenSSL's security level lowered so that it offers 1.1 at all) ...
  const old = { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' };
  const refused = await handshake(HTTPS, old);
  assert.ok(refused.error, 'the portal refuses TLS 1.1');
  // ... does speak TLS 1.1 to a server that allows it, so the refusal above is the portal's
  const control = tls.createServer({ key: readFileSync(other.key), cert: readFileSync(other.cert), minVersion: 'TLSv1.1',
    ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end());
  await new Promise((r) => control.listen(0, '127.0.0.1', r));
  try {
    const ok = await handshake(control.address().port, { ...old, ca: readFileSync(other.cert) });
    assert.equal(ok.protocol, 'TLSv1.1', `the control server speaks TLS 1.1 with this client: ${JSON.stringify(ok)}`);
  } finally { control.close(); }
  // an ECDHE suite with CBC and SHA-1 (nginx's default list takes it; Mozilla's intermediate does not)
  const cbc = await handshake(HTTPS, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA' });
  assert.ok(cbc.error, `ECDHE-ECDSA-AES128-SHA refused: ${JSON.stringify(cbc)}`);
});

test('HSTS on a host name, on pages and static files; never on localhost or an IP', async () => {
  const page = await req('/login', { host: 'portal.test' });
  assert.equal(page.status, 200);
  assert.equal(page.headers['strict-transport-security'], 'max-age=31536000');
  const css = /href="(\/static\/[0-9a-f]+\/[A-Za-z0-9._-]+\.css)"/.exec(page.body)[1];
  const asset = await req(css, { host: 'portal.test' });
  assert.equal(asset.status, 200);
  assert.match(asset.headers['cache-control'], /immutable/, 'the static location answered');
  assert.equal(asset.headers['strict-transport-security'], 'max-age=31536000', 'a static file carries HSTS too');
  const missing = await req('/no-such-page', { host: 'portal.test' });
  assert.equal(missing.status, 404);
  assert.equal(missing.headers['strict-transport-security'], 'max-age=31536000', 'an error answer too');
  for (const host of ['localhost', '127.0.0.1', '[::1]']) {
    for (const p of ['/login', css]) {
      const r = await req(p, { host });
      assert.equal(r.status, 200, `${host}${p}`);
      assert.equal(r.headers['strict-transport-security'], undefined, `no HSTS on ${host}${p}`);
    }
  }
});

test('Chromium trusts the test certificate\'s key and nothing else', async () => {
  const { browser, close } = await trusted();
  const bad = https.createServer({ key: readFileSync(other.key), cert: readFileSync(other.cert) }, (q, s) => s.end('hello'));
  await new Promise((r) => bad.listen(0, '127.0.0.1', r));
  try {
    const page = await browser.newPage();
    const ok = await page.goto(`${ORIGIN}/healthz`);
    assert.equal(ok.status(), 200, 'the portal\'s certificate is trusted');
    // the same names, self-signed too, another key: refused by the same browser
    // (on a page of its own: the error page it ends on may still be loading when the next goto starts)
    const refused = await browser.newPage();
    await assert.rejects(refused.goto(`https://localhost:${bad.address().port}/`), /ERR_CERT_AUTHORITY_INVALID/);
    const viaName = await page.goto(`https://portal.test:${HTTPS}/login`);
    assert.equal(viaName.status(), 200);
    assert.equal((await viaName.allHeaders())['strict-transport-security'], 'max-age=31536000');
    // http:// in the address bar ends on the https page
    await page.goto(`http://localhost:${HTTP}/login`);
    assert.equal(page.url(), `${ORIGIN}/login`);
  } finally {
    bad.close();
    await close();
  }
});

test('customer login over HTTPS: a Secure, HttpOnly, SameSite __Host-portal_session; no plain-named cookie', async () => {
  const { browser, close } = await trusted();
  try {
    const page = await browser.newPage();
    await page.goto(`${ORIGIN}/login`);
    await page.fill('#email', 'ada@example.com');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    assert.equal(page.url(), `${ORIGIN}/tickets`);
    const cookies = await page.context().cookies(ORIGIN);
    const s = cookies.find((c) => c.name === '__Host-portal_session');
    assert.ok(s, `cookies: ${cookies.map((c) => c.name)}`);
    assert.deepEqual([s.secure, s.httpOnly, s.sameSite, s.path, s.domain], [true, true, 'Lax', '/', 'localhost']);
    const pre = cookies.find((c) => c.name === '__Host-portal_pre');
    assert.ok(pre && pre.secure, 'the pre-session cookie is Secure and __Host- too');
    for (const c of cookies) {
      assert.ok(c.secure, `${c.name} is Secure`);
      assert.match(c.name, /^__Host-/, `${c.name} carries the prefix`);
    }
  } finally {
    await close();
  }
});

test('staff login over HTTPS: __Secure-portal_admin, Secure, Path=/admin', async () => {
  const { browser, close } = await trusted();
  try {
    const page = await browser.newPage();
    await page.goto(`${ORIGIN}/admin/login`);
    await page.fill('#email', 'admin@example.com');
    await page.fill('#password', PASSWORD);
    await page.click('main button[type=submit]');
    assert.equal(new URL(page.url()).pathname.startsWith('/admin/login'), false, `signed in: ${page.url()}`);
    const cookies = await page.context().cookies(`${ORIGIN}/admin/`);
    const s = cookies.find((c) => c.name === '__Secure-portal_admin');
    assert.ok(s, `cookies: ${cookies.map((c) => c.name)}`);
    assert.deepEqual([s.secure, s.httpOnly, s.sameSite, s.path], [true, true, 'Lax', '/admin']);
    assert.equal(cookies.find((c) => c.name === 'portal_admin'), undefined);
  } finally {
    await close();
  }
});

/* Log in over HTTPS with a form POST: the Set-Cookie headers of the 303. */
async function httpsLogin(loginPath, email) {
  const form = await req(loginPath);
  const pre = /(__Host-portal_pre=[^;]+)/.exec(form.headers['set-cookie'].join('\n'))[1];
  const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(form.body)[1];
  const r = await req(loginPath, { method: 'POST', headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, email, password: PASSWORD }).toString() });
  assert.equal(r.status, 303, `${loginPath} ${email}`);
  return r.headers['set-cookie'];
}

test('a cookie of the other scheme\'s name signs nobody in', async () => {
  const member = /__Host-portal_session=([^;]+); Path=\/; HttpOnly; SameSite=Lax; Secure/.exec(
    (await httpsLogin('/login', 'grace@example.com')).join('\n'));
  assert.ok(member, 'the exact Set-Cookie of the session');
  assert.equal((await req('/tickets', { headers: { cookie: `__Host-portal_session=${member[1]}` } })).status, 200);
  const plain = await req('/tickets', { headers: { cookie: `portal_session=${member[1]}` } });
  assert.notEqual(plain.status, 200, 'portal_session is not read over HTTPS');
  assert.match(plain.headers.location || '', /\/login/);

  const staff = /__Secure-portal_admin=([^;]+); Path=\/admin; HttpOnly; SameSite=Lax; Secure/.exec(
    (await httpsLogin('/admin/login', 'agent@example.com')).join('\n'));
  assert.ok(staff, 'the exact Set-Cookie of the staff session');
  assert.equal((await req('/admin/inbox', { headers: { cookie: `__Secure-portal_admin=${staff[1]}` } })).status, 200);
  const plainStaff = await req('/admin/inbox', { headers: { cookie: `portal_admin=${staff[1]}` } });
  assert.notEqual(plainStaff.status, 200, 'portal_admin is not read over HTTPS');
  assert.match(plainStaff.headers.location || '', /\/admin\/login/);

  // and the other way: on the suite's plain-HTTP stack a __Host- name is not its session cookie
  const c = new Client();
  const ok = await c.submit('/login', { email: 'linus@example.org', password: PASSWORD });
  assert.equal(ok.status, 303);
  const token = c.jar.get('portal_session');
  assert.ok(token);
  const base = process.env.PORTAL_URL;
  assert.equal((await fetch(`${base}/tickets`, { redirect: 'manual', headers: { cookie: `portal_session=${token}` } })).status, 200);
  const swapped = await fetch(`${base}/tickets`, { redirect: 'manual', headers: { cookie: `__Host-portal_session=${token}` } });
  assert.notEqual(swapped.status, 200, '__Host-portal_session is not read over plain HTTP');
});

test('links in mail use https and the HTTPS port', async () => {
  const form = await req('/login/link');
  const pre = /(__Host-portal_pre=[^;]+)/.exec(form.headers['set-cookie'].join('\n'))[1];
  const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(form.body)[1];
  const sent = await req('/login/link', { method: 'POST', headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, email: 'ada@example.com' }).toString() });
  assert.equal(sent.status, 200);
  const mail = await waitForMail('ada@example.com', (m) => (m.text || '').includes(`:${HTTPS}/login/link/`));
  const link = new RegExp(`(\\S+):${HTTPS}(/login/link/[A-Za-z0-9_-]+)`).exec(mail.text);
  assert.equal(link[1], 'https://localhost', 'the link\'s scheme and host');
  assert.doesNotMatch(mail.text, /http:\/\//, 'no plain http link in the mail');
  assert.equal((await req(link[2])).status, 200, 'the link opens its page over HTTPS');
});
