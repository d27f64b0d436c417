/* mailer.h - the mail daemon's state and the functions its files share (mailer*.c, invitations.c). */
#ifndef PORTAL_MAILER_H
#define PORTAL_MAILER_H

#include <libpq-fe.h>
#include <limits.h>
#include <signal.h>
#include <time.h>

#include "config.h"
#include "tmpl.h"

#define BATCH 20           /* messages per pass before looking at signals and notifies again */
#define WAIT_MAX_MS 60000  /* longest sleep without a NOTIFY */
#define BACKOFF_CAP 3600   /* seconds between attempts of one message, at most */
#define PAUSE_CAP 300      /* seconds the whole queue waits for an unreachable server, at most */
#define UNRECORDED_MAX 64

/*
 * Design: one connection, one short transaction per message: claim the oldest due row with
 * FOR UPDATE SKIP LOCKED (several mailers may run), send it while holding the row lock, record
 * the outcome, COMMIT. A message is marked sent only after the server accepted it; if the
 * mailer dies between the two it goes out twice (at-least-once). If only the COMMIT fails
 * (PostgreSQL restarting), the id is remembered and marked sent after reconnecting, and is not
 * sent again meanwhile. When the server cannot be reached, the whole queue pauses (backoff)
 * instead of trying every due message in turn; SIGUSR1 ends the pause and makes deferred mail
 * due at once.
 */
struct mailer {
	struct config cfg;
	const char *config_path;
	int once;
	int retry_base;   /* seconds; the n-th retry waits retry_base * 2^(n-1) */
	int max_attempts; /* then status 'failed' */
	char mail_dir[PATH_MAX];
	PGconn *pg;
	/* IMAP poller (mailer_imap.c) */
	int imap_poll_seconds;        /* between polls */
	struct timespec imap_next;    /* CLOCK_MONOTONIC; the next poll */
	int imap_requested;           /* NOTIFY mail_imap came: poll at once */
	/* end of the IMAP poller's fields */
	int db_down_logged;
	struct timespec pause_until; /* CLOCK_MONOTONIC; no SMTP attempts before */
	int server_failures;         /* consecutive, for the pause */
	long unrecorded[UNRECORDED_MAX];
	size_t nunrecorded;
	struct tmpl_set *templates; /* email templates, for list invitations */
};

/* One claimed mail_outbox row. */
struct outbox_row {
	long id;
	int attempts;
	const char *to, *subject, *text, *html;
	/* headers stored when queued ("" when not set): From (address "" = the config's smtp_from),
	 * Reply-To, Message-ID, In-Reply-To, References (ids, space-separated), the email's name */
	const char *from_address, *from_name, *reply_to, *message_id, *in_reply_to, *references, *email;
};

/* Set by the signal handlers (mailer.c): SIGTERM/SIGINT, SIGUSR1. */
extern volatile sig_atomic_t stop_requested, flush_requested;
void setup_signals(void);

/* Start-up (mailer_setup.c): arguments, then config, log, templates, curl, signals. */
int parse_args(struct mailer *m, int argc, char **argv);
int setup(struct mailer *m);

/* The database (mailer_db.c). A failed statement is logged, rolls back an open transaction and
 * drops a broken connection (m->pg NULL: the main loop reconnects). */
PGresult *mailer_query(struct mailer *m, const char *what, const char *sql, int n, const char *const *params);
/* Same, rows not wanted; a COMMIT that rolled back counts as failed. 0 or -1. */
int mailer_command(struct mailer *m, const char *what, const char *sql, int n, const char *const *params);
/* BEGIN, then the claiming SELECT sql: its result when it found a row (the transaction stays open
 * for the caller), else NULL with *rc 0 (nothing due; committed) or -1 (error; rolled back). */
PGresult *mailer_claim(struct mailer *m, const char *what, const char *sql, int n, const char *const *params,
		       int *rc);
/* Ends a transaction left open by a failed step (the connection may be gone already). */
void mailer_rollback(struct mailer *m);
void mailer_log_pg_error(struct mailer *m, const char *what, const PGresult *r);
/* Connect and LISTEN, retrying every second until it works or a signal asks to stop (--once: one try). */
int connect_db(struct mailer *m);
void drop_conn(struct mailer *m);
/* 1 when a NOTIFY came since the last call. */
int notifies_pending(struct mailer *m);

/* Delivery (mailer_smtp.c): MAIL_SENT, MAIL_TEMPFAIL or MAIL_PERMFAIL (lib/mail.h), err says why. */
int deliver(struct mailer *m, const struct outbox_row *r, char *err, size_t errlen);
/* After a delivery: pause the whole queue while the server cannot be reached. */
void note_server_state(struct mailer *m, int res, const char *err);
/* Milliseconds left of the pause, 0 when none. */
long pause_left_ms(const struct mailer *m);

/* The queue (mailer_queue.c). */
void record_unrecorded(struct mailer *m);
/* Up to BATCH due messages. Returns how many, or -1; *more says the batch was full. */
int drain(struct mailer *m, int *more);
/* Milliseconds until the next queued message is due (0..WAIT_MAX_MS), or the pause's end. */
long next_wait_ms(struct mailer *m, int claimed_any);
/* SIGUSR1 (like postqueue -f): end the pause and make all deferred mail due now. */
void flush_queue(struct mailer *m);

/* List invitations (invitations.c): up to 100 pending ones into emails. Returns how many, or -1
 * when the first one failed. */
int invitations_process(struct mailer *m);

/* ---- webhooks (mailer_webhooks.c): webhook_deliveries POSTed, signed, retried like mail ---- */
/* After every connect: LISTEN webhook_deliveries (the database's NOTIFY when one is queued). */
void webhooks_connected(struct mailer *m);
/* Up to a few due deliveries (about 2 s of sending at most). Returns how many, or -1; *more says
 * there may be more due now. */
int webhooks_process(struct mailer *m, int *more);
/* Milliseconds until the next queued delivery is due (0..WAIT_MAX_MS). */
long webhooks_wait_ms(struct mailer *m, int claimed_any);

/* ---- the IMAP poller (mailer_imap.c) ---- */
/* The poll interval (PORTAL_IMAP_POLL_SECONDS or 60 s); the first poll is due at once. */
void imap_setup(struct mailer *m);
/* Poll every connected address with an IMAP mailbox when due (or requested, or force): unread
 * messages go to build/portal-mailgate and are marked \Seen only after it exited 0 or 65.
 * Returns the number of addresses polled, or -1 on a database error. */
int imap_poll(struct mailer *m, int force);
/* Milliseconds until the next poll is due (0: now). */
long imap_wait_ms(const struct mailer *m);

#endif
