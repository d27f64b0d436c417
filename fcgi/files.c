/* files.c - GET /files/<id>/<name>: an attachment the customer may see; the one place that keeps
 * an attachment's bytes (file_store) and the one that hands them out (file_send: the portal's
 * download, the console's /admin/inbox/<thread>/files/... and the admin preview's). */
#include "app.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "log.h"

/*
 * Design. Files are content-addressed (<files_dir>/<2 hex>/<sha256>), written to a temporary
 * name and renamed, so a path that exists is complete; a rolled-back message may leave an
 * unreferenced file behind, never a row without its file. nginx sends the bytes from its
 * internal location /_files/ (nginx/portal.conf.in); the worker only decides who may have
 * which file and with what headers. Who may see a ticket is portal_visible_tickets()
 * (sql/functions/): the customer's download asks it together with
 * portal_thread_messages(), so an attachment is served exactly when the ticket page lists it.
 */
const struct db_stmt files_stmts[] = {
	/* an attachment the customer can see: on a visible ticket, on a message the portal shows */
	{"files_download",
	 "SELECT a.sha256, a.content_type, a.file_name"
	 " FROM attachments a JOIN messages m ON m.id = a.message_id"
	 " JOIN threads th ON th.id = m.thread_id"
	 " WHERE a.id = $1 AND a.file_name = $2"
	 "  AND EXISTS (SELECT 1 FROM portal_visible_tickets($3, $4, 'all') v"
	 "   WHERE v.id = th.ticket_id)"
	 "  AND th.id = ticket_latest_thread(th.ticket_id)"
	 "  AND EXISTS (SELECT 1 FROM portal_thread_messages(th.id) pm WHERE pm.id = m.id)",
	 4},
	{NULL, NULL, 0},
};

int file_keep(const char *sub, const char *name, const struct upload *up)
{
	char dir[1024], path[1400];
	struct stat st;
	snprintf(dir, sizeof dir, "%s/%s", cfg.files_dir, sub);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == up->len)
		return 0;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		log_msg(LOG_ERROR, "files: mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (file_write_atomic(dir, name, up->data, up->len, 0640) < 0) {
		log_msg(LOG_ERROR, "files: store %s: %s", path, strerror(errno));
		return -1;
	}
	return 0; /* data and rename are durable before COMMIT */
}

int file_store(const struct upload *up, char sha[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	if (!EVP_Digest(up->data, up->len, d, &dl, EVP_sha256(), NULL) || dl != 32)
		return -1;
	for (unsigned i = 0; i < dl; i++)
		snprintf(sha + 2 * i, 3, "%02x", d[i]);
	char sub[3] = {sha[0], sha[1], '\0'};
	return file_keep(sub, sha, up);
}

/* Media types a browser may run script in, or sniff into one, are served as bytes. */
static const char *safe_content_type(struct ctx *c, const char *stored)
{
	static const char *const risky[] = {"html", "xml", "script", "svg", "xsl", "css", "flash",
					    "mixed-replace"};
	static const char *const families[] = {"text/", "image/", "audio/", "video/",
					       "application/", "font/"};
	const char *octets = "application/octet-stream";
	size_t n = strcspn(stored, ";");
	while (n && (stored[n - 1] == ' ' || stored[n - 1] == '\t'))
		n--;
	char *t = arena_strndup(c->arena, stored, n);
	if (!t || n == 0 || n > 127)
		return octets;
	for (char *p = t; *p; p++) {
		*p = (char)tolower((unsigned char)*p);
		if (!isalnum((unsigned char)*p) && !strchr("/!#$&^_.+-", *p))
			return octets;
	}
	for (size_t i = 0; i < sizeof risky / sizeof risky[0]; i++)
		if (strstr(t, risky[i]))
			return octets;
	const char *slash = strchr(t, '/');
	if (!slash || strchr(slash + 1, '/') || !slash[1])
		return octets;
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
		if (strncmp(t, families[i], (size_t)(slash + 1 - t)) == 0 &&
		    strlen(families[i]) == (size_t)(slash + 1 - t))
			return t; /* multipart/, message/ (MHTML) and unknown families are not */
	return octets;
}

static int inline_image(const char *type)
{
	return strcmp(type, "image/png") == 0 || strcmp(type, "image/jpeg") == 0 ||
	       strcmp(type, "image/gif") == 0 || strcmp(type, "image/webp") == 0;
}

/* Content-Disposition with an ASCII fallback name and the exact name per RFC 5987/6266. */
static const char *disposition(struct ctx *c, const char *kind, const char *name)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s; filename=\"", kind);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p >= 0x80) {
			while ((p[1] & 0xC0) == 0x80)
				p++;
			buf_putc(&b, '_');
		} else if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\' || *p == '%') {
			buf_putc(&b, '_');
		} else {
			buf_putc(&b, (char)*p);
		}
	}
	buf_puts(&b, "\"; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (isalnum(*p) || strchr("!#$&+-.^_`|~", *p))
			buf_putc(&b, (char)*p);
		else
			buf_printf(&b, "%%%02X", *p);
	}
	const char *out = b.oom ? NULL : arena_strdup(c->arena, b.data);
	buf_free(&b);
	return out;
}

static int is_sha256_hex(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n == 64;
}

int file_send(struct ctx *c, const char *sha, const char *stored_type, const char *name)
{
	if (!is_sha256_hex(sha))
		return 404;
	const char *type = safe_content_type(c, stored_type);
	const char *cd = disposition(c, inline_image(type) ? "inline" : "attachment", name);
	if (!cd)
		return 500;
	/* nginx serves the bytes from its internal location /_files/ (nginx/portal.conf.in) and
	 * keeps Content-Type, Content-Disposition and Cache-Control of this response */
	response_header(c->res, "Content-Type", type);
	response_header(c->res, "Content-Disposition", cd);
	response_header(c->res, "X-Content-Type-Options", "nosniff");
	response_header(c->res, "Cache-Control", "private, no-store");
	response_header(c->res, "X-Accel-Redirect", arena_printf(c->arena, "/_files/%.2s/%s", sha, sha));
	c->res->status = 200;
	return 200;
}

int file_send_found(struct ctx *c, const char *stmt, int n, const char *const *params)
{
	PGresult *r = db_exec(stmt, n, params);
	if (!r)
		return 500;
	int status = PQntuples(r) == 1 ? file_send(c, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2))
				       : 404;
	PQclear(r);
	return status;
}

int file_download(struct ctx *c)
{
	char pid[24], cid[24];
	snprintf(pid, sizeof pid, "%ld", c->portal->id);
	snprintf(cid, sizeof cid, "%ld", c->sess.contact_id);
	const char *p[4] = {c->caps.v[0], c->caps.v[1], pid, cid};
	return file_send_found(c, "files_download", 4, p);
}
