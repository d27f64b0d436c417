// browser.mjs - launch Debian's headless Chromium through playwright-core for the browser tests.
import { chromium } from 'playwright-core';

/* extraArgs: more Chromium switches (e.g. test/browser/https.test.mjs: the one key it trusts). */
export async function launch(extraArgs = []) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs],
  });
  return { browser, close: () => browser.close() };
}
