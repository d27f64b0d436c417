/* zone_test.c - unit tests of lib/zone: an instant's local time and abbreviation in named zones,
 * across summer time, and the epoch texts PostgreSQL gives. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "zone.h"

static void test_local(void)
{
	struct zone_time z;
	/* 2026-01-15 12:00 UTC and 2026-07-01 12:00 UTC */
	CHECK_INT(zone_local("Europe/Stockholm", 1768478400LL, &z), 0);
	CHECK_INT(z.year, 2026);
	CHECK_INT(z.month, 1);
	CHECK_INT(z.day, 15);
	CHECK_INT(z.hour, 13);
	CHECK_INT(z.minute, 0);
	CHECK_STR(z.abbr, "CET");
	CHECK_INT(zone_local("Europe/Stockholm", 1782907200LL, &z), 0);
	CHECK_INT(z.hour, 14);
	CHECK_STR(z.abbr, "CEST");
	CHECK_INT(zone_local("America/New_York", 1782907200LL, &z), 0);
	CHECK_INT(z.hour, 8);
	CHECK_STR(z.abbr, "EDT");
	CHECK_INT(zone_local("UTC", 1782907200LL, &z), 0);
	CHECK_INT(z.hour, 12);
	CHECK_STR(z.abbr, "UTC");
	/* back to a zone used before: switched again, not left at the last one */
	CHECK_INT(zone_local("Europe/Stockholm", 1768478400LL, &z), 0);
	CHECK_STR(z.abbr, "CET");
	/* nothing, or a POSIX rule string, reads as UTC */
	CHECK_INT(zone_local("", 1782907200LL, &z), 0);
	CHECK_STR(z.abbr, "UTC");
	CHECK_INT(zone_local("EST5EDT,M3.2.0,M11.1.0", 1782907200LL, &z), 0);
	CHECK_STR(z.abbr, "UTC");
}

static void test_epoch(void)
{
	long long e = 0;
	CHECK_INT(zone_parse_epoch("1782907200", &e), 0);
	CHECK_INT(e, 1782907200LL);
	CHECK_INT(zone_parse_epoch("1782907200.75", &e), 0);
	CHECK_INT(e, 1782907200LL);
	CHECK_INT(zone_parse_epoch("-0.5", &e), 0);
	CHECK_INT(e, -1);
	CHECK_INT(zone_parse_epoch("", &e), -1);
	CHECK_INT(zone_parse_epoch(NULL, &e), -1);
	CHECK_INT(zone_parse_epoch("2026-01-15 12:00", &e), -1);
	CHECK_INT(zone_parse_epoch("nan", &e), -1);
}

int main(void)
{
	test_local();
	test_epoch();
	return CHECK_DONE("zone");
}
