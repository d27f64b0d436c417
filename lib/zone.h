/* zone.h - an instant (seconds since 1970, UTC) as the local time of a named IANA time zone, with
 * the zone's abbreviation at that instant (CET in winter, CEST in summer). */
#ifndef PORTAL_ZONE_H
#define PORTAL_ZONE_H

#include <stddef.h>

struct zone_time {
	int year, month, day, hour, minute; /* month 1-12 */
	char abbr[16];                       /* "CET", "UTC", "+03" */
};

/*
 * The local time of epoch in zone ("Europe/Stockholm", "UTC"; names PostgreSQL accepted, which
 * the system's tzdata also knows). The process's TZ is switched only when the zone differs from
 * the previous call's (one tzdata read), so a page in one zone costs one switch. A zone the
 * system does not know reads as UTC. 0, or -1 when the time cannot be represented.
 */
int zone_local(const char *zone, long long epoch, struct zone_time *out);
/* The text of a decimal epoch ("1793711100" or "1793711100.25"), or -1 when malformed. */
int zone_parse_epoch(const char *s, long long *epoch);

#endif
