/* conversation_read.c - the one reader of a thread's messages with their attachments: the
 * portal's ticket page (ticket_detail.c, also in the admin preview) and the console's thread page
 * (admin_inbox_thread.c). No URL of its own. */
#include "conversation.h"

#include <string.h>

#include "admin.h"
#include "log.h"

/*
 * Design. One reader, two sources with the same keys: the customer's ticket page reads its
 * thread inside its own statement (CONV_MESSAGES_JSON, conversation.h: portal_thread_messages(),
 * never a note, never mail to or from an address not connected to the thread's inbox) as one JSON
 * column, so the page is one round trip; the console's thread page reads every message with
 * conv_messages_staff and marks what the portal leaves out. Both end in messages_to_page.
 */
const struct db_stmt conversation_read_stmts[] = {
	/* every message of a thread for staff, oldest first, what the portal leaves out marked */
	{"conv_messages_staff",
	 "SELECT cm.id, cm.direction = 'incoming' AS incoming,"
	 " console_time(cm.created_at, $2, 'YYYY-MM-DD HH24:MI') AS \"when\", cm.body,"
	 " " CONV_MSG_FILES("cm") "::text AS files,"
	 " coalesce(nullif(btrim(coalesce(cc.first_name, '') || ' ' || coalesce(cc.last_name, '')), ''),"
	 " cc.email, nullif(cu.name, ''), cu.email, ctk.name || ' (API)', cm.from_address, 'Unknown') AS author,"
	 " cm.kind = 'note' AS note, cm.author_user_id IS NOT NULL AS staff,"
	 " coalesce(cm.from_address, '') AS \"from\", array_to_string(cm.to_addresses, ', ') AS \"to\","
	 " cm.kind = 'message' AND th.ticket_id IS NOT NULL AND pm.id IS NULL AS hidden,"
	 " cm.body_original AS original"
	 " FROM messages cm JOIN threads th ON th.id = cm.thread_id" CONV_MSG_PEOPLE
	 " LEFT JOIN api_tokens ctk ON ctk.id = cm.author_token_id" /* written through the API */
	 " LEFT JOIN (SELECT id FROM portal_thread_messages($1)) pm ON pm.id = cm.id"
	 " WHERE cm.thread_id = $1 ORDER BY cm.created_at, cm.id LIMIT 1000",
	 2},
	{NULL, NULL, 0},
};

/* Each file of a message's files (a JSON array of {id, name, size}) gets its link. */
static void file_urls(const char *file_base, struct json_object *files)
{
	for (size_t k = 0; k < json_object_array_length(files); k++) {
		struct json_object *f = json_object_array_get_idx(files, k), *fid, *fname;
		if (!json_object_object_get_ex(f, "id", &fid) || !json_object_object_get_ex(f, "name", &fname))
			continue;
		struct buf u = BUF_INIT;
		const char *nm = json_object_get_string(fname);
		buf_printf(&u, "%s/%s/", file_base, json_object_get_string(fid));
		buf_urlenc(&u, nm, strlen(nm));
		json_object_object_add(f, "url", json_object_new_string(u.data ? u.data : ""));
		buf_free(&u);
	}
}

/* msgs (an array of message objects, oldest first, files a JSON array or missing) into page:
 * each file its url, has_files and latest set, when in the customer's format when local_when. */
static void messages_to_page(struct ctx *c, struct json_object *page, struct json_object *msgs, int local_when,
			     const char *file_base)
{
	size_t n = json_object_array_length(msgs);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(msgs, i), *v, *files;
		if (local_when && json_object_object_get_ex(o, "when", &v))
			json_object_object_add(o, "when", json_object_new_string(ticket_when(c, json_object_get_string(v))));
		if (!json_object_object_get_ex(o, "files", &files) || !json_object_is_type(files, json_type_array)) {
			files = json_object_new_array();
			json_object_object_add(o, "files", files);
		}
		file_urls(file_base, files);
		json_object_object_add(o, "has_files", json_object_new_boolean(json_object_array_length(files) > 0));
		json_object_object_add(o, "latest", json_object_new_boolean(i == n - 1));
	}
	json_object_object_add(page, "messages", msgs);
	json_object_object_add(page, "has_messages", json_object_new_boolean(n > 0));
}

int conv_messages(struct ctx *c, struct json_object *page, const char *thread, const char *file_base)
{
	const char *p[2] = {thread, console_zone()};
	PGresult *r = db_exec("conv_messages_staff", 2, p);
	if (!r)
		return -1;
	struct json_object *msgs = json_object_new_array();
	for (int i = 0; i < PQntuples(r); i++) {
		struct json_object *o = db_row_json(r, i);
		json_object_object_add(o, "files", json_tokener_parse(PQgetvalue(r, i, PQfnumber(r, "files"))));
		json_object_array_add(msgs, o);
	}
	PQclear(r);
	messages_to_page(c, page, msgs, 0, file_base);
	return 0;
}

int conv_messages_json(struct ctx *c, struct json_object *page, const char *json_text, const char *file_base)
{
	struct json_object *msgs = json_text && json_text[0] ? json_tokener_parse(json_text) : json_object_new_array();
	if (!msgs || !json_object_is_type(msgs, json_type_array)) {
		log_msg(LOG_ERROR, "conversation: a page's messages are no JSON array");
		json_object_put(msgs);
		return -1;
	}
	messages_to_page(c, page, msgs, 1, file_base);
	return 0;
}
