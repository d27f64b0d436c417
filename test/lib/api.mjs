// api.mjs - the JSON API for the black-box tests: tokens made by the real command line
// (build/portal api-token-create), and a client that talks to /api/v1 through nginx and checks
// EVERY answer against the OpenAPI document the server itself serves: the document is validated
// once with @readme/openapi-parser, each answer's status and media type must be documented for
// its operation, and its body must match the documented schema (ajv/dist/2020 + ajv-formats).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { validate, compileErrors } from '@readme/openapi-parser';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { BASE, ROOT } from './stack.mjs';

/* A token from the command line, printed once: `portal api-token-create NAME SCOPE...`.
 * opts.rate (requests a minute), opts.inboxes ([ids]). */
export function createToken(name, scopes, opts = {}) {
  const args = ['api-token-create', name, ...scopes];
  if (opts.rate) args.push(`--rate=${opts.rate}`);
  if (opts.inboxes) args.push(`--inboxes=${opts.inboxes.join(',')}`);
  const r = spawnSync(path.join(ROOT, 'build', 'portal'), args, {
    env: { ...process.env }, encoding: 'utf8', input: '',
  });
  if (r.status !== 0) throw new Error(`api-token-create failed (${r.status}): ${r.stderr}`);
  const tok = r.stdout.trim();
  if (!/^ptk_[A-Za-z0-9_-]{43}$/.test(tok)) throw new Error(`api-token-create printed ${JSON.stringify(r.stdout)}`);
  return tok;
}

let docP = null;
/* The served document, validated once (throws with the parser's messages when invalid). */
export function openapiDoc() {
  if (!docP) docP = (async () => {
    const res = await fetch(`${BASE}/api/v1/openapi.json`);
    if (res.status !== 200) throw new Error(`openapi.json answered ${res.status}`);
    const doc = await res.json();
    const result = await validate(structuredClone(doc));
    if (!result.valid) throw new Error(`the OpenAPI document is invalid:\n${compileErrors(result)}`);
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ ...doc, $id: 'openapi.json' });
    return { doc, ajv, validators: new Map() };
  })();
  return docP;
}

const esc = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function resolve(doc, obj) {
  let o = obj;
  for (let i = 0; o && o.$ref && i < 10; i++) {
    const parts = o.$ref.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    o = parts.reduce((a, k) => (a ? a[k] : undefined), doc);
  }
  return o;
}

/* The operation of method + path (a concrete path such as /tickets/12?x=1): [template, op]. */
function findOperation(doc, method, p) {
  const pathname = p.split('?')[0];
  for (const [tpl, item] of Object.entries(doc.paths || {})) {
    const re = new RegExp(`^${tpl.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const op = item[method.toLowerCase()] || (method === 'HEAD' ? item.get : undefined);
    if (re.test(pathname) && op) return [tpl, op];
  }
  return [null, null];
}

/* Check one answer against the document: throws an Error saying what does not match. */
export async function checkAnswer(method, p, status, contentType, body) {
  const { doc, ajv, validators } = await openapiDoc();
  const [tpl, op] = findOperation(doc, method, p);
  if (!op) {
    // an undocumented path or method must at least be a problem document
    if (status >= 400 && /^application\/problem\+json/.test(contentType || '')) return;
    throw new Error(`${method} ${p}: no such operation in the OpenAPI document (answered ${status})`);
  }
  const key = op.responses[String(status)] ? String(status) : op.responses[`${String(status)[0]}XX`] ? `${String(status)[0]}XX` : 'default';
  const resp = resolve(doc, op.responses[key]);
  if (!resp) throw new Error(`${method} ${tpl}: status ${status} is not documented`);
  if (!resp.content) {
    if (body !== undefined && body !== null && body !== '') throw new Error(`${method} ${tpl} ${status}: documented without a body, but one came`);
    return;
  }
  const mt = (contentType || '').split(';')[0].trim();
  if (!resp.content[mt] && !resp.content['*/*']) throw new Error(`${method} ${tpl} ${status}: media type ${mt} not documented (${Object.keys(resp.content)})`);
  if (body === undefined || !resp.content[mt]) return; // a file's bytes: status and type are what is checked
  const schema = resp.content[mt].schema;
  if (!schema) return;
  // the pointer of the schema inside the document, so $refs resolve against it
  const opPtr = `/paths/${esc(tpl)}/${op === doc.paths[tpl][method.toLowerCase()] ? method.toLowerCase() : 'get'}`;
  const respPtr = op.responses[key].$ref ? op.responses[key].$ref.slice(1) : `${opPtr}/responses/${key}`;
  const ptr = `openapi.json#${respPtr}/content/${esc(mt)}/schema`;
  let v = validators.get(ptr);
  if (!v) {
    v = ajv.compile({ $ref: ptr });
    validators.set(ptr, v);
  }
  if (!v(body)) throw new Error(`${method} ${p} ${status}: body does not match ${tpl}: ${ajv.errorsText(v.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
}

/* A client for one token (or none). Every answer is checked with checkAnswer before it is
 * returned as {status, headers, body (parsed JSON, or the raw text/Buffer), raw}. */
export class Api {
  constructor(token, opts = {}) { this.token = token; this.base = opts.base || BASE; this.host = opts.host; }

  async request(method, p, { json, body, headers = {}, raw = false } = {}) {
    const h = { ...headers };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    if (this.host) h.host = this.host;
    let b = body;
    if (json !== undefined) { h['content-type'] = 'application/json'; b = JSON.stringify(json); }
    const res = await fetch(`${this.base}/api/v1${p}`, { method, headers: h, body: b, redirect: 'manual' });
    const ct = res.headers.get('content-type') || '';
    let parsed;
    if (raw || !/json/.test(ct)) {
      parsed = Buffer.from(await res.arrayBuffer());
    } else {
      const text = await res.text();
      try { parsed = text === '' ? '' : JSON.parse(text); } catch { throw new Error(`${method} ${p}: not JSON: ${text.slice(0, 200)}`); }
    }
    await checkAnswer(method, p, res.status, ct, Buffer.isBuffer(parsed) ? (parsed.length ? undefined : '') : parsed);
    return { status: res.status, headers: res.headers, body: parsed };
  }

  get(p, o) { return this.request('GET', p, o); }
  post(p, json, o = {}) { return this.request('POST', p, { json, ...o }); }
  patch(p, json, o = {}) { return this.request('PATCH', p, { json, ...o }); }
  delete(p, o) { return this.request('DELETE', p, o); }
}
