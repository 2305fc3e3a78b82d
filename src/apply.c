/* apply.c: run a plan's operations over netlink, pipelined per namespace, with undo. */
#include "apply.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <linux/sched.h>
#include <linux/veth.h>

#include "netns.h"
#include "nft.h"

/* Making the namespaces is a third of a fresh up, and the kernel can do it on another CPU
 * while boxnet builds links in those already made: a child process makes them, in plan
 * order, and reports each (0 or -errno) over a pipe. */
struct maker {
	pid_t pid;		/* 0: none */
	int from;		/* the reports */
	int to;			/* closed: stop making */
	size_t next;		/* the op whose report comes next */
	int report;		/* read here, not into a local: no stack-protector check */
};

struct exec {
	const struct config *c;
	const struct plan *p;
	struct state *st;
	struct maker mk;
	struct ns_state *cur;		/* the socket with messages not yet sent */
	bool cur_creates;		/* ...some of which create links */
	bool dir_ready;
	bool *done;			/* per op: the kernel did it, so undo must reverse it */
	struct talk_error error;	/* the first refusal */
};

/* ---- rtnetlink messages ---- */

/* A link message, by index (0: none) or name (NULL: none; with an index, the new name); up:
 * 1 or 0, or -1 to keep. The room is zeroed: ifi_family is AF_UNSPEC. */
static struct msg *link_msg(struct talk *t, uint16_t type, uint16_t flags, int index, const char *name, int up,
			    const void *tag)
{
	struct msg *m = talk_add(t, type, flags, tag);
	struct ifinfomsg *ifi = msg_reserve(m, sizeof(*ifi));
	if (ifi) {
		ifi->ifi_index = index;
		if (up >= 0) {
			ifi->ifi_change = IFF_UP;
			ifi->ifi_flags = up ? IFF_UP : 0;
		}
	}
	if (name)
		msg_put_str(m, IFLA_IFNAME, name);
	return m;
}

/* A veth gets a queue per CPU and then uses one; cutting the count back after registration
 * waits for an RCU grace period, per end. Asked for one queue, the kernel does no such
 * thing: that wait was most of a veth's cost. */
static void put_one_queue(struct msg *m)
{
	msg_put_u32(m, IFLA_NUM_TX_QUEUES, 1);
	msg_put_u32(m, IFLA_NUM_RX_QUEUES, 1);
}

/* A vlan or a macvlan is made on its parent (the host's link of index link); a macvlan is
 * born in the namespace of peer_fd. */
static int put_link_add(struct talk *t, const struct op *o, int peer_fd, int link)
{
	/* o->index 0: the kernel picks one */
	struct msg *m = link_msg(t, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, o->index, o->ifname, -1, o);
	if (link) {
		msg_put_u32(m, IFLA_LINK, (uint32_t)link);
		if (peer_fd >= 0)
			msg_put_u32(m, IFLA_NET_NS_FD, (uint32_t)peer_fd);
	}
	if (o->mtu)
		msg_put_u32(m, IFLA_MTU, o->mtu);
	if (o->has_mac)
		msg_put(m, IFLA_ADDRESS, sizeof(o->mac), o->mac);
	msg_put_u32(m, IFLA_GROUP, BOXNET_GROUP_NEW);
	if (o->peer)
		put_one_queue(m);
	struct nlattr *info = msg_nest(m, IFLA_LINKINFO);
	msg_put_str(m, IFLA_INFO_KIND, o->kind);
	if (o->peer) {
		/* The peer is born in its namespace, named as configured. */
		struct nlattr *data = msg_nest(m, IFLA_INFO_DATA);
		struct nlattr *peer = msg_nest(m, VETH_INFO_PEER);
		msg_reserve(m, sizeof(struct ifinfomsg));	/* zeroed: AF_UNSPEC */
		msg_put_str(m, IFLA_IFNAME, o->peer);
		if (o->mtu)
			msg_put_u32(m, IFLA_MTU, o->mtu);
		msg_put_u32(m, IFLA_GROUP, BOXNET_GROUP_NEW);
		put_one_queue(m);
		msg_put_u32(m, IFLA_NET_NS_FD, (uint32_t)peer_fd);
		msg_nest_end(m, peer);
		msg_nest_end(m, data);
	} else if (link) {
		struct nlattr *data = msg_nest(m, IFLA_INFO_DATA);
		uint16_t vid = (uint16_t)o->metric;
		if (o->kind[0] == 'v')
			msg_put(m, IFLA_VLAN_ID, sizeof(vid), &vid);
		else
			msg_put_u32(m, IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
		msg_nest_end(m, data);
	}
	msg_nest_end(m, info);
	return m->overflow ? -EMSGSIZE : 0;
}

/* By name, or by index for what renames a link (name: the new one, or NULL). up: 1 or 0, or
 * -1 to keep; master: an index, 0 to leave the bridge, -1 to keep; group: -1 to keep; mac:
 * NULL to keep. */
static int put_link_set(struct talk *t, int index, const char *name, int up, unsigned mtu, int master,
			const char *alias, long group, const unsigned char *mac, const void *tag)
{
	struct msg *m = link_msg(t, RTM_NEWLINK, 0, index, name, up, tag);
	if (mtu)
		msg_put_u32(m, IFLA_MTU, mtu);
	if (master >= 0)
		msg_put_u32(m, IFLA_MASTER, (uint32_t)master);
	if (alias)
		msg_put(m, IFLA_IFALIAS, strlen(alias), alias);
	if (group >= 0)
		msg_put_u32(m, IFLA_GROUP, (uint32_t)group);
	if (mac)
		msg_put(m, IFLA_ADDRESS, 6, mac);
	return m->overflow ? -EMSGSIZE : 0;
}

/* Moves the link of that index to the namespace of fd, named name there, in one request. */
static int put_link_move(struct talk *t, int index, int fd, const char *name, const void *tag)
{
	struct msg *m = link_msg(t, RTM_NEWLINK, 0, index, name, -1, tag);
	msg_put_u32(m, IFLA_NET_NS_FD, (uint32_t)fd);
	return m->overflow ? -EMSGSIZE : 0;
}

/* By name; or, without one, every link of BOXNET_GROUP at once: parked links go together, or
 * none does. */
static int put_link_del(struct talk *t, const char *name, const void *tag)
{
	struct msg *m = link_msg(t, RTM_DELLINK, 0, 0, name, -1, tag);
	if (!name)
		msg_put_u32(m, IFLA_GROUP, BOXNET_GROUP);
	return m->overflow ? -EMSGSIZE : 0;
}

/* replace: the address may be there already. */
static int put_addr(struct talk *t, uint16_t type, int index, const struct prefix *p, bool replace,
		    const void *tag)
{
	uint16_t flags = type == RTM_DELADDR ? 0 : NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
	struct msg *m = talk_add(t, type, flags, tag);
	struct ifaddrmsg *ifa = msg_reserve(m, sizeof(*ifa));
	/* No duplicate address detection: boxnet checked the addresses are unique, and each is
	 * usable the moment up returns, not a second later. */
	if (ifa)
		*ifa = (struct ifaddrmsg){.ifa_family = p->family, .ifa_prefixlen = p->len,
					  .ifa_flags = p->family == AF_INET6 ? IFA_F_NODAD : 0,
					  .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (uint32_t)index};
	msg_put(m, IFA_LOCAL, ip_size(p->family), p->a);
	msg_put(m, IFA_ADDRESS, ip_size(p->family), p->a);
	if (type == RTM_NEWADDR && p->family == AF_INET && p->len <= 30) {
		/* Host bits set, in network order as it is: a value, no copy of the prefix whose
		 * address would cost a stack-protector check. */
		uint32_t a;
		memcpy(&a, p->a, 4);
		msg_put_u32(m, IFA_BROADCAST, a | htonl(~0u >> p->len));
	}
	return m->overflow ? -EMSGSIZE : 0;
}

/* replace: the route that is there (same network and metric) gives way; else there must be
 * none. A deletion names what it has of the route: network, metric, gateway, link. */
static int put_route(struct talk *t, uint16_t type, const struct route *r, bool replace, const void *tag)
{
	uint16_t flags = type == RTM_DELROUTE ? 0 : NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
	struct msg *m = talk_add(t, type, flags, tag);
	struct rtmsg *rtm = msg_reserve(m, sizeof(*rtm));
	unsigned size = ip_size(r->dst.family);
	if (rtm)
		*rtm = (struct rtmsg){.rtm_family = r->dst.family, .rtm_dst_len = r->dst.len, .rtm_table = RT_TABLE_MAIN,
				      .rtm_protocol = r->protocol, .rtm_type = RTN_UNICAST,
				      .rtm_scope = type == RTM_NEWROUTE ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE};
	if (r->dst.len)
		msg_put(m, RTA_DST, size, r->dst.a);
	if (r->gw.family)
		msg_put(m, RTA_GATEWAY, size, r->gw.a);
	if (r->metric)
		msg_put_u32(m, RTA_PRIORITY, r->metric);
	if (r->oif)
		msg_put_u32(m, RTA_OIF, (uint32_t)r->oif);
	return m->overflow ? -EMSGSIZE : 0;
}

/* The route an OP_ROUTE_ADD adds, through the link of that index (0: any). */
static NOINLINE struct route new_route(const struct op *o, int index)
{
	return (struct route){.oif = index, .gw = o->addr, .protocol = BOXNET_RTPROT, .dst = o->dst, .metric = o->metric};
}

/* The route the kernel gives an address's subnet (IPv4: fib_magic() in fib_frontend.c; IPv6:
 * addrconf_prefix_route(), metric 256, no source), put back when deleted by hand; appended as
 * the kernel does, beside any other route to the subnet. */
static int put_net_route(struct talk *t, uint16_t type, int oif, const struct prefix *p, const void *tag)
{
	struct msg *m = talk_add(t, type, type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_APPEND : 0, tag);
	struct rtmsg *rtm = msg_reserve(m, sizeof(*rtm));
	if (rtm)
		*rtm = (struct rtmsg){.rtm_family = p->family, .rtm_dst_len = p->len, .rtm_table = RT_TABLE_MAIN,
				      .rtm_protocol = RTPROT_KERNEL, .rtm_type = RTN_UNICAST,
				      .rtm_scope = p->family == AF_INET ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE};
	struct prefix dst = prefix_net(p);
	msg_put(m, RTA_DST, ip_size(p->family), dst.a);
	if (p->family == AF_INET)
		msg_put(m, RTA_PREFSRC, 4, p->a);
	else
		msg_put_u32(m, RTA_PRIORITY, 256);
	msg_put_u32(m, RTA_OIF, (uint32_t)oif);
	return m->overflow ? -EMSGSIZE : 0;
}

/* ---- sending ---- */

/* The first refusal is the one reported, with the kernel's words if it gave some. */
static int keep_error(struct exec *x, const struct talk *t, int err)
{
	if (err && !x->error.err)
		x->error = t->error.err ? t->error : (struct talk_error){.err = err};
	return err;
}

static int flush(struct exec *x)
{
	struct ns_state *ns = x->cur;
	if (!ns)
		return 0;
	x->cur = NULL;
	x->cur_creates = false;
	return keep_error(x, &ns->rt, talk_flush(&ns->rt));
}

static int await_ns(struct exec *x, struct ns_state *ns);

/* Messages for one namespace queue up until boxnet turns to another one. */
static int use(struct exec *x, struct ns_state *ns)
{
	int err = await_ns(x, ns);
	if (!err && x->cur && x->cur != ns)
		err = flush(x);
	if (!err)
		x->cur = ns;
	return err;
}

static void forget_link(struct ns_state *ns, const char *name)
{
	struct link *l = state_link(ns, name);
	if (l)
		l->name[0] = '\0';
}

/* An index for a name; links made in this run are learnt with one dump of the namespace. */
static int resolve(struct exec *x, struct ns_state *ns, const char *name, int *index)
{
	int err = await_ns(x, ns);
	if (err)
		return err;
	struct link *l = state_link(ns, name);
	if (!l) {
		/* What is queued elsewhere may be what makes it: that goes first. */
		err = x->cur && x->cur != ns ? flush(x) : 0;
		if (!err)
			err = state_ask_link(ns, name);
		if (!err)
			err = x->cur == ns ? flush(x) : talk_flush(&ns->rt);
		if (keep_error(x, &ns->rt, err))
			return err;
		l = state_link(ns, name);
	}
	if (!l)
		return -ENODEV;
	*index = l->index;
	return 0;
}

/* The test hook, for what is no netlink request: fail like the kernel would, and say so. */
static bool injected(struct exec *x)
{
	if (!fault_hit(x->st->fault))
		return false;
	if (!x->error.err)
		x->error = (struct talk_error){.err = -EIO, .text = "boxnet test hook: injected failure"};
	return true;
}

/* *made: the namespace exists now, so undo must remove it even if opening it failed. */
static int do_netns_add(struct exec *x, struct ns_state *ns, bool *made)
{
	int err = netns_create(ns->name, x->st->mark);
	/* Inside the new namespace now, marked: its socket is opened from here. */
	if (!err) {
		*made = true;
		ns->exists = ns->ours = true;
		ns->mark = x->st->mark;
		err = talk_open(&ns->rt, NETLINK_ROUTE, ns->name);
		ns->rt.fault = x->st->fault;
		talk_share_rx(&ns->rt, &x->st->rx);
	}
	int back = netns_enter(x->st->host_fd);
	return err ? err : back;
}

/* The helper: it makes every namespace the plan adds, and stops when asked or refused. */
static void maker_main(const struct plan *p, const char *mark, int to, int from, pid_t parent)
{
	/* Dies with boxnet: a killed boxnet leaves at most one half-made namespace, as ever. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	for (size_t i = 0; i < p->n; i++) {
		if (p->ops[i].type != OP_NETNS_ADD)
			continue;
		struct pollfd stop = {.fd = from, .events = POLLIN};
		if (poll(&stop, 1, 0) != 0)
			break;
		int err = netns_create(p->ops[i].where->name, mark);
		if (write(to, &err, sizeof(err)) != sizeof(err) || err)
			break;
	}
	_exit(0);
}

static void maker_start(struct exec *x, const struct op *first)
{
	size_t count = 0;
	for (const struct op *o = first; o < x->p->ops + x->p->n; o++)
		count += o->type == OP_NETNS_ADD;
	int up[2], down[2];
	/* For one namespace a helper gains nothing; without one, boxnet makes them itself. */
	if (count < 2 || pipe(up) < 0)
		return;
	if (pipe(down) < 0) {
		close(up[0]);
		close(up[1]);
		return;
	}
	/* A bare clone3, not fork(): the child makes only system calls, so needs none of the C
	 * library's fork handling, nor its size in a static binary. clone3 takes the same
	 * arguments on every architecture; where it is refused (Linux < 5.3, some seccomp
	 * filters), boxnet makes the namespaces itself. */
	struct clone_args args = {.exit_signal = SIGCHLD};
	pid_t parent = getpid(), pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		maker_main(x->p, x->st->mark, up[1], down[0], parent);
	}
	close(up[1]);
	close(down[0]);
	if (pid < 0) {
		close(up[0]);
		close(down[1]);
		return;
	}
	x->mk = (struct maker){.pid = pid, .from = up[0], .to = down[1], .next = (size_t)(first - x->p->ops)};
	for (const struct op *o = first; o < x->p->ops + x->p->n; o++)
		if (o->type == OP_NETNS_ADD)
			o->where->coming = true;
}

/* One report from the helper: the namespace of the next OP_NETNS_ADD is made, or refused. */
static int maker_report(struct exec *x)
{
	const struct op *o = x->p->ops + x->mk.next;
	while (o->type != OP_NETNS_ADD)
		o++;
	x->mk.next = (size_t)(o - x->p->ops) + 1;
	struct ns_state *ns = o->where;
	ns->coming = false;
	ssize_t n;
	while ((n = read(x->mk.from, &x->mk.report, sizeof(x->mk.report))) < 0 && errno == EINTR)
		;
	int err = n == sizeof(x->mk.report) ? x->mk.report : -ECHILD;	/* else it stopped, or died */
	if (!err) {
		x->done[o - x->p->ops] = true;
		ns->exists = ns->ours = true;
		err = state_open_ns(x->st, ns);
	}
	if (err && !x->error.err)
		x->error = (struct talk_error){.err = err, .tag = o};
	return err;
}

static int await_ns(struct exec *x, struct ns_state *ns)
{
	int err = 0;
	while (ns->coming && !err)
		err = maker_report(x);
	return err;
}

/* Hears the rest of the helper's reports, all made; or, when stop, after asking it to stop,
 * so that undo knows what it made. */
static NOINLINE int maker_finish(struct exec *x, bool stop)
{
	if (!x->mk.pid)
		return 0;
	int err = 0;
	if (stop)
		close(x->mk.to);
	for (size_t i = 0; i < x->st->nns; i++) {
		int e = await_ns(x, &x->st->ns[i]);
		if (!err)
			err = e;
	}
	if (!stop)
		close(x->mk.to);
	close(x->mk.from);
	waitpid(x->mk.pid, NULL, 0);
	x->mk.pid = 0;
	return err;
}

/* Forwarding off again, the uplink's accept_ra back, the note gone. */
static void undo_forward_on(const struct state *st, const struct op *o)
{
	unsigned f = fam(o->addr.family);
	if (o->has_old)
		return;	/* on before, for an uplink made anew: that link goes with its own undo */
	write_forward(f, 0);
	if (o->ifname)
		write_accept_ra(o->ifname, 1);
	forward_note(st, f, false, NULL);
}

/* The request just queued: done once acked; fine, an error that means done all the same. */
static NOINLINE void track(struct talk *t, bool *done, int fine)
{
	talk_track(t, done);
	if (fine)
		talk_fine(t, fine);
}

/* An adopted interface back on the host, under its old name, with its old master (if that
 * is still there), MTU and state; then its record goes. Found nowhere, only the record goes. */
static int give_back(struct exec *x, const struct op *o, bool *done)
{
	const struct adopted *a = o->rec;
	struct ns_state *host = &x->st->host;
	int index = o->index, err = 0;
	if (index && o->where != host) {
		if ((err = use(x, o->where)) || (err = put_link_move(&o->where->rt, index, x->st->host_fd, a->name, o)))
			return err;
		talk_track(&o->where->rt, done);
		if ((err = flush(x)))
			return err;
		forget_link(o->where, o->old_link.name);	/* its name there is free now */
		forget_link(host, a->name);
		if ((err = resolve(x, host, a->name, &index)))
			return err;
	}
	if (index) {
		const struct link *m = a->master[0] ? state_link(host, a->master) : NULL;
		if ((err = use(x, host)))
			return err;
		/* A NIC back from a deleted namespace may be called devN: renamed while down. */
		if (o->where == host && strcmp(o->old_link.name, a->name) &&
		    (err = put_link_set(&host->rt, index, a->name, 0, 0, -1, NULL, -1, NULL, o)))
			return err;
		if ((err = put_link_set(&host->rt, index, NULL, a->up, a->mtu, m ? m->index : 0, NULL, -1, NULL, o)))
			return err;
		talk_track(&host->rt, done);
		if ((err = flush(x)))
			return err;
	}
	/* Done already when the kernel acked: undo puts the interface back either way. */
	err = injected(x) ? -EIO : adopt_remove(x->st, a->name);
	*done |= !err;
	return err;
}

static NOINLINE int run_op(struct exec *x, const struct op *o)
{
	struct state *st = x->st;
	struct ns_state *ns = o->where;
	struct talk *t = &ns->rt;
	unsigned f = fam(o->addr.family);
	int err = 0, index = 0, master = -1, fine = 0;
	struct route route;
	bool *done = &x->done[o - x->p->ops];
	char comment[NFT_COMMENT_SIZE], park_name[NAME_SIZE];

	switch (o->type) {
	case OP_NETNS_ADD:
		if (injected(x))
			return -EIO;
		if (!x->dir_ready && (err = netns_prepare_dir()) < 0)
			break;
		x->dir_ready = true;
		if (!x->mk.pid && !ns->coming)
			maker_start(x, o);
		if (!ns->coming && (err = flush(x)) == 0)
			err = do_netns_add(x, ns, done);
		break;
	case OP_NETNS_DEL:
		if ((err = flush(x)) == 0)
			err = injected(x) ? -EIO : netns_delete(ns->name);
		*done = !err;
		break;
	case OP_LINK_PARK:
		snprintf(park_name, sizeof(park_name), "bxg%d", o->old_link.index);
		/* A link may vanish by itself after the state was read: a veth whose peer's
		 * namespace was just deleted goes when the kernel gets to cleaning it up. Gone,
		 * it is out of the way all the same. */
		if ((err = use(x, ns)) ||
		    (err = put_link_set(t, o->old_link.index, NULL, 0, 0, -1, NULL, BOXNET_GROUP, NULL, o)))
			break;
		track(t, done, -ENODEV);
		/* A rename waits for an RCU grace period: only when a new link wants the name. */
		if (!o->keep_name) {
			if ((err = put_link_set(t, o->old_link.index, park_name, -1, 0, -1, NULL, -1, NULL, o)))
				break;
			track(t, done, -ENODEV);
		}
		forget_link(ns, o->ifname);
		break;
	case OP_LINK_PURGE:
		if ((err = use(x, ns)) || (err = put_link_del(t, NULL, o)))
			break;
		fine = -ENODEV;	/* gone already, with their veth peers */
		goto track;
	case OP_LINK_ADD:
		if (o->master) {
			/* A vlan, or a macvlan sent from the host to be born in its namespace: that
			 * namespace may still be in the making (its file there, not yet mounted: a
			 * handle on it is no namespace's, and the kernel says EINVAL). */
			int fd = ns->name && !(err = await_ns(x, ns)) ? netns_open(ns->name) : -1;
			if (!err && ns->name && fd < 0)
				err = fd;
			if (!err && !(err = resolve(x, &st->host, o->master, &master)) && !(err = use(x, &st->host)) &&
			    !(err = put_link_add(&st->host.rt, o, fd, master))) {
				talk_track(&st->host.rt, done);
				err = flush(x);
			}
			if (fd >= 0)
				close(fd);
			forget_link(ns, o->ifname);
			break;
		}
		if ((err = use(x, ns)) ||
		    (err = put_link_add(t, o, o->peer_ns == &st->host ? st->host_fd : o->peer_ns ? o->peer_ns->fd : -1, 0)))
			break;
		talk_track(t, done);
		x->cur_creates = true;
		forget_link(ns, o->ifname);
		if (o->peer_ns)
			forget_link(o->peer_ns, o->peer);
		break;
	case OP_LINK_SET:
		if (o->master && (err = resolve(x, ns, o->master, &master)))
			break;
		/* Before it comes up (its sysctls come with it): no DAD for its link-local address.
		 * Without, the kernel adds the address with DAD all the same: a delay, no failure. */
		if (o->nodad && (err = resolve(x, ns, o->ifname, &index)) == 0)
			write_ipv6_conf(o->ifname, "accept_dad", 0);
		if (err)
			break;
		if (o->nomaster)
			master = 0;
		if ((err = use(x, ns)) ||
		    (err = put_link_set(t, 0, o->ifname, o->up, o->mtu, master,
					 !o->mark ? NULL : ns->name ? st->mark : BOXNET_MARK,
					 o->mark ? 0 : -1, o->has_mac ? o->mac : NULL, o)))
			break;
		goto track;
	case OP_ADDR_ADD:
	case OP_ADDR_DEL:
	case OP_ROUTE_ADD:
		/* On a link by index, the one known or asked for. */
		if ((index = o->index) == 0 && (err = resolve(x, ns, o->ifname, &index)))
			break;
		if ((err = use(x, ns)))
			break;
		route = new_route(o, index);
		err = o->type == OP_ROUTE_ADD
			? put_route(t, RTM_NEWROUTE, &route, o->has_old, o)
			: put_addr(t, o->type == OP_ADDR_ADD ? RTM_NEWADDR : RTM_DELADDR, index, &o->addr, o->has_old, o);
		goto track;
	case OP_NET_ROUTE_ADD:
		if ((err = use(x, ns)) || (err = put_net_route(t, RTM_NEWROUTE, o->index, &o->addr, o)))
			break;
		/* Made again by the kernel meanwhile: an address of the subnet was added anew. */
		fine = -EEXIST;
		goto track;
	case OP_ROUTE_DEL:
		if ((err = use(x, ns)))
			break;
		err = put_route(t, RTM_DELROUTE, &o->old_route, false, o);
		fine = -ESRCH;	/* gone already, with the link it went through */
		goto track;
	case OP_NFT_LOAD:
	case OP_NFT_DEL:
		if ((err = flush(x)))
			break;
		if (injected(x)) {
			err = -EIO;
			break;
		}
		rules_comment(&x->p->rules, comment);
		if (o->type == OP_NFT_LOAD)
			err = nft_put_load(&st->nf, &x->p->rules, comment, st->table_exists, st->legacy_table);
		else if ((err = st->table_ours ? nft_put_delete(&st->nf, false) : 0) == 0 && st->legacy_table)
			err = nft_put_delete(&st->nf, true);
		if (!err)
			err = talk_flush_batch(&st->nf, NFNL_SUBSYS_NFTABLES, true);
		*done = !keep_error(x, &st->nf, err);
		break;
	case OP_NFT_OFFLOAD:
		/* undone by the load's undo, which put back, or deleted, the whole table */
		if ((err = flush(x)) == 0 && injected(x))
			err = -EIO;
		if (!err && !(err = nft_put_offload(&st->nf, o->devs, o->ndevs)))
			err = talk_flush_batch(&st->nf, NFNL_SUBSYS_NFTABLES, true);
		*done = !keep_error(x, &st->nf, err);
		break;
	case OP_FORWARD_ON:
	case OP_FORWARD_OFF:
		if ((err = flush(x)) == 0 && injected(x))
			err = -EIO;
		/* A namespace's is boxnet's: switched either way without a note. */
		if (!err && ns->name) {
			if (!(err = await_ns(x, ns)) && !(err = write_forward_in(st, ns, f, o->type == OP_FORWARD_ON)))
				*done = true;
			break;
		}
		if (err || o->type == OP_FORWARD_OFF)
			goto off;
		/* The note first: a boxnet killed in between leaves a note, never a forgotten switch.
		 * An uplink that takes router advertisements (accept_ra 1) must keep taking them
		 * (2) once the host forwards: o->ifname names it. */
		if ((err = forward_note(st, f, true, o->ifname)) == 0) {
			if ((err = write_forward(f, 1)) == 0 && (!o->ifname || (err = write_accept_ra(o->ifname, 2)) == 0))
				*done = true;
			else
				undo_forward_on(st, o);
		}
		break;
off:
		if (!err && (err = write_forward(f, 0)) == 0) {
			/* Only where it is still what boxnet made it. */
			if (o->ifname && read_accept_ra(o->ifname) == 2)
				write_accept_ra(o->ifname, 1);
			if ((err = forward_note(st, f, false, NULL)) == 0)
				*done = true;
		}
		break;
	case OP_ADOPT:
		if ((err = flush(x)) == 0 && (err = injected(x) ? -EIO : adopt_write(st, o->rec)) > 0)
			*done = true;	/* written now: undo removes it */
		err = err < 0 ? err : 0;
		break;
	case OP_GIVE_BACK:
		err = give_back(x, o, done);
		break;
	case OP_LINK_MOVE: {
		/* Moved and renamed in one request; the fd must outlive its sending. */
		int fd = (err = await_ns(x, o->peer_ns)) || (err = use(x, ns)) ? -1 : netns_open(o->peer_ns->name);
		if (!err && fd < 0)
			err = fd;
		/* Renamed where it is: down first, as the kernel renames no link that is up. */
		if (!err && ns == o->peer_ns)
			err = put_link_set(t, o->index, NULL, 0, 0, -1, NULL, -1, NULL, o);
		if (!err && !(err = put_link_move(t, o->index, fd, o->peer, o))) {
			talk_track(t, done);
			err = flush(x);
		}
		if (fd >= 0)
			close(fd);
		forget_link(ns, o->ifname);
		break;
	}
	case OP_DNS_WRITE:
	case OP_DNS_DEL: {
		struct sbuf text = {0};
		if (o->type == OP_DNS_WRITE)
			dns_text((const struct netns *)o->owner, "\n", &text);
		if ((err = flush(x)) == 0)
			err = injected(x) ? -EIO : text.oom ? -ENOMEM : write_dns(ns->name, text.len ? text.buf : NULL);
		sbuf_free(&text);
		*done = !err;
		break;
	}
	}
	return err;
track:
	track(t, done, fine);
	return err;
}

/* ---- undo ---- */

/* Undoes a move: the link of that index in from back into where, named, up and with the MTU
 * old had (one set where it went, ns.NAME.mtu, has no undo of its own that knows the one from
 * before); the addresses and routes it had there, which a move takes away, back too. */
static void move_back(struct exec *x, struct ns_state *from, struct ns_state *where, int index, const struct link *old)
{
	int fd = where->name ? netns_open(where->name) : x->st->host_fd;
	struct talk *t = &from->rt;
	if (fd >= 0 && !put_link_move(t, index, fd, old->name, NULL))
		talk_flush(t);
	if (where->name && fd >= 0)
		close(fd);
	t = &where->rt;
	forget_link(where, old->name);
	if (resolve(x, where, old->name, &index) ||
	    put_link_set(t, index, NULL, old->up, old->mtu, -1, NULL, -1, NULL, NULL) || talk_flush(t))
		return;
	for (size_t k = 0; k < where->naddrs; k++)
		if (where->addrs[k].index == old->index && !put_addr(t, RTM_NEWADDR, index, &where->addrs[k].p, true, NULL))
			talk_flush(t);
	for (size_t k = 0; old->up && k < where->nroutes; k++) {
		struct route r = where->routes[k];
		r.oif = index;
		if (where->routes[k].oif == old->index && r.protocol != RTPROT_KERNEL && !put_route(t, RTM_NEWROUTE, &r, true, NULL))
			talk_flush(t);
	}
}

/* Reverses, newest first, every step the kernel carried out. Best effort: each step alone,
 * errors ignored (a link may already have gone with its namespace). */
static NOINLINE void undo(struct exec *x)
{
	struct state *st = x->st;
	x->cur = NULL;
	for (size_t i = x->p->n; i-- > 0;) {
		const struct op *o = &x->p->ops[i];
		struct talk *t = &o->where->rt;
		const struct link *old = &o->old_link;
		const struct route *r = &o->old_route;
		struct route route;
		int index;
		if (!x->done[i])
			continue;
		switch (o->type) {
		case OP_NETNS_ADD:
			netns_delete(o->where->name);
			break;
		case OP_LINK_ADD:
			if (!put_link_del(t, o->ifname, NULL))
				talk_flush(t);
			break;
		case OP_LINK_PARK:
			/* The name back first: a link is renamed only while down. */
			if ((o->keep_name || !put_link_set(t, old->index, old->name, -1, 0, -1, NULL, -1, NULL, NULL)) &&
			    !put_link_set(t, old->index, NULL, old->up, 0, -1, NULL, old->group, NULL, NULL))
				talk_flush(t);
			/* Down, a link loses its IPv6 addresses (IPv4 ones stay): back up, it gets
			 * them again, and with them their subnet routes. */
			for (size_t k = 0; old->up && k < o->where->naddrs; k++) {
				const struct addr *a = &o->where->addrs[k];
				if (a->index == old->index && a->p.family == AF_INET6 &&
				    !put_addr(t, RTM_NEWADDR, a->index, &a->p, true, NULL))
					talk_flush(t);
			}
			break;
		case OP_LINK_SET:
			if (o->has_old &&
			    !put_link_set(t, 0, o->ifname, old->up, o->mtu ? old->mtu : 0,
					  o->master || o->nomaster ? old->master : -1,
					  !o->mark ? NULL : !old->ours ? "" : old->remark ? BOXNET_MARK : NULL,
					  o->mark ? (long)old->group : -1, o->has_mac ? old->mac : NULL, NULL))
				talk_flush(t);
			break;
		case OP_ADDR_ADD:
		case OP_ADDR_DEL:
			/* What was there is put back; what was added goes. */
			if (!resolve(x, o->where, o->ifname, &index) &&
			    !put_addr(t, o->type == OP_ADDR_ADD && !o->has_old ? RTM_DELADDR : RTM_NEWADDR, index,
				      &o->addr, true, NULL))
				talk_flush(t);
			break;
		case OP_NET_ROUTE_ADD:
			if (!put_net_route(t, RTM_DELROUTE, o->index, &o->addr, NULL))
				talk_flush(t);
			break;
		case OP_ROUTE_ADD:
		case OP_ROUTE_DEL:
			route = new_route(o, o->index);
			put_route(t, o->has_old ? RTM_NEWROUTE : RTM_DELROUTE, o->has_old ? r : &route, true, NULL);
			talk_flush(t);
			break;
		case OP_NFT_LOAD:
		case OP_NFT_DEL:
			if (st->table_exists ? !nft_put_restore(&st->nf, &st->table, st->table_comment)
					     : !nft_put_delete(&st->nf, false))
				talk_flush_batch(&st->nf, NFNL_SUBSYS_NFTABLES, true);
			/* An older boxnet's table ip boxnet, replaced or deleted, comes back too. */
			if (st->legacy_table && !nft_put_restore(&st->nf, &st->legacy, st->legacy_comment))
				talk_flush_batch(&st->nf, NFNL_SUBSYS_NFTABLES, true);
			break;
		case OP_FORWARD_ON:
		case OP_FORWARD_OFF:
			if (o->where->name) {
				write_forward_in(st, o->where, fam(o->addr.family), o->type == OP_FORWARD_OFF);
				break;
			}
			if (o->type == OP_FORWARD_ON) {
				undo_forward_on(st, o);
				break;
			}
			forward_note(st, fam(o->addr.family), true, o->ifname);
			write_forward(fam(o->addr.family), st->ip_forward[fam(o->addr.family)] == 1);
			if (o->ifname)
				write_accept_ra(o->ifname, 2);
			break;
		case OP_DNS_WRITE:
		case OP_DNS_DEL:
			/* boxnet's file back as it was, or the new one gone. */
			write_dns(o->where->name, o->has_old ? sbuf_str(&o->where->dns_text) : NULL);
			break;
		case OP_NETNS_DEL:
			if (o->where->fd >= 0)
				netns_restore(o->where->name, o->where->fd);
			break;
		case OP_ADOPT:
			adopt_remove(st, o->rec->name);
			break;
		case OP_LINK_MOVE:
			if (!resolve(x, o->peer_ns, o->peer, &index))
				move_back(x, o->peer_ns, o->where, index, old);
			break;
		case OP_GIVE_BACK:
			/* Its record back, and the interface as boxnet had it: in its namespace, or
			 * in its bridge. */
			adopt_write(st, o->rec);
			if (!o->index)
				break;
			if (resolve(x, &st->host, o->rec->name, &index))
				break;
			if (o->where != &st->host) {
				move_back(x, &st->host, o->where, index, old);
			} else if (!put_link_set(&st->host.rt, index, old->name, old->up, old->mtu, old->master, NULL, -1,
						 NULL, NULL)) {
				talk_flush(&st->host.rt);
			}
			break;
		case OP_LINK_PURGE:
			break;	/* what is gone stays gone: it comes last, once all else is done */
		case OP_NFT_OFFLOAD:
			break;	/* the load's undo takes the whole table back */
		}
	}
	/* Putting addresses back may have dropped routes through them again (a deleted primary
	 * takes its routes along), and a link that was down for a while lost its routes: the old
	 * default routes once more, done or not, now that all else is back. */
	for (size_t i = 0; i < x->p->n; i++) {
		const struct op *o = &x->p->ops[i];
		const struct route *r = &o->old_route;
		if (o->has_old && (o->type == OP_ROUTE_ADD || o->type == OP_ROUTE_DEL) &&
		    !put_route(&o->where->rt, RTM_NEWROUTE, r, true, NULL))
			talk_flush(&o->where->rt);
	}
}

/* ---- reporting ---- */

void op_describe(const struct op *o, struct sbuf *s)
{
	/* A format per op, filled from x, y and z below: one call, not one per op. printf
	 * ignores the arguments a format does not use. */
	static const char *const words[] = {
		[OP_FORWARD_OFF] = "switch IPv%s forwarding off",
		[OP_NFT_DEL] = "delete nftables table " NFT_FAMILY " " NFT_TABLE,
		[OP_NETNS_ADD] = "create namespace %s",
		[OP_LINK_PARK] = "take interface %s%s%s down, out of the way",
		[OP_LINK_PURGE] = "delete the interfaces boxnet no longer needs",
		[OP_LINK_ADD] = "create %s %s",
		[OP_LINK_SET] = "set up interface %s",
		[OP_ADDR_DEL] = "delete address %s from %s",
		[OP_ADDR_ADD] = "add address %s to %s",
		[OP_NET_ROUTE_ADD] = "add route to the subnet of %s dev %s",
		[OP_ROUTE_DEL] = "",
		[OP_ROUTE_ADD] = " via %s dev %s",
		[OP_NFT_LOAD] = "load nftables table " NFT_FAMILY " " NFT_TABLE,
		[OP_FORWARD_ON] = "switch IPv%s forwarding on",
		[OP_NETNS_DEL] = "delete namespace %s",
		[OP_ADOPT] = "record how interface %s is, for down",
		[OP_GIVE_BACK] = "give interface %s back as boxnet found it",
		[OP_LINK_MOVE] = "move interface %s into namespace %s as %s",
		[OP_NFT_OFFLOAD] = "",
	};
	char a[IP_STRLEN];
	const char *ns = o->where->name, *x = o->ifname, *y = o->ifname, *z = NULL;
	switch (o->type) {
	case OP_NETNS_ADD:
	case OP_NETNS_DEL:
		x = ns;
		ns = NULL;	/* said already */
		break;
	case OP_LINK_ADD:
		if (o->peer) {
			const struct veth_ends e = veth_ends(o);
			sbuf_addf(s, "create veth pair %s (host) and %s (namespace %s)", e.host, e.inside, e.ns);
			return;
		}
		x = o->kind;
		break;
	case OP_LINK_PARK:
		/* The namespace before the rest of the sentence. */
		y = ns ? " in namespace " : "";
		z = ns ? ns : "";
		ns = NULL;
		break;
	case OP_ADDR_ADD:
	case OP_ADDR_DEL:
	case OP_NET_ROUTE_ADD:
		x = prefix_str(&o->addr, a);
		break;
	case OP_ROUTE_ADD:
	case OP_ROUTE_DEL:
		/* "add route to NET" or "add default route", then the format's via and dev */
		sbuf_addf(s, "%s %s%s", o->type == OP_ROUTE_ADD ? "add" : "delete", o->dst.len ? "route to " : "default route",
			  o->dst.len ? prefix_str(&o->dst, a) : "");
		x = ip_str(&o->addr, a);
		break;
	case OP_DNS_WRITE:
	case OP_DNS_DEL:
		sbuf_addf(s, "%s " DNS_DIR "/%s/resolv.conf", o->type == OP_DNS_WRITE ? "write" : "remove", ns);
		return;
	case OP_NFT_OFFLOAD:
		sbuf_addf(s, "add interface%s", o->ndevs > 1 ? "s" : "");
		for (size_t i = 0; i < o->ndevs; i++)
			sbuf_addf(s, "%s%s", i ? ", " : " ", o->devs[i]);
		sbuf_addf(s, " to nftables flowtable " NFT_FAMILY " " NFT_TABLE " " NFT_FLOWTABLE);
		return;
	case OP_FORWARD_ON:
	case OP_FORWARD_OFF:
		x = o->addr.family == AF_INET6 ? "6" : "4";
		break;
	case OP_LINK_MOVE:
		if (o->where == o->peer_ns) {	/* renamed where it is */
			sbuf_addf(s, "rename interface %s to %s in namespace %s", x, o->peer, ns);
			return;
		}
		y = o->peer_ns->name;
		z = o->peer;
		break;
	default:
		break;
	}
	sbuf_addf(s, words[o->type], x, y, z);
	if (o->ifname && (o->type == OP_FORWARD_ON || o->type == OP_FORWARD_OFF))
		sbuf_addf(s, " (accept_ra of %s %s)", o->ifname, o->type == OP_FORWARD_ON ? "to 2" : "back to 1");
	/* Where it is done, unless on the host (the firewall and forwarding always are). */
	if (ns)
		sbuf_addf(s, " in namespace %s", ns);
	if (o->type == OP_LINK_SET && o->master)
		sbuf_addf(s, " on bridge %s", o->master);
}

static const char *feature(const struct op *o, const struct talk_error *e, int err, const char **also)
{
	if (o->type == OP_NFT_LOAD)
		return nft_feature(e, also);
	if (o->type == OP_LINK_ADD && err == -EOPNOTSUPP)
		return o->peer ? "CONFIG_VETH (veth pairs)" : o->kind[0] == 'b' ? "CONFIG_BRIDGE (bridges)"
		       : o->kind[0] == 'v' ? "802.1Q VLANs (CONFIG_VLAN_8021Q)" : "CONFIG_MACVLAN (macvlans)";
	if (o->type == OP_NETNS_ADD && err == -EINVAL)
		return "CONFIG_NET_NS (network namespaces)";
	return NULL;
}

static void report(const struct exec *x, const struct op *o, int err, struct log *out)
{
	struct sbuf s = {0};
	if (o->owner)
		sbuf_addf(&s, "%s %s (%s:%u): ", conf_kinds[o->owner->kind].name, o->owner->name,
			  x->c->file, o->owner->line);
	sbuf_addf(&s, "cannot ");
	op_describe(o, &s);
	if (o->type == OP_NFT_LOAD && x->error.type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE) &&
	    x->error.tag) {
		sbuf_addf(&s, " (rule '");
		rule_text(x->error.tag, &s);
		sbuf_addf(&s, "')");
	}
	sbuf_addf(&s, ": %s", strerror(-err));
	if (x->error.err == err && x->error.text[0])
		sbuf_addf(&s, " (kernel: %s)", x->error.text);
	const char *also = NULL, *f = feature(o, &x->error, err, &also);
	if (f)
		sbuf_addf(&s, "; the kernel lacks %s%s%s", f, also ? " or " : "", also ? also : "");
	log_say(out, "boxnet: %s\n", sbuf_str(&s));
	sbuf_free(&s);
}

/* ---- the run ---- */

static const struct op *op_of(const struct exec *x, const void *tag, const struct op *fallback)
{
	const struct op *o = tag;
	if (o >= x->p->ops && o < x->p->ops + x->p->n)
		return o;
	return fallback;
}

int apply(const struct config *c, struct state *st, const struct plan *p, struct log *out)
{
	struct exec x = {.c = c, .p = p, .st = st};
	size_t i = 0;
	int err = 0;

	x.done = calloc(p->n + 1, sizeof(*x.done));
	if (!x.done)
		return -ENOMEM;
	while (i < p->n && !(err = run_op(&x, &p->ops[i])))
		i++;
	if (!err && !(err = maker_finish(&x, false)))
		err = flush(&x);
	if (err) {
		/* The op the kernel refused; else the one that failed, or the last for what was
		 * still queued (with no op, nothing can fail). */
		const struct op *failed = op_of(&x, x.error.tag, &p->ops[i < p->n ? i : p->n - 1]);
		/* Undone first: nothing that befalls the message (a closed pipe, a full disk) may
		 * leave the box half-built. */
		maker_finish(&x, true);
		undo(&x);
		report(&x, failed, err, out);
	}
	free(x.done);
	return err;
}
