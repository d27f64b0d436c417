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
 * ordered rows) keeps its own handler and says why at its top.
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
};

struct fp_field {
	const char *name;           /* form field, column of the load row, key in values */
	enum fp_kind kind;
	long min, max;              /* code points (text kinds) or the range (FP_INT) */
	const char *message;        /* shown when the value is not valid (each kind has a default) */
	const char *const *choices; /* FP_CHOICE: the accepted words, ending with NULL */
	int choices_bool;           /* FP_CHOICE over a boolean column */
	const char *audit;          /* the setting named in the audit row (default: name) */
	/* FP_CUSTOM: the value to save (arena text) or NULL after form_message() on f */
	const char *(*parse)(struct ctx *c, struct form *f, const char *name, const char *raw);
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
 * lock row (columns by name: form_page_col). */
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

int form_page_get(struct ctx *c, const struct form_page *fp);
int form_page_post(struct ctx *c, const struct form_page *fp);
/* The value of column name in row 0 of r, "" when there is no such column or it is NULL. */
const char *form_page_col(PGresult *r, const char *name);

#endif
