/* tmpl.h - mustache templates: compiled once into a named set, rendered often with json-c data. */
#ifndef PORTAL_TMPL_H
#define PORTAL_TMPL_H

#include <stddef.h>

#include <json-c/json.h>

#include "buf.h"

/*
 * Implements the mustache spec (interpolation, sections, inverted sections, comments, set
 * delimiters, partials and inheritance with block reindentation; no lambdas).
 *
 * - {{x}} is HTML-escaped with buf_html (& < > " '); {{{x}}} and {{&x}} are not.
 * - Strings render as-is, integers in decimal, doubles in the shortest form that reads back
 *   the same (1.210 -> "1.21", 3.0 -> "3"), booleans as "true"/"false"; null, missing
 *   names, objects and arrays render as "".
 * - Falsey for sections: missing, null, false, [], "", 0 and 0.0 (the `!!data` of the spec
 *   overview); everything else, including {}, is truthy. Arrays iterate.
 * - Partials and parents resolve by name in the same set at render time; a missing one
 *   renders as "". Nested partials, parents and blocks are limited to 64 levels.
 *
 * A compiled set is immutable while rendering: any number of threads may call tmpl_render
 * on the same set concurrently, as long as nobody adds to or frees it meanwhile.
 */
struct tmpl_set;

struct tmpl_set *tmpl_set_new(void); /* NULL when out of memory */
void tmpl_set_free(struct tmpl_set *s); /* NULL is a no-op */

/*
 * Compiles src[0..len) under name, replacing a template of the same name. Returns 0, or -1
 * with a message such as "line 3: unclosed section 'x'" in err (when err is not NULL); on
 * failure the set is unchanged. src may contain any bytes and is copied.
 */
int tmpl_set_add(struct tmpl_set *s, const char *name, const char *src, size_t len, char *err,
		 size_t errlen);

int tmpl_set_has(const struct tmpl_set *s, const char *name); /* 1 or 0 */

/*
 * Renders template `name` against ctx (any json value; NULL is json null) and appends the
 * result to out. Returns 0, or -1 with err filled if name is unknown, nesting is too deep
 * (e.g. a partial that includes itself forever) or out ran out of memory; on failure out is
 * cut back to its length on entry. Needs no allocation besides out's growth.
 */
int tmpl_render(const struct tmpl_set *s, const char *name, struct json_object *ctx,
		struct buf *out, char *err, size_t errlen);

/*
 * Loads every *.mustache file below dir, recursively (entries starting with '.' are
 * skipped). A file's name is its path relative to dir without the extension, e.g.
 * "portal/login" or "layout". Returns the number loaded, or -1 with err naming the file and
 * the problem (the files loaded before it stay in the set).
 */
int tmpl_set_load_dir(struct tmpl_set *s, const char *dir, char *err, size_t errlen);

#endif
