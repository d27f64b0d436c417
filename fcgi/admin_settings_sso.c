/* admin_settings_sso.c - the single sign-on settings page: the method (SAML or JWT), the SP
 * values an identity provider needs, the IdP's entity ID, SSO URL and certificate (or its
 * metadata), and JWT's login URL, algorithm, secret (generated, shown once) or public key. */
#include "admin_settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"
#include "saml.h"
#include "token.h"

const struct db_stmt admin_sso_stmts[] = {
	{"sso_admin_row",
	 "SELECT coalesce(p.sso_method, ''), coalesce(s.saml_idp_entity_id, ''), coalesce(s.saml_idp_sso_url, ''),"
	 " coalesce(s.saml_idp_cert, ''), coalesce(s.saml_email_attribute, ''), coalesce(s.saml_allow_sha1, false),"
	 " coalesce(s.jwt_login_url, ''), coalesce(s.jwt_alg, 'HS256'), coalesce(s.jwt_public_key, ''),"
	 " coalesce(s.jwt_issuer, ''), coalesce(s.jwt_audience, ''), s.jwt_secret <> '',"
	 " coalesce(to_char(s.jwt_secret_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'), ''),"
	 " p.access_mode = 'sso'"
	 " FROM portals p LEFT JOIN portal_sso s ON s.portal_id = p.id WHERE p.id = $1",
	 1},
	{"sso_admin_lock", "SELECT 1 FROM portals WHERE id = $1 FOR UPDATE", 1},
	{"sso_admin_save",
	 "INSERT INTO portal_sso (portal_id, saml_idp_entity_id, saml_idp_sso_url, saml_idp_cert,"
	 " saml_email_attribute, saml_allow_sha1, jwt_login_url, jwt_alg, jwt_public_key, jwt_issuer, jwt_audience)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (portal_id) DO UPDATE SET"
	 " saml_idp_entity_id = $2, saml_idp_sso_url = $3, saml_idp_cert = $4, saml_email_attribute = $5,"
	 " saml_allow_sha1 = $6, jwt_login_url = $7, jwt_alg = $8, jwt_public_key = $9, jwt_issuer = $10,"
	 " jwt_audience = $11",
	 11},
	{"sso_admin_method", "UPDATE portals SET sso_method = $2 WHERE id = $1", 2},
	{"sso_admin_secret",
	 "INSERT INTO portal_sso (portal_id, jwt_secret, jwt_secret_at) VALUES ($1, $2, now())"
	 " ON CONFLICT (portal_id) DO UPDATE SET jwt_secret = $2, jwt_secret_at = now()",
	 2},
	{"sso_admin_refusals",
	 "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), coalesce(detail->>'method', ''),"
	 " coalesce(detail->>'reason', ''), coalesce(host(ip), '')"
	 " FROM audit_log WHERE portal_id = $1 AND action = 'sso_refused' ORDER BY at DESC LIMIT 10",
	 1},
	{NULL, NULL, 0},
};

/* Column order of sso_admin_row. */
enum {
	SSO_METHOD, SSO_ENTITY, SSO_URL, SSO_CERT, SSO_ATTR, SSO_SHA1, SSO_JWT_URL, SSO_JWT_ALG,
	SSO_JWT_KEY, SSO_JWT_ISS, SSO_JWT_AUD, SSO_HAS_SECRET, SSO_SECRET_AT, SSO_ON, SSO__MAX
};
static const char *const field_names[SSO__MAX] = {
	"sso_method", "saml_idp_entity_id", "saml_idp_sso_url", "saml_idp_cert", "saml_email_attribute",
	"saml_allow_sha1", "jwt_login_url", "jwt_alg", "jwt_public_key", "jwt_issuer", "jwt_audience",
	NULL, NULL, NULL,
};

static PGresult *sso_row(struct ctx *c)
{
	const char *p[1] = {admin_pid(c)};
	PGresult *r = db_exec("sso_admin_row", 1, p);
	if (r && PQntuples(r) != 1) {
		PQclear(r);
		return NULL;
	}
	return r;
}

/* The page: saved values (or the refused form's), the SP values, and a secret shown once. */
static int render_sso(struct ctx *c, int status, struct form *f, const char *new_secret)
{
	PGresult *row = sso_row(c);
	if (!row) {
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *page = settings_page_new(c, "Single sign-on");
	struct form blank;
	if (!f) {
		form_init(&blank, "en");
		f = &blank;
		for (int i = 0; i < SSO__MAX; i++)
			if (field_names[i] && i != SSO_SHA1)
				json_object_object_add(f->values, field_names[i],
						       json_object_new_string(PQgetvalue(row, 0, i)));
		if (PQgetvalue(row, 0, SSO_SHA1)[0] == 't')
			json_object_object_add(f->values, "saml_allow_sha1", json_object_new_string("1"));
	}
	struct json_object *v;
	const char *method = json_object_object_get_ex(f->values, "sso_method", &v) ? json_object_get_string(v) : "";
	const char *alg = json_object_object_get_ex(f->values, "jwt_alg", &v) ? json_object_get_string(v) : "";
	json_object_object_add(page, "method_saml", json_object_new_boolean(strcmp(method, "saml") == 0));
	json_object_object_add(page, "method_jwt", json_object_new_boolean(strcmp(method, "jwt") == 0));
	json_object_object_add(page, "alg_rs256", json_object_new_boolean(strcmp(alg, "RS256") == 0));
	json_object_object_add(page, "alg_hs256", json_object_new_boolean(strcmp(alg, "RS256") != 0));
	/* the saved row gives "1", a refused form the checkbox's boolean */
	int sha1 = json_object_object_get_ex(f->values, "saml_allow_sha1", &v) &&
		   (json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v)
							      : strcmp(json_object_get_string(v), "1") == 0);
	json_object_object_add(page, "sha1", json_object_new_boolean(sha1));
	json_object_object_add(page, "has_secret", json_object_new_boolean(PQgetvalue(row, 0, SSO_HAS_SECRET)[0] == 't'));
	json_object_object_add(page, "secret_at", json_object_new_string(PQgetvalue(row, 0, SSO_SECRET_AT)));
	json_object_object_add(page, "sso_on", json_object_new_boolean(PQgetvalue(row, 0, SSO_ON)[0] == 't'));
	if (new_secret)
		json_object_object_add(page, "new_secret", json_object_new_string(new_secret));
	json_object_object_add(page, "sp_entity_id", json_object_new_string(sso_saml_entity_id(c)));
	json_object_object_add(page, "sp_acs_url", json_object_new_string(sso_saml_acs_url(c)));
	json_object_object_add(page, "sp_metadata_url", json_object_new_string(sso_saml_entity_id(c)));
	json_object_object_add(page, "jwt_endpoint", json_object_new_string(
		arena_printf(c->arena, "%s/sso/jwt", portal_base_url(c))));
	PQclear(row);
	/* the last refusals with their exact reasons: what an admin setting up an IdP needs to see */
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
	json_object_object_add(page, "has_refusals", json_object_new_boolean(json_object_array_length(refusals) > 0));
	json_object_object_add(page, "refusals", refusals);
	PQclear(rr);
	form_to_page(f, page);
	return admin_render(c, status, "admin/settings_sso", page);
}

int admin_settings_sso(struct ctx *c)
{
	return render_sso(c, 200, NULL, NULL);
}

static int fail(void)
{
	db_rollback();
	return 500;
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

int admin_settings_sso_save(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *method = form_text(&f, c->req, "sso_method", 0, 8, 0, 1);
	const char *metadata = form_text(&f, c->req, "saml_metadata", 0, 60000, 1, 1);
	const char *entity = form_text(&f, c->req, "saml_idp_entity_id", 0, 1024, 0, 1);
	const char *url = form_text(&f, c->req, "saml_idp_sso_url", 0, 2048, 0, 1);
	const char *cert = form_text(&f, c->req, "saml_idp_cert", 0, 16000, 1, 1);
	const char *attr = form_text(&f, c->req, "saml_email_attribute", 0, 256, 0, 1);
	int sha1 = form_checkbox(&f, c->req, "saml_allow_sha1", 0);
	const char *jwt_url = form_text(&f, c->req, "jwt_login_url", 0, 2048, 0, 1);
	const char *alg = form_text(&f, c->req, "jwt_alg", 0, 8, 0, 1);
	const char *key = form_text(&f, c->req, "jwt_public_key", 0, 16000, 1, 1);
	const char *iss = form_text(&f, c->req, "jwt_issuer", 0, 1024, 0, 1);
	const char *aud = form_text(&f, c->req, "jwt_audience", 0, 1024, 0, 1);
	char reason[256], md_entity[1025] = "", md_url[2049] = "", md_slo[2049] = "";
	char *md_cert = NULL;
	if (!method || (strcmp(method, "saml") != 0 && strcmp(method, "jwt") != 0))
		form_message(&f, "sso_method", "Choose SAML 2.0 or JWT.");
	if (metadata && metadata[0]) {
		if (saml_idp_metadata(metadata, strlen(metadata), md_entity, sizeof md_entity, md_url, sizeof md_url,
				      md_slo, sizeof md_slo, &md_cert, reason, sizeof reason) < 0) {
			form_message(&f, "saml_metadata", arena_printf(c->arena, "This metadata cannot be used: %s.", reason));
		} else {
			entity = arena_strdup(c->arena, md_entity);
			url = arena_strdup(c->arena, md_url);
			cert = arena_strdup(c->arena, md_cert);
			json_object_object_add(f.values, "saml_idp_entity_id", json_object_new_string(entity));
			json_object_object_add(f.values, "saml_idp_sso_url", json_object_new_string(url));
			json_object_object_add(f.values, "saml_idp_cert", json_object_new_string(cert));
			json_object_object_add(f.values, "saml_metadata", json_object_new_string(""));
		}
		free(md_cert);
	}
	int saml = method && strcmp(method, "saml") == 0, jwt = method && strcmp(method, "jwt") == 0;
	if (entity && saml && !entity[0])
		form_message(&f, "saml_idp_entity_id", "Enter the identity provider's entity ID (or paste its metadata).");
	if (url && (url[0] || saml) && !http_url_ok(url))
		form_message(&f, "saml_idp_sso_url", "Enter the identity provider's SSO URL, starting with https://.");
	if (cert && (cert[0] || saml) && saml_cert_check(cert, reason, sizeof reason) < 0)
		form_message(&f, "saml_idp_cert", arena_printf(c->arena, "Paste the identity provider's signing certificate"
				     " (PEM, -----BEGIN CERTIFICATE-----): %s.", reason));
	if (attr && attr[0] && strpbrk(attr, "<>\"'"))
		form_message(&f, "saml_email_attribute", "An attribute name cannot hold < > or quotes.");
	if (jwt_url && (jwt_url[0] || jwt) && !http_url_ok(jwt_url))
		form_message(&f, "jwt_login_url", "Enter the login URL of your app, starting with https://.");
	if (alg && strcmp(alg, "HS256") != 0 && strcmp(alg, "RS256") != 0)
		form_message(&f, "jwt_alg", "Choose HS256 or RS256.");
	int rs = alg && strcmp(alg, "RS256") == 0;
	if (key && (key[0] || (jwt && rs)) && jwt_public_key_check(key, reason, sizeof reason) < 0)
		form_message(&f, "jwt_public_key", arena_printf(c->arena, "Paste your app's RSA public key"
				     " (PEM, -----BEGIN PUBLIC KEY-----): %s.", reason));
	if (f.nerrors)
		return render_sso(c, 422, &f, NULL);
	form_free(&f);

	if (db_begin() < 0)
		return 500;
	const char *pid = admin_pid(c);
	const char *pl[1] = {pid};
	PGresult *lock = db_exec("sso_admin_lock", 1, pl);
	if (!lock)
		return fail();
	PQclear(lock);
	PGresult *row = sso_row(c);
	if (!row)
		return fail();
	const char *was[SSO__MAX], *now[SSO__MAX] = {method, entity, url, cert, attr, sha1 ? "t" : "f",
						       jwt_url, alg[0] ? alg : "HS256", key, iss, aud};
	for (int i = 0; i < SSO__MAX; i++)
		was[i] = arena_strdup(c->arena, PQgetvalue(row, 0, i));
	int had_secret = PQgetvalue(row, 0, SSO_HAS_SECRET)[0] == 't';
	PQclear(row);
	const char *ps[11] = {pid, entity, url, cert, attr, sha1 ? "true" : "false", jwt_url, now[SSO_JWT_ALG],
			      key, iss, aud};
	PGresult *u = db_exec("sso_admin_save", 11, ps);
	const char *pm[2] = {pid, method};
	PGresult *m = u ? db_exec("sso_admin_method", 2, pm) : NULL;
	int ok = u && m;
	PQclear(u);
	PQclear(m);
	if (!ok)
		return fail();
	int changed = 0;
	for (int i = 0; i < SSO__MAX; i++)
		if (field_names[i] && strcmp(was[i], now[i]) != 0)
			changed = 1;
	if (changed && admin_audit(c, "settings_change", "sso", audit_object(was), audit_object(now)) < 0)
		return fail();
	/* HS256 needs a secret: the first save that chooses it makes one and shows it once */
	char secret[TOKEN_LEN + 1] = "";
	if (jwt && !rs && !had_secret && new_secret(c, secret, sizeof secret) < 0)
		return fail();
	if (db_commit() < 0)
		return 500;
	if (secret[0]) {
		settings_stamp_bump(); /* the method is in every worker's cache; no 303 here to bump it */
		return render_sso(c, 200, NULL, secret);
	}
	return page_redirect(c, 303, "/admin/settings/sso?saved=1");
}

int admin_settings_sso_secret(struct ctx *c)
{
	if (db_begin() < 0)
		return 500;
	char secret[TOKEN_LEN + 1];
	if (new_secret(c, secret, sizeof secret) < 0)
		return fail();
	if (db_commit() < 0)
		return 500;
	return render_sso(c, 200, NULL, secret);
}
