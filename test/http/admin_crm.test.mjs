// admin_crm.test.mjs - CRM pages of the console: contacts, companies, lists (membership and
// invitations), CSV import, and who may use them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staffLoggedIn, csrfOf } from '../lib/client.mjs';
import { psql } from '../lib/stack.mjs';
import { waitForMail } from '../lib/mail.mjs';
import { everyWorker, registrationOpen, visit, waitFor } from '../lib/wait.mjs';
import { auditMark, oneAudit, staffId } from '../lib/audit.mjs';

const admin = await staffLoggedIn();
const agent = await staffLoggedIn('agent@example.com');
const u = Date.now().toString(36);
const idFrom = (res) => Number(/\/(\d+)(\?|$)/.exec(res.headers.get('location'))[1]);
const count = (sql) => Number(psql(sql));
const ADMIN = staffId('admin@example.com');
/* The one row of action, by the admin, after mark, whose detail contains detail. */
const audited = (mark, action, detail) => oneAudit(mark, { action, actor_kind: 'staff', actor_id: ADMIN, detail });

test('contacts: create, search, record page, edit; audit rows', async () => {
  const email = `crm-ann-${u}@example.net`;
  const mark = auditMark();
  const r = await admin.submit('/admin/contacts/new', {
    email, first_name: 'Ann', last_name: `Crm${u}`, company_id: '1', properties: 'job_title: Buyer\nregion: north',
  });
  assert.equal(r.status, 303);
  assert.match(r.headers.get('location'), /^\/admin\/contacts\/\d+\?notice=created$/);
  const id = idFrom(r);
  assert.equal(psql(`SELECT email || '|' || first_name || '|' || primary_company_id || '|' || (properties->>'region') FROM contacts WHERE id = ${id}`),
    `${email}|Ann|1|north`);
  audited(mark, 'contact_create', { after: { email } });

  const page = await admin.get(r.headers.get('location'));
  assert.equal(page.status, 200);
  assert.match(page.html, /Created\./);
  assert.match(page.html, new RegExp(`Ann Crm${u}`));
  assert.match(page.html, /job_title: Buyer\nregion: north/);
  assert.match(page.html, new RegExp(`href="/admin/preview/${id}/tickets"`));
  assert.match(page.html, /Not on any list/);
  assert.match(page.html, /No tickets for this contact/);
  assert.match(page.html, /Nothing on the timeline yet/);
  assert.match(page.html, /<option value="1" selected>Northwind<\/option>/);

  // search: partial name and partial email, case-insensitive; no match -> empty state
  const byName = await admin.get(`/admin/contacts?q=${encodeURIComponent(`crm${u}`.toUpperCase())}`);
  assert.match(byName.html, new RegExp(`/admin/contacts/${id}"`));
  assert.doesNotMatch(byName.html, /ada@example\.com/);
  const byEmail = await admin.get(`/admin/contacts?q=ann-${u}@exa`);
  assert.match(byEmail.html, new RegExp(email.replace(/[.]/g, '\\.')));
  const none = await admin.get('/admin/contacts?q=zz-no-such-contact-zz');
  assert.match(none.html, /No contact matches/);
  assert.equal((await admin.get('/admin/contacts?after=abc')).status, 400);

  // edit
  const editMark = auditMark();
  const e = await admin.submit(`/admin/contacts/${id}`, {
    email, first_name: 'Anne', last_name: `Crm${u}`, company_id: '', properties: 'job_title: Head buyer',
  });
  assert.equal(e.status, 303);
  assert.equal(e.headers.get('location'), `/admin/contacts/${id}?saved=1`);
  assert.equal(psql(`SELECT first_name || '|' || coalesce(primary_company_id::text, 'none') || '|' || properties::text FROM contacts WHERE id = ${id}`),
    'Anne|none|{"job_title": "Head buyer"}');
  const audit = audited(editMark, 'contact_update', { after: { email } }).detail;
  assert.equal(audit.before.first_name, 'Ann');
  assert.equal(audit.after.first_name, 'Anne');
  assert.equal(audit.before.primary_company_id, 1);
  assert.equal(audit.after.primary_company_id, null);

  assert.equal((await admin.get('/admin/contacts/99999999')).status, 404);
});

test('contacts: invalid input is refused with 422, input kept, nothing saved', async () => {
  const before = count('SELECT count(*) FROM contacts');
  const bad = await admin.submit('/admin/contacts/new', { email: 'not-an-email', first_name: `Keep${u}`, last_name: '', properties: '' });
  assert.equal(bad.status, 422);
  assert.match(bad.html, /Nothing was saved/);
  assert.match(bad.html, /id="email"[^>]*value="not-an-email"[^>]*aria-invalid="true"/);
  assert.match(bad.html, new RegExp(`value="Keep${u}"`));
  assert.match(bad.html, /id="email-error"/);

  // duplicate email, in another case
  const dup = await admin.submit('/admin/contacts/new', { email: 'ADA@Example.com', first_name: `Dup${u}` });
  assert.equal(dup.status, 422);
  assert.match(dup.html, /Another contact already has this email address/);
  assert.match(dup.html, new RegExp(`value="Dup${u}"`));

  const props = await admin.submit('/admin/contacts/new', { email: `props-${u}@example.net`, properties: 'Bad Key: x' });
  assert.equal(props.status, 422);
  assert.match(props.html, /Line 1: a key starts with a lower-case letter/);
  assert.match(props.html, />Bad Key: x<\/textarea>/);
  const company = await admin.submit('/admin/contacts/new', { email: `co-${u}@example.net`, company_id: '99999999' });
  assert.equal(company.status, 422);
  assert.match(company.html, /Choose a company from the list/);
  assert.equal(count('SELECT count(*) FROM contacts'), before);

  // editing a contact to another's email: refused, nothing changes
  const c = psql(`INSERT INTO contacts (email, first_name) VALUES ('edit-${u}@example.net', 'Eddie') RETURNING id`);
  const r = await admin.submit(`/admin/contacts/${c}`, { email: 'grace@example.com', first_name: 'Changed' });
  assert.equal(r.status, 422);
  assert.match(r.html, /Another contact already has this email address/);
  assert.match(r.html, /value="Changed"/);
  assert.equal(psql(`SELECT email || '|' || first_name FROM contacts WHERE id = ${c}`), `edit-${u}@example.net|Eddie`);
});

test('contact record of a demo customer: login status, lists, tickets, timeline', async () => {
  const page = await admin.get('/admin/contacts/1');
  assert.equal(page.status, 200);
  assert.match(page.html, /Ada Lovelace/);
  assert.match(page.html, /Registered/);
  assert.match(page.html, /Priority customers/);
  assert.match(page.html, /href="\/admin\/tickets\/1"/);
  assert.match(page.html, /class="message"/);
  // the timeline names what happened in words, never by its stored code
  const kinds = [...page.html.matchAll(/<span class="badge">([^<]*)<\/span> <time>/g)].map((m) => m[1]);
  assert.ok(kinds.length > 0, 'the timeline has entries');
  for (const k of kinds) assert.doesNotMatch(k, /_|^[a-z]/, `timeline kind in words: ${k}`);
  assert.doesNotMatch(page.html, /Resend invitation/, 'registration mode: no resend');
});

test('companies: create, validation, edit, contacts and tickets', async () => {
  const name = `Crm Co ${u}`;
  const mark = auditMark();
  const r = await admin.submit('/admin/companies/new', { name, domain: ` CRM-${u}.Example `, properties: 'plan: Starter' });
  assert.equal(r.status, 303);
  const id = idFrom(r);
  assert.equal(psql(`SELECT domain FROM companies WHERE id = ${id}`), `crm-${u}.example`);
  audited(mark, 'company_create', { after: { name } });

  const before = count('SELECT count(*) FROM companies');
  const bad = await admin.submit('/admin/companies/new', { name: `Bad ${u}`, domain: 'not a host!' });
  assert.equal(bad.status, 422);
  assert.match(bad.html, /Enter a host name/);
  assert.match(bad.html, new RegExp(`value="Bad ${u}"`));
  const dup = await admin.submit('/admin/companies/new', { name: `Dup ${u}`, domain: 'NORTHWIND.example' });
  assert.equal(dup.status, 422);
  assert.match(dup.html, /The company Northwind already has this domain/);
  const empty = await admin.submit('/admin/companies/new', { name: '  ', domain: '' });
  assert.equal(empty.status, 422);
  assert.equal(count('SELECT count(*) FROM companies'), before);

  const e = await admin.submit(`/admin/companies/${id}`, { name: `${name} Ltd`, domain: '' });
  assert.equal(e.status, 303);
  assert.equal(psql(`SELECT name || '|' || coalesce(domain, 'null') FROM companies WHERE id = ${id}`), `${name} Ltd|null`);
  const eBad = await admin.submit(`/admin/companies/${id}`, { name: 'X', domain: 'initech.example' });
  assert.equal(eBad.status, 422);
  assert.equal(psql(`SELECT name FROM companies WHERE id = ${id}`), `${name} Ltd`);

  const list = await admin.get(`/admin/companies?q=${encodeURIComponent(`co ${u}`)}`);
  assert.match(list.html, new RegExp(`/admin/companies/${id}"`));
  assert.match((await admin.get('/admin/companies?q=zz-none-zz')).html, /No company matches/);

  const nw = await admin.get('/admin/companies/1');
  assert.equal(nw.status, 200);
  assert.match(nw.html, /ada@example\.com/);
  assert.match(nw.html, /href="\/admin\/tickets\/\d+"/);
  const fresh = await admin.get(`/admin/companies/${id}`);
  assert.match(fresh.html, /No contact has this company/);
  assert.match(fresh.html, /No tickets are associated/);
  assert.equal((await admin.get('/admin/companies/99999999')).status, 404);
});

test('agents use contacts and companies but get 403 on lists', async () => {
  assert.equal((await agent.get('/admin/contacts')).status, 200);
  assert.equal((await agent.get('/admin/contacts/1')).status, 200);
  assert.equal((await agent.get('/admin/companies')).status, 200);
  assert.equal((await agent.get('/admin/contacts/import')).status, 200);
  assert.equal((await agent.get('/admin/lists')).status, 403);
  assert.equal((await agent.get('/admin/lists/1')).status, 403);
  const csrf = csrfOf((await agent.get('/admin/contacts')).html);
  const before = count('SELECT count(*) FROM lists');
  assert.equal((await agent.post('/admin/lists', { csrf, name: `Agent ${u}` })).status, 403);
  assert.equal((await agent.post('/admin/lists/1/members', { csrf, email: 'grace@example.com' })).status, 403);
  assert.equal(count('SELECT count(*) FROM lists'), before);
  assert.equal(count('SELECT count(*) FROM list_members WHERE list_id = 1 AND contact_id = 2'), 0);
});

test('lists: create, rename, members add and remove, delete', async () => {
  const name = `Crm list ${u}`;
  const r = await admin.submit('/admin/lists', { name });
  assert.equal(r.status, 303);
  const id = idFrom(r);
  const dup = await admin.submit('/admin/lists', { name: name.toUpperCase() });
  assert.equal(dup.status, 422);
  assert.match(dup.html, /Another list already has this name/);
  assert.equal(count(`SELECT count(*) FROM lists WHERE lower(name) = lower('${name}')`), 1);

  const page = await admin.get(`/admin/lists/${id}`);
  assert.match(page.html, /No contacts on this list yet/);
  const unknown = await admin.submit(`/admin/lists/${id}`, { email: `nobody-${u}@example.net` }, `/admin/lists/${id}/members`);
  assert.equal(unknown.status, 422);
  assert.match(unknown.html, /No contact has this email address/);
  assert.match(unknown.html, new RegExp(`value="nobody-${u}@example.net"`));
  assert.equal(count(`SELECT count(*) FROM list_members WHERE list_id = ${id}`), 0);

  const add = await admin.submit(`/admin/lists/${id}`, { email: 'Linus@Example.org' }, `/admin/lists/${id}/members`);
  assert.equal(add.status, 303);
  assert.equal(add.headers.get('location'), `/admin/lists/${id}?notice=added`);
  assert.equal(count(`SELECT count(*) FROM list_members WHERE list_id = ${id} AND contact_id = 3`), 1);
  assert.match((await admin.get(add.headers.get('location'))).html, /Contact added to the list/);
  const again = await admin.submit(`/admin/lists/${id}`, { email: 'linus@example.org' }, `/admin/lists/${id}/members`);
  assert.equal(again.status, 422);
  assert.match(again.html, /already on the list/);
  assert.match((await admin.get('/admin/lists')).html, new RegExp(`${name}</a></td><td>1</td>`));
  assert.match((await admin.get('/admin/contacts/3')).html, new RegExp(name));

  let mark = auditMark();
  const rm = await admin.submit(`/admin/lists/${id}`, {}, `/admin/lists/${id}/members/3/remove`);
  assert.equal(rm.status, 303);
  assert.equal(count(`SELECT count(*) FROM list_members WHERE list_id = ${id}`), 0);
  audited(mark, 'list_member_remove', { before: { list: name } });

  const ren = await admin.submit(`/admin/lists/${id}`, { name: `${name} renamed` }, `/admin/lists/${id}/rename`);
  assert.equal(ren.status, 303);
  assert.equal(psql(`SELECT name FROM lists WHERE id = ${id}`), `${name} renamed`);
  const renBad = await admin.submit(`/admin/lists/${id}`, { name: 'Priority customers' }, `/admin/lists/${id}/rename`);
  assert.equal(renBad.status, 422);

  const confirm = await admin.get(`/admin/lists/${id}/delete`);
  assert.match(confirm.html, /Delete the list/);
  mark = auditMark();
  const del = await admin.submit(`/admin/lists/${id}/delete`, {});
  assert.equal(del.status, 303);
  assert.equal(del.headers.get('location'), '/admin/lists?notice=deleted');
  assert.equal(count(`SELECT count(*) FROM lists WHERE id = ${id}`), 0);
  assert.equal((await admin.get(`/admin/lists/${id}`)).status, 404);
  audited(mark, 'list_delete', { before: { name: `${name} renamed` } });
});

test('adding a contact to a list that grants portal access queues its invitation; resend', async () => {
  const email = `crm-invite-${u}@example.net`;
  const made = await admin.submit('/admin/contacts/new', { email, first_name: 'Ivo', last_name: 'Invitee' });
  const contact = idFrom(made);
  const list = idFrom(await admin.submit('/admin/lists', { name: `Crm access ${u}` }));
  try {
    psql(`INSERT INTO portal_lists (portal_id, list_id) VALUES (1, ${list}); UPDATE portals SET access_mode = 'lists' WHERE id = 1`);
    await everyWorker(async () => { const r = await visit('/login'); return r.status === 200 && !r.html.includes('Register here'); },
      'the login page without "Register here" (lists mode)');
    const page = await admin.get(`/admin/lists/${list}`);
    assert.match(page.html, /This list grants access to/);

    const add = await admin.submit(`/admin/lists/${list}`, { email }, `/admin/lists/${list}/members`);
    assert.equal(add.status, 303);
    assert.equal(add.headers.get('location'), `/admin/lists/${list}?notice=invited`);
    assert.match((await admin.get(add.headers.get('location'))).html, /Invitation queued/);
    assert.equal(count(`SELECT count(*) FROM member_invitations WHERE contact_id = ${contact} AND portal_id = 1`), 1);
    await waitForMail(email, (m) => /invited/.test(m.subject));
    assert.equal(count(`SELECT count(*) FROM mail_outbox WHERE to_address = '${email}'`), 1);

    // a registered contact gets none
    const grace = await admin.submit(`/admin/lists/${list}`, { email: 'grace@example.com' }, `/admin/lists/${list}/members`);
    assert.equal(grace.headers.get('location'), `/admin/lists/${list}?notice=added`);
    assert.equal(count(`SELECT count(*) FROM member_invitations WHERE contact_id = 2 AND portal_id = 1 AND sent_at IS NULL`), 0);

    // the contact's page: invited, may enter, resend offered (no invitation waiting to be sent); resend queues one more
    await waitFor(() => count(`SELECT count(*) FROM member_invitations WHERE contact_id = ${contact} AND sent_at IS NULL`) === 0,
      { what: 'the invitation to be sent' });
    const rec = await admin.get(`/admin/contacts/${contact}`);
    assert.match(rec.html, /Invited/);
    assert.match(rec.html, /May enter this portal/);
    assert.match(rec.html, /Resend invitation/);
    const rsMark = auditMark();
    const rs = await admin.submit(`/admin/contacts/${contact}`, {}, `/admin/contacts/${contact}/resend`);
    assert.equal(rs.status, 303);
    assert.equal(rs.headers.get('location'), `/admin/contacts/${contact}?notice=invited`);
    assert.equal(count(`SELECT count(*) FROM member_invitations WHERE contact_id = ${contact} AND reason = 'resend'`), 1);
    audited(rsMark, 'invitation_resend', { after: { contact_id: contact, email } });
    // from the list page too, once the first resend went out
    await waitForMail(email, () => count(`SELECT count(*) FROM member_invitations WHERE contact_id = ${contact} AND sent_at IS NULL`) === 0);
    const lr = await admin.submit(`/admin/lists/${list}`, {}, `/admin/lists/${list}/members/${contact}/resend`);
    assert.equal(lr.headers.get('location'), `/admin/lists/${list}?notice=invited`);
    // not a member of this list: 404
    assert.equal((await admin.submit(`/admin/lists/${list}`, {}, `/admin/lists/${list}/members/3/resend`)).status, 404);
    // none for a registered member
    const gr = await admin.submit(`/admin/lists/${list}`, {}, `/admin/lists/${list}/members/2/resend`);
    assert.equal(gr.headers.get('location'), `/admin/lists/${list}?notice=not_invited`);
  } finally {
    psql(`UPDATE portals SET access_mode = 'registration' WHERE id = 1; DELETE FROM portal_lists WHERE list_id = ${list}; DELETE FROM list_members WHERE list_id = ${list}`);
    await registrationOpen();
  }
});

async function importCsv(client, text, name = 'contacts.csv') {
  const page = await client.get('/admin/contacts/import');
  const fd = new FormData();
  fd.append('csrf', csrfOf(page.html));
  fd.append('file', new Blob([text], { type: 'text/csv' }), name);
  return client.request('/admin/contacts/import', { method: 'POST', body: fd });
}

test('CSV import: creates, updates, creates companies, adds to lists, reports rejected rows', async () => {
  const existing = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('imp-old-${u}@example.net', 'Old', 'Name') RETURNING id`);
  const list = idFrom(await admin.submit('/admin/lists', { name: `Import list ${u}` }));
  const long = 'x'.repeat(201);
  const csv = '\uFEFFEmail,First Name,last_name,company,list,notes\r\n' +
    `imp-a-${u}@example.net,"Smith, Jr.","O""Brien",Import Co ${u},,first\r\n` +                 // row 2: created
    `IMP-OLD-${u}@EXAMPLE.NET,,Newname,import co ${u},Import list ${u},"two\r\nlines"\r\n` +      // row 3: updated (quoted newline)
    `not-an-email,A,B,,,\r\n` +                                                                     // row 4: invalid email
    `imp-a-${u}@example.net,Again,,,,\r\n` +                                                        // row 5: duplicate in file
    `,No,Email,,,\r\n` +                                                                            // row 6: missing email
    `imp-c-${u}@example.net,Too,Few\r\n` +                                                          // row 7: wrong column count
    `imp-d-${u}@example.net,${long},,,,\r\n` +                                                      // row 8: too long
    `\r\n` +                                                                                        // row 9: blank, skipped
    `imp-e-${u}@example.net,Eve,,,No such list ${u},\n` +                                           // row 10: unknown list
    `imp-f-${u}@example.net,Fay,Lee,,,`;                                                            // row 11: created, LF/EOF
  const mark = auditMark();
  const r = await importCsv(admin, csv);
  assert.equal(r.status, 303, r.html);
  const loc = r.headers.get('location');
  assert.match(loc, /^\/admin\/contacts\/import\/\d+$/);
  const rep = await admin.get(loc);
  assert.equal(rep.status, 200);
  assert.match(rep.html, /<strong>2<\/strong> created/);
  assert.match(rep.html, /<strong>1<\/strong> updated/);
  assert.match(rep.html, /<strong>6<\/strong> rejected/);
  assert.match(rep.html, /Ignored columns: notes/);
  const rows = [...rep.html.matchAll(/<tr><td>(\d+)<\/td><td>[^<]*<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m) => [Number(m[1]), m[2]]);
  assert.deepEqual(rows.map((x) => x[0]), [4, 5, 6, 7, 8, 10]);
  assert.match(rows[0][1], /not a valid address/);
  assert.match(rows[1][1], /appears again \(first in row 2\)/);
  assert.match(rows[2][1], /email is missing/);
  assert.match(rows[3][1], /has 3 columns; the header has 6/);
  assert.match(rows[4][1], /longer than 200/);
  assert.match(rows[5][1], /no list named/);

  assert.equal(psql(`SELECT first_name || '|' || last_name || '|' || co.name FROM contacts c JOIN companies co ON co.id = c.primary_company_id WHERE c.email = 'imp-a-${u}@example.net'`),
    `Smith, Jr.|O"Brien|Import Co ${u}`);
  assert.equal(count(`SELECT count(*) FROM companies WHERE lower(name) = lower('Import Co ${u}')`), 1, 'one company, matched case-insensitively');
  assert.equal(psql(`SELECT first_name || '|' || last_name || '|' || (primary_company_id IS NOT NULL) FROM contacts WHERE id = ${existing}`), 'Old|Newname|true');
  assert.equal(count(`SELECT count(*) FROM list_members WHERE list_id = ${list} AND contact_id = ${existing}`), 1);
  assert.equal(count(`SELECT count(*) FROM contacts WHERE email IN ('imp-c-${u}@example.net', 'imp-d-${u}@example.net', 'imp-e-${u}@example.net')`), 0);
  assert.equal(count(`SELECT count(*) FROM contacts WHERE email = 'imp-f-${u}@example.net'`), 1);
  audited(mark, 'contact_import', { after: { import_id: Number(loc.split('/').pop()), created: 2, updated: 1, rejected: 6 } });
  audited(mark, 'contact_update', { setting: 'csv_import', after: { email: `imp-old-${u}@example.net` } });

  // importing the same file again changes nothing new
  const again = await admin.get((await importCsv(admin, csv)).headers.get('location'));
  assert.match(again.html, /<strong>0<\/strong> created/);
  assert.match(again.html, /<strong>0<\/strong> updated/);
  assert.match(again.html, /<strong>3<\/strong> unchanged/);
});

test('CSV import: whole-file problems are refused with 422 and nothing changes', async () => {
  const before = count('SELECT count(*) FROM contacts');
  const noEmail = await importCsv(admin, 'name,company\nx,y\n');
  assert.equal(noEmail.status, 422);
  assert.match(noEmail.html, /one of them must be email/);
  const headerOnly = await importCsv(admin, 'email,first_name\n');
  assert.equal(headerOnly.status, 422);
  assert.match(headerOnly.html, /no rows below the header/);
  const big = 'email\n' + Array.from({ length: 10001 }, (_, i) => `big-${i}-${u}@example.net`).join('\n');
  const tooMany = await importCsv(admin, big);
  assert.equal(tooMany.status, 422);
  assert.match(tooMany.html, /more than 10,000 rows/);
  const huge = await importCsv(admin, 'email,first_name\n' + `huge-${u}@example.net,${'x'.repeat(2.1 * 1024 * 1024)}\n`);
  assert.equal(huge.status, 422);
  assert.match(huge.html, /larger than 2 MB/);
  const page = await admin.get('/admin/contacts/import');
  const fd = new FormData();
  fd.append('csrf', csrfOf(page.html));
  const noFile = await admin.request('/admin/contacts/import', { method: 'POST', body: fd });
  assert.equal(noFile.status, 422);
  assert.match(noFile.html, /Choose a CSV file/);
  assert.equal(count('SELECT count(*) FROM contacts'), before);

  // an agent may import but not into lists
  const r = await importCsv(agent, `email,list\nagent-imp-${u}@example.net,Priority customers\nagent-imp2-${u}@example.net,\n`);
  const rep = await agent.get(r.headers.get('location'));
  assert.match(rep.html, /Only admins may add contacts to lists/);
  assert.equal(count(`SELECT count(*) FROM contacts WHERE email = 'agent-imp2-${u}@example.net'`), 1);
  assert.equal(count(`SELECT count(*) FROM contacts WHERE email = 'agent-imp-${u}@example.net'`), 0);
});
