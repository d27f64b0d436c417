/* mail_test.c - unit tests of lib/mail: composition, header safety, .eml files, SMTP errors. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "mail.h"

#define FROM "Acme Support <support@example.com>"

static int crlf_only(const struct buf *b)
{
	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] == '\n' && (i == 0 || b->data[i - 1] != '\r'))
			return 0;
		if (b->data[i] == '\r' && (i + 1 == b->len || b->data[i + 1] != '\n'))
			return 0;
	}
	return 1;
}

static size_t longest_line(const struct buf *b)
{
	size_t max = 0, col = 0;
	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] == '\r' || b->data[i] == '\n') {
			col = 0;
			continue;
		}
		if (++col > max)
			max = col;
	}
	return max;
}

/* The body of the part whose headers contain marker, up to the next boundary or the end. */
static char *part_body(const char *msg, const char *marker)
{
	const char *p = strstr(msg, marker);
	p = p ? strstr(p, "\r\n\r\n") : NULL;
	if (!p)
		return NULL;
	p += 4;
	const char *end = strstr(p, "\r\n--=_part_");
	size_t n = end ? (size_t)(end - p) : strlen(p);
	return strndup(p, n);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Quoted-printable decoding: soft breaks removed, =XX decoded, CRLF kept. */
static char *qp_decode(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	while (*s) {
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
			s += 3;
		} else if (s[0] == '=' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 3;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

/* Base64 over CRLF-separated lines. */
static char *b64_decode(const char *s)
{
	size_t n = strlen(s), k = 0;
	char *clean = calloc(1, n + 1), *out = calloc(1, n + 1);
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n')
			clean[k++] = s[i];
	int len = EVP_DecodeBlock((unsigned char *)out, (unsigned char *)clean, (int)k);
	while (len > 0 && k >= 1 && clean[k - 1] == '=') {
		len--;
		k--;
	}
	out[len < 0 ? 0 : len] = '\0';
	free(clean);
	return out;
}

/* Decode the Subject's encoded-words; each must be <= 75 characters and hold whole characters. */
static char *subject_decode(const char *msg, int *ok)
{
	const char *p = strstr(msg, "\r\nSubject: ");
	struct buf out = BUF_INIT;
	*ok = p != NULL;
	for (p = p ? p + 11 : NULL; p && strncmp(p, "=?UTF-8?B?", 10) == 0;) {
		const char *end = strstr(p, "?=");
		*ok &= end && end - p + 2 <= 75;
		char *word = strndup(p + 10, (size_t)(end - p - 10));
		char *dec = b64_decode(word);
		*ok &= ((unsigned char)dec[0] & 0xc0) != 0x80;
		buf_puts(&out, dec);
		free(word);
		free(dec);
		p = end + 2;
		if (strncmp(p, "\r\n ", 3) == 0)
			p += 3;
	}
	buf_putc(&out, '\0');
	return out.data;
}

static void test_compose_plain(void)
{
	struct buf b = BUF_INIT;
	const char *text = "Hello Ada,\n\nyour ticket #12 has a reply.\n. a dot line\nFrom here on\n"
			   "a = sign, trailing space \nand a very long line that goes on and on and "
			   "on and on well past the seventy-six character limit of the format.\n";
	CHECK_INT(mail_compose(&b, FROM, "ada@example.com", "Re: your ticket", text, NULL, NULL,
			       "portal.example.com", 42),
		  0);
	CHECK(crlf_only(&b));
	CHECK(longest_line(&b) <= 76);
	CHECK(strncmp(b.data, "Date: ", 6) == 0);
	CHECK(strstr(b.data, " +0000\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nFrom: Acme Support <support@example.com>\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nTo: ada@example.com\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nSubject: Re: your ticket\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nMessage-ID: <outbox-42.") != NULL);
	CHECK(strstr(b.data, "@portal.example.com>\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nMIME-Version: 1.0\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nContent-Type: text/plain; charset=utf-8\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nContent-Transfer-Encoding: quoted-printable\r\n") != NULL);
	CHECK(strstr(b.data, "multipart") == NULL);
	CHECK(strstr(b.data, "\r\n.") == NULL);     /* no line starts with a dot */
	CHECK(strstr(b.data, "\r\nFrom here") == NULL); /* nor with "From " */
	CHECK(strstr(b.data, "a =3D sign, trailing space=20\r\n") != NULL);
	CHECK(b.len >= 2 && memcmp(b.data + b.len - 2, "\r\n", 2) == 0);
	char *body = part_body(b.data, "Content-Transfer-Encoding: quoted-printable");
	char *dec = body ? qp_decode(body) : NULL;
	struct buf want = BUF_INIT;
	for (const char *p = text; *p; p++)
		buf_puts(&want, *p == '\n' ? "\r\n" : (char[]){*p, 0});
	CHECK_STR(dec, want.data);
	free(body);
	free(dec);
	buf_free(&want);
	buf_free(&b);
}

static void test_compose_alternative(void)
{
	struct buf b = BUF_INIT;
	const char *html = "<p>Hello <b>Ada</b> &mdash; your ticket has a reply.</p>";
	CHECK_INT(mail_compose(&b, FROM, "ada@example.com", "Reply", "Hello Ada", html, NULL, NULL, 7), 0);
	CHECK(crlf_only(&b));
	CHECK(longest_line(&b) <= 76);
	CHECK(strstr(b.data, "\r\nMessage-ID: <outbox-7.") != NULL);
	CHECK(strstr(b.data, "@example.com>\r\n") != NULL); /* domain of From */
	const char *ct = strstr(b.data, "Content-Type: multipart/alternative;\r\n boundary=\"");
	CHECK(ct != NULL);
	char boundary[64] = "";
	if (ct)
		sscanf(ct + strlen("Content-Type: multipart/alternative;\r\n boundary=\""), "%63[^\"]",
		       boundary);
	char delim[128], close[128];
	snprintf(delim, sizeof delim, "\r\n--%s\r\nContent-Type: text/plain", boundary);
	CHECK(strstr(b.data, delim) != NULL);
	snprintf(delim, sizeof delim, "\r\n--%s\r\nContent-Type: text/html", boundary);
	CHECK(strstr(b.data, delim) != NULL);
	snprintf(close, sizeof close, "\r\n--%s--\r\n", boundary);
	CHECK(strstr(b.data, close) != NULL);
	CHECK(strstr(b.data, "text/html; charset=utf-8\r\n") != NULL);
	char *body = part_body(b.data, "Content-Type: text/html");
	char *dec = body ? qp_decode(body) : NULL;
	CHECK_STR(dec, html);
	free(body);
	free(dec);
	buf_free(&b);
}

static void test_compose_utf8(void)
{
	struct buf b = BUF_INIT;
	const char *subject = "Ваш запрос №12 получил ответ — «Привет», Grüße und Äpfel, 日本語の件名も";
	const char *text = "Здравствуйте!\nВаш запрос получил ответ.\n";
	CHECK_INT(mail_compose(&b, "Süpport Tëam <support@example.com>", "ada@example.com",
			       subject, text, NULL, NULL, NULL, 3),
		  0);
	CHECK(crlf_only(&b));
	CHECK(longest_line(&b) <= 76);
	CHECK(strstr(b.data, "\r\nSubject: =?UTF-8?B?") != NULL);
	int ok = 0;
	char *dec = subject_decode(b.data, &ok);
	CHECK(ok);
	CHECK_STR(dec, subject);
	free(dec);
	CHECK(strstr(b.data, "\r\nFrom: =?UTF-8?B?") != NULL);
	CHECK(strstr(b.data, "?= <support@example.com>\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nContent-Transfer-Encoding: base64\r\n") != NULL);
	char *body = part_body(b.data, "Content-Transfer-Encoding: base64");
	char *plain = body ? b64_decode(body) : NULL;
	CHECK_STR(plain, "Здравствуйте!\r\nВаш запрос получил ответ.\r\n");
	free(body);
	free(plain);
	buf_reset(&b);
	/* A long ASCII subject is folded at spaces; "=?" alone forces encoding. */
	char longsub[300] = "";
	for (int i = 0; i < 30; i++)
		strcat(longsub, "subject ");
	CHECK_INT(mail_compose(&b, FROM, "ada@example.com", longsub, "x", NULL, NULL, NULL, 4), 0);
	CHECK(longest_line(&b) <= 78);
	CHECK(strstr(b.data, "subject\r\n subject") != NULL);
	buf_reset(&b);
	CHECK_INT(mail_compose(&b, FROM, "ada@example.com", "a =?x?q?y?= b", "x", NULL, NULL, NULL, 5), 0);
	CHECK(strstr(b.data, "\r\nSubject: =?UTF-8?B?") != NULL);
	buf_free(&b);
}

static void test_compose_refused(void)
{
	struct buf b = BUF_INIT;
	const char *to = "ada@example.com";
	CHECK_INT(mail_compose(&b, FROM, to, "Hi\r\nBcc: eve@example.net", "x", NULL, NULL, NULL, 1), -1);
	CHECK_INT(mail_compose(&b, FROM, to, "Hi\nBcc: eve@example.net", "x", NULL, NULL, NULL, 1), -1);
	CHECK_INT(mail_compose(&b, FROM, to, "Hi\rthere", "x", NULL, NULL, NULL, 1), -1);
	CHECK_INT(mail_compose(&b, FROM, "ada@example.com\r\nBcc: eve@example.net", "Hi", "x",
			       NULL, NULL, NULL, 1),
		  -1);
	CHECK_INT(mail_compose(&b, "Eve\n <eve@example.net>", to, "Hi", "x", NULL, NULL, NULL, 1), -1);
	CHECK_INT(mail_compose(&b, FROM, to, "Hi", "x", NULL, NULL, "evil.example\r\nX: y", 1), -1);
	const char *bad[] = {"ada example.com", "ada @example.com", "Ada <ada@example.com>",
			     "<ada@example.com>", "ada@example.com,eve@example.net",
			     "ada@example.com;eve@example.net", "ada", "@example.com", "ada@",
			     "ada@@example.com", "ada@exa mple.com", "ada@example..com",
			     "ada@.example.com", "\"ada\"@example.com", "", NULL};
	for (int i = 0; bad[i]; i++) {
		int rc = mail_compose(&b, FROM, bad[i], "Hi", "x", NULL, NULL, NULL, 1);
		CHECK_INT(rc, -1);
		if (rc != -1)
			fprintf(stderr, "  accepted bad address: %s\n", bad[i]);
	}
	CHECK_INT(mail_compose(&b, "not an address", to, "Hi", "x", NULL, NULL, NULL, 1), -1);
	CHECK_INT(mail_compose(&b, FROM, NULL, "Hi", "x", NULL, NULL, NULL, 1), -1);
	CHECK_INT(b.len, 0); /* nothing appended by a refusal */
	CHECK(mail_address_ok("o'brien+tag@mail.example.co.uk"));
	buf_free(&b);
}

static void test_addresses(void)
{
	char a[256];
	CHECK_INT(mail_bare_address("Acme Support <support@example.com>", a, sizeof a), 0);
	CHECK_STR(a, "support@example.com");
	CHECK_INT(mail_bare_address("  support@example.com ", a, sizeof a), 0);
	CHECK_STR(a, "support@example.com");
	CHECK_INT(mail_bare_address("\"Acme, Inc\" <help@acme.example>", a, sizeof a), 0);
	CHECK_STR(a, "help@acme.example");
	CHECK_INT(mail_bare_address("Acme <help@acme.example> trailing", a, sizeof a), -1);
	CHECK_INT(mail_bare_address("Acme <help@acme.example", a, sizeof a), -1);
	CHECK_INT(mail_bare_address("Acme <>", a, sizeof a), -1);
	CHECK_INT(mail_bare_address("Acme <help@acme.example>", a, 5), -1);

	struct buf b = BUF_INIT;
	CHECK_INT(mail_compose(&b, "\"Acme, Inc\" <help@acme.example>", "ada@example.com", "Hi",
			       "x", NULL, NULL, NULL, 1),
		  0);
	CHECK(strstr(b.data, "\r\nFrom: \"Acme, Inc\" <help@acme.example>\r\n") != NULL);
	buf_reset(&b);
	CHECK_INT(mail_compose(&b, "help@acme.example", "ada@example.com", "Hi", "x", NULL, NULL, NULL, 1),
		  0);
	CHECK(strstr(b.data, "\r\nFrom: help@acme.example\r\n") != NULL);
	buf_free(&b);

	char u[256];
	mail_url_display("smtp://user:secret@mail.example.com:587/?starttls=required", u, sizeof u);
	CHECK_STR(u, "smtp://mail.example.com:587");
	mail_url_display("smtps://mail.example.com", u, sizeof u);
	CHECK_STR(u, "smtps://mail.example.com");
}

static void test_compose_threading(void)
{
	struct buf b = BUF_INIT;
	struct mail_headers h = {.reply_to = "support+t42-0123456789abcdef@example.com",
				 .message_id = "n.abc@example.com", .in_reply_to = "b@mail.example",
				 .references = "ticket-42@example.com a@mail.example b@mail.example",
				 .notification = "agent_reply"};
	CHECK_INT(mail_compose(&b, "Acme <support@example.com>", "ada@example.com", "Hi", "x", NULL, &h,
			       NULL, 9),
		  0);
	CHECK(crlf_only(&b));
	CHECK(strstr(b.data, "\r\nReply-To: support+t42-0123456789abcdef@example.com\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nMessage-ID: <n.abc@example.com>\r\n") != NULL);
	CHECK(strstr(b.data, "outbox-9") == NULL);
	CHECK(strstr(b.data, "\r\nIn-Reply-To: <b@mail.example>\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nReferences: <ticket-42@example.com>\r\n <a@mail.example>\r\n"
			     " <b@mail.example>\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nX-Portal-Notification: agent_reply\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nAuto-Submitted: auto-generated\r\n") != NULL);
	CHECK(longest_line(&b) <= 78);
	buf_free(&b);
	/* each optional header refuses what could break out of it */
	const struct mail_headers bad[] = {
		{.reply_to = "x@example.com\r\nBcc: eve@example.net"},
		{.reply_to = "Eve <eve@example.net>"},
		{.message_id = "a b@example.com"},
		{.message_id = "<a@example.com>"},
		{.message_id = "no-at-sign"},
		{.in_reply_to = "a@example.com\r\nBcc: eve@example.net"},
		{.references = "a@example.com  b@example.com"},
		{.references = "a@example.com\nb@example.com"},
		{.references = "a@example.com "},
		{.notification = "Agent Reply"},
		{.notification = "x\r\nBcc: y"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = mail_compose(&b, FROM, "ada@example.com", "Hi", "x", NULL, &bad[i], NULL, 1);
		CHECK_INT(rc, -1);
		if (rc != -1)
			fprintf(stderr, "  accepted bad header set %zu\n", i);
	}
	CHECK_INT(b.len, 0);
	/* empty strings are left out */
	struct mail_headers empty = {.reply_to = "", .message_id = "", .references = ""};
	CHECK_INT(mail_compose(&b, FROM, "ada@example.com", "Hi", "x", NULL, &empty, NULL, 3), 0);
	CHECK(strstr(b.data, "Reply-To") == NULL && strstr(b.data, "References") == NULL);
	CHECK(strstr(b.data, "Message-ID: <outbox-3.") != NULL);
	buf_free(&b);
}

static void test_eml(void)
{
	char dir[] = "/tmp/mail_test.XXXXXX", path[512], want[600];
	CHECK(mkdtemp(dir) != NULL);
	struct buf b = BUF_INIT;
	CHECK_INT(mail_compose(&b, FROM, "ada@example.com", "Hi", "Hello", NULL, NULL, NULL, 12), 0);
	mode_t old = umask(077);
	CHECK_INT(mail_write_eml(dir, 12, &b, path, sizeof path), 0);
	umask(old);
	snprintf(want, sizeof want, "%s/12.eml", dir);
	CHECK_STR(path, want);
	struct stat st;
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0640);
	CHECK_INT(st.st_size, (long long)b.len);
	FILE *f = fopen(path, "rb");
	char *got = calloc(1, b.len + 1);
	CHECK(f && fread(got, 1, b.len, f) == b.len && memcmp(got, b.data, b.len) == 0);
	if (f)
		fclose(f);
	free(got);
	CHECK_INT(mail_write_eml(dir, 12, &b, path, sizeof path), 0); /* replaces */
	int files = 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));)
		files += e->d_name[0] != '.';
	if (d)
		closedir(d);
	CHECK_INT(files, 1); /* no temporary file left behind */
	CHECK_INT(mail_write_eml("/nonexistent/dir", 1, &b, path, sizeof path), -1);
	unlink(want);
	rmdir(dir);
	buf_free(&b);
}

static int closed_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) < 0) {
		if (s >= 0)
			close(s);
		return 1;
	}
	close(s); /* nothing listens there now */
	return ntohs(a.sin_port);
}

static void test_smtp_unreachable(void)
{
	struct buf b = BUF_INIT;
	char url[64], err[512];
	CHECK_INT(mail_compose(&b, FROM, "ada@example.com", "Hi", "Hello", NULL, NULL, NULL, 1), 0);
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", closed_port());
	int rc = mail_send_smtp(url, "mailer", "s3cret-pw", FROM, "ada@example.com", &b, err,
				sizeof err);
	CHECK_INT(rc, MAIL_TEMPFAIL);
	CHECK(err[0] != '\0');
	CHECK(strstr(err, "s3cret-pw") == NULL);
	rc = mail_send_smtp("http://127.0.0.1/", NULL, NULL, FROM, "ada@example.com", &b, err,
			    sizeof err);
	CHECK_INT(rc, MAIL_TEMPFAIL);
	rc = mail_send_smtp(url, NULL, NULL, FROM, "not an address", &b, err, sizeof err);
	CHECK_INT(rc, MAIL_PERMFAIL);
	buf_free(&b);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_compose_plain();
	test_compose_alternative();
	test_compose_utf8();
	test_compose_refused();
	test_compose_threading();
	test_addresses();
	test_eml();
	test_smtp_unreachable();
	curl_global_cleanup();
	return CHECK_DONE("mail");
}
