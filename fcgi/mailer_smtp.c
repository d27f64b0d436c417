/* mailer_smtp.c - one message out: composed, then sent through SMTP or written as an .eml file;
 * the queue-wide pause while the server cannot be reached (no URL: part of the mailer). */
#include "mailer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "mail.h"

/* Errors go into the outbox row and the log as printable ASCII. */
static void ascii_only(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

/* The From header: the row's address with its display name (a name with a '<' or '"' that could
 * confuse the split is dropped), else the config's smtp_from. */
static const char *from_header(const struct mailer *m, const struct outbox_row *r, char *out, size_t cap)
{
	if (!r->from_address[0])
		return m->cfg.smtp_from;
	if (r->from_name[0] && !strpbrk(r->from_name, "<>\""))
		snprintf(out, cap, "\"%s\" <%s>", r->from_name, r->from_address);
	else
		snprintf(out, cap, "%s", r->from_address);
	return out;
}

/*
 * The envelope sender (MAIL FROM) stays the config's smtp_from whatever the From header says:
 * the relay account is allowed to send as that address, SPF/bounces concern the operator, and a
 * bounce must not go to an inbox's support address, where the gateway would take it for mail
 * (the loop guard drops it, but it should not get there at all).
 */
int deliver(struct mailer *m, const struct outbox_row *r, char *err, size_t errlen)
{
	struct buf msg = BUF_INIT;
	char from[600];
	int res;
	const struct mail_headers h = {.reply_to = r->reply_to, .message_id = r->message_id,
				       .in_reply_to = r->in_reply_to, .references = r->references,
				       .notification = r->email};
	if (mail_compose(&msg, from_header(m, r, from, sizeof from), r->to, r->subject, r->text, r->html,
			 &h, NULL, r->id) < 0) {
		snprintf(err, errlen, "cannot compose: invalid recipient address or header");
		res = MAIL_PERMFAIL;
	} else if (m->cfg.smtp_url[0]) {
		res = mail_send_smtp(m->cfg.smtp_url, m->cfg.smtp_user, m->cfg.smtp_password,
				     m->cfg.smtp_from, r->to, &msg, err, errlen);
	} else {
		char path[PATH_MAX + 32];
		res = mail_write_eml(m->mail_dir, r->id, &msg, path, sizeof path) == 0 ? MAIL_SENT
											: MAIL_TEMPFAIL;
		if (res == MAIL_SENT)
			log_msg(LOG_INFO, "mailer: wrote %s", path);
		else
			snprintf(err, errlen, "cannot write %.300s: %s", path, strerror(errno));
	}
	buf_free(&msg);
	ascii_only(err);
	return res;
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

long pause_left_ms(const struct mailer *m)
{
	long until = (long)m->pause_until.tv_sec * 1000 + m->pause_until.tv_nsec / 1000000;
	long left = until - now_ms();
	return left > 0 ? left : 0;
}

/* Server unreachable (no reply, 421, 53x authentication): pause the queue, doubling each time.
 * A 45x concerns one message (greylisting, mailbox busy) and leaves the others alone. */
void note_server_state(struct mailer *m, int res, const char *err)
{
	if (res != MAIL_TEMPFAIL || strncmp(err, "SMTP 45", 7) == 0) {
		m->server_failures = 0;
		return;
	}
	long secs = m->retry_base;
	for (int i = 1; i < m->server_failures && secs < PAUSE_CAP; i++)
		secs *= 2;
	secs = secs < PAUSE_CAP ? secs : PAUSE_CAP;
	m->server_failures++;
	clock_gettime(CLOCK_MONOTONIC, &m->pause_until);
	m->pause_until.tv_sec += secs;
	log_msg(LOG_WARN, "mailer: pausing delivery for %ld s", secs);
}
