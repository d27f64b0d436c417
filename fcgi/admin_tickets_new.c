/* admin_tickets_new.c - /admin/tickets/new: a ticket created by staff for a contact (subject,
 * description, priority, stage, the requester and their company). Not on the form-page kit
 * (form_page.h), which edits a record it loads and locks: this page creates one, looks the
 * requester and the company up by address and name, and answers with the new ticket's page; the
 * ticket itself is written by conv_ticket (conversation.c), like the support form's. */
#include "admin_records.h"
#include "conversation.h"

#include <stdio.h>
#include <string.h>

#define TK_SUBJECT_MAX 500
#define TK_DESCRIPTION_MAX 20000

static const char *const priorities[] = {"", "low", "medium", "high", "urgent", NULL};
static const char *const priority_labels[] = {"None", "Low", "Medium", "High", "Urgent", NULL};

static struct json_object *priority_choices(const char *sel)
{
	struct json_object *a = json_object_new_array();
	for (int i = 0; priorities[i]; i++) {
		struct json_object *o = rec_obj("value", priorities[i], "label", priority_labels[i], NULL);
		json_object_object_add(o, "selected", json_object_new_boolean(sel && strcmp(sel, priorities[i]) == 0));
		json_object_array_add(a, o);
	}
	return a;
}

static int new_render(struct ctx *c, int status, struct form *f)
{
	struct json_object *stages = rec_stage_groups(request_form(c->req, "stage_id"));
	PGresult *co = stages ? db_exec("rec_company_choices", 0, NULL) : NULL;
	const char *sel = request_form(c->req, "inbox_id");
	PGresult *in = co ? rec_q("rec_new_ticket_inboxes", 2, staff_inboxes(c), admin_id(sel) ? sel : "0") : NULL;
	if (!in) {
		PQclear(co);
		json_object_put(stages);
		if (f)
			form_free(f);
		return 500;
	}
	struct json_object *page = admin_page_new(c, "New ticket", "tickets");
	json_object_object_add(page, "stage_groups", stages);
	json_object_object_add(page, "companies", db_rows_json(co, -1));
	PQclear(co);
	json_object_object_add(page, "inboxes", db_rows_json(in, -1));
	json_object_object_add(page, "no_inboxes", json_object_new_boolean(PQntuples(in) == 0));
	PQclear(in);
	json_object_object_add(page, "inbox_required", json_object_new_boolean(staff_inboxes(c) != NULL));
	json_object_object_add(page, "priorities", priority_choices(request_form(c->req, "priority")));
	if (f)
		form_to_page(f, page);
	return admin_render(c, status, "admin/records_ticket_new", page);
}

int rec_ticket_new_page(struct ctx *c)
{
	return new_render(c, 200, NULL);
}

int rec_ticket_new_submit(struct ctx *c)
{
	struct form f;
	form_init(&f, "en");
	const char *subject = form_text(&f, c->req, "subject", 1, TK_SUBJECT_MAX, 0, 1);
	const char *description = form_text(&f, c->req, "description", 0, TK_DESCRIPTION_MAX, 1, 1);
	const char *stage = request_form(c->req, "stage_id");
	const char *priority = request_form(c->req, "priority");
	const char *email = form_email(&f, c->req, "email");
	const char *company = form_text(&f, c->req, "company", 0, 200, 0, 1);
	/* the inbox of its first conversation: optional, but an agent limited to some inboxes must
	 * pick one of theirs (else the ticket would be out of their sight at once) */
	const char *inbox = request_form(c->req, "inbox_id");
	if (inbox && !*inbox)
		inbox = NULL;
	int inbox_ok = inbox && admin_id(inbox) ? rec_exists("rec_new_ticket_inbox_ok", 2, inbox, staff_inboxes(c)) : 0;
	if (inbox_ok < 0) {
		form_free(&f);
		return 500;
	}
	if ((inbox || staff_inboxes(c)) && !inbox_ok)
		form_message(&f, "inbox_id", "Choose one of your inboxes for the ticket's conversation.");
	int known_priority = 0;
	for (int i = 0; priority && priorities[i]; i++)
		known_priority |= strcmp(priority, priorities[i]) == 0;
	if (!known_priority)
		form_message(&f, "priority", "Choose a priority from the list.");
	char contact[24] = "", primary[24] = "", company_id[24] = "";
	int sg = admin_id(stage) ? rec_exists("rec_stage_find", 1, stage) : 0;
	PGresult *r = email ? rec_q("rec_contact_by_email", 1, email) : NULL;
	PGresult *rc = company && *company ? rec_q("rec_company_by_name", 1, company) : NULL;
	int dberr = sg < 0 || (email && !r) || (company && *company && !rc);
	if (!sg)
		form_message(&f, "stage_id", "Choose the pipeline and stage of the ticket.");
	if (r && PQntuples(r) == 0)
		form_message(&f, "email", "No contact has this email address. Create the contact first, then the ticket.");
	else if (r) {
		snprintf(contact, sizeof contact, "%s", PQgetvalue(r, 0, 0));
		snprintf(primary, sizeof primary, "%s", PQgetvalue(r, 0, 1));
	}
	if (rc && PQntuples(rc) == 0)
		form_message(&f, "company", "No company has this name. Pick one from the suggestions or leave it empty.");
	else if (rc && PQntuples(rc) > 1)
		form_message(&f, "company", "Several companies have this name. Associate the right one on the ticket page.");
	else if (rc)
		snprintf(company_id, sizeof company_id, "%s", PQgetvalue(rc, 0, 0));
	PQclear(r);
	PQclear(rc);
	if (dberr) {
		form_free(&f);
		return 500;
	}
	if (f.nerrors)
		return new_render(c, 422, &f);
	form_free(&f);
	if (!company_id[0] && strcmp(primary, "0") != 0 && !(company && *company))
		snprintf(company_id, sizeof company_id, "%s", primary); /* the requester's primary company */
	struct conv_ticket t = {
		.subject = subject, .description = description, .priority = priority, .stage = stage,
		.contact = contact, .company = company_id[0] ? company_id : NULL,
		.summary = arena_printf(c->arena, "Ticket created by %s in the console",
					c->staff.name[0] ? c->staff.name : c->staff.email),
	};
	if (db_begin() < 0)
		return 500;
	int got = conv_ticket(c, &t, NULL);
	if (got == 1 && inbox) {
		PGresult *r_th = rec_q("rec_ticket_thread_new", 2, t.id, inbox);
		got = r_th ? 1 : -1;
		PQclear(r_th);
	}
	if (got == 1 && admin_audit(c, "ticket_create", NULL, NULL,
				    rec_obj("id", t.id, "subject", subject, "stage_id", stage,
					    "priority", *priority ? priority : NULL, "requester", email,
					    "company_id", company_id[0] ? company_id : NULL, "inbox_id", inbox, NULL)) < 0)
		got = -1;
	if (conv_end(got) != 1)
		return 500;
	return page_redirect(c, 303, arena_printf(c->arena, "/admin/tickets/%s?notice=created", t.id));
}
