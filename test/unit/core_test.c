/* core_test.c - unit tests of arena, buf escapers, route matching and response serialisation. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "check.h"
#include "markup.h"
#include "response.h"
#include "route.h"

static void test_arena(void)
{
	struct arena a;
	arena_init(&a, 1024);
	char *s = arena_strdup(&a, "hello");
	CHECK_STR(s, "hello");
	void *p = arena_alloc(&a, 10);
	CHECK(((unsigned long)p & 15) == 0);
	CHECK(((unsigned char *)p)[9] == 0);
	char *big = arena_alloc(&a, 5000); /* larger than a block */
	CHECK(big != NULL);
	memset(big, 'x', 5000);
	char *after = arena_strdup(&a, "still fine");
	CHECK_STR(after, "still fine");
	CHECK_STR(arena_printf(&a, "%d-%s", 42, "x"), "42-x");
	CHECK_STR(arena_strndup(&a, "abcdef", 3), "abc");
	int all = 1;
	for (int i = 0; i < 1000; i++)
		all &= arena_alloc(&a, 100) != NULL;
	CHECK(all);
	arena_reset(&a);
	CHECK_INT(a.total, 0);
	CHECK_STR(arena_strdup(&a, "after reset"), "after reset");
	CHECK(arena_alloc(&a, (size_t)-1) == NULL);
	arena_free(&a);
}

static void test_buf(void)
{
	struct buf b = BUF_INIT;
	buf_html(&b, "<a href=\"x\">O'Neil & co</a>", 27);
	CHECK_STR(b.data, "&lt;a href=&quot;x&quot;&gt;O&#39;Neil &amp; co&lt;/a&gt;");
	buf_reset(&b);
	buf_urlenc(&b, "a b/c?d=é", strlen("a b/c?d=é"));
	CHECK_STR(b.data, "a%20b%2Fc%3Fd%3D%C3%A9");
	buf_reset(&b);
	for (int i = 0; i < 10000; i++)
		buf_printf(&b, "%d,", i);
	CHECK(b.len > 40000);
	CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
	buf_free(&b);
	CHECK(b.data == NULL);
}

static void test_route(void)
{
	struct route_caps c;
	CHECK(route_match("/", "/", NULL, &c));
	CHECK(route_match("/login", "/login", NULL, &c));
	CHECK(!route_match("/login", "/login/", NULL, &c));
	CHECK(!route_match("/login", "/logins", NULL, &c));
	CHECK(!route_match("/login/link", "/login", NULL, &c));
	CHECK(route_match("/<slug>/<id>", "/tickets/42", "tickets", &c));
	CHECK_INT(c.n, 1);
	CHECK_STR(c.v[0], "42");
	CHECK(!route_match("/<slug>/<id>", "/cases/42", "tickets", &c));
	CHECK(route_match("/<slug>/<id>", "/cases/42", "cases", &c));
	CHECK(!route_match("/<slug>/<id>", "/tickets/042", "tickets", &c));
	CHECK(!route_match("/<slug>/<id>", "/tickets/4a", "tickets", &c));
	CHECK(!route_match("/<slug>/<id>", "/tickets/", "tickets", &c));
	CHECK(!route_match("/<slug>/<id>", "/tickets/1234567890123456789", "tickets", &c));
	CHECK(route_match("/files/<id>/<name>", "/files/7/report.pdf", NULL, &c));
	CHECK_INT(c.n, 2);
	CHECK_STR(c.v[1], "report.pdf");
	CHECK(route_match("/password-reset/<token>", "/password-reset/abc", NULL, &c));
	CHECK(!route_match("/password-reset/<token>", "/password-reset/", NULL, &c));
	CHECK(!route_match("/password-reset/<token>", "/password-reset/a/b", NULL, &c));
	CHECK(route_match("/admin/<*rest>", "/admin/settings/theme", NULL, &c));
	CHECK_STR(c.v[0], "settings/theme");
	CHECK(!route_match("/x", "x", NULL, &c));
}

static void test_response(void)
{
	struct response r;
	response_init(&r);
	struct buf out = BUF_INIT;
	response_header(&r, "X-Test", "1");
	buf_puts(&r.body, "<p>hi</p>");
	response_serialize(&r, 0, &out);
	CHECK_STR(out.data, "Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nX-Test: 1\r\n"
			    "Content-Length: 9\r\n\r\n<p>hi</p>");
	response_reset(&r);
	buf_reset(&out);
	CHECK_INT(response_header(&r, "X-Evil", "a\r\nSet-Cookie: x=1"), -1);
	response_redirect(&r, 303, "/tickets?q=a b\"<x>\r\nX: y");
	response_serialize(&r, 1, &out);
	CHECK(strstr(out.data, "Location: /tickets?q=a%20b%22%3Cx%3E%0D%0AX:%20y\r\n") != NULL);
	CHECK(strstr(out.data, "Status: 303 See Other\r\n") == out.data);
	CHECK(strstr(out.data, "Set-Cookie") == NULL);
	CHECK(strstr(out.data, "Content-Length: 0\r\n\r\n") != NULL);
	buf_free(&out);
	response_free(&r);
}

static void expect_markup(const char *in, const char *want)
{
	struct buf b = BUF_INIT;
	markup_links_html(&b, in);
	CHECK_STR(b.data ? b.data : "", want);
	buf_free(&b);
}

static void test_markup(void)
{
	expect_markup("Read our [privacy policy](https://example.com/privacy).",
		      "Read our <a href=\"https://example.com/privacy\" rel=\"noopener noreferrer\">privacy policy</a>.");
	expect_markup("<b>bold</b> & [x](javascript:alert(1))",
		      "&lt;b&gt;bold&lt;/b&gt; &amp; [x](javascript:alert(1))");
	expect_markup("[a](https://x.example/\"onmouseover=1)", "[a](https://x.example/&quot;onmouseover=1)");
	expect_markup("[<img>](https://x.example/)",
		      "<a href=\"https://x.example/\" rel=\"noopener noreferrer\">&lt;img&gt;</a>");
	expect_markup("line one\nline two", "line one<br>line two");
	expect_markup("[unclosed](https://x.example", "[unclosed](https://x.example");
	expect_markup("[plain](http://x.example/)", "[plain](http://x.example/)");
	expect_markup("", "");
}

int main(void)
{
	test_markup();
	test_arena();
	test_buf();
	test_route();
	test_response();
	return CHECK_DONE("core");
}
