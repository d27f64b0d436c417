// mailgate.test.mjs - the mail gateway with PostgreSQL stopped: exit 75 (the MTA keeps the message
// and retries), nothing half-written; once the database is back the retry stores it exactly once.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { psql, stack } from '../lib/stack.mjs';
import { gate, plain, uniq } from '../lib/mailgate.mjs';

const one = (sql) => psql(sql).split('\n')[0];
const MAX_TICKET = Number(one('SELECT coalesce(max(id), 0) FROM tickets'));
const MAX_OUTBOX = Number(one('SELECT coalesce(max(id), 0) FROM mail_outbox'));

after(() => {
  psql(`DELETE FROM mail_outbox WHERE id > ${MAX_OUTBOX}; DELETE FROM threads WHERE ticket_id > ${MAX_TICKET};
    DELETE FROM tickets WHERE id > ${MAX_TICKET}`);
});

test('PostgreSQL down: the gateway answers 75; the retry after it is back stores the message once', () => {
  const marker = `wombat${uniq()}`;
  const m = plain({ subject: `While the database was down ${marker}`, body: `Sent during an outage (${marker}).` });
  stack('pg-stop');
  let down;
  try {
    down = gate(m.text, ['--to', 'support@example.com']);
  } finally {
    stack('pg-start');
  }
  assert.equal(down.status, 75, `temporary failure (${down.stderr})`);
  assert.equal(one(`SELECT count(*) FROM messages WHERE mail_message_id = '${m.id}'`), '0', 'nothing stored');
  assert.equal(one(`SELECT count(*) FROM mail_inbound WHERE message_id = '${m.id}'`), '0', 'nothing logged in the database');

  const retry = gate(m.text, ['--to', 'support@example.com']);
  assert.equal(retry.status, 0, retry.stderr);
  const again = gate(m.text, ['--to', 'support@example.com']); // an MTA that retried once too often
  assert.equal(again.status, 0, again.stderr);
  assert.equal(one(`SELECT count(*) FROM messages WHERE mail_message_id = '${m.id}'`), '1', 'stored once');
  assert.equal(one(`SELECT count(*) FROM tickets WHERE subject = 'While the database was down ${marker}'`), '1', 'one ticket');
  assert.equal(psql(`SELECT outcome FROM mail_inbound WHERE message_id = '${m.id}' ORDER BY id`), 'stored\nduplicate');
});
