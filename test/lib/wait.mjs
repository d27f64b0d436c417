// wait.mjs - wait for the thing a test is really waiting for, instead of sleeping a fixed time.
import { BASE, psql, rawRequest } from './stack.mjs';

export const WORKERS = Number(process.env.PORTAL_WORKERS || 2);

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

const show = (v) => {
  try { return JSON.stringify(v)?.slice(0, 200); } catch { return String(v); }
};

/*
 * Call check() (sync or async) until it returns a truthy value, and return that value. A check
 * that throws (e.g. a failed assert) counts as "not yet"; its message goes into the timeout error.
 *   timeout   ms before giving up with "timed out after <timeout> ms waiting for <what> (...)"
 *   interval  ms between checks that did not hold
 *   times     the check must hold this many times in a row (see everyWorker); checks that hold
 *             follow each other at once
 */
export async function waitFor(check, { timeout = 5000, interval = 25, what = 'a condition', times = 1 } = {}) {
  const start = Date.now();
  let streak = 0, last = 'no check ran';
  for (;;) {
    let value;
    try {
      value = await check();
      if (!value) last = `the last check gave ${show(value)}`;
    } catch (e) {
      value = undefined;
      last = `the last check failed: ${e && e.message}`;
    }
    if (value) {
      streak++;
      if (streak >= times) return value;
      continue;
    }
    if (streak) last += ` after holding ${streak} time(s) in a row`;
    streak = 0;
    if (Date.now() - start >= timeout) throw new Error(`timed out after ${timeout} ms waiting for ${what} (${last})`);
    await pause(interval);
  }
}

/*
 * A setting written straight into the database (psql) reaches each worker's settings cache by
 * NOTIFY a few milliseconds after COMMIT; until then that worker still answers with the old
 * settings. A request goes to whichever idle worker accepts it, so one answer that shows the
 * change says nothing of the others: check - a request whose answer shows the setting - must
 * hold on 2 x PORTAL_WORKERS requests in a row. (Every worker's backend is signalled by the same
 * COMMIT, so a worker that none of them reached is at most milliseconds behind.) For a change
 * that no request shows by itself, use psqlEverywhere.
 */
export function everyWorker(check, what, opts = {}) {
  return waitFor(check, { times: 2 * WORKERS, ...opts, what: `${what}, on ${2 * WORKERS} requests in a row` });
}

/* A customer-side GET with no cookies: {status, location, html}. */
export async function visit(path) {
  const r = await fetch(BASE + path, { redirect: 'manual' });
  return { status: r.status, location: r.headers.get('location'), html: await r.text() };
}

/* The demo portal's own login is back on every worker: the login page with "Register here"
 * (password login with self-registration, portal switched on, no single sign-on). */
export function registrationOpen() {
  return everyWorker(async () => {
    const r = await visit('/login');
    return r.status === 200 && r.html.includes('Register here');
  }, 'the login page with "Register here"');
}

/* Single sign-on is on for visitors on every worker: a visitor's GET of path (by default the
 * login page) is sent on (303) to a location matching `to` (the SAML start, or the JWT app's
 * login URL; each JWT start records an open sign-on, as any visitor's would). */
export function ssoOn(to = /^\/sso\/saml\/login\?/, path = '/login') {
  return everyWorker(async () => {
    const r = await visit(path);
    return r.status === 303 && to.test(r.location || '');
  }, `${path} redirecting to ${to}`);
}

let markers = 0;

/*
 * For a change written with psql that no request shows by itself (a setting that only matters
 * in another mode, or one whose new value looks like the old): run sql in one transaction with a
 * marker, a Swedish domain of the demo portal, and wait until every worker answers a request for
 * that host in Swedish. A worker that knows the marker reloaded its settings after the commit, so
 * it has the change too. The marker is deleted again (its own NOTIFY changes nothing visible).
 */
export async function psqlEverywhere(sql, what = 'the change') {
  const host = `reload-${process.pid}-${++markers}.invalid`;
  psql(`BEGIN; ${sql.trim().replace(/;$/, '')};
    INSERT INTO portal_domains (portal_id, host, language) SELECT id, '${host}', 'sv' FROM portals WHERE is_default; COMMIT`);
  try {
    await everyWorker(async () => {
      const r = await rawRequest(`GET /no-such-page HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      return r.body.includes('<html lang="sv"');
    }, `every worker to reload its settings after ${what}`);
  } finally {
    psql(`DELETE FROM portal_domains WHERE host = '${host}'`);
  }
}
