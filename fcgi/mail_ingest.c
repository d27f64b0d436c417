/* mail_ingest.c - one received message into a ticket, or dropped, or refused; see mail_ingest.h
 * (no URL: its caller is build/portal-mailgate, fcgi/mailgate.c). */
#include "mail_ingest.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "conversation.h"
#include "i18n.h"
#include "log.h"
#include "mail_parse.h"
#include "mail_text.h"
#include "mail_tokens.h"
#include "multipart.h"
#include "ticket_cc.h"

/*
 * Design. A message is refused (65) before anything is written when it is over the size limit
 * or no message at all (mail_parse); the refusal is a mail_inbound row of its own when the
 * database is up. Everything else is one transaction, begun under an advisory lock on the
 * sender's address (so that one sender's messages queue: the rate count and the duplicate check
 * see what the one before committed): the inbox (the recipient against connected addresses),
 * then noise and loops (dropped, never a ticket, never a notification), the same Message-ID
 * stored before (duplicate), the rate limit (stored messages per sender and hour), and then the
 * thread: a valid signed Reply-To token, else In-Reply-To/References against the customer
 * notifications we sent (mail_outbox) and what came in (messages) — taken only when the sender
 * is one of the ticket's contacts now (of a thread without a ticket: wrote in it before), so a
 * forwarded notification, a removed CC or a leaked Message-ID never writes into someone else's
 * ticket; no match, a forged token or an unknown
 * sender of a match opens a ticket for the sender's contact (or drops mail of an unknown sender
 * when the inbox says so). Noise that needs no database (a bounce, whose From may hold no
 * address) is recognised before the From address is required. A reply to a closed ticket reopens it within the
 * portal's window, else opens a follow-up ticket. The message itself, its attachments and the
 * notification flags go through conv_add / conv_ticket (conversation.c); the mail_inbound row
 * is written last in the same transaction. Any database error rolls everything back and answers
 * 75: the MTA (or the poller) hands the message in again and, as nothing was written, it is
 * stored once. A duplicate that slips past the check (two deliveries at once) is caught by the
 * unique messages.mail_message_id: conv_add answers 0, the transaction is rolled back and the
 * duplicate logged.
 */

#define INGEST_MAX_BODY (100 * 1024)          /* bytes of a message's body; the rest is cut */
#define INGEST_MAX_ORIGINAL (2 * 1024 * 1024) /* bytes of body_original */
#define INGEST_MAX_SUBJECT 500                /* code points, as tickets.subject allows */
#define INGEST_MAX_NAME 200                   /* bytes of a contact's name from the display name */
#define INGEST_MAX_IDS 40                     /* Message-IDs looked up (In-Reply-To + References) */

const struct db_stmt mail_ingest_stmts[] = {
	/* one sender's messages queue here */
	{"ingest_lock", "SELECT pg_advisory_xact_lock(hashtextextended('mailgate:' || lower($1), 0))", 1},
	/* the first candidate (lowercased, in order) that is a connected address; the portal that
	 * uses its inbox as the default one (0: none) */
	{"ingest_inbox",
	 "SELECT a.inbox_id AS inbox, a.address, i.unknown_senders AS unknown,"
	 " coalesce((SELECT p.id FROM portals p WHERE p.default_inbox_id = a.inbox_id"
	 "   ORDER BY p.is_default DESC, p.id LIMIT 1), 0) AS portal"
	 " FROM unnest($1::text[]) WITH ORDINALITY AS r (addr, ord)"
	 " JOIN inbox_addresses a ON lower(a.address) = r.addr AND a.connected"
	 " JOIN inboxes i ON i.id = a.inbox_id"
	 " ORDER BY r.ord LIMIT 1",
	 1},
	/* what this sender and this Message-ID are to us */
	{"ingest_seen",
	 "SELECT (SELECT count(*) FROM mail_inbound WHERE lower(sender) = lower($1)"
	 "   AND received_at > now() - interval '1 hour' AND outcome = 'stored') AS recent,"
	 " EXISTS (SELECT 1 FROM messages WHERE mail_message_id = $2) AS stored,"
	 " EXISTS (SELECT 1 FROM mail_outbox WHERE message_id = $2) AS ours,"
	 " EXISTS (SELECT 1 FROM inbox_addresses WHERE lower(address) = lower($1)) AS from_us,"
	 " EXISTS (SELECT 1 FROM staff_users WHERE lower(email) = lower($1)) AS from_staff",
	 2},
	/* the first of the ids (newest first) that is a mail we sent or a message that came in */
	{"ingest_refs",
	 "WITH ids AS (SELECT x, ord FROM unnest($1::text[]) WITH ORDINALITY AS u (x, ord))"
	 " SELECT coalesce(thread, 0) AS thread, coalesce(ticket, 0) AS ticket FROM ("
	 "  SELECT ids.ord, th.id AS thread,"
	 "   CASE WHEN th.id IS NOT NULL THEN th.ticket_id ELSE o.ticket_id END AS ticket"
	 "  FROM ids JOIN mail_outbox o ON o.message_id = ids.x"
	 "  LEFT JOIN threads th ON th.id = o.thread_id"
	 "  WHERE (o.thread_id IS NOT NULL OR o.ticket_id IS NOT NULL)"
	 "   AND o.email IN ('ticket_created', 'agent_reply', 'ticket_closed')"
	 "  UNION ALL"
	 "  SELECT ids.ord, th.id, th.ticket_id FROM ids JOIN messages m ON m.mail_message_id = ids.x"
	 "  JOIN threads th ON th.id = m.thread_id) x"
	 " WHERE thread IS NOT NULL OR ticket IS NOT NULL ORDER BY ord LIMIT 1",
	 1},
	/* a ticket a reply names, locked: closed?, may the customer reopen it now?, the first open
	 * stage of its pipeline */
	{"ingest_ticket",
	 "SELECT s.is_closed AS closed,"
	 " p.customer_reopen AND ticket_reopen_until(t.closed_at, t.last_activity_at, p.reopen_days)"
	 "   > now() AS may_reopen,"
	 " coalesce(pipeline_first_stage(t.pipeline_id, false), 0) AS open_stage,"
	 " t.subject"
	 " FROM tickets t JOIN pipeline_stages s ON s.id = t.stage_id JOIN portals p ON p.id = $2"
	 " WHERE t.id = $1 FOR UPDATE OF t",
	 2},
	/* may this sender write into ticket $1 / thread $2 ("0": none): into a ticket, one of its
	 * contacts now (a CC the requester removed is not); into a thread without a ticket, the
	 * address an earlier message of it came from */
	{"ingest_sender_known",
	 "SELECT CASE WHEN nullif($1, '0') IS NOT NULL THEN"
	 "   EXISTS (SELECT 1 FROM ticket_contacts x JOIN contacts c ON c.id = x.contact_id"
	 "     WHERE x.ticket_id = $1::bigint AND lower(c.email) = lower($3))"
	 " ELSE EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = nullif($2, '0')::bigint"
	 "   AND m.direction = 'incoming' AND lower(m.from_address) = lower($3)) END",
	 3},
	{"ingest_reopen",
	 "WITH u AS (UPDATE tickets SET stage_id = $2, closed_at = NULL,"
	 "   last_activity_at = greatest(last_activity_at, now()) WHERE id = $1 RETURNING id)"
	 " INSERT INTO engagements (kind, contact_id, ticket_id, summary)"
	 " SELECT 'ticket_reopened', nullif($3::bigint, 0), u.id, $4 FROM u RETURNING ticket_id",
	 4},
	/* the sender's contact (0: none) and the company whose domain is the sender's (0: none) */
	{"ingest_contact",
	 "SELECT coalesce((SELECT id FROM contacts WHERE lower(email) = lower($1)), 0) AS contact,"
	 " coalesce((SELECT primary_company_id FROM contacts WHERE lower(email) = lower($1)), 0) AS primary_company,"
	 " coalesce((SELECT id FROM companies WHERE lower(domain) = lower(split_part($1, '@', 2))), 0) AS company",
	 1},
	{"ingest_contact_new",
	 "INSERT INTO contacts (email, first_name, last_name, primary_company_id)"
	 " VALUES (lower($1), $2, $3, nullif($4::bigint, 0))"
	 " ON CONFLICT ((lower(email))) DO UPDATE SET email = contacts.email RETURNING id",
	 4},
	/* where a new ticket of an inbox starts: the open stage of the first form that feeds the
	 * inbox (as the support form does), else the first pipeline's first open stage */
	{"ingest_stage",
	 "SELECT coalesce("
	 " (SELECT f.stage_id FROM forms f JOIN pipeline_stages s ON s.id = f.stage_id"
	 "   WHERE f.inbox_id = $1 AND NOT s.is_closed ORDER BY f.id LIMIT 1),"
	 " (SELECT s.id FROM pipelines p JOIN pipeline_stages s ON s.pipeline_id = p.id"
	 "   WHERE NOT s.is_closed ORDER BY p.display_order, p.id, s.position LIMIT 1))",
	 1},
	{"ingest_follow_up", "UPDATE tickets SET follow_up_of = $2 WHERE id = $1", 2},
	{"ingest_log",
	 "INSERT INTO mail_inbound (via, sender, recipient, message_id, subject, size_bytes, outcome,"
	 " reason, ticket_id, message_row)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, nullif($9::bigint, 0), nullif($10::bigint, 0))",
	 10},
	{NULL, NULL, 0},
};

/* One message being taken in. */
struct ingest {
	struct ctx *c;
	const struct ingest_in *in;
	struct ingest_out *out;
	struct mail_parsed m;
	const char *sender, *msgid, *subject; /* clean UTF-8 */
	const char *recipient; /* the connected address it came to (as stored), else --to or To */
	char inbox[24], portal[24], unknown[8];
	char contact[24];      /* the sender's contact, "0" when none */
	long primary_company, company; /* of the contact; by the sender's domain */
	struct upload *files;
	size_t nfiles;
	const char *left_out;  /* the attachments over the limits, ", " between them ("" none) */
};

/* s as valid UTF-8 in the arena: invalid bytes become U+FFFD; at most max bytes (cut on a
 * character; 0: no limit); one_line turns control characters into spaces. */
static const char *clean(struct arena *a, const char *s, size_t max, int one_line)
{
	struct buf b = BUF_INIT;
	size_t n = s ? strlen(s) : 0;
	for (size_t i = 0; i < n;) {
		long cp;
		size_t l = utf8_next(s + i, n - i, &cp);
		const char *piece = s + i;
		size_t pl = l;
		if (cp < 0) {
			piece = "\xEF\xBF\xBD";
			pl = 3;
		} else if (one_line && (cp < 0x20 || cp == 0x7F)) {
			piece = " ";
			pl = 1;
		}
		if (max && b.len + pl > max)
			break;
		buf_append(&b, piece, pl);
		i += l;
	}
	const char *out = b.oom ? "" : arena_strndup(a, b.data ? b.data : "", b.len);
	buf_free(&b);
	return out;
}

/* The first n code points of s. */
static const char *first_points(struct arena *a, const char *s, size_t n)
{
	size_t len = strlen(s), i = 0, cps = 0;
	while (i < len && cps < n) {
		long cp;
		i += utf8_next(s + i, len - i, &cp);
		cps++;
	}
	return arena_strndup(a, s, i);
}

/* An address the contacts table takes: local@domain, no spaces, at most 254 bytes. */
static int address_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);
	if (!at || at == s || !at[1] || strchr(at + 1, '@') || n > 254)
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7F)
			return 0;
	return 1;
}

/* s lowercased, and with the "+detail" of its local part dropped into *bare (NULL: none). */
static const char *lower_addr(struct arena *a, const char *s, const char **bare)
{
	char *l = arena_strdup(a, s);
	for (char *p = l; *p; p++)
		*p = ascii_lower(*p);
	*bare = NULL;
	const char *plus = strchr(l, '+'), *at = strrchr(l, '@');
	if (plus && at && plus < at)
		*bare = arena_printf(a, "%.*s%s", (int)(plus - l), l, at);
	return l;
}

static int id_set(const char *id)
{
	return id[0] && strcmp(id, "0") != 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The log: a line and a mail_inbound row */

static int log_row(struct ingest *g, const char *outcome, const char *reason, const char *ticket,
		   const char *message)
{
	struct arena *a = g->c->arena;
	const char *p[10] = {
		strcmp(g->in->via, "imap") == 0 ? "imap" : "gateway", g->sender ? g->sender : "",
		g->recipient ? g->recipient : "", g->msgid, g->subject ? g->subject : "",
		arena_printf(a, "%zu", g->in->size), outcome, reason, ticket ? ticket : "0",
		message ? message : "0",
	};
	return db_run("ingest_log", 10, p);
}

static void say(struct ingest *g, const char *outcome, const char *reason)
{
	g->out->outcome = outcome;
	g->out->reason = reason;
	log_msg(strcmp(outcome, "refused") == 0 ? LOG_WARN : LOG_INFO,
		"mailgate: %s <%s> from %s to %s via %s: %s", outcome, g->msgid ? g->msgid : "-",
		g->sender && g->sender[0] ? g->sender : "-", g->recipient && g->recipient[0] ? g->recipient : "-",
		g->in->via, reason);
}

/* Inside the transaction: the row, COMMIT. INGEST_OK or INGEST_TEMPFAIL. */
static int finish(struct ingest *g, const char *outcome, const char *reason)
{
	if (log_row(g, outcome, reason, g->out->ticket, g->out->message) < 0) {
		db_rollback();
		return INGEST_TEMPFAIL;
	}
	if (db_commit() < 0)
		return INGEST_TEMPFAIL;
	say(g, outcome, reason);
	return INGEST_OK;
}

static int failed(struct ingest *g, const char *what)
{
	db_rollback();
	g->out->outcome = "failed";
	g->out->reason = what;
	log_msg(LOG_ERROR, "mailgate: <%s> from %s not taken in (%s): the sender's MTA will retry",
		g->msgid ? g->msgid : "-", g->sender && g->sender[0] ? g->sender : "-", what);
	return INGEST_TEMPFAIL;
}

/* A refusal (65): its own row when the database is up. */
static int refuse(struct ingest *g, const char *reason)
{
	say(g, "refused", reason);
	if (g->in->db_up && log_row(g, "refused", reason, NULL, NULL) < 0)
		log_msg(LOG_ERROR, "mailgate: the refusal could not be logged in mail_inbound");
	return INGEST_REFUSED;
}

/* ------------------------------------------------------------------------------------------ */
/* Which inbox, which portal */

/* The candidates for the inbox, lowercased, each followed by its form without +detail. */
static const char *inbox_candidates(struct ingest *g)
{
	struct arena *a = g->c->arena;
	const struct mail_parsed *m = &g->m;
	struct buf b = BUF_INIT;
	buf_puts(&b, "{");
	const char *const *lists[3];
	size_t counts[3], nl = 0;
	static const char *one[1];
	if (g->in->to && g->in->to[0]) {
		one[0] = g->in->to;
		lists[nl] = one, counts[nl++] = 1;
	} else if (m->ndelivered_to) {
		lists[nl] = (const char *const *)m->delivered_to, counts[nl++] = m->ndelivered_to;
	} else {
		lists[nl] = (const char *const *)m->to, counts[nl++] = m->nto;
		lists[nl] = (const char *const *)m->cc, counts[nl++] = m->ncc;
	}
	for (size_t l = 0; l < nl; l++)
		for (size_t i = 0; i < counts[l]; i++) {
			const char *bare, *low = lower_addr(a, clean(a, lists[l][i], 320, 1), &bare);
			db_array_item(&b, low);
			if (bare)
				db_array_item(&b, bare);
		}
	buf_puts(&b, "}");
	const char *out = b.oom ? NULL : arena_strdup(a, b.data);
	buf_free(&b);
	return out;
}

/* The inbox into g (1), none (0), -1. The log's recipient meanwhile: --to, else the first To. */
static int find_inbox(struct ingest *g)
{
	struct arena *a = g->c->arena;
	g->recipient = g->in->to && g->in->to[0] ? clean(a, g->in->to, 320, 1)
		       : g->m.ndelivered_to ? clean(a, g->m.delivered_to[0], 320, 1)
		       : g->m.nto ? clean(a, g->m.to[0], 320, 1) : "";
	const char *p[1] = {inbox_candidates(g)};
	if (!p[0])
		return -1;
	PGresult *r = db_exec("ingest_inbox", 1, p);
	if (!r)
		return -1;
	int found = PQntuples(r) == 1;
	if (found) {
		str_copy(g->inbox, sizeof g->inbox, db_col(r, 0, "inbox"));
		str_copy(g->portal, sizeof g->portal, db_col(r, 0, "portal"));
		str_copy(g->unknown, sizeof g->unknown, db_col(r, 0, "unknown"));
		g->recipient = arena_strdup(a, db_col(r, 0, "address"));
	}
	PQclear(r);
	return found;
}

/* c->portal and c->lang: the portal whose default inbox it is, else the default portal; the
 * language of its primary domain. 0, or -1 when there is no portal at all. */
static int choose_portal(struct ingest *g)
{
	struct ctx *c = g->c;
	long want = atol(g->portal);
	const struct portal *p = NULL;
	for (int i = 0; want > 0 && !p && settings_portal_at(i); i++)
		if (settings_portal_at(i)->id == want)
			p = settings_portal_at(i);
	const char *lang = "en";
	if (!p)
		p = settings_portal_for_host("", &lang);
	if (!p)
		return -1;
	const char *plang = NULL;
	if (settings_portal_for_host(settings_primary_host(p), &plang) == p && plang)
		lang = plang;
	c->portal = p;
	c->lang = lang;
	snprintf(g->portal, sizeof g->portal, "%ld", p->id);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Noise and loops */

static int word_is(const char *v, const char *w)
{
	size_t n = strlen(w);
	return strncmp(v, w, n) == 0 && (v[n] == '\0' || v[n] == ';' || v[n] == ' ' || v[n] == '\t');
}

/* Why the message is noise or a loop, or NULL. */
static const char *noise(struct ingest *g, int ours, int from_us, int from_staff)
{
	const struct mail_parsed *m = &g->m;
	struct arena *a = g->c->arena;
	if (m->portal_notification)
		return "our own notification (X-Portal-Notification)";
	if (ours)
		return "our own notification (its Message-ID is in the outbox)";
	if (from_us)
		return "sent from one of our own inbox addresses";
	/* an agent answering a staff notification by email: that text would reach the customer as
	 * theirs; staff answer in the console (the notification says so) */
	if (from_staff)
		return "sent by a staff user: staff answer in the console";
	if (m->is_bounce)
		return "a bounce (delivery status notification)";
	if (m->return_path && !m->return_path[0])
		return "a null sender (Return-Path: <>): a bounce or an automatic reply";
	if (m->auto_submitted && !word_is(m->auto_submitted, "no"))
		return arena_printf(a, "Auto-Submitted: %s", clean(a, m->auto_submitted, 80, 1));
	if (m->precedence && (word_is(m->precedence, "bulk") || word_is(m->precedence, "junk") ||
			      word_is(m->precedence, "list") || word_is(m->precedence, "auto_reply")))
		return arena_printf(a, "Precedence: %s", clean(a, m->precedence, 80, 1));
	if (m->list_id)
		return "mailing list mail (List-Id)";
	return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* The message's parts */

/* The attachments within the upload limits into g->files; the others' names into g->left_out. */
static void take_files(struct ingest *g)
{
	struct arena *a = g->c->arena;
	const struct mail_parsed *m = &g->m;
	struct buf out = BUF_INIT;
	g->files = arena_alloc(a, (m->natt ? m->natt : 1) * sizeof *g->files);
	g->nfiles = 0;
	for (size_t i = 0; i < m->natt && g->files; i++) {
		const struct mail_attachment *at = &m->att[i];
		const char *name = clean(a, at->filename && at->filename[0] ? at->filename : "attachment",
					 MP_MAX_FILENAME, 1);
		if (at->len > MP_MAX_FILE || g->nfiles >= MP_MAX_FILES) {
			buf_printf(&out, "%s%s (%zu KB)", out.len ? ", " : "", name, (at->len + 1023) / 1024);
			continue;
		}
		struct upload *up = &g->files[g->nfiles++];
		up->field = "attachments";
		up->filename = name;
		up->content_type = at->content_type && at->content_type[0]
					   ? clean(a, at->content_type, MP_MAX_CONTENT_TYPE, 1)
					   : "application/octet-stream";
		up->data = at->data ? at->data : "";
		up->len = at->data ? at->len : 0;
	}
	g->left_out = out.oom || !out.data ? "" : arena_strdup(a, out.data);
	buf_free(&out);
}

/* The body (the reply without its quoted history, with the note on attachments left out) and
 * body_original (NULL when nothing was cut). NULL body: out of memory. */
static const char *body_of(struct ingest *g, const char **original)
{
	struct arena *a = g->c->arena;
	const char *text = clean(a, g->m.text, INGEST_MAX_ORIGINAL, 0);
	int cut = 0;
	char *reply = mail_cut_quoted(text, &cut);
	if (!reply)
		return NULL;
	const char *body = clean(a, reply, INGEST_MAX_BODY, 0);
	if (strlen(reply) > strlen(body))
		body = arena_printf(a, "%s\n[…]", body);
	free(reply);
	*original = cut ? text : NULL;
	if (g->left_out[0])
		body = arena_printf(a, "%s%s[%s (%d × %d MB): %s]", body, body[0] ? "\n\n" : "",
				    i18n_get(g->c->lang, "mail_in_left_out"), MP_MAX_FILES,
				    MP_MAX_FILE / (1024 * 1024), g->left_out);
	return body;
}

/* To and Cc as an array literal, with the connected address it came to when they lack it (the
 * portal shows mail to a connected address: a Bcc or a +token address would hide it). */
static const char *to_array(struct ingest *g)
{
	struct arena *a = g->c->arena;
	struct buf b = BUF_INIT;
	int has = 0;
	buf_puts(&b, "{");
	char **lists[2] = {g->m.to, g->m.cc};
	size_t counts[2] = {g->m.nto, g->m.ncc};
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < counts[l]; i++) {
			const char *s = clean(a, lists[l][i], 320, 1);
			has |= ascii_caseeq(s, g->recipient);
			db_array_item(&b, s);
		}
	if (!has)
		db_array_item(&b, g->recipient);
	buf_puts(&b, "}");
	const char *out = b.oom ? NULL : arena_strdup(a, b.data);
	buf_free(&b);
	return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Contacts and tickets */

/* The sender's contact and the company of their domain into g. 0 or -1. */
static int load_contact(struct ingest *g)
{
	const char *p[1] = {g->sender};
	PGresult *r = db_exec("ingest_contact", 1, p);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	str_copy(g->contact, sizeof g->contact, db_col(r, 0, "contact"));
	g->primary_company = atol(db_col(r, 0, "primary_company"));
	g->company = atol(db_col(r, 0, "company"));
	PQclear(r);
	return 0;
}

/* A new contact for the sender: the address lowercased, the name from the display name (the
 * last word the last name), the company of their domain. 0 or -1. */
static int create_contact(struct ingest *g)
{
	struct arena *a = g->c->arena;
	const char *name = clean(a, g->m.from_name, INGEST_MAX_NAME, 1);
	while (*name == ' ' || *name == '"' || *name == '\'')
		name++;
	char *first = arena_strdup(a, name);
	size_t n = strlen(first);
	while (n && (first[n - 1] == ' ' || first[n - 1] == '"' || first[n - 1] == '\''))
		first[--n] = '\0';
	if (strchr(first, '@'))
		first[0] = '\0'; /* a display name that is an address says nothing */
	const char *last = "";
	char *sp = strrchr(first, ' ');
	if (sp) {
		*sp = '\0';
		last = sp + 1;
	}
	const char *p[4] = {g->sender, first, last, arena_printf(a, "%ld", g->company)};
	if (db_exec_value("ingest_contact_new", 4, p, g->contact, sizeof g->contact) != 1)
		return -1;
	g->primary_company = g->company;
	return 0;
}

/* The stage a new ticket of the inbox starts in, into out. 0 or -1. */
static int default_stage(struct ingest *g, char *out, size_t cap)
{
	const char *p[1] = {g->inbox};
	return db_exec_value("ingest_stage", 1, p, out, cap) == 1 && id_set(out) ? 0 : -1;
}

static void message_init(struct ingest *g, struct conv_msg *msg, const char *body, const char *original,
			 const char *to)
{
	memset(msg, 0, sizeof *msg);
	msg->inbox = g->inbox;
	msg->channel = "email";
	msg->author = CONV_MAIL;
	msg->author_id = atol(g->contact);
	msg->author_name = clean(g->c->arena, g->m.from_name, INGEST_MAX_NAME, 1);
	msg->author_email = g->sender;
	msg->from = g->sender;
	msg->to = to;
	msg->kind = CONV_MESSAGE;
	msg->body = body;
	msg->files = g->files;
	msg->files_n = g->nfiles;
	msg->mail_message_id = g->msgid;
	msg->body_original = original;
	msg->engagement = "email";
}

/* The mail's Cc addresses become CCs of the ticket it opens or answers by the rules of ticket_cc.h (the portal's
 * switch, the limit, the same-domain setting; never the sender or one of our addresses): the
 * offending ones are left out. 0 or -1. */
static int add_ccs(struct ingest *g, const char *ticket)
{
	struct arena *a = g->c->arena;
	if (!g->m.ncc)
		return 0;
	const char **list = arena_alloc(a, g->m.ncc * sizeof *list);
	if (!list)
		return -1;
	for (size_t i = 0; i < g->m.ncc; i++)
		list[i] = clean(a, g->m.cc[i], 320, 1);
	struct ticket_cc cc;
	if (ticket_cc_from_mail(g->c, list, g->m.ncc, ticket, atol(g->contact), &cc) < 0)
		return -1;
	return ticket_cc_add(g->c, ticket, &cc, g->sender);
}

/* A new ticket with msg as its first message; follow_up_of names the closed ticket it follows
 * ("" none), whose subject is closed_subject. 1, 0 duplicate, -1. */
static int open_ticket(struct ingest *g, struct conv_msg *msg, const char *stage, const char *follow_up_of,
		       const char *closed_subject)
{
	struct arena *a = g->c->arena;
	if (!id_set(g->contact) && create_contact(g) < 0)
		return -1;
	const char *subject = g->subject;
	const char *s = subject;
	while (*s == ' ')
		s++;
	if (!*s)
		subject = i18n_get(g->c->lang, "mail_in_no_subject");
	struct conv_ticket t = {
		.subject = subject,
		.description = follow_up_of[0] ? arena_printf(a, "%s #%s: %s", i18n_get(g->c->lang, "mail_in_follow_up"),
							      follow_up_of, closed_subject)
					       : "",
		.stage = stage,
		.contact = g->contact,
		.company = !g->primary_company && g->company ? arena_printf(a, "%ld", g->company) : NULL,
	};
	msg->summary = subject;
	msg->notify = CONV_NOTIFY_CONFIRM | CONV_NOTIFY_STAFF;
	int got = conv_ticket(g->c, &t, msg);
	if (got == -2)
		return 0; /* the Message-ID was stored since: a duplicate */
	if (got != 1)
		return -1;
	if (follow_up_of[0]) {
		const char *p[2] = {t.id, follow_up_of};
		if (db_run("ingest_follow_up", 2, p) < 0)
			return -1;
	}
	if (add_ccs(g, t.id) < 0)
		return -1;
	str_copy(g->out->ticket, sizeof g->out->ticket, t.id);
	str_copy(g->out->message, sizeof g->out->message, msg->message_id);
	return 1;
}

/* The ticket a recipient's signed token names: 1 (ticket set), 0 none, -1 only forged ones. */
static int token_ticket(struct ingest *g, char *ticket, size_t cap)
{
	const struct mail_parsed *m = &g->m;
	char **lists[3] = {m->delivered_to, m->to, m->cc};
	size_t counts[3] = {m->ndelivered_to, m->nto, m->ncc};
	int forged = 0;
	if (g->in->to && g->in->to[0]) {
		int v = reply_address_ticket(g->in->to, ticket, cap);
		if (v == 1)
			return 1;
		forged |= v < 0;
	}
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < counts[l]; i++) {
			int v = reply_address_ticket(lists[l][i], ticket, cap);
			if (v == 1)
				return 1;
			forged |= v < 0;
		}
	return forged ? -1 : 0;
}

/* The thread and ticket In-Reply-To and References name (newest first): 1, 0 none, -1. */
static int header_match(struct ingest *g, char *thread, char *ticket, size_t cap)
{
	struct arena *a = g->c->arena;
	const struct mail_parsed *m = &g->m;
	struct buf b = BUF_INIT;
	int n = 0;
	buf_puts(&b, "{");
	if (m->in_reply_to && m->in_reply_to[0]) {
		db_array_item(&b, clean(a, m->in_reply_to, 998, 1));
		n++;
	}
	for (size_t i = m->nreferences; i > 0 && n < INGEST_MAX_IDS; i--, n++)
		db_array_item(&b, clean(a, m->references[i - 1], 998, 1));
	buf_puts(&b, "}");
	if (b.oom || n == 0) {
		buf_free(&b);
		return b.oom ? -1 : 0;
	}
	const char *p[1] = {arena_strdup(a, b.data)};
	buf_free(&b);
	PGresult *r = db_exec("ingest_refs", 1, p);
	if (!r)
		return -1;
	int found = PQntuples(r) == 1;
	if (found) {
		str_copy(thread, cap, db_col(r, 0, "thread"));
		str_copy(ticket, cap, db_col(r, 0, "ticket"));
	}
	PQclear(r);
	return found;
}

/* 1 when the sender may write into ticket (one of its contacts) / a thread without a ticket (the
 * address an earlier message of it came from), 0 not, -1 error. */
static int sender_known(struct ingest *g, const char *ticket, const char *thread)
{
	const char *p[3] = {ticket, thread, g->sender};
	char v[8];
	if (db_exec_value("ingest_sender_known", 3, p, v, sizeof v) != 1)
		return -1;
	return v[0] == 't';
}

/* A reply to ticket (in thread, or its latest when "0"): reopened or followed up when closed.
 * 1 stored, 0 duplicate, -1. *how says which. */
static int reply(struct ingest *g, struct conv_msg *msg, const char *thread, const char *ticket,
		 const char **how)
{
	struct arena *a = g->c->arena;
	const char *p[2] = {ticket, g->portal};
	PGresult *r = db_exec("ingest_ticket", 2, p);
	if (!r)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return -2; /* gone */
	}
	int closed = db_col(r, 0, "closed")[0] == 't', may = db_col(r, 0, "may_reopen")[0] == 't';
	const char *open_stage = arena_strdup(a, db_col(r, 0, "open_stage"));
	const char *subject = arena_strdup(a, db_col(r, 0, "subject"));
	PQclear(r);
	if (closed && (!may || !id_set(open_stage))) {
		char stage[24];
		if (!id_set(open_stage) && default_stage(g, stage, sizeof stage) < 0)
			return -1;
		*how = arena_printf(a, "a follow-up of closed ticket %s", ticket);
		return open_ticket(g, msg, id_set(open_stage) ? open_stage : stage, ticket, subject);
	}
	if (closed) {
		const char *pr[4] = {ticket, open_stage, g->contact,
				     arena_printf(a, "Reopened by an emailed reply from %s", g->sender)};
		char done[24];
		if (db_exec_value("ingest_reopen", 4, pr, done, sizeof done) != 1)
			return -1;
	}
	*how = closed ? arena_printf(a, "a reply that reopened ticket %s", ticket)
		      : arena_printf(a, "a reply to ticket %s", ticket);
	msg->thread = id_set(thread) ? thread : NULL;
	msg->ticket = ticket;
	msg->notify = CONV_NOTIFY_STAFF;
	int got = conv_add(g->c, msg);
	if (got == 1) {
		str_copy(g->out->ticket, sizeof g->out->ticket, msg->ticket_id);
		str_copy(g->out->message, sizeof g->out->message, msg->message_id);
		if (add_ccs(g, msg->ticket_id) < 0) /* its Cc, as the reply form's cc field */
			return -1;
	}
	return got == -2 ? -1 : got;
}

/* ------------------------------------------------------------------------------------------ */

/* The Message-ID, or one made of the SHA-256 of the bytes. */
static const char *message_id(struct arena *a, const struct mail_parsed *m, const struct ingest_in *in)
{
	if (m->message_id && m->message_id[0])
		return clean(a, m->message_id, 998, 1);
	unsigned char d[32];
	unsigned dl = 0;
	char hex[65];
	EVP_Digest(in->data, in->len, d, &dl, EVP_sha256(), NULL);
	hex_encode(d, 32, hex);
	return arena_printf(a, "sha256-%s@portal-mailgate.invalid", hex);
}

/* After the checks: the thread and the writes. Returns the exit status. */
static int take_in(struct ingest *g)
{
	struct arena *a = g->c->arena;
	if (choose_portal(g) < 0)
		return failed(g, "no portal to file it under");
	if (load_contact(g) < 0)
		return failed(g, "database error reading the contact");
	take_files(g);
	const char *original = NULL, *body = body_of(g, &original), *to = to_array(g);
	if (!body || !to)
		return failed(g, "out of memory");
	struct conv_msg msg;
	message_init(g, &msg, body, original, to);

	char ticket[24] = "0", thread[24] = "0";
	const char *how = NULL;
	int tok = token_ticket(g, ticket, sizeof ticket), got = 0;
	if (tok < 0)
		log_msg(LOG_WARN, "mailgate: <%s> from %s carries a forged or foreign Reply-To token: "
			"not trusted, taken as a new message", g->msgid, g->sender);
	if (tok == 0 && (got = header_match(g, thread, ticket, sizeof ticket)) < 0)
		return failed(g, "database error matching In-Reply-To/References");
	got = 0;
	int matched = tok == 1 || (tok == 0 && (id_set(ticket) || id_set(thread)));
	if (matched && (got = sender_known(g, ticket, thread)) <= 0) {
		if (got < 0)
			return failed(g, "database error checking the sender");
		/* a forwarded notification, or someone who learned a Message-ID: never into a
		 * ticket that is not theirs */
		log_msg(LOG_INFO, "mailgate: <%s> from %s names ticket %s / thread %s, but the sender is "
			"none of its contacts: taken as a new message", g->msgid, g->sender, ticket, thread);
		matched = got = 0;
		str_copy(ticket, sizeof ticket, "0");
		str_copy(thread, sizeof thread, "0");
	}
	got = 0;
	if (matched) {
		if (id_set(ticket)) {
			got = reply(g, &msg, thread, ticket, &how);
		} else { /* a thread without a ticket */
			msg.thread = thread;
			msg.notify = CONV_NOTIFY_STAFF;
			how = arena_printf(a, "a reply in thread %s", thread);
			got = conv_add(g->c, &msg);
			if (got == 1)
				str_copy(g->out->message, sizeof g->out->message, msg.message_id);
		}
		if (got == -2) { /* the ticket or thread is gone: a new message */
			got = 0;
			how = NULL;
			message_init(g, &msg, body, original, to);
		} else if (got < 0) {
			return failed(g, "database error storing the reply");
		}
	}
	if (!how) {
		if (!id_set(g->contact) && strcmp(g->unknown, "drop") == 0)
			return finish(g, "dropped", tok < 0 ? "unknown sender with a forged Reply-To token; "
							      "the inbox drops mail of unknown senders"
							    : "unknown sender; the inbox drops mail of unknown senders");
		char stage[24];
		if (default_stage(g, stage, sizeof stage) < 0)
			return failed(g, "no open pipeline stage for a new ticket");
		got = open_ticket(g, &msg, stage, "", "");
		how = tok < 0 ? "a new ticket (the Reply-To token was forged)" : "a new ticket";
		if (got < 0)
			return failed(g, "database error opening the ticket");
	}
	if (got == 0) { /* stored meanwhile by another delivery of the same message */
		db_rollback();
		g->out->ticket[0] = g->out->message[0] = '0';
		g->out->ticket[1] = g->out->message[1] = '\0';
		if (db_begin() < 0)
			return failed(g, "database error");
		return finish(g, "duplicate", "its Message-ID is stored already");
	}
	return finish(g, "stored", how);
}

static int ingest(struct ingest *g)
{
	const struct ingest_in *in = g->in;
	struct arena *a = g->c->arena;
	char err[256] = "";
	g->recipient = in->to ? clean(a, in->to, 320, 1) : "";
	if (in->size > in->limit)
		return refuse(g, arena_printf(a, "too large: %zu bytes, the limit is %zu", in->size, in->limit));
	int parsed = mail_parse(in->data, in->len, &g->m, err, sizeof err);
	if (parsed < 0) {
		memset(&g->m, 0, sizeof g->m);
		g->msgid = message_id(a, &g->m, in);
		if (parsed == -2) { /* out of memory: the message may well be fine, try again later */
			g->out->outcome = "failed";
			g->out->reason = "out of memory";
			log_msg(LOG_ERROR, "mailgate: <%s> not taken in: out of memory; the sender's MTA will retry",
				g->msgid);
			return INGEST_TEMPFAIL;
		}
		return refuse(g, arena_printf(a, "malformed: %s", clean(a, err, 200, 1)));
	}
	g->sender = clean(a, g->m.from_address, 254, 1);
	g->subject = first_points(a, clean(a, g->m.subject, 4 * INGEST_MAX_SUBJECT, 1), INGEST_MAX_SUBJECT);
	g->msgid = message_id(a, &g->m, in);
	/* noise that needs no database first: a bounce's From may hold no address at all */
	const char *early = noise(g, 0, 0, 0);
	if (!early && !address_ok(g->sender))
		return refuse(g, "malformed: no usable From address");
	if (!in->db_up) {
		g->out->outcome = "failed";
		g->out->reason = "database not reachable";
		log_msg(LOG_ERROR, "mailgate: <%s> from %s not taken in: database not reachable; the "
			"sender's MTA will retry", g->msgid, g->sender);
		return INGEST_TEMPFAIL;
	}

	if (db_begin() < 0)
		return failed(g, "database error");
	const char *pl[1] = {g->sender};
	if (db_run("ingest_lock", 1, pl) < 0)
		return failed(g, "database error");
	if (early)
		return finish(g, "dropped", early);
	int found = find_inbox(g);
	if (found < 0)
		return failed(g, "database error finding the inbox");
	if (!found)
		return finish(g, "dropped", "no connected inbox address among the recipients");
	const char *ps[2] = {g->sender, g->msgid};
	PGresult *r = db_exec("ingest_seen", 2, ps);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return failed(g, "database error");
	}
	long recent = atol(db_col(r, 0, "recent"));
	int stored = db_col(r, 0, "stored")[0] == 't', ours = db_col(r, 0, "ours")[0] == 't',
	    from_us = db_col(r, 0, "from_us")[0] == 't', from_staff = db_col(r, 0, "from_staff")[0] == 't';
	PQclear(r);
	const char *why = noise(g, ours, from_us, from_staff);
	if (why)
		return finish(g, "dropped", why);
	if (stored)
		return finish(g, "duplicate", "its Message-ID is stored already");
	if (recent >= INGEST_RATE_PER_HOUR)
		return finish(g, "dropped", arena_printf(a, "rate limit: %ld messages from this sender in "
							    "the last hour (at most %d)", recent,
							 INGEST_RATE_PER_HOUR));
	return take_in(g);
}

int mail_ingest(struct arena *a, const struct ingest_in *in, struct ingest_out *out)
{
	struct request req;
	memset(&req, 0, sizeof req);
	req.arena = a;
	req.path = "/";
	req.query_string = "";
	req.host = NULL;
	req.remote_addr = "";
	req.content_type = "";
	req.request_id = "-";
	struct response res;
	response_init(&res);
	struct ctx c = {.req = &req, .res = &res, .arena = a, .lang = "en"};
	struct ingest g = {.c = &c, .in = in, .out = out, .contact = "0"};
	memset(out, 0, sizeof *out);
	str_copy(out->ticket, sizeof out->ticket, "0");
	str_copy(out->message, sizeof out->message, "0");
	int rc = ingest(&g);
	mail_parsed_free(&g.m);
	response_free(&res);
	return rc;
}
