/* i18n_test.c - catalogs are complete, every {{t.key}} a template uses exists, dates format per language. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "i18n.h"
#include "log.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	size_t got = fread(s, 1, (size_t)n, f);
	s[got] = '\0';
	fclose(f);
	return s;
}

/* Every "t.<key>" inside a mustache tag of a template must exist in every catalog. */
static void check_template_keys(const char *path, int *nkeys)
{
	char *src = slurp(path);
	CHECK(src != NULL);
	if (!src)
		return;
	for (char *p = strstr(src, "{{"); p; p = strstr(p + 2, "{{")) {
		char *q = p + 2;
		while (*q == '{' || *q == '#' || *q == '^' || *q == '/' || *q == '&' || *q == ' ')
			q++;
		if (strncmp(q, "t.", 2) != 0)
			continue;
		q += 2;
		size_t n = strcspn(q, " }");
		char key[128];
		snprintf(key, sizeof key, "%.*s", (int)n, q);
		const char *langs[] = {"en", "sv"};
		for (int i = 0; i < 2; i++) {
			struct json_object *v;
			int ok = json_object_object_get_ex(i18n_catalog(langs[i]), key, &v);
			if (!ok)
				fprintf(stderr, "FAIL %s: key t.%s missing in %s.json\n", path, key, langs[i]);
			CHECK(ok);
		}
		(*nkeys)++;
	}
	free(src);
}

static void walk(const char *dir, int *nfiles, int *nkeys)
{
	DIR *d = opendir(dir);
	CHECK(d != NULL);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			walk(path, nfiles, nkeys);
		} else if (strstr(e->d_name, ".mustache")) {
			(*nfiles)++;
			check_template_keys(path, nkeys);
		}
	}
	closedir(d);
}

static void test_dates(void)
{
	struct buf b = BUF_INIT;
	CHECK_INT(i18n_format_datetime("en", "2026-11-03 14:05:09.123", &b), 0);
	CHECK_STR(b.data, "3 Nov 2026, 14:05");
	buf_reset(&b);
	CHECK_INT(i18n_format_datetime("sv", "2026-03-01 09:00", &b), 0);
	CHECK_STR(b.data, "1 mars 2026 09:00");
	buf_reset(&b);
	CHECK_INT(i18n_format_date("sv", "2026-12-24 23:59", &b), 0);
	CHECK_STR(b.data, "24 dec. 2026");
	buf_reset(&b);
	CHECK_INT(i18n_format_date("xx", "2026-05-02 10:00", &b), 0); /* unknown language: English */
	CHECK_STR(b.data, "2 May 2026");
	CHECK_INT(i18n_format_date("en", "2026-13-02 10:00", &b), -1);
	CHECK_INT(i18n_format_date("en", "yesterday", &b), -1);
	CHECK_INT(i18n_format_date("en", NULL, &b), -1);
	buf_free(&b);
}

int main(void)
{
	char err[256] = "";
	log_open("-", LOG_ERROR);
	int n = i18n_load("templates/i18n", err, sizeof err);
	if (n < 0)
		fprintf(stderr, "FAIL i18n_load: %s\n", err);
	CHECK(n >= 2);
	CHECK(i18n_has_lang("en"));
	CHECK(i18n_has_lang("sv"));
	CHECK_STR(i18n_get("sv", "login_title"), "Logga in");
	CHECK_STR(i18n_get("de", "login_title"), "Log in");
	int nfiles = 0, nkeys = 0;
	walk("templates", &nfiles, &nkeys);
	CHECK(nfiles >= 3);
	CHECK(nkeys >= 10);
	test_dates();

	/* a catalog with a missing key is refused at load */
	char dir[] = "/tmp/i18n-test-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char p[256];
	snprintf(p, sizeof p, "%s/en.json", dir);
	FILE *f = fopen(p, "w");
	fputs("{\"a\": \"A\", \"b\": \"B\"}", f);
	fclose(f);
	snprintf(p, sizeof p, "%s/sv.json", dir);
	f = fopen(p, "w");
	fputs("{\"a\": \"A\"}", f);
	fclose(f);
	CHECK_INT(i18n_load(dir, err, sizeof err), -1);
	CHECK(strstr(err, "lacks key 'b'") != NULL);
	unlink(p);
	snprintf(p, sizeof p, "%s/en.json", dir);
	unlink(p);
	rmdir(dir);
	i18n_free();
	return CHECK_DONE("i18n");
}
