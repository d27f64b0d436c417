/* too_large.c - the page for a request body over the size limit (nginx's error_page 413). */
#include "app.h"

int too_large_page(struct ctx *c)
{
	(void)c;
	return 413; /* dispatch renders the portal's error page, which states the limit */
}
