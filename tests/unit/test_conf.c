/* test_conf.c: every key reaches its field; defaults and derived values after validation. */
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
	CHECK(u, c.forwarding[FAM_V4] && !c.forwarding[FAM_V6], "IPv4 forwarding is needed, IPv6 not");
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
	CHECK(u, !c.forwarding[FAM_V4], "one isolated segment without an uplink routes nothing");
	done(&c, &d);

	load(&c, &d, "bridge.a.address = 10.0.0.1/24\nbridge.b.address = 10.0.1.1/24\n"
		     "bridge.a.isolate = no\nbridge.b.isolate = no\n");
	CHECK(u, d.errors == 0 && c.forwarding, "two open segments need forwarding");
	done(&c, &d);

	load(&c, &d, "uplink = eth0\nbridge.a.address = 10.0.0.1/24\n");
	CHECK(u, d.errors == 0 && c.forwarding[FAM_V4] && conf_bridge(&c, "a")->masquerade == MASQ_ALL,
	      "an uplink and a routed segment: masquerade and forwarding");
	done(&c, &d);

	load(&c, &d, "uplink = eth0\nbridge.a.mtu = 1400\n");
	CHECK(u, d.errors == 0 && !c.forwarding[FAM_V4], "a bridge without addresses routes nothing");
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

void test_conf(struct unit *u)
{
	test_every_key(u);
	test_defaults(u);
	test_errors(u);
	test_names(u);
	/* Every key is in the one table, with a description of its values. */
	for (int k = 0; k < KEY_COUNT; k++)
		CHECK(u, conf_keys[k].attr && conf_keys[k].expect, "key %d is described", k);
}
