// mailgate.mjs - feeding messages to build/portal-mailgate as an MTA's pipe does, and building
// them: for the gateway's black-box and fault tests.
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, VAR } from './stack.mjs';

export const GATE = path.join(ROOT, 'build', 'portal-mailgate');
export const CONFIG = path.join(VAR, 'portal.json');

export const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/* Run the gateway on message (string or Buffer) with args; as the web user when we are root, as
 * the pipe transport would run it as an unprivileged user. {status, stdout, stderr}. */
export function gate(message, args = [], config = CONFIG) {
  const drop = process.getuid() === 0 ? ['setpriv', '--reuid=www-data', '--regid=www-data', '--init-groups', '--'] : [];
  const argv = [...drop, GATE, ...args];
  const r = spawnSync(argv[0], argv.slice(1), {
    input: message, env: { ...process.env, PORTAL_CONFIG: config }, encoding: 'utf8', maxBuffer: 1 << 20,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/* The signed Reply-To address of a ticket, as fcgi/mail_tokens.c makes it. */
export function replyAddress(address, ticket) {
  const secret = JSON.parse(readFileSync(CONFIG, 'utf8')).secret_key;
  const sig = createHmac('sha256', secret).update(`reply-to:${ticket}`).digest('hex').slice(0, 16);
  const at = address.indexOf('@');
  return `${address.slice(0, at)}+t${ticket}-${sig}${address.slice(at)}`;
}

/* A message: headers (an object; undefined values left out) and a body, CRLF line ends. */
export function message(headers, body) {
  const lines = [];
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) lines.push(`${k}: ${v}`);
  const text = `${lines.join('\r\n')}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}`;
  return text;
}

/* A plain text message with a fresh Message-ID (returned as id, without <>). */
export function plain({ from = 'Ada Lovelace <ada@example.com>', to = 'support@example.com', subject = 'Hello',
  body = 'Hello there.', extra = {}, id = `${uniq()}@client.example` } = {}) {
  return {
    id,
    text: message({
      From: from, To: to, Subject: subject, Date: new Date().toUTCString(), 'Message-ID': `<${id}>`,
      'MIME-Version': '1.0', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Transfer-Encoding': '8bit',
      ...extra,
    }, body),
  };
}
