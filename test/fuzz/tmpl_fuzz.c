/* tmpl_fuzz.c - libFuzzer target: fuzzed templates compiled and rendered by lib/tmpl. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "tmpl.h"

/*
 * Input: up to three NUL-separated pieces, compiled as templates "main", "p" and "layout"
 * (so {{>p}}, {{<layout}} and self-inclusion all resolve), then "main" is rendered twice
 * against a small fixed context; both renderings must be identical, since rendering must
 * leave the compiled templates untouched.
 */
static const char context[] =
	"{\"a\":\"x<y&'\\\"\",\"b\":[1,2,{\"c\":true,\"a\":\"inner\"}],\"n\":0,\"t\":true,"
	"\"o\":{\"a\":\"in\",\"o\":{\"d\":1.25}},\"s\":\"\",\"l\":[[1,[2]],[]],\"z\":null}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"main", "p", "layout"};
	struct tmpl_set *s = tmpl_set_new();
	struct json_object *ctx = json_tokener_parse(context);
	struct buf one = BUF_INIT, two = BUF_INIT;
	const char *p = (const char *)data, *end = p + size;
	char err[256];

	for (size_t i = 0; i < 3 && p <= end; i++) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);
		tmpl_set_add(s, names[i], p, n, err, sizeof err);
		p += n + 1;
	}
	int r1 = tmpl_render(s, "main", ctx, &one, err, sizeof err);
	int r2 = tmpl_render(s, "main", ctx, &two, err, sizeof err);
	if (r1 != r2 || one.len != two.len || (one.len && memcmp(one.data, two.data, one.len)))
		abort();
	buf_free(&one);
	buf_free(&two);
	json_object_put(ctx);
	tmpl_set_free(s);
	return 0;
}
