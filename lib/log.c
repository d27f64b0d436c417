/* log.c - line-at-a-time logger shared by workers and tools. */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = 2;
static enum log_level log_min = LOG_INFO;
static const char *log_remote = "-", *log_reqid = "-";
static const char *const level_names[LOG_LEVEL__MAX] = {"debug", "info", "warn", "error"};

int log_open(const char *path, enum log_level min)
{
	log_min = min;
	if (!path || !*path || strcmp(path, "-") == 0) {
		log_fd = 2;
		return 0;
	}
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0660); /* the group: the mail gateway, run by the MTA, appends too */
	if (fd < 0)
		return -1;
	log_fd = fd;
	return 0;
}

void log_close(void)
{
	if (log_fd > 2)
		close(log_fd);
	log_fd = 2;
}

enum log_level log_level_parse(const char *s)
{
	for (int i = 0; s && i < LOG_LEVEL__MAX; i++)
		if (strcmp(s, level_names[i]) == 0)
			return (enum log_level)i;
	return LOG_INFO;
}

void log_set_request(const char *remote_addr, const char *request_id)
{
	log_remote = remote_addr && *remote_addr ? remote_addr : "-";
	log_reqid = request_id && *request_id ? request_id : "-";
}

/* Copy src into dst escaping control bytes and backslashes, so one event is one line. */
static size_t escape_into(char *dst, size_t cap, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (; *src && o + 5 < cap; src++) {
		unsigned char c = (unsigned char)*src;
		if (c < 0x20 || c == 0x7f || c == '\\') {
			dst[o++] = '\\';
			if (c == '\\') {
				dst[o++] = '\\';
			} else {
				dst[o++] = 'x';
				dst[o++] = hex[c >> 4];
				dst[o++] = hex[c & 15];
			}
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
	return o;
}

static void log_write(enum log_level level, const char *text)
{
	char line[4096], stamp[32];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	int n = snprintf(line, sizeof line, "%s.%03ldZ %d %s %s %s ", stamp, ts.tv_nsec / 1000000,
			 (int)getpid(), level_names[level], log_remote, log_reqid);
	if (n < 0 || (size_t)n >= sizeof line)
		return;
	size_t len = (size_t)n;
	len += escape_into(line + len, sizeof line - len - 1, text);
	line[len++] = '\n';
	ssize_t w = write(log_fd, line, len);
	(void)w;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level < log_min || level >= LOG_LEVEL__MAX)
		return;
	char text[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	log_write(level, text);
}

void log_access(const char *method, const char *path, int status, long usec)
{
	char text[2048];
	snprintf(text, sizeof text, "access %s %s %d %ldus", method ? method : "-", path ? path : "-",
		 status, usec);
	log_write(LOG_INFO, text);
}
