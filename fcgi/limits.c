/* limits.c - per-address limit on requests that send mail, written inside the caller's transaction,
 * and the pages that mail a link (reset request, login link, registration) answer through it. */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>

const struct db_stmt limits_stmts[] = {
	{"limits_mail_request",
	 "WITH old AS (DELETE FROM mail_requests WHERE ip = $1::inet AND purpose = $2"
	 "   AND at < now() - interval '1 day'),"
	 " ins AS (INSERT INTO mail_requests (ip, purpose) VALUES ($1::inet, $2))"
	 " SELECT count(*) FROM mail_requests WHERE ip = $1::inet AND purpose = $2"
	 "   AND at > now() - make_interval(mins => $3::int)",
	 3},
	{NULL, NULL, 0},
};

int mail_request_limited(struct ctx *c, const char *purpose)
{
	char win[16], n[24];
	if (!c->req->remote_addr[0])
		return 0;
	snprintf(win, sizeof win, "%d", cfg.login_ip_window_minutes);
	const char *p[3] = {c->req->remote_addr, purpose, win};
	int got = db_exec_value("limits_mail_request", 3, p, n, sizeof n);
	if (got < 0)
		return -1;
	/* the count is of earlier rows: the statement's own insert is not visible to it */
	if (got == 1 && atol(n) >= cfg.login_ip_max_failures) {
		char ra[16];
		snprintf(ra, sizeof ra, "%d", cfg.login_ip_window_minutes * 60);
		response_header(c->res, "Retry-After", ra);
		return 1;
	}
	return 0;
}

int mail_form_render(struct ctx *c, int status, struct form *f, int sent, const char *title_key, const char *tmpl)
{
	struct json_object *page = page_new(c, title_key);
	json_object_object_add(page, "sent", json_object_new_boolean(sent));
	if (f)
		form_to_page(f, page);
	return page_render(c, status, tmpl, page);
}

int mail_form_answer(struct ctx *c, struct form *f, int rc, mail_form_render_fn render)
{
	if (rc < 0) {
		form_free(f);
		return 500;
	}
	if (rc) {
		form_error(f, "email", "error_429_text");
		return render(c, 429, f, 0);
	}
	return render(c, 200, f, 1); /* the same answer whether or not the address has a login */
}
