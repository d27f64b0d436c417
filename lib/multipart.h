/* multipart.h - one bounded pass over a multipart/form-data body: text fields and file parts. */
#ifndef PORTAL_MULTIPART_H
#define PORTAL_MULTIPART_H

#include <stddef.h>

#include "arena.h"
#include "request.h"

/* Limits. The whole body is bounded by the body limit (PORTAL_CONFIG limits.max_body_mb, which
 * nginx's client_max_body_size repeats); these bound what is inside it. */
#define MP_MAX_BOUNDARY 70	/* RFC 2046 */
#define MP_MAX_PARTS 32		/* every part counts, skipped empty file inputs too */
#define MP_MAX_PART_HEADER 1024 /* a part's header block, without the blank line */
#define MP_MAX_FILE (10 * 1024 * 1024)
#define MP_MAX_FILES 10
#define MP_MAX_FILENAME 255	/* bytes, after sanitising */
#define MP_MAX_CONTENT_TYPE 127 /* a part's media type; longer ones fall back to the default */

/* The parsed body: text fields as request.h kv (values NUL-terminated copies in the arena),
 * files as uploads whose data points into the body (no copy). */
struct multipart {
	struct kv *fields;
	size_t nfields;
	struct upload *files;
	size_t nfiles;
};

/* 1 when the Content-Type header names multipart/form-data (any parameters), else 0. */
int multipart_is_form_data(const char *content_type);

/*
 * Parse body[0..len) by the boundary of content_type (quoted or not, 1..70 characters).
 * The body must stay alive and unchanged as long as the result is used. Everything else is
 * allocated in a. Returns 0, or an HTTP status with a short reason (no request bytes) in err:
 *   400  no or a bad boundary, a body that does not start with it (a preamble ending in CRLF
 *        is allowed), a truncated body or no final boundary, a header line not ended by CRLF
 *        or folded, a missing or second Content-Disposition or one that is not form-data,
 *        a part without a name, control bytes or invalid UTF-8 in a name or text value
 *        (\t \r \n pass in values), a file name that sanitising leaves empty, "." or "..",
 *        a field name over REQ_MAX_FIELD_NAME bytes
 *   413  more than MP_MAX_PARTS parts, a header block over MP_MAX_PART_HEADER, a text value
 *        over REQ_MAX_FIELD_VALUE, a file over MP_MAX_FILE, more than MP_MAX_FILES files
 *   500  out of memory
 * A file input sent empty (filename="" and no bytes: no file was chosen) is skipped. A part's
 * Content-Type is reduced to its lowercased media type; fields default to text/plain, files to
 * application/octet-stream. filename* (RFC 5987) is ignored.
 */
int multipart_parse(struct arena *a, const char *content_type, const char *body, size_t len,
		    struct multipart *out, char *err, size_t errlen);

/*
 * A file name safe to store and to put in a header: the part after the last '/' or '\',
 * without control characters (C0, DEL, C1, U+2028/9), bidirectional controls and double
 * quotes, trimmed of spaces, cut to MP_MAX_FILENAME bytes on a UTF-8 boundary. raw[0..n) must
 * be valid UTF-8; dst has room for MP_MAX_FILENAME + 1 bytes. Returns the length written
 * (NUL-terminated), 0 when nothing usable is left: empty, "." or "..".
 */
size_t multipart_sanitize_filename(char *dst, const char *raw, size_t n);

#endif
