/* mail_render_test.c - unit tests of mail_render_custom: admin-edited emails as plain text with an HTML version. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "i18n.h"
#include "log.h"
#include "mail_render.h"

static struct json_object *data(void)
{
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "name", json_object_new_string("Tess O'Brien & Co"));
	json_object_object_add(d, "portal_name", json_object_new_string("Acme <Support>"));
	json_object_object_add(d, "link", json_object_new_string("https://example.com/password-reset/a?b=1&c=2"));
	return d;
}

static void test_plain_text_and_html(void)
{
	struct buf s = BUF_INIT, t = BUF_INIT, h = BUF_INIT;
	char err[256] = "";
	struct json_object *d = data();
	int rc = mail_render_custom("en", "Welcome {{name}}\n to {{{portal_name}}}",
				    "Hi {{name}},\n\nJoin {{portal_name}}:\n{{link}}\n\n\nBye <3", d, &s, &t, &h,
				    err, sizeof err);
	CHECK_INT(rc, 0);
	CHECK_STR(s.data, "Welcome Tess O'Brien & Co  to Acme <Support>");
	CHECK_STR(t.data, "Hi Tess O'Brien & Co,\n\nJoin Acme <Support>:\nhttps://example.com/password-reset/a?b=1&c=2\n\n\nBye <3");
	CHECK(h.data && strstr(h.data, "<p>Hi Tess O&#39;Brien &amp; Co,</p>\n<p>Join Acme &lt;Support&gt;:<br>\n"
					"<a href=\"https://example.com/password-reset/a?b=1&amp;c=2\">") != NULL);
	CHECK(h.data && strstr(h.data, "<p>Bye &lt;3</p>") != NULL);
	json_object_put(d);
	buf_free(&s);
	buf_free(&t);
	buf_free(&h);
}

static void test_compile_errors(void)
{
	struct buf s = BUF_INIT, t = BUF_INIT, h = BUF_INIT;
	char err[256] = "";
	struct json_object *d = data();
	CHECK_INT(mail_render_custom("en", "Hi {{#name}}", "{{link}}", d, &s, &t, &h, err, sizeof err), -1);
	CHECK_STR(err, "subject: line 1: unclosed section 'name'");
	CHECK_INT(mail_render_custom("en", "Hi", "a\n{{/x}}", d, &s, &t, &h, err, sizeof err), -1);
	CHECK(strncmp(err, "body: line 2:", 13) == 0);
	json_object_put(d);
	buf_free(&s);
	buf_free(&t);
	buf_free(&h);
}

int main(void)
{
	char err[256] = "";
	log_open("-", LOG_ERROR);
	if (i18n_load("templates/i18n", err, sizeof err) < 0)
		fprintf(stderr, "i18n_load: %s\n", err);
	test_plain_text_and_html();
	test_compile_errors();
	i18n_free();
	return CHECK_DONE("mail_render");
}
