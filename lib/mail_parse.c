/* mail_parse.c - see mail_parse.h (being written). */
#include "mail_parse.h"

#include <stdio.h>
#include <string.h>

int mail_parse(const char *data, size_t len, struct mail_parsed *out, char *err, size_t errlen)
{
	(void)data;
	(void)len;
	memset(out, 0, sizeof *out);
	snprintf(err, errlen, "not built yet");
	return -1;
}

void mail_parsed_free(struct mail_parsed *m)
{
	(void)m;
}
