/* multipart_fuzz.c - libFuzzer target: fuzzed Content-Type and body through multipart_parse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "fuzz_check.h"
#include "multipart.h"
#include "request.h"

/*
 * Input: the Content-Type up to the first NUL, then the body. A Content-Type that does not
 * start with 'm' is taken as the boundary alone ("multipart/form-data; boundary=" is put in
 * front), so most inputs reach the body parser. Without a NUL the whole input is the body of
 * boundary "b".
 */

static void check_result(const struct multipart *m, const char *body, size_t len)
{
	if (m->nfields > MP_MAX_PARTS || m->nfiles > MP_MAX_FILES ||
	    m->nfields + m->nfiles > MP_MAX_PARTS)
		abort();
	for (size_t i = 0; i < m->nfields; i++) {
		const struct kv *kv = &m->fields[i];
		size_t nl = strlen(kv->name);
		if (nl == 0 || nl > REQ_MAX_FIELD_NAME || has_ctl(kv->name, nl, 0) ||
		    !utf8_valid(kv->name, nl))
			abort();
		if (kv->value_len > REQ_MAX_FIELD_VALUE || kv->value[kv->value_len] ||
		    has_ctl(kv->value, kv->value_len, 1) || !utf8_valid(kv->value, kv->value_len))
			abort();
		if (memmem(body, len, kv->value, kv->value_len) == NULL)
			abort();
	}
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct upload *u = &m->files[i];
		if (!u->field[0] || !u->content_type[0] || !strchr(u->content_type, '/'))
			abort();
		for (const char *c = u->content_type; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				abort();
		if (u->len > MP_MAX_FILE || u->data < body || u->data + u->len > body + len)
			abort();
		check_upload_filename(u->filename);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *nul = memchr(in, '\0', size);
	const char *body_in = nul ? nul + 1 : in;
	size_t len = nul ? size - (size_t)(nul + 1 - in) : size;
	struct arena a;
	struct multipart m;
	char err[96], *ct, *body, name[MP_MAX_FILENAME + 1];
	int rc;

	arena_init(&a, 4096);
	if (!nul)
		ct = arena_strdup(&a, "multipart/form-data; boundary=b");
	else if (in[0] == 'm')
		ct = arena_strndup(&a, in, (size_t)(nul - in));
	else
		ct = arena_printf(&a, "multipart/form-data; boundary=%.*s", (int)(nul - in), in);
	/* exactly len bytes, so that ASan sees any read past the body */
	body = len ? malloc(len) : NULL;
	if (!ct || (len && !body))
		abort();
	if (len)
		memcpy(body, body_in, len);

	rc = multipart_parse(&a, ct, body, len, &m, err, sizeof err);
	if (rc == 0) {
		if (err[0])
			abort();
		check_result(&m, body, len);
	} else if ((rc != 400 && rc != 413) || !err[0]) {
		abort();
	}

	/* the sanitiser on its own over the raw input (valid UTF-8 or not) */
	size_t n = multipart_sanitize_filename(name, in, size);
	if (n != strlen(name))
		abort();
	if (n)
		check_upload_filename(name);

	free(body);
	arena_free(&a);
	return 0;
}
