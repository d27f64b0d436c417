// host_client.mjs - the Client of client.mjs for another Host header (a domain of a portal): Node's
// fetch ignores a host header, so requests go through node:http to the stack's port.
import http from 'node:http';
import { PORT } from './stack.mjs';
import { Client } from './client.mjs';

export class HostClient extends Client {
  constructor(host) { super(); this.host = host; }

  request(path, opts = {}) {
    const headers = { ...(opts.headers || {}), host: this.host };
    if (this.jar.size) headers.cookie = this.cookieHeader();
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: PORT, path, method: opts.method || 'GET', headers }, (res) => {
        const chunks = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => {
          const h = res.headers;
          const out = {
            status: res.statusCode,
            html: Buffer.concat(chunks).toString('utf8'),
            headers: {
              get: (k) => { const v = h[k.toLowerCase()]; return Array.isArray(v) ? v.join(', ') : v ?? null; },
              getSetCookie: () => h['set-cookie'] || [],
            },
          };
          this.store(out);
          resolve(out);
        });
      });
      req.on('error', reject);
      if (opts.body) req.write(opts.body);
      req.end();
    });
  }
}

/* A HostClient logged in as a demo customer on host. */
export async function hostLoggedIn(host, email, password = 'demo-Portal-2026') {
  const c = new HostClient(host);
  const r = await c.submit('/login', { email, password });
  if (r.status !== 303) throw new Error(`login of ${email} on ${host} answered ${r.status}`);
  return c;
}
