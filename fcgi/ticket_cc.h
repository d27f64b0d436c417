/* ticket_cc.h - copying colleagues in on a ticket (fcgi/ticket_cc.c): the cc field of the support
 * form (ticket_new.c) and the reply form (ticket_reply.c), the Cc of a mail that opens a ticket
 * (mail_ingest.c), the ticket page's list of who is copied in and the requester's removal of one
 * (POST /<slug>/<id>/cc/<contact>/remove). */
#ifndef PORTAL_TICKET_CC_H
#define PORTAL_TICKET_CC_H

#include "app.h"

#define TICKET_CC_MAX 10    /* CC'd contacts per ticket, in all */
#define TICKET_CC_FIELD "cc" /* the forms' field: addresses separated by commas */

/*
 * The rules, the same for the forms and for mail: the portal's switch portals.customer_cc (off:
 * a form shows no field and a posted cc is ignored; mail makes no CCs); each a valid address
 * (stored lowercased); never the requester (the ticket's first requester, else the person
 * writing), never one of our own connected inbox addresses; an address already on the ticket
 * and a repeated one are ignored; at most TICKET_CC_MAX per ticket in all; with
 * portals.cc_same_domain only addresses of the requester's company domain (companies.domain, or
 * the requester's own email domain when they have no company). A form gets each breach as an
 * error on the field (422, input kept, nothing stored); mail leaves the offending addresses out.
 */
struct ticket_cc {
	int on, same_domain; /* the portal's switches */
	const char *domain;  /* the requester's domain the same-domain rule compares with */
	const char *addrs;   /* the addresses to add, lowercased, as an array literal ("{}": none) */
	int n;
};

/* The request's cc field checked for ticket (NULL: a new ticket whose requester is the session's
 * contact) into cc; problems go into f against the field. 0, or -1 on a database error. */
int ticket_cc_read(struct ctx *c, struct form *f, const char *ticket, struct ticket_cc *cc);

/* The same for addresses from mail (n of them) on ticket, requester the contact: offending ones
 * left out (and logged). 0 or -1. */
int ticket_cc_from_mail(struct ctx *c, const char *const *addrs, size_t n, const char *ticket,
			long requester, struct ticket_cc *cc);

/* Add cc's addresses to ticket, inside the caller's transaction: a contact for each new address
 * (lowercased, with the company of its domain), a ticket_contacts row with role cc, a timeline
 * entry (cc_added) naming who copied them in (by). The ticket is locked; the limit holds under
 * concurrent writers. 0 or -1. */
int ticket_cc_add(struct ctx *c, const char *ticket, const struct ticket_cc *cc, const char *by);

/*
 * The ticket page reads its CC part in its own statement (ticket_detail.c; one round trip, issue
 * 19): these columns, where t is the ticket's row (from portal_visible_tickets), p the portal's
 * row and VIEWER (an SQL expression) the contact looking, the session's or the preview's. The
 * requester whose domain the reply form's hint names is the ticket's first, as ticket_cc_ctx
 * has it; the list is the address alone (at most 50). Inner aliases: ccx, ccc, cco, l.
 */
#define TICKET_CC_PAGE_COLS(VIEWER)                                                                \
	"p.customer_cc AS cc_on, p.cc_same_domain,"                                                 \
	" coalesce((SELECT lower(cco.domain) FROM contacts ccc JOIN companies cco ON cco.id = ccc.primary_company_id" \
	"   WHERE ccc.id = coalesce((SELECT ccx.contact_id FROM ticket_contacts ccx WHERE ccx.ticket_id = t.id" \
	"     AND ccx.role = 'requester' ORDER BY ccx.contact_id LIMIT 1), " VIEWER ")), '') AS cc_domain," \
	" EXISTS (SELECT 1 FROM ticket_contacts ccx WHERE ccx.ticket_id = t.id AND ccx.contact_id = " VIEWER \
	"   AND ccx.role = 'requester') AS cc_viewer_requester,"                                      \
	" (SELECT json_agg(json_build_object('id', l.id, 'email', l.email) ORDER BY lower(l.email), l.id)" \
	"   FROM (SELECT ccc.id, ccc.email FROM ticket_contacts ccx JOIN contacts ccc ON ccc.id = ccx.contact_id" \
	"   WHERE ccx.ticket_id = t.id AND ccx.role = 'cc' ORDER BY lower(ccc.email), ccc.id LIMIT 50) l)::text AS cc_list"

/* The ticket page's part from row 0 of r (TICKET_CC_PAGE_COLS, by name): cc_on,
 * cc_same_domain/cc_domain (for the reply form's hint), ccs [{id, email, remove_url}] and
 * has_ccs, cc_can_remove (the viewer is a requester). 0, or -1 when the list is unreadable. */
int ticket_cc_page(struct ctx *c, struct json_object *page, const char *ticket, const PGresult *r);

/* Whether the support form shows the field: cc_on, cc_same_domain, cc_domain into page. 0 or -1. */
int ticket_cc_form(struct ctx *c, struct json_object *page);

/* POST /<slug>/<id>/cc/<contact>/remove: the requester takes a CC off the ticket. */
int ticket_cc_remove(struct ctx *c);

#endif
