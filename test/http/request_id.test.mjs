// request_id.test.mjs - the ID nginx gives each request comes back as X-Request-Id, is shown on
// error pages (so a customer can quote it) and is the one in the logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { VAR, get } from '../lib/stack.mjs';
import { waitFor } from '../lib/wait.mjs';

const ID = /^[0-9a-f]{32}$/;

test('every answer of the workers carries X-Request-Id, a new one each time', async () => {
  const a = await get('/healthz'), b = await get('/login');
  assert.match(a.headers.get('x-request-id') || '', ID);
  assert.match(b.headers.get('x-request-id') || '', ID);
  assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
  const c = await get('/static/0/portal.css'); // a theme asset nginx serves itself
  assert.equal(c.status, 200);
  assert.match(c.headers.get('x-request-id') || '', ID, 'nginx answers carry it too');
});

test("the portal's and the console's error pages show the request's ID, and the logs hold it", async () => {
  const r = await get('/no-such-page-here');
  assert.equal(r.status, 404);
  const id = r.headers.get('x-request-id');
  assert.match(id, ID);
  const html = await r.text();
  assert.ok(html.includes(`<code>${id}</code>`), 'the 404 page shows the ID');
  assert.match(html, /Request ID \(quote it if you contact us\):/);

  const admin = await get('/admin/no-such-page'); // the console's 404 (no login needed to get one)
  assert.equal(admin.status, 404);
  assert.ok((await admin.text()).includes(`<code>${admin.headers.get('x-request-id')}</code>`), 'the console 404 shows the ID');

  const bad = await get('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=x&email=a' });
  assert.equal(bad.status, 403);
  const badId = bad.headers.get('x-request-id');
  assert.ok((await bad.text()).includes(`<code>${badId}</code>`), 'the 403 page shows the ID');

  // the worker's log line and nginx's access log line of that request name the same ID
  await waitFor(() => readFileSync(path.join(VAR, 'log', 'nginx-access.log'), 'utf8').includes(` ${id} `),
    { timeout: 5000, what: 'the access log line (flushed each second)' });
  assert.match(readFileSync(path.join(VAR, 'log', 'portal.log'), 'utf8'), new RegExp(` ${id} access GET /no-such-page-here 404 `));
});

test('an API problem names the same ID as its header', async () => {
  const r = await get('/api/v1/tickets');
  assert.equal(r.status, 401);
  const p = await r.json();
  assert.equal(p.instance, `urn:portal:request:${r.headers.get('x-request-id')}`);
});
