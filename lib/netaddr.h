/* netaddr.h - what kind of IP address this is: may a request made on a stranger's behalf go there?
 * Only NETADDR_PUBLIC addresses are reachable from the internet at large; every other kind is this
 * machine, a private or link-local network, or an address that is never a real destination. IPv6
 * forms that carry an IPv4 address (v4-mapped ::ffff:a.b.c.d, v4-compatible ::a.b.c.d, NAT64
 * 64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::) are judged by the IPv4 address they carry. */
#ifndef PORTAL_NETADDR_H
#define PORTAL_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

enum netaddr_kind {
	NETADDR_PUBLIC,
	NETADDR_LOOPBACK,     /* 127/8, ::1 */
	NETADDR_PRIVATE,      /* 10/8, 172.16/12, 192.168/16, fec0::/10 (old site-local) */
	NETADDR_SHARED,       /* 100.64/10, carrier-grade NAT */
	NETADDR_LINK_LOCAL,   /* 169.254/16 (cloud metadata lives here), fe80::/10 */
	NETADDR_UNIQUE_LOCAL, /* fc00::/7 */
	NETADDR_UNSPECIFIED,  /* 0/8, :: */
	NETADDR_MULTICAST,    /* 224/4, ff00::/8 */
	NETADDR_RESERVED,     /* documentation, benchmarking, 240/4, broadcast, outside 2000::/3 ... */
	NETADDR_INVALID,      /* not an address at all */
	NETADDR__MAX
};

/* a: 4 bytes in network order. */
enum netaddr_kind netaddr_kind_v4(const unsigned char *a);
/* a: 16 bytes in network order. */
enum netaddr_kind netaddr_kind_v6(const unsigned char *a);
/* An AF_INET or AF_INET6 socket address of len bytes; anything else is NETADDR_INVALID. */
enum netaddr_kind netaddr_kind_sockaddr(const struct sockaddr *sa, size_t len);
/* A textual address ("10.0.0.1", "::1", "[::1]"); anything inet_pton refuses is NETADDR_INVALID. */
enum netaddr_kind netaddr_kind_text(const char *s);
/* A short English name of the kind: "public", "loopback", "private", ... */
const char *netaddr_kind_name(enum netaddr_kind k);

#endif
