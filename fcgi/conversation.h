/* conversation.h - the one writer of conversations (fcgi/conversation.c) and the one reader of
 * a thread's messages (fcgi/conversation_read.c). Writers: the customer's reply (ticket_reply.c),
 * the support form (ticket_new.c), the agent's reply and internal note (admin_inbox_write.c),
 * the console's new ticket (admin_tickets_new.c), the JSON API's tickets and messages
 * (api_tickets.c, api_messages.c). Readers: the portal's ticket page (ticket_detail.c,
 * also in the admin preview) and the console's thread page (admin_inbox_thread.c). */
#ifndef PORTAL_CONVERSATION_H
#define PORTAL_CONVERSATION_H

#include "app.h"

/*
 * Transactions: conv_add and conv_ticket run inside the caller's transaction (they neither
 * begin nor commit), so that what the caller does around them (its checks and locks before, its
 * audit row after) commits or rolls back with the message. The caller begins, calls, audits and
 * ends with conv_end(). A message's nonce (messages.reply_nonce, UNIQUE) makes a repeated POST
 * of the same form store nothing: conv_add then answers 0 and the caller answers as for the
 * first POST.
 */

enum conv_author {
	CONV_CONTACT, /* the logged-in customer (c->sess): an incoming message from their address */
	CONV_STAFF,   /* the logged-in agent (c->staff): outgoing, from the inbox's primary connected address */
	CONV_MAIL,    /* an email that came in (fcgi/mail_ingest.c): incoming, author_id the sender's
		       * contact (0: none), from and to as the mail said, no session */
	CONV_TOKEN,   /* a JSON API token (fcgi/api_messages.c): outgoing from the inbox's primary
		       * connected address like CONV_STAFF, author_id the token (messages.author_token_id),
		       * author_name its name, no staff user and no session */
};

enum conv_kind {
	CONV_MESSAGE, /* public: moves the thread's and ticket's times */
	CONV_NOTE,    /* internal note: staff only, no address, no times, never mailed */
};

#define CONV_NOTIFY_STAFF 0x1    /* tell the inbox's staff users: staff_customer_reply for a message,
				  * staff_new_ticket from conv_ticket (never a connected address) */
#define CONV_NOTIFY_CUSTOMER 0x2 /* address the message to the ticket's contacts (else the first
				  * incoming message's author or address) and mail each agent_reply
				  * in the portal's language; they are the timeline's contacts */
#define CONV_NOTIFY_CONFIRM 0x4  /* conv_ticket: mail the requester ticket_created (the confirmation) */

/* A message to add. */
struct conv_msg {
	/* Where: thread, or when thread is NULL or "0" the latest thread of ticket, or (it has none)
	 * a new thread of channel in inbox, made under a lock of the ticket. */
	const char *thread;
	const char *ticket, *inbox, *channel;
	enum conv_author author; /* who: author_id, the session's contact or staff member (the mails
				  * name them from the session) */
	long author_id;
	const char *author_name, *author_email; /* NULL: the session's (CONV_MAIL: the sender's) */
	const char *from; /* CONV_MAIL: the sender's address */
	const char *to;   /* CONV_MAIL: the recipients (To and Cc) as a PostgreSQL array literal */
	enum conv_kind kind;
	const char *body;
	const char *file_field; /* the uploads of this form field become attachments (NULL: none) */
	const struct upload *files; /* or these (CONV_MAIL: the mail's attachments) */
	size_t files_n;
	const char *mail_message_id; /* CONV_MAIL: its Message-ID; one stored twice is stored once (0) */
	const char *body_original;   /* CONV_MAIL: the whole text when body is cut (NULL: body is) */
	const char *nonce;      /* one-time token of the form (reply_nonce; NULL for mail) */
	const char *engagement; /* kind of the timeline entry (portal_reply, email, note, ...) */
	const char *summary;    /* its text; NULL: the first 140 characters of the body (of the file
				 * names when there is no body), for a note "Note by <name>" */
	unsigned notify;        /* CONV_NOTIFY_* */
	/* Set by conv_add. */
	char thread_id[24], ticket_id[24]; /* ticket_id "0": a thread without a ticket */
	char message_id[24];
	size_t nfiles;
	struct json_object *mailed_to; /* with CONV_NOTIFY_CUSTOMER: the addresses mailed (the caller
					* puts it, whatever conv_add answered) */
};

/* Add m: its thread, the message, its files and attachment rows, the thread's and ticket's times,
 * the timeline entries, the notifications in the outbox. 1 stored, 0 the nonce (or the mail's
 * Message-ID) was used already (nothing stored: roll back), -1 error (logged), -2 no such thread. */
int conv_add(struct ctx *c, struct conv_msg *m);

/* Upload parts of field in the request (empty file inputs are none). */
size_t conv_files(const struct ctx *c, const char *field);

/* A new ticket. */
struct conv_ticket {
	const char *subject, *description;
	const char *priority;   /* NULL or "": none */
	const char *properties; /* a JSON object's text; NULL: {} */
	const char *stage;      /* the ticket's pipeline is the stage's; a closed stage stamps closed_at */
	const char *contact;    /* the requester */
	const char *company;    /* NULL: the requester's primary company, if any */
	const char *summary;    /* the "ticket_created" timeline entry, without a first message */
	char id[24];            /* set: the ticket */
};

/* Create t (the ticket, its contact and company) with its first message (first may be NULL: a
 * ticket without a conversation; else its thread is a new one, see conv_msg). With first's
 * nonce, twins of one form wait for each other. 1 created, 0 that nonce already created a ticket
 * of this contact (t->id is that one), -1 error, -2 the nonce was used otherwise. */
int conv_ticket(struct ctx *c, struct conv_ticket *t, struct conv_msg *first);

/* ticket_closed to the ticket's contacts (the ticket just moved into a closed stage), inside the
 * caller's transaction, with each contact's rating links (good_url, bad_url) while the portal's
 * ratings are on and the ticket is not rated; a notification the portal switched off is not
 * queued. 0 or -1. */
int conv_ticket_closed(struct ctx *c, const char *ticket);

/* Email `name` (a staff_* notification) to the staff users of inbox (inbox_staff, else every
 * staff user; never a connected address), in the portal's language, From address (NULL: the
 * config's smtp_from): data plus portal_name and each one's staff_name (data stays the caller's).
 * Inside the caller's transaction. 0 or -1. */
int conv_mail_staff(struct ctx *c, const char *inbox, const char *name, const char *address,
		    const char *ticket, const char *thread, struct json_object *data);

/* End the caller's transaction after conv_add / conv_ticket and its audit row: COMMIT when got
 * is 1 (returning -1 when that fails), else ROLLBACK; returns got. */
int conv_end(int got);

/*
 * Every message of thread into page, for staff (the console's thread page): messages [{id,
 * incoming, when, body, author, files [{id, name, size, url}], has_files, latest, note, staff,
 * from, to, hidden (a public message the portal leaves out), original}] and has_messages. A
 * file's url is <file_base>/<id>/<name>. 0 or -1. The customer's side is CONV_MESSAGES_JSON.
 */
int conv_messages(struct ctx *c, struct json_object *page, const char *thread, const char *file_base);

/*
 * The customer's side in a page's own statement (the ticket page reads its thread with the
 * ticket, issue 19): one column, the JSON text of the messages the portal shows of thread THREAD
 * (an SQL expression; portal_thread_messages, never a note), oldest first, each {id, incoming,
 * when, body, files [{id, name, size}], author}; NULL when there are
 * none; when is an instant (SQL_EPOCH, app.h). Inner aliases: cm, cc, cu, ca.
 */
#define CONV_MSG_FILES(MSG) \
	"coalesce((SELECT json_agg(json_build_object('id', ca.id, 'name', ca.file_name," \
	"   'size', ca.size_bytes) ORDER BY ca.id) FROM attachments ca WHERE ca.message_id = " MSG ".id), '[]')"
#define CONV_MSG_AUTHOR_PORTAL \
	"coalesce(nullif(btrim(coalesce(cc.first_name, '') || ' ' || coalesce(cc.last_name, '')), ''), cu.name, cm.from_address, '')"
#define CONV_MSG_PEOPLE \
	" LEFT JOIN contacts cc ON cc.id = cm.author_contact_id LEFT JOIN staff_users cu ON cu.id = cm.author_user_id"
#define CONV_MESSAGES_JSON(THREAD)                                                               \
	"(SELECT json_agg(json_build_object('id', cm.id, 'incoming', cm.direction = 'incoming',"     \
	"   'when', " SQL_EPOCH("cm.created_at") ", 'body', cm.body," \
	"   'files', " CONV_MSG_FILES("cm") ", 'author', " CONV_MSG_AUTHOR_PORTAL ")"                  \
	"   ORDER BY cm.created_at, cm.id)"                                                              \
	"  FROM portal_thread_messages(" THREAD ") cm" CONV_MSG_PEOPLE ")::text"
/* Those messages (json_text as CONV_MESSAGES_JSON gave it; NULL or "": none) into page as
 * conv_messages puts them for staff, when in the customer's format. 0, or -1 when the text is no JSON array (logged). */
int conv_messages_json(struct ctx *c, struct json_object *page, const char *json_text, const char *file_base);

#endif
