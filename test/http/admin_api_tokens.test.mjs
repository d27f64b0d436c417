// admin_api_tokens.test.mjs - issue 16, the console's API tokens page: an admin creates a token
// (shown once, on a no-store page whose URL does not carry it), it works on the API, the list
// shows its last use, revoking it refuses it at once (401), agents may not enter, a bad form keeps
// its input, and the audit rows never hold the token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staffLoggedIn, csrfOf } from '../lib/client.mjs';
import { psql } from '../lib/stack.mjs';
import { Api } from '../lib/api.mjs';
import { auditMark, oneAudit, staffId } from '../lib/audit.mjs';

const admin = await staffLoggedIn();
const agent = await staffLoggedIn('agent@example.com');
const u = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const ADMIN = staffId('admin@example.com');

/* POST the create form with repeated scope / inbox fields. */
async function create(fields) {
  const page = await admin.get('/admin/api-tokens');
  assert.equal(page.status, 200);
  const pairs = [['csrf', csrfOf(page.html)]];
  for (const [k, v] of Object.entries(fields)) for (const one of [].concat(v)) pairs.push([k, one]);
  return admin.request('/admin/api-tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(pairs).toString(),
  });
}

test('an admin creates a token: shown once, no-store, it works on the API, last use listed, revoke -> 401 at once', async () => {
  const name = `Billing ${u}`;
  const mark = auditMark();
  const r = await create({ name, scope: ['contacts:read', 'tickets:read'], inbox: '1', rate_limit: '120' });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('cache-control'), /no-store/);
  assert.match(r.html, /it will not be shown again/);
  const tok = /value="(ptk_[A-Za-z0-9_-]{43})"/.exec(r.html)?.[1];
  assert.ok(tok, 'the token is on the page');
  const row = JSON.parse(psql(`SELECT row_to_json(t) FROM (SELECT id, prefix, scopes, inbox_ids, rate_limit, created_by FROM api_tokens WHERE name = '${name}') t`));
  assert.equal(row.prefix, tok.slice(0, 12));
  assert.deepEqual(row.scopes, ['tickets:read', 'contacts:read']);
  assert.deepEqual(row.inbox_ids, [1]);
  assert.equal(row.rate_limit, 120);
  assert.equal(row.created_by, ADMIN);
  const a = oneAudit(mark, { action: 'api_token_create', actor_kind: 'staff', actor_id: ADMIN });
  assert.equal(a.detail.after.name, name);
  assert.equal(a.detail.after.id, row.id);
  assert.deepEqual(a.detail.after.inbox_ids, [1]);
  assert.doesNotMatch(JSON.stringify(a.detail), new RegExp(tok.slice(12)));

  // the list: shown by its prefix only, never used yet
  let list = await admin.get('/admin/api-tokens');
  assert.ok(!list.html.includes(tok), 'the list never shows the token');
  const rowHtml = () => list.html.split('<tr>').find((t) => t.includes(name)) || '';
  assert.match(rowHtml(), new RegExp(`${tok.slice(0, 12)}…`));
  assert.match(rowHtml(), /never/);
  assert.match(rowHtml(), /120 a minute/);

  // it works on the API and names itself; the list then shows a last use
  const api = new Api(tok);
  const self = await api.get('/token');
  assert.equal(self.status, 200);
  assert.equal(self.body.name, name);
  assert.deepEqual(self.body.inbox_ids, [1]);
  assert.equal((await api.get('/contacts/1')).status, 200);
  list = await admin.get('/admin/api-tokens');
  assert.doesNotMatch(rowHtml(), /never/);
  assert.match(rowHtml(), /\d{4}-\d\d-\d\d \d\d:\d\d/);

  // revoke: a confirmation page, then POST with CSRF; the token is refused at once
  const confirm = await admin.get(`/admin/api-tokens/${row.id}/revoke`);
  assert.equal(confirm.status, 200);
  assert.match(confirm.html, /stops working at once/);
  const noCsrf = await admin.post(`/admin/api-tokens/${row.id}/revoke`, {});
  assert.equal(noCsrf.status, 403);
  assert.equal((await api.get('/token')).status, 200);
  const rmark = auditMark();
  const rv = await admin.post(`/admin/api-tokens/${row.id}/revoke`, { csrf: csrfOf(confirm.html) });
  assert.equal(rv.status, 303);
  assert.equal(rv.headers.get('location'), '/admin/api-tokens?revoked=1');
  const after = await api.get('/token');
  assert.equal(after.status, 401);
  assert.equal(after.body.type, 'urn:portal:problem:invalid-token');
  const ra = oneAudit(rmark, { action: 'api_token_revoke', actor_kind: 'staff', actor_id: ADMIN });
  assert.equal(ra.detail.after.id, row.id);
  assert.doesNotMatch(JSON.stringify(ra.detail), new RegExp(tok.slice(12)));
  list = await admin.get('/admin/api-tokens?revoked=1');
  assert.match(list.html, /Token revoked/);
  assert.match(rowHtml(), /revoked/);
  // no audit row ever holds a token
  assert.equal(psql(`SELECT count(*) FROM audit_log WHERE detail::text LIKE '%${tok.slice(4)}%'`), '0');
  assert.equal(psql(`SELECT count(*) FROM audit_log WHERE detail::text LIKE '%${tok}%'`), '0');
});

test('a token with every inbox and the default rate', async () => {
  const name = `Default ${u}`;
  const r = await create({ name, scope: 'contacts:write', rate_limit: '' });
  assert.equal(r.status, 200);
  assert.equal(psql(`SELECT rate_limit || ' ' || (inbox_ids IS NULL) FROM api_tokens WHERE name = '${name}'`), '600 true');
});

test('validation: empty name, no scope, an unknown inbox, bad rate come back 422 with the input kept, nothing created', async () => {
  const before = psql('SELECT count(*) FROM api_tokens');
  let r = await create({ name: '   ', scope: ['tickets:write'], inbox: '1', rate_limit: '50' });
  assert.equal(r.status, 422);
  assert.match(r.html, /Give the token a name/);
  assert.match(r.html, /value="tickets:write" checked/);
  assert.match(r.html, /id="inbox-1" name="inbox" type="checkbox" value="1" checked/);
  assert.match(r.html, /name="rate_limit"[^>]*value="50"/);
  r = await create({ name: `Kept ${u}`, rate_limit: '0' });
  assert.equal(r.status, 422);
  assert.match(r.html, /Choose at least one scope/);
  assert.match(r.html, /whole number from 1 to 1000000/);
  assert.match(r.html, new RegExp(`value="Kept ${u}"`));
  assert.match(r.html, /name="rate_limit"[^>]*value="0"/);
  r = await create({ name: `Gone ${u}`, scope: 'tickets:read', inbox: ['1', '999999999'] });
  assert.equal(r.status, 422);
  assert.match(r.html, /One of the chosen inboxes does not exist any more/);
  r = await create({ name: `Bad ${u}`, scope: 'admin:all', rate_limit: 'lots' });
  assert.equal(r.status, 422);
  assert.match(r.html, /Choose scopes from the list/);
  assert.equal(psql('SELECT count(*) FROM api_tokens'), before);
  assert.ok(!/ptk_[A-Za-z0-9_-]{43}/.test(r.html));
});

test('agents may not see or use the page; unknown tokens are 404', async () => {
  assert.equal((await agent.get('/admin/api-tokens')).status, 403);
  const page = await agent.get('/admin');
  assert.doesNotMatch(page.html, /href="\/admin\/api-tokens"/);
  const r = await agent.post('/admin/api-tokens', { csrf: csrfOf(page.html), name: 'x', scope: 'tickets:read' });
  assert.equal(r.status, 403);
  assert.equal((await admin.get('/admin/api-tokens/999999999/revoke')).status, 404);
  assert.match((await admin.get('/admin')).html, /href="\/admin\/api-tokens"/);
});
