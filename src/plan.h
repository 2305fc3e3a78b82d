/* plan.h: the list of operations that takes the kernel from its state to the config's. */
#ifndef BOXNET_PLAN_H
#define BOXNET_PLAN_H

#include <stdio.h>

#include "conf.h"
#include "rules.h"
#include "state.h"

enum op_type {
	OP_FORWARD_OFF,
	OP_NFT_DEL,
	OP_NETNS_ADD,
	OP_LINK_PARK,		/* down, renamed, into BOXNET_GROUP: out of the way, undoably */
	OP_LINK_PURGE,		/* every parked link, in one request */
	OP_LINK_ADD,		/* a bridge, or a veth pair with its peer born in peer_ns */
	OP_LINK_SET,		/* mtu, master, alias and up on a link found by name */
	OP_ADDR_DEL,
	OP_ADDR_ADD,
	OP_NET_ROUTE_ADD,	/* an address's subnet route, as the kernel makes it, put back */
	OP_ROUTE_DEL,
	OP_ROUTE_ADD,		/* the default route, replacing any other */
	OP_NFT_LOAD,		/* the whole table, atomically */
	OP_FORWARD_ON,		/* has_old: on already, the accept_ra of an uplink made anew only */
	OP_NETNS_DEL,
	OP_DNS_WRITE,		/* a namespace's resolv.conf (see DNS_HEAD); has_old: boxnet's was there */
	OP_DNS_DEL,
	OP_ADOPT,		/* record how an interface boxnet adopts is, before changing it */
	OP_GIVE_BACK,		/* an adopted interface back as it was, its record removed */
	OP_LINK_MOVE,		/* an adopted interface into peer_ns, named peer there */
	OP_NFT_OFFLOAD,		/* the plan's ft_devs into the flowtable the load made */
};

struct op {
	enum op_type type;
	struct ns_state *where;		/* &state->host or a namespace */
	const char *ifname;
	int index;			/* ifname's ifindex when known (or chosen, for OP_LINK_ADD) */
	const char *kind;		/* OP_LINK_ADD: "bridge" or "veth" */
	const char *peer;		/* OP_LINK_ADD veth: the other end's name... */
	struct ns_state *peer_ns;	/* ...and namespace */
	const char *master;		/* OP_LINK_SET: the bridge to join...; OP_LINK_ADD of a vlan or
					 * macvlan: its parent, on the host */
	bool nomaster;			/* ...or leave the one it is in */
	unsigned mtu;			/* 0: leave as is */
	bool up, mark;			/* OP_LINK_SET */
	bool nodad;			/* OP_LINK_SET: a host link of an IPv6 segment comes up */
	bool has_mac;			/* OP_LINK_ADD, OP_LINK_SET of a bridge: set mac */
	unsigned char mac[6];
	struct prefix addr;		/* OP_ADDR_*, OP_NET_ROUTE_ADD; OP_ROUTE_*: the gateway in addr.addr;
					 * OP_FORWARD_*: the family (where: a namespace, or the host) */
	struct prefix dst;		/* OP_ROUTE_*: the route's network; len 0 for default */
	uint32_t metric;		/* OP_ROUTE_*: 0, or the route's metric; OP_LINK_ADD vlan: its id */
	/* What to restore if up fails later: the link's settings or the route before. */
	bool has_old;
	bool purge;			/* OP_LINK_PARK: needs a purge of its own namespace */
	bool keep_name;			/* OP_LINK_PARK: no new link wants the name (down) */
	bool legacy;			/* OP_NFT_*: an older boxnet's table ip boxnet goes too */
	struct link old_link;
	struct route old_route;
	const struct obj *owner;	/* the config object it serves, for messages; NULL: the box */
	const struct adopted *rec;	/* OP_ADOPT (NULL in plan: read by the shell), OP_GIVE_BACK */
	const char *mac_port;		/* has_mac: plan's bridge takes this port's address */
	const char *const *devs;	/* OP_NFT_OFFLOAD: the flowtable's devices */
	size_t ndevs;
};

/* An OP_LINK_ADD of a veth pair, however it is made (from inside the namespace, or from the
 * host): its host end, its end inside and that namespace. */
struct veth_ends {
	const char *host, *inside, *ns;
};
static inline struct veth_ends veth_ends(const struct op *o)
{
	return o->where->name ? (struct veth_ends){o->peer, o->ifname, o->where->name}
			      : (struct veth_ends){o->ifname, o->peer, o->peer_ns->name};
}

struct plan {
	struct op *ops;
	size_t n, cap;
	unsigned parked;		/* OP_LINK_PARKs, for the one OP_LINK_PURGE */
	bool oom;
	struct op sink;			/* what emit() returns once memory ran out */
	struct ruleset rules;
	const char **ft_devs;		/* offload: the flowtable's devices once up is done, sorted */
	size_t nft_devs;
	struct sbuf conflicts;		/* kernel objects in the way; nothing is applied if any */
	unsigned nconflicts;
	struct sbuf notes;		/* things left alone, said once */
};

/* What `up` must do. With an unknown state (plan), that is the whole build. */
int plan_up(struct plan *p, const struct config *c, struct state *st);
/* What `down` must do: remove what boxnet built for this config, and nothing else. */
int plan_down(struct plan *p, const struct config *c, struct state *st);
void plan_free(struct plan *p);

/* Does the config adopt the interface: 2, a port or a namespace's link, always; 1, a vlan's or
 * a macvlan's parent (the first in parent_of, unless NULL), only once boxnet must bring it up;
 * 0, boxnet's own or not named. */
int adopts(const struct config *c, const char *name, const struct obj **parent_of);

/* The route of where to r's network with r's metric, if any: the one r would replace. */
const struct route *route_like(const struct ns_state *where, const struct sroute *r);

/* print.c: the plan as a shell script of ip and nft commands; what says what it is. -1 when
 * out of memory, and nothing printed. */
int plan_print(const struct plan *p, const struct config *c, const char *what, FILE *out);
/* One op's commands, added to out. */
void plan_print_op(const struct plan *p, const struct op *o, struct sbuf *out);

#endif
