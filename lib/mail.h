/* mail.h - outbound mail: compose RFC 5322/MIME messages (mail.c), send them by SMTP or write .eml files (mail_send.c). */
#ifndef PORTAL_MAIL_H
#define PORTAL_MAIL_H

#include <stddef.h>

#include "buf.h"

#define MAIL_ADDR_MAX 256 /* an address's bytes, its NUL included */

/* mail_send_smtp() results. */
enum mail_result { MAIL_SENT = 0, MAIL_TEMPFAIL = 1, MAIL_PERMFAIL = 2 };

/* Optional headers of a message (each NULL or "": left out). Message ids are written without
 * their angle brackets, as stored in mail_outbox: local@domain, no white space, no '<' or '>'. */
struct mail_headers {
	const char *reply_to;     /* a bare local@domain */
	const char *message_id;   /* the message's own id; NULL: <outbox-ID.random@domain> */
	const char *in_reply_to;  /* one id */
	const char *references;   /* ids separated by single spaces, oldest first */
	const char *notification; /* X-Portal-Notification: the email's name ([a-z0-9_]) */
};

/*
 * Append a complete message to out: Date, From, To, Reply-To, Subject (RFC 2047 when non-ASCII),
 * Message-ID (h->message_id, else <outbox-ID.random@domain>), In-Reply-To, References,
 * X-Portal-Notification, MIME-Version, Auto-Submitted: auto-generated, then text/plain alone or
 * multipart/alternative with text/html when html is not NULL; utf-8, quoted-printable or base64,
 * body lines <= 76, CRLF line endings throughout. from is "Name <addr>" or a bare address; to
 * and reply_to must be a bare local@domain. message_id_domain NULL or "" takes the domain of
 * from. h may be NULL. Returns 0, or -1 (out unchanged) for a control byte in any header, a bad
 * address or message id, or OOM.
 */
int mail_compose(struct buf *out, const char *from, const char *to, const char *subject,
		 const char *text, const char *html, const struct mail_headers *h,
		 const char *message_id_domain, long outbox_id);

/* 1 if s is a message id as mail_compose takes it (no brackets, no white space, one '@'
 * somewhere, at most 250 bytes). */
int mail_message_id_ok(const char *s);

/* 1 if s is a plain local@domain address (no spaces, angle brackets, commas, quotes). */
int mail_address_ok(const char *s);

/* The bare address of "Name <addr>" or "addr" into out. Returns 0, or -1 if it is not valid. */
int mail_bare_address(const char *from, char *out, size_t cap);

/* url without user:password@ and query, for logs and the start-up line. */
void mail_url_display(const char *url, char *out, size_t cap);

/*
 * Send msg through an smtp:// (STARTTLS when offered; "?starttls=required" insists) or smtps://
 * URL; user "" or NULL skips AUTH. Envelope addresses are the bare addresses of from_addr and
 * to_addr. Connect timeout 10 s, total 60 s. Returns MAIL_SENT once the server accepted the
 * message, MAIL_TEMPFAIL (no connection, timeout, 4xx, authentication or TLS trouble) or
 * MAIL_PERMFAIL (5xx such as 550 unknown recipient), with the reason in err, ASCII: libcurl's
 * text, and when the server refused, "SMTP <code> <its reply>" first; never the password.
 * Call curl_global_init() once before, in main.
 */
int mail_send_smtp(const char *url, const char *user, const char *password, const char *from_addr,
		   const char *to_addr, const struct buf *msg, char *err, size_t errlen);

/* Write msg to <dir>/<outbox_id>.eml, mode 0640, atomically (temporary file, fsync, rename).
 * The path goes to path_out. Returns 0, or -1 with errno set. */
int mail_write_eml(const char *dir, long outbox_id, const struct buf *msg, char *path_out,
		   size_t cap);

#endif
