// ticket_rating.test.mjs - rating the answer to a closed ticket: the ticket_closed mail's good/bad
// links (signed for one contact and one ticket, 14 days), the form they open (choice preselected,
// optional comment), recorded once (a second use says so and records nothing), forged, expired and
// other tickets' tokens refused, the switch (off: 404), an open ticket not rated yet, the logged-in
// owner rating from the ticket page (another company's customer: 404), Swedish, and the console's
// report per inbox and agent with the comments over a period.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { psql, VAR } from '../lib/stack.mjs';
import { Client, csrfOf, loggedIn, staffLoggedIn } from '../lib/client.mjs';
import { waitForMail } from '../lib/mail.mjs';
import { auditMark, auditSince } from '../lib/audit.mjs';
import { everyWorker, visit } from '../lib/wait.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const nonceOf = (html, action = '') => {
  const m = new RegExp(`${action}[\\s\\S]*?name="nonce" value="([A-Za-z0-9_-]{43})"`).exec(html);
  if (!m) throw new Error('no nonce on the form');
  return m[1];
};
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/* Tokens as fcgi/mail_tokens.c makes them: "<contact>.<expires>.<hex HMAC-SHA-256 under the
 * config's secret_key of "<purpose>:<contact>.<ticket>.<expires>">". */
const SECRET = JSON.parse(readFileSync(path.join(VAR, 'portal.json'), 'utf8')).secret_key;
const now = () => Math.floor(Date.now() / 1000);
function token(contact, ticket, expires = now() + 14 * 86400, purpose = 'rating') {
  const sig = createHmac('sha256', SECRET).update(`${purpose}:${contact}.${ticket}.${expires}`).digest('hex');
  return `${contact}.${expires}.${sig}`;
}
const rateUrl = (ticket, t, score) => `/tickets/${ticket}/rating?${score ? `score=${score}&` : ''}t=${encodeURIComponent(t)}`;

const U = uniq();
const ADA = 1, LINUS = 3;
const admin = await staffLoggedIn('admin@example.com');
const agent = await staffLoggedIn('agent@example.com');
const ada = await loggedIn('ada@example.com');
const AGENT_ID = one("SELECT id FROM staff_users WHERE email = 'agent@example.com'");
const AGENT_NAME = one("SELECT coalesce(nullif(name, ''), email) FROM staff_users WHERE email = 'agent@example.com'");

before(() => psql('UPDATE portals SET ratings_enabled = true WHERE id = 1'));
after(() => psql(`UPDATE portals SET ratings_enabled = true WHERE id = 1;
  DELETE FROM ticket_ratings WHERE comment LIKE '%${U}%'`));

/* A new ticket of Ada's through the support form: its id and thread (the Support inbox). */
async function formTicket(subject) {
  const page = await ada.get('/tickets/new');
  assert.equal(page.status, 200);
  const nonce = nonceOf(page.html);
  const res = await ada.post('/tickets/new', { csrf: csrfOf(page.html), nonce, subject, description: 'It does not work.' });
  assert.equal(res.status, 303, 'the support form creates the ticket');
  const [ticket, thread] = one(`SELECT th.ticket_id || '|' || th.id FROM messages m JOIN threads th ON th.id = m.thread_id
    WHERE m.reply_nonce = '${nonce}'`).split('|');
  return { ticket, thread };
}

async function agentReply(thread, body) {
  const page = await agent.get(`/admin/inbox/${thread}`);
  const nonce = nonceOf(page.html, `action="/admin/inbox/${thread}/reply"`);
  assert.equal((await agent.post(`/admin/inbox/${thread}/reply`, { csrf: csrfOf(page.html), nonce, body })).status, 303);
}

/* Close by the console (mails ticket_closed). */
async function closeByStage(ticket, thread) {
  const closed = one(`SELECT s.id FROM pipeline_stages s JOIN tickets t ON t.pipeline_id = s.pipeline_id
    WHERE t.id = ${ticket} AND s.is_closed ORDER BY s.position LIMIT 1`);
  const page = await agent.get(`/admin/inbox/${thread}`);
  assert.equal((await agent.post(`/admin/inbox/${thread}/stage`, { csrf: csrfOf(page.html), stage_id: closed })).status, 303);
}

/* Close quietly (no mail): for the tests that make their tokens themselves. */
function closeBySql(ticket) {
  psql(`UPDATE tickets t SET stage_id = (SELECT s.id FROM pipeline_stages s WHERE s.pipeline_id = t.pipeline_id
    AND s.is_closed ORDER BY s.position LIMIT 1), closed_at = now() WHERE t.id = ${ticket}`);
}

const ratings = (ticket) => one(`SELECT count(*) FROM ticket_ratings WHERE ticket_id = ${ticket}`);

function noReferrer(res) {
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer', 'the token in the URL is never sent on');
}

/* The two links of a ticket_closed mail's text part. */
function links(mail) {
  const good = /Good: (https?:\/\/\S+)/.exec(mail.text), bad = /Bad: (https?:\/\/\S+)/.exec(mail.text);
  assert.ok(good && bad, `both rating links in the mail:\n${mail.text}`);
  const p = (u) => { const x = new URL(u); return x.pathname + x.search; };
  return { good: p(good[1]), bad: p(bad[1]) };
}

let FIRST; // {ticket, thread} rated by link in the first test, used by the report

test('the ticket_closed mail has Good and Bad links; each opens the form preselected; the POST records once', async () => {
  const subject = `Rate me ${U}`;
  FIRST = await formTicket(subject);
  const { ticket, thread } = FIRST;
  await agentReply(thread, `Fixed it (${U})`);
  await closeByStage(ticket, thread);
  const mail = await waitForMail('ada@example.com', (m) => m.subject === `Your ticket was closed #${ticket}: ${subject}`);
  const { good, bad } = links(mail);
  assert.match(good, new RegExp(`^/tickets/${ticket}/rating\\?score=good&t=1\\.\\d+\\.[0-9a-f]{64}$`));
  assert.match(bad, new RegExp(`^/tickets/${ticket}/rating\\?score=bad&t=1\\.\\d+\\.[0-9a-f]{64}$`));
  const t = new URLSearchParams(good.split('?')[1]).get('t');
  const expires = Number(t.split('.')[1]);
  assert.ok(Math.abs(expires - (now() + 14 * 86400)) < 120, 'good for 14 days');
  assert.ok(mail.html.includes(good.replace('&', '&amp;')) && mail.html.includes(bad.replace('&', '&amp;')), 'buttons in the HTML part');
  assert.match(mail.html, />Good<\/a>[\s\S]*>Bad<\/a>/);

  // logged out: the form, its choice preselected, nothing recorded by a GET (mail scanners open links)
  const c = new Client();
  const page = await c.get(good);
  assert.equal(page.status, 200);
  noReferrer(page);
  assert.match(page.html, new RegExp(`Rate our answer to ticket #${ticket}`));
  assert.match(page.html, /value="good" checked/);
  assert.doesNotMatch(page.html, /value="bad" checked/);
  assert.match(page.html, new RegExp(`<form method="post" action="/tickets/${ticket}/rating"`));
  assert.ok(!page.html.includes(subject), 'nothing of the ticket before sign-in but its number');
  const badPage = await new Client().get(bad);
  assert.match(badPage.html, /value="bad" checked/);
  assert.doesNotMatch(badPage.html, /value="good" checked/);
  assert.equal(ratings(ticket), '0');
  assert.equal(c.jar.has('portal_session'), false, 'a rating link signs nobody in');

  // the POST without its CSRF token is refused
  assert.equal((await c.post(`/tickets/${ticket}/rating`, { t, score: 'good' })).status, 403);
  // bad input: the form again, input kept
  const noScore = await c.post(`/tickets/${ticket}/rating`, { csrf: csrfOf(page.html), t, comment: `Kept ${U}` });
  assert.equal(noScore.status, 422);
  assert.match(noScore.html, /Choose Good or Bad\./);
  assert.ok(noScore.html.includes(`Kept ${U}</textarea>`), 'the comment kept');
  const long = await c.post(`/tickets/${ticket}/rating`, { csrf: csrfOf(page.html), t, score: 'good', comment: 'x'.repeat(2001) });
  assert.equal(long.status, 422);
  assert.match(long.html, /value="good" checked/);
  assert.equal(ratings(ticket), '0');

  const mark = auditMark();
  const comment = `Quick and kind, thanks! ${U}`;
  const r = await c.post(`/tickets/${ticket}/rating`, { csrf: csrfOf(page.html), t, score: 'good', comment });
  assert.equal(r.status, 200);
  noReferrer(r);
  assert.match(r.html, /Thank you for your rating/);
  const inbox = one(`SELECT inbox_id FROM threads WHERE id = ${thread}`);
  assert.equal(one(`SELECT score || '|' || comment || '|' || contact_id || '|' || agent_user_id || '|' || inbox_id || '|' || portal_id
    FROM ticket_ratings WHERE ticket_id = ${ticket}`), `good|${comment}|${ADA}|${AGENT_ID}|${inbox}|1`);
  assert.equal(auditSince(mark, { action: 'ticket_rated', actor_kind: 'anonymous', detail: { ticket: Number(ticket), contact: ADA, score: 'good', via: 'link' } }).length, 1);

  // the link again (either one): rated already, with what was given; nothing recorded again
  for (const href of [good, bad]) {
    const again = await new Client().get(href);
    assert.equal(again.status, 200);
    assert.match(again.html, /This ticket has been rated already/);
    assert.match(again.html, /Rating: <strong class="rating-good">Good<\/strong>/);
    assert.ok(again.html.includes(comment), 'and the comment');
    assert.doesNotMatch(again.html, /name="score"/, 'no form');
  }
  const twice = await c.post(`/tickets/${ticket}/rating`, { csrf: csrfOf(page.html), t, score: 'bad', comment: 'changed my mind' });
  assert.equal(twice.status, 409);
  assert.match(twice.html, /This ticket has been rated already/);
  assert.equal(ratings(ticket), '1');
  assert.equal(one(`SELECT score FROM ticket_ratings WHERE ticket_id = ${ticket}`), 'good', 'recorded once');
});

test("forged, expired, another ticket's and a ticket link's tokens are refused; a contact who cannot see it gets 404", async () => {
  const { ticket } = await formTicket(`Tokens ${U}`);
  const other = await formTicket(`Other ${U}`);
  closeBySql(ticket);
  closeBySql(other.ticket);
  const good = token(ADA, ticket);
  const cases = {
    forged: good.slice(0, -1) + (good.endsWith('0') ? '1' : '0'),
    'another ticket': token(ADA, other.ticket),
    'expiry moved on': good.replace(/^(\d+)\.(\d+)\./, (_, c, e) => `${c}.${Number(e) + 86400}.`),
    'a ticket link': token(ADA, ticket, now() + 86400, 'ticket-link'),
    garbage: 'garbage',
  };
  for (const [name, t] of Object.entries(cases)) {
    const c = new Client();
    const r = await c.get(rateUrl(ticket, t, 'good'));
    assert.equal(r.status, 403, name);
    noReferrer(r);
    assert.match(r.html, /This rating link is not valid/, name);
    assert.doesNotMatch(r.html, /name="score"/, name);
    const form = await c.get('/login');
    const p = await c.post(`/tickets/${ticket}/rating`, { csrf: csrfOf(form.html), t, score: 'good' });
    assert.equal(p.status, 403, name);
  }
  const expired = new Client();
  const e = await expired.get(rateUrl(ticket, token(ADA, ticket, now() - 60), 'bad'));
  assert.equal(e.status, 403);
  assert.match(e.html, /This rating link has expired/);
  assert.match(e.html, new RegExp(`href="/login\\?next=%2Ftickets%2F${ticket}"`), 'points to signing in');
  const form = await expired.get('/login');
  assert.equal((await expired.post(`/tickets/${ticket}/rating`, { csrf: csrfOf(form.html), t: token(ADA, ticket, now() - 60), score: 'bad' })).status, 403);
  // a well-signed token of a contact the portal does not show the ticket
  assert.equal((await new Client().get(rateUrl(ticket, token(LINUS, ticket), 'good'))).status, 404);
  // no token, logged out: to the login, then the ticket's page
  const none = await visit(`/tickets/${ticket}/rating?score=good`);
  assert.equal(none.status, 303);
  assert.equal(none.location, `/login?next=${encodeURIComponent(`/tickets/${ticket}`)}`);
  assert.equal(ratings(ticket), '0');
  // the valid one still works
  const c = new Client();
  const page = await c.get(rateUrl(ticket, good, 'bad'));
  assert.equal(page.status, 200);
  assert.equal((await c.post(`/tickets/${ticket}/rating`, { csrf: csrfOf(page.html), t: good, score: 'bad', comment: `Slow ${U}` })).status, 200);
  assert.equal(one(`SELECT score FROM ticket_ratings WHERE ticket_id = ${ticket}`), 'bad');
});

test('an open ticket cannot be rated yet: the page says so, a POST records nothing', async () => {
  const { ticket } = await formTicket(`Still open ${U}`);
  const t = token(ADA, ticket);
  const c = new Client();
  const page = await c.get(rateUrl(ticket, t, 'good'));
  assert.equal(page.status, 200);
  assert.match(page.html, /It can be rated once it is closed/);
  assert.doesNotMatch(page.html, /name="score"/);
  const form = await c.get('/login'); // the same browser's CSRF token (this page has no form)
  const r = await c.post(`/tickets/${ticket}/rating`, { csrf: csrfOf(form.html), t, score: 'good' });
  assert.equal(r.status, 409);
  assert.match(r.html, /It can be rated once it is closed/);
  assert.equal(ratings(ticket), '0');
  const ticketPage = await ada.get(`/tickets/${ticket}`);
  assert.doesNotMatch(ticketPage.html, /Your rating/, 'no rating block on an open ticket');
});

test('switched off: every rating answer is 404, the mail has no links and the ticket page no form', async () => {
  const subject = `Off ${U}`;
  const { ticket, thread } = await formTicket(subject);
  psql('UPDATE portals SET ratings_enabled = false WHERE id = 1');
  try {
    await closeByStage(ticket, thread);
    const mail = await waitForMail('ada@example.com', (m) => m.subject === `Your ticket was closed #${ticket}: ${subject}`);
    assert.doesNotMatch(mail.text, /rating/);
    assert.doesNotMatch(mail.html, /rating/);
    const t = token(ADA, ticket);
    const c = new Client();
    assert.equal((await c.get(rateUrl(ticket, t, 'good'))).status, 404);
    const form = await c.get('/login');
    assert.equal((await c.post(`/tickets/${ticket}/rating`, { csrf: csrfOf(form.html), t, score: 'good' })).status, 404);
    const page = await ada.get(`/tickets/${ticket}`);
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.html, /Your rating/);
    assert.equal((await ada.post(`/tickets/${ticket}/rating`, { csrf: csrfOf(page.html), score: 'good' })).status, 404);
    assert.equal(ratings(ticket), '0');
  } finally {
    psql('UPDATE portals SET ratings_enabled = true WHERE id = 1');
  }
  // on again: the same ticket can be rated
  assert.equal((await new Client().get(rateUrl(ticket, token(ADA, ticket), 'good'))).status, 200);
});

let OWN; // rated from the ticket page, used by the report
test("the logged-in owner rates from the closed ticket's page; another company's customer cannot", async () => {
  OWN = await formTicket(`From the page ${U}`);
  const { ticket } = OWN;
  closeBySql(ticket);
  const page = await ada.get(`/tickets/${ticket}`);
  assert.equal(page.status, 200);
  assert.match(page.html, /<h2 id="rating-h">Your rating<\/h2>/);
  assert.match(page.html, new RegExp(`<form method="post" action="/tickets/${ticket}/rating"`));
  assert.doesNotMatch(page.html, /name="t"/, 'no token: the session is enough');

  const linus = await loggedIn('linus@example.org');
  assert.equal((await linus.get(`/tickets/${ticket}`)).status, 404);
  assert.equal((await linus.get(`/tickets/${ticket}/rating?score=good`)).status, 404);
  const own = await linus.get('/tickets');
  assert.equal((await linus.post(`/tickets/${ticket}/rating`, { csrf: csrfOf(own.html), score: 'good' })).status, 404);
  assert.equal(ratings(ticket), '0');

  const mark = auditMark();
  const comment = `Took a while ${U}`;
  const r = await ada.post(`/tickets/${ticket}/rating`, { csrf: csrfOf(page.html), score: 'bad', comment });
  assert.equal(r.status, 200);
  assert.match(r.html, /Thank you for your rating/);
  assert.equal(one(`SELECT score || '|' || contact_id || '|' || coalesce(agent_user_id::text, 'none') FROM ticket_ratings WHERE ticket_id = ${ticket}`),
    `bad|${ADA}|none`, 'no agent reply on this ticket');
  const memberId = one(`SELECT id FROM members WHERE contact_id = ${ADA} AND portal_id = 1`);
  assert.equal(auditSince(mark, { action: 'ticket_rated', actor_kind: 'member', actor_id: memberId, detail: { via: 'session' } }).length, 1);

  const after = await ada.get(`/tickets/${ticket}`);
  assert.match(after.html, /Rating: <strong class="rating-bad">Bad<\/strong>/);
  assert.ok(after.html.includes(comment));
  assert.doesNotMatch(after.html, /name="score"/, 'the form is gone once rated');
  // and a rating link for it now says rated already
  const link = await new Client().get(rateUrl(ticket, token(ADA, ticket), 'good'));
  assert.match(link.html, /This ticket has been rated already/);
  assert.equal(ratings(ticket), '1');
});

test('in Swedish: the rating page and the mail', async () => {
  psql("UPDATE portal_domains SET language = 'sv' WHERE host = 'localhost'");
  const speaks = (lang) => everyWorker(async () => (await visit('/login')).html.includes(`<html lang="${lang}">`), `the portal speaking ${lang}`);
  await speaks('sv');
  try {
    const subject = `Svenska ${U}`;
    const { ticket, thread } = await formTicket(subject);
    await closeByStage(ticket, thread);
    const mail = await waitForMail('ada@example.com', (m) => m.text && m.text.includes(`#${ticket}: ${subject}`) && /Bra: /.test(m.text));
    assert.match(mail.text, /Hur var vårt svar\?/);
    assert.match(mail.text, new RegExp(`Dåligt: https?://\\S+/tickets/${ticket}/rating\\?score=bad&t=`));
    const page = await new Client().get(rateUrl(ticket, token(ADA, ticket), 'good'));
    assert.match(page.html, new RegExp(`Betygsätt vårt svar på ärende #${ticket}`));
    assert.match(page.html, /Skicka betyg/);
    const expired = await new Client().get(rateUrl(ticket, token(ADA, ticket, now() - 5)));
    assert.match(expired.html, /Länken för betyg har gått ut/);
  } finally {
    psql("UPDATE portal_domains SET language = 'en' WHERE host = 'localhost'");
    await speaks('en');
  }
});

test('/admin/ratings: counts per inbox and agent, the comments linking to the tickets, the period filter', async () => {
  assert.ok(FIRST && OWN, 'the earlier tests rated two tickets');
  // the two ratings into a period of their own, long ago (the report's period is by created_at)
  psql(`UPDATE ticket_ratings SET created_at = '2020-03-10 12:00+00' WHERE ticket_id = ${FIRST.ticket};
    UPDATE ticket_ratings SET created_at = '2020-03-20 12:00+00' WHERE ticket_id = ${OWN.ticket}`);
  const INBOX = one(`SELECT i.name FROM threads th JOIN inboxes i ON i.id = th.inbox_id WHERE th.id = ${FIRST.thread}`);
  const row = (label, good, bad, share) => new RegExp(`<tr><td>${label}</td><td>${good}</td><td>${bad}</td><td>${share} %</td></tr>`);

  for (const who of [admin, agent]) { // staff, agents too
    const r = await who.get('/admin/ratings?from=2020-03-01&to=2020-03-31');
    assert.equal(r.status, 200);
    assert.match(r.html, /<strong>2<\/strong> ratings from 2020-03-01 to 2020-03-31: <strong>1<\/strong> good, <strong>1<\/strong> bad, <strong>50 %<\/strong> good/);
    assert.match(r.html, row(esc(INBOX), 1, 1, 50), 'per inbox');
    assert.match(r.html, row(esc(AGENT_NAME), 1, 0, 100), 'per agent: who sent the last public reply');
    assert.match(r.html, row('<span class="muted">No agent reply</span>', 0, 1, 0));
    const a = r.html.indexOf(`Took a while ${U}`), b = r.html.indexOf(`Quick and kind, thanks! ${U}`);
    assert.ok(a > 0 && b > a, 'both comments, newest first');
    assert.match(r.html, new RegExp(`<a href="/admin/tickets/${OWN.ticket}">#${OWN.ticket} `));
    assert.match(r.html, new RegExp(`<a href="/admin/tickets/${FIRST.ticket}">#${FIRST.ticket} `));
    assert.match(r.html, /<a href="\/admin\/ratings" aria-current="page">Ratings<\/a>/, 'in the navigation');
  }
  const later = await agent.get('/admin/ratings?from=2020-03-15&to=2020-03-31');
  assert.match(later.html, /<strong>1<\/strong> ratings from 2020-03-15/);
  assert.ok(later.html.includes(`Took a while ${U}`));
  assert.ok(!later.html.includes(`Quick and kind, thanks! ${U}`), 'the period filters');
  assert.match(later.html, row(esc(INBOX), 0, 1, 0));

  const empty = await agent.get('/admin/ratings?from=2020-01-01&to=2020-01-31');
  assert.equal(empty.status, 200);
  assert.match(empty.html, /No ratings from 2020-01-01 to 2020-01-31/);
  assert.match(empty.html, /No comments from 2020-01-01 to 2020-01-31/);

  // default: the last 30 days (the 2020 ratings are not in it)
  const today = one("SELECT to_char((now() AT TIME ZONE (SELECT time_zone FROM install_settings WHERE id = 1))::date, 'YYYY-MM-DD')");
  const dflt = await agent.get('/admin/ratings');
  assert.match(dflt.html, new RegExp(`name="to" type="date" value="${today}"`));
  assert.ok(!dflt.html.includes(`Took a while ${U}`));

  for (const [q, msg] of [['from=2020-02-30&to=2020-03-31', /From must be a date/], ['from=2020-03-31&to=2020-03-01', /To must be the same day as From or later/],
    ['from=yesterday', /From must be a date/]]) {
    const bad = await agent.get(`/admin/ratings?${q}`);
    assert.equal(bad.status, 422, q);
    assert.match(bad.html, msg, q);
    assert.doesNotMatch(bad.html, /Per inbox/, q);
  }
  assert.equal((await agent.get('/admin/ratings?from=2020-03-01&to=2020-03-31&before=nonsense')).status, 400);
});

test('/admin/ratings pages the comments (50 a page, older ones on the next)', async () => {
  // 51 rated demo tickets with comments in a month of their own
  const ids = psql(`SELECT t.id FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM ticket_ratings r WHERE r.ticket_id = t.id)
    ORDER BY t.id LIMIT 51`).split('\n');
  assert.equal(ids.length, 51);
  psql(`INSERT INTO ticket_ratings (ticket_id, score, comment, portal_id, created_at)
    SELECT t.id, 'good', 'paged ' || t.id || ' ${U}', 1, timestamptz '2019-06-01 00:00+00' + t.id * interval '1 minute'
    FROM tickets t WHERE t.id IN (${ids.join(',')})`);
  const r = await agent.get('/admin/ratings?from=2019-06-01&to=2019-06-30');
  assert.equal(r.status, 200);
  assert.match(r.html, /<strong>51<\/strong> ratings/);
  assert.equal((r.html.match(/paged \d+ /g) || []).length, 50);
  assert.ok(r.html.includes(`paged ${ids[50]} `) && !r.html.includes(`paged ${ids[0]} ${U}`), 'newest first');
  const next = /<a class="btn secondary" href="([^"]+)">Older comments<\/a>/.exec(r.html);
  assert.ok(next, 'a next page');
  const p2 = await agent.get(next[1].replace(/&amp;/g, '&'));
  assert.equal(p2.status, 200);
  assert.equal((p2.html.match(/paged \d+ /g) || []).length, 1);
  assert.ok(p2.html.includes(`paged ${ids[0]} ${U}`));
  assert.doesNotMatch(p2.html, /Older comments/);
});
