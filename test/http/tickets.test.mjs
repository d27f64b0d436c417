// tickets.test.mjs - the ticket list and detail from outside: the permission matrix, filters, search,
// sort, keyset pages, empty states, what a conversation shows and hides.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { psql, VAR, BASE } from '../lib/stack.mjs';
import { Client, loggedIn, csrfOf } from '../lib/client.mjs';
import { everyWorker } from '../lib/wait.mjs';
import { allTickets, ownTickets } from '../lib/demo.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const ids = (html) => [...html.matchAll(/<td data-label="ID">#(\d+)<\/td>/g)].map((m) => m[1]);
const support = "(SELECT id FROM pipelines WHERE name = 'Support')";
// Ada's demo tickets, for picking ones to look at (test/lib/demo.mjs, not the portal's SQL)
const ADA_ALL = allTickets(1), ADA_MINE = ownTickets(1);
/* The messages a customer sees of a ticket's conversation, counted from the rule (PRODUCT.md):
 * its latest thread; messages, never notes; mail only to or from an address connected to the
 * thread's inbox. */
const shownMessages = (ticket) => one(`SELECT count(*) FROM messages m JOIN threads th ON th.id = m.thread_id
  WHERE th.id = (SELECT id FROM threads WHERE ticket_id = ${ticket} ORDER BY last_message_at DESC, id DESC LIMIT 1)
    AND m.kind = 'message'
    AND (cardinality(m.to_addresses) = 0
      OR (m.direction = 'incoming' AND EXISTS (SELECT 1 FROM inbox_addresses a, unnest(m.to_addresses) x
            WHERE a.inbox_id = th.inbox_id AND a.connected AND lower(a.address) = lower(x)))
      OR (m.direction = 'outgoing' AND EXISTS (SELECT 1 FROM inbox_addresses a
            WHERE a.inbox_id = th.inbox_id AND a.connected AND lower(a.address) = lower(m.from_address))))`);

// Ada (contact 1, Northwind, portal_role manager), Grace (2, Northwind, member), Linus (3, Initech, manager)
const T = {
  own: () => one(`SELECT t.id FROM tickets t JOIN ticket_contacts tc ON tc.ticket_id = t.id AND tc.contact_id = 1 WHERE t.pipeline_id = ${support} ORDER BY t.id LIMIT 1`),
  colleague: () => one(`SELECT t.id FROM tickets t JOIN ticket_contacts tc ON tc.ticket_id = t.id AND tc.contact_id = 2 JOIN ticket_companies co ON co.ticket_id = t.id AND co.company_id = 1 WHERE t.pipeline_id = ${support} AND NOT EXISTS (SELECT 1 FROM ticket_contacts x WHERE x.ticket_id = t.id AND x.contact_id = 1) ORDER BY t.id LIMIT 1`),
  companyOnly: () => one(`SELECT t.id FROM tickets t JOIN ticket_companies co ON co.ticket_id = t.id AND co.company_id = 1 WHERE t.pipeline_id = ${support} AND NOT EXISTS (SELECT 1 FROM ticket_contacts x WHERE x.ticket_id = t.id) ORDER BY t.id LIMIT 1`),
  otherCompany: () => one(`SELECT t.id FROM tickets t JOIN ticket_contacts tc ON tc.ticket_id = t.id AND tc.contact_id = 3 WHERE t.pipeline_id = ${support} ORDER BY t.id LIMIT 1`),
  filteredOut: () => one(`SELECT t.id FROM tickets t JOIN ticket_contacts tc ON tc.ticket_id = t.id AND tc.contact_id = 1 WHERE t.pipeline_id <> ${support} ORDER BY t.id LIMIT 1`),
};

/* Set the demo portal's permission mode and wait until every worker applies it: Ada (a manager,
 * matching the demo's rule group) and Grace (a member) have the organization view switch in
 * own_company, only Ada in company_rules, neither in own. */
async function setMode(mode, ada, grace) {
  psql(`UPDATE portals SET permission_mode = '${mode}' WHERE id = 1`);
  const want = { own: [false, false], own_company: [true, true], company_rules: [true, false] }[mode];
  // the tabs always hold "My tickets" and "Shared with me" (CC); the organization's is the switch
  const tabs = async (c) => /href="\/tickets\?view=org"/.test((await c.get('/tickets')).html);
  await everyWorker(async () => (await tabs(ada)) === want[0] && (await tabs(grace)) === want[1],
    `permission mode ${mode} (organization switch for Ada: ${want[0]}, for Grace: ${want[1]})`);
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
  // "#<id>" finds the ticket by its number; a bare "2" also matches every subject with a 2 in it,
  // and other test files add such tickets, which could push this one off the first page
  const mine = ids((await client.get(`/tickets?status=all&q=%23${id}`)).html);
  const org = ids((await client.get(`/tickets?status=all&view=org&q=%23${id}`)).html);
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
      await setMode(mode, ada, grace);
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
    await setMode('company_rules', ada, grace);
    assert.equal((await grace.get(`/tickets/${t.companyOnly}`)).status, 404);
    assert.equal((await grace.get(`/tickets/${t.colleague}`)).status, 200, 'her own ticket');
    assert.doesNotMatch((await grace.get('/tickets')).html, /href="\/tickets\?view=org"/, 'no organization switch without company access');
    await setMode('own_company', ada, grace);
    assert.equal((await grace.get(`/tickets/${t.companyOnly}`)).status, 200);
    assert.match((await grace.get('/tickets')).html, /Organization tickets/);
    // a missing ticket looks the same as a hidden one
    const missing = await ada.get('/tickets/999999');
    const hidden = await ada.get(`/tickets/${t.otherCompany}`);
    assert.equal(missing.status, 404);
    const plain = (h) => h.replace(/value="[0-9a-f]{64}"/g, '').replace(/<code>[0-9a-f]{32}<\/code>/g, ''); // the CSRF token, the request ID
    assert.equal(plain(missing.html), plain(hidden.html));
  } finally {
    await setMode('own_company', ada, grace);
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

/*
 * The oracle for filters and sorting: a customer of the test's own with tickets whose every
 * property the test chose, and the expected lists computed here, in JS, from PRODUCT.md's rules
 * (never by the portal's SQL): "my tickets" are those tied to the contact; "organization
 * tickets" those of their primary company (the demo portal's mode own_company); only tickets
 * that pass the portal's filter (the demo's: pipeline is Support) show; open/closed is the
 * stage's; sort by last activity or created, ties by ID in the same direction.
 */
const oracle = await (async () => {
  const u = uniq();
  const company = one(`INSERT INTO companies (name) VALUES ('Oracle Co ${u}') RETURNING id`);
  const elsewhere = one(`INSERT INTO companies (name) VALUES ('Elsewhere Co ${u}') RETURNING id`);
  const contact = (name, co) => one(`INSERT INTO contacts (email, first_name, last_name, primary_company_id)
    VALUES ('${name}-${u}@example.net', '${name}', 'Oracle', ${co}) RETURNING id`);
  const olive = contact('olive', company), cole = contact('cole', company), otto = contact('otto', elsewhere);
  const email = `olive-${u}@example.net`;
  psql(`INSERT INTO members (portal_id, contact_id, password_hash, verified_at)
        SELECT 1, ${olive}, password_hash, now() FROM members WHERE portal_id = 1 AND contact_id = 1`);
  // stage ids by pipeline and state, from the demo's pipelines
  const stage = (pipeline, closed) => one(`SELECT s.id FROM pipeline_stages s JOIN pipelines p ON p.id = s.pipeline_id
    WHERE p.name = '${pipeline}' AND s.is_closed = ${closed} ORDER BY s.position LIMIT 1`);
  const stages = { Support: { false: stage('Support', false), true: stage('Support', true) },
    Billing: { false: stage('Billing', false), true: stage('Billing', true) } };
  const pipelineId = (name) => one(`SELECT id FROM pipelines WHERE name = '${name}'`);
  const pipelines = { Support: pipelineId('Support'), Billing: pipelineId('Billing') };
  // 90 tickets: five ways of being tied to Olive (or not), every 9th in Billing, every 3rd
  // closed; created in pairs an hour apart, last activity shuffled, with ties (the same
  // instant) that only the ID orders
  const ties = ['mine', 'mine+company', 'colleague', 'mine', 'company', 'mine+company', 'elsewhere'];
  const t0 = Date.UTC(2021, 0, 1);
  const specs = Array.from({ length: 90 }, (_, i) => {
    const created = t0 + Math.floor(i / 2) * 3600e3; // pairs created at the same instant
    const activity = i % 8 === 3 ? t0 + 70 * 3600e3 : created + ((i * 37) % 23) * 7200e3 + 1234;
    return { i, tie: ties[i % ties.length], pipeline: i % 9 === 4 ? 'Billing' : 'Support', closed: i % 3 === 2, created, activity };
  });
  const rows = specs.map((t) => `('Oracle ${u} #${t.i}', ${pipelines[t.pipeline]}, ${stages[t.pipeline][t.closed]},
    '${new Date(t.created).toISOString()}', '${new Date(t.activity).toISOString()}')`).join(',\n');
  psql(`INSERT INTO tickets (subject, pipeline_id, stage_id, created_at, last_activity_at) VALUES ${rows}`);
  const idOf = Object.fromEntries(psql(`SELECT subject || '|' || id FROM tickets WHERE subject LIKE 'Oracle ${u} #%'`)
    .split('\n').map((l) => l.split('|')).map(([subj, id]) => [subj.split('#')[1], Number(id)]));
  for (const t of specs) t.id = idOf[t.i];
  const link = (table, col, pairs) => pairs.length && psql(`INSERT INTO ${table} (ticket_id, ${col}) VALUES ${pairs.map(([a, b]) => `(${a}, ${b})`).join(', ')}`);
  link('ticket_contacts', 'contact_id', specs.flatMap((t) => ({ mine: [[t.id, olive]], 'mine+company': [[t.id, olive]],
    colleague: [[t.id, cole]], company: [], elsewhere: [[t.id, otto]] }[t.tie])));
  link('ticket_companies', 'company_id', specs.flatMap((t) => ({ mine: [], 'mine+company': [[t.id, company]],
    colleague: [[t.id, company]], company: [[t.id, company]], elsewhere: [[t.id, elsewhere]] }[t.tie])));

  const inView = { mine: ['mine', 'mine+company'], org: ['mine+company', 'colleague', 'company'] };
  after(() => psql(`DELETE FROM tickets WHERE subject LIKE 'Oracle ${u} #%';
    DELETE FROM contacts WHERE id IN (${olive}, ${cole}, ${otto}); DELETE FROM companies WHERE id IN (${company}, ${elsewhere})`));
  return {
    email,
    specs,
    /* The IDs the list must show, in order, over all its pages. */
    expected({ view = 'mine', status = 'open', sort = 'activity', dir = 'desc' } = {}) {
      const key = sort === 'created' ? 'created' : 'activity';
      const sign = dir === 'asc' ? 1 : -1;
      return specs
        .filter((t) => inView[view].includes(t.tie) && t.pipeline === 'Support')
        .filter((t) => status === 'all' || t.closed === (status === 'closed'))
        .sort((a, b) => sign * (a[key] - b[key] || a.id - b.id))
        .map((t) => String(t.id));
    },
  };
})();

/* Every ID of a list, following its "next" links from url; and the pages seen. */
async function wholeList(client, url) {
  const got = [], pages = [];
  while (url) {
    const r = await client.get(url);
    assert.equal(r.status, 200, url);
    pages.push({ url, rows: ids(r.html) });
    got.push(...ids(r.html));
    url = (/href="([^"]*)" rel="next"/.exec(r.html) || [])[1]?.replaceAll('&amp;', '&');
  }
  return { got, pages };
}

test('the oracle tickets: the mix the filter and sort tests rely on', () => {
  const mine = oracle.expected({ status: 'all' }), org = oracle.expected({ view: 'org', status: 'all' });
  assert.ok(oracle.expected().length > 25, 'more open tickets of her own than one page holds');
  assert.ok(oracle.expected({ view: 'org' }).length > 25, 'and more open organization tickets');
  assert.ok(oracle.expected({ status: 'closed' }).length > 5);
  assert.ok(org.some((id) => !mine.includes(id)) && mine.some((id) => !org.includes(id)), 'the views differ');
  const visible = oracle.specs.filter((t) => org.includes(String(t.id)));
  for (const key of ['activity', 'created']) {
    const times = visible.map((t) => t[key]);
    assert.ok(new Set(times).size < times.length, `some visible tickets share the same ${key} instant`);
  }
  assert.ok(oracle.specs.some((t) => t.pipeline === 'Billing' && t.tie === 'mine'), 'one of hers is filtered out');
});

test('filter open / closed / all give the right rows', async () => {
  const olive = await loggedIn(oracle.email);
  assert.deepEqual((await wholeList(olive, '/tickets')).got, oracle.expected(), 'open is the default');
  for (const status of ['open', 'closed', 'all']) {
    for (const view of ['mine', 'org']) {
      const url = `/tickets?status=${status}${view === 'org' ? '&view=org' : ''}`;
      assert.deepEqual((await wholeList(olive, url)).got, oracle.expected({ view, status }), url);
    }
  }
  const closedPage = await olive.get('/tickets?status=closed');
  assert.match(closedPage.html, /<span class="badge closed">Closed<\/span>/);
  assert.doesNotMatch(closedPage.html, /<span class="badge">Open<\/span>/);
  const openPage = await olive.get('/tickets?status=open');
  assert.doesNotMatch(openPage.html, /<span class="badge closed">Closed<\/span>/);
});

test('sort by last activity or created, either way, with stable keyset pages', async () => {
  const olive = await loggedIn(oracle.email);
  for (const sort of ['activity', 'created']) {
    for (const dir of ['desc', 'asc']) {
      const expected = oracle.expected({ view: 'org', status: 'all', sort, dir });
      const { got, pages } = await wholeList(olive, `/tickets?view=org&status=all&sort=${sort}&dir=${dir}`);
      assert.ok(pages.length >= 2, 'two pages at least');
      assert.deepEqual(pages.map((p) => p.rows.length).slice(0, -1), Array(pages.length - 1).fill(25), '25 a page');
      assert.deepEqual(got, expected, `sort ${sort} ${dir}: every row once, in order`);
      // previous from page 2 gives page 1 again
      const p2 = await olive.get(pages[1].url);
      const prev = /href="([^"]*)" rel="prev"/.exec(p2.html)[1].replaceAll('&amp;', '&');
      assert.deepEqual(ids((await olive.get(prev)).html), pages[0].rows);
      assert.doesNotMatch((await olive.get(pages[0].url)).html, /rel="prev"/);
    }
  }
  // a page stays the same when a new ticket appears in front of it
  const first = await olive.get('/tickets?view=org&status=all');
  const next = /href="([^"]*)" rel="next"/.exec(first.html)[1].replaceAll('&amp;', '&');
  const before = ids((await olive.get(next)).html);
  const oldest = oracle.expected({ view: 'org', status: 'all', dir: 'asc' })[0];
  psql(`UPDATE tickets SET last_activity_at = now() WHERE id = ${oldest}`);
  assert.deepEqual(ids((await olive.get(next)).html).slice(0, 5), before.slice(0, 5));
  assert.equal(ids(first.html).includes(oldest), false);
  assert.equal(ids((await olive.get('/tickets?view=org&status=all')).html)[0], oldest, 'it leads the first page now');
  assert.equal((await olive.get('/tickets?after=junk&status=all')).status, 200, 'a broken cursor is ignored');
});

test('search: ID, partial subject, description, visible messages; never internal notes or hidden mail', async () => {
  const ada = await loggedIn('ada@example.com');
  const own = T.own();
  const subject = one(`SELECT subject FROM tickets WHERE id = ${own}`);
  const part = subject.slice(2, 9);
  assert.ok(ids((await ada.get(`/tickets?status=all&q=${encodeURIComponent(part)}`)).html).includes(own), 'partial subject');
  // a number also matches subjects and texts holding it (other tests' tickets carry timestamps):
  // the ticket is among the results, on whichever page
  assert.ok((await wholeList(ada, `/tickets?status=all&view=org&q=${own}`)).got.includes(own), 'by ID');
  assert.ok((await wholeList(ada, `/tickets?status=all&view=org&q=%23${own}`)).got.includes(own), 'by #ID');
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
  const withTwo = one(`SELECT ticket_id FROM threads WHERE ticket_id IN ${ADA_ALL} GROUP BY ticket_id HAVING count(*) > 1 ORDER BY ticket_id LIMIT 1`);
  assert.match(withTwo, /^\d+$/);
  const old = one(`SELECT m.body FROM messages m JOIN threads th ON th.id = m.thread_id WHERE th.ticket_id = ${withTwo} AND th.id <> ticket_latest_thread(${withTwo}) AND m.kind = 'message' LIMIT 1`);
  const html = (await ada.get(`/tickets/${withTwo}`)).html;
  assert.ok(!html.includes(old.slice(0, 30).replace(/&/g, '&amp;')), 'the older thread is not shown');
  const latest = shownMessages(withTwo);
  assert.equal((html.match(/<li class="message/g) || []).length, Number(latest));
  for (const id of psql(`SELECT DISTINCT th.ticket_id FROM messages m JOIN threads th ON th.id = m.thread_id WHERE m.kind = 'note' AND th.ticket_id IN ${ADA_ALL} LIMIT 5`).split('\n')) {
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
  const open = one(`SELECT t.id FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id WHERE t.id IN ${ADA_MINE} AND NOT s.is_closed ORDER BY t.id LIMIT 1`);
  const closed = one(`SELECT t.id FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id WHERE t.id IN ${ADA_MINE} AND s.is_closed ORDER BY t.id LIMIT 1`);
  const o = (await ada.get(`/tickets/${open}`)).html;
  assert.match(o, /enctype="multipart\/form-data"/);
  assert.match(o, /name="nonce" value="[A-Za-z0-9_-]{43}"/);
  assert.match(o, /type="file" multiple/);
  const c = (await ada.get(`/tickets/${closed}`)).html;
  assert.doesNotMatch(c, /<textarea[^>]*name="body"/, 'no reply box (a closed ticket may show the rating form)');
  assert.doesNotMatch(c, /\/reply"/);
  assert.match(c, /This ticket is closed/);
});

test('status shows Open/Closed, or the stage name with custom stages on', async () => {
  const ada = await loggedIn('ada@example.com');
  const stageNames = /<span class="badge[^"]*">(New|Waiting on contact|Waiting on us)<\/span>/, plainOpen = /<span class="badge">Open<\/span>/;
  const list = async () => (await ada.get('/tickets?status=all')).html;
  assert.match(await list(), plainOpen);
  psql('UPDATE portals SET show_custom_stages = true WHERE id = 1');
  try {
    await everyWorker(async () => { const html = await list(); return stageNames.test(html) && !plainOpen.test(html); },
      'the list showing stage names, no plain "Open"');
  } finally {
    psql('UPDATE portals SET show_custom_stages = false WHERE id = 1');
    await everyWorker(async () => { const html = await list(); return plainOpen.test(html) && !stageNames.test(html); },
      'the list showing Open/Closed again');
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
