/* test_ip.c: strict parsing of both families, subnet arithmetic, and the number parser. */
#include <arpa/inet.h>

#include "ip.h"
#include "util.h"
#include "unit.h"

static struct prefix P(const char *s)
{
	struct prefix p = {0};
	if (!prefix_parse(s, &p))
		ip_parse(s, &p);
	return p;
}

void test_ip(struct unit *u)
{
	static const char *const good[] = {"0.0.0.0", "10.0.0.1", "255.255.255.255", "192.0.2.10",
					   "::", "fd00::1", "2001:db8:1::2", "::ffff:192.0.2.1", "fe80::1"};
	static const char *const bad[] = {"", "10.0.0", "10.0.0.1.", "10.0.0.256", "010.0.0.1", "1.2.3.4x",
					  "1..2.3", " 1.2.3.4", "1.2.3.-4", "1234.0.0.1", "a.b.c.d",
					  "fd00:::1", "fd00::1::2", "fe80::1%eth0", "12345::1", "fd00::g", ":"};
	struct prefix a;
	char buf[IP_STRLEN];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		bool parsed = ip_parse(good[i], &a);
		CHECK(u, parsed, "ip_parse accepts %s", good[i]);
		CHECK_STR(u, parsed ? ip_str(&a, buf) : "", good[i], "ip_str round-trips %s", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(u, !ip_parse(bad[i], &a), "ip_parse refuses '%s'", bad[i]);
	CHECK(u, ip_parse("10.1.2.3", &a) && a.family == AF_INET && a.len == 32 && a.a[0] == 10 && a.a[3] == 3,
	      "IPv4 in network byte order, full length");
	CHECK(u, ip_parse("fd00::1", &a) && a.family == AF_INET6 && a.len == 128 && a.a[0] == 0xfd && a.a[15] == 1,
	      "IPv6 in network byte order, full length");

	struct prefix p, q;
	CHECK(u, prefix_parse("10.1.2.3/24", &p) && p.len == 24 && p.family == AF_INET, "prefix parses");
	CHECK(u, !prefix_parse("10.1.2.3", &p), "prefix needs a length");
	CHECK(u, !prefix_parse("10.1.2.3/33", &p), "prefix length at most 32");
	CHECK(u, prefix_parse("fd00::1/128", &p) && p.len == 128, "IPv6 prefix length up to 128");
	CHECK(u, !prefix_parse("fd00::1/129", &p), "IPv6 prefix length at most 128");
	CHECK(u, !prefix_parse("10.1.2.3/024", &p), "prefix length: leading zero refused");
	CHECK(u, !prefix_parse("10.1.2.3/08", &p), "prefix length: leading zero refused");
	CHECK(u, !prefix_parse("10.1.2.3/", &p), "prefix length: empty refused");
	CHECK(u, !prefix_parse("10.1.2.3/+8", &p) && !prefix_parse("10.1.2.3/ 8", &p) && !prefix_parse("10.1.2.3/-0", &p),
	      "prefix length: sign and space refused");
	CHECK(u, prefix_parse("10.1.2.3/0", &p) && p.len == 0, "prefix length 0 parses");

	p = P("10.0.0.1/24");
	q = prefix_net(&p);
	CHECK_STR(u, ip_str(&q, buf), "10.0.0.0", "network of /24");
	q = prefix_last(&p);
	CHECK_STR(u, ip_str(&q, buf), "10.0.0.255", "broadcast of /24");
	CHECK(u, prefix_contains(&p, &(struct prefix[]){P("10.0.0.254")}[0]) && !prefix_contains(&p, &(struct prefix[]){P("10.0.1.0")}[0]),
	      "contains");
	q = P("10.0.0.129/25");
	CHECK(u, prefix_overlap(&p, &q) && prefix_overlap(&q, &p), "a /25 inside a /24 overlaps");
	q = P("10.0.1.1/24");
	CHECK(u, !prefix_overlap(&p, &q), "neighbouring /24s do not overlap");
	q = P("::a00:1/120");
	CHECK(u, !prefix_overlap(&p, &q) && !prefix_contains(&q, &(struct prefix[]){P("10.0.0.1")}[0]),
	      "families never overlap");
	p = P("fd00:1:2:3::9/61");
	q = prefix_net(&p);
	CHECK_STR(u, prefix_str(&q, buf), "fd00:1:2::/61", "IPv6 network of a /61 (a partial byte)");
	q = prefix_last(&p);
	CHECK_STR(u, ip_str(&q, buf), "fd00:1:2:7:ffff:ffff:ffff:ffff", "IPv6 last address of a /61");
	CHECK(u, prefix_overlap(&p, &(struct prefix[]){P("fd00:1:2:7::/64")}[0]) &&
		     !prefix_overlap(&p, &(struct prefix[]){P("fd00:1:2:8::/64")}[0]), "IPv6 overlap");

	static const char *const hosts[] = {"10.0.0.0/31", "10.0.0.1/32", "fd00::/127", "fd00::1/64", "2001:db8::5/128"};
	static const char *const not_hosts[] = {"10.0.0.0/24", "10.0.0.255/24", "127.0.0.2/8", "224.0.0.1/4",
						"0.1.2.3/8", "10.0.0.1/0", "fd00::/64", "::/64", "::1/128", "ff02::1/64",
						"fe80::1/64", "::ffff:10.0.0.1/96", "fd00::1/0"};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		p = P(hosts[i]);
		CHECK(u, ip_host_problem(&p) == NULL, "%s is a host address", hosts[i]);
	}
	for (size_t i = 0; i < sizeof(not_hosts) / sizeof(not_hosts[0]); i++) {
		p = P(not_hosts[i]);
		CHECK(u, ip_host_problem(&p) != NULL, "%s is no host address", not_hosts[i]);
	}
	p = P("192.0.2.1/32");
	CHECK_STR(u, prefix_str(&p, buf), "192.0.2.1/32", "prefix_str");

	unsigned n = 7;
	CHECK(u, parse_num("0", 10, &n) && n == 0, "parse_num: 0");
	CHECK(u, parse_num("65535", 65535, &n) && n == 65535, "parse_num: the maximum");
	CHECK(u, !parse_num("65536", 65535, &n) && !parse_num("99999999999999999999", 65535, &n), "parse_num: too big");
	CHECK(u, !parse_num("", 9, &n) && !parse_num("+1", 9, &n) && !parse_num(" 1", 9, &n) &&
		     !parse_num("1 ", 9, &n) && !parse_num("-0", 9, &n) && !parse_num("1x", 9, &n),
	      "parse_num: empty, sign, space, junk refused");
	CHECK(u, parse_num("01500", 65535, &n) && n == 1500, "parse_num: leading zeros are decimal");
}
