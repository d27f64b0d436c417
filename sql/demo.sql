-- demo.sql — fixed demo data for `make run` and the tests (never for a real install).
--
-- Loaded once into a fresh database after the migrations, in one transaction.
-- Everything is deterministic: no random(), no now(); all times derive from the
-- reference instant 2026-11-01 09:00:00+00 (pg_temp.demo_t0()). Explicit ids are
-- inserted (OVERRIDING SYSTEM VALUE) and the identity sequences are moved past
-- them at the end, so ids are stable and new rows continue after them.
--
-- Logins (password for all: demo-Portal-2026, argon2id m=19456 KiB, t=2, p=1):
--   customers  ada@example.com    Ada Lovelace    Northwind  (contact 1, member 1)
--              grace@example.com  Grace Hopper    Northwind  (contact 2, member 2)
--              linus@example.org  Linus Torvalds  Initech    (contact 3, member 3)
--   staff      admin@example.com  Alex Admin      admin      (staff_users 1)
--              agent@example.com  Sam Agent       agent      (staff_users 2)
--
-- Ticket layout (ticket id = g, 1..200; r = g % 10):
--   r = 1        Ada's Support tickets (+ Grace CC'd when g % 40 = 11)
--   r = 2        Grace's Support tickets
--   r = 3        Linus's Support tickets (Initech)
--   r = 4        Northwind tickets tied only to the company (no contact),
--                mail from it-helpdesk@northwind.example (not a contact)
--   r = 0 or 5   Billing pipeline (hidden by the portal's filter); Ada's when g % 30 = 5
--   r = 6..9     other contacts (4..20), Support pipeline
--   Support: g <= 140 and g % 4 <> 0 -> Closed, else New / Waiting on contact /
--   Waiting on us by g % 3.  Billing: g <= 140 and g % 3 <> 0 -> Resolved.
--   Tickets with g % 7 = 0 are not tied to a company (except r = 4).
--   No thread at all (phone tickets; replies go to the default inbox): 24, 74, 124, 174, 181.
--   Two threads (an older chat + the newer main thread): 1, 13, 42, 142, 151.
--   Mail to/from an address not connected to the inbox: 11, 22, 53.
--   Internal notes: g % 4 = 0 or g % 20 = 1.
--   Ticket 1 and 2 each have a text attachment on the customer's first message
--   of the latest thread (attachments 1 and 2; no file on disk, see below).
--   Text that the portal must never show: notes start with "Internal:"; older
--   chats contain "is anyone there?" / "I have created a ticket for this";
--   unconnected mail contains "old help desk address" / "my personal mailbox";
--   the detached chat contains "non-profit".
--   One thread (chat from Ada) is detached (ticket_id NULL).

CREATE FUNCTION pg_temp.demo_t0() RETURNS timestamptz
    LANGUAGE sql IMMUTABLE AS $$ SELECT timestamptz '2026-11-01 09:00:00+00' $$;

-- ---------------------------------------------------------------------------
-- Companies, contacts, lists
-- ---------------------------------------------------------------------------

INSERT INTO companies (id, name, domain, properties, created_at) OVERRIDING SYSTEM VALUE VALUES
  (1, 'Northwind', 'northwind.example',
      '{"industry": "Wholesale", "plan": "Professional", "country": "United Kingdom", "account_manager": "Sam Agent"}',
      pg_temp.demo_t0() - interval '400 days'),
  (2, 'Initech', 'initech.example',
      '{"industry": "Software", "plan": "Enterprise", "country": "United States", "account_manager": "Alex Admin"}',
      pg_temp.demo_t0() - interval '380 days'),
  (3, 'Globex', 'globex.example',
      '{"industry": "Manufacturing", "plan": "Starter", "country": "Sweden", "account_manager": "Sam Agent"}',
      pg_temp.demo_t0() - interval '350 days');

INSERT INTO contacts (id, email, first_name, last_name, primary_company_id, properties, created_at) OVERRIDING SYSTEM VALUE
SELECT id, email, first_name, last_name, company, props::jsonb,
       pg_temp.demo_t0() - interval '300 days' + id * interval '3 days 2 hours'
FROM (VALUES
  (1,  'ada@example.com',                      'Ada',       'Lovelace',  1,    '{"job_title": "Head of Engineering", "phone": "+44 20 7946 0101", "portal_role": "manager"}'),
  (2,  'grace@example.com',                    'Grace',     'Hopper',    1,    '{"job_title": "Operations Manager", "phone": "+44 20 7946 0102", "portal_role": "member"}'),
  (3,  'linus@example.org',                    'Linus',     'Torvalds',  2,    '{"job_title": "Lead Developer", "phone": "+1 555 0103", "portal_role": "manager"}'),
  (4,  'margaret.hamilton@northwind.example',  'Margaret',  'Hamilton',  1,    '{"job_title": "Software Engineer", "portal_role": "member"}'),
  (5,  'alan.turing@northwind.example',        'Alan',      'Turing',    1,    '{"job_title": "Data Analyst", "portal_role": "member"}'),
  (6,  'barbara.liskov@initech.example',       'Barbara',   'Liskov',    2,    '{"job_title": "CTO", "portal_role": "manager"}'),
  (7,  'ken.thompson@initech.example',         'Ken',       'Thompson',  2,    '{"job_title": "Systems Administrator", "portal_role": "member"}'),
  (8,  'dennis.ritchie@initech.example',       'Dennis',    'Ritchie',   2,    '{"job_title": "Developer", "portal_role": "member"}'),
  (9,  'katherine.johnson@globex.example',     'Katherine', 'Johnson',   3,    '{"job_title": "Finance Director", "phone": "+46 8 123 456 09", "portal_role": "manager"}'),
  (10, 'donald.knuth@globex.example',          'Donald',    'Knuth',     3,    '{"job_title": "Production Planner", "portal_role": "member"}'),
  (11, 'frances.allen@globex.example',         'Frances',   'Allen',     3,    '{"job_title": "IT Manager", "portal_role": "manager"}'),
  (12, 'edsger.dijkstra@globex.example',       'Edsger',    'Dijkstra',  3,    '{"job_title": "Logistics Coordinator", "portal_role": "member"}'),
  (13, 'radia.perlman@globex.example',         'Radia',     'Perlman',   3,    '{"job_title": "Network Engineer", "portal_role": "member"}'),
  (14, 'john.backus@initech.example',          'John',      'Backus',    2,    '{"job_title": "Accountant", "portal_role": "member"}'),
  (15, 'hedy.lamarr@northwind.example',        'Hedy',      'Lamarr',    1,    '{"job_title": "Purchasing Lead", "portal_role": "member"}'),
  (16, 'tim@example.net',                      'Tim',       'Berners-Lee', NULL, '{"job_title": "Consultant"}'),
  (17, 'sophie.wilson@example.net',            'Sophie',    'Wilson',    NULL, '{"job_title": "Freelance Designer"}'),
  (18, 'vint.cerf@example.net',                'Vint',      'Cerf',      NULL, '{}'),
  (19, 'annie.easley@example.com',             'Annie',     'Easley',    NULL, '{"job_title": "Shop Owner"}'),
  (20, 'bjarne@example.net',                   'Bjarne',    'Stroustrup', NULL, '{}')
) AS c (id, email, first_name, last_name, company, props);

INSERT INTO lists (id, name, created_at) OVERRIDING SYSTEM VALUE VALUES
  (1, 'Priority customers', pg_temp.demo_t0() - interval '200 days');

INSERT INTO list_members (list_id, contact_id, added_at)
SELECT 1, cid, pg_temp.demo_t0() - interval '190 days' + cid * interval '1 day'
FROM unnest(ARRAY[1, 3, 6, 9, 11]) AS cid;

-- ---------------------------------------------------------------------------
-- Pipelines
-- ---------------------------------------------------------------------------

INSERT INTO pipelines (id, name, display_order, created_at) OVERRIDING SYSTEM VALUE VALUES
  (1, 'Support', 1, pg_temp.demo_t0() - interval '400 days'),
  (2, 'Billing', 2, pg_temp.demo_t0() - interval '400 days');

INSERT INTO pipeline_stages (id, pipeline_id, name, position, is_closed) OVERRIDING SYSTEM VALUE VALUES
  (1, 1, 'New',                1, false),
  (2, 1, 'Waiting on contact', 2, false),
  (3, 1, 'Waiting on us',      3, false),
  (4, 1, 'Closed',             4, true),
  (5, 2, 'New',                1, false),
  (6, 2, 'In progress',        2, false),
  (7, 2, 'Resolved',           3, true);

-- ---------------------------------------------------------------------------
-- Staff, inboxes
-- ---------------------------------------------------------------------------

-- argon2id of 'demo-Portal-2026', salt 'demoPortalSalt16', m=19456 KiB, t=2, p=1:
--   echo -n 'demo-Portal-2026' | argon2 demoPortalSalt16 -id -t 2 -k 19456 -p 1 -e
INSERT INTO staff_users (id, email, name, password_hash, role, created_at) OVERRIDING SYSTEM VALUE VALUES
  (1, 'admin@example.com', 'Alex Admin',
      '$argon2id$v=19$m=19456,t=2,p=1$ZGVtb1BvcnRhbFNhbHQxNg$r8gU5mrAPKIY0cPm9IOY1KvKgwgQFlRO5FvCtT65swA',
      'admin', pg_temp.demo_t0() - interval '400 days'),
  (2, 'agent@example.com', 'Sam Agent',
      '$argon2id$v=19$m=19456,t=2,p=1$ZGVtb1BvcnRhbFNhbHQxNg$r8gU5mrAPKIY0cPm9IOY1KvKgwgQFlRO5FvCtT65swA',
      'agent', pg_temp.demo_t0() - interval '390 days');

INSERT INTO inboxes (id, name, created_at) OVERRIDING SYSTEM VALUE VALUES
  (1, 'Support inbox', pg_temp.demo_t0() - interval '400 days'),
  (2, 'Billing inbox', pg_temp.demo_t0() - interval '400 days');

-- old-help@example.com belongs to the Support inbox but is NOT connected: mail
-- to or from it must not appear in the portal.
INSERT INTO inbox_addresses (id, inbox_id, address, connected, is_primary, created_at) OVERRIDING SYSTEM VALUE VALUES
  (1, 1, 'support@example.com',  true,  true,  pg_temp.demo_t0() - interval '400 days'),
  (2, 2, 'billing@example.com',  true,  true,  pg_temp.demo_t0() - interval '400 days'),
  (3, 1, 'old-help@example.com', false, false, pg_temp.demo_t0() - interval '400 days');

-- ---------------------------------------------------------------------------
-- Ticket plan (temporary): one row per ticket g = 1..200
-- ---------------------------------------------------------------------------

CREATE TEMP TABLE demo_topic (pipeline_id int, idx int, subject text, detail text, product text, category text);
INSERT INTO demo_topic VALUES
  (1, 0,  'Cannot log in after password change',
          'Since I changed my password yesterday the login page keeps saying my credentials are wrong. I have tried resetting it twice and cleared the browser cache.',
          'Web app', 'Access'),
  (1, 1,  'CSV export times out',
          'Exporting the orders report to CSV runs for a few minutes and then fails with a timeout. Smaller date ranges work, the full quarter does not.',
          'Reports', 'Bug'),
  (1, 2,  'Password reset email never arrives',
          'Two of our users requested a password reset this morning but the email never arrived. It is not in the spam folder either.',
          'Web app', 'Access'),
  (1, 3,  'Dashboard charts are empty',
          'The sales dashboard shows empty charts in every widget since this morning. The underlying data is still visible in the tables.',
          'Dashboards', 'Bug'),
  (1, 4,  'Mobile app crashes on start',
          'The iOS app closes immediately after the splash screen. We are on iOS 18.1 with the latest version of the app from the App Store.',
          'Mobile app', 'Bug'),
  (1, 5,  'How do I add a new user?',
          'We hired two new colleagues and I cannot find where to invite them. Could you point me to the right settings page?',
          'Web app', 'Question'),
  (1, 6,  'API returns 429 Too Many Requests',
          'Our nightly sync job started receiving 429 responses from the orders endpoint after about 500 requests. We did not change anything on our side.',
          'API', 'Bug'),
  (1, 7,  'Webhook deliveries are delayed',
          'Webhooks for new orders arrive 20 to 30 minutes late, while they used to arrive within seconds. This breaks our warehouse integration.',
          'API', 'Bug'),
  (1, 8,  'Two-factor codes are rejected',
          'The six-digit codes from the authenticator app are rejected every time. The clock on the phone is set automatically.',
          'Web app', 'Access'),
  (1, 9,  'Request: dark mode for the dashboard',
          'Several people on our team work late shifts and would love a dark theme for the dashboard. Is this on the roadmap?',
          'Dashboards', 'Feature request'),
  (1, 10, 'Product import fails on row 1,204',
          'Importing our product catalogue stops with "invalid value" on row 1,204. The row looks identical to the ones before it.',
          'Import', 'Bug'),
  (1, 11, 'Order notifications go to a former employee',
          'Order notifications are still sent to a colleague who left the company months ago, although we removed him from the account.',
          'Notifications', 'Bug'),
  (1, 12, 'Search does not find recent orders',
          'Orders created in the last two days do not show up in the search, but I can open them from the order list.',
          'Web app', 'Bug'),
  (1, 13, 'Single sign-on loops back to the start page',
          'When we sign in through our identity provider we end up on the start page again instead of being logged in.',
          'Web app', 'Access'),
  (1, 14, 'Slow page loads for our team in Frankfurt',
          'Every page takes five to ten seconds to load for our team in Frankfurt, while colleagues in the US see normal speed.',
          'Web app', 'Performance'),
  (1, 15, 'Scheduled report arrives an hour early',
          'The weekly report is scheduled for Monday 08:00 but has arrived at 07:00 since the clocks changed.',
          'Reports', 'Bug'),
  (1, 16, 'Shipping labels are cut off when printed',
          'Shipping labels printed from the order page are cut off at the bottom on our Zebra printer. The PDF preview looks fine.',
          'Shipping', 'Bug'),
  (1, 17, 'How can we restore a deleted project?',
          'A colleague deleted a project by mistake this afternoon. Is there a way to restore it together with its tasks?',
          'Web app', 'Question'),
  (1, 18, 'Slack integration stopped posting updates',
          'The Slack integration has not posted any updates to our #orders channel since Friday. Reconnecting it did not help.',
          'Integrations', 'Bug'),
  (1, 19, 'Upload of large PDF files fails',
          'Uploading a 12 MB PDF to an order fails with a generic error message. Smaller files upload without problems.',
          'Web app', 'Bug'),
  (1, 20, 'Where can we download a log of user logins?',
          'Our auditors ask for a list of all logins to our account in the last 90 days. Where can I download that?',
          'Security', 'Question'),
  (1, 21, 'Calendar sync creates duplicate events',
          'Every meeting booked through the scheduler appears twice in our Google calendars.',
          'Integrations', 'Bug'),
  (1, 22, 'Automatic deletion of old customer records',
          'We need to delete customer records older than five years to comply with our retention policy. Can this be automated?',
          'Security', 'Question'),
  (2, 0,  'Invoice shows the wrong VAT number',
          'Our latest invoice lists an old VAT number. Could you reissue it with the number from our billing profile?',
          'Billing', 'Invoice'),
  (2, 1,  'Charged twice this month',
          'Our credit card was charged twice for this month''s subscription. Please refund the duplicate payment.',
          'Billing', 'Payment'),
  (2, 2,  'Please change our billing contact',
          'Please send future invoices to our accounts payable team at the address in our billing profile instead of to me.',
          'Billing', 'Account'),
  (2, 3,  'Upgrade from Starter to Professional',
          'We would like to upgrade to the Professional plan from next month. What will the prorated amount be?',
          'Billing', 'Plan change'),
  (2, 4,  'Purchase order number on invoices',
          'Our finance department needs our purchase order number on every invoice. Where can we add it?',
          'Billing', 'Invoice'),
  (2, 5,  'Remove unused seats before renewal',
          'We have five seats that nobody uses anymore. Can we remove them before the next renewal?',
          'Billing', 'Plan change'),
  (2, 6,  'Renewal payment failed with the new card',
          'We updated our card details but the renewal payment still failed. Our bank says no charge was attempted.',
          'Billing', 'Payment');

CREATE TEMP TABLE demo_ticket AS
WITH base AS (
    SELECT g,
           g % 10 AS r,
           CASE WHEN g % 10 IN (0, 5) THEN 2 ELSE 1 END AS pipeline_id,
           CASE g % 10
               WHEN 1 THEN 1
               WHEN 2 THEN 2
               WHEN 3 THEN 3
               WHEN 4 THEN NULL
               ELSE CASE WHEN g % 30 = 5 THEN 1 ELSE 4 + (g * 7) % 17 END
           END AS contact_id,
           date_trunc('minute', pg_temp.demo_t0() - interval '120 days'
                                + (g - 1) * interval '14 hours 20 minutes'
                                + ((g * 37) % 240) * interval '1 minute') AS created_at
    FROM generate_series(1, 200) AS g
), staged AS (
    SELECT b.*,
           CASE WHEN b.pipeline_id = 1 THEN
                    CASE WHEN g <= 140 AND g % 4 <> 0 THEN 4 ELSE 1 + g % 3 END
                ELSE
                    CASE WHEN g <= 140 AND g % 3 <> 0 THEN 7 WHEN g % 2 = 0 THEN 5 ELSE 6 END
           END AS stage_id
    FROM base b
)
SELECT s.g, s.r, s.pipeline_id, s.stage_id, ps.is_closed, s.contact_id, s.created_at,
       c.email AS contact_email,
       coalesce(c.first_name, '') AS first_name,
       coalesce(c.first_name || ' ' || c.last_name, 'Northwind IT helpdesk') AS sender_name,
       coalesce(c.email, 'it-helpdesk@northwind.example') AS customer_address,
       CASE WHEN s.r = 4 THEN 1 WHEN g % 7 = 0 THEN NULL ELSE c.primary_company_id END AS company_id,
       CASE WHEN s.pipeline_id = 1 THEN 'support@example.com' ELSE 'billing@example.com' END AS team_address,
       s.pipeline_id AS inbox_id,
       -- number of conversation messages (customer / agent alternating)
       CASE s.stage_id
           WHEN 1 THEN 1  WHEN 2 THEN 2 + 2 * (g % 2)  WHEN 3 THEN 3  WHEN 4 THEN 2 + 2 * (g % 2)
           WHEN 5 THEN 1  WHEN 6 THEN 2                WHEN 7 THEN 2 + 2 * (g % 2)
       END AS n_msgs,
       -- end of the conversation (= last message; closing time for closed tickets)
       CASE WHEN s.stage_id IN (1, 5) THEN s.created_at
            WHEN ps.is_closed THEN s.created_at + ((g * 13) % 96 + 3) * interval '1 hour'
            ELSE date_trunc('minute', least(s.created_at + ((g * 17) % 72 + 2) * interval '1 hour',
                                            s.created_at + (pg_temp.demo_t0() - s.created_at) * 0.9))
       END AS end_at,
       g NOT IN (24, 74, 124, 174, 181) AS has_thread,
       g IN (1, 13, 42, 142, 151) AS two_threads,
       CASE WHEN s.r = 4 THEN 'email'
            WHEN (g / 3) % 6 = 1 AND s.pipeline_id = 1 THEN 'form'
            WHEN (g / 3) % 6 = 4 THEN 'chat'
            ELSE 'email'
       END AS channel,
       CASE WHEN g % 7 = 3 THEN NULL
            ELSE (ARRAY['medium', 'low', 'high', 'medium', 'urgent', 'low'])[1 + (g * 5) % 6]
       END AS priority,
       CASE WHEN g % 9 = 0 THEN 1 ELSE 2 END AS agent_id,
       CASE WHEN g % 9 = 0 THEN 'Alex Admin' ELSE 'Sam Agent' END AS agent_name,
       t.subject, t.detail, t.product, t.category
FROM staged s
JOIN pipeline_stages ps ON ps.id = s.stage_id
LEFT JOIN contacts c ON c.id = s.contact_id
JOIN demo_topic t ON t.pipeline_id = s.pipeline_id
                 AND t.idx = CASE WHEN s.pipeline_id = 1 THEN s.g % 23 ELSE s.g % 7 END;

-- ---------------------------------------------------------------------------
-- Tickets and their associations
-- ---------------------------------------------------------------------------

INSERT INTO tickets (id, subject, description, priority, pipeline_id, stage_id, properties,
                     created_at, last_activity_at, closed_at) OVERRIDING SYSTEM VALUE
SELECT g, subject,
       CASE WHEN pipeline_id = 1
            THEN detail || ' ' || (ARRAY['It affects the whole team.',
                                         'This is blocking our month-end close.',
                                         'It happened for the first time on Monday.',
                                         'We have not changed any settings recently.',
                                         'It is not urgent, but it is annoying.',
                                         'Our customers have started to notice.',
                                         'We can reproduce it every time.'])[1 + g % 7]
            ELSE detail END,
       priority, pipeline_id, stage_id,
       jsonb_build_object('product', product, 'category', category,
                          'source', CASE WHEN has_thread THEN channel ELSE 'phone' END),
       created_at,
       created_at,                       -- corrected from the messages below
       CASE WHEN is_closed THEN end_at END
FROM demo_ticket
ORDER BY g;

INSERT INTO ticket_contacts (ticket_id, contact_id)
SELECT g, contact_id FROM demo_ticket WHERE contact_id IS NOT NULL
UNION ALL
SELECT g, 2 FROM demo_ticket WHERE g % 40 = 11            -- Grace CC'd on some of Ada's tickets
ORDER BY 1, 2;

INSERT INTO ticket_companies (ticket_id, company_id)
SELECT g, company_id FROM demo_ticket WHERE company_id IS NOT NULL ORDER BY g;

-- ---------------------------------------------------------------------------
-- Conversations: threads and messages
-- ---------------------------------------------------------------------------

-- thread_no 0 = older chat (two-thread tickets only), 1 = main thread
CREATE TEMP TABLE demo_thread AS
SELECT row_number() OVER (ORDER BY g, thread_no) AS id, *
FROM (
    SELECT g, 1 AS thread_no, channel FROM demo_ticket WHERE has_thread
    UNION ALL
    SELECT g, 0, 'chat' FROM demo_ticket WHERE two_threads
) x;

CREATE TEMP TABLE demo_message (
    g int, thread_no int, seq int, direction text, kind text,
    author_contact_id bigint, author_user_id bigint,
    from_address text, to_addresses text[], body text, created_at timestamptz);

-- main thread: conversation messages, alternating customer / agent
INSERT INTO demo_message
SELECT t.g, 1, i,
       CASE WHEN i % 2 = 1 THEN 'incoming' ELSE 'outgoing' END,
       'message',
       CASE WHEN i % 2 = 1 THEN t.contact_id END,
       CASE WHEN i % 2 = 0 THEN t.agent_id END,
       CASE WHEN i % 2 = 1 THEN t.customer_address
            WHEN t.channel = 'chat' THEN NULL
            ELSE t.team_address END,
       CASE WHEN t.channel = 'chat' THEN '{}'::text[]
            WHEN t.channel = 'form' AND i = 1 THEN '{}'::text[]
            WHEN i % 2 = 1 THEN ARRAY[t.team_address]
            ELSE ARRAY[t.customer_address] END,
       CASE
         -- the customer's first message
         WHEN i = 1 AND t.channel = 'form' THEN tk.description
         WHEN i = 1 AND t.channel = 'chat' THEN 'Hi, ' || lower(left(tk.description, 1)) || substr(tk.description, 2)
         WHEN i = 1 THEN
              (ARRAY['Hi team,', 'Hello,', 'Hi Acme Support,', 'Good morning,'])[1 + t.g % 4] || E'\n\n'
              || tk.description || E'\n\n'
              || (ARRAY['Thanks in advance,', 'Best regards,', 'Thank you,'])[1 + t.g % 3] || E'\n'
              || t.sender_name
         -- the customer's follow-up
         WHEN i % 2 = 1 AND t.pipeline_id = 1 THEN
              (ARRAY['It happened again at around 10:15 this morning, with the same error.',
                     'We are using the latest Chrome on Windows 11. Firefox shows the same behaviour.',
                     'It happens on every attempt, for all the users we have asked.',
                     'The affected account is our shared operations login. Nothing else seems to be affected.',
                     'Yes, it still happens in a private window. Is there anything else we can try?'])[1 + t.g % 5]
              || E'\n\n' || t.sender_name
         WHEN i % 2 = 1 THEN
              (ARRAY['The invoice number is INV-2026-' || lpad(t.g::text, 4, '0') || '.',
                     'Thanks, please let me know once it is done.'])[1 + t.g % 2]
              || E'\n\n' || t.sender_name
         -- the agent's answer: a resolution when it closes the ticket, a question otherwise
         ELSE
              CASE WHEN t.first_name <> '' THEN 'Hi ' || t.first_name || ',' ELSE 'Hello,' END || E'\n\n'
              || CASE
                   WHEN t.is_closed AND i = t.n_msgs AND t.pipeline_id = 1 THEN
                     (ARRAY['Good news: we found the cause and deployed a fix this morning. Everything should work as expected now. I am closing this ticket, but just reply if the problem comes back.',
                            'We have corrected the configuration on our side. Please let us know if you still see the issue; otherwise this ticket will stay closed.',
                            'Thanks for confirming that it works again. I am closing this ticket now.',
                            'This is how the current version works, and I have added your feedback to the feature request for a change. I am closing this ticket for now.',
                            'The update we released yesterday resolves this. Feel free to reply here if you need anything else.',
                            'I have applied the change to your account. Let us know if anything else comes up.'])[1 + t.g % 6]
                   WHEN t.is_closed AND i = t.n_msgs THEN
                     (ARRAY['We have issued a corrected invoice; you will find it in the billing section of your account.',
                            'The refund has been processed and should reach your account within five business days.',
                            'The change has been made and applies from your next billing period.'])[1 + t.g % 3]
                   WHEN t.pipeline_id = 1 THEN
                     (ARRAY['Thanks for reaching out. Could you tell us when this last happened and, if possible, send a screenshot of the error?',
                            'Thank you for the details. We could not reproduce this on our side so far. Which browser and version are you using?',
                            'Sorry for the trouble. Could you confirm the name of the affected user account so that we can check the logs?',
                            'Thanks for your patience, our engineers are looking into this. Does the problem also occur in a private browser window?',
                            'Thank you for letting us know. Could you send us the request ID shown at the bottom of the error message?',
                            'We have passed this on to the responsible team. Roughly how many users are affected?',
                            'Thanks for the report. To narrow it down: does it happen on every attempt or only sometimes?'])[1 + (t.g + i) % 7]
                   ELSE
                     (ARRAY['Thanks for contacting billing. We are checking this with our finance team and will get back to you within two business days.',
                            'Thank you. Could you send us the number of the invoice this concerns?',
                            'Thanks, we have received your request and are processing it.'])[1 + (t.g + i) % 3]
                 END
              || E'\n\nBest regards,\n' || t.agent_name || E'\nAcme Support'
       END,
       date_trunc('second',
           (t.created_at + CASE WHEN t.two_threads THEN interval '1 hour' ELSE interval '0' END)
           + (t.end_at - (t.created_at + CASE WHEN t.two_threads THEN interval '1 hour' ELSE interval '0' END))
             * ((i - 1)::float8 / greatest(t.n_msgs - 1, 1)))
FROM demo_ticket t
JOIN tickets tk ON tk.id = t.g
CROSS JOIN LATERAL generate_series(1, t.n_msgs) AS i
WHERE t.has_thread;

-- internal notes (never shown in the portal)
INSERT INTO demo_message
SELECT t.g, 1, 100, 'outgoing', 'note', NULL, 1 + t.g % 2, NULL, '{}',
       (ARRAY['Internal: customer is on the legacy plan.',
              'Internal: escalated to engineering as ENG-' || (4000 + t.g) || '.',
              'Internal: check with finance before offering any credit.',
              'Internal: the account manager has been informed, please handle with care.'])[1 + (t.g / 4) % 4],
       date_trunc('second', CASE WHEN t.n_msgs = 1 THEN t.created_at + interval '25 minutes'
                                 ELSE t.created_at + (t.end_at - t.created_at) / 2 + interval '7 minutes' END)
FROM demo_ticket t
WHERE t.has_thread AND (t.g % 4 = 0 OR t.g % 20 = 1);

-- mail to / from an address that is not connected to the inbox (never shown)
INSERT INTO demo_message
SELECT t.g, 1, 101,
       CASE WHEN t.g = 22 THEN 'outgoing' ELSE 'incoming' END, 'message',
       CASE WHEN t.g = 22 THEN NULL ELSE t.contact_id END,
       CASE WHEN t.g = 22 THEN 2 END,
       CASE WHEN t.g = 22 THEN 'sam.agent@example.com' ELSE t.customer_address END,
       CASE WHEN t.g = 22 THEN ARRAY[t.customer_address] ELSE ARRAY['old-help@example.com'] END,
       CASE WHEN t.g = 22
            THEN 'Hi ' || t.first_name || E',\n\nA quick note from my personal mailbox: I am looking into this and will get back to you from the support address.\n\nSam'
            ELSE E'Sending this to the old help desk address as well, in case the other one is not read.\n\n' || t.sender_name
       END,
       date_trunc('second', t.created_at + (t.end_at - t.created_at) / 2 - interval '11 minutes')
FROM demo_ticket t
WHERE t.g IN (11, 22, 53);

-- the older chat thread of two-thread tickets (not shown: only the latest thread is)
INSERT INTO demo_message
SELECT t.g, 0, i,
       CASE WHEN i = 1 THEN 'incoming' ELSE 'outgoing' END, 'message',
       CASE WHEN i = 1 THEN t.contact_id END,
       CASE WHEN i = 2 THEN t.agent_id END,
       CASE WHEN i = 1 THEN t.customer_address END,
       '{}',
       CASE WHEN i = 1 THEN 'Hi, is anyone there? I have a problem: ' || t.subject || '.'
            ELSE 'Hi ' || t.first_name || '! Sorry for the wait. I have created a ticket for this and a colleague will follow up by email.'
       END,
       t.created_at + (i - 1) * interval '4 minutes'
FROM demo_ticket t
CROSS JOIN generate_series(1, 2) AS i
WHERE t.two_threads;

INSERT INTO threads (id, ticket_id, inbox_id, channel, created_at, last_message_at) OVERRIDING SYSTEM VALUE
SELECT th.id, th.g, t.inbox_id, th.channel,
       (SELECT min(m.created_at) FROM demo_message m WHERE m.g = th.g AND m.thread_no = th.thread_no),
       (SELECT max(m.created_at) FROM demo_message m WHERE m.g = th.g AND m.thread_no = th.thread_no)
FROM demo_thread th
JOIN demo_ticket t ON t.g = th.g
ORDER BY th.id;

INSERT INTO messages (id, thread_id, direction, kind, author_contact_id, author_user_id,
                      from_address, to_addresses, body, created_at) OVERRIDING SYSTEM VALUE
SELECT row_number() OVER (ORDER BY m.g, m.thread_no, m.created_at, m.seq),
       th.id, m.direction, m.kind, m.author_contact_id, m.author_user_id,
       m.from_address, m.to_addresses, m.body, m.created_at
FROM demo_message m
JOIN demo_thread th ON th.g = m.g AND th.thread_no = m.thread_no
ORDER BY 1;

-- a detached chat (tied to no ticket): never shown in the portal
INSERT INTO threads (id, ticket_id, inbox_id, channel, created_at, last_message_at) OVERRIDING SYSTEM VALUE
SELECT (SELECT max(id) FROM threads) + 1, NULL, 1, 'chat',
       pg_temp.demo_t0() - interval '10 days', pg_temp.demo_t0() - interval '10 days' + interval '6 minutes';

INSERT INTO messages (id, thread_id, direction, kind, author_contact_id, author_user_id,
                      from_address, to_addresses, body, created_at) OVERRIDING SYSTEM VALUE
SELECT (SELECT max(id) FROM messages) + v.n, (SELECT max(id) FROM threads), v.direction, 'message',
       v.contact, v.usr, v.addr, '{}', v.body,
       pg_temp.demo_t0() - interval '10 days' + (v.n - 1) * interval '6 minutes'
FROM (VALUES
  (1, 'incoming', 1, NULL::bigint, 'ada@example.com',
      'Hello! Do you offer a discount for non-profit organisations? A friend of mine runs a small charity.'),
  (2, 'outgoing', NULL, 2, NULL,
      'Hi Ada! Yes, registered non-profits get 30% off every plan. Your friend can apply on our pricing page.')
) AS v (n, direction, contact, usr, addr, body);

-- ticket activity = its latest message (any thread, notes included)
UPDATE tickets tk
SET last_activity_at = x.last_at
FROM (SELECT th.ticket_id, max(m.created_at) AS last_at
      FROM threads th JOIN messages m ON m.thread_id = th.id
      WHERE th.ticket_id IS NOT NULL
      GROUP BY th.ticket_id) x
WHERE x.ticket_id = tk.id;

-- a closed ticket was active at least until it was closed (phone tickets have no messages)
UPDATE tickets SET last_activity_at = closed_at WHERE closed_at > last_activity_at;

-- two small text attachments; the files can be recreated byte for byte with
--   printf 'ERROR 2026-07-05 10:14:52 export: timed out after 300 s (rows=48211)\n'
--   printf '1. Open Reports > Orders\n2. Choose the whole quarter\n3. Click Export to CSV\n'
-- (their sha256 is computed from that content below)
INSERT INTO attachments (id, message_id, file_name, content_type, size_bytes, sha256, created_at) OVERRIDING SYSTEM VALUE
SELECT v.id, m.id, v.file_name, 'text/plain', octet_length(convert_to(v.content, 'UTF8')),
       encode(sha256(convert_to(v.content, 'UTF8')), 'hex'), m.created_at
FROM (VALUES
  (1, 1, 'export-error.log',
      E'ERROR 2026-07-05 10:14:52 export: timed out after 300 s (rows=48211)\n'),
  (2, 2, 'steps-to-reproduce.txt',
      E'1. Open Reports > Orders\n2. Choose the whole quarter\n3. Click Export to CSV\n')
) AS v (id, ticket_id, file_name, content)
JOIN LATERAL (
    SELECT m.id, m.created_at
    FROM threads th JOIN messages m ON m.thread_id = th.id
    WHERE th.ticket_id = v.ticket_id AND m.direction = 'incoming' AND m.kind = 'message'
    ORDER BY th.last_message_at DESC, th.id DESC, m.created_at, m.id
    LIMIT 1
) m ON true;

-- timeline entries for every message of a ticket thread
INSERT INTO engagements (kind, contact_id, ticket_id, message_id, summary, created_at)
SELECT CASE WHEN m.kind = 'note' THEN 'note'
            WHEN th.channel = 'form' AND m.id = first_msg.id THEN 'form_submission'
            WHEN th.channel = 'chat' THEN 'chat'
            ELSE 'email' END,
       CASE WHEN m.kind = 'note' THEN NULL ELSE t.contact_id END,
       th.ticket_id, m.id,
       CASE WHEN m.kind = 'note' THEN 'Note by ' || su.name
            WHEN th.channel = 'form' AND m.id = first_msg.id THEN 'Form submission: Support request'
            WHEN th.channel = 'chat' THEN 'Chat with ' || t.sender_name
            WHEN m.direction = 'incoming' THEN 'Email from ' || t.sender_name || ': ' || t.subject
            ELSE 'Email to ' || t.sender_name || ': Re: ' || t.subject END,
       m.created_at
FROM messages m
JOIN threads th ON th.id = m.thread_id
JOIN demo_ticket t ON t.g = th.ticket_id
LEFT JOIN staff_users su ON su.id = m.author_user_id
LEFT JOIN LATERAL (SELECT min(m2.id) AS id FROM messages m2 WHERE m2.thread_id = th.id) first_msg ON true
ORDER BY m.created_at, m.id;

-- ---------------------------------------------------------------------------
-- Support form and portal
-- ---------------------------------------------------------------------------

INSERT INTO forms (id, name, inbox_id, pipeline_id, stage_id, fields, created_at) OVERRIDING SYSTEM VALUE VALUES
  (1, 'Support request', 1, 1, 1,
   '[{"name": "subject", "label": "Subject", "labels": {"sv": "Ämne"}, "property": "subject", "type": "text", "required": true},
     {"name": "description", "label": "Description", "labels": {"sv": "Beskrivning"}, "property": "description", "type": "textarea", "required": true},
     {"name": "priority", "label": "Priority", "labels": {"sv": "Prioritet"}, "property": "priority", "type": "select", "required": false,
      "options": ["low", "medium", "high", "urgent"]}]',
   pg_temp.demo_t0() - interval '150 days');

INSERT INTO portals (id, name, page_title, is_default, enabled, ticket_slug, access_mode, sso_method,
                     sso_audience, consent_text, consent_label, permission_mode, show_custom_stages,
                     default_inbox_id, support_form_id, time_zone, session_timeout_minutes, theme,
                     kb_link_enabled, created_at, updated_at) OVERRIDING SYSTEM VALUE VALUES
  (1, 'Acme Support', 'Acme Support', true, true, 'tickets', 'registration', NULL,
   'all',
   'We process your data to answer your requests. Read our [privacy policy](https://example.com/privacy).',
   'I agree to the processing of my data',
   'own_company', false,
   1, 1, 'Europe/Stockholm', 60,
   '{"primary_color": "#1f4e79", "accent_color": "#c2410c", "background_color": "#ffffff",
     "text_color": "#1f2933", "font_family": "system-ui, -apple-system, \"Segoe UI\", sans-serif"}',
   true, pg_temp.demo_t0() - interval '150 days', pg_temp.demo_t0() - interval '150 days');

INSERT INTO portal_domains (id, portal_id, host, language, is_primary, created_at) OVERRIDING SYSTEM VALUE VALUES
  (1, 1, 'localhost', 'en', true, pg_temp.demo_t0() - interval '150 days');

INSERT INTO portal_ticket_filters (id, portal_id, property, operator, match_values) OVERRIDING SYSTEM VALUE VALUES
  (1, 1, 'pipeline', 'any_of', '{Support}');

-- only used when permission_mode = 'company_rules': managers see company tickets
INSERT INTO portal_permission_rules (id, portal_id, group_no, property, operator, match_values) OVERRIDING SYSTEM VALUE VALUES
  (1, 1, 1, 'portal_role', 'equals', '{manager}');

-- The portal's own links (tickets, new ticket, account, log out) were added by the trigger
-- portals_nav_builtins at positions 1-4; the knowledge base link goes before them.
INSERT INTO portal_nav_items (portal_id, label, labels, url, position) VALUES
  (1, 'Knowledge base', '{"sv": "Kunskapsbank"}', 'https://example.com/kb', 0);

-- The Swedish texts of the consent notice.
UPDATE portals SET consent_i18n = '{"sv": {"text": "Vi behandlar dina uppgifter för att besvara dina ärenden. Läs vår [integritetspolicy](https://example.com/privacy).", "label": "Jag godkänner behandlingen av mina uppgifter"}}'
WHERE id = 1;

-- What customers see of the tickets' custom properties: product and category, labelled in both
-- languages; source (how the ticket came in) stays internal.
INSERT INTO ticket_property_defs (key, label, labels, visible, position) VALUES
  ('product', 'Product', '{"sv": "Produkt"}', true, 1),
  ('category', 'Category', '{"sv": "Kategori"}', true, 2),
  ('source', 'Source', '{}', false, 3);

INSERT INTO members (id, portal_id, contact_id, password_hash, verified_at, consent_text, consent_at, created_at)
OVERRIDING SYSTEM VALUE
SELECT v.id, 1, v.contact_id,
       '$argon2id$v=19$m=19456,t=2,p=1$ZGVtb1BvcnRhbFNhbHQxNg$r8gU5mrAPKIY0cPm9IOY1KvKgwgQFlRO5FvCtT65swA',
       v.at + interval '3 minutes', p.consent_text, v.at, v.at
FROM (VALUES (1, 1, pg_temp.demo_t0() - interval '140 days'),
             (2, 2, pg_temp.demo_t0() - interval '135 days'),
             (3, 3, pg_temp.demo_t0() - interval '130 days')) AS v (id, contact_id, at)
JOIN portals p ON p.id = 1;

-- ---------------------------------------------------------------------------
-- Move every identity sequence past the ids inserted above; drop the helpers.
-- ---------------------------------------------------------------------------

DO $$
DECLARE
    r record;
    mx bigint;
BEGIN
    FOR r IN SELECT c.table_name, c.column_name
             FROM information_schema.columns c
             WHERE c.table_schema = 'public' AND c.is_identity = 'YES'
    LOOP
        EXECUTE format('SELECT max(%I) FROM public.%I', r.column_name, r.table_name) INTO mx;
        IF mx IS NOT NULL THEN
            PERFORM setval(pg_get_serial_sequence(format('public.%I', r.table_name), r.column_name), mx);
        END IF;
    END LOOP;
END;
$$;

DROP TABLE demo_message, demo_thread, demo_ticket, demo_topic;
DROP FUNCTION pg_temp.demo_t0();
