/* config.c - read PORTAL_CONFIG with json-c into struct config. */
#include "config.h"
#include "metrics.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->database, sizeof c->database, "dbname=portal");
	snprintf(c->templates_dir, sizeof c->templates_dir, "templates");
	snprintf(c->log_file, sizeof c->log_file, "-");
	snprintf(c->log_level, sizeof c->log_level, "info");
	snprintf(c->files_dir, sizeof c->files_dir, "var/files");
	snprintf(c->mail_dir, sizeof c->mail_dir, "var/mail");
	snprintf(c->smtp_from, sizeof c->smtp_from, "Support <support@localhost>");
	snprintf(c->link_scheme, sizeof c->link_scheme, "https");
	c->argon2_t_cost = 2; /* OWASP: m=19 MiB, t=2, p=1 */
	c->argon2_m_cost_kib = 19456;
	c->argon2_parallelism = 1;
	c->max_body_bytes = 26214400;
	c->max_mail_bytes = 35L * 1024 * 1024; /* 25 MB of attachments, base64-encoded */
	c->session_absolute_hours = 24 * 14;
	c->login_max_failures = 10;
	c->login_lockout_minutes = 15;
	c->login_ip_max_failures = 30;
	c->login_ip_window_minutes = 10;
	snprintf(c->metrics_allow[0], sizeof c->metrics_allow[0], "127.0.0.1");
	snprintf(c->metrics_allow[1], sizeof c->metrics_allow[1], "::1");
	c->metrics_allow_n = 2;
}

static void get_str(struct json_object *o, const char *key, char *dst, size_t cap)
{
	struct json_object *v;
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		snprintf(dst, cap, "%s", json_object_get_string(v));
}

static void get_int(struct json_object *o, const char *key, int *dst)
{
	struct json_object *v;
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int))
		*dst = json_object_get_int(v);
}

/* A switch: absent keeps *dst; anything but true or false is -1 (a switch is never guessed). */
static int get_bool(struct json_object *o, const char *key, int *dst)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return -1;
	*dst = json_object_get_boolean(v) ? 1 : 0;
	return 0;
}

static struct json_object *section(struct json_object *root, const char *key)
{
	struct json_object *v;
	if (json_object_object_get_ex(root, key, &v) && json_object_is_type(v, json_type_object))
		return v;
	return NULL;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	config_defaults(c);
	struct json_object *root = json_object_from_file(path);
	if (!root || !json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "%s: %s", path, json_util_get_last_err());
		json_object_put(root);
		return -1;
	}
	get_str(root, "database", c->database, sizeof c->database);
	get_str(root, "templates_dir", c->templates_dir, sizeof c->templates_dir);
	get_str(root, "log_file", c->log_file, sizeof c->log_file);
	get_str(root, "log_level", c->log_level, sizeof c->log_level);
	get_str(root, "files_dir", c->files_dir, sizeof c->files_dir);
	get_str(root, "mail_dir", c->mail_dir, sizeof c->mail_dir);
	get_str(root, "secret_key", c->secret_key, sizeof c->secret_key);
	struct json_object *s;
	if ((s = section(root, "argon2"))) {
		get_int(s, "t_cost", &c->argon2_t_cost);
		get_int(s, "m_cost_kib", &c->argon2_m_cost_kib);
		get_int(s, "parallelism", &c->argon2_parallelism);
	}
	if ((s = section(root, "limits"))) {
		int mb = (int)(c->max_body_bytes / (1024 * 1024));
		get_int(s, "max_body_mb", &mb);
		c->max_body_bytes = (long)mb * 1024 * 1024;
		int mail_mb = (int)(c->max_mail_bytes / (1024 * 1024));
		get_int(s, "max_mail_mb", &mail_mb);
		c->max_mail_bytes = (long)mail_mb * 1024 * 1024;
		get_int(s, "session_absolute_hours", &c->session_absolute_hours);
		get_int(s, "login_max_failures", &c->login_max_failures);
		get_int(s, "login_lockout_minutes", &c->login_lockout_minutes);
		get_int(s, "login_ip_max_failures", &c->login_ip_max_failures);
		get_int(s, "login_ip_window_minutes", &c->login_ip_window_minutes);
	}
	if ((s = section(root, "smtp"))) {
		get_str(s, "url", c->smtp_url, sizeof c->smtp_url);
		get_str(s, "user", c->smtp_user, sizeof c->smtp_user);
		get_str(s, "password", c->smtp_password, sizeof c->smtp_password);
		get_str(s, "from", c->smtp_from, sizeof c->smtp_from);
	}
	if ((s = section(root, "links"))) {
		get_str(s, "scheme", c->link_scheme, sizeof c->link_scheme);
		get_int(s, "port", &c->link_port);
	}
	char bad_allow[80] = "";
	if ((s = section(root, "metrics"))) {
		get_str(s, "file", c->metrics_file, sizeof c->metrics_file);
		struct json_object *a;
		if (json_object_object_get_ex(s, "allow", &a) && json_object_is_type(a, json_type_array)) {
			c->metrics_allow_n = 0;
			for (size_t i = 0; i < json_object_array_length(a); i++) {
				const char *e = json_object_get_string(json_object_array_get_idx(a, i));
				if (c->metrics_allow_n >= CONFIG_METRICS_ALLOW || !e || strlen(e) >= sizeof c->metrics_allow[0] ||
				    metrics_addr_match(e, NULL) < 0) {
					snprintf(bad_allow, sizeof bad_allow, "%.60s", e ? e : "(null)");
					break;
				}
				snprintf(c->metrics_allow[c->metrics_allow_n++], sizeof c->metrics_allow[0], "%s", e);
			}
		}
	}
	int bad_switch = (s = section(root, "webhooks")) && get_bool(s, "allow_private_addresses", &c->webhooks_allow_private) < 0;
	json_object_put(root);
	if (bad_switch) {
		snprintf(err, errlen, "%s: webhooks.allow_private_addresses must be true or false", path);
		return -1;
	}
	if (bad_allow[0]) {
		snprintf(err, errlen, "%s: metrics.allow: %s is no address or CIDR prefix (at most %d entries)", path,
			 bad_allow, CONFIG_METRICS_ALLOW);
		return -1;
	}
	if (strcmp(c->link_scheme, "http") != 0 && strcmp(c->link_scheme, "https") != 0) {
		snprintf(err, errlen, "%s: links.scheme must be http or https", path);
		return -1;
	}
	if (strlen(c->secret_key) < 32) {
		snprintf(err, errlen, "%s: secret_key missing or shorter than 32 hex digits", path);
		return -1;
	}
	if (c->argon2_m_cost_kib < 19456 || c->argon2_t_cost < 2 || c->argon2_parallelism < 1) {
		snprintf(err, errlen, "%s: argon2 parameters below OWASP's minimum (m=19456 KiB, t=2)", path);
		return -1;
	}
	if (c->max_body_bytes <= 0) {
		snprintf(err, errlen, "%s: limits.max_body_mb must be positive", path);
		return -1;
	}
	if (c->max_mail_bytes <= 0) {
		snprintf(err, errlen, "%s: limits.max_mail_mb must be positive", path);
		return -1;
	}
	return 0;
}
