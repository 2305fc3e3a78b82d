/* print.c: a plan as the shell script of ip and nft commands that does the same. */
#include "plan.h"

#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)	/* a number's macro, as text in a format */

/* The inode number of the namespace the script runs in, as the shell finds it: the INUM that
 * boxnet's notes and marks carry. Once, not in each format that says it. */
static const char inum[] = "$(stat -L -c %i /proc/self/ns/net)";

static const char *ip_cmd(const struct ns_state *where, char buf[NAME_SIZE + 8])
{
	if (!where->name)
		return "ip";
	snprintf(buf, NAME_SIZE + 8, "ip -n %s", where->name);
	return buf;
}

static void mac_arg(struct sbuf *out, const struct op *o)
{
	const unsigned char *m = o->mac;
	if (o->mac_port)
		sbuf_addf(out, " address $(cat /sys/class/net/%s/address)", o->mac_port);
	else if (o->has_mac)
		sbuf_addf(out, " address %02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void print_nft(const struct plan *p, const struct op *o, struct sbuf *out)
{
	char comment[NFT_COMMENT_SIZE];
	rules_comment(&p->rules, comment);
	/* One nft -f run is one transaction: the old table goes and the new one comes at once. */
	sbuf_addf(out, "nft -f - <<'EOF'\n%stable " NFT_FAMILY " " NFT_TABLE "\ndelete table " NFT_FAMILY " " NFT_TABLE
		  "\ntable " NFT_FAMILY " " NFT_TABLE " {\n\tcomment \"%s\"\n",
		  o->legacy ? "delete table ip " NFT_TABLE "\n" : "", comment);
	rules_text(&p->rules, out, true);
	sbuf_addf(out, "}\nEOF\n");
}

static const char *section(const struct op *o)
{
	switch (o->type) {
	case OP_NETNS_ADD:
		return "namespaces";
	case OP_NFT_LOAD:
	case OP_NFT_DEL:
		return "firewall: one nftables transaction";
	case OP_NFT_OFFLOAD:
		return "offload: the flowtable's devices, once they exist (up makes it, empty, with the table)";
	case OP_FORWARD_ON:
	case OP_FORWARD_OFF:
		return o->where->name ? NULL : "forwarding, once the firewall is in place";
	case OP_DNS_WRITE:
	case OP_DNS_DEL:
		return "the namespaces' resolv.conf";
	case OP_NETNS_DEL:
	case OP_LINK_PURGE:
		return "removals, once all else is in place";
	default:
		return NULL;
	}
}

/* One op as the commands that do it; ip and nft as plan prints them. */
void plan_print_op(const struct plan *p, const struct op *o, struct sbuf *out)
{
	char a[IP_STRLEN], b[IP_STRLEN], ipb[NAME_SIZE + 8];
	const char *ip = ip_cmd(o->where, ipb);
	bool v6 = o->addr.family == AF_INET6;
	const char *f6 = v6 ? " -6" : "";
	/* OP_FORWARD_*: the family's switch, and boxnet's note that it turned it on. */
	const char *sw = v6 ? "/proc/sys/net/ipv6/conf/all/forwarding" : "/proc/sys/net/ipv4/ip_forward";
	const char *note = v6 ? FORWARD6_NOTE : FORWARD_NOTE;
	const char *dst = o->dst.len ? prefix_str(&o->dst, b) : "default";
	char mtu[16] = "", index[24] = "";	/* " mtu N" or "": arguments of the format that says the rest */
	if (o->mtu)
		snprintf(mtu, sizeof(mtu), " mtu %u", o->mtu);
	if (o->index && o->master)	/* a vlan or macvlan born in a namespace: see new_index() */
		snprintf(index, sizeof(index), " index %d", o->index);

	/* A namespace's forwarding is boxnet's alone: no note, no test. */
	if (o->where->name && (o->type == OP_FORWARD_ON || o->type == OP_FORWARD_OFF)) {
		sbuf_addf(out, "ip netns exec %s sh -c 'echo %d > %s'\n", o->where->name, o->type == OP_FORWARD_ON, sw);
		return;
	}
	switch (o->type) {
	case OP_NETNS_ADD:
		sbuf_addf(out, "ip netns add %s\nip -n %s link set dev lo alias \"$mark\" up\n", o->where->name,
			o->where->name);
		break;
	case OP_NETNS_DEL:
		sbuf_addf(out, "ip netns delete %s\n", o->where->name);
		break;
	case OP_LINK_ADD:
		if (o->peer) {
			/* A pair boxnet makes from inside a namespace is said from the host: the same;
			 * each end as boxnet asks for it (see put_one_queue() in apply.c). */
			const struct veth_ends e = veth_ends(o);
			sbuf_addf(out, "ip link add name %s%s numtxqueues 1 numrxqueues 1 type veth peer name %s%s"
				  " numtxqueues 1 numrxqueues 1 netns %s\n", e.host, mtu, e.inside, mtu, e.ns);
			break;
		}
		if (o->master) {
			/* A vlan, or a macvlan born in its namespace: made on the host's parent. */
			sbuf_addf(out, "ip link add link %s name %s%s%s%s%s", o->master, o->ifname, index, mtu,
				  o->where->name ? " netns " : "", o->where->name ? o->where->name : "");
			if (o->kind[0] == 'v')
				sbuf_addf(out, " type vlan id %u\n", (unsigned)o->metric);
			else
				sbuf_addf(out, " type macvlan mode bridge\n");
			break;
		}
		sbuf_addf(out, "%s link add name %s", ip, o->ifname);
		mac_arg(out, o);
		sbuf_addf(out, "%s type %s\n", mtu, o->kind);
		break;
	case OP_LINK_PARK:
		sbuf_addf(out, "%s link set dev %s down group %u\n", ip, o->ifname, BOXNET_GROUP);
		if (!o->keep_name)
			sbuf_addf(out, "%s link set dev %s name bxg%d\n", ip, o->ifname, o->old_link.index);
		break;
	case OP_LINK_PURGE:
		sbuf_addf(out, "%s link delete group %u\n", ip, BOXNET_GROUP);
		break;
	case OP_LINK_SET:
		if (o->nodad)
			sbuf_addf(out, "echo 0 > /proc/sys/net/ipv6/conf/%s/accept_dad\n", o->ifname);
		sbuf_addf(out, "%s link set dev %s", ip, o->ifname);
		mac_arg(out, o);
		sbuf_addf(out, "%s%s%s%s%s%s\n", mtu, o->master ? " master " : "", o->master ? o->master : "",
			  o->nomaster ? " nomaster" : "",
			  !o->mark ? "" : o->where->name ? " alias \"$mark\"" : " alias " BOXNET_MARK, o->up ? " up" : "");
		break;
	case OP_ADDR_ADD:
	case OP_ADDR_DEL:
		sbuf_addf(out, "%s%s address %s %s%s dev %s%s\n", ip, f6, o->type == OP_ADDR_ADD ? "add" : "delete",
			prefix_str(&o->addr, a), !v6 && o->addr.len <= 30 ? " brd +" : "", o->ifname,
			v6 && o->type == OP_ADDR_ADD ? " nodad" : "");
		break;
	case OP_NET_ROUTE_ADD: {
		/* As the kernel makes it: append, like the kernel, beside another to the subnet. */
		struct prefix net = prefix_net(&o->addr);
		sbuf_addf(out, v6 ? "%s -6 route append %s dev %s proto kernel metric 256\n"
				  : "%s route append %s dev %s proto kernel scope link src %s\n",
			  ip, prefix_str(&net, a), o->ifname, ip_str(&o->addr, b));
		break;
	}
	case OP_ROUTE_ADD:
	case OP_ROUTE_DEL:
		sbuf_addf(out, "%s%s route %s %s", ip, f6, o->type == OP_ROUTE_DEL ? "delete" : o->has_old ? "replace" : "add",
			dst);
		if (o->type == OP_ROUTE_ADD)
			sbuf_addf(out, " via %s dev %s", ip_str(&o->addr, a), o->ifname);
		sbuf_addf(out, o->metric ? " proto " STR(BOXNET_RTPROT) " metric %u\n" : " proto " STR(BOXNET_RTPROT) "\n",
			  o->metric);
		break;
	case OP_NFT_LOAD:
		print_nft(p, o, out);
		break;
	case OP_NFT_DEL:
		sbuf_addf(out, "%snft delete table " NFT_FAMILY " " NFT_TABLE "\n",
			  o->legacy ? "nft delete table ip " NFT_TABLE "\n" : "");
		break;
	case OP_NFT_OFFLOAD:
		sbuf_addf(out, "nft -f - <<'EOF'\nadd flowtable " NFT_FAMILY " " NFT_TABLE " " NFT_FLOWTABLE
			       " { hook ingress priority filter; devices = {");
		for (size_t i = 0; i < o->ndevs; i++)
			sbuf_addf(out, "%s\"%s\"", i ? ", " : " ", o->devs[i]);
		sbuf_addf(out, " }; }\n");
		/* its rules first in forward, where up loads them: each insert goes before the last */
		for (size_t i = p->rules.n; i-- > 0;) {
			if (p->rules.v[i].verdict == V_OFFLOAD) {
				sbuf_addf(out, "insert rule " NFT_FAMILY " " NFT_TABLE " forward ");
				rule_text(&p->rules.v[i], out);
				sbuf_addf(out, "\n");
			}
		}
		sbuf_addf(out, "EOF\n");
		break;
	case OP_FORWARD_ON:
		sbuf_addf(out, "if [ \"$(cat %s)\" = 0 ]; then\n"
			     "\t# noted, so that down switches it off again\n"
			     "\tmkdir -p -m 0700 %s && echo on > %s.%s\n",
			sw, RUN_DIR, note, inum);
		/* The note names the uplink only when its accept_ra is boxnet's to put back. */
		if (o->ifname)
			sbuf_addf(out, "\t# a forwarding host ignores router advertisements unless accept_ra is 2\n"
				     "\tif [ \"$(cat /proc/sys/net/ipv6/conf/%s/accept_ra)\" = 1 ]; then\n"
				     "\t\techo on %s > " FORWARD6_NOTE ".%s\n"
				     "\t\techo 2 > /proc/sys/net/ipv6/conf/%s/accept_ra\n\tfi\n",
				o->ifname, o->ifname, inum, o->ifname);
		sbuf_addf(out, "\techo 1 > %s\nfi\n", sw);
		break;
	case OP_DNS_WRITE:
		/* Its escapes are printf's: names and addresses hold no % nor backslash. */
		sbuf_addf(out, "mkdir -p " DNS_DIR "/%s\nprintf '", o->where->name);
		dns_text((const struct netns *)o->owner, "\\n", out);
		sbuf_addf(out, "' > " DNS_DIR "/%s/resolv.conf\n", o->where->name);
		break;
	case OP_ADOPT:
		/* The record up writes (see ADOPT_FMT in state.c), as the shell finds the interface;
		 * a vlan's or macvlan's parent (o->up) only if it is down. */
		sbuf_addf(out, "s=/sys/class/net/%s d=" ADOPT_DIR ".%s\nm=$(readlink $s/master) || m=none\n"
			  "mkdir -p -m 0700 $d && [ -e $d/%s ] || %sprintf 'index %%s\\nmac %%s\\nmaster %%s\\nmtu %%s\\nup %%s\\nns %%s\\n' "
			  "$(cat $s/ifindex $s/address) ${m##*/} $(cat $s/mtu) $(($(cat $s/flags) & 1)) %s > $d/%s\n",
			  o->ifname, inum, o->ifname, o->up ? "[ $(($(cat $s/flags) & 1)) = 1 ] || " : "",
			  o->peer ? o->peer : "none", o->ifname);
		break;
	case OP_LINK_MOVE:
		if (o->where == o->peer_ns)	/* renamed where it is */
			sbuf_addf(out, "%s link set dev %s down\n%s link set dev %s name %s\n", ip, o->ifname, ip, o->ifname,
				  o->peer);
		else
			sbuf_addf(out, "ip link set dev %s netns %s name %s\n", o->ifname, o->peer_ns->name, o->peer);
		break;
	case OP_GIVE_BACK: {
		const struct adopted *r = o->rec;
		if (o->index && o->where->name)
			sbuf_addf(out, "%s link set dev %s netns $$ name %s\n", ip, o->old_link.name, r->name);
		else if (o->index && strcmp(o->old_link.name, r->name))
			sbuf_addf(out, "ip link set dev %s down name %s\n", o->old_link.name, r->name);
		if (o->index)
			sbuf_addf(out, "ip link set dev %s %s%s mtu %u %s\n", r->name, r->master[0] ? "master " : "nomaster",
				  r->master, r->mtu, r->up ? "up" : "down");
		sbuf_addf(out, "rm -f " ADOPT_DIR ".%s/%s\n", inum, r->name);
		break;
	}
	case OP_DNS_DEL:
		sbuf_addf(out, "rm -f " DNS_DIR "/%s/resolv.conf\nrmdir " DNS_DIR "/%s 2>/dev/null || true\n", o->where->name,
			o->where->name);
		break;
	case OP_FORWARD_OFF:
		/* IPv4's note without INUM is an older boxnet's, and goes too. */
		sbuf_addf(out, "echo 0 > %s\nrm -f %s%s.%s\n", sw, v6 ? "" : FORWARD_NOTE " ", note, inum);
		if (o->ifname)
			sbuf_addf(out, "echo 1 > /proc/sys/net/ipv6/conf/%s/accept_ra\n", o->ifname);
		break;
	}
}

int plan_print(const struct plan *p, const struct config *c, const char *what, FILE *f)
{
	const struct ns_state *last_where = NULL;
	const char *last_section = NULL;
	struct sbuf script = {0}, *out = &script;

	sbuf_addf(out, "#!/bin/sh\n# boxnet plan for %s: %s.\nset -e\n", c->file, what);
	/* What boxnet makes inside a namespace names the namespace it was made from. */
	for (size_t i = 0; i < p->n; i++) {
		const struct op *o = &p->ops[i];
		if (o->type == OP_NETNS_ADD || (o->type == OP_LINK_SET && o->mark && o->where->name)) {
			sbuf_addf(out, "mark=\"" BOXNET_MARK ":%s\"\n", inum);
			break;
		}
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct op *o = &p->ops[i];
		const char *sec = section(o);
		if (sec && sec != last_section) {
			sbuf_addf(out, "\n# %s\n", sec);
		} else if (!sec && (o->where != last_where || last_section)) {
			if (o->where->name)
				sbuf_addf(out, "\n# inside namespace %s\n", o->where->name);
			else
				sbuf_addf(out, "\n# host links\n");
		}
		last_section = sec;
		last_where = o->where;

		plan_print_op(p, o, out);
	}
	/* Whole or not at all: a script cut short by a lack of memory would build half a box. */
	int err = script.oom ? -1 : 0;
	if (!err)
		fputs(sbuf_str(&script), f);
	sbuf_free(&script);
	return err;
}
