/* validate.c: cross-check a parsed config and derive defaults, before any kernel write. */
#include "conf.h"

#include <stdlib.h>
#include <string.h>

#define KEYNAME_SIZE 64

static const char *keyname(const struct obj *o, enum key_id k, char buf[KEYNAME_SIZE])
{
	if (o->kind == KIND_GLOBAL)
		snprintf(buf, KEYNAME_SIZE, "%s", conf_keys[k].attr);
	else
		snprintf(buf, KEYNAME_SIZE, "%s.%s.%s", conf_kinds[o->kind].name, o->name,
			 conf_keys[k].attr);
	return buf;
}

static unsigned line_of(const struct obj *o, enum key_id k)
{
	return o->at[k] ? o->at[k] : o->line;
}

static bool is_bad(const struct obj *o, enum key_id k)
{
	return o->bad[k];
}


/* "WHAT in KEY: 'VALUE' (WHY; expected EXPECT)", WHY optional: the shape of most messages
 * about one key, said in one place. */
static NOINLINE void in_key(const struct obj *o, enum key_id k, const char *what, const char *value, const char *why,
			    const char *expect, struct diag *d)
{
	char key[KEYNAME_SIZE];
	diag_err(d, line_of(o, k), "%s in %s: '%s' (%s%sexpected %s)", what, keyname(o, k, key), value, why ? why : "",
		 why ? "; " : "", expect);
}

/* Key k of o names an object of that kind which the file does not have. */
static void unknown_ref(const struct obj *o, enum key_id k, enum kind kind, const char *name, struct diag *d)
{
	char key[KEYNAME_SIZE];
	const char *noun = conf_kinds[kind].noun;
	diag_err(d, o->at[k], "unknown %s in %s: '%s' (expected a %s that has %s.%s.* keys in this file)", noun,
		 keyname(o, k, key), name, noun, conf_kinds[kind].name, name);
}

/* ---- host interface names must be distinct ---- */

struct host_name {
	const char *name;
	const char *owner;	/* "bridge br0", "uplink"... */
	unsigned line;
};

static int by_name(const void *a, const void *b)
{
	const struct host_name *x = a, *y = b;
	int r = strcmp(x->name, y->name);
	return r ? r : (x->line > y->line) - (x->line < y->line);
}

static void check_host_names(struct config *c, struct diag *d)
{
	size_t n = 0;
	struct host_name *v = calloc(c->objs[KIND_BRIDGE].n + c->objs[KIND_NS].n + c->objs[KIND_VLAN].n + 1, sizeof(*v));
	char *owners = calloc(c->objs[KIND_NS].n + 1, 32);
	if (!v || !owners) {
		diag_err(d, 0, "out of memory");
		goto out;
	}
	if (c->uplink[0] && !conf_vlan(c, c->uplink))	/* a vlan boxnet makes may be the uplink */
		v[n++] = (struct host_name){c->uplink, "the uplink", c->uplink_line};
	/* Bridges (k KIND_BRIDGE, vlan 0), then vlans (k KIND_VLAN, vlan 1): one loop. */
	for (int k = KIND_BRIDGE, vlan = 0; vlan < 2; k = KIND_VLAN, vlan++)
		for (size_t i = 0; i < c->objs[k].n; i++)
			v[n++] = (struct host_name){c->objs[k].v[i]->name, vlan ? "a vlan" : "a bridge", c->objs[k].v[i]->line};
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
		struct netns *ns = conf_ns_at(c, i);
		if (!ns->hostif[0])
			continue;
		char *owner = owners + 32 * i;
		snprintf(owner, 32, "ns %s's host end", ns->o.name);
		v[n++] = (struct host_name){ns->hostif, owner, line_of(&ns->o, KEY_NS_HOSTIF)};
	}
	qsort(v, n, sizeof(*v), by_name);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(v[i].name, v[i - 1].name))
			continue;
		diag_err(d, v[i].line,
			 "interface name used twice on the host: '%s' (already %s on line %u; expected distinct names)",
			 v[i].name, v[i - 1].owner, v[i - 1].line);
	}
out:
	free(v);
	free(owners);
}

/* ---- addresses: each once, and segments' subnets apart ---- */

struct addr_use {
	struct prefix p;
	struct prefix net;	/* p's network, worked out once: the sort compares it often */
	const struct obj *o;
	enum key_id k;
	size_t seg;		/* segment index, for the overlap check */
};

/* The tie-break of both orders: the earlier line first. */
static NOINLINE int by_line(const struct addr_use *x, const struct addr_use *y)
{
	unsigned lx = line_of(x->o, x->k), ly = line_of(y->o, y->k);
	return (lx > ly) - (lx < ly);
}

static int by_addr(const void *a, const void *b)
{
	const struct addr_use *x = a, *y = b;
	int r = ip_cmp(&x->p, &y->p);
	return r ? r : by_line(x, y);
}

static int by_subnet(const void *a, const void *b)
{
	const struct addr_use *x = a, *y = b;
	int r = ip_cmp(&x->net, &y->net);
	if (r)
		return r;
	if (x->p.len != y->p.len)
		return x->p.len < y->p.len ? -1 : 1;	/* wider first */
	return by_line(x, y);
}

/* Every address (all), and the segments' host-side ones (segs), which define their subnets. */
struct uses {
	struct addr_use *all, *segs;
	size_t n, nsegs;
};

/* An object's addresses of key k; those of segment seg too, unless seg is -1. */
static void add_uses(struct uses *u, const struct obj *o, enum key_id k, const struct addrs *a, long seg)
{
	for (unsigned i = 0; i < a->n; i++) {
		struct addr_use *x = &u->all[u->n++];
		x->p = a->v[i];
		x->net = prefix_net(&a->v[i]);
		x->o = o;
		x->k = k;
		x->seg = (size_t)seg;
		if (seg >= 0)
			u->segs[u->nsegs++] = *x;
	}
}

static void check_addresses(struct config *c, struct diag *d)
{
	size_t total = 0;
	for (size_t i = 0; i < c->objs[KIND_BRIDGE].n; i++)
		total += conf_bridge_at(c, i)->addrs.n;
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++)
		total += conf_ns_at(c, i)->addrs.n + conf_ns_at(c, i)->peer.n;
	struct uses u = {calloc(total + 1, sizeof(*u.all)), calloc(total + 1, sizeof(*u.segs)), 0, 0};
	struct addr_use *all = u.all, *segs = u.segs;
	if (!all || !segs) {
		diag_err(d, 0, "out of memory");
		goto out;
	}
	long seg = 0;
	for (size_t i = 0; i < c->objs[KIND_BRIDGE].n; i++) {
		struct bridge *b = conf_bridge_at(c, i);
		add_uses(&u, &b->o, KEY_BR_ADDRESS, &b->addrs, seg++);
	}
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
		struct netns *ns = conf_ns_at(c, i);
		add_uses(&u, &ns->o, KEY_NS_ADDRESS, &ns->addrs, -1);
		if (ns->has_peer && !ns->bridge_name[0])
			add_uses(&u, &ns->o, KEY_NS_PEER, &ns->peer, seg++);
	}
	size_t n = u.n, ns_ = u.nsegs;

	char k1[KEYNAME_SIZE], k2[KEYNAME_SIZE], a[IP_STRLEN], b[IP_STRLEN];
	qsort(all, n, sizeof(*all), by_addr);
	for (size_t i = 1; i < n; i++) {
		if (!ip_eq(&all[i].p, &all[i - 1].p))
			continue;
		diag_err(d, line_of(all[i].o, all[i].k),
			 "address used twice in %s: '%s' (already in %s on line %u; expected each address once)",
			 keyname(all[i].o, all[i].k, k1), prefix_str(&all[i].p, a),
			 keyname(all[i - 1].o, all[i - 1].k, k2), line_of(all[i - 1].o, all[i - 1].k));
	}

	/* Sorted by family and network, wider first: a subnet overlaps an earlier one of its
	 * family iff it starts before the widest end seen so far. */
	qsort(segs, ns_, sizeof(*segs), by_subnet);
	size_t widest = 0;
	for (size_t i = 1; i < ns_; i++) {
		const struct prefix *start = &segs[i].net;
		struct prefix end = prefix_last(&segs[widest].p);
		if (segs[i].p.family != segs[widest].p.family) {
			widest = i;
			continue;
		}
		if (ip_cmp(start, &end) <= 0 && segs[i].seg != segs[widest].seg) {
			diag_err(d, line_of(segs[i].o, segs[i].k),
				 "subnet overlaps another segment's in %s: '%s' (%s of %s on line %u; expected separate subnets)",
				 keyname(segs[i].o, segs[i].k, k1), prefix_str(&segs[i].p, a),
				 prefix_str(&segs[widest].net, b), keyname(segs[widest].o, segs[widest].k, k2),
				 line_of(segs[widest].o, segs[widest].k));
		}
		struct prefix last = prefix_last(&segs[i].p);
		if (ip_cmp(&last, &end) > 0)
			widest = i;
	}
out:
	free(all);
	free(segs);
}

/* ---- namespaces ---- */

static const struct prefix *containing(const struct prefix *v, unsigned n, const struct prefix *addr)
{
	for (unsigned i = 0; i < n; i++)
		if (prefix_contains(&v[i], addr))
			return &v[i];
	return NULL;
}

/* The subnets of v, like "10.0.0.0/24 or 10.0.1.0/24". */
static void list_subnets(char *buf, size_t size, const struct prefix *v, unsigned n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < n && used + IP_STRLEN + 5 < size; i++) {
		char p[IP_STRLEN];
		struct prefix net = prefix_net(&v[i]);
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " or " : "", prefix_str(&net, p));
	}
}

static void check_ns_addresses(struct netns *ns, const struct prefix *nets, unsigned nnets,
			       const char *segname, struct diag *d)
{
	char key[KEYNAME_SIZE], a[IP_STRLEN], b[IP_STRLEN], list[160];
	if (!nnets || is_bad(&ns->o, KEY_NS_ADDRESS))
		return;
	list_subnets(list, sizeof(list), nets, nnets);
	for (unsigned i = 0; i < ns->addrs.n; i++) {
		const struct prefix *p = &ns->addrs.v[i];
		const struct prefix *net = containing(nets, nnets, p);
		if (net && net->len == p->len)
			continue;
		bool family = false;
		for (unsigned k = 0; k < nnets; k++)
			family |= nets[k].family == p->family;
		/* What all three messages say, worked out once. */
		unsigned line = line_of(&ns->o, KEY_NS_ADDRESS);
		const char *kn = keyname(&ns->o, KEY_NS_ADDRESS, key), *as = prefix_str(p, a);
		char v = p->family == AF_INET6 ? '6' : '4';
		if (!family)
			diag_err(d, line,
				 "%s has no IPv%c subnet for %s: '%s' (expected an address in %s, or an IPv%c address on %s too)",
				 segname, v, kn, as, list, v, segname);
		else if (net)
			diag_err(d, line, "prefix length differs from %s's subnet in %s: '%s' (expected /%u, as in %s)", segname,
				 kn, as, net->len, prefix_str(net, b));
		else
			diag_err(d, line, "address outside %s's subnet in %s: '%s' (expected an address in %s)", segname, kn,
				 as, list);
	}
}

/* Is gw a neighbour's address in one of the subnets of v (a namespace's addresses, or the host
 * side of the segment the host reaches it on)? If not, key k of o says why. */
static bool check_hop(const struct obj *o, enum key_id k, const struct prefix *v, unsigned n, const struct prefix *gw,
		      bool host, struct diag *d)
{
	char key[KEYNAME_SIZE], list[160], expect[192], a[IP_STRLEN];
	const struct prefix *net = containing(v, n, gw);
	const char *why = NULL;
	for (unsigned i = 0; i < n; i++)
		if (ip_eq(&v[i], gw))
			why = host ? "it is the host's own address" : "it is the namespace's own address";
	if (!net) {
		why = n ? "not in a local subnet" : host ? "not in a segment's subnet" : "the namespace has no address";
	} else {
		struct prefix in = *gw;
		in.len = net->len;
		const char *end = ip_subnet_end(&in);
		why = end ? end : why;
	}
	if (!why)
		return true;
	list_subnets(list, sizeof(list), v, n);
	snprintf(expect, sizeof(expect), "a neighbour's address in %s",
		 n ? list : host ? "a bridge's or peer's subnet" : "a subnet of ns.NAME.address");
	bad_key(d, line_of(o, k), conf_keys[k].attr, keyname(o, k, key), ip_str(gw, a), why, expect);
	return false;
}

/* One family's gateway, given: a neighbour's address in one of the namespace's subnets. */
static void check_gateway(struct netns *ns, const struct prefix *gw, struct diag *d)
{
	if (check_hop(&ns->o, KEY_NS_GATEWAY, ns->addrs.v, ns->addrs.n, gw, false, d))
		ns->gateway[fam(gw->family)] = *gw;
}

/* Per family: the gateway given, or by default the segment's host-side address in the
 * subnet of the first of the namespace's addresses that has one. */
static void derive_gateway(struct netns *ns, const struct prefix *nets, unsigned nnets,
			   struct diag *d)
{
	memset(ns->gateway, 0, sizeof(ns->gateway));
	if (ns->gw.mode == GW_NONE || is_bad(&ns->o, KEY_NS_GATEWAY) || is_bad(&ns->o, KEY_NS_ADDRESS))
		return;
	for (unsigned f = 0; f < FAM_COUNT; f++) {
		if (ns->gw.set[f].family) {
			check_gateway(ns, &ns->gw.set[f], d);
			continue;
		}
		for (unsigned i = 0; i < ns->addrs.n && !ns->gateway[f].family; i++) {
			for (unsigned j = 0; j < nnets; j++) {
				if (fam(nets[j].family) == f && prefix_contains(&ns->addrs.v[i], &nets[j])) {
					ns->gateway[f] = nets[j];
					ns->gateway[f].len = (uint8_t)(ip_size(nets[j].family) * 8);
					break;
				}
			}
		}
	}
}

/* A segment's defaults: masquerade out of the uplink if there is one, and isolated. k is its
 * masquerade key: set without an uplink, an error. */
static void segment_defaults(const struct config *c, const struct obj *o, enum key_id k, int *masq, int *isolate,
			     struct diag *d)
{
	if (*masq < 0)
		*masq = c->uplink[0] ? MASQ_ALL : 0;
	if (*isolate < 0)
		*isolate = 1;
	if (*masq && !c->uplink[0] && !c->uplink_bad && !is_bad(o, k))
		in_key(o, k, "masquerade needs an uplink", o->raw[k], NULL, "a global uplink = IFNAME", d);
}

void check_ns(struct config *c, struct obj *o, struct diag *d)
{
	struct netns *ns = (struct netns *)o;
	char key[KEYNAME_SIZE];
	bool has_bridge = o->at[KEY_NS_BRIDGE] != 0;
	ns->has_peer = ns->peer.n > 0;

	/* Exactly one link: a veth pair (on a bridge, or routed: peer), or one of its own. */
	static const enum key_id links[] = {KEY_NS_BRIDGE, KEY_NS_PEER, KEY_NS_LINK, KEY_NS_MACVLAN};
	unsigned nlinks = 0, later = 0;
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		nlinks += o->at[links[i]] != 0;
		later = o->at[links[i]] > later ? o->at[links[i]] : later;
	}
	if (!nlinks && !o->unknown_key)
		diag_err(d, o->line,
			 "namespace has no bridge, peer, link or macvlan: '%s' (expected one of ns.%s.bridge = BRIDGE, "
			 "ns.%s.peer = CIDR, ns.%s.link = IFNAME or ns.%s.macvlan = IFNAME)",
			 o->name, o->name, o->name, o->name, o->name);
	else if (nlinks > 1)
		diag_err(d, later,
			 "namespace has more than one of bridge, peer, link and macvlan: '%s' (expected exactly one of "
			 "ns.%s.bridge, ns.%s.peer, ns.%s.link and ns.%s.macvlan)",
			 o->name, o->name, o->name, o->name, o->name);
	if (!ns->ifname[0])
		copy_name(ns->ifname, NAME_SIZE, "eth0");
	if (!ns_veth(ns)) {
		/* On the parent's network itself, not behind the box: nothing to route or NAT, no
		 * host end, and no gateway but one given. */
		static const enum key_id veth_only[] = {KEY_NS_MASQUERADE, KEY_NS_ISOLATE, KEY_NS_HOSTIF};
		for (size_t i = 0; i < ARRAY_SIZE(veth_only); i++) {
			enum key_id k = veth_only[i];
			if (o->at[k] && !is_bad(o, k))
				diag_err(d, o->at[k],
					 "%s does not apply to a namespace with a link of its own: '%s' (boxnet neither "
					 "routes nor NATs for it; expected no ns.%s.%s)",
					 keyname(o, k, key), o->raw[k], o->name, conf_keys[k].attr);
		}
		ns->has_peer = false;
		ns->hostif[0] = '\0';
		derive_gateway(ns, NULL, 0, d);
		return;
	}
	if (has_bridge && !is_bad(o, KEY_NS_BRIDGE)) {
		ns->bridge = conf_bridge(c, ns->bridge_name);
		if (!ns->bridge)
			unknown_ref(o, KEY_NS_BRIDGE, KIND_BRIDGE, ns->bridge_name, d);
		else if (++ns->bridge->nports == BRIDGE_MAX_PORTS + 1)
			in_key(o, KEY_NS_BRIDGE, "bridge full", ns->bridge_name, NULL,
			       "at most " BRIDGE_MAX_PORTS_STR " namespaces on one bridge, the kernel's limit", d);
	}
	if (has_bridge) {
		ns->has_peer = false;	/* reported above when both were set */
		static const enum key_id peer_only[] = {KEY_NS_MASQUERADE, KEY_NS_ISOLATE};
		for (size_t i = 0; i < ARRAY_SIZE(peer_only) && !is_bad(o, KEY_NS_BRIDGE); i++) {
			enum key_id k = peer_only[i];
			if (!o->at[k] || is_bad(o, k))
				continue;
			diag_err(d, o->at[k],
				 "%s applies to peer namespaces only: '%s' (expected it on bridge.%s.%s)",
				 keyname(o, k, key), o->raw[k], ns->bridge_name, conf_keys[k].attr);
		}
	}

	if (!ns->hostif[0] && !is_bad(o, KEY_NS_HOSTIF)) {
		if (strlen(o->name) + 3 >= NAME_SIZE)
			diag_err(d, o->line,
				 "host end name 'bx-%s' would be longer than 15 bytes: '%s' (expected ns.%s.hostif = NAME)",
				 o->name, o->name, o->name);
		else
			snprintf(ns->hostif, NAME_SIZE, "bx-%.12s", o->name);
	}

	/* The segment's subnets: its bridge's, or its peer's. */
	const struct addrs *nets = NULL;
	char seg[NAME_SIZE + 8] = "the peer";
	if (ns->bridge) {
		if (!ns->mtu)
			ns->mtu = ns->bridge->mtu;
		if (!is_bad(&ns->bridge->o, KEY_BR_ADDRESS)) {
			snprintf(seg, sizeof(seg), "bridge %s", ns->bridge->o.name);
			nets = &ns->bridge->addrs;
		}
	} else if (ns->has_peer) {
		nets = &ns->peer;
	}
	if (nets) {
		check_ns_addresses(ns, nets->v, nets->n, seg, d);
		derive_gateway(ns, nets->v, nets->n, d);
	}
	if (nets == &ns->peer)
		segment_defaults(c, o, KEY_NS_MASQUERADE, &ns->masquerade, &ns->isolate, d);
}

void check_bridge(struct config *c, struct obj *o, struct diag *d)
{
	struct bridge *b = (struct bridge *)o;
	segment_defaults(c, o, KEY_BR_MASQUERADE, &b->masquerade, &b->isolate, d);
}

/* ---- port forwards and openings ---- */

static void derive_segments(struct config *c, struct diag *d);

/* A key the object cannot do without. */
static bool needs(const struct obj *o, enum key_id k, struct diag *d)
{
	if (!o->at[k] && !o->unknown_key)
		diag_err(d, o->line, "%s has no %s: '%s' (expected %s.%s.%s = %s)", conf_kinds[o->kind].noun,
			 conf_keys[k].attr, o->name, conf_kinds[o->kind].name, o->name, conf_keys[k].attr,
			 key_expect(k));
	return o->at[k] && !o->bad[k];
}

/* The segment whose subnet holds addr, or NULL. */
static const struct segment *segment_of(const struct config *c, const struct prefix *addr)
{
	for (size_t i = 0; i < c->nsegs; i++)
		if (containing(c->segs[i].nets, c->segs[i].nnets, addr))
			return &c->segs[i];
	return NULL;
}

/* The first address of a of each family in fams (bits 1 << FAM_*), as a host address, into
 * out where it has none yet: returns the families out has. */
static unsigned first_addrs(const struct addrs *a, unsigned fams, struct prefix out[FAM_COUNT])
{
	for (unsigned i = 0; i < a->n; i++) {
		struct prefix *t = &out[fam(a->v[i].family)];
		if (!t->family && fams >> fam(a->v[i].family) & 1) {
			*t = a->v[i];
			t->len = (uint8_t)(ip_size(t->family) * 8);
		}
	}
	return (out[FAM_V4].family != 0) | (unsigned)(out[FAM_V6].family != 0) << 1;
}

/* Each family's target: the namespace's first address of it, or the address given; only
 * the families of `from`, when given. */
void check_forward(struct config *c, struct obj *o, struct diag *d)
{
	struct forward *f = (struct forward *)o;
	char key[KEYNAME_SIZE], a[KEYNAME_SIZE];
	const char *why = NULL;
	derive_segments(c, d);
	if (!f->proto)
		f->proto = PROTO_TCP;
	if (!needs(o, KEY_FWD_PORT, d) | !needs(o, KEY_FWD_TO, d) || o->bad[KEY_FWD_FROM])
		return;
	unsigned fams = f->from.n ? 0 : 3, n = f->port.hi - f->port.lo + 1;
	for (unsigned i = 0; i < f->from.n; i++)
		fams |= 1u << fam(f->from.v[i].family);
	const struct netns *ns = f->to.ns[0] ? conf_ns(c, f->to.ns) : NULL;
	if (ns)
		first_addrs(&ns->addrs, fams, f->addr);
	if (!ns && !f->to.ns[0] && fams >> fam(f->to.addr.family) & 1)
		f->addr[fam(f->to.addr.family)] = f->to.addr;
	for (unsigned k = 0; k < FAM_COUNT; k++)
		if (f->addr[k].family && !segment_of(c, &f->addr[k]))
			why = "not inside a segment's subnet";
	if (f->to.ns[0] && !ns)
		why = "no such namespace";
	else if (!f->addr[FAM_V4].family && !f->addr[FAM_V6].family)
		why = f->from.n ? "no address of the family of from" : "the namespace has no address";
	else if (f->to.port && f->to.port != f->port.lo && n > 1 && (n > FWD_SHIFT_MAX || f->to.port + n - 1 > 65535))
		why = "a range moved to other ports is one rule a port: at most 256, ending at 65535";
	if (why) {
		memset(f->addr, 0, sizeof(f->addr));	/* forwards nothing: no clash with later ones */
		in_key(o, KEY_FWD_TO, "bad target", o->raw[KEY_FWD_TO], why, key_expect(KEY_FWD_TO), d);
		return;
	}
	/* Per family and protocol, a port goes to one target only. */
	for (size_t i = 0; c->objs[KIND_FORWARD].v[i] != o; i++) {
		const struct forward *g = (const struct forward *)c->objs[KIND_FORWARD].v[i];
		bool both = (f->addr[0].family && g->addr[0].family) || (f->addr[1].family && g->addr[1].family);
		if (both && f->proto & g->proto && f->port.lo <= g->port.hi && g->port.lo <= f->port.hi) {
			diag_err(d, o->at[KEY_FWD_PORT], "port forwarded twice in %s: '%s' (already by %s on line %u; expected each port once per protocol)",
				 keyname(o, KEY_FWD_PORT, key), o->raw[KEY_FWD_PORT], keyname(&g->o, KEY_FWD_PORT, a),
				 line_of(&g->o, KEY_FWD_PORT));
			return;
		}
	}
}

/* Each side: a bridge, a peer namespace (its segment), or one namespace on a bridge (the
 * bridge, and its address of each family). */
void check_allow(struct config *c, struct obj *o, struct diag *d)
{
	struct allow *al = (struct allow *)o;
	unsigned has[2] = {0, 0};	/* families with an address, per side */
	if (!al->proto)
		al->proto = PROTO_TCP | PROTO_UDP;
	bool ok = needs(o, KEY_AL_FROM, d) & needs(o, KEY_AL_TO, d);
	for (int s = 0; s < 2 && ok; s++) {
		enum key_id k = s ? KEY_AL_TO : KEY_AL_FROM;
		const char *name = al->side_name[s];
		const struct netns *ns = conf_ns(c, name);
		const struct bridge *br = conf_bridge(c, name);
		if (br)
			al->seg[s] = br->o.name;
		else if (ns && (ns->bridge || ns->has_peer))
			al->seg[s] = ns->bridge ? ns->bridge->o.name : ns->hostif;
		if (!br && ns && ns->bridge)
			has[s] = first_addrs(&ns->addrs, 3, al->addr[s]);
		if (!al->seg[s]) {
			in_key(o, k, "unknown segment", name, NULL, key_expect(k), d);
			ok = false;
		}
	}
	if (ok && !strcmp(al->seg[0], al->seg[1]))
		in_key(o, KEY_AL_TO, "bad opening", o->raw[KEY_AL_TO], "one segment, whose neighbours talk freely",
		       "two segments", d);
	else if (ok && has[0] && has[1] && !(has[0] & has[1]))
		in_key(o, KEY_AL_TO, "bad opening", o->raw[KEY_AL_TO], "the two namespaces have no address family in common",
		       "addresses of one family on both", d);
	if (al->port.lo && al->proto & PROTO_ICMP)
		in_key(o, KEY_AL_PORT, "port with icmp", o->raw[KEY_AL_PORT], NULL, "tcp or udp only with a port", d);
}

static void derive_segments(struct config *c, struct diag *d)
{
	if (c->segs)
		return;	/* derived already, for a kind checked after the namespaces */
	c->segs = calloc(c->objs[KIND_BRIDGE].n + c->objs[KIND_NS].n + 1, sizeof(*c->segs));
	if (!c->segs) {
		diag_err(d, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < c->objs[KIND_BRIDGE].n; i++) {
		struct bridge *b = conf_bridge_at(c, i);
		c->segs[c->nsegs++] = (struct segment){b->o.name, b->addrs.v, b->addrs.n,
						       b->masquerade > 0 ? (unsigned)b->masquerade : 0, b->isolate == 1, true};
	}
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
		struct netns *ns = conf_ns_at(c, i);
		if (ns->has_peer)
			c->segs[c->nsegs++] = (struct segment){ns->hostif, ns->peer.v, ns->peer.n,
							       ns->masquerade > 0 ? (unsigned)ns->masquerade : 0, ns->isolate == 1, false};
	}
	/* Per family, routed traffic needs forwarding: out of the uplink, or between two open
	 * segments. */
	for (unsigned f = 0; f < FAM_COUNT; f++) {
		unsigned routed = 0, open = 0;
		for (size_t i = 0; i < c->nsegs; i++) {
			bool has = false;
			for (unsigned k = 0; k < c->segs[i].nnets; k++)
				has |= fam(c->segs[i].nets[k].family) == f;
			routed += has;
			open += has && !c->segs[i].isolate;
		}
		c->forwarding[f] = (c->uplink[0] && routed) || open >= 2;
	}
}

/* ---- static routes ---- */

/* Key k of route o is wrong: why, and what would do. */
static void bad_route(const struct obj *o, enum key_id k, const char *why, const char *expect, struct diag *d)
{
	char key[KEYNAME_SIZE];
	bad_key(d, line_of(o, k), conf_keys[k].attr, keyname(o, k, key), o->raw[k], why, expect);
}

void check_route(struct config *c, struct obj *o, struct diag *d)
{
	struct sroute *r = (struct sroute *)o;
	const struct netns *ns = NULL;
	bool bad = is_bad(o, KEY_RT_TO) || is_bad(o, KEY_RT_VIA) || is_bad(o, KEY_RT_NS);
	if (o->at[KEY_RT_NS] && !bad && !(ns = r->ns = conf_ns(c, r->ns_name))) {
		unknown_ref(o, KEY_RT_NS, KIND_NS, r->ns_name, d);
		bad = true;
	}
	/* needs() says what is missing; a route with an unknown key goes on as before. */
	for (enum key_id k = KEY_RT_TO; k <= KEY_RT_VIA; k++) {
		needs(o, k, d);
		bad |= !o->at[k] && !o->unknown_key;
	}
	if (bad || (ns && is_bad(&ns->o, KEY_NS_ADDRESS)))
		return;
	unsigned f = fam(r->via.family);
	if (!r->to.family)
		r->to.family = r->via.family;	/* default */
	if (!r->metric && f == FAM_V6)
		r->metric = 1024;	/* what the kernel makes of 0 */
	if (r->to.family != r->via.family) {
		bad_route(o, KEY_RT_VIA, "not of to's family", "an address of the family of route.NAME.to", d);
		return;
	}
	/* Its next hop is in a subnet of the namespace, or of the segment the host reaches it on. */
	const struct prefix *v = ns ? ns->addrs.v : NULL;
	unsigned n = ns ? ns->addrs.n : 0;
	const char *ifname = ns ? ns->ifname : NULL;
	for (size_t i = 0; i < c->nsegs && !ns; i++) {
		if (containing(c->segs[i].nets, c->segs[i].nnets, &r->via)) {
			v = c->segs[i].nets;
			n = c->segs[i].nnets;
			ifname = c->segs[i].ifname;
		}
	}
	if (!check_hop(o, KEY_RT_VIA, v, n, &r->via, !ns, d))
		return;
	if (!r->to.len && ns && ns->gateway[f].family) {
		bad_route(o, KEY_RT_TO, "the namespace has a default gateway", "ns.NAME.gateway = none, or no default route", d);
		return;
	}
	for (size_t i = 0; conf_route_at(c, i) != r; i++) {
		const struct sroute *q = conf_route_at(c, i);
		if (q->ifname && q->ns == ns && prefix_eq(&q->to, &r->to) && q->metric == r->metric) {
			char why[KEYNAME_SIZE + 32];
			snprintf(why, sizeof(why), "as route.%s on line %u", q->o.name, line_of(&q->o, KEY_RT_TO));
			bad_route(o, KEY_RT_TO, why, "one route per network and metric in a namespace", d);
			return;
		}
	}
	r->ifname = ifname;	/* valid */
}

/* ---- interfaces boxnet does not make: ports, moved links, vlan and macvlan parents ---- */

/* A host interface o's key k names: a vlan's, a port's, a namespace's link or macvlan parent. */
struct iface_use {
	const char *name;
	const struct obj *o;
	enum key_id k;
};

static NOINLINE void bad_iface(const struct iface_use *u, const char *why, const char *expect, struct diag *d)
{
	in_key(u->o, u->k, "bad interface", u->name, why, expect, d);
}

void check_vlan(struct config *c, struct obj *o, struct diag *d)
{
	struct vlan *v = (struct vlan *)o;
	if (!needs(o, KEY_VLAN_LINK, d) | !needs(o, KEY_VLAN_ID, d))
		return;
	for (size_t i = 0; conf_vlan_at(c, i) != v; i++) {
		const struct vlan *w = conf_vlan_at(c, i);
		if (w->id == v->id && !strcmp(w->link, v->link)) {
			char why[KEYNAME_SIZE + 32];
			snprintf(why, sizeof(why), "vlan %s on line %u is that VLAN of %s already", w->o.name,
				 line_of(&w->o, KEY_VLAN_ID), v->link);
			bad_route(o, KEY_VLAN_ID, why, "one vlan per link and id", d);
			return;
		}
	}
}

/* What an interface named in the config is: 0 an interface boxnet does not make, else what
 * boxnet makes under that name. */
static NOINLINE const char *made_by_boxnet(const struct config *c, const char *name)
{
	if (conf_bridge(c, name))
		return "it is a bridge boxnet makes";
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++)
		if (!strcmp(conf_ns_at(c, i)->hostif, name))
			return "it is the host end of a namespace's veth pair";
	return NULL;
}

/* Each interface boxnet adopts (a port, a moved link) has one use only; vlans and macvlans
 * may share a parent, but not with a moved link, which leaves the host. */
static void check_ifaces(struct config *c, struct diag *d)
{
	size_t n = 0, cap = c->objs[KIND_VLAN].n + 2 * c->objs[KIND_NS].n + 1;
	for (size_t i = 0; i < c->objs[KIND_BRIDGE].n; i++)
		cap += conf_bridge_at(c, i)->ports.n;
	struct iface_use *v = calloc(cap, sizeof(*v));
	if (!v) {
		diag_err(d, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < c->objs[KIND_BRIDGE].n; i++) {
		const struct bridge *b = conf_bridge_at(c, i);
		for (unsigned j = 0; j < b->ports.n; j++)
			v[n++] = (struct iface_use){b->ports.v[j], &b->o, KEY_BR_PORTS};
	}
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
		struct netns *ns = conf_ns_at(c, i);
		if (ns->link[0] && !is_bad(&ns->o, KEY_NS_LINK))
			v[n++] = (struct iface_use){ns->link, &ns->o, KEY_NS_LINK};
		/* A vlan as its link is born in it on the vlan's parent, as a macvlan is, and is not
		 * made on the host: it shares no other use (below: the uplink, a port...). */
		if ((ns->vlan = conf_vlan(c, ns->link)))
			ns->vlan->ns = ns;
		if (ns->macvlan[0] && !is_bad(&ns->o, KEY_NS_MACVLAN))
			v[n++] = (struct iface_use){ns->macvlan, &ns->o, KEY_NS_MACVLAN};
	}
	for (size_t i = 0; i < c->objs[KIND_VLAN].n; i++) {
		const struct vlan *w = conf_vlan_at(c, i);
		if (w->link[0] && !is_bad(&w->o, KEY_VLAN_LINK))
			v[n++] = (struct iface_use){w->link, &w->o, KEY_VLAN_LINK};
	}
	for (size_t i = 0; i < n; i++) {
		const struct iface_use *u = &v[i];
		const char *made = made_by_boxnet(c, u->name);
		bool moved = u->k == KEY_NS_LINK, port = u->k == KEY_BR_PORTS;
		if (made && (u->k != KEY_NS_MACVLAN || conf_bridge(c, u->name))) {
			bad_iface(u, made, "an interface boxnet does not make", d);
			continue;
		}
		if ((moved || port) && !strcmp(u->name, c->uplink)) {
			bad_iface(u, "it is the uplink", "another interface than the uplink", d);
			continue;
		}
		if (u->k == KEY_VLAN_LINK && conf_vlan(c, u->name)) {
			bad_iface(u, "a vlan on a vlan (802.1ad, QinQ) is not supported", "an interface boxnet does not make", d);
			continue;
		}
		/* The earlier use that this one cannot share the interface with. */
		for (size_t j = 0; j < i; j++) {
			const struct iface_use *e = &v[j];
			/* A bridge port may carry vlans; a bridge and macvlans cannot share one
			 * (the kernel gives an interface's frames to one of them). */
			bool adopted = moved || port || e->k == KEY_NS_LINK || e->k == KEY_BR_PORTS;
			bool vlan_on_port = (port && e->k == KEY_VLAN_LINK) || (u->k == KEY_VLAN_LINK && e->k == KEY_BR_PORTS);
			if (strcmp(e->name, u->name) || !adopted || vlan_on_port)
				continue;
			char why[2 * KEYNAME_SIZE + 80], key[KEYNAME_SIZE];
			bool born = conf_vlan(c, u->name) && (moved || e->k == KEY_NS_LINK);
			snprintf(why, sizeof(why),
				 born ? "%s on line %u names it too: a vlan that is a namespace's link is born there, not "
					"made on the host"
				      : "already in %s on line %u",
				 keyname(e->o, e->k, key), line_of(e->o, e->k));
			bad_iface(u, why, moved ? "an interface no other key names" : "an interface in one key only", d);
			break;
		}
	}
	free(v);
}

void conf_validate(struct config *c, struct diag *d)
{
	for (int k = KIND_GLOBAL + 1; k < KIND_COUNT; k++) {
		/* The kinds after namespaces use the segments. */
		if (k == KIND_NS + 1) {
			check_host_names(c, d);
			check_addresses(c, d);
			derive_segments(c, d);
		}
		for (size_t i = 0; i < c->objs[k].n; i++)
			conf_kinds[k].check(c, c->objs[k].v[i], d);
	}
	check_ifaces(c, d);
}
