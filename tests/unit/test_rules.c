/* test_rules.c: the forward and NAT rules generated for segments, as nft text. */
#include "rules.h"
#include "unit.h"

static void build(struct config *c, struct diag *d, struct ruleset *rs, const char *text)
{
	*c = (struct config){.file = "t.conf"};
	*d = (struct diag){.file = "t.conf"};
	conf_parse(c, text, strlen(text), d);
	conf_validate(c, d);
	rules_build(c, rs);
}

static void free_all(struct config *c, struct diag *d, struct ruleset *rs)
{
	rules_free(rs);
	diag_free(d);
	conf_free(c);
}

/* The prerouting and output chains of the forwards below hold the same rules. */
#define NAT_RULES                                                                                         \
	"\t\tip daddr 10.0.0.1 return\n\t\tip6 daddr fd00::1 return\n\t\tip daddr 10.9.0.1 return\n"         \
	"\t\tip daddr 127.0.0.0/8 return\n\t\tip6 daddr ::1 return\n"                                         \
	"\t\tfib daddr type local ip saddr 192.0.2.0/24 tcp dport 8000 dnat ip to 10.0.0.2:9000\n"             \
	"\t\tfib daddr type local ip saddr 192.0.2.0/24 tcp dport 8001 dnat ip to 10.0.0.2:9001\n"             \
	"\t\tfib daddr type local udp dport 53 dnat ip6 to [fd00::2]:5353\n"

void test_rules(struct unit *u)
{
	struct config c;
	struct diag d;
	struct ruleset rs;
	struct sbuf s = {0};

	build(&c, &d, &rs,
	      "uplink = eth0\nbridge.br0.address = 10.0.0.1/24\nns.red.bridge = br0\nns.red.address = 10.0.0.2/24\n");
	rules_text(&rs, &s);
	CHECK_STR(u, sbuf_str(&s),
		  "\tchain forward {\n"
		  "\t\ttype filter hook forward priority filter; policy accept;\n"
		  "\t\tiifname \"br0\" ct state invalid drop\n"
		  "\t\toifname \"br0\" ct state established,related accept\n"
		  "\t\tiifname \"br0\" oifname \"br0\" accept\n"
		  "\t\toifname \"br0\" drop\n"
		  "\t}\n"
		  "\tchain postrouting {\n"
		  "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		  "\t\toifname \"br0\" accept\n"
		  "\t\tip saddr 10.0.0.0/24 masquerade\n"
		  "\t}\n",
		  "seed config: forward and postrouting rules");
	uint32_t digest = rs.digest;
	char comment[NFT_COMMENT_SIZE];
	rules_comment(&rs, comment);
	CHECK(u, !strncmp(comment, "boxnet ", 7) && strlen(comment) == 15, "comment: boxnet and the digest");
	sbuf_free(&s);
	free_all(&c, &d, &rs);

	build(&c, &d, &rs,
	      "uplink = eth0\nbridge.br0.address = 10.0.0.1/24\nns.red.bridge = br0\nns.red.address = 10.0.0.3/24\n");
	CHECK(u, rs.digest == digest, "the digest depends on the rules only, not on namespace addresses");
	free_all(&c, &d, &rs);

	build(&c, &d, &rs,
	      "uplink = eth0\nbridge.a.address = 10.0.0.1/24\nbridge.a.isolate = no\n"
	      "bridge.b.address = 10.0.1.1/24\nbridge.b.isolate = no\nbridge.b.masquerade = no\n"
	      "bridge.c.address = 10.0.2.1/23\n");
	rules_text(&rs, &s);
	CHECK(u, rs.digest != digest, "other rules, other digest");
	CHECK(u, strstr(sbuf_str(&s), "iifname \"b\" oifname \"a\" accept") &&
		 strstr(sbuf_str(&s), "iifname \"a\" oifname \"b\" accept"),
	      "open segments reach each other both ways");
	CHECK(u, !strstr(sbuf_str(&s), "iifname \"c\" oifname \"a\"") && !strstr(sbuf_str(&s), "iifname \"a\" oifname \"c\""),
	      "an isolated segment is reached by none and reaches none");
	CHECK(u, !strstr(sbuf_str(&s), "10.0.1.0/24 masquerade"), "masquerade = no: no NAT");
	CHECK(u, strstr(sbuf_str(&s), "ip saddr 10.0.2.0/23 masquerade") != NULL, "NAT of a /23");
	/* NAT on every exit but the segments: a failover upstream NATs, segments keep sources */
	CHECK(u, strstr(sbuf_str(&s), "\t\toifname \"a\" accept\n\t\toifname \"b\" accept\n\t\toifname \"c\" accept\n"
				   "\t\tip saddr 10.0.0.0/24 masquerade\n") != NULL,
	      "every segment is exempt from NAT, before any masquerade");
	CHECK(u, !strstr(sbuf_str(&s), "\"eth0\""), "masquerade names no uplink: every other exit NATs");
	sbuf_free(&s);
	free_all(&c, &d, &rs);

	build(&c, &d, &rs,
	      "uplink = eth0\nbridge.br0.address = 10.0.0.1/24 fd00::1/64\nbridge.br0.masquerade = no\n"
	      "ns.web.bridge = br0\nns.web.address = 10.0.0.2/24 fd00::2/64\n"
	      "ns.p.peer = 10.9.0.1/30\nns.p.address = 10.9.0.2/30\n"
	      "forward.a.port = 8000-8001\nforward.a.to = web:9000\nforward.a.from = 192.0.2.0/24\n"
	      "forward.b.port = 53\nforward.b.to = [fd00::2]:5353\nforward.b.proto = udp\n"
	      "allow.x.from = p\nallow.x.to = web\nallow.x.port = 22\nallow.x.proto = tcp\n");
	rules_text(&rs, &s);
	CHECK_STR(u, sbuf_str(&s),
		  "\tchain forward {\n"
		  "\t\ttype filter hook forward priority filter; policy accept;\n"
		  "\t\tct status dnat ip daddr 10.0.0.2 tcp dport 9000-9001 accept\n"
		  "\t\tct status dnat ip6 daddr fd00::2 udp dport 5353 accept\n"
		  "\t\tiifname \"br0\" ct state invalid drop\n"
		  "\t\toifname \"br0\" ct state established,related accept\n"
		  "\t\tiifname \"br0\" oifname \"br0\" accept\n"
		  "\t\tiifname \"bx-p\" oifname \"br0\" ip daddr 10.0.0.2 tcp dport 22 accept\n"
		  "\t\tiifname \"bx-p\" oifname \"br0\" ip6 daddr fd00::2 tcp dport 22 accept\n"
		  "\t\toifname \"br0\" drop\n"
		  "\t\tiifname \"bx-p\" ct state invalid drop\n"
		  "\t\toifname \"bx-p\" ct state established,related accept\n"
		  "\t\toifname \"bx-p\" drop\n"
		  "\t}\n"
		  "\tchain postrouting {\n"
		  "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		  "\t\tct status dnat ip saddr 10.0.0.0/24 ip daddr 10.0.0.0/24 masquerade\n"
		  "\t\tct status dnat ip6 saddr fd00::/64 ip6 daddr fd00::/64 masquerade\n"
		  "\t\toifname \"br0\" accept\n"
		  "\t\toifname \"bx-p\" accept\n"
		  "\t\tip saddr 10.9.0.0/30 masquerade\n"
		  "\t}\n"
		  "\tchain prerouting {\n"
		  "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
		  NAT_RULES
		  "\t}\n"
		  "\tchain output {\n"
		  "\t\ttype nat hook output priority -100; policy accept;\n"
		  NAT_RULES
		  "\t}\n",
		  "forwards: accepted first, hairpin before the NAT exemptions, the box's addresses return, a "
		  "range moved port by port, from of one family; an opening before the segment's drop");
	sbuf_free(&s);
	free_all(&c, &d, &rs);

	build(&c, &d, &rs,
	      "bridge.a.address = 10.0.0.1/24 fd00::1/64\nns.w.bridge = a\nns.w.address = 10.0.0.2/24\n"
	      "bridge.b.address = 10.1.0.1/24\nallow.i.from = b\nallow.i.to = a\nallow.i.proto = icmp\n"
	      "allow.j.from = b\nallow.j.to = w\nallow.j.proto = icmp udp\n");
	rules_text(&rs, &s);
	CHECK(u, strstr(sbuf_str(&s), "\t\tiifname \"b\" oifname \"a\" meta l4proto icmp accept\n"
				   "\t\tiifname \"b\" oifname \"a\" meta l4proto ipv6-icmp accept\n"
				   "\t\tiifname \"b\" oifname \"a\" ip daddr 10.0.0.2 meta l4proto udp accept\n"
				   "\t\tiifname \"b\" oifname \"a\" ip daddr 10.0.0.2 meta l4proto icmp accept\n"
				   "\t\toifname \"a\" drop\n") != NULL,
	      "openings: icmp of each family between segments, of the namespace's families only to one");
	sbuf_free(&s);
	free_all(&c, &d, &rs);

	build(&c, &d, &rs, "bridge.a.address = 10.0.0.1/24\n");
	CHECK(u, !(rs.chains & (1u << CHAIN_POSTROUTING)), "no uplink: no NAT chain");
	free_all(&c, &d, &rs);
}
