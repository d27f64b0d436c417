// admin_rules.test.mjs - the console's rules settings from outside: ticket filters, permissions,
// theme (colours, font, logo and favicon served by nginx), navigation menu, support form. Each
// valid save shows on the customer side, invalid input is refused with 422 and changes nothing,
// every change writes an audit row, an agent is refused; the demo portal is left as it was.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { psql, BASE } from '../lib/stack.mjs';
import { Client, staffLoggedIn, loggedIn, csrfOf } from '../lib/client.mjs';
import { waitFor } from '../lib/wait.mjs';
import { auditMark, auditSince, oneAudit, staffId } from '../lib/audit.mjs';
import { settingsPath } from '../lib/portals.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const ids = (html) => [...html.matchAll(/<td data-label="ID">#(\d+)<\/td>/g)].map((m) => m[1]);
const support = "(SELECT id FROM pipelines WHERE name = 'Support')";
const ADMIN = staffId('admin@example.com');
/* The settings_change rows for setting that the admin wrote after mark. */
const audits = (mark, setting) => auditSince(mark, { action: 'settings_change', setting, actor_kind: 'staff', actor_id: ADMIN });
/* The detail of the one such row. */
const audited = (mark, setting) => oneAudit(mark, { action: 'settings_change', setting, actor_kind: 'staff', actor_id: ADMIN }).detail;

/* A save in the console takes effect on every worker at once; retry a customer-side check
 * (assertions, or a value it returns) for up to 2 s all the same. */
const eventually = (check, what) => waitFor(async () => (await check()) ?? true, { what, timeout: 2000 });

// The demo portal's state, restored at the end whatever happened.
const orig = {
  filters: psql('SELECT id FROM portal_ticket_filters WHERE portal_id = 1 ORDER BY id').split('\n').filter(Boolean),
  rules: psql('SELECT id FROM portal_permission_rules WHERE portal_id = 1 ORDER BY id').split('\n').filter(Boolean),
  nav: psql("SELECT id || '|' || position FROM portal_nav_items WHERE portal_id = 1 ORDER BY id").split('\n').filter(Boolean),
  theme: one('SELECT theme::text FROM portals WHERE id = 1'),
  mode: one('SELECT permission_mode FROM portals WHERE id = 1'),
  form: one("SELECT coalesce(support_form_id::text, 'NULL') FROM portals WHERE id = 1"),
};
const q = (s) => `'${s.replace(/'/g, "''")}'`;
after(() => {
  const list = (a) => (a.length ? a.join(',') : '0');
  psql(`DELETE FROM portal_ticket_filters WHERE portal_id = 1 AND id NOT IN (${list(orig.filters)})`);
  psql(`DELETE FROM portal_permission_rules WHERE portal_id = 1 AND id NOT IN (${list(orig.rules)})`);
  psql(`DELETE FROM portal_nav_items WHERE portal_id = 1 AND id NOT IN (${list(orig.nav.map((x) => x.split('|')[0]))})`);
  for (const x of orig.nav) { const [id, pos] = x.split('|'); psql(`UPDATE portal_nav_items SET position = ${pos} WHERE id = ${id}`); }
  psql(`UPDATE portals SET theme = ${q(orig.theme)}::jsonb, permission_mode = ${q(orig.mode)}, support_form_id = ${orig.form} WHERE id = 1`);
  psql("DELETE FROM forms WHERE name LIKE 'rules-test %'");
});

const admin = await staffLoggedIn();
const agent = await staffLoggedIn('agent@example.com');
const ada = await loggedIn('ada@example.com');

/* A multipart POST as the browser sends the theme form, with the page's CSRF token. */
async function postTheme(fields, files = {}) {
  const page = await admin.get(settingsPath('/theme'));
  const fd = new FormData();
  fd.append('csrf', csrfOf(page.html));
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  for (const [k, f] of Object.entries(files)) fd.append(k, new Blob([f.bytes], { type: f.type }), f.name);
  return admin.request(settingsPath('/theme'), { method: 'POST', body: fd });
}

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const ICO = Buffer.concat([Buffer.from([0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 32, 0]), Buffer.alloc(40, 7)]);
const sha = (b) => createHash('sha256').update(b).digest('hex');

test('an agent gets 403 on every rules page and cannot save', async () => {
  for (const p of ['filters', 'permissions', 'theme', 'navigation', 'support-form']) {
    const r = await agent.get(`${settingsPath()}/${p}`);
    assert.equal(r.status, 403, p);
  }
  const csrf = csrfOf((await agent.get('/admin')).html);
  const before = one('SELECT count(*) FROM portal_ticket_filters');
  const r = await agent.post(settingsPath('/filters'), { csrf, property: 'priority', operator: 'any_of', values: 'low' });
  assert.equal(r.status, 403);
  assert.equal((await agent.post(settingsPath('/permissions'), { csrf, permission_mode: 'own' })).status, 403);
  assert.equal(one('SELECT count(*) FROM portal_ticket_filters'), before);
  assert.equal(one('SELECT permission_mode FROM portals WHERE id = 1'), orig.mode);
  // and without a staff login at all: to the console's login page
  assert.equal((await new Client().get(settingsPath('/theme'))).status, 303);
});

test('ticket filters: a rule hides a ticket from list and detail, removing it shows it again', async () => {
  const t = one(`SELECT t.id FROM tickets t JOIN ticket_contacts tc ON tc.ticket_id = t.id AND tc.contact_id = 1 WHERE t.pipeline_id = ${support} AND t.properties ? 'product' ORDER BY t.id LIMIT 1`);
  const product = one(`SELECT properties->>'product' FROM tickets WHERE id = ${t}`);
  assert.match(t, /^\d+$/);
  const sees = async () => ({
    detail: (await ada.get(`/tickets/${t}`)).status,
    list: ids((await ada.get(`/tickets?status=all&q=%23${t}`)).html).includes(t), // "#<id>": the number, not every subject with its digits
  });
  assert.deepEqual(await sees(), { detail: 200, list: true });

  const page = await admin.get(settingsPath('/filters'));
  assert.equal(page.status, 200);
  assert.match(page.html, /Pipeline \(name\)/, 'the demo rule is listed');
  assert.match(page.html, /<option value="product">product<\/option>/, 'a custom ticket property is offered');
  let mark = auditMark();
  const r = await admin.submit(settingsPath('/filters'), { property: 'product', operator: 'none_of', values: `${product}\n${product}, ` });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), settingsPath('/filters?notice=created'));
  const id = one(`SELECT id FROM portal_ticket_filters WHERE portal_id = 1 AND property = 'product'`);
  assert.equal(one(`SELECT array_to_json(match_values)::text FROM portal_ticket_filters WHERE id = ${id}`), JSON.stringify([product]), 'values split, trimmed, deduplicated');
  const a = audited(mark, 'ticket_filters');
  assert.equal(a.before.length + 1, a.after.length);
  assert.deepEqual(a.after.at(-1), { property: 'product', operator: 'none_of', values: [product] });

  await eventually(async () => assert.deepEqual(await sees(), { detail: 404, list: false }), 'hidden');
  assert.match((await admin.get(settingsPath('/filters'))).html, new RegExp(`<code>${product}</code>`));

  mark = auditMark();
  const del = await admin.submit(settingsPath('/filters'), {}, `${settingsPath()}/filters/${id}/delete`);
  assert.equal(del.status, 303);
  assert.equal(one(`SELECT count(*) FROM portal_ticket_filters WHERE id = ${id}`), '0');
  const d = audited(mark, 'ticket_filters');
  assert.deepEqual(d.before.at(-1), { property: 'product', operator: 'none_of', values: [product] }, 'the deleted rule before');
  assert.equal(d.after.length, d.before.length - 1);
  assert.ok(!d.after.some((x) => x.property === 'product'), 'and not after');
  await eventually(async () => assert.deepEqual(await sees(), { detail: 200, list: true }), 'shown again');
  assert.equal((await admin.submit(settingsPath('/filters'), {}, `${settingsPath()}/filters/${id}/delete`)).status, 404);
});

test('ticket filters: unknown property and bad values are refused with 422, input kept, nothing saved', async () => {
  const count = one('SELECT count(*) FROM portal_ticket_filters');
  const mark = auditMark();
  const cases = [
    [{ property: 'no_such_property_xyz', operator: 'any_of', values: 'keep-me-1' }, /This property is not known/],
    [{ property: 'priority', operator: 'is_known', values: 'keep-me-2' }, /takes no values/],
    [{ property: 'priority', operator: 'equals', values: 'low, high' }, /exactly one value/],
    [{ property: 'priority', operator: 'any_of', values: ' , ' }, /at least one value/],
    [{ property: 'priority', operator: 'matches', values: 'low' }, /Choose an operator/],
    [{ property: '', operator: 'any_of', values: 'low' }, /Choose a property/],
  ];
  for (const [fields, msg] of cases) {
    const r = await admin.submit(settingsPath('/filters'), fields);
    assert.equal(r.status, 422, JSON.stringify(fields));
    assert.match(r.html, msg);
    assert.match(r.html, /class="alert" role="alert"/, 'error summary');
    assert.match(r.html, /aria-invalid="true"/);
    if (fields.values.startsWith('keep')) assert.match(r.html, new RegExp(`>${fields.values}</textarea>`), 'input kept');
  }
  assert.equal(one('SELECT count(*) FROM portal_ticket_filters'), count);
  assert.deepEqual(auditSince(mark), [], 'no audit row');
});

test('permissions: mode own hides the organization view, rule groups OR together, invalid refused', async () => {
  const companyOnly = one(`SELECT t.id FROM tickets t JOIN ticket_companies co ON co.ticket_id = t.id AND co.company_id = 1 WHERE t.pipeline_id = ${support} AND NOT EXISTS (SELECT 1 FROM ticket_contacts x WHERE x.ticket_id = t.id) ORDER BY t.id LIMIT 1`);
  const grace = await loggedIn('grace@example.com');
  try {
    assert.match((await ada.get('/tickets')).html, /Organization tickets/);
    assert.equal((await ada.get(`/tickets/${companyOnly}`)).status, 200);
    const page = await admin.get(settingsPath('/permissions'));
    assert.match(page.html, /id="mode-own_company" name="permission_mode" value="own_company" checked/);
    assert.match(page.html, /portal_role/, 'the demo rule group is listed');

    const mark = auditMark();
    const r = await admin.submit(settingsPath('/permissions'), { permission_mode: 'own' });
    assert.equal(r.status, 303);
    assert.equal(one('SELECT permission_mode FROM portals WHERE id = 1'), 'own');
    assert.deepEqual(audited(mark, 'permission_mode'), { setting: 'permission_mode',
      before: { permission_mode: 'own_company' }, after: { permission_mode: 'own' } });
    await eventually(async () => {
      assert.doesNotMatch((await ada.get('/tickets')).html, /Organization tickets/);
      assert.equal((await ada.get(`/tickets/${companyOnly}`)).status, 404);
    }, 'mode own');
    assert.match((await admin.get(settingsPath('/permissions'))).html, /value="own" checked/);

    // invalid mode: 422, unchanged
    const badMark = auditMark();
    const bad = await admin.submit(settingsPath('/permissions'), { permission_mode: 'everyone' });
    assert.equal(bad.status, 422);
    assert.match(bad.html, /Choose one of the three permission modes/);
    assert.equal(one('SELECT permission_mode FROM portals WHERE id = 1'), 'own');
    assert.deepEqual(auditSince(badMark), [], 'no audit row');

    // company_rules: Grace (portal_role member) matches no group; a new group for her email lets her in
    assert.equal((await admin.submit(settingsPath('/permissions'), { permission_mode: 'company_rules' })).status, 303);
    await eventually(async () => assert.equal((await grace.get(`/tickets/${companyOnly}`)).status, 404), 'grace without rule');
    const rulesMark = auditMark();
    const add = await admin.submit(settingsPath('/permissions'), { group: 'new', property: 'email', operator: 'equals', values: 'grace@example.com' }, settingsPath('/permissions/rules'));
    assert.equal(add.status, 303);
    const rid = one("SELECT id FROM portal_permission_rules WHERE portal_id = 1 AND property = 'email'");
    assert.equal(one(`SELECT group_no > (SELECT max(group_no) FROM portal_permission_rules WHERE id IN (${orig.rules.join(',')})) FROM portal_permission_rules WHERE id = ${rid}`), 't', 'a new group');
    assert.deepEqual(audited(rulesMark, 'permission_rules').after.at(-1),
      { group: Number(one(`SELECT group_no FROM portal_permission_rules WHERE id = ${rid}`)), property: 'email', operator: 'equals', values: ['grace@example.com'] });
    assert.equal((await grace.get(`/tickets/${companyOnly}`)).status, 200, 'her group matches (read live by SQL)');
    assert.match((await admin.get(settingsPath('/permissions'))).html, /or Group 2/);
    // adding to an existing group ANDs: email AND a first_name that Grace does not have
    const gno = one(`SELECT group_no FROM portal_permission_rules WHERE id = ${rid}`);
    assert.equal((await admin.submit(settingsPath('/permissions'), { group: gno, property: 'first_name', operator: 'equals', values: 'Nobody' }, settingsPath('/permissions/rules'))).status, 303);
    assert.equal((await grace.get(`/tickets/${companyOnly}`)).status, 404, 'AND inside a group');
    const rid2 = one("SELECT id FROM portal_permission_rules WHERE portal_id = 1 AND property = 'first_name'");

    // unknown contact property, a group that does not exist: refused
    const count = one('SELECT count(*) FROM portal_permission_rules');
    const u = await admin.submit(settingsPath('/permissions'), { group: 'new', property: 'shoe_size', operator: 'any_of', values: '42' }, settingsPath('/permissions/rules'));
    assert.equal(u.status, 422);
    assert.match(u.html, /This property is not known/);
    assert.match(u.html, />42<\/textarea>/);
    const g = await admin.submit(settingsPath('/permissions'), { group: '9999', property: 'email', operator: 'is_known', values: '' }, settingsPath('/permissions/rules'));
    assert.equal(g.status, 422);
    assert.match(g.html, /Choose a group from the list/);
    assert.equal(one('SELECT count(*) FROM portal_permission_rules'), count);

    for (const id of [rid2, rid]) {
      assert.equal((await admin.submit(settingsPath('/permissions'), {}, `${settingsPath()}/permissions/rules/${id}/delete`)).status, 303);
    }
    assert.equal(one("SELECT count(*) FROM portal_permission_rules WHERE property IN ('email', 'first_name')"), '0');
    assert.equal(audits(rulesMark, 'permission_rules').length, 4, 'one row for each add and each delete');
    assert.equal((await grace.get(`/tickets/${companyOnly}`)).status, 404);
  } finally {
    const r = await admin.submit(settingsPath('/permissions'), { permission_mode: 'own_company' });
    assert.equal(r.status, 303);
  }
  await eventually(async () => assert.match((await ada.get('/tickets')).html, /Organization tickets/), 'restored');
  assert.equal((await ada.get(`/tickets/${companyOnly}`)).status, 200);
});

test('theme: colours and font reach the stylesheet the customer pages link', async () => {
  const page = await admin.get(settingsPath('/theme'));
  assert.equal(page.status, 200);
  assert.match(page.html, /id="brand_color" name="brand_color"[^>]*value="#1f4e79"/, 'the demo theme is shown');
  const mark = auditMark();
  const r = await admin.submit(settingsPath('/theme'), { brand_color: '#12AB9f', text_color: '#222', background_color: '#fafafa', font: 'georgia' });
  assert.equal(r.status, 303);
  const theme = JSON.parse(one('SELECT theme::text FROM portals WHERE id = 1'));
  assert.equal(theme.primary_color, '#12ab9f');
  assert.equal(theme.text_color, '#222');
  assert.equal(theme.accent_color, JSON.parse(orig.theme).accent_color, 'other keys kept');
  assert.match(theme.rev, /^[0-9a-f]{16}$/);
  const a = audited(mark, 'theme');
  assert.equal(a.after.primary_color, '#12ab9f');
  assert.equal(a.before.primary_color, '#1f4e79');

  const href = await eventually(async () => {
    const login = await new Client().get('/login');
    const m = /<link rel="stylesheet" href="(\/theme\.css\?v=([0-9a-f]*))">/.exec(login.html);
    assert.ok(m, 'the customer page links the theme stylesheet');
    assert.equal(m[2], theme.rev);
    return m[1];
  }, 'theme link');
  const css = await fetch(BASE + href);
  assert.equal(css.status, 200);
  assert.match(css.headers.get('content-type'), /^text\/css/);
  assert.match(css.headers.get('cache-control'), /immutable/);
  const body = await css.text();
  assert.match(body, /--brand: #12ab9f;/);
  assert.match(body, /--ink: #222;/);
  assert.match(body, /--bg: #fafafa;/);
  assert.match(body, /--font: Georgia, "Times New Roman", Times, serif;/);
  assert.match((await fetch(`${BASE}/theme.css?v=old`)).headers.get('cache-control'), /no-cache/, 'a stale URL is not cached for good');
  // the support form page uses the same layout
  assert.match((await ada.get('/tickets/new')).html, new RegExp(`/theme\\.css\\?v=${theme.rev}`));
  assert.match((await admin.get(settingsPath('/theme'))).html, /<option value="georgia" selected>/);

  // an empty colour falls back to the default
  assert.equal((await admin.submit(settingsPath('/theme'), { brand_color: '#12ab9f', text_color: '', background_color: '#fafafa', font: 'georgia' })).status, 303);
  assert.equal(JSON.parse(one('SELECT theme::text FROM portals WHERE id = 1')).text_color, undefined);
});

test('theme: a colour that is not a colour, or an unknown font, is refused and nothing changes', async () => {
  const before = one('SELECT theme::text FROM portals WHERE id = 1');
  const mark = auditMark();
  for (const [field, value] of [['brand_color', 'red;}'], ['text_color', '#12345'], ['background_color', 'url(x)'], ['brand_color', '#12345g']]) {
    const fields = { brand_color: '#111111', text_color: '#222222', background_color: '#333333', font: '', [field]: value };
    const r = await admin.submit(settingsPath('/theme'), fields);
    assert.equal(r.status, 422, `${field}=${value}`);
    assert.match(r.html, /enter a colour as # and 3 or 6 hexadecimal digits/);
    assert.match(r.html, new RegExp(`id="${field}" name="${field}"[^>]*aria-invalid="true"`));
    const esc = value.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[ch]));
    assert.ok(r.html.includes(`value="${esc}"`), 'input kept');
  }
  const f = await admin.submit(settingsPath('/theme'), { font: 'comic-sans' });
  assert.equal(f.status, 422);
  assert.match(f.html, /Choose a font from the list/);
  assert.equal(one('SELECT theme::text FROM portals WHERE id = 1'), before);
  assert.deepEqual(auditSince(mark), [], 'no audit row');
  const body = await (await fetch(`${BASE}/theme.css`)).text();
  assert.doesNotMatch(body, /red|url\(/);
});

test('theme: logo and favicon uploads are checked by their bytes and served by nginx', async () => {
  const before = one('SELECT theme::text FROM portals WHERE id = 1');
  const colours = { brand_color: '#12ab9f', text_color: '', background_color: '#fafafa', font: 'georgia' };
  // refused: a text file named .png, an SVG, an over-large image
  const fake = await postTheme(colours, { logo: { bytes: Buffer.from('just some text, not an image\n'), type: 'image/png', name: 'logo.png' } });
  assert.equal(fake.status, 422);
  assert.match(fake.html, /The logo must be a PNG, JPEG, GIF or WebP image/);
  assert.match(fake.html, /choose the image files again/);
  const svg = await postTheme(colours, { favicon: { bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), type: 'image/svg+xml', name: 'f.svg' } });
  assert.equal(svg.status, 422);
  assert.match(svg.html, /The favicon must be a PNG or ICO image \(SVG is not accepted\)/);
  const big = await postTheme(colours, { logo: { bytes: Buffer.concat([PNG, Buffer.alloc(600 * 1024)]), type: 'image/png', name: 'big.png' } });
  assert.equal(big.status, 422);
  assert.match(big.html, /the limit is 512 KB/);
  assert.equal(one('SELECT theme::text FROM portals WHERE id = 1'), before, 'nothing saved');

  // a PNG logo and an ICO favicon
  const ok = await postTheme(colours, { logo: { bytes: PNG, type: 'application/octet-stream', name: 'whatever.bin' }, favicon: { bytes: ICO, type: 'image/x-icon', name: 'favicon.ico' } });
  assert.equal(ok.status, 303);
  const theme = JSON.parse(one('SELECT theme::text FROM portals WHERE id = 1'));
  assert.equal(theme.logo, `${sha(PNG)}.png`);
  assert.equal(theme.favicon, `${sha(ICO)}.ico`);
  const logo = await fetch(`${BASE}/theme-files/${theme.logo}`);
  assert.equal(logo.status, 200);
  assert.equal(logo.headers.get('content-type'), 'image/png');
  assert.equal(logo.headers.get('x-content-type-options'), 'nosniff');
  assert.deepEqual(Buffer.from(await logo.arrayBuffer()), PNG);
  const fav = await fetch(`${BASE}/theme-files/${theme.favicon}`);
  assert.equal(fav.status, 200);
  assert.equal(fav.headers.get('content-type'), 'image/x-icon');
  await fav.arrayBuffer();
  for (const p of [`/theme-files/${sha(PNG)}.svg`, '/theme-files/../portal.json', `/theme-files/${sha(PNG)}.PNG`, '/theme-files/']) {
    const r = await fetch(BASE + p);
    await r.arrayBuffer();
    assert.equal(r.status, 404, p);
  }
  await eventually(async () => {
    const html = (await ada.get('/tickets')).html;
    assert.ok(html.includes(`<img class="brand-logo" src="/theme-files/${theme.logo}" alt="Acme Support">`), 'logo in the header');
    assert.ok(html.includes(`<link rel="icon" href="/theme-files/${theme.favicon}">`), 'favicon');
  }, 'logo on the customer page');

  // remove both
  const rm = await postTheme({ ...colours, remove_logo: '1', remove_favicon: '1' });
  assert.equal(rm.status, 303);
  const t2 = JSON.parse(one('SELECT theme::text FROM portals WHERE id = 1'));
  assert.equal(t2.logo, undefined);
  assert.equal(t2.favicon, undefined);
  await eventually(async () => {
    const html = (await ada.get('/tickets')).html;
    assert.match(html, /<a class="brand" href="\/">Acme Support<\/a>/);
    assert.match(html, /favicon\.svg/);
  }, 'logo removed');
  psql(`UPDATE portals SET theme = ${q(orig.theme)}::jsonb WHERE id = 1`);
});

test('navigation: add, reorder, edit and remove items; the customer pages follow; bad URLs refused', async () => {
  const navOf = async () => {
    const html = (await new Client().get('/login')).html;
    const ul = /<ul class="nav">([\s\S]*?)<\/ul>/.exec(html)[1];
    return [...ul.matchAll(/<li><a href="([^"]*)">([^<]*)<\/a><\/li>/g)].map((m) => `${m[2]}=${m[1]}`);
  };
  const start = await navOf();
  assert.deepEqual(start, ['Knowledge base=https://example.com/kb']);
  const mark = auditMark();
  assert.equal((await admin.submit(settingsPath('/navigation'), { label: 'Status page', url: 'HTTPS://status.example.com/' })).status, 303);
  assert.equal((await admin.submit(settingsPath('/navigation'), { label: 'Contact us', url: '/contact' })).status, 303);
  assert.deepEqual(audits(mark, 'navigation').map((x) => x.detail.after.filter((i) => !i.builtin).map((i) => i.label)),
    [['Knowledge base', 'Status page'], ['Knowledge base', 'Status page', 'Contact us']], 'one row for each item added');
  await eventually(async () => assert.deepEqual(await navOf(), [...start, 'Status page=https://status.example.com/', 'Contact us=/contact']), 'added in order');

  const idOf = (label) => one(`SELECT id FROM portal_nav_items WHERE portal_id = 1 AND label = ${q(label)}`);
  const contact = idOf('Contact us'), status = idOf('Status page');
  const moveMark = auditMark();
  assert.equal((await admin.submit(settingsPath('/navigation'), { direction: 'up' }, `${settingsPath()}/navigation/${contact}/move`)).status, 303);
  await eventually(async () => assert.deepEqual(await navOf(), [...start, 'Contact us=/contact', 'Status page=https://status.example.com/']), 'moved up');
  assert.deepEqual(audited(moveMark, 'navigation').after.filter((x) => !x.builtin).map((x) => x.label), ['Knowledge base', 'Contact us', 'Status page']);
  // the last item cannot move further down: nothing changes, no audit row
  const m = auditMark();
  const lastItem = one('SELECT id FROM portal_nav_items WHERE portal_id = 1 ORDER BY position DESC, id DESC LIMIT 1');
  assert.equal((await admin.submit(settingsPath('/navigation'), { direction: 'down' }, `${settingsPath()}/navigation/${lastItem}/move`)).status, 303);
  assert.deepEqual(auditSince(m), [], 'no audit row');

  const edit = await admin.get(`${settingsPath()}/navigation/${status}`);
  assert.equal(edit.status, 200);
  assert.match(edit.html, /value="Status page"/);
  assert.equal((await admin.submit(`${settingsPath()}/navigation/${status}`, { label: 'System status', url: 'https://status.example.com/' })).status, 303);
  await eventually(async () => assert.deepEqual(await navOf(), [...start, 'Contact us=/contact', 'System status=https://status.example.com/']), 'edited');

  // refused: script and protocol-relative URLs, backslashes, bad labels
  const count = one('SELECT count(*) FROM portal_nav_items');
  const snap = one("SELECT string_agg(label || url || position, ',' ORDER BY id) FROM portal_nav_items");
  for (const [label, url, field] of [['Evil', 'javascript:alert(1)', 'url'], ['Evil', '//evil.example/x', 'url'], ['Evil', '/\\evil.example', 'url'],
    ['Evil', 'https://', 'url'], ['Evil', 'ftp://example.com', 'url'], ['', '/ok', 'label'], ['x'.repeat(61), '/ok', 'label'], ['Two\nlines', '/ok', 'label']]) {
    const r = await admin.submit(settingsPath('/navigation'), { label, url });
    assert.equal(r.status, 422, `${label} ${url}`);
    assert.match(r.html, new RegExp(`id="${field}" name="${field}"[^>]*aria-invalid="true"`));
    if (field === 'label' && label === '') assert.ok(r.html.includes('value="/ok"'), 'input kept');
  }
  const e = await admin.submit(`${settingsPath()}/navigation/${status}`, { label: 'System status', url: 'javascript:alert(1)' });
  assert.equal(e.status, 422);
  assert.ok(e.html.includes('value="javascript:alert(1)"'), 'input kept on the edit form');
  assert.equal(one('SELECT count(*) FROM portal_nav_items'), count);
  assert.equal(one("SELECT string_agg(label || url || position, ',' ORDER BY id) FROM portal_nav_items"), snap);
  assert.equal((await admin.get(settingsPath('/navigation/999999'))).status, 404);
  assert.equal((await admin.submit(settingsPath('/navigation'), { label: 'x', url: '/x' }, settingsPath('/navigation/999999'))).status, 404);

  for (const id of [contact, status]) {
    assert.equal((await admin.submit(settingsPath('/navigation'), {}, `${settingsPath()}/navigation/${id}/delete`)).status, 303);
  }
  await eventually(async () => assert.deepEqual(await navOf(), start), 'removed');
  assert.match((await admin.get(settingsPath('/navigation'))).html, /Knowledge base/);
});

test('support form: none removes the link and the route, a form without ticket fields is refused', async () => {
  const empty = one("INSERT INTO forms (name, inbox_id, pipeline_id, stage_id, fields) VALUES ('rules-test no fields', 1, 1, 1, '[{\"label\": \"no name\"}]') RETURNING id");
  assert.match((await ada.get('/tickets')).html, /Submit a support ticket/);
  assert.equal((await ada.get('/tickets/new')).status, 200);
  const page = await admin.get(settingsPath('/support-form'));
  assert.match(page.html, /<option value="1" selected>Support request/);
  assert.match(page.html, /rules-test no fields \(inbox Support inbox, 0 ticket field\(s\); cannot be used\)/);

  const mark = auditMark();
  assert.equal((await admin.submit(settingsPath('/support-form'), { form_id: 'none' })).status, 303);
  assert.equal(one("SELECT coalesce(support_form_id::text, 'none') FROM portals WHERE id = 1"), 'none');
  assert.deepEqual(audited(mark, 'support_form').after, { support_form_id: null, name: null });
  await eventually(async () => {
    assert.equal((await ada.get('/tickets/new')).status, 404);
    assert.doesNotMatch((await ada.get('/tickets')).html, /Submit a support ticket/);
  }, 'form gone');
  assert.match((await admin.get(settingsPath('/support-form'))).html, /<option value="none" selected>/);

  const refusedMark = auditMark();
  for (const [id, msg] of [[empty, /holds no field mapped to a ticket property/], ['999999', /does not exist/], ['abc', /Choose a form from the list/]]) {
    const r = await admin.submit(settingsPath('/support-form'), { form_id: id });
    assert.equal(r.status, 422, id);
    assert.match(r.html, msg);
    assert.match(r.html, /aria-invalid="true"/);
  }
  assert.equal(one("SELECT coalesce(support_form_id::text, 'none') FROM portals WHERE id = 1"), 'none');
  assert.deepEqual(auditSince(refusedMark), [], 'no audit row for the refused ones');

  const backMark = auditMark();
  assert.equal((await admin.submit(settingsPath('/support-form'), { form_id: '1' })).status, 303);
  assert.equal(one('SELECT support_form_id FROM portals WHERE id = 1'), '1');
  assert.deepEqual(audited(backMark, 'support_form').after, { support_form_id: 1, name: 'Support request' });
  await eventually(async () => {
    assert.equal((await ada.get('/tickets/new')).status, 200);
    assert.match((await ada.get('/tickets')).html, /Submit a support ticket/);
  }, 'form back');
});

test('the demo portal is as it was', () => {
  assert.equal(one('SELECT permission_mode FROM portals WHERE id = 1'), orig.mode);
  assert.equal(one("SELECT coalesce(support_form_id::text, 'NULL') FROM portals WHERE id = 1"), orig.form);
  assert.equal(psql('SELECT id FROM portal_ticket_filters WHERE portal_id = 1 ORDER BY id').split('\n').filter(Boolean).join(), orig.filters.join());
  assert.equal(psql('SELECT id FROM portal_permission_rules WHERE portal_id = 1 ORDER BY id').split('\n').filter(Boolean).join(), orig.rules.join());
});
