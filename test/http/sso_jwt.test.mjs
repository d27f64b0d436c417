// sso_jwt.test.mjs - single sign-on by JWT from outside: HS256 and RS256 logins, each refusal with its reason, redirects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { BASE, psql, logText } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { registrationOpen, ssoOn } from '../lib/wait.mjs';
import { auditMark } from '../lib/audit.mjs';

/*
 * The tokens are made here as the customer's own app would make them: HS256 with the portal's
 * shared secret (its UTF-8 bytes are the key), RS256 with a key pair generated for this run whose
 * public half is pasted into the portal's settings. Each test sets the portal to JWT single
 * sign-on with psql, and puts the demo portal back (password login, no SSO settings) in finally.
 */

const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const now = () => Math.floor(Date.now() / 1000);
const LOGIN_URL = 'https://app.example/portal-login';
const SECRET = `hs256-${randomBytes(24).toString('hex')}`;
const { publicKey: PUBLIC_PEM, privateKey: PRIVATE_PEM } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

const b64url = (x) => Buffer.from(x).toString('base64url');
const sq = (s) => `'${String(s).replace(/'/g, "''")}'`;

function hs256(payload, { header = { alg: 'HS256', typ: 'JWT' }, secret = SECRET } = {}) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

function rs256(payload, { header = { alg: 'RS256', typ: 'JWT' } } = {}) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${sign('sha256', Buffer.from(input), PRIVATE_PEM).toString('base64url')}`; // PKCS#1 v1.5
}

/* Claims of a good token for email: issued a moment ago, valid five minutes. */
function claims(email = 'ada@example.com', extra = {}) {
  const t = now();
  return { email, name: 'Ada Lovelace', iat: t - 5, exp: t + 300, jti: `jti-${uniq()}`, ...extra };
}

/*
 * Portal 1 on JWT single sign-on with these settings for the length of fn; then back to the demo
 * state. cleanup: more SQL for the finally (contacts the test created, lists...).
 */
async function withJwt(settings, fn, cleanup = '') {
  const s = { alg: 'HS256', secret: SECRET, publicKey: '', issuer: '', audience: '', sso_audience: 'all', ...settings };
  try {
    psql(`INSERT INTO portal_sso (portal_id, jwt_login_url, jwt_alg, jwt_secret, jwt_public_key, jwt_issuer, jwt_audience)
          VALUES (1, ${sq(LOGIN_URL)}, ${sq(s.alg)}, ${sq(s.secret)}, ${sq(s.publicKey)}, ${sq(s.issuer)}, ${sq(s.audience)})
          ON CONFLICT (portal_id) DO UPDATE SET jwt_login_url = EXCLUDED.jwt_login_url, jwt_alg = EXCLUDED.jwt_alg,
            jwt_secret = EXCLUDED.jwt_secret, jwt_public_key = EXCLUDED.jwt_public_key,
            jwt_issuer = EXCLUDED.jwt_issuer, jwt_audience = EXCLUDED.jwt_audience;
          UPDATE portals SET access_mode = 'sso', sso_method = 'jwt', sso_audience = ${sq(s.sso_audience)} WHERE id = 1`);
    // every worker has switched from the password login to JWT sign-on, so it holds these settings
    await ssoOn(new RegExp(`^${LOGIN_URL}\\?redirect_url=`));
    await fn();
  } finally {
    psql(`UPDATE portals SET access_mode = 'registration', sso_method = NULL, sso_audience = 'all' WHERE id = 1;
          DELETE FROM portal_sso; DELETE FROM sso_seen WHERE portal_id = 1 AND kind = 'jwt'; ${cleanup}`);
    await registrationOpen();
  }
}

/* The path and query a Location points to, after checking it stays on the portal. */
function localTarget(res) {
  assert.equal(res.status, 303, `expected a 303, got ${res.status}`);
  const loc = res.headers.get('location');
  assert.ok(loc, 'a Location header');
  const u = new URL(loc, BASE);
  assert.notEqual(u.hostname, 'evil.example', `Location ${loc} leaves the portal`);
  assert.ok(loc.startsWith('/') ? !loc.startsWith('//') : /^https?:\/\//.test(loc), `Location ${loc}`);
  return u.pathname + u.search;
}

/* The browser starts a sign-on as a visitor does (the login page sends it to the app's login
 * URL): this sets its pre-session cookie and records the start, so the token that comes back
 * signs in directly. */
async function startSignOn(c) {
  const r = await c.get('/login');
  assert.equal(r.status, 303);
  const loc = r.headers.get('location');
  assert.ok(loc.startsWith(`${LOGIN_URL}?redirect_url=`), `to the app's login URL, got ${loc}`);
  assert.ok(c.jar.has('portal_pre'), 'a pre-session cookie');
}

const jwtOnly = (c, jwt, redirect = '/tickets') =>
  c.get(`/sso/jwt?jwt=${encodeURIComponent(jwt)}&redirect_url=${encodeURIComponent(redirect)}`);

async function jwtGet(c, jwt, redirect = '/tickets') {
  await startSignOn(c);
  return jwtOnly(c, jwt, redirect);
}


/* A refusal: 403 page, no session, an sso_refused audit row (method jwt) and a log line, both with the reason. */
function assertRefused(c, res, mark, reason) {
  assert.equal(res.status, 403, `expected 403, got ${res.status}`);
  assert.match(res.headers.get('content-type') || '', /text\/html/);
  assert.equal(c.jar.has('portal_session'), false, 'no session cookie');
  const rows = psql(`SELECT actor_kind || '|' || (detail->>'method') || '|' || (detail->>'reason') FROM audit_log
                     WHERE id > ${mark} AND action = 'sso_refused' ORDER BY id`).split('\n').filter(Boolean);
  assert.equal(rows.length, 1, `one sso_refused audit row, got ${JSON.stringify(rows)}`);
  const [kind, method, why] = rows[0].split('|');
  assert.equal(kind, 'anonymous');
  assert.equal(method, 'jwt');
  assert.match(why, reason);
  const line = logText().split('\n').find((l) => /sso refused/i.test(l) && l.includes(why));
  assert.ok(line, `a log line with "sso refused" and "${why}"`);
  return why;
}

async function assertLoggedIn(c, who = /Ada Lovelace/) {
  assert.ok(c.jar.has('portal_session'), 'a session cookie');
  const list = await c.get('/tickets');
  assert.equal(list.status, 200);
  assert.match(list.html, who);
}

test('a valid HS256 token logs the customer in and goes to redirect_url', async () => {
  await withJwt({}, async () => {
    const c = new Client();
    const r = await jwtGet(c, hs256(claims()), '/tickets?status=open');
    assert.equal(localTarget(r), '/tickets?status=open');
    await assertLoggedIn(c);
  });
});

test('an HS256 login for an unknown email creates the contact and member (audience all)', async () => {
  const email = `sso-new-${uniq()}@example.net`;
  await withJwt({}, async () => {
    const c = new Client();
    const r = await jwtGet(c, hs256(claims(email, { name: 'Sam Newcomer' })));
    assert.equal(localTarget(r), '/tickets');
    await assertLoggedIn(c, new RegExp(`Sam Newcomer|${email.replace(/\./g, '\\.')}`));
    const contact = psql(`SELECT id FROM contacts WHERE lower(email) = lower(${sq(email)})`);
    assert.match(contact, /^\d+$/, 'a contact was created');
    assert.equal(psql(`SELECT count(*) FROM members WHERE portal_id = 1 AND contact_id = ${contact}`), '1');
  }, `DELETE FROM contacts WHERE lower(email) = lower(${sq(email)});`);
});

test('a valid RS256 token logs the customer in', async () => {
  await withJwt({ alg: 'RS256', secret: '', publicKey: PUBLIC_PEM }, async () => {
    const c = new Client();
    const r = await jwtGet(c, rs256(claims()));
    assert.equal(localTarget(r), '/tickets');
    await assertLoggedIn(c);
  });
});

test('the token can come by form POST, without a CSRF token', async () => {
  await withJwt({}, async () => {
    const c = new Client();
    await startSignOn(c);
    const r = await c.post('/sso/jwt', { jwt: hs256(claims()), redirect_url: '/tickets' });
    assert.equal(localTarget(r), '/tickets');
    await assertLoggedIn(c);
  });
});

test('alg none is refused', async () => {
  await withJwt({}, async () => {
    const c = new Client(), mark = auditMark();
    const header = b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const r = await jwtGet(c, `${header}.${b64url(JSON.stringify(claims()))}.`);
    assertRefused(c, r, mark, /algorithm none is not HS256/);
  });
});

test('an HS256 token signed with the RS256 public key as secret is refused', async () => {
  await withJwt({ alg: 'RS256', secret: '', publicKey: PUBLIC_PEM }, async () => {
    const c = new Client(), mark = auditMark();
    const r = await jwtGet(c, hs256(claims(), { secret: PUBLIC_PEM }));
    assertRefused(c, r, mark, /algorithm HS256 is not RS256/);
  });
});

test('an expired token is refused', async () => {
  await withJwt({}, async () => {
    const c = new Client(), mark = auditMark();
    const r = await jwtGet(c, hs256(claims('ada@example.com', { iat: now() - 7200, exp: now() - 3600 })));
    assertRefused(c, r, mark, /expired/);
  });
});

test('a token issued in the future is refused', async () => {
  await withJwt({}, async () => {
    const c = new Client(), mark = auditMark();
    const r = await jwtGet(c, hs256(claims('ada@example.com', { iat: now() + 3600, exp: now() + 7200 })));
    assertRefused(c, r, mark, /iat in the future/);
  });
});

test('a token from another issuer is refused', async () => {
  await withJwt({ issuer: 'https://app.example' }, async () => {
    const c = new Client(), mark = auditMark();
    const r = await jwtGet(c, hs256(claims('ada@example.com', { iss: 'https://evil.example' })));
    assertRefused(c, r, mark, /wrong issuer/);
    // the right issuer passes
    const ok = new Client();
    assert.equal(localTarget(await jwtGet(ok, hs256(claims('ada@example.com', { iss: 'https://app.example' })))), '/tickets');
  });
});

test('a token for another audience is refused', async () => {
  await withJwt({ audience: 'acme-portal' }, async () => {
    const c = new Client(), mark = auditMark();
    const r = await jwtGet(c, hs256(claims('ada@example.com', { aud: ['other-app'] })));
    assertRefused(c, r, mark, /wrong audience/);
    const ok = new Client();
    assert.equal(localTarget(await jwtGet(ok, hs256(claims('ada@example.com', { aud: ['other-app', 'acme-portal'] })))),
      '/tickets');
  });
});

test('a token without an email is refused', async () => {
  await withJwt({}, async () => {
    const c = new Client(), mark = auditMark();
    const { email, ...rest } = claims();
    assert.ok(email);
    const r = await jwtGet(c, hs256(rest));
    assertRefused(c, r, mark, /email missing/);
  });
});

test('a jti works once: the same token again is refused', async () => {
  await withJwt({}, async () => {
    const token = hs256(claims('ada@example.com', { jti: `once-${uniq()}` }));
    const first = new Client();
    assert.equal(localTarget(await jwtGet(first, token)), '/tickets');
    const again = new Client(), mark = auditMark();
    const r = await jwtGet(again, token);
    assertRefused(again, r, mark, /replay|reuse|already used|seen/i);
  });
});

test('a token without jti is refused', async () => {
  await withJwt({}, async () => {
    const { jti, ...rest } = claims();
    assert.ok(jti);
    const c = new Client(), mark = auditMark();
    assertRefused(c, await jwtGet(c, hs256(rest)), mark, /jti missing/);
  });
});

test('a token issued more than 180 s ago is refused, one issued 170 s ago works', async () => {
  await withJwt({}, async () => {
    const c = new Client(), mark = auditMark();
    assertRefused(c, await jwtGet(c, hs256(claims('ada@example.com', { iat: now() - 200 }))), mark, /iat too old/);
    assert.equal(localTarget(await jwtGet(new Client(), hs256(claims('ada@example.com', { iat: now() - 170 })))), '/tickets');
  });
});

test('a replayed token is reported as already used, before the access checks', async () => {
  await withJwt({ sso_audience: 'lists' }, async () => {
    // not on any list: the first use is refused by the lists, the second as a replay
    const token = hs256(claims(`replay-${uniq()}@example.net`));
    const first = new Client();
    await jwtGet(first, token);
    const again = new Client(), mark = auditMark();
    assertRefused(again, await jwtGet(again, token), mark, /already used/);
  });
});

/* The "Continue as" page of a token that arrived without a sign-on started in this browser. */
function confirmPage(res, email) {
  assert.equal(res.status, 200);
  assert.match(res.html, new RegExp(`Continue as ${email.replace(/[.]/g, '\\.')}`));
  const handle = /name="handle" value="([^"]+)"/.exec(res.html);
  assert.ok(handle, 'a handle in the confirm form');
  assert.match(res.html, /action="\/sso\/jwt\/confirm"/);
  return handle[1];
}

test('an app-initiated token asks "Continue as" first, and signs in only after the POST', async () => {
  await withJwt({}, async () => {
    const c = new Client();
    const r = await jwtOnly(c, hs256(claims()), '/tickets?status=closed');
    const handle = confirmPage(r, 'ada@example.com');
    assert.equal(c.jar.has('portal_session'), false, 'no session before the person confirms');
    assert.equal((await c.get('/tickets')).status, 303, 'the ticket list still asks for a sign-on');
    const page = await jwtOnly(new Client(), hs256(claims()));
    confirmPage(page, 'ada@example.com');
    const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(r.html)[1];
    const ok = await c.post('/sso/jwt/confirm', { csrf, handle });
    assert.equal(localTarget(ok), '/tickets?status=closed');
    await assertLoggedIn(c);
    // spent: the same handle again (from the browser it belongs to) is refused
    const mark = auditMark();
    const same = new Client();
    same.jar.set('portal_pre', c.jar.get('portal_pre'));
    assertRefused(same, await same.post('/sso/jwt/confirm', { csrf, handle }), mark, /confirmation unknown, used or expired/);
  });
});

test('login CSRF: a token planted in another browser cannot be confirmed there', async () => {
  await withJwt({}, async () => {
    const attacker = new Client();
    const handle = confirmPage(await jwtOnly(attacker, hs256(claims('grace@example.com'))), 'grace@example.com');
    // the victim's browser is made to post the attacker's handle with its own valid CSRF token
    const victim = new Client();
    const own = await jwtOnly(victim, hs256(claims('ada@example.com')));
    confirmPage(own, 'ada@example.com');
    const csrf = /name="csrf" value="([0-9a-f]{64})"/.exec(own.html)[1];
    const mark = auditMark();
    const r = await victim.post('/sso/jwt/confirm', { csrf, handle });
    assertRefused(victim, r, mark, /did not receive the token/);
    // and a planted GET link shows the victim whose account it is, never a session
    const planted = await jwtOnly(victim, hs256(claims('grace@example.com')));
    confirmPage(planted, 'grace@example.com');
    assert.equal(victim.jar.has('portal_session'), false);
  });
});

test('a tampered payload is refused', async () => {
  await withJwt({}, async () => {
    const [h, , s] = hs256(claims('grace@example.com')).split('.');
    const evil = b64url(JSON.stringify(claims('ada@example.com')));
    const c = new Client(), mark = auditMark();
    assertRefused(c, await jwtGet(c, `${h}.${evil}.${s}`), mark, /bad signature/);
  });
});

test('an off-host redirect_url lands on the ticket list', async () => {
  await withJwt({}, async () => {
    for (const where of ['https://evil.example/x', '//evil.example', '//evil.example/tickets', '/\\evil.example',
      'javascript:alert(1)']) {
      const c = new Client();
      const r = await jwtGet(c, hs256(claims()), where);
      assert.equal(localTarget(r), '/tickets', `redirect_url ${where}`);
      await assertLoggedIn(c);
    }
  });
});

test('with SSO on, /tickets without a session goes to the JWT login URL with redirect_url', async () => {
  await withJwt({}, async () => {
    const c = new Client();
    const r = await c.get('/tickets');
    assert.equal(r.status, 303);
    const u = new URL(r.headers.get('location'), BASE);
    assert.equal(u.origin + u.pathname, LOGIN_URL);
    const back = u.searchParams.get('redirect_url');
    assert.match(back, /^https?:\/\/[^/]+\/tickets$/, 'an absolute URL of the portal');
    // the app sends the visitor back to exactly that URL: it is the portal's own, so it is kept
    const in_ = await jwtGet(c, hs256(claims()), back);
    assert.equal(localTarget(in_), '/tickets');
    await assertLoggedIn(c);
  });
});

test('with SSO on, /login goes to the JWT login URL', async () => {
  await withJwt({}, async () => {
    const r = await new Client().get('/login');
    assert.equal(r.status, 303);
    const u = new URL(r.headers.get('location'), BASE);
    assert.equal(u.origin + u.pathname, LOGIN_URL);
    assert.match(u.searchParams.get('redirect_url') || '', /^https?:\/\//);
  });
});

test('audience lists: a contact on a portal list logs in, others get the access-denied page', async () => {
  const u = uniq();
  const onList = `sso-on-${u}@example.net`, offList = `sso-off-${u}@example.net`, unknown = `sso-unknown-${u}@example.net`;
  let list = 0;
  try {
    list = psql(`INSERT INTO lists (name) VALUES ('SSO access ${u}') RETURNING id`);
    const c1 = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES (${sq(onList)}, 'Olive', 'Onlist') RETURNING id`);
    psql(`INSERT INTO contacts (email, first_name, last_name) VALUES (${sq(offList)}, 'Otto', 'Offlist');
          INSERT INTO list_members (list_id, contact_id) VALUES (${list}, ${c1});
          INSERT INTO portal_lists (portal_id, list_id) VALUES (1, ${list})`);
    await withJwt({ sso_audience: 'lists' }, async () => {
      const ok = new Client();
      assert.equal(localTarget(await jwtGet(ok, hs256(claims(onList, { name: 'Olive Onlist' })))), '/tickets');
      await assertLoggedIn(ok, /Olive Onlist/);

      for (const email of [offList, unknown]) {
        const c = new Client();
        let r = await jwtGet(c, hs256(claims(email, { name: 'Not Allowed' })));
        if (r.status === 303 && r.headers.get('location') === '/access-denied') r = await c.get('/access-denied');
        assert.equal(r.status, 403, `${email}: access denied`);
        assert.match(r.html, /do not have access/);
        assert.equal(c.jar.has('portal_session'), false);
        assert.equal((await c.get('/tickets')).status, 303, 'still not logged in');
      }
      assert.equal(psql(`SELECT count(*) FROM contacts WHERE lower(email) = lower(${sq(unknown)})`), '0',
        'no contact is created for an unknown identity in lists mode');
    });
  } finally {
    psql(`${list ? `DELETE FROM portal_lists WHERE list_id = ${list}; DELETE FROM lists WHERE id = ${list};` : ''}
          DELETE FROM contacts WHERE email IN (${sq(onList)}, ${sq(offList)}, ${sq(unknown)})`);
  }
});
