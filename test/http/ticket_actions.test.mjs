// ticket_actions.test.mjs - customers close and reopen their tickets (issue 14): POST
// /tickets/<id>/close and /reopen by the owner (stage, closed_at, timeline, the staff's
// staff_ticket_status mail), the buttons per state and switch, the switch off (404), another
// company's customer (404), the reopen window (409 with the new-ticket hint), a repeated POST, an
// emailed reply under the same switch and window, and /admin/settings/ticket-actions.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { psql } from '../lib/stack.mjs';
import { csrfOf, loggedIn, staffLoggedIn } from '../lib/client.mjs';
import { waitForMail } from '../lib/mail.mjs';
import { auditMark, auditSince, oneAudit } from '../lib/audit.mjs';
import { gate, plain, replyAddress } from '../lib/mailgate.mjs';
import { everyWorker, visit } from '../lib/wait.mjs';
import { settingsPath } from '../lib/portals.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const lines = (sql) => psql(sql).split('\n').filter(Boolean);
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const nonceOf = (html) => {
  const m = /name="nonce" value="([A-Za-z0-9_-]{43})"/.exec(html);
  if (!m) throw new Error('no nonce on the form');
  return m[1];
};
const U = uniq();

const ada = await loggedIn('ada@example.com');
const linus = await loggedIn('linus@example.org'); // Initech: another company
const admin = await staffLoggedIn('admin@example.com');
const SAVED = one(`SELECT customer_reopen || '|' || reopen_days || '|' || customer_cc || '|' || cc_same_domain || '|' || ratings_enabled
  FROM portals WHERE id = 1`).split('|');

after(() => {
  psql(`UPDATE portals SET customer_reopen = ${SAVED[0]}, reopen_days = ${SAVED[1]}, customer_cc = ${SAVED[2]},
    cc_same_domain = ${SAVED[3]}, ratings_enabled = ${SAVED[4]} WHERE id = 1`);
});

/* A new ticket of Ada's through the support form: its id. */
async function adaTicket(subject) {
  const page = await ada.get('/tickets/new');
  assert.equal(page.status, 200);
  const nonce = nonceOf(page.html);
  const r = await ada.post('/tickets/new', { csrf: csrfOf(page.html), nonce, subject, description: 'It hangs.' });
  assert.equal(r.status, 303, 'the support form creates the ticket');
  return one(`SELECT th.ticket_id FROM messages m JOIN threads th ON th.id = m.thread_id WHERE m.reply_nonce = '${nonce}'`);
}

const stageOf = (ticket) => one(`SELECT s.is_closed || '|' || s.position || '|' || (t.closed_at IS NOT NULL)
  FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id WHERE t.id = ${ticket}`);
const firstStage = (ticket, closed) => one(`SELECT s.position FROM pipeline_stages s JOIN tickets t ON t.pipeline_id = s.pipeline_id
  WHERE t.id = ${ticket} AND s.is_closed = ${closed} ORDER BY s.position, s.id LIMIT 1`);
const timeline = (ticket, kind) => Number(one(`SELECT count(*) FROM engagements WHERE ticket_id = ${ticket} AND kind = '${kind}'`));
const staffMails = (ticket) => lines(`SELECT to_address FROM mail_outbox WHERE ticket_id = ${ticket} AND email = 'staff_ticket_status'
  ORDER BY id`);
const closeForm = (html, ticket) => html.includes(`action="/tickets/${ticket}/close"`);
const reopenForm = (html, ticket) => html.includes(`action="/tickets/${ticket}/reopen"`);
const setReopen = (on, days = 14) => psql(`UPDATE portals SET customer_reopen = ${on}, reopen_days = ${days} WHERE id = 1`);
/* The ticket opened 60 days ago and closed `days` ago. */
const closeLongAgo = (ticket, days) => psql(`UPDATE tickets SET created_at = least(created_at, now() - interval '60 days'),
  closed_at = now() - interval '${days} days' WHERE id = ${ticket}`);

test('the owner closes an open ticket and reopens it: stage, closed_at, timeline, the staff mailed once each', async () => {
  setReopen(true, 14);
  const subject = `Close me ${U}`;
  const ticket = await adaTicket(subject);
  let page = await ada.get(`/tickets/${ticket}`);
  assert.equal(page.status, 200);
  assert.ok(closeForm(page.html, ticket), 'an open ticket offers "Close this ticket"');
  assert.match(page.html, /Close this ticket/);
  assert.match(page.html, /You can reopen it within 14 days\./, 'with a short word on what closing means');
  assert.ok(!reopenForm(page.html, ticket));

  const mark = auditMark();
  const r = await ada.post(`/tickets/${ticket}/close`, { csrf: csrfOf(page.html) });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), `/tickets/${ticket}?done=closed#actions`);
  assert.equal(stageOf(ticket), `true|${firstStage(ticket, true)}|true`, "the pipeline's first closed stage, closed_at set");
  assert.equal(timeline(ticket, 'ticket_closed_by_customer'), 1, 'on the timeline');
  oneAudit(mark, { action: 'ticket_close', actor_kind: 'member', detail: { ticket_id: Number(ticket) } });
  const staff = staffMails(ticket);
  assert.ok(staff.includes('agent@example.com'), `the inbox's staff are told (${staff})`);
  const mail = await waitForMail('agent@example.com', (m) => m.subject === `Ticket closed by the customer #${ticket}: ${subject}`);
  assert.match(mail.text, new RegExp(`ada@example\\.com> closed ticket #${ticket}`));
  assert.match(mail.text, /\/admin\/inbox\/\d+/, 'a link to the conversation in the console');
  assert.equal(mail.headers['x-portal-notification'], 'staff_ticket_status');
  // the ticket's contacts get ticket_closed as for any closing, with the rating links
  const closedMail = psql(`SELECT to_address || '|' || (body_text LIKE '%/rating?score=good&t=%') FROM mail_outbox
    WHERE ticket_id = ${ticket} AND email = 'ticket_closed'`);
  assert.equal(closedMail, 'ada@example.com|true');

  // the page after: the status message, Reopen offered, no reply form
  page = await ada.get(`/tickets/${ticket}?done=closed`);
  assert.match(page.html, /role="status">Ticket closed\.</);
  assert.ok(reopenForm(page.html, ticket), 'a closed ticket within the window offers Reopen');
  assert.ok(!closeForm(page.html, ticket));
  assert.ok(!page.html.includes(`action="/tickets/${ticket}/reply"`));

  // a second click (the same form again): nothing changes, the same answer
  const again = await ada.post(`/tickets/${ticket}/close`, { csrf: csrfOf(page.html) });
  assert.equal(again.status, 303);
  assert.equal(timeline(ticket, 'ticket_closed_by_customer'), 1, 'one change');
  assert.equal(staffMails(ticket).length, staff.length, 'no second mail');

  const r2 = await ada.post(`/tickets/${ticket}/reopen`, { csrf: csrfOf(page.html) });
  assert.equal(r2.status, 303);
  assert.equal(r2.headers.get('location'), `/tickets/${ticket}?done=reopened#actions`);
  assert.equal(stageOf(ticket), `false|${firstStage(ticket, false)}|false`, "the first open stage, closed_at cleared");
  assert.equal(timeline(ticket, 'ticket_reopened_by_customer'), 1);
  await waitForMail('agent@example.com', (m) => m.subject === `Ticket reopened by the customer #${ticket}: ${subject}`);
  assert.equal(staffMails(ticket).length, 2 * staff.length);
  page = await ada.get(`/tickets/${ticket}?done=reopened`);
  assert.match(page.html, /role="status">Ticket reopened\.</);
  assert.ok(closeForm(page.html, ticket) && page.html.includes(`action="/tickets/${ticket}/reply"`), 'open again');
  assert.equal((await ada.post(`/tickets/${ticket}/reopen`, { csrf: csrfOf(page.html) })).status, 303, 'reopening twice: just back');
  assert.equal(timeline(ticket, 'ticket_reopened_by_customer'), 1);
});

test('in Swedish: the button, the status message and the staff mail', async () => {
  setReopen(true, 14);
  const subject = `Svenska ${U}`;
  const ticket = await adaTicket(subject);
  psql("UPDATE portal_domains SET language = 'sv' WHERE host = 'localhost'");
  const speaks = (lang) => everyWorker(async () => (await visit('/login')).html.includes(`<html lang="${lang}">`), `the portal speaking ${lang}`);
  await speaks('sv');
  try {
    const page = await ada.get(`/tickets/${ticket}`);
    assert.match(page.html, />Stäng ärendet</);
    assert.match(page.html, /Du kan återöppna det inom 14 dagar\./);
    assert.equal((await ada.post(`/tickets/${ticket}/close`, { csrf: csrfOf(page.html) })).status, 303);
    assert.match((await ada.get(`/tickets/${ticket}?done=closed`)).html, /Ärendet är stängt\.[\s\S]*>Återöppna</);
    assert.equal(one(`SELECT subject FROM mail_outbox WHERE ticket_id = ${ticket} AND email = 'staff_ticket_status'
      AND to_address = 'agent@example.com'`), `Ärende stängt av kunden #${ticket}: ${subject}`, 'the staff mail in Swedish');
  } finally {
    psql("UPDATE portal_domains SET language = 'en' WHERE host = 'localhost'");
    await speaks('en');
  }
});

test('another company\'s customer gets 404 on both, and changes nothing', async () => {
  setReopen(true, 14);
  const ticket = await adaTicket(`Not Linus's ${U}`);
  const page = await linus.get('/tickets');
  assert.equal((await linus.get(`/tickets/${ticket}`)).status, 404);
  assert.equal((await linus.post(`/tickets/${ticket}/close`, { csrf: csrfOf(page.html) })).status, 404);
  assert.equal(stageOf(ticket).split('|')[0], 'false', 'still open');
  psql(`UPDATE tickets SET stage_id = (SELECT id FROM pipeline_stages WHERE pipeline_id = tickets.pipeline_id AND is_closed
    ORDER BY position LIMIT 1), closed_at = now() WHERE id = ${ticket}`);
  assert.equal((await linus.post(`/tickets/${ticket}/reopen`, { csrf: csrfOf(page.html) })).status, 404);
  assert.equal(stageOf(ticket).split('|')[0], 'true', 'still closed');
  assert.equal((await linus.post('/tickets/999999999/close', { csrf: csrfOf(page.html) })).status, 404, 'as a missing one');
  assert.equal((await ada.post(`/tickets/${ticket}/close`, {})).status, 403, 'no CSRF token: refused');
});

test('switched off: no buttons, both POSTs 404, the closed page says to submit a new ticket', async () => {
  const open = await adaTicket(`Switch off open ${U}`);
  const closed = await adaTicket(`Switch off closed ${U}`);
  psql(`UPDATE tickets SET stage_id = (SELECT id FROM pipeline_stages WHERE pipeline_id = tickets.pipeline_id AND is_closed
    ORDER BY position LIMIT 1), closed_at = now() WHERE id = ${closed}`);
  setReopen(false, 14);
  try {
    const po = await ada.get(`/tickets/${open}`);
    assert.ok(!closeForm(po.html, open), 'no Close button');
    assert.ok(po.html.includes(`action="/tickets/${open}/reply"`), 'the reply form stays');
    const pc = await ada.get(`/tickets/${closed}`);
    assert.ok(!reopenForm(pc.html, closed), 'no Reopen button');
    assert.match(pc.html, /This ticket is closed\. To continue, submit a new ticket\./);
    assert.match(pc.html, /href="\/tickets\/new"/, 'a link to the support form');
    assert.equal((await ada.post(`/tickets/${open}/close`, { csrf: csrfOf(po.html) })).status, 404);
    assert.equal((await ada.post(`/tickets/${closed}/reopen`, { csrf: csrfOf(pc.html) })).status, 404);
    assert.equal(stageOf(open).split('|')[0], 'false');
    assert.equal(stageOf(closed).split('|')[0], 'true');
    assert.equal(timeline(open, 'ticket_closed_by_customer') + timeline(closed, 'ticket_reopened_by_customer'), 0);
  } finally {
    setReopen(true, 14);
  }
});

test('outside the reopen window: no button, the POST is refused (409) with the new-ticket hint', async () => {
  setReopen(true, 7);
  const ticket = await adaTicket(`Too late ${U}`);
  const p0 = await ada.get(`/tickets/${ticket}`);
  assert.equal((await ada.post(`/tickets/${ticket}/close`, { csrf: csrfOf(p0.html) })).status, 303);
  closeLongAgo(ticket, 8);
  const page = await ada.get(`/tickets/${ticket}`);
  assert.ok(!reopenForm(page.html, ticket), 'no Reopen after the window');
  assert.match(page.html, /To continue, submit a new ticket\./);
  const r = await ada.post(`/tickets/${ticket}/reopen`, { csrf: csrfOf(page.html) });
  assert.equal(r.status, 409);
  assert.match(r.html, /role="alert">This ticket can no longer be reopened\. To continue, submit a new ticket\./);
  assert.match(r.html, /href="\/tickets\/new"/);
  assert.equal(stageOf(ticket).split('|')[0], 'true', 'still closed');
  assert.equal(timeline(ticket, 'ticket_reopened_by_customer'), 0);
  // within the window (6 of 7 days): the button is back
  closeLongAgo(ticket, 6);
  assert.ok(reopenForm((await ada.get(`/tickets/${ticket}`)).html, ticket));
  setReopen(true, 14);
});

test('an emailed reply to a closed ticket follows the same switch and window', async () => {
  setReopen(true, 7);
  const ticket = await adaTicket(`By mail ${U}`);
  const p0 = await ada.get(`/tickets/${ticket}`);
  assert.equal((await ada.post(`/tickets/${ticket}/close`, { csrf: csrfOf(p0.html) })).status, 303);
  const to = replyAddress('support@example.com', ticket);
  const send = (body) => {
    const m = plain({ to, subject: 'Re: closed', body });
    const r = gate(m.text, ['--to', to]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    return one(`SELECT reason || '|' || coalesce(ticket_id, 0) FROM mail_inbound WHERE message_id = '${m.id}' ORDER BY id DESC LIMIT 1`);
  };
  try {
    // switched off: a follow-up, the ticket stays closed
    setReopen(false, 7);
    assert.match(send(`Switched off ${U}`), /follow-up/);
    assert.equal(stageOf(ticket).split('|')[0], 'true');
    // outside the window: a follow-up as well
    setReopen(true, 7);
    closeLongAgo(ticket, 8);
    assert.match(send(`Too late ${U}`), /follow-up/);
    assert.equal(stageOf(ticket).split('|')[0], 'true');
    // inside: reopened, like the button would
    closeLongAgo(ticket, 2);
    assert.match(send(`In time ${U}`), new RegExp(`reopened ticket ${ticket}\\|${ticket}$`));
    assert.equal(stageOf(ticket), `false|${firstStage(ticket, false)}|false`);
  } finally {
    setReopen(true, 14);
  }
});

test(settingsPath('/ticket-actions: every switch of issue 14, validated (422, input kept) and audited'), async () => {
  const page = await admin.get(settingsPath('/ticket-actions'));
  assert.equal(page.status, 200);
  assert.match(page.html, /<h1>Ticket actions<\/h1>/);
  for (const label of ['Customers may close and reopen their tickets', 'Reopen window (days)',
    'Customers may copy in colleagues (CC)', "Only addresses of the requester's company domain",
    'Ask for a rating when a ticket is closed']) assert.ok(page.html.includes(label.replace(/'/g, '&#39;')) || page.html.includes(label), label);
  const index = await admin.get(settingsPath());
  assert.match(index.html, /href="\/admin\/portals\/\d+\/settings\/ticket-actions"/, 'linked from the settings');
  const notif = await admin.get(settingsPath('/notifications'));
  assert.ok(!/name="reopen_days"/.test(notif.html), 'no longer on the notifications page');
  assert.match(notif.html, /name="staff_ticket_status"/, 'the new notification can be switched off there');
  const csrf = csrfOf(page.html);

  for (const bad of ['0', '366', 'x', '']) {
    const r = await admin.post(settingsPath('/ticket-actions'), { csrf, reopen: 'on', reopen_days: bad, cc: 'on', ratings: 'on' });
    assert.equal(r.status, 422, `"${bad}" days refused`);
    assert.match(r.html, /from 1 to 365/);
    assert.match(r.html, new RegExp(`id="reopen_days"[^>]*value="${bad}"`), 'the input kept');
    assert.match(r.html, /id="cc" name="cc" type="checkbox" value="on"[^>]* checked/, 'the other fields kept');
    assert.ok(!/id="cc_same_domain"[^>]* checked/.test(r.html));
  }
  assert.equal(one('SELECT reopen_days FROM portals WHERE id = 1'), SAVED[1], 'nothing saved');

  const mark = auditMark();
  // reopen off, 30 days, CC on with the domain limit, ratings off
  const r = await admin.post(settingsPath('/ticket-actions'), { csrf, reopen_days: '30', cc: 'on', cc_same_domain: 'on' });
  assert.equal(r.status, 303);
  assert.equal(one(`SELECT customer_reopen || '|' || reopen_days || '|' || customer_cc || '|' || cc_same_domain || '|' || ratings_enabled
    FROM portals WHERE id = 1`), 'false|30|true|true|false');
  const rows = auditSince(mark, { action: 'settings_change' });
  const changed = rows.map((a) => a.detail.setting).sort();
  const expect = ['customer_reopen', 'ratings_enabled', 'reopen_days'];
  if (SAVED[2] !== 'true') expect.push('customer_cc');
  if (SAVED[3] !== 'true') expect.push('cc_same_domain');
  assert.deepEqual(changed, expect.sort());
  const days = rows.find((a) => a.detail.setting === 'reopen_days');
  assert.equal(String(days.detail.after.reopen_days ?? days.detail.after), '30');
  assert.match((await admin.get(settingsPath())).html, /Customers cannot close or reopen tickets/);

  // the page shows what was saved, and the portal follows at once: no Close button
  const back = await admin.get(settingsPath('/ticket-actions'));
  assert.match(back.html, /id="reopen_days"[^>]*value="30"/);
  assert.ok(!/id="reopen" name="reopen" type="checkbox" value="on"[^>]* checked/.test(back.html));
  const ticket = await adaTicket(`After save ${U}`);
  assert.ok(!closeForm((await ada.get(`/tickets/${ticket}`)).html, ticket));

  const again = await admin.post(settingsPath('/ticket-actions'), { csrf, reopen: 'on', reopen_days: '14', cc: 'on', ratings: 'on' });
  assert.equal(again.status, 303);
  assert.equal(one('SELECT customer_reopen || \'|\' || reopen_days FROM portals WHERE id = 1'), 'true|14');
  assert.ok(closeForm((await ada.get(`/tickets/${ticket}`)).html, ticket));
});

test('staff_ticket_status: switched off, nothing is queued; editable and previewed like the others', async () => {
  setReopen(true, 14);
  const list = await admin.get(settingsPath('/emails'));
  assert.ok(list.html.includes(settingsPath('/emails/staff_ticket_status/sv')));
  const pv = await admin.get(settingsPath('/emails/staff_ticket_status/en/preview'));
  assert.equal(pv.status, 200);
  assert.match(pv.html, /closed ticket #42/);
  const ticket = await adaTicket(`Quiet close ${U}`);
  psql(`INSERT INTO portal_notifications (portal_id, email, enabled) VALUES (1, 'staff_ticket_status', false)
    ON CONFLICT (portal_id, email) DO UPDATE SET enabled = false`);
  try {
    const page = await ada.get(`/tickets/${ticket}`);
    assert.equal((await ada.post(`/tickets/${ticket}/close`, { csrf: csrfOf(page.html) })).status, 303);
    assert.equal(stageOf(ticket).split('|')[0], 'true', 'closed');
    assert.deepEqual(staffMails(ticket), [], 'no mail');
  } finally {
    psql(`DELETE FROM portal_notifications WHERE portal_id = 1 AND email = 'staff_ticket_status'`);
  }
});
