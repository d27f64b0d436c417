// ticket_link.test.mjs - Chromium follows a notification's ticket link logged out: the one-button
// page (nothing of the ticket on it), the click, and the ticket page, logged in; the token in the
// link's URL is never sent on as a Referer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BASE, VAR, psql } from '../lib/stack.mjs';
import { launch } from '../lib/browser.mjs';

const SECRET = JSON.parse(readFileSync(path.join(VAR, 'portal.json'), 'utf8')).secret_key;

/* As fcgi/mail_tokens.c signs it (see test/http/ticket_link.test.mjs). */
function token(contact, ticket) {
  const expires = Math.floor(Date.now() / 1000) + 14 * 86400;
  const sig = createHmac('sha256', SECRET).update(`ticket-link:${contact}.${ticket}.${expires}`).digest('hex');
  return `${contact}.${expires}.${sig}`;
}

test('Chromium: from the ticket link, one click, onto the ticket page logged in', async () => {
  const ticket = Number(psql("SELECT min(t.id) FROM portal_visible_tickets(1, 1, 'mine') t WHERE t.id > 140"));
  const subject = psql(`SELECT subject FROM tickets WHERE id = ${ticket}`);
  const t = token(1, ticket);
  const { browser, close } = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const problems = [], referers = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('request', (r) => { const ref = r.headers().referer; if (ref) referers.push(`${r.url()} <- ${ref}`); });
    const resp = await page.goto(`${BASE}/tickets/${ticket}/open?t=${t}`);
    assert.equal(resp.status(), 200);
    assert.equal(await page.textContent('h1'), `Open ticket #${ticket}`);
    assert.ok(!(await page.content()).includes(subject), 'nothing of the ticket before sign-in');
    const button = page.getByRole('button', { name: 'Continue as a•••@example.com' });
    const box = await button.boundingBox();
    assert.ok(box && box.height >= 44, 'a comfortable touch target');
    await Promise.all([page.waitForURL(`${BASE}/tickets/${ticket}`), button.click()]);
    assert.equal(new URL(page.url()).pathname, `/tickets/${ticket}`);
    assert.ok((await page.textContent('h1')).includes(subject), 'the ticket page');
    assert.ok(await page.isVisible('button:has-text("Log out")'), 'logged in');
    const leaked = referers.filter((r) => r.includes('t='));
    assert.deepEqual(leaked, [], 'no request carried the link as its Referer');
    assert.equal(await page.evaluate(() => document.referrer), '');
    assert.deepEqual(problems, []);
    await page.screenshot({ path: path.join(VAR, 'ticket-link.png'), fullPage: true });
  } finally {
    await close();
  }
});
