/* mailgate.c - build/portal-mailgate (no URL): one received RFC 5322 message on stdin, for an
 * MTA's pipe transport (as RT's rt-mailgate) and for the mailer's IMAP poller:
 *   portal-mailgate [--to ADDRESS] [--via gateway|imap] < message
 * PORTAL_CONFIG as for the workers (default var/portal.json). Exit 0 stored or deliberately
 * dropped (logged), 65 refused (too large, malformed), 75 temporary (database down or any
 * database error: nothing was written, the MTA retries), 64 usage. The decisions and writes are
 * fcgi/mail_ingest.c; this file is start-up (the worker's, fcgi/main.c, without FastCGI) and the
 * reading of stdin. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "mail_ingest.h"
#include "settings_load.h"
#include "tmpl.h"

struct config cfg;
struct tmpl_set *templates;
char asset_version[17] = "0";

static void usage(void)
{
	fprintf(stderr, "usage: portal-mailgate [--to ADDRESS] [--via gateway|imap] < message\n"
			"  PORTAL_CONFIG names the configuration (default var/portal.json)\n");
}

/* Config, log (to stderr when the pipe's user may not write the workers' log: the MTA keeps
 * it), templates and catalogs (the notifications are rendered here), statements. 0 or -1. */
static int startup(void)
{
	if (startup_load("portal-mailgate", 1) < 0)
		return -1;
	for (unsigned i = 0; stmt_tables[i]; i++)
		db_register(stmt_tables[i]);
	db_register(mail_ingest_stmts);
	return 0;
}

/* stdin into a malloc'd buffer of at most limit + 1 bytes (*len); the rest is read and counted
 * (*size) so that the MTA sees the whole message taken. 0, or -1 on a read error. */
static int read_message(size_t limit, char **data, size_t *len, size_t *size)
{
	size_t cap = limit + 1 < 65536 ? limit + 1 : 65536, n = 0, total = 0;
	char *buf = malloc(cap + 1), sink[65536];
	if (!buf)
		return -1;
	for (;;) {
		if (n <= limit && n == cap) { /* keeping, and full: grow up to limit + 1 bytes */
			size_t ncap = cap * 2 < limit + 1 ? cap * 2 : limit + 1;
			char *nb = realloc(buf, ncap + 1);
			if (!nb) {
				free(buf);
				return -1;
			}
			buf = nb;
			cap = ncap;
		}
		char *dst = n <= limit ? buf + n : sink;
		size_t room = n <= limit ? cap - n : sizeof sink;
		ssize_t r = read(STDIN_FILENO, dst, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		total += (size_t)r;
		if (n <= limit)
			n += (size_t)r;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n > limit ? limit : n;
	*size = total;
	return 0;
}

int main(int argc, char **argv)
{
	const char *to = NULL, *via = "gateway";
	signal(SIGPIPE, SIG_IGN);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc && argv[i + 1][0]) {
			to = argv[++i];
		} else if (strcmp(argv[i], "--via") == 0 && i + 1 < argc &&
			   (strcmp(argv[i + 1], "gateway") == 0 || strcmp(argv[i + 1], "imap") == 0)) {
			via = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage();
			return 0;
		} else {
			usage();
			return INGEST_USAGE;
		}
	}
	if (startup() < 0)
		return INGEST_TEMPFAIL; /* a setup problem: the MTA keeps the message until it is fixed */

	struct ingest_in in = {.to = to, .via = via, .limit = (size_t)cfg.max_mail_bytes};
	char *data = NULL;
	if (read_message(in.limit, &data, &in.len, &in.size) < 0) {
		log_msg(LOG_ERROR, "mailgate: reading the message: %s", strerror(errno));
		return INGEST_TEMPFAIL;
	}
	in.data = data;
	in.db_up = db_connect(cfg.database) == 0 && settings_load() == 0;

	struct arena a;
	arena_init(&a, 64 * 1024);
	struct ingest_out out;
	int rc = mail_ingest(&a, &in, &out);
	/* one line for whoever ran us: the MTA puts a refusal's into the bounce */
	fprintf(rc == INGEST_OK ? stdout : stderr, "portal-mailgate: %s: %s\n", out.outcome ? out.outcome : "-",
		out.reason ? out.reason : "-");
	arena_free(&a);
	free(data);
	db_disconnect();
	settings_free();
	i18n_free();
	tmpl_set_free(templates);
	log_close();
	return rc;
}
