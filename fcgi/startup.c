/* startup.c - what every program built on the worker's code loads first (no URL): the worker
 * (fcgi/main.c) and the mail gateway (fcgi/mailgate.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "i18n.h"
#include "log.h"
#include "tmpl.h"

int startup_load(const char *prog, int log_fallback)
{
	const char *path = getenv("PORTAL_CONFIG");
	char err[512];
	if (!path || !*path)
		path = "var/portal.json";
	if (config_load(&cfg, path, err, sizeof err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return -1;
	}
	if (log_open(cfg.log_file, log_level_parse(cfg.log_level)) < 0) {
		fprintf(stderr, "%s: cannot open log %s: %s%s\n", prog, cfg.log_file, strerror(errno),
			log_fallback ? "; logging to stderr" : "");
		if (!log_fallback)
			return -1;
		log_open("-", log_level_parse(cfg.log_level));
	}
	templates = tmpl_set_new();
	if (!templates || tmpl_set_load_dir(templates, cfg.templates_dir, err, sizeof err) < 0) {
		log_msg(LOG_ERROR, "%s: templates: %s", prog, err);
		return -1;
	}
	char i18n_dir[600];
	snprintf(i18n_dir, sizeof i18n_dir, "%s/i18n", cfg.templates_dir);
	if (i18n_load(i18n_dir, err, sizeof err) < 0) {
		log_msg(LOG_ERROR, "%s: %s", prog, err);
		return -1;
	}
	return 0;
}
