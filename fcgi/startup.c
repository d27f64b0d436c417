/* startup.c - what every program built on the worker's code loads first (no URL): the worker
 * (fcgi/main.c) and the mail gateway (fcgi/mailgate.c). */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "i18n.h"
#include "log.h"
#include "tmpl.h"

/*
 * glibc's malloc, fixed for a long-lived process. By default its mmap threshold is dynamic: a
 * block above it (128 KiB at first) is mmapped, and freeing one raises the threshold to that
 * block's size and the heap's trim threshold to twice that. argon2id's 19 MiB work area (one
 * malloc per hash or verify in libargon2) therefore comes from mmap once, and from then on from
 * the heap, whose top is no longer trimmed below 38 MiB: a worker that has verified two
 * passwords keeps ~20 MiB of dirty, free heap for good. Setting the thresholds pins them (and
 * turns the dynamic raise off): big, short-lived blocks (the argon2 area, big results and
 * bodies) are mmapped and handed back at free, and free heap above STARTUP_TRIM_THRESHOLD at
 * the top goes back to the kernel.
 */
#define STARTUP_MMAP_THRESHOLD (256 * 1024)
#define STARTUP_TRIM_THRESHOLD (512 * 1024)

static void startup_malloc(void)
{
	if (mallopt(M_MMAP_THRESHOLD, STARTUP_MMAP_THRESHOLD) != 1 ||
	    mallopt(M_TRIM_THRESHOLD, STARTUP_TRIM_THRESHOLD) != 1)
		fprintf(stderr, "startup: mallopt refused; malloc keeps its dynamic thresholds\n");
}

int startup_load(const char *prog, int log_fallback)
{
	startup_malloc();
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
