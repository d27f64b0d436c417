// languages.test.mjs - texts the admin writes per language: the consent notice, navigation
// labels, ticket property definitions and support form labels. A Swedish domain shows the Swedish
// text, else the primary language's (English here), else the default; a property without a
// visible definition is not shown; the console forms refuse bad input with the input kept, and
// every save is audited. The demo portal is put back as it was.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { psql } from '../lib/stack.mjs';
import { staffLoggedIn } from '../lib/client.mjs';
import { HostClient, hostLoggedIn } from '../lib/host_client.mjs';
import { everyWorker, waitFor } from '../lib/wait.mjs';
import { auditMark, auditSince } from '../lib/audit.mjs';
import { ownTickets } from '../lib/demo.mjs';
import { settingsPath } from '../lib/portals.mjs';

const u = `${process.pid}${Math.random().toString(36).slice(2, 6)}`;
const SV = `lang-${u}.example.test`;
const EN = 'localhost';
const q = (s) => s.replace(/'/g, "''");
const one = (sql) => psql(sql).split('\n')[0];
const admin = await staffLoggedIn();
const KEY = `lang_${u}`;
const TICKET = one(`SELECT id FROM tickets WHERE id IN ${ownTickets(1)} AND closed_at IS NULL ORDER BY id LIMIT 1`);
const ORIG = {
  consent: one(`SELECT row_to_json(x)::text FROM (SELECT consent_text, consent_label, consent_i18n FROM portals WHERE id = 1) x`),
  fields: one('SELECT fields::text FROM forms WHERE id = 1'),
  props: one(`SELECT properties::text FROM tickets WHERE id = ${TICKET}`),
};

let sv, en;
before(async () => {
  psql(`INSERT INTO portal_domains (portal_id, host, language) VALUES (1, '${SV}', 'sv')`);
  await everyWorker(async () => (await new HostClient(SV).get('/login')).html.includes('<html lang="sv"'), 'the Swedish domain');
  sv = await hostLoggedIn(SV, 'ada@example.com');
  en = await hostLoggedIn(EN, 'ada@example.com');
});
after(() => {
  const o = JSON.parse(ORIG.consent);
  psql(`UPDATE portals SET consent_text = '${q(o.consent_text)}', consent_label = '${q(o.consent_label)}',
      consent_i18n = '${q(JSON.stringify(o.consent_i18n))}' WHERE id = 1;
    UPDATE forms SET fields = '${q(ORIG.fields)}' WHERE id = 1;
    UPDATE tickets SET properties = '${q(ORIG.props)}' WHERE id = ${TICKET};
    DELETE FROM portal_nav_items WHERE portal_id = 1 AND label LIKE '%${u}%';
    DELETE FROM ticket_property_keys WHERE key LIKE '%${u}%';
    DELETE FROM portal_domains WHERE host = '${SV}'`);
});

/* A console form refused with 422: the message is on the page and the input is kept. */
async function refused(path, fields, field, kept) {
  const mark = auditMark();
  const r = await admin.submit(path, fields);
  assert.equal(r.status, 422, `${JSON.stringify(fields)} is refused`);
  assert.match(r.html, new RegExp(`id="${field}-error"`), `a message on ${field}`);
  for (const k of kept) assert.ok(r.html.includes(k), `the input "${k}" is kept`);
  assert.deepEqual(auditSince(mark), [], 'no audit row');
}

test('consent: the Swedish text on a Swedish domain, else the primary language\'s; the text shown is the one recorded', async () => {
  const base = { consent_text: `Default notice ${u}`, consent_label: `Default label ${u}` };
  await refused(settingsPath('/consent'), { ...base, consent_text_sv: `Svensk text ${u}` }, 'consent_label_sv', [`Svensk text ${u}`]);
  await refused(settingsPath('/consent'), { ...base, consent_label_en: 'x'.repeat(201) }, 'consent_label_en', [`Default notice ${u}`]);
  const mark = auditMark();
  let r = await admin.submit(settingsPath('/consent'), { ...base, consent_text_en: `English notice ${u}`, consent_label_en: `English label ${u}` });
  assert.equal(r.status, 303);
  assert.equal(auditSince(mark).length, 1, 'one audit row');
  assert.deepEqual(auditSince(mark)[0].detail.after.translations, { en: { text: `English notice ${u}`, label: `English label ${u}` } });
  // no Swedish translation: the primary language's (English) on the Swedish domain
  await everyWorker(async () => (await new HostClient(SV).get('/register')).html.includes(`English label ${u}`), 'the English consent on the Swedish domain');
  r = await admin.submit(settingsPath('/consent'), { ...base, consent_text_en: `English notice ${u}`, consent_label_en: `English label ${u}`,
    consent_text_sv: `Svensk text ${u}`, consent_label_sv: `Svensk etikett ${u}` });
  assert.equal(r.status, 303);
  const same = auditMark(); // the same texts again: unchanged (compared as JSON), no audit row
  r = await admin.submit(settingsPath('/consent'), { ...base, consent_text_sv: `Svensk text ${u}`, consent_label_sv: `Svensk etikett ${u}`,
    consent_text_en: `English notice ${u}`, consent_label_en: `English label ${u}` });
  assert.equal(r.status, 303);
  assert.deepEqual(auditSince(same), [], 'saved unchanged: no audit row');
  const page = await admin.get(settingsPath('/consent'));
  assert.ok(page.html.includes(`Svensk etikett ${u}`), 'the console shows the saved translation');
  const reg = new HostClient(SV);
  const form = await reg.get('/register');
  assert.ok(form.html.includes(`Svensk etikett ${u}`) && form.html.includes(`Svensk text ${u}`));
  assert.ok(!form.html.includes(`English label ${u}`) && !form.html.includes(`Default label ${u}`));
  const email = `lang-${u}@example.net`;
  r = await reg.submit('/register', { name: 'Lang Test', email, consent: 'on' });
  assert.equal(r.status, 200);
  const recorded = one(`SELECT m.consent_text FROM members m JOIN contacts c ON c.id = m.contact_id WHERE c.email = '${email}'`);
  assert.equal(recorded, `Svensk text ${u}`, 'the exact text shown is recorded (first line)');
  assert.equal(psql(`SELECT m.consent_text FROM members m JOIN contacts c ON c.id = m.contact_id WHERE c.email = '${email}'`),
    `Svensk text ${u}\nSvensk etikett ${u}`);
  // the English domain keeps the English translation
  assert.ok((await new HostClient(EN).get('/register')).html.includes(`English label ${u}`));
});

test('navigation: labels per language with the primary language as fallback; the portal\'s own links can be moved, not removed', async () => {
  await refused(settingsPath('/navigation'), { label: `Help ${u}`, url: '/help', label_sv: 'y'.repeat(61) }, 'label_sv', [`Help ${u}`]);
  let r = await admin.submit(settingsPath('/navigation'), { label: `Help ${u}`, url: '/help', label_en: `Help EN ${u}`, label_sv: '' });
  assert.equal(r.status, 303);
  await everyWorker(async () => (await new HostClient(SV).get('/login')).html.includes(`>Help EN ${u}<`), 'the English label on the Swedish domain');
  const id = one(`SELECT id FROM portal_nav_items WHERE label = 'Help ${u}'`);
  r = await admin.submit(`${settingsPath()}/navigation/${id}`, { label: `Help ${u}`, url: '/help', label_en: `Help EN ${u}`, label_sv: `Hjälp ${u}` });
  assert.equal(r.status, 303);
  await everyWorker(async () => (await new HostClient(SV).get('/login')).html.includes(`>Hjälp ${u}<`), 'the Swedish label');
  assert.ok((await new HostClient(EN).get('/login')).html.includes(`>Help EN ${u}<`));

  // the built-in items: labelled from the catalog, shown only to a logged-in customer
  const list = await admin.get(settingsPath('/navigation'));
  assert.match(list.html, /Log out \(a button\)/);
  const logout = one("SELECT id FROM portal_nav_items WHERE portal_id = 1 AND builtin = 'logout'");
  assert.equal((await admin.get(`${settingsPath()}/navigation/${logout}`)).status, 404, 'a built-in item has no edit page');
  assert.equal((await admin.submit(settingsPath('/navigation'), {}, `${settingsPath()}/navigation/${logout}/delete`)).status, 404);
  const svPage = await sv.get('/tickets');
  assert.match(svPage.html, /<a href="\/account">Konto<\/a>/);
  assert.match(svPage.html, /<button class="linklike" type="submit">Logga ut<\/button>/);
  assert.doesNotMatch((await new HostClient(SV).get('/login')).html, /href="\/account"/, 'not for visitors');
  // move "account" to the top: the customer's menu follows
  const account = one("SELECT id FROM portal_nav_items WHERE portal_id = 1 AND builtin = 'account'");
  const before = one('SELECT string_agg(id::text, \',\' ORDER BY position, id) FROM portal_nav_items WHERE portal_id = 1');
  for (let i = 0; i < 10; i++) await admin.submit(settingsPath('/navigation'), { direction: 'up' }, `${settingsPath()}/navigation/${account}/move`);
  await waitFor(async () => /<ul class="nav">\s*<li><a href="\/account">/.test((await en.get('/tickets')).html), { what: 'account first' });
  // put the order back
  const ids = before.split(',');
  ids.forEach((x, i) => psql(`UPDATE portal_nav_items SET position = ${i + 1} WHERE id = ${x}`));
});

test('property definitions: hidden by default, a label per language with the primary as fallback', async () => {
  psql(`UPDATE tickets SET properties = properties || '{"${KEY}": "Value ${u}"}' WHERE id = ${TICKET}`);
  const shown = async (c, label) => (await c.get(`/tickets/${TICKET}`)).html.includes(`<dt>${label}</dt><dd>Value ${u}</dd>`);
  assert.equal((await en.get(`/tickets/${TICKET}`)).html.includes(`Value ${u}`), false, 'a key without a definition is not shown');
  const list = await admin.get('/admin/properties');
  assert.equal(list.status, 200);
  assert.ok(list.html.includes(`<code class="value">${KEY}</code>`), 'the key is listed');
  assert.equal((await admin.get('/admin/properties/no_such_key_here')).status, 404);
  await refused(`/admin/properties/${KEY}`, { label: '', label_en: `Kept ${u}`, visible: '1' }, 'label', [`Kept ${u}`]);
  await refused(`/admin/properties/${KEY}`, { label: 'Ok', position: 'first' }, 'position', ['value="first"']);
  const mark = auditMark();
  let r = await admin.submit(`/admin/properties/${KEY}`, { label: `Default ${u}`, label_en: `English ${u}` });
  assert.equal(r.status, 303);
  assert.equal(auditSince(mark).length, 1);
  assert.equal(await shown(en, `English ${u}`), false, 'defined but not visible: hidden');
  r = await admin.submit(`/admin/properties/${KEY}`, { label: `Default ${u}`, label_en: `English ${u}`, visible: '1' });
  assert.equal(r.status, 303);
  assert.ok(await shown(en, `English ${u}`));
  assert.ok(await shown(sv, `English ${u}`), 'no Swedish label: the primary language\'s');
  r = await admin.submit(`/admin/properties/${KEY}`, { label: `Default ${u}`, label_en: `English ${u}`, label_sv: `Svenska ${u}`, visible: '1' });
  assert.ok(await shown(sv, `Svenska ${u}`));
  // a key with a space and a non-ASCII letter: its page's link is percent-encoded and opens it
  const odd = `Säljare ${u}`;
  psql(`UPDATE tickets SET properties = properties || '{"${odd}": "x"}' WHERE id = ${TICKET}`);
  const href = `/admin/properties/${encodeURIComponent(odd)}`;
  assert.ok((await admin.get('/admin/properties')).html.includes(`href="${href}"`));
  assert.equal((await admin.get(href)).status, 200);
  assert.equal((await admin.submit(href, { label: 'Seller' })).status, 303);
  assert.equal(one(`SELECT label FROM ticket_property_defs WHERE key = '${odd}'`), 'Seller');
  psql(`DELETE FROM ticket_property_defs WHERE key = '${odd}'`);
  const m2 = auditMark();
  r = await admin.submit(`/admin/properties/${KEY}`, { label: `Default ${u}`, label_en: `English ${u}`, label_sv: `Svenska ${u}`, visible: '1' });
  assert.equal(r.status, 303);
  assert.deepEqual(auditSince(m2), [], 'nothing changed: no audit row');
});

test('support form: field and option labels per language, the primary as fallback; bad translations refused', async () => {
  psql(`UPDATE forms SET fields = '[
    {"name": "subject", "label": "Subject D", "labels": {"en": "Subject ${u}", "sv": "Ämne ${u}"}, "property": "subject", "type": "text", "required": true},
    {"name": "area", "label": "Area D", "labels": {"en": "Area ${u}"}, "property": "area_${u}", "type": "select", "required": false,
     "options": [{"value": "a", "label": "Alpha D", "labels": {"sv": "Alfa ${u}"}}, "b"]}]' WHERE id = 1`);
  const page = (await sv.get('/tickets/new')).html;
  assert.ok(page.includes(`Ämne ${u}`), 'the Swedish label');
  assert.ok(page.includes(`Area ${u}`), 'no Swedish label: the primary language\'s');
  assert.ok(page.includes(`>Alfa ${u}</option>`), 'a Swedish option label');
  const enPage = (await en.get('/tickets/new')).html;
  assert.ok(enPage.includes(`Subject ${u}`) && enPage.includes('>Alpha D</option>'));
  // the console shows the translations and refuses an option translation for no option
  const edit = await admin.get('/admin/forms/1');
  assert.ok(edit.html.includes(`value="Ämne ${u}"`));
  assert.ok(edit.html.includes(`a | Alfa ${u}`));
  const f = { name: 'Support request', inbox_id: '1', stage_id: '1', nrows: '2', op: 'save',
    f0_name: 'subject', f0_label: 'Subject D', f0_property: 'subject', f0_type: 'text', f0_label_sv: `Ämne ${u}`,
    f1_name: 'area', f1_label: 'Area D', f1_property: 'custom', f1_custom: `area_${u}`, f1_type: 'select', f1_options: 'a | Alpha D\nb',
    f1_options_sv: `a | Alfa ${u}\nzz | Nope ${u}` };
  const r = await admin.submit('/admin/forms/1', f);
  assert.equal(r.status, 422);
  assert.match(r.html, /&quot;zz&quot; is not one of the options above/);
  assert.ok(r.html.includes(`Nope ${u}`), 'input kept');
  const ok = await admin.submit('/admin/forms/1', { ...f, f1_options_sv: `a | Alfa ${u}\nb | Beta ${u}`, f1_label_sv: `Område ${u}` });
  assert.equal(ok.status, 303);
  const saved = JSON.parse(one('SELECT fields::text FROM forms WHERE id = 1'));
  assert.deepEqual(saved[1].labels, { sv: `Område ${u}` });
  assert.deepEqual(saved[1].options, [{ value: 'a', label: 'Alpha D', labels: { sv: `Alfa ${u}` } }, { value: 'b', labels: { sv: `Beta ${u}` } }]);
  assert.ok((await sv.get('/tickets/new')).html.includes(`>Beta ${u}</option>`));
});

// Every page that keeps a text per language shows a field for every language the portal has (a
// catalog templates/i18n/<lang>.json), labelled with the language's name, and the domain page
// offers every one: a page that names its languages by hand instead of using the one list of
// fcgi/langs.c fails here when a language is added.
test('translation forms: a field for every language of the catalogs', async () => {
  const dir = new URL('../../templates/i18n/', import.meta.url);
  const codes = readdirSync(dir).filter((f) => /^[a-z]{2}\.json$/.test(f)).map((f) => f.slice(0, 2)).sort();
  assert.ok(codes.length >= 2, `the catalogs: ${codes}`);
  const key = one('SELECT key FROM ticket_property_keys ORDER BY key LIMIT 1');
  const pages = {
    [settingsPath('/consent')]: ['consent_text_', 'consent_label_'],
    [settingsPath('/navigation')]: ['label_'],
    ...(key ? { [`/admin/properties/${encodeURIComponent(key)}`]: ['label_'] } : {}),
  };
  for (const [path, prefixes] of Object.entries(pages)) {
    const r = await admin.get(path);
    assert.equal(r.status, 200, path);
    for (const p of prefixes) {
      const shown = [...r.html.matchAll(new RegExp(`name="${p}([a-z]{2})"`, 'g'))].map((m) => m[1]).sort();
      assert.deepEqual(shown, codes, `${path}: a ${p}<lang> field per language`);
    }
  }
  const domains = await admin.get(settingsPath('/domains'));
  const offered = [...domains.html.matchAll(/<select id="language"[^>]*>([\s\S]*?)<\/select>/g)][0]?.[1] ?? '';
  assert.deepEqual([...offered.matchAll(/value="([a-z]{2})"/g)].map((m) => m[1]).sort(), codes, 'the add-domain form offers every language');
});
