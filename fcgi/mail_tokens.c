/* mail_tokens.c - the signed Reply-To address, ticket link and rating links of our mail (see mail_tokens.h). */
#include "mail_tokens.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "token.h"

#define REPLY_SIG 16 /* hex characters of the Reply-To's signature (64 bits) */

/* HMAC-SHA-256 hex of "<purpose>:<what>" under the secret key. */
static void sign(const char *purpose, const char *what, char out[TOKEN_HEX_LEN + 1])
{
	char msg[256];
	int n = snprintf(msg, sizeof msg, "%s:%s", purpose, what);
	if (n < 0 || (size_t)n >= sizeof msg) {
		out[0] = '\0';
		return;
	}
	hmac_sha256_hex(cfg.secret_key, strlen(cfg.secret_key), msg, (size_t)n, out);
}

static int all_digits(const char *s, size_t n)
{
	if (n == 0 || n > 18)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

const char *reply_address(struct arena *a, const char *address, const char *ticket)
{
	const char *at = address ? strchr(address, '@') : NULL;
	if (!at || at == address || strchr(at + 1, '@') || !all_digits(ticket, strlen(ticket)))
		return NULL;
	char sig[TOKEN_HEX_LEN + 1];
	sign("reply-to", ticket, sig);
	if (!sig[0])
		return NULL;
	/* an address that has a +detail already keeps it: the token is the last one */
	return arena_printf(a, "%.*s+t%s-%.*s%s", (int)(at - address), address, ticket, REPLY_SIG, sig, at);
}

int reply_address_ticket(const char *address, char *ticket_out, size_t cap)
{
	const char *at = address ? strchr(address, '@') : NULL;
	if (!at)
		return 0;
	const char *plus = NULL;
	for (const char *p = address; p < at; p++)
		if (*p == '+')
			plus = p;
	if (!plus || (plus[1] != 't' && plus[1] != 'T'))
		return 0;
	const char *id = plus + 2, *dash = memchr(id, '-', (size_t)(at - id));
	if (!dash || !all_digits(id, (size_t)(dash - id)))
		return 0;
	size_t siglen = (size_t)(at - dash - 1);
	if (siglen != REPLY_SIG || (size_t)(dash - id) + 1 > cap)
		return -1;
	char ticket[24], given[REPLY_SIG + 1], want[TOKEN_HEX_LEN + 1];
	snprintf(ticket, sizeof ticket, "%.*s", (int)(dash - id), id);
	for (size_t i = 0; i < REPLY_SIG; i++)
		given[i] = (char)tolower((unsigned char)dash[1 + i]);
	given[REPLY_SIG] = '\0';
	sign("reply-to", ticket, want);
	want[REPLY_SIG] = '\0';
	if (!want[0] || !token_equal(given, want))
		return -1;
	snprintf(ticket_out, cap, "%s", ticket);
	return 1;
}

/* "<contact>.<expires>.<signature>" signed as "<purpose>:<contact>.<ticket>.<expires>": 1 valid
 * (*contact set), 0 well signed but expired (*contact set), -1 malformed or wrongly signed. */
static int contact_token_check(const char *purpose, const char *token, const char *ticket, long *contact)
{
	if (!token || !ticket || strlen(token) > 120 || !all_digits(ticket, strlen(ticket)))
		return -1;
	const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d2 || !all_digits(token, (size_t)(d1 - token)) || !all_digits(d1 + 1, (size_t)(d2 - d1 - 1)))
		return -1;
	long who = strtol(token, NULL, 10), expires = strtol(d1 + 1, NULL, 10);
	char what[96], want[TOKEN_HEX_LEN + 1];
	snprintf(what, sizeof what, "%ld.%s.%ld", who, ticket, expires);
	sign(purpose, what, want);
	if (!want[0] || who <= 0 || !token_equal(d2 + 1, want))
		return -1;
	*contact = who;
	return (long)time(NULL) < expires ? 1 : 0;
}

static const char *contact_token(struct arena *a, const char *purpose, long contact, const char *ticket, int days)
{
	long expires = (long)time(NULL) + days * 86400L;
	char what[96], sig[TOKEN_HEX_LEN + 1];
	snprintf(what, sizeof what, "%ld.%s.%ld", contact, ticket, expires);
	sign(purpose, what, sig);
	return sig[0] ? arena_printf(a, "%ld.%ld.%s", contact, expires, sig) : NULL;
}

const char *ticket_link_token(struct arena *a, long contact, const char *ticket)
{
	return contact_token(a, "ticket-link", contact, ticket, TICKET_LINK_DAYS);
}

int ticket_link_check(const char *token, const char *ticket, long *contact)
{
	return contact_token_check("ticket-link", token, ticket, contact);
}

const char *ticket_link_url(struct ctx *c, long contact, const char *ticket)
{
	const char *t = ticket_link_token(c->arena, contact, ticket);
	return t ? arena_printf(c->arena, "%s/%s/%s/open?t=%s", portal_base_url(c), c->portal->ticket_slug,
				ticket, t)
		 : NULL;
}

const char *rating_token(struct arena *a, const char *ticket, long contact)
{
	return all_digits(ticket, strlen(ticket)) ? contact_token(a, "rating", contact, ticket, RATING_DAYS) : NULL;
}

int rating_token_check(const char *token, const char *ticket, long *contact)
{
	return contact_token_check("rating", token, ticket, contact);
}

const char *rating_url(struct ctx *c, long contact, const char *ticket, const char *score)
{
	const char *t = rating_token(c->arena, ticket, contact);
	return t ? arena_printf(c->arena, "%s/%s/%s/rating?score=%s&t=%s", portal_base_url(c), c->portal->ticket_slug,
				ticket, score, t)
		 : NULL;
}
