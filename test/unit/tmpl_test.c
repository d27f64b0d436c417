/* tmpl_test.c - lib/tmpl: every case of the mustache spec files, then portal-specific checks. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "check.h"
#include "tmpl.h"

/* ---- the spec: every .json file in argv[1], each test case one CHECK ---- */

static void put_quoted(const char *s)
{
	fputc('"', stderr);
	for (; s && *s; s++) {
		if (*s == '\n')
			fputs("\\n", stderr);
		else if (*s == '\r')
			fputs("\\r", stderr);
		else if (*s == '\t')
			fputs("\\t", stderr);
		else
			fputc(*s, stderr);
	}
	fputs("\"\n", stderr);
}

static const char *field(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static int add_str(struct tmpl_set *s, const char *name, struct json_object *src, char *err,
		   size_t errlen)
{
	return tmpl_set_add(s, name, json_object_get_string(src),
			    (size_t)json_object_get_string_len(src), err, errlen);
}

/* Renders one case; returns 1 if it matches "expected", else prints why and returns 0. */
static int spec_case(const char *file, struct json_object *tc)
{
	struct json_object *data = NULL, *partials = NULL, *tpl = NULL;
	struct tmpl_set *s = tmpl_set_new();
	struct buf out = BUF_INIT;
	char err[256] = "";
	int rc = s ? 0 : -1;

	json_object_object_get_ex(tc, "data", &data);
	json_object_object_get_ex(tc, "template", &tpl);
	if (json_object_object_get_ex(tc, "partials", &partials)) {
		json_object_object_foreach(partials, pname, psrc)
		{
			if (rc == 0)
				rc = add_str(s, pname, psrc, err, sizeof err);
		}
	}
	if (rc == 0)
		rc = add_str(s, "spec/main", tpl, err, sizeof err);
	if (rc == 0)
		rc = tmpl_render(s, "spec/main", data, &out, err, sizeof err);
	if (rc == 0 && !strcmp(out.data ? out.data : "", field(tc, "expected"))) {
		buf_free(&out);
		tmpl_set_free(s);
		return 1;
	}
	fprintf(stderr, "FAIL spec %s: %s%s%s\n  expected: ", file, field(tc, "name"),
		rc ? " error: " : "", rc ? err : "");
	put_quoted(field(tc, "expected"));
	fputs("  got:      ", stderr);
	put_quoted(out.data ? out.data : "");
	buf_free(&out);
	tmpl_set_free(s);
	return 0;
}

static int is_json(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return n > 5 && !strcmp(de->d_name + n - 5, ".json");
}

static void spec_file(const char *dir, const char *fname, int *passed, int *total)
{
	char path[4096];
	struct json_object *root, *tests;

	snprintf(path, sizeof path, "%s/%s", dir, fname);
	root = json_object_from_file(path);
	if (!root || !json_object_object_get_ex(root, "tests", &tests)) {
		fprintf(stderr, "FAIL spec %s: cannot read tests\n", path);
		CHECK(0);
		json_object_put(root);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(tests); i++) {
		int ok = spec_case(fname, json_object_array_get_idx(tests, i));
		CHECK(ok);
		*passed += ok;
		(*total)++;
	}
	json_object_put(root);
}

static void test_spec(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, is_json, alphasort);
	int passed = 0, total = 0;

	if (n <= 0) {
		fprintf(stderr, "FAIL spec: no *.json files in %s\n", dir);
		CHECK(0);
		return;
	}
	for (int i = 0; i < n; i++) {
		spec_file(dir, names[i]->d_name, &passed, &total);
		free(names[i]);
	}
	free(names);
	printf("mustache spec: %d/%d passed\n", passed, total);
}

/* ---- helpers for the unit checks ---- */

/*
 * Renders tsrc as "main" in a fresh set holding the NULL-terminated name/source pairs in
 * partials, against the json text data. Returns the output, or "ERROR: <message>" if
 * anything fails; the text lives in *out.
 */
static const char *render(struct buf *out, const char *tsrc, const char *data,
			  const char *const *partials)
{
	struct tmpl_set *s = tmpl_set_new();
	struct json_object *ctx = data ? json_tokener_parse(data) : NULL;
	char err[256] = "";
	int rc = tmpl_set_add(s, "main", tsrc, strlen(tsrc), err, sizeof err);

	for (; rc == 0 && partials && *partials; partials += 2)
		rc = tmpl_set_add(s, partials[0], partials[1], strlen(partials[1]), err,
				  sizeof err);
	buf_reset(out);
	if (rc == 0)
		rc = tmpl_render(s, "main", ctx, out, err, sizeof err);
	if (rc < 0) {
		buf_reset(out);
		buf_printf(out, "ERROR: %s", err);
	}
	json_object_put(ctx);
	tmpl_set_free(s);
	return out->data ? out->data : "";
}

static const char *compile_error(char *err, size_t errlen, const char *tsrc)
{
	struct tmpl_set *s = tmpl_set_new();
	int rc = tmpl_set_add(s, "x", tsrc, strlen(tsrc), err, errlen);

	tmpl_set_free(s);
	return rc == -1 ? err : "(compiled)";
}

/* ---- unit checks ---- */

static void test_escaping(void)
{
	struct buf b = BUF_INIT;
	const char *d = "{\"x\":\"<a href='u?a=1&b=2'>\\\"hi\\\"</a>\"}";

	CHECK_STR(render(&b, "{{x}}", d, NULL),
		  "&lt;a href=&#39;u?a=1&amp;b=2&#39;&gt;&quot;hi&quot;&lt;/a&gt;");
	CHECK_STR(render(&b, "{{{x}}}|{{& x }}", d, NULL),
		  "<a href='u?a=1&b=2'>\"hi\"</a>|<a href='u?a=1&b=2'>\"hi\"</a>");
	CHECK_STR(render(&b, "{{=<% %>=}}<%{x}%>", "{\"x\":\"'\"}", NULL), "'");
	buf_free(&b);
}

static void test_values(void)
{
	struct buf b = BUF_INIT;
	const char *d = "{\"a\":1.210,\"b\":85,\"c\":3.0,\"d\":-2,\"e\":true,\"f\":false,"
			"\"g\":null,"
			"\"h\":0.1,\"i\":9223372036854775807,\"j\":18446744073709551615,"
			"\"k\":-1.5e-7,\"l\":{\"m\":1},\"n\":[1,2]}";

	CHECK_STR(render(&b, "{{a}}|{{b}}|{{c}}|{{d}}|{{e}}|{{f}}|{{g}}|{{h}}", d, NULL),
		  "1.21|85|3|-2|true|false||0.1");
	CHECK_STR(render(&b, "{{i}}|{{j}}|{{k}}|{{l}}|{{n}}|{{missing}}", d, NULL),
		  "9223372036854775807|18446744073709551615|-1.5e-07|||");
	CHECK_STR(render(&b, "{{.}}", "2.5", NULL), "2.5");
	CHECK_STR(render(&b, "[{{x}}]", NULL, NULL), "[]");
	buf_free(&b);
}

static void test_truthiness(void)
{
	struct buf b = BUF_INIT;
	const char *d = "{\"s\":\"\",\"z\":0,\"zf\":0.0,\"o\":{},\"s0\":\"0\",\"a\":[],\"n\":null,"
			"\"t\":true,\"one\":1}";
	const char *t = "{{#s}}s{{/s}}{{#z}}z{{/z}}{{#zf}}zf{{/zf}}{{#a}}a{{/a}}{{#n}}n{{/n}}"
			"{{#nope}}nope{{/nope}}|{{#o}}o{{/o}}{{#s0}}s0{{/s0}}{{#t}}t{{/t}}"
			"{{#one}}{{.}}{{/one}}|{{^s}}!s{{/s}}{{^o}}!o{{/o}}";

	CHECK_STR(render(&b, t, d, NULL), "|os0t1|!s");
	buf_free(&b);
}

static void test_partials(void)
{
	struct buf b = BUF_INIT;
	const char *const loop[] = {"loop", "x{{>loop}}", NULL};
	const char *const self_parent[] = {"p", "{{<p}}{{/p}}", NULL};
	const char *const item[] = {"item", "<li>\n  {{name}}\n\n</li>\n", NULL};
	struct tmpl_set *s = tmpl_set_new();
	char err[128] = "";
	int rc;

	CHECK_STR(render(&b, "a{{>nope}}b\n  {{>nope}}\nc", NULL, NULL), "ab\nc");
	CHECK_STR(render(&b, "{{>loop}}", NULL, loop),
		  "ERROR: partials nested too deep (more than 64 levels)");
	CHECK_STR(render(&b, "{{<p}}{{/p}}", NULL, self_parent),
		  "ERROR: partials nested too deep (more than 64 levels)");
	/* Indentation reaches lines of nested partials but not blank lines or values. */
	CHECK_STR(render(&b, "<ul>\n  {{#list}}\n  {{>item}}\n  {{/list}}\n</ul>\n",
			 "{\"list\":[{\"name\":\"a\\nb\"},{\"name\":\"c\"}]}", item),
		  "<ul>\n  <li>\n    a\nb\n\n  </li>\n  <li>\n    c\n\n  </li>\n</ul>\n");

	/* A partial may be added after its user; errors leave out as it was. */
	tmpl_set_add(s, "main", "[{{>later}}]", 12, err, sizeof err);
	tmpl_set_add(s, "later", "ok", 2, err, sizeof err);
	tmpl_set_add(s, "loop", "{{>loop}}", 9, err, sizeof err);
	buf_reset(&b);
	buf_puts(&b, "keep:");
	CHECK_INT(tmpl_render(s, "main", NULL, &b, err, sizeof err), 0);
	CHECK_STR(b.data, "keep:[ok]");
	rc = tmpl_render(s, "loop", NULL, &b, err, sizeof err);
	CHECK_INT(rc, -1);
	CHECK_STR(b.data, "keep:[ok]");
	CHECK_INT(tmpl_render(s, "nope", NULL, &b, err, sizeof err), -1);
	CHECK_STR(err, "unknown template 'nope'");
	tmpl_set_free(s);
	buf_free(&b);
}

static void test_errors(void)
{
	char err[128];

	CHECK_STR(compile_error(err, sizeof err, "a\n\n{{#x}}\nb\n"),
		  "line 3: unclosed section 'x'");
	CHECK_STR(compile_error(err, sizeof err, "{{#a}}\n{{/b}}"),
		  "line 2: closing tag 'b' does not match 'a' (line 1)");
	CHECK_STR(compile_error(err, sizeof err, "x\n{{/a}}"),
		  "line 2: closing tag 'a' without an open section");
	CHECK_STR(compile_error(err, sizeof err, "x\n\n{{y\n"), "line 3: unclosed tag");
	CHECK_STR(compile_error(err, sizeof err, "{{<layout}}{{$a}}"),
		  "line 1: unclosed section 'a'");
	CHECK_STR(compile_error(err, sizeof err, "{{=<% =}}"), "line 1: invalid delimiters");
	CHECK_STR(compile_error(err, sizeof err, "{{}}"), "line 1: empty tag");
	CHECK_STR(compile_error(err, sizeof err, "{{a..b}}"), "line 1: invalid name 'a..b'");
}

static void test_set(void)
{
	struct tmpl_set *s = tmpl_set_new();
	struct json_object *ctx = json_tokener_parse("{\"n\":\"w\"}");
	struct buf b = BUF_INIT;
	char err[128];

	CHECK_INT(tmpl_set_has(s, "a"), 0);
	CHECK_INT(tmpl_set_add(s, "a", "one {{n}}", 9, err, sizeof err), 0);
	CHECK_INT(tmpl_set_has(s, "a"), 1);
	CHECK_INT(tmpl_set_add(s, "a", "{{#bad}}", 8, err, sizeof err), -1);
	CHECK_INT(tmpl_render(s, "a", ctx, &b, err, sizeof err), 0);
	CHECK_STR(b.data, "one w");
	CHECK_INT(tmpl_set_add(s, "a", "two {{n}}", 9, err, sizeof err), 0);
	CHECK_INT(tmpl_render(s, "a", ctx, &b, err, sizeof err), 0);
	CHECK_INT(tmpl_render(s, "a", ctx, &b, err, sizeof err), 0);
	CHECK_STR(b.data, "one wtwo wtwo w");
	json_object_put(ctx);
	buf_free(&b);
	tmpl_set_free(s);
}

static void test_inheritance(void)
{
	struct buf b = BUF_INIT;
	const char *const layout[] = {
		"layout",
		"<main>\n  {{$content}}\n  <p>none</p>\n  {{/content}}\n</main>\n"
		"<i>{{$foot}}f{{/foot}}</i>\n",
		NULL};
	const char *page = "{{<layout}}\n{{$content}}\n    <h1>{{title}}</h1>\n    {{#items}}\n"
			   "    <p>{{.}}</p>\n    {{/items}}\n{{/content}}\n{{/layout}}\n";

	CHECK_STR(render(&b, page, "{\"title\":\"T\",\"items\":[1,2]}", layout),
		  "<main>\n  <h1>T</h1>\n  <p>1</p>\n  <p>2</p>\n</main>\n<i>f</i>\n");
	CHECK_STR(render(&b, "{{>layout}}", NULL, layout),
		  "<main>\n  <p>none</p>\n</main>\n<i>f</i>\n");
	CHECK_STR(render(&b, "a\r\n  {{#t}}\r\n  b\r\n  {{/t}}\r\nc", "{\"t\":1}", NULL),
		  "a\r\n  b\r\nc");
	buf_free(&b);
}

/* Examples from the spec discussion of block reindentation (mustache/spec #131, #135). */
static void test_reindent(void)
{
	struct buf b = BUF_INIT;
	const char *const say[] = {"parent",
				   "I say,\n  {{$block}}\n  Hi there!\n  {{/block}}", NULL};
	const char *const x[] = {"parent", "{{$block}}x{{/block}}", NULL};

	CHECK_STR(render(&b,
			 "{{<parent}}\n        {{$block}}\n        Hello\n"
			 "        {{/block}}\n{{/parent}}",
			 NULL, say),
		  "I say,\n  Hello\n");
	CHECK_STR(render(&b, "{{>parent}}", NULL, say), "I say,\n  Hi there!\n");
	CHECK_STR(render(&b,
			 "* a\n* {{<parent}}{{$block}}\n        {{! big indent }}\n"
			 "        c{{/block}}"
			 "{{/parent}}\n* d",
			 NULL, x),
		  "* a\n* c\n* d");
	buf_free(&b);
}

/* Limits: compile-time section nesting, render-time nesting of sections inside recursion. */
static void test_limits(void)
{
	struct buf b = BUF_INIT, t = BUF_INIT;
	const char *deep[] = {"deep", NULL, NULL};
	char err[128];

	for (int i = 0; i < 101; i++)
		buf_puts(&t, "{{#t}}");
	CHECK_STR(compile_error(err, sizeof err, t.data),
		  "line 1: sections nested deeper than 100");
	buf_reset(&t);
	for (int i = 0; i < 99; i++)
		buf_puts(&t, "{{#t}}");
	buf_puts(&t, "{{>deep}}");
	for (int i = 0; i < 99; i++)
		buf_puts(&t, "{{/t}}");
	deep[1] = t.data;
	CHECK_STR(render(&b, "{{>deep}}", "{\"t\":true}", deep),
		  "ERROR: template nesting too deep");
	CHECK_STR(render(&b, "{{>deep}}", "{\"t\":false}", deep), "");
	buf_free(&t);
	buf_free(&b);
}

static int write_file(const char *dir, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void remove_file(const char *dir, const char *rel)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", dir, rel);
	if (unlink(path) < 0)
		rmdir(path);
}

static void test_load_dir(void)
{
	char dir[] = "/tmp/tmpl_test.XXXXXX", sub[600], err[512] = "";
	struct tmpl_set *s = tmpl_set_new();
	struct json_object *ctx = json_tokener_parse("{\"name\":\"Ann\"}");
	struct buf b = BUF_INIT;
	const char *files[] = {"portal/bad.mustache", "portal/login.mustache", "portal/notes.txt",
			       ".hidden.mustache", "layout.mustache", "portal"};

	CHECK(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof sub, "%s/portal", dir);
	CHECK_INT(mkdir(sub, 0700), 0);
	CHECK_INT(write_file(dir, "layout.mustache", "<body>\n{{$body}}{{/body}}\n</body>\n"), 0);
	CHECK_INT(write_file(dir, "portal/login.mustache",
			     "{{<layout}}\n{{$body}}\n  Hi {{name}}\n{{/body}}\n{{/layout}}\n"), 0);
	CHECK_INT(write_file(dir, "portal/notes.txt", "{{#not a template"), 0);
	CHECK_INT(write_file(dir, ".hidden.mustache", "{{#skipped"), 0);
	snprintf(sub, sizeof sub, "%s/", dir);
	CHECK_INT(tmpl_set_load_dir(s, sub, err, sizeof err), 2);
	CHECK(tmpl_set_has(s, "layout") && tmpl_set_has(s, "portal/login"));
	CHECK_INT(tmpl_render(s, "portal/login", ctx, &b, err, sizeof err), 0);
	CHECK_STR(b.data, "<body>\nHi Ann\n\n</body>\n");

	CHECK_INT(write_file(dir, "portal/bad.mustache", "ok\n{{#open}}\n"), 0);
	CHECK_INT(tmpl_set_load_dir(s, dir, err, sizeof err), -1);
	snprintf(sub, sizeof sub, "%s/portal/bad.mustache: line 2: unclosed section 'open'", dir);
	CHECK_STR(err, sub);
	snprintf(sub, sizeof sub, "%s/nonexistent", dir);
	CHECK_INT(tmpl_set_load_dir(s, sub, err, sizeof err), -1);

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		remove_file(dir, files[i]);
	CHECK_INT(rmdir(dir), 0);
	json_object_put(ctx);
	buf_free(&b);
	tmpl_set_free(s);
}

int main(int argc, char **argv)
{
	test_spec(argc > 1 ? argv[1] : "../shared/mustache-spec");
	test_escaping();
	test_values();
	test_truthiness();
	test_partials();
	test_errors();
	test_set();
	test_inheritance();
	test_reindent();
	test_limits();
	test_load_dir();
	return CHECK_DONE("tmpl");
}
