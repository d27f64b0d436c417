/* mail_tokens.h - what our mail carries signed with the config's secret_key (fcgi/mail_tokens.c):
 * the per-ticket Reply-To address that routes a customer's emailed reply back to its ticket, and
 * the ticket link that signs its contact in to exactly that ticket. No URL of its own: the
 * notifications (conversation.c and the senders of ticket mail) make them, the mail gateway
 * (mail_ingest.c) and the ticket link page (ticket_link.c) check them. */
#ifndef PORTAL_MAIL_TOKENS_H
#define PORTAL_MAIL_TOKENS_H

#include "app.h"

#define TICKET_LINK_DAYS 14 /* a ticket link in a notification is good this long */

/* The Reply-To of ticket mail: the inbox's address with "+t<ticket>-<signature>" added to its
 * local part (support@example.com -> support+t42-0123456789abcdef@example.com; lowercase hex,
 * so an MTA that folds case keeps it). NULL when address is not local@domain. */
const char *reply_address(struct arena *a, const char *address, const char *ticket);

/* The ticket a recipient address names: 1 with the ticket id in ticket_out (a valid token),
 * 0 when the address carries no token, -1 when it carries one whose signature is wrong (forged
 * or of another install: not trusted). */
int reply_address_ticket(const char *address, char *ticket_out, size_t cap);

/* The token of a ticket link for contact: "<contact>.<expires>.<signature>", expires a Unix
 * time TICKET_LINK_DAYS from now. */
const char *ticket_link_token(struct arena *a, long contact, const char *ticket);

/* A link's token for ticket: 1 valid (*contact set), 0 well signed but expired (*contact set),
 * -1 malformed or wrongly signed. */
int ticket_link_check(const char *token, const char *ticket, long *contact);

/* The absolute URL of the ticket link: <portal base>/<slug>/<ticket>/open?t=<token>. */
const char *ticket_link_url(struct ctx *c, long contact, const char *ticket);

/* The rating of a closed ticket from the ticket_closed mail: "<contact>.<expires>.<signature>"
 * signed as "rating:<contact>.<ticket>.<expires>" (another purpose than the ticket link's, so
 * neither token passes for the other), expires RATING_DAYS from now. It lets contact rate exactly
 * this ticket, without signing in and without opening anything else. */
#define RATING_DAYS 14
const char *rating_token(struct arena *a, const char *ticket, long contact);
/* 1 valid (*contact set), 0 well signed but expired (*contact set), -1 malformed or wrongly signed
 * (forged, another ticket's, another install's). */
int rating_token_check(const char *token, const char *ticket, long *contact);
/* The absolute URL of a rating link: <portal base>/<slug>/<ticket>/rating?score=<score>&t=<token>. */
const char *rating_url(struct ctx *c, long contact, const char *ticket, const char *score);

#endif
