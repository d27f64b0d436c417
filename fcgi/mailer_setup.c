/* mailer_setup.c - the mail daemon's start-up: arguments, the config file's smtp and mail options,
 * the .eml directory, log, email templates, curl, the IMAP poll interval (no URL: part of the mailer, see mailer.c). */
#include "mailer.h"

#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "i18n.h"
#include "log.h"
#include "mail.h"

static int json_int(struct json_object *o, const char *key, int *dst, int lo, int hi)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int(v) < lo ||
	    json_object_get_int(v) > hi) {
		fprintf(stderr, "mailer: config mail.%s must be an integer from %d to %d\n", key, lo,
			hi);
		return -1;
	}
	*dst = json_object_get_int(v);
	return 0;
}

/* The "mail" section, which struct config does not carry: retry_base_seconds, max_attempts. */
static int read_mail_options(struct mailer *m)
{
	m->retry_base = 30;
	m->max_attempts = 10;
	struct json_object *root = json_object_from_file(m->config_path), *mail;
	int rc = 0;
	if (root && json_object_object_get_ex(root, "mail", &mail) &&
	    json_object_is_type(mail, json_type_object))
		rc = json_int(mail, "retry_base_seconds", &m->retry_base, 1, BACKOFF_CAP) |
		     json_int(mail, "max_attempts", &m->max_attempts, 1, 1000);
	json_object_put(root);
	return rc;
}

int parse_args(struct mailer *m, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0) {
			m->once = 1;
		} else {
			fprintf(stderr, "usage: %s [--once]\n"
					"  Delivers mail_outbox; config from PORTAL_CONFIG.\n"
					"  --once  deliver what is due now, then exit\n"
					"  SIGTERM/SIGINT: finish the current message and exit 0\n"
					"  SIGUSR1: retry deferred mail now\n"
					"  Also polls the IMAP mailboxes of inbox addresses (every 60 s,\n"
					"  PORTAL_IMAP_POLL_SECONDS overrides; NOTIFY mail_imap: at once).\n",
				argv[0]);
			return -1;
		}
	}
	const char *path = getenv("PORTAL_CONFIG");
	m->config_path = path && *path ? path : "var/portal.json";
	return 0;
}

static int prepare_mail_dir(struct mailer *m)
{
	if (mkdir(m->cfg.mail_dir, 0750) < 0 && errno != EEXIST) {
		fprintf(stderr, "mailer: cannot create %s: %s\n", m->cfg.mail_dir, strerror(errno));
		return -1;
	}
	if (!realpath(m->cfg.mail_dir, m->mail_dir)) {
		fprintf(stderr, "mailer: %s: %s\n", m->cfg.mail_dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int check_smtp_config(const struct mailer *m)
{
	char addr[256];
	if (mail_bare_address(m->cfg.smtp_from, addr, sizeof addr) < 0) {
		fprintf(stderr, "mailer: config smtp.from is not \"Name <local@domain>\"\n");
		return -1;
	}
	if (m->cfg.smtp_url[0] && strncmp(m->cfg.smtp_url, "smtp://", 7) != 0 &&
	    strncmp(m->cfg.smtp_url, "smtps://", 8) != 0) {
		fprintf(stderr, "mailer: config smtp.url must be \"\", smtp://… or smtps://…\n");
		return -1;
	}
	return 0;
}

static void announce(const struct mailer *m)
{
	char shown[512];
	if (m->cfg.smtp_url[0]) {
		mail_url_display(m->cfg.smtp_url, shown, sizeof shown);
		printf("mailer: delivering through %s\n", shown);
		log_msg(LOG_INFO, "mailer: started, delivering through %s (retry base %d s, %d attempts)",
			shown, m->retry_base, m->max_attempts);
	} else {
		printf("mailer: no SMTP configured, writing mail to %s\n", m->mail_dir);
		log_msg(LOG_INFO, "mailer: started, no SMTP configured, writing mail to %s",
			m->mail_dir);
	}
	fflush(stdout);
}

int setup(struct mailer *m)
{
	char err[512];
	if (config_load(&m->cfg, m->config_path, err, sizeof err) < 0) {
		err[strcspn(err, "\n")] = '\0';
		fprintf(stderr, "mailer: config: %s\n", err);
		return -1;
	}
	if (read_mail_options(m) < 0 || check_smtp_config(m) < 0)
		return -1;
	if (!m->cfg.smtp_url[0] && prepare_mail_dir(m) < 0)
		return -1;
	if (log_open(m->cfg.log_file, log_level_parse(m->cfg.log_level)) < 0) {
		fprintf(stderr, "mailer: cannot open log %s: %s\n", m->cfg.log_file, strerror(errno));
		return -1;
	}
	char i18n_dir[600];
	snprintf(i18n_dir, sizeof i18n_dir, "%s/i18n", m->cfg.templates_dir);
	m->templates = tmpl_set_new();
	if (!m->templates || tmpl_set_load_dir(m->templates, m->cfg.templates_dir, err, sizeof err) < 0 ||
	    i18n_load(i18n_dir, err, sizeof err) < 0) {
		fprintf(stderr, "mailer: templates: %s\n", err);
		return -1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "mailer: curl_global_init failed\n");
		return -1;
	}
	/* the gateway the IMAP poller runs reads the same config */
	if (setenv("PORTAL_CONFIG", m->config_path, 1) < 0)
		return -1;
	imap_setup(m);
	setup_signals();
	announce(m);
	return 0;
}
