// tickets.test.mjs - the ticket list and detail from outside: the permission matrix, filters, search,
// sort, keyset pages, empty states, what a conversation shows and hides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { psql, sleep, VAR, BASE } from '../lib/stack.mjs';
import { Client, loggedIn, csrfOf } from '../lib/client.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const ids = (html) => [...html.matchAll(/<td data-label="ID">#(\d+)<\/td>/g)].map((m) => m[1]);
const support = "(SELECT id FROM pipelines WHERE name = 'Support')";

// Ada (contact 1, Northwind, portal_role manager), Grace (2, Northwind, member), Linus (3, Initech, manager)
const T = {
  own: () => one(`SELECT t.id FROM tickets t JOIN ticket_contacts tc ON tc.ticket_id = t.id AND tc.contact_id = 1 WHERE t.pipeline_id = ${support} ORDER BY t.id LIMIT 1`),
  colleague: () => one(`SELECT t.id FROM tickets t JOIN ticket_contacts tc ON tc.ticket_id = t.id AND tc.contact_id = 2 JOIN ticket_companies co ON co.ticket_id = t.id AND co.company_id = 1 WHERE t.pipeline_id = ${support} AND NOT EXISTS (SELECT 1 FROM ticket_contacts x WHERE x.ticket_id = t.id AND x.contact_id = 1) ORDER BY t.id LIMIT 1`),
  companyOnly: () => one(`SELECT t.id FROM tickets t JOIN ticket_companies co ON co.ticket_id = t.id AND co.company_id = 1 WHERE t.pipeline_id = ${support} AND NOT EXISTS (SELECT 1 FROM ticket_contacts x WHERE x.ticket_id = t.id) ORDER BY t.id LIMIT 1`),
  otherCompany: () => one(`SELECT t.id FROM tickets t JOIN ticket_contacts tc ON tc.ticket_id = t.id AND tc.contact_id = 3 WHERE t.pipeline_id = ${support} ORDER BY t.id LIMIT 1`),
  filteredOut: () => one(`SELECT t.id FROM tickets t JOIN ticket_contacts tc ON tc.ticket_id = t.id AND tc.contact_id = 1 WHERE t.pipeline_id <> ${support} ORDER BY t.id LIMIT 1`),
};

async function setMode(mode) {
  psql(`UPDATE portals SET permission_mode = '${mode}' WHERE id = 1`);
  await sleep(150);
}

/* Put a file on a public message of the ticket's latest thread (a new chat thread if it has none). */
function attachFile(id) {
  const content = `matrix file of ticket ${id}\n`;
  const sha = createHash('sha256').update(content).digest('hex');
  let th = one(`SELECT coalesce(ticket_latest_thread(${id}), 0)`);
  if (th === '0') th = one(`INSERT INTO threads (ticket_id, inbox_id, channel) VALUES (${id}, 1, 'chat') RETURNING id`);
  const msg = one(`INSERT INTO messages (thread_id, direction, kind, body) VALUES (${th}, 'outgoing', 'message', 'file for you') RETURNING id`);
  psql(`UPDATE threads SET last_message_at = now() WHERE id = ${th}`);
  const att = one(`INSERT INTO attachments (message_id, file_name, content_type, size_bytes, sha256) VALUES (${msg}, 'matrix.txt', 'text/plain', ${content.length}, '${sha}') RETURNING id`);
  const dir = path.join(VAR, 'files', sha.slice(0, 2));
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, sha), content, { mode: 0o644 });
  return { url: `/files/${att}/matrix.txt`, content };
}

/* A reply POST the way the browser sends it (multipart) with the client's cookies and a page's CSRF token. */
async function reply(client, id, csrf) {
  const fd = new FormData();
  fd.append('csrf', csrf);
  fd.append('nonce', 'm' + createHash('sha256').update(String(Math.random())).digest('base64url').slice(0, 42));
  fd.append('body', 'matrix reply');
  const r = await fetch(`${BASE}/tickets/${id}/reply`, { method: 'POST', body: fd, redirect: 'manual', headers: { cookie: client.cookieHeader() } });
  await r.arrayBuffer();
  return r.status;
}

async function sees(client, id) {
  const detail = await client.get(`/tickets/${id}`);
  const mine = ids((await client.get(`/tickets?status=all&q=${id}`)).html);
  const org = ids((await client.get(`/tickets?status=all&view=org&q=${id}`)).html);
  return { detail: detail.status, list: mine.includes(id) || org.includes(id), detailHtml: detail.html };
}

test('permission matrix: own, colleague, company-only, other company, filtered-out, for each mode', async () => {
  const t = Object.fromEntries(Object.entries(T).map(([k, f]) => [k, f()]));
  for (const [k, v] of Object.entries(t)) assert.match(v, /^\d+$/, `demo data has a ${k} ticket`);
  // expected visibility for Ada (manager) and Grace (member)
  const want = {
    own: { own: true, colleague: false, companyOnly: false, otherCompany: false, filteredOut: false },
    own_company: { own: true, colleague: true, companyOnly: true, otherCompany: false, filteredOut: false },
    company_rules: { own: true, colleague: true, companyOnly: true, otherCompany: false, filteredOut: false },
  };
  const ada = await loggedIn('ada@example.com');
  const grace = await loggedIn('grace@example.com');
  const files = Object.fromEntries(Object.entries(t).map(([k, id]) => [k, attachFile(id)]));
  const csrf = csrfOf((await ada.get('/tickets')).html);
  try {
    for (const mode of ['own', 'own_company', 'company_rules']) {
      await setMode(mode);
      for (const [kind, id] of Object.entries(t)) {
        const s = await sees(ada, id);
        const expected = want[mode][kind];
        const where = `Ada, mode ${mode}, ${kind} ticket #${id}`;
        assert.equal(s.detail, expected ? 200 : 404, `${where}: detail`);
        assert.equal(s.list, expected, `${where}: list`);
        if (!expected) assert.match(s.detailHtml, /Page not found/, 'answered exactly like a missing ticket');
        const dl = await ada.get(files[kind].url);
        assert.equal(dl.status, expected ? 200 : 404, `${where}: download`);
        if (expected) assert.equal(dl.html, files[kind].content);
        const before = one(`SELECT count(*) FROM messages m JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = ${id}`);
        const rs = await reply(ada, id, csrf);
        const after = one(`SELECT count(*) FROM messages m JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = ${id}`);
        if (expected) {
          assert.ok([303, 409].includes(rs), `${where}: reply answered ${rs}`);
        } else {
          assert.equal(rs, 404, `${where}: reply`);
          assert.equal(after, before, `${where}: nothing stored`);
        }
      }
    }
    // company_rules: Grace (portal_role member) does not match the rule group, so only her own
    await setMode('company_rules');
    assert.equal((await grace.get(`/tickets/${t.companyOnly}`)).status, 404);
    assert.equal((await grace.get(`/tickets/${t.colleague}`)).status, 200, 'her own ticket');
    assert.doesNotMatch((await grace.get('/tickets')).html, /class="tabs"/, 'no organization switch without company access');
    await setMode('own_company');
    assert.equal((await grace.get(`/tickets/${t.companyOnly}`)).status, 200);
    assert.match((await grace.get('/tickets')).html, /Organization tickets/);
    // a missing ticket looks the same as a hidden one
    const missing = await ada.get('/tickets/999999');
    const hidden = await ada.get(`/tickets/${t.otherCompany}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.html.replace(/value="[0-9a-f]{64}"/g, ''), hidden.html.replace(/value="[0-9a-f]{64}"/g, ''));
  } finally {
    await setMode('own_company');
  }
});

test('my tickets / organization tickets switch, remembered in the URL', async () => {
  const ada = await loggedIn('ada@example.com');
  const mine = await ada.get('/tickets?status=all');
  assert.match(mine.html, /<a href="\/tickets\?view=org&amp;status=all">Organization tickets<\/a>/);
  const org = await ada.get('/tickets?view=org&status=all');
  assert.match(org.html, /<h1 id="tk-h">Organization tickets<\/h1>/);
  assert.match(org.html, /name="view" value="org"/, 'the search form keeps the view');
  const companyOnly = T.companyOnly();
  assert.ok(!ids(mine.html).includes(companyOnly));
  const all = [];
  let url = '/tickets?view=org&status=all';
  while (url) { const r = await ada.get(url); all.push(...ids(r.html)); url = (/href="([^"]*)" rel="next"/.exec(r.html) || [])[1]?.replaceAll('&amp;', '&'); }
  assert.ok(all.includes(companyOnly));
});

test('filter open / closed / all give the right rows', async () => {
  const ada = await loggedIn('ada@example.com');
  const truth = (closed) => psql(`SELECT t.id FROM portal_visible_tickets(1, 1, 'mine') t JOIN pipeline_stages s ON s.id = t.stage_id ${closed === null ? '' : `WHERE s.is_closed = ${closed}`} ORDER BY t.last_activity_at DESC, t.id DESC LIMIT 25`).split('\n').filter(Boolean);
  assert.deepEqual(ids((await ada.get('/tickets')).html), truth(false), 'open is the default');
  assert.deepEqual(ids((await ada.get('/tickets?status=closed')).html), truth(true));
  assert.deepEqual(ids((await ada.get('/tickets?status=all')).html), truth(null));
  const closedPage = await ada.get('/tickets?status=closed');
  assert.match(closedPage.html, /<span class="badge closed">Closed<\/span>/);
  assert.doesNotMatch(closedPage.html, /<span class="badge">Open<\/span>/);
});

test('sort by last activity or created, either way, with stable keyset pages', async () => {
  const ada = await loggedIn('ada@example.com');
  const truth = (col, dir) => psql(`SELECT t.id FROM portal_visible_tickets(1, 1, 'org') t ORDER BY t.${col} ${dir}, t.id ${dir}`).split('\n').filter(Boolean);
  for (const [sort, col] of [['activity', 'last_activity_at'], ['created', 'created_at']]) {
    for (const dir of ['desc', 'asc']) {
      const expected = truth(col, dir);
      assert.ok(expected.length > 25, 'enough tickets for two pages');
      const got = [];
      const pages = [];
      let url = `/tickets?view=org&status=all&sort=${sort}&dir=${dir}`;
      while (url) {
        const r = await ada.get(url);
        pages.push({ url, rows: ids(r.html) });
        got.push(...ids(r.html));
        url = (/href="([^"]*)" rel="next"/.exec(r.html) || [])[1]?.replaceAll('&amp;', '&');
      }
      assert.deepEqual(got, expected, `sort ${sort} ${dir}: every row once, in order`);
      // previous from page 2 gives page 1 again
      const p2 = await ada.get(pages[1].url);
      const prev = /href="([^"]*)" rel="prev"/.exec(p2.html)[1].replaceAll('&amp;', '&');
      assert.deepEqual(ids((await ada.get(prev)).html), pages[0].rows);
      assert.doesNotMatch((await ada.get(pages[0].url)).html, /rel="prev"/);
    }
  }
  // a page stays the same when a new ticket appears in front of it
  const first = await ada.get('/tickets?view=org&status=all');
  const next = /href="([^"]*)" rel="next"/.exec(first.html)[1].replaceAll('&amp;', '&');
  const before = ids((await ada.get(next)).html);
  psql("UPDATE tickets SET last_activity_at = now() WHERE id = (SELECT t.id FROM portal_visible_tickets(1, 1, 'org') t ORDER BY t.last_activity_at, t.id LIMIT 1)");
  assert.deepEqual(ids((await ada.get(next)).html).slice(0, 5), before.slice(0, 5));
  assert.equal((await ada.get('/tickets?after=junk&status=all')).status, 200, 'a broken cursor is ignored');
});

test('search: ID, partial subject, description, visible messages; never internal notes or hidden mail', async () => {
  const ada = await loggedIn('ada@example.com');
  const own = T.own();
  const subject = one(`SELECT subject FROM tickets WHERE id = ${own}`);
  const part = subject.slice(2, 9);
  assert.ok(ids((await ada.get(`/tickets?status=all&q=${encodeURIComponent(part)}`)).html).includes(own), 'partial subject');
  assert.ok(ids((await ada.get(`/tickets?status=all&view=org&q=${own}`)).html).includes(own), 'by ID');
  assert.ok(ids((await ada.get(`/tickets?status=all&view=org&q=%23${own}`)).html).includes(own), 'by #ID');
  // a word only in a visible message of the latest thread
  const msgWord = 'zebracorn' + Date.now();
  const th = one(`SELECT ticket_latest_thread(${own})`);
  psql(`INSERT INTO messages (thread_id, direction, kind, author_contact_id, body) VALUES (${th}, 'incoming', 'message', 1, 'see ${msgWord} here')`);
  assert.deepEqual(ids((await ada.get(`/tickets?status=all&q=${msgWord}`)).html), [own]);
  // the same word in an internal note is never found, nor shown
  const noteWord = 'notewombat' + Date.now();
  psql(`INSERT INTO messages (thread_id, direction, kind, body) VALUES (${th}, 'outgoing', 'note', 'Internal: ${noteWord}')`);
  const r = await ada.get(`/tickets?status=all&view=org&q=${noteWord}`);
  assert.deepEqual(ids(r.html), []);
  assert.match(r.html, /No tickets match/);
  assert.match(r.html, /value="notewombat/, 'the search box keeps the query');
  assert.doesNotMatch((await ada.get(`/tickets/${own}`)).html, new RegExp(noteWord));
  // a phrase only in mail to an unconnected address is not searchable either
  assert.deepEqual(ids((await ada.get('/tickets?status=all&view=org&q=old+help+desk+address')).html), []);
});

test('detail: properties, the latest thread only, no internal notes, no unconnected mail', async () => {
  const ada = await loggedIn('ada@example.com');
  const withTwo = one("SELECT ticket_id FROM threads WHERE ticket_id IN (SELECT t.id FROM portal_visible_tickets(1, 1, 'all') t) GROUP BY ticket_id HAVING count(*) > 1 LIMIT 1");
  assert.match(withTwo, /^\d+$/);
  const old = one(`SELECT m.body FROM messages m JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = ${withTwo} AND th.id <> ticket_latest_thread(${withTwo}) AND m.kind = 'message' LIMIT 1`);
  const html = (await ada.get(`/tickets/${withTwo}`)).html;
  assert.ok(!html.includes(old.slice(0, 30).replace(/&/g, '&amp;')), 'the older thread is not shown');
  const latest = psql(`SELECT count(*) FROM portal_thread_messages(ticket_latest_thread(${withTwo}))`);
  assert.equal((html.match(/<li class="message/g) || []).length, Number(latest));
  for (const id of psql("SELECT DISTINCT th.ticket_id FROM messages m JOIN threads th ON th.id = m.thread_id WHERE m.kind = 'note' AND th.ticket_id IN (SELECT t.id FROM portal_visible_tickets(1, 1, 'all') t) LIMIT 5").split('\n')) {
    const page = (await ada.get(`/tickets/${id}`)).html;
    assert.doesNotMatch(page, /Internal:/, `ticket ${id} shows no internal note`);
  }
  const hiddenMail = psql("SELECT th.ticket_id FROM messages m JOIN threads th ON th.id = m.thread_id WHERE m.body LIKE '%old help desk address%' LIMIT 1");
  if (hiddenMail) {
    const grace = await loggedIn('grace@example.com');
    const r = await grace.get(`/tickets/${hiddenMail}`);
    assert.doesNotMatch(r.html, /old help desk address/);
  }
  const own = T.own();
  const page = (await ada.get(`/tickets/${own}`)).html;
  assert.match(page, new RegExp(`<span class="muted">#${own}</span>`));
  assert.match(page, /<dt>Created<\/dt>/);
  assert.match(page, /href="\/tickets">← All tickets<\/a>/, 'a way back');
});

test('an open ticket has a reply box with a nonce; a closed one says it is closed', async () => {
  const ada = await loggedIn('ada@example.com');
  const open = one("SELECT t.id FROM portal_visible_tickets(1, 1, 'mine') t JOIN pipeline_stages s ON s.id = t.stage_id WHERE NOT s.is_closed LIMIT 1");
  const closed = one("SELECT t.id FROM portal_visible_tickets(1, 1, 'mine') t JOIN pipeline_stages s ON s.id = t.stage_id WHERE s.is_closed LIMIT 1");
  const o = (await ada.get(`/tickets/${open}`)).html;
  assert.match(o, /enctype="multipart\/form-data"/);
  assert.match(o, /name="nonce" value="[A-Za-z0-9_-]{43}"/);
  assert.match(o, /type="file" multiple/);
  const c = (await ada.get(`/tickets/${closed}`)).html;
  assert.doesNotMatch(c, /<textarea/);
  assert.match(c, /This ticket is closed/);
});

test('status shows Open/Closed, or the stage name with custom stages on', async () => {
  const ada = await loggedIn('ada@example.com');
  psql('UPDATE portals SET show_custom_stages = true WHERE id = 1');
  await sleep(150);
  try {
    const html = (await ada.get('/tickets?status=all')).html;
    assert.match(html, /<span class="badge[^"]*">(New|Waiting on contact|Waiting on us)<\/span>/);
    assert.doesNotMatch(html, /<span class="badge">Open<\/span>/);
  } finally {
    psql('UPDATE portals SET show_custom_stages = false WHERE id = 1');
    await sleep(150);
  }
});

test('empty states: no tickets yet, and nothing matches', async () => {
  const email = `empty-${Date.now()}@example.net`;
  const cid = psql(`INSERT INTO contacts (email, first_name) VALUES ('${email}', 'Emma') RETURNING id`);
  psql(`INSERT INTO members (portal_id, contact_id, password_hash, verified_at) SELECT 1, ${cid}, password_hash, now() FROM members WHERE contact_id = 1`);
  const c = await loggedIn(email);
  const r = await c.get('/tickets');
  assert.match(r.html, /You have no tickets yet/);
  assert.match(r.html, /href="\/tickets\/new">Submit a support ticket/);
  assert.doesNotMatch(r.html, /<table/);
  const n = await (await loggedIn('ada@example.com')).get('/tickets?q=nothing-matches-this-xyz');
  assert.match(n.html, /No tickets match/);
  assert.match(n.html, /href="\/tickets">Show all open tickets/);
});

test('the list needs a login and keeps the way back', async () => {
  const r = await new Client().get('/tickets?status=closed');
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/login?next=%2Ftickets%3Fstatus%3Dclosed');
});
