/* cookie_test.c - unit tests of Set-Cookie values: exact strings, deletion and refusals. */
#include <string.h>

#include "buf.h"
#include "check.h"
#include "cookie.h"

/* Runs cookie_set into a fresh buffer prefilled with "X" and returns the status. */
static int set(struct buf *b, const char *name, const char *value, long max_age, const char *path,
	       int secure, int http_only, const char *same_site)
{
	buf_reset(b);
	buf_puts(b, "X");
	return cookie_set(b, name, value, max_age, path, secure, http_only, same_site);
}

/* cookie_set's arguments and the Set-Cookie value it must write after the "X". */
struct set_case {
	const char *name, *value;
	long max_age;
	const char *path;
	int secure, http_only;
	const char *same_site, *want;
};

static void check_sets(const struct set_case *c, size_t n)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		CHECK_INT(set(&b, c[i].name, c[i].value, c[i].max_age, c[i].path, c[i].secure,
			      c[i].http_only, c[i].same_site),
			  0);
		CHECK_STR(b.data, c[i].want);
	}
	buf_free(&b);
}

static void test_set(void)
{
	static const struct set_case cases[] = {
	    {"sid", "abc", 3600, "/", 1, 1, "Lax",
	     "Xsid=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure"},
	    {"sid", "abc", 3600, "/", 0, 1, "Strict",
	     "Xsid=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict"},
	    {"lang", "sv", COOKIE_SESSION, "/", 0, 0, NULL, "Xlang=sv; Path=/"},
	    {"a", "", COOKIE_SESSION, NULL, 0, 0, NULL, "Xa="},
	    {"sso", "x", 600, "/sso", 1, 1, "None",
	     "Xsso=x; Path=/sso; Max-Age=600; HttpOnly; SameSite=None; Secure"},
	    {"__Host-sid", "v", 1209600, "/", 1, 1, "Lax",
	     "X__Host-sid=v; Path=/; Max-Age=1209600; HttpOnly; SameSite=Lax; Secure"},
	    {"__Secure-x", "v", COOKIE_SESSION, "/admin", 1, 0, NULL,
	     "X__Secure-x=v; Path=/admin; Secure"},
	    /* Every cookie-octet range edge and every token character class. */
	    {"!#$%&'*+-.^_`|~09AZaz", "!#+-:<[]~", COOKIE_SESSION, NULL, 0, 0, NULL,
	     "X!#$%&'*+-.^_`|~09AZaz=!#+-:<[]~"},
	};
	check_sets(cases, sizeof cases / sizeof cases[0]);
}

static void test_delete(void)
{
	static const struct set_case cases[] = {
	    {"sid", "", COOKIE_DELETE, "/", 1, 1, "Lax",
	     "Xsid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; "
	     "SameSite=Lax; Secure"},
	    {"lang", "", 0, NULL, 0, 0, NULL,
	     "Xlang=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"},
	};
	check_sets(cases, sizeof cases / sizeof cases[0]);
}

static void test_refusals(void)
{
	struct buf b = BUF_INIT;
	static const char *bad_names[] = {
	    "",	    "s id", "s\tid",   "s;id",	  "s=id",  "s,id",  "s\"id",	 "s(id", "s)id",
	    "s<id", "s>id", "s@id",    "s:id",	  "s\\id", "s/id",  "s[id",	 "s]id", "s?id",
	    "s{id", "s}id", "s\x7fid", "s\x01id", "s\rid", "s\nid", "s\xc3\xa9",
	};
	static const char *bad_values[] = {
	    "a b",   "a\"b",	 "\"ab\"",
	    "a,b",   "a;b",	 "a\\b",
	    "a\x01", "a\x7f",	 "a\r\nSet-Cookie: x=1",
	    "a\tb",  "\xc3\xa9",
	};
	int all = 1;

	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		int rc = set(&b, bad_names[i], "v", 60, "/", 1, 1, "Lax");
		if (rc != -1 || strcmp(b.data, "X") != 0) {
			fprintf(stderr, "name %zu accepted\n", i);
			all = 0;
		}
	}
	CHECK(all);
	all = 1;
	for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		int rc = set(&b, "sid", bad_values[i], 60, "/", 1, 1, "Lax");
		if (rc != -1 || strcmp(b.data, "X") != 0) {
			fprintf(stderr, "value %zu accepted\n", i);
			all = 0;
		}
	}
	CHECK(all);

	CHECK_INT(set(&b, NULL, "v", 60, "/", 1, 1, "Lax"), -1);
	CHECK_INT(set(&b, "sid", NULL, 60, "/", 1, 1, "Lax"), -1);
	CHECK_INT(cookie_set(NULL, "sid", "v", 60, "/", 1, 1, "Lax"), -1);
	CHECK_INT(set(&b, "sid", "v", 60, "/a;b", 1, 1, "Lax"), -1);
	CHECK_INT(set(&b, "sid", "v", 60, "/a\nb", 1, 1, "Lax"), -1);
	CHECK_INT(set(&b, "sid", "v", 60, "/a\x7f", 1, 1, "Lax"), -1);
	CHECK_INT(set(&b, "sid", "v", 60, "/\xc3\xa9", 1, 1, "Lax"), -1);
	CHECK_INT(set(&b, "sid", "v", -2, "/", 1, 1, "Lax"), -1);
	CHECK_INT(set(&b, "sid", "v", 60, "/", 1, 1, "lax"), -1);
	CHECK_INT(set(&b, "sid", "v", 60, "/", 1, 1, "Lax; Domain=evil"), -1);
	CHECK_INT(set(&b, "sid", "v", 60, "/", 0, 1, "None"), -1); /* None needs Secure */
	CHECK_INT(set(&b, "__Secure-sid", "v", 60, "/", 0, 1, "Lax"), -1);
	CHECK_INT(set(&b, "__host-sid", "v", 60, "/", 0, 1, "Lax"), -1);
	CHECK_INT(set(&b, "__Host-sid", "v", 60, "/admin", 1, 1, "Lax"), -1);
	CHECK_INT(set(&b, "__Host-sid", "v", 60, NULL, 1, 1, "Lax"), -1);
	CHECK_STR(b.data, "X");

	/* Paths may hold spaces and other printable ASCII (path-value is any CHAR but CTLs and
	 * ';'). */
	CHECK_INT(set(&b, "sid", "v", COOKIE_SESSION, "/a b,c", 0, 0, NULL), 0);
	CHECK_STR(b.data, "Xsid=v; Path=/a b,c");

	/* Size: name + value up to 4096 bytes. */
	static char big[COOKIE_MAX_NAME_VALUE + 2];
	memset(big, 'v', sizeof(big) - 1);
	big[COOKIE_MAX_NAME_VALUE - 3] = '\0';
	CHECK_INT(set(&b, "sid", big, 60, "/", 1, 1, "Lax"), 0);
	big[COOKIE_MAX_NAME_VALUE - 3] = 'v';
	big[COOKIE_MAX_NAME_VALUE - 2] = '\0';
	CHECK_INT(set(&b, "sid", big, 60, "/", 1, 1, "Lax"), -1);
	CHECK_STR(b.data, "X");
	buf_free(&b);
}

int main(void)
{
	test_set();
	test_delete();
	test_refusals();
	return CHECK_DONE("cookie");
}
