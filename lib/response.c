/* response.c - buffered HTTP response serialisation for FastCGI. */
#include "response.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "str.h"

void response_init(struct response *r)
{
	r->status = 200;
	buf_init(&r->headers);
	buf_init(&r->body);
	r->has_content_type = 0;
	r->sent = 0;
}

void response_free(struct response *r)
{
	buf_free(&r->headers);
	buf_free(&r->body);
}

void response_reset(struct response *r)
{
	r->status = 200;
	buf_reset(&r->headers);
	buf_reset(&r->body);
	r->has_content_type = 0;
	r->sent = 0;
}

int response_header(struct response *r, const char *name, const char *value)
{
	assert(!r->sent && "header after the response was sent");
	for (const char *p = value; *p; p++) {
		if (*p == '\r' || *p == '\n') {
			log_msg(LOG_ERROR, "response: refused header %s with a line break", name);
			return -1;
		}
	}
	if (ascii_caseeq(name, "Content-Type"))
		r->has_content_type = 1;
	buf_printf(&r->headers, "%s: %s\r\n", name, value);
	return 0;
}

void response_redirect(struct response *r, int status, const char *location)
{
	struct buf enc = BUF_INIT;
	/* keep URL syntax, percent-encode everything else (spaces, quotes, controls, non-ASCII) */
	for (const unsigned char *p = (const unsigned char *)location; *p; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '"' && *p != '<' && *p != '>' && *p != '\\' &&
		    *p != '^' && *p != '`' && *p != '{' && *p != '|' && *p != '}')
			buf_putc(&enc, (char)*p);
		else
			buf_printf(&enc, "%%%02X", *p);
	}
	r->status = status;
	response_header(r, "Location", enc.data ? enc.data : "/");
	buf_free(&enc);
}

const char *response_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 422: return "Unprocessable Content";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

void response_serialize(struct response *r, int head_only, struct buf *out)
{
	assert(!r->sent);
	buf_printf(out, "Status: %d %s\r\n", r->status, response_reason(r->status));
	if (!r->has_content_type)
		buf_puts(out, "Content-Type: text/html; charset=utf-8\r\n");
	buf_append(out, r->headers.data, r->headers.len);
	buf_printf(out, "Content-Length: %zu\r\n\r\n", r->body.len);
	if (!head_only)
		buf_append(out, r->body.data, r->body.len);
	r->sent = 1;
}
