/* plan.c: compare the config with the kernel's state and list the operations between them. */
#include "plan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct op *emit(struct plan *p, enum op_type type, struct ns_state *where, const char *ifname,
		       const struct obj *owner)
{
	if (grow(&p->ops, &p->cap, p->n + 1, sizeof(*p->ops)))
		return NULL;
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

static const char *ns_label(const struct ns_state *ns)
{
	return ns->name ? ns->name : "the host";
}

/* Is link l (not boxnet's) in the way of a link boxnet wants to create as name? */
static bool foreign(struct plan *p, const struct link *l, const struct ns_state *ns)
{
	if (!l || l->ours)
		return false;
	conflict(p, "interface %s in %s exists and was not created by boxnet; remove or rename it",
		 l->name, ns_label(ns));
	return true;
}

/* ---- up ---- */

static void plan_namespaces(struct plan *p, const struct config *c, struct state *st)
{
	for (size_t i = 0; i < c->nns; i++) {
		struct ns_state *ns = &st->ns[i];
		if (ns->exists && !ns->ours) {
			conflict(p, "namespace %s exists and was not created by boxnet; delete it or rename ns.%s",
				 ns->name, ns->name);
			continue;
		}
		if (!ns->exists && !emit(p, OP_NETNS_ADD, ns, NULL, &c->ns[i]->o))
			goto oom;
	}
	return;
oom:
	p->nconflicts++;
	sbuf_addf(&p->conflicts, "out of memory\n");
}

/* master: the index the link must be enslaved to, 0 for none, -1 when that does not matter. */
static bool link_differs(const struct link *l, unsigned mtu, int master)
{
	return !l->up || !l->ours || (mtu && l->mtu != mtu) || (master >= 0 && l->master != master);
}

static void remember(struct op *o, const struct link *l)
{
	if (l) {
		o->has_old = true;
		o->old_link = *l;
	}
}

/* A namespace's veth pair is sound when both ends are boxnet's veths where they belong. */
static bool veth_sound(const struct config *c, const struct state *st, size_t i)
{
	const struct ns_state *ns = &st->ns[i];
	const struct link *h = state_link(&st->host, c->ns[i]->hostif);
	const struct link *in = ns->exists ? state_link(ns, c->ns[i]->ifname) : NULL;
	return h && in && h->ours && in->ours && !strcmp(h->kind, "veth") && !strcmp(in->kind, "veth");
}

static int plan_host(struct plan *p, const struct config *c, struct state *st)
{
	struct ns_state *host = &st->host;
	struct op *o;

	/* Bridges first: veths join them. */
	for (size_t i = 0; i < c->nbridges; i++) {
		const struct bridge *b = c->bridges[i];
		const struct link *l = state_link(host, b->o.name);
		if (foreign(p, l, host))
			continue;
		if (l && strcmp(l->kind, "bridge")) {
			conflict(p, "interface %s in %s is boxnet's but not a bridge; run boxnet down with the old config",
				 b->o.name, ns_label(host));
			continue;
		}
		if (!l) {
			if (!(o = emit(p, OP_LINK_ADD, host, b->o.name, &b->o)))
				return -1;
			o->kind = "bridge";
		}
	}
	/* A veth pair is sound when both ends are where they belong; else it is made anew. */
	for (size_t i = 0; i < c->nns; i++) {
		const struct netns *n = c->ns[i];
		struct ns_state *ns = &st->ns[i];
		if (ns->exists && !ns->ours)
			continue;
		const struct link *h = state_link(host, n->hostif);
		const struct link *in = ns->exists ? state_link(ns, n->ifname) : NULL;
		if (foreign(p, h, host) || foreign(p, in, ns) || veth_sound(c, st, i))
			continue;
		if (h && !emit(p, OP_LINK_DEL, host, n->hostif, &n->o))
			return -1;
		if (in && !emit(p, OP_LINK_DEL, ns, n->ifname, &n->o))
			return -1;
		if (!(o = emit(p, OP_LINK_ADD, host, n->hostif, &n->o)))
			return -1;
		o->kind = "veth";
		o->peer = n->ifname;
		o->peer_ns = ns;
		o->mtu = n->mtu;
	}
	return 0;
}

/* Links' settings, addresses and routes: compared against what is there, when it is known. */
static int plan_settings(struct plan *p, const struct config *c, struct state *st)
{
	struct ns_state *host = &st->host;
	struct op *o;

	for (size_t i = 0; i < c->nbridges; i++) {
		const struct bridge *b = c->bridges[i];
		const struct link *l = state_link(host, b->o.name);
		if (l && !l->ours)
			continue;
		if (!l || link_differs(l, b->mtu, -1)) {
			if (!(o = emit(p, OP_LINK_SET, host, b->o.name, &b->o)))
				return -1;
			o->up = o->mark = true;
			/* Set, not given at creation: only then does the kernel keep it when a
			 * port with a smaller MTU joins. */
			o->mtu = b->mtu;
			remember(o, l);
		}
	}
	for (size_t i = 0; i < c->nns; i++) {
		const struct netns *n = c->ns[i];
		if (st->ns[i].exists && !st->ns[i].ours)
			continue;
		const struct link *h = state_link(host, n->hostif);
		if (h && !h->ours)
			continue;
		if (!veth_sound(c, st, i))
			h = NULL;	/* made anew above */
		const struct link *br = n->bridge ? state_link(host, n->bridge->o.name) : NULL;
		int master = n->bridge ? (br ? br->index : INT32_MAX) : 0;
		if (!h || link_differs(h, n->mtu, master)) {
			if (!(o = emit(p, OP_LINK_SET, host, n->hostif, &n->o)))
				return -1;
			o->up = o->mark = true;
			o->master = n->bridge ? n->bridge->o.name : NULL;
			o->nomaster = h && !n->bridge && h->master;
			o->mtu = h ? n->mtu : 0;
			remember(o, h);
		}
	}
	for (size_t i = 0; i < c->nbridges; i++) {
		const struct bridge *b = c->bridges[i];
		const struct link *l = state_link(host, b->o.name);
		if (l && !l->ours)
			continue;
		for (unsigned k = 0; k < b->addrs.n; k++) {
			if (l && state_has_addr(host, l->index, &b->addrs.v[k]))
				continue;
			if (!(o = emit(p, OP_ADDR_ADD, host, b->o.name, &b->o)))
				return -1;
			o->addr = b->addrs.v[k];
		}
	}
	for (size_t i = 0; i < c->nns; i++) {
		const struct netns *n = c->ns[i];
		const struct link *h = state_link(host, n->hostif);
		if (!n->has_peer || (h && !h->ours) || (st->ns[i].exists && !st->ns[i].ours))
			continue;
		if (!veth_sound(c, st, i))
			h = NULL;
		if (h && state_has_addr(host, h->index, &n->peer))
			continue;
		if (!(o = emit(p, OP_ADDR_ADD, host, n->hostif, &n->o)))
			return -1;
		o->addr = n->peer;
	}

	for (size_t i = 0; i < c->nns; i++) {
		const struct netns *n = c->ns[i];
		struct ns_state *ns = &st->ns[i];
		if (ns->exists && !ns->ours)
			continue;
		const struct link *lo = state_link(ns, "lo");
		const struct link *in = state_link(ns, n->ifname);
		if (in && !in->ours)
			continue;
		if (!veth_sound(c, st, i))
			in = NULL;
		if (!lo || !lo->up || !lo->ours) {
			if (!(o = emit(p, OP_LINK_SET, ns, "lo", &n->o)))
				return -1;
			o->up = o->mark = true;
			remember(o, lo);
		}
		if (!in || link_differs(in, n->mtu, -1)) {
			if (!(o = emit(p, OP_LINK_SET, ns, n->ifname, &n->o)))
				return -1;
			o->up = o->mark = true;
			o->mtu = in ? n->mtu : 0;
			remember(o, in);
		}
		for (unsigned k = 0; k < n->addrs.n; k++) {
			if (in && state_has_addr(ns, in->index, &n->addrs.v[k]))
				continue;
			if (!(o = emit(p, OP_ADDR_ADD, ns, n->ifname, &n->o)))
				return -1;
			o->addr = n->addrs.v[k];
		}
		bool have = false;
		for (size_t k = 0; k < ns->nroutes && in; k++)
			have |= ns->routes[k].gw == n->gateway && ns->routes[k].oif == in->index &&
				ns->routes[k].protocol == BOXNET_RTPROT;
		if (n->gateway && !have) {
			if (!(o = emit(p, OP_ROUTE_ADD, ns, n->ifname, &n->o)))
				return -1;
			o->addr.addr = n->gateway;
			if (ns->nroutes) {
				o->has_old = true;
				o->old_route = ns->routes[0];
			}
		}
		for (size_t k = 0; k < ns->nroutes && !n->gateway; k++) {
			if (ns->routes[k].protocol != BOXNET_RTPROT)
				continue;
			if (!(o = emit(p, OP_ROUTE_DEL, ns, n->ifname, &n->o)))
				return -1;
			o->addr.addr = ns->routes[k].gw;
		}
	}
	return 0;
}

static int plan_firewall(struct plan *p, const struct config *c, struct state *st)
{
	char want[NFT_COMMENT_SIZE];
	rules_comment(&p->rules, want);
	if (!p->rules.n) {
		/* No segment, no rule: no table. */
		if (st->known && st->table_exists && st->table_ours && !emit(p, OP_NFT_DEL, &st->host, NULL, NULL))
			return -1;
	} else if (!st->known || !st->table_exists || strcmp(want, st->table_comment)) {
		if (st->table_exists && !st->table_ours) {
			conflict(p, "nftables table ip %s exists and was not created by boxnet%s", NFT_TABLE, "");
			return 0;
		}
		if (!emit(p, OP_NFT_LOAD, &st->host, NULL, NULL))
			return -1;
	}
	/* Forwarding goes on after the firewall, and off again only if boxnet switched it on. */
	if (c->forwarding && (!st->known || st->ip_forward == 0)) {
		if (!emit(p, OP_FORWARD_ON, &st->host, NULL, NULL))
			return -1;
	} else if (!c->forwarding && st->known && st->fwd_mark) {
		if (!emit(p, OP_FORWARD_OFF, &st->host, NULL, NULL))
			return -1;
	}
	return 0;
}

int plan_up(struct plan *p, const struct config *c, struct state *st)
{
	*p = (struct plan){0};
	if (rules_build(c, &p->rules))
		return -1;
	plan_namespaces(p, c, st);
	if (plan_host(p, c, st) || plan_settings(p, c, st) || plan_firewall(p, c, st))
		return -1;
	return p->conflicts.oom || p->notes.oom ? -1 : 0;
}

/* ---- down ---- */

static void note(struct plan *p, const char *fmt, const char *a, const char *b)
{
	sbuf_addf(&p->notes, fmt, a, b);
	sbuf_add(&p->notes, "\n", 1);
}

int plan_down(struct plan *p, const struct config *c, struct state *st)
{
	*p = (struct plan){0};
	struct ns_state *host = &st->host;
	/* Forwarding off first: nothing is routed while the rules go. */
	if (st->fwd_mark && !emit(p, OP_FORWARD_OFF, host, NULL, NULL))
		return -1;
	if (st->table_exists && st->table_ours) {
		if (!emit(p, OP_NFT_DEL, host, NULL, NULL))
			return -1;
	} else if (st->table_exists) {
		note(p, "nftables table ip %s was not created by boxnet: left alone%s", NFT_TABLE, "");
	}
	/* Host ends go explicitly: the kernel frees a namespace, and the veths in it, later. */
	for (size_t i = 0; i < c->nns; i++) {
		const struct link *h = state_link(host, c->ns[i]->hostif);
		if (h && h->ours && !emit(p, OP_LINK_DEL, host, h->name, &c->ns[i]->o))
			return -1;
		if (h && !h->ours)
			note(p, "interface %s was not created by boxnet: left alone%s", h->name, "");
	}
	for (size_t i = 0; i < c->nbridges; i++) {
		const struct link *l = state_link(host, c->bridges[i]->o.name);
		if (l && l->ours && !emit(p, OP_LINK_DEL, host, l->name, &c->bridges[i]->o))
			return -1;
		if (l && !l->ours)
			note(p, "interface %s was not created by boxnet: left alone%s", l->name, "");
	}
	for (size_t i = 0; i < c->nns; i++) {
		struct ns_state *ns = &st->ns[i];
		if (ns->exists && ns->ours && !emit(p, OP_NETNS_DEL, ns, NULL, &c->ns[i]->o))
			return -1;
		if (ns->exists && !ns->ours)
			note(p, "namespace %s was not created by boxnet: left alone%s", ns->name, "");
	}
	return p->notes.oom ? -1 : 0;
}

void plan_free(struct plan *p)
{
	free(p->ops);
	rules_free(&p->rules);
	sbuf_free(&p->conflicts);
	sbuf_free(&p->notes);
	*p = (struct plan){0};
}
