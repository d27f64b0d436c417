// ticket_access.test.mjs - ticket_access (sql/019_ticket_access.sql), the rows the customer's list
// walks in order, is ticket_contacts and ticket_companies again with their ticket's open/closed
// state, last activity and creation time: every kind of write keeps it exactly in step (the
// statement triggers of sql/functions/ticket_access_*.sql), in the writer's transaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { psql } from '../lib/stack.mjs';
import { loggedIn } from '../lib/client.mjs';

// Rows that differ between ticket_access and what the two association tables say, for the given
// tickets (or all): 0 when in step.
function drift(ticketIds) {
  const only = ticketIds ? `WHERE ticket_id IN (${ticketIds.join(',')})` : '';
  return Number(psql(`WITH want AS (
      SELECT * FROM (
        SELECT tc.ticket_id, CASE tc.role WHEN 'cc' THEN 'shared' ELSE 'mine' END AS scope, tc.contact_id AS who_id,
               s.is_closed, t.last_activity_at, t.created_at
          FROM ticket_contacts tc JOIN tickets t ON t.id = tc.ticket_id JOIN pipeline_stages s ON s.id = t.stage_id
        UNION ALL
        SELECT tco.ticket_id, 'org', tco.company_id, s.is_closed, t.last_activity_at, t.created_at
          FROM ticket_companies tco JOIN tickets t ON t.id = tco.ticket_id JOIN pipeline_stages s ON s.id = t.stage_id) w ${only}),
    have AS (SELECT ticket_id, scope, who_id, is_closed, last_activity_at, created_at FROM ticket_access ${only})
    SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT ALL SELECT * FROM have) a)
         + (SELECT count(*) FROM (SELECT * FROM have EXCEPT ALL SELECT * FROM want) b)`));
}

const rows = (id) => psql(`SELECT scope || ':' || who_id || ':' || is_closed FROM ticket_access
  WHERE ticket_id = ${id} ORDER BY scope, who_id`).split('\n').filter(Boolean);

test('the demo data and everything the other tests wrote so far are in step', () => {
  assert.ok(Number(psql('SELECT count(*) FROM ticket_access')) > 0, 'the demo tickets have access rows');
  assert.equal(drift(), 0);
});

test('a ticket written with its contacts and company in one statement, then changed every way, stays in step', () => {
  const u = `${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;
  // ada (contact 1, company 1) requests, grace (contact 2) is copied in: as conversation.c writes it
  const id = psql(`WITH t AS (INSERT INTO tickets (subject, pipeline_id, stage_id) VALUES ('access ${u}', 1, 1) RETURNING id),
      tc AS (INSERT INTO ticket_contacts (ticket_id, contact_id, role) SELECT id, 1, 'requester' FROM t
             UNION ALL SELECT id, 2, 'cc' FROM t),
      tco AS (INSERT INTO ticket_companies (ticket_id, company_id) SELECT id, 1 FROM t)
    SELECT id FROM t`);
  assert.deepEqual(rows(id), ['mine:1:false', 'org:1:false', 'shared:2:false']);
  assert.equal(drift([id]), 0);

  // a reply moves its activity; closing moves it to a closed stage
  psql(`UPDATE tickets SET last_activity_at = now() + interval '1 minute' WHERE id = ${id}`);
  assert.equal(drift([id]), 0, 'last activity copied');
  psql(`UPDATE tickets SET stage_id = 4, closed_at = now() WHERE id = ${id}`);
  assert.deepEqual(rows(id), ['mine:1:true', 'org:1:true', 'shared:2:true']);
  assert.equal(drift([id]), 0);
  psql(`UPDATE tickets SET stage_id = 2, closed_at = NULL WHERE id = ${id}`);
  assert.deepEqual(rows(id), ['mine:1:false', 'org:1:false', 'shared:2:false'], 'reopened');

  // the CC becomes a requester; the company is swapped; the CC row goes
  psql(`UPDATE ticket_contacts SET role = 'requester' WHERE ticket_id = ${id} AND contact_id = 2`);
  assert.deepEqual(rows(id), ['mine:1:false', 'mine:2:false', 'org:1:false']);
  const co = psql(`INSERT INTO companies (name) VALUES ('access co ${u}') RETURNING id`);
  psql(`UPDATE ticket_companies SET company_id = ${co} WHERE ticket_id = ${id}`);
  assert.deepEqual(rows(id), ['mine:1:false', 'mine:2:false', `org:${co}:false`]);
  psql(`DELETE FROM ticket_contacts WHERE ticket_id = ${id} AND contact_id = 2`);
  assert.deepEqual(rows(id), ['mine:1:false', `org:${co}:false`]);
  assert.equal(drift([id]), 0);

  // an admin turns the ticket's open stage into a closed one, and back
  try {
    psql('UPDATE pipeline_stages SET is_closed = true WHERE id = 2');
    assert.deepEqual(rows(id), ['mine:1:true', `org:${co}:true`]);
  } finally {
    psql('UPDATE pipeline_stages SET is_closed = false WHERE id = 2');
  }
  assert.deepEqual(rows(id), ['mine:1:false', `org:${co}:false`]);

  // a company that goes takes its rows with it; so does the ticket
  psql(`DELETE FROM companies WHERE id = ${co}`);
  assert.deepEqual(rows(id), ['mine:1:false']);
  psql(`DELETE FROM tickets WHERE id = ${id}`);
  assert.deepEqual(rows(id), []);
  assert.equal(drift(), 0);
});

test('a cursor a browser makes up gets the first page, never an error from the list statement', async () => {
  const ada = await loggedIn('ada@example.com');
  const first = await ada.get('/tickets?status=all');
  assert.equal(first.status, 200);
  const ids = (html) => [...html.matchAll(/href="\/tickets\/(\d+)"/g)].map((m) => m[1]);
  assert.ok(ids(first.html).length > 0, 'ada sees tickets');
  for (const cursor of ['9223372036854775807.1', '-300000000000000000.1', '-.1', '.1', '1.', '1.2.3',
    '1793000000000000.99999999999999999999', '12x.5']) {
    for (const key of ['after', 'before']) {
      const r = await ada.get(`/tickets?status=all&${key}=${encodeURIComponent(cursor)}`);
      assert.equal(r.status, 200, `${key}=${cursor}`);
      assert.deepEqual(ids(r.html), ids(first.html), `${key}=${cursor} is ignored`);
    }
  }
  // a real one still pages: past the newest ticket's key, the list goes on after it
  const k = psql(`SELECT (extract(epoch FROM t.last_activity_at) * 1000000)::bigint || '.' || t.id
    FROM tickets t WHERE t.id = ${ids(first.html)[0]}`);
  const next = await ada.get(`/tickets?status=all&after=${k}`);
  assert.equal(next.status, 200);
  assert.ok(!ids(next.html).includes(ids(first.html)[0]), "the cursor's own ticket is not on the next page");
});
