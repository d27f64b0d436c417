/* netaddr_test.c - unit tests of lib/netaddr: which addresses a webhook may reach (public only). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "netaddr.h"

/* The kind's name of a textual address (names make failures readable). */
static const char *kind(const char *s)
{
	return netaddr_kind_name(netaddr_kind_text(s));
}

static void test_v4(void)
{
	CHECK_STR(kind("127.0.0.1"), "loopback");
	CHECK_STR(kind("127.255.1.2"), "loopback");
	CHECK_STR(kind("10.0.0.1"), "private");
	CHECK_STR(kind("10.255.255.255"), "private");
	CHECK_STR(kind("172.16.0.1"), "private");
	CHECK_STR(kind("172.31.255.254"), "private");
	CHECK_STR(kind("172.15.255.255"), "public");
	CHECK_STR(kind("172.32.0.1"), "public");
	CHECK_STR(kind("192.168.1.5"), "private");
	CHECK_STR(kind("192.169.0.1"), "public");
	CHECK_STR(kind("169.254.169.254"), "link-local");
	CHECK_STR(kind("100.64.0.1"), "shared (carrier-grade NAT)");
	CHECK_STR(kind("100.127.255.255"), "shared (carrier-grade NAT)");
	CHECK_STR(kind("100.63.255.255"), "public");
	CHECK_STR(kind("100.128.0.1"), "public");
	CHECK_STR(kind("0.0.0.0"), "unspecified");
	CHECK_STR(kind("0.1.2.3"), "unspecified");
	CHECK_STR(kind("224.0.0.1"), "multicast");
	CHECK_STR(kind("239.255.255.250"), "multicast");
	CHECK_STR(kind("240.0.0.1"), "reserved");
	CHECK_STR(kind("255.255.255.255"), "reserved");
	CHECK_STR(kind("192.0.2.1"), "reserved");
	CHECK_STR(kind("198.18.0.1"), "reserved");
	CHECK_STR(kind("198.19.255.255"), "reserved");
	CHECK_STR(kind("198.51.100.7"), "reserved");
	CHECK_STR(kind("203.0.113.9"), "reserved");
	CHECK_STR(kind("93.184.216.34"), "public");
	CHECK_STR(kind("8.8.8.8"), "public");
	CHECK_STR(kind("1.1.1.1"), "public");
}

static void test_v6(void)
{
	CHECK_STR(kind("::1"), "loopback");
	CHECK_STR(kind("[::1]"), "loopback");
	CHECK_STR(kind("::"), "unspecified");
	CHECK_STR(kind("::ffff:127.0.0.1"), "loopback");
	CHECK_STR(kind("[::ffff:127.0.0.1]"), "loopback");
	CHECK_STR(kind("::ffff:7f00:1"), "loopback");
	CHECK_STR(kind("::ffff:169.254.169.254"), "link-local");
	CHECK_STR(kind("::ffff:10.1.2.3"), "private");
	CHECK_STR(kind("::ffff:93.184.216.34"), "public");
	CHECK_STR(kind("::127.0.0.1"), "loopback"); /* v4-compatible */
	CHECK_STR(kind("::10.0.0.1"), "private");
	CHECK_STR(kind("::93.184.216.34"), "reserved");
	CHECK_STR(kind("64:ff9b::127.0.0.1"), "loopback");
	CHECK_STR(kind("64:ff9b::93.184.216.34"), "public");
	CHECK_STR(kind("2002:7f00:1::"), "loopback"); /* 6to4 of 127.0.0.1 */
	CHECK_STR(kind("2002:c0a8:0101::1"), "private");
	CHECK_STR(kind("2002:5db8:d822::1"), "reserved");
	CHECK_STR(kind("fe80::1"), "link-local");
	CHECK_STR(kind("febf::1"), "link-local");
	CHECK_STR(kind("fec0::1"), "private");
	CHECK_STR(kind("fc00::1"), "unique-local");
	CHECK_STR(kind("fd12:3456::1"), "unique-local");
	CHECK_STR(kind("ff02::1"), "multicast");
	CHECK_STR(kind("2001:db8::1"), "reserved");
	CHECK_STR(kind("2001::1"), "reserved"); /* Teredo */
	CHECK_STR(kind("3fff::1"), "reserved");
	CHECK_STR(kind("100::1"), "reserved");
	CHECK_STR(kind("::2"), "reserved");
	CHECK_STR(kind("2606:2800::1"), "public");
	CHECK_STR(kind("2a00:1450:4001:81c::200e"), "public");
	CHECK_STR(kind("2001:4860:4860::8888"), "public");
}

static void test_not_addresses(void)
{
	CHECK_INT(netaddr_kind_text(NULL), NETADDR_INVALID);
	CHECK_INT(netaddr_kind_text(""), NETADDR_INVALID);
	CHECK_INT(netaddr_kind_text("[]"), NETADDR_INVALID);
	CHECK_INT(netaddr_kind_text("["), NETADDR_INVALID);
	CHECK_INT(netaddr_kind_text("localhost"), NETADDR_INVALID);
	CHECK_INT(netaddr_kind_text("2130706433"), NETADDR_INVALID); /* a name to inet_pton: resolving is curl's */
	CHECK_INT(netaddr_kind_text("127.1"), NETADDR_INVALID);
	CHECK_INT(netaddr_kind_text("[127.0.0.1]"), NETADDR_INVALID);
	CHECK_INT(netaddr_kind_text("::1%lo"), NETADDR_INVALID);
	CHECK_INT(netaddr_kind_text("[::1"), NETADDR_INVALID);
	CHECK_STR(netaddr_kind_name(NETADDR__MAX), "not an address");
	CHECK_STR(netaddr_kind_name((enum netaddr_kind)-1), "not an address");
}

static void test_sockaddr(void)
{
	struct sockaddr_in s4;
	memset(&s4, 0, sizeof s4);
	s4.sin_family = AF_INET;
	CHECK(inet_pton(AF_INET, "169.254.169.254", &s4.sin_addr) == 1);
	CHECK_INT(netaddr_kind_sockaddr((struct sockaddr *)&s4, sizeof s4), NETADDR_LINK_LOCAL);
	CHECK_INT(netaddr_kind_sockaddr((struct sockaddr *)&s4, sizeof s4 - 1), NETADDR_INVALID);
	CHECK(inet_pton(AF_INET, "93.184.216.34", &s4.sin_addr) == 1);
	CHECK_INT(netaddr_kind_sockaddr((struct sockaddr *)&s4, sizeof s4), NETADDR_PUBLIC);
	struct sockaddr_in6 s6;
	memset(&s6, 0, sizeof s6);
	s6.sin6_family = AF_INET6;
	CHECK(inet_pton(AF_INET6, "::ffff:127.0.0.1", &s6.sin6_addr) == 1);
	CHECK_INT(netaddr_kind_sockaddr((struct sockaddr *)&s6, sizeof s6), NETADDR_LOOPBACK);
	CHECK(inet_pton(AF_INET6, "2606:2800::1", &s6.sin6_addr) == 1);
	CHECK_INT(netaddr_kind_sockaddr((struct sockaddr *)&s6, sizeof s6), NETADDR_PUBLIC);
	s6.sin6_family = AF_UNIX;
	CHECK_INT(netaddr_kind_sockaddr((struct sockaddr *)&s6, sizeof s6), NETADDR_INVALID);
	CHECK_INT(netaddr_kind_sockaddr(NULL, 0), NETADDR_INVALID);
}

int main(void)
{
	test_v4();
	test_v6();
	test_not_addresses();
	test_sockaddr();
	return CHECK_DONE("netaddr");
}
