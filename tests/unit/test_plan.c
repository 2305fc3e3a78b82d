/* test_plan.c: the planner without a kernel: made-up kernel states in, operations out. */
#include <stdlib.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#include "fakenl.h"
#include "plan.h"
#include "unit.h"

/* ---- addresses and gateways: the one place that knows how they are held ---- */

/* A prefix from its text; a typo in a test shows as an empty prefix in the failing check. */
static struct prefix P(const char *cidr)
{
	struct prefix p = {0};
	if (!prefix_parse(cidr, &p))
		printf("# test_plan: bad prefix literal '%s'\n", cidr);
	return p;
}

/* A route's gateway from its text. */
static struct prefix G(const char *ip)
{
	struct prefix a = {0};
	if (!ip_parse(ip, &a))
		printf("# test_plan: bad address literal '%s'\n", ip);
	return a;
}

/* The subnet of an address, as the kernel's route to it has it. */
static struct prefix net_of(const struct prefix *p)
{
	return prefix_net(p);
}

static bool same_net(const struct prefix *a, const struct prefix *b)
{
	return a->len == b->len && prefix_contains(a, b);
}

/* Does the kernel make a route to the subnet of this address (not for a single host)? */
static bool makes_net_route(const struct prefix *p)
{
	return p->len < ip_size(p->family) * 8;
}

/* Is p in the subnet written as cidr, with its prefix length? */
static bool in_net(const struct prefix *p, const char *cidr)
{
	struct prefix net = P(cidr);
	return same_net(p, &net);
}

static const char *prefix_text(const struct prefix *p, char buf[IP_STRLEN])
{
	return prefix_str(p, buf);
}

static const char *gw_text(struct prefix gw, char buf[IP_STRLEN])
{
	return gw.family ? ip_str(&gw, buf) : "none";
}

/* The gateway an OP_ROUTE_* carries. */
static struct prefix op_gw(const struct op *o)
{
	return o->addr;
}

static bool ns_has_gateway(const struct netns *n, unsigned f)
{
	return n->gateway[f].family != 0;
}

/* The default route boxnet sets for namespace n, through the link of that index; the kernel
 * gives an IPv6 one metric 1024. */
static struct route our_default(const struct netns *n, unsigned f, int oif)
{
	return (struct route){.oif = oif, .gw = n->gateway[f], .protocol = BOXNET_RTPROT,
			      .dst = P(f == FAM_V6 ? "::/0" : "0.0.0.0/0"), .metric = f == FAM_V6 ? 1024 : 0};
}

static bool is_default(const struct route *r)
{
	return r->dst.len == 0;
}

static struct route default_via(const char *gw, int oif, unsigned char protocol)
{
	return (struct route){.oif = oif, .gw = G(gw), .protocol = protocol, .dst = P("0.0.0.0/0")};
}

/* The route the kernel makes to an address's subnet. */
static struct route kernel_route(const struct prefix *addr, int oif)
{
	return (struct route){.oif = oif, .protocol = RTPROT_KERNEL, .dst = net_of(addr)};
}

/* ---- made-up kernel states ---- */

static struct link *add_link(struct ns_state *ns, const char *name, const char *kind, int index)
{
	if (grow(&ns->links, &ns->links_cap, ns->nlinks + 1, sizeof(*ns->links)))
		return NULL;
	struct link *l = &ns->links[ns->nlinks++];
	*l = (struct link){.index = index, .mtu = 1500, .up = true};
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->kind, sizeof(l->kind), "%s", kind);
	return l;
}

static void add_addr(struct ns_state *ns, int index, struct prefix p)
{
	if (!grow(&ns->addrs, &ns->addrs_cap, ns->naddrs + 1, sizeof(*ns->addrs)))
		ns->addrs[ns->naddrs++] = (struct addr){index, p};
}

static void add_route(struct ns_state *ns, struct route r)
{
	if (!grow(&ns->routes, &ns->routes_cap, ns->nroutes + 1, sizeof(*ns->routes)))
		ns->routes[ns->nroutes++] = r;
}

static void del_route(struct ns_state *ns, size_t i)
{
	memmove(&ns->routes[i], &ns->routes[i + 1], (ns->nroutes - i - 1) * sizeof(*ns->routes));
	ns->nroutes--;
}

static void del_addr(struct ns_state *ns, size_t i)
{
	memmove(&ns->addrs[i], &ns->addrs[i + 1], (ns->naddrs - i - 1) * sizeof(*ns->addrs));
	ns->naddrs--;
}

static void del_link(struct ns_state *ns, const char *name)
{
	struct link *l = state_link(ns, name);
	if (!l)
		return;
	size_t i = (size_t)(l - ns->links);
	memmove(&ns->links[i], &ns->links[i + 1], (ns->nlinks - i - 1) * sizeof(*ns->links));
	ns->nlinks--;
}

/* The address boxnet gives a bridge: 02:62 and the FNV-1a hash of its name (plan.c's
 * bridge_mac, stated again). */
static void want_mac(const char *name, unsigned char mac[6])
{
	uint32_t h = fnv1a(name, strlen(name));
	mac[0] = 0x02;
	mac[1] = 0x62;
	for (int i = 0; i < 4; i++)
		mac[2 + i] = (unsigned char)(h >> (24 - 8 * i));
}

/* The addresses of a link, and the kernel's routes to their subnets: one per subnet, from
 * its first address, none for a /32. */
static void add_addrs(struct ns_state *ns, int index, const struct prefix *v, unsigned n)
{
	for (unsigned j = 0; j < n; j++) {
		bool first = true;
		for (unsigned k = 0; k < j; k++)
			first &= !same_net(&v[k], &v[j]);
		add_addr(ns, index, v[j]);
		if (first && makes_net_route(&v[j]))
			add_route(ns, kernel_route(&v[j], index));
	}
}

/* The kernel's dump of a table that holds exactly what nft_put_load sends for rs: the
 * encoder's chain, rule, set and element messages, handed back as dump parts to
 * nft_read_table: chains, rules, sets, then each set's elements. */
static int kernel_table(struct nft_copy *copy, const struct ruleset *rs, const char *comment)
{
	enum { PARTS = 4 + SET_COUNT };
	static unsigned char dump[PARTS][FAKE_PART];
	size_t len[PARTS], n = 0;
	struct talk enc = {0}, rd;
	struct fake f = {0};
	int err = nft_put_load(&enc, rs, comment, false, false);
	if (!err)
		n = fake_table_dumps(&enc, dump, len, PARTS);
	free(enc.buf);
	free(enc.reqs);
	for (size_t k = 0; k < n; k++) {
		fake_add(&f, dump[k], len[k]);
		f.after[k] = (unsigned)k + (k > 0);	/* each answers its own dump */
	}
	talk_open_io(&rd, &fake_io, &f, "");
	copy->use = rs->offload ? UINT32_MAX : 0;	/* more than its chains and sets: its flowtable is read */
	if (!err)
		err = nft_read_table(&rd, copy, true, false);
	copy->use = (uint32_t)(copy->nchains + copy->nsets + copy->nfts);	/* the kernel counts them all */
	talk_close(&rd);
	fake_reset(&f);
	return err;
}

enum {
	LO = 1,
	UPLINK = 2,	/* eth0, the host's own: 192.168.1.10/24, default via 192.168.1.1 */
	BRIDGE0 = 10,	/* + i for bridge i */
	HOSTIF0 = 100,	/* + i for namespace i's host end */
	INSIDE = 1000,	/* every namespace end, as boxnet makes them */
};

static int dev_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* What up leaves behind for config c, read back. */
static void converged(struct state *st, const struct config *c)
{
	struct ns_state *host = &st->host;
	struct link *l;
	state_init(st, c);
	st->known = true;
	host->exists = true;
	if ((l = add_link(host, "lo", "", LO)))
		l->mtu = 65536;
	add_link(host, "eth0", "", UPLINK);
	add_addrs(host, UPLINK, (struct prefix[]){P("192.168.1.10/24")}, 1);
	add_route(host, default_via("192.168.1.1", UPLINK, RTPROT_DHCP));
	for (size_t i = 0; i < c->objs[KIND_BRIDGE].n; i++) {
		const struct bridge *b = conf_bridge_at(c, i);
		if (!(l = add_link(host, b->o.name, "bridge", BRIDGE0 + (int)i)))
			continue;
		l->ours = true;
		/* the kernel's: its own MTU, or its ports' smallest */
		l->mtu = b->mtu;
		for (size_t k = 0; k < c->objs[KIND_NS].n && !b->mtu; k++) {
			unsigned port = conf_ns_at(c, k)->mtu ? conf_ns_at(c, k)->mtu : 1500;
			if (conf_ns_at(c, k)->bridge == b && (!l->mtu || port < l->mtu))
				l->mtu = port;
		}
		l->mtu = l->mtu ? l->mtu : 1500;
		want_mac(b->o.name, l->mac);
		add_addrs(host, l->index, b->addrs.v, b->addrs.n);
	}
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
		const struct netns *n = conf_ns_at(c, i);
		struct ns_state *ns = &st->ns[i];
		int index = HOSTIF0 + (int)i;
		unsigned mtu = n->mtu ? n->mtu : 1500;
		if ((l = add_link(host, n->hostif, "veth", index))) {
			l->ours = l->peer_away = true;
			l->mtu = mtu;
			l->peer = INSIDE;
			for (size_t k = 0; n->bridge && k < c->objs[KIND_BRIDGE].n; k++)
				if (conf_bridge_at(c, k) == n->bridge)
					l->master = BRIDGE0 + (int)k;
		}
		if (n->has_peer)
			add_addrs(host, index, n->peer.v, n->peer.n);
		ns->exists = ns->ours = true;
		if ((l = add_link(ns, "lo", "", LO))) {
			l->ours = true;
			l->mtu = 65536;
		}
		if ((l = add_link(ns, n->ifname, "veth", INSIDE))) {
			l->ours = true;
			l->mtu = mtu;
			l->peer = index;
			l->peer_away = true;
		}
		add_addrs(ns, INSIDE, n->addrs.v, n->addrs.n);
		for (unsigned f = 0; f < FAM_COUNT; f++)
			if (ns_has_gateway(n, f))
				add_route(ns, our_default(n, f, INSIDE));
		if (n->dns.n) {
			ns->dns = DNS_OURS;
			dns_text(n, "\n", &ns->dns_text);
		}
	}
	/* Static routes, through the link their next hop is on; namespaces that forward. */
	for (size_t i = 0; i < c->objs[KIND_ROUTE].n; i++) {
		const struct sroute *r = conf_route_at(c, i);
		struct ns_state *ns = &st->host;
		for (size_t k = 0; k < c->objs[KIND_NS].n; k++)
			if (conf_ns_at(c, k) == r->ns)
				ns = &st->ns[k];
		l = state_link(ns, r->ifname);
		add_route(ns, (struct route){.oif = l ? l->index : 0, .gw = r->via, .protocol = BOXNET_RTPROT, .dst = r->to,
					     .metric = r->metric});
	}
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++)
		st->ns[i].fwd[FAM_V4] = st->ns[i].fwd[FAM_V6] = conf_ns_at(c, i)->forwarding > 0;
	struct ruleset rs;
	if (rules_build(c, &rs) == 0 && rs.n) {
		st->table_exists = st->table_ours = true;
		rules_comment(&rs, st->table_comment);
		kernel_table(&st->table, &rs, st->table_comment);
	}
	/* offload: up added the segments' interfaces and the uplink to the flowtable; the
	 * kernel lists them in that order, boxnet's copy sorted */
	struct nft_ft_copy *ft = st->table.nfts ? &st->table.fts[0] : NULL;
	for (size_t i = 0; ft && i <= c->nsegs; i++) {
		const char *name = i < c->nsegs ? c->segs[i].ifname : c->uplink[0] ? c->uplink : NULL;
		if (name && !grow(&ft->devs, &ft->devs_cap, ft->ndevs + 1, sizeof(*ft->devs)))
			snprintf(ft->devs[ft->ndevs++], sizeof(*ft->devs), "%s", name);
	}
	if (ft && ft->ndevs)
		qsort(ft->devs, ft->ndevs, sizeof(*ft->devs), dev_cmp);
	rules_free(&rs);
	st->ip_forward[FAM_V4] = c->forwarding[FAM_V4];
	st->ip_forward[FAM_V6] = c->forwarding[FAM_V6];
	st->fwd_mark[FAM_V4] = c->forwarding[FAM_V4];
	st->fwd_mark[FAM_V6] = c->forwarding[FAM_V6];	/* boxnet switched it on */
}

/* ---- plans as text ---- */

static const char *where(const struct op *o)
{
	return o->where->name ? o->where->name : "host";
}

static void op_text(const struct op *o, struct sbuf *s)
{
	static const char *const names[] = {
		[OP_FORWARD_OFF] = "FORWARD_OFF", [OP_NFT_DEL] = "NFT_DEL", [OP_NETNS_ADD] = "NETNS_ADD",
		[OP_LINK_PARK] = "LINK_PARK", [OP_LINK_PURGE] = "LINK_PURGE",
		[OP_LINK_ADD] = "LINK_ADD", [OP_LINK_SET] = "LINK_SET", [OP_ADDR_DEL] = "ADDR_DEL",
		[OP_ADDR_ADD] = "ADDR_ADD", [OP_NET_ROUTE_ADD] = "NET_ROUTE_ADD", [OP_ROUTE_DEL] = "ROUTE_DEL",
		[OP_ROUTE_ADD] = "ROUTE_ADD", [OP_NFT_LOAD] = "NFT_LOAD", [OP_FORWARD_ON] = "FORWARD_ON",
		[OP_NETNS_DEL] = "NETNS_DEL", [OP_DNS_WRITE] = "DNS_WRITE", [OP_DNS_DEL] = "DNS_DEL",
		[OP_ADOPT] = "ADOPT", [OP_GIVE_BACK] = "GIVE_BACK", [OP_LINK_MOVE] = "LINK_MOVE",
		[OP_NFT_OFFLOAD] = "NFT_OFFLOAD",
	};
	char a[IP_STRLEN];
	sbuf_addf(s, "%s %s", names[o->type], where(o));
	if (o->ifname)
		sbuf_addf(s, " %s", o->ifname);
	switch (o->type) {
	case OP_LINK_PARK:
		sbuf_addf(s, " #%d%s%s", o->old_link.index, o->keep_name ? " keep" : "", o->purge ? "" : " nopurge");
		break;
	case OP_LINK_ADD:
		sbuf_addf(s, " %s", o->kind);
		if (o->index)
			sbuf_addf(s, " #%d", o->index);
		if (o->peer)
			sbuf_addf(s, " peer %s:%s", o->peer_ns->name ? o->peer_ns->name : "host", o->peer);
		break;
	case OP_LINK_SET:
		if (o->master)
			sbuf_addf(s, " master %s", o->master);
		if (o->nomaster)
			sbuf_addf(s, " nomaster");
		if (!o->up || !o->mark)
			sbuf_addf(s, "%s%s", o->up ? "" : " down", o->mark ? "" : " nomark");
		break;
	case OP_ADDR_ADD:
	case OP_ADDR_DEL:
	case OP_NET_ROUTE_ADD:
		sbuf_addf(s, " %s #%d", prefix_text(&o->addr, a), o->index);
		break;
	case OP_FORWARD_ON:
	case OP_FORWARD_OFF:
		if (o->where->name)
			sbuf_addf(s, " ipv%c", o->addr.family == AF_INET6 ? '6' : '4');
		break;
	case OP_ROUTE_ADD:
	case OP_ROUTE_DEL:
		if (o->dst.len)
			sbuf_addf(s, " to %s", prefix_text(&o->dst, a));
		if (o->metric)
			sbuf_addf(s, " metric %u", o->metric);
		sbuf_addf(s, " via %s", gw_text(op_gw(o), a));
		if (o->index)
			sbuf_addf(s, " #%d", o->index);
		if (o->has_old)
			sbuf_addf(s, " old via %s #%d", gw_text(o->old_route.gw, a), o->old_route.oif);
		break;
	case OP_NFT_OFFLOAD:
		for (size_t i = 0; i < o->ndevs; i++)
			sbuf_addf(s, "%s%s", i ? "," : " ", o->devs[i]);
		break;
	default:
		break;
	}
	if (o->mtu)
		sbuf_addf(s, " mtu %u", o->mtu);
	if (o->has_mac)
		sbuf_addf(s, " mac %02x:%02x:%02x:%02x:%02x:%02x", o->mac[0], o->mac[1], o->mac[2], o->mac[3], o->mac[4],
			  o->mac[5]);
	if (o->has_old && o->type == OP_LINK_SET)
		sbuf_addf(s, " old #%d", o->old_link.index);
	else if (o->has_old && o->type != OP_ROUTE_ADD && o->type != OP_ROUTE_DEL)
		sbuf_addf(s, " old");
	sbuf_add(s, "\n", 1);
}

/* Every op, one a line, with the fields that matter for its type. */
static void plan_text(const struct plan *p, struct sbuf *s)
{
	for (size_t i = 0; i < p->n; i++)
		op_text(&p->ops[i], s);
}

static void expect_ops(struct unit *u, const struct plan *p, const char *want, const char *what)
{
	struct sbuf s = {0};
	plan_text(p, &s);
	CHECK_STR(u, sbuf_str(&s), want, "%s: the ops", what);
	sbuf_free(&s);
}

/* ---- configs ---- */

static const char *const box_conf =
	"uplink = eth0\n"
	"bridge.br0.address = 10.0.0.1/24 10.0.1.1/24\n"
	"ns.a.bridge = br0\n"
	"ns.a.address = 10.0.0.2/24\n"
	"ns.b.bridge = br0\n"
	"ns.b.address = 10.0.1.2/24\n"
	"ns.b.gateway = none\n"
	"ns.p.peer = 10.9.0.1/30\n"
	"ns.p.address = 10.9.0.2/30\n"
	"ns.p.mtu = 1400\n";

static unsigned load(struct config *c, const char *text)
{
	struct diag d = {.file = "t.conf"};
	*c = (struct config){.file = "t.conf"};
	conf_parse(c, text, strlen(text), &d);
	conf_validate(c, &d);
	unsigned errors = d.errors;
	if (errors)
		diag_print(&d, &(struct log){.out = stdout, .kmsg = -1});
	diag_free(&d);
	return errors;
}

/* ---- a config, its converged state, a plan ---- */

struct fx {
	struct config c;
	struct state st;
	struct plan p;
};

static void fx_init(struct unit *u, struct fx *x, const char *conf)
{
	*x = (struct fx){0};
	CHECK(u, load(&x->c, conf) == 0, "the test config validates");
	converged(&x->st, &x->c);
}

static void fx_free(struct fx *x)
{
	plan_free(&x->p);
	state_free(&x->st);
	conf_free(&x->c);
}

/* A link to mutate; a name the state lacks gives a scratch link, and the test fails on the
 * ops it then expects. */
static struct link *host_link(struct fx *x, const char *name)
{
	static struct link dummy;
	struct link *l = state_link(&x->st.host, name);
	return l ? l : &dummy;
}

static struct ns_state *ns_of(struct fx *x, const char *name)
{
	for (size_t i = 0; i < x->st.nns; i++)
		if (!strcmp(x->st.ns[i].name, name))
			return &x->st.ns[i];
	return &x->st.host;
}

static struct link *ns_link(struct fx *x, const char *ns, const char *name)
{
	static struct link dummy;
	struct link *l = state_link(ns_of(x, ns), name);
	return l ? l : &dummy;
}

/* Runs up on the state as mutated, and checks the ops, that there is no conflict, and the
 * notes (NULL: none). */
static void expect_up(struct unit *u, struct fx *x, const char *what, const char *ops, const char *notes)
{
	CHECK(u, plan_up(&x->p, &x->c, &x->st) == 0, "%s: up plans", what);
	expect_ops(u, &x->p, ops, what);
	CHECK(u, x->p.nconflicts == 0, "%s: no conflict (%s)", what, sbuf_str(&x->p.conflicts));
	CHECK_STR(u, sbuf_str(&x->p.notes), notes ? notes : "", "%s: notes", what);
}

/* Runs up and checks that it finds n conflicts, the first of them starting with text. */
static void expect_conflict(struct unit *u, struct fx *x, const char *what, unsigned n, const char *text)
{
	CHECK(u, plan_up(&x->p, &x->c, &x->st) == 0, "%s: up plans", what);
	CHECK(u, x->p.nconflicts == n, "%s: %u conflicts (%u)", what, n, x->p.nconflicts);
	CHECK(u, !strncmp(sbuf_str(&x->p.conflicts), text, strlen(text)), "%s: conflict '%s' (%s)", what, text,
	      sbuf_str(&x->p.conflicts));
}

/* Plans up with another config (its namespaces the same, in the same order) on the state
 * of the first: what up does when the config changed. */
static void expect_up_with(struct unit *u, struct fx *x, const char *conf, const char *what, const char *ops)
{
	struct config c2;
	CHECK(u, load(&c2, conf) == 0 && c2.objs[KIND_NS].n == x->c.objs[KIND_NS].n, "%s: the new config validates", what);
	CHECK(u, plan_up(&x->p, &c2, &x->st) == 0, "%s: up plans", what);
	expect_ops(u, &x->p, ops, what);
	CHECK(u, x->p.nconflicts == 0 && !x->p.notes.len, "%s: no conflict, no note (%s%s)", what,
	      sbuf_str(&x->p.conflicts), sbuf_str(&x->p.notes));
	plan_free(&x->p);	/* its rules point into c2 */
	conf_free(&c2);
}

/* ---- up ---- */

#define FRESH_OPS                                                       \
	"NFT_LOAD host\n"                                               \
	"NETNS_ADD a\n"                                                 \
	"NETNS_ADD b\n"                                                 \
	"NETNS_ADD p\n"                                                 \
	"LINK_ADD host br0 bridge mac 02:62:26:e6:5d:5f\n"              \
	"LINK_SET host br0\n"                                           \
	"ADDR_ADD host br0 10.0.0.1/24 #0\n"                            \
	"ADDR_ADD host br0 10.0.1.1/24 #0\n"                            \
	"LINK_ADD a eth0 veth #1000 peer host:bx-a\n"                   \
	"LINK_SET a eth0\n"                                             \
	"ADDR_ADD a eth0 10.0.0.2/24 #1000\n"                           \
	"ROUTE_ADD a eth0 via 10.0.0.1 #1000\n"                         \
	"LINK_ADD b eth0 veth #1000 peer host:bx-b\n"                   \
	"LINK_SET b eth0\n"                                             \
	"ADDR_ADD b eth0 10.0.1.2/24 #1000\n"                           \
	"LINK_ADD p eth0 veth #1000 peer host:bx-p mtu 1400\n"          \
	"LINK_SET p eth0\n"                                             \
	"ADDR_ADD p eth0 10.9.0.2/30 #1000\n"                           \
	"ROUTE_ADD p eth0 via 10.9.0.1 #1000\n"                         \
	"LINK_SET host bx-a master br0\n"                               \
	"LINK_SET host bx-b master br0\n"                               \
	"LINK_SET host bx-p\n"                                          \
	"ADDR_ADD host bx-p 10.9.0.1/30 #0\n"                           \
	"FORWARD_ON host\n"

static void test_converged(struct unit *u)
{
	static const char *const confs[] = {
		box_conf,
		/* two open peers, no uplink: forwarding between them; a bridge's own MTU, no address */
		"bridge.l2.mtu = 9000\nns.x.bridge = l2\nns.y.peer = 10.1.0.1/30\nns.y.address = 10.1.0.2/30\n"
		"ns.y.isolate = no\nns.z.peer = 10.2.0.1/31\nns.z.address = 10.2.0.0/31\nns.z.isolate = no\n"
		"ns.z.hostif = zz\nns.z.ifname = net0\n",
		/* a /32, two addresses in one subnet, a port with a smaller MTU, a bridge without
		 * ports */
		"bridge.br1.address = 10.5.0.1/24 10.5.0.2/24 10.6.0.1/32\nns.q.bridge = br1\n"
		"ns.q.address = 10.5.0.9/24 10.5.0.10/24\nns.r.bridge = br1\nns.r.mtu = 1280\n"
		"bridge.br2.address = 10.7.0.1/24\n",
		"",
	};
	for (size_t i = 0; i < ARRAY_SIZE(confs); i++) {
		struct fx x;
		fx_init(u, &x, confs[i]);
		expect_up(u, &x, "the converged state", "", NULL);
		fx_free(&x);
	}
	struct fx x;
	fx_init(u, &x, box_conf);
	CHECK(u, x.st.table.nchains == 4 && x.st.table.nrules == 12 && x.st.table.nsets == 2 && x.st.table.use == 6,
	      "the kernel's table, as read back: 4 chains, 12 rules (2 clamp the MSS: p has an MTU), 2 sets (%zu, %zu, %zu)", x.st.table.nchains,
	      x.st.table.nrules, x.st.table.nsets);
	fx_free(&x);
}

static void test_fresh(struct unit *u)
{
	struct fx x;
	fx_init(u, &x, box_conf);
	state_free(&x.st);
	state_init(&x.st, &x.c);
	expect_up(u, &x, "a fresh box (plan: the state unknown)", FRESH_OPS, NULL);
	fx_free(&x);

	/* Read from a host without anything of boxnet's: the same, and no word of a flushed table. */
	fx_init(u, &x, box_conf);
	state_free(&x.st);
	state_init(&x.st, &x.c);
	x.st.known = x.st.host.exists = true;
	add_link(&x.st.host, "lo", "", LO);
	add_link(&x.st.host, "eth0", "", UPLINK);
	add_addrs(&x.st.host, UPLINK, (struct prefix[]){P("192.168.1.10/24")}, 1);
	x.st.ip_forward[FAM_V4] = 0;
	expect_up(u, &x, "a host without a box", FRESH_OPS, NULL);
	fx_free(&x);

	/* A bridge's own MTU is set once it is made (given at creation, the kernel would lower
	 * it when a port with a smaller one joins). */
	fx_init(u, &x, "bridge.j.mtu = 9000\nns.x.bridge = j\n");
	state_free(&x.st);
	state_init(&x.st, &x.c);
	expect_up(u, &x, "a fresh box with a jumbo bridge",
		  "NFT_LOAD host\n"
		  "NETNS_ADD x\n"
		  "LINK_ADD host j bridge mac 02:62:ef:0c:3a:7d\n"
		  "LINK_SET host j mtu 9000\n"
		  "LINK_ADD x eth0 veth #1000 peer host:bx-x mtu 9000\n"
		  "LINK_SET x eth0\n"
		  "LINK_SET host bx-x master j\n", NULL);
	fx_free(&x);

	/* Forwarding already on, someone else's doing: left as it is. */
	fx_init(u, &x, box_conf);
	x.st.fwd_mark[FAM_V4] = false;
	expect_up(u, &x, "forwarding on, not by boxnet", "", NULL);
	fx_free(&x);
}

/* offload = yes: the flowtable's devices come once the links exist, before forwarding; a
 * converged box with all of them needs nothing; one missing (deleted and made again, or an
 * uplink that came late) reloads the table and adds them. */
static void test_offload(struct unit *u)
{
	static const char conf[] = "uplink = eth0\noffload = yes\nbridge.br0.address = 10.0.0.1/24\n"
				   "ns.a.bridge = br0\nns.a.address = 10.0.0.2/24\nns.p.peer = 10.9.0.1/30\n"
				   "ns.p.address = 10.9.0.2/30\n";
	struct fx x;
	fx_init(u, &x, conf);
	CHECK(u, x.st.table.nfts == 1 && x.st.table.use == x.st.table.nchains + x.st.table.nsets + 1,
	      "the kernel's table, as read back, has its flowtable (%zu)", x.st.table.nfts);
	expect_up(u, &x, "offload: the converged state", "", NULL);
	plan_free(&x.p);
	state_free(&x.st);
	state_init(&x.st, &x.c);
	expect_up(u, &x, "offload: a fresh box",
		  "NFT_LOAD host\n"
		  "NETNS_ADD a\n"
		  "NETNS_ADD p\n"
		  "LINK_ADD host br0 bridge mac 02:62:26:e6:5d:5f\n"
		  "LINK_SET host br0\n"
		  "ADDR_ADD host br0 10.0.0.1/24 #0\n"
		  "LINK_ADD a eth0 veth #1000 peer host:bx-a\n"
		  "LINK_SET a eth0\n"
		  "ADDR_ADD a eth0 10.0.0.2/24 #1000\n"
		  "ROUTE_ADD a eth0 via 10.0.0.1 #1000\n"
		  "LINK_ADD p eth0 veth #1000 peer host:bx-p\n"
		  "LINK_SET p eth0\n"
		  "ADDR_ADD p eth0 10.9.0.2/30 #1000\n"
		  "ROUTE_ADD p eth0 via 10.9.0.1 #1000\n"
		  "LINK_SET host bx-a master br0\n"
		  "LINK_SET host bx-p\n"
		  "ADDR_ADD host bx-p 10.9.0.1/30 #0\n"
		  "NFT_OFFLOAD host br0,bx-p,eth0\n"
		  "FORWARD_ON host\n", NULL);
	fx_free(&x);

	/* A device gone from the flowtable (the kernel drops one that is deleted) */
	fx_init(u, &x, conf);
	x.st.table.fts[0].ndevs--;
	expect_up(u, &x, "offload: a device missing from the flowtable", "NFT_LOAD host\nNFT_OFFLOAD host br0,bx-p,eth0\n",
		  NULL);
	fx_free(&x);

	/* The uplink missing: the rest, and the uplink at the up after it comes */
	fx_init(u, &x, conf);
	del_link(&x.st.host, "eth0");
	x.st.table.fts[0].ndevs--;	/* eth0, the last in order */
	expect_up(u, &x, "offload: the uplink is not there: the flowtable has the rest", "", NULL);
	fx_free(&x);

	/* offload = no: the flowtable goes with a reload */
	fx_init(u, &x, conf);
	expect_up_with(u, &x, "uplink = eth0\nbridge.br0.address = 10.0.0.1/24\nns.a.bridge = br0\n"
			      "ns.a.address = 10.0.0.2/24\nns.p.peer = 10.9.0.1/30\nns.p.address = 10.9.0.2/30\n",
		       "offload = no", "NFT_LOAD host\n");
	fx_free(&x);
}

static void test_foreign(struct unit *u)
{
	struct fx x;
	static const char *const cases[][3] = {
		{"host", "br0", "interface br0 in the host exists and was not created by boxnet; remove or rename it\n"},
		{"host", "bx-a", "interface bx-a in the host exists and was not created by boxnet; remove or rename it\n"},
		{"a", "eth0", "interface eth0 in a exists and was not created by boxnet; remove or rename it\n"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fx_init(u, &x, box_conf);
		if (!strcmp(cases[i][0], "host"))
			host_link(&x, cases[i][1])->ours = false;
		else
			ns_link(&x, cases[i][0], cases[i][1])->ours = false;
		expect_conflict(u, &x, cases[i][2], 1, cases[i][2]);
		fx_free(&x);
	}

	/* lo unmarked: the namespace is someone else's */
	fx_init(u, &x, box_conf);
	ns_of(&x, "b")->ours = false;
	ns_link(&x, "b", "lo")->ours = false;
	expect_conflict(u, &x, "namespace b not boxnet's", 1,
			"namespace b exists and was not created by boxnet; delete it or rename ns.b\n");
	fx_free(&x);

	fx_init(u, &x, box_conf);
	x.st.table_ours = false;
	strcpy(x.st.table_comment, "");
	expect_conflict(u, &x, "a table boxnet, not boxnet's", 1,
			"nftables table inet boxnet exists and was not created by boxnet\n");
	fx_free(&x);

	/* Without a gateway a foreign default route is none of boxnet's business; with one, it is
	 * in the way. */
	fx_init(u, &x, box_conf);
	add_route(ns_of(&x, "b"), default_via("10.0.1.9", INSIDE, RTPROT_BOOT));
	expect_up(u, &x, "b (gateway none) with a foreign default route", "", NULL);
	plan_free(&x.p);
	struct ns_state *a = ns_of(&x, "a");
	for (size_t i = 0; i < a->nroutes; i++)
		if (a->routes[i].protocol == BOXNET_RTPROT)
			a->routes[i].protocol = RTPROT_BOOT;
	expect_conflict(u, &x, "a default route in a, not boxnet's", 1,
			"namespace a has a default route that boxnet did not set; delete it\n");
	fx_free(&x);
}

static void test_links(struct unit *u)
{
	struct fx x;
	struct link *l;

	fx_init(u, &x, box_conf);
	if ((l = add_link(&x.st.host, "bx-old", "veth", 200)))
		l->ours = true;
	expect_up(u, &x, "a link of boxnet's the config no longer names",
		  "LINK_PARK host bx-old #200 old\n"
		  "LINK_PURGE host\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	strcpy(host_link(&x, "br0")->kind, "dummy");
	expect_up(u, &x, "boxnet's br0, but no bridge",
		  "LINK_PARK host br0 #10 old\n"
		  "LINK_ADD host br0 bridge mac 02:62:26:e6:5d:5f\n"
		  "LINK_SET host br0\n"
		  "ADDR_ADD host br0 10.0.0.1/24 #0\n"
		  "ADDR_ADD host br0 10.0.1.1/24 #0\n"
		  "LINK_SET host bx-a master br0 mtu 1500 old #100\n"
		  "LINK_SET host bx-b master br0 mtu 1500 old #101\n"
		  "LINK_PURGE host\n", NULL);
	fx_free(&x);

	/* bx-a and bx-b swapped names behind boxnet's back: each host end's peer is still
	 * index 1000 (every namespace end has it), but the namespace ends name the other. */
	fx_init(u, &x, box_conf);
	strcpy(host_link(&x, "bx-a")->name, "tmp");
	strcpy(host_link(&x, "bx-b")->name, "bx-a");
	strcpy(host_link(&x, "tmp")->name, "bx-b");
	expect_up(u, &x, "host ends swapped",
		  "LINK_PARK host bx-a #101 old\n"
		  "LINK_PARK a eth0 #1000 old\n"
		  "LINK_PARK host bx-b #100 old\n"
		  "LINK_PARK b eth0 #1000 nopurge old\n"
		  "LINK_ADD a eth0 veth #1001 peer host:bx-a\n"
		  "LINK_SET a eth0\n"
		  "ADDR_ADD a eth0 10.0.0.2/24 #1001\n"
		  "ROUTE_ADD a eth0 via 10.0.0.1 #1001 old via 10.0.0.1 #1000\n"
		  "LINK_ADD b eth0 veth #1001 peer host:bx-b\n"
		  "LINK_SET b eth0\n"
		  "ADDR_ADD b eth0 10.0.1.2/24 #1001\n"
		  "LINK_SET host bx-a master br0\n"
		  "LINK_SET host bx-b master br0\n"
		  "LINK_PURGE a\n"
		  "LINK_PURGE host\n", NULL);
	fx_free(&x);

	/* bx-p moved into p (ip link set bx-p netns p): its addresses stay behind, and the pair
	 * now lies inside p, each end's peer there. */
	fx_init(u, &x, box_conf);
	del_link(&x.st.host, "bx-p");
	for (size_t i = x.st.host.naddrs; i-- > 0;)
		if (x.st.host.addrs[i].index == HOSTIF0 + 2)
			del_addr(&x.st.host, i);
	for (size_t i = x.st.host.nroutes; i-- > 0;)
		if (x.st.host.routes[i].oif == HOSTIF0 + 2)
			del_route(&x.st.host, i);
	ns_link(&x, "p", "eth0")->peer_away = false;
	if ((l = add_link(ns_of(&x, "p"), "bx-p", "veth", HOSTIF0 + 2))) {
		l->ours = l->remark = true;
		l->peer = INSIDE;
	}
	expect_up(u, &x, "p's host end moved into p",
		  "LINK_PARK p eth0 #1000 old\n"
		  "LINK_ADD p eth0 veth #1001 peer host:bx-p mtu 1400\n"
		  "LINK_SET p eth0\n"
		  "ADDR_ADD p eth0 10.9.0.2/30 #1001\n"
		  "ROUTE_ADD p eth0 via 10.9.0.1 #1001 old via 10.9.0.1 #1000\n"
		  "LINK_SET host bx-p\n"
		  "ADDR_ADD host bx-p 10.9.0.1/30 #0\n"
		  "LINK_PURGE p\n", NULL);
	fx_free(&x);

	/* ip netns delete a, while a process still holds it: a's end lives on, unnamed, and
	 * so does bx-a. Made anew while the host forwards, a takes the host's IPv4 forwarding,
	 * which goes off again. */
	fx_init(u, &x, box_conf);
	ns_of(&x, "a")->exists = ns_of(&x, "a")->ours = false;
	del_link(ns_of(&x, "a"), "lo");
	del_link(ns_of(&x, "a"), "eth0");
	ns_of(&x, "a")->naddrs = ns_of(&x, "a")->nroutes = 0;
	expect_up(u, &x, "namespace a deleted, held open",
		  "NETNS_ADD a\n"
		  "LINK_PARK host bx-a #100 old\n"
		  "LINK_ADD a eth0 veth #1000 peer host:bx-a\n"
		  "LINK_SET a eth0\n"
		  "ADDR_ADD a eth0 10.0.0.2/24 #1000\n"
		  "ROUTE_ADD a eth0 via 10.0.0.1 #1000\n"
		  "FORWARD_OFF a ipv4\n"
		  "LINK_SET host bx-a master br0\n"
		  "LINK_PURGE host\n", NULL);
	/* ...and once it is freed, bx-a goes with it. */
	plan_free(&x.p);
	del_link(&x.st.host, "bx-a");
	expect_up(u, &x, "namespace a deleted",
		  "NETNS_ADD a\n"
		  "LINK_ADD a eth0 veth #1000 peer host:bx-a\n"
		  "LINK_SET a eth0\n"
		  "ADDR_ADD a eth0 10.0.0.2/24 #1000\n"
		  "ROUTE_ADD a eth0 via 10.0.0.1 #1000\n"
		  "FORWARD_OFF a ipv4\n"
		  "LINK_SET host bx-a master br0\n", NULL);
	fx_free(&x);

	/* a's end is boxnet's, but no veth (a dummy of that name, marked by hand) */
	fx_init(u, &x, box_conf);
	strcpy(ns_link(&x, "a", "eth0")->kind, "dummy");
	ns_link(&x, "a", "eth0")->peer = 0;
	ns_link(&x, "a", "eth0")->peer_away = false;
	expect_up(u, &x, "a's end no veth",
		  "LINK_PARK host bx-a #100 old\n"
		  "LINK_PARK a eth0 #1000 old\n"
		  "LINK_ADD a eth0 veth #1001 peer host:bx-a\n"
		  "LINK_SET a eth0\n"
		  "ADDR_ADD a eth0 10.0.0.2/24 #1001\n"
		  "ROUTE_ADD a eth0 via 10.0.0.1 #1001 old via 10.0.0.1 #1000\n"
		  "LINK_SET host bx-a master br0\n"
		  "LINK_PURGE a\n"
		  "LINK_PURGE host\n", NULL);
	fx_free(&x);

	/* Each fact of a sound pair, wrong alone, makes it unsound: both ends parked, made anew.
	 * a's end goes with bx-a's purge when it names bx-a as its peer, else with a's own. */
	static const struct {
		const char *what;
		bool own_purge;
	} facts[] = {
		{"bx-a no veth", false},
		{"a's end no veth", false},
		{"bx-a's peer another index", false},
		{"a's end's peer another index", true},
		{"bx-a's peer on the host", false},
		{"a's end's peer in a", false},
	};
	for (size_t i = 0; i < ARRAY_SIZE(facts); i++) {
		char want[1024];
		fx_init(u, &x, box_conf);
		struct link *h = host_link(&x, "bx-a"), *in = ns_link(&x, "a", "eth0");
		switch (i) {
		case 0: strcpy(h->kind, "bridge"); break;
		case 1: strcpy(in->kind, "macvlan"); break;
		case 2: h->peer = INSIDE + 1; break;
		case 3: in->peer = HOSTIF0 + 7; break;
		case 4: h->peer_away = false; break;
		default: in->peer_away = false; break;
		}
		snprintf(want, sizeof(want),
			 "LINK_PARK host bx-a #100 old\n"
			 "LINK_PARK a eth0 #1000%s old\n"
			 "LINK_ADD a eth0 veth #1001 peer host:bx-a\n"
			 "LINK_SET a eth0\n"
			 "ADDR_ADD a eth0 10.0.0.2/24 #1001\n"
			 "ROUTE_ADD a eth0 via 10.0.0.1 #1001 old via 10.0.0.1 #1000\n"
			 "LINK_SET host bx-a master br0\n"
			 "%s"
			 "LINK_PURGE host\n",
			 facts[i].own_purge ? "" : " nopurge", facts[i].own_purge ? "LINK_PURGE a\n" : "");
		expect_up(u, &x, facts[i].what, want, NULL);
		fx_free(&x);
	}

	/* Two namespaces whose ends need a purge of their own: one each. */
	fx_init(u, &x, box_conf);
	strcpy(ns_link(&x, "a", "eth0")->kind, "dummy");
	strcpy(ns_link(&x, "b", "eth0")->kind, "dummy");
	ns_link(&x, "a", "eth0")->peer = ns_link(&x, "b", "eth0")->peer = 0;
	expect_up(u, &x, "a's and b's ends no veth",
		  "LINK_PARK host bx-a #100 old\n"
		  "LINK_PARK a eth0 #1000 old\n"
		  "LINK_PARK host bx-b #101 old\n"
		  "LINK_PARK b eth0 #1000 old\n"
		  "LINK_ADD a eth0 veth #1001 peer host:bx-a\n"
		  "LINK_SET a eth0\n"
		  "ADDR_ADD a eth0 10.0.0.2/24 #1001\n"
		  "ROUTE_ADD a eth0 via 10.0.0.1 #1001 old via 10.0.0.1 #1000\n"
		  "LINK_ADD b eth0 veth #1001 peer host:bx-b\n"
		  "LINK_SET b eth0\n"
		  "ADDR_ADD b eth0 10.0.1.2/24 #1001\n"
		  "LINK_SET host bx-a master br0\n"
		  "LINK_SET host bx-b master br0\n"
		  "LINK_PURGE a\n"
		  "LINK_PURGE b\n"
		  "LINK_PURGE host\n", NULL);
	fx_free(&x);
}

static void test_link_settings(struct unit *u)
{
	struct fx x;

	fx_init(u, &x, box_conf);
	host_link(&x, "bx-p")->mtu = 1500;
	expect_up(u, &x, "p's host end at another MTU", "LINK_SET host bx-p mtu 1400 old #102\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	ns_link(&x, "p", "eth0")->mtu = 1500;
	expect_up(u, &x, "p's end at another MTU", "LINK_SET p eth0 mtu 1400 old #1000\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	host_link(&x, "br0")->mtu = 1400;
	expect_up(u, &x, "br0 at another MTU", "LINK_SET host br0 mtu 1500 old #10\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	host_link(&x, "br0")->mac[5] ^= 1;
	expect_up(u, &x, "br0's MAC changed", "LINK_SET host br0 mtu 1500 mac 02:62:26:e6:5d:5f old #10\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	host_link(&x, "br0")->up = false;
	expect_up(u, &x, "br0 down", "LINK_SET host br0 mtu 1500 old #10\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	ns_link(&x, "a", "lo")->up = false;
	expect_up(u, &x, "a's lo down", "LINK_SET a lo old #1\n", NULL);
	fx_free(&x);

	/* The plain mark of a boxnet from before marks named their box: marked again. */
	fx_init(u, &x, box_conf);
	ns_link(&x, "a", "lo")->remark = true;
	ns_link(&x, "a", "eth0")->remark = true;
	expect_up(u, &x, "a's lo and eth0 with the old plain mark",
		  "LINK_SET a lo old #1\n"
		  "LINK_SET a eth0 mtu 1500 old #1000\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	host_link(&x, "bx-b")->up = false;
	host_link(&x, "bx-a")->master = 0;
	host_link(&x, "bx-p")->master = BRIDGE0;
	expect_up(u, &x, "host ends: down, out of its bridge, in a bridge",
		  "LINK_SET host bx-a master br0 mtu 1500 old #100\n"
		  "LINK_SET host bx-b master br0 mtu 1500 old #101\n"
		  "LINK_SET host bx-p nomaster mtu 1400 old #102\n", NULL);
	fx_free(&x);
}

static void test_config_changed(struct unit *u)
{
	struct fx x;

	fx_init(u, &x, box_conf);
	expect_up_with(u, &x,
		       "uplink = eth0\nbridge.br0.address = 10.0.0.1/24 10.0.1.1/24\n"
		       "ns.a.bridge = br0\nns.a.address = 10.0.0.2/24\nns.a.hostif = bx-b\n"
		       "ns.b.bridge = br0\nns.b.address = 10.0.1.2/24\nns.b.gateway = none\nns.b.hostif = bx-a\n"
		       "ns.p.peer = 10.9.0.1/30\nns.p.address = 10.9.0.2/30\nns.p.mtu = 1400\n",
		       "host end names swapped in the config",
		       "LINK_PARK host bx-b #101 old\n"
		       "LINK_PARK a eth0 #1000 old\n"
		       "LINK_PARK host bx-a #100 old\n"
		       "LINK_PARK b eth0 #1000 nopurge old\n"
		       "LINK_ADD a eth0 veth #1001 peer host:bx-b\n"
		       "LINK_SET a eth0\n"
		       "ADDR_ADD a eth0 10.0.0.2/24 #1001\n"
		       "ROUTE_ADD a eth0 via 10.0.0.1 #1001 old via 10.0.0.1 #1000\n"
		       "LINK_ADD b eth0 veth #1001 peer host:bx-a\n"
		       "LINK_SET b eth0\n"
		       "ADDR_ADD b eth0 10.0.1.2/24 #1001\n"
		       "LINK_SET host bx-b master br0\n"
		       "LINK_SET host bx-a master br0\n"
		       "LINK_PURGE a\n"
		       "LINK_PURGE host\n");
	fx_free(&x);

	/* The old end goes with its host end's purge. */
	fx_init(u, &x, box_conf);
	expect_up_with(u, &x,
		       "uplink = eth0\nbridge.br0.address = 10.0.0.1/24 10.0.1.1/24\n"
		       "ns.a.bridge = br0\nns.a.address = 10.0.0.2/24\nns.a.ifname = net0\n"
		       "ns.b.bridge = br0\nns.b.address = 10.0.1.2/24\nns.b.gateway = none\n"
		       "ns.p.peer = 10.9.0.1/30\nns.p.address = 10.9.0.2/30\nns.p.mtu = 1400\n",
		       "a's end renamed in the config",
		       "LINK_PARK host bx-a #100 old\n"
		       "LINK_ADD a net0 veth #1001 peer host:bx-a\n"
		       "LINK_SET a net0\n"
		       "ADDR_ADD a net0 10.0.0.2/24 #1001\n"
		       "ROUTE_ADD a net0 via 10.0.0.1 #1001 old via 10.0.0.1 #1000\n"
		       "LINK_SET host bx-a master br0\n"
		       "LINK_PURGE host\n");
	fx_free(&x);

	fx_init(u, &x, box_conf);
	expect_up_with(u, &x,
		       "uplink = eth0\nbridge.lan.address = 10.0.0.1/24 10.0.1.1/24\n"
		       "ns.a.bridge = lan\nns.a.address = 10.0.0.2/24\n"
		       "ns.b.bridge = lan\nns.b.address = 10.0.1.2/24\nns.b.gateway = none\n"
		       "ns.p.peer = 10.9.0.1/30\nns.p.address = 10.9.0.2/30\nns.p.mtu = 1400\n",
		       "br0 renamed lan in the config",
		       "NFT_LOAD host\n"
		       "LINK_PARK host br0 #10 old\n"
		       "LINK_ADD host lan bridge mac 02:62:56:60:80:10\n"
		       "LINK_SET host lan\n"
		       "ADDR_ADD host lan 10.0.0.1/24 #0\n"
		       "ADDR_ADD host lan 10.0.1.1/24 #0\n"
		       "LINK_SET host bx-a master lan mtu 1500 old #100\n"
		       "LINK_SET host bx-b master lan mtu 1500 old #101\n"
		       "LINK_PURGE host\n");
	fx_free(&x);

	fx_init(u, &x, box_conf);
	expect_up_with(u, &x,
		       "uplink = eth0\nbridge.br0.address = 10.0.0.1/24 10.0.1.1/24\nbridge.br0.mtu = 1400\n"
		       "ns.a.bridge = br0\nns.a.address = 10.0.0.2/24\n"
		       "ns.b.bridge = br0\nns.b.address = 10.0.1.2/24\nns.b.gateway = none\n"
		       "ns.p.bridge = br0\nns.p.address = 10.0.0.3/24\nns.p.mtu = 1400\n",
		       "br0's MTU set, p moved onto br0",
		       "NFT_LOAD host\n"
		       "LINK_SET host br0 mtu 1400 old #10\n"
		       "LINK_SET a eth0 mtu 1400 old #1000\n"
		       "LINK_SET b eth0 mtu 1400 old #1000\n"
		       "ADDR_DEL p eth0 10.9.0.2/30 #1000\n"
		       "ADDR_ADD p eth0 10.0.0.3/24 #1000\n"
		       "ROUTE_ADD p eth0 via 10.0.0.1 #1000 old via 10.9.0.1 #1000\n"
		       "LINK_SET host bx-a master br0 mtu 1400 old #100\n"
		       "LINK_SET host bx-b master br0 mtu 1400 old #101\n"
		       "LINK_SET host bx-p master br0 mtu 1400 old #102\n"
		       "ADDR_DEL host bx-p 10.9.0.1/30 #102\n");
	fx_free(&x);
}

static void test_addrs_routes(struct unit *u)
{
	struct fx x;

	/* Deleting an address may take others with it (the secondaries of a primary): those
	 * that stay are given again. */
	fx_init(u, &x, box_conf);
	add_addrs(&x.st.host, BRIDGE0, (struct prefix[]){P("10.0.2.1/24")}, 1);
	expect_up(u, &x, "an address on br0 the config dropped",
		  "ADDR_DEL host br0 10.0.2.1/24 #10\n"
		  "ADDR_ADD host br0 10.0.0.1/24 #10 old\n"
		  "ADDR_ADD host br0 10.0.1.1/24 #10 old\n", NULL);
	fx_free(&x);

	/* Inside, the default route through it may go too: set again. */
	fx_init(u, &x, box_conf);
	add_addrs(ns_of(&x, "a"), INSIDE, (struct prefix[]){P("10.0.1.7/24")}, 1);
	expect_up(u, &x, "an address in a the config dropped",
		  "ADDR_DEL a eth0 10.0.1.7/24 #1000\n"
		  "ADDR_ADD a eth0 10.0.0.2/24 #1000 old\n"
		  "ROUTE_ADD a eth0 via 10.0.0.1 #1000 old via 10.0.0.1 #1000\n", NULL);
	fx_free(&x);

	/* The same address with another prefix length is another address. */
	fx_init(u, &x, box_conf);
	for (size_t i = 0; i < x.st.host.naddrs; i++)
		if (x.st.host.addrs[i].index == HOSTIF0 + 2)
			x.st.host.addrs[i].p = P("10.9.0.1/29");
	expect_up(u, &x, "bx-p's address with another length",
		  "ADDR_DEL host bx-p 10.9.0.1/29 #102\n"
		  "ADDR_ADD host bx-p 10.9.0.1/30 #102\n", NULL);
	fx_free(&x);

	/* gone with its route: the kernel makes the route again with the address */
	fx_init(u, &x, box_conf);
	for (size_t i = x.st.host.naddrs; i-- > 0;)
		if (x.st.host.addrs[i].index == BRIDGE0 && in_net(&x.st.host.addrs[i].p, "10.0.1.0/24"))
			del_addr(&x.st.host, i);
	for (size_t i = x.st.host.nroutes; i-- > 0;)
		if (x.st.host.routes[i].oif == BRIDGE0 && in_net(&x.st.host.routes[i].dst, "10.0.1.0/24"))
			del_route(&x.st.host, i);
	expect_up(u, &x, "an address of br0 missing", "ADDR_ADD host br0 10.0.1.1/24 #10\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	ns_of(&x, "b")->naddrs = 0;
	ns_of(&x, "b")->nroutes = 0;
	expect_up(u, &x, "b's address missing", "ADDR_ADD b eth0 10.0.1.2/24 #1000\n", NULL);
	fx_free(&x);

	/* ip route flush: the subnet routes put back as the kernel makes them */
	fx_init(u, &x, box_conf);
	for (size_t i = x.st.host.nroutes; i-- > 0;)
		if (x.st.host.routes[i].oif == BRIDGE0 && in_net(&x.st.host.routes[i].dst, "10.0.0.0/24"))
			del_route(&x.st.host, i);
	struct ns_state *p = ns_of(&x, "p");
	for (size_t i = p->nroutes; i-- > 0;)
		if (p->routes[i].protocol == RTPROT_KERNEL)
			del_route(p, i);
	expect_up(u, &x, "kernel routes flushed",
		  "NET_ROUTE_ADD host br0 10.0.0.1/24 #10\n"
		  "NET_ROUTE_ADD p eth0 10.9.0.2/30 #1000\n", NULL);
	fx_free(&x);

	/* One route per subnet, from its first address; none for a /32. A route of another
	 * protocol to the subnet is not the kernel's. */
	fx_init(u, &x, "bridge.br1.address = 10.5.0.1/24 10.5.0.2/24 10.6.0.1/32\nns.q.bridge = br1\n"
		       "ns.q.address = 10.5.0.9/24 10.5.0.10/24\n");
	x.st.host.nroutes = 0;
	for (size_t i = 0; i < ns_of(&x, "q")->nroutes; i++)
		if (ns_of(&x, "q")->routes[i].protocol == RTPROT_KERNEL)
			ns_of(&x, "q")->routes[i].protocol = RTPROT_STATIC;
	expect_up(u, &x, "routes flushed, two addresses in a subnet, a /32",
		  "NET_ROUTE_ADD host br1 10.5.0.1/24 #10\n"
		  "NET_ROUTE_ADD q eth0 10.5.0.9/24 #1000\n", NULL);
	fx_free(&x);

	/* A link that is down has no such route, and gets none until it is up. */
	fx_init(u, &x, box_conf);
	host_link(&x, "br0")->up = false;
	for (size_t i = x.st.host.nroutes; i-- > 0;)
		if (x.st.host.routes[i].oif == BRIDGE0)
			del_route(&x.st.host, i);
	expect_up(u, &x, "br0 down, without its routes", "LINK_SET host br0 mtu 1500 old #10\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	for (size_t i = 0; i < ns_of(&x, "a")->nroutes; i++)
		if (ns_of(&x, "a")->routes[i].protocol == BOXNET_RTPROT)
			ns_of(&x, "a")->routes[i].gw = G("10.0.0.9");
	expect_up(u, &x, "a's default route through another gateway",
		  "ROUTE_ADD a eth0 via 10.0.0.1 #1000 old via 10.0.0.9 #1000\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	for (size_t i = 0; i < ns_of(&x, "a")->nroutes; i++)
		if (ns_of(&x, "a")->routes[i].protocol == BOXNET_RTPROT)
			ns_of(&x, "a")->routes[i].oif = 7;
	expect_up(u, &x, "a's default route through another link",
		  "ROUTE_ADD a eth0 via 10.0.0.1 #1000 old via 10.0.0.1 #7\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	add_route(ns_of(&x, "b"), default_via("10.0.1.1", INSIDE, BOXNET_RTPROT));
	expect_up(u, &x, "b's default route of boxnet's, gateway none",
		  "ROUTE_DEL b eth0 via 10.0.1.1 old via 10.0.1.1 #1000\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	struct ns_state *a = ns_of(&x, "a");
	for (size_t i = a->nroutes; i-- > 0;)
		if (is_default(&a->routes[i]))
			del_route(a, i);
	expect_up(u, &x, "a's default route missing", "ROUTE_ADD a eth0 via 10.0.0.1 #1000\n", NULL);
	fx_free(&x);
}

static void test_firewall_forwarding(struct unit *u)
{
	struct fx x;

	fx_init(u, &x, box_conf);
	x.st.table_exists = x.st.table_ours = false;
	x.st.table_comment[0] = '\0';
	nft_copy_free(&x.st.table);
	expect_up(u, &x, "the table flushed", "NFT_LOAD host\n",
		  "nftables table inet boxnet: table missing: was the ruleset flushed? (up puts it back)\n");
	fx_free(&x);

	fx_init(u, &x, box_conf);
	x.st.table_comment[8] ^= 1;
	expect_up(u, &x, "the table of another config", "NFT_LOAD host\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	free(x.st.table.rules[--x.st.table.nrules].exprs);
	expect_up(u, &x, "a rule deleted by hand", "NFT_LOAD host\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	x.st.table.flags = NFT_TABLE_F_DORMANT;
	expect_up(u, &x, "the table made dormant", "NFT_LOAD host\n", NULL);
	fx_free(&x);

	fx_init(u, &x, "");
	x.st.table_exists = x.st.table_ours = true;
	strcpy(x.st.table_comment, "boxnet 12345678");
	expect_up(u, &x, "boxnet's table, no rules", "NFT_DEL host\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	x.st.ip_forward[FAM_V4] = 0;
	expect_up(u, &x, "forwarding switched off by hand", "FORWARD_ON host\n", NULL);
	fx_free(&x);

	fx_init(u, &x, "bridge.iso.address = 10.3.0.1/24\nns.i.bridge = iso\nns.i.address = 10.3.0.2/24\n");
	CHECK(u, !x.c.forwarding[FAM_V4], "an isolated bridge without uplink needs no forwarding");
	x.st.ip_forward[FAM_V4] = 1;
	x.st.fwd_mark[FAM_V4] = true;
	expect_up(u, &x, "forwarding boxnet switched on, no longer needed", "FORWARD_OFF host\n", NULL);
	fx_free(&x);
}

static void add_stale(struct state *st, const char *name, bool ours, bool debris)
{
	struct ns_state *v = realloc(st->stale, (st->nstale + 1) * sizeof(*v));
	if (!v)
		return;
	st->stale = v;
	v[st->nstale] = (struct ns_state){.fd = -1, .exists = true, .ours = ours, .debris = debris,
					  .name_buf = strdup(name)};
	v[st->nstale].name = v[st->nstale].name_buf;
	st->nstale++;
}

static void test_stale(struct unit *u)
{
	struct fx x;
	fx_init(u, &x, box_conf);
	add_stale(&x.st, "old", true, false);
	add_stale(&x.st, "theirs", false, false);
	add_stale(&x.st, "half", false, true);
	expect_up(u, &x, "stale namespaces and debris",
		  "NETNS_DEL old\n"
		  "NETNS_DEL half\n",
		  "/run/netns/half is an empty file, no namespace on it (its maker was killed, or gone): removed\n");
	fx_free(&x);
}

static void test_clashes(struct unit *u)
{
	struct fx x;

	fx_init(u, &x, box_conf);
	add_link(&x.st.host, "wg0", "wireguard", 3);
	add_addrs(&x.st.host, 3, (struct prefix[]){P("10.9.0.5/29")}, 1);
	expect_conflict(u, &x, "a foreign address over p's peer subnet", 1,
			"ns p (t.conf:8): subnet of 10.9.0.1/30 overlaps address 10.9.0.5/29 on interface wg0, "
			"which boxnet did not create: the box would answer for the host's own network; choose another "
			"subnet\n");
	fx_free(&x);

	fx_init(u, &x, box_conf);
	add_route(&x.st.host, (struct route){.oif = UPLINK, .gw = G("192.168.1.2"), .protocol = RTPROT_BOOT,
					     .dst = P("10.0.0.0/16")});
	expect_conflict(u, &x, "a foreign route over br0's subnets", 2,
			"bridge br0 (t.conf:2): subnet of 10.0.0.1/24 overlaps the route to 10.0.0.0/16 on interface "
			"eth0, which boxnet did not create: the box would answer for the host's own network; choose "
			"another subnet\n"
			"bridge br0 (t.conf:2): subnet of 10.0.1.1/24 overlaps the route to 10.0.0.0/16 on interface "
			"eth0");
	fx_free(&x);

	fx_init(u, &x, box_conf);
	add_route(&x.st.host, (struct route){.protocol = RTPROT_STATIC, .dst = P("10.9.0.0/24")});
	expect_conflict(u, &x, "a multipath route over p's subnet", 1,
			"ns p (t.conf:8): subnet of 10.9.0.1/30 overlaps the route to 10.9.0.0/24 on interface "
			"(several)");
	fx_free(&x);

	/* What boxnet's own links have, and the kernel's routes, are no clash; nor is a foreign
	 * link that has a name in the config (that conflict is said once, above), nor an address
	 * of no link. */
	fx_init(u, &x, box_conf);
	add_route(&x.st.host, (struct route){.oif = BRIDGE0, .protocol = RTPROT_STATIC, .dst = P("10.0.0.0/16")});
	add_addr(&x.st.host, 55, P("10.0.0.7/24"));	/* its link gone between the two dumps */
	host_link(&x, "bx-p")->ours = false;
	expect_conflict(u, &x, "a route through br0, bx-p foreign", 1, "interface bx-p in the host exists");
	fx_free(&x);
}

/* ---- down ---- */

static void expect_down(struct unit *u, struct fx *x, const char *what, const char *ops, const char *notes)
{
	CHECK(u, plan_down(&x->p, &x->c, &x->st) == 0, "%s: down plans", what);
	expect_ops(u, &x->p, ops, what);
	CHECK(u, x->p.nconflicts == 0, "%s: no conflict (%s)", what, sbuf_str(&x->p.conflicts));
	CHECK_STR(u, sbuf_str(&x->p.notes), notes ? notes : "", "%s: notes", what);
}

static void test_down(struct unit *u)
{
	struct fx x;
	struct link *l;

	fx_init(u, &x, box_conf);
	expect_down(u, &x, "down, the box up",
		    "FORWARD_OFF host\n"
		    "NFT_DEL host\n"
		    "LINK_PARK host br0 #10 keep old\n"
		    "LINK_PARK host bx-a #100 keep old\n"
		    "LINK_PARK host bx-b #101 keep old\n"
		    "LINK_PARK host bx-p #102 keep old\n"
		    "NETNS_DEL a\n"
		    "NETNS_DEL b\n"
		    "NETNS_DEL p\n"
		    "LINK_PURGE host\n", NULL);
	fx_free(&x);

	fx_init(u, &x, box_conf);
	host_link(&x, "br0")->ours = false;
	ns_of(&x, "b")->ours = false;
	x.st.table_ours = false;
	x.st.fwd_mark[FAM_V4] = false;
	if ((l = add_link(&x.st.host, "bxg105", "veth", 105)))
		l->group = BOXNET_GROUP;
	if ((l = add_link(&x.st.host, "bx-new", "veth", 106)))
		l->group = BOXNET_GROUP_NEW;
	add_link(&x.st.host, "docker0", "bridge", 107);
	add_stale(&x.st, "half", false, true);
	expect_down(u, &x, "down, some of it not boxnet's",
		    "LINK_PARK host bx-a #100 keep old\n"
		    "LINK_PARK host bx-b #101 keep old\n"
		    "LINK_PARK host bx-p #102 keep old\n"
		    "LINK_PARK host bxg105 #105 keep old\n"
		    "LINK_PARK host bx-new #106 keep old\n"
		    "NETNS_DEL a\n"
		    "NETNS_DEL p\n"
		    "NETNS_DEL half\n"
		    "LINK_PURGE host\n",
		    "nftables table inet boxnet was not created by boxnet: left alone\n"
		    "interface br0 was not created by boxnet: left alone\n"
		    "interface bxg105 was left by a boxnet that was killed: removed\n"
		    "interface bx-new was left by a boxnet that was killed: removed\n"
		    "namespace b was not created by boxnet: left alone\n"
		    "/run/netns/half is an empty file, no namespace on it (its maker was killed, or gone): removed\n");
	fx_free(&x);

	fx_init(u, &x, box_conf);
	state_free(&x.st);
	state_init(&x.st, &x.c);
	x.st.known = x.st.host.exists = true;
	add_link(&x.st.host, "lo", "", LO);
	expect_down(u, &x, "down, nothing there", "", NULL);
	fx_free(&x);
}


/* ---- resolv.conf ---- */

static const char *const dns_conf =
	"uplink = eth0\n"
	"bridge.br0.address = 10.0.0.1/24 fd00:10::1/64\n"
	"ns.a.bridge = br0\n"
	"ns.a.address = 10.0.0.2/24 fd00:10::2/64\n"
	"ns.a.dns = 10.0.0.1 fd00:10::1 192.0.2.53\n"
	"ns.b.bridge = br0\n"
	"ns.b.address = 10.0.0.3/24\n";

/* A namespace's file as the state reader finds it: text NULL for none, "" for another's. */
static void dns_file(struct fx *x, const char *ns, const char *text)
{
	struct ns_state *n = ns_of(x, ns);
	sbuf_free(&n->dns_text);
	n->dns = !text ? DNS_NONE : *text ? DNS_OURS : DNS_FOREIGN;
	if (text && *text)
		sbuf_addf(&n->dns_text, "%s", text);
}

static void test_dns(struct unit *u)
{
	struct fx x;
	struct sbuf s = {0};

	fx_init(u, &x, dns_conf);
	dns_text(conf_ns(&x.c, "a"), "\n", &s);
	CHECK_STR(u, sbuf_str(&s),
		  "# boxnet: generated for namespace a; do not edit\n"
		  "nameserver 10.0.0.1\n"
		  "nameserver fd00:10::1\n"
		  "nameserver 192.0.2.53\n", "the file's text: boxnet's first line, the servers in config order");
	sbuf_free(&s);
	expect_up(u, &x, "resolv.conf as configured", "", NULL);
	fx_free(&x);

	fx_init(u, &x, dns_conf);
	dns_file(&x, "a", NULL);
	expect_up(u, &x, "a's resolv.conf missing", "DNS_WRITE a\n", NULL);
	CHECK(u, x.p.n == 1 && x.p.ops[0].owner == &conf_ns(&x.c, "a")->o, "it is a's, for status and messages");
	plan_print_op(&x.p, &x.p.ops[0], &s);
	CHECK_STR(u, sbuf_str(&s),
		  "mkdir -p /etc/netns/a\n"
		  "printf '# boxnet: generated for namespace a; do not edit\\nnameserver 10.0.0.1\\n"
		  "nameserver fd00:10::1\\nnameserver 192.0.2.53\\n' > /etc/netns/a/resolv.conf\n",
		  "plan prints it as sh");
	sbuf_free(&s);
	fx_free(&x);

	fx_init(u, &x, dns_conf);
	dns_file(&x, "a", "# boxnet: generated for namespace a; do not edit\nnameserver 10.0.0.1\n");
	dns_file(&x, "b", "# boxnet: generated for namespace b; do not edit\nnameserver 10.0.0.1\n");
	expect_up(u, &x, "boxnet's files: a's differs, b's no longer wanted", "DNS_WRITE a old\nDNS_DEL b old\n", NULL);
	fx_free(&x);

	fx_init(u, &x, dns_conf);
	dns_file(&x, "a", "");
	dns_file(&x, "b", "");
	expect_conflict(u, &x, "another's file where a's goes", 1,
			"file /etc/netns/a/resolv.conf exists and was not written by boxnet; remove it or drop "
			"ns.a.dns\n");
	CHECK(u, x.p.n == 0, "nothing for either file (b wants none: its file is not in the way)");
	fx_free(&x);

	fx_init(u, &x, dns_conf);
	expect_up_with(u, &x, "uplink = eth0\nbridge.br0.address = 10.0.0.1/24 fd00:10::1/64\nns.a.bridge = br0\n"
			      "ns.a.address = 10.0.0.2/24 fd00:10::2/64\nns.a.dns = fd00:10::1\nns.b.bridge = br0\n"
			      "ns.b.address = 10.0.0.3/24\nns.b.dns = 10.0.0.1\n",
		       "servers changed: each file written anew", "DNS_WRITE a old\nDNS_WRITE b\n");
	fx_free(&x);

	fx_init(u, &x, dns_conf);
	add_stale(&x.st, "old", true, false);
	dns_file(&x, "old", NULL);
	x.st.stale[0].dns = DNS_OURS;
	sbuf_addf(&x.st.stale[0].dns_text, "# boxnet: generated for namespace old; do not edit\n");
	add_stale(&x.st, "gone", true, false);
	expect_up(u, &x, "a stale namespace: boxnet's file goes first, then it", "DNS_DEL old old\nNETNS_DEL old\n"
		  "NETNS_DEL gone\n", NULL);
	fx_free(&x);

	fx_init(u, &x, dns_conf);
	expect_down(u, &x, "down removes boxnet's file before the namespace",
		    "FORWARD_OFF host\n"
		    "FORWARD_OFF host\n"
		    "NFT_DEL host\n"
		    "LINK_PARK host br0 #10 keep old\n"
		    "LINK_PARK host bx-a #100 keep old\n"
		    "LINK_PARK host bx-b #101 keep old\n"
		    "DNS_DEL a old\n"
		    "NETNS_DEL a\n"
		    "NETNS_DEL b\n"
		    "LINK_PURGE host\n", NULL);
	fx_free(&x);

	fx_init(u, &x, dns_conf);
	dns_file(&x, "a", "");
	ns_of(&x, "b")->exists = false;
	dns_file(&x, "b", "# boxnet: generated for namespace b; do not edit\n");
	CHECK(u, plan_down(&x.p, &x.c, &x.st) == 0 && x.p.nconflicts == 0, "down: another's file is no conflict");
	expect_ops(u, &x.p, "FORWARD_OFF host\nFORWARD_OFF host\nNFT_DEL host\nLINK_PARK host br0 #10 keep old\n"
		   "LINK_PARK host bx-a #100 keep old\nLINK_PARK host bx-b #101 keep old\nNETNS_DEL a\nDNS_DEL b old\n"
		   "LINK_PURGE host\n", "down: another's file left alone; boxnet's goes without its namespace too");
	fx_free(&x);
}

/* ---- both families ---- */

static const char *const dual_conf =
	"uplink = eth0\n"
	"bridge.br0.address = 10.0.0.1/24 fd00:10::1/64\n"
	"ns.a.bridge = br0\n"
	"ns.a.address = 10.0.0.2/24 fd00:10::2/64\n"
	"ns.p.peer = 10.9.0.1/30 2001:db8:9::1/64\n"
	"ns.p.address = 10.9.0.2/30 2001:db8:9::2/64\n"
	"ns.p.masquerade = ipv4\n";

/* The one op of that type, or NULL. */
static const struct op *only_op(const struct plan *p, enum op_type type)
{
	const struct op *found = NULL;
	for (size_t i = 0; i < p->n; i++) {
		if (p->ops[i].type != type)
			continue;
		if (found)
			return NULL;
		found = &p->ops[i];
	}
	return found;
}

static void test_dual_stack(struct unit *u)
{
	struct fx x;
	char a[IP_STRLEN];
	const struct op *o;

	fx_init(u, &x, dual_conf);
	CHECK(u, x.c.forwarding[FAM_V4] && x.c.forwarding[FAM_V6], "dual stack: both families forward");
	expect_up(u, &x, "dual stack, converged", "", NULL);
	fx_free(&x);

	/* The IPv6 default route alone taken by someone else. */
	fx_init(u, &x, dual_conf);
	struct ns_state *a_ns = ns_of(&x, "a");
	for (size_t i = 0; i < a_ns->nroutes; i++)
		if (is_default(&a_ns->routes[i]) && a_ns->routes[i].dst.family == AF_INET6)
			a_ns->routes[i].protocol = RTPROT_BOOT;
	expect_conflict(u, &x, "a foreign IPv6 default route", 1,
			"namespace a has a default route that boxnet did not set; delete it (ip -6 route del default)");
	fx_free(&x);

	/* The IPv6 gateway changed: only that family's route is replaced. */
	fx_init(u, &x, dual_conf);
	for (size_t i = 0; i < ns_of(&x, "a")->nroutes; i++) {
		struct route *r = &ns_of(&x, "a")->routes[i];
		if (is_default(r) && r->dst.family == AF_INET6)
			r->gw = G("fd00:10::9");
	}
	CHECK(u, plan_up(&x.p, &x.c, &x.st) == 0, "IPv6 gateway changed: up plans");
	o = only_op(&x.p, OP_ROUTE_ADD);
	CHECK(u, o && o->addr.family == AF_INET6 && !strcmp(ip_str(&o->addr, a), "fd00:10::1") && o->has_old,
	      "IPv6 gateway changed: one route replaced, the IPv6 one, to the bridge's address");
	fx_free(&x);

	/* The kernel's IPv6 subnet route deleted by hand. */
	fx_init(u, &x, dual_conf);
	struct ns_state *host = &x.st.host;
	for (size_t i = 0; i < host->nroutes; i++)
		if (host->routes[i].protocol == RTPROT_KERNEL && in_net(&host->routes[i].dst, "2001:db8:9::/64"))
			del_route(host, i--);
	CHECK(u, plan_up(&x.p, &x.c, &x.st) == 0, "IPv6 subnet route flushed: up plans");
	o = only_op(&x.p, OP_NET_ROUTE_ADD);
	CHECK(u, o && !strcmp(prefix_str(&o->addr, a), "2001:db8:9::1/64"),
	      "IPv6 subnet route flushed: put back, for the peer's address");
	fx_free(&x);

	/* IPv6 forwarding off: on again, and the uplink's accept_ra raised if it takes RAs. */
	fx_init(u, &x, dual_conf);
	x.st.ip_forward[FAM_V6] = 0;
	x.st.accept_ra = 1;
	CHECK(u, plan_up(&x.p, &x.c, &x.st) == 0, "IPv6 forwarding off: up plans");
	o = only_op(&x.p, OP_FORWARD_ON);
	CHECK(u, o && o->addr.family == AF_INET6 && o->ifname && !strcmp(o->ifname, "eth0"),
	      "IPv6 forwarding off: on again, accept_ra of eth0 to 2");
	plan_free(&x.p);
	x.st.accept_ra = 0;
	CHECK(u, plan_up(&x.p, &x.c, &x.st) == 0 && (o = only_op(&x.p, OP_FORWARD_ON)) && !o->ifname,
	      "...an uplink that takes no RAs (accept_ra 0) is left alone");
	fx_free(&x);

	/* Down: forwarding of each family boxnet switched on goes off; accept_ra back. */
	fx_init(u, &x, dual_conf);
	strcpy(x.st.ra_uplink, "eth0");
	CHECK(u, plan_down(&x.p, &x.c, &x.st) == 0, "dual stack down plans");
	size_t off4 = 0, off6 = 0;
	for (size_t i = 0; i < x.p.n; i++) {
		o = &x.p.ops[i];
		if (o->type != OP_FORWARD_OFF)
			continue;
		if (o->addr.family == AF_INET6 && o->ifname && !strcmp(o->ifname, "eth0"))
			off6++;
		else if (o->addr.family == AF_INET && !o->ifname)
			off4++;
	}
	CHECK(u, off4 == 1 && off6 == 1, "down: IPv4 and IPv6 forwarding off, eth0's accept_ra back (%zu, %zu)", off4, off6);
	fx_free(&x);

	/* An older boxnet's table ip boxnet: replaced by the load, deleted by down. */
	fx_init(u, &x, dual_conf);
	x.st.legacy_table = true;
	CHECK(u, plan_up(&x.p, &x.c, &x.st) == 0 && (o = only_op(&x.p, OP_NFT_LOAD)) && o->legacy && !x.p.notes.len,
	      "an old table ip boxnet: the table loads again, the old one goes in the same transaction, no note");
	plan_free(&x.p);
	CHECK(u, plan_down(&x.p, &x.c, &x.st) == 0 && (o = only_op(&x.p, OP_NFT_DEL)) && o->legacy,
	      "an old table ip boxnet: down deletes it too");
	fx_free(&x);
}

/* ---- static routes and namespace routers ---- */

static const char *const routes_conf =
	"uplink = eth0\n"
	"bridge.lan.address = 10.0.0.1/24 fd00::1/64\n"
	"ns.vpn.bridge = lan\n"
	"ns.vpn.address = 10.0.0.2/24 fd00::2/64\n"
	"ns.vpn.forwarding = yes\n"
	"ns.q.bridge = lan\n"
	"ns.q.address = 10.0.0.3/24\n"
	"ns.q.gateway = none\n"
	"ns.p.peer = 10.9.0.1/30\n"
	"ns.p.address = 10.9.0.2/30\n"
	"route.r4.to = 10.99.0.0/24\n"
	"route.r4.via = 10.0.0.2\n"
	"route.r6.to = fd00:99::/64\n"
	"route.r6.via = fd00::2\n"
	"route.rp.to = 10.98.0.0/16\n"
	"route.rp.via = 10.9.0.2\n"
	"route.rp.metric = 7\n"
	"route.qd.ns = q\n"
	"route.qd.to = default\n"
	"route.qd.via = 10.0.0.2\n"
	"route.qd.metric = 5\n";

/* The same, r4 through q instead of vpn, rp and r6 dropped, and vpn no longer forwarding. */
static const char *const routes_conf2 =
	"uplink = eth0\n"
	"bridge.lan.address = 10.0.0.1/24 fd00::1/64\n"
	"ns.vpn.bridge = lan\n"
	"ns.vpn.address = 10.0.0.2/24 fd00::2/64\n"
	"ns.q.bridge = lan\n"
	"ns.q.address = 10.0.0.3/24\n"
	"ns.q.gateway = none\n"
	"ns.p.peer = 10.9.0.1/30\n"
	"ns.p.address = 10.9.0.2/30\n"
	"route.r4.to = 10.99.0.0/24\n"
	"route.r4.via = 10.0.0.3\n"
	"route.qd.ns = q\n"
	"route.qd.to = default\n"
	"route.qd.via = 10.0.0.2\n"
	"route.qd.metric = 5\n";

/* Does the plan's text hold what (want), or not? Says what it holds when not as wanted. */
static bool plan_has(struct fx *x, const char *what, bool want)
{
	struct sbuf s = {0};
	plan_text(&x->p, &s);
	bool found = strstr(sbuf_str(&s), what) != NULL;
	if (found != want)
		printf("# %s the plan: '%s'\n%s", want ? "not in" : "in", what, sbuf_str(&s));
	sbuf_free(&s);
	return found == want;
}

static void test_routes(struct unit *u)
{
	struct fx x;

	fx_init(u, &x, routes_conf);
	expect_up(u, &x, "routes and a forwarding namespace, converged", "", NULL);
	fx_free(&x);

	/* plan: a clean box, nothing known. */
	fx_init(u, &x, routes_conf);
	state_free(&x.st);
	state_init(&x.st, &x.c);
	CHECK(u, plan_up(&x.p, &x.c, &x.st) == 0, "routes, fresh: up plans");
	CHECK(u, plan_has(&x, "ROUTE_ADD host lan to 10.99.0.0/24 via 10.0.0.2\n", true), "fresh: the host's route via vpn, on lan");
	CHECK(u, plan_has(&x, "ROUTE_ADD host lan to fd00:99::/64 metric 1024 via fd00::2\n", true),
	      "fresh: the IPv6 route, with the kernel's metric for 0");
	CHECK(u, plan_has(&x, "ROUTE_ADD host bx-p to 10.98.0.0/16 metric 7 via 10.9.0.2\n", true),
	      "fresh: a route via the peer namespace, on its host end");
	CHECK(u, plan_has(&x, "ROUTE_ADD q eth0 metric 5 via 10.0.0.2 #1000\n", true), "fresh: q's default route, no other");
	CHECK(u, plan_has(&x, "FORWARD_ON vpn ipv4\nFORWARD_ON vpn ipv6\n", true), "fresh: vpn forwards, both families");
	size_t host_routes = 0, last_link = 0, first_route = 0;
	for (size_t i = 0; i < x.p.n; i++) {
		const struct op *o = &x.p.ops[i];
		if (o->type == OP_LINK_SET || o->type == OP_ADDR_ADD)
			last_link = i;
		if (o->type == OP_ROUTE_ADD && !o->where->name && !host_routes++)
			first_route = i;
		CHECK(u, o->type != OP_FORWARD_OFF, "fresh: no forwarding off (%zu)", i);
	}
	CHECK(u, host_routes == 3 && first_route > last_link,
	      "fresh: the host's 3 routes come once every link is up with its addresses");
	fx_free(&x);

	/* The kernel's state drifted. */
	fx_init(u, &x, routes_conf);
	for (size_t i = 0; i < x.st.host.nroutes; i++)
		if (x.st.host.routes[i].protocol == BOXNET_RTPROT && x.st.host.routes[i].metric == 7)
			x.st.host.routes[i].gw = G("10.9.0.1");
	ns_of(&x, "vpn")->fwd[FAM_V6] = 0;
	expect_up(u, &x, "a route's next hop changed, vpn's IPv6 forwarding off by hand",
		  "FORWARD_ON vpn ipv6\n"
		  "ROUTE_ADD host bx-p to 10.98.0.0/16 metric 7 via 10.9.0.2 old via 10.9.0.1 #102\n", NULL);
	fx_free(&x);

	fx_init(u, &x, routes_conf);
	for (size_t i = x.st.host.nroutes; i-- > 0;)
		if (x.st.host.routes[i].dst.family == AF_INET6 && x.st.host.routes[i].protocol == BOXNET_RTPROT)
			del_route(&x.st.host, i);
	expect_up(u, &x, "the IPv6 route deleted by hand", "ROUTE_ADD host lan to fd00:99::/64 metric 1024 via fd00::2\n",
		  NULL);
	fx_free(&x);

	/* An address of lan goes: the routes through lan are set again. */
	fx_init(u, &x, routes_conf);
	add_addrs(&x.st.host, BRIDGE0, (struct prefix[]){P("10.0.7.1/24")}, 1);
	expect_up(u, &x, "an address of lan the config dropped",
		  "ADDR_DEL host lan 10.0.7.1/24 #10\n"
		  "ADDR_ADD host lan 10.0.0.1/24 #10 old\n"
		  "ADDR_ADD host lan fd00::1/64 #10 old\n"
		  "ROUTE_ADD host lan to 10.99.0.0/24 via 10.0.0.2 old via 10.0.0.2 #10\n"
		  "ROUTE_ADD host lan to fd00:99::/64 metric 1024 via fd00::2 old via fd00::2 #10\n", NULL);
	fx_free(&x);

	/* Someone else's route to the same network with the same metric: a conflict, never
	 * replaced; with another metric, beside boxnet's. */
	fx_init(u, &x, routes_conf);
	for (size_t i = 0; i < x.st.host.nroutes; i++)
		if (x.st.host.routes[i].protocol == BOXNET_RTPROT && x.st.host.routes[i].dst.len == 24)
			x.st.host.routes[i].protocol = RTPROT_STATIC;
	expect_conflict(u, &x, "a foreign route to 10.99.0.0/24, metric 0", 1,
			"the host has a route to 10.99.0.0/24, with the same metric, that boxnet did not set; delete it");
	fx_free(&x);
	fx_init(u, &x, routes_conf);
	for (size_t i = 0; i < x.st.host.nroutes; i++)
		if (x.st.host.routes[i].protocol == BOXNET_RTPROT && x.st.host.routes[i].dst.len == 24) {
			x.st.host.routes[i].protocol = RTPROT_STATIC;
			x.st.host.routes[i].metric = 20;
		}
	expect_up(u, &x, "a foreign route to 10.99.0.0/24, metric 20", "ROUTE_ADD host lan to 10.99.0.0/24 via 10.0.0.2\n",
		  NULL);
	fx_free(&x);

	/* Routes of boxnet's protocol that no route names: boxnet's go, through its own links
	 * only; another box's (a boxnet that runs inside a namespace of another) stay. */
	fx_init(u, &x, routes_conf);
	add_route(&x.st.host, (struct route){.oif = BRIDGE0, .gw = G("10.0.0.3"), .protocol = BOXNET_RTPROT,
					     .dst = P("10.50.0.0/16")});
	add_route(&x.st.host, (struct route){.oif = UPLINK, .gw = G("192.168.1.1"), .protocol = BOXNET_RTPROT,
					     .dst = P("10.51.0.0/16")});
	add_route(ns_of(&x, "q"), (struct route){.oif = INSIDE, .gw = G("10.0.0.2"), .protocol = BOXNET_RTPROT,
						 .dst = P("10.52.0.0/16"), .metric = 3});
	expect_up(u, &x, "routes of boxnet's that no route names",
		  "ROUTE_DEL q to 10.52.0.0/16 metric 3 via 0.0.0.0 old via 10.0.0.2 #1000\n"
		  "ROUTE_DEL host to 10.50.0.0/16 via 0.0.0.0 old via 10.0.0.3 #10\n", NULL);
	fx_free(&x);

	/* The config changed: a route through another next hop, two gone, vpn forwards no more. */
	fx_init(u, &x, routes_conf);
	expect_up_with(u, &x, routes_conf2, "routes changed, vpn no router",
		       "FORWARD_OFF vpn ipv4\n"
		       "FORWARD_OFF vpn ipv6\n"
		       "ROUTE_ADD host lan to 10.99.0.0/24 via 10.0.0.3 old via 10.0.0.2 #10\n"
		       "ROUTE_DEL host to fd00:99::/64 metric 1024 via :: old via fd00::2 #10\n"
		       "ROUTE_DEL host to 10.98.0.0/16 metric 7 via 0.0.0.0 old via 10.9.0.2 #102\n");
	fx_free(&x);

	/* q's static default route is not taken for a default gateway route: a gateway none
	 * does not delete it; a default route of boxnet's with another metric goes. */
	fx_init(u, &x, routes_conf);
	add_route(ns_of(&x, "q"), default_via("10.0.0.1", INSIDE, BOXNET_RTPROT));
	expect_up(u, &x, "q: its static default route stays, an old gateway route goes",
		  "ROUTE_DEL q eth0 via 10.0.0.1 old via 10.0.0.1 #1000\n", NULL);
	fx_free(&x);

	/* q's static default route (metric 5) dropped, its gateway back: the gateway route
	 * comes beside it, and it goes. */
	fx_init(u, &x, routes_conf);
	expect_up_with(u, &x,
		       "uplink = eth0\nbridge.lan.address = 10.0.0.1/24 fd00::1/64\nns.vpn.bridge = lan\n"
		       "ns.vpn.address = 10.0.0.2/24 fd00::2/64\nns.vpn.forwarding = yes\nns.q.bridge = lan\n"
		       "ns.q.address = 10.0.0.3/24\nns.p.peer = 10.9.0.1/30\nns.p.address = 10.9.0.2/30\n"
		       "route.r4.to = 10.99.0.0/24\nroute.r4.via = 10.0.0.2\nroute.r6.to = fd00:99::/64\n"
		       "route.r6.via = fd00::2\nroute.rp.to = 10.98.0.0/16\nroute.rp.via = 10.9.0.2\n"
		       "route.rp.metric = 7\n",
		       "q's static default route gone, its gateway back",
		       "ROUTE_ADD q eth0 via 10.0.0.1 #1000\n"
		       "ROUTE_DEL q metric 5 via 0.0.0.0 old via 10.0.0.2 #1000\n");
	fx_free(&x);

	/* down deletes the host's routes before their links go: a down that fails later puts
	 * them back. */
	fx_init(u, &x, routes_conf);
	CHECK(u, plan_down(&x.p, &x.c, &x.st) == 0, "routes, down: plans");
	size_t dels = 0, first_park = x.p.n, last_del = 0;
	for (size_t i = 0; i < x.p.n; i++) {
		const struct op *o = &x.p.ops[i];
		if (o->type == OP_ROUTE_DEL && !o->where->name && o->has_old) {
			dels++;
			last_del = i;
		}
		if (o->type == OP_LINK_PARK && first_park == x.p.n)
			first_park = i;
	}
	CHECK(u, dels == 3 && last_del < first_park, "routes, down: the host's 3 routes deleted, before any link goes (%zu)",
	      dels);
	fx_free(&x);

	/* A new namespace takes the host's IPv4 forwarding: switched off when the host's is on,
	 * unless the namespace is to forward. */
	fx_init(u, &x, routes_conf);
	ns_of(&x, "q")->exists = false;
	ns_of(&x, "q")->nlinks = ns_of(&x, "q")->naddrs = ns_of(&x, "q")->nroutes = 0;
	x.st.ip_forward[FAM_V4] = 1;
	CHECK(u, plan_up(&x.p, &x.c, &x.st) == 0 && plan_has(&x, "FORWARD_OFF q ipv4\n", true) && plan_has(&x, "q ipv6", false),
	      "a new namespace, the host forwarding: its IPv4 forwarding off; it has no IPv6");
	fx_free(&x);
	fx_init(u, &x, routes_conf);
	ns_of(&x, "vpn")->exists = false;
	ns_of(&x, "vpn")->nlinks = ns_of(&x, "vpn")->naddrs = ns_of(&x, "vpn")->nroutes = 0;
	x.st.ip_forward[FAM_V4] = x.st.ip_forward[FAM_V6] = 1;
	CHECK(u, plan_up(&x.p, &x.c, &x.st) == 0 && plan_has(&x, "FORWARD_ON vpn ipv4\nFORWARD_ON vpn ipv6\n", true),
	      "a new namespace that forwards: switched on, whatever the host's");
	fx_free(&x);
}

void test_plan(struct unit *u)
{
	test_offload(u);
	test_converged(u);
	test_fresh(u);
	test_foreign(u);
	test_links(u);
	test_link_settings(u);
	test_config_changed(u);
	test_addrs_routes(u);
	test_firewall_forwarding(u);
	test_stale(u);
	test_clashes(u);
	test_down(u);
	test_dns(u);
	test_dual_stack(u);
	test_routes(u);
}
