// client.mjs - a small browser-like HTTP client for the black-box tests: a cookie jar and forms with CSRF.
import { BASE } from './stack.mjs';

export class Client {
  constructor() { this.jar = new Map(); }

  cookieHeader() { return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '); }

  store(res) {
    for (const sc of res.headers.getSetCookie()) {
      const [pair, ...attrs] = sc.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim(), value = pair.slice(i + 1).trim();
      if (attrs.some((a) => /max-age=0/i.test(a)) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  async request(path, opts = {}) {
    const headers = { ...(opts.headers || {}) };
    if (this.jar.size) headers.cookie = this.cookieHeader();
    const res = await fetch(BASE + path, { redirect: 'manual', ...opts, headers });
    this.store(res);
    res.html = await res.text();
    return res;
  }

  get(path) { return this.request(path); }

  post(path, fields) {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /* GET the page holding the form, then POST it with the page's CSRF token and these fields. */
  async submit(pagePath, fields, action) {
    const page = await this.get(pagePath);
    const csrf = csrfOf(page.html);
    return this.post(action || pagePath, { csrf, ...fields });
  }
}

export function csrfOf(html) {
  const m = /name="csrf" value="([0-9a-f]{64})"/.exec(html);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1];
}

export const DEMO_PASSWORD = 'demo-Portal-2026';

export async function loggedIn(email, password = DEMO_PASSWORD) {
  const c = new Client();
  const r = await c.submit('/login', { email, password });
  if (r.status !== 303) throw new Error(`login of ${email} answered ${r.status}`);
  return c;
}

/* A client logged in to the admin console (staff cookie, path /admin). */
export async function staffLoggedIn(email = 'admin@example.com', password = DEMO_PASSWORD) {
  const c = new Client();
  const r = await c.submit('/admin/login', { email, password });
  if (r.status !== 303) throw new Error(`staff login of ${email} answered ${r.status}`);
  return c;
}
