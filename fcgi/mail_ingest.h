/* mail_ingest.h - what becomes of one received message (fcgi/mail_ingest.c): the decisions
 * (which inbox, which ticket, noise, loops, duplicates, the rate limit) and the writes, in one
 * transaction. Its one caller is build/portal-mailgate (fcgi/mailgate.c), which the MTA's pipe
 * transport runs (--via gateway) and the mailer's IMAP poller runs once per fetched message
 * (--to ADDRESS --via imap): the poller reads only the exit status. */
#ifndef PORTAL_MAIL_INGEST_H
#define PORTAL_MAIL_INGEST_H

#include <stddef.h>

#include "app.h"

/* Exit statuses (sysexits.h), as MTAs read them. */
#define INGEST_OK 0        /* stored, a duplicate, or deliberately dropped (logged) */
#define INGEST_USAGE 64    /* bad command line */
#define INGEST_REFUSED 65  /* too large or malformed: the MTA bounces it */
#define INGEST_TEMPFAIL 75 /* database down or any database error: rolled back, the MTA retries */

/* A sender may hand in this many messages an hour (mail_inbound rows of any outcome); more are
 * dropped. */
#define INGEST_RATE_PER_HOUR 30

extern const struct db_stmt mail_ingest_stmts[];

struct ingest_in {
	const char *data;  /* the message as read (at most the size limit) */
	size_t len;
	size_t size;       /* its whole size in bytes, also when over the limit */
	size_t limit;      /* the size limit (PORTAL_CONFIG limits.max_mail_mb) */
	const char *to;    /* the envelope recipient (--to), or NULL */
	const char *via;   /* "gateway" or "imap" */
	int db_up;         /* connected, with the settings cache loaded */
};

struct ingest_out {
	const char *outcome; /* stored, duplicate, dropped, refused, or "failed" (75) */
	const char *reason;  /* what the log and mail_inbound say */
	char ticket[24], message[24]; /* "0" when none */
};

/* Take one message in: returns INGEST_OK, INGEST_REFUSED or INGEST_TEMPFAIL, with *out set.
 * Every outcome but a temporary failure is a mail_inbound row (a refusal only when the database
 * is up), committed before it returns. Allocations live in arena a. */
int mail_ingest(struct arena *a, const struct ingest_in *in, struct ingest_out *out);

#endif
