// mail.test.mjs - the SMTP server down while mail is queued: it goes out once the server is back, exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { psql, readPid } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { stopSink, startSink, waitForMail, mailTo } from '../lib/mail.mjs';
import { waitFor } from '../lib/wait.mjs';

test('SMTP down while mail is queued: delivered once it is back, exactly once', async () => {
  await stopSink();
  try {
    const mark = Number(psql('SELECT coalesce(max(id), 0) FROM mail_outbox'));
    const r = await new Client().submit('/password-reset', { email: 'ada@example.com' });
    assert.equal(r.status, 200, 'the page answers while the mail server is down');
    const before = mailTo('ada@example.com').length;
    const id = psql(`SELECT id FROM mail_outbox WHERE id > ${mark} AND to_address = 'ada@example.com'`);
    assert.match(id, /^\d+$/, 'the reset mail is queued, once');
    const queued = await waitFor(() => {
      const row = psql(`SELECT attempts || ' ' || coalesce(last_error, '') FROM mail_outbox WHERE id = ${id} AND status = 'queued'`);
      return /^[1-9]/.test(row) && row;
    }, { timeout: 5000, interval: 100, what: 'a failed delivery attempt recorded on the queued mail' });
    assert.match(queued, /^[1-9]\d* .*(connect|refused)/i, 'a failed attempt is recorded with its reason');
    assert.equal(mailTo('ada@example.com').length, before);
    await startSink();
    process.kill(readPid('mailer.pid'), 'SIGUSR1'); // like postqueue -f; the backoff would get there too
    const msgid = psql(`SELECT message_id FROM mail_outbox WHERE id = ${id}`); // made when queued
    assert.match(msgid, /^[^<>@\s]+@[^<>@\s]+$/);
    const mail = await waitForMail('ada@example.com', (m) => m.headers['message-id'] === `<${msgid}>`, 15000);
    assert.match(mail.subject, /Reset your password/);
    // the mailer marks the row sent once the server took the message (the sink has written it by
    // then); a second delivery could only come before that
    await waitFor(() => psql(`SELECT status FROM mail_outbox WHERE id = ${id}`) === 'sent', { what: `outbox row ${id} marked sent` });
    const copies = mailTo('ada@example.com').filter((m) => m.headers['message-id'] === `<${msgid}>`);
    assert.equal(copies.length, 1, 'exactly one copy arrived');
  } finally {
    try { process.kill(readPid('../smtp.pid'), 0); } catch { await startSink(); }
  }
});
