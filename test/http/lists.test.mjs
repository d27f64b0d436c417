// lists.test.mjs - access by specific lists: invitations by email, set a password, only list members get in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { psql } from '../lib/stack.mjs';
import { everyWorker, registrationOpen, visit } from '../lib/wait.mjs';
import { Client, csrfOf, loggedIn } from '../lib/client.mjs';
import { waitForMail, mailTo, linkPath } from '../lib/mail.mjs';

test('list access: invitations, set password, log in; others refused; removal takes effect; resend', async () => {
  const u = Date.now().toString(36);
  const invited = `invited-${u}@example.net`, later = `later-${u}@example.net`;
  const list = psql(`INSERT INTO lists (name) VALUES ('Portal access ${u}') RETURNING id`);
  const c1 = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${invited}', 'Ivy', 'Invited') RETURNING id`);
  const c2 = psql(`INSERT INTO contacts (email, first_name, last_name) VALUES ('${later}', 'Leo', 'Later') RETURNING id`);
  psql(`INSERT INTO list_members (list_id, contact_id) VALUES (${list}, ${c1}), (${list}, 2)`); // 2 = Grace, registered
  const graceBefore = mailTo('grace@example.com').filter((m) => /invited/.test(m.subject)).length;
  const graceQueued = () => psql(`SELECT (SELECT count(*) FROM member_invitations WHERE contact_id = 2) || '|' ||
    (SELECT count(*) FROM mail_outbox WHERE lower(to_address) = 'grace@example.com' AND subject LIKE '%invited%')`);
  const graceQueuedBefore = graceQueued();
  try {
    psql(`INSERT INTO portal_lists (portal_id, list_id) VALUES (1, ${list}); UPDATE portals SET access_mode = 'lists' WHERE id = 1`);
    await everyWorker(async () => (await visit('/register')).status === 404, 'no self-registration (lists mode)');

    const mail = await waitForMail(invited, (m) => /invited to our support portal/.test(m.subject));
    assert.match(mail.text, /Ivy Invited/);
    const c = new Client();
    const form = await c.get(linkPath(mail));
    assert.equal(form.status, 200);
    assert.match(form.html, /<h1[^>]*>Choose your password<\/h1>/, 'worded for a first password');
    const set = await c.post(linkPath(mail), { csrf: csrfOf(form.html), password: 'Orange-Valley-39', password_confirm: 'Orange-Valley-39' });
    assert.equal(set.status, 303);
    const ivy = await loggedIn(invited, 'Orange-Valley-39');
    assert.match((await ivy.get('/tickets')).html, /Ivy Invited/);

    // a contact added to the list later gets one too; a registered one gets none
    psql(`INSERT INTO list_members (list_id, contact_id) VALUES (${list}, ${c2})`);
    const m2 = await waitForMail(later, (m) => /invited/.test(m.subject));
    assert.match(m2.text, /\/password-reset\//);
    // invitations are queued by the database as the list changes, and sent in order: none for
    // Grace was queued, so none can arrive
    assert.equal(graceQueued(), graceQueuedBefore, 'no invitation queued for Grace, no mail for her in the outbox');
    assert.equal(mailTo('grace@example.com').filter((m) => /invited/.test(m.subject)).length, graceBefore,
      'a contact who already has a login gets no invitation');
    assert.equal(psql(`SELECT count(*) FROM member_invitations WHERE contact_id = ${c2} AND sent_at IS NOT NULL`), '1');

    // an admin can resend it
    assert.equal(psql(`SELECT portal_resend_invitation(1, ${c2})`), 't');
    await waitForMail(later, (m) => /invited/.test(m.subject) && linkPath(m) !== linkPath(m2));
    assert.equal(psql(`SELECT portal_resend_invitation(1, 2)`), 'f', 'none for a registered contact');

    // a contact not on the list is refused, with the right password
    const ada = new Client();
    const r = await ada.submit('/login', { email: 'ada@example.com', password: 'demo-Portal-2026' });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/access-denied');
    const denied = await ada.get('/access-denied');
    assert.equal(denied.status, 403);
    assert.match(denied.html, /do not have access/);
    assert.equal(ada.jar.has('portal_session'), false);

    // self-registration is not offered in this mode
    assert.equal((await new Client().get('/register')).status, 404);
    assert.doesNotMatch((await new Client().get('/login')).html, /Register here/);

    // removed from the list: the next request gets the access-denied page
    psql(`DELETE FROM list_members WHERE list_id = ${list} AND contact_id = ${c1}`);
    const after = await ivy.get('/tickets');
    assert.equal(after.status, 403);
    assert.match(after.html, /do not have access/);
  } finally {
    psql(`UPDATE portals SET access_mode = 'registration' WHERE id = 1; DELETE FROM portal_lists WHERE list_id = ${list}`);
    await registrationOpen();
  }
});
