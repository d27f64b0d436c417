/* mail_parse_test.c - mail_parse over the sample messages in test/mail/ and over hostile ones
 * made here (links GMime, see the Makefile). Run from the repository's root, as test/run.sh does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mail_parse.h"
#include "mail_text.h"
#include "str.h"

static char *slurp(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *data;
	long n;

	snprintf(path, sizeof path, "test/mail/%s", name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "FAIL cannot open %s (run from the repository root)\n", path);
		check_failed++;
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		data = NULL;
	}
	fclose(f);
	if (data)
		data[n] = '\0';
	*len = (size_t)n;
	return data;
}

/* Parse a sample file; 0 when it parsed. */
static int parse_file(const char *name, struct mail_parsed *m)
{
	size_t len;
	char err[128], *data = slurp(name, &len);
	int rc;

	memset(m, 0, sizeof *m);
	if (!data)
		return -1;
	rc = mail_parse(data, len, m, err, sizeof err);
	free(data);
	if (rc) {
		fprintf(stderr, "FAIL %s: %s\n", name, err);
		check_failed++;
	}
	return rc;
}

static int parse_str(const char *s, struct mail_parsed *m)
{
	char err[128];
	return mail_parse(s, strlen(s), m, err, sizeof err);
}

/* What every parse promises about its text. */
static int clean_text(const char *s, int multiline)
{
	size_t n = strlen(s);
	if (!utf8_valid(s, n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x7f || (c < 0x20 && !(multiline && (c == '\n' || c == '\t'))))
			return 0;
	}
	return 1;
}

static void test_mixed(void)
{
	struct mail_parsed m;

	if (parse_file("mixed_attachments.eml", &m))
		return;
	CHECK_STR(m.from_address, "anna.lindqvist@kund.example.se"); /* domain lowercased */
	CHECK_STR(m.from_name, "Anna Lindqvist");
	CHECK_STR(m.subject, "Invoice and offer attached");
	CHECK_STR(m.message_id, "7f3c2a1e-5b9d-4c1a-9e2f-0a1b2c3d4e5f@kund.example.se");
	CHECK(m.in_reply_to == NULL);
	CHECK_INT(m.nreferences, 0);
	CHECK_INT(m.nto, 1);
	CHECK_STR(m.to[0], "support@example.com");
	CHECK_INT(m.ncc, 1);
	CHECK_STR(m.cc[0], "olof.berg@kund.example.se");
	CHECK_INT(m.ndelivered_to, 1);
	CHECK_STR(m.delivered_to[0], "support@example.com");
	CHECK_STR(m.return_path, "anna.lindqvist@kund.example.se");
	CHECK(m.auto_submitted == NULL && m.precedence == NULL && m.list_id == NULL);
	CHECK_INT(m.is_bounce, 0);
	CHECK_INT(m.text_from_html, 0);
	CHECK_STR(m.text, "Hello,\n\nPlease find the invoice and our offer attached.\n\nBest regards,\nAnna\n");
	CHECK_INT(m.natt, 2);
	if (m.natt == 2) {
		CHECK_STR(m.att[0].filename, "invoice-2024-118.pdf");
		CHECK_STR(m.att[0].content_type, "application/pdf");
		CHECK(m.att[0].len > 8 && memcmp(m.att[0].data, "%PDF-1.4", 8) == 0);
		/* RFC 2231 continuation, UTF-8, percent-encoded */
		CHECK_STR(m.att[1].filename, "Offert r\xc3\xa4ksm\xc3\xb6rg\xc3\xa5s 2024.txt");
		CHECK_STR(m.att[1].content_type, "text/plain");
		CHECK_INT(m.att[1].len, strlen("Offert f\xc3\xb6r r\xc3\xa4ksm\xc3\xb6rg\xc3\xa5sar\nPris: 45 kr/st\n"));
	}
	mail_parsed_free(&m);
}

static void test_charsets(void)
{
	struct mail_parsed m;

	if (parse_file("latin1_qp.eml", &m) == 0) {
		CHECK_STR(m.from_name, "Bj\xc3\xb6rn \xc3\x85str\xc3\xb6m");
		CHECK_STR(m.subject, "Problem med inloggning p\xc3\xa5 portalen");
		CHECK(strstr(m.text, "sedan i m\xc3\xa5ndags. L\xc3\xb6senordet fungerar inte l\xc3\xa4ngre,\n") != NULL);
		CHECK(strstr(m.text, "\"Ogiltig l\xc3\xa4nk\"") != NULL);
		CHECK(clean_text(m.text, 1));
		mail_parsed_free(&m);
	}
	if (parse_file("shift_jis.eml", &m) == 0) {
		CHECK_STR(m.subject, "\xe8\xab\x8b\xe6\xb1\x82\xe6\x9b\xb8\xe3\x81\xab\xe3\x81\xa4\xe3\x81\x84\xe3\x81\xa6");
		CHECK_STR(m.from_name, "\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e");
		CHECK(strncmp(m.text, "\xe3\x81\x8a\xe4\xb8\x96\xe8\xa9\xb1\xe3\x81\xab", 12) == 0);
		CHECK(strstr(m.text, "\xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e\n") != NULL);
		CHECK(strchr(m.text, '\r') == NULL);
		mail_parsed_free(&m);
	}
	if (parse_file("iso_2022_jp.eml", &m) == 0) {
		CHECK_STR(m.subject, "\xe8\xab\x8b\xe6\xb1\x82\xe6\x9b\xb8\xe3\x81\xab\xe3\x81\xa4\xe3\x81\x84\xe3\x81\xa6");
		CHECK_STR(m.from_name, "");
		CHECK(strstr(m.text, "\xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e\n") != NULL);
		CHECK(strchr(m.text, 0x1b) == NULL);
		mail_parsed_free(&m);
	}
	/* an unknown charset: bytes read as latin1; declared UTF-8 with bad bytes: U+FFFD */
	if (parse_str("From: a@example.com\nContent-Type: text/plain; charset=x-no-such-thing\n\n"
		      "caf\xe9 ok\n", &m) == 0) {
		CHECK_STR(m.text, "caf\xc3\xa9 ok\n");
		mail_parsed_free(&m);
	}
	if (parse_str("From: a@example.com\nContent-Type: text/plain; charset=utf-8\n\nbad \xff\xfe!\n", &m) == 0) {
		CHECK_STR(m.text, "bad \xef\xbf\xbd\xef\xbf\xbd!\n");
		mail_parsed_free(&m);
	}
	/* no charset, 8-bit bytes that are not UTF-8 */
	if (parse_str("From: a@example.com\n\nr\xe4ksm\xf6rg\xe5s\n", &m) == 0) {
		CHECK_STR(m.text, "r\xc3\xa4ksm\xc3\xb6rg\xc3\xa5s\n");
		mail_parsed_free(&m);
	}
	/* bytes Shift_JIS cannot convert: U+FFFD, the rest kept */
	if (parse_str("From: a@example.com\nContent-Type: text/plain; charset=shift_jis\n\nA\x81\x7f" "B\xff" "C\n", &m) == 0) {
		CHECK(clean_text(m.text, 1));
		CHECK(m.text[0] == 'A' && strchr(m.text, 'B') && strchr(m.text, 'C'));
		CHECK(strstr(m.text, "\xef\xbf\xbd") != NULL);
		mail_parsed_free(&m);
	}
	/* NUL and control bytes never come through; CRLF becomes LF */
	{
		static const char raw[] = "From: a@example.com\r\nSubject: a\x01" "b\tc\r\n\r\nx\0y\x1b" "z\x7f\r\nq\tr\r\n";
		char err[64];
		if (mail_parse(raw, sizeof raw - 1, &m, err, sizeof err) == 0) {
			CHECK_STR(m.subject, "ab c");
			CHECK_STR(m.text, "xyz\nq\tr\n");
			mail_parsed_free(&m);
		} else {
			CHECK(0);
		}
	}
}

static void test_html(void)
{
	struct mail_parsed m;

	if (parse_file("html_only.eml", &m) == 0) {
		CHECK_INT(m.text_from_html, 1);
		CHECK(strstr(m.text, "SCRIPT-LEAK") == NULL && strstr(m.text, "STYLE-LEAK") == NULL);
		CHECK(strstr(m.text, "Order 4711") == NULL); /* the title */
		CHECK(strstr(m.text, "alert") == NULL && strstr(m.text, "color") == NULL);
		CHECK(strncmp(m.text, "Hello team,\n\n", 13) == 0);
		CHECK(strstr(m.text, "has not arrived & the tracking page says \"unknown\" <sic>.") != NULL);
		CHECK(strstr(m.text, "Caf\xc3\xa9 caf\xc3\xa9 \xe2\x82\xac" "20 \xe2\x80\x94 still") != NULL);
		CHECK(strstr(m.text, "my order page (https://shop.example.org/orders/4711)") != NULL);
		CHECK(strstr(m.text, "or https://shop.example.org/help.") != NULL);
		CHECK(strstr(m.text, "- First item\n- Second item") != NULL);
		CHECK(strstr(m.text, "Thanks,\nCarla") != NULL);
		CHECK(strstr(m.text, "pixel") == NULL);
		CHECK_INT(m.natt, 0);
		mail_parsed_free(&m);
	}
	if (parse_file("alternative.eml", &m) == 0) {
		CHECK_INT(m.text_from_html, 0); /* the text part preferred */
		CHECK(strstr(m.text, "HTML-VERSION") == NULL);
		CHECK(strstr(m.text, "the \xe2\x80\x9c" "Company\xe2\x80\x9d and \xe2\x80\x9cStatus\xe2\x80\x9d columns") != NULL);
		CHECK_INT(m.natt, 0); /* the HTML alternative is no attachment */
		CHECK_STR(m.from_address, "david.chen@example.com.au");
		mail_parsed_free(&m);
	}
}

static void test_noise(void)
{
	struct mail_parsed m;

	if (parse_file("bounce_dsn.eml", &m) == 0) {
		CHECK_INT(m.is_bounce, 1);
		CHECK_STR(m.return_path, "");
		CHECK_STR(m.from_address, "MAILER-DAEMON@mx.example.com");
		CHECK_STR(m.auto_submitted, "auto-replied");
		CHECK(strstr(m.text, "could not\nbe delivered") != NULL);
		CHECK_INT(m.natt, 2);
		if (m.natt == 2) {
			CHECK_STR(m.att[0].content_type, "message/delivery-status");
			CHECK_STR(m.att[1].content_type, "text/rfc822-headers");
		}
		mail_parsed_free(&m);
	}
	if (parse_file("auto_reply.eml", &m) == 0) {
		CHECK_STR(m.auto_submitted, "auto-replied"); /* lowercased */
		CHECK_INT(m.is_bounce, 0);
		CHECK_STR(m.return_path, "");
		CHECK_STR(m.in_reply_to, "portal.42.1715908200.abcd@example.com");
		CHECK_STR(m.to[0], "support+t42-0123456789abcdef@example.com");
		CHECK(strstr(m.text, "Vielen Dank f\xc3\xbcr Ihre Nachricht. Ich bin bis zum 27. Mai nicht im B\xc3\xbcro und") != NULL);
		mail_parsed_free(&m);
	}
	if (parse_file("list_bulk.eml", &m) == 0) {
		CHECK_STR(m.precedence, "bulk");
		CHECK_STR(m.list_id, "Example News Weekly <weekly.news.example.com>");
		CHECK(m.auto_submitted == NULL);
		CHECK_INT(m.is_bounce, 0);
		mail_parsed_free(&m);
	}
	/* a report wrapped in multipart/mixed, from an ordinary address */
	if (parse_str("From: gw@example.org\nContent-Type: multipart/mixed; boundary=o\n\n--o\n"
		      "Content-Type: multipart/report; report-type=\"Delivery-Status\"; boundary=i\n\n"
		      "--i\nContent-Type: text/plain\n\nfailed\n--i--\n--o--\n", &m) == 0) {
		CHECK_INT(m.is_bounce, 1);
		CHECK_STR(m.text, "failed");
		mail_parsed_free(&m);
	}
	/* MAILER-DAEMON without a domain: no valid address, a bounce all the same */
	if (parse_str("From: Mail Delivery Subsystem <MAILER-DAEMON>\nSubject: failure\n\nx\n", &m) == 0) {
		CHECK_STR(m.from_address, "");
		CHECK_INT(m.is_bounce, 1);
		mail_parsed_free(&m);
	} else {
		CHECK(0);
	}
	if (parse_str("From: postmaster@example.org\n\nx\n", &m) == 0) {
		CHECK_INT(m.is_bounce, 1);
		mail_parsed_free(&m);
	}
	/* our own notification coming back */
	if (parse_str("From: support@example.com\nX-Portal-Notification: agent_reply\n\nx\n", &m) == 0) {
		CHECK_STR(m.portal_notification, "agent_reply");
		mail_parsed_free(&m);
	}
}

static void test_replies(void)
{
	struct mail_parsed m;
	char *cut;
	int c;

	if (parse_file("reply_outlook.eml", &m) == 0) {
		CHECK_STR(m.from_address, "Maria.Keller@firma.example.de");
		CHECK_STR(m.from_name, "Keller, Maria");
		CHECK_STR(m.subject, "RE: [#42] Your ticket was answered");
		CHECK_STR(m.in_reply_to, "portal.42.1715908200.abcd@example.com");
		cut = mail_cut_quoted(m.text, &c);
		CHECK_STR(cut, "Thanks, that fixed it. You can close the ticket.\n\nMaria");
		CHECK_INT(c, 1);
		free(cut);
		mail_parsed_free(&m);
	}
	if (parse_file("reply_gmail.eml", &m) == 0) {
		CHECK_STR(m.message_id, "CAH3x9vZq2Kp7R+Gm8sT4wYy1vN5bQ0cX6dE7fG8hI9jK0lM1nA@mail.gmail.example");
		CHECK_INT(m.nreferences, 1);
		cut = mail_cut_quoted(m.text, &c);
		CHECK_STR(cut, "It still happens after clearing the cache. Screenshot tomorrow.");
		free(cut);
		mail_parsed_free(&m);
	}
	if (parse_file("reply_marker.eml", &m) == 0) {
		CHECK_STR(m.subject, "SV: [#42] Ditt \xc3\xa4rende har besvarats");
		cut = mail_cut_quoted(m.text, &c);
		CHECK_STR(cut, "Tack, nu fungerar det!\n\nH\xc3\xa4lsningar\nKarin");
		free(cut);
		mail_parsed_free(&m);
	}
	if (parse_file("reply_sv.eml", &m) == 0) {
		cut = mail_cut_quoted(m.text, &c);
		CHECK_STR(cut, "Det hj\xc3\xa4lpte inte, samma fel kvarst\xc3\xa5r.\n\n/Erik");
		free(cut);
		mail_parsed_free(&m);
	}
}

static void test_threading(void)
{
	struct mail_parsed m;

	if (parse_file("references.eml", &m) == 0) {
		CHECK_STR(m.in_reply_to, "portal.42.1716000000.ef01@example.com");
		CHECK_INT(m.nreferences, 4);
		if (m.nreferences == 4) {
			CHECK_STR(m.references[0], "7f3c2a1e-5b9d-4c1a-9e2f-0a1b2c3d4e5f@kund.example.se");
			CHECK_STR(m.references[1], "portal.42.1715908200.abcd@example.com");
			CHECK_STR(m.references[3], "portal.42.1716000000.ef01@example.com");
		}
		mail_parsed_free(&m);
	}
	if (parse_file("no_message_id.eml", &m) == 0) {
		CHECK(m.message_id == NULL);
		CHECK_STR(m.from_name, "");
		CHECK_STR(m.text, "/var is 93% full on host.example.org\n");
		mail_parsed_free(&m);
	}
	/* more References than the limit: the root and the newest */
	{
		char *big = malloc(20000);
		size_t o = (size_t)sprintf(big, "From: a@example.com\nReferences:");
		for (int i = 0; i < 150; i++)
			o += (size_t)sprintf(big + o, " <id%d@example.com>", i);
		sprintf(big + o, "\nIn-Reply-To: <x@y> <z@w>\n\nbody\n");
		if (parse_str(big, &m) == 0) {
			CHECK_INT(m.nreferences, MAIL_PARSE_MAX_LIST);
			CHECK_STR(m.references[0], "id0@example.com");
			CHECK_STR(m.references[1], "id51@example.com");
			CHECK_STR(m.references[MAIL_PARSE_MAX_LIST - 1], "id149@example.com");
			CHECK_STR(m.in_reply_to, "x@y");
			mail_parsed_free(&m);
		}
		free(big);
	}
	/* more To addresses than the limit */
	{
		char *big = malloc(20000);
		size_t o = (size_t)sprintf(big, "From: a@example.com\nTo: ");
		for (int i = 0; i < 150; i++)
			o += (size_t)sprintf(big + o, "%su%d@example.com", i ? ", " : "", i);
		sprintf(big + o, "\nDelivered-To: d1@example.com\nDelivered-To: <D2@Example.COM>\n\nbody\n");
		if (parse_str(big, &m) == 0) {
			CHECK_INT(m.nto, MAIL_PARSE_MAX_LIST);
			CHECK_STR(m.to[99], "u99@example.com");
			CHECK_INT(m.ndelivered_to, 2);
			CHECK_STR(m.delivered_to[1], "D2@example.com");
			mail_parsed_free(&m);
		}
		free(big);
	}
}

static void test_hostile(void)
{
	struct mail_parsed m;
	char err[128];

	/* no message */
	CHECK_INT(mail_parse("", 0, &m, err, sizeof err), -1);
	CHECK(err[0] != '\0');
	CHECK_INT(mail_parse("just some text\n", 15, &m, err, sizeof err), -1);
	CHECK_INT(parse_str("Subject: no from\n\nbody\n", &m), -1);
	CHECK(m.text == NULL && m.from_address == NULL);
	/* a From that is no address */
	if (parse_str("From: not an address\n\nbody\n", &m) == 0) {
		CHECK_STR(m.from_address, "");
		mail_parsed_free(&m);
	}
	/* an mbox From line in front */
	if (parse_str("From sender@example.com Mon May 20 10:00:00 2024\nFrom: b@example.com\n\nhi\n", &m) == 0) {
		CHECK_STR(m.from_address, "b@example.com");
		mail_parsed_free(&m);
	} else {
		CHECK(0);
	}
	/* a subject with an encoded line break and controls is one line */
	if (parse_str("From: a@example.com\nSubject: =?utf-8?Q?one=0D=0Atwo=00three=1B?=\n  four\n\nx\n", &m) == 0) {
		/* GMime turns the NUL into '?'; whatever it does, one clean line */
		CHECK(clean_text(m.subject, 0));
		CHECK(strncmp(m.subject, "one two", 7) == 0);
		CHECK(strstr(m.subject, "three four") != NULL);
		mail_parsed_free(&m);
	}
	/* a display name with a newline and a bidi override */
	if (parse_str("From: =?utf-8?Q?Eve=0A=E2=80=AE?= <eve@example.com>\n\nx\n", &m) == 0) {
		CHECK(clean_text(m.from_name, 0));
		CHECK(strncmp(m.from_name, "Eve", 3) == 0);
		mail_parsed_free(&m);
	}
	/* an id with spaces or angle brackets is left out */
	if (parse_str("From: a@example.com\nMessage-ID: <a b@c>\nIn-Reply-To: garbage\n\nx\n", &m) == 0) {
		CHECK(m.message_id == NULL || (!strchr(m.message_id, ' ') && !strchr(m.message_id, '<')));
		mail_parsed_free(&m);
	}
	/* file names: the path cut off, controls and quotes dropped, never empty, "." or ".." */
	if (parse_str("From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
		      "Content-Type: text/plain\n\nhello\n--b\n"
		      "Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"../../etc/passwd\"\n\nroot\n--b\n"
		      "Content-Type: application/octet-stream\nContent-Disposition: attachment; filename*=UTF-8''%E2%80%AEgnp.exe%0D%22x\n\nmz\n--b\n"
		      "Content-Type: image/PNG\nContent-Disposition: inline; filename=\"..\"\n\npng\n--b\n"
		      "Content-Type: application/octet-stream\nContent-Disposition: attachment\n\n\n--b\n"
		      "Content-Type: Bad Type\nContent-Disposition: attachment; filename=\"C:\\\\Users\\\\x\\\\doc.txt\"\n\ndoc\n--b--\n",
		      &m) == 0) {
		CHECK_STR(m.text, "hello");
		CHECK_INT(m.natt, 4); /* the empty one is not kept */
		if (m.natt == 4) {
			CHECK_STR(m.att[0].filename, "passwd");
			CHECK_STR(m.att[1].filename, "gnp.exex");
			CHECK_STR(m.att[2].filename, "attachment");
			CHECK_STR(m.att[2].content_type, "image/png");
			CHECK_STR(m.att[3].filename, "doc.txt");
			CHECK(strchr(m.att[3].content_type, ' ') == NULL);
		}
		mail_parsed_free(&m);
	}
	/* 150 parts: at most 100 entities walked */
	{
		char *big = malloc(200000);
		size_t o = (size_t)sprintf(big, "From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n");
		for (int i = 0; i < 150; i++)
			o += (size_t)sprintf(big + o, "--b\nContent-Type: application/octet-stream\n"
						    "Content-Disposition: attachment; filename=f%d.bin\n\ndata%d\n", i, i);
		sprintf(big + o, "--b--\n");
		if (parse_str(big, &m) == 0) {
			CHECK(m.natt > 0 && m.natt < 100);
			mail_parsed_free(&m);
		} else {
			CHECK(0);
		}
		free(big);
	}
	/* deep nesting: no crash, the text past the depth limit is ignored */
	{
		char *big = malloc(400000);
		size_t o = (size_t)sprintf(big, "From: a@example.com\nContent-Type: multipart/mixed; boundary=b0\n\n");
		for (int i = 1; i < 3000; i++)
			o += (size_t)sprintf(big + o, "--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n", i - 1, i);
		o += (size_t)sprintf(big + o, "--b2999\nContent-Type: text/plain\n\ndeep\n");
		big[o] = '\0';
		if (parse_str(big, &m) == 0) {
			CHECK(strstr(m.text, "deep") == NULL);
			mail_parsed_free(&m);
		}
		free(big);
	}
	/* nested message/rfc822: an attachment, its text not taken as the body */
	if (parse_str("From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
		      "Content-Type: text/plain\n\nsee attached\n--b\nContent-Type: message/rfc822\n\n"
		      "From: c@example.com\nSubject: inner\n\ninner text\n--b--\n", &m) == 0) {
		CHECK_STR(m.text, "see attached");
		CHECK_INT(m.natt, 1);
		if (m.natt == 1) {
			CHECK_STR(m.att[0].filename, "message.eml");
			CHECK_STR(m.att[0].content_type, "message/rfc822");
			CHECK(memmem(m.att[0].data, m.att[0].len, "inner text", 10) != NULL);
		}
		mail_parsed_free(&m);
	}
	/* text, image, text (Apple Mail): both texts, the image an attachment */
	if (parse_str("From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
		      "Content-Type: text/plain\n\nbefore\n--b\nContent-Type: image/png\nContent-Disposition: inline; filename=a.png\n"
		      "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--b\nContent-Type: text/plain\n\nafter\n--b--\n", &m) == 0) {
		CHECK_STR(m.text, "before\n\nafter");
		CHECK_INT(m.natt, 1);
		if (m.natt == 1)
			CHECK(m.att[0].len == 8 && memcmp(m.att[0].data, "\x89PNG\r\n\x1a\n", 8) == 0);
		mail_parsed_free(&m);
	}
	/* the signature of multipart/signed is left out */
	if (parse_str("From: a@example.com\nContent-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=s\n\n"
		      "--s\nContent-Type: text/plain\n\nsigned text\n--s\nContent-Type: application/pgp-signature\n\n"
		      "-----BEGIN PGP SIGNATURE-----\nx\n-----END PGP SIGNATURE-----\n--s--\n", &m) == 0) {
		CHECK_STR(m.text, "signed text");
		CHECK_INT(m.natt, 0);
		mail_parsed_free(&m);
	}
}

int main(void)
{
	test_mixed();
	test_charsets();
	test_html();
	test_noise();
	test_replies();
	test_threading();
	test_hostile();
	return CHECK_DONE("mail_parse");
}
