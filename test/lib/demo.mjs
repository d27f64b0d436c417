// demo.mjs - which demo tickets a customer sees, written from PRODUCT.md for the demo portal (mode
// own_company, one ticket filter: pipeline is Support) and not taken from the portal's SQL
// (portal_visible_tickets): for picking demo tickets to look at. Each is an SQL subquery of ids.

export const SUPPORT = "(SELECT id FROM pipelines WHERE name = 'Support')";

/* Tickets tied to the contact ("My tickets"). */
export const ownTickets = (contact) => `(SELECT t.id FROM tickets t WHERE t.pipeline_id = ${SUPPORT}
  AND EXISTS (SELECT 1 FROM ticket_contacts x WHERE x.ticket_id = t.id AND x.contact_id = ${Number(contact)}))`;

/* Tickets tied to the contact or to their primary company (everything they may open). */
export const allTickets = (contact) => `(SELECT t.id FROM tickets t WHERE t.pipeline_id = ${SUPPORT} AND (
  EXISTS (SELECT 1 FROM ticket_contacts x WHERE x.ticket_id = t.id AND x.contact_id = ${Number(contact)})
  OR EXISTS (SELECT 1 FROM ticket_companies x JOIN contacts c ON c.primary_company_id = x.company_id
             WHERE x.ticket_id = t.id AND c.id = ${Number(contact)})))`;
