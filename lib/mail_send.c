/* mail_send.c - deliver composed messages: SMTP through libcurl, or .eml files for development. */
#include "mail.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"

void mail_url_display(const char *url, char *out, size_t cap)
{
	const char *sep = strstr(url, "://");
	const char *host = sep ? sep + 3 : url;
	size_t hlen = strcspn(host, "/?#");
	const char *at = memrchr(host, '@', hlen);
	if (at) {
		hlen -= (size_t)(at + 1 - host);
		host = at + 1;
	}
	snprintf(out, cap, "%.*s%.*s", sep ? (int)(sep + 3 - url) : 0, url, (int)hlen, host);
}

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *ud)
{
	struct upload *u = ud;
	size_t n = size * nmemb < u->left ? size * nmemb : u->left;
	memcpy(dst, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* The server's last 4xx/5xx reply line. Only lines from the server: never our AUTH line. */
struct reply {
	int code;
	char line[256];
};

static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
	struct reply *r = ud;
	(void)h;
	if (type != CURLINFO_HEADER_IN || size < 3 || (data[0] != '4' && data[0] != '5') ||
	    data[1] < '0' || data[1] > '9' || data[2] < '0' || data[2] > '9')
		return 0;
	r->code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
	size_t n = 0;
	for (; n < size && n + 1 < sizeof r->line && data[n] != '\r' && data[n] != '\n'; n++) {
		unsigned char c = (unsigned char)data[n];
		r->line[n] = c < 0x20 || c > 0x7e ? '?' : (char)c; /* ASCII: last_error is UTF-8 */
	}
	r->line[n] = '\0';
	return 0;
}

static int classify(CURLcode rc, int code)
{
	if (rc == CURLE_OK)
		return MAIL_SENT;
	/* Authentication trouble is the install's to fix, not the message's fault. */
	if (rc == CURLE_LOGIN_DENIED || code == 530 || code == 534 || code == 535 || code == 538)
		return MAIL_TEMPFAIL;
	return code >= 500 && code < 600 ? MAIL_PERMFAIL : MAIL_TEMPFAIL;
}

static void set_options(CURL *h, const char *url, long use_ssl, const char *user,
			const char *password)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_USE_SSL, use_ssl);
	if (user && *user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, password ? password : "");
	}
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
}

static int perform(CURL *h, const char *from, const char *to, const struct buf *msg, char *err,
		   size_t errlen)
{
	char mfrom[MAIL_ADDR_MAX + 2], rcpt_to[MAIL_ADDR_MAX + 2], ebuf[CURL_ERROR_SIZE] = "";
	struct upload up = {msg->data ? msg->data : "", msg->len};
	struct reply rep = {0, ""};
	snprintf(mfrom, sizeof mfrom, "<%s>", from);
	snprintf(rcpt_to, sizeof rcpt_to, "<%s>", to);
	struct curl_slist *rcpt = curl_slist_append(NULL, rcpt_to);
	if (!rcpt) {
		snprintf(err, errlen, "out of memory");
		return MAIL_TEMPFAIL;
	}
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, mfrom);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &rep);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L); /* feeds debug_cb; nothing is printed */
	CURLcode rc = curl_easy_perform(h);
	long last = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &last);
	int code = rep.code ? rep.code : (int)last;
	int res = classify(rc, code);
	const char *why = ebuf[0] ? ebuf : curl_easy_strerror(rc);
	if (res != MAIL_SENT && rep.code)
		snprintf(err, errlen, "SMTP %s (curl: %s)", rep.line, why);
	else if (res != MAIL_SENT)
		snprintf(err, errlen, "%s (curl error %d)", why, (int)rc);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, NULL); /* rep dies here; QUIT may follow */
	curl_easy_setopt(h, CURLOPT_VERBOSE, 0L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_cleanup(h);
	curl_slist_free_all(rcpt);
	return res;
}

int mail_send_smtp(const char *url, const char *user, const char *password, const char *from_addr,
		   const char *to_addr, const struct buf *msg, char *err, size_t errlen)
{
	char u[1024], from[MAIL_ADDR_MAX], to[MAIL_ADDR_MAX];
	long use_ssl = CURLUSESSL_TRY;
	err[0] = '\0';
	if (!url || snprintf(u, sizeof u, "%s", url) >= (int)sizeof u ||
	    (strncmp(u, "smtp://", 7) != 0 && strncmp(u, "smtps://", 8) != 0)) {
		snprintf(err, errlen, "SMTP URL must start with smtp:// or smtps://");
		return MAIL_TEMPFAIL;
	}
	if (mail_bare_address(from_addr, from, sizeof from) < 0) {
		snprintf(err, errlen, "invalid sender address");
		return MAIL_TEMPFAIL;
	}
	if (mail_bare_address(to_addr, to, sizeof to) < 0) {
		snprintf(err, errlen, "invalid recipient address");
		return MAIL_PERMFAIL;
	}
	/* Credentials never travel in clear: with a user, STARTTLS is required unless the URL
	 * says ?starttls=optional (e.g. a relay on loopback). */
	if (user && *user)
		use_ssl = CURLUSESSL_ALL;
	char *q = strchr(u, '?');
	if (q) {
		if (strstr(q, "starttls=required"))
			use_ssl = CURLUSESSL_ALL;
		else if (strstr(q, "starttls=optional"))
			use_ssl = CURLUSESSL_TRY;
		*q = '\0';
	}
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(err, errlen, "curl_easy_init failed");
		return MAIL_TEMPFAIL;
	}
	set_options(h, u, use_ssl, user, password);
	return perform(h, from, to, msg, err, errlen);
}

int mail_write_eml(const char *dir, long outbox_id, const struct buf *msg, char *path_out,
		   size_t cap)
{
	char name[64];
	snprintf(name, sizeof name, "%ld.eml", outbox_id);
	int n = snprintf(path_out, cap, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return file_write_atomic(dir, name, msg->data, msg->len, 0640);
}
