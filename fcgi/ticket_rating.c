/* ticket_rating.c - GET and POST /<slug>/<id>/rating: a customer rates the answer to a closed
 * ticket, good or bad with an optional comment; one rating per ticket (ticket_ratings).
 *
 * Who may rate:
 *   - the bearer of a rating link of the ticket_closed mail (rating_url(), mail_tokens.h: signed
 *     for one contact and this ticket, RATING_DAYS days), without signing in; the link's contact
 *     must still be one the portal shows the ticket (portal_visible_tickets), else 404;
 *   - a logged-in customer who may see the ticket, without a token (the form on the ticket page,
 *     which ticket_rating_fill() puts there from the page's own statement: TICKET_RATING_COLS).
 * A forged link (or another ticket's) is refused with 403 "not valid", an expired one with 403
 * "expired" and a way to sign in; neither names the ticket. With the portal's ratings switched
 * off (portals.ratings_enabled) every answer is 404. An open ticket cannot be rated yet (the page
 * says so). A ticket rated already shows the rating given and records nothing again (INSERT ...
 * ON CONFLICT DO NOTHING). The URL carries the token: Referrer-Policy no-referrer. The POST is
 * CSRF-checked by the router (bound to the session, or logged out to the pre-session cookie that
 * the GET's form set). The rating names the agent of the ticket's last public reply and the inbox
 * of its latest thread (the console's report, admin_ratings.c). */
#include "app.h"
#include "mail_tokens.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"

#define RATING_COMMENT_MAX 2000

const struct db_stmt ticket_rating_stmts[] = {
	{"rating_enabled", "SELECT ratings_enabled FROM portals WHERE id = $1", 1},
	/* the ticket when contact $2 may see it (the one visibility rule) and still may enter the
	 * portal (its access mode and lists, as the ticket link checks), its state and its rating */
	{"rating_ticket",
	 "SELECT s.is_closed, coalesce(r.score, '') AS score, coalesce(r.comment, '') AS comment,"
	 " coalesce(" SQL_EPOCH("r.created_at") "::text, '') AS rated_at"
	 " FROM portal_visible_tickets($1, $2, 'all') t JOIN pipeline_stages s ON s.id = t.stage_id"
	 " LEFT JOIN ticket_ratings r ON r.ticket_id = t.id"
	 " WHERE t.id = $3 AND coalesce(portal_contact_allowed($1, $2), false)",
	 3},
	/* the one rating of the ticket: the agent of its last public reply, its latest thread's inbox */
	{"rating_insert",
	 "INSERT INTO ticket_ratings (ticket_id, score, comment, contact_id, agent_user_id, inbox_id, portal_id)"
	 " SELECT $1, $2, $3, $4,"
	 "  (SELECT m.author_user_id FROM threads th JOIN messages m ON m.thread_id = th.id"
	 "    WHERE th.ticket_id = $1 AND m.direction = 'outgoing' AND m.kind = 'message'"
	 "    AND m.author_user_id IS NOT NULL ORDER BY m.created_at DESC, m.id DESC LIMIT 1),"
	 "  (SELECT th.inbox_id FROM threads th WHERE th.id = ticket_latest_thread($1)), $5"
	 " ON CONFLICT (ticket_id) DO NOTHING RETURNING 1",
	 5},
	/* the mail offers the rating: switched on and not rated yet */
	{"rating_offered",
	 "SELECT p.ratings_enabled AND NOT EXISTS (SELECT 1 FROM ticket_ratings r WHERE r.ticket_id = $2)"
	 " FROM portals p WHERE p.id = $1",
	 2},
	{NULL, NULL, 0},
};

struct rating_state {
	int closed;
	const char *score; /* "" not rated */
	const char *comment, *rated_at;
};

static const char *ticket_path(struct ctx *c, const char *ticket)
{
	return arena_printf(c->arena, "/%s/%s", c->portal->ticket_slug, ticket);
}

static const char *login_url(struct ctx *c, const char *ticket)
{
	const char *path = ticket_path(c, ticket);
	struct buf b = BUF_INIT;
	buf_puts(&b, "/login?next=");
	buf_urlenc(&b, path, strlen(path));
	const char *out = b.data && !b.oom ? arena_strdup(c->arena, b.data) : "/login";
	buf_free(&b);
	return out;
}

/* 1 on, 0 off, -1 error. */
static int ratings_on(struct ctx *c)
{
	char pid[24], v[8];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	const char *p[1] = {pid};
	int got = db_exec_value("rating_enabled", 1, p, v, sizeof v);
	return got < 0 ? -1 : got == 1 && v[0] == 't';
}

/* The ticket as contact sees it: 1 (st filled), 0 not visible to them, -1 error. */
static int load(struct ctx *c, long contact, const char *ticket, struct rating_state *st)
{
	char pid[24], cid[24];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	snprintf(cid, sizeof cid, "%ld", contact);
	const char *p[3] = {pid, cid, ticket};
	PGresult *r = db_exec("rating_ticket", 3, p);
	if (!r)
		return -1;
	int found = PQntuples(r) == 1;
	if (found) {
		st->closed = db_col(r, 0, "is_closed")[0] == 't';
		st->score = arena_strdup(c->arena, db_col(r, 0, "score"));
		st->comment = arena_strdup(c->arena, db_col(r, 0, "comment"));
		st->rated_at = arena_strdup(c->arena, db_col(r, 0, "rated_at"));
	}
	PQclear(r);
	return found;
}

int ticket_rating_offered(struct ctx *c, const char *ticket)
{
	char pid[24], v[8];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	const char *p[2] = {pid, ticket};
	int got = db_exec_value("rating_offered", 2, p, v, sizeof v);
	return got < 0 ? -1 : got == 1 && v[0] == 't';
}

/* The rating given, as {good, bad, label, comment, when} for the templates. */
static struct json_object *given_json(struct ctx *c, const struct rating_state *st)
{
	struct json_object *g = json_object_new_object();
	int good = strcmp(st->score, "good") == 0;
	json_object_object_add(g, "good", json_object_new_boolean(good));
	json_object_object_add(g, "bad", json_object_new_boolean(!good));
	json_object_object_add(g, "label", json_object_new_string(i18n_get(c->lang, good ? "rating_good" : "rating_bad")));
	if (st->comment[0])
		json_object_object_add(g, "comment", json_object_new_string(st->comment));
	if (st->rated_at[0])
		json_object_object_add(g, "when", json_object_new_string(ticket_when(c, st->rated_at)));
	return g;
}

/* The form's fields: action, token (may be NULL), the score chosen ("" none). */
static struct json_object *form_json(struct ctx *c, const char *ticket, const char *token, const char *score)
{
	struct json_object *f = json_object_new_object();
	json_object_object_add(f, "action", json_object_new_string(arena_printf(c->arena, "%s/rating", ticket_path(c, ticket))));
	if (token)
		json_object_object_add(f, "token", json_object_new_string(token));
	json_object_object_add(f, "good", json_object_new_boolean(score && strcmp(score, "good") == 0));
	json_object_object_add(f, "bad", json_object_new_boolean(score && strcmp(score, "bad") == 0));
	json_object_object_add(f, "max", json_object_new_int(RATING_COMMENT_MAX));
	return f;
}

/* The page in one of its states: "form", "thanks", "rated", "not_closed", "invalid", "expired". */
static int render(struct ctx *c, int status, const char *state, const char *ticket, struct json_object *extra,
		  struct form *f)
{
	c->no_referrer = 1;
	struct json_object *page = page_new(c, "rating_title");
	json_object_object_add(page, state, json_object_new_boolean(1));
	if (strcmp(state, "invalid") != 0 && strcmp(state, "expired") != 0) {
		json_object_object_add(page, "ticket_id", json_object_new_string(ticket));
		json_object_object_add(page, "ticket_url", json_object_new_string(ticket_path(c, ticket)));
	}
	json_object_object_add(page, "login_url", json_object_new_string(login_url(c, ticket)));
	if (extra)
		json_object_object_add(page, strcmp(state, "form") == 0 ? "rating_form" : "given", extra);
	if (f)
		form_to_page(f, page);
	return page_render(c, status, "portal/ticket_rating", page);
}

/*
 * Who rates: the logged-in customer when the portal shows them the ticket, else the contact of a
 * valid token (t). 1 with *contact (and *token: the token used, NULL for the session), or 0 after
 * answering (403 invalid or expired, 404 not visible, 303 to the login); -1 database error.
 */
static int rater(struct ctx *c, const char *ticket, const char *t, long *contact, const char **token, int *status,
		 struct rating_state *st)
{
	*token = NULL;
	if (c->sess.found && c->sess.allowed) {
		int got = load(c, c->sess.contact_id, ticket, st);
		if (got < 0)
			return -1;
		if (got) {
			*contact = c->sess.contact_id;
			return 1;
		}
	}
	if (!t || !t[0]) {
		if (c->sess.found) { /* logged in, may not see it, no link: as for every ticket route */
			*status = 404;
			return 0;
		}
		if (c->req->method == HTTP_POST) {
			*status = render(c, 403, "invalid", ticket, NULL, NULL);
			return 0;
		}
		/* logged out without a link: sign in, then the ticket's page has the form */
		response_header(c->res, "Referrer-Policy", "no-referrer");
		*status = page_redirect(c, 303, login_url(c, ticket));
		return 0;
	}
	long who = 0;
	int ok = rating_token_check(t, ticket, &who);
	if (ok < 0) {
		log_msg(LOG_WARN, "rating link for ticket %s refused: bad signature", ticket);
		*status = render(c, 403, "invalid", ticket, NULL, NULL);
		return 0;
	}
	if (ok == 0) {
		*status = render(c, 403, "expired", ticket, NULL, NULL);
		return 0;
	}
	int got = load(c, who, ticket, st);
	if (got < 0)
		return -1;
	if (!got) { /* no longer one of the ticket's contacts (a removed CC, another company now) */
		*status = 404;
		return 0;
	}
	*contact = who;
	*token = t;
	return 1;
}

/* What the form's GET and POST share: the switch, who rates (the token, or the session), and
 * the ticket's state. 1 to go on (contact, token and st set), else 0 with *status the answer: an
 * error, the rating given already or the ticket still open (with done_status: 200 to a GET, 409
 * to a POST). */
static int rating_begin(struct ctx *c, const char *t, int done_status, long *contact, const char **token,
			struct rating_state *st, int *status)
{
	c->no_referrer = 1;
	const char *ticket = c->caps.v[0];
	int on = ratings_on(c);
	if (on <= 0) {
		*status = on < 0 ? 500 : 404;
		return 0;
	}
	int got = rater(c, ticket, t, contact, token, status, st);
	if (got <= 0) {
		if (got < 0)
			*status = 500;
		return 0;
	}
	if (st->score[0])
		*status = render(c, done_status, "rated", ticket, given_json(c, st), NULL);
	else if (!st->closed)
		*status = render(c, done_status, "not_closed", ticket, NULL, NULL);
	return !st->score[0] && st->closed;
}

int ticket_rating_page(struct ctx *c)
{
	long contact = 0;
	const char *token = NULL;
	int status = 0;
	struct rating_state st = {0};
	if (!rating_begin(c, request_query(c->req, "t"), 200, &contact, &token, &st, &status))
		return status;
	return render(c, 200, "form", c->caps.v[0], form_json(c, c->caps.v[0], token, request_query(c->req, "score")),
		      NULL);
}

int ticket_rating_submit(struct ctx *c)
{
	const char *ticket = c->caps.v[0];
	long contact = 0;
	const char *token = NULL;
	int status = 0;
	struct rating_state st = {0};
	if (!rating_begin(c, request_form(c->req, "t"), 409, &contact, &token, &st, &status))
		return status;

	struct form f;
	form_init(&f, c->lang);
	const char *score = request_form(c->req, "score");
	if (!score || (strcmp(score, "good") != 0 && strcmp(score, "bad") != 0)) {
		score = NULL;
		form_error(&f, "score", "rating_choose");
	}
	const char *comment = form_text(&f, c->req, "comment", 0, RATING_COMMENT_MAX, 1, 1);
	if (f.nerrors)
		return render(c, 422, "form", ticket, form_json(c, ticket, token, score), &f);

	char cid[24], pid[24], one[4];
	snprintf(cid, sizeof cid, "%ld", contact);
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	const char *p[5] = {ticket, score, comment, cid, pid};
	if (db_begin() < 0) {
		form_free(&f);
		return 500;
	}
	int ins = db_exec_value("rating_insert", 5, p, one, sizeof one);
	const char *detail = arena_printf(c->arena, "{\"ticket\": %s, \"contact\": %ld, \"score\": \"%s\", \"via\": \"%s\"}",
					  ticket, contact, score, token ? "link" : "session");
	if (ins < 0 || (ins == 1 && audit(c, c->sess.found && !token ? "member" : "anonymous",
					  c->sess.found && !token ? c->sess.member_id : 0, "ticket_rated", detail) < 0) ||
	    db_commit() < 0) {
		db_rollback();
		form_free(&f);
		return 500;
	}
	form_free(&f);
	if (ins == 0) { /* rated meanwhile (another contact, another tab): show that one */
		struct rating_state now = {0};
		if (load(c, contact, ticket, &now) <= 0 || !now.score[0])
			return 500;
		return render(c, 409, "rated", ticket, given_json(c, &now), NULL);
	}
	struct rating_state mine = {.closed = 1, .score = score, .comment = comment, .rated_at = ""};
	return render(c, 200, "thanks", ticket, given_json(c, &mine), NULL);
}

void ticket_rating_fill(struct ctx *c, struct json_object *page, const char *ticket, const PGresult *r)
{
	if (db_col(r, 0, "rating_shown")[0] != 't')
		return;
	struct rating_state st = {.closed = 1, .score = db_col(r, 0, "rating_score"),
				  .comment = db_col(r, 0, "rating_comment"), .rated_at = db_col(r, 0, "rating_at")};
	struct json_object *o = json_object_new_object();
	if (st.score[0])
		json_object_object_add(o, "given", given_json(c, &st));
	else if (!c->preview_contact)
		json_object_object_add(o, "form", form_json(c, ticket, NULL, NULL));
	else
		json_object_object_add(o, "none", json_object_new_boolean(1));
	json_object_object_add(page, "rating", o);
}
