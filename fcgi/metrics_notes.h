/* metrics_notes.h - what the worker counts for /metrics (fcgi/metrics.c), on top of lib/metrics.h's
 * shared slots. Every note is a few relaxed atomic loads and stores in this worker's own slot (one
 * writer per slot, so no locked add): no system call, no lock, nothing when metrics are off (no
 * "metrics" key in the config). */
#ifndef PORTAL_METRICS_NOTES_H
#define PORTAL_METRICS_NOTES_H

struct ctx;

/* At start-up: map cfg.metrics_file and claim this worker's slot (logged when it cannot). */
void metrics_start(void);

/* One finished request: its path (NULL when unparsed), the portal's ticket slug, the status sent,
 * its time and the database round trips it made. */
void metrics_note_request(const char *path, const char *ticket_slug, int status, long usec, unsigned long db_trips);

enum login_who { LOGIN_CUSTOMER, LOGIN_STAFF, LOGIN_WHO__MAX };
enum login_event {
	LOGIN_FAILED_PASSWORD,      /* wrong email or password */
	LOGIN_FAILED_SECOND_FACTOR, /* wrong code at the second step */
	LOGIN_LOCKED_ACCOUNT,       /* refused: the account is locked after repeated failures */
	LOGIN_LOCKED_ADDRESS,       /* refused: the client address is over its failure limit */
	LOGIN_EVENT__MAX
};
void metrics_note_login(enum login_who who, enum login_event ev);

/* A refused sign-on: method "saml" or "jwt", and the reason as logged (mapped to a fixed label). */
void metrics_note_sso(const char *method, const char *reason);

/* GET /metrics: the text format to an allowed address (cfg.metrics_allow), 404 to any other. */
int metrics_page(struct ctx *c);

#endif
