// stack.mjs - what the black-box tests know of the running stack: its URL, its files, psql, raw HTTP.
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BASE = process.env.PORTAL_URL;
export const VAR = process.env.PORTAL_VAR;
if (!BASE || !VAR) throw new Error('PORTAL_URL and PORTAL_VAR must be set (test/run.sh sets them)');
export const PORT = Number(new URL(BASE).port);

/* Run SQL as the portal's database user; returns stdout (tuples only, unaligned). */
export function psql(sql) {
  return execFileSync('psql', ['-X', '-q', '-tA', '-h', path.join(VAR, 'pg'), '-U', 'portal', '-d', 'portal',
    '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' }).trim();
}

export function stack(cmd) {
  return execFileSync(path.join(ROOT, 'nginx', 'stack.sh'), [cmd], { encoding: 'utf8', env: process.env });
}

export function readPid(name) {
  const f = path.join(VAR, 'run', name);
  return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : 0;
}

/* The worker processes: the children of multiwatch. */
export function workerPids() {
  const mw = readPid('workers.pid');
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(mw)], { encoding: 'utf8' });
  return out.split('\n').map((s) => Number(s.trim())).filter(Boolean);
}

export async function get(p, opts = {}) {
  return fetch(BASE + p, { redirect: 'manual', ...opts });
}

/* Send raw bytes (for requests fetch refuses to make) and return {status, headers, body}. */
export function rawRequest(text) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(PORT, '127.0.0.1');
    const chunks = [];
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', reject);
    sock.on('end', () => {
      const all = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = all.split('\r\n\r\n');
      const lines = head.split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const headers = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status, headers, body: rest.join('\r\n\r\n') });
    });
    sock.write(text);
  });
}

export function logText() {
  return readFileSync(path.join(VAR, 'log', 'portal.log'), 'utf8');
}

/* A fixed pause: only for a wait that is itself what a test checks (nothing happens meanwhile);
 * to wait for something to happen, poll for it with waitFor (wait.mjs). */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
