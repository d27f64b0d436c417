/* admin_settings_sso.c - /admin/settings/sso: single sign-on. The method (SAML or JWT), the SP
 * values and rules an identity provider needs, the IdP's entity ID, SSO URL and certificates (or
 * its metadata) with their expiry, the logout URL, and JWT's login URL, algorithm, secret
 * (generated, shown once: /admin/settings/sso/secret) or public key. Not a form page of the kit:
 * pasted metadata fills three other fields, what is required depends on the method, the settings
 * span two tables and are audited as one row with the certificate and key by their hashes, and a
 * save that makes a secret answers with the page that shows it instead of a redirect. */
#include "admin_settings.h"
#include "form_page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jwt.h"
#include "saml.h"
#include "token.h"

const struct db_stmt admin_settings_sso_stmts[] = {
	{"sso_admin_row",
	 "SELECT coalesce(p.sso_method, ''), coalesce(s.saml_idp_entity_id, ''), coalesce(s.saml_idp_sso_url, ''),"
	 " coalesce(s.saml_idp_cert, ''), coalesce(s.saml_email_attribute, ''), coalesce(s.saml_allow_sha1, false),"
	 " coalesce(s.jwt_login_url, ''), coalesce(s.jwt_alg, 'HS256'), coalesce(s.jwt_public_key, ''),"
	 " coalesce(s.jwt_issuer, ''), coalesce(s.jwt_audience, ''), coalesce(s.logout_url, ''), s.jwt_secret <> '',"
	 " coalesce(" SQL_CONSOLE_TIME("s.jwt_secret_at", "YYYY-MM-DD HH24:MI") ", ''),"
	 " p.access_mode = 'sso'"
	 " FROM portals p LEFT JOIN portal_sso s ON s.portal_id = p.id WHERE p.id = $1",
	 1},
	{"sso_admin_lock", "SELECT 1 FROM portals WHERE id = $1 FOR UPDATE", 1},
	{"sso_admin_save",
	 "INSERT INTO portal_sso (portal_id, saml_idp_entity_id, saml_idp_sso_url, saml_idp_cert,"
	 " saml_email_attribute, saml_allow_sha1, jwt_login_url, jwt_alg, jwt_public_key, jwt_issuer, jwt_audience,"
	 " logout_url)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (portal_id) DO UPDATE SET"
	 " saml_idp_entity_id = $2, saml_idp_sso_url = $3, saml_idp_cert = $4, saml_email_attribute = $5,"
	 " saml_allow_sha1 = $6, jwt_login_url = $7, jwt_alg = $8, jwt_public_key = $9, jwt_issuer = $10,"
	 " jwt_audience = $11, logout_url = $12",
	 12},
	{"sso_admin_method", "UPDATE portals SET sso_method = $2 WHERE id = $1", 2},
	{"sso_admin_secret",
	 "INSERT INTO portal_sso (portal_id, jwt_secret, jwt_secret_at) VALUES ($1, $2, now())"
	 " ON CONFLICT (portal_id) DO UPDATE SET jwt_secret = $2, jwt_secret_at = now()",
	 2},
	{"sso_admin_refusals",
	 "SELECT " SQL_CONSOLE_TIME("at", "YYYY-MM-DD HH24:MI:SS") ", coalesce(detail->>'method', ''),"
	 " coalesce(detail->>'reason', ''), coalesce(host(ip), '')"
	 " FROM audit_log WHERE portal_id = $1 AND action = 'sso_refused' ORDER BY at DESC LIMIT 10",
	 1},
	{NULL, NULL, 0},
};

/* Column order of sso_admin_row. */
enum {
	SSO_METHOD, SSO_ENTITY, SSO_URL, SSO_CERT, SSO_ATTR, SSO_SHA1, SSO_JWT_URL, SSO_JWT_ALG,
	SSO_JWT_KEY, SSO_JWT_ISS, SSO_JWT_AUD, SSO_LOGOUT, SSO_HAS_SECRET, SSO_SECRET_AT, SSO_ON, SSO__MAX
};
static const char *const field_names[SSO__MAX] = {
	"sso_method", "saml_idp_entity_id", "saml_idp_sso_url", "saml_idp_cert", "saml_email_attribute",
	"saml_allow_sha1", "jwt_login_url", "jwt_alg", "jwt_public_key", "jwt_issuer", "jwt_audience",
	"logout_url", NULL, NULL, NULL,
};

#define CERT_WARN_DAYS 30 /* a certificate this close to its end is shown with a warning */

/* "expired" or "expires in N days" when not_after is within CERT_WARN_DAYS of now, else NULL. */
static const char *expiry_warning(struct ctx *c, long not_after, long now)
{
	long left = not_after - now;
	if (left <= 0)
		return "expired";
	if (left > CERT_WARN_DAYS * 86400L)
		return NULL;
	long days = (left + 86399) / 86400;
	return arena_printf(c->arena, "expires in %ld day%s", days, days == 1 ? "" : "s");
}

const char *sso_cert_warning(struct ctx *c, const char *bundle)
{
	struct saml_cert_info info[SAML_MAX_CERTS];
	int n = bundle && bundle[0] ? saml_cert_list(bundle, info, SAML_MAX_CERTS) : 0;
	long now = (long)time(NULL), soonest = 0;
	for (int i = 0; i < n; i++)
		if (i == 0 || info[i].not_after < soonest)
			soonest = info[i].not_after;
	return n > 0 ? expiry_warning(c, soonest, now) : NULL;
}

static const char *utc_date(struct ctx *c, long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char out[32];
	if (!gmtime_r(&tt, &tm) || strftime(out, sizeof out, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		return "";
	return arena_strdup(c->arena, out);
}

/* The saved certificates as [{subject, expires, fingerprint, warning}] (empty when none). */
static struct json_object *cert_list_json(struct ctx *c, const char *bundle)
{
	struct saml_cert_info info[SAML_MAX_CERTS];
	struct json_object *list = json_object_new_array();
	int n = bundle[0] ? saml_cert_list(bundle, info, SAML_MAX_CERTS) : 0;
	long now = (long)time(NULL);
	for (int i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		const char *warn = expiry_warning(c, info[i].not_after, now);
		json_object_object_add(o, "subject", json_object_new_string(info[i].subject));
		json_object_object_add(o, "expires", json_object_new_string(utc_date(c, info[i].not_after)));
		json_object_object_add(o, "fingerprint", json_object_new_string(info[i].sha256));
		if (warn)
			json_object_object_add(o, "warning", json_object_new_string(warn));
		json_object_array_add(list, o);
	}
	return list;
}

static PGresult *sso_row(struct ctx *c)
{
	PGresult *r = form_page_query(c, "sso_admin_row");
	if (r && PQntuples(r) != 1) {
		PQclear(r);
		return NULL;
	}
	return r;
}

/* The form's values: the saved row's when there is no refused form. */
static void saved_values(struct form *f, PGresult *row)
{
	for (int i = 0; i < SSO__MAX; i++)
		if (field_names[i] && i != SSO_SHA1)
			json_object_object_add(f->values, field_names[i], json_object_new_string(PQgetvalue(row, 0, i)));
	if (PQgetvalue(row, 0, SSO_SHA1)[0] == 't')
		json_object_object_add(f->values, "saml_allow_sha1", json_object_new_string("1"));
}

static void add_bool(struct json_object *page, const char *key, int v)
{
	json_object_object_add(page, key, json_object_new_boolean(v));
}

/* The radio and checkbox states from the form's values. */
static void choice_flags(struct json_object *page, struct form *f)
{
	struct json_object *v;
	const char *method = json_object_object_get_ex(f->values, "sso_method", &v) ? json_object_get_string(v) : "";
	const char *alg = json_object_object_get_ex(f->values, "jwt_alg", &v) ? json_object_get_string(v) : "";
	add_bool(page, "method_saml", strcmp(method, "saml") == 0);
	add_bool(page, "method_jwt", strcmp(method, "jwt") == 0);
	add_bool(page, "alg_rs256", strcmp(alg, "RS256") == 0);
	add_bool(page, "alg_hs256", strcmp(alg, "RS256") != 0);
	/* the saved row gives "1", a refused form the checkbox's boolean */
	int sha1 = json_object_object_get_ex(f->values, "saml_allow_sha1", &v) &&
		   (json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v)
							      : strcmp(json_object_get_string(v), "1") == 0);
	add_bool(page, "sha1", sha1);
}

/* What the identity provider needs from this portal: its URLs and where they come from. */
static void sp_values(struct ctx *c, struct json_object *page)
{
	json_object_object_add(page, "sp_entity_id", json_object_new_string(sso_saml_entity_id(c)));
	json_object_object_add(page, "sp_acs_url", json_object_new_string(sso_saml_acs_url(c)));
	json_object_object_add(page, "sp_metadata_url", json_object_new_string(sso_saml_entity_id(c)));
	json_object_object_add(page, "primary_host", json_object_new_string(settings_primary_host(c->portal)));
	json_object_object_add(page, "jwt_endpoint", json_object_new_string(
		arena_printf(c->arena, "%s/sso/jwt", portal_base_url(c))));
}

/* The last refusals with their exact reasons: what an admin setting up an IdP needs to see. */
static void recent_refusals(struct ctx *c, struct json_object *page)
{
	const char *pr[1] = {admin_pid(c)};
	PGresult *rr = db_exec("sso_admin_refusals", 1, pr);
	struct json_object *refusals = json_object_new_array();
	for (int i = 0; rr && i < PQntuples(rr); i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "at", json_object_new_string(PQgetvalue(rr, i, 0)));
		json_object_object_add(o, "method", json_object_new_string(PQgetvalue(rr, i, 1)));
		json_object_object_add(o, "reason", json_object_new_string(PQgetvalue(rr, i, 2)));
		json_object_object_add(o, "ip", json_object_new_string(PQgetvalue(rr, i, 3)));
		json_object_array_add(refusals, o);
	}
	add_bool(page, "has_refusals", json_object_array_length(refusals) > 0);
	json_object_object_add(page, "refusals", refusals);
	PQclear(rr);
}

/* The page: saved values (or the refused form's), the SP values, the saved certificates, and a
 * secret shown once. */
static int render_sso(struct ctx *c, int status, struct form *f, const char *new_secret)
{
	PGresult *row = sso_row(c);
	if (!row)
		return form_page_drop(f, 500);
	struct json_object *page = admin_page_new(c, "Single sign-on", "settings");
	struct form blank;
	if (!f) {
		form_init(&blank, "en");
		f = &blank;
		saved_values(f, row);
	}
	choice_flags(page, f);
	struct json_object *certs = cert_list_json(c, PQgetvalue(row, 0, SSO_CERT));
	add_bool(page, "has_certs", json_object_array_length(certs) > 0);
	json_object_object_add(page, "certs", certs);
	add_bool(page, "has_secret", PQgetvalue(row, 0, SSO_HAS_SECRET)[0] == 't');
	json_object_object_add(page, "secret_at", json_object_new_string(PQgetvalue(row, 0, SSO_SECRET_AT)));
	add_bool(page, "sso_on", PQgetvalue(row, 0, SSO_ON)[0] == 't');
	if (new_secret)
		json_object_object_add(page, "new_secret", json_object_new_string(new_secret));
	PQclear(row);
	sp_values(c, page);
	recent_refusals(c, page);
	return form_page_render(c, status, "admin/settings_sso", page, f);
}

int admin_settings_sso(struct ctx *c)
{
	return render_sso(c, 200, NULL, NULL);
}

/* The settings as an audit object: the certificate and key by their SHA-256, never a secret. */
static struct json_object *audit_object(const char *const vals[SSO__MAX])
{
	struct json_object *o = json_object_new_object();
	for (int i = 0; i < SSO__MAX; i++) {
		if (!field_names[i])
			continue;
		if (i == SSO_CERT || i == SSO_JWT_KEY) {
			char h[TOKEN_HEX_LEN + 1] = "";
			if (vals[i][0])
				token_sha256_hex(vals[i], h);
			json_object_object_add(o, i == SSO_CERT ? "saml_idp_cert_sha256" : "jwt_public_key_sha256",
					       json_object_new_string(h));
		} else {
			json_object_object_add(o, field_names[i], json_object_new_string(vals[i]));
		}
	}
	return o;
}

/* A new HS256 secret: 256 random bits as base64url; the page shows it this once. */
static int new_secret(struct ctx *c, char *out, size_t cap)
{
	if (token_new(out, cap) < 0)
		return -1;
	const char *p[2] = {admin_pid(c), out};
	PGresult *r = db_exec("sso_admin_secret", 2, p);
	if (!r)
		return -1;
	PQclear(r);
	return admin_audit(c, "settings_change", "sso_jwt_secret", json_object_new_object(),
			   json_object_new_string("generated"));
}

/* The submitted settings, indexed like sso_admin_row's columns (SSO__MAX entries used up to
 * SSO_LOGOUT); NULL where a field was refused. */
struct sso_input {
	const char *v[SSO__MAX];
	const char *metadata;
	int sha1;
};

static void read_fields(struct ctx *c, struct form *f, struct sso_input *in)
{
	memset(in, 0, sizeof *in);
	in->v[SSO_METHOD] = form_text(f, c->req, "sso_method", 0, 8, 0, 1);
	in->metadata = form_text(f, c->req, "saml_metadata", 0, 60000, 1, 1);
	in->v[SSO_ENTITY] = form_text(f, c->req, "saml_idp_entity_id", 0, 1024, 0, 1);
	in->v[SSO_URL] = form_text(f, c->req, "saml_idp_sso_url", 0, 2048, 0, 1);
	in->v[SSO_CERT] = form_text(f, c->req, "saml_idp_cert", 0, SAML_MAX_CERT_PEM, 1, 1);
	in->v[SSO_ATTR] = form_text(f, c->req, "saml_email_attribute", 0, 256, 0, 1);
	in->sha1 = form_checkbox(f, c->req, "saml_allow_sha1", 0);
	in->v[SSO_SHA1] = in->sha1 ? "t" : "f";
	in->v[SSO_JWT_URL] = form_text(f, c->req, "jwt_login_url", 0, 2048, 0, 1);
	in->v[SSO_JWT_ALG] = form_text(f, c->req, "jwt_alg", 0, 8, 0, 1);
	in->v[SSO_JWT_KEY] = form_text(f, c->req, "jwt_public_key", 0, 16000, 1, 1);
	in->v[SSO_JWT_ISS] = form_text(f, c->req, "jwt_issuer", 0, 1024, 0, 1);
	in->v[SSO_JWT_AUD] = form_text(f, c->req, "jwt_audience", 0, 1024, 0, 1);
	in->v[SSO_LOGOUT] = form_text(f, c->req, "logout_url", 0, 2048, 0, 1);
}

/* Replace a field's value (kept in the form too) with one read from the metadata. */
static void take_value(struct ctx *c, struct form *f, struct sso_input *in, int col, const char *v)
{
	in->v[col] = arena_strdup(c->arena, v);
	json_object_object_add(f->values, field_names[col], json_object_new_string(in->v[col]));
}

/* Pasted IdP metadata fills the entity ID, SSO URL and every signing certificate; refused
 * metadata leaves the fields as typed. Its SingleLogoutService is not taken as the logout URL: that
 * endpoint expects a LogoutRequest, which the portal does not send, and a bare visit there ends
 * on the IdP's error page (SimpleSAMLphp: "Unable to find the SAML 2 binding"). */
static void apply_metadata(struct ctx *c, struct form *f, struct sso_input *in)
{
	char reason[256], entity[1025], url[2049], slo[2049], *certs = NULL;
	if (saml_idp_metadata(in->metadata, strlen(in->metadata), entity, sizeof entity, url, sizeof url,
			      slo, sizeof slo, &certs, reason, sizeof reason) < 0) {
		form_message(f, "saml_metadata", arena_printf(c->arena, "This metadata cannot be used: %s.", reason));
		return;
	}
	take_value(c, f, in, SSO_ENTITY, entity);
	take_value(c, f, in, SSO_URL, url);
	take_value(c, f, in, SSO_CERT, certs);
	json_object_object_add(f->values, "saml_metadata", json_object_new_string(""));
	free(certs);
}

/* Every rule a field must pass, with a message next to it; the method decides what is required. */
static void check_fields(struct ctx *c, struct form *f, const struct sso_input *in)
{
	const char *const *v = in->v;
	char reason[256];
	int saml = v[SSO_METHOD] && strcmp(v[SSO_METHOD], "saml") == 0;
	int jwt = v[SSO_METHOD] && strcmp(v[SSO_METHOD], "jwt") == 0;
	int rs = v[SSO_JWT_ALG] && strcmp(v[SSO_JWT_ALG], "RS256") == 0;
	if (!saml && !jwt)
		form_message(f, "sso_method", "Choose SAML 2.0 or JWT.");
	if (v[SSO_ENTITY] && saml && !v[SSO_ENTITY][0])
		form_message(f, "saml_idp_entity_id", "Enter the identity provider's entity ID (or paste its metadata).");
	if (v[SSO_URL] && (v[SSO_URL][0] || saml) && !http_url_ok(v[SSO_URL]))
		form_message(f, "saml_idp_sso_url", "Enter the identity provider's SSO URL, starting with https://.");
	if (v[SSO_CERT] && (v[SSO_CERT][0] || saml) && saml_cert_check(v[SSO_CERT], reason, sizeof reason) < 0)
		form_message(f, "saml_idp_cert", arena_printf(c->arena, "Paste the identity provider's signing certificate"
				     " or certificates (PEM, -----BEGIN CERTIFICATE-----, at most %d): %s.",
				     SAML_MAX_CERTS, reason));
	if (v[SSO_ATTR] && v[SSO_ATTR][0] && strpbrk(v[SSO_ATTR], "<>\"'"))
		form_message(f, "saml_email_attribute", "An attribute name cannot hold < > or quotes.");
	/* the rule the workers apply when they load it (its origin goes into the pages' CSP) */
	char origin[300];
	if (v[SSO_LOGOUT] && v[SSO_LOGOUT][0] && settings_url_origin(v[SSO_LOGOUT], origin, sizeof origin) < 0)
		form_message(f, "logout_url", "Enter the logout URL starting with https:// (or http://) and a plain host name, or leave it empty.");
	if (v[SSO_JWT_URL] && (v[SSO_JWT_URL][0] || jwt) && !http_url_ok(v[SSO_JWT_URL]))
		form_message(f, "jwt_login_url", "Enter the login URL of your app, starting with https://.");
	if (v[SSO_JWT_ALG] && strcmp(v[SSO_JWT_ALG], "HS256") != 0 && !rs)
		form_message(f, "jwt_alg", "Choose HS256 or RS256.");
	if (v[SSO_JWT_KEY] && (v[SSO_JWT_KEY][0] || (jwt && rs)) &&
	    jwt_public_key_check(v[SSO_JWT_KEY], reason, sizeof reason) < 0)
		form_message(f, "jwt_public_key", arena_printf(c->arena, "Paste your app's RSA public key"
				     " (PEM, -----BEGIN PUBLIC KEY-----): %s.", reason));
}

/* Save in, audit what changed, and (HS256 chosen without a secret) make one into secret, inside
 * the caller's transaction. 0 or -1. */
static int save_settings(struct ctx *c, const struct sso_input *in, char *secret, size_t cap)
{
	const char *pid = admin_pid(c), *pl[1] = {pid};
	PGresult *lock = db_exec("sso_admin_lock", 1, pl);
	if (!lock)
		return -1;
	PQclear(lock);
	PGresult *row = sso_row(c);
	if (!row)
		return -1;
	const char *was[SSO__MAX], *now[SSO__MAX];
	for (int i = 0; i < SSO__MAX; i++) {
		was[i] = arena_strdup(c->arena, PQgetvalue(row, 0, i));
		now[i] = in->v[i] ? in->v[i] : "";
	}
	if (!now[SSO_JWT_ALG][0])
		now[SSO_JWT_ALG] = "HS256";
	int had_secret = PQgetvalue(row, 0, SSO_HAS_SECRET)[0] == 't';
	PQclear(row);
	const char *ps[12] = {pid, now[SSO_ENTITY], now[SSO_URL], now[SSO_CERT], now[SSO_ATTR],
			      in->sha1 ? "true" : "false", now[SSO_JWT_URL], now[SSO_JWT_ALG], now[SSO_JWT_KEY],
			      now[SSO_JWT_ISS], now[SSO_JWT_AUD], now[SSO_LOGOUT]};
	PGresult *u = db_exec("sso_admin_save", 12, ps);
	const char *pm[2] = {pid, now[SSO_METHOD]};
	PGresult *m = u ? db_exec("sso_admin_method", 2, pm) : NULL;
	int ok = u && m;
	PQclear(u);
	PQclear(m);
	if (!ok)
		return -1;
	int changed = 0;
	for (int i = 0; i < SSO__MAX; i++)
		if (field_names[i] && strcmp(was[i], now[i]) != 0)
			changed = 1;
	if (changed && admin_audit(c, "settings_change", "sso", audit_object(was), audit_object(now)) < 0)
		return -1;
	/* HS256 needs a secret: the first save that chooses it makes one and shows it once */
	int hs = strcmp(now[SSO_METHOD], "jwt") == 0 && strcmp(now[SSO_JWT_ALG], "RS256") != 0;
	if (hs && !had_secret && new_secret(c, secret, cap) < 0)
		return -1;
	return 0;
}

int admin_settings_sso_save(struct ctx *c)
{
	struct form f;
	struct sso_input in;
	form_init(&f, "en");
	read_fields(c, &f, &in);
	if (in.metadata && in.metadata[0])
		apply_metadata(c, &f, &in);
	check_fields(c, &f, &in);
	if (f.nerrors)
		return render_sso(c, 422, &f, NULL);
	form_free(&f);

	char secret[TOKEN_LEN + 1] = "";
	if (db_begin() < 0 || save_settings(c, &in, secret, sizeof secret) < 0 || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	if (secret[0]) {
		settings_stamp_bump(); /* the method is in every worker's cache; no 303 here to bump it */
		return render_sso(c, 200, NULL, secret);
	}
	return page_redirect(c, 303, admin_settings_url(c, "/sso?saved=1"));
}

int admin_settings_sso_secret(struct ctx *c)
{
	char secret[TOKEN_LEN + 1];
	if (db_begin() < 0 || new_secret(c, secret, sizeof secret) < 0 || db_commit() < 0) {
		db_rollback();
		return 500;
	}
	return render_sso(c, 200, NULL, secret);
}
