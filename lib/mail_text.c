/* mail_text.c - see mail_text.h (being written). */
#include "mail_text.h"

#include <stdlib.h>
#include <string.h>

char *mail_cut_quoted(const char *text, int *cut)
{
	*cut = 0;
	return strdup(text);
}

char *mail_html_to_text(const char *html, size_t len)
{
	return strndup(html, len);
}
