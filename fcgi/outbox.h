/* outbox.h - queue an email that a portal's admin may have edited (portal_email_templates), with
 * the headers that thread it in the recipient's mail client (fcgi/outbox.c). */
#ifndef PORTAL_OUTBOX_H
#define PORTAL_OUTBOX_H

#include "app.h"

/* One email to queue. */
struct outbox_mail {
	long portal_id;           /* 0: no portal (the shipped email, no switch) */
	const char *lang, *to, *name; /* name: the email (templates/email/<name>.*) */
	struct json_object *data; /* the template's data */
	const char *from_address; /* NULL: the config's smtp_from (account mail) */
	const char *from_name;    /* the From display name (NULL: none) */
	const char *reply_to;     /* NULL: none */
	const char *ticket, *thread; /* what it is about (NULL or "0": none); with a ticket the mail
				      * threads: References = "ticket-<id>@<domain>", the ticket's first
				      * and latest received Message-IDs and its latest mails to `to`
				      * (at most 10 in all), In-Reply-To the latest of those */
};

/*
 * Render (the portal's edited version of the email in lang when there is one, with an HTML part
 * made from the text; else the shipped one) and insert into mail_outbox in the caller's
 * transaction, with From, Reply-To, a Message-ID made now (random @ the From domain),
 * In-Reply-To/References, email, ticket_id and thread_id. The one place a portal's notification
 * switches (portal_notifications) are read: a notification the portal turned off is not queued.
 * Returns 0 queued, 1 switched off (nothing queued), -1 error (logged).
 */
int outbox_send(const struct outbox_mail *m);

/* As outbox_queue, with the portal's edited version of email `name` in lang when there is one.
 * Returns 0 or -1 (1 when it is a notification the portal switched off). */
int outbox_queue_portal(long portal_id, const char *lang, const char *to, const char *name,
			struct json_object *data);

#endif
