-- seed_large.sql - a large, realistic, deterministic data set for benchmarks (make seed-large).
--
-- Run by test/bench/seed.sh (psql -v ON_ERROR_STOP=1) against a stack that has the demo data
-- (pipelines Support and Billing, the Support and Billing inboxes, staff, portal 1). Adds:
--   10,000 companies, 100,000 contacts (92% with a primary company, 10 per company),
--   1,000,000 tickets over the three years before 2026-11-01 (ids in creation order):
--     90% Support / 10% Billing; tickets older than 60 days are 97% closed, newer ones 40%,
--     the open ones spread over the open stages; 95% tied to a contact, skewed (contact k of N
--     gets about T / (2 * sqrt(k * N)) tickets: the first seeded contact ~3,000, the 100th ~150,
--     the median ~7), 5% of those also CC a colleague, 90% also tied to the contact's company;
--     5% tied to a company only (mail from it-helpdesk@<domain>, not a contact);
--   one thread per ticket (email 65%, form 15%, chat 12%, portal 8%) with 2-3 messages
--     (customer / agent alternating), an internal note on ~15% of them, and an older chat
--     thread (2 messages) before every 33rd ticket;
--   members of portal 1 for the first 20,000 seeded contacts (no password: benchmarks create
--     sessions for them directly in SQL).
-- Sizes can be lowered for quick tests: psql -v companies=... -v contacts=... -v tickets=...
-- -v members=... (test/bench/seed.sh passes SEED_COMPANIES, SEED_CONTACTS, SEED_TICKETS,
-- SEED_MEMBERS).
--
-- Set-based (generate_series, INSERT ... SELECT) in one transaction; nothing of the schema is
-- dropped, recreated or altered. Ids come from the tables' identity sequences: the tables are
-- locked against concurrent inserts, one contiguous range is taken from each sequence (nextval,
-- then setval past the range) and row n gets lo + n - 1, so ids continue after the existing rows
-- and links are plain arithmetic. Messages and members take their ids from the identity default.
-- Deterministic: no random() and no now(); every choice comes from hashint8extended(n, salt)
-- (stable across PostgreSQL versions, it backs hash partitioning) and every time from the demo's
-- reference instant 2026-11-01 09:00 UTC. On a database that already has the seeded data (its
-- first contact's e-mail exists) it does nothing. Ends with VACUUM (ANALYZE) of the seeded tables.

\set ON_ERROR_STOP 1
\if :{?companies}
\else
\set companies 10000
\endif
\if :{?contacts}
\else
\set contacts 100000
\endif
\if :{?tickets}
\else
\set tickets 1000000
\endif
\if :{?members}
\else
\set members 20000
\endif

SET client_min_messages = warning;
SET synchronous_commit = off;
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';
SET temp_buffers = '1GB';

-- helpers (inlined by the planner): h = integer in [0, m), u = float in [0, 1)
CREATE FUNCTION pg_temp.h(n bigint, salt bigint, m bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$ SELECT (hashint8extended(n, salt) & 9223372036854775807) % m $$;
CREATE FUNCTION pg_temp.u(n bigint, salt bigint) RETURNS float8
    LANGUAGE sql IMMUTABLE AS $$ SELECT (hashint8extended(n, salt) & 281474976710655)::float8 / 281474976710656.0 $$;
CREATE FUNCTION pg_temp.t0() RETURNS timestamptz
    LANGUAGE sql IMMUTABLE AS $$ SELECT timestamptz '2026-11-01 09:00:00+00' $$;

-- ---------------------------------------------------------------------------
-- Companies and contacts (names first: they decide whether this ran already)
-- ---------------------------------------------------------------------------

CREATE TEMP TABLE seed_company AS
SELECT g, x.base || x.suffix AS name,
       lower(replace(x.base, ' ', '-')) || '-' || g || '.example' AS domain,
       x.industry, x.plan, x.country
FROM generate_series(1, :companies) AS g
CROSS JOIN LATERAL (SELECT
    (ARRAY['Blue', 'North', 'Silver', 'Bright', 'Green', 'Iron', 'Red', 'Summit', 'Oak', 'River',
           'Stone', 'Golden', 'Swift', 'Clear', 'Polar', 'Cedar', 'Harbor', 'Lake', 'Prime', 'Urban',
           'Coastal', 'Alpine', 'Sunny', 'Atlas', 'Nova', 'Pine', 'Granite', 'Maple', 'Falcon', 'Vista'])
        [1 + pg_temp.h(g, 1, 30)] || ' ' ||
    (ARRAY['Logistics', 'Foods', 'Systems', 'Analytics', 'Retail', 'Dental', 'Energy', 'Media',
           'Labs', 'Motors', 'Textiles', 'Pharma', 'Travel', 'Insurance', 'Robotics', 'Bakery',
           'Architects', 'Outdoor', 'Printing', 'Software'])[1 + pg_temp.h(g, 2, 20)] AS base,
    (ARRAY['', ' Ltd', ' AB', ' GmbH', ' Inc.', ' Group', ' & Co', ' BV'])[1 + pg_temp.h(g, 3, 8)] AS suffix,
    (ARRAY['Wholesale', 'Software', 'Manufacturing', 'Retail', 'Healthcare', 'Energy', 'Media',
           'Transport', 'Finance', 'Hospitality'])[1 + pg_temp.h(g, 4, 10)] AS industry,
    (ARRAY['Starter', 'Professional', 'Professional', 'Enterprise'])[1 + pg_temp.h(g, 5, 4)] AS plan,
    (ARRAY['United Kingdom', 'United States', 'Sweden', 'Germany', 'Netherlands', 'France',
           'Canada', 'Australia', 'Norway', 'Spain'])[1 + pg_temp.h(g, 6, 10)] AS country) x;

-- contact idx (0-based) belongs to company idx % companies + 1 (so colleagues are idx +- companies),
-- except 8% without a company
CREATE TEMP TABLE seed_contact AS
SELECT idx, x.first_name, x.last_name,
       CASE WHEN x.no_company THEN NULL ELSE idx % :companies + 1 END AS company_g,
       lower(x.first_name || '.' || x.last_name) || '.' || (idx + 1) || '@' ||
           CASE WHEN x.no_company THEN (ARRAY['example.net', 'example.org', 'mail.example'])[1 + idx % 3]
                ELSE co.domain END AS email,
       x.job_title, x.manager
FROM generate_series(0, :contacts - 1) AS idx
CROSS JOIN LATERAL (SELECT
    (ARRAY['Emma', 'Liam', 'Olivia', 'Noah', 'Ava', 'Elias', 'Maja', 'Lucas', 'Alice', 'Oscar',
           'Sofia', 'Hugo', 'Ella', 'William', 'Freja', 'Leo', 'Astrid', 'Adam', 'Nora', 'Felix',
           'Clara', 'Jonas', 'Ines', 'Mateo', 'Hanna', 'Omar', 'Priya', 'Kenji', 'Amara', 'Diego',
           'Yara', 'Tomas', 'Lena', 'Viktor', 'Mila', 'Samuel', 'Zoe', 'Anton', 'Ida', 'Rafael'])
        [1 + pg_temp.h(idx, 7, 40)] AS first_name,
    (ARRAY['Andersson', 'Smith', 'Johansson', 'Brown', 'Muller', 'Garcia', 'Nilsson', 'Jones',
           'Larsson', 'Miller', 'Schmidt', 'Martin', 'Berg', 'Wilson', 'Dubois', 'Rossi', 'Novak',
           'Taylor', 'Lindqvist', 'Moreau', 'Kowalski', 'Jansen', 'Silva', 'Chen', 'Tanaka', 'Patel',
           'Okafor', 'Haddad', 'Costa', 'Weber', 'Virtanen', 'Hansen', 'Walker', 'Young', 'King',
           'Lopez', 'Fischer', 'Bauer', 'Ekstrom', 'Murphy'])[1 + pg_temp.h(idx, 8, 40)] AS last_name,
    pg_temp.h(idx, 9, 100) < 8 AS no_company,
    (ARRAY['IT Manager', 'Office Manager', 'Developer', 'Accountant', 'Operations Lead',
           'Customer Service Agent', 'CTO', 'Purchasing Lead', 'Data Analyst', 'Consultant'])
        [1 + pg_temp.h(idx, 10, 10)] AS job_title,
    pg_temp.h(idx, 11, 100) < 20 AS manager) x
LEFT JOIN seed_company co ON co.g = idx % :companies + 1 AND NOT x.no_company;

SELECT EXISTS (SELECT 1 FROM contacts c JOIN seed_contact s ON lower(c.email) = lower(s.email)
               WHERE s.idx = 0) AS already_seeded \gset
\if :already_seeded
\echo 'seed-large: this database has the seeded data already; nothing to do'
\quit
\endif

-- What the demo data provides: pipelines, stages, inboxes, staff, portal 1.
SELECT
  (SELECT id FROM pipelines WHERE lower(name) = 'support') AS p_support,
  (SELECT id FROM pipelines WHERE lower(name) = 'billing') AS p_billing,
  coalesce((SELECT inbox_id FROM inbox_addresses WHERE lower(address) = 'support@example.com'),
           (SELECT min(id) FROM inboxes)) AS inbox_support,
  coalesce((SELECT inbox_id FROM inbox_addresses WHERE lower(address) = 'billing@example.com'),
           (SELECT min(id) FROM inboxes)) AS inbox_billing,
  (SELECT array_agg(id ORDER BY id) FROM staff_users) AS staff,
  EXISTS (SELECT 1 FROM portals WHERE id = 1) AS have_portal1,
  EXISTS (SELECT 1 FROM pipelines WHERE lower(name) = 'support')
    AND EXISTS (SELECT 1 FROM pipelines WHERE lower(name) = 'billing')
    AND EXISTS (SELECT 1 FROM inboxes) AND EXISTS (SELECT 1 FROM staff_users) AS demo_ok
\gset
\if :demo_ok
\else
\echo 'seed-large: the demo data (pipelines Support and Billing, inboxes, staff) is missing; seed a stack that has it (make run)'
\quit
\endif
SELECT
  (SELECT array_agg(id ORDER BY position) FROM pipeline_stages WHERE pipeline_id = :p_support AND NOT is_closed) AS s_open,
  (SELECT min(id) FROM pipeline_stages WHERE pipeline_id = :p_support AND is_closed) AS s_closed,
  (SELECT array_agg(id ORDER BY position) FROM pipeline_stages WHERE pipeline_id = :p_billing AND NOT is_closed) AS b_open,
  (SELECT min(id) FROM pipeline_stages WHERE pipeline_id = :p_billing AND is_closed) AS b_closed
\gset

\echo 'seed-large: companies ' :companies ', contacts ' :contacts ', tickets ' :tickets ', members ' :members
\timing on
BEGIN;

-- Nobody else inserts into these while we take contiguous id ranges from their sequences.
LOCK TABLE companies, contacts, tickets, threads IN SHARE ROW EXCLUSIVE MODE;
SELECT nextval(pg_get_serial_sequence('companies', 'id')) AS co_lo,
       nextval(pg_get_serial_sequence('contacts', 'id')) AS c_lo,
       nextval(pg_get_serial_sequence('tickets', 'id')) AS t_lo,
       nextval(pg_get_serial_sequence('threads', 'id')) AS th_lo \gset
SELECT setval(pg_get_serial_sequence('companies', 'id'), :co_lo + :companies - 1),
       setval(pg_get_serial_sequence('contacts', 'id'), :c_lo + :contacts - 1),
       setval(pg_get_serial_sequence('tickets', 'id'), :t_lo + :tickets - 1),
       -- main threads, then one older chat for every 33rd ticket (g % 33 = 5)
       setval(pg_get_serial_sequence('threads', 'id'), :th_lo + :tickets + (:tickets + 28) / 33 - 1) \gset ignored_

\echo 'seed-large: companies'
INSERT INTO companies (id, name, domain, properties, created_at) OVERRIDING SYSTEM VALUE
SELECT :co_lo + g - 1, name, domain,
       jsonb_build_object('industry', industry, 'plan', plan, 'country', country),
       pg_temp.t0() - interval '1600 days' + g * interval '40 minutes'
FROM seed_company ORDER BY g;

\echo 'seed-large: contacts'
INSERT INTO contacts (id, email, first_name, last_name, primary_company_id, properties, created_at) OVERRIDING SYSTEM VALUE
SELECT :c_lo + idx, email, first_name, last_name, :co_lo + company_g - 1,
       jsonb_build_object('job_title', job_title, 'portal_role', CASE WHEN manager THEN 'manager' ELSE 'member' END),
       pg_temp.t0() - interval '1500 days' + idx * (interval '400 days' / :contacts)
FROM seed_contact ORDER BY idx;

-- ---------------------------------------------------------------------------
-- Ticket plan: one row per ticket g = 1..tickets
-- ---------------------------------------------------------------------------

CREATE TEMP TABLE seed_topic (billing boolean, idx int, subject text, detail text, product text, category text);
INSERT INTO seed_topic VALUES
  (false, 0,  'Cannot log in after password change', 'Since I changed my password the login page keeps saying my credentials are wrong. I have tried resetting it twice and cleared the browser cache.', 'Web app', 'Access'),
  (false, 1,  'CSV export times out', 'Exporting the orders report to CSV runs for a few minutes and then fails with a timeout. Smaller date ranges work, the full quarter does not.', 'Reports', 'Bug'),
  (false, 2,  'Password reset email never arrives', 'Two of our users requested a password reset this morning but the email never arrived. It is not in the spam folder either.', 'Web app', 'Access'),
  (false, 3,  'Dashboard charts are empty', 'The sales dashboard shows empty charts in every widget since this morning. The underlying data is still visible in the tables.', 'Dashboards', 'Bug'),
  (false, 4,  'Mobile app crashes on start', 'The app closes immediately after the splash screen. We are on the latest version from the app store.', 'Mobile app', 'Bug'),
  (false, 5,  'How do I add a new user?', 'We hired two new colleagues and I cannot find where to invite them. Could you point me to the right settings page?', 'Web app', 'Question'),
  (false, 6,  'API returns 429 Too Many Requests', 'Our nightly sync job started receiving 429 responses from the orders endpoint after about 500 requests. We did not change anything on our side.', 'API', 'Bug'),
  (false, 7,  'Webhook deliveries are delayed', 'Webhooks for new orders arrive 20 to 30 minutes late, while they used to arrive within seconds. This breaks our warehouse integration.', 'API', 'Bug'),
  (false, 8,  'Two-factor codes are rejected', 'The six-digit codes from the authenticator app are rejected every time. The clock on the phone is set automatically.', 'Web app', 'Access'),
  (false, 9,  'Request: dark mode for the dashboard', 'Several people on our team work late shifts and would love a dark theme for the dashboard. Is this on the roadmap?', 'Dashboards', 'Feature request'),
  (false, 10, 'Product import fails halfway', 'Importing our product catalogue stops with "invalid value" halfway through. The failing row looks identical to the ones before it.', 'Import', 'Bug'),
  (false, 11, 'Order notifications go to a former employee', 'Order notifications are still sent to a colleague who left the company months ago, although we removed him from the account.', 'Notifications', 'Bug'),
  (false, 12, 'Search does not find recent orders', 'Orders created in the last two days do not show up in the search, but I can open them from the order list.', 'Web app', 'Bug'),
  (false, 13, 'Single sign-on loops back to the start page', 'When we sign in through our identity provider we end up on the start page again instead of being logged in.', 'Web app', 'Access'),
  (false, 14, 'Slow page loads for our team abroad', 'Every page takes five to ten seconds to load for our team in the regional office, while colleagues at headquarters see normal speed.', 'Web app', 'Performance'),
  (false, 15, 'Scheduled report arrives an hour early', 'The weekly report is scheduled for Monday 08:00 but has arrived at 07:00 since the clocks changed.', 'Reports', 'Bug'),
  (false, 16, 'Shipping labels are cut off when printed', 'Shipping labels printed from the order page are cut off at the bottom on our label printer. The PDF preview looks fine.', 'Shipping', 'Bug'),
  (false, 17, 'How can we restore a deleted project?', 'A colleague deleted a project by mistake this afternoon. Is there a way to restore it together with its tasks?', 'Web app', 'Question'),
  (false, 18, 'Chat integration stopped posting updates', 'The chat integration has not posted any updates to our orders channel since Friday. Reconnecting it did not help.', 'Integrations', 'Bug'),
  (false, 19, 'Upload of large PDF files fails', 'Uploading a 12 MB PDF to an order fails with a generic error message. Smaller files upload without problems.', 'Web app', 'Bug'),
  (false, 20, 'Where can we download a log of user logins?', 'Our auditors ask for a list of all logins to our account in the last 90 days. Where can I download that?', 'Security', 'Question'),
  (false, 21, 'Calendar sync creates duplicate events', 'Every meeting booked through the scheduler appears twice in our calendars.', 'Integrations', 'Bug'),
  (false, 22, 'Automatic deletion of old customer records', 'We need to delete customer records older than five years to comply with our retention policy. Can this be automated?', 'Security', 'Question'),
  (false, 23, 'Invoice PDF export shows wrong totals', 'When we export an invoice as PDF the totals do not match the amounts shown in the web app.', 'Reports', 'Bug'),
  (true, 0,  'Invoice shows the wrong VAT number', 'Our latest invoice lists an old VAT number. Could you reissue it with the number from our billing profile?', 'Billing', 'Invoice'),
  (true, 1,  'Charged twice this month', 'Our credit card was charged twice for this month''s subscription. Please refund the duplicate payment.', 'Billing', 'Payment'),
  (true, 2,  'Please change our billing contact', 'Please send future invoices to our accounts payable team instead of to me.', 'Billing', 'Account'),
  (true, 3,  'Upgrade from Starter to Professional', 'We would like to upgrade to the Professional plan from next month. What will the prorated amount be?', 'Billing', 'Plan change'),
  (true, 4,  'Purchase order number on invoices', 'Our finance department needs our purchase order number on every invoice. Where can we add it?', 'Billing', 'Invoice'),
  (true, 5,  'Renewal payment failed with the new card', 'We updated our card details but the renewal payment still failed. Our bank says no charge was attempted.', 'Billing', 'Payment');

\echo 'seed-large: ticket plan'
CREATE TEMP TABLE seed_ticket AS
WITH b AS (
    SELECT g,
           pg_temp.h(g, 21, 10) = 0 AS billing,
           pg_temp.h(g, 22, 100) < 5 AS company_only,
           floor(:contacts * pg_temp.u(g, 23) ^ 2)::bigint AS cidx,
           pg_temp.h(g, 24, 100) < 5 AS with_cc,
           pg_temp.h(g, 25, 10) = 0 AS skip_company,
           date_trunc('second', pg_temp.t0() - interval '1095 days'
                                + (g - 1) * (interval '1095 days' / :tickets)) AS created_at
    FROM generate_series(1, :tickets) AS g
), c AS (
    SELECT b.*,
           CASE WHEN b.created_at < pg_temp.t0() - interval '60 days' THEN pg_temp.h(b.g, 26, 100) < 97
                ELSE pg_temp.h(b.g, 26, 100) < 40 END AS is_closed,
           CASE WHEN b.company_only THEN NULL ELSE :c_lo + b.cidx END AS contact_id,
           CASE WHEN b.company_only OR NOT b.with_cc THEN NULL
                ELSE :c_lo + (b.cidx + :companies) % :contacts END AS cc_contact_id,
           CASE WHEN b.company_only THEN :co_lo + pg_temp.h(b.g, 27, :companies)
                WHEN b.skip_company OR sc.company_g IS NULL THEN NULL
                ELSE :co_lo + sc.company_g - 1 END AS company_id,
           CASE WHEN b.company_only THEN '' ELSE sc.first_name END AS first_name,
           CASE WHEN b.company_only THEN co.name || ' IT helpdesk' ELSE sc.first_name || ' ' || sc.last_name END AS sender_name,
           CASE WHEN b.company_only THEN 'it-helpdesk@' || co.domain ELSE sc.email END AS customer_address,
           least((2 + pg_temp.h(b.g, 28, 94)) * interval '1 hour', (pg_temp.t0() - b.created_at) * 0.9) AS dur
    FROM b
    LEFT JOIN seed_contact sc ON sc.idx = b.cidx AND NOT b.company_only
    LEFT JOIN seed_company co ON co.g = pg_temp.h(b.g, 27, :companies) + 1 AND b.company_only
)
SELECT g, :t_lo + g - 1 AS id, :th_lo + g - 1 AS thread_id,
       CASE WHEN billing THEN :p_billing ELSE :p_support END AS pipeline_id,
       CASE WHEN billing AND is_closed THEN :b_closed
            WHEN billing THEN (:'b_open'::bigint[])[1 + pg_temp.h(g, 29, cardinality(:'b_open'::bigint[]))]
            WHEN is_closed THEN :s_closed
            ELSE (:'s_open'::bigint[])[1 + pg_temp.h(g, 29, cardinality(:'s_open'::bigint[]))]
       END AS stage_id,
       billing, is_closed, contact_id, cc_contact_id, company_id, first_name, sender_name, customer_address,
       created_at,
       date_trunc('second', created_at + dur) AS last_at,
       2 + pg_temp.h(g, 30, 2)::int AS n_msgs,
       CASE WHEN company_only THEN 'email'
            ELSE (ARRAY['email', 'form', 'chat', 'portal'])[CASE WHEN pg_temp.h(g, 31, 100) < 65 THEN 1
                                                                 WHEN pg_temp.h(g, 31, 100) < 80 THEN 2
                                                                 WHEN pg_temp.h(g, 31, 100) < 92 THEN 3 ELSE 4 END]
       END AS channel,
       (ARRAY['medium', 'low', 'high', 'medium', 'urgent', 'low', NULL])[1 + pg_temp.h(g, 32, 7)] AS priority,
       CASE WHEN billing THEN pg_temp.h(g, 33, 6) ELSE pg_temp.h(g, 33, 24) END::int AS topic,
       (:'staff'::bigint[])[1 + pg_temp.h(g, 34, cardinality(:'staff'::bigint[]))] AS agent_id,
       pg_temp.h(g, 35, 100) < 15 AS has_note,
       g % 33 = 5 AS has_chat
FROM c;
ANALYZE seed_ticket;

-- ---------------------------------------------------------------------------
-- Tickets and their associations
-- ---------------------------------------------------------------------------

\echo 'seed-large: tickets'
INSERT INTO tickets (id, subject, description, priority, pipeline_id, stage_id, properties,
                     created_at, last_activity_at, closed_at) OVERRIDING SYSTEM VALUE
SELECT t.id, tp.subject,
       tp.detail || ' ' || (ARRAY['It affects the whole team.', 'This is blocking our month-end close.',
                                  'It happened for the first time on Monday.', 'We have not changed any settings recently.',
                                  'It is not urgent, but it is annoying.', 'Our customers have started to notice.',
                                  'We can reproduce it every time.'])[1 + t.g % 7],
       t.priority, t.pipeline_id, t.stage_id,
       jsonb_build_object('product', tp.product, 'category', tp.category, 'source', t.channel),
       t.created_at, t.last_at, CASE WHEN t.is_closed THEN t.last_at END
FROM seed_ticket t
JOIN seed_topic tp ON tp.billing = t.billing AND tp.idx = t.topic
ORDER BY t.g;

\echo 'seed-large: ticket_contacts, ticket_companies'
INSERT INTO ticket_contacts (ticket_id, contact_id)
SELECT id, contact_id FROM seed_ticket WHERE contact_id IS NOT NULL
UNION ALL
SELECT id, cc_contact_id FROM seed_ticket WHERE cc_contact_id IS NOT NULL AND cc_contact_id <> contact_id
ORDER BY 1, 2;

INSERT INTO ticket_companies (ticket_id, company_id)
SELECT id, company_id FROM seed_ticket WHERE company_id IS NOT NULL ORDER BY id;

-- ---------------------------------------------------------------------------
-- Threads and messages
-- ---------------------------------------------------------------------------

\echo 'seed-large: threads'
INSERT INTO threads (id, ticket_id, inbox_id, channel, created_at, last_message_at) OVERRIDING SYSTEM VALUE
SELECT thread_id, id, CASE WHEN billing THEN :inbox_billing ELSE :inbox_support END, channel, created_at, last_at
FROM seed_ticket
UNION ALL
SELECT :th_lo + :tickets + (g - 5) / 33, id, :inbox_support, 'chat',
       created_at - interval '1 hour', created_at - interval '56 minutes'
FROM seed_ticket WHERE has_chat
ORDER BY 1;

\echo 'seed-large: messages'
INSERT INTO messages (thread_id, direction, kind, author_contact_id, author_user_id,
                      from_address, to_addresses, body, created_at)
SELECT t.thread_id,
       CASE WHEN i % 2 = 1 THEN 'incoming' ELSE 'outgoing' END, 'message',
       CASE WHEN i % 2 = 1 THEN t.contact_id END,
       CASE WHEN i % 2 = 0 THEN t.agent_id END,
       CASE WHEN i % 2 = 1 THEN t.customer_address
            WHEN t.channel IN ('chat', 'portal') THEN NULL
            WHEN t.billing THEN 'billing@example.com' ELSE 'support@example.com' END,
       CASE WHEN t.channel IN ('chat', 'portal') OR (t.channel = 'form' AND i = 1) THEN '{}'::text[]
            WHEN i % 2 = 1 THEN ARRAY[CASE WHEN t.billing THEN 'billing@example.com' ELSE 'support@example.com' END]
            ELSE ARRAY[t.customer_address] END,
       CASE
         WHEN i = 1 AND t.channel IN ('form', 'portal') THEN tp.detail
         WHEN i = 1 AND t.channel = 'chat' THEN 'Hi, ' || lower(left(tp.detail, 1)) || substr(tp.detail, 2)
         WHEN i = 1 THEN
              (ARRAY['Hi team,', 'Hello,', 'Hi Acme Support,', 'Good morning,'])[1 + t.g % 4] || E'\n\n'
              || tp.detail || E'\n\n'
              || (ARRAY['Thanks in advance,', 'Best regards,', 'Thank you,'])[1 + t.g % 3] || E'\n' || t.sender_name
         WHEN i = 3 AND t.is_closed THEN
              (ARRAY['Thanks, that fixed it!', 'Confirmed, it works again on our side. Thank you for the quick help.',
                     'Great, thanks. You can close this one.'])[1 + t.g % 3] || E'\n\n' || t.sender_name
         WHEN i = 3 THEN
              (ARRAY['It happened again at around 10:15 this morning, with the same error.',
                     'We are using the latest Chrome on Windows 11. Firefox shows the same behaviour.',
                     'It happens on every attempt, for all the users we have asked.',
                     'The affected account is our shared operations login. Nothing else seems to be affected.',
                     'Yes, it still happens in a private window. Is there anything else we can try?'])[1 + t.g % 5]
              || E'\n\n' || t.sender_name
         ELSE
              CASE WHEN t.first_name <> '' THEN 'Hi ' || t.first_name || ',' ELSE 'Hello,' END || E'\n\n'
              || CASE
                   WHEN t.is_closed AND t.billing THEN
                     (ARRAY['We have issued a corrected invoice; you will find it in the billing section of your account.',
                            'The refund has been processed and should reach your account within five business days.',
                            'The change has been made and applies from your next billing period.'])[1 + t.g % 3]
                   WHEN t.is_closed THEN
                     (ARRAY['Good news: we found the cause and deployed a fix this morning. Everything should work as expected now.',
                            'We have corrected the configuration on our side. Please let us know if you still see the issue.',
                            'This is how the current version works, and I have added your feedback to the feature request.',
                            'The update we released yesterday resolves this. Feel free to reply here if you need anything else.',
                            'I have applied the change to your account. Let us know if anything else comes up.'])[1 + t.g % 5]
                   WHEN t.billing THEN
                     (ARRAY['Thanks for contacting billing. We are checking this with our finance team and will get back to you within two business days.',
                            'Thank you. Could you send us the number of the invoice this concerns?',
                            'Thanks, we have received your request and are processing it.'])[1 + t.g % 3]
                   ELSE
                     (ARRAY['Thanks for reaching out. Could you tell us when this last happened and, if possible, send a screenshot of the error?',
                            'Thank you for the details. We could not reproduce this on our side so far. Which browser and version are you using?',
                            'Sorry for the trouble. Could you confirm the name of the affected user account so that we can check the logs?',
                            'Thanks for your patience, our engineers are looking into this. Does the problem also occur in a private browser window?',
                            'Thank you for letting us know. Could you send us the request ID shown at the bottom of the error message?',
                            'We have passed this on to the responsible team. Roughly how many users are affected?',
                            'Thanks for the report. To narrow it down: does it happen on every attempt or only sometimes?'])[1 + t.g % 7]
                 END
              || E'\n\nBest regards,\n' || su.name || E'\nAcme Support'
       END,
       date_trunc('second', t.created_at + (t.last_at - t.created_at) * ((i - 1)::float8 / (t.n_msgs - 1)))
FROM seed_ticket t
JOIN seed_topic tp ON tp.billing = t.billing AND tp.idx = t.topic
JOIN staff_users su ON su.id = t.agent_id
CROSS JOIN LATERAL generate_series(1, t.n_msgs) AS i
ORDER BY t.g, i;

\echo 'seed-large: internal notes, older chats'
INSERT INTO messages (thread_id, direction, kind, author_user_id, to_addresses, body, created_at)
SELECT thread_id, 'outgoing', 'note', agent_id, '{}',
       (ARRAY['Internal: customer is on the legacy plan.',
              'Internal: escalated to engineering as ENG-' || (10000 + g % 90000) || '.',
              'Internal: check with finance before offering any credit.',
              'Internal: the account manager has been informed, please handle with care.'])[1 + g % 4],
       date_trunc('second', created_at + (last_at - created_at) / 2)
FROM seed_ticket WHERE has_note
ORDER BY g;

INSERT INTO messages (thread_id, direction, kind, author_contact_id, author_user_id, from_address, body, created_at)
SELECT :th_lo + :tickets + (t.g - 5) / 33,
       CASE WHEN i = 1 THEN 'incoming' ELSE 'outgoing' END, 'message',
       CASE WHEN i = 1 THEN t.contact_id END, CASE WHEN i = 2 THEN t.agent_id END,
       CASE WHEN i = 1 THEN t.customer_address END,
       CASE WHEN i = 1 THEN 'Hi, is anyone there? I have a problem: ' || tp.subject || '.'
            ELSE 'Sorry for the wait! I have created a ticket for this and a colleague will follow up by email.' END,
       t.created_at - interval '1 hour' + (i - 1) * interval '4 minutes'
FROM seed_ticket t
JOIN seed_topic tp ON tp.billing = t.billing AND tp.idx = t.topic
CROSS JOIN generate_series(1, 2) AS i
WHERE t.has_chat
ORDER BY t.g, i;

-- ---------------------------------------------------------------------------
-- Portal logins for the first seeded contacts
-- ---------------------------------------------------------------------------

\if :have_portal1
\echo 'seed-large: members of portal 1'
INSERT INTO members (portal_id, contact_id, verified_at, created_at)
SELECT 1, :c_lo + idx, pg_temp.t0() - interval '1000 days' + idx * interval '1 hour',
       pg_temp.t0() - interval '1000 days' + idx * interval '1 hour'
FROM seed_contact WHERE idx < :members
ORDER BY idx;
\else
\echo 'seed-large: no portal 1, no members created'
\endif

COMMIT;

\echo 'seed-large: VACUUM (ANALYZE)'
VACUUM (ANALYZE) companies, contacts, tickets, ticket_contacts, ticket_companies, threads, messages, members;
\timing off

SELECT (SELECT count(*) FROM companies) AS companies, (SELECT count(*) FROM contacts) AS contacts,
       (SELECT count(*) FROM tickets) AS tickets, (SELECT count(*) FROM threads) AS threads,
       (SELECT count(*) FROM messages) AS messages,
       (SELECT count(*) FROM messages WHERE kind = 'note') AS notes,
       (SELECT count(*) FROM members) AS members \gset
\echo 'seed-large: now' :companies 'companies,' :contacts 'contacts,' :tickets 'tickets,' :threads 'threads,' :messages 'messages (' :notes 'notes),' :members 'members'
