/* netaddr.c - classify IPv4 and IPv6 addresses (IANA's special-purpose registries, in short). */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

enum netaddr_kind netaddr_kind_v4(const unsigned char *a)
{
	unsigned b0 = a[0], b1 = a[1], b2 = a[2];
	if (b0 == 0)
		return NETADDR_UNSPECIFIED; /* 0/8: "this network" */
	if (b0 == 127)
		return NETADDR_LOOPBACK;
	if (b0 == 10 || (b0 == 172 && (b1 & 0xf0) == 16) || (b0 == 192 && b1 == 168))
		return NETADDR_PRIVATE;
	if (b0 == 100 && (b1 & 0xc0) == 64)
		return NETADDR_SHARED;
	if (b0 == 169 && b1 == 254)
		return NETADDR_LINK_LOCAL;
	if (b0 >= 224 && b0 <= 239)
		return NETADDR_MULTICAST;
	if (b0 >= 240) /* 240/4 and 255.255.255.255 */
		return NETADDR_RESERVED;
	if ((b0 == 192 && b1 == 0 && (b2 == 0 || b2 == 2)) || /* IETF assignments, TEST-NET-1 */
	    (b0 == 192 && b1 == 88 && b2 == 99) ||            /* 6to4 relay anycast */
	    (b0 == 198 && (b1 & 0xfe) == 18) ||               /* benchmarking 198.18/15 */
	    (b0 == 198 && b1 == 51 && b2 == 100) ||           /* TEST-NET-2 */
	    (b0 == 203 && b1 == 0 && b2 == 113))              /* TEST-NET-3 */
		return NETADDR_RESERVED;
	return NETADDR_PUBLIC;
}

static int zeros(const unsigned char *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i])
			return 0;
	return 1;
}

/* The kind of an IPv4 address carried inside IPv6: its own when not public, else reserved unless
 * the carrier is one that really reaches it (v4-mapped: the socket IS an IPv4 one; NAT64). */
static enum netaddr_kind carried(const unsigned char *v4, int reaches)
{
	enum netaddr_kind k = netaddr_kind_v4(v4);
	return k != NETADDR_PUBLIC || reaches ? k : NETADDR_RESERVED;
}

enum netaddr_kind netaddr_kind_v6(const unsigned char *a)
{
	static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
	if (zeros(a, 10) && a[10] == 0xff && a[11] == 0xff)
		return carried(a + 12, 1); /* ::ffff:a.b.c.d */
	if (memcmp(a, nat64, 12) == 0)
		return carried(a + 12, 1); /* 64:ff9b::a.b.c.d */
	if (zeros(a, 15))
		return a[15] == 0 ? NETADDR_UNSPECIFIED : a[15] == 1 ? NETADDR_LOOPBACK : NETADDR_RESERVED;
	if (zeros(a, 12))
		return carried(a + 12, 0); /* ::a.b.c.d, deprecated */
	if (a[0] == 0xff)
		return NETADDR_MULTICAST;
	if ((a[0] & 0xfe) == 0xfc)
		return NETADDR_UNIQUE_LOCAL;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return NETADDR_LINK_LOCAL;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
		return NETADDR_PRIVATE; /* site-local, deprecated */
	if ((a[0] & 0xe0) != 0x20)
		return NETADDR_RESERVED; /* outside 2000::/3, the global unicast space */
	if (a[0] == 0x20 && a[1] == 0x02)
		return carried(a + 2, 0); /* 6to4 */
	if ((a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) || /* documentation */
	    (a[0] == 0x20 && a[1] == 0x01 && (a[2] & 0xfe) == 0) ||          /* 2001::/23 (Teredo...) */
	    (a[0] == 0x3f && a[1] == 0xff && (a[2] & 0xf0) == 0))              /* documentation 3fff::/20 */
		return NETADDR_RESERVED;
	return NETADDR_PUBLIC;
}

enum netaddr_kind netaddr_kind_sockaddr(const struct sockaddr *sa, size_t len)
{
	if (!sa)
		return NETADDR_INVALID;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
		return netaddr_kind_v4((const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		return netaddr_kind_v6((const unsigned char *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
	return NETADDR_INVALID;
}

enum netaddr_kind netaddr_kind_text(const char *s)
{
	unsigned char a[16];
	char buf[64];
	size_t n = s ? strlen(s) : 0;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']' && n - 2 < sizeof buf) {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
		return inet_pton(AF_INET6, buf, a) == 1 ? netaddr_kind_v6(a) : NETADDR_INVALID;
	}
	if (!s)
		return NETADDR_INVALID;
	if (inet_pton(AF_INET, s, a) == 1)
		return netaddr_kind_v4(a);
	if (inet_pton(AF_INET6, s, a) == 1)
		return netaddr_kind_v6(a);
	return NETADDR_INVALID;
}

const char *netaddr_kind_name(enum netaddr_kind k)
{
	static const char *const names[NETADDR__MAX] = {
		[NETADDR_PUBLIC] = "public",
		[NETADDR_LOOPBACK] = "loopback",
		[NETADDR_PRIVATE] = "private",
		[NETADDR_SHARED] = "shared (carrier-grade NAT)",
		[NETADDR_LINK_LOCAL] = "link-local",
		[NETADDR_UNIQUE_LOCAL] = "unique-local",
		[NETADDR_UNSPECIFIED] = "unspecified",
		[NETADDR_MULTICAST] = "multicast",
		[NETADDR_RESERVED] = "reserved",
		[NETADDR_INVALID] = "not an address",
	};
	return (unsigned)k < NETADDR__MAX ? names[k] : "not an address";
}
