// metrics.test.mjs - /metrics from outside: the Prometheus text format, counters shared by the whole
// pool (each scrape reaches one worker), figures from the database, and the allow list.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { BASE, PORT, psql, logText, workerPids } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { waitFor, registrationOpen, ssoOn } from '../lib/wait.mjs';

after(() => psql('DELETE FROM login_failures'));

/*
 * A strict reader of the text format (version 0.0.4): every line is "# HELP name text",
 * "# TYPE name type" or a sample `name{label="value",...} number`; a sample belongs to a family
 * whose TYPE came first (a histogram's _bucket, _sum and _count to the histogram's family), and
 * a label value escapes only backslash, double quote and newline. Returns
 * {families: Map(name -> {type, help}), samples: Map('name{k="v",...}' (labels sorted) -> number)}.
 */
function parse(text) {
  assert.ok(text.endsWith('\n'), 'the text ends with a newline');
  const families = new Map();
  const samples = new Map();
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  for (const line of text.slice(0, -1).split('\n')) {
    let m;
    if ((m = /^# HELP ([^ ]+) (.*)$/.exec(line))) {
      assert.match(m[1], NAME, line);
      assert.ok(!families.get(m[1])?.help, `one HELP for ${m[1]}`);
      families.set(m[1], { ...families.get(m[1]), help: m[2] });
      continue;
    }
    if ((m = /^# TYPE ([^ ]+) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
      assert.ok(!families.get(m[1])?.type, `one TYPE for ${m[1]}`);
      families.set(m[1], { ...families.get(m[1]), type: m[2] });
      continue;
    }
    assert.ok(!line.startsWith('#'), `a comment that is neither HELP nor TYPE: ${line}`);
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?|\+Inf|NaN)$/.exec(line);
    assert.ok(m, `a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText, value] = m;
    const labels = {};
    if (labelText !== undefined) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
      let pos = 0;
      while (pos < labelText.length) {
        re.lastIndex = pos;
        const lm = re.exec(labelText);
        assert.ok(lm, `labels of ${line}`);
        assert.ok(!(lm[1] in labels), `label ${lm[1]} once in ${line}`);
        labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
        pos = re.lastIndex;
        if (lm[3] === ',' && pos === labelText.length) assert.fail(`a trailing comma in ${line}`);
      }
    }
    const base = families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    const fam = families.get(base);
    assert.ok(fam && fam.type && fam.help !== undefined, `HELP and TYPE before ${line}`);
    if (base !== name) assert.equal(fam.type, 'histogram', `${name} belongs to a histogram`);
    if (name.endsWith('_bucket') && fam.type === 'histogram') assert.ok('le' in labels, `le on ${line}`);
    const key = `${name}{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
    assert.ok(!samples.has(key), `one sample ${key}`);
    samples.set(key, Number(value === '+Inf' ? Infinity : value));
  }
  return { families, samples };
}

/* The value of name with these labels (0 when the series is absent: counters shown once seen). */
function val(s, name, labels = {}) {
  const key = `${name}{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
  return s.samples.get(key) ?? 0;
}

async function scrape() {
  const r = await fetch(`${BASE}/metrics`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parse(await r.text());
}

const metricsServed = (s) => val(s, 'portal_http_requests_total', { group: 'metrics', status: '200' });

test('/metrics is the text format: HELP and TYPE for every family, portal_ names, cumulative histograms', async () => {
  const s = await scrape();
  for (const [name, f] of s.families) {
    assert.match(name, /^portal_/);
    assert.ok(f.help && f.type, `HELP and TYPE of ${name}`);
  }
  for (const name of ['portal_workers', 'portal_http_requests_total', 'portal_http_request_duration_seconds',
    'portal_db_round_trips_per_request', 'portal_login_failures_total', 'portal_login_lockouts_total',
    'portal_sso_refusals_total', 'portal_mail_outbox_depth', 'portal_mail_outbox_oldest_seconds',
    'portal_inbound_mail_total', 'portal_metrics_database_up']) assert.ok(s.families.has(name), `family ${name}`);
  assert.equal(val(s, 'portal_metrics_database_up'), 1);
  // every histogram series: buckets rise with le, and +Inf is _count
  let histograms = 0;
  for (const [name, f] of s.families) {
    if (f.type !== 'histogram') continue;
    const series = new Map();
    for (const [key, v] of s.samples) {
      const m = new RegExp(`^${name}_bucket\\{(.*)\\}$`).exec(key);
      if (!m) continue;
      const parts = m[1].split(',').filter((p) => !p.startsWith('le='));
      const le = JSON.parse(m[1].split(',').find((p) => p.startsWith('le=')).slice(3));
      const id = parts.join(',');
      if (!series.has(id)) series.set(id, []);
      series.get(id).push([le === '+Inf' ? Infinity : Number(le), v]);
    }
    for (const [id, buckets] of series) {
      histograms++;
      let prev = -1;
      for (const [, v] of buckets) {
        assert.ok(v >= prev, `${name}{${id}} buckets cumulative`);
        prev = v;
      }
      assert.equal(buckets.at(-1)[0], Infinity, `${name}{${id}} ends with +Inf`);
      assert.ok(buckets.every(([le], i) => i === 0 || le > buckets[i - 1][0]), `${name}{${id}} le ascending`);
      assert.equal(s.samples.get(`${name}_count{${id}}`), buckets.at(-1)[1], `${name}{${id}}: +Inf == _count`);
      assert.ok(s.samples.has(`${name}_sum{${id}}`), `${name}{${id}} has _sum`);
    }
  }
  assert.ok(histograms >= 2, 'request durations and round trips');
});

test('the pool size is the number of worker processes', async () => {
  const workers = workerPids().length;
  assert.ok(workers >= 1);
  for (let i = 0; i < 4; i++) assert.equal(val(await scrape(), 'portal_workers'), workers);
});

test('every scrape answers for the whole pool: back-to-back scrapes agree, whichever worker answers', async () => {
  // each scrape is itself counted (after its answer is written, before the connection closes):
  // the next one, on whichever worker, sees exactly one more
  let last = await scrape();
  for (let i = 0; i < 8; i++) {
    const s = await scrape();
    assert.equal(metricsServed(s), metricsServed(last) + 1, `scrape ${i + 2} sees the one before it`);
    assert.equal(val(s, 'portal_login_failures_total', { who: 'staff', factor: 'password' }),
      val(last, 'portal_login_failures_total', { who: 'staff', factor: 'password' }));
    last = s;
  }
});

test('requests, latencies, round trips and failed logins are counted', async () => {
  const before = await scrape();
  for (let i = 0; i < 3; i++) assert.equal((await fetch(`${BASE}/healthz`)).status, 200);
  for (let i = 0; i < 2; i++) assert.equal((await fetch(`${BASE}/no-such-page-metrics`)).status, 404);
  const customer = new Client();
  const bad = await customer.submit('/login', { email: 'nobody-metrics@example.com', password: 'wrong-password-1' });
  assert.equal(bad.status, 401);
  const staff = new Client();
  const badStaff = await staff.submit('/admin/login', { email: 'nobody-metrics@example.com', password: 'wrong-password-2' });
  assert.equal(badStaff.status, 401);
  // the address over its failure limit: refused before any password check
  psql("INSERT INTO login_failures (ip) SELECT '127.0.0.1' FROM generate_series(1, 40)");
  const limited = await customer.submit('/login', { email: 'nobody-metrics@example.com', password: 'wrong-password-3' });
  assert.equal(limited.status, 429);
  psql('DELETE FROM login_failures');
  const a = await scrape();
  const b = await scrape();
  for (const s of [a, b]) {
    const rose = (name, labels) => val(s, name, labels) - val(before, name, labels);
    assert.ok(rose('portal_http_requests_total', { group: 'health', status: '200' }) >= 3);
    assert.ok(rose('portal_http_requests_total', { group: 'other', status: '404' }) >= 2);
    assert.ok(rose('portal_http_requests_total', { group: 'account', status: '401' }) >= 1);
    assert.ok(rose('portal_http_requests_total', { group: 'account', status: '429' }) >= 1);
    assert.ok(rose('portal_http_requests_total', { group: 'admin', status: '401' }) >= 1);
    assert.ok(rose('portal_http_request_duration_seconds_count', { group: 'health' }) >= 3);
    assert.ok(rose('portal_http_request_duration_seconds_sum', { group: 'account' }) > 0, 'a password check takes time');
    // at least the 11 requests above (and the scrapes), each with its round trips
    assert.ok(rose('portal_db_round_trips_per_request_count', {}) >= 11);
    assert.ok(rose('portal_db_round_trips_per_request_sum', {}) >= 3, 'each /healthz asks the database');
    // nothing else fails logins while this file runs: exact
    assert.equal(rose('portal_login_failures_total', { who: 'customer', factor: 'password' }), 1);
    assert.equal(rose('portal_login_failures_total', { who: 'staff', factor: 'password' }), 1);
    assert.equal(rose('portal_login_failures_total', { who: 'customer', factor: 'second_factor' }), 0);
    assert.equal(rose('portal_login_lockouts_total', { who: 'customer', kind: 'address' }), 1);
    assert.equal(rose('portal_login_lockouts_total', { who: 'staff', kind: 'address' }), 0);
  }
  assert.equal(metricsServed(b), metricsServed(a) + 1);
});

test('outbox depth and oldest age, and inbound mail, come from the database', async () => {
  const queued = () => Number(psql("SELECT count(*) FROM mail_outbox WHERE status = 'queued'"));
  // the mailer may be sending: wait until a scrape and the table agree
  await waitFor(async () => val(await scrape(), 'portal_mail_outbox_depth') === queued(), { what: 'the depth of the table' });
  const id = psql(`INSERT INTO mail_outbox (to_address, subject, body_text, created_at, next_attempt_at)
    VALUES ('metrics@example.com', 'metrics test', 'held back', now() - interval '2 hours', now() + interval '1 day') RETURNING id`);
  try {
    const s = await scrape();
    assert.equal(val(s, 'portal_mail_outbox_depth'), queued());
    assert.ok(val(s, 'portal_mail_outbox_depth') >= 1);
    const age = val(s, 'portal_mail_outbox_oldest_seconds');
    assert.ok(age >= 7200 && age < 7200 + 600, `oldest queued message about 2 h old (${age})`);
  } finally {
    psql(`DELETE FROM mail_outbox WHERE id = ${Number(id)}`);
  }
  const inbound = (s) => val(s, 'portal_inbound_mail_total', { via: 'gateway', outcome: 'dropped' });
  const before = await scrape();
  psql("INSERT INTO mail_inbound (via, sender, outcome, reason) VALUES ('gateway', 'x@example.net', 'dropped', 'metrics test'), ('gateway', 'x@example.net', 'dropped', 'metrics test')");
  const s = await scrape();
  assert.equal(inbound(s), inbound(before) + 2);
  const db = Number(psql("SELECT count(*) FROM mail_inbound WHERE via = 'gateway' AND outcome = 'dropped'"));
  assert.equal(inbound(s), db, 'the running total matches the rows');
});

test('a refused single sign-on is counted under a fixed reason', async () => {
  const LOGIN_URL = 'https://app.example/metrics-login';
  const refused = (s) => val(s, 'portal_sso_refusals_total', { method: 'jwt', reason: 'malformed' });
  try {
    psql(`INSERT INTO portal_sso (portal_id, jwt_login_url, jwt_alg, jwt_secret)
          VALUES (1, '${LOGIN_URL}', 'HS256', 'metrics-secret-0123456789abcdef0123')
          ON CONFLICT (portal_id) DO UPDATE SET jwt_login_url = EXCLUDED.jwt_login_url, jwt_alg = EXCLUDED.jwt_alg,
            jwt_secret = EXCLUDED.jwt_secret;
          UPDATE portals SET access_mode = 'sso', sso_method = 'jwt' WHERE id = 1`);
    await ssoOn(new RegExp(`^${LOGIN_URL}\\?redirect_url=`));
    const before = await scrape();
    const r = await fetch(`${BASE}/sso/jwt`, { redirect: 'manual' }); // no token at all
    assert.equal(r.status, 400);
    const s = await scrape();
    assert.equal(refused(s), refused(before) + 1);
    const total = (x) => [...x.samples].filter(([k]) => k.startsWith('portal_sso_refusals_total{')).reduce((n, [, v]) => n + v, 0);
    assert.equal(total(s), total(before) + 1, 'one refusal, one count');
  } finally {
    psql(`UPDATE portals SET access_mode = 'registration', sso_method = NULL, sso_audience = 'all' WHERE id = 1;
          DELETE FROM portal_sso; DELETE FROM sso_requests WHERE portal_id = 1`);
    await registrationOpen();
  }
});

/* A GET of path from a given local address (Linux routes all of 127/8 to lo). */
function getFrom(localAddress, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: PORT, path, localAddress }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
  });
}

test('/metrics answers 404 to an address not in metrics.allow, as if it did not exist', async () => {
  const denied = await getFrom('127.0.0.2', '/metrics');
  assert.equal(denied.status, 404);
  assert.doesNotMatch(denied.body, /portal_/);
  const missing = await getFrom('127.0.0.2', '/no-such-page-metrics');
  assert.equal(missing.status, 404);
  assert.equal(denied.body.length > 0, missing.body.length > 0, 'the same kind of 404 page');
  await waitFor(() => logText().includes('refused /metrics to 127.0.0.2: not in metrics.allow'), { what: 'the warning in the log' });
  const allowed = await getFrom('127.0.0.1', '/metrics');
  assert.equal(allowed.status, 200);
  assert.match(allowed.body, /^# HELP portal_workers /m);
});
