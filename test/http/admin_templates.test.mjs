// admin_templates.test.mjs - system page templates (pick, edit a copy, preview) and the edited
// registration / invitation emails, as an admin sets them and as customers then get them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, staffLoggedIn } from '../lib/client.mjs';
import { psql } from '../lib/stack.mjs';
import { waitForMail, linkPath } from '../lib/mail.mjs';
import { WORKERS, registrationOpen } from '../lib/wait.mjs';
import { auditMark, oneAudit, staffId } from '../lib/audit.mjs';
import { settingsPath } from '../lib/portals.mjs';

const admin = await staffLoggedIn();
const agent = await staffLoggedIn('agent@example.com');
const PORTAL = psql('SELECT id FROM portals WHERE is_default');
const u = Date.now().toString(36);
const ADMIN = staffId('admin@example.com');
/* The detail of the one settings_change row for setting written by the admin after mark. */
const audited = (mark, setting) => oneAudit(mark, { action: 'settings_change', setting, actor_kind: 'staff', actor_id: ADMIN }).detail;

// leave the demo portal as it was: shipped templates and emails
after(() => {
  psql(`DELETE FROM portal_page_templates WHERE portal_id = ${PORTAL}; DELETE FROM portal_email_templates WHERE portal_id = ${PORTAL}`);
});

const unescape = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
const textareaOf = (html, id) => unescape(new RegExp(`<textarea[^>]* id="${id}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html)[1]);

/* Fresh visitors, twice as many as workers, so that each worker serves at least one. No wait
 * before them: a save in the console reaches every worker of the host before its 303 is sent. */
async function loginPages() {
  const pages = [];
  for (let i = 0; i < 2 * WORKERS; i++) pages.push(await new Client().get('/login'));
  return pages;
}

test('agents may not open or change templates', async () => {
  for (const p of [settingsPath('/templates'), settingsPath('/templates/login'), settingsPath('/templates/login/preview'),
    settingsPath('/emails'), settingsPath('/emails/invite/en'), settingsPath('/emails/invite/en/preview')]) {
    assert.equal((await agent.get(p)).status, 403, p);
  }
  const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec((await agent.get('/admin')).html)[1];
  assert.equal((await agent.post(settingsPath('/templates/login'), { csrf, action: 'choose', choice: 'alternative' })).status, 403);
  assert.equal((await agent.post(settingsPath('/emails/invite/en'), { csrf, action: 'reset' })).status, 403);
  assert.equal(psql(`SELECT count(*) FROM portal_page_templates WHERE portal_id = ${PORTAL}`), '0');
});

test('the list shows the six system pages; an unknown page is 404', async () => {
  const r = await admin.get(settingsPath('/templates'));
  assert.equal(r.status, 200);
  for (const label of ['Registration', 'Login', 'Logout', 'Access denied', 'Password reset request', 'Password reset']) {
    assert.match(r.html, new RegExp(`>${label}</a>`));
  }
  assert.equal((await admin.get(settingsPath('/templates/nope'))).status, 404);
  assert.equal((await admin.get(settingsPath('/templates/nope/preview'))).status, 404);
});

test('picking the split login template changes what /login serves on every worker, and back', async () => {
  assert.ok((await loginPages()).every((p) => p.status === 200 && !/class="split"/.test(p.html)));
  const mark = auditMark();
  const r = await admin.submit(settingsPath('/templates/login'), { action: 'choose', choice: 'alternative' });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), settingsPath('/templates/login?saved=1'));
  for (const p of await loginPages()) {
    assert.equal(p.status, 200);
    assert.match(p.html, /<section class="split" aria-labelledby="login-h">/);
    assert.match(p.html, /name="email"[^>]*>/); // same form, same field names
    assert.match(p.html, /name="password"/);
    assert.match(p.html, /Register here/);
  }
  assert.match((await admin.get(settingsPath('/templates'))).html, /<a href="\/admin\/portals\/\d+\/settings\/templates\/login">Login<\/a><\/th>\s*<td>Split/);
  const audit = audited(mark, 'template:login');
  assert.deepEqual([audit.before.choice, audit.after.choice], ['standard', 'alternative']);
  // the other pages keep the standard template
  assert.doesNotMatch((await new Client().get('/password-reset')).html, /class="split"/);

  assert.equal((await admin.submit(settingsPath('/templates/login'), { action: 'choose', choice: 'standard' })).status, 303);
  assert.ok((await loginPages()).every((p) => !/class="split"/.test(p.html)));
  assert.equal(psql(`SELECT count(*) FROM portal_page_templates WHERE portal_id = ${PORTAL} AND page = 'login'`), '0');
  // a copy that does not exist cannot be chosen
  const bad = await admin.submit(settingsPath('/templates/login'), { action: 'choose', choice: 'custom' });
  assert.equal(bad.status, 422);
  assert.match(bad.html, /Choose one of the templates/);
});

test('an edited copy shows on /login through both workers; one that does not compile is refused', async () => {
  const form = await admin.get(settingsPath('/templates/login?from=alternative'));
  assert.equal(form.status, 200);
  const shipped = textareaOf(form.html, 'source');
  assert.match(shipped, /^\{\{<layout\}\}/);
  assert.match(shipped, /class="split"/);
  const marker = `Custom login ${u}`;
  const source = shipped.replace('{{t.login_heading}}', `${marker} &amp; {{t.login_heading}}`);
  const mark = auditMark();
  const saved = await admin.submit(settingsPath('/templates/login'), { action: 'save', source: source.replace(/\n/g, '\r\n') });
  assert.equal(saved.status, 303);
  const audit = audited(mark, 'template:login');
  assert.equal(audit.after.choice, 'custom');
  assert.ok(audit.after.custom_source.includes(marker), 'the audit row holds the saved copy');
  for (const p of await loginPages()) {
    assert.equal(p.status, 200);
    assert.match(p.html, new RegExp(`<h1 id="login-h">${marker} &amp; Log in to your support portal</h1>`));
    assert.match(p.html, /name="csrf" value="[0-9a-f]{64}"/);
  }
  assert.equal(psql(`SELECT choice, position(E'\\r' in custom_source) FROM portal_page_templates WHERE portal_id = ${PORTAL} AND page = 'login'`), 'custom|0');

  // an unclosed section: 422 with the compiler's message beside the field, the text kept, nothing saved
  const broken = `<p>{{#x}} unfinished ${u}</p>`;
  const r = await admin.submit(settingsPath('/templates/login'), { action: 'save', source: broken });
  assert.equal(r.status, 422);
  assert.match(r.html, /<p class="field-error" id="source-error">The template does not compile: line 1: unclosed section &#39;x&#39;<\/p>/);
  assert.match(r.html, /id="source"[^>]*aria-invalid="true"/);
  assert.match(r.html, /role="alert" id="error-summary"/);
  assert.equal(textareaOf(r.html, 'source'), broken);
  assert.match(psql(`SELECT custom_source FROM portal_page_templates WHERE portal_id = ${PORTAL} AND page = 'login'`), new RegExp(marker));
  assert.ok((await loginPages()).every((p) => p.html.includes(marker)));
  // too large, empty
  assert.equal((await admin.submit(settingsPath('/templates/login'), { action: 'save', source: 'x'.repeat(61441) })).status, 422);
  assert.equal((await admin.submit(settingsPath('/templates/login'), { action: 'save', source: '  ' })).status, 422);

  // the edit page offers the copy; the preview shows it
  const page = await admin.get(settingsPath('/templates/login'));
  assert.match(page.html, /id="choice-custom" name="choice" value="custom" checked/);
  assert.equal(textareaOf(page.html, 'source').replace(/\r/g, ''), source);
  const pv = await admin.get(settingsPath('/templates/login/preview'));
  assert.equal(pv.status, 200);
  assert.ok(pv.html.includes(marker));

  // switching to the standard keeps the copy; deleting the copy in use goes back to standard
  assert.equal((await admin.submit(settingsPath('/templates/login'), { action: 'choose', choice: 'standard' })).status, 303);
  assert.ok((await loginPages()).every((p) => !p.html.includes(marker)));
  assert.equal((await admin.submit(settingsPath('/templates/login'), { action: 'choose', choice: 'custom' })).status, 303);
  assert.ok((await loginPages()).every((p) => p.html.includes(marker)));
  assert.equal((await admin.submit(settingsPath('/templates/login'), { action: 'delete_copy' })).status, 303);
  assert.ok((await loginPages()).every((p) => !p.html.includes(marker) && /Log in to your support portal/.test(p.html)));
  assert.equal(psql(`SELECT count(*) FROM portal_page_templates WHERE portal_id = ${PORTAL} AND page = 'login'`), '0');
});

test('preview renders a shipped template with sample data in the customer layout', async () => {
  const r = await admin.get(settingsPath('/templates/register/preview?choice=alternative'));
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  assert.match(r.html, /<link rel="stylesheet" href="\/static\/[0-9a-f]+\/portal\.css">/);
  assert.match(r.html, /class="preview-banner"/);
  assert.match(r.html, /Preview of a page template with sample data/);
  assert.match(r.html, /Registration · Split/);
  assert.match(r.html, /<section class="split" aria-labelledby="reg-h">/);
  assert.match(r.html, /name="consent"/);
  const std = await admin.get(settingsPath('/templates/password_reset/preview'));
  assert.equal(std.status, 200);
  assert.match(std.html, /action="\/password-reset\/preview"/);
  assert.doesNotMatch(std.html, /class="split"/);
  assert.equal((await admin.get(settingsPath('/templates/login/preview?choice=bogus'))).status, 400);
  assert.equal((await admin.get(settingsPath('/templates/login/preview?choice=custom'))).status, 404);
});

test('an edited invitation is what a contact added to a lists-mode portal receives', async () => {
  const list = psql(`INSERT INTO lists (name) VALUES ('Template invitees ${u}') RETURNING id`);
  const email = `tmpl-invite-${u}@example.net`;
  const contact = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${email}', 'Tess', 'O''Template') RETURNING id`);
  try {
    const form = await admin.get(settingsPath('/emails/invite/en'));
    assert.equal(form.status, 200);
    assert.match(form.html, /value="You are invited to our support portal · \{\{portal_name\}\}"/);
    assert.match(textareaOf(form.html, 'body'), /\{\{link\}\}/);

    // refused: no link; a section left open; nothing saved
    const nolink = await admin.submit(settingsPath('/emails/invite/en'), { action: 'save', subject: 'Hi', body: 'Hello {{name}}, no link here.' });
    assert.equal(nolink.status, 422);
    assert.match(nolink.html, /id="body-error">The body must contain \{\{link\}\}/);
    assert.equal(textareaOf(nolink.html, 'body'), 'Hello {{name}}, no link here.');
    const open = await admin.submit(settingsPath('/emails/invite/en'), { action: 'save', subject: 'Hi {{#name}}', body: '{{link}}' });
    assert.equal(open.status, 422);
    assert.match(open.html, /id="subject-error">The template does not compile: line 1: unclosed section/);
    assert.match(open.html, /value="Hi \{\{#name\}\}"/);
    assert.equal(psql(`SELECT count(*) FROM portal_email_templates WHERE portal_id = ${PORTAL}`), '0');

    const subject = `Welcome aboard ${u}, {{name}}`;
    const body = 'Hi {{name}},\n\nJoin {{portal_name}} & set your password:\n{{link}}\n\nCheers <3';
    const mark = auditMark();
    const ok = await admin.submit(settingsPath('/emails/invite/en'), { action: 'save', subject, body });
    assert.equal(ok.status, 303);
    const audit = audited(mark, 'email:invite:en');
    assert.deepEqual([audit.before, audit.after.subject], [null, subject]);
    assert.match((await admin.get(settingsPath('/emails'))).html, /<span class="badge">edited<\/span>/);
    const pv = await admin.get(settingsPath('/emails/invite/en/preview'));
    assert.equal(pv.status, 200);
    assert.match(pv.html, new RegExp(`id="preview-subject">Welcome aboard ${u}, Ada Lovelace<`));
    assert.match(pv.html, /Cheers &lt;3/);

    psql(`INSERT INTO portal_lists (portal_id, list_id) VALUES (${PORTAL}, ${list}); UPDATE portals SET access_mode = 'lists' WHERE id = ${PORTAL}`);
    psql(`INSERT INTO list_members (list_id, contact_id) VALUES (${list}, ${contact})`);
    const mail = await waitForMail(email, (m) => m.subject.includes(`Welcome aboard ${u}`));
    assert.equal(mail.subject, `Welcome aboard ${u}, Tess O'Template`);
    assert.match(mail.text, /^Hi Tess O'Template,/);
    assert.match(mail.text, /Join Acme Support & set your password:/);
    assert.match(mail.text, /Cheers <3/);
    assert.match(linkPath(mail), /^\/password-reset\/[A-Za-z0-9_-]+$/);
    assert.match(mail.html, /<a href="https?:\/\/[^"]+\/password-reset\/[A-Za-z0-9_-]+">/);
    assert.match(mail.html, /Cheers &lt;3/);
    // the link works
    assert.equal((await new Client().get(linkPath(mail))).status, 200);

    // reset to default: the shipped email again
    assert.equal((await admin.submit(settingsPath('/emails/invite/en'), { action: 'reset' })).status, 303);
    assert.equal(psql(`SELECT count(*) FROM portal_email_templates WHERE portal_id = ${PORTAL}`), '0');
    assert.equal(psql(`SELECT portal_resend_invitation(${PORTAL}, ${contact})`), 't');
    await waitForMail(email, (m) => /invited to our support portal/.test(m.subject));
  } finally {
    psql(`UPDATE portals SET access_mode = 'registration' WHERE id = ${PORTAL}; DELETE FROM portal_lists WHERE list_id = ${list}`);
    await registrationOpen();
  }
});

test('an edited confirmation email is what a self-registering customer receives', async () => {
  const subject = `Confirm it ${u}`;
  const r = await admin.submit(settingsPath('/emails/verify/en'), { action: 'save', subject, body: 'Welcome to {{portal_name}}.\n\nConfirm here: {{link}}' });
  assert.equal(r.status, 303);
  const email = `tmpl-verify-${u}@example.net`;
  const reg = await new Client().submit('/register', { name: 'Vera Verify', email, consent: 'yes' });
  assert.equal(reg.status, 200);
  const mail = await waitForMail(email, (m) => m.subject === subject);
  assert.match(mail.text, /Confirm here: https?:\/\/\S+\/password-reset\/[A-Za-z0-9_-]{43}/);
  assert.equal((await new Client().get(linkPath(mail))).status < 400, true);
  // the Swedish version stays the shipped one
  assert.equal((await admin.get(settingsPath('/emails/verify/sv'))).html.includes('shipped email is in use'), true);
  assert.equal((await admin.submit(settingsPath('/emails/verify/en'), { action: 'reset' })).status, 303);
});
