/* form_page.h - a console form page declared as data, in the spirit of kcgi's declared keys.
 *
 * A page names its template, the statement that loads its record, its fields (type, bounds,
 * message), the statement that saves them and how the change is audited. One driver serves it:
 *
 *   GET   load ($1 = the record's id) -> values -> render (404 when there is no row)
 *   POST  validate every field -> 422 with the input kept and a message per field
 *         -> begin -> lock (the before state) -> check hook -> save -> after hook -> audit
 *         -> commit -> 303 to the page with ?saved=1 or to done (nothing changed: no write, no
 *         audit row)
 *
 * Columns of the load and lock rows are named after the fields ("SELECT session_timeout_minutes
 * AS timeout ..."); the save statement takes $1 = id and then the fields in their order, as text
 * ("true"/"false" for booleans). A page that needs more than this (several records, uploads,
 * ordered rows) keeps its own handler and says why at its top; form_page_change() and
 * form_page_done() below serve those.
 */
#ifndef PORTAL_FORM_PAGE_H
#define PORTAL_FORM_PAGE_H

#include "admin.h"

enum fp_kind {
	FP_TEXT,     /* one line of min..max code points, trimmed */
	FP_LINES,    /* text that may hold line breaks, min..max code points */
	FP_INT,      /* a whole number in min..max */
	FP_SWITCH,   /* a radio pair "on"/"off" into a boolean column */
	FP_CHECKBOX, /* a checkbox into a boolean column */
	FP_CHOICE,   /* one of choices[] (radio buttons or a select); with choices_bool, choices[0]
		      * stands for true and choices[1] for false in a boolean column */
	FP_CUSTOM,   /* parse() checks and normalises the text */
	FP_ID,       /* a record's id, a positive whole number (whether it exists is for a check hook) */
};

struct fp_field {
	const char *name;           /* form field, column of the load row, key in values */
	enum fp_kind kind;
	long min, max;              /* code points (text kinds) or the range (FP_INT) */
	const char *message;        /* shown when the value is not valid (each kind has a default) */
	const char *const *choices; /* FP_CHOICE: the accepted words, ending with NULL */
	int choices_bool;           /* FP_CHOICE over a boolean column */
	const char *audit;          /* the setting named in the audit row (default: name) */
	/* A statement ($1 = a saved text of the field) whose one column is the audit row's before or
	 * after object as JSON text, in place of {<setting>: value} (e.g. ids -> {"lists": [...]}). */
	const char *audit_state;
	/* FP_CUSTOM: the value to save (arena text) or NULL after form_message() on f */
	const char *(*parse)(struct ctx *c, struct form *f, const char *name, const char *raw);
	int json; /* FP_CUSTOM: the value is JSON text, unchanged when equal as JSON (key order aside) */
};

enum fp_id {
	FP_ID_PORTAL,  /* the settings of the portal the console configures */
	FP_ID_CAPTURE, /* the record whose id is the route's first capture */
	FP_ID_NEW,     /* a record the POST creates: GET shows empty fields (no load), no lock; save
			* takes the fields as $1.. and returns the new "id" (and the "state" to audit) */
	FP_ID_CAPTURES, /* every capture of the route is an id (e.g. a pipeline and its stage): the
			 * statements take them all as $1..$n and the fields after them; "<id>" in
			 * path and the hooks' id are the first */
};

enum fp_audit {
	FP_AUDIT_FIELDS, /* one row per changed field: {setting, before, after} */
	FP_AUDIT_RECORD, /* one row: before = the lock row's "state" column (JSON text), after = the
			  * save statement's RETURNING "state" */
	FP_AUDIT_CHANGES, /* as FP_AUDIT_RECORD, keeping in before and after only the keys whose
			   * values differ */
};

struct form_page;

/* A page's values as they stand during a save: vals[i] is field i's text as saved, before is the
 * lock row (columns by name: db_col). */
struct fp_save {
	const char *id;
	const char **vals;
	PGresult *before;
};

struct form_page {
	const char *path;     /* the page's URL; "<id>" stands for the id with FP_ID_CAPTURE */
	const char *title;
	const char *section;  /* console nav entry; "settings" adds the settings breadcrumb */
	const char *tmpl;     /* admin/... template */
	const char *load;     /* $1 = id: the record, columns named after the fields */
	const char *lock;     /* the same FOR UPDATE (with FP_AUDIT_RECORD also a "state" column) */
	const char *save;     /* $1 = id, $2.. = the fields in order */
	const char *audit_action; /* e.g. "settings_change", "company_update" */
	enum fp_audit audit_kind;
	const char *audit_setting; /* FP_AUDIT_RECORD: the setting the row names (NULL: none) */
	enum fp_id id;
	const char *done;     /* where a save goes, "<id>" standing for the id (default: path?saved=1) */
	/* A unique violation of the save brings the form back (422) with this message on this field. */
	const char *taken_field, *taken_message;
	const struct fp_field *fields;
	int nfields;
	/* Extra context on every render (the load row on GET, NULL when re-showing a form). 0 or an
	 * HTTP status. */
	int (*decorate)(struct ctx *c, const struct form_page *fp, struct json_object *page, PGresult *row);
	/* Inside the transaction after the lock: cross-field and database checks. 0 to go on, 422
	 * after form_message() (the form comes back), or another status. */
	int (*check)(struct ctx *c, const struct form_page *fp, struct form *f, struct fp_save *s);
	/* Inside the transaction after the save: more writes. 0, or -1 (rolled back, 500). */
	int (*after)(struct ctx *c, const struct form_page *fp, struct fp_save *s);
};

#define FP_FIELDS(a) (a), (int)(sizeof(a) / sizeof((a)[0]))

/* The statements of a page whose record is one row, for its statement table: <name>_row (the
 * load, $1 = id), <name>_lock (the same FOR UPDATE) and <name>_save; FP_STMT_NAMES(name) names
 * them in its struct form_page. */
#define FP_STMTS(name, load_sql, save_sql, nsave)                                                 \
	{name "_row", load_sql, 1}, {name "_lock", load_sql " FOR UPDATE", 1}, {name "_save", save_sql, nsave}
#define FP_STMT_NAMES(name) .load = name "_row", .lock = name "_lock", .save = name "_save"
/* A page's two handlers: get (form_page_get) and post (form_page_post). */
#define FP_HANDLERS(get, post, fp)                                                                \
	int get(struct ctx *c) { return form_page_get(c, &(fp)); }                                \
	int post(struct ctx *c) { return form_page_post(c, &(fp)); }

int form_page_get(struct ctx *c, const struct form_page *fp);
int form_page_post(struct ctx *c, const struct form_page *fp);
/* The page again with a form that another action on it refused (an add form below the record's
 * fields, say): f's values and errors, then the decorate hook (row NULL). Consumes f. */
int form_page_show(struct ctx *c, const struct form_page *fp, int status, struct form *f);
/* Statement stmt with $1 = the id of the portal the console configures (PQclear the result). */
PGresult *form_page_query(struct ctx *c, const char *stmt);
/* For decorate hooks: values.<field> of page as text ("" when absent), and the rows of statement
 * stmt (no parameters) as page.<key> (db_row_json objects) with "selected" on those whose first
 * column is that value, for a select or radios. form_page_options returns the number of rows, or
 * -1 on a database error. */
const char *form_page_value(struct json_object *page, const char *field);
int form_page_options(struct json_object *page, const char *key, const char *stmt, const char *field);

/* ---- for pages that keep their own handler (lists of rows, uploads, ...) ---- */

/*
 * One settings change in one transaction: the JSON snapshot statement snap ($1 = the portal id,
 * one text column) before, the change statement stmt(n, p), the snapshot after, then one
 * settings_change row {setting, before, after} and COMMIT. When stmt touched no row: rolled
 * back, 404. When before and after are equal: rolled back, no audit row, 0. Returns 0, 404 or
 * 500 (rolled back).
 */
int form_page_change(struct ctx *c, const char *setting, const char *snap, const char *stmt, int n,
		     const char *const *p);
/* The portal's row of the route's <id> deleted by stmt ($1 = the portal id, $2 = the id) as one
 * form_page_change(), then 303 to path?notice=deleted; 404 when there is no such row. */
int form_page_remove(struct ctx *c, const char *setting, const char *snap, const char *stmt, const char *path);
/* One settings_change row {setting, before: {setting: before}, after: {setting: after}} with
 * strings (NULL: null), inside the caller's transaction. 0 or -1. */
int form_page_audit_setting(struct ctx *c, const char *setting, const char *before, const char *after);
/* Free f (a form the caller was to consume; may be NULL) and answer status. */
int form_page_drop(struct form *f, int status);
/* admin_render of tmpl with, when f is not NULL, a refused form's values and errors on page
 * (form_to_page; f is consumed). */
int form_page_render(struct ctx *c, int status, const char *tmpl, struct json_object *page, struct form *f);
/* A list page's rows as page.<key>, with "empty" and "at_limit" (max rows or more: no add form),
 * then form_page_render. */
int form_page_list(struct ctx *c, int status, const char *tmpl, struct json_object *page, const char *key,
		   struct json_object *rows, size_t max, struct form *f);
/* The console's answer to a saved change: 303 to path?saved=1, or path?notice=<notice>. */
int form_page_done(struct ctx *c, const char *path, const char *notice);

#endif
