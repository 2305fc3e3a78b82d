/* rules.c: from segments to the forward and NAT rules of table inet boxnet. */
#include "rules.h"

#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct chain_info rule_chains[CHAIN_COUNT] = {
	[CHAIN_FORWARD] = {"forward", "filter", NF_INET_FORWARD, 0, "filter"},
	[CHAIN_POSTROUTING] = {"postrouting", "nat", NF_INET_POST_ROUTING, 100, "srcnat"},
	[CHAIN_PREROUTING] = {"prerouting", "nat", NF_INET_PRE_ROUTING, -100, "dstnat"},
	/* nft 1.0.6 refuses dstnat on an inet output chain; the number is the same */
	[CHAIN_OUTPUT] = {"output", "nat", NF_INET_LOCAL_OUT, -100, "-100"},
	[CHAIN_FORWARDS] = {"forwards", NULL, 0, 0, NULL},
};

const char rule_sets[SET_COUNT][9] = {"segments", "open", "into"};

/* A rule's chain, verdict and first matches in one number: add()'s callers pass four
 * arguments, not eight, each a few bytes less. */
#define SPEC(chain, v, n, t0, t1) ((chain) | (v) << 4 | (n) << 8 | (t0) << 12 | (t1) << 16)
_Static_assert(CHAIN_INTO < 16 && V_OFFLOAD < 16 && M_TCP_SYN < 16, "each field of a SPEC takes 4 bits");

/* Appends a rule whose n matches (none, one or two) are of types t0 and t1 of spec, the first
 * on interface name if0 when it is M_IIFNAME; the caller fills in a set's id; more() adds
 * others. */
static NOINLINE struct rule *add(struct ruleset *rs, unsigned spec, const char *if0)
{
	struct rule *r = &rs->sink;
	if (grow(&rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v)))
		rs->oom = true;
	else
		r = &rs->v[rs->n++];
	*r = (struct rule){.chain = spec & 15, .verdict = spec >> 4 & 15, .nmatch = spec >> 8 & 15};
	r->m[0].type = spec >> 12 & 15;
	r->m[0].ifname = if0;
	r->m[1].type = spec >> 16 & 15;
	rs->chains |= 1u << r->chain;
	return r;
}

/* A rule of segment i's chain. */
static struct rule *into(struct ruleset *rs, size_t i, unsigned spec, const char *if0)
{
	struct rule *r = add(rs, spec | CHAIN_INTO, if0);
	r->chain = (unsigned)(CHAIN_INTO + i);
	return r;
}

static NOINLINE struct match *more(struct rule *r, enum match_type t)
{
	struct match *m = &r->m[r->nmatch++];
	m->type = t;
	return m;
}

/* An address match, when there is an address (family 0: none). */
static void addr_match(struct rule *r, enum match_type t, const struct prefix *p)
{
	if (p->family)
		more(r, t)->net = *p;
}

/* meta l4proto P, and th dport lo-hi when lo is a port (tcp dport, as nft says it). */
static void port_match(struct rule *r, unsigned proto, unsigned lo, unsigned hi)
{
	more(r, M_PROTO)->lo = (uint16_t)proto;
	if (lo) {
		struct match *m = more(r, M_DPORT);
		m->lo = (uint16_t)lo;
		m->hi = (uint16_t)hi;
	}
}

static const struct forward *forward_at(const struct config *c, size_t i)
{
	return (const struct forward *)c->objs[KIND_FORWARD].v[i];
}

/*
 * Port forwards, per forward, family and protocol (tcp 0, udp 1):
 *   forwards:    ip daddr T tcp dport P' accept   forward jumps here for ct status dnat: only
 *                                                these get in
 *   prerouting and output (from the box itself), after
 *                ip daddr A return   for the box's segment addresses and loopback, so that
 *                                    only its other addresses, the uplink's, are rewritten:
 *                fib daddr type local [ip saddr FROM] tcp dport P dnat ip to T[:P']
 *                (a range moved to other ports: one rule a port)
 *   postrouting: ct status dnat ip saddr NET ip daddr NET masquerade   for each subnet holding
 *                a target: hairpin, the reply to a neighbour comes back through the box, where
 *                it is un-NATed. Others keep their source: the service sees who connects.
 */
static void forwards(const struct config *c, struct ruleset *rs)
{
	static const struct prefix loopback[] = {{AF_INET, 8, {127}}, {AF_INET6, 128, {[15] = 1}}};
	size_t nf = c->objs[KIND_FORWARD].n;
	for (size_t i = 0; i <= c->nsegs && nf; i++) {
		const struct prefix *v = i < c->nsegs ? c->segs[i].nets : loopback;
		for (unsigned k = 0; k < (i < c->nsegs ? c->segs[i].nnets : 2); k++) {
			struct match *m = more(add(rs, SPEC(CHAIN_PREROUTING, V_RETURN, 0, 0, 0), NULL), M_DADDR);
			m->net = v[k];
			if (i < c->nsegs)
				m->net.len = (uint8_t)(ip_size(v[k].family) * 8);
		}
	}
	for (size_t i = 0; i < nf; i++) {
		const struct forward *f = forward_at(c, i);
		unsigned lo = f->port.lo, hi = f->port.hi, to = f->to.port == lo && hi > lo ? 0 : f->to.port;
		bool each = to && hi > lo;
		for (unsigned x = 0; x < 2 * FAM_COUNT; x++) {
			const struct prefix *t = &f->addr[x / 2];
			unsigned proto = x & 1 ? IPPROTO_UDP : IPPROTO_TCP;
			if (!t->family || !(f->proto >> (x & 1) & 1))
				continue;
			struct rule *r = add(rs, SPEC(CHAIN_FORWARDS, V_ACCEPT, 0, 0, 0), NULL);
			addr_match(r, M_DADDR, t);
			port_match(r, proto, to ? to : lo, to ? to + hi - lo : hi);
			for (unsigned p = lo; p <= hi; p = each ? p + 1 : hi + 1) {
				for (unsigned j = 0; j < (f->from.n ? f->from.n : 1); j++) {
					if (f->from.n && fam(f->from.v[j].family) != x / 2)
						continue;
					r = add(rs, SPEC(CHAIN_PREROUTING, V_DNAT, 1, M_FIB_LOCAL, 0), NULL);
					if (f->from.n)
						more(r, M_SADDR)->net = f->from.v[j];
					port_match(r, proto, p, each ? p : hi);
					r->to = *t;
					r->to_port = (uint16_t)(to ? to + p - lo : 0);
				}
			}
		}
	}
	/* From the box itself: the output chain holds prerouting's rules again. */
	for (size_t i = 0, n = rs->n; i < n; i++) {
		if (rs->v[i].chain != CHAIN_PREROUTING)
			continue;
		struct rule r = rs->v[i];	/* add() may move the rules */
		r.chain = CHAIN_OUTPUT;
		*add(rs, SPEC(CHAIN_OUTPUT, V_ACCEPT, 0, 0, 0), NULL) = r;
	}
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct segment *s = &c->segs[i];
		for (unsigned k = 0; k < s->nnets; k++) {
			bool target = false;
			for (size_t j = 0; j < nf; j++)
				target |= prefix_contains(&s->nets[k], &forward_at(c, j)->addr[fam(s->nets[k].family)]);
			if (!target)
				continue;
			struct rule *r = add(rs, SPEC(CHAIN_POSTROUTING, V_MASQUERADE, 1, M_CT_DNAT, 0), NULL);
			struct prefix net = prefix_net(&s->nets[k]);
			addr_match(r, M_SADDR, &net);
			addr_match(r, M_DADDR, &net);
		}
	}
}

/* The rules grouped by chain, in the order of chain ids, each chain's in the order added: as
 * the table lists them, the kernel dumps them and nft_put_load sends them. */
static void sort_rules(struct ruleset *rs)
{
	size_t nch = CHAIN_INTO + rs->nsegs, *at = calloc(nch + 1, sizeof(*at));
	struct rule *v = malloc((rs->n ? rs->n : 1) * sizeof(*v));
	if (!at || !v) {
		rs->oom = true;
	} else {
		for (size_t i = 0; i < rs->n; i++)
			at[rs->v[i].chain + 1]++;
		for (size_t ch = 1; ch <= nch; ch++)
			at[ch] += at[ch - 1];
		for (size_t i = 0; i < rs->n; i++)
			v[at[rs->v[i].chain]++] = rs->v[i];
		free(rs->v);
		rs->v = v;
		rs->cap = rs->n;
		v = NULL;
	}
	free(at);
	free(v);
}

const char *chain_name(const struct ruleset *rs, unsigned id, char buf[CHAIN_NAME_SIZE])
{
	if (id < CHAIN_INTO)
		return rule_chains[id].name;
	/* nft's identifiers have no '+', interface names no '/' */
	snprintf(buf, CHAIN_NAME_SIZE, "into_%s", rs->segs[id - CHAIN_INTO].ifname);
	for (char *p = buf; (p = strchr(p, '+'));)
		*p = '/';
	return buf;
}

bool set_has(const struct ruleset *rs, unsigned id, size_t i)
{
	return id != SET_OPEN || !rs->segs[i].isolate;
}

/*
 * Openings into segment i, in its chain before the final drop, per allow, family and protocol:
 *   iifname FROM [ip saddr A] [ip daddr B] [meta l4proto P [th dport Q]] accept
 * A side that is one namespace on a bridge matches its address; then only the families both
 * such sides have. icmp is ICMP in IPv4 and ICMPv6 in IPv6. One way: replies come back by
 * the established rule.
 */
static void allows(const struct config *c, struct ruleset *rs, size_t seg)
{
	static const uint8_t l4[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6};
	for (size_t i = 0; i < c->objs[KIND_ALLOW].n; i++) {
		const struct allow *al = (const struct allow *)c->objs[KIND_ALLOW].v[i];
		if (!al->seg[0] || !al->seg[1] || strcmp(al->seg[1], c->segs[seg].ifname))
			continue;
		bool has[2] = {al->addr[0][0].family || al->addr[0][1].family, al->addr[1][0].family || al->addr[1][1].family};
		for (unsigned k = 0; k < (has[0] || has[1] ? FAM_COUNT : 1); k++) {
			if ((has[0] && !al->addr[0][k].family) || (has[1] && !al->addr[1][k].family))
				continue;
			for (unsigned pr = 0; pr < ARRAY_SIZE(l4); pr++) {
				/* icmp alone: each family's; with an address, that family's only */
				if (!(al->proto >> (pr < 2 ? pr : 2) & 1) || (pr >= 2 && (has[0] || has[1]) && pr - 2 != k))
					continue;
				struct rule *r = into(rs, seg, SPEC(0, V_ACCEPT, 1, M_IIFNAME, 0), al->seg[0]);
				addr_match(r, M_SADDR, &al->addr[0][k]);
				addr_match(r, M_DADDR, &al->addr[1][k]);
				port_match(r, l4[pr], al->port.lo, al->port.hi);
			}
		}
	}
}

/* clamp_mss = yes, or the config gives a bridge or a namespace an MTU other than 1500: an
 * MTU smaller than the other side's breaks TCP where ICMP is dropped on the way. */
static bool clamp_mss(const struct config *c)
{
	if (c->clamp_mss >= 0)
		return c->clamp_mss;
	for (size_t i = 0; i < c->objs[KIND_BRIDGE].n; i++)
		if (conf_bridge_at(c, i)->mtu && conf_bridge_at(c, i)->mtu != 1500)
			return true;
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++)
		if (conf_ns_at(c, i)->mtu && conf_ns_at(c, i)->mtu != 1500)
			return true;
	return false;
}

/*
 * The forward chain (policy accept, so traffic that never touches a segment is left alone)
 * decides each packet with a few rules, whatever the number of segments:
 *   iifname @segments flow add @ft           (offload: and the same for oifname) a connection
 *                                            from or into a segment, once established, takes
 *                                            the flowtable's fast path: its later packets skip
 *                                            every chain, so only what was let in gets there
 *   tcp flags syn iifname @segments tcp option maxseg size set rt mtu   (clamp_mss: and the
 *                                            same for oifname) the MSS of a SYN or SYN-ACK at
 *                                            most the MTU of the path, either way
 *   ct state established,related accept      replies, and the rest of what was let in
 *   ct state invalid iifname @segments drop  nothing untracked leaves un-NATed
 *   ct status dnat jump forwards             port forwards' new connections
 *   oifname vmap @into                       into a segment: its own chain decides
 * and segment S's chain into_S:
 *   iifname "S" accept                       neighbours on one bridge (br_netfilter)
 *   iifname @open accept                     when S is open: from the other open segments
 *                                            (a veth's own traffic, S to S, is dropped first)
 *   iifname T ... accept                     the openings into S
 *   drop                                     nothing else gets in: not the uplink, not others
 * Traffic leaving a segment is accepted by the policy. In postrouting, each masquerading
 * segment's subnets are NATed on every exit but the box's own segments, as Docker does
 * (! -o docker0): a failover or renamed upstream still NATs, so no private source leaks.
 *   oifname @segments accept                 traffic among segments keeps its source
 *   ip saddr NET masquerade                  each masquerading segment's subnets, any other exit
 *   ip6 saddr NET masquerade                 (per family: masquerade = ipv4 routes a global
 *                                            IPv6 prefix as it is)
 * NAT chains see only a connection's first packet.
 */
int rules_build(const struct config *c, struct ruleset *rs)
{
	bool masq = false;
	size_t open = 0;
	*rs = (struct ruleset){.segs = c->segs, .nsegs = c->nsegs};
	for (size_t i = 0; i < c->nsegs; i++)
		open += !c->segs[i].isolate;
	forwards(c, rs);
	if (c->nsegs) {
		rs->sets = 1u << SET_SEGMENTS | 1u << SET_INTO | (open > 1) << SET_OPEN;
		rs->offload = c->offload > 0;
		for (unsigned k = 0; k < 2 && rs->offload; k++)
			add(rs, SPEC(CHAIN_FORWARD, V_OFFLOAD, 1, k ? M_OIFSET : M_IIFSET, 0), NULL)->m[0].lo = SET_SEGMENTS;
		/* SYNs and SYN-ACKs from and into segments, before the established accept */
		for (unsigned k = 0; k < 2 && clamp_mss(c); k++)
			add(rs, SPEC(CHAIN_FORWARD, V_CLAMP, 2, M_TCP_SYN, k ? M_OIFSET : M_IIFSET), NULL)->m[1].lo =
				SET_SEGMENTS;
		add(rs, SPEC(CHAIN_FORWARD, V_ACCEPT, 1, M_CT_ESTABLISHED, 0), NULL);
		add(rs, SPEC(CHAIN_FORWARD, V_DROP, 2, M_CT_INVALID, M_IIFSET), NULL)->m[1].lo = SET_SEGMENTS;
		if (rs->chains >> CHAIN_FORWARDS & 1)
			add(rs, SPEC(CHAIN_FORWARD, V_JUMP, 1, M_CT_DNAT, 0), NULL);
		add(rs, SPEC(CHAIN_FORWARD, V_VMAP, 0, 0, 0), NULL);
	}
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct segment *s = &c->segs[i];
		const char *x = s->ifname;
		if (s->bridged || (!s->isolate && open > 1))
			into(rs, i, SPEC(0, s->bridged ? V_ACCEPT : V_DROP, 1, M_IIFNAME, 0), x);
		if (!s->isolate && open > 1)
			into(rs, i, SPEC(0, V_ACCEPT, 1, M_IIFSET, 0), NULL)->m[0].lo = SET_OPEN;
		allows(c, rs, i);
		into(rs, i, SPEC(0, V_DROP, 0, 0, 0), NULL);
		for (unsigned k = 0; k < s->nnets && c->uplink[0]; k++)
			masq |= s->masquerade & (1u << fam(s->nets[k].family));
	}
	if (masq)
		add(rs, SPEC(CHAIN_POSTROUTING, V_ACCEPT, 1, M_OIFSET, 0), NULL)->m[0].lo = SET_SEGMENTS;
	for (size_t i = 0; i < c->nsegs && masq; i++) {
		const struct segment *s = &c->segs[i];
		for (unsigned k = 0; k < s->nnets; k++)
			if (s->masquerade & (1u << fam(s->nets[k].family)))
				add(rs, SPEC(CHAIN_POSTROUTING, V_MASQUERADE, 1, M_SADDR, 0), NULL)->m[0].net =
					prefix_net(&s->nets[k]);
	}
	sort_rules(rs);

	struct sbuf text = {0};
	rules_text(rs, &text, false);
	rs->digest = fnv1a(text.buf, text.len);
	sbuf_free(&text);
	return rs->oom || text.oom ? -1 : 0;
}

void rules_free(struct ruleset *rs)
{
	free(rs->v);
	*rs = (struct ruleset){0};
}

static const char *l4_name(unsigned proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_ICMP ? "icmp" : "ipv6-icmp";
}

void rule_text(const struct rule *r, struct sbuf *out)
{
	static const char *const verdicts[] = {"accept", "drop", "masquerade", "return", NULL, "jump forwards",
					       "oifname vmap @into", "tcp option maxseg size set rt mtu",
					       "flow add @" NFT_FLOWTABLE};
	char a[IP_STRLEN];
	for (unsigned i = 0; i < r->nmatch; i++) {
		const struct match *m = &r->m[i];
		switch (m->type) {
		case M_IIFNAME:
			sbuf_addf(out, "iifname \"%s\" ", m->ifname);
			break;
		case M_IIFSET:
		case M_OIFSET:
			sbuf_addf(out, "%cifname @%s ", m->type == M_IIFSET ? 'i' : 'o', rule_sets[m->lo]);
			break;
		case M_SADDR:
		case M_DADDR:
			/* nft prints a /32 or /128 as a plain address */
			sbuf_addf(out, "%s %caddr %s ", m->net.family == AF_INET6 ? "ip6" : "ip", m->type == M_SADDR ? 's' : 'd',
				  m->net.len == ip_size(m->net.family) * 8 ? ip_str(&m->net, a) : prefix_str(&m->net, a));
			break;
		case M_CT_INVALID:
			sbuf_addf(out, "ct state invalid ");
			break;
		case M_CT_ESTABLISHED:
			sbuf_addf(out, "ct state established,related ");
			break;
		case M_FIB_LOCAL:
			sbuf_addf(out, "fib daddr type local ");
			break;
		case M_CT_DNAT:
			sbuf_addf(out, "ct status dnat ");
			break;
		case M_TCP_SYN:
			sbuf_addf(out, "tcp flags syn ");
			break;
		case M_PROTO:
			/* meta l4proto tcp th dport 80 is tcp dport 80, to nft and to the kernel */
			sbuf_addf(out, "%s%s ", i + 1 < r->nmatch && m[1].type == M_DPORT ? "" : "meta l4proto ", l4_name(m->lo));
			break;
		case M_DPORT:
			sbuf_addf(out, m->lo == m->hi ? "dport %u " : "dport %u-%u ", m->lo, m->hi);
			break;
		}
	}
	if (r->verdict != V_DNAT) {
		_Static_assert(V_DNAT == 4 && V_OFFLOAD == 8, "the verdicts' words, in order");
		sbuf_addf(out, "%s", verdicts[r->verdict]);
		return;
	}
	/* dnat ip to 10.0.0.2:80, dnat ip6 to [fd00::2]:80 */
	bool v6 = r->to.family == AF_INET6, brackets = v6 && r->to_port;
	sbuf_addf(out, "dnat %s to %s%s%s", v6 ? "ip6" : "ip", brackets ? "[" : "", ip_str(&r->to, a), brackets ? "]" : "");
	if (r->to_port)
		sbuf_addf(out, ":%u", r->to_port);
}

void rules_text(const struct ruleset *rs, struct sbuf *out, bool slow_only)
{
	char buf[CHAIN_NAME_SIZE];
	for (unsigned id = 0; id < SET_COUNT; id++) {
		if (!(rs->sets >> id & 1))
			continue;
		sbuf_addf(out, "\t%s %s {\n\t\ttype ifname%s\n\t\telements = {\n", SET_MAP(id) ? "map" : "set", rule_sets[id],
			  SET_MAP(id) ? " : verdict" : "");
		for (size_t i = 0; i < rs->nsegs; i++) {
			if (!set_has(rs, id, i))
				continue;
			sbuf_addf(out, "\t\t\t\"%s\"", rs->segs[i].ifname);
			if (SET_MAP(id))
				sbuf_addf(out, " : jump %s", chain_name(rs, (unsigned)(CHAIN_INTO + i), buf));
			sbuf_addf(out, ",\n");
		}
		sbuf_addf(out, "\t\t}\n\t}\n");
	}
	if (rs->offload && !slow_only)
		sbuf_addf(out, "\tflowtable " NFT_FLOWTABLE " {\n\t\thook ingress priority filter\n\t}\n");
	size_t i = 0;
	for (unsigned ch = 0; ch < CHAIN_INTO + rs->nsegs; ch++) {
		const struct chain_info *ci = &rule_chains[ch < CHAIN_INTO ? ch : CHAIN_FORWARDS];
		if (ch < CHAIN_INTO && !(rs->chains >> ch & 1))
			continue;
		sbuf_addf(out, "\tchain %s {\n", chain_name(rs, ch, buf));
		if (ci->type)
			sbuf_addf(out, "\t\ttype %s hook %s priority %s; policy accept;\n", ci->type, ci->name, ci->prio_name);
		for (; i < rs->n && rs->v[i].chain == ch; i++) {
			if (slow_only && rs->v[i].verdict == V_OFFLOAD)
				continue;
			sbuf_addf(out, "\t\t");
			rule_text(&rs->v[i], out);
			sbuf_addf(out, "\n");
		}
		sbuf_addf(out, "\t}\n");
	}
}

void rules_comment(const struct ruleset *rs, char out[NFT_COMMENT_SIZE])
{
	snprintf(out, NFT_COMMENT_SIZE, "boxnet %08x", rs->digest);
}
