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
	rules_text(&rs, &s, false);
	CHECK_STR(u, sbuf_str(&s),
		  "\tset segments {\n\t\ttype ifname\n\t\telements = {\n\t\t\t\"br0\",\n\t\t}\n\t}\n"
		  "\tmap into {\n\t\ttype ifname : verdict\n\t\telements = {\n\t\t\t\"br0\" : jump into_br0,\n\t\t}\n\t}\n"
		  "\tchain forward {\n"
		  "\t\ttype filter hook forward priority filter; policy accept;\n"
		  "\t\tct state established,related accept\n"
		  "\t\tct state invalid iifname @segments drop\n"
		  "\t\toifname vmap @into\n"
		  "\t}\n"
		  "\tchain postrouting {\n"
		  "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		  "\t\toifname @segments accept\n"
		  "\t\tip saddr 10.0.0.0/24 masquerade\n"
		  "\t}\n"
		  "\tchain into_br0 {\n"
		  "\t\tiifname \"br0\" accept\n"
		  "\t\tdrop\n"
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
	rules_text(&rs, &s, false);
	CHECK(u, rs.digest != digest, "other rules, other digest");
	CHECK(u, strstr(sbuf_str(&s), "\tset open {\n\t\ttype ifname\n\t\telements = {\n\t\t\t\"a\",\n\t\t\t\"b\",\n\t\t}\n") &&
		 strstr(sbuf_str(&s), "\tchain into_a {\n\t\tiifname \"a\" accept\n\t\tiifname @open accept\n\t\tdrop\n") &&
		 strstr(sbuf_str(&s), "\tchain into_b {\n\t\tiifname \"b\" accept\n\t\tiifname @open accept\n\t\tdrop\n"),
	      "open segments reach each other both ways");
	CHECK(u, strstr(sbuf_str(&s), "\tchain into_c {\n\t\tiifname \"c\" accept\n\t\tdrop\n\t}\n"),
	      "an isolated segment is reached by none and reaches none");
	CHECK(u, !strstr(sbuf_str(&s), "10.0.1.0/24 masquerade"), "masquerade = no: no NAT");
	CHECK(u, strstr(sbuf_str(&s), "ip saddr 10.0.2.0/23 masquerade") != NULL, "NAT of a /23");
	/* NAT on every exit but the segments: a failover upstream NATs, segments keep sources */
	CHECK(u, strstr(sbuf_str(&s), "\t\toifname @segments accept\n\t\tip saddr 10.0.0.0/24 masquerade\n") &&
		 strstr(sbuf_str(&s), "\tset segments {\n\t\ttype ifname\n\t\telements = {\n\t\t\t\"a\",\n\t\t\t\"b\",\n"
				      "\t\t\t\"c\",\n"),
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
	rules_text(&rs, &s, false);
	CHECK_STR(u, sbuf_str(&s),
		  "\tset segments {\n\t\ttype ifname\n\t\telements = {\n\t\t\t\"br0\",\n\t\t\t\"bx-p\",\n\t\t}\n\t}\n"
		  "\tmap into {\n\t\ttype ifname : verdict\n\t\telements = {\n\t\t\t\"br0\" : jump into_br0,\n"
		  "\t\t\t\"bx-p\" : jump into_bx-p,\n\t\t}\n\t}\n"
		  "\tchain forward {\n"
		  "\t\ttype filter hook forward priority filter; policy accept;\n"
		  "\t\tct state established,related accept\n"
		  "\t\tct state invalid iifname @segments drop\n"
		  "\t\tct status dnat jump forwards\n"
		  "\t\toifname vmap @into\n"
		  "\t}\n"
		  "\tchain postrouting {\n"
		  "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		  "\t\tct status dnat ip saddr 10.0.0.0/24 ip daddr 10.0.0.0/24 masquerade\n"
		  "\t\tct status dnat ip6 saddr fd00::/64 ip6 daddr fd00::/64 masquerade\n"
		  "\t\toifname @segments accept\n"
		  "\t\tip saddr 10.9.0.0/30 masquerade\n"
		  "\t}\n"
		  "\tchain prerouting {\n"
		  "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
		  NAT_RULES
		  "\t}\n"
		  "\tchain output {\n"
		  "\t\ttype nat hook output priority -100; policy accept;\n"
		  NAT_RULES
		  "\t}\n"
		  "\tchain forwards {\n"
		  "\t\tip daddr 10.0.0.2 tcp dport 9000-9001 accept\n"
		  "\t\tip6 daddr fd00::2 udp dport 5353 accept\n"
		  "\t}\n"
		  "\tchain into_br0 {\n"
		  "\t\tiifname \"br0\" accept\n"
		  "\t\tiifname \"bx-p\" ip daddr 10.0.0.2 tcp dport 22 accept\n"
		  "\t\tiifname \"bx-p\" ip6 daddr fd00::2 tcp dport 22 accept\n"
		  "\t\tdrop\n"
		  "\t}\n"
		  "\tchain into_bx-p {\n"
		  "\t\tdrop\n"
		  "\t}\n",
		  "forwards: accepted in their chain for ct status dnat, hairpin before the NAT exemptions, the box's "
		  "addresses return, a range moved port by port, from of one family; an opening before the "
		  "segment's drop");
	sbuf_free(&s);
	free_all(&c, &d, &rs);

	build(&c, &d, &rs,
	      "bridge.a.address = 10.0.0.1/24 fd00::1/64\nns.w.bridge = a\nns.w.address = 10.0.0.2/24\n"
	      "bridge.b.address = 10.1.0.1/24\nallow.i.from = b\nallow.i.to = a\nallow.i.proto = icmp\n"
	      "allow.j.from = b\nallow.j.to = w\nallow.j.proto = icmp udp\n");
	rules_text(&rs, &s, false);
	CHECK(u, strstr(sbuf_str(&s), "\tchain into_a {\n\t\tiifname \"a\" accept\n"
				   "\t\tiifname \"b\" meta l4proto icmp accept\n"
				   "\t\tiifname \"b\" meta l4proto ipv6-icmp accept\n"
				   "\t\tiifname \"b\" ip daddr 10.0.0.2 meta l4proto udp accept\n"
				   "\t\tiifname \"b\" ip daddr 10.0.0.2 meta l4proto icmp accept\n"
				   "\t\tdrop\n") != NULL,
	      "openings: icmp of each family between segments, of the namespace's families only to one");
	sbuf_free(&s);
	free_all(&c, &d, &rs);

	build(&c, &d, &rs, "bridge.a.address = 10.0.0.1/24\n");
	CHECK(u, !(rs.chains & (1u << CHAIN_POSTROUTING)), "no uplink: no NAT chain");
	free_all(&c, &d, &rs);

	/* A packet's cost and the table's size: 1 and 300 open bridges. */
	size_t forward[2] = {0, 0}, total[2] = {0, 0};
	for (int k = 0; k < 2; k++) {
		struct sbuf t = {0};
		sbuf_addf(&t, "uplink = eth0\n");
		for (int i = 0; i < (k ? 300 : 1); i++)
			sbuf_addf(&t, "bridge.b%d.address = 10.%d.%d.1/24\nbridge.b%d.isolate = no\n", i, 10 + i / 256, i % 256, i);
		build(&c, &d, &rs, sbuf_str(&t));
		for (size_t i = 0; i < rs.n; i++)
			forward[k] += rs.v[i].chain == CHAIN_FORWARD;
		total[k] = rs.n;
		free_all(&c, &d, &rs);
		sbuf_free(&t);
	}
	CHECK(u, forward[0] == 3 && forward[1] == 3, "the forward chain: 3 rules for 1 open bridge and for 300 (%zu, %zu)",
	      forward[0], forward[1]);
	/* each: masquerade, into_b (neighbours, the open set, drop); and 2 in postrouting and forward */
	CHECK(u, total[1] == 3 + 1 + 300 * 4, "300 open bridges: 1204 rules, linear (%zu)", total[1]);
	/* offload = yes: the flowtable and its rules in the full text (the digest's); plan's text
	 * for nft -f leaves both to the step that adds the devices */
	build(&c, &d, &rs, "uplink = eth0\noffload = yes\nbridge.br0.address = 10.0.0.1/24\n");
	rules_text(&rs, &s, false);
	CHECK(u, strstr(sbuf_str(&s), "\tflowtable ft {\n\t\thook ingress priority filter\n\t}\n") &&
		     strstr(sbuf_str(&s), "\t\ttype filter hook forward priority filter; policy accept;\n"
					   "\t\tiifname @segments flow add @ft\n\t\toifname @segments flow add @ft\n"
					   "\t\tct state established,related accept\n"),
	      "offload: flowtable ft, and flow add rules first in forward");
	uint32_t with = rs.digest;
	s.len = 0;
	rules_text(&rs, &s, true);
	CHECK(u, !strstr(sbuf_str(&s), "flowtable") && !strstr(sbuf_str(&s), "flow add"),
	      "offload: the text for nft -f has neither");
	sbuf_free(&s);
	free_all(&c, &d, &rs);
	build(&c, &d, &rs, "uplink = eth0\noffload = no\nbridge.br0.address = 10.0.0.1/24\n");
	CHECK(u, rs.digest != with && !rs.offload, "offload = no: another digest, no flowtable");
	free_all(&c, &d, &rs);
}
