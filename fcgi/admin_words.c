/* admin_words.c - no URL: the words the console shows for the codes it stores (engagement kinds
 * on timelines, audit actions, channels), so that no page shows "portal_reply" to a person. */
#include "admin.h"

#include <string.h>

static const struct {
	const char *code, *words;
} words[] = {
	{"portal_reply", "Reply on the portal"},
	{"form_submission", "Sent with the support form"},
	{"note", "Internal note"},
	{"ticket_created", "Ticket created"},
	{"ticket_closed", "Ticket closed"},
	{"ticket_closed_by_customer", "Closed by the customer"},
	{"ticket_reopened", "Reopened by the customer's email"},
	{"ticket_reopened_by_customer", "Reopened by the customer"},
	{"cc_added", "Copied in (CC)"},
	{"cc_removed", "No longer copied in (CC)"},
	{"email_message", "Email"},
	{"portal_message", "Portal message"},
	{"form_message", "Support form"},
	{"settings_change", "Settings changed"},
	{"email", "Email"},
	{"portal", "Portal"},
	{"form", "Support form"},
	{"chat", "Chat"},
	{"messenger", "Messenger"},
	{"phone", "Phone"},
};

const char *admin_words(struct ctx *c, const char *code)
{
	if (!code || !code[0])
		return "";
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(words[i].code, code) == 0)
			return words[i].words;
	/* any other code: its words, "login_failed" -> "Login failed" */
	char *s = arena_strdup(c->arena, code);
	if (!s)
		return code;
	for (char *p = s; *p; p++)
		if (*p == '_')
			*p = ' ';
	if (s[0] >= 'a' && s[0] <= 'z')
		s[0] = (char)(s[0] - 'a' + 'A');
	return s;
}

const char *admin_message_words(struct ctx *c, int incoming, const char *channel, const char *engagement)
{
	if (engagement && (strcmp(engagement, "portal_reply") == 0 || strcmp(engagement, "form_submission") == 0))
		return admin_words(c, engagement);
	if (channel && strcmp(channel, "email") == 0)
		return incoming ? "Email received" : "Email sent";
	if (channel && strcmp(channel, "portal") == 0)
		return incoming ? "Message on the portal" : "Reply to the customer";
	return arena_printf(c->arena, "%s · %s", admin_words(c, channel), incoming ? "received" : "sent");
}
