// api_kit.test.mjs - issue 16, the JSON API's common ground: the OpenAPI document, bearer tokens
// (made by the command line, stored hashed, revoked), problems (RFC 9457), rate limits, and the
// wall between the API and the pages (no cookie works on the API, no token on a page).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BASE, psql } from '../lib/stack.mjs';
import { loggedIn, staffLoggedIn } from '../lib/client.mjs';
import { Api, createToken, openapiDoc } from '../lib/api.mjs';

const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

test('the OpenAPI document is served without a token and is a valid OpenAPI 3.1 document', async () => {
  const res = await fetch(`${BASE}/api/v1/openapi.json`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const { doc } = await openapiDoc(); // throws when @readme/openapi-parser finds it invalid
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.paths['/token'].get);
});

test('a token from the command line is shown once, stored only as its SHA-256, and names itself', async () => {
  const name = `kit ${uniq()}`;
  const tok = createToken(name, ['tickets:read', 'contacts:read']);
  const hash = createHash('sha256').update(tok).digest('hex');
  assert.equal(psql(`SELECT count(*) FROM api_tokens WHERE token_sha256 = '${hash}' AND name = '${name}'`), '1');
  assert.equal(psql(`SELECT count(*) FROM api_tokens WHERE token_sha256 = '${tok}' OR prefix = '${tok}'`), '0');
  const r = await new Api(tok).get('/token');
  assert.equal(r.status, 200);
  assert.equal(r.body.name, name);
  assert.deepEqual(r.body.scopes, ['tickets:read', 'contacts:read']);
  assert.equal(r.body.inbox_ids, null);
  assert.equal(r.headers.get('ratelimit-limit'), '600');
  assert.equal(r.headers.get('ratelimit-remaining'), '599');
  assert.ok(Number(r.headers.get('ratelimit-reset')) >= 1 && Number(r.headers.get('ratelimit-reset')) <= 60);
  assert.notEqual(psql(`SELECT last_used_at IS NOT NULL FROM api_tokens WHERE token_sha256 = '${hash}'`), 'f');
});

test('no token, a malformed one, an unknown one and a revoked one: 401 problems with WWW-Authenticate', async () => {
  let r = await new Api(null).get('/token');
  assert.equal(r.status, 401);
  assert.match(r.headers.get('content-type'), /^application\/problem\+json/);
  assert.equal(r.body.type, 'urn:portal:problem:invalid-token');
  assert.equal(r.body.status, 401);
  assert.match(r.headers.get('www-authenticate'), /^Bearer realm="api"/);
  r = await new Api('not-a-token').get('/token');
  assert.equal(r.status, 401);
  r = await new Api(`ptk_${'A'.repeat(43)}`).get('/token');
  assert.equal(r.status, 401);
  assert.match(r.headers.get('www-authenticate'), /invalid_token/);
  const tok = createToken(`revoked ${uniq()}`, ['tickets:read']);
  assert.equal((await new Api(tok).get('/token')).status, 200);
  const hash = createHash('sha256').update(tok).digest('hex');
  psql(`UPDATE api_tokens SET revoked_at = now() WHERE token_sha256 = '${hash}'`);
  r = await new Api(tok).get('/token');
  assert.equal(r.status, 401);
  assert.equal(r.body.type, 'urn:portal:problem:invalid-token');
});

test('unknown paths and methods are problems too: 404 and 405 with Allow', async () => {
  const tok = createToken(`paths ${uniq()}`, ['tickets:read']);
  let r = await new Api(tok).get('/nothing-here');
  assert.equal(r.status, 404);
  assert.match(r.headers.get('content-type'), /^application\/problem\+json/);
  r = await new Api(tok).get('/../v2/token'.replace('/..', ''));
  assert.equal(r.status, 404);
  r = await new Api(tok).request('DELETE', '/token');
  assert.equal(r.status, 405);
  assert.match(r.headers.get('allow'), /GET/);
  const res = await fetch(`${BASE}/api/v2/token`, { headers: { authorization: `Bearer ${tok}` } });
  assert.equal(res.status, 404);
  assert.match(res.headers.get('content-type'), /problem\+json/);
});

test('over the rate limit: 429 with Retry-After, and the headers count down', async () => {
  const tok = createToken(`rate ${uniq()}`, ['tickets:read'], { rate: 3 });
  const api = new Api(tok);
  const seen = [];
  for (let i = 0; i < 3; i++) {
    const r = await api.get('/token');
    if (r.status === 429) break; // the minute turned over between two requests: counted anew
    seen.push(r.headers.get('ratelimit-remaining'));
  }
  const r = await api.get('/token');
  if (seen.length === 3) {
    assert.deepEqual(seen, ['2', '1', '0']);
    assert.equal(r.status, 429);
    assert.equal(r.body.type, 'urn:portal:problem:rate-limited');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    assert.equal(r.headers.get('ratelimit-remaining'), '0');
  }
});

test('a cookie never works on the API, and a token never works on a page', async () => {
  const staff = await staffLoggedIn();
  const cust = await loggedIn('ada@example.com');
  for (const c of [staff, cust]) {
    const res = await fetch(`${BASE}/api/v1/token`, { headers: { cookie: c.cookieHeader() } });
    assert.equal(res.status, 401);
  }
  const tok = createToken(`pages ${uniq()}`, ['tickets:read', 'tickets:write', 'contacts:read']);
  for (const p of ['/tickets', '/account', '/admin', '/admin/contacts']) {
    const res = await fetch(`${BASE}${p}`, { headers: { authorization: `Bearer ${tok}` }, redirect: 'manual' });
    assert.equal(res.status, 303, p);
    assert.match(res.headers.get('location'), /login/, p);
  }
});

test('a body over the size limit gets a problem document from the API, the HTML page elsewhere', async () => {
  const tok = createToken(`big ${uniq()}`, ['tickets:write']);
  const big = Buffer.alloc(26 * 1024 * 1024, 'a');
  let res = await fetch(`${BASE}/api/v1/tickets`, {
    method: 'POST', body: big, headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
  });
  assert.equal(res.status, 413);
  assert.match(res.headers.get('content-type'), /^application\/problem\+json/);
  assert.equal((await res.json()).type, 'urn:portal:problem:payload-too-large');
  res = await fetch(`${BASE}/login`, { method: 'POST', body: big, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(res.status, 413);
  assert.match(res.headers.get('content-type'), /^text\/html/);
});

test('a malformed request to the API is a 400 problem document, not a crash', async () => {
  const { rawRequest } = await import('../lib/stack.mjs');
  const tok = createToken(`raw ${uniq()}`, ['tickets:read']);
  const r = await rawRequest(`GET /api/v1/token?x=%G1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${tok}\r\nConnection: close\r\n\r\n`);
  assert.equal(r.status, 400);
  assert.match(r.headers['content-type'] || '', /^application\/problem\+json/);
  assert.equal((await new Api(tok).get('/token')).status, 200);
});

test('an Idempotency-Key answer holding a secret is kept sealed, and its replay gives the same secret', async () => {
  const tok = createToken(`sealed ${uniq()}`, ['webhooks:write']);
  const api = new Api(tok);
  const key = `k-${uniq()}`;
  const body = { url: `http://127.0.0.1:9/${uniq()}`, events: ['ticket.created'] };
  const a = await api.post('/webhooks', body, { headers: { 'idempotency-key': key } });
  assert.equal(a.status, 201);
  assert.match(a.body.secret, /^whsec_/);
  const b = await api.post('/webhooks', body, { headers: { 'idempotency-key': key } });
  assert.equal(b.status, 201);
  assert.equal(b.headers.get('idempotent-replayed'), 'true');
  assert.equal(b.body.secret, a.body.secret);
  assert.equal(b.body.id, a.body.id);
  const stored = psql(`SELECT body FROM api_idempotency WHERE key = '${key}'`);
  assert.match(stored, /^sealed:/);
  assert.ok(!stored.includes(a.body.secret));
  await api.delete(`/webhooks/${a.body.id}`);
});

test('numbers PostgreSQL cannot take are a 400, and a token name of 100 multibyte characters writes fine', async () => {
  const tok = createToken(`a${'é'.repeat(99)}`, ['contacts:write', 'contacts:read']);
  const api = new Api(tok);
  for (const raw of ['{"email":"nan@example.com","properties":{"a":NaN}}', '{"email":"inf@example.com","properties":{"a":1.5e999}}',
    '{"email":"inf2@example.com","first_name":"x","properties":{"a":[-Infinity]}}']) {
    const r = await api.request('POST', '/contacts', { body: raw, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 400, raw);
    assert.equal(r.body.type, 'urn:portal:problem:bad-request');
  }
  const me = await api.get('/token');
  assert.equal(me.body.name, `a${'é'.repeat(99)}`);
  const email = `mb-${uniq()}@example.com`;
  const r = await api.post('/contacts', { email });
  assert.equal(r.status, 201);
  assert.equal(psql(`SELECT detail->>'token' FROM audit_log WHERE action = 'api_contact_create' AND detail->>'token' LIKE 'a%' ORDER BY id DESC LIMIT 1`), `a${'é'.repeat(99)}`);
});

test('a cursor that is not one the API gave is a 400 on every list', async () => {
  const tok = createToken(`cursor ${uniq()}`, ['tickets:read', 'contacts:read', 'webhooks:write']);
  const api = new Api(tok);
  const bad = Buffer.from('x1\n').toString('base64url');
  const ticket = psql('SELECT min(id) FROM tickets');
  for (const p of ['/tickets', '/contacts', '/companies', '/webhooks', `/tickets/${ticket}/messages`]) {
    const r = await api.get(`${p}?cursor=${bad}`);
    assert.equal(r.status, 400, p);
    assert.equal(r.body.type, 'urn:portal:problem:bad-request', p);
  }
});
