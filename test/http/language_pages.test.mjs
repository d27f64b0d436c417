// language_pages.test.mjs - every customer page on a Swedish domain of the demo portal holds no
// text that its English page (the same page on the portal's English domain) holds: each visible
// text node, and each placeholder, title, aria-label, alt and button value, is compared. User
// data (the portal's name, the customer's name and email, ticket subjects, messages, property
// values, names of staff, numbers and dates) is allowed explicitly. Add a page to PAGES to cover it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { psql, VAR } from '../lib/stack.mjs';
import { csrfOf } from '../lib/client.mjs';
import { HostClient, hostLoggedIn } from '../lib/host_client.mjs';
import { everyWorker } from '../lib/wait.mjs';
import { ownTickets } from '../lib/demo.mjs';
import { totp } from '../lib/totp.mjs';

const u = `${process.pid}${Math.random().toString(36).slice(2, 6)}`;
const EN = 'localhost';
const SV = `sv-${u}.example.test`;
const ADA = 1;
const one = (sql) => psql(sql).split('\n')[0];

/* Demo tickets of Ada's: an open one with a visible property and one closed. */
const OPEN = one(`SELECT id FROM tickets WHERE id IN ${ownTickets(ADA)} AND closed_at IS NULL
  AND properties ? 'product' ORDER BY id LIMIT 1`);
const CLOSED = one(`SELECT id FROM tickets WHERE id IN ${ownTickets(ADA)} AND closed_at IS NOT NULL ORDER BY id LIMIT 1`);

/* A signed link of a notification mail, as fcgi/mail_tokens.c makes it (ticket-link, rating). */
const SECRET = JSON.parse(readFileSync(path.join(VAR, 'portal.json'), 'utf8')).secret_key;
function signed(purpose, contact, ticket) {
  const expires = Math.floor(Date.now() / 1000) + 86400;
  const sig = createHmac('sha256', SECRET).update(`${purpose}:${contact}.${ticket}.${expires}`).digest('hex');
  return encodeURIComponent(`${contact}.${expires}.${sig}`);
}

/*
 * The pages: path, who asks (anon: a visitor, ada: the demo customer logged in), and optional
 * (a page that may not exist yet: a 404 on both hosts is skipped), form (posted, the page with
 * its messages compared). Each is fetched on both hosts.
 */
const PAGES = [
  { name: 'login', path: '/login', who: 'anon' },
  { name: 'login link', path: '/login/link', who: 'anon' },
  { name: 'login link, bad token', path: '/login/link/no-such-token', who: 'anon' },
  { name: 'register (with consent)', path: '/register', who: 'anon' },
  { name: 'verify, bad token', path: '/verify?token=nothing', who: 'anon' },
  { name: 'password reset request', path: '/password-reset', who: 'anon' },
  { name: 'password reset, bad token', path: '/password-reset/no-such-token', who: 'anon' },
  { name: 'logout (signed out)', path: '/logout', who: 'anon' },
  { name: 'logout (signed in)', path: '/logout', who: 'ada' },
  { name: 'access denied', path: '/access-denied', who: 'anon' },
  { name: '404 page', path: `/no-such-page-${u}`, who: 'anon' },
  { name: '404 page signed in', path: `/no-such-page-${u}`, who: 'ada' },
  { name: 'ticket list', path: '/tickets', who: 'ada' },
  { name: 'ticket list, nothing found', path: `/tickets?q=nothing${u}`, who: 'ada' },
  { name: 'ticket list, closed', path: '/tickets?status=closed', who: 'ada' },
  { name: 'ticket detail (open)', path: `/tickets/${OPEN}`, who: 'ada' },
  { name: 'ticket detail (closed)', path: `/tickets/${CLOSED}`, who: 'ada' },
  { name: 'ticket not found', path: '/tickets/999999999', who: 'ada' },
  { name: 'rating page', path: `/tickets/${CLOSED}/rating`, who: 'ada' },
  { name: 'the second step of a login (code asked)', path: '/login/two-factor', who: 'tf' },
  { name: 'new ticket form', path: '/tickets/new', who: 'ada' },
  { name: 'ticket link of a mail', path: `/tickets/${OPEN}/open?t=${signed('ticket-link', ADA, OPEN)}`, who: 'anon' },
  { name: 'rating link of a mail', path: `/tickets/${CLOSED}/rating?score=good&t=${signed('rating', ADA, CLOSED)}`, who: 'anon' },
  { name: 'knowledge base link', path: '/kb-link', who: 'anon' },
  // forms sent back with their messages (form: the fields posted with the page's CSRF token)
  { name: 'login, wrong password', path: '/login', who: 'anon', form: { email: 'nobody@example.com', password: 'not-the-password' } },
  { name: 'register, nothing filled in', path: '/register', who: 'anon', form: { name: '', email: 'not-an-email' } },
  { name: 'password reset request, bad address', path: '/password-reset', who: 'anon', form: { email: 'not-an-email' } },
  { name: 'login link, bad address', path: '/login/link', who: 'anon', form: { email: 'not-an-email' } },
  { name: 'new ticket, nothing filled in', path: '/tickets/new', who: 'ada', form: { subject: '', description: '' } },
  { name: 'account', path: '/account', who: 'ada', optional: true },
  { name: 'account two-factor', path: '/account/two-factor', who: 'ada', optional: true },
];

/* User data: texts that are the same in every language. */
const ALLOWED = new Set();
const allow = (sql) => psql(sql).split('\n').map((s) => norm(s)).filter(Boolean).forEach((s) => ALLOWED.add(s));
let BLOB = '';
const norm = (s) => s.replace(/\s+/g, ' ').trim();
/* Numbers, dates, times, ids, punctuation and symbols only. */
const NEUTRAL = /^[\d\s#:.,;?!\-–—·/()+%×|›‹«»←→↑↓"'…*]*$/;

function decode(s) {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|nbsp|#39);/gi, (m, e) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }[e.toLowerCase()];
  });
}

/* The visible texts of a page: text nodes (not in script, style or noscript) and the
 * attributes a person reads or hears. */
export function texts(html) {
  const out = [];
  const body = html.replace(/<!--[\s\S]*?-->/g, '').replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, '');
  const re = /<[^>]*>/g;
  let last = 0, m;
  const attr = (tag, name) => {
    const a = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
    return a ? decode(a[1]) : null;
  };
  while ((m = re.exec(body))) {
    out.push(decode(body.slice(last, m.index)));
    last = re.lastIndex;
    const tag = m[0];
    for (const a of ['placeholder', 'title', 'aria-label', 'alt']) {
      const v = attr(tag, a);
      if (v) out.push(v);
    }
    if (/^<(button|input)\b/i.test(tag) && /\stype="(submit|button|reset)"/i.test(tag) && !/^<button/i.test(tag)) {
      const v = attr(tag, 'value');
      if (v) out.push(v);
    }
  }
  out.push(decode(body.slice(last)));
  return out.map(norm).filter(Boolean);
}

/* A file size as the pages write it: "(69 B)", "1.2 MB". */
const SIZE = /^\(?[\d.,\s]+\s*(B|kB|KB|MB|GB)\)?$/;

/* The second factor's secret as the enrolment page groups it: the member's own key. */
const TOTP_KEY = /^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/;

function userData(s) {
  if (TOTP_KEY.test(s)) return true;
  if (NEUTRAL.test(s) || SIZE.test(s) || ALLOWED.has(s)) return true;
  if (s.length >= 12 && BLOB.includes(s)) return true;
  // made of user data and neutral characters only (e.g. "#12 Subject · Portal name")
  let rest = s;
  for (const a of [...ALLOWED].sort((x, y) => y.length - x.length)) if (a.length >= 3) rest = rest.split(a).join(' ');
  return rest !== s && NEUTRAL.test(rest);
}

/* A customer with a second factor on (set up in before()): 'tf' is a visitor who has passed the
 * password and is asked the code. */
let TF_EMAIL = '';
async function passedPassword(host) {
  const c = new HostClient(host);
  const r = await c.submit('/login', { email: TF_EMAIL, password: 'demo-Portal-2026' });
  if (r.headers.get('location') !== '/login/two-factor') throw new Error(`login of ${TF_EMAIL}: ${r.status}`);
  return c;
}

const clients = {};
async function client(who, host) {
  const key = `${who}@${host}`;
  if (!clients[key]) {
    clients[key] = who === 'ada' ? await hostLoggedIn(host, 'ada@example.com')
      : who === 'tf' ? await passedPassword(host) : new HostClient(host);
  }
  return clients[key];
}

const q = (x) => x.replace(/'/g, "''");
/* What the setup below changes, to put back after. */
const ORIG = {
  consent: one('SELECT consent_i18n::text FROM portals WHERE id = 1'),
  nav: psql("SELECT id || '|' || labels::text FROM portal_nav_items WHERE portal_id = 1 AND builtin IS NULL").split('\n').filter(Boolean),
  form: one('SELECT fields::text FROM forms WHERE id = 1'),
  defs: psql("SELECT coalesce(json_agg(d), '[]')::text FROM ticket_property_defs d"),
};

before(async () => {
  // Swedish texts of everything the admin writes: consent, menu links, a visible property, the
  // support form's labels (the demo has them too, but other tests may have saved over them)
  psql(`UPDATE portals SET consent_i18n = jsonb_build_object('sv', jsonb_build_object(
      'text', 'Vi behandlar dina uppgifter för att besvara dina ärenden. Läs vår [integritetspolicy](https://example.com/privacy).',
      'label', 'Jag godkänner behandlingen av mina uppgifter')) WHERE id = 1;
    UPDATE portal_nav_items SET labels = labels || jsonb_build_object('sv', 'Svensk länk ' || id) WHERE portal_id = 1 AND builtin IS NULL;
    INSERT INTO ticket_property_defs (key, label, labels, visible) VALUES ('product', 'Product', '{"sv": "Produkt"}', true)
      ON CONFLICT (key) DO UPDATE SET label = 'Product', labels = '{"sv": "Produkt"}', visible = true;
    UPDATE ticket_property_defs SET visible = false WHERE key = 'source';
    UPDATE forms SET fields = '[{"name": "subject", "label": "Subject", "labels": {"sv": "Ämne"}, "property": "subject", "type": "text", "required": true},
      {"name": "description", "label": "Description", "labels": {"sv": "Beskrivning"}, "property": "description", "type": "textarea", "required": true},
      {"name": "priority", "label": "Priority", "labels": {"sv": "Prioritet"}, "property": "priority", "type": "select", "required": false,
       "options": ["low", "medium", "high", "urgent"]}]' WHERE id = 1`);
  psql(`INSERT INTO portal_domains (portal_id, host, language) SELECT id, '${SV}', 'sv' FROM portals WHERE is_default`);
  await everyWorker(async () => (await new HostClient(SV).get('/login')).html.includes('<html lang="sv"'), 'the Swedish domain');
  // a customer with a second factor on, for the code step of the login
  TF_EMAIL = `tf-${u}@example.net`;
  const contact = one(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${TF_EMAIL}', 'Tove', 'Faktor') RETURNING id`);
  psql(`INSERT INTO members (portal_id, contact_id, password_hash, verified_at)
    SELECT 1, ${contact}, password_hash, now() FROM members WHERE contact_id = ${ADA} AND portal_id = 1`);
  const me = await hostLoggedIn(EN, TF_EMAIL);
  const enrol = await me.get('/account/two-factor');
  const secret = /<code id="tf-secret">([A-Z2-7 ]+)<\/code>/.exec(enrol.html)[1];
  const on = await me.post('/account/two-factor', { csrf: csrfOf(enrol.html), action: 'enable', code: totp(secret) });
  assert.equal(on.status, 200, 'the factor is on');
  // user data of the demo: the portal, Ada, her tickets with their messages and properties, staff
  allow(`SELECT name FROM portals UNION SELECT page_title FROM portals WHERE page_title <> ''`);
  allow(`SELECT email FROM contacts WHERE id = ${ADA} UNION SELECT first_name || ' ' || last_name FROM contacts WHERE id = ${ADA}`);
  allow(`SELECT name FROM companies`);
  allow(`SELECT subject FROM tickets WHERE id IN ${ownTickets(ADA)} OR id IN (SELECT ticket_id FROM ticket_companies)`);
  allow(`SELECT coalesce(nullif(name, ''), email) FROM staff_users UNION SELECT email FROM staff_users`);
  allow(`SELECT first_name || ' ' || last_name FROM contacts UNION SELECT email FROM contacts`);
  allow(`SELECT DISTINCT e.value #>> '{}' FROM tickets, jsonb_each(properties) e`);
  allow(`SELECT DISTINCT name FROM pipeline_stages UNION SELECT name FROM pipelines`);
  allow(`SELECT DISTINCT file_name FROM attachments`);
  BLOB = psql(`SELECT string_agg(x, ' ') FROM (SELECT subject || ' ' || description AS x FROM tickets WHERE id IN (${OPEN}, ${CLOSED})
    UNION ALL SELECT body FROM messages m JOIN threads t ON t.id = m.thread_id WHERE t.ticket_id IN (${OPEN}, ${CLOSED})) y`).replace(/\s+/g, ' ');
});

after(() => {
  psql(`DELETE FROM portal_domains WHERE host = '${SV}';
    UPDATE portals SET consent_i18n = '${q(ORIG.consent)}' WHERE id = 1;
    UPDATE forms SET fields = '${q(ORIG.form)}' WHERE id = 1;
    DELETE FROM ticket_property_defs;
    INSERT INTO ticket_property_defs SELECT * FROM json_populate_recordset(NULL::ticket_property_defs, '${q(ORIG.defs)}')`);
  for (const x of ORIG.nav) {
    const i = x.indexOf('|');
    psql(`UPDATE portal_nav_items SET labels = '${q(x.slice(i + 1))}' WHERE id = ${x.slice(0, i)}`);
  }
});

test('every customer page in Swedish holds no text of its English page (user data aside)', async () => {
  const problems = [];
  let compared = 0;
  for (const p of PAGES) {
    const ask = async (host) => {
      const c = await client(p.who, host);
      return p.form ? c.submit(p.path, p.form) : c.get(p.path);
    };
    const en = await ask(EN), sv = await ask(SV);
    if (p.optional && en.status === 404 && sv.status === 404) continue;
    assert.equal(sv.status, en.status, `${p.name}: the same answer on both hosts`);
    if (en.status >= 300 && en.status < 400) {
      problems.push(`${p.name}: ${p.path} redirects (${en.headers.get('location')}); list the page it goes to instead`);
      continue;
    }
    if (!/<html lang="sv"/.test(sv.html)) {
      problems.push(`${p.name}: not a Swedish page`);
      continue;
    }
    const english = new Set(texts(en.html));
    const same = [...new Set(texts(sv.html))].filter((s) => english.has(s) && !userData(s));
    if (same.length) problems.push(`${p.name} (${p.path}): ${same.map((s) => JSON.stringify(s)).join(', ')}`);
    compared++;
  }
  assert.deepEqual(problems, [], `English text on Swedish pages:\n${problems.join('\n')}`);
  assert.ok(compared >= PAGES.length - 2, `compared ${compared} pages`);
});

test('the comparison finds English: a page with an untranslated text fails it', () => {
  // the check itself, on two made-up pages: a text equal on both is caught unless it is user data
  const en = texts('<p>Log in</p><input type="submit" value="Send"><span title="Help">?</span><p>Acme Support</p>');
  const sv = texts('<p>Logga in</p><input type="submit" value="Send"><span title="Hjälp">?</span><p>Acme Support</p>');
  const same = sv.filter((s) => en.includes(s) && !userData(s));
  assert.deepEqual(same, ['Send']);
});

test('the Swedish domain shows the Swedish consent, navigation label, property label and form labels', async () => {
  const reg = await (await client('anon', SV)).get('/register');
  assert.match(reg.html, /Jag godkänner behandlingen av mina uppgifter/);
  assert.match(reg.html, />Svensk länk \d+</);
  const detail = await (await client('ada', SV)).get(`/tickets/${OPEN}`);
  assert.match(detail.html, /<dt>Produkt<\/dt>/);
  assert.doesNotMatch(detail.html, /<dt>(source|Source|Källa)<\/dt>/, 'a hidden property is not shown');
  const form = await (await client('ada', SV)).get('/tickets/new');
  assert.match(form.html, />Ämne </);
  const en = await (await client('ada', EN)).get(`/tickets/${OPEN}`);
  assert.match(en.html, /<dt>Product<\/dt>/);
  assert.match(en.html, /href="\/account"/, 'the account link for a logged-in customer');
  assert.match(en.html, /<form class="inline" method="post" action="\/logout"><input type="hidden" name="csrf" value="[0-9a-f]{64}">/, 'log out is a POST with CSRF');
  csrfOf(en.html);
});
