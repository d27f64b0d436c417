/* app.h - what every page handler sees: the request context, the route table's types, chrome helpers. */
#ifndef PORTAL_APP_H
#define PORTAL_APP_H

#include <json-c/json.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "settings.h"

/* Who may enter a route; checked once in dispatch before any handler runs (closed unless opened). */
enum auth_level { AUTH_PUBLIC, AUTH_LEVEL__MAX };

struct ctx {
	struct request *req;
	struct response *res;
	struct arena *arena;
	const struct portal *portal; /* never NULL inside a handler */
	const char *lang;
	struct route_caps caps;
};

/* A handler fills ctx->res (status, headers, body) and returns the status. A status >= 400
 * with an empty body is turned into the standard error page by dispatch. */
typedef int (*handler_fn)(struct ctx *c);

struct route {
	enum http_method method; /* HTTP_GET routes also answer HEAD */
	const char *pattern;     /* see lib/route.h */
	handler_fn handler;
	enum auth_level auth;
};

extern const struct route routes[];
extern const unsigned nroutes;
extern const struct db_stmt *const stmt_tables[]; /* each ends with {NULL}; the list ends with NULL */

/* Process-wide state built at start-up (fcgi/main.c). */
extern struct config cfg;
extern struct tmpl_set *templates;
extern char asset_version[17];

/* Chrome (fcgi/layout.c). */
struct json_object *page_new(struct ctx *c, const char *title_key); /* base context: t, lang, portal, nav, assets */
int page_render(struct ctx *c, int status, const char *tmpl, struct json_object *page); /* consumes page */
int page_error(struct ctx *c, int status);
int page_redirect(struct ctx *c, int status, const char *location);
void page_security_headers(struct ctx *c);

/* Handlers, one file each. */
int healthz(struct ctx *c);
int login_page(struct ctx *c);
int home(struct ctx *c);

extern const struct db_stmt healthz_stmts[];

#endif
