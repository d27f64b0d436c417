/* mailer.c - the mail daemon (no URL): drains mail_outbox through SMTP or into .eml files, woken
 * by NOTIFY mail_outbox, delivers webhooks (mailer_webhooks.c, NOTIFY webhook_deliveries), turns pending list invitations into emails, and polls the IMAP mailboxes of
 * inbox addresses into the mail gateway. Its files: mailer_setup.c (start-up), mailer_db.c (the
 * connection), mailer_queue.c (claiming and recording outbox rows), mailer_smtp.c (delivery),
 * invitations.c, mailer_imap.c (the poller); the design is in mailer.h. This file: signals,
 * waiting, the main loops. */
#include "mailer.h"

#include <curl/curl.h>
#include <string.h>
#include <sys/select.h>

#include "i18n.h"
#include "log.h"

volatile sig_atomic_t stop_requested, flush_requested;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		flush_requested = 1;
	else
		stop_requested = 1;
}

void setup_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART; /* pselect() and nanosleep() still return early */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Sleep until a NOTIFY, a signal or ms milliseconds; no signal is lost between check and wait. */
static void wait_notify(struct mailer *m, long ms)
{
	if (notifies_pending(m) || ms <= 0)
		return;
	int fd = PQsocket(m->pg);
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	int r = stop_requested || flush_requested ? 0 : pselect(fd + 1, &rd, NULL, NULL, &ts, &old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r > 0 && !PQconsumeInput(m->pg)) {
		mailer_log_pg_error(m, "connection", NULL);
		drop_conn(m);
		return;
	}
	if (r > 0 && notifies_pending(m))
		log_msg(LOG_DEBUG, "mailer: woken by NOTIFY");
}

/* ---- main loops ---- */

static int run_once(struct mailer *m)
{
	int more = 1, n = 0;
	if (connect_db(m) < 0)
		return 1;
	webhooks_connected(m);
	record_unrecorded(m);
	invitations_process(m);
	while (more && n >= 0 && !stop_requested)
		n = drain(m, &more);
	for (more = 1; more && n >= 0 && !stop_requested && m->pg;)
		n = webhooks_process(m, &more);
	if (!stop_requested && imap_poll(m, 1) < 0)
		n = -1;
	return n < 0 || m->nunrecorded ? 1 : 0;
}

static int run(struct mailer *m)
{
	while (!stop_requested) {
		if (!m->pg) {
			if (connect_db(m) < 0)
				break;
			webhooks_connected(m); /* may drop the connection: then the next turn reconnects */
		}
		record_unrecorded(m);
		if (m->pg && flush_requested)
			flush_queue(m);
		if (m->pg)
			notifies_pending(m);
		if (m->pg)
			invitations_process(m);
		int more = 0, n = m->pg ? drain(m, &more) : -1;
		if (!m->pg || stop_requested) {
			continue; /* reconnects (1 s between tries) or stops */
		}
		int wmore = 0, wn = webhooks_process(m, &wmore);
		if (!m->pg || stop_requested)
			continue;
		imap_poll(m, 0); /* when due; a NOTIFY mail_imap makes it due */
		if (!m->pg || stop_requested)
			continue;
		if (!more && !wmore) {
			long wait = n < 0 ? 1000 : next_wait_ms(m, n > 0), imap = imap_wait_ms(m);
			long hooks = wn < 0 ? 1000 : webhooks_wait_ms(m, wn > 0);
			if (hooks < wait)
				wait = hooks;
			wait_notify(m, imap < wait ? imap : wait);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct mailer m;
	if (parse_args(&m, argc, argv) < 0)
		return 2;
	if (setup(&m) < 0)
		return 1;
	int rc = m.once ? run_once(&m) : run(&m);
	drop_conn(&m);
	curl_global_cleanup();
	tmpl_set_free(m.templates);
	i18n_free();
	log_msg(LOG_INFO, "mailer: stopped%s", stop_requested ? " on a signal" : "");
	log_close();
	return rc;
}
