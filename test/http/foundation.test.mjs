// foundation.test.mjs - the skeleton seen from outside: health, login page, assets, errors, languages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get, psql, rawRequest, logText } from '../lib/stack.mjs';
import { everyWorker, waitFor } from '../lib/wait.mjs';

test('healthz answers 200 ok when the database answers', async () => {
  const r = await get('/healthz');
  assert.equal(r.status, 200);
  assert.equal(await r.text(), 'ok\n');
});

test('login page renders through the layout with title, form and security headers', async () => {
  const r = await get('/login');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html; charset=utf-8/);
  const csp = r.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('cache-control'), 'no-store');
  const html = await r.text();
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<html lang="en">/);
  assert.match(html, /<title>Log in · Acme Support<\/title>/);
  assert.match(html, /<form method="post" action="\/login"/);
  assert.match(html, /name="email"/);
  assert.match(html, /name="password"/);
  assert.match(html, /Register here/, 'self-registration is on in the demo portal');
  assert.match(html, /href="https:\/\/example.com\/kb">Knowledge base</, 'navigation items come from the portal settings');
  assert.match(html, /<link rel="stylesheet" href="\/static\/[0-9a-f]{16}\/portal.css">/);
});

test('the login page keeps only a same-site next path', async () => {
  let html = await (await get('/login?next=%2Ftickets%2F12')).text();
  assert.match(html, /name="next" value="\/tickets\/12"/);
  html = await (await get('/login?next=%2F%2Fevil.example%2F')).text();
  assert.doesNotMatch(html, /evil\.example/);
  html = await (await get('/login?next=https%3A%2F%2Fevil.example%2F')).text();
  assert.doesNotMatch(html, /evil\.example/);
});

test('the theme stylesheet is served by nginx under a versioned URL with long cache headers', async () => {
  const html = await (await get('/login')).text();
  const href = html.match(/href="(\/static\/[0-9a-f]{16}\/portal.css)"/)[1];
  const r = await get(href);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/css/);
  assert.match(r.headers.get('cache-control'), /max-age=31536000/);
  assert.match(r.headers.get('cache-control'), /immutable/);
  assert.match(await r.text(), /--brand:/);
  assert.equal((await get('/static/portal.css')).status, 404, 'unversioned URLs are not served');
  assert.equal((await get('/static/0123456789abcdef/..%2Fportal.mustache')).status, 404);
});

test('an unknown path gets the 404 page in the layout', async () => {
  const r = await get('/no/such/page');
  assert.equal(r.status, 404);
  const html = await r.text();
  assert.match(html, /Page not found/);
  assert.match(html, /<a class="btn secondary" href="\/">/, 'the error page offers a way back');
});

test('a known path with the wrong method gets 405 with Allow', async () => {
  const r = await get('/healthz', { method: 'DELETE' });
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'GET, HEAD');
});

test('HEAD answers like GET without a body', async () => {
  const r = await rawRequest('HEAD /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  assert.equal(r.status, 200);
  assert.equal(r.body, '');
  const g = await rawRequest('GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  assert.equal(r.headers['content-length'], g.headers['content-length']);
  assert.equal(Number(r.headers['content-length']), Buffer.byteLength(g.body));
});

test('malformed requests get 400 and a clean log line, and the worker lives on', async () => {
  const marker = `bad${Date.now()}`;
  const from = logText().length;
  for (const target of [`/login?${marker}=%zz`, `/login%01${marker}`, `/x%FF${marker}`, `/login?a=%C0%AF&${marker}=1`]) {
    const r = await rawRequest(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    assert.equal(r.status, 400, target);
    assert.match(r.body, /Bad request/, 'the portal answers with its own error page');
  }
  // nginx itself refuses a NUL in the path before it reaches a worker
  assert.equal((await rawRequest('GET /login%00 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')).status, 400);
  const form = await get('/login', {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=%E0%80',
  });
  assert.equal(form.status, 400);
  // the five refusals that reached a worker (nginx itself refused the NUL), each a log line
  await waitFor(() => (logText().slice(from).match(/refused request: 400 /g) || []).length >= 5,
    { what: 'five "refused request: 400" lines in the portal log' });
  const log = logText();
  assert.doesNotMatch(log, new RegExp(marker), 'request bytes are not echoed into the log reason');
  assert.equal((await get('/healthz')).status, 200);
});

test('a body over the limit gets 413', async () => {
  const big = 'a='.padEnd(26 * 1024 * 1024, 'x');
  const r = await get('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: big });
  assert.equal(r.status, 413);
});

test('every request is logged with method, path, status and microseconds', async () => {
  const from = logText().length;
  await get('/healthz?logcheck=1');
  // the worker writes its access line once the answer is out
  await waitFor(() => /access GET \/healthz 200 \d+us/.test(logText().slice(from)), { what: 'the access line of the request' });
});

test('the portal speaks the language of the domain the request came in on', async () => {
  psql("INSERT INTO portal_domains (portal_id, host, language, is_primary) SELECT id, 'sv.localtest', 'sv', false FROM portals WHERE is_default ON CONFLICT DO NOTHING; NOTIFY portal_settings;");
  const svLogin = () => rawRequest('GET /login HTTP/1.1\r\nHost: sv.localtest:8080\r\nConnection: close\r\n\r\n');
  await everyWorker(async () => /<html lang="sv">/.test((await svLogin()).body), 'the login page in Swedish on sv.localtest');
  try {
    for (let i = 0; i < 4; i++) { // both workers
      const r = await svLogin();
      assert.equal(r.status, 200);
      assert.match(r.body, /<html lang="sv">/);
      assert.match(r.body, /Logga in/);
      assert.match(r.body, /Registrera dig här/);
    }
    const en = await rawRequest('GET /login HTTP/1.1\r\nHost: unknown.example\r\nConnection: close\r\n\r\n');
    assert.match(en.body, /<html lang="en">/, 'an unknown host gets the default portal in its primary language');
  } finally {
    psql("DELETE FROM portal_domains WHERE host = 'sv.localtest'; NOTIFY portal_settings;");
  }
});

test('the root redirects to the login page', async () => {
  const r = await get('/');
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/login');
});
