/* account_two_factor.c - GET and POST /account/two-factor: the customer's second factor on the
 * kit (fcgi/two_factor.h). Off: the QR code, the secret as text and a code field; the first
 * right code turns it on and shows the ten recovery codes once. On: its state, the recovery codes
 * left, new recovery codes and turning it off (each asks the current password or a current
 * code; turning off is not offered while the portal requires a factor). Only for a member with a
 * password (or one who already has a factor); not offered with single sign-on on. */
#include "app.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "two_factor.h"

static int render(struct ctx *c, int status, const char *error, char codes[TF_RECOVERY_CODES][TF_RECOVERY_LEN])
{
	struct json_object *page = page_new(c, "tf_title");
	struct tf_who who = {TF_MEMBER, c->sess.member_id};
	if (error)
		json_object_object_add(page, "error", json_object_new_string(i18n_get(c->lang, error)));
	if (sso_on(c->portal)) {
		json_object_object_add(page, "sso", json_object_new_boolean(1));
		return page_render(c, status, "portal/account_two_factor", page);
	}
	if (codes) {
		json_object_object_add(page, "codes", two_factor_codes_json(codes));
		json_object_object_add(page, "has_codes", json_object_new_boolean(1));
		json_object_object_add(page, "codes_next", json_object_new_string("/account/two-factor"));
		return page_render(c, status, "portal/account_two_factor", page);
	}
	int on = two_factor_on(who), required = two_factor_required(c, who), has_pw = account_has_password(c);
	if (on < 0 || required < 0 || has_pw < 0) {
		json_object_put(page);
		return 500;
	}
	if (request_query(c->req, "off") && status == 200)
		json_object_object_add(page, "notice", json_object_new_string(i18n_get(c->lang, "tf_notice_off")));
	json_object_object_add(page, "required", json_object_new_boolean(required));
	if (on) {
		json_object_object_add(page, "on", json_object_new_boolean(1));
		int left = two_factor_recovery_left(who);
		if (left < 0) {
			json_object_put(page);
			return 500;
		}
		json_object_object_add(page, "codes_left", json_object_new_int(left));
		return page_render(c, status, "portal/account_two_factor", page);
	}
	if (!has_pw) { /* a second factor needs a first */
		json_object_object_add(page, "no_password", json_object_new_boolean(1));
		return page_render(c, status, "portal/account_two_factor", page);
	}
	struct tf_enrolment e;
	int rc = two_factor_enrolment(c, who, c->portal->name, c->sess.email, &e);
	if (rc < 0) {
		json_object_put(page);
		return 500;
	}
	json_object_object_add(page, "enrol", json_object_new_boolean(rc == 1));
	if (rc == 1) {
		json_object_object_add(page, "qr_svg", json_object_new_string(e.qr_svg));
		json_object_object_add(page, "secret", json_object_new_string(e.secret));
	}
	return page_render(c, status, "portal/account_two_factor", page);
}

int account_two_factor_page(struct ctx *c)
{
	return render(c, 200, NULL, NULL);
}

static int audited(struct ctx *c, const char *action)
{
	return audit(c, "member", c->sess.member_id, action,
		     arena_printf(c->arena, "{\"member\": %ld}", c->sess.member_id));
}

int account_two_factor_submit(struct ctx *c)
{
	if (sso_on(c->portal))
		return render(c, 403, NULL, NULL);
	struct tf_who who = {TF_MEMBER, c->sess.member_id};
	const char *action = request_form(c->req, "action");
	char codes[TF_RECOVERY_CODES][TF_RECOVERY_LEN];
	if (!action)
		return 400;
	if (strcmp(action, "enable") == 0) {
		int has_pw = account_has_password(c);
		if (has_pw <= 0)
			return has_pw < 0 ? 500 : render(c, 422, NULL, NULL);
		if (db_begin() < 0)
			return 500;
		int rc = two_factor_confirm(who, request_form(c->req, "code"), codes);
		if (rc == 1 && audited(c, "two_factor_on") == 0 &&
		    session_destroy_member_others(c->sess.member_id, c->sess.token_hash) == 0 && db_commit() == 0)
			return render(c, 200, NULL, codes);
		db_rollback();
		return rc < 0 || rc == 1 ? 500 : render(c, 422, "tf_error_code", NULL);
	}
	int is_codes = strcmp(action, "codes") == 0, is_off = strcmp(action, "off") == 0;
	if (!is_codes && !is_off)
		return 400;
	int on = two_factor_on(who), required = is_off ? two_factor_required(c, who) : 0;
	if (on < 0 || required < 0)
		return 500;
	if (!on)
		return page_redirect(c, 303, "/account/two-factor");
	if (required)
		return render(c, 403, "tf_error_required", NULL);
	enum tf_check proof = two_factor_proof(c, who, request_form(c->req, "proof"));
	if (proof == TF_ERROR)
		return 500;
	if (proof == TF_LOCKED) {
		audited(c, "two_factor_change_locked");
		return render(c, 429, "tf_error_locked", NULL);
	}
	if (proof == TF_WRONG) {
		audited(c, is_off ? "two_factor_off_refused" : "two_factor_codes_refused");
		return render(c, 422, "tf_error_proof", NULL);
	}
	if (db_begin() < 0)
		return 500;
	int ok = is_off ? two_factor_off(who) >= 0 : two_factor_recovery_new(who, codes) == 0;
	ok = ok && audited(c, is_off ? "two_factor_off" : "two_factor_recovery_codes_new") == 0;
	if (!ok || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	return is_off ? page_redirect(c, 303, "/account/two-factor?off=1") : render(c, 200, NULL, codes);
}
