/* mail_parse.h - one received RFC 5322 message taken apart with GMime (lib/mail_parse.c): the
 * headers the mail gateway decides by, the text as UTF-8 and the attachments. GMime and GLib are
 * linked into the gateway (build/portal-mailgate) and the fuzz target only, never into the
 * workers; nothing here exposes a GMime type. The text helpers it uses (the quoted history cut,
 * HTML reduced to text) are in lib/mail_text.h. */
#ifndef PORTAL_MAIL_PARSE_H
#define PORTAL_MAIL_PARSE_H

#include <stddef.h>

#define MAIL_PARSE_MAX_LIST 100 /* addresses kept of To, Cc, Delivered-To; references kept */

struct mail_attachment {
	char *filename;     /* sanitised as a portal upload's: no path, no control bytes or quotes,
			     * <= 255 bytes, never "", "." or ".."; "attachment" when it had none */
	char *content_type; /* lowercased type/subtype, no parameters */
	char *data;         /* decoded bytes */
	size_t len;
};

struct mail_parsed {
	char *from_address; /* bare address of From (lowercased domain), "" when the From header
			     * holds no valid address (one '@', no spaces, controls, quotes, <>) */
	char *from_name;    /* its display name, decoded to UTF-8, "" when none */
	char *subject;      /* decoded to UTF-8, one line, "" when none */
	char *message_id;   /* without angle brackets, NULL when none */
	char *in_reply_to;  /* the first id of In-Reply-To, without angle brackets, NULL when none */
	char **references;  /* ids of References, oldest first, without angle brackets */
	size_t nreferences;
	char **to, **cc, **delivered_to; /* bare addresses, in order */
	size_t nto, ncc, ndelivered_to;
	char *auto_submitted; /* the header's value lowercased and trimmed, NULL when absent */
	char *precedence;     /* same */
	char *list_id;        /* List-Id, NULL when absent */
	char *return_path;    /* the bare address of Return-Path, "" for <>, NULL when absent */
	char *portal_notification; /* X-Portal-Notification (our own mail), NULL when absent */
	int is_bounce;        /* a delivery status notification: multipart/report with
			       * report-type=delivery-status, or From MAILER-DAEMON / postmaster@ */
	char *text;           /* the body as UTF-8 text (never NULL): the first text/plain part that
			       * is not an attachment, converted from its charset; else the first
			       * text/html part reduced to text (mail_html_to_text) */
	int text_from_html;
	struct mail_attachment *att; /* the other leaf parts with content (inline images too) */
	size_t natt;
};

/*
 * Parse the len bytes of data (CRLF or LF line ends; an mbox "From " line in front is skipped)
 * into *out. 0, or -1 with a reason in err when it is no message (empty, no header, no From
 * header), -2 when out of memory (try again later); *out then holds nothing to free. Never crashes on any input (a fuzz
 * target checks). Free with mail_parsed_free.
 *
 * Every string is valid UTF-8 without NUL and control characters (text keeps \n and \t; the
 * others are one line). Limits: subject 500 characters, display name 200, List-Id,
 * Auto-Submitted, Precedence and X-Portal-Notification 998; ids 1..998 bytes without spaces,
 * controls or <> (others are left out); MIME nesting walked 16 deep and at most 100 entities
 * (what lies beyond is ignored); lists MAIL_PARSE_MAX_LIST (of more References: the first and
 * the newest 99). Several inline text/plain parts (text, image, text) are joined by a blank
 * line. A message/rfc822 part is an attachment (filename "message.eml" unless it names one),
 * the signature part of multipart/signed is left out. A charset iconv does not know, or 8-bit
 * bytes without a charset (or US-ASCII) that are not UTF-8, are read as ISO-8859-1; bytes a
 * charset cannot convert, and invalid bytes in declared UTF-8, become U+FFFD.
 */
int mail_parse(const char *data, size_t len, struct mail_parsed *out, char *err, size_t errlen);
void mail_parsed_free(struct mail_parsed *m);

#endif
