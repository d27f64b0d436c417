/* admin_account.c - /admin/account/two-factor: a staff user's own second factor (the mechanics are
 * fcgi/two_factor.c's). Off: the enrolment (QR code, the key as text, the first code); on: the
 * recovery codes left, new recovery codes and turning it off, each after the current password or
 * a current code. Turning off is refused while the install requires a factor of staff. Every
 * change is audited with the staff user as actor. Its own handler: one page with three forms of
 * its own, none of them a record's fields. */
#include "admin.h"
#include "form_page.h"
#include "two_factor.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#define PAGE "/admin/account/two-factor"

static struct tf_who me(struct ctx *c)
{
	struct tf_who w = {TF_STAFF, c->staff.user_id};
	return w;
}

/* The page: codes (shown once) after they were made, else the state (on, or the enrolment);
 * f (may be NULL, consumed) a refused form's message. */
static int render(struct ctx *c, int status, struct form *f, char (*codes)[TF_RECOVERY_LEN])
{
	struct json_object *page = admin_page_new(c, "Your account: second factor", "account");
	int on = two_factor_on(me(c)), required = two_factor_required(c, me(c));
	if (on < 0 || required < 0) {
		json_object_put(page);
		return form_page_drop(f, 500);
	}
	json_object_object_add(page, "required", json_object_new_boolean(required));
	if (codes) {
		json_object_object_add(page, "codes", two_factor_codes_json(codes));
		json_object_object_add(page, "fresh_codes", json_object_new_boolean(1));
	} else if (on) {
		int left = two_factor_recovery_left(me(c));
		if (left < 0) {
			json_object_put(page);
			return form_page_drop(f, 500);
		}
		json_object_object_add(page, "on", json_object_new_boolean(1));
		json_object_object_add(page, "left", json_object_new_int(left));
		if (left <= 3)
			json_object_object_add(page, "few_left", json_object_new_boolean(1));
	} else {
		struct tf_enrolment e;
		int rc = two_factor_enrolment(c, me(c), arena_printf(c->arena, "%s console", c->portal->name),
					      c->staff.email, &e);
		if (rc < 0) {
			json_object_put(page);
			return form_page_drop(f, 500);
		}
		if (rc == 1) { /* 0: confirmed meanwhile (another tab): the next view shows it on */
			struct json_object *en = json_object_new_object();
			json_object_object_add(en, "secret", json_object_new_string(e.secret));
			json_object_object_add(en, "qr_svg", json_object_new_string(e.qr_svg));
			json_object_object_add(page, "enrol", en);
		}
	}
	if (request_query(c->req, "off"))
		json_object_object_add(page, "notice", json_object_new_string(
			"Your second factor is off: the console asks for your password only."));
	return form_page_render(c, status, "admin/account_two_factor", page, f);
}

int admin_account_two_factor(struct ctx *c)
{
	return render(c, 200, NULL, NULL);
}

/* The first code of the enrolment on the page: the factor on, the recovery codes shown once. */
int admin_account_two_factor_confirm(struct ctx *c)
{
	int on = two_factor_on(me(c));
	if (on)
		return on < 0 ? 500 : page_redirect(c, 303, PAGE);
	const char *code = request_form(c->req, "code");
	char codes[TF_RECOVERY_CODES][TF_RECOVERY_LEN];
	if (db_begin() < 0)
		return 500;
	int ok = two_factor_confirm(me(c), code ? code : "", codes);
	if (ok == 1 && (audit(c, "staff", c->staff.user_id, "staff_two_factor_on", NULL) < 0 ||
			staff_session_destroy_others(c->staff.user_id, c->staff.token_hash) < 0))
		ok = -1;
	if (ok < 0 || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	if (!ok) {
		struct form f;
		form_init(&f, "en");
		form_message(&f, "code", "That code is not right. Check that the time on your phone is correct, and enter "
					 "the current six-digit code the app shows.");
		return render(c, 422, &f, NULL);
	}
	int rc = render(c, 200, NULL, codes);
	OPENSSL_cleanse(codes, sizeof codes);
	return rc;
}

/* The current password or a current code (or an unused recovery code) in the form's "proof": 1
 * right; 0 with a message on f's field err (a wrong one counts as a failed login, as at the login); -1 error. */
static int proof_ok(struct ctx *c, struct form *f, const char *err)
{
	const char *proof = request_form(c->req, "proof");
	if (!proof || !*proof) {
		form_message(f, err, "Enter your current password, or the code your app shows now.");
		return 0;
	}
	enum tf_check rc = two_factor_proof(c, me(c), proof); /* a wrong one is counted there */
	if (rc == TF_ERROR)
		return -1;
	if (rc == TF_OK || rc == TF_RECOVERY)
		return 1;
	form_message(f, err, rc == TF_LOCKED ? "Too many failed attempts: your account (or your address) is locked for a while. Try again later."
						 : "That is neither your current password nor a current code from your app.");
	return 0;
}

/* Ten new recovery codes (the old ones void), shown once. */
int admin_account_two_factor_codes(struct ctx *c)
{
	int on = two_factor_on(me(c));
	if (on <= 0)
		return on < 0 ? 500 : page_redirect(c, 303, PAGE);
	struct form f;
	form_init(&f, "en");
	int ok = proof_ok(c, &f, "codes_proof");
	if (ok <= 0)
		return ok < 0 ? form_page_drop(&f, 500) : render(c, 422, &f, NULL);
	form_free(&f);
	char codes[TF_RECOVERY_CODES][TF_RECOVERY_LEN];
	if (db_begin() < 0)
		return 500;
	if (two_factor_recovery_new(me(c), codes) < 0 ||
	    audit(c, "staff", c->staff.user_id, "staff_two_factor_recovery_codes_new", NULL) < 0 || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	int rc = render(c, 200, NULL, codes);
	OPENSSL_cleanse(codes, sizeof codes);
	return rc;
}

/* Turn the factor off: refused while the install requires one of staff. */
int admin_account_two_factor_off(struct ctx *c)
{
	int on = two_factor_on(me(c)), required = two_factor_required(c, me(c));
	if (on < 0 || required < 0)
		return 500;
	if (!on)
		return page_redirect(c, 303, PAGE);
	struct form f;
	form_init(&f, "en");
	if (required) {
		form_message(&f, "off_proof", "This install requires a second factor of every staff user, so yours cannot be "
					  "turned off. An admin can change that under Staff security.");
		return render(c, 409, &f, NULL);
	}
	int ok = proof_ok(c, &f, "off_proof");
	if (ok <= 0)
		return ok < 0 ? form_page_drop(&f, 500) : render(c, 422, &f, NULL);
	form_free(&f);
	if (db_begin() < 0)
		return 500;
	if (two_factor_off(me(c)) < 0 || audit(c, "staff", c->staff.user_id, "staff_two_factor_off", NULL) < 0 ||
	    db_commit() < 0) {
		db_rollback();
		return 500;
	}
	return page_redirect(c, 303, PAGE "?off=1");
}
