// admin_core.test.mjs - the console's foundation: staff login and lockout, the staff session kept
// apart from the customer's, roles, the audit log page, the admin preview, `portal admin-create`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { Client, staffLoggedIn, loggedIn, csrfOf, DEMO_PASSWORD } from '../lib/client.mjs';
import { psql, ROOT, VAR } from '../lib/stack.mjs';
import { auditMark, auditSince, staffId } from '../lib/audit.mjs';
import { allTickets } from '../lib/demo.mjs';

test('staff log in at /admin/login; the cookie is HttpOnly, SameSite and scoped to /admin; stored hashed', async () => {
  const c = new Client();
  const page = await c.get('/admin/login');
  assert.equal(page.status, 200);
  assert.match(page.html, /Staff login/);
  const r = await c.post('/admin/login', { csrf: csrfOf(page.html), email: 'admin@example.com', password: DEMO_PASSWORD });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/admin');
  const sc = r.headers.getSetCookie().find((s) => s.startsWith('portal_admin='));
  assert.ok(sc, 'a portal_admin cookie is set');
  assert.match(sc, /Path=\/admin/);
  assert.match(sc, /HttpOnly/);
  assert.match(sc, /SameSite=Lax/);
  const token = c.jar.get('portal_admin');
  assert.equal(psql(`SELECT count(*) FROM sessions WHERE token_sha256 = '${token}'`), '0', 'the raw token is not stored');
  assert.equal(psql("SELECT count(*) > 0 FROM sessions s JOIN staff_users u ON u.id = s.staff_user_id WHERE u.email = 'admin@example.com' AND s.kind = 'staff'"), 't');
  const dash = await c.get('/admin');
  assert.equal(dash.status, 200);
  assert.match(dash.html, /Dashboard/);
  assert.match(dash.html, /admin@example\.com|· admin/);
});

test('wrong password: 401, the form again with the email kept; unknown email answers the same', async () => {
  const c = new Client();
  const bad = await c.submit('/admin/login', { email: 'admin@example.com', password: 'wrong-password-1' });
  assert.equal(bad.status, 401);
  assert.match(bad.html, /value="admin@example\.com"/);
  const unknown = await c.submit('/admin/login', { email: 'ghost@example.com', password: 'wrong-password-1' });
  assert.equal(unknown.status, 401);
  const strip = (h, e) => h.replace(/value="[0-9a-f]{64}"/g, '').replace(e, 'EMAIL');
  assert.equal(strip(bad.html, 'admin@example.com'), strip(unknown.html, 'ghost@example.com'));
  const empty = await c.submit('/admin/login', { email: '', password: '' });
  assert.equal(empty.status, 422);
  psql('DELETE FROM login_failures');
});

test('a login POST without the CSRF token is refused', async () => {
  const r = await new Client().post('/admin/login', { email: 'admin@example.com', password: DEMO_PASSWORD });
  assert.equal(r.status, 403);
});

test('`portal admin-create` makes an admin from stdin; weak passwords and duplicates are refused', () => {
  const bin = path.join(ROOT, 'build', 'portal');
  const env = { ...process.env, PORTAL_CONFIG: path.join(VAR, 'portal.json') };
  const weak = spawnSync(bin, ['admin-create', 'boss@example.com'], { input: '12345\n', env, encoding: 'utf8' });
  assert.notEqual(weak.status, 0);
  assert.match(weak.stderr, /password refused/);
  const ok = spawnSync(bin, ['admin-create', 'boss@example.com', 'The Boss'], { input: 'Strong-Admin-Pass-9\n', env, encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /admin boss@example\.com created/);
  assert.equal(psql("SELECT role || ' ' || (password_hash LIKE '$argon2id$%') FROM staff_users WHERE email = 'boss@example.com'"), 'admin true');
  const again = spawnSync(bin, ['admin-create', 'BOSS@example.com'], { input: 'Strong-Admin-Pass-9\n', env, encoding: 'utf8' });
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /exists already/);
});

test('ten failed logins in a row lock a staff account; the right password is then refused too', async () => {
  psql('DELETE FROM login_failures');
  const boss = staffId('boss@example.com');
  const mark = auditMark();
  const c = new Client();
  for (let i = 0; i < 10; i++) {
    const r = await c.submit('/admin/login', { email: 'boss@example.com', password: `wrong-${i}-password` });
    assert.equal(r.status, 401);
  }
  assert.equal(psql("SELECT locked_until > now() FROM staff_users WHERE email = 'boss@example.com'"), 't');
  const right = await c.submit('/admin/login', { email: 'boss@example.com', password: 'Strong-Admin-Pass-9' });
  assert.equal(right.status, 401);
  psql("UPDATE staff_users SET locked_until = NULL WHERE email = 'boss@example.com'");
  psql('DELETE FROM login_failures');
  await staffLoggedIn('boss@example.com', 'Strong-Admin-Pass-9');
  // the audit trail of exactly these attempts: ten failures, the refusal while locked, the login
  const rows = auditSince(mark, { actor_id: boss });
  assert.deepEqual(rows.map((r) => `${r.actor_kind} ${r.action}`),
    [...Array(10).fill('anonymous staff_login_failed'), 'anonymous staff_login_locked', 'staff staff_login']);
  assert.deepEqual(auditSince(mark).filter((r) => r.actor_id !== boss), [], 'no row about anyone else');
});

test('a staff session is not a customer session, and a customer session does not open the console', async () => {
  const staff = await staffLoggedIn();
  const cust = await staff.get('/tickets'); // the jar sends portal_admin here too
  assert.equal(cust.status, 303);
  assert.match(cust.headers.get('location'), /^\/login\?next=/);
  // even sent as the customer cookie's value, a staff token is no customer session
  const forged = new Client();
  forged.jar.set('portal_session', staff.jar.get('portal_admin'));
  const f = await forged.get('/tickets');
  assert.equal(f.status, 303);
  const ada = await loggedIn('ada@example.com');
  const a = await ada.get('/admin');
  assert.equal(a.status, 303);
  assert.match(a.headers.get('location'), /^\/admin\/login\?next=%2Fadmin/);
  const forged2 = new Client();
  forged2.jar.set('portal_admin', ada.jar.get('portal_session'));
  assert.equal((await forged2.get('/admin')).status, 303);
});

test('agents may use the console but not admin pages; logout ends the staff session', async () => {
  const agent = await staffLoggedIn('agent@example.com');
  assert.equal((await agent.get('/admin')).status, 200);
  const audit = await agent.get('/admin/audit');
  assert.equal(audit.status, 403);
  assert.match(audit.html, /Not allowed/);
  const dash = await agent.get('/admin');
  const out = await agent.post('/admin/logout', { csrf: csrfOf(dash.html) });
  assert.equal(out.status, 303);
  const after = await agent.get('/admin');
  assert.equal(after.status, 303);
});

test('the audit log lists logins with who and when, filters by action, and pages', async () => {
  const admin = await staffLoggedIn();
  const r = await admin.get('/admin/audit?action=staff_login');
  assert.equal(r.status, 200);
  assert.match(r.html, /admin@example\.com/);
  assert.match(r.html, /<td>Staff login(<br>|<\/td>)/); // the action in words, not its code
  assert.doesNotMatch(r.html, /<td>Staff login failed/);
  psql("INSERT INTO audit_log (actor_kind, action, at) SELECT 'system', 'paging_probe', now() - make_interval(secs => g) FROM generate_series(1, 60) g");
  const p1 = await admin.get('/admin/audit?action=paging_probe');
  assert.equal((p1.html.match(/<td>Paging probe(<br>|<\/td>)/g) || []).length, 50);
  const next = /href="(\/admin\/audit\?[^"]+)"/.exec(p1.html.replace(/&amp;/g, '&'));
  assert.ok(next, 'a link to older entries');
  const p2 = await admin.get(next[1]);
  assert.equal((p2.html.match(/<td>Paging probe(<br>|<\/td>)/g) || []).length, 10);
  const none = await admin.get('/admin/audit?action=no_such_action');
  assert.match(none.html, /No entries/);
  assert.equal((await admin.get('/admin/audit?before=garbage')).status, 400);
  psql("DELETE FROM audit_log WHERE action = 'paging_probe'");
});

test('admin preview: the ticket list and a ticket as a contact, through the same visibility, read only', async () => {
  const admin = await staffLoggedIn();
  const ada = await loggedIn('ada@example.com');
  const mine = await ada.get('/tickets?status=all');
  const preview = await admin.get('/admin/preview/1/tickets?status=all');
  assert.equal(preview.status, 200);
  assert.match(preview.html, /class="preview-banner"/);
  const ids = (h, re) => [...h.matchAll(re)].map((m) => m[1]).sort();
  const custIds = ids(mine.html, /href="\/tickets\/(\d+)"/g);
  const prevIds = ids(preview.html, /href="\/admin\/preview\/1\/tickets\/(\d+)"/g);
  assert.ok(custIds.length > 0);
  assert.deepEqual(prevIds, custIds, 'the preview lists exactly what Ada sees');
  const t = await admin.get(`/admin/preview/1/tickets/${custIds[0]}`);
  assert.equal(t.status, 200);
  assert.doesNotMatch(t.html, /name="nonce"/, 'no reply form in a preview');
  // a ticket Ada may not see is a 404 in her preview too
  const hidden = psql(`SELECT min(t.id) FROM tickets t WHERE t.id NOT IN ${allTickets(1)}`);
  assert.equal((await admin.get(`/admin/preview/1/tickets/${hidden}`)).status, 404);
  assert.equal((await admin.get('/admin/preview/999999/tickets')).status, 404);
  assert.equal((await new Client().get('/admin/preview/1/tickets')).status, 303, 'needs a staff login');
  assert.equal((await ada.get('/admin/preview/1/tickets')).status, 303, 'a customer session is not enough');
});

test('unknown console paths get the console 404 page', async () => {
  const admin = await staffLoggedIn();
  const r = await admin.get('/admin/no-such-page');
  assert.equal(r.status, 404);
  assert.match(r.html, /admin\.css/);
});
