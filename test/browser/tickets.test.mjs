// tickets.test.mjs - Chromium: log in, search, open a ticket, reply with a file, download it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASE, VAR, psql } from '../lib/stack.mjs';
import { launch } from '../lib/browser.mjs';
import { ownTickets } from '../lib/demo.mjs';

test('Chromium: log in, search, open a ticket, reply with a file and download it', async () => {
  const ticket = psql(`SELECT t.id FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id WHERE t.id IN ${ownTickets(1)} AND NOT s.is_closed ORDER BY t.id LIMIT 1`);
  const subject = psql(`SELECT subject FROM tickets WHERE id = ${ticket}`);
  const word = subject.split(/\s+/).find((w) => w.length > 4) || subject.split(/\s+/)[0];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-upload-'));
  const file = path.join(dir, 'screenshot-notes.txt');
  const content = `Steps to reproduce ${Date.now()}\n`;
  writeFileSync(file, content);
  const { browser, close } = await launch();
  try {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(BASE + '/login');
    await page.fill('#email', 'ada@example.com');
    await page.fill('#password', 'demo-Portal-2026');
    await page.click('main button[type=submit]');
    assert.equal(new URL(page.url()).pathname, '/tickets');

    await page.fill('#q', word);
    await page.selectOption('#status', 'all');
    await page.click('form.filters button[type=submit]');
    assert.equal(new URL(page.url()).searchParams.get('q'), word, 'the search lives in the URL');
    await page.click(`a[href="/tickets/${ticket}"]`);
    assert.equal(new URL(page.url()).pathname, `/tickets/${ticket}`);
    assert.match(await page.textContent('h1'), new RegExp(subject.slice(0, 10).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

    await page.fill('#body', 'Here are the notes you asked for.');
    await page.setInputFiles('#files', file);
    await page.click('form.reply button[type=submit]');
    assert.equal(new URL(page.url()).pathname, `/tickets/${ticket}`);
    const latest = page.locator('#latest');
    assert.match(await latest.textContent(), /Here are the notes you asked for\./);
    await page.screenshot({ path: path.join(VAR, 'ticket-reply-mobile.png'), fullPage: true });

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      latest.locator('a', { hasText: 'screenshot-notes.txt' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'screenshot-notes.txt');
    const saved = path.join(dir, 'downloaded.txt');
    await download.saveAs(saved);
    assert.equal(readFileSync(saved, 'utf8'), content);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});
