// totp.mjs - what an authenticator app computes (RFC 6238: HMAC-SHA-1, 6 digits, 30 s), for tests
// that enrol a second factor and log in with it.
import { createHmac } from 'node:crypto';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(s) {
  const clean = s.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0, value = 0;
  const out = [];
  for (const ch of clean) {
    const v = B32.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// The code of secret (base32, spaces allowed) at time ms (default now), offset steps away.
export function totp(secret, { time = Date.now(), offset = 0 } = {}) {
  const step = Math.floor(time / 1000 / 30) + offset;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const bin = (mac.readUInt32BE(off) & 0x7fffffff) % 1000000;
  return String(bin).padStart(6, '0');
}

// A code of a time step not yet used: the next step's code once the current one was taken
// (the server accepts one step of drift either way, and never a step twice).
export function nextTotp(secret) {
  return totp(secret, { offset: 1 });
}
