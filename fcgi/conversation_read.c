/* conversation_read.c - the one reader of a thread's messages with their attachments: the
 * portal's ticket page (tickets.c, also in the admin preview) and the console's thread page
 * (admin_inbox_thread.c). No URL of its own. */
#include "conversation.h"

#include <string.h>

/*
 * Design. One reader, two statements that share their columns: the customer's side reads
 * portal_thread_messages() (never a note, never mail to or from an address not connected to the
 * thread's inbox) and nothing else, so the ticket page costs one function scan; the staff side
 * reads every message and marks what the portal leaves out. Columns are named after the
 * template's keys (db_row_json); the staff-only ones exist only in the staff statement.
 */
#define MSG_AUTHOR "coalesce(nullif(btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), ''),"
#define MSG_COLS                                                                                   \
	"SELECT m.id, m.direction = 'incoming' AS incoming,"                                        \
	" to_char(m.created_at AT TIME ZONE $2, 'YYYY-MM-DD HH24:MI') AS \"when\", m.body,"          \
	" coalesce((SELECT json_agg(json_build_object('id', a.id, 'name', a.file_name,"            \
	"   'size', a.size_bytes) ORDER BY a.id) FROM attachments a WHERE a.message_id = m.id), '[]')::text AS files,"
#define MSG_PEOPLE \
	" LEFT JOIN contacts c ON c.id = m.author_contact_id LEFT JOIN staff_users u ON u.id = m.author_user_id"

const struct db_stmt conversation_read_stmts[] = {
	/* what the portal shows of a thread, oldest first */
	{"conv_messages",
	 MSG_COLS " " MSG_AUTHOR " u.name, m.from_address, '') AS author"
	 " FROM portal_thread_messages($1) m" MSG_PEOPLE
	 " ORDER BY m.created_at, m.id",
	 2},
	/* every message of a thread for staff, oldest first, what the portal leaves out marked */
	{"conv_messages_staff",
	 MSG_COLS " " MSG_AUTHOR " c.email, nullif(u.name, ''), u.email, m.from_address, 'Unknown') AS author,"
	 " m.kind = 'note' AS note, m.author_user_id IS NOT NULL AS staff,"
	 " coalesce(m.from_address, '') AS \"from\", array_to_string(m.to_addresses, ', ') AS \"to\","
	 " m.kind = 'message' AND th.ticket_id IS NOT NULL AND pm.id IS NULL AS hidden,"
	 " m.body_original AS original"
	 " FROM messages m JOIN threads th ON th.id = m.thread_id" MSG_PEOPLE
	 " LEFT JOIN (SELECT id FROM portal_thread_messages($1)) pm ON pm.id = m.id"
	 " WHERE m.thread_id = $1 ORDER BY m.created_at, m.id LIMIT 1000",
	 2},
	{NULL, NULL, 0},
};

/* A message's files (the text of a JSON array of {id, name, size}) with their links. */
static struct json_object *files_json(const char *file_base, const char *text)
{
	struct json_object *files = json_tokener_parse(text);
	if (!files || !json_object_is_type(files, json_type_array)) {
		json_object_put(files);
		return json_object_new_array();
	}
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
	return files;
}

int conv_messages(struct ctx *c, struct json_object *page, const char *thread, int staff,
		  const char *file_base)
{
	const char *p[2] = {thread, c->portal->time_zone};
	PGresult *r = db_exec(staff ? "conv_messages_staff" : "conv_messages", 2, p);
	if (!r)
		return -1;
	struct json_object *msgs = json_object_new_array(), *v;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		struct json_object *o = db_row_json(r, i);
		if (!staff && json_object_object_get_ex(o, "when", &v))
			json_object_object_add(o, "when", json_object_new_string(ticket_when(c, json_object_get_string(v))));
		struct json_object *files = files_json(file_base, PQgetvalue(r, i, PQfnumber(r, "files")));
		json_object_object_add(o, "has_files", json_object_new_boolean(json_object_array_length(files) > 0));
		json_object_object_add(o, "files", files);
		json_object_object_add(o, "latest", json_object_new_boolean(i == n - 1));
		json_object_array_add(msgs, o);
	}
	PQclear(r);
	json_object_object_add(page, "messages", msgs);
	json_object_object_add(page, "has_messages", json_object_new_boolean(n > 0));
	return 0;
}
