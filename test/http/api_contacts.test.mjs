// api_contacts.test.mjs - issue 16, the JSON API's contacts and companies: list by email and by
// cursor, get, create (201 + Location), a duplicate email (409), update (properties merged),
// validation (422 with errors[].field), scopes (403), companies, unknown ids (404), and the audit
// rows of every write. Every request goes through Api, which checks each answer against the
// served OpenAPI document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { psql } from '../lib/stack.mjs';
import { Api, createToken } from '../lib/api.mjs';
import { auditMark, oneAudit } from '../lib/audit.mjs';

const u = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const rw = new Api(createToken(`crm rw ${u}`, ['contacts:read', 'contacts:write']));
const ro = new Api(createToken(`crm ro ${u}`, ['contacts:read']));

test('list by email finds the one contact, ignoring case; an unknown email is an empty page', async () => {
  let r = await ro.get('/contacts?email=ADA%40Example.com');
  assert.equal(r.status, 200);
  assert.equal(r.body.data.length, 1);
  assert.equal(r.body.data[0].email, 'ada@example.com');
  assert.equal(r.body.data[0].first_name, 'Ada');
  assert.equal(r.body.data[0].company_id, 1);
  assert.equal(r.body.data[0].properties.job_title, 'Head of Engineering');
  assert.equal(r.body.next_cursor, null);
  r = await ro.get(`/contacts?email=nobody-${u}%40example.com`);
  assert.deepEqual(r.body, { data: [], next_cursor: null });
});

test('cursor paging walks every contact once, in id order; a bad cursor or limit is 400', async () => {
  const total = Number(psql('SELECT count(*) FROM contacts'));
  const seen = [];
  let cursor = null;
  for (let i = 0; i < 200; i++) {
    const r = await ro.get(`/contacts?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200);
    assert.ok(r.body.data.length <= 7);
    seen.push(...r.body.data.map((c) => c.id));
    cursor = r.body.next_cursor;
    if (!cursor) break;
  }
  assert.ok(seen.length >= total); // others may add contacts meanwhile
  assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
  assert.equal(new Set(seen).size, seen.length);
  const byCompany = await ro.get('/contacts?company_id=3&limit=100');
  assert.equal(byCompany.body.data.length, Number(psql('SELECT count(*) FROM contacts WHERE primary_company_id = 3')));
  assert.ok(byCompany.body.data.length >= 5);
  assert.ok(byCompany.body.data.every((c) => c.company_id === 3));
  assert.equal((await ro.get('/contacts?cursor=bm90LWEtY3Vyc29y')).status, 400);
  assert.equal((await ro.get('/contacts?limit=0')).status, 400);
  assert.equal((await ro.get('/contacts?company_id=x')).status, 400);
});

test('get one contact, and 404 for an unknown id', async () => {
  let r = await ro.get('/contacts/3');
  assert.equal(r.status, 200);
  assert.equal(r.body.id, 3);
  assert.equal(r.body.email, 'linus@example.org');
  assert.match(r.body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  r = await ro.get('/contacts/999999999');
  assert.equal(r.status, 404);
  assert.equal(r.body.type, 'urn:portal:problem:not-found');
});

test('create: 201 with Location and the contact; audited; a duplicate email (any case) is 409 naming it', async () => {
  const email = `api-new-${u}@Example.NET`;
  const mark = auditMark();
  const r = await rw.post('/contacts', {
    email, first_name: '  Nia ', last_name: 'Api', company_id: 2, properties: { job_title: 'Buyer', gone: null },
  });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get('location'), `/api/v1/contacts/${r.body.id}`);
  assert.equal(r.body.email, `api-new-${u}@example.net`); // the domain lower-cased, as the console does
  assert.equal(r.body.first_name, 'Nia');
  assert.equal(r.body.company_id, 2);
  assert.deepEqual(r.body.properties, { job_title: 'Buyer' });
  const row = oneAudit(mark, { action: 'api_contact_create', actor_kind: 'api_token' });
  assert.equal(row.detail.contact_id, r.body.id);
  assert.equal(row.detail.token, `crm rw ${u}`);
  assert.equal(row.detail.after.email, `api-new-${u}@example.net`);
  const again = await rw.get(`/contacts/${r.body.id}`);
  assert.deepEqual(again.body, r.body);

  const dup = await rw.post('/contacts', { email: `API-NEW-${u}@example.net` });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.type, 'urn:portal:problem:conflict');
  assert.match(dup.body.detail, new RegExp(`\\b${r.body.id}\\b`));
  assert.equal(psql(`SELECT count(*) FROM contacts WHERE lower(email) = lower('api-new-${u}@example.net')`), '1');
});

test('update: fields left out stay, properties are merged (null removes), audited with before and after', async () => {
  const c = await rw.post('/contacts', { email: `api-upd-${u}@example.net`, first_name: 'Old', properties: { a: '1', b: '2' } });
  assert.equal(c.status, 201);
  const mark = auditMark();
  const r = await rw.patch(`/contacts/${c.body.id}`, { last_name: 'Newname', properties: { b: null, c: '3' }, company_id: 1 });
  assert.equal(r.status, 200);
  assert.equal(r.body.first_name, 'Old');
  assert.equal(r.body.last_name, 'Newname');
  assert.equal(r.body.company_id, 1);
  assert.deepEqual(r.body.properties, { a: '1', c: '3' });
  const row = oneAudit(mark, { action: 'api_contact_update', actor_kind: 'api_token' });
  assert.equal(row.detail.before.last_name, '');
  assert.equal(row.detail.after.last_name, 'Newname');
  assert.deepEqual(row.detail.after.properties, { a: '1', c: '3' });
  // company_id null removes it; nothing else changes
  const r2 = await rw.patch(`/contacts/${c.body.id}`, { company_id: null });
  assert.equal(r2.body.company_id, null);
  // a no-op writes no audit row
  const m2 = auditMark();
  assert.equal((await rw.patch(`/contacts/${c.body.id}`, {})).status, 200);
  assert.equal(Number(psql(`SELECT count(*) FROM audit_log WHERE id > ${m2} AND action = 'api_contact_update'`)), 0);
  // another contact's email is 409; an unknown id 404
  const taken = await rw.patch(`/contacts/${c.body.id}`, { email: 'Ada@example.com' });
  assert.equal(taken.status, 409);
  assert.match(taken.body.detail, /\b1\b/);
  assert.equal((await rw.patch('/contacts/999999999', { first_name: 'X' })).status, 404);
});

test('validation: 422 with errors[].field for each bad member, nothing written', async () => {
  const before = psql('SELECT count(*) FROM contacts');
  let r = await rw.post('/contacts', { first_name: 'No email' });
  assert.equal(r.status, 422);
  assert.equal(r.body.type, 'urn:portal:problem:validation');
  assert.deepEqual(r.body.errors.map((e) => e.field), ['email']);
  r = await rw.post('/contacts', {
    email: 'not an email', first_name: 'x'.repeat(201), company_id: 999999999,
    properties: { 'Bad-Key': 'v', long: 'y'.repeat(501), num: 5 }, nickname: 'z',
  });
  assert.equal(r.status, 422);
  const fields = r.body.errors.map((e) => e.field).sort();
  assert.deepEqual(fields, ['company_id', 'email', 'first_name', 'nickname', 'properties.Bad-Key', 'properties.long', 'properties.num'].sort());
  r = await rw.post('/contacts', { email: `api-bad-${u}@example.net`, properties: 'job: x' });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.errors.map((e) => e.field), ['properties']);
  const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
  r = await rw.post('/contacts', { email: `api-many-${u}@example.net`, properties: many });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.errors.map((e) => e.field), ['properties']);
  r = await rw.request('POST', '/contacts', { body: 'email=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(r.status, 415);
  r = await rw.patch('/contacts/3', { email: null });
  assert.equal(r.status, 422);
  assert.equal(psql('SELECT count(*) FROM contacts'), before);
});

test('scopes: contacts:write for POST and PATCH, contacts:read for GET; a tickets-only token is refused', async () => {
  let r = await ro.post('/contacts', { email: `api-ro-${u}@example.net` });
  assert.equal(r.status, 403);
  assert.equal(r.body.type, 'urn:portal:problem:insufficient-scope');
  assert.match(r.body.detail, /contacts:write/);
  assert.equal((await ro.patch('/contacts/3', { first_name: 'X' })).status, 403);
  const writeOnly = new Api(createToken(`crm wo ${u}`, ['contacts:write']));
  r = await writeOnly.get('/contacts/3');
  assert.equal(r.status, 403);
  assert.match(r.body.detail, /contacts:read/);
  const tickets = new Api(createToken(`crm tickets ${u}`, ['tickets:read', 'tickets:write']));
  for (const p of ['/contacts', '/contacts/3', '/companies', '/companies/1']) assert.equal((await tickets.get(p)).status, 403, p);
  assert.equal((await tickets.post('/contacts', { email: `api-t-${u}@example.net` })).status, 403);
  assert.equal(psql(`SELECT count(*) FROM contacts WHERE email LIKE 'api-ro-${u}%' OR email LIKE 'api-t-${u}%'`), '0');
  assert.equal((await new Api(null).get('/contacts')).status, 401);
});

test('companies: list in id order with paging and the domain filter, get one, 404, read-only', async () => {
  let r = await ro.get('/companies?limit=2');
  assert.equal(r.status, 200);
  assert.equal(r.body.data.length, 2);
  assert.deepEqual(r.body.data.map((c) => c.id), [1, 2]);
  assert.equal(typeof r.body.next_cursor, 'string');
  const next = await ro.get(`/companies?limit=2&cursor=${encodeURIComponent(r.body.next_cursor)}`);
  assert.equal(next.body.data[0].id, 3);
  r = await ro.get('/companies?domain=INITECH.example');
  assert.equal(r.body.data.length, 1);
  assert.equal(r.body.data[0].name, 'Initech');
  assert.equal(r.body.data[0].properties.plan, 'Enterprise');
  r = await ro.get('/companies/3');
  assert.equal(r.status, 200);
  assert.equal(r.body.domain, 'globex.example');
  assert.equal((await ro.get('/companies/999999999')).status, 404);
  r = await rw.post('/companies', { name: 'Nope' });
  assert.equal(r.status, 405);
});
