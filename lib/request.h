/* request.h - one parse of a FastCGI request into struct request, with limits; bad input is refused. */
#ifndef PORTAL_REQUEST_H
#define PORTAL_REQUEST_H

#include <stddef.h>

#include "arena.h"
#include "str.h" /* the string and UTF-8 helpers, for the handlers that include only this */

/* Limits; nginx/portal.conf.in uses the same numbers (client_max_body_size, header buffers). */
#define REQ_MAX_URI 4096          /* REQUEST_URI incl. query string */
#define REQ_MAX_HEADER 8192       /* one header value (nginx large_client_header_buffers 4 8k) */
#define REQ_MAX_FIELDS 256        /* query + form fields, each counted separately */
#define REQ_MAX_FIELD_NAME 128    /* bytes after decoding */
#define REQ_MAX_FIELD_VALUE 65536 /* bytes after decoding */
#define REQ_MAX_COOKIES 64
#define REQ_MAX_FORM_BODY (1024 * 1024) /* urlencoded bodies; multipart: lib/multipart.h */

/* PATCH and DELETE are answered only under /api/ (fcgi/api.c); elsewhere they get 405. */
enum http_method { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PATCH, HTTP_DELETE, HTTP_OTHER, HTTP_METHOD__MAX };

struct kv {
	const char *name;  /* NUL-terminated, decoded */
	const char *value; /* NUL-terminated, decoded; may hold \t \r \n (form values only) */
	size_t value_len;
};

/* A file from a multipart/form-data POST (lib/multipart.h). data points into the request's body
 * (not NUL-terminated, may hold any bytes); the strings are NUL-terminated arena copies. */
struct upload {
	const char *field;        /* the form field's name */
	const char *filename;     /* sanitised: no path, no control bytes or quotes, <= 255 bytes */
	const char *content_type; /* lowercased media type, application/octet-stream by default */
	const char *data;
	size_t len;
};

struct request {
	struct arena *arena;
	enum http_method method;
	const char *method_name; /* as sent, e.g. "GET" */
	const char *uri;         /* REQUEST_URI as sent (raw) */
	const char *path;        /* decoded path: starts with '/', no control bytes, valid UTF-8 */
	const char *query_string; /* raw, "" when none */
	const char *host;        /* Host header lowercased, port removed; "" when absent */
	const char *remote_addr;
	const char *content_type; /* "" when absent */
	const char *request_id;   /* from nginx $request_id (HTTP_X_REQUEST_ID / REQUEST_ID) or "-" */
	int https;                /* HTTPS=on or X-Forwarded-Proto: https from nginx */
	size_t content_length;
	struct kv *query;
	size_t nquery;
	struct kv *form; /* POST bodies: urlencoded fields, or the text parts of multipart/form-data */
	size_t nform;
	struct upload *files; /* the file parts of a multipart/form-data POST (empty inputs skipped) */
	size_t nfiles;
	struct kv *cookies;
	size_t ncookies;
	char **env; /* FastCGI params as given; read with request_param() */
	const char *body; /* raw body bytes (arena), body_len bytes */
	size_t body_len;
};

/*
 * Parse. envp is the FastCGI parameter list (NAME=value strings, NULL-terminated); body holds
 * exactly CONTENT_LENGTH bytes already read by the caller (the caller refuses a
 * CONTENT_LENGTH above its limit with 413 before reading). Everything allocated lives in
 * arena a. Returns 0 on success, or an HTTP status (400 malformed, 413 too large,
 * 414 URI too long, 431 header too large) with a short reason (no request bytes in it) in err.
 *
 * Refused with 400: missing/invalid REQUEST_METHOD or REQUEST_URI, a path not starting with
 * '/', broken percent-encoding (%G1, % at end), a decoded NUL or other control byte in the
 * path, a field name or cookie, control bytes other than \t \r \n in field values, invalid
 * UTF-8 in path, names or values, more than REQ_MAX_FIELDS fields, a name/value over its
 * limit, a CONTENT_LENGTH that is not a plain decimal or differs from body_len.
 * '+' decodes to space in query and form fields, not in the path.
 * A POST of multipart/form-data is parsed by multipart_parse() (its refusals: 400 or 413);
 * its text parts land in form, its files in files.
 */
int request_parse(struct request *r, struct arena *a, char **envp, const char *body,
		  size_t body_len, char *err, size_t errlen);

/* Lookups: first match or NULL. */
const char *request_query(const struct request *r, const char *name);
const char *request_form(const struct request *r, const char *name);
const char *request_cookie(const struct request *r, const char *name);
const char *request_param(const struct request *r, const char *name); /* FastCGI param, e.g. "HTTP_USER_AGENT" */

/* Percent-decode src[0..n) into arena memory; plus_space turns '+' into ' '. NULL when malformed. */
char *url_decode(struct arena *a, const char *src, size_t n, int plus_space, size_t *out_len);

#endif
