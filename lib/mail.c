/* mail.c - compose RFC 5322/MIME messages (delivery: mail_send.c). */
#include "mail.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "str.h"

#define HDR_MAX 78   /* folded header lines stay within this where words allow */
#define QP_TEXT 75   /* characters of quoted-printable before the soft break '=' */
#define B64_LINE 57  /* input bytes per 76-character base64 line */
#define WORD_RAW 39  /* input bytes per RFC 2047 encoded-word: 52 base64, 64 in all */

static void random_hex(char *out, size_t nbytes)
{
	unsigned char r[32];
	if (nbytes > sizeof r)
		nbytes = sizeof r;
	if (RAND_bytes(r, (int)nbytes) != 1) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		unsigned long x = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 20);
		for (size_t i = 0; i < nbytes; i++, x = x * 6364136223846793005UL + 1)
			r[i] = (unsigned char)(x >> 33);
	}
	hex_encode(r, nbytes, out);
}

/* No CR, LF or other control byte (tab allowed): nothing can start a new header. */
static int header_safe(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

static int domain_ok(const char *d)
{
	if (!*d || *d == '.' || *d == '-' || d[strlen(d) - 1] == '.' || strstr(d, ".."))
		return 0;
	for (; *d; d++) {
		unsigned char c = (unsigned char)*d;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

int mail_address_ok(const char *s)
{
	const char *at = s ? strchr(s, '@') : NULL;
	if (!at || at == s || strchr(at + 1, '@') || strlen(s) >= MAIL_ADDR_MAX)
		return 0;
	for (const char *p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || strchr("<>,;:\"()[]\\", c))
			return 0;
	}
	return domain_ok(at + 1);
}

/* Split "Name <addr>" into the trimmed name (may be empty) and the address span. */
static int split_mailbox(const char *from, const char **name, size_t *nlen, const char **addr,
			 size_t *alen)
{
	const char *end = from + strlen(from), *lt = strrchr(from, '<');
	const char *a = from, *ae = end, *n = from, *ne = from;
	if (lt) {
		const char *gt = strchr(lt, '>'), *rest = gt ? gt + 1 : end;
		str_trim(&rest, &end, " \t");
		if (!gt || rest != end)
			return -1;
		a = lt + 1;
		ae = gt;
		ne = lt;
		str_trim(&n, &ne, " \t");
		if (ne - n >= 2 && *n == '"' && ne[-1] == '"') {
			n++;
			ne--;
		}
	}
	str_trim(&a, &ae, " \t");
	*name = n;
	*nlen = (size_t)(ne - n);
	*addr = a;
	*alen = (size_t)(ae - a);
	return 0;
}

int mail_bare_address(const char *from, char *out, size_t cap)
{
	const char *name, *addr;
	size_t nlen, alen;
	if (!from || split_mailbox(from, &name, &nlen, &addr, &alen) < 0 || alen == 0 ||
	    alen >= cap)
		return -1;
	memcpy(out, addr, alen);
	out[alen] = '\0';
	return mail_address_ok(out) ? 0 : -1;
}

static int needs_encoded_word(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || (s[i] == '=' && i + 1 < n && s[i + 1] == '?'))
			return 1;
	return 0;
}

/* RFC 2047 encoded-words (UTF-8, base64), never splitting a character, folded between words. */
static void put_encoded_words(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t take = n - i < WORD_RAW ? n - i : WORD_RAW;
		while (take > 1 && i + take < n && ((unsigned char)s[i + take] & 0xc0) == 0x80)
			take--;
		if (i)
			buf_puts(b, "\r\n ");
		buf_puts(b, "=?UTF-8?B?");
		buf_base64(b, s + i, take, 0);
		buf_puts(b, "?=");
		i += take;
	}
}

/* ASCII text folded before white space so that lines stay within HDR_MAX where possible. */
static void put_folded(struct buf *b, const char *s, size_t col)
{
	size_t start = col;
	while (*s) {
		const char *q = s;
		while (*q == ' ' || *q == '\t')
			q++;
		while (*q && *q != ' ' && *q != '\t')
			q++;
		size_t n = (size_t)(q - s);
		if (col + n > HDR_MAX && col > start && (*s == ' ' || *s == '\t')) {
			buf_puts(b, "\r\n");
			col = 0;
		}
		buf_append(b, s, n);
		col += n;
		s = q;
	}
}

static void put_display_name(struct buf *b, const char *name, size_t n)
{
	if (needs_encoded_word(name, n)) {
		put_encoded_words(b, name, n);
		return;
	}
	int quote = 0;
	for (size_t i = 0; i < n; i++)
		quote |= strchr("()<>[]:;@\\,.\"", name[i]) != NULL;
	if (!quote) {
		buf_append(b, name, n);
		return;
	}
	buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '"' || name[i] == '\\')
			buf_putc(b, '\\');
		buf_putc(b, name[i]);
	}
	buf_putc(b, '"');
}

static void put_date(struct buf *b)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
		   tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		   tm.tm_sec);
}

static int at_line_end(const unsigned char *p)
{
	return p[0] == '\0' || p[0] == '\n' || (p[0] == '\r' && p[1] == '\n');
}

/* Whether the byte at p, at column col, must be written as =XX. */
static int qp_escape(const unsigned char *p, size_t col)
{
	unsigned char c = *p;
	if (c == ' ' || c == '\t')
		return at_line_end(p + 1);
	if (c < 33 || c > 126 || c == '=')
		return 1;
	/* A dot or "From " opening a line upsets SMTP and mbox readers. */
	return col == 0 && (c == '.' || strncmp((const char *)p, "From ", 5) == 0);
}

static void put_qp(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\r' && p[1] == '\n')
			continue;
		if (*p == '\n') {
			buf_puts(b, "\r\n");
			col = 0;
			continue;
		}
		int esc = qp_escape(p, col);
		if (col + (esc ? 3 : 1) > QP_TEXT) {
			buf_puts(b, "=\r\n");
			col = 0;
			esc = qp_escape(p, col);
		}
		if (esc) {
			char e[3] = {'=', hex[*p >> 4], hex[*p & 15]};
			buf_append(b, e, 3);
			col += 3;
		} else {
			buf_putc(b, (char)*p);
			col++;
		}
	}
}

/* Text in canonical form (CRLF line breaks), base64 in 76-character lines joined by CRLF. */
static void put_base64_body(struct buf *b, const char *s)
{
	struct buf canon = BUF_INIT;
	for (const char *p = s; *p; p++) {
		if (*p == '\n' && (p == s || p[-1] != '\r'))
			buf_putc(&canon, '\r');
		buf_putc(&canon, *p);
	}
	if (canon.oom)
		b->oom = 1;
	for (size_t i = 0; !canon.oom && i < canon.len; i += B64_LINE) {
		size_t n = canon.len - i < B64_LINE ? canon.len - i : B64_LINE;
		if (i)
			buf_puts(b, "\r\n");
		buf_base64(b, canon.data + i, n, 0);
	}
	buf_free(&canon);
}

/* Base64 when quoted-printable would more than double the text (most non-Latin scripts). */
static int prefer_base64(const char *s)
{
	size_t n = 0, esc = 0;
	for (; s[n]; n++)
		esc += (unsigned char)s[n] >= 0x80 || s[n] == '=';
	return esc * 3 > n;
}

/* One part's headers and body; the CRLF after it belongs to what follows (RFC 2046 5.1.1). */
static void put_part(struct buf *b, const char *type, const char *body)
{
	int b64 = prefer_base64(body);
	buf_printf(b, "Content-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: %s\r\n\r\n",
		   type, b64 ? "base64" : "quoted-printable");
	if (b64)
		put_base64_body(b, body);
	else
		put_qp(b, body);
}

static int set(const char *s)
{
	return s && *s;
}

/* A message id without brackets: local@domain, printable ASCII, no white space or '<' '>'. */
static int msgid_ok(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || !at[1] || strlen(s) > 250)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>')
			return 0;
	}
	return 1;
}

/* One message id without brackets (msgid_ok). */
int mail_message_id_ok(const char *s)
{
	return s && msgid_ok(s);
}

static int msgid_list_ok(const char *s)
{
	char one[256];
	int n = 0;
	while (*s) {
		size_t len = strcspn(s, " ");
		if (len == 0 || len >= sizeof one || ++n > 20)
			return 0;
		memcpy(one, s, len);
		one[len] = '\0';
		if (!msgid_ok(one))
			return 0;
		s += len;
		if (*s == ' ' && !*++s)
			return 0;
	}
	return 1;
}

static int notification_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int headers_ok(const struct mail_headers *h)
{
	if (!h)
		return 1;
	return (!set(h->reply_to) || (header_safe(h->reply_to) && mail_address_ok(h->reply_to))) &&
	       (!set(h->message_id) || msgid_ok(h->message_id)) &&
	       (!set(h->in_reply_to) || msgid_ok(h->in_reply_to)) &&
	       (!set(h->references) || msgid_list_ok(h->references)) &&
	       (!set(h->notification) || notification_ok(h->notification));
}

/* References: one <id> a line after the first, folded (each id is at most 250 bytes). */
static void put_references(struct buf *m, const char *ids)
{
	buf_puts(m, "References:");
	while (*ids) {
		size_t len = strcspn(ids, " ");
		buf_printf(m, "%s<%.*s>", m->len && m->data[m->len - 1] == ':' ? " " : "\r\n ", (int)len, ids);
		ids += len;
		if (*ids == ' ')
			ids++;
	}
	buf_puts(m, "\r\n");
}

static void put_headers(struct buf *m, const char *from, const char *to, const char *subject,
			const struct mail_headers *h, const char *domain, long outbox_id)
{
	const char *name, *addr;
	size_t nlen, alen;
	char rnd[33];
	split_mailbox(from, &name, &nlen, &addr, &alen);
	put_date(m);
	buf_puts(m, "From: ");
	if (nlen) {
		put_display_name(m, name, nlen);
		buf_printf(m, " <%.*s>\r\n", (int)alen, addr);
	} else {
		buf_printf(m, "%.*s\r\n", (int)alen, addr);
	}
	buf_printf(m, "To: %s\r\n", to);
	if (h && set(h->reply_to))
		buf_printf(m, "Reply-To: %s\r\n", h->reply_to);
	buf_puts(m, "Subject: ");
	if (needs_encoded_word(subject, strlen(subject)))
		put_encoded_words(m, subject, strlen(subject));
	else
		put_folded(m, subject, strlen("Subject: "));
	if (h && set(h->message_id)) {
		buf_printf(m, "\r\nMessage-ID: <%s>\r\n", h->message_id);
	} else {
		random_hex(rnd, 8);
		buf_printf(m, "\r\nMessage-ID: <outbox-%ld.%s@%s>\r\n", outbox_id, rnd, domain);
	}
	if (h && set(h->in_reply_to))
		buf_printf(m, "In-Reply-To: <%s>\r\n", h->in_reply_to);
	if (h && set(h->references))
		put_references(m, h->references);
	if (h && set(h->notification))
		buf_printf(m, "X-Portal-Notification: %s\r\n", h->notification);
	buf_puts(m, "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n");
}

static void put_body(struct buf *m, const char *text, const char *html)
{
	if (!html) {
		put_part(m, "text/plain", text);
		if (m->len < 2 || memcmp(m->data + m->len - 2, "\r\n", 2) != 0)
			buf_puts(m, "\r\n");
		return;
	}
	char boundary[40], rnd[25];
	random_hex(rnd, 12);
	snprintf(boundary, sizeof boundary, "=_part_%s", rnd); /* "=_" cannot occur in QP/base64 */
	buf_printf(m, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n", boundary);
	buf_printf(m, "This is a multi-part message in MIME format.\r\n\r\n--%s\r\n", boundary);
	put_part(m, "text/plain", text);
	buf_printf(m, "\r\n--%s\r\n", boundary);
	put_part(m, "text/html", html);
	buf_printf(m, "\r\n--%s--\r\n", boundary);
}

int mail_compose(struct buf *out, const char *from, const char *to, const char *subject,
		 const char *text, const char *html, const struct mail_headers *h,
		 const char *message_id_domain, long outbox_id)
{
	char from_addr[MAIL_ADDR_MAX];
	if (!out || !from || !to || !subject || !text)
		return -1;
	if (!header_safe(from) || !header_safe(to) || !header_safe(subject) ||
	    mail_bare_address(from, from_addr, sizeof from_addr) < 0 || !mail_address_ok(to) ||
	    !headers_ok(h))
		return -1;
	const char *domain = message_id_domain && *message_id_domain ? message_id_domain
								     : strchr(from_addr, '@') + 1;
	if (!domain_ok(domain))
		return -1;
	struct buf m = BUF_INIT;
	put_headers(&m, from, to, subject, h, domain, outbox_id);
	put_body(&m, text, html);
	int ok = !m.oom;
	if (ok) {
		buf_append(out, m.data, m.len);
		ok = !out->oom;
	}
	buf_free(&m);
	return ok ? 0 : -1;
}
