/* test_conf.c: every key reaches its field; defaults and derived values after validation, for
 * both address families. */
#include <stdlib.h>

#include "conf.h"
#include "unit.h"

/* Is p the address (with prefix length) that text says? */
static bool is_addr(const struct prefix *p, const char *text)
{
	char buf[IP_STRLEN];
	return !strcmp(prefix_str(p, buf), text);
}

static unsigned load(struct config *c, struct diag *d, const char *text)
{
	*c = (struct config){.file = "t.conf"};
	*d = (struct diag){.file = "t.conf"};
	conf_parse(c, text, strlen(text), d);
	conf_validate(c, d);
	return d->errors;
}

static void done(struct config *c, struct diag *d)
{
	diag_free(d);
	conf_free(c);
}

static const char *first_error(struct diag *d)
{
	return d->n ? d->msgs[0].text : "";
}

static void test_every_key(struct unit *u)
{
	struct config c;
	struct diag d;
	unsigned errors = load(&c, &d,
			       "uplink = wan0   # the WAN port\n"
			       "\n"
			       "bridge.lan.address = 10.0.0.1/24 10.0.1.1/24\n"
			       "bridge.lan.masquerade = No\n"
			       "bridge.lan.isolate = off\n"
			       "bridge.lan.mtu = 1400\n"
			       "ns.app.bridge = lan\n"
			       "ns.app.address = 10.0.1.5/24\n"
			       "ns.app.ifname = net0\n"
			       "ns.app.hostif = app-host\n"
			       "\tns.p2p.peer=10.9.0.1/30\r\n"
			       "ns.p2p.address = 10.9.0.2/30\n"
			       "ns.p2p.gateway = none\n"
			       "ns.p2p.masquerade = TRUE\n"
			       "ns.p2p.isolate = 0\n"
			       "ns.p2p.mtu = 9000\n"
			       "ns.gw.peer = 10.8.0.1/29\n"
			       "ns.gw.address = 10.8.0.2/29\n"
			       "ns.gw.gateway = 10.8.0.3\n");
	CHECK(u, errors == 0, "a config with every key validates (%s)", first_error(&d));
	CHECK_STR(u, c.uplink, "wan0", "uplink");
	CHECK(u, c.objs[KIND_BRIDGE].n == 1 && c.objs[KIND_NS].n == 3, "one bridge, three namespaces");
	struct bridge *b = conf_bridge(&c, "lan");
	CHECK(u, b && b->addrs.n == 2 && is_addr(&b->addrs.v[1], "10.0.1.1/24"), "bridge addresses");
	CHECK(u, b && b->masquerade == 0 && b->isolate == 0 && b->mtu == 1400, "bridge masquerade, isolate, mtu");
	struct netns *app = conf_ns(&c, "app"), *p2p = conf_ns(&c, "p2p"), *gw = conf_ns(&c, "gw");
	CHECK(u, app && app->bridge == b, "ns bridge resolves");
	CHECK_STR(u, app ? app->ifname : "", "net0", "ns ifname");
	CHECK_STR(u, app ? app->hostif : "", "app-host", "ns hostif");
	CHECK(u, app && is_addr(&app->gateway[FAM_V4], "10.0.1.1/32") && !app->gateway[FAM_V6].family, "gateway defaults to the bridge address in the same subnet");
	CHECK(u, app && app->mtu == 1400, "a bridged namespace inherits the bridge's MTU");
	CHECK(u, p2p && p2p->has_peer && p2p->peer.n == 1 && is_addr(&p2p->peer.v[0], "10.9.0.1/30"), "ns peer");
	CHECK(u, p2p && !p2p->gateway[FAM_V4].family && !p2p->gateway[FAM_V6].family, "gateway none");
	CHECK(u, p2p && p2p->masquerade == MASQ_ALL && p2p->isolate == 0 && p2p->mtu == 9000, "peer masquerade, isolate, mtu");
	CHECK_STR(u, p2p ? p2p->hostif : "", "bx-p2p", "hostif defaults to bx-NAME");
	CHECK_STR(u, p2p ? p2p->ifname : "", "eth0", "ifname defaults to eth0");
	CHECK(u, gw && is_addr(&gw->gateway[FAM_V4], "10.8.0.3/32"), "explicit gateway");
	CHECK(u, gw && gw->masquerade == MASQ_ALL && gw->isolate == 1, "peer defaults: masquerade with an uplink, isolated");
	CHECK(u, c.nsegs == 3, "three segments: the bridge and two peers");
	CHECK(u, c.forwarding[FAM_V4] && !c.forwarding[FAM_V6], "forwarding is needed, for IPv4 only");
	done(&c, &d);
}

static void test_defaults(struct unit *u)
{
	struct config c;
	struct diag d;
	load(&c, &d, "bridge.br0.address = 10.0.0.1/24\nns.a.bridge = br0\nns.a.address = 10.0.0.2/24\n");
	struct bridge *b = conf_bridge(&c, "br0");
	CHECK(u, d.errors == 0 && b && b->masquerade == 0 && b->isolate == 1,
	      "without an uplink: no masquerade, isolated");
	CHECK(u, !c.forwarding[FAM_V4] && !c.forwarding[FAM_V6], "one isolated segment without an uplink routes nothing");
	done(&c, &d);

	load(&c, &d, "bridge.a.address = 10.0.0.1/24\nbridge.b.address = 10.0.1.1/24\n"
		     "bridge.a.isolate = no\nbridge.b.isolate = no\n");
	CHECK(u, d.errors == 0 && c.forwarding[FAM_V4], "two open segments need forwarding");
	done(&c, &d);

	load(&c, &d, "uplink = eth0\nbridge.a.address = 10.0.0.1/24\n");
	CHECK(u, d.errors == 0 && c.forwarding[FAM_V4] && conf_bridge(&c, "a")->masquerade == MASQ_ALL,
	      "an uplink and a routed segment: masquerade and forwarding");
	done(&c, &d);

	load(&c, &d, "uplink = eth0\nbridge.a.mtu = 1400\n");
	CHECK(u, d.errors == 0 && !c.forwarding[FAM_V4] && !c.forwarding[FAM_V6], "a bridge without addresses routes nothing");
	done(&c, &d);
}

static void test_errors(struct unit *u)
{
	struct config c;
	struct diag d;
	load(&c, &d, "ns.a.adress = 10.0.0.2/24\n");
	CHECK(u, d.errors >= 1 && strstr(first_error(&d), "did you mean 'address'"), "misspelt key gets a hint");
	done(&c, &d);

	load(&c, &d, "bridge.b.address = 10.0.0.1/24 10.0.0.300/24 nonsense\n");
	CHECK(u, d.errors == 2 && d.msgs[0].line == 1, "each bad list item is reported (%u)", d.errors);
	done(&c, &d);

	load(&c, &d, "uplink = a\nuplink = a\n");
	CHECK(u, d.errors == 1 && d.msgs[0].line == 2 && strstr(first_error(&d), "line 1"),
	      "a duplicate key names the first line");
	done(&c, &d);

	/* A bad bridge address must not cascade into errors about its namespaces. */
	load(&c, &d, "bridge.b.address = 10.0.0.1/33\nns.a.bridge = b\nns.a.address = 10.0.0.2/24\n");
	CHECK(u, d.errors == 1, "no cascade from a bad bridge address (%u errors)", d.errors);
	done(&c, &d);

	static const char nul[] = "ns.a.bridge = b\0x\n";
	c = (struct config){.file = "t.conf"};
	d = (struct diag){.file = "t.conf"};
	conf_parse(&c, nul, sizeof(nul) - 1, &d);
	CHECK(u, d.errors >= 1 && strstr(first_error(&d), "NUL"), "a NUL byte is an error");
	done(&c, &d);
}

static void test_names(struct unit *u)
{
	CHECK(u, name_problem("eth0", 4) == NULL, "eth0 is a name");
	CHECK(u, name_problem("br-lan.100", 10) == NULL, "br-lan.100 is a name");
	CHECK(u, name_problem("123456789012345", 15) == NULL, "15 bytes is a name");
	CHECK(u, name_problem("1234567890123456", 16) != NULL, "16 bytes is not");
	CHECK(u, name_problem("", 0) != NULL, "empty is not");
	CHECK(u, name_problem(".", 1) && name_problem("..", 2), ". and .. are not");
	CHECK(u, name_problem("a/b", 3) && name_problem("a%d", 3) && name_problem("a:b", 3) &&
		 name_problem("a b", 3) && name_problem("a$b", 3),
	      "/ %% : space $ are not allowed");
}


/* ---- dual stack ---- */

/* Is g the gateway text says (an address, or "" for none)? */
static bool is_gw(const struct prefix *g, const char *text)
{
	char buf[IP_STRLEN];
	return *text ? g->family && !strcmp(ip_str(g, buf), text) : !g->family;
}

/* The one error of a config: its line and a piece of its text. */
static void check_error(struct unit *u, const char *text, unsigned line, const char *piece, const char *what)
{
	struct config c;
	struct diag d;
	load(&c, &d, text);
	CHECK(u, d.errors == 1 && d.msgs[0].line == line && strstr(first_error(&d), piece),
	      "%s: one error, on line %u, saying '%s' (%u: %s)", what, line, piece, d.errors, first_error(&d));
	done(&c, &d);
}

static void test_dual_stack_keys(struct unit *u)
{
	struct config c;
	struct diag d;
	unsigned errors = load(&c, &d,
			       "uplink = eth0\n"
			       "bridge.lan.address = 172.30.0.1/24 fd00:30::1/64 fd00:31::1/64\n"
			       "ns.web.bridge = lan\n"
			       "ns.web.address = 172.30.0.2/24 fd00:30::2/64\n"
			       "ns.v6.bridge = lan\n"
			       "ns.v6.address = fd00:31::5/64\n"
			       "ns.one.bridge = lan\n"
			       "ns.one.address = fd00:31::6/64 172.30.0.6/24 fd00:30::6/64\n"
			       "ns.one.gateway = fd00:30::2\n"
			       "ns.other.bridge = lan\n"
			       "ns.other.address = 172.30.0.7/24 fd00:30::7/64\n"
			       "ns.other.gateway = 172.30.0.2\n"
			       "ns.both.bridge = lan\n"
			       "ns.both.address = 172.30.0.8/24 fd00:30::8/64\n"
			       "ns.both.gateway = fd00:30::2 172.30.0.2\n"
			       "ns.off.bridge = lan\n"
			       "ns.off.address = 172.30.0.9/24 fd00:30::9/64\n"
			       "ns.off.gateway = none\n"
			       "ns.db.peer = 10.1.0.1/30 fd00:1::1/64\n"
			       "ns.db.address = fd00:1::2/64 10.1.0.2/30\n"
			       "ns.p127.peer = fd00:7::/127\n"
			       "ns.p127.address = fd00:7::1/127\n"
			       "ns.p127.gateway = fd00:7::\n");
	CHECK(u, errors == 0, "a dual-stack config validates (%s)", first_error(&d));
	struct bridge *b = conf_bridge(&c, "lan");
	CHECK(u, b && b->addrs.n == 3 && b->addrs.v[0].family == AF_INET && b->addrs.v[1].family == AF_INET6 &&
		 is_addr(&b->addrs.v[2], "fd00:31::1/64"), "a bridge's addresses of both families, in order");
	struct netns *web = conf_ns(&c, "web"), *v6 = conf_ns(&c, "v6"), *one = conf_ns(&c, "one"),
		     *other = conf_ns(&c, "other"), *both = conf_ns(&c, "both"), *off = conf_ns(&c, "off"),
		     *db = conf_ns(&c, "db"), *p127 = conf_ns(&c, "p127");
	CHECK(u, web && is_gw(&web->gateway[FAM_V4], "172.30.0.1") && is_gw(&web->gateway[FAM_V6], "fd00:30::1") &&
		 web->gateway[FAM_V6].len == 128, "default gateways: the bridge's address of each family, a full-length prefix");
	CHECK(u, v6 && is_gw(&v6->gateway[FAM_V4], "") && is_gw(&v6->gateway[FAM_V6], "fd00:31::1"),
	      "an IPv6-only namespace: no IPv4 gateway, the IPv6 one in its own subnet (the bridge's second)");
	CHECK(u, one && is_gw(&one->gateway[FAM_V6], "fd00:30::2") && is_gw(&one->gateway[FAM_V4], "172.30.0.1"),
	      "an IPv6 gateway given: IPv4 keeps its default");
	CHECK(u, other && is_gw(&other->gateway[FAM_V4], "172.30.0.2") && is_gw(&other->gateway[FAM_V6], "fd00:30::1"),
	      "an IPv4 gateway given: IPv6 keeps its default");
	CHECK(u, both && is_gw(&both->gateway[FAM_V4], "172.30.0.2") && is_gw(&both->gateway[FAM_V6], "fd00:30::2"),
	      "one gateway per family given, in either order");
	CHECK(u, off && is_gw(&off->gateway[FAM_V4], "") && is_gw(&off->gateway[FAM_V6], ""), "gateway none: none for either family");
	CHECK(u, db && db->has_peer && db->peer.n == 2 && is_addr(&db->peer.v[1], "fd00:1::1/64"), "a peer of each family");
	CHECK(u, db && is_gw(&db->gateway[FAM_V4], "10.1.0.1") && is_gw(&db->gateway[FAM_V6], "fd00:1::1"),
	      "a peer namespace's default gateways: the host end's address of each family");
	CHECK(u, p127 && is_gw(&p127->gateway[FAM_V6], "fd00:7::"), "a /127 peer: its first address is a gateway");
	CHECK(u, c.forwarding[FAM_V4] && c.forwarding[FAM_V6], "both families routed: forwarding for both");
	size_t peer_seg = c.nsegs;
	for (size_t i = 0; i < c.nsegs; i++)
		if (!strcmp(c.segs[i].ifname, "bx-db"))
			peer_seg = i;
	CHECK(u, peer_seg < c.nsegs && c.segs[peer_seg].nnets == 2, "the peer segment holds both families' subnets");
	done(&c, &d);
}

static void test_masquerade(struct unit *u)
{
	static const struct {
		const char *value;
		int mask;
	} values[] = {
		{"yes", MASQ_ALL}, {"no", 0}, {"ipv4", MASQ_V4}, {"ipv6", MASQ_V6}, {"IPv4", MASQ_V4},
		{"IPV6", MASQ_V6}, {"True", MASQ_ALL}, {"off", 0}, {"1", MASQ_ALL}, {"0", 0},
	};
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		struct config c;
		struct diag d;
		char text[256];
		snprintf(text, sizeof(text),
			 "uplink = eth0\nbridge.b.address = 10.0.0.1/24 fd00::1/64\nbridge.b.masquerade = %s\n"
			 "ns.p.peer = 10.1.0.1/30 fd00:1::1/64\nns.p.masquerade = %s\n",
			 values[i].value, values[i].value);
		load(&c, &d, text);
		struct bridge *b = conf_bridge(&c, "b");
		struct netns *p = conf_ns(&c, "p");
		CHECK(u, d.errors == 0 && b && b->masquerade == values[i].mask && p && p->masquerade == values[i].mask,
		      "masquerade = %s: bridge %d, peer %d, expected %d (%s)", values[i].value, b ? b->masquerade : -2,
		      p ? p->masquerade : -2, values[i].mask, first_error(&d));
		CHECK(u, c.nsegs == 2 && (int)c.segs[0].masquerade == values[i].mask &&
			 (int)c.segs[1].masquerade == values[i].mask, "masquerade = %s reaches both segments", values[i].value);
		done(&c, &d);
	}
	struct config c;
	struct diag d;
	load(&c, &d, "uplink = eth0\nbridge.b.address = 10.0.0.1/24 fd00::1/64\nns.p.peer = fd00:1::1/64\n");
	CHECK(u, d.errors == 0 && conf_bridge(&c, "b")->masquerade == MASQ_ALL && conf_ns(&c, "p")->masquerade == MASQ_ALL,
	      "masquerade defaults to both families with an uplink");
	done(&c, &d);
	load(&c, &d, "bridge.b.address = 10.0.0.1/24 fd00::1/64\nns.p.peer = fd00:1::1/64\n");
	CHECK(u, d.errors == 0 && conf_bridge(&c, "b")->masquerade == 0 && conf_ns(&c, "p")->masquerade == 0,
	      "and to none without one");
	done(&c, &d);

	check_error(u, "uplink = eth0\nbridge.b.address = fd00::1/64\nbridge.b.masquerade = ipv5\n", 3,
		    "bad masquerade for bridge.b.masquerade: 'ipv5'", "masquerade = ipv5");
	check_error(u, "uplink = eth0\nns.p.peer = fd00::1/64\nns.p.masquerade = v6\n", 3, "'v6'", "masquerade = v6");
	check_error(u, "uplink = eth0\nns.p.peer = fd00::1/64\nns.p.masquerade = ipv4 ipv6\n", 3, "'ipv4 ipv6'",
		    "masquerade = ipv4 ipv6 (yes says both)");
	check_error(u, "bridge.b.address = fd00::1/64\nbridge.b.masquerade = ipv6\n", 2,
		    "masquerade needs an uplink in bridge.b.masquerade: 'ipv6'", "masquerade = ipv6 without an uplink");
	check_error(u, "ns.p.peer = 10.1.0.1/30\nns.p.masquerade = IPv4\n", 2,
		    "masquerade needs an uplink in ns.p.masquerade: 'IPv4'", "masquerade = IPv4 without an uplink");
}

static void test_forwarding_per_family(struct unit *u)
{
	static const struct {
		const char *text;
		bool v4, v6;
		const char *what;
	} cases[] = {
		{"uplink = eth0\nbridge.a.address = 10.0.0.1/24\n", true, false, "IPv4 only with an uplink: IPv4 only"},
		{"uplink = eth0\nbridge.a.address = fd00::1/64\n", false, true, "an IPv6-only bridge with an uplink: IPv6 only"},
		{"uplink = eth0\nns.p.peer = fd00::1/64\nbridge.a.address = 10.0.0.1/24\n", true, true,
		 "an IPv4 bridge and an IPv6 peer with an uplink: both"},
		{"bridge.a.address = fd00::1/64\n", false, false, "one isolated IPv6 segment without an uplink: neither"},
		{"bridge.a.address = fd00:1::1/64 10.0.1.1/24\nbridge.a.isolate = no\n"
		 "bridge.b.address = fd00:2::1/64\nbridge.b.isolate = no\n", false, true,
		 "two open segments with IPv6, one with IPv4, no uplink: IPv6 only"},
		{"uplink = eth0\nbridge.a.mtu = 1400\nns.x.bridge = a\nns.x.address = fd00::2/64\n", false, false,
		 "IPv6 on a layer-2 bridge's namespace only: nothing routed"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct config c;
		struct diag d;
		load(&c, &d, cases[i].text);
		CHECK(u, d.errors == 0 && c.forwarding[FAM_V4] == cases[i].v4 && c.forwarding[FAM_V6] == cases[i].v6,
		      "forwarding: %s (got IPv4 %d, IPv6 %d; %s)", cases[i].what, c.forwarding[FAM_V4],
		      c.forwarding[FAM_V6], first_error(&d));
		done(&c, &d);
	}
}

/* The per-family checks: each IPv4 rule holds for IPv6, and families never clash. */
static void test_family_checks(struct unit *u)
{
	static const char br[] = "bridge.b.address = 10.0.0.1/24 fd00::1/64\nns.a.bridge = b\n";
	char text[512];
#define WITH_BR(tail) (snprintf(text, sizeof(text), "%s%s", br, tail), text)
	check_error(u, WITH_BR("ns.a.address = 10.0.0.2/24 fd00:1::2/64\n"), 3,
		    "address outside bridge b's subnet in ns.a.address: 'fd00:1::2/64'", "an IPv6 address outside the bridge's subnet");
	check_error(u, WITH_BR("ns.a.address = 10.0.0.2/24 fd00::2/48\n"), 3,
		    "prefix length differs from bridge b's subnet in ns.a.address: 'fd00::2/48' (expected /64, as in fd00::1/64)",
		    "an IPv6 prefix length other than the bridge's");
	check_error(u, WITH_BR("ns.a.address = 10.0.0.2/24 fd00::2/64\nns.a.gateway = fd00::2\n"), 4,
		    "it is the namespace's own address", "an IPv6 gateway that is the namespace's own address");
	check_error(u, WITH_BR("ns.a.address = 10.0.0.2/24 fd00::2/64\nns.a.gateway = fd00::\n"), 4,
		    "bad gateway for ns.a.gateway: 'fd00::'", "an IPv6 gateway that is the subnet's first address");
	check_error(u, WITH_BR("ns.a.address = 10.0.0.2/24 fd00::2/64\nns.a.gateway = fd00:5::1\n"), 4,
		    "not in a local subnet", "an IPv6 gateway outside the namespace's subnets");
	check_error(u, WITH_BR("ns.a.address = 10.0.0.2/24\nns.a.gateway = fd00::1\n"), 4,
		    "bad gateway for ns.a.gateway: 'fd00::1'", "an IPv6 gateway for a namespace without IPv6");
	check_error(u, WITH_BR("ns.a.address = 10.0.0.2/24 fd00::2/64\nns.a.gateway = fd00::1 fd00::3\n"), 4,
		    "more than one IPv6 gateway in ns.a.gateway: 'fd00::3' (already fd00::1", "two IPv6 gateways");
	/* (The message quotes the address as boxnet prints it, not as the file spells it.) */
	check_error(u, WITH_BR("ns.a.address = 10.0.0.2/24 fd00::2/64\nns.c.bridge = b\nns.c.address = fd00:0::02/64\n"), 5,
		    "already in ns.a.address on line 3", "an IPv6 address used twice, written differently");
	check_error(u, "uplink = eth0\nns.p.peer = fd00:1::1/64 10.0.0.1/30 fd00:2::1/64\n", 2,
		    "more than one IPv6 address in ns.p.peer: 'fd00:2::1/64' (already fd00:1::1", "two IPv6 peers");
	check_error(u, "bridge.x.address = fd00:1::1/48\nbridge.y.address = 10.0.0.1/24 fd00:1:0:9::1/64\n", 2,
		    "subnet overlaps another segment's in bridge.y.address: 'fd00:1:0:9::1/64' (fd00:1::/48 of bridge.x.address on line 1",
		    "overlapping IPv6 subnets");
	check_error(u, "uplink = eth0\nns.p.peer = fd00:1::1/64\nbridge.x.address = fd00:1::2/120\n", 3,
		    "subnet overlaps another segment's in bridge.x.address", "a bridge's IPv6 subnet inside a peer's");
	static const char *const not_hosts[] = {"ff02::1/64", "fe80::1/64", "::1/128", "::/128", "::ffff:10.0.0.1/104",
						"fd00::/64", "fd00::1/0"};
	for (size_t i = 0; i < ARRAY_SIZE(not_hosts); i++) {
		snprintf(text, sizeof(text), "bridge.b.address = 10.0.0.1/24 %s\n", not_hosts[i]);
		char piece[64];
		snprintf(piece, sizeof(piece), "bad address for bridge.b.address: '%s' (", not_hosts[i]);
		check_error(u, text, 1, piece, not_hosts[i]);
	}
	static const char *const bad_syntax[] = {"fd00:::1/64", "fd00::g/64", "fe80::1%eth0/64", "fd00::1/129", "fd00::1",
						 "fd00::1/064"};
	for (size_t i = 0; i < ARRAY_SIZE(bad_syntax); i++) {
		snprintf(text, sizeof(text), "uplink = eth0\nns.p.peer = %s\n", bad_syntax[i]);
		char piece[64];
		snprintf(piece, sizeof(piece), "bad address for ns.p.peer: '%s' (expected", bad_syntax[i]);
		check_error(u, text, 2, piece, bad_syntax[i]);
	}

	/* 10.0.0.1 and a00:1::1 share their first bytes: never the same address or subnet. */
	struct config c;
	struct diag d;
	load(&c, &d, "bridge.x.address = 10.0.0.1/24\nbridge.y.address = a00:1::1/64\n"
		     "bridge.z.address = 10.0.0.1/24\n");
	CHECK(u, d.errors == 2, "an IPv4 and an IPv6 address with the same first bytes do not clash (%u errors, the "
	      "IPv4 one used twice and its subnet overlapping)", d.errors);
	CHECK(u, d.n >= 1 && strstr(first_error(&d), "bridge.z.address") && !strstr(first_error(&d), "bridge.y"),
	      "only bridge z, the real duplicate, is reported (%s)", first_error(&d));
	done(&c, &d);
#undef WITH_BR
}

/* Issue 14's keys: ports, vlans, moved links, macvlans and wait reach their fields; a
 * namespace with a link of its own has no host end and no gateway unless given. */
static void test_own_links(struct unit *u)
{
	struct config c;
	struct diag d;
	unsigned errors = load(&c, &d,
			       "uplink = wan\n"
			       "wait = 30\n"
			       "vlan.wan.link = eth0\n"
			       "vlan.wan.id = 7\n"
			       "vlan.lan7.link = eth3\n"
			       "vlan.lan7.id = 4094\n"
			       "bridge.lan.address = 10.0.0.1/24\n"
			       "bridge.lan.ports = eth1 eth2 lan7\n"
			       "ns.mgmt.link = eth4\n"
			       "ns.mgmt.address = 192.168.9.2/24\n"
			       "ns.mv.macvlan = wan\n"
			       "ns.mv.ifname = mv0\n"
			       "ns.mv.address = 192.168.8.2/24\n"
			       "ns.mv.gateway = 192.168.8.1\n");
	CHECK(u, errors == 0, "a config with ports, vlans, a moved link and a macvlan validates (%s)", first_error(&d));
	CHECK(u, c.wait == 30, "wait");
	struct bridge *b = conf_bridge(&c, "lan");
	CHECK(u, b && b->ports.n == 3 && !strcmp(b->ports.v[0], "eth1") && !strcmp(b->ports.v[2], "lan7"), "ports");
	struct vlan *v = conf_vlan(&c, "wan");
	CHECK(u, v && v->id == 7 && !strcmp(v->link, "eth0"), "vlan link and id");
	struct netns *m = conf_ns(&c, "mgmt"), *mv = conf_ns(&c, "mv");
	CHECK(u, m && !strcmp(m->link, "eth4") && !ns_veth(m) && !m->hostif[0] && !strcmp(m->ifname, "eth0"),
	      "a moved link: no host end, eth0 inside");
	CHECK(u, m && !m->gateway[FAM_V4].family, "no gateway derived for a moved link");
	CHECK(u, mv && !strcmp(mv->macvlan, "wan") && !strcmp(mv->ifname, "mv0") && is_addr(&mv->gateway[FAM_V4], "192.168.8.1/32"),
	      "a macvlan: its parent, its name, the gateway given");
	CHECK(u, c.nsegs == 1 && c.forwarding[FAM_V4], "only the bridge is a segment; it forwards to the uplink");
	done(&c, &d);
	errors = load(&c, &d, "bridge.a.address = 10.0.0.1/24\nbridge.a.ports = eth1\nvlan.v.link = eth1\nvlan.v.id = 5\n");
	CHECK(u, errors == 0, "a bridge port may carry a vlan (%s)", first_error(&d));
	done(&c, &d);
}

void test_conf(struct unit *u)
{
	test_own_links(u);
	test_every_key(u);
	test_defaults(u);
	test_errors(u);
	test_names(u);
	test_dual_stack_keys(u);
	test_masquerade(u);
	test_forwarding_per_family(u);
	test_family_checks(u);
	/* Every key is in the one table, with a description of its values. */
	for (int k = 0; k < KEY_COUNT; k++)
		CHECK(u, conf_keys[k].attr[0] && key_expect(k)[0], "key %d is described", k);
}
