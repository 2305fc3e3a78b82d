/* plan.c: compare the config with the kernel's state and list the operations between them. */
#include "plan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rtnetlink.h>

#include "netns.h"

#define DEFAULT_MTU 1500	/* what the kernel gives a new veth or bridge */

/* Emits an op; on failure (out of memory) the plan is marked and later emits are no-ops. */
static struct op *emit(struct plan *p, enum op_type type, struct ns_state *where, const char *ifname,
		       const struct obj *owner)
{
	if (p->oom || grow(&p->ops, &p->cap, p->n + 1, sizeof(*p->ops))) {
		p->oom = true;
		return &p->sink;
	}
	struct op *o = &p->ops[p->n++];
	*o = (struct op){.type = type, .where = where, .ifname = ifname, .owner = owner};
	return o;
}

static void conflict(struct plan *p, const char *fmt, const char *a, const char *b)
{
	p->nconflicts++;
	sbuf_addf(&p->conflicts, fmt, a, b);
	sbuf_add(&p->conflicts, "\n", 1);
}

static void note(struct plan *p, const char *fmt, const char *a, const char *b)
{
	sbuf_addf(&p->notes, fmt, a, b);
	sbuf_add(&p->notes, "\n", 1);
}

static const char *ns_label(const struct ns_state *ns)
{
	return ns->name ? ns->name : "the host";
}

/* Is link l, not boxnet's, where boxnet wants one of its own? */
static bool foreign(struct plan *p, const struct link *l, const struct ns_state *ns)
{
	if (!l || l->ours)
		return false;
	conflict(p, "interface %s in %s exists and was not created by boxnet; remove or rename it",
		 l->name, ns_label(ns));
	return true;
}

static void remember(struct op *o, const struct link *l)
{
	if (l) {
		o->has_old = true;
		o->old_link = *l;
	}
}

/* The same for a route: one copy, not one per caller. */
static NOINLINE void remember_route(struct op *o, const struct route *r)
{
	if (r) {
		o->has_old = true;
		o->old_route = *r;
	}
}

/* Moves one of boxnet's links out of the way: down, in BOXNET_GROUP, and renamed unless
 * keep_name. All parked links go in one request at the end (OP_LINK_PURGE); until then
 * parking can be undone. */
static void park(struct plan *p, struct ns_state *where, const struct link *l, bool keep_name)
{
	struct op *o = emit(p, OP_LINK_PARK, where, NULL, NULL);
	remember(o, l);	/* a copy of the name too: the state forgets it once it is parked */
	o->purge = true;
	o->keep_name = keep_name;
	p->parked++;
}

/* One request per namespace with parked links that nothing else takes along, the host's
 * last: it is the one that nearly always deletes everything (a veth's peer goes with it),
 * and what fails before it can still be undone. */
static void purge(struct plan *p, struct state *st)
{
	bool host = false;
	size_t n = p->n;
	for (size_t i = 0; i < n; i++) {
		const struct op *o = &p->ops[i];
		if (o->type != OP_LINK_PARK || !o->purge)
			continue;
		if (o->where == &st->host) {
			host = true;
			continue;
		}
		bool seen = false;
		for (size_t k = n; k < p->n && !seen; k++)
			seen = p->ops[k].where == o->where;
		if (!seen)
			emit(p, OP_LINK_PURGE, o->where, NULL, NULL);
	}
	if (host)
		emit(p, OP_LINK_PURGE, &st->host, NULL, NULL);
}

/* Once the ops no longer move: parked links are named by their copy of the old name. */
static int finish(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ops[i].type == OP_LINK_PARK)
			p->ops[i].ifname = p->ops[i].old_link.name;
	return p->oom || p->conflicts.oom || p->notes.oom ? -1 : 0;
}

/* ---- what the config wants ---- */

/* Is name one that boxnet makes on the host? (Not a vlan born in a namespace.) */
static bool is_host_name(const struct config *c, const char *name)
{
	const struct vlan *v = conf_vlan(c, name);
	if (conf_bridge(c, name) || (v && !v->ns))
		return true;
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++)
		if (!strcmp(conf_ns_at(c, i)->hostif, name))
			return true;
	return false;
}

/* The box routes IPv6 on a link with an IPv6 address. Such a link, on the host, needs its
 * link-local address at once: the kernel asks for a forwarded packet's next hop from it
 * only, and duplicate address detection would hold it for a second or two. */
static bool has_family(const struct prefix *v, unsigned n, uint8_t family)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i].family == family)
			return true;
	return false;
}

/* A port's MTU: the bridge's when set, else its own from before boxnet; 0 when unknown. */
static unsigned port_mtu(const struct state *st, const struct bridge *b, const char *port)
{
	const struct adopted *a = state_adopted(st, port);
	const struct link *l = state_link(&st->host, port);
	return b->mtu ? b->mtu : a ? a->mtu : l ? l->mtu : 0;
}

/* A bridge without an MTU of its own takes its ports' smallest, as the kernel does. */
static unsigned bridge_mtu(const struct config *c, const struct state *st, const struct bridge *b)
{
	unsigned mtu = 0;
	if (b->mtu)
		return b->mtu;
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
		unsigned port = conf_ns_at(c, i)->mtu ? conf_ns_at(c, i)->mtu : DEFAULT_MTU;
		if (conf_ns_at(c, i)->bridge == b && (!mtu || port < mtu))
			mtu = port;
	}
	for (unsigned i = 0; i < b->ports.n; i++) {
		unsigned port = port_mtu(st, b, b->ports.v[i]);
		if (port && (!mtu || port < mtu))
			mtu = port;
	}
	return mtu ? mtu : DEFAULT_MTU;
}

/* A bridge's own address: without one it takes its ports' lowest, and changes under its
 * neighbours' ARP caches when that port goes; one that is set the kernel keeps. Derived from
 * the name, so that plan prints what up sets: locally administered, unicast, 02:62 ("b"). */
static void bridge_mac(const char *name, unsigned char mac[6])
{
	uint32_t h = fnv1a(name, strlen(name));
	mac[0] = 0x02;
	mac[1] = 0x62;
	for (int i = 0; i < 4; i++)
		mac[2 + i] = (unsigned char)(h >> (24 - 8 * i));
}

/* A bridge with ports sits on a LAN beside other boxes, maybe with a bridge of the same name:
 * it takes its first port's own address (fixed, whatever ports come and go). Returns the port
 * when only the shell can tell it (plan). */
static const char *bridge_addr(const struct config *c, const struct state *st, const struct bridge *b,
			       unsigned char mac[6])
{
	const char *port = b->ports.n ? b->ports.v[0] : NULL;
	/* A vlan of the config carries its parent's address, and the parent is there before it. */
	const struct vlan *v = port ? conf_vlan(c, port) : NULL;
	if (v)
		port = v->link;
	const struct adopted *a = port ? state_adopted(st, port) : NULL;
	const struct link *l = port ? state_link(&st->host, port) : NULL;
	bridge_mac(b->o.name, mac);
	if (a || l)
		memcpy(mac, a ? a->mac : link_mac(l), 6);
	return st->known ? NULL : port;
}

/* master: the index the link must be enslaved to, 0 for none, -1 when that does not matter. */
static bool link_differs(const struct link *l, unsigned mtu, int master)
{
	return !l->up || !l->ours || l->remark || l->mtu != mtu || (master >= 0 && l->master != master);
}

/* A namespace's veth pair is sound when both ends are boxnet's veths where they belong, and
 * each other's peer: names can be swapped behind boxnet's back, or given to another
 * namespace by a new config. The host end's index is unique in the host, so the namespace
 * end's peer names it; every namespace end has index 1000, so the host end's peer alone
 * would not do. */
static bool veth_sound(const struct config *c, const struct state *st, size_t i)
{
	const struct ns_state *ns = &st->ns[i];
	const struct link *h = state_link(&st->host, conf_ns_at(c, i)->hostif);
	const struct link *in = ns->exists ? state_link(ns, conf_ns_at(c, i)->ifname) : NULL;
	return h && in && h->ours && in->ours && !strcmp(h->kind, "veth") && !strcmp(in->kind, "veth") &&
	       h->peer == in->index && in->peer == h->index && h->peer_away && in->peer_away;
}

static bool ns_usable(const struct state *st, size_t i)
{
	return !st->ns[i].exists || st->ns[i].ours;
}

/* Forwarding of a family off, and the uplink's accept_ra back if boxnet raised it. */
static void forward_off(struct plan *p, struct state *st, unsigned f)
{
	struct op *o = emit(p, OP_FORWARD_OFF, &st->host, NULL, NULL);
	o->addr.family = fam_af(f);
	if (f == FAM_V6 && st->ra_uplink[0])
		o->ifname = st->ra_uplink;
}

/* ---- up ---- */

/* The bridge b on the host when it is boxnet's and a bridge; else NULL: it is made anew. */
static const struct link *own_bridge(const struct ns_state *host, const struct bridge *b)
{
	const struct link *l = state_link(host, b->o.name);
	return l && l->ours && !strcmp(l->kind, "bridge") ? l : NULL;
}

static void clash(struct plan *p, const struct config *c, const struct obj *o, enum key_id k,
		  const struct prefix *net, const char *what, const struct prefix *theirs, const char *ifname)
{
	char a[IP_STRLEN], b[IP_STRLEN];
	p->nconflicts++;
	sbuf_addf(&p->conflicts, "%s %s (%s:%u): subnet of %s overlaps %s %s on interface %s, which boxnet did not "
		  "create: the box would answer for the host's own network; choose another subnet",
		  conf_kinds[o->kind].name, o->name, c->file, o->at[k] ? o->at[k] : o->line, prefix_str(net, a),
		  what, prefix_str(theirs, b), ifname);
	sbuf_add(&p->conflicts, "\n", 1);
}

/* Is the link at index someone else's, and no name in the config (foreign() speaks of that)? */
static const struct link *others(const struct config *c, const struct ns_state *host, int index)
{
	const struct link *l = state_link_by_index(host, index);
	return l && !l->ours && !is_host_name(c, l->name) ? l : NULL;
}

/* Does a subnet boxnet routes (a bridge's, a peer's) overlap theirs? */
static void clashes(struct plan *p, const struct config *c, const char *what, const struct prefix *theirs,
		    const char *ifname)
{
	for (size_t i = 0; i < c->objs[KIND_BRIDGE].n; i++) {
		const struct bridge *b = conf_bridge_at(c, i);
		for (unsigned j = 0; j < b->addrs.n; j++)
			if (prefix_overlap(&b->addrs.v[j], theirs))
				clash(p, c, &b->o, KEY_BR_ADDRESS, &b->addrs.v[j], what, theirs, ifname);
	}
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
		const struct netns *n = conf_ns_at(c, i);
		for (unsigned j = 0; n->has_peer && j < n->peer.n; j++)
			if (prefix_overlap(&n->peer.v[j], theirs))
				clash(p, c, &n->o, KEY_NS_PEER, &n->peer.v[j], what, theirs, ifname);
	}
}

/* The subnets boxnet routes must not overlap a network the host already has through an
 * interface boxnet did not make: its address's, or a route's (the default route aside, and
 * the kernel's own routes, which come with the addresses). Each of the host's is looked at
 * once: with a namespace per peer, the host has hundreds of addresses, nearly all boxnet's. */
static void plan_clashes(struct plan *p, const struct config *c, const struct state *st)
{
	const struct ns_state *host = &st->host;
	for (size_t a = 0; a < host->naddrs; a++) {
		const struct link *l = others(c, host, host->addrs[a].index);
		if (l)
			clashes(p, c, "address", &host->addrs[a].p, l->name);
	}
	for (size_t r = 0; r < host->nroutes; r++) {
		const struct route *rt = &host->routes[r];
		const struct link *l = rt->oif ? others(c, host, rt->oif) : NULL;
		if (rt->dst.len && rt->protocol != RTPROT_KERNEL && (l || !rt->oif))
			clashes(p, c, "the route to", &rt->dst, l ? l->name : "(several)");
	}
}

static void plan_namespaces(struct plan *p, const struct config *c, struct state *st)
{
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
		struct ns_state *ns = &st->ns[i];
		if (!ns_usable(st, i))
			conflict(p, "namespace %s exists and was not created by boxnet; delete it or rename ns.%s",
				 ns->name, ns->name);
		else if (!ns->exists)
			emit(p, OP_NETNS_ADD, ns, NULL, &conf_ns_at(c, i)->o);
	}
}

/* Is in, inside n, the interface n adopted (its record's address)? */
static bool adopted_in(const struct state *st, const struct netns *n, const struct link *in)
{
	const struct adopted *a = n->link[0] ? state_adopted(st, n->link) : NULL;
	return a && !memcmp(link_mac(in), a->mac, 6);
}

/* The record of in, a link inside n's namespace that boxnet adopted for it under another name
 * and that the config no longer adopts: given back before another link takes its name. */
static struct adopted *given_up(const struct config *c, struct state *st, const struct netns *n, const struct link *in)
{
	for (size_t i = 0; i < st->nadopted; i++) {
		struct adopted *a = &st->adopted[i];
		if (!a->fresh && !strcmp(a->ns, n->o.name) && !memcmp(link_mac(in), a->mac, 6) && !adopts(c, a->name, NULL))
			return a;
	}
	return NULL;
}

/* Is l the vlan v, on its parent (on the host) with its id? One that is not is made anew. */
static bool vlan_sound(const struct state *st, const struct vlan *v, const struct link *l)
{
	const struct link *par = state_link(&st->host, v->link);
	return l && !strcmp(l->kind, "vlan") && l->vid == v->id && par && l->peer == par->index &&
	       l->peer_away == (v->ns != NULL);
}

/* Is in, boxnet's, the macvlan or vlan n wants, on its parent? (A moved link is no link of
 * boxnet's.) */
static bool own_link_sound(const struct state *st, const struct netns *n, const struct link *in)
{
	if (n->vlan)
		return vlan_sound(st, n->vlan, in);
	const struct link *parent = state_link(&st->host, n->macvlan);
	return n->macvlan[0] && !strcmp(in->kind, "macvlan") && parent && in->peer_away && in->peer == parent->index;
}

static void plan_parent(struct plan *p, const struct config *c, struct state *st, const char *name,
			const struct obj *owner);

/* Links on the host: what is stale or unsound is parked, what is missing is created. */
static void plan_host_links(struct plan *p, const struct config *c, struct state *st)
{
	struct ns_state *host = &st->host;
	struct op *o;

	for (size_t i = 0; i < host->nlinks; i++) {
		const struct link *l = &host->links[i];
		if (l->ours && l->name[0] && !is_host_name(c, l->name))
			park(p, host, l, false);
	}
	for (size_t i = 0; i < c->objs[KIND_BRIDGE].n; i++) {
		const struct bridge *b = conf_bridge_at(c, i);
		const struct link *l = state_link(host, b->o.name);
		if (foreign(p, l, host) || own_bridge(host, b))
			continue;
		if (l)
			park(p, host, l, false);	/* boxnet's, but no bridge: made anew */
		o = emit(p, OP_LINK_ADD, host, b->o.name, &b->o);
		o->kind = "bridge";
		o->has_mac = true;
		o->mac_port = bridge_addr(c, st, b, o->mac);
	}
	/* Parents first: up before what is made on them. */
	for (size_t i = 0; i < c->objs[KIND_VLAN].n; i++)
		plan_parent(p, c, st, conf_vlan_at(c, i)->link, &conf_vlan_at(c, i)->o);
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++)
		plan_parent(p, c, st, conf_ns_at(c, i)->macvlan, &conf_ns_at(c, i)->o);
	/* vlans: one on another parent or with another id is made anew. */
	for (size_t i = 0; i < c->objs[KIND_VLAN].n; i++) {
		const struct vlan *v = conf_vlan_at(c, i);
		const struct link *l = state_link(host, v->o.name);
		if (v->ns || foreign(p, l, host))
			continue;
		bool sound = vlan_sound(st, v, l);
		if (l && !sound)
			park(p, host, l, false);
		if (!sound) {
			o = emit(p, OP_LINK_ADD, host, v->o.name, &v->o);
			o->kind = "vlan";
			o->master = v->link;
			o->metric = v->id;
		}
		if (!sound || !l->up || l->remark) {
			o = emit(p, OP_LINK_SET, host, v->o.name, &v->o);
			o->up = o->mark = true;
			remember(o, sound ? l : NULL);
		}
	}
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
		const struct netns *n = conf_ns_at(c, i);
		struct ns_state *ns = &st->ns[i];
		const struct link *h = state_link(host, n->hostif);
		const struct link *in = ns->exists ? state_link(ns, n->ifname) : NULL;
		if (!ns_veth(n)) {
			/* boxnet's link of another kind, from an earlier config, goes. */
			if (ns_usable(st, i) && in && in->ours && !own_link_sound(st, n, in))
				park(p, ns, in, false);
			else if (ns_usable(st, i) && in && !in->ours && !adopted_in(st, n, in) && !given_up(c, st, n, in))
				foreign(p, in, ns);
			continue;
		}
		if (!ns_usable(st, i) || foreign(p, h, host) || foreign(p, in, ns) || veth_sound(c, st, i))
			continue;
		if (h)
			park(p, host, h, false);	/* with its peer, wherever that is */
		if (in) {
			/* Its name is needed now; if its peer is parked on the host, it goes with it. */
			bool paired = false;
			for (size_t k = 0; k < p->n && !paired; k++)
				paired = p->ops[k].type == OP_LINK_PARK && p->ops[k].where == host &&
					 p->ops[k].old_link.index == in->peer;
			park(p, ns, in, false);
			p->ops[p->n - 1].purge = !paired;
		}
	}
}

/* The index a new veth end gets in its namespace: chosen, so that its addresses and route
 * go in the same send, without asking the kernel first. Far above lo and the kernel's
 * fallback tunnels in a new namespace; above what a dump showed in an old one. A vlan or
 * macvlan born in it from the host gets one free on the host (also) too: without an index,
 * older kernels (6.1) look its name up on the host first, and an eth0 there refuses it. */
static NOINLINE int new_index(const struct ns_state *ns, const struct ns_state *also)
{
	int index = 1000;
	while (state_link_by_index(ns, index) || (also && state_link_by_index(also, index)))
		index++;
	return index;
}

/* Has the kernel's route to p's subnet through the link of that index? A route's network
 * from the kernel has no host bits set (it refuses such a one), so its first p->len bits
 * match p's. */
static bool has_net_route(const struct ns_state *ns, int index, const struct prefix *p)
{
	for (size_t k = 0; k < ns->nroutes; k++) {
		const struct route *r = &ns->routes[k];
		if (r->oif == index && r->protocol == RTPROT_KERNEL && r->dst.len == p->len && prefix_contains(p, &r->dst))
			return true;
	}
	return false;
}

/* The kernel makes a route to an address's subnet when the address comes, or its link comes
 * up; one deleted by hand (ip route flush) stays away, and with it the way to the gateway.
 * On a link that is up, for each subnet of its addresses that stay, it is put back as the
 * kernel made it. */
static void plan_net_routes(struct plan *p, struct ns_state *where, const char *ifname, const struct link *l,
			    const struct prefix *want, unsigned nwant, const struct obj *owner)
{
	for (unsigned j = 0; l && l->up && j < nwant; j++) {
		bool first = true;	/* the primary of its subnet, which gives the route its source */
		for (unsigned k = 0; k < j && first; k++)
			first = want[k].len != want[j].len || !prefix_contains(&want[k], &want[j]);
		if (!first || want[j].len == ip_size(want[j].family) * 8 || !state_has_addr(where, l->index, &want[j]) ||
		    has_net_route(where, l->index, &want[j]))
			continue;
		struct op *o = emit(p, OP_NET_ROUTE_ADD, where, ifname, owner);
		o->addr = want[j];
		o->index = l->index;
	}
}

/* The addresses of a link boxnet keeps (l, or a new one of that index): those the config
 * dropped go, missing ones come. Returns whether some went: the kernel then drops routes
 * through them, and, without promote_secondaries, the other addresses of a primary's subnet;
 * both are put back. */
static bool plan_addrs_at(struct plan *p, struct ns_state *where, const char *ifname, const struct link *l,
			  int index, const struct prefix *want, unsigned nwant, const struct obj *owner)
{
	struct op *o;
	bool dropped = false;
	for (size_t k = 0; l && k < where->naddrs; k++) {
		const struct addr *a = &where->addrs[k];
		bool keep = false;
		for (unsigned j = 0; j < nwant && !keep; j++)
			keep = prefix_eq(&want[j], &a->p);
		if (a->index != l->index || keep)
			continue;
		o = emit(p, OP_ADDR_DEL, where, ifname, owner);
		o->addr = a->p;
		o->index = l->index;
		dropped = true;
	}
	for (unsigned j = 0; j < nwant; j++) {
		bool there = l && state_has_addr(where, l->index, &want[j]);
		if (there && !dropped)
			continue;
		o = emit(p, OP_ADDR_ADD, where, ifname, owner);
		o->addr = want[j];
		o->index = index;
		o->has_old = there;	/* added again, in case it went with a deleted primary */
	}
	plan_net_routes(p, where, ifname, l, want, nwant, owner);
	return dropped;
}

static NOINLINE bool plan_addrs(struct plan *p, struct ns_state *where, const char *ifname,
				const struct link *l, const struct prefix *want, unsigned nwant,
				const struct obj *owner)
{
	return plan_addrs_at(p, where, ifname, l, l ? l->index : 0, want, nwant, owner);
}

/* ---- adopted interfaces: bridge ports, namespaces' links, parents that were down ---- */

int adopts(const struct config *c, const char *name, const struct obj **parent_of)
{
	if (is_host_name(c, name))
		return 0;
	for (size_t i = 0; i < c->objs[KIND_BRIDGE].n; i++)
		for (unsigned j = 0; j < conf_bridge_at(c, i)->ports.n; j++)
			if (!strcmp(conf_bridge_at(c, i)->ports.v[j], name))
				return 2;
	const struct obj *o = NULL;
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
		if (!strcmp(conf_ns_at(c, i)->link, name))
			return conf_ns_at(c, i)->vlan ? 0 : 2;	/* a vlan: boxnet's own */
		if (!o && !strcmp(conf_ns_at(c, i)->macvlan, name))
			o = &conf_ns_at(c, i)->o;
	}
	for (size_t i = 0; i < c->objs[KIND_VLAN].n; i++)
		if (!o && !strcmp(conf_vlan_at(c, i)->link, name))
			o = &conf_vlan_at(c, i)->o;
	if (o && parent_of)
		*parent_of = o;
	return o != NULL;
}

/* A record for each interface up adopts now, made before any op points at one: the records
 * grow no more after this. */
static int adopt_prepare(const struct config *c, struct state *st)
{
	for (size_t i = 0; st->known && i < st->host.nlinks; i++) {
		const struct link *l = &st->host.links[i], *m = state_link_by_index(&st->host, l->master);
		int how = adopts(c, l->name, NULL);
		if (!how || (how == 1 && l->up) || state_adopted(st, l->name))
			continue;
		if (grow(&st->adopted, &st->adopted_cap, st->nadopted + 1, sizeof(*st->adopted)))
			return -1;
		struct adopted *a = &st->adopted[st->nadopted++];
		*a = (struct adopted){.index = l->index, .mtu = l->mtu, .up = l->up, .fresh = true};
		copy_name(a->name, NAME_SIZE, l->name);
		memcpy(a->mac, link_mac(l), 6);
		if (l->master && m)
			copy_name(a->master, NAME_SIZE, m->name);
		for (size_t k = 0; k < c->objs[KIND_NS].n; k++)
			if (!strcmp(conf_ns_at(c, k)->link, l->name))
				copy_name(a->ns, NAME_SIZE, conf_ns_at(c, k)->o.name);
	}
	return 0;
}

/* Whether the plan so far has an op of that type on a link of that name on the host. */
static bool planned(const struct plan *p, enum op_type type, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ops[i].type == type && !p->ops[i].where->name && p->ops[i].ifname &&
		    !strcmp(p->ops[i].ifname, name))
			return true;
	return false;
}

/* The record of a first adoption is written before the first change, once. */
static struct op *adopt(struct plan *p, const struct state *st, struct ns_state *where, const char *name,
			const struct obj *owner)
{
	const struct adopted *a = state_adopted(st, name);
	if ((st->known && !(a && a->fresh)) || planned(p, OP_ADOPT, name))
		return NULL;
	struct op *o = emit(p, OP_ADOPT, where, name, owner);
	o->rec = a;
	o->peer = owner->kind == KIND_NS ? owner->name : NULL;	/* where it goes */
	return o;
}

/* A vlan or a macvlan carries nothing on a parent that is down (a vlan does not even come
 * up): such a parent is adopted, down gives it back down, and brought up before anything is
 * made on it. One that is up is left alone, without a record. */
static void plan_parent(struct plan *p, const struct config *c, struct state *st, const char *name,
			const struct obj *owner)
{
	const struct link *l = state_link(&st->host, name);
	if (!name[0] || !adopts(c, name, NULL) || (st->known && (!l || l->up)) || planned(p, OP_LINK_SET, name))
		return;
	struct op *o = adopt(p, st, &st->host, name, owner);
	if (o) {
		o->peer = NULL;	/* it stays on the host */
		o->up = true;	/* plan: recorded only if down */
	}
	o = emit(p, OP_LINK_SET, &st->host, name, owner);
	o->up = true;
	remember(o, l);
}

/* Each port of b: adopted, in the bridge, up, with the bridge's MTU if it has one, else its
 * own from before boxnet. */
static void plan_ports(struct plan *p, const struct config *c, struct state *st, const struct bridge *b)
{
	struct ns_state *host = &st->host;
	const struct link *br = own_bridge(host, b);
	int master = br ? br->index : -2;
	for (unsigned i = 0; i < b->ports.n; i++) {
		const char *name = b->ports.v[i];
		const struct link *l = state_link(host, name);
		unsigned mtu = port_mtu(st, b, name);
		bool vlan = conf_vlan(c, name);	/* boxnet's own, made above */
		if (st->known && !l && !vlan) {
			conflict(p, "interface %s, a port of bridge %s, is missing", name, b->o.name);
			continue;
		}
		if (!vlan)
			adopt(p, st, host, name, &b->o);
		if (l && l->up && l->master == master && (!mtu || l->mtu == mtu))
			continue;
		struct op *o = emit(p, OP_LINK_SET, host, name, &b->o);
		o->master = b->o.name;
		o->up = true;
		o->mtu = mtu && (!l || l->mtu != mtu) ? mtu : 0;
		remember(o, l);
	}
}

/* A link and where it is: returned in two registers, not through a pointer to a local, which
 * would cost each caller a stack-protector check. */
struct found {
	const struct link *link;
	struct ns_state *where;
};

/* Where an adopted interface is now: on the host by index and address; in the namespace
 * it went to by address; or, that namespace gone, on the host by address, where the kernel
 * puts a real NIC back (maybe as devN). link NULL: gone (a veth dies with its namespace). */
static struct found find_adopted(struct state *st, const struct adopted *a)
{
	struct ns_state *ns = NULL;
	for (size_t i = 0; a->ns[0] && i < st->nns + st->nstale; i++) {
		struct ns_state *s = i < st->nns ? &st->ns[i] : &st->stale[i - st->nns];
		if (!strcmp(s->name, a->ns) && s->exists)
			ns = s;
	}
	for (int pass = 0; pass < 3; pass++) {
		struct ns_state *where = pass == 1 ? ns : &st->host;
		for (size_t i = 0; where && i < where->nlinks; i++) {
			const struct link *l = &where->links[i];
			if (!memcmp(link_mac(l), a->mac, 6) && (pass || l->index == a->index))
				return (struct found){l, where};
		}
	}
	return (struct found){NULL, &st->host};
}

/* One interface boxnet adopted, given back as it was, its record gone. */
static void give_back(struct plan *p, struct state *st, struct adopted *a)
{
	struct found f = find_adopted(st, a);
	const struct link *l = f.link;
	struct op *o = emit(p, OP_GIVE_BACK, f.where, a->name, NULL);
	o->rec = a;
	a->given = true;
	if (l) {
		o->index = l->index;
		remember(o, l);
	} else {
		note(p, "interface %s, adopted by boxnet, is gone (a veth goes with its namespace): its record "
			"is dropped%s", a->name, "");
	}
}

/* The records of interfaces the config no longer adopts (down: all of them). */
static void plan_give_back(struct plan *p, const struct config *c, struct state *st, bool down)
{
	for (size_t i = 0; i < st->nadopted; i++)
		if (!st->adopted[i].fresh && !st->adopted[i].given && (down || !adopts(c, st->adopted[i].name, NULL)))
			give_back(p, st, &st->adopted[i]);
}

/* An interface a namespace adopts, into it: found on the host by name, or by its record's
 * address (back from a namespace deleted behind boxnet's back, maybe as devN). Found in the
 * namespace under another name, it is named back there, and returned. */
static const struct link *plan_move(struct plan *p, struct state *st, const struct netns *n, struct ns_state *ns)
{
	struct adopted *a = state_adopted(st, n->link);
	struct found f = {state_link(&st->host, n->link), &st->host};
	const char *name = n->link;
	if (a && !a->fresh)
		f = find_adopted(st, a);
	const struct link *h = f.link;
	const struct ns_state *where = f.where;
	if (h && where == ns) {
		/* In its namespace under another name (renamed there): named back, where it is. */
		copy_name(a->now, NAME_SIZE, h->name);
		struct op *o = emit(p, OP_LINK_MOVE, ns, a->now, &n->o);
		o->index = h->index;
		o->peer = n->ifname;
		o->peer_ns = ns;
		remember(o, h);
		return h;
	}
	if (st->known && (!h || where != &st->host)) {
		conflict(p, "interface %s, the link of namespace %s, is missing", n->link, n->o.name);
		return NULL;
	}
	/* Found as devN: the op keeps that name in the record, which stays put; the state's
	 * links move when apply reads more of them. */
	if (a && h && strcmp(h->name, n->link)) {
		copy_name(a->now, NAME_SIZE, h->name);
		name = a->now;
	}
	adopt(p, st, &st->host, n->link, &n->o);
	struct op *o = emit(p, OP_LINK_MOVE, &st->host, name, &n->o);
	o->index = h ? h->index : 0;
	o->peer = n->ifname;
	o->peer_ns = ns;
	remember(o, h);
	return NULL;
}

/* Three passes, one loop: every bridge is set before any address goes on, and addresses
 * before the ports join. */
static void plan_bridges(struct plan *p, const struct config *c, struct state *st)
{
	struct ns_state *host = &st->host;
	struct op *o;

	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < c->objs[KIND_BRIDGE].n; i++) {
			const struct bridge *b = conf_bridge_at(c, i);
			const struct link *l = own_bridge(host, b);	/* NULL: made anew above, with its address */
			if (pass) {
				if (pass == 1)
					plan_addrs(p, host, b->o.name, l, b->addrs.v, b->addrs.n, &b->o);
				else
					plan_ports(p, c, st, b);
				continue;
			}
			unsigned mtu = bridge_mtu(c, st, b);
			unsigned char mac[6];
			bridge_addr(c, st, b, mac);
			bool new_mac = l && memcmp(l->mac, mac, sizeof(mac));
			if (!l || link_differs(l, mtu, -1) || new_mac) {
				o = emit(p, OP_LINK_SET, host, b->o.name, &b->o);
				o->up = o->mark = true;
				o->has_mac = new_mac;	/* from an older boxnet, or changed by hand */
				memcpy(o->mac, mac, sizeof(mac));
				/* Set, not given at creation: only then does the kernel keep it when a port
				 * with a smaller MTU joins. */
				o->mtu = l || b->mtu ? mtu : 0;
				o->nodad = (!l || !l->up) && has_family(b->addrs.v, b->addrs.n, AF_INET6);
				remember(o, l);
			}
		}
	}
}

/* The host ends, once the namespaces made them: their bridge, state and peer address. Two
 * passes, one loop: every end is set before any address goes on. */
static void plan_host_ends(struct plan *p, const struct config *c, struct state *st)
{
	struct ns_state *host = &st->host;
	struct op *o;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
			const struct netns *n = conf_ns_at(c, i);
			if (!ns_usable(st, i) || !ns_veth(n))
				continue;
			const struct link *h = veth_sound(c, st, i) ? state_link(host, n->hostif) : NULL;
			if (pass) {
				plan_addrs(p, host, n->hostif, h, n->peer.v, n->has_peer ? n->peer.n : 0, &n->o);
				continue;
			}
			const struct link *br = n->bridge ? state_link(host, n->bridge->o.name) : NULL;
			int master = n->bridge ? (br && !strcmp(br->kind, "bridge") ? br->index : INT32_MAX) : 0;
			if (!h || link_differs(h, n->mtu ? n->mtu : DEFAULT_MTU, master)) {
				o = emit(p, OP_LINK_SET, host, n->hostif, &n->o);
				o->up = o->mark = true;
				o->master = n->bridge ? n->bridge->o.name : NULL;
				o->nomaster = h && !n->bridge && h->master;
				o->mtu = h ? (n->mtu ? n->mtu : DEFAULT_MTU) : 0;
				o->nodad = (!h || !h->up) && n->has_peer && has_family(n->peer.v, n->peer.n, AF_INET6);
				remember(o, h);
			}
		}
	}
}

/* The static route of namespace n (NULL: the host) that rt is, if any: the same network and
 * metric. Without a config (down), none. */
static const struct sroute *wanted(const struct config *c, const struct netns *n, const struct route *rt)
{
	for (size_t i = 0; c && i < c->objs[KIND_ROUTE].n; i++) {
		const struct sroute *r = conf_route_at(c, i);
		if (r->ns == n && prefix_eq(&r->to, &rt->dst) && r->metric == rt->metric)
			return r;
	}
	return NULL;
}

/* Is rt a default route with the metric boxnet's gateway routes get (none: the kernel's
 * default, IPv6's 1024)? Another one of boxnet's is a static route's, or was. */
static bool gw_route(const struct route *rt)
{
	return !rt->dst.len && rt->metric == (rt->dst.family == AF_INET6 ? 1024 : 0);
}

/* The default route of each family. again: addresses of the link went, and with them,
 * maybe, the route through them. */
static void plan_route(struct plan *p, const struct config *c, const struct netns *n, struct ns_state *ns,
		       const struct link *in, int index, bool again)
{
	for (unsigned f = 0; f < FAM_COUNT; f++) {
		const struct route *ours = NULL, *foreign_route = NULL;
		const struct prefix *gw = &n->gateway[f];
		for (size_t k = 0; k < ns->nroutes; k++) {
			if (ns->routes[k].dst.len || fam(ns->routes[k].dst.family) != f || wanted(c, n, &ns->routes[k]))
				continue;	/* not a default route of this family, or a static one */
			if (ns->routes[k].protocol != BOXNET_RTPROT)
				foreign_route = &ns->routes[k];
			else if (gw_route(&ns->routes[k]))
				ours = &ns->routes[k];
		}
		if (gw->family) {
			if (ours && in && ip_eq(&ours->gw, gw) && ours->oif == in->index && !again)
				continue;
			if (!ours && foreign_route) {
				conflict(p, "namespace %s has a default route that boxnet did not set; delete it%s",
					 ns->name, f == FAM_V6 ? " (ip -6 route del default)" : "");
				continue;
			}
			struct op *o = emit(p, OP_ROUTE_ADD, ns, n->ifname, &n->o);
			o->addr = *gw;
			o->dst.family = gw->family;
			o->index = index;
			remember_route(o, ours);	/* replaced, and put back if up fails later */
		} else if (ours) {
			struct op *o = emit(p, OP_ROUTE_DEL, ns, n->ifname, &n->o);
			o->addr = ours->gw;
			o->addr.family = o->dst.family = ours->dst.family;	/* of the route, gateway or not */
			remember_route(o, ours);
		}
	}
}

const struct route *route_like(const struct ns_state *where, const struct sroute *r)
{
	for (size_t k = 0; k < where->nroutes; k++)
		if (prefix_eq(&where->routes[k].dst, &r->to) && where->routes[k].metric == r->metric)
			return &where->routes[k];
	return NULL;
}

/* Does the plan take the link of that index down or away, or addresses from it? The routes
 * through it go with them. */
static NOINLINE bool touched(const struct plan *p, const struct ns_state *where, int index)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct op *o = &p->ops[i];
		if (o->where == where && ((o->type == OP_LINK_PARK && o->old_link.index == index) ||
					  (o->type == OP_ADDR_DEL && o->index == index)))
			return true;
	}
	return false;
}

/* The static routes of namespace n (NULL: the host): missing or changed ones are set, and
 * boxnet's others deleted (all of the host's, without a config: down). index: n's link; 0 to
 * find a segment's by name when it is done. */
static void plan_statics(struct plan *p, const struct config *c, struct ns_state *where, const struct netns *n,
			 int index)
{
	char a[IP_STRLEN];
	struct op *o;
	for (size_t i = 0; c && i < c->objs[KIND_ROUTE].n; i++) {
		const struct sroute *r = conf_route_at(c, i);
		if (r->ns != n)
			continue;
		const struct route *have = route_like(where, r);
		const struct link *l = state_link(where, r->ifname);
		if (have && have->protocol != BOXNET_RTPROT) {
			conflict(p, "%s has a route to %s, with the same metric, that boxnet did not set; delete it",
				 ns_label(where), r->to.len ? prefix_str(&r->to, a) : "default");
			continue;
		}
		if (have && l && have->oif == l->index && ip_eq(&have->gw, &r->via) && !touched(p, where, l->index))
			continue;
		o = emit(p, OP_ROUTE_ADD, where, r->ifname, &r->o);
		o->addr = r->via;
		o->dst = r->to;
		o->metric = r->metric;
		o->index = index;
		remember_route(o, have);
	}
	/* boxnet's that no static route wants: in a namespace, all but its gateway routes
	 * (plan_route's); on the host, only those through boxnet's own links: a boxnet inside
	 * another box's namespace leaves that box's. */
	for (size_t k = 0; k < where->nroutes; k++) {
		const struct route *rt = &where->routes[k];
		const struct link *l = state_link_by_index(where, rt->oif);
		if (rt->protocol != BOXNET_RTPROT || wanted(c, n, rt) || (n ? gw_route(rt) : !l || !l->ours))
			continue;
		o = emit(p, OP_ROUTE_DEL, where, NULL, n ? &n->o : NULL);
		o->addr.family = rt->dst.family;
		o->dst = rt->dst;
		o->metric = rt->metric;
		remember_route(o, rt);
	}
}

static NOINLINE void plan_inside(struct plan *p, const struct config *c, struct state *st)
{
	struct op *o;
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
		const struct netns *n = conf_ns_at(c, i);
		struct ns_state *ns = &st->ns[i];
		if (!ns_usable(st, i))
			continue;
		const struct link *lo = state_link(ns, "lo");
		const struct link *in = veth_sound(c, st, i) ? state_link(ns, n->ifname) : NULL;
		int index = in ? in->index : new_index(ns, NULL);
		if (!ns_veth(n)) {
			in = ns->exists ? state_link(ns, n->ifname) : NULL;
			struct adopted *gone = in && !in->ours ? given_up(c, st, n, in) : NULL;
			if (gone) {
				give_back(p, st, gone);	/* first: the new link takes its name */
				in = NULL;
			}
			in = in && (in->ours ? own_link_sound(st, n, in) : adopted_in(st, n, in)) ? in : NULL;
			if (!in && n->link[0] && !n->vlan)
				in = plan_move(p, st, n, ns);
			index = in ? in->index : 0;	/* found by name once there */
		}
		if (!in && (ns_veth(n) || n->macvlan[0] || n->vlan)) {
			o = emit(p, OP_LINK_ADD, ns, n->ifname, &n->o);
			o->mtu = n->mtu;
			if (ns_veth(n)) {
				/* Made from inside: its end here gets a known index, the peer goes to the host. */
				o->kind = "veth";
				o->index = index;
				o->peer = n->hostif;
				o->peer_ns = &st->host;
			} else {
				o->kind = "macvlan";
				o->master = n->macvlan;
				if (n->vlan) {
					o->kind = "vlan";
					o->master = n->vlan->link;
					o->metric = n->vlan->id;
				}
				o->index = new_index(ns, &st->host);
			}
		}
		if (ns->exists && (!lo || !lo->up || !lo->ours || lo->remark)) {	/* new ones: at creation */
			o = emit(p, OP_LINK_SET, ns, "lo", &n->o);
			o->up = o->mark = true;
			remember(o, lo);
		}
		/* A moved link is no link of boxnet's: no mark, and its own MTU unless set. */
		bool moved = n->link[0] && !n->vlan;
		unsigned mtu = n->mtu ? n->mtu : moved ? 0 : DEFAULT_MTU;
		if (!in || (moved ? !in->up || (mtu && in->mtu != mtu) : link_differs(in, mtu, -1))) {
			o = emit(p, OP_LINK_SET, ns, n->ifname, &n->o);
			o->up = true;
			o->mark = !moved;
			o->mtu = in || moved ? mtu : 0;
			remember(o, in);
		}
		bool dropped = plan_addrs_at(p, ns, n->ifname, in, index, n->addrs.v, n->addrs.n, &n->o);
		plan_route(p, c, n, ns, in, index, dropped);
		plan_statics(p, c, ns, n, index);
		/* Forwarding, for each family it has. A new namespace takes IPv4's from the host's
		 * (net.core.devconf_inherit_init_net), or not: switched on whenever wanted, off
		 * when the host's is on. */
		for (unsigned f = 0; f < FAM_COUNT; f++) {
			bool want = n->forwarding > 0;
			int have = ns->exists ? ns->fwd[f] : !want && st->known && st->ip_forward[f] == 1;
			if (!has_family(n->addrs.v, n->addrs.n, fam_af(f)) || have == want)
				continue;
			o = emit(p, want ? OP_FORWARD_ON : OP_FORWARD_OFF, ns, NULL, &n->o);
			o->addr.family = fam_af(f);
		}
	}
}

static void plan_firewall(struct plan *p, struct state *st)
{
	char want[NFT_COMMENT_SIZE];
	rules_comment(&p->rules, want);
	if (st->table_exists && !st->table_ours) {
		conflict(p, "nftables table %s %s exists and was not created by boxnet", NFT_FAMILY, NFT_TABLE);
		return;
	}
	if (!p->rules.n) {
		/* No segment, no rule: no table. */
		if (st->known && (st->table_exists || st->legacy_table))
			emit(p, OP_NFT_DEL, &st->host, NULL, NULL)->legacy = st->legacy_table;
	} else if (!st->known || !st->table_exists || st->legacy_table || strcmp(want, st->table_comment) ||
		   !nft_copy_matches(&st->table, &p->rules) || !nft_ft_devs_match(&st->table, p->ft_devs, p->nft_devs)) {
		/* The box was built, its table is gone: an `nft flush ruleset` (nftables.service,
		 * an init script) took it, and the box forwards unfiltered until up puts it back. */
		bool built = false, gone = st->known && !st->table_exists && !st->legacy_table;
		for (size_t i = 0; gone && i < st->host.nlinks; i++)
			built |= st->host.links[i].ours;
		for (size_t i = 0; gone && i < st->nns; i++)
			built |= st->ns[i].exists && st->ns[i].ours;
		if (built)
			note(p, "nftables table %s %s: table missing: was the ruleset flushed? (up puts it back)", NFT_FAMILY,
			     NFT_TABLE);
		emit(p, OP_NFT_LOAD, &st->host, NULL, NULL)->legacy = st->legacy_table;
	}
}

static int name_order(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* offload: the flowtable's devices once up is done: every segment's, and the uplink when it is
 * there or boxnet makes it (a vlan). One that comes later (a modem's) joins at the next up:
 * the kernel takes no device before it exists. */
static void plan_ft_devs(struct plan *p, const struct config *c, const struct state *st)
{
	if (!p->rules.offload)
		return;
	bool uplink = c->uplink[0] && (!st->known || state_link(&st->host, c->uplink));
	for (size_t i = 0; i < c->objs[KIND_VLAN].n; i++)
		uplink |= !strcmp(c->objs[KIND_VLAN].v[i]->name, c->uplink);
	if (!(p->ft_devs = calloc(c->nsegs + 1, sizeof(*p->ft_devs)))) {
		p->oom = true;
		return;
	}
	for (size_t i = 0; i < c->nsegs; i++)
		p->ft_devs[p->nft_devs++] = c->segs[i].ifname;
	if (uplink)
		p->ft_devs[p->nft_devs++] = c->uplink;
	qsort(p->ft_devs, p->nft_devs, sizeof(*p->ft_devs), name_order);
}

/* A namespace's resolv.conf: written when boxnet's text differs from the config's, removed
 * when the config names no nameserver (n NULL, or down); another's file is never touched. */
static void plan_dns(struct plan *p, struct ns_state *ns, const struct netns *n, bool down)
{
	struct sbuf want = {0};
	if (n && n->dns.n && !down)
		dns_text(n, "\n", &want);
	if (ns->dns == DNS_FOREIGN) {
		if (n && n->dns.n && !down)
			conflict(p, "file " DNS_DIR "/%s/resolv.conf exists and was not written by boxnet; remove it or "
				 "drop ns.%s.dns", ns->name, ns->name);
	} else if (want.len ? strcmp(sbuf_str(&ns->dns_text), sbuf_str(&want)) : ns->dns == DNS_OURS) {
		emit(p, want.len ? OP_DNS_WRITE : OP_DNS_DEL, ns, NULL, n ? &n->o : NULL)->has_old = ns->dns == DNS_OURS;
	}
	p->oom |= want.oom;
	sbuf_free(&want);
}

/* Empty files in /run/netns with no namespace on them, whoever was killed making them: gone,
 * by up and down alike (each one makes every `ip link show` complain). */
static void plan_debris(struct plan *p, struct state *st)
{
	for (size_t i = 0; i < st->nstale; i++) {
		if (!st->stale[i].debris)
			continue;
		note(p, "%s/%s is an empty file, no namespace on it (its maker was killed, or gone): removed", NETNS_DIR,
		     st->stale[i].name);
		emit(p, OP_NETNS_DEL, &st->stale[i], NULL, NULL);
	}
}

int plan_up(struct plan *p, const struct config *c, struct state *st)
{
	*p = (struct plan){0};
	if (rules_build(c, &p->rules) || adopt_prepare(c, st))
		return -1;
	plan_ft_devs(p, c, st);
	/* Forwarding goes off first and on last: nothing is routed while the firewall is not in
	 * place; and only if boxnet switched it on does it go off again. */
	for (unsigned f = 0; f < FAM_COUNT; f++)
		if (!c->forwarding[f] && st->known && st->fwd_mark[f])
			forward_off(p, st, f);
	plan_clashes(p, c, st);
	/* The firewall comes first: a kernel that lacks a feature stops up before anything else
	 * is built, and no link comes up before its rules are in place. */
	plan_firewall(p, st);
	plan_namespaces(p, c, st);
	plan_host_links(p, c, st);
	plan_bridges(p, c, st);
	plan_inside(p, c, st);
	plan_host_ends(p, c, st);
	plan_give_back(p, c, st, false);
	plan_statics(p, c, &st->host, NULL, 0);
	/* The flowtable the load made gets its devices once they all exist, before forwarding */
	for (size_t i = 0; p->nft_devs && i < p->n; i++) {
		if (p->ops[i].type == OP_NFT_LOAD) {
			struct op *o = emit(p, OP_NFT_OFFLOAD, &st->host, NULL, NULL);
			o->devs = p->ft_devs;
			o->ndevs = p->nft_devs;
			break;
		}
	}
	for (unsigned f = 0; f < FAM_COUNT; f++) {
		if (!c->forwarding[f])
			continue;
		/* Forwarding on already, and the uplink made anew (a vlan): the new link starts with
		 * accept_ra 1, and must take router advertisements as the old one did. */
		bool again = f == FAM_V6 && st->known && st->ip_forward[f] == 1 && c->uplink[0] &&
			     !strcmp(st->ra_uplink, c->uplink) && planned(p, OP_LINK_ADD, c->uplink);
		if (st->known && st->ip_forward[f] != 0 && !again)
			continue;
		struct op *o = emit(p, OP_FORWARD_ON, &st->host, NULL, NULL);
		o->has_old = again;	/* forwarding was on: undo leaves it so */
		o->addr.family = fam_af(f);
		/* plan prints a test of it; up knows it, and whether it raised it before (forwarding
		 * switched off by hand since): the note must keep naming it, for down. */
		if (f == FAM_V6 && c->uplink[0] &&
		    (!st->known || st->accept_ra == 1 || (st->accept_ra == 2 && !strcmp(st->ra_uplink, c->uplink))))
			o->ifname = c->uplink;
	}
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++)
		if (ns_usable(st, i))
			plan_dns(p, &st->ns[i], conf_ns_at(c, i), false);
	/* What the config no longer names goes last, once everything else is in place: the
	 * namespaces first (boxnet holds them open, so they can still come back), the links in
	 * one last request. */
	for (size_t i = 0; i < st->nstale; i++) {
		if (!st->stale[i].ours)
			continue;
		plan_dns(p, &st->stale[i], NULL, false);
		emit(p, OP_NETNS_DEL, &st->stale[i], NULL, NULL);
	}
	plan_debris(p, st);
	purge(p, st);
	return finish(p);
}

/* ---- down ---- */

int plan_down(struct plan *p, const struct config *c, struct state *st)
{
	*p = (struct plan){0};
	struct ns_state *host = &st->host;
	for (unsigned f = 0; f < FAM_COUNT; f++)
		if (st->fwd_mark[f])
			forward_off(p, st, f);
	if ((st->table_exists && st->table_ours) || st->legacy_table)
		emit(p, OP_NFT_DEL, host, NULL, NULL)->legacy = st->legacy_table;
	if (st->table_exists && !st->table_ours)
		note(p, "nftables table %s %s was not created by boxnet: left alone", NFT_FAMILY, NFT_TABLE);
	/* The host's routes go before their links: a down that fails later puts them back. */
	plan_statics(p, NULL, host, NULL, 0);
	/* Adopted interfaces leave boxnet's bridges and namespaces before those go. */
	plan_give_back(p, c, st, true);
	/* Links go explicitly, all in one request: the kernel frees a namespace, and the veths
	 * in it, only later. */
	for (size_t i = 0; i < host->nlinks; i++) {
		const struct link *l = &host->links[i];
		bool left = l->group == BOXNET_GROUP || l->group == BOXNET_GROUP_NEW;
		bool named = is_host_name(c, l->name);
		if (!named && !left)
			continue;
		/* Not named: parked, or born, by a boxnet killed before it deleted, or marked, it. */
		if (!named || !l->ours)
			note(p, named ? "interface %s was not created by boxnet: left alone%s"
				      : "interface %s was left by a boxnet that was killed: removed%s", l->name, "");
		if (!named || l->ours)
			park(p, host, l, true);	/* down: its name goes with it */
	}
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
		struct ns_state *ns = &st->ns[i];
		plan_dns(p, ns, conf_ns_at(c, i), true);
		if (ns->exists && ns->ours)
			emit(p, OP_NETNS_DEL, ns, NULL, &conf_ns_at(c, i)->o);
		else if (ns->exists)
			note(p, "namespace %s was not created by boxnet: left alone%s", ns->name, "");
	}
	plan_debris(p, st);
	purge(p, st);
	return finish(p);
}

void plan_free(struct plan *p)
{
	free(p->ops);
	free(p->ft_devs);
	rules_free(&p->rules);
	sbuf_free(&p->conflicts);
	sbuf_free(&p->notes);
	*p = (struct plan){0};
}
