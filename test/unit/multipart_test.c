/* multipart_test.c - unit checks for the multipart/form-data parser: parts, refusals, limits, file
 * names. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "check.h"
#include "multipart.h"
#include "request.h"

#define CT "multipart/form-data; boundary=XyZ"
#define L(lit) lit, sizeof lit - 1
#define CD "--XyZ\r\nContent-Disposition: form-data; " /* the start of most parts below */

struct t {
	struct arena a;
	struct multipart m;
	char err[128];
	int rc;
};

static int parse(struct t *t, const char *ct, const char *body, size_t len)
{
	arena_init(&t->a, 0);
	t->rc = multipart_parse(&t->a, ct, body, len, &t->m, t->err, sizeof t->err);
	if (t->rc)
		CHECK(t->err[0] != '\0');
	else
		CHECK(t->err[0] == '\0');
	return t->rc;
}

static void done(struct t *t)
{
	arena_free(&t->a);
}

/* Parse and return the status only. */
static int status(const char *ct, const char *body, size_t len)
{
	struct t t;
	int rc = parse(&t, ct, body, len);
	done(&t);
	return rc;
}

static int status_s(const char *ct, const char *body)
{
	return status(ct, body, strlen(body));
}

/* Body builders (boundary XyZ). */
static void field(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, CD "name=\"%s\"\r\n\r\n%s\r\n", name, value);
}

static void file_part(struct buf *b, const char *name, const char *filename, const char *type,
		      const void *data, size_t n)
{
	buf_printf(b, CD "name=\"%s\"; filename=\"%s\"\r\n", name, filename);
	if (type)
		buf_printf(b, "Content-Type: %s\r\n", type);
	buf_puts(b, "\r\n");
	buf_append(b, data, n);
	buf_puts(b, "\r\n");
}

static void finish(struct buf *b)
{
	buf_puts(b, "--XyZ--\r\n");
}

/* The parts of a parse result in one line: "name=value" a field, "field: filename, type, N bytes"
 * a file; fields first, "; " between them. */
static void describe(struct buf *out, const struct multipart *m)
{
	for (size_t i = 0; i < m->nfields; i++)
		buf_printf(out, "%s%s=%s", out->len ? "; " : "", m->fields[i].name,
			   m->fields[i].value);
	for (size_t i = 0; i < m->nfiles; i++)
		buf_printf(out, "%s%s: %s, %s, %zu bytes", out->len ? "; " : "", m->files[i].field,
			   m->files[i].filename, m->files[i].content_type, m->files[i].len);
}

/* Bodies (boundary XyZ) that parse, and the parts they give (describe()). */
static const struct parsed_case {
	const char *body;
	size_t len;
	const char *parts;
} parsed_cases[] = {
    /* a preamble ending in CRLF, transport padding after a delimiter, an epilogue */
    {L("This is a preamble.\r\n--XyZ  \t\r\nContent-Disposition: form-data; name=a\r\n"
       "\r\nv\r\n--XyZ--\r\nepilogue --XyZ garbage"),
     "a=v"},
    /* header names and form-data are case-insensitive; other headers are ignored */
    {L("--XyZ\r\ncontent-disposition: FORM-DATA ; NAME=\"n\" ; filename*=UTF-8''x\r\n"
       "X-Other: whatever\r\nCONTENT-TYPE:text/csv\r\n\r\nv\r\n--XyZ--"),
     "n=v"},
    /* an unparsable part Content-Type falls back to the default */
    {L(CD "name=f; filename=a.bin\r\nContent-Type: nonsense\r\n\r\nxx\r\n--XyZ--"),
     "f: a.bin, application/octet-stream, 2 bytes"},
    /* a value may hold the boundary text when it is not at the start of a line */
    {L(CD "name=a\r\n\r\nx--XyZ\r\n--XyZ--"), "a=x--XyZ"},
    /* a real empty file (a name, no bytes) is kept */
    {L(CD "name=f; filename=\"e.txt\"\r\n\r\n\r\n--XyZ--"),
     "f: e.txt, application/octet-stream, 0 bytes"},
};

static void check_parsed(const struct parsed_case *c)
{
	struct buf parts = BUF_INIT;
	struct t t;

	CHECK_INT(parse(&t, CT, c->body, c->len), 0);
	describe(&parts, &t.m);
	CHECK_STR(parts.data ? parts.data : "", c->parts);
	buf_free(&parts);
	done(&t);
}

static void test_fields_and_files(void)
{
	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
	static const char crlf[] = "line 1\r\nline 2\r\n\r\n--Xy\r\n-- XyZ\r\n\n--XyZ\r\r\n\r\n";
	struct buf b = BUF_INIT;
	struct t t;

	field(&b, "csrf", "abc123");
	field(&b, "body", "Hello,\r\nsecond line\twith tab \xc3\xa9t\xc3\xa9");
	file_part(&b, "attachments", "shot.png", "Image/PNG; name=x", png, sizeof png - 1);
	file_part(&b, "attachments", "notes.txt", NULL, crlf, sizeof crlf - 1);
	field(&b, "empty", "");
	finish(&b);
	CHECK_INT(parse(&t, CT, b.data, b.len), 0);
	CHECK_INT(t.m.nfields, 3);
	CHECK_STR(t.m.fields[0].name, "csrf");
	CHECK_STR(t.m.fields[0].value, "abc123");
	CHECK_INT(t.m.fields[0].value_len, 6);
	CHECK_STR(t.m.fields[1].name, "body");
	CHECK_STR(t.m.fields[1].value, "Hello,\r\nsecond line\twith tab \xc3\xa9t\xc3\xa9");
	CHECK_STR(t.m.fields[2].name, "empty");
	CHECK_STR(t.m.fields[2].value, "");
	CHECK_INT(t.m.nfiles, 2);
	CHECK_STR(t.m.files[0].field, "attachments");
	CHECK_STR(t.m.files[0].filename, "shot.png");
	CHECK_STR(t.m.files[0].content_type, "image/png");
	CHECK_INT(t.m.files[0].len, sizeof png - 1);
	CHECK(memcmp(t.m.files[0].data, png, sizeof png - 1) == 0);
	/* file bytes are not copied: they point into the body */
	CHECK(t.m.files[0].data > b.data && t.m.files[0].data < b.data + b.len);
	CHECK_STR(t.m.files[1].filename, "notes.txt");
	CHECK_STR(t.m.files[1].content_type, "application/octet-stream");
	CHECK_INT(t.m.files[1].len, sizeof crlf - 1);
	CHECK(memcmp(t.m.files[1].data, crlf, sizeof crlf - 1) == 0);
	done(&t);
	buf_free(&b);

	/* no parts at all */
	CHECK_INT(status_s(CT, "--XyZ--"), 0);
	for (size_t i = 0; i < sizeof parsed_cases / sizeof parsed_cases[0]; i++)
		check_parsed(&parsed_cases[i]);
}

static void test_boundaries(void)
{
	static const char body[] =
	    "--a b:c\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--a b:c--";
	char ct[160], bd[80], body70[256];
	struct t t;

	CHECK_INT(parse(&t, "multipart/form-data; boundary=\"a b:c\"", L(body)), 0);
	CHECK_INT(t.m.nfields, 1);
	CHECK_STR(t.m.fields[0].value, "1");
	done(&t);
	CHECK_INT(status("Multipart/Form-Data;charset=utf-8;BOUNDARY=XyZ", L("--XyZ--")), 0);
	CHECK_INT(status("multipart/form-data; boundary = XyZ", L("--XyZ--")), 0);
	/* Chrome's and Firefox's boundaries */
	CHECK_INT(status("multipart/form-data; boundary=----WebKitFormBoundaryu7oxE4HNW6pn4NQP",
			 L("------WebKitFormBoundaryu7oxE4HNW6pn4NQP--\r\n")),
		  0);
	CHECK_INT(status("multipart/form-data; "
			 "boundary=---------------------------3189386418401787232585389014",
			 L("-----------------------------3189386418401787232585389014--\r\n")),
		  0);

	/* 70 characters pass, 71 do not */
	memset(bd, 'b', 71);
	bd[70] = '\0';
	snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", bd);
	snprintf(body70, sizeof body70, "--%s--", bd);
	CHECK_INT(status_s(ct, body70), 0);
	bd[70] = 'b';
	bd[71] = '\0';
	snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", bd);
	snprintf(body70, sizeof body70, "--%s--", bd);
	CHECK_INT(status_s(ct, body70), 400);

	CHECK_INT(status("multipart/form-data", L("--XyZ--")), 400);
	CHECK_INT(status("multipart/form-data;", L("--XyZ--")), 400);
	CHECK_INT(status("multipart/form-data; boundary=", L("--XyZ--")), 400);
	CHECK_INT(status("multipart/form-data; boundary=\"\"", L("----")), 400);
	CHECK_INT(status("multipart/form-data; boundary=\"ab \"", L("--ab --")),
		  400); /* space last */
	CHECK_INT(status("multipart/form-data; boundary=a@b", L("--a@b--")), 400);
	CHECK_INT(status("multipart/form-data; boundary=\"XyZ", L("--XyZ--")), 400);
	CHECK_INT(status("multipart/form-data; boundary=XyZ; boundary=XyZ", L("--XyZ--")), 400);
	CHECK_INT(status("multipart/form-data; boundary", L("--XyZ--")), 400);
	CHECK_INT(status("multipart/mixed; boundary=XyZ", L("--XyZ--")), 400);
	CHECK_INT(status("", L("--XyZ--")), 400);
	CHECK(multipart_is_form_data("multipart/form-data; boundary=x"));
	CHECK(multipart_is_form_data(" MULTIPART/FORM-DATA"));
	CHECK(!multipart_is_form_data("multipart/form-datax"));
	CHECK(!multipart_is_form_data("application/x-www-form-urlencoded"));
	CHECK(!multipart_is_form_data(NULL));
}

/* Bodies (boundary XyZ) and the status multipart_parse gives them. */
static const struct {
	int status;
	const char *body;
} status_cases[] = {
    /* the body must hold the boundary, complete, up to the final one */
    {400, ""},
    {400, "hello"},
    {400, "preamble--XyZ--"}, /* the preamble must end in CRLF */
    {400, "--XyZ"},
    {400, "--XyZ\r\n"},
    {400, CD "name=a\r\n"},
    {400, CD "name=a\r\n\r\nvalue"},
    {400, CD "name=a\r\n\r\nvalue\r\n--XyZ"},
    {400, CD "name=a\r\n\r\nvalue\r\n--XyZ\r\n"},
    {400, CD "name=a\r\n\r\nvalue\r\n--XyZ-"},
    {400, CD "name=a\r\n\r\nvalue\r\n--XyZx--"},
    {400, "--XyZjunk\r\n--XyZ--"},
    /* the boundary at the start of a line inside data is not allowed (RFC 2046) */
    {400, CD "name=f; filename=a\r\n\r\n"
	     "x\r\n--XyZmore\r\n--XyZ--"},
    /* header lines end in CRLF: no bare LF or CR, no folding */
    {400, "--XyZ\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ--"},
    {400, CD "name=a\n\r\nv\r\n--XyZ--"},
    {400, CD "name=a\n\nv\r\n--XyZ--"},
    {400, "--XyZ\r\nContent-Disposition: form-data;\r name=a\r\n\r\nv\r\n--XyZ--"},
    {400, "--XyZ\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\nv\r\n--XyZ--"},
    {400, "--XyZ\r\nX: \x01\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ--"},
    {400, "--XyZ\r\nno colon here\r\nContent-Disposition: form-data; "
	  "name=a\r\n\r\nv\r\n--XyZ--"},
    {400, "--XyZ\r\n: empty name\r\n\r\nv\r\n--XyZ--"},
    /* Content-Disposition: present once, form-data, with a name */
    {400, "--XyZ\r\n\r\nv\r\n--XyZ--"},
    {400, "--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--"},
    {400, "--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--XyZ--"},
    {400, "--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--"},
    {400, CD "filename=a.txt\r\n\r\nv\r\n--XyZ--"},
    {400, CD "name=\"\"\r\n\r\nv\r\n--XyZ--"},
    {400, CD "name=a\r\n"
	     "Content-Disposition: form-data; name=b\r\n\r\nv\r\n--XyZ--"},
    {400, CD "name=a; name=b\r\n\r\nv\r\n--XyZ--"},
    {400, CD "name=a; filename=x; filename=y\r\n\r\nv\r\n--XyZ--"},
    {400, CD "name=\"a\r\n\r\nv\r\n--XyZ--"},
    {400, CD "name=a b\r\n\r\nv\r\n--XyZ--"},
    {400, CD "name=\r\n\r\nv\r\n--XyZ--"},
    {400, "--XyZ\r\nContent-Disposition: form-data name=a\r\n\r\nv\r\n--XyZ--"},
    {400, "--XyZ\r\nContent-Type: a\r\nContent-Type: b\r\n"
	  "Content-Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ--"},
    /* names: no control bytes, valid UTF-8 */
    {400, CD "name=\"a\tb\"\r\n\r\nv\r\n--XyZ--"},
    {400, CD "name=\"\xc3\"\r\n\r\nv\r\n--XyZ--"},
    {0, CD "name=\"\xc3\xa9\"\r\n\r\nv\r\n--XyZ--"},
    /* text values: \t \r \n pass, other control bytes and invalid UTF-8 do not */
    {0, CD "name=a\r\n\r\n\t\r\n\r\n--XyZ--"},
    {400, CD "name=a\r\n\r\n\x1b[0m\r\n--XyZ--"},
    {400, CD "name=a\r\n\r\n\x7f\r\n--XyZ--"},
    {400, CD "name=a\r\n\r\n\xff\r\n--XyZ--"},
    {400, CD "name=a\r\n\r\n\xed\xa0\x80\r\n--XyZ--"},
    /* files may hold any bytes; their names must be valid UTF-8 and usable */
    {400, CD "name=f; filename=\"\xff.txt\"\r\n\r\nx\r\n--XyZ--"},
    {400, CD "name=f; filename=\"..\"\r\n\r\nx\r\n--XyZ--"},
    {400, CD "name=f; filename=\"a/.\"\r\n\r\nx\r\n--XyZ--"},
    {400, CD "name=f; filename=\"dir/\"\r\n\r\nx\r\n--XyZ--"},
    {400, CD "name=f; filename=\"\\\"\\\"\"\r\n\r\nx\r\n--XyZ--"},
    {400, CD "name=f; filename=\"   \"\r\n\r\nx\r\n--XyZ--"},
    /* filename="" with bytes is not an empty input */
    {400, CD "name=f; filename=\"\"\r\n\r\nx\r\n--XyZ--"},
};

/* Bodies that hold a NUL byte: refused in a name or a text value, kept in a file. */
static const struct {
	int status;
	const char *body;
	size_t len;
} nul_cases[] = {
    {400, L(CD "name=\"a\0\"\r\n\r\nv\r\n--XyZ--")},
    {400, L(CD "name=a\r\n\r\n\0b\r\n--XyZ--")},
    {0, L(CD "name=f; filename=a\r\n\r\n\0\xff\x01\r\n--XyZ--")},
};

static void check_status(int want, const char *body, size_t len, const char *table, size_t i)
{
	int failed = check_failed;

	CHECK_INT(status(CT, body, len), want);
	if (check_failed > failed)
		fprintf(stderr, "  %s[%zu]\n", table, i);
}

static void test_refusals(void)
{
	for (size_t i = 0; i < sizeof status_cases / sizeof status_cases[0]; i++)
		check_status(status_cases[i].status, status_cases[i].body,
			     strlen(status_cases[i].body), "status_cases", i);
	for (size_t i = 0; i < sizeof nul_cases / sizeof nul_cases[0]; i++)
		check_status(nul_cases[i].status, nul_cases[i].body, nul_cases[i].len, "nul_cases",
			     i);
}

static void test_empty_file_input(void)
{
	struct buf b = BUF_INIT;
	struct t t;

	field(&b, "body", "text only");
	file_part(&b, "attachments", "", "application/octet-stream", "", 0);
	file_part(&b, "attachments", "", NULL, "", 0);
	finish(&b);
	CHECK_INT(parse(&t, CT, b.data, b.len), 0);
	CHECK_INT(t.m.nfields, 1);
	CHECK_INT(t.m.nfiles, 0);
	done(&t);
	buf_free(&b);
}

static void test_part_limits(void)
{
	struct buf b = BUF_INIT;
	char hdr[MP_MAX_PART_HEADER + 8];
	size_t base;

	/* MP_MAX_PARTS parts pass, one more is 413 (skipped empty inputs count too) */
	for (int i = 0; i < MP_MAX_PARTS - 1; i++)
		field(&b, "f", "v");
	file_part(&b, "attachments", "", NULL, "", 0);
	base = b.len;
	finish(&b);
	CHECK_INT(status(CT, b.data, b.len), 0);
	b.len = base;
	field(&b, "one", "more");
	finish(&b);
	CHECK_INT(status(CT, b.data, b.len), 413);
	buf_reset(&b);

	/* a header block of exactly MP_MAX_PART_HEADER bytes passes, one more is 413 */
	static const char cd[] = "Content-Disposition: form-data; name=a\r\nX: ";
	size_t fill = MP_MAX_PART_HEADER - (sizeof cd - 1) - 2;
	memcpy(hdr, cd, sizeof cd - 1);
	memset(hdr + sizeof cd - 1, 'h', fill);
	memcpy(hdr + sizeof cd - 1 + fill, "\r\n", 3);
	CHECK_INT(strlen(hdr), MP_MAX_PART_HEADER);
	buf_printf(&b, "--XyZ\r\n%s\r\nv\r\n--XyZ--", hdr);
	CHECK_INT(status(CT, b.data, b.len), 0);
	buf_reset(&b);
	memcpy(hdr + sizeof cd - 1 + fill, "h\r\n", 4);
	buf_printf(&b, "--XyZ\r\n%s\r\nv\r\n--XyZ--", hdr);
	CHECK_INT(status(CT, b.data, b.len), 413);
	/* an endless header is 413 too, an unfinished short one 400 */
	buf_reset(&b);
	buf_puts(&b, CD "name=a\r\nX: ");
	for (int i = 0; i < 2 * MP_MAX_PART_HEADER; i++)
		buf_putc(&b, 'h');
	CHECK_INT(status(CT, b.data, b.len), 413);
	CHECK_INT(status(CT, b.data, 200), 400);
	buf_reset(&b);

	/* field names: REQ_MAX_FIELD_NAME bytes */
	char name[REQ_MAX_FIELD_NAME + 2];
	memset(name, 'n', REQ_MAX_FIELD_NAME);
	name[REQ_MAX_FIELD_NAME] = '\0';
	field(&b, name, "v");
	finish(&b);
	CHECK_INT(status(CT, b.data, b.len), 0);
	buf_reset(&b);
	name[REQ_MAX_FIELD_NAME] = 'n';
	name[REQ_MAX_FIELD_NAME + 1] = '\0';
	field(&b, name, "v");
	finish(&b);
	CHECK_INT(status(CT, b.data, b.len), 400);
	buf_free(&b);
}

static void test_size_limits(void)
{
	struct buf b = BUF_INIT;
	char *big = malloc(MP_MAX_FILE + 2);
	struct t t;

	memset(big, 'v', MP_MAX_FILE + 1);
	big[MP_MAX_FILE + 1] = '\0';

	/* text values up to REQ_MAX_FIELD_VALUE bytes */
	buf_puts(&b, CD "name=a\r\n\r\n");
	buf_append(&b, big, REQ_MAX_FIELD_VALUE);
	buf_puts(&b, "\r\n--XyZ--");
	CHECK_INT(parse(&t, CT, b.data, b.len), 0);
	CHECK_INT(t.m.fields[0].value_len, REQ_MAX_FIELD_VALUE);
	done(&t);
	buf_reset(&b);
	buf_puts(&b, CD "name=a\r\n\r\n");
	buf_append(&b, big, REQ_MAX_FIELD_VALUE + 1);
	buf_puts(&b, "\r\n--XyZ--");
	CHECK_INT(status(CT, b.data, b.len), 413);
	buf_reset(&b);
	/* ... also when the body ends, past the limit, before any boundary */
	buf_puts(&b, CD "name=a\r\n\r\n");
	buf_append(&b, big, REQ_MAX_FIELD_VALUE + 100);
	CHECK_INT(status(CT, b.data, b.len), 413);
	buf_reset(&b);

	/* files up to MP_MAX_FILE bytes */
	file_part(&b, "f", "big.bin", NULL, big, MP_MAX_FILE);
	finish(&b);
	CHECK_INT(parse(&t, CT, b.data, b.len), 0);
	CHECK_INT(t.m.nfiles, 1);
	CHECK_INT(t.m.files[0].len, MP_MAX_FILE);
	done(&t);
	buf_reset(&b);
	file_part(&b, "f", "big.bin", NULL, big, MP_MAX_FILE + 1);
	finish(&b);
	CHECK_INT(status(CT, b.data, b.len), 413);
	buf_reset(&b);

	/* MP_MAX_FILES files, then 413 */
	for (int i = 0; i < MP_MAX_FILES; i++)
		file_part(&b, "f", "a.txt", "text/plain", "x", 1);
	size_t base = b.len;
	finish(&b);
	CHECK_INT(parse(&t, CT, b.data, b.len), 0);
	CHECK_INT(t.m.nfiles, MP_MAX_FILES);
	done(&t);
	b.len = base;
	file_part(&b, "f", "a.txt", "text/plain", "x", 1);
	finish(&b);
	CHECK_INT(status(CT, b.data, b.len), 413);
	buf_free(&b);
	free(big);
}

static const char *san(char *out, const char *in)
{
	size_t n = multipart_sanitize_filename(out, in, strlen(in));
	CHECK_INT(strlen(out), n);
	return out;
}

static void test_sanitize(void)
{
	char out[MP_MAX_FILENAME + 1], in[1024];

	CHECK_STR(san(out, "report.pdf"), "report.pdf");
	CHECK_STR(san(out, "C:\\Users\\ada\\report.pdf"), "report.pdf");
	CHECK_STR(san(out, "../../etc/passwd"), "passwd");
	CHECK_STR(san(out, "a/b\\c/d.txt"), "d.txt");
	CHECK_STR(san(out, "say \"hi\".txt"), "say hi.txt");
	CHECK_STR(san(out, "it's.txt"), "it's.txt");
	CHECK_STR(san(out, "tab\there\x7f.txt"), "tabhere.txt");
	CHECK_STR(san(out, "c1\xc2\x85\xc2\x9f.txt"), "c1.txt");	     /* NEL and APC */
	CHECK_STR(san(out, "ls\xe2\x80\xa8ps\xe2\x80\xa9.txt"), "lsps.txt"); /* U+2028, U+2029 */
	CHECK_STR(san(out, "invoice\xe2\x80\xaegpj.exe"), "invoicegpj.exe"); /* RLO */
	CHECK_STR(san(out, "\xe2\x81\xa6x\xe2\x81\xa9\xe2\x80\x8f"), "x");   /* isolates, RLM */
	CHECK_STR(san(out, "  spaced name  "), "spaced name");
	CHECK_STR(san(out, "r\xc3\xa4ksm\xc3\xb6rg\xc3\xa5s \xe2\x82\xac.txt"),
		  "r\xc3\xa4ksm\xc3\xb6rg\xc3\xa5s \xe2\x82\xac.txt");
	CHECK_STR(san(out, "..."), "...");
	CHECK_STR(san(out, ".hidden"), ".hidden");
	CHECK_INT(multipart_sanitize_filename(out, "", 0), 0);
	CHECK_INT(multipart_sanitize_filename(out, ".", 1), 0);
	CHECK_INT(multipart_sanitize_filename(out, "..", 2), 0);
	CHECK_INT(multipart_sanitize_filename(out, "x/..", 4), 0);
	CHECK_INT(multipart_sanitize_filename(out, "\"..\"", 4), 0);
	CHECK_INT(multipart_sanitize_filename(out, ". ", 2), 0);
	CHECK_INT(multipart_sanitize_filename(out, "a\\", 2), 0);
	CHECK_INT(multipart_sanitize_filename(out, "\x01\x02", 2), 0);
	CHECK_INT(multipart_sanitize_filename(out, "a\0b", 3), 2);
	CHECK_STR(out, "ab");
	/* 255 bytes, cut on a character boundary */
	memset(in, 'a', 300);
	in[300] = '\0';
	CHECK_INT(strlen(san(out, in)), MP_MAX_FILENAME);
	memset(in, 'a', 254);
	memcpy(in + 254, "\xc3\xa9z", 4);
	CHECK_INT(strlen(san(out, in)), 254);
	for (int i = 0; i < 200; i++)
		memcpy(in + 2 * i, "\xc3\xa9", 2);
	in[400] = '\0';
	CHECK_INT(strlen(san(out, in)), 254);
	CHECK(utf8_valid(out, strlen(out)));
	for (int i = 0; i < 100; i++)
		memcpy(in + 4 * i, "\xf0\x9f\x98\x80", 4);
	in[400] = '\0';
	CHECK_INT(strlen(san(out, in)), 252);
	/* invalid bytes (the parser refuses them first) are dropped, never copied */
	CHECK_STR(san(out, "a\xff\xc3z"), "az");

	/* through the parser: a quoted name with escapes, a Windows path, a long name */
	struct t t;
	CHECK_INT(parse(&t, CT,
			L(CD "name=f; filename=\"a\\\"b\\\\c.txt\"\r\n\r\nx\r\n" CD
			     "name=f; filename=\"C:\\Users\\ada\\My Report.PDF\"\r\n\r\ny\r\n" CD
			     "name=f; filename=plain.txt\r\n\r\nz\r\n--XyZ--")),
		  0);
	CHECK_INT(t.m.nfiles, 3);
	CHECK_STR(t.m.files[0].filename, "c.txt"); /* a"b\c.txt: the part after the backslash */
	CHECK_STR(t.m.files[1].filename, "My Report.PDF");
	CHECK_STR(t.m.files[2].filename, "plain.txt");
	done(&t);
	CHECK_INT(
	    parse(&t, CT, L(CD "name=f; filename=\"\tq\\\"uote\\\".txt\"\r\n\r\nx\r\n--XyZ--")), 0);
	CHECK_STR(t.m.files[0].filename, "quote.txt");
	done(&t);
}

/* The parser inside request_parse: text parts are form fields, files go to r->files. */
static void test_request_integration(void)
{
	struct buf b = BUF_INIT, cl = BUF_INIT;
	struct arena a;
	struct request r;
	char err[128];

	field(&b, "csrf", "0123");
	field(&b, "body", "Hi");
	file_part(&b, "attachments", "x.txt", "text/plain", "data", 4);
	finish(&b);
	buf_printf(&cl, "CONTENT_LENGTH=%zu", b.len);
	char *env[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/tickets/1/reply", "CONTENT_TYPE=" CT,
		       cl.data, NULL};
	arena_init(&a, 0);
	CHECK_INT(request_parse(&r, &a, env, b.data, b.len, err, sizeof err), 0);
	CHECK_STR(request_form(&r, "csrf"), "0123");
	CHECK_STR(request_form(&r, "body"), "Hi");
	CHECK(request_form(&r, "attachments") == NULL);
	CHECK_INT(r.nform, 2);
	CHECK_INT(r.nfiles, 1);
	CHECK_STR(r.files[0].filename, "x.txt");
	CHECK_INT(r.files[0].len, 4);
	CHECK(memcmp(r.files[0].data, "data", 4) == 0);
	CHECK(r.files[0].data >= r.body && r.files[0].data < r.body + r.body_len);
	arena_free(&a);

	/* a GET with the same Content-Type is not parsed */
	env[0] = "REQUEST_METHOD=GET";
	arena_init(&a, 0);
	CHECK_INT(request_parse(&r, &a, env, b.data, b.len, err, sizeof err), 0);
	CHECK_INT(r.nform, 0);
	CHECK_INT(r.nfiles, 0);
	arena_free(&a);

	/* refusals come back as the request's status with a reason */
	env[0] = "REQUEST_METHOD=POST";
	arena_init(&a, 0);
	CHECK_INT(request_parse(&r, &a, env, b.data, b.len - 4, err, sizeof err), 400); /* length */
	arena_free(&a);
	buf_reset(&cl);
	buf_printf(&cl, "CONTENT_LENGTH=%zu", b.len - 4);
	env[3] = cl.data;
	arena_init(&a, 0);
	CHECK_INT(request_parse(&r, &a, env, b.data, b.len - 4, err, sizeof err),
		  400); /* truncated */
	CHECK(strstr(err, "multipart") != NULL);
	arena_free(&a);
	env[2] = "CONTENT_TYPE=multipart/form-data";
	env[3] = "CONTENT_LENGTH=7";
	arena_init(&a, 0);
	CHECK_INT(request_parse(&r, &a, env, "--XyZ--", 7, err, sizeof err), 400); /* no boundary */
	arena_free(&a);
	buf_free(&b);
	buf_free(&cl);
}

int main(void)
{
	test_fields_and_files();
	test_boundaries();
	test_refusals();
	test_empty_file_input();
	test_part_limits();
	test_size_limits();
	test_sanitize();
	test_request_integration();
	return CHECK_DONE("multipart");
}
