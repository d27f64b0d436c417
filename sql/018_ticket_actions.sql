-- 018_ticket_actions.sql - customers act on their tickets: close and reopen, copy in colleagues
-- (CC), rate the answer. Each is switched per portal (/admin/settings/ticket-actions).

-- Close and reopen: portals.customer_reopen (016, default on) is the switch for both, and
-- portals.reopen_days (016) the window after closing in which a customer may reopen (by the
-- button or by an emailed reply).

-- CC: who a contact is to a ticket. Existing rows (contacts staff added) are requesters.
ALTER TABLE ticket_contacts ADD COLUMN role text NOT NULL DEFAULT 'requester'
    CHECK (role IN ('requester', 'cc'));
CREATE INDEX ticket_contacts_contact_role_idx ON ticket_contacts (contact_id, role, ticket_id);
ALTER TABLE portals
    ADD COLUMN customer_cc boolean NOT NULL DEFAULT true,
    ADD COLUMN cc_same_domain boolean NOT NULL DEFAULT true, -- only colleagues unless the admin widens it
    ADD COLUMN ratings_enabled boolean NOT NULL DEFAULT true;

-- Ratings: one per ticket (a ticket reopened and closed again keeps its first), by a contact of
-- the ticket, of the agent who sent its last public reply (NULL: none) in its inbox (NULL: none).
CREATE TABLE ticket_ratings (
    ticket_id      bigint PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    score          text NOT NULL CHECK (score IN ('good', 'bad')),
    comment        text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
    contact_id     bigint REFERENCES contacts (id) ON DELETE SET NULL,
    agent_user_id  bigint REFERENCES staff_users (id) ON DELETE SET NULL,
    inbox_id       bigint REFERENCES inboxes (id) ON DELETE SET NULL,
    portal_id      bigint REFERENCES portals (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_ratings_created_idx ON ticket_ratings (created_at DESC, ticket_id DESC);
CREATE INDEX ticket_ratings_inbox_idx ON ticket_ratings (inbox_id, created_at);
CREATE INDEX ticket_ratings_agent_idx ON ticket_ratings (agent_user_id, created_at);

-- Staff hear of a customer's close or reopen (switchable and editable like the others).
ALTER TABLE portal_notifications DROP CONSTRAINT portal_notifications_email_check;
ALTER TABLE portal_notifications ADD CONSTRAINT portal_notifications_email_check
    CHECK (email IN ('ticket_created', 'agent_reply', 'ticket_closed', 'staff_new_ticket',
                     'staff_customer_reply', 'staff_ticket_status'));
ALTER TABLE portal_email_templates DROP CONSTRAINT portal_email_templates_email_check;
ALTER TABLE portal_email_templates ADD CONSTRAINT portal_email_templates_email_check
    CHECK (email IN ('invite', 'verify', 'ticket_created', 'agent_reply', 'ticket_closed',
                     'staff_new_ticket', 'staff_customer_reply', 'staff_ticket_status'));
