// mail.test.mjs - the SMTP server down while mail is queued: it goes out once the server is back, exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { psql, readPid, sleep } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { stopSink, startSink, waitForMail, mailTo } from '../lib/mail.mjs';

test('SMTP down while mail is queued: delivered once it is back, exactly once', async () => {
  stopSink();
  await sleep(500);
  try {
    const r = await new Client().submit('/password-reset', { email: 'ada@example.com' });
    assert.equal(r.status, 200, 'the page answers while the mail server is down');
    const before = mailTo('ada@example.com').length;
    let queued = '';
    for (let i = 0; i < 50 && !/^[1-9]/.test(queued); i++) {
      await sleep(100);
      queued = psql("SELECT attempts || ' ' || coalesce(last_error, '') FROM mail_outbox WHERE to_address = 'ada@example.com' AND status = 'queued' ORDER BY id DESC LIMIT 1");
    }
    assert.match(queued, /^[1-9]\d* .*(connect|refused)/i, 'a failed attempt is recorded with its reason');
    assert.equal(mailTo('ada@example.com').length, before);
    await startSink();
    process.kill(readPid('mailer.pid'), 'SIGUSR1'); // like postqueue -f; the backoff would get there too
    const mail = await waitForMail('ada@example.com', (m) => /Reset your password/.test(m.subject), 15000);
    assert.ok(mail);
    await sleep(1500);
    const id = psql("SELECT id FROM mail_outbox WHERE to_address = 'ada@example.com' ORDER BY id DESC LIMIT 1");
    assert.equal(psql(`SELECT status FROM mail_outbox WHERE id = ${id}`), 'sent');
    const copies = mailTo('ada@example.com').filter((m) => m.headers['message-id'] && m.headers['message-id'].includes(`outbox-${id}.`));
    assert.equal(copies.length, 1, 'exactly one copy arrived');
  } finally {
    try { process.kill(readPid('../smtp.pid'), 0); } catch { await startSink(); }
  }
});
