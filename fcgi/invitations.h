/* invitations.h - pending list invitations into emails; called by the mailer on its own connection. */
#ifndef PORTAL_INVITATIONS_H
#define PORTAL_INVITATIONS_H

#include <libpq-fe.h>

#include "tmpl.h"

struct invite_ctx {
	const struct tmpl_set *templates; /* with email/invite.* */
	const char *link_scheme;          /* "http" or "https" */
	int link_port;                    /* 0 for the scheme's default */
};

/* Handle up to 100 pending invitations. Returns how many, or -1 when the first one failed. */
int invitations_process(PGconn *pg, const struct invite_ctx *ic);

#endif
