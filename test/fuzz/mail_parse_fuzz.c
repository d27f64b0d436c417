/* mail_parse_fuzz.c - libFuzzer target: fuzzed bytes as a received message through mail_parse,
 * and as text through mail_cut_quoted, mail_html_to_text and the clean-text helpers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "mail_parse.h"
#include "mail_text.h"
#include "multipart.h"
#include "str.h"

/* Clean text: valid UTF-8, no control characters (\t and \n only when text), no C1. */
static void check_text(const char *s, int multiline)
{
	size_t n;

	if (!s)
		abort();
	n = strlen(s);
	if (!utf8_valid(s, n) || memchr(s, '\r', n))
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x7f || (c < 0x20 && !(multiline && (c == '\n' || c == '\t'))))
			abort();
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0)
			abort(); /* U+0080..U+009F */
	}
}

static void check_line(const char *s, size_t max_chars)
{
	check_text(s, 0);
	if (utf8_length(s) > max_chars)
		abort();
	if (s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' ') || strstr(s, "  "))
		abort();
}

static void check_id(const char *id)
{
	check_text(id, 0);
	if (!id[0] || strlen(id) > 998 || strpbrk(id, " <>"))
		abort();
}

static void check_address(const char *a, int may_be_empty)
{
	const char *at;

	check_text(a, 0);
	if (!a[0]) {
		if (!may_be_empty)
			abort();
		return;
	}
	at = strchr(a, '@');
	if (!at || at == a || !at[1] || strchr(at + 1, '@') || strpbrk(a, " <>\"") ||
	    strlen(a) > 254)
		abort();
	for (const char *c = at; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			abort();
}

static void check_list(char **arr, size_t n)
{
	if (n > MAIL_PARSE_MAX_LIST || (n && !arr))
		abort();
	for (size_t i = 0; i < n; i++)
		check_address(arr[i], 0);
}

static void check_parsed(const struct mail_parsed *m)
{
	check_address(m->from_address, 1);
	check_line(m->from_name, 200);
	check_line(m->subject, 500);
	if (m->message_id)
		check_id(m->message_id);
	if (m->in_reply_to)
		check_id(m->in_reply_to);
	if (m->nreferences > MAIL_PARSE_MAX_LIST)
		abort();
	for (size_t i = 0; i < m->nreferences; i++)
		check_id(m->references[i]);
	check_list(m->to, m->nto);
	check_list(m->cc, m->ncc);
	check_list(m->delivered_to, m->ndelivered_to);
	if (m->auto_submitted)
		check_line(m->auto_submitted, 998);
	if (m->precedence)
		check_line(m->precedence, 998);
	if (m->list_id)
		check_line(m->list_id, 998);
	if (m->portal_notification)
		check_line(m->portal_notification, 998);
	if (m->return_path)
		check_address(m->return_path, 1);
	check_text(m->text, 1);
	if (m->natt > 100 || (m->natt && !m->att))
		abort();
	for (size_t i = 0; i < m->natt; i++) {
		const struct mail_attachment *a = &m->att[i];
		check_upload_filename(a->filename);
		if (!a->content_type || !strchr(a->content_type, '/') || !a->data || a->len == 0)
			abort();
		for (const char *c = a->content_type; *c; c++)
			if ((*c >= 'A' && *c <= 'Z') || *c <= ' ')
				abort();
		volatile char last = a->data[a->len - 1]; /* ASan: len is the allocation's */
		(void)last;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exactly size bytes, so that ASan sees any read past the message */
	char *in = size ? malloc(size) : NULL, *z, *out;
	struct mail_parsed m;
	char err[128];
	int cut;

	if (size && !in)
		abort();
	if (size)
		memcpy(in, data, size);

	err[0] = 'x';
	if (mail_parse(in, size, &m, err, sizeof err) == 0) {
		check_parsed(&m);
		out = mail_cut_quoted(m.text, &cut);
		if (!out)
			abort();
		check_text(out, 1);
		if (cut && strlen(out) >= strlen(m.text))
			abort();
		free(out);
		mail_parsed_free(&m);
	} else if (!err[0] || m.text || m.att || m.from_address) {
		abort();
	}

	/* the text helpers on the raw bytes */
	out = mail_html_to_text(in, size);
	if (!out)
		abort();
	check_text(out, 1);
	free(out);
	out = mail_text_line(in, size, 50);
	if (!out)
		abort();
	check_line(out, 50);
	free(out);
	z = mail_text_clean(in, size);
	if (!z)
		abort();
	check_text(z, 1);
	out = mail_cut_quoted(z, &cut);
	if (!out)
		abort();
	check_text(out, 1);
	free(out);
	free(z);
	free(in);
	return 0;
}
