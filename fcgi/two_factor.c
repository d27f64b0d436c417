/* two_factor.c - the second factor's mechanics (fcgi/two_factor.h): TOTP secrets sealed in
 * two_factors, recovery codes, challenges. */
#include "two_factor.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cookie.h"
#include "i18n.h"
#include "log.h"
#include "password.h"
#include "qr.h"
#include "secretbox.h"
#include "token.h"
#include "totp.h"

/* The same statements for members (_m) and staff (_s), on the owner's column. */
#define TF_OWNER_STMTS(SUFFIX, COL, LOGINS)                                                        \
	{"tf_get" SUFFIX,                                                                          \
	 "SELECT coalesce(f.id, 0) AS id, coalesce(f.secret_sealed, '') AS sealed,"                \
	 " f.confirmed_at IS NOT NULL AS confirmed, coalesce(f.last_step, 0) AS last_step,"        \
	 " coalesce(f.created_at > now() - interval '30 minutes', false) AS fresh,"                 \
	 " coalesce(o.locked_until > now(), false) AS locked,"                                     \
	 " coalesce(o.password_hash, '') AS password_hash"                                         \
	 " FROM " LOGINS " o LEFT JOIN two_factors f ON f." COL " = o.id WHERE o.id = $1",          \
	 1},                                                                                       \
	{"tf_pending" SUFFIX,                                                                      \
	 "INSERT INTO two_factors (" COL ", secret_sealed) VALUES ($1, $2)"                        \
	 " ON CONFLICT (" COL ") DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed,"             \
	 " created_at = now(), last_step = 0 WHERE two_factors.confirmed_at IS NULL RETURNING id",  \
	 2},                                                                                       \
	{"tf_off" SUFFIX, "DELETE FROM two_factors WHERE " COL " = $1", 1},                        \
	{"tf_ch_drop" SUFFIX, "DELETE FROM two_factor_challenges WHERE " COL " = $1", 1},          \
	{"tf_fail" SUFFIX,                                                                         \
	 "UPDATE " LOGINS " SET"                                                                   \
	 " locked_until = CASE WHEN failed_logins + 1 >= $2::int"                                  \
	 "   THEN now() + make_interval(mins => $3::int) ELSE locked_until END,"                   \
	 " failed_logins = CASE WHEN failed_logins + 1 >= $2::int THEN 0 ELSE failed_logins + 1 END" \
	 " WHERE id = $1",                                                                         \
	 3},                                                                                       \
	{"tf_ok" SUFFIX, "UPDATE " LOGINS " SET failed_logins = 0, locked_until = NULL WHERE id = $1", 1}

const struct db_stmt two_factor_stmts[] = {
	TF_OWNER_STMTS("_m", "member_id", "members"),
	TF_OWNER_STMTS("_s", "staff_user_id", "staff_users"),
	{"tf_required_m",
	 "SELECT p.two_factor_required AND NOT (p.access_mode = 'sso' AND p.sso_method IS NOT NULL)"
	 " FROM members m JOIN portals p ON p.id = m.portal_id WHERE m.id = $1",
	 1},
	{"tf_required_s", "SELECT staff_two_factor_required FROM install_settings", 0},
	{"tf_confirm", "UPDATE two_factors SET confirmed_at = now(), last_step = $2 WHERE id = $1 AND confirmed_at IS NULL",
	 2},
	/* the step only moves forward: a code is taken once, even by two requests at the same time */
	{"tf_step", "UPDATE two_factors SET last_step = $2 WHERE id = $1 AND last_step < $2 AND confirmed_at IS NOT NULL",
	 2},
	{"tf_codes_set",
	 "WITH old AS (DELETE FROM two_factor_recovery_codes WHERE two_factor_id = $1)"
	 " INSERT INTO two_factor_recovery_codes (two_factor_id, code_hmac) SELECT $1, unnest($2::text[])",
	 2},
	{"tf_code_use",
	 "UPDATE two_factor_recovery_codes SET used_at = now()"
	 " WHERE two_factor_id = $1 AND code_hmac = $2 AND used_at IS NULL",
	 2},
	{"tf_codes_left",
	 "SELECT count(*) FROM two_factor_recovery_codes WHERE two_factor_id = $1 AND used_at IS NULL", 1},
	{"tf_ch_new",
	 "WITH old AS (DELETE FROM two_factor_challenges WHERE expires_at < now())"
	 " INSERT INTO two_factor_challenges (token_sha256, member_id, staff_user_id, portal_id, method, next, expires_at)"
	 " VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(mins => $7::int))",
	 7},
	{"tf_ch_get",
	 "SELECT coalesce(member_id, 0) AS member_id, coalesce(staff_user_id, 0) AS staff_user_id,"
	 " coalesce(portal_id, 0) AS portal_id, method, next, failures"
	 " FROM two_factor_challenges WHERE token_sha256 = $1 AND expires_at > now()",
	 1},
	{"tf_ch_fail", "UPDATE two_factor_challenges SET failures = failures + 1 WHERE token_sha256 = $1 RETURNING failures",
	 1},
	{"tf_ch_end", "DELETE FROM two_factor_challenges WHERE token_sha256 = $1", 1},
	{NULL, NULL, 0},
};

static const char *stmt(struct tf_who w, const char *base)
{
	static char name[40];
	snprintf(name, sizeof name, "%s_%c", base, w.kind == TF_MEMBER ? 'm' : 's');
	return name;
}

/* The sealing context: the owner, so a sealed secret copied to another row does not open. */
static void context(struct tf_who w, char out[40])
{
	snprintf(out, 40, "two_factor:%c%ld", w.kind == TF_MEMBER ? 'm' : 's', w.id);
}

struct factor {
	long id;
	int confirmed, fresh, locked;
	long long last_step;
	char secret[TOTP_SECRET_B32 + 1]; /* opened; "" when none or it does not open */
	char password_hash[256];          /* the login's ("" when it has none) */
};

/* who's row: 1 found (f->id 0 when no factor), 0 no such login, -1 error. */
static int factor_get(struct tf_who w, struct factor *f)
{
	char id[24];
	snprintf(id, sizeof id, "%ld", w.id);
	const char *p[1] = {id};
	PGresult *r = db_exec(stmt(w, "tf_get"), 1, p);
	if (!r)
		return -1;
	memset(f, 0, sizeof *f);
	int found = PQntuples(r) == 1;
	if (found) {
		f->id = atol(db_col(r, 0, "id"));
		f->confirmed = db_col(r, 0, "confirmed")[0] == 't';
		f->fresh = db_col(r, 0, "fresh")[0] == 't';
		f->locked = db_col(r, 0, "locked")[0] == 't';
		f->last_step = atoll(db_col(r, 0, "last_step"));
		snprintf(f->password_hash, sizeof f->password_hash, "%s", db_col(r, 0, "password_hash"));
		char ctx_[40];
		context(w, ctx_);
		if (f->id && secretbox_open(cfg.secret_key, ctx_, db_col(r, 0, "sealed"), f->secret, sizeof f->secret) < 0) {
			log_msg(LOG_ERROR, "two_factor: the secret of %s does not open (secret_key changed?)", ctx_);
			f->secret[0] = '\0';
		}
	}
	PQclear(r);
	return found;
}

static void factor_wipe(struct factor *f)
{
	OPENSSL_cleanse(f->secret, sizeof f->secret);
}

int two_factor_on(struct tf_who who)
{
	struct factor f;
	int found = factor_get(who, &f);
	factor_wipe(&f);
	return found < 0 ? -1 : found && f.confirmed;
}

int two_factor_required(struct ctx *c, struct tf_who who)
{
	(void)c;
	char id[24], v[8];
	snprintf(id, sizeof id, "%ld", who.id);
	const char *p[1] = {id};
	int n = db_exec_value(stmt(who, "tf_required"), who.kind == TF_MEMBER ? 1 : 0, p, v, sizeof v);
	return n < 0 ? -1 : n == 1 && v[0] == 't';
}

int two_factor_enrolment(struct ctx *c, struct tf_who who, const char *issuer, const char *account,
			 struct tf_enrolment *e)
{
	struct factor f;
	int found = factor_get(who, &f);
	if (found <= 0)
		return found < 0 ? -1 : 0;
	if (f.confirmed) {
		factor_wipe(&f);
		return 0;
	}
	if (!f.id || !f.fresh || !f.secret[0]) { /* a new pending secret */
		char ctx_[40], id[24];
		context(who, ctx_);
		if (totp_secret_new(f.secret) < 0)
			return -1;
		size_t cap = secretbox_sealed_len(strlen(f.secret)) + 1;
		char *sealed = arena_alloc(c->arena, cap);
		snprintf(id, sizeof id, "%ld", who.id);
		const char *p[2] = {id, sealed};
		PGresult *r = sealed && secretbox_seal(cfg.secret_key, ctx_, f.secret, sealed, cap) == 0
				      ? db_exec(stmt(who, "tf_pending"), 2, p)
				      : NULL;
		int ok = r && PQntuples(r) == 1; /* none: confirmed meanwhile */
		PQclear(r);
		if (!ok) {
			factor_wipe(&f);
			return r ? 0 : -1;
		}
	}
	struct buf b = BUF_INIT;
	for (size_t i = 0; f.secret[i]; i++) {
		if (i && i % 4 == 0)
			buf_putc(&b, ' ');
		buf_putc(&b, f.secret[i]);
	}
	e->secret = arena_strdup(c->arena, b.data ? b.data : "");
	char uri[512];
	int rc = totp_uri(issuer, account, f.secret, uri, sizeof uri) < 0 ? -1 : 1;
	factor_wipe(&f);
	e->uri = arena_strdup(c->arena, uri);
	buf_reset(&b);
	/* the console is English; the portal speaks the request's language */
	const char *label = who.kind == TF_MEMBER ? i18n_get(c->lang, "tf_qr_label") : "QR code";
	if (rc == 1 && qr_svg(uri, label, 4, &b) < 0)
		rc = -1;
	e->qr_svg = rc == 1 ? arena_strdup(c->arena, b.data) : "";
	buf_free(&b);
	return rc;
}

/* A recovery code as typed, lowercased without spaces and dashes, into out (11 bytes): 1 when it
 * has the shape of one (ten base32 letters), else 0. */
static int recovery_normal(const char *code, char out[11])
{
	size_t n = 0;
	for (const char *p = code ? code : ""; *p; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		int ch = tolower((unsigned char)*p);
		if (n >= 10 || !((ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7')))
			return 0;
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	return n == 10;
}

/* What is kept of a recovery code (normalised, recovery_normal): an HMAC-SHA-256 under the
 * install's secret_key of the factor's id and the code, so that a copy of the database alone
 * cannot be searched for the codes (fifty random bits each). */
static void recovery_hash(long factor_id, const char *normal, char out[65])
{
	char msg[64];
	int n = snprintf(msg, sizeof msg, "two_factor_recovery:%ld:%s", factor_id, normal);
	hmac_sha256_hex(cfg.secret_key, strlen(cfg.secret_key), msg, (size_t)n, out);
}

static int codes_store(long factor_id, char codes[TF_RECOVERY_CODES][TF_RECOVERY_LEN])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	struct buf arr = BUF_INIT;
	buf_putc(&arr, '{');
	for (int i = 0; i < TF_RECOVERY_CODES; i++) {
		unsigned char rnd[10];
		if (RAND_bytes(rnd, sizeof rnd) != 1) {
			buf_free(&arr);
			return -1;
		}
		char plain[11], hash[65];
		for (int k = 0; k < 10; k++)
			plain[k] = alphabet[rnd[k] & 31];
		plain[10] = '\0';
		snprintf(codes[i], TF_RECOVERY_LEN, "%.5s-%.5s", plain, plain + 5);
		recovery_hash(factor_id, plain, hash);
		if (i)
			buf_putc(&arr, ',');
		buf_puts(&arr, hash);
	}
	buf_putc(&arr, '}');
	char id[24];
	snprintf(id, sizeof id, "%ld", factor_id);
	const char *p[2] = {id, arr.data};
	int rc = db_run("tf_codes_set", 2, p);
	buf_free(&arr);
	return rc;
}

int two_factor_confirm(struct tf_who who, const char *code, char codes[TF_RECOVERY_CODES][TF_RECOVERY_LEN])
{
	struct factor f;
	int found = factor_get(who, &f);
	if (found <= 0 || f.confirmed || !f.id || !f.secret[0]) {
		factor_wipe(&f);
		return found < 0 ? -1 : 0;
	}
	long long step = totp_verify(f.secret, code, (long long)time(NULL), 1, 0);
	factor_wipe(&f);
	if (step <= 0)
		return 0;
	char id[24], st[24];
	snprintf(id, sizeof id, "%ld", f.id);
	snprintf(st, sizeof st, "%lld", step);
	const char *p[2] = {id, st};
	PGresult *r = db_exec("tf_confirm", 2, p);
	int ok = r && atoi(PQcmdTuples(r)) == 1;
	PQclear(r);
	if (!r)
		return -1;
	if (!ok)
		return 0;
	return codes_store(f.id, codes) < 0 ? -1 : 1;
}

void login_failure(struct ctx *c, struct tf_who who)
{
	char id[24], max[16], mins[16];
	snprintf(id, sizeof id, "%ld", who.id);
	snprintf(max, sizeof max, "%d", cfg.login_max_failures);
	snprintf(mins, sizeof mins, "%d", cfg.login_lockout_minutes);
	const char *p[3] = {id, max, mins};
	db_run(stmt(who, "tf_fail"), 3, p);
	login_ip_failed(c);
}

/* The login's counter after a right proof. */
static enum tf_check login_ok(struct tf_who who, enum tf_check rc)
{
	char oid[24];
	snprintf(oid, sizeof oid, "%ld", who.id);
	const char *p[1] = {oid};
	return db_run(stmt(who, "tf_ok"), 1, p) < 0 ? TF_ERROR : rc;
}

/* A code for the factor f of who (read by factor_get: found, not locked). */
static enum tf_check check_code(struct ctx *c, struct tf_who who, const struct factor *f, const char *code)
{
	enum tf_check rc = TF_WRONG;
	char id[24], normal[11];
	snprintf(id, sizeof id, "%ld", f->id);
	if (f->confirmed && f->secret[0]) {
		long long step = totp_verify(f->secret, code, (long long)time(NULL), 1, f->last_step);
		if (step > 0) {
			char st[24];
			snprintf(st, sizeof st, "%lld", step);
			const char *p[2] = {id, st};
			PGresult *r = db_exec("tf_step", 2, p);
			rc = !r ? TF_ERROR : atoi(PQcmdTuples(r)) == 1 ? TF_OK : TF_WRONG;
			PQclear(r);
		} else if (recovery_normal(code, normal)) {
			char hash[65];
			recovery_hash(f->id, normal, hash);
			const char *p[2] = {id, hash};
			PGresult *r = db_exec("tf_code_use", 2, p);
			rc = !r ? TF_ERROR : atoi(PQcmdTuples(r)) == 1 ? TF_RECOVERY : TF_WRONG;
			PQclear(r);
		}
	}
	if (rc == TF_WRONG)
		login_failure(c, who);
	return rc == TF_OK || rc == TF_RECOVERY ? login_ok(who, rc) : rc;
}

enum tf_check two_factor_check(struct ctx *c, struct tf_who who, const char *code)
{
	struct factor f;
	int found = factor_get(who, &f);
	enum tf_check rc = found < 0 ? TF_ERROR : !found ? TF_WRONG : f.locked ? TF_LOCKED : check_code(c, who, &f, code);
	factor_wipe(&f);
	return rc;
}

enum tf_check two_factor_proof(struct ctx *c, struct tf_who who, const char *proof)
{
	if (!proof)
		proof = "";
	if (login_ip_limited(c))
		return TF_LOCKED;
	struct factor f;
	int found = factor_get(who, &f);
	enum tf_check rc = found < 0 ? TF_ERROR : !found ? TF_WRONG : f.locked ? TF_LOCKED : TF_WRONG;
	if (rc == TF_WRONG && found) {
		/* six digits are a code, never a password (the policy wants eight characters or more) */
		size_t n = strlen(proof);
		int code_shaped = n == TOTP_DIGITS && strspn(proof, "0123456789") == n;
		if (!code_shaped && n && f.password_hash[0] && password_verify(f.password_hash, proof) == 1)
			rc = login_ok(who, TF_OK);
		else
			rc = check_code(c, who, &f, proof);
	}
	factor_wipe(&f);
	return rc;
}

/* The confirmed factor's id: > 0, 0 none, -1 error. */
static long confirmed_id(struct tf_who who)
{
	struct factor f;
	int found = factor_get(who, &f);
	factor_wipe(&f);
	return found < 0 ? -1 : found && f.confirmed ? f.id : 0;
}

int two_factor_recovery_left(struct tf_who who)
{
	long fid = confirmed_id(who);
	if (fid <= 0)
		return (int)fid;
	char id[24], n[16];
	snprintf(id, sizeof id, "%ld", fid);
	const char *p[1] = {id};
	return db_exec_value("tf_codes_left", 1, p, n, sizeof n) == 1 ? atoi(n) : -1;
}

int two_factor_recovery_new(struct tf_who who, char codes[TF_RECOVERY_CODES][TF_RECOVERY_LEN])
{
	long fid = confirmed_id(who);
	return fid <= 0 ? -1 : codes_store(fid, codes);
}

struct json_object *two_factor_codes_json(char codes[TF_RECOVERY_CODES][TF_RECOVERY_LEN])
{
	struct json_object *a = json_object_new_array();
	for (int i = 0; i < TF_RECOVERY_CODES; i++)
		json_object_array_add(a, json_object_new_string(codes[i]));
	return a;
}

int two_factor_off(struct tf_who who)
{
	char id[24];
	snprintf(id, sizeof id, "%ld", who.id);
	const char *p[1] = {id};
	PGresult *r = db_exec(stmt(who, "tf_off"), 1, p);
	if (!r)
		return -1;
	int n = atoi(PQcmdTuples(r));
	PQclear(r);
	if (db_run(stmt(who, "tf_ch_drop"), 1, p) < 0)
		return -1;
	return n > 0;
}

/* --- the challenge --- */

static const char *cookie_name(enum tf_kind k)
{
	return k == TF_MEMBER ? TF_COOKIE : TF_STAFF_COOKIE;
}

static void cookie_write(struct ctx *c, enum tf_kind k, const char *value, long max_age)
{
	set_cookie_path(c, cookie_name(k), value, max_age, k == TF_MEMBER ? "/" : STAFF_COOKIE_PATH);
}

int two_factor_challenge_start(struct ctx *c, struct tf_who who, const char *method, const char *next)
{
	char token[64], hash[65], id[24], pid[24], mins[8];
	if (token_new(token, sizeof token) < 0)
		return -1;
	token_sha256_hex(token, hash);
	snprintf(id, sizeof id, "%ld", who.id);
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	snprintf(mins, sizeof mins, "%d", TF_CHALLENGE_MINUTES);
	const char *p[7] = {hash, who.kind == TF_MEMBER ? id : NULL, who.kind == TF_STAFF ? id : NULL,
			    who.kind == TF_MEMBER ? pid : NULL, method, next ? next : "", mins};
	if (db_run("tf_ch_new", 7, p) < 0)
		return -1;
	cookie_write(c, who.kind, token, TF_CHALLENGE_MINUTES * 60);
	return 0;
}

int two_factor_challenge_load(struct ctx *c, enum tf_kind kind, struct tf_challenge *ch)
{
	memset(ch, 0, sizeof *ch);
	const char *token = get_cookie_path(c, cookie_name(kind), kind == TF_MEMBER ? "/" : STAFF_COOKIE_PATH);
	if (!token || !token_well_formed(token))
		return 0;
	token_sha256_hex(token, ch->token_hash);
	const char *p[1] = {ch->token_hash};
	PGresult *r = db_exec("tf_ch_get", 1, p);
	if (!r)
		return -1;
	int found = PQntuples(r) == 1;
	if (found) {
		long mid = atol(db_col(r, 0, "member_id")), sid = atol(db_col(r, 0, "staff_user_id"));
		ch->who.kind = mid ? TF_MEMBER : TF_STAFF;
		ch->who.id = mid ? mid : sid;
		ch->portal_id = atol(db_col(r, 0, "portal_id"));
		snprintf(ch->method, sizeof ch->method, "%s", db_col(r, 0, "method"));
		snprintf(ch->next, sizeof ch->next, "%s", db_col(r, 0, "next"));
		ch->failures = atoi(db_col(r, 0, "failures"));
		found = ch->who.kind == kind && (kind == TF_STAFF || ch->portal_id == c->portal->id);
	}
	PQclear(r);
	if (!found)
		memset(ch, 0, sizeof *ch);
	return found;
}

int two_factor_challenge_end(struct ctx *c, struct tf_challenge *ch)
{
	const char *p[1] = {ch->token_hash};
	cookie_write(c, ch->who.kind, "", 0);
	return db_run("tf_ch_end", 1, p);
}

int two_factor_challenge_failed(struct ctx *c, struct tf_challenge *ch)
{
	const char *p[1] = {ch->token_hash};
	char n[16];
	if (db_exec_value("tf_ch_fail", 1, p, n, sizeof n) < 0)
		return -1;
	ch->failures = atoi(n);
	if (ch->failures < TF_CHALLENGE_FAILURES)
		return 0;
	return two_factor_challenge_end(c, ch) < 0 ? -1 : 1;
}
