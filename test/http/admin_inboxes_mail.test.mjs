// admin_inboxes_mail.test.mjs - the inbox's mail settings in the console (/admin/inboxes/<id>):
// exactly one primary among the connected addresses, the IMAP mailbox of an address (validated,
// input kept, the password sealed with AES-256-GCM under the config's secret_key and never shown
// again, an empty field keeping it, removable), the mailer polling it at once on save and
// recording the poll's error, what mail from unknown senders does, and the staff users notified.
// Works on an inbox of its own; the demo inboxes stay as they were.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { staffLoggedIn } from '../lib/client.mjs';
import { psql } from '../lib/stack.mjs';
import { waitFor } from '../lib/wait.mjs';
import { auditMark, oneAudit, staffId } from '../lib/audit.mjs';

const u = Date.now().toString(36);
const one = (sql) => psql(sql).split('\n')[0];
const admin = await staffLoggedIn();
const ADMIN = staffId('admin@example.com');
const audited = (mark, action) => JSON.stringify(oneAudit(mark, { action, actor_kind: 'staff', actor_id: ADMIN }).detail);
const idFrom = (res) => /\/(\d+)(\?|$)/.exec(res.headers.get('location') || '')?.[1];

const created = await admin.submit('/admin/inboxes', { name: `Mail inbox ${u}` });
const IB = idFrom(created);
const BASE = `/admin/inboxes/${IB}`;
after(() => psql(`DELETE FROM inboxes WHERE id = ${IB}`));

async function addAddress(address, connected = true) {
  const r = await admin.submit(BASE, connected ? { address, connected: '1' } : { address }, `${BASE}/addresses`);
  assert.equal(r.status, 303);
  return one(`SELECT id FROM inbox_addresses WHERE address = '${address}'`);
}
const primaries = () => psql(`SELECT address FROM inbox_addresses WHERE inbox_id = ${IB} AND is_primary ORDER BY id`);

/* What lib/secretbox.c sealed for address id, opened as the mailer does: key HMAC-SHA-256 of
 * "secretbox" under the secret_key text, "inbox_address:<id>" as additional data, base64 of
 * nonce(12) | tag(16) | ciphertext. */
function openSealed(sealed, id) {
  const secret = JSON.parse(readFileSync(process.env.PORTAL_CONFIG, 'utf8')).secret_key;
  const raw = Buffer.from(sealed, 'base64');
  const d = createDecipheriv('aes-256-gcm', createHmac('sha256', secret).update('secretbox').digest(), raw.subarray(0, 12));
  d.setAAD(Buffer.from(`inbox_address:${id}`));
  d.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
}

/* A loopback port nothing listens on. */
async function closedPort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

test('one primary among the connected addresses: the first, a chosen one, the next when it goes', async () => {
  const page = await admin.get(BASE);
  assert.match(page.html, /reaches the portal only when your mail server pipes it to <code>build\/portal-mailgate<\/code>/);
  assert.match(page.html, /goes out From the <strong>primary<\/strong> address, with the portal's name/);
  const off = await addAddress(`off-${u}@example.com`, false);
  assert.equal(primaries(), '', 'a disconnected address is never primary');
  assert.match((await admin.get(BASE)).html, /no primary address/);
  const a = await addAddress(`a-${u}@example.com`);
  const b = await addAddress(`b-${u}@example.com`);
  assert.equal(primaries(), `a-${u}@example.com`, 'the first connected one');
  assert.match((await admin.get(BASE)).html, new RegExp(`a-${u}@example.com <span class="badge">primary</span>`));

  let mark = auditMark();
  assert.equal((await admin.submit(BASE, {}, `${BASE}/addresses/${b}/primary`)).status, 303);
  assert.equal(primaries(), `b-${u}@example.com`);
  assert.match(audited(mark, 'inbox_address_primary'), new RegExp(`b-${u}@example.com`));

  // a disconnected address cannot be primary: the page again with the message
  const refused = await admin.submit(BASE, {}, `${BASE}/addresses/${off}/primary`);
  assert.equal(refused.status, 422);
  assert.match(refused.html, /Only a connected address can be the primary address/);
  assert.equal(primaries(), `b-${u}@example.com`);
  // another inbox's address through this inbox's URL: 404
  assert.equal((await admin.submit(BASE, {}, `${BASE}/addresses/1/primary`)).status, 404);

  // disconnecting the primary hands it to the other connected one; removing that one, to none
  mark = auditMark();
  assert.equal((await admin.submit(BASE, { connected: '0' }, `${BASE}/addresses/${b}`)).status, 303);
  assert.equal(primaries(), `a-${u}@example.com`);
  assert.equal((await admin.submit(BASE, {}, `${BASE}/addresses/${a}/delete`)).status, 303);
  assert.equal(primaries(), '', 'no connected address left');
  assert.equal((await admin.submit(BASE, { connected: '1' }, `${BASE}/addresses/${b}`)).status, 303);
  assert.equal(primaries(), `b-${u}@example.com`, 'connecting one makes it primary again');
});

test('IMAP mailbox: validated with the input kept, password sealed and never shown, polled at once, removable', async () => {
  const aid = await addAddress(`imap-${u}@example.com`);
  const url = `${BASE}/addresses/${aid}/imap`;
  const bad = await admin.submit(BASE, { imap_host: 'mail example com', imap_port: '99999', imap_security: 'ssl3',
    imap_user: '', imap_password: '', imap_folder: 'In"box' }, url);
  assert.equal(bad.status, 422);
  assert.match(bad.html, /Nothing was saved/);
  assert.match(bad.html, /value="mail example com"/, 'the input is kept');
  assert.match(bad.html, /The port is a number from 1 to 65535/);
  assert.match(bad.html, /Choose how the connection is secured/);
  assert.match(bad.html, /Enter the mailbox&#39;s password|Enter the mailbox's password/);
  assert.match(bad.html, /The folder name has at most 200 characters/);
  assert.match(bad.html, /aria-describedby="imap_port-error"/);
  assert.equal(one(`SELECT imap_host IS NULL FROM inbox_addresses WHERE id = ${aid}`), 't');

  const port = await closedPort();
  const password = `pw-${u}-secret`;
  let mark = auditMark();
  const saved = await admin.submit(BASE, { imap_host: '127.0.0.1', imap_port: String(port), imap_security: 'starttls',
    imap_user: `user-${u}`, imap_password: password, imap_folder: '' }, url);
  assert.equal(saved.status, 303);
  const row = one(`SELECT imap_host || '|' || imap_port || '|' || imap_security || '|' || imap_user || '|' || imap_folder || '|' || imap_password_enc
    FROM inbox_addresses WHERE id = ${aid}`).split('|');
  assert.deepEqual(row.slice(0, 5), ['127.0.0.1', String(port), 'starttls', `user-${u}`, 'INBOX']);
  assert.ok(!row[5].includes(password), 'not stored in clear');
  assert.equal(Buffer.from(row[5], 'base64').length, 12 + 16 + password.length, 'nonce | tag | ciphertext');
  assert.equal(openSealed(row[5], aid), password, 'AES-256-GCM under the secret_key, bound to its address');
  assert.throws(() => openSealed(row[5], Number(aid) + 1), /authenticate/, 'copied to another address, it does not open');
  const a = audited(mark, 'inbox_address_imap');
  assert.match(a, /"imap_password": ?"changed"/);
  assert.ok(!a.includes(password) && !a.includes(row[5]), 'the audit row has neither the password nor its seal');

  const page = await admin.get(BASE);
  assert.ok(!page.html.includes(password) && !page.html.includes(row[5]), 'never shown again');
  assert.match(page.html, /Password \(set; leave empty to keep it\)/);

  // the mailer polls at once (NOTIFY mail_imap): nothing listens, so it records the error
  const err = await waitFor(() => one(`SELECT imap_error FROM inbox_addresses WHERE id = ${aid} AND imap_polled_at IS NOT NULL`) || null,
    { timeout: 15000, interval: 100, what: 'the poll of the new mailbox' });
  assert.match(err, /connect/i);
  assert.ok(!err.includes(password));
  assert.match((await admin.get(BASE)).html, /Last error: [^<]*connect/i);

  // saved again with the password field empty: the stored one is kept; other fields change
  mark = auditMark();
  assert.equal((await admin.submit(BASE, { imap_host: 'imap.example.net', imap_port: '', imap_security: 'tls',
    imap_user: `user-${u}`, imap_password: '', imap_folder: 'Support' }, url)).status, 303);
  assert.equal(one(`SELECT imap_host || '|' || imap_port || '|' || imap_security || '|' || imap_folder || '|' || (imap_password_enc = '${row[5]}')
    FROM inbox_addresses WHERE id = ${aid}`), 'imap.example.net|993|tls|Support|true');
  assert.match(audited(mark, 'inbox_address_imap'), /"imap_password": ?"set"/);

  // removed: every IMAP column cleared
  mark = auditMark();
  assert.equal((await admin.submit(BASE, {}, `${url}/delete`)).status, 303);
  assert.equal(one(`SELECT (imap_host IS NULL AND imap_password_enc IS NULL AND imap_user IS NULL AND imap_error IS NULL)
    FROM inbox_addresses WHERE id = ${aid}`), 't');
  assert.match(audited(mark, 'inbox_address_imap_remove'), /imap\.example\.net/);
  assert.equal((await admin.submit(BASE, {}, `${url}/delete`)).status, 404, 'nothing left to remove');
});

test('unknown senders and the notified staff: saved, audited, "none = everyone" said on the page', async () => {
  let page = await admin.get(BASE);
  assert.match(page.html, /None chosen: <strong>every staff user<\/strong> is notified/);
  assert.match(page.html, /id="unknown_ticket" name="unknown_senders" type="radio" value="ticket" checked/);
  const agent = staffId('agent@example.com');
  const mark = auditMark();
  assert.equal((await admin.submit(BASE, { unknown_senders: 'drop', staff: String(agent) }, `${BASE}/mail`)).status, 303);
  assert.equal(one(`SELECT unknown_senders FROM inboxes WHERE id = ${IB}`), 'drop');
  assert.equal(psql(`SELECT staff_user_id FROM inbox_staff WHERE inbox_id = ${IB}`), String(agent));
  const a = audited(mark, 'inbox_mail');
  assert.match(a, /"unknown_senders": ?"drop"/);
  assert.match(a, /agent@example\.com/);
  page = await admin.get(BASE);
  assert.doesNotMatch(page.html, /None chosen/);
  assert.match(page.html, new RegExp(`id="staff-${agent}" name="staff" type="checkbox" value="${agent}" checked`));

  // two staff users (one twice, one not a staff user at all), then none again
  const body = new URLSearchParams([['csrf', /name="csrf" value="([0-9a-f]{64})"/.exec(page.html)[1]], ['unknown_senders', 'ticket'],
    ['staff', String(agent)], ['staff', String(ADMIN)], ['staff', String(agent)], ['staff', '999999999']]);
  const r = await admin.request(`${BASE}/mail`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
  assert.equal(r.status, 303);
  assert.equal(psql(`SELECT string_agg(staff_user_id::text, ',' ORDER BY staff_user_id) FROM inbox_staff WHERE inbox_id = ${IB}`),
    [ADMIN, agent].sort((x, y) => x - y).join(','));
  assert.equal((await admin.submit(BASE, { unknown_senders: 'ticket' }, `${BASE}/mail`)).status, 303);
  assert.equal(one(`SELECT count(*) FROM inbox_staff WHERE inbox_id = ${IB}`), '0');

  const bad = await admin.submit(BASE, { unknown_senders: 'bounce' }, `${BASE}/mail`);
  assert.equal(bad.status, 422);
  assert.match(bad.html, /Choose what mail from unknown senders does/);
  assert.equal(one(`SELECT unknown_senders FROM inboxes WHERE id = ${IB}`), 'ticket');
  // agents see no console configuration
  const agentClient = await staffLoggedIn('agent@example.com');
  assert.notEqual((await agentClient.submit('/admin/inbox', { unknown_senders: 'drop' }, `${BASE}/mail`)).status, 303);
  assert.equal(one(`SELECT unknown_senders FROM inboxes WHERE id = ${IB}`), 'ticket');
});
