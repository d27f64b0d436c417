// mail.mjs - the SMTP sink (Debian's python3-aiosmtpd, started by test/run.sh) and reading what it received.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from './wait.mjs';

export const SINK = process.env.SMTP_SINK;
export const SMTP_PORT = Number(process.env.SMTP_PORT);

function decodeQP(s) {
  const bytes = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeWord(v) {
  return v.replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, enc, data) => (enc.toLowerCase() === 'b'
    ? Buffer.from(data, 'base64').toString('utf8')
    : decodeQP(data.replace(/_/g, ' '))));
}

function splitHead(raw) {
  const i = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, i).replace(/\r?\n[ \t]+/g, ' ');
  const body = raw.slice(i).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.split(/\r?\n/)) {
    const k = line.slice(0, line.indexOf(':')).toLowerCase();
    if (!(k in headers)) headers[k] = line.slice(line.indexOf(':') + 1).trim();
  }
  return { headers, body };
}

function decodePart(headers, body) {
  const cte = (headers['content-transfer-encoding'] || '').toLowerCase();
  if (cte === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (cte === 'quoted-printable') return decodeQP(body);
  return body;
}

/* Parse one message: {to, from, subject, text, html, raw}. */
export function parse(raw) {
  const { headers, body } = splitHead(raw);
  const msg = { raw, headers, to: headers['x-rcptto'] || headers.to, from: headers.from, subject: decodeWord(headers.subject || '') };
  const ct = headers['content-type'] || 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(ct);
  if (boundary) {
    for (const part of body.split('--' + boundary[1]).slice(1)) {
      if (part.startsWith('--')) break;
      const p = splitHead(part.replace(/^\r?\n/, ''));
      const pct = (p.headers['content-type'] || '').toLowerCase();
      if (pct.startsWith('text/plain')) msg.text = decodePart(p.headers, p.body);
      if (pct.startsWith('text/html')) msg.html = decodePart(p.headers, p.body);
    }
  } else {
    msg.text = decodePart(headers, body);
  }
  return msg;
}

export function allMail() {
  const dir = path.join(SINK, 'new');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().map((f) => parse(readFileSync(path.join(dir, f), 'utf8')));
}

/* Wait until a message to `to` matching `pred` arrives; the newest such message. */
export function waitForMail(to, pred = () => true, timeoutMs = 10000) {
  return waitFor(() => allMail().filter((m) => m.to && m.to.toLowerCase().includes(to.toLowerCase()) && pred(m)).at(-1),
    { timeout: timeoutMs, interval: 50, what: `mail to ${to}` });
}

export function mailTo(to) {
  return allMail().filter((m) => m.to && m.to.toLowerCase().includes(to.toLowerCase()));
}

/* The first portal link in a message's text part, as a path (the host in mail is the portal's domain). */
export function linkPath(msg) {
  const m = /https?:\/\/[^\s/]+(\/[^\s]*)/.exec(msg.text || '');
  if (!m) throw new Error('no link in mail: ' + msg.text);
  return m[1];
}

/* 1 when something accepts connections on the sink's port. */
function sinkListening() {
  return new Promise((resolve) => {
    const s = net.connect(SMTP_PORT, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/* Stop the sink and wait until its port refuses connections. */
export async function stopSink() {
  const pidFile = path.join(SINK, '..', 'smtp.pid');
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
  await waitFor(async () => !(await sinkListening()), { what: `the SMTP sink on port ${SMTP_PORT} to stop` });
}

/* Start the sink again and wait until it accepts connections. */
export async function startSink() {
  const child = spawn('/usr/bin/python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${SMTP_PORT}`,
    '-c', 'aiosmtpd.handlers.Mailbox', SINK], { detached: true, stdio: 'ignore' });
  child.unref();
  writeFileSync(path.join(SINK, '..', 'smtp.pid'), String(child.pid));
  await waitFor(sinkListening, { timeout: 10000, what: `the SMTP sink on port ${SMTP_PORT} to listen` });
}
