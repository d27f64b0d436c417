/* form_test.c - unit checks for the form validators: text bounds in code points, trimming, the
 * single-line rule, secrets not kept, email addresses, checkboxes, the error summary, host names. */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "check.h"
#include "form.h"
#include "i18n.h"
#include "log.h"
#include "request.h"

/* A parsed urlencoded POST of the given name/value pairs (NULL-terminated list). */
struct post {
	struct arena a;
	struct request r;
};

static void urlenc(char *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			*out++ = (char)c;
		} else {
			*out++ = '%';
			*out++ = hex[c >> 4];
			*out++ = hex[c & 15];
		}
	}
	*out = '\0';
}

static int post_init(struct post *p, const char *const *pairs)
{
	char body[4096] = "", enc[2048];
	for (size_t i = 0; pairs[i]; i += 2) {
		if (i)
			strcat(body, "&");
		urlenc(enc, pairs[i]);
		strcat(body, enc);
		strcat(body, "=");
		urlenc(enc, pairs[i + 1]);
		strcat(body, enc);
	}
	arena_init(&p->a, 0);
	char len[32], err[128] = "";
	snprintf(len, sizeof len, "CONTENT_LENGTH=%zu", strlen(body));
	char *env[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/form",
		       "CONTENT_TYPE=application/x-www-form-urlencoded", len, NULL};
	int rc = request_parse(&p->r, &p->a, env, body, strlen(body), err, sizeof err);
	if (rc)
		fprintf(stderr, "request_parse: %d %s\n", rc, err);
	return rc;
}

#define POST(p, ...) CHECK_INT(post_init((p), (const char *const[]){__VA_ARGS__, NULL}), 0)

/* The message recorded for field, or NULL. */
static const char *error_of(const struct form *f, const char *field)
{
	struct json_object *m;
	return json_object_object_get_ex(f->errors, field, &m) ? json_object_get_string(m) : NULL;
}

/* The value kept for field (its JSON text, e.g. "\"abc\"" or "true"), or NULL. */
static const char *value_of(const struct form *f, const char *field)
{
	struct json_object *v;
	return json_object_object_get_ex(f->values, field, &v) ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)
							       : NULL;
}

static void test_utf8_length(void)
{
	CHECK_INT(utf8_length(""), 0);
	CHECK_INT(utf8_length("abc"), 3);
	CHECK_INT(utf8_length("\xc3\xa5\xc3\xa4\xc3\xb6"), 3);       /* åäö: 6 bytes */
	CHECK_INT(utf8_length("\xe2\x82\xac"), 1);                   /* € */
	CHECK_INT(utf8_length("\xf0\x9f\x98\x80!"), 2);              /* 😀! */
	CHECK_INT(utf8_length("a\xc3\xa5" "b\xe2\x82\xac" "c"), 5);  /* aåb€c */
}

static void test_text_bounds(void)
{
	struct post p;
	struct form f;
	/* bounds count code points, not bytes: "åäö" is 3 long */
	POST(&p, "name", "\xc3\xa5\xc3\xa4\xc3\xb6");
	form_init(&f, "en");
	CHECK_STR(form_text(&f, &p.r, "name", 3, 3, 0, 1), "\xc3\xa5\xc3\xa4\xc3\xb6");
	CHECK_INT(f.nerrors, 0);
	form_free(&f);

	form_init(&f, "en");
	CHECK(form_text(&f, &p.r, "name", 1, 2, 0, 1) == NULL);
	CHECK_STR(error_of(&f, "name"), "This is too long.");
	CHECK_STR(value_of(&f, "name"), "\"\xc3\xa5\xc3\xa4\xc3\xb6\""); /* kept for showing the form again */
	CHECK_INT(f.nerrors, 1);
	form_free(&f);

	form_init(&f, "en");
	CHECK(form_text(&f, &p.r, "name", 4, 10, 0, 1) == NULL);
	CHECK_STR(error_of(&f, "name"), "This is too short.");
	form_free(&f);

	/* in Swedish */
	form_init(&f, "sv");
	CHECK(form_text(&f, &p.r, "name", 1, 2, 0, 1) == NULL);
	CHECK(error_of(&f, "name") && strcmp(error_of(&f, "name"), "This is too long.") != 0);
	CHECK_STR(error_of(&f, "name"), i18n_get("sv", "err_too_long"));
	form_free(&f);
	arena_free(&p.a);

	/* a 4-byte character is one */
	POST(&p, "e", "\xf0\x9f\x98\x80\xf0\x9f\x98\x80");
	form_init(&f, "en");
	CHECK(form_text(&f, &p.r, "e", 2, 2, 0, 1) != NULL);
	CHECK(form_text(&f, &p.r, "e", 0, 1, 0, 1) == NULL);
	form_free(&f);
	arena_free(&p.a);
}

static void test_text_trim_required(void)
{
	struct post p;
	struct form f;
	POST(&p, "a", " \t hello world \r\n ", "blank", " \t\r\n ", "empty", "");
	form_init(&f, "en");
	/* outer spaces, tabs and line breaks go; inner ones stay */
	CHECK_STR(form_text(&f, &p.r, "a", 1, 11, 0, 1), "hello world");
	CHECK_STR(value_of(&f, "a"), "\"hello world\"");
	/* blank after trimming: required when min > 0 */
	CHECK(form_text(&f, &p.r, "blank", 1, 10, 0, 1) == NULL);
	CHECK_STR(error_of(&f, "blank"), "This field is required.");
	CHECK(form_text(&f, &p.r, "empty", 2, 10, 0, 1) == NULL);
	CHECK_STR(error_of(&f, "empty"), "This field is required.");
	/* not sent at all: the same as empty */
	CHECK(form_text(&f, &p.r, "missing", 1, 10, 0, 1) == NULL);
	CHECK_STR(error_of(&f, "missing"), "This field is required.");
	CHECK_STR(value_of(&f, "missing"), "\"\"");
	CHECK_INT(f.nerrors, 3);
	form_free(&f);

	/* optional (min 0): empty is fine and comes back as "" */
	form_init(&f, "en");
	CHECK_STR(form_text(&f, &p.r, "blank", 0, 10, 0, 1), "");
	CHECK_STR(form_text(&f, &p.r, "missing", 0, 10, 0, 1), "");
	CHECK_INT(f.nerrors, 0);
	form_free(&f);
	arena_free(&p.a);
}

static void test_text_multiline(void)
{
	struct post p;
	struct form f;
	POST(&p, "crlf", "one\r\ntwo", "lf", "one\ntwo", "cr", "one\rtwo", "tab", "one\ttwo");
	form_init(&f, "en");
	CHECK(form_text(&f, &p.r, "crlf", 1, 100, 0, 1) == NULL);
	CHECK_STR(error_of(&f, "crlf"), "Use a single line here.");
	CHECK(form_text(&f, &p.r, "lf", 1, 100, 0, 1) == NULL);
	CHECK(form_text(&f, &p.r, "cr", 1, 100, 0, 1) == NULL);
	CHECK_STR(form_text(&f, &p.r, "tab", 1, 100, 0, 1), "one\ttwo"); /* a tab is no line break */
	CHECK_INT(f.nerrors, 3);
	form_free(&f);

	form_init(&f, "en");
	CHECK_STR(form_text(&f, &p.r, "crlf", 1, 100, 1, 1), "one\r\ntwo"); /* kept as sent */
	CHECK_STR(form_text(&f, &p.r, "lf", 1, 100, 1, 1), "one\ntwo");
	/* the line break counts as code points: "one\r\ntwo" is 8 */
	CHECK(form_text(&f, &p.r, "crlf", 1, 8, 1, 1) != NULL);
	CHECK(form_text(&f, &p.r, "crlf", 1, 7, 1, 1) == NULL);
	form_free(&f);
	arena_free(&p.a);
}

static void test_text_keep(void)
{
	struct post p;
	struct form f;
	POST(&p, "password", "  s3cret  ", "short", "x");
	form_init(&f, "en");
	CHECK_STR(form_text(&f, &p.r, "password", 1, 100, 0, 0), "s3cret");
	CHECK(value_of(&f, "password") == NULL); /* a secret is never kept for the page */
	CHECK(form_text(&f, &p.r, "short", 8, 100, 0, 0) == NULL);
	CHECK(value_of(&f, "short") == NULL);      /* not even when refused */
	CHECK_STR(error_of(&f, "short"), "This is too short.");
	CHECK_INT(json_object_object_length(f.values), 0);
	form_free(&f);
	arena_free(&p.a);
}

static void test_first_error_wins(void)
{
	struct form f;
	form_init(&f, "en");
	form_message(&f, "x", "First.");
	form_message(&f, "x", "Second.");
	form_error(&f, "x", "err_required");
	CHECK_STR(error_of(&f, "x"), "First.");
	CHECK_INT(f.nerrors, 1);
	form_error(&f, "y", "err_email");
	CHECK_STR(error_of(&f, "y"), "Enter an email address like name@example.com.");
	CHECK_INT(f.nerrors, 2);
	form_free(&f);
	form_free(&f); /* twice is harmless */
}

static void test_email(void)
{
	struct post p;
	struct form f;
	char long_local[80], at254[300], at255[300];
	memset(long_local, 'a', 65);
	strcpy(long_local + 65, "@example.com"); /* 65 before the @ */
	/* 254 bytes in all: 64 + 1 + 189 (labels of 63 with dots, then "com") */
	snprintf(at254, sizeof at254, "%.64s@%.63s.%.63s.%.57s.com", long_local, long_local, long_local, long_local);
	snprintf(at255, sizeof at255, "%.64s@%.63s.%.63s.%.58s.com", long_local, long_local, long_local, long_local);
	CHECK_INT(strlen(at254), 254);
	CHECK_INT(strlen(at255), 255);
	POST(&p, "mixed", "  Ada.Lovelace@Example.COM ", "at254", at254, "at255", at255, "bad", "not-an-address",
	     "empty", "");
	form_init(&f, "en");
	/* trimmed; the domain lowercased, the local part as written */
	CHECK_STR(form_email(&f, &p.r, "mixed"), "Ada.Lovelace@example.com");
	CHECK_STR(form_email(&f, &p.r, "at254"), at254);
	CHECK(form_email(&f, &p.r, "at255") == NULL);
	CHECK_STR(error_of(&f, "at255"), "This is too long.");
	CHECK(form_email(&f, &p.r, "bad") == NULL);
	CHECK_STR(error_of(&f, "bad"), "Enter an email address like name@example.com.");
	CHECK_STR(value_of(&f, "bad"), "\"not-an-address\""); /* kept to correct */
	CHECK(form_email(&f, &p.r, "empty") == NULL);
	CHECK_STR(error_of(&f, "empty"), "This field is required.");
	CHECK_INT(f.nerrors, 3);
	form_free(&f);
	arena_free(&p.a);

	/* email_well_formed on its own */
	const char *good[] = {"a@b.c", "ada@example.com", "first.last+tag@sub.example.org", "x@localhost",
			      "o'brien@example.ie", "\xc3\xa5sa@example.se", at254};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		if (!email_well_formed(good[i]))
			fprintf(stderr, "  refused: %s\n", good[i]);
		CHECK(email_well_formed(good[i]));
	}
	const char *bad[] = {"", "a@", "@b.c", "ab", "a@b@c.d", "a b@c.d", "a@b .c", "a@b\t.c", "<a@b.c>",
			     "a@b.c>", "(a)@b.c", "a@[1.2.3.4]", "a,b@c.d", "a;b@c.d", "a:b@c.d", "a\\b@c.d",
			     "\"a\"@b.c", "a@.b.c", "a@-b.c", "a@b..c", "a@b.c.", "a\x7f@b.c", "a\x01@b.c",
			     long_local, at255};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (email_well_formed(bad[i]))
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		CHECK(!email_well_formed(bad[i]));
	}
	/* 64 before the @ is the most */
	char local64[100];
	memset(local64, 'b', 64);
	strcpy(local64 + 64, "@example.com");
	CHECK(email_well_formed(local64));
}

static void test_checkbox(void)
{
	struct post p;
	struct form f;
	POST(&p, "consent", "yes", "empty", "");
	form_init(&f, "en");
	CHECK_INT(form_checkbox(&f, &p.r, "consent", 1), 1);
	CHECK_INT(form_checkbox(&f, &p.r, "empty", 1), 1); /* sent with any value, even "" */
	CHECK_INT(form_checkbox(&f, &p.r, "news", 0), 0);
	CHECK_INT(f.nerrors, 0);
	CHECK_STR(value_of(&f, "consent"), "true");
	CHECK_STR(value_of(&f, "news"), "false");
	CHECK_INT(form_checkbox(&f, &p.r, "terms", 1), 0);
	CHECK_STR(error_of(&f, "terms"), "Please tick this box to continue.");
	CHECK_STR(value_of(&f, "terms"), "false");
	CHECK_INT(f.nerrors, 1);
	form_free(&f);
	arena_free(&p.a);
}

static void test_to_page(void)
{
	struct post p;
	struct form f;
	POST(&p, "name", "", "email", "nope", "city", "Uppsala");
	form_init(&f, "en");
	CHECK(form_text(&f, &p.r, "name", 1, 50, 0, 1) == NULL);
	CHECK(form_email(&f, &p.r, "email") == NULL);
	CHECK_STR(form_text(&f, &p.r, "city", 1, 50, 0, 1), "Uppsala");
	struct json_object *page = json_object_new_object();
	form_to_page(&f, page);
	CHECK(f.values == NULL && f.errors == NULL); /* the page owns them now */
	form_free(&f);                               /* and this frees nothing twice */
	struct json_object *v;
	CHECK(json_object_object_get_ex(page, "has_errors", &v) && json_object_get_boolean(v));
	CHECK(json_object_object_get_ex(page, "values", &v));
	CHECK_STR(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
		  "{\"name\":\"\",\"email\":\"nope\",\"city\":\"Uppsala\"}");
	CHECK(json_object_object_get_ex(page, "errors", &v));
	CHECK_INT(json_object_object_length(v), 2);
	/* the summary lists each field's message, in the order the fields were checked */
	CHECK(json_object_object_get_ex(page, "error_list", &v));
	CHECK_STR(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
		  "[{\"field\":\"name\",\"message\":\"This field is required.\"},"
		  "{\"field\":\"email\",\"message\":\"Enter an email address like name@example.com.\"}]");
	json_object_put(page);

	/* a form without errors: has_errors false, an empty list */
	form_init(&f, "en");
	CHECK_STR(form_text(&f, &p.r, "city", 1, 50, 0, 1), "Uppsala");
	page = json_object_new_object();
	form_to_page(&f, page);
	CHECK(json_object_object_get_ex(page, "has_errors", &v) && !json_object_get_boolean(v));
	CHECK(json_object_object_get_ex(page, "error_list", &v) && json_object_array_length(v) == 0);
	json_object_put(page);
	arena_free(&p.a);
}

static void test_host_names(void)
{
	char h253[400], h254[400], label63[80], label64[80];
	/* 253 = 63 + 1 + 63 + 1 + 63 + 1 + 61 */
	memset(label63, 'a', 63);
	label63[63] = '\0';
	memset(label64, 'b', 64);
	label64[64] = '\0';
	snprintf(h253, sizeof h253, "%s.%s.%s.%.61s", label63, label63, label63, label63);
	snprintf(h254, sizeof h254, "%s.%s.%s.%.62s", label63, label63, label63, label63);
	CHECK_INT(strlen(h253), 253);
	CHECK_INT(strlen(h254), 254);
	char l63host[100], l64host[100];
	snprintf(l63host, sizeof l63host, "%s.example.com", label63);
	snprintf(l64host, sizeof l64host, "%s.example.com", label64);

	const char *good[] = {"help.example.com", "localhost", "a", "a-b.c-d.example", "xn--bcher-kva.example",
			      "123.example", "9", h253, l63host};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		const char *why = host_name_problem(good[i]);
		if (why)
			fprintf(stderr, "  %s: %s\n", good[i], why);
		CHECK(why == NULL);
	}
	struct {
		const char *host, *says;
	} bad[] = {
		{"", "Enter a host name"},
		{"https://help.example.com", "without http:// or https://"},
		{"help.example.com/portal", "without a path"},
		{"help.example.com:8443", "without a port"},
		{"help example.com", "no spaces"},
		{"help\t.example.com", "no spaces"},
		{h254, "at most 253"},
		{l64host, "at most 63"},
		{".example.com", "no empty parts"},
		{"example.com.", "no empty parts"},
		{"a..b", "no empty parts"},
		{"-a.example.com", "hyphen"},
		{"a-.example.com", "hyphen"},
		{"Help.Example.com", "only letters a-z"},
		{"under_score.example.com", "only letters a-z"},
		{"h\xc3\xa4lp.example.com", "only letters a-z"},
		{"*.example.com", "only letters a-z"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *why = host_name_problem(bad[i].host);
		if (!why || !strstr(why, bad[i].says))
			fprintf(stderr, "  %s: %s (want \"%s\")\n", bad[i].host, why ? why : "accepted", bad[i].says);
		CHECK(why && strstr(why, bad[i].says));
	}
}

int main(void)
{
	char err[256] = "";
	log_open("-", LOG_ERROR);
	if (i18n_load("templates/i18n", err, sizeof err) < 0)
		fprintf(stderr, "FAIL i18n_load: %s\n", err);
	test_utf8_length();
	test_text_bounds();
	test_text_trim_required();
	test_text_multiline();
	test_text_keep();
	test_first_error_wins();
	test_email();
	test_checkbox();
	test_to_page();
	test_host_names();
	i18n_free();
	log_close();
	return CHECK_DONE("form");
}
