/* settings_test.c - unit tests of lib/settings: installing a cache, host and language lookup,
 * primary hosts, reload signals (stamp), and the strict origin of logout URLs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "settings.h"
#include "str.h"

/* A cache as the loader would hand it over: heap arrays, theme/nav/custom source owned by it. */
struct fixture {
	struct portal *p;
	struct portal_domain *d;
	int np, nd;
};

static struct fixture fixture_new(int np, int nd)
{
	struct fixture f = {calloc((size_t)np, sizeof *f.p), calloc((size_t)nd, sizeof *f.d), np, 0};
	for (int i = 0; i < np; i++) {
		f.p[i].id = i + 1;
		f.p[i].theme = json_object_new_object();
		f.p[i].nav = json_object_new_array();
	}
	return f;
}

static void add_domain(struct fixture *f, int portal, const char *host, const char *lang, int primary)
{
	struct portal_domain *d = &f->d[f->nd++];
	str_copy(d->host, sizeof d->host, host);
	str_copy(d->lang, sizeof d->lang, lang);
	d->is_primary = primary;
	d->portal = &f->p[portal];
}

static void install(struct fixture *f)
{
	settings_install(f->p, f->np, f->d, f->nd);
}

/* The portal and language settings_portal_for_host() gives host, as "<id> <lang>" (id 0: none). */
static const char *lookup(const char *host)
{
	static char out[32];
	const char *lang = "unset";
	const struct portal *p = settings_portal_for_host(host, &lang);
	snprintf(out, sizeof out, "%ld %s", p ? p->id : 0L, lang);
	return out;
}

static void test_empty(void)
{
	CHECK_STR(lookup("help.example.test"), "0 en");
	CHECK(settings_portal_at(0) == NULL);
	CHECK_INT(settings_stale(), 1); /* nothing installed yet */
	CHECK_INT(settings_generation(), 0);
}

static void test_host_lookup(void)
{
	struct fixture f = fixture_new(3, 4);
	f.p[1].is_default = 1;
	f.p[2].page_source[1] = /* any page slot */ strdup("{{custom}}"); /* freed with the cache */
	add_domain(&f, 0, "help.example.test", "de", 1);
	add_domain(&f, 0, "alt.example.test", "fr", 0);
	add_domain(&f, 1, "b.example.test", "nl", 0);
	add_domain(&f, 1, "support.example.test", "sv", 1);
	install(&f);
	CHECK_INT(settings_generation(), 1);
	CHECK_INT(settings_stale(), 0);

	CHECK_STR(lookup("help.example.test"), "1 de");
	/* each domain its own language, whatever the case of the host */
	CHECK_STR(lookup("ALT.Example.Test"), "1 fr");
	CHECK_STR(lookup("b.example.test"), "2 nl");
	/* an unknown, empty or missing host: the default portal in its primary domain's language */
	CHECK_STR(lookup("unknown.example.test"), "2 sv");
	CHECK_STR(lookup(""), "2 sv");
	CHECK_STR(lookup(NULL), "2 sv");
	CHECK_STR(lookup("help.example.test."), "2 sv"); /* exact match only */

	CHECK_STR(settings_primary_host(&f.p[0]), "help.example.test");
	CHECK_STR(settings_primary_host(&f.p[1]), "support.example.test");
	CHECK_STR(settings_primary_host(&f.p[2]), "");
	CHECK_STR(settings_primary_host(NULL), "");
	CHECK(settings_host_matches(&f.p[0], "alt.example.test"));
	CHECK(settings_host_matches(&f.p[0], "HELP.example.test"));
	CHECK(!settings_host_matches(&f.p[1], "help.example.test"));
	CHECK(!settings_host_matches(&f.p[2], "help.example.test"));
	CHECK(!settings_host_matches(NULL, "help.example.test"));
	CHECK(!settings_host_matches(&f.p[0], NULL));

	CHECK(settings_portal_at(0) == &f.p[0]);
	CHECK(settings_portal_at(2) == &f.p[2]);
	CHECK(settings_portal_at(3) == NULL);
	CHECK(settings_portal_at(-1) == NULL);
}

static void test_fallbacks(void)
{
	/* no default portal: the first; no primary domain: the portal's first domain */
	struct fixture f = fixture_new(2, 2);
	add_domain(&f, 1, "one.example.test", "fi", 0);
	add_domain(&f, 1, "two.example.test", "da", 0);
	install(&f); /* frees the previous cache */
	CHECK_INT(settings_generation(), 2);
	CHECK_STR(lookup("elsewhere.example.test"), "1 en"); /* the first portal has no domain */
	CHECK_STR(settings_primary_host(&f.p[1]), "one.example.test");

	/* a default portal without domains answers in English */
	struct fixture g = fixture_new(1, 1);
	g.p[0].is_default = 1;
	install(&g);
	CHECK_STR(lookup("one.example.test"), "1 en");

	settings_free();
	CHECK(settings_portal_at(0) == NULL);
	CHECK_STR(lookup("x"), "0 en");
	CHECK_INT(settings_stale(), 1);

	/* the loader's failure path frees what it built */
	struct fixture h = fixture_new(2, 1);
	h.p[0].page_source[5] = /* any page slot */ strdup("{{x}}");
	settings_free_portals(h.p, h.np);
	free(h.d);
}

static void test_stamp(void)
{
	struct fixture f = fixture_new(1, 1);
	install(&f);
	CHECK_INT(settings_stamp_open("unit test: settings_test"), 0);
	CHECK_INT(settings_stale(), 0);
	settings_stamp_bump(); /* another worker saved settings */
	CHECK_INT(settings_stale(), 1);
	CHECK_INT(settings_stale(), 0);
	settings_stamp_bump();
	settings_stamp_bump();
	CHECK_INT(settings_stale(), 1);
	CHECK_INT(settings_stale(), 0);
	settings_free();
}

/* The origin of url, or "(refused)". */
static const char *origin(const char *url)
{
	static char out[300];
	if (settings_url_origin(url, out, sizeof out) < 0) {
		CHECK_STR(out, "");
		return "(refused)";
	}
	return out;
}

static void test_url_origin(void)
{
	CHECK_STR(origin("https://Login.Example.TEST:8443/logout?x=1"), "https://login.example.test:8443");
	CHECK_STR(origin("http://idp.example.test"), "http://idp.example.test");
	CHECK_STR(origin("https://idp.example.test?next=/"), "https://idp.example.test");
	CHECK_STR(origin("https://idp.example.test:65535/"), "https://idp.example.test:65535");
	CHECK_STR(origin("https://user@idp.example.test/"), "(refused)");
	CHECK_STR(origin("https://[::1]/"), "(refused)");
	CHECK_STR(origin("https://idp.example.test:0/"), "(refused)");
	CHECK_STR(origin("https://idp.example.test:08/"), "(refused)");
	CHECK_STR(origin("https://idp.example.test:65536/"), "(refused)");
	CHECK_STR(origin("https://idp.example.test:/"), "(refused)");
	CHECK_STR(origin("https://.example.test/"), "(refused)");
	CHECK_STR(origin("https://idp..example.test/"), "(refused)");
	CHECK_STR(origin("https://idp.example.test-/"), "(refused)");
	CHECK_STR(origin("https://idp.example.test/#top"), "(refused)");
	CHECK_STR(origin("https://idp.example.test\\evil/"), "(refused)");
	CHECK_STR(origin("ftp://idp.example.test/"), "(refused)");
	CHECK_STR(origin(NULL), "(refused)");
	char small[12] = "x";
	CHECK_INT(settings_url_origin("https://idp.example.test/", small, sizeof small), -1);
	CHECK_STR(small, "");
}

int main(void)
{
	test_empty();
	test_host_lookup();
	test_fallbacks();
	test_stamp();
	test_url_origin();
	settings_free();
	return CHECK_DONE("settings");
}
