/* admin_contacts_import.c - /admin/contacts/import: CSV import of contacts: upload, one transaction
 * that creates and updates contacts (and companies, list memberships), and
 * /admin/contacts/import/<id>, the stored report of created, updated and rejected rows shown after
 * the redirect. Not a form page of the kit (form_page.h): the form is a file upload, and one
 * submission writes many records, each audited on its own. */
#include "admin_crm.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

const struct db_stmt admin_contacts_import_stmts[] = {
	{"crm_company_by_name", "SELECT id FROM companies WHERE lower(name) = lower($1) ORDER BY id LIMIT 1", 1},
	{"crm_list_by_name", "SELECT id FROM lists WHERE lower(name) = lower($1)", 1},

	/* --- CSV import --- */
	{"crm_import_find", "SELECT id, " CONTACT_JSON " AS state FROM contacts WHERE lower(email) = lower($1) FOR UPDATE", 1},
	/* empty values keep what is there; no row back when nothing changes */
	{"crm_import_update",
	 "UPDATE contacts SET first_name = CASE WHEN $2 = '' THEN first_name ELSE $2 END,"
	 " last_name = CASE WHEN $3 = '' THEN last_name ELSE $3 END,"
	 " primary_company_id = coalesce($4::bigint, primary_company_id)"
	 " WHERE id = $1 AND (first_name, last_name, primary_company_id) IS DISTINCT FROM"
	 "  (CASE WHEN $2 = '' THEN first_name ELSE $2 END, CASE WHEN $3 = '' THEN last_name ELSE $3 END,"
	 "   coalesce($4::bigint, primary_company_id))"
	 " RETURNING " CONTACT_JSON " AS state",
	 4},
	{"crm_import_save",
	 "INSERT INTO contact_imports (staff_user_id, file_name, created_count, updated_count,"
	 " unchanged_count, rejected, ignored_columns) VALUES ($1, $2, $3, $4, $5, $6::jsonb,"
	 "  ARRAY(SELECT jsonb_array_elements_text($7::jsonb)))"
	 " RETURNING id",
	 7},
	{"crm_import_get",
	 "SELECT i.file_name AS file, i.created_count AS created, i.updated_count AS updated,"
	 " i.unchanged_count AS unchanged, i.rejected::text AS rejected,"
	 " array_to_string(i.ignored_columns, ', ') AS ignored, " SQL_CONSOLE_TIME("i.created_at", "YYYY-MM-DD HH24:MI") " AS at,"
	 " coalesce(u.email, '') AS by FROM contact_imports i LEFT JOIN staff_users u ON u.id = i.staff_user_id"
	 " WHERE i.id = $1",
	 1},
	{NULL},
};

#define IMPORT_MAX_BYTES (2 * 1024 * 1024)
#define IMPORT_MAX_ROWS 10000
#define IMPORT_MAX_COLS 64
#define IMPORT_SHOW_REJECTED 500

enum col { COL_EMAIL, COL_FIRST, COL_LAST, COL_COMPANY, COL_LIST, COL__MAX };
static const char *const col_names[COL__MAX] = {"email", "first_name", "last_name", "company", "list"};

static int render_form(struct ctx *c, int status, struct form *f)
{
	struct json_object *page = admin_page_new(c, "Import contacts", "contacts");
	json_object_object_add(page, "max_rows", json_object_new_string("10,000"));
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, "admin/crm_import", page);
}

int crm_import_page(struct ctx *c)
{
	return render_form(c, 200, NULL);
}

/* A header cell as a column name: trimmed, lower-case, spaces and hyphens as '_'. */
static char *header_name(struct ctx *c, const char *raw)
{
	while (*raw == ' ' || *raw == '\t')
		raw++;
	char *s = arena_strdup(c->arena, raw);
	size_t n = s ? strlen(s) : 0;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		s[i] = (s[i] == ' ' || s[i] == '-') ? '_' : (char)tolower((unsigned char)s[i]);
	if (s && strcmp(s, "e_mail") == 0)
		return "email";
	return s;
}

static char *trim(struct ctx *c, const char *v)
{
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return arena_strndup(c->arena, v, n);
}

struct import {
	struct ctx *c;
	int created, updated, unchanged;
	struct json_object *rejected; /* [{row, email, reason}] */
	struct json_object *seen;     /* lower(email) -> row */
	struct json_object *companies; /* lower(name) -> id */
};

static void reject(struct import *im, size_t row, const char *email, const char *reason)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "row", json_object_new_int64((int64_t)row));
	json_object_object_add(o, "email", json_object_new_string(email ? email : ""));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_array_add(im->rejected, o);
}

static char *lower_ascii(struct ctx *c, const char *s)
{
	char *l = arena_strdup(c->arena, s);
	for (char *p = l; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return l;
}

/* Runs the insert stmt (RETURNING id, state) and audits the new record as action: its id (arena),
 * or NULL on a database error. */
static const char *insert(struct ctx *c, const char *stmt, int n, const char *const *p, const char *action)
{
	PGresult *r = db_exec(stmt, n, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return NULL;
	}
	const char *id = arena_strdup(c->arena, db_col(r, 0, "id"));
	int a = admin_audit(c, action, "csv_import", NULL, json_tokener_parse(db_col(r, 0, "state")));
	PQclear(r);
	return a < 0 ? NULL : id;
}

/* The id of the company named name, created when missing; NULL on a database error. */
static const char *company_id(struct import *im, const char *name)
{
	struct ctx *c = im->c;
	char *key = lower_ascii(c, name);
	struct json_object *v;
	if (json_object_object_get_ex(im->companies, key, &v))
		return arena_strdup(c->arena, json_object_get_string(v));
	char id[24];
	const char *p[1] = {name};
	int got = db_exec_value("crm_company_by_name", 1, p, id, sizeof id);
	if (got < 0)
		return NULL;
	if (got == 0) {
		const char *q[3] = {name, "", "{}"};
		const char *made = insert(c, "crm_company_insert", 3, q, "company_create");
		if (!made)
			return NULL;
		snprintf(id, sizeof id, "%s", made);
	}
	json_object_object_add(im->companies, key, json_object_new_string(id));
	return arena_strdup(c->arena, id);
}

/* Checks one row's values; a reason to reject it, or NULL when it is fine. */
static const char *row_problem(struct import *im, char **v, size_t row)
{
	struct ctx *c = im->c;
	const char *email = v[COL_EMAIL];
	if (!*email)
		return "The email is missing.";
	if (!email_well_formed(email))
		return "The email is not a valid address.";
	for (int k = COL_FIRST; k < COL__MAX; k++) {
		if (!v[k])
			continue;
		if (strpbrk(v[k], "\r\n"))
			return arena_printf(c->arena, "The %s holds a line break.", col_names[k]);
		if (utf8_length(v[k]) > CRM_NAME_MAX)
			return arena_printf(c->arena, "The %s is longer than %d characters.", col_names[k], CRM_NAME_MAX);
	}
	struct json_object *first;
	const char *key = lower_ascii(c, email);
	if (json_object_object_get_ex(im->seen, key, &first))
		return arena_printf(c->arena, "The email appears again (first in row %d).", json_object_get_int(first));
	json_object_object_add(im->seen, key, json_object_new_int((int)row));
	if (v[COL_LIST] && *v[COL_LIST] && !c->staff.is_admin)
		return "Only admins may add contacts to lists.";
	return NULL;
}

/* Applies one valid row inside the transaction: 0, 1 rejected (unknown list), -1 database error. */
static int apply_row(struct import *im, char **v, size_t row)
{
	struct ctx *c = im->c;
	const char *list = NULL;
	if (v[COL_LIST] && *v[COL_LIST]) {
		char lid[24];
		const char *p[1] = {v[COL_LIST]};
		int got = db_exec_value("crm_list_by_name", 1, p, lid, sizeof lid);
		if (got < 0)
			return -1;
		if (got == 0) {
			reject(im, row, v[COL_EMAIL], arena_printf(c->arena, "There is no list named \"%s\".", v[COL_LIST]));
			return 1;
		}
		list = arena_strdup(c->arena, lid);
	}
	const char *company = NULL;
	if (v[COL_COMPANY] && *v[COL_COMPANY] && !(company = company_id(im, v[COL_COMPANY])))
		return -1;
	const char *first = v[COL_FIRST] ? v[COL_FIRST] : "", *last = v[COL_LAST] ? v[COL_LAST] : "";
	const char *fp[1] = {v[COL_EMAIL]};
	PGresult *r = db_exec("crm_import_find", 1, fp);
	if (!r)
		return -1;
	const char *cid;
	if (PQntuples(r) == 1) {
		cid = arena_strdup(c->arena, db_col(r, 0, "id"));
		struct json_object *before = json_tokener_parse(db_col(r, 0, "state"));
		PQclear(r);
		const char *up[4] = {cid, first, last, company};
		r = db_exec("crm_import_update", 4, up);
		if (!r) {
			json_object_put(before);
			return -1;
		}
		if (PQntuples(r) == 1) {
			im->updated++;
			struct json_object *after = json_tokener_parse(db_col(r, 0, "state"));
			if (admin_audit(c, "contact_update", "csv_import", before, after) < 0) {
				PQclear(r);
				return -1;
			}
		} else {
			im->unchanged++;
			json_object_put(before);
		}
		PQclear(r);
	} else {
		PQclear(r);
		const char *ip[5] = {v[COL_EMAIL], first, last, company, "{}"};
		if (!(cid = insert(c, "crm_contact_insert", 5, ip, "contact_create")))
			return -1;
		im->created++;
	}
	if (list) {
		const char *mp[2] = {list, cid};
		r = db_exec("crm_member_add", 2, mp);
		if (!r)
			return -1;
		int added = PQntuples(r) == 1;
		PQclear(r);
		if (added) {
			struct json_object *after = crm_member_json(v[COL_LIST], cid, v[COL_EMAIL]);
			if (admin_audit(c, "list_member_add", "csv_import", NULL, after) < 0)
				return -1;
		}
	}
	return 0;
}

/* Reads the header; fills col[] with each column's role (-1 ignored). Returns the column count,
 * or 0 with a message in f. */
static int read_header(struct ctx *c, struct form *f, struct csv *s, int *col, struct json_object *ignored)
{
	char *h[IMPORT_MAX_COLS];
	const char *err = "";
	int n = csv_next(s, c->arena, h, IMPORT_MAX_COLS, &err);
	if (n <= 0) {
		form_message(f, "file", n == 0 ? "The file is empty." : arena_printf(c->arena, "The header row cannot be read: %s.", err));
		return 0;
	}
	if (n > IMPORT_MAX_COLS) {
		form_message(f, "file", "The file has more than 64 columns.");
		return 0;
	}
	int have[COL__MAX] = {0};
	for (int i = 0; i < n; i++) {
		const char *name = header_name(c, h[i]);
		col[i] = -1;
		for (int k = 0; k < COL__MAX; k++)
			if (name && strcmp(name, col_names[k]) == 0) {
				if (have[k]++) {
					form_message(f, "file", arena_printf(c->arena, "The column %s appears twice in the header row.", col_names[k]));
					return 0;
				}
				col[i] = k;
			}
		if (col[i] < 0 && name && *name)
			json_object_array_add(ignored, json_object_new_string(h[i]));
	}
	if (!have[COL_EMAIL]) {
		form_message(f, "file", "The first row must name the columns, and one of them must be email.");
		return 0;
	}
	return n;
}

int crm_import_submit(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const struct upload *up = NULL;
	for (size_t i = 0; i < c->req->nfiles; i++)
		if (strcmp(c->req->files[i].field, "file") == 0)
			up = &c->req->files[i];
	if (!up)
		form_message(&f, "file", "Choose a CSV file to import.");
	else if (up->len > IMPORT_MAX_BYTES)
		form_message(&f, "file", "The file is larger than 2 MB. Split it into smaller files.");
	else if (up->len == 0)
		form_message(&f, "file", "The file is empty.");
	if (f.nerrors)
		return render_form(c, 422, &f);

	struct csv s;
	int col[IMPORT_MAX_COLS];
	struct json_object *ignored = json_object_new_array();
	csv_init(&s, up->data, up->len);
	int ncols = read_header(c, &f, &s, col, ignored);
	if (!ncols) {
		json_object_put(ignored);
		return render_form(c, 422, &f);
	}
	struct import im = {c, 0, 0, 0, json_object_new_array(), json_object_new_object(), json_object_new_object()};
	int status = 0, rows = 0;
	if (db_begin() < 0)
		status = 500;
	char *fields[IMPORT_MAX_COLS];
	const char *err = "";
	int n;
	while (!status && (n = csv_next(&s, c->arena, fields, IMPORT_MAX_COLS, &err)) != 0) {
		size_t row = s.record;
		if (n == -2) {
			status = 500;
			break;
		}
		if (n == 1 && !fields[0][0])
			continue; /* a blank line */
		if (++rows > IMPORT_MAX_ROWS) {
			status = 422;
			break;
		}
		if (n < 0) {
			reject(&im, row, "", arena_printf(c->arena, "The row cannot be read: %s.", err));
			continue;
		}
		char *v[COL__MAX] = {NULL};
		for (int i = 0; i < n && i < ncols; i++)
			if (col[i] >= 0)
				v[col[i]] = trim(c, fields[i]);
		const char *email = v[COL_EMAIL] ? v[COL_EMAIL] : "";
		if (n != ncols) {
			reject(&im, row, email, arena_printf(c->arena, "The row has %d columns; the header has %d.", n, ncols));
			continue;
		}
		for (char *d = strrchr(v[COL_EMAIL], '@'); d && *d; d++)
			*d = (char)tolower((unsigned char)*d);
		const char *problem = row_problem(&im, v, row);
		if (problem) {
			reject(&im, row, email, problem);
			continue;
		}
		if (apply_row(&im, v, row) < 0)
			status = 500;
	}
	if (!status && rows == 0) {
		status = 422;
		form_message(&f, "file", "The file has no rows below the header.");
	} else if (status == 422) {
		form_message(&f, "file", "The file has more than 10,000 rows. Split it into smaller files.");
	}
	char id[24] = "";
	if (!status) {
		char uid[24], cr[16], ud[16], un[16];
		snprintf(uid, sizeof uid, "%ld", c->staff.user_id);
		snprintf(cr, sizeof cr, "%d", im.created);
		snprintf(ud, sizeof ud, "%d", im.updated);
		snprintf(un, sizeof un, "%d", im.unchanged);
		const char *p[7] = {uid, up->filename ? up->filename : "", cr, ud, un,
				    json_object_to_json_string_ext(im.rejected, JSON_C_TO_STRING_PLAIN),
				    json_object_to_json_string_ext(ignored, JSON_C_TO_STRING_PLAIN)};
		if (db_exec_value("crm_import_save", 7, p, id, sizeof id) != 1)
			status = 500;
	}
	if (!status) {
		struct json_object *after = json_object_new_object();
		json_object_object_add(after, "file", json_object_new_string(up->filename ? up->filename : ""));
		json_object_object_add(after, "import_id", json_object_new_int64(atol(id)));
		json_object_object_add(after, "created", json_object_new_int(im.created));
		json_object_object_add(after, "updated", json_object_new_int(im.updated));
		json_object_object_add(after, "unchanged", json_object_new_int(im.unchanged));
		json_object_object_add(after, "rejected", json_object_new_int((int)json_object_array_length(im.rejected)));
		if (admin_audit(c, "contact_import", NULL, NULL, after) < 0 || db_commit() < 0)
			status = 500;
	}
	json_object_put(im.rejected);
	json_object_put(im.seen);
	json_object_put(im.companies);
	json_object_put(ignored);
	if (status) {
		db_rollback();
		if (status == 422)
			return render_form(c, 422, &f);
		form_free(&f);
		return status;
	}
	form_free(&f);
	return page_redirect(c, 303, arena_printf(c->arena, "/admin/contacts/import/%s", id));
}

int crm_import_report(struct ctx *c)
{
	long id = admin_id(c->caps.v[0]);
	if (!id)
		return 404;
	const char *p[1] = {admin_idstr(c, id)};
	PGresult *r = db_exec("crm_import_get", 1, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return r ? 404 : 500;
	}
	struct json_object *page = admin_page_new(c, "Import report", "contacts");
	struct json_object *rep = db_row_json(r, 0);
	struct json_object *rej = json_tokener_parse(db_col(r, 0, "rejected"));
	PQclear(r);
	size_t total = rej ? json_object_array_length(rej) : 0;
	struct json_object *shown = json_object_new_array();
	for (size_t i = 0; i < total && i < IMPORT_SHOW_REJECTED; i++)
		json_object_array_add(shown, json_object_get(json_object_array_get_idx(rej, i)));
	json_object_put(rej);
	json_object_object_add(rep, "rejected_count", json_object_new_int64((int64_t)total));
	json_object_object_add(rep, "rejected", shown);
	if (total > IMPORT_SHOW_REJECTED)
		json_object_object_add(rep, "rejected_more", json_object_new_int64((int64_t)(total - IMPORT_SHOW_REJECTED)));
	json_object_object_add(page, "report", rep);
	return admin_render(c, 200, "admin/crm_import_report", page);
}
