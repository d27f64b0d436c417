/* response.h - buffered HTTP response: headers then body, sent in one write. */
#ifndef PORTAL_RESPONSE_H
#define PORTAL_RESPONSE_H

#include "buf.h"

struct response {
	int status;
	struct buf headers; /* "Name: value\r\n" lines, without Status and Content-Length */
	struct buf body;
	int has_content_type;
	int sent;
};

void response_init(struct response *r);
void response_free(struct response *r);
void response_reset(struct response *r); /* drop headers and body, keep memory; status 200 */
/* Add a header. Values with CR, LF or NUL are refused (returns -1, logged); calling after send
 * is a bug (assert). */
int response_header(struct response *r, const char *name, const char *value);
/* Location header with the URL encoded for a header; status 301/302/303/307/308. */
void response_redirect(struct response *r, int status, const char *location);
/* Serialize "Status:", headers, Content-Length and (unless head_only) the body into out. */
void response_serialize(struct response *r, int head_only, struct buf *out);
const char *response_reason(int status);

#endif
