/* i18n.c - load and check message catalogs; language-aware date formatting. */
#include "i18n.h"
#include "zone.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#define I18N_MAX_LANGS 16

static struct {
	char code[8];
	struct json_object *cat;
} langs[I18N_MAX_LANGS];
static int nlangs;

void i18n_free(void)
{
	for (int i = 0; i < nlangs; i++)
		json_object_put(langs[i].cat);
	nlangs = 0;
}

static int lang_code_ok(const char *s, size_t n)
{
	if (n < 2 || n > 7)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
			return 0;
	return 1;
}

/* every key of a is a string-valued key of b */
static const char *first_missing(struct json_object *a, struct json_object *b)
{
	json_object_object_foreach(a, key, val)
	{
		(void)val;
		struct json_object *v;
		if (!json_object_object_get_ex(b, key, &v) || !json_object_is_type(v, json_type_string))
			return key;
	}
	return NULL;
}

static int add_lang(const char *dir, const char *file, char *err, size_t errlen)
{
	size_t n = strlen(file);
	if (n < 6 || strcmp(file + n - 5, ".json") != 0)
		return 0;
	if (!lang_code_ok(file, n - 5) || nlangs >= I18N_MAX_LANGS) {
		snprintf(err, errlen, "i18n: bad catalog name %s", file);
		return -1;
	}
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	struct json_object *cat = json_object_from_file(path);
	if (!cat || !json_object_is_type(cat, json_type_object)) {
		snprintf(err, errlen, "i18n: %s: %s", path, json_util_get_last_err());
		json_object_put(cat);
		return -1;
	}
	snprintf(langs[nlangs].code, sizeof langs[nlangs].code, "%.*s", (int)(n - 5), file);
	langs[nlangs].cat = cat;
	nlangs++;
	return 0;
}

int i18n_load(const char *dir, char *err, size_t errlen)
{
	i18n_free();
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "i18n: cannot open %s", dir);
		return -1;
	}
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d)) != NULL)
		rc = add_lang(dir, e->d_name, err, errlen);
	closedir(d);
	if (rc < 0)
		return -1;
	if (!i18n_has_lang(I18N_DEFAULT_LANG)) {
		snprintf(err, errlen, "i18n: no %s.json in %s", I18N_DEFAULT_LANG, dir);
		return -1;
	}
	struct json_object *def = i18n_catalog(I18N_DEFAULT_LANG);
	for (int i = 0; i < nlangs; i++) {
		const char *k = first_missing(def, langs[i].cat);
		const char *x = first_missing(langs[i].cat, def);
		if (k || x) {
			snprintf(err, errlen, "i18n: %s.json %s key '%s'", langs[i].code,
				 k ? "lacks" : "has the extra", k ? k : x);
			return -1;
		}
	}
	return nlangs;
}

int i18n_has_lang(const char *lang)
{
	for (int i = 0; lang && i < nlangs; i++)
		if (strcmp(langs[i].code, lang) == 0)
			return 1;
	return 0;
}

struct json_object *i18n_catalog(const char *lang)
{
	for (int i = 0; lang && i < nlangs; i++)
		if (strcmp(langs[i].code, lang) == 0)
			return langs[i].cat;
	for (int i = 0; i < nlangs; i++)
		if (strcmp(langs[i].code, I18N_DEFAULT_LANG) == 0)
			return langs[i].cat;
	return NULL;
}

const char *i18n_get(const char *lang, const char *key)
{
	struct json_object *cat = i18n_catalog(lang), *v;
	if (cat && json_object_object_get_ex(cat, key, &v))
		return json_object_get_string(v);
	log_msg(LOG_ERROR, "i18n: missing key %s", key);
	return key;
}

/* n decimal digits at s into *v; 0, or -1 when one is not a digit. */
static int digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* "YYYY-MM-DD HH:MM" (what the statements write; anything after it is ignored), by hand: a list page formats
 * dozens of these per request. */
static int parse_ts(const char *ts, int *y, int *mo, int *d, int *h, int *mi)
{
	if (!ts || strnlen(ts, 16) < 16 || ts[4] != '-' || ts[7] != '-' || ts[10] != ' ' || ts[13] != ':' ||
	    digits(ts, 4, y) < 0 || digits(ts + 5, 2, mo) < 0 || digits(ts + 8, 2, d) < 0 ||
	    digits(ts + 11, 2, h) < 0 || digits(ts + 14, 2, mi) < 0)
		return -1;
	if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59)
		return -1;
	return 0;
}

/* v (0..9999) in decimal, at least width digits. */
static void put_num(struct buf *out, int v, int width)
{
	char t[8];
	int n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < 7);
	while (n < width && n < 7)
		t[n++] = '0';
	while (n)
		buf_putc(out, t[--n]);
}

/* Expand a pattern: {d} day, {mon} month name, {y} year, {H} hour, {M} minute (2 digits). */
static void expand(const char *lang, const char *pat, int y, int mo, int d, int h, int mi,
		   struct buf *out)
{
	static const char *const months[] = {"", "month_short_1", "month_short_2", "month_short_3",
					     "month_short_4", "month_short_5", "month_short_6", "month_short_7",
					     "month_short_8", "month_short_9", "month_short_10", "month_short_11",
					     "month_short_12"};
	for (const char *p = pat; *p; p++) {
		if (strncmp(p, "{d}", 3) == 0) {
			put_num(out, d, 1);
			p += 2;
		} else if (strncmp(p, "{mon}", 5) == 0) {
			buf_puts(out, i18n_get(lang, months[mo]));
			p += 4;
		} else if (strncmp(p, "{y}", 3) == 0) {
			put_num(out, y, 1);
			p += 2;
		} else if (strncmp(p, "{H}", 3) == 0) {
			put_num(out, h, 2);
			p += 2;
		} else if (strncmp(p, "{M}", 3) == 0) {
			put_num(out, mi, 2);
			p += 2;
		} else {
			buf_putc(out, *p);
		}
	}
}

static int format_with(const char *lang, const char *key, const char *ts, struct buf *out)
{
	int y, mo, d, h, mi;
	if (parse_ts(ts, &y, &mo, &d, &h, &mi) < 0)
		return -1;
	expand(lang, i18n_get(lang, key), y, mo, d, h, mi, out);
	return 0;
}

int i18n_format_datetime(const char *lang, const char *ts, struct buf *out)
{
	return format_with(lang, "format_datetime", ts, out);
}

int i18n_format_instant(const char *lang, const char *zone, const char *epoch, struct buf *out)
{
	long long e;
	struct zone_time z;
	if (zone_parse_epoch(epoch, &e) < 0 || zone_local(zone, e, &z) < 0)
		return -1;
	expand(lang, i18n_get(lang, "format_datetime"), z.year, z.month, z.day, z.hour, z.minute, out);
	buf_putc(out, ' ');
	buf_puts(out, z.abbr);
	return 0;
}

int i18n_format_date(const char *lang, const char *ts, struct buf *out)
{
	return format_with(lang, "format_date", ts, out);
}
