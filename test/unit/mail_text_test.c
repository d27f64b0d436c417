/* mail_text_test.c - the quoted history cut, HTML to text and the clean-text helpers. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mail_text.h"
#include "str.h"

/* mail_cut_quoted's answer and its cut flag. */
static void cut_is(const char *text, const char *want, int want_cut, int line)
{
	int cut = -1;
	char *got = mail_cut_quoted(text, &cut);

	if (got && strcmp(got, want) == 0 && cut == want_cut) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "FAIL %s:%d: cut %d\n  got:  [%s]\n  want: [%s] (cut %d)\n", __FILE__,
			line, cut, got ? got : "(null)", want, want_cut);
	}
	free(got);
}
#define CUT(text, want, c) cut_is((text), (want), (c), __LINE__)

static void test_cut(void)
{
	/* Gmail, English */
	CUT("Thanks, works now.\n\nOn Fri, 17 May 2024 at 03:10, Support <s@example.com> wrote:\n\n"
	    "> Olof answered:\n>\n> Try again.\n",
	    "Thanks, works now.", 1);
	/* the attribution wrapped onto two lines */
	CUT("Still broken.\r\n\r\nOn Fri, 17 May 2024 at 03:10, Support <support+t42-0123@\r\n"
	    "example.com> wrote:\r\n> quoted\r\n",
	    "Still broken.", 1);
	/* Swedish (Outlook/Thunderbird) and German, French */
	CUT("Tack!\n\nDen 17 maj 2024 kl. 03:10 skrev Support <s@example.com>:\n> Hej\n", "Tack!", 1);
	CUT("Danke.\n\nAm 17.05.2024 um 03:10 schrieb Support:\n> Hallo\n", "Danke.", 1);
	CUT("Merci.\n\nLe ven. 17 mai 2024 \xc3\xa0 03:10, Support <s@example.com> a \xc3\xa9" "crit :\n> x\n",
	    "Merci.", 1);
	/* Outlook: -----Original Message----- */
	CUT("Fixed, thanks.\n\n-----Original Message-----\nFrom: Support <s@example.com>\n"
	    "Sent: Friday, May 17, 2024 3:10 AM\nTo: Maria\nSubject: [#42] answered\n\nbody\n",
	    "Fixed, thanks.", 1);
	/* Outlook: a line of underscores, then the header block */
	CUT("Fixed.\r\n\r\nMaria\r\n\r\n________________________________\r\nFrom: Support <s@example.com>\r\n"
	    "Sent: Friday, May 17, 2024 3:10 AM\r\nTo: Keller, Maria\r\nSubject: answered\r\n\r\nold\r\n",
	    "Fixed.\r\n\r\nMaria", 1);
	/* Outlook in Swedish, the block after a blank line */
	CUT("Tack.\n\nFr\xc3\xa5n: Support <s@example.com>\nSkickat: den 17 maj 2024 03:10\n"
	    "Till: Karin\n\xc3\x84mne: Ditt \xc3\xa4rende\n\nold\n",
	    "Tack.", 1);
	/* a "From:" line in prose is no header block */
	CUT("From: the shop I got a broken box.\nPlease help.\n",
	    "From: the shop I got a broken box.\nPlease help.", 0);
	/* our marker, in English and in Swedish, quoted or not */
	CUT("Yes please.\n\n##- Please type your reply above this line -##\n\nOlof answered\n", "Yes please.",
	    1);
	CUT("Ja.\n> ##- Skriv ditt svar ovanf\xc3\xb6r den h\xc3\xa4r raden -##\n> Olof\n", "Ja.", 1);
	/* a trailing ">" block, with the line that introduces it */
	CUT("See below.\n\nSupport wrote:\n> old text\n> more\n\n", "See below.", 1);
	CUT("Answer.\n\n> old text\n>\n> more\n", "Answer.", 1);
	/* inline answers between quotes keep everything (only a trailing block is cut) */
	CUT("> Does it work?\nNo.\n> Which browser?\nFirefox.\n",
	    "> Does it work?\nNo.\n> Which browser?\nFirefox.", 0);
	/* prose that only looks like an attribution (no date) stays */
	CUT("On Monday my colleague wrote:\nthe report is late.\n",
	    "On Monday my colleague wrote:\nthe report is late.", 0);
	/* cutting would leave nothing: the whole text */
	CUT("> only quoted\n> text\n", "> only quoted\n> text", 0);
	CUT("##- Please type your reply above this line -##\nx\n",
	    "##- Please type your reply above this line -##\nx", 0);
	/* nothing to cut, trailing blank lines dropped */
	CUT("Hello\n\n\n", "Hello", 0);
	CUT("", "", 0);
	/* Forwarded messages are the customer's content: not cut */
	CUT("FYI\n\n---------- Forwarded message ---------\nFrom: X <x@example.com>\nDate: Fri\n"
	    "Subject: y\nTo: z\n\nbody\n",
	    "FYI\n\n---------- Forwarded message ---------\nFrom: X <x@example.com>\nDate: Fri\n"
	    "Subject: y\nTo: z\n\nbody", 0);
	CHECK(strcmp(MAIL_REPLY_MARKER_EN, "##- Please type your reply above this line -##") == 0);
}

static void html_is(const char *html, const char *want, int line)
{
	char *got = mail_html_to_text(html, strlen(html));

	if (got && strcmp(got, want) == 0) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "FAIL %s:%d: html\n  got:  [%s]\n  want: [%s]\n", __FILE__, line,
			got ? got : "(null)", want);
	}
	free(got);
}
#define HTML(h, want) html_is((h), (want), __LINE__)

static void test_html(void)
{
	HTML("<html><head><title>T</title><style>p{x:1}</style><script>alert(1)</script></head>"
	     "<body><p>Hello&nbsp;team,</p><p>A &amp; B &lt;c&gt; &quot;d&quot; caf&eacute; &#8364;1 &#x2014;</p>"
	     "<script>document.write('x')</script></body></html>",
	     "Hello team,\n\nA & B <c> \"d\" caf\xc3\xa9 \xe2\x82\xac" "1 \xe2\x80\x94");
	/* links: text (url) when they differ, the url once when they are the same */
	HTML("See <a href=\"https://example.com/x\">the page</a> or <a href=\"https://example.com/y\">"
	     "https://example.com/y</a> or <a href=\"mailto:a@example.com\">a@example.com</a>.",
	     "See the page (https://example.com/x) or https://example.com/y or a@example.com.");
	/* javascript: links are never shown */
	HTML("<a href=\"javascript:alert(1)\">click</a>", "click");
	/* br and blocks as line breaks, runs of blank lines collapsed, whitespace collapsed */
	HTML("<div>one<br>two</div><div>three</div><br><br><br><br><p>  four\n   five </p>",
	     "one\ntwo\nthree\n\nfour five");
	HTML("<ul><li>a</li><li>b</li></ul>", "- a\n- b");
	HTML("<blockquote>quoted<br>text</blockquote>after", "> quoted\n> text\n\nafter");
	HTML("<pre>a  b\n  c</pre>", "a  b\n  c");
	/* never markup: a comment, a CDATA-looking thing, unknown tags */
	HTML("<!-- secret --><x-y>ok</x-y>", "ok");
	{
		/* svg, iframe and object content is dropped; tags never come out as tags */
		const char *h = "<p>a</p><svg><text>s</text></svg><iframe>i</iframe><object>o</object>"
				"<img src=x onerror=alert(1)><b>b</b>";
		char *t = mail_html_to_text(h, strlen(h));
		CHECK_STR(t, "a\n\nb");
		free(t);
	}
	/* control characters from numeric references are dropped */
	HTML("a&#1;b&#x7f;c&#x85;d", "abcd");
	/* invalid UTF-8 and a latin1 meta: the text is valid UTF-8 all the same */
	{
		const char *h = "<meta charset=\"iso-8859-1\"><p>caf\xe9</p>";
		char *t = mail_html_to_text(h, strlen(h));
		CHECK(t && utf8_valid(t, strlen(t)));
		CHECK_STR(t, "caf\xc3\xa9");
		free(t);
	}
	HTML("", "");
	HTML("plain text, no tags", "plain text, no tags");
	/* deep nesting does not recurse without bound */
	{
		size_t n = 20000;
		char *h = malloc(n * 5 + 10);
		size_t o = 0;
		for (size_t i = 0; i < n; i++)
			memcpy(h + o, "<div>", 5), o += 5;
		memcpy(h + o, "deep", 5);
		char *t = mail_html_to_text(h, strlen(h));
		CHECK(t != NULL);
		free(t);
		free(h);
	}
}

/* HTML-only replies: reduced to text, then cut like a text reply */
static void test_html_reply(void)
{
	static const char gmail[] =
		"<div dir=\"ltr\">Still broken.</div><br><div class=\"gmail_quote\"><div dir=\"ltr\" "
		"class=\"gmail_attr\">On Fri, 17 May 2024 at 03:10, Support &lt;<a href=\"mailto:s@example.com\">"
		"s@example.com</a>&gt; wrote:<br></div><blockquote class=\"gmail_quote\">##- Please type your "
		"reply above this line -##<br><br>Olof answered</blockquote></div>";
	static const char outlook[] =
		"<html><head><style>P {margin:0}</style></head><body><div>Thanks, fixed.</div><div>Maria</div>"
		"<hr><div id=\"divRplyFwdMsg\"><b>From:</b> Support &lt;s@example.com&gt;<br><b>Sent:</b> Friday, "
		"May 17, 2024 3:10 AM<br><b>To:</b> Maria<br><b>Subject:</b> answered</div><div>old</div></body></html>";
	char *t, *c;
	int cut;

	t = mail_html_to_text(gmail, sizeof gmail - 1);
	c = t ? mail_cut_quoted(t, &cut) : NULL;
	CHECK_STR(c, "Still broken.");
	free(c);
	free(t);
	t = mail_html_to_text(outlook, sizeof outlook - 1);
	c = t ? mail_cut_quoted(t, &cut) : NULL;
	CHECK_STR(c, "Thanks, fixed.\nMaria");
	free(c);
	free(t);
}

static void test_clean(void)
{
	char *s;

	static const char raw[] = "a\r\nb\rc\nd\0e\x01\x7f\xc2\x85" "f\tg";
	static const char line[] = "  Re:\tthe \r\n subject\x01  \xc2\xa0 here ";

	s = mail_text_clean(raw, sizeof raw - 1);
	CHECK_STR(s, "a\nb\nc\nde" "f\tg");
	free(s);
	s = mail_text_clean("bad \xff\xfe end \xe2\x82", 13);
	CHECK_STR(s, "bad \xef\xbf\xbd\xef\xbf\xbd end \xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	s = mail_text_line(line, sizeof line - 1, 100);
	CHECK_STR(s, "Re: the subject here");
	free(s);
	s = mail_text_line("\xc3\xa5\xc3\xa4\xc3\xb6 abc", 10, 4);
	CHECK_STR(s, "\xc3\xa5\xc3\xa4\xc3\xb6");
	free(s);
	s = mail_text_line("", 0, 10);
	CHECK_STR(s, "");
	free(s);
}

int main(void)
{
	test_cut();
	test_html();
	test_html_reply();
	test_clean();
	return CHECK_DONE("mail_text");
}
