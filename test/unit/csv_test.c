/* csv_test.c - unit tests of the RFC 4180 CSV reader: quoting, line ends, BOM, malformed records. */
#include <string.h>

#include "arena.h"
#include "check.h"
#include "csv.h"

static struct arena a;

/* Reads all of src into "f1|f2;f1;..." (records joined by ';', fields by '|', errors as "!reason"). */
static const char *all(const char *src, size_t len)
{
	static char out[1024];
	struct csv s;
	char *f[8];
	const char *err;
	int n;
	out[0] = '\0';
	csv_init(&s, src, len);
	while ((n = csv_next(&s, &a, f, 8, &err)) != 0) {
		if (out[0])
			strcat(out, ";");
		if (n < 0) {
			strcat(out, "!");
			strcat(out, err);
			continue;
		}
		for (int i = 0; i < n && i < 8; i++) {
			if (i)
				strcat(out, "|");
			strcat(out, f[i]);
		}
	}
	return out;
}
#define ALL(lit) all(lit, sizeof(lit) - 1)

int main(void)
{
	arena_init(&a, 4096);
	CHECK_STR(ALL(""), "");
	CHECK_STR(ALL("a,b,c"), "a|b|c");
	CHECK_STR(ALL("a,b\nc,d\n"), "a|b;c|d");
	CHECK_STR(ALL("a,b\r\nc,d\r\n"), "a|b;c|d");
	CHECK_STR(ALL("a\rb"), "a;b");
	CHECK_STR(ALL("\xEF\xBB\xBF" "email,x\n"), "email|x");
	CHECK_STR(ALL("a,,c,\n"), "a||c|");
	CHECK_STR(ALL("a\n\nb\n"), "a;;b");
	/* quoting: commas, doubled quotes, line breaks inside quotes */
	CHECK_STR(ALL("\"a,b\",\"say \"\"hi\"\"\"\n"), "a,b|say \"hi\"");
	CHECK_STR(ALL("\"line1\r\nline2\",x\n"), "line1\r\nline2|x");
	CHECK_STR(ALL("\"\",\"\"\"\""), "|\"");
	CHECK_STR(ALL("x,\"\xC3\xA5sa\"\n"), "x|\xC3\xA5sa");
	/* malformed records are reported and reading goes on with the next line */
	CHECK_STR(ALL("a\"b,c\nd\n"), "!a quote inside an unquoted field;d");
	CHECK_STR(ALL("\"a\"b,c\nd\n"), "!text after a closing quote;d");
	CHECK_STR(ALL("ok\n\"never closed,\nx\n"), "ok;!a quoted field is not closed");
	CHECK_STR(ALL("\xFF\xFE,x\ny\n"), "!invalid UTF-8 or a control character;y");
	CHECK_STR(all("a\0b\nc", 5), "!invalid UTF-8 or a control character;c");
	CHECK_STR(ALL("a\tb,c"), "a\tb|c");

	/* record numbers and more fields than the caller stores */
	struct csv s;
	char *f[2];
	const char *err = NULL;
	const char src[] = "h1,h2\n1,2,3,4\n\"x\ny\",z\nlast";
	csv_init(&s, src, sizeof src - 1);
	CHECK_INT(csv_next(&s, &a, f, 2, &err), 2);
	CHECK_INT(s.record, 1);
	CHECK_INT(csv_next(&s, &a, f, 2, &err), 4);
	CHECK_STR(f[1], "2");
	CHECK_INT(s.record, 2);
	CHECK_INT(csv_next(&s, &a, f, 2, &err), 2);
	CHECK_STR(f[0], "x\ny");
	CHECK_INT(s.record, 3);
	CHECK_INT(csv_next(&s, &a, f, 2, &err), 1);
	CHECK_STR(f[0], "last");
	CHECK_INT(s.record, 4);
	CHECK_INT(csv_next(&s, &a, f, 2, &err), 0);
	CHECK_INT(csv_next(&s, &a, f, 2, &err), 0);
	arena_free(&a);
	return CHECK_DONE("csv");
}
