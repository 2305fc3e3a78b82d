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

	build(&c, &d, &rs, "bridge.a.address = 10.0.0.1/24\n");
	CHECK(u, !(rs.chains & (1u << CHAIN_POSTROUTING)), "no uplink: no NAT chain");
	free_all(&c, &d, &rs);
}
