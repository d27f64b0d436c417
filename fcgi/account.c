/* account.c - GET and POST /account: the logged-in customer's name (contacts.first_name,
 * last_name) and password. A password change asks the current one (a member who has none yet,
 * invited or signing in by links only, sets a first one without: the session proved the
 * mailbox), follows the registration's rules, ends every other session of the member and mails
 * them that it changed (in the same transaction). Wrong current passwords count against the login
 * as failed logins do. With single sign-on on, both are the identity provider's: shown read-only.
 */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "password.h"
#include "two_factor.h"

const struct db_stmt account_stmts[] = {
	{"account_get",
	 "SELECT c.first_name, c.last_name, c.email, coalesce(m.password_hash, '') AS hash,"
	 " coalesce(m.locked_until > now(), false) AS locked, m.contact_id"
	 " FROM members m JOIN contacts c ON c.id = m.contact_id WHERE m.id = $1",
	 1},
	{"account_name_set",
	 "UPDATE contacts SET first_name = $2, last_name = $3 WHERE id = $1"
	 " AND (first_name, last_name) IS DISTINCT FROM ($2, $3)",
	 3},
	{"account_password_set",
	 "UPDATE members SET password_hash = $2 WHERE id = $1", 2}, /* the count: account_ok, when the current one was right */
	/* a reset link asked for before the change would undo it: spent */
	{"account_spend_resets",
	 "UPDATE member_tokens SET used_at = now() WHERE member_id = $1 AND purpose = 'reset' AND used_at IS NULL", 1},
	{"account_ok", "UPDATE members SET failed_logins = 0, locked_until = NULL WHERE id = $1", 1},
	{NULL, NULL, 0},
};

struct account {
	char first[256], last[256], email[321], hash[256];
	int locked;
};

static int account_load(struct ctx *c, struct account *a)
{
	char id[24];
	snprintf(id, sizeof id, "%ld", c->sess.member_id);
	const char *p[1] = {id};
	PGresult *r = db_exec("account_get", 1, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	snprintf(a->first, sizeof a->first, "%s", db_col(r, 0, "first_name"));
	snprintf(a->last, sizeof a->last, "%s", db_col(r, 0, "last_name"));
	snprintf(a->email, sizeof a->email, "%s", db_col(r, 0, "email"));
	snprintf(a->hash, sizeof a->hash, "%s", db_col(r, 0, "hash"));
	a->locked = db_col(r, 0, "locked")[0] == 't';
	PQclear(r);
	return 0;
}

int account_has_password(struct ctx *c)
{
	struct account a;
	return account_load(c, &a) < 0 ? -1 : a.hash[0] != '\0';
}

int account_password_check(struct ctx *c, const char *password)
{
	struct account a;
	if (account_load(c, &a) < 0)
		return -1;
	if (a.locked)
		return 2;
	int ok = a.hash[0] && password && *password && password_verify(a.hash, password) == 1;
	if (!a.hash[0])
		password_dummy_verify(password ? password : "", cfg.argon2_t_cost, cfg.argon2_m_cost_kib,
				      cfg.argon2_parallelism);
	char id[24];
	snprintf(id, sizeof id, "%ld", c->sess.member_id);
	const char *p[1] = {id};
	if (ok)
		db_run("account_ok", 1, p);
	return ok;
}

static int render(struct ctx *c, int status, const struct account *a, struct form *f, const char *error)
{
	struct json_object *page = page_new(c, "account_title");
	int sso = sso_on(c->portal);
	json_object_object_add(page, "sso", json_object_new_boolean(sso));
	json_object_object_add(page, "email", json_object_new_string(a->email));
	json_object_object_add(page, "has_password", json_object_new_boolean(a->hash[0] != '\0'));
	json_object_object_add(page, "current_name", json_object_new_string(
		arena_printf(c->arena, "%s%s%s", a->first, a->first[0] && a->last[0] ? " " : "", a->last)));
	if (!sso) {
		struct tf_who who = {TF_MEMBER, c->sess.member_id};
		int on = two_factor_on(who);
		json_object_object_add(page, "two_factor_on", json_object_new_boolean(on == 1));
	}
	static const struct {
		const char *param, *key;
	} notices[] = {{"name", "account_notice_name"}, {"password", "account_notice_password"}};
	const char *saved = request_query(c->req, "saved");
	for (size_t i = 0; saved && status == 200 && i < sizeof notices / sizeof notices[0]; i++)
		if (strcmp(saved, notices[i].param) == 0)
			json_object_object_add(page, "notice", json_object_new_string(i18n_get(c->lang, notices[i].key)));
	if (error)
		json_object_object_add(page, "error", json_object_new_string(i18n_get(c->lang, error)));
	struct form own;
	if (!f) {
		form_init(&own, c->lang);
		json_object_object_add(own.values, "first_name", json_object_new_string(a->first));
		json_object_object_add(own.values, "last_name", json_object_new_string(a->last));
		f = &own;
	}
	form_to_page(f, page);
	return page_render(c, status, "portal/account", page);
}

int account_page(struct ctx *c)
{
	struct account a;
	if (account_load(c, &a) < 0)
		return 500;
	return render(c, 200, &a, NULL, NULL);
}

static int save_name(struct ctx *c, struct account *a)
{
	struct form f;
	form_init(&f, c->lang);
	const char *first = form_text(&f, c->req, "first_name", 1, 100, 0, 1);
	const char *last = form_text(&f, c->req, "last_name", 0, 100, 0, 1);
	if (f.nerrors)
		return render(c, 422, a, &f, "account_error_form");
	form_free(&f);
	char mid[24], cid[24];
	snprintf(mid, sizeof mid, "%ld", c->sess.member_id);
	snprintf(cid, sizeof cid, "%ld", c->sess.contact_id);
	const char *p[3] = {cid, first, last ? last : ""};
	if (db_begin() < 0)
		return 500;
	PGresult *r = db_exec("account_name_set", 3, p);
	int changed = r && atoi(PQcmdTuples(r)) == 1;
	int ok = r != NULL;
	PQclear(r);
	if (ok && changed)
		ok = audit(c, "member", c->sess.member_id, "account_name_changed",
			   arena_printf(c->arena, "{\"contact\": %ld}", c->sess.contact_id)) == 0;
	if (!ok || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	return page_redirect(c, 303, "/account?saved=name");
}

static int save_password(struct ctx *c, struct account *a)
{
	struct form f;
	form_init(&f, c->lang);
	/* the name form's fields show again as they are saved */
	json_object_object_add(f.values, "first_name", json_object_new_string(a->first));
	json_object_object_add(f.values, "last_name", json_object_new_string(a->last));
	const char *current = request_form(c->req, "current_password");
	const char *pw = request_form(c->req, "password");
	const char *again = request_form(c->req, "password_confirm");
	int need_current = a->hash[0] != '\0';
	if (need_current && (!current || !*current))
		form_error(&f, "current_password", "err_required");
	const char *rule = pw && *pw ? password_rule_violation(pw, a->email) : "err_required";
	if (rule)
		form_error(&f, "password", rule);
	else if (!again || strcmp(pw, again) != 0)
		form_error(&f, "password_confirm", "err_password_mismatch");
	if (f.nerrors)
		return render(c, 422, a, &f, "account_error_form");
	if (need_current) {
		int ok = account_password_check(c, current);
		if (ok < 0) {
			form_free(&f);
			return 500;
		}
		if (ok == 2) {
			audit(c, "member", c->sess.member_id, "account_password_locked", NULL);
			return render(c, 429, a, &f, "account_error_locked");
		}
		if (!ok) {
			login_failure(c, (struct tf_who){TF_MEMBER, c->sess.member_id});
			audit(c, "member", c->sess.member_id, "account_password_wrong", NULL);
			form_error(&f, "current_password", "account_error_current");
			return render(c, 422, a, &f, "account_error_form");
		}
	}
	form_free(&f);
	char hash[256], mid[24];
	if (password_hash(pw, cfg.argon2_t_cost, cfg.argon2_m_cost_kib, cfg.argon2_parallelism, hash, sizeof hash) < 0)
		return 500;
	snprintf(mid, sizeof mid, "%ld", c->sess.member_id);
	const char *ph[2] = {mid, hash};
	const char *pm[1] = {mid};
	if (db_begin() < 0)
		return 500;
	int ok = db_run("account_password_set", 2, ph) >= 0 && session_destroy_member_others(c->sess.member_id, c->sess.token_hash) >= 0 &&
		 db_run("account_spend_resets", 1, pm) >= 0;
	if (ok) {
		struct json_object *data = json_object_new_object();
		json_object_object_add(data, "portal_name", json_object_new_string(c->portal->name));
		json_object_object_add(data, "name", json_object_new_string(a->first));
		json_object_object_add(data, "link", json_object_new_string(
			arena_printf(c->arena, "%s/password-reset", portal_base_url(c))));
		ok = outbox_queue(c->lang, a->email, "password_changed", data) == 0;
		json_object_put(data);
	}
	if (ok)
		ok = audit(c, "member", c->sess.member_id, a->hash[0] ? "password_changed" : "password_set",
			   "{\"via\": \"account\"}") == 0;
	if (!ok || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	return page_redirect(c, 303, "/account?saved=password");
}

int account_submit(struct ctx *c)
{
	struct account a;
	if (account_load(c, &a) < 0)
		return 500;
	if (sso_on(c->portal))
		return render(c, 403, &a, NULL, "account_sso_readonly");
	const char *which = request_form(c->req, "form");
	if (which && strcmp(which, "name") == 0)
		return save_name(c, &a);
	if (which && strcmp(which, "password") == 0)
		return save_password(c, &a);
	return 400;
}
