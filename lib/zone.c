/* zone.c - local time and abbreviation of an instant in a named time zone (zone.h). */
#include "zone.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int zone_local(const char *zone, long long epoch, struct zone_time *out)
{
	static char current[80];
	/* a zone's name ("Area/City"), never a path out of the zone files or a POSIX rule */
	if (!zone || !zone[0] || strlen(zone) >= sizeof current - 1 || strchr(zone, ',') || zone[0] == '/' ||
	    strstr(zone, ".."))
		zone = "UTC";
	if (strcmp(current + 1, zone) != 0 || current[0] != ':') {
		current[0] = ':'; /* ":Area/City": a tzdata file, never a POSIX rule string */
		strcpy(current + 1, zone);
		setenv("TZ", current, 1);
		tzset();
	}
	time_t t = (time_t)epoch;
	struct tm tm;
	if (!localtime_r(&t, &tm))
		return -1;
	out->year = tm.tm_year + 1900;
	out->month = tm.tm_mon + 1;
	out->day = tm.tm_mday;
	out->hour = tm.tm_hour;
	out->minute = tm.tm_min;
	if (strftime(out->abbr, sizeof out->abbr, "%Z", &tm) == 0)
		strcpy(out->abbr, "UTC");
	return 0;
}

int zone_parse_epoch(const char *s, long long *epoch)
{
	if (!s || !*s)
		return -1;
	char *end;
	double v = strtod(s, &end);
	if (*end || end == s || v != v || v < -62135596800.0 || v > 253402300799.0)
		return -1;
	long long e = (long long)v;
	if ((double)e > v)
		e--; /* floor for instants before 1970 */
	*epoch = e;
	return 0;
}
