/* too_large.c - the page for a request body over the size limit (nginx's error_page 413): the
 * portal's error page, or for the JSON API (nginx passes the original URI as PORTAL_ORIGINAL_URI,
 * a parameter no request header can set) a problem document. */
#include "app.h"

#include <string.h>

#include "api.h"

int too_large_page(struct ctx *c)
{
	const char *uri = request_param(c->req, "PORTAL_ORIGINAL_URI");
	if (uri && strncmp(uri, "/api/", 5) == 0)
		return api_problem(c, 413, "payload-too-large", "The request body is over the size limit.");
	return 413; /* dispatch renders the portal's error page, which states the limit */
}
