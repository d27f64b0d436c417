/* log.h - the one logging function: level check, control bytes escaped, request id and address. */
#ifndef PORTAL_LOG_H
#define PORTAL_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_LEVEL__MAX };

/* path NULL or "-" logs to stderr. Opened once at start-up with O_APPEND; each line is one write(). */
int log_open(const char *path, enum log_level min);
void log_close(void);
enum log_level log_level_parse(const char *s); /* "debug", "info", ...; unknown gives LOG_INFO */
/* Request identity stamped on every line until cleared (pointers must outlive the request). */
void log_set_request(const char *remote_addr, const char *request_id);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Access line: method path status microseconds. */
void log_access(const char *method, const char *path, int status, long usec);

#endif
