/* config.h - the install's JSON configuration (PORTAL_CONFIG): database, paths, limits, secrets, switches. */
#ifndef PORTAL_CONFIG_H
#define PORTAL_CONFIG_H

#include <stddef.h>

#define CONFIG_METRICS_ALLOW 16

struct config {
	char database[512];     /* libpq conninfo */
	char templates_dir[512];
	char log_file[512];     /* "-" for stderr */
	char log_level[16];
	char files_dir[512];    /* uploaded files */
	char secret_key[129];   /* hex, signs links and CSRF tokens */
	int argon2_t_cost;      /* iterations */
	int argon2_m_cost_kib;
	int argon2_parallelism;
	long max_body_bytes;    /* must match nginx client_max_body_size */
	long max_mail_bytes;    /* a received message (build/portal-mailgate): limits.max_mail_mb */
	int session_absolute_hours;
	int login_max_failures;         /* per account before lockout */
	int login_lockout_minutes;
	int login_ip_max_failures;      /* per client address per window */
	int login_ip_window_minutes;
	char smtp_url[512];     /* "" = write .eml files to mail_dir */
	char smtp_user[256];
	char smtp_password[256];
	char smtp_from[256];
	char mail_dir[512];
	char link_scheme[8]; /* links in mail sent without a request (invitations): "https" */
	int link_port;       /* 0: the scheme's default port */
	int webhooks_allow_private; /* webhooks.allow_private_addresses: plain http:// to this machine and
				     * calls to loopback/private/link-local addresses (local testing
				     * only); 0 (the default): https:// to public addresses only */
	/* metrics.file: the pool's shared counters (lib/metrics.h); "" (no "metrics" key) = no
	 * /metrics. metrics.allow: the addresses and CIDR prefixes a scrape may come from
	 * (default 127.0.0.1 and ::1). */
	char metrics_file[512];
	char metrics_allow[CONFIG_METRICS_ALLOW][64];
	int metrics_allow_n;
};

/* Defaults first, then the file's values on top. Returns 0, or -1 with a reason in err. */
int config_load(struct config *c, const char *path, char *err, size_t errlen);
void config_defaults(struct config *c);

#endif
