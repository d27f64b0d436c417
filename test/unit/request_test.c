/* request_test.c - unit checks for the FastCGI request parser: decoding, limits, refusals. */
#include <string.h>

#include "arena.h"
#include "check.h"
#include "request.h"

#define ENV(...) ((char *[]){__VA_ARGS__, NULL})

struct t {
	struct arena a;
	struct request r;
	char err[128];
	int rc;
};

static int parse(struct t *t, char **env, const char *body, size_t len)
{
	arena_init(&t->a, 0);
	t->rc = request_parse(&t->r, &t->a, env, body, len, t->err, sizeof t->err);
	return t->rc;
}

static void done(struct t *t)
{
	arena_free(&t->a);
}

/* What the tests build (env entries, long inputs) lives here until the end of the run. */
static struct arena mem;

/* "name=value", in mem. */
static char *kv(const char *name, const char *value)
{
	return arena_printf(&mem, "%s=%s", name, value);
}

/* Parse and return the status; a refusal must come with a reason. */
static int status(char **env, const char *body, size_t len)
{
	struct t t;
	int rc = parse(&t, env, body, len);

	if (rc)
		CHECK(t.err[0] != '\0');
	else
		CHECK(t.err[0] == '\0');
	done(&t);
	return rc;
}

static char *cat(const char *a, const char *b)
{
	return arena_printf(&mem, "%s%s", a, b);
}

/* n copies of piece, in mem. */
static char *rep(const char *piece, size_t n)
{
	size_t len = strlen(piece);
	char *p = arena_alloc(&mem, len * n + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(p + i * len, piece, len);
	p[len * n] = '\0';
	return p;
}

static int get_status(const char *uri)
{
	return status(ENV("REQUEST_METHOD=GET", kv("REQUEST_URI", uri)), NULL, 0);
}

static int post_status(const char *ct, const char *body, size_t len)
{
	return status(ENV("REQUEST_METHOD=POST", "REQUEST_URI=/submit", kv("CONTENT_TYPE", ct),
			  arena_printf(&mem, "CONTENT_LENGTH=%zu", len)),
		      body, len);
}

/* A GET of / with one more param: name=value. */
static int get_with(const char *name, const char *value)
{
	return status(ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", kv(name, value)), NULL, 0);
}

static int cookie_status(const char *cookie)
{
	return get_with("HTTP_COOKIE", cookie);
}

static int host_status(const char *host)
{
	return get_with("HTTP_HOST", host);
}

static int method_status(const char *method)
{
	return status(ENV(kv("REQUEST_METHOD", method), "REQUEST_URI=/"), NULL, 0);
}

static int cl_status(const char *cl, const char *body, size_t len)
{
	return status(ENV("REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_TYPE=text/plain",
			  kv("CONTENT_LENGTH", cl)),
		      body, len);
}

/* An input and the status the request built around it must get. */
struct status_case {
	const char *in;
	int status;
};

/* Each case through run (get_status, host_status...); a failure names the input. */
static void check_statuses(int (*run)(const char *), const char *name, const struct status_case *c,
			   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int failed = check_failed;
		CHECK_INT(run(c[i].in), c[i].status);
		if (check_failed > failed)
			fprintf(stderr, "  %s(\"%s\")\n", name, c[i].in);
	}
}
#define CHECK_STATUSES(run, cases) check_statuses(run, #run, cases, sizeof cases / sizeof cases[0])

/* A name and the value a lookup (request_query, request_cookie...) must find; NULL: none. */
struct lookup {
	const char *name, *value;
};

static void check_lookups(const char *(*get)(const struct request *, const char *),
			  const char *name, const struct request *r, const struct lookup *l,
			  size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = get(r, l[i].name);
		int failed = check_failed;
		if (l[i].value)
			CHECK_STR(v, l[i].value);
		else
			CHECK(v == NULL);
		if (check_failed > failed)
			fprintf(stderr, "  %s(\"%s\")\n", name, l[i].name);
	}
}
#define CHECK_LOOKUPS(get, r, l) check_lookups(get, #get, r, l, sizeof l / sizeof l[0])

static void test_plain_get(void)
{
	/* r.env points at the array, so it must outlive the checks below */
	char **env = ENV("REQUEST_METHOD=GET", "REQUEST_URI=/tickets?status=open&page=2",
			 "QUERY_STRING=status=open&page=2", "HTTP_HOST=Support.Example.COM:8443",
			 "REMOTE_ADDR=203.0.113.7", "REQUEST_ID=0123456789abcdef", "HTTPS=on",
			 "HTTP_USER_AGENT=test/1.0", "CONTENT_LENGTH=", "CONTENT_TYPE=");
	struct t t;

	CHECK_INT(parse(&t, env, NULL, 0), 0);
	CHECK(t.r.env == env);
	CHECK_STR(t.err, "");
	CHECK_INT(t.r.method, HTTP_GET);
	CHECK_STR(t.r.method_name, "GET");
	CHECK_STR(t.r.uri, "/tickets?status=open&page=2");
	CHECK_STR(t.r.path, "/tickets");
	CHECK_STR(t.r.query_string, "status=open&page=2");
	CHECK_INT(t.r.nquery, 2);
	CHECK_STR(request_query(&t.r, "status"), "open");
	CHECK_STR(request_query(&t.r, "page"), "2");
	CHECK(request_query(&t.r, "missing") == NULL);
	CHECK(request_query(&t.r, "") == NULL);
	CHECK_STR(t.r.host, "support.example.com");
	CHECK_STR(t.r.remote_addr, "203.0.113.7");
	CHECK_STR(t.r.request_id, "0123456789abcdef");
	CHECK_INT(t.r.https, 1);
	CHECK_STR(t.r.content_type, "");
	CHECK_INT(t.r.content_length, 0);
	CHECK_INT(t.r.body_len, 0);
	CHECK(t.r.body != NULL);
	CHECK_INT(t.r.nform, 0);
	CHECK_INT(t.r.ncookies, 0);
	CHECK(request_form(&t.r, "status") == NULL);
	CHECK(request_cookie(&t.r, "status") == NULL);
	CHECK(t.r.arena == &t.a);
	CHECK_STR(request_param(&t.r, "HTTP_USER_AGENT"), "test/1.0");
	CHECK_STR(request_param(&t.r, "REMOTE_ADDR"), "203.0.113.7");
	CHECK(request_param(&t.r, "REMOTE") == NULL);
	CHECK(request_param(&t.r, "REMOTE_ADDR=") == NULL);
	CHECK(request_param(&t.r, "NOPE") == NULL);
	done(&t);
}

static void test_minimal_get(void)
{
	struct t t;

	CHECK_INT(parse(&t, ENV("REQUEST_METHOD=HEAD", "REQUEST_URI=/"), NULL, 0), 0);
	CHECK_INT(t.r.method, HTTP_HEAD);
	CHECK_STR(t.r.path, "/");
	CHECK_STR(t.r.query_string, "");
	CHECK_INT(t.r.nquery, 0);
	CHECK_STR(t.r.host, "");
	CHECK_STR(t.r.remote_addr, "");
	CHECK_STR(t.r.request_id, "-");
	CHECK_INT(t.r.https, 0);
	done(&t);

	/* '?' with nothing after it; only the first '?' splits */
	CHECK_INT(parse(&t, ENV("REQUEST_METHOD=GET", "REQUEST_URI=/a?"), NULL, 0), 0);
	CHECK_STR(t.r.path, "/a");
	CHECK_STR(t.r.query_string, "");
	done(&t);
	CHECK_INT(parse(&t, ENV("REQUEST_METHOD=GET", "REQUEST_URI=/a?x=1?2&y=/?"), NULL, 0), 0);
	CHECK_STR(t.r.path, "/a");
	CHECK_STR(request_query(&t.r, "x"), "1?2");
	CHECK_STR(request_query(&t.r, "y"), "/?");
	done(&t);
}

static void test_decoding(void)
{
	static const struct lookup query[] = {
	    {"q", "hello world !"}, {"x", "a+b"},    {"flag", ""}, {"empty", ""},
	    {"e=q", "1=2"},	    {"sp ace", "+"}, {"", NULL},
	};
	struct t t;

	CHECK_INT(parse(&t,
			ENV("REQUEST_METHOD=GET",
			    "REQUEST_URI=/a%20b+c/%c3%A9?q=hello+world%20%21&x=a%2Bb&flag&=skipped"
			    "&&&empty=&e%3Dq=1%3D2&sp+ace=%2b"),
			NULL, 0),
		  0);
	CHECK_STR(t.r.path, "/a b+c/\xc3\xa9");
	CHECK_LOOKUPS(request_query, &t.r, query);
	CHECK_INT(t.r.nquery, 6);
	CHECK_INT(t.r.query[0].value_len, 13);
	/* query_string stays raw */
	CHECK(strstr(t.r.query_string, "hello+world%20%21") != NULL);
	done(&t);

	/* repeated names: all kept, lookup returns the first */
	CHECK_INT(parse(&t, ENV("REQUEST_METHOD=GET", "REQUEST_URI=/?a=1&a=2&b=3"), NULL, 0), 0);
	CHECK_INT(t.r.nquery, 3);
	CHECK_STR(request_query(&t.r, "a"), "1");
	CHECK_STR(t.r.query[1].value, "2");
	done(&t);

	/* %2F in the path decodes like any other byte; the path never turns '+' into ' ' */
	CHECK_INT(parse(&t, ENV("REQUEST_METHOD=GET", "REQUEST_URI=/a%2Fb+%2B"), NULL, 0), 0);
	CHECK_STR(t.r.path, "/a/b++");
	done(&t);
}

static void test_url_decode(void)
{
	struct arena a;
	size_t n = 99;
	char *s;

	arena_init(&a, 0);
	s = url_decode(&a, "a+b%20c%2b", 10, 1, &n);
	CHECK_STR(s, "a b c+");
	CHECK_INT(n, 6);
	s = url_decode(&a, "a+b%20c", 7, 0, &n);
	CHECK_STR(s, "a+b c");
	s = url_decode(&a, "x%00y", 5, 0, &n);
	CHECK(s && n == 3 && s[1] == '\0' && s[2] == 'y');
	s = url_decode(&a, "", 0, 1, &n);
	CHECK(s && n == 0 && s[0] == '\0');
	s = url_decode(&a, "ab%41ZZZ", 5, 0, NULL); /* only n bytes are read */
	CHECK_STR(s, "abA");
	CHECK(url_decode(&a, "%", 1, 0, &n) == NULL);
	CHECK(url_decode(&a, "a%4", 3, 0, &n) == NULL);
	CHECK(url_decode(&a, "%G1", 3, 0, &n) == NULL);
	CHECK(url_decode(&a, "%1G", 3, 0, &n) == NULL);
	CHECK(url_decode(&a, "%41%4", 5, 1, &n) == NULL);
	CHECK(url_decode(&a, "%412", 2, 1, &n) == NULL); /* escape cut by n */
	arena_free(&a);
}

static void test_http_url_ok(void)
{
	CHECK(http_url_ok("https://idp.example.test/sso"));
	CHECK(http_url_ok("http://127.0.0.1:8080/login?x=1"));
	CHECK(!http_url_ok("https://idp.example.test/sso#frag"));
	CHECK(!http_url_ok("javascript:alert(1)"));
	CHECK(!http_url_ok("ftp://app.example.test"));
	CHECK(!http_url_ok("https://"));
	CHECK(!http_url_ok("https:///path"));
	CHECK(!http_url_ok("https://a b.example"));
	CHECK(!http_url_ok("https://a.example/\"x\""));
	CHECK(!http_url_ok("https://a.example/\xff"));
}

static void test_utf8_valid(void)
{
	CHECK(utf8_valid("", 0));
	CHECK(utf8_valid("plain ascii", 11));
	CHECK(utf8_valid("a\0b", 3));
	CHECK(utf8_valid("\xc2\x80", 2));	   /* U+0080 */
	CHECK(utf8_valid("\xc3\xa9t\xc3\xa9", 5)); /* été */
	CHECK(utf8_valid("\xe2\x82\xac", 3));	   /* € */
	CHECK(utf8_valid("\xed\x9f\xbf", 3));	   /* U+D7FF */
	CHECK(utf8_valid("\xee\x80\x80", 3));	   /* U+E000 */
	CHECK(utf8_valid("\xef\xbf\xbf", 3));	   /* U+FFFF */
	CHECK(utf8_valid("\xf0\x9f\x98\x80", 4));  /* U+1F600 */
	CHECK(utf8_valid("\xf4\x8f\xbf\xbf", 4));  /* U+10FFFF */
	CHECK(!utf8_valid("\xc0\xaf", 2));	   /* overlong '/' */
	CHECK(!utf8_valid("\xc1\xbf", 2));	   /* overlong */
	CHECK(!utf8_valid("\xe0\x80\xaf", 3));	   /* overlong 3-byte */
	CHECK(!utf8_valid("\xf0\x80\x80\xaf", 4)); /* overlong 4-byte */
	CHECK(!utf8_valid("\xed\xa0\x80", 3));	   /* lone high surrogate */
	CHECK(!utf8_valid("\xed\xbf\xbf", 3));	   /* low surrogate */
	CHECK(!utf8_valid("\xf4\x90\x80\x80", 4)); /* U+110000 */
	CHECK(!utf8_valid("\xf5\x80\x80\x80", 4));
	CHECK(!utf8_valid("\xff", 1));
	CHECK(!utf8_valid("\x80", 1));	       /* stray continuation */
	CHECK(!utf8_valid("\xe2\x82", 2));     /* truncated */
	CHECK(!utf8_valid("\xf0\x9f\x98", 3)); /* truncated */
	CHECK(!utf8_valid("\xe2\x82\xac", 2)); /* truncated by n */
	CHECK(!utf8_valid("\xc3(", 2));	       /* bad continuation */
	CHECK(!utf8_valid("\xe2\x28\xa1", 3));
	CHECK(!utf8_valid("\xf0\x9f\x28\x80", 4));
}

static void test_post_form(void)
{
	static const char body[] = "title=Printer+on+fire&body=line1%0D%0Aline2%09tabbed"
				   "&raw=a\r\nb&name=J%C3%BCrgen&&=x&check";
	const size_t len = sizeof body - 1;
	struct t t;

	CHECK_INT(parse(&t,
			ENV("REQUEST_METHOD=POST", "REQUEST_URI=/tickets/new?draft=1",
			    "CONTENT_TYPE=Application/X-WWW-Form-Urlencoded; charset=UTF-8",
			    arena_printf(&mem, "CONTENT_LENGTH=%zu", len)),
			body, len),
		  0);
	CHECK_INT(t.r.method, HTTP_POST);
	CHECK_STR(t.r.content_type, "Application/X-WWW-Form-Urlencoded; charset=UTF-8");
	CHECK_INT(t.r.content_length, len);
	CHECK_INT(t.r.body_len, len);
	CHECK(t.r.body != body && memcmp(t.r.body, body, len) == 0);
	CHECK_INT(t.r.body[len], '\0');
	CHECK_INT(t.r.nform, 5);
	CHECK_STR(request_form(&t.r, "title"), "Printer on fire");
	CHECK_STR(request_form(&t.r, "body"), "line1\r\nline2\ttabbed");
	CHECK_INT(t.r.form[1].value_len, 19);
	CHECK_STR(request_form(&t.r, "raw"), "a\r\nb");
	CHECK_STR(request_form(&t.r, "name"), "J\xc3\xbcrgen");
	CHECK_STR(request_form(&t.r, "check"), "");
	CHECK(request_form(&t.r, "draft") == NULL);
	CHECK_STR(request_query(&t.r, "draft"), "1");
	CHECK(request_query(&t.r, "title") == NULL);
	done(&t);

	/* bare media type, upper case */
	CHECK_INT(parse(&t,
			ENV("REQUEST_METHOD=POST", "REQUEST_URI=/",
			    "CONTENT_TYPE=APPLICATION/X-WWW-FORM-URLENCODED", "CONTENT_LENGTH=3"),
			"a=b", 3),
		  0);
	CHECK_STR(request_form(&t.r, "a"), "b");
	done(&t);

	/* \r\n in a value is fine, in a name it is not */
	CHECK_INT(post_status("application/x-www-form-urlencoded", "a=%0D%0A", 8), 0);
	CHECK_INT(post_status("application/x-www-form-urlencoded", "a%0D%0A=1", 9), 400);
	CHECK_INT(post_status("application/x-www-form-urlencoded", "a\n=1", 4), 400);
	CHECK_INT(post_status("application/x-www-form-urlencoded", "a=%01", 5), 400);
	CHECK_INT(post_status("application/x-www-form-urlencoded", "a=%7F", 5), 400);
	CHECK_INT(post_status("application/x-www-form-urlencoded", "a=%00", 5), 400);
	CHECK_INT(post_status("application/x-www-form-urlencoded", "a=%ZZ", 5), 400);
	CHECK_INT(post_status("application/x-www-form-urlencoded", "a=%C0%AF", 8), 400);
	CHECK_INT(post_status("application/x-www-form-urlencoded", "", 0), 0);
}

static void test_non_form_bodies(void)
{
	static const char mp[] =
	    "--x\r\nContent-Disposition: form-data; name=\"a\"; filename=\"f\"\r\n\r\n\0b\r\n--x--";
	struct t t;

	/* multipart (lib/multipart.c, tested in multipart_test.c): a file part may hold NULs, the
	 * body is kept byte for byte; a NUL in a text part is refused */
	CHECK_INT(parse(&t,
			ENV("REQUEST_METHOD=POST", "REQUEST_URI=/upload",
			    "CONTENT_TYPE=multipart/form-data; boundary=x", "CONTENT_LENGTH=72"),
			mp, sizeof mp - 1),
		  0);
	CHECK_INT(sizeof mp - 1, 72);
	CHECK_INT(t.r.nform, 0);
	CHECK_INT(t.r.nfiles, 1);
	CHECK(t.r.nfiles == 1 && t.r.files[0].len == 2);
	CHECK_INT(t.r.body_len, 72);
	CHECK(memcmp(t.r.body, mp, 72) == 0);
	CHECK_STR(t.r.content_type, "multipart/form-data; boundary=x");
	done(&t);
	CHECK_INT(post_status(
		      "multipart/form-data; boundary=x",
		      "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\0b\r\n--x--", 58),
		  400);

	/* a urlencoded body on a GET is not a form */
	CHECK_INT(parse(&t,
			ENV("REQUEST_METHOD=GET", "REQUEST_URI=/",
			    "CONTENT_TYPE=application/x-www-form-urlencoded", "CONTENT_LENGTH=3"),
			"a=b", 3),
		  0);
	CHECK_INT(t.r.nform, 0);
	CHECK_INT(t.r.body_len, 3);
	done(&t);

	/* a look-alike media type is not a form either; nor is a PUT */
	CHECK_INT(parse(&t,
			ENV("REQUEST_METHOD=POST", "REQUEST_URI=/",
			    "CONTENT_TYPE=application/x-www-form-urlencodedx", "CONTENT_LENGTH=3"),
			"a=b", 3),
		  0);
	CHECK_INT(t.r.nform, 0);
	done(&t);
	CHECK_INT(parse(&t,
			ENV("REQUEST_METHOD=PUT", "REQUEST_URI=/",
			    "CONTENT_TYPE=application/x-www-form-urlencoded", "CONTENT_LENGTH=3"),
			"a=b", 3),
		  0);
	CHECK_INT(t.r.method, HTTP_OTHER);
	CHECK_INT(t.r.nform, 0);
	done(&t);

	/* not a form, so broken encoding in the body is none of our business */
	CHECK_INT(post_status("text/plain", "a=%zz\x01", 6), 0);
}

static void test_cookies(void)
{
	static const struct lookup jar[] = {
	    {"sid", "abc123"}, {"theme", "dark"}, {"lang", "en"}, {"empty", ""},     {"q", ""},
	    {"tok", "a=b=="},  {"p", "a%20b+c"},  {"lone", "\""}, {"novalue", NULL}, {"", NULL},
	};
	static const struct status_case cookies[] = {
	    {"", 0},
	    {";;; ;", 0},
	    {"a=\xc3\xa9t\xc3\xa9", 0},
	    {"a=b\x01"
	     "c",
	     400},
	    {"a=b\tc", 400},
	    {"a\x7f=b", 400},
	    {"a=\"b\x1f\"", 400},
	    /* invalid UTF-8 (e.g. set by another site on the domain) is ignored, not refused */
	    {"a=\xc0\xaf", 0},
	    {"a\xff=1", 0},
	};
	struct t t;

	CHECK_INT(parse(&t,
			ENV("REQUEST_METHOD=GET", "REQUEST_URI=/",
			    "HTTP_COOKIE=  sid=abc123 ;theme=\"dark\"; ; novalue;=orphan;"
			    "lang = en ;empty=;q=\"\";tok=a=b==;p=a%20b+c;lone=\";;"),
			NULL, 0),
		  0);
	CHECK_INT(t.r.ncookies, 8);
	CHECK_LOOKUPS(request_cookie, &t.r, jar);
	CHECK_INT(t.r.cookies[1].value_len, 4);
	CHECK(request_query(&t.r, "sid") == NULL);
	done(&t);

	/* the first of two same-named cookies wins */
	CHECK_INT(
	    parse(&t, ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTP_COOKIE=a=1; a=2"), NULL, 0),
	    0);
	CHECK_STR(request_cookie(&t.r, "a"), "1");
	done(&t);

	CHECK_STATUSES(cookie_status, cookies);
	CHECK_INT(
	    parse(&t,
		  ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTP_COOKIE=bad=\xc0\xaf; sid=ok"),
		  NULL, 0),
	    0);
	CHECK(request_cookie(&t.r, "bad") == NULL);
	CHECK_STR(request_cookie(&t.r, "sid"), "ok");
	done(&t);
}

static void test_cookie_limits(void)
{
	char *many;

	many = rep("c=1; ", REQ_MAX_COOKIES);
	CHECK_INT(cookie_status(many), 0);
	CHECK_INT(cookie_status(cat(many, "d=2")), 400);
	/* skipped pairs do not count */
	CHECK_INT(cookie_status(cat(many, rep("x; ; =y;", 100))), 0);
	/* one cookie as large as the header allows */
	CHECK_INT(cookie_status(cat("a=", rep("v", REQ_MAX_HEADER - 2))), 0);
	CHECK_INT(cookie_status(cat("a=", rep("v", REQ_MAX_HEADER - 1))), 431);
}

static void test_host(void)
{
	static const struct status_case hosts[] = {
	    {"my-host.example", 0},
	    {"example.com:", 0},
	    {"[::ffff:192.0.2.1]", 0},
	    {"exa mple.com", 400},
	    {"ex_ample.com", 400},
	    {"example.com:80:80", 400},
	    {"example.com:http", 400},
	    {"example.com:123456", 400},
	    {":80", 400},
	    {"user@example.com", 400},
	    {"example.com/x", 400},
	    {"\xc3\xa9.example", 400},
	    {"[::1", 400},
	    {"[]", 400},
	    {"[::g]", 400},
	    {"[::1]x", 400},
	    {"[::1]]", 400},
	    {"[fe80::1%25eth0]", 400},
	};
	struct t t;

	CHECK_INT(
	    parse(&t, ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTP_HOST=[::1]:8080"), NULL, 0),
	    0);
	CHECK_STR(t.r.host, "[::1]");
	done(&t);
	CHECK_INT(parse(&t, ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTP_HOST=[2001:DB8::A]"),
			NULL, 0),
		  0);
	CHECK_STR(t.r.host, "[2001:db8::a]");
	done(&t);
	CHECK_INT(
	    parse(&t, ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTP_HOST=LOCALHOST"), NULL, 0),
	    0);
	CHECK_STR(t.r.host, "localhost");
	done(&t);
	CHECK_INT(
	    parse(&t, ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTP_HOST=10.0.0.1:80"), NULL, 0),
	    0);
	CHECK_STR(t.r.host, "10.0.0.1");
	done(&t);
	CHECK_INT(parse(&t, ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTP_HOST="), NULL, 0), 0);
	CHECK_STR(t.r.host, "");
	done(&t);

	CHECK_STATUSES(host_status, hosts);
}

static void test_method(void)
{
	static const struct status_case methods[] = {
	    {"GET", 0},
	    {"POST", 0},
	    {"ABCDEFGHIJKLMNOP", 0},
	    {"ABCDEFGHIJKLMNOPQ", 400},
	    {"", 400},
	    {"get", 400},
	    {"G3T", 400},
	    {"GET ", 400},
	    {"M-SEARCH", 400},
	};
	struct t t;

	CHECK_INT(parse(&t, ENV("REQUEST_METHOD=PROPFIND", "REQUEST_URI=/"), NULL, 0), 0);
	CHECK_INT(t.r.method, HTTP_OTHER);
	CHECK_STR(t.r.method_name, "PROPFIND");
	done(&t);

	CHECK_INT(parse(&t, ENV("REQUEST_URI=/"), NULL, 0), 400);
	CHECK(strstr(t.err, "METHOD") != NULL);
	done(&t);

	CHECK_STATUSES(method_status, methods);
	CHECK_INT(status(NULL, NULL, 0), 400);
	CHECK_INT(status(ENV("REQUEST_METHOD"), NULL, 0), 400);
}

static void test_uri(void)
{
	static const struct status_case uris[] = {
	    {"", 400},
	    {"tickets", 400},
	    {"*", 400},
	    {"?a=1", 400},
	    {"http://example.com/", 400},
	    {"/a b", 0}, /* nginx would not pass it; nothing unsafe in it */
	    {"/a\x01", 400},
	    {"/?a=\tb", 400},
	    {"/a\x7f", 400},
	};

	CHECK_INT(status(ENV("REQUEST_METHOD=GET"), NULL, 0), 400);
	CHECK_STATUSES(get_status, uris);
	CHECK_INT(get_status(cat("/", rep("a", REQ_MAX_URI - 1))), 0);
	CHECK_INT(get_status(cat("/", rep("a", REQ_MAX_URI))), 414);
	CHECK_INT(get_status(cat("/?q=", rep("a", REQ_MAX_URI))), 414);
}

static void test_percent_refusals(void)
{
	static const struct status_case uris[] = {
	    {"/a%", 400},
	    {"/a%2", 400},
	    {"/a%G1", 400},
	    {"/a%1G?x=1", 400},
	    {"/?q=%", 400},
	    {"/?q=%4", 400},
	    {"/?q=%4&r=1", 400},
	    {"/?q=%zz", 400},
	    {"/?%=1", 400},
	    {"/?a%2=1", 400},
	    {"/?=%", 400},
	    /* control bytes */
	    {"/%00", 400},
	    {"/a%00.html", 400},
	    {"/%0A", 400},
	    {"/%09", 400},
	    {"/%7F", 400},
	    {"/?a%0Ab=1", 400},
	    {"/?a%09=1", 400},
	    {"/?a%00=1", 400},
	    {"/?%0A", 400},
	    {"/?a=%00", 400},
	    {"/?a=%01", 400},
	    {"/?a=%1B", 400},
	    {"/?a=%7F", 400},
	    {"/?a=%0D%0A%09", 0},
	    {"/?a=%7E%20%80", 400}, /* %80 alone is not UTF-8 */
	    {"/?a=%7E%20", 0},
	};

	CHECK_STATUSES(get_status, uris);
}

static void test_utf8_refusals(void)
{
	static const struct status_case uris[] = {
	    {"/%C3%A9t%C3%A9", 0},
	    {"/\xc3\xa9t\xc3\xa9", 0}, /* raw UTF-8 from nginx */
	    {"/%C0%AF", 400},
	    {"/%C0%AF..%C0%AF", 400},
	    {"/%E0%80%AF", 400},
	    {"/%ED%A0%80", 400},
	    {"/\xed\xa0\x80", 400},
	    {"/%F5%80%80%80", 400},
	    {"/%FF", 400},
	    {"/?q=%E2%82%AC", 0},
	    {"/?q=%F0%9F%98%80", 0},
	    {"/?q=%C0%AF", 400},
	    {"/?q=%ED%A0%80", 400},
	    {"/?q=%F5", 400},
	    {"/?q=%F4%90%80%80", 400},
	    {"/?q=%E2%82", 400},
	    {"/?q=%E2%82&r=%AC", 400},
	    {"/?q=\xe2\x82", 400},
	    {"/?%FF=1", 400},
	    {"/?%C0%AF", 400},
	};

	CHECK_STATUSES(get_status, uris);
}

static void test_field_limits(void)
{
	char *q;

	q = rep("a=1&", REQ_MAX_FIELDS);
	CHECK_INT(get_status(cat("/?", q)), 0);
	CHECK_INT(get_status(arena_printf(&mem, "/?%sb", q)), 400);
	CHECK_INT(get_status(arena_printf(&mem, "/?%sb=", q)), 400);
	/* empty pieces and empty names are skipped, not counted */
	CHECK_INT(get_status(arena_printf(&mem, "/?%s&&&=x&=&", q)), 0);

	/* name limit counts decoded bytes */
	CHECK_INT(get_status(arena_printf(&mem, "/?%s=1", rep("n", REQ_MAX_FIELD_NAME))), 0);
	CHECK_INT(get_status(arena_printf(&mem, "/?%s=1", rep("n", REQ_MAX_FIELD_NAME + 1))), 400);
	CHECK_INT(get_status(arena_printf(&mem, "/?%s=1", rep("%41", REQ_MAX_FIELD_NAME))), 0);
	CHECK_INT(get_status(arena_printf(&mem, "/?%s=1", rep("%41", REQ_MAX_FIELD_NAME + 1))),
		  400);
	CHECK_INT(get_status(arena_printf(&mem, "/?%s", rep("n", REQ_MAX_FIELD_NAME + 1))), 400);

	/* values can only get that long in a form body */
	q = cat("v=", rep("x", REQ_MAX_FIELD_VALUE));
	CHECK_INT(post_status("application/x-www-form-urlencoded", q, strlen(q)), 0);
	q = cat("v=", rep("x", REQ_MAX_FIELD_VALUE + 1));
	CHECK_INT(post_status("application/x-www-form-urlencoded", q, strlen(q)), 400);
	q = cat("v=", rep("%41", REQ_MAX_FIELD_VALUE + 1));
	CHECK_INT(post_status("application/x-www-form-urlencoded", q, strlen(q)), 400);

	/* form fields have their own REQ_MAX_FIELDS */
	q = rep("f=2&", REQ_MAX_FIELDS);
	CHECK_INT(post_status("application/x-www-form-urlencoded", q, strlen(q)), 0);
	q = cat(q, "g");
	CHECK_INT(post_status("application/x-www-form-urlencoded", q, strlen(q)), 400);
}

static void test_form_body_limit(void)
{
	char *q;

	q = rep("&", REQ_MAX_FORM_BODY);
	CHECK_INT(post_status("application/x-www-form-urlencoded", q, REQ_MAX_FORM_BODY), 0);
	q = rep("&", REQ_MAX_FORM_BODY + 1);
	CHECK_INT(post_status("application/x-www-form-urlencoded", q, REQ_MAX_FORM_BODY + 1), 413);
	/* the form limit is for urlencoded bodies only: a multipart body may be larger */
	q = cat(cat("--x\r\nContent-Disposition: form-data; name=f; filename=a\r\n\r\n", q),
		"\r\n--x--");
	CHECK_INT(post_status("multipart/form-data; boundary=x", q, strlen(q)), 0);
	/* "=&=&..." fills a whole body with skipped pieces; still fine */
	q = rep("=&", REQ_MAX_FORM_BODY / 2);
	CHECK_INT(post_status("application/x-www-form-urlencoded", q, REQ_MAX_FORM_BODY), 0);
}

static void test_content_length(void)
{
	/* CONTENT_LENGTH, the body sent ("": none, a NULL body) and the status */
	static const struct {
		const char *cl, *body;
		int status;
	} lengths[] = {
	    {"5", "hello", 0},
	    {"0", "", 0},
	    {"", "", 0},
	    {"0000000005", "hello", 0},
	    {"00000000005", "hello", 400},
	    {"5", "hell", 400},
	    {"4", "hello", 400},
	    {"", "hello", 400},
	    {"0", "hello", 400},
	    {"-1", "", 400},
	    {"1e3", "", 400},
	    {" 5", "hello", 400},
	    {"5 ", "hello", 400},
	    {"+5", "hello", 400},
	    {"0x5", "hello", 400},
	    {"5.0", "hello", 400},
	    {"18446744073709551621", "hello", 400}, /* 2^64 + 5 */
	    {"9999999999", "hello", 400},
	};
	struct t t;

	for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
		const char *b = lengths[i].body[0] ? lengths[i].body : NULL;
		int failed = check_failed;
		CHECK_INT(cl_status(lengths[i].cl, b, b ? strlen(b) : 0), lengths[i].status);
		if (check_failed > failed)
			fprintf(stderr, "  CONTENT_LENGTH \"%s\"\n", lengths[i].cl);
	}
	CHECK_INT(status(ENV("REQUEST_METHOD=POST", "REQUEST_URI=/"), NULL, 0), 0);
	CHECK_INT(status(ENV("REQUEST_METHOD=POST", "REQUEST_URI=/"), "x", 1), 400);

	CHECK_INT(
	    parse(&t, ENV("REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_LENGTH=1e3"), NULL, 0),
	    400);
	CHECK(strstr(t.err, "CONTENT_LENGTH") != NULL);
	done(&t);
}

static void test_header_limits(void)
{
	char *ok, *big;

	ok = rep("u", REQ_MAX_HEADER);
	big = rep("u", REQ_MAX_HEADER + 1);
	CHECK_INT(status(ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", cat("HTTP_USER_AGENT=", ok)),
			 NULL, 0),
		  0);
	CHECK_INT(status(ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", cat("HTTP_USER_AGENT=", big)),
			 NULL, 0),
		  431);
	CHECK_INT(status(ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", cat("HTTP_X_ANYTHING=", big)),
			 NULL, 0),
		  431);
	CHECK_INT(
	    status(ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", cat("HTTP_REFERER=", big)), NULL, 0),
	    431);
	CHECK_INT(
	    status(ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", cat("CONTENT_TYPE=", big)), NULL, 0),
	    431);
	/* a long server-side param is not a header */
	CHECK_INT(
	    status(ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", cat("DOCUMENT_ROOT=", big)), NULL, 0),
	    0);
	/* a header limit hit wins over a malformed request */
	CHECK_INT(status(ENV(cat("HTTP_COOKIE=", big)), NULL, 0), 431);
}

static void test_request_id_https(void)
{
	struct t t;

	CHECK_INT(
	    parse(&t,
		  ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTP_X_REQUEST_ID=from-proxy_1.2",
		      "HTTP_X_FORWARDED_PROTO=https", "HTTPS="),
		  NULL, 0),
	    0);
	CHECK_STR(t.r.request_id, "from-proxy_1.2");
	CHECK_INT(t.r.https, 1);
	done(&t);

	CHECK_INT(parse(&t,
			ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTP_X_REQUEST_ID=other",
			    "REQUEST_ID=ngx", "HTTP_X_FORWARDED_PROTO=http", "HTTPS=off"),
			NULL, 0),
		  0);
	CHECK_STR(t.r.request_id, "ngx");
	CHECK_INT(t.r.https, 0);
	done(&t);

	/* an id that would mess up a log line is replaced */
	CHECK_INT(
	    parse(&t, ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", "REQUEST_ID=a b\"c"), NULL, 0), 0);
	CHECK_STR(t.r.request_id, "-");
	done(&t);

	/* refusals still carry the id and address for the error log */
	CHECK_INT(parse(&t,
			ENV("REQUEST_METHOD=GET", "REQUEST_URI=/%00", "REQUEST_ID=abc",
			    "REMOTE_ADDR=192.0.2.1"),
			NULL, 0),
		  400);
	CHECK_STR(t.r.request_id, "abc");
	CHECK_STR(t.r.remote_addr, "192.0.2.1");
	CHECK(t.r.path != NULL && t.r.host != NULL && t.r.query_string != NULL);
	done(&t);
}

static void test_err_and_env(void)
{
	char **dup = ENV("GARBAGE", "REQUEST_METHOD=GET", "REQUEST_METHOD=POST", "REQUEST_URI=/one",
			 "REQUEST_URI=/two", "EMPTY=");
	struct arena a;
	struct request r;
	char err[8];
	struct t t;

	/* the reason never echoes request bytes */
	CHECK_INT(parse(&t, ENV("REQUEST_METHOD=GET", "REQUEST_URI=/SECRET%zz?x=SECRET"), NULL, 0),
		  400);
	CHECK(strstr(t.err, "SECRET") == NULL);
	CHECK(strstr(t.err, "percent") != NULL);
	done(&t);
	CHECK_INT(parse(&t, ENV("REQUEST_METHOD=GET", "REQUEST_URI=/?x=%zzSECRET"), NULL, 0), 400);
	CHECK_STR(t.err, "bad percent-encoding in query");
	done(&t);
	CHECK_INT(parse(&t, ENV("REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTP_COOKIE=SECRET=\x01"),
			NULL, 0),
		  400);
	CHECK(strstr(t.err, "SECRET") == NULL);
	done(&t);

	/* err may be small or absent */
	arena_init(&a, 0);
	CHECK_INT(request_parse(&r, &a, ENV("REQUEST_URI=/"), NULL, 0, err, sizeof err), 400);
	CHECK_INT(strlen(err), sizeof err - 1);
	CHECK_INT(request_parse(&r, &a, ENV("REQUEST_URI=/"), NULL, 0, NULL, 0), 400);
	arena_reset(&a);
	/* the arena can be reset and reused for the next request */
	CHECK_INT(request_parse(&r, &a, ENV("REQUEST_METHOD=GET", "REQUEST_URI=/x?a=b"), NULL, 0,
				NULL, 0),
		  0);
	CHECK_STR(request_query(&r, "a"), "b");
	arena_free(&a);

	/* first param of a name wins; entries without '=' are ignored */
	CHECK_INT(parse(&t, dup, NULL, 0), 0);
	CHECK_INT(t.r.method, HTTP_GET);
	CHECK_STR(t.r.path, "/one");
	CHECK_STR(request_param(&t.r, "EMPTY"), "");
	CHECK(request_param(&t.r, "GARBAGE") == NULL);
	done(&t);

	/* a small arena block size forces many blocks; results are the same */
	arena_init(&a, 64);
	CHECK_INT(request_parse(&r, &a,
				ENV("REQUEST_METHOD=GET", "REQUEST_URI=/p/%C3%A9?a=1&bb=22&ccc=333",
				    "HTTP_COOKIE=x=1; y=2", "HTTP_HOST=A.B"),
				NULL, 0, NULL, 0),
		  0);
	CHECK_STR(r.path, "/p/\xc3\xa9");
	CHECK_STR(request_query(&r, "ccc"), "333");
	CHECK_STR(request_cookie(&r, "y"), "2");
	CHECK_STR(r.host, "a.b");
	arena_free(&a);
}

int main(void)
{
	arena_init(&mem, 0);
	test_http_url_ok();
	test_plain_get();
	test_minimal_get();
	test_decoding();
	test_url_decode();
	test_utf8_valid();
	test_post_form();
	test_non_form_bodies();
	test_cookies();
	test_cookie_limits();
	test_host();
	test_method();
	test_uri();
	test_percent_refusals();
	test_utf8_refusals();
	test_field_limits();
	test_form_body_limit();
	test_content_length();
	test_header_limits();
	test_request_id_https();
	test_err_and_env();
	arena_free(&mem);
	return CHECK_DONE("request");
}
