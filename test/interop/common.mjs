// common.mjs - the set-up every interop test file shares: one Chromium for the file, the portal's
// sign-on settings put back after it, a fresh IdP user with the portal pointed at the IdP, and a
// signed-on browser context that closes whatever the test does.
import { before, after } from 'node:test';
import { launch } from '../lib/browser.mjs';
import { addUser, configurePortal, nameIdFromEmail, restorePortal, signOn, uniq } from './idp.mjs';

let chromium;

/* Chromium for this file's tests: launched before the first; after the last, cleanup (if given)
 * runs, the portal's sign-on settings are restored and the browser closes. */
export function useBrowser(cleanup) {
  before(async () => { ({ browser: chromium } = await launch()); });
  after(async () => {
    await cleanup?.();
    await restorePortal();
    await chromium?.close();
  });
}

/* The browser useBrowser() launched. */
export const browser = () => chromium;

/*
 * A new user of the IdP, `${name}-${t}`, with the address `${mailbox}-${t}@example.net` (or
 * mailbox itself when it is a whole address), t a fresh uniq(). The IdP sends the address as the
 * NameID, and the portal's SAML sign-on points at the IdP (portal: configurePortal's options).
 * Returns {t, user}.
 */
export async function ssoUser(name, mailbox, portal) {
  const t = uniq();
  const user = addUser(`${name}-${t}`, mailbox.includes('@') ? mailbox : `${mailbox}-${t}@example.net`);
  nameIdFromEmail();
  await configurePortal(portal);
  return { t, user };
}

/* user signs on in a new context from startPath (signOn), then fn({context, page, responses});
 * the context closes after fn, however it ends. */
export async function signedOn(user, startPath, fn) {
  const session = await signOn(chromium, user, startPath);
  try {
    await fn(session);
  } finally {
    await session.context.close();
  }
}
