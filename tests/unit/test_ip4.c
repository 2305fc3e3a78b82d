/* test_ip4.c: strict IPv4 parsing and subnet arithmetic. */
#include "ip4.h"
#include "unit.h"

void test_ip4(struct unit *u)
{
	static const char *const good[] = {"0.0.0.0", "10.0.0.1", "255.255.255.255", "192.0.2.10"};
	static const char *const bad[] = {"", "10.0.0", "10.0.0.1.", "10.0.0.256", "010.0.0.1", "1.2.3.4x",
					  "1..2.3", " 1.2.3.4", "1.2.3.-4", "1234.0.0.1", "a.b.c.d"};
	uint32_t a;
	char buf[IP4_STRLEN];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		bool parsed = ip4_parse(good[i], &a);
		CHECK(u, parsed, "ip4_parse accepts %s", good[i]);
		CHECK_STR(u, parsed ? ip4_str(a, buf) : "", good[i], "ip4_str round-trips %s", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(u, !ip4_parse(bad[i], &a), "ip4_parse refuses '%s'", bad[i]);

	struct prefix p;
	CHECK(u, ip4_parse_prefix("10.1.2.3/24", &p) && p.addr == 0x0a010203 && p.len == 24, "prefix parses");
	CHECK(u, !ip4_parse_prefix("10.1.2.3", &p), "prefix needs a length");
	CHECK(u, !ip4_parse_prefix("10.1.2.3/33", &p), "prefix length at most 32");
	CHECK(u, !ip4_parse_prefix("10.1.2.3/024", &p), "prefix length: three digits refused");
	CHECK(u, !ip4_parse_prefix("10.1.2.3/08", &p), "prefix length: leading zero refused");
	CHECK(u, !ip4_parse_prefix("10.1.2.3/", &p), "prefix length: empty refused");
	CHECK(u, ip4_parse_prefix("10.1.2.3/0", &p) && p.len == 0, "prefix length 0 parses");

	ip4_parse_prefix("10.0.0.1/24", &p);
	CHECK(u, prefix_net(&p) == 0x0a000000 && prefix_bcast(&p) == 0x0a0000ff, "network and broadcast of /24");
	CHECK(u, prefix_contains(&p, 0x0a0000fe) && !prefix_contains(&p, 0x0a000100), "contains");
	struct prefix q;
	ip4_parse_prefix("10.0.0.129/25", &q);
	CHECK(u, prefix_overlap(&p, &q) && prefix_overlap(&q, &p), "a /25 inside a /24 overlaps");
	ip4_parse_prefix("10.0.1.1/24", &q);
	CHECK(u, !prefix_overlap(&p, &q), "neighbouring /24s do not overlap");
	CHECK(u, prefix_mask(0) == 0 && prefix_mask(32) == 0xffffffff, "masks of /0 and /32");

	ip4_parse_prefix("10.0.0.0/24", &p);
	CHECK(u, ip4_host_problem(&p) != NULL, "network address is no host address");
	ip4_parse_prefix("10.0.0.255/24", &p);
	CHECK(u, ip4_host_problem(&p) != NULL, "broadcast address is no host address");
	ip4_parse_prefix("10.0.0.0/31", &p);
	CHECK(u, ip4_host_problem(&p) == NULL, "both addresses of a /31 are hosts");
	ip4_parse_prefix("127.0.0.2/8", &p);
	CHECK(u, ip4_host_problem(&p) != NULL, "loopback refused");
	ip4_parse_prefix("224.0.0.1/4", &p);
	CHECK(u, ip4_host_problem(&p) != NULL, "multicast refused");
	CHECK_STR(u, prefix_str(&(struct prefix){0xc0000201, 32}, buf), "192.0.2.1/32", "prefix_str");
}
