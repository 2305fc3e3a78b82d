/* rules.c: from segments to the forward and NAT rules of table ip boxnet. */
#include "rules.h"

#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>

const struct chain_info rule_chains[CHAIN_COUNT] = {
	[CHAIN_FORWARD] = {"forward", "filter", NF_INET_FORWARD, 0, "filter"},
	[CHAIN_POSTROUTING] = {"postrouting", "nat", NF_INET_POST_ROUTING, 100, "srcnat"},
};

static int add(struct ruleset *rs, enum chain_id chain, enum verdict v, unsigned n,
	       const struct match *m)
{
	if (grow(&rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v)))
		return -1;
	struct rule *r = &rs->v[rs->n++];
	*r = (struct rule){.chain = chain, .verdict = v, .nmatch = n};
	for (unsigned i = 0; i < n; i++)
		r->m[i] = m[i];
	rs->chains |= 1u << chain;
	return 0;
}

#define RULE(rs, chain, v, ...) \
	add(rs, chain, v, sizeof((struct match[]){__VA_ARGS__}) / sizeof(struct match), \
	    (struct match[]){__VA_ARGS__})

/*
 * Per segment S, in the forward chain (policy accept, so traffic that never touches a segment
 * is left alone):
 *   iifname S ct state invalid drop          nothing untracked leaves un-NATed
 *   oifname S ct state established,related accept   replies come back
 *   iifname S oifname S accept               neighbours on one bridge (br_netfilter)
 *   iifname T oifname S accept               for each other open segment T, when S is open
 *   oifname S drop                           nothing else gets in: not the uplink, not others
 * Traffic leaving a segment is accepted by the policy. In postrouting, each masquerading
 * segment's subnets are NATed on every exit but the box's own segments, as Docker does
 * (! -o docker0): a failover or renamed upstream still NATs, so no private source leaks.
 *   oifname S accept                         for each segment S: traffic among segments keeps
 *                                            its source (and neighbours on a bridge)
 *   ip saddr NET masquerade                  each masquerading segment's subnets, any other exit
 *   ip6 saddr NET masquerade                 (per family: masquerade = ipv4 routes a global
 *                                            IPv6 prefix as it is)
 */
int rules_build(const struct config *c, struct ruleset *rs)
{
	int err = 0;
	bool masq = false;
	*rs = (struct ruleset){0};
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct segment *s = &c->segs[i];
		struct match in = {.type = M_IIFNAME, .ifname = s->ifname};
		struct match out = {.type = M_OIFNAME, .ifname = s->ifname};
		err |= RULE(rs, CHAIN_FORWARD, V_DROP, in, {.type = M_CT_INVALID});
		err |= RULE(rs, CHAIN_FORWARD, V_ACCEPT, out, {.type = M_CT_ESTABLISHED});
		if (s->bridged)
			err |= RULE(rs, CHAIN_FORWARD, V_ACCEPT, in, out);
		for (size_t j = 0; j < c->nsegs && !s->isolate; j++) {
			if (j == i || c->segs[j].isolate)
				continue;
			err |= RULE(rs, CHAIN_FORWARD, V_ACCEPT, {.type = M_IIFNAME, .ifname = c->segs[j].ifname},
				    out);
		}
		err |= RULE(rs, CHAIN_FORWARD, V_DROP, out);
		for (unsigned k = 0; k < s->nnets && c->uplink[0]; k++)
			masq |= s->masquerade & (1u << fam(s->nets[k].family));
	}
	for (size_t i = 0; i < c->nsegs && masq; i++)
		err |= RULE(rs, CHAIN_POSTROUTING, V_ACCEPT, {.type = M_OIFNAME, .ifname = c->segs[i].ifname});
	for (size_t i = 0; i < c->nsegs && masq; i++) {
		const struct segment *s = &c->segs[i];
		for (unsigned k = 0; k < s->nnets; k++) {
			struct prefix net = prefix_net(&s->nets[k]);
			if (!(s->masquerade & (1u << fam(net.family))))
				continue;
			err |= RULE(rs, CHAIN_POSTROUTING, V_MASQUERADE, {.type = M_SADDR, .net = net});
		}
	}
	if (err)
		return -1;

	struct sbuf text = {0};
	rules_text(rs, &text);
	if (text.oom)
		err = -1;
	rs->digest = fnv1a(text.buf, text.len);
	sbuf_free(&text);
	return err;
}

void rules_free(struct ruleset *rs)
{
	free(rs->v);
	*rs = (struct ruleset){0};
}

void rule_text(const struct rule *r, struct sbuf *out)
{
	static const char *const verdicts[] = {"accept", "drop", "masquerade"};
	char a[IP_STRLEN];
	for (unsigned i = 0; i < r->nmatch; i++) {
		const struct match *m = &r->m[i];
		switch (m->type) {
		case M_IIFNAME:
			sbuf_addf(out, "iifname \"%s\" ", m->ifname);
			break;
		case M_OIFNAME:
			sbuf_addf(out, "oifname \"%s\" ", m->ifname);
			break;
		case M_SADDR:
			/* nft prints a /32 or /128 as a plain address */
			sbuf_addf(out, "%s saddr %s ", m->net.family == AF_INET6 ? "ip6" : "ip",
				  m->net.len == ip_size(m->net.family) * 8 ? ip_str(&m->net, a) : prefix_str(&m->net, a));
			break;
		case M_CT_INVALID:
			sbuf_addf(out, "ct state invalid ");
			break;
		case M_CT_ESTABLISHED:
			sbuf_addf(out, "ct state established,related ");
			break;
		}
	}
	sbuf_addf(out, "%s", verdicts[r->verdict]);
}

void rules_text(const struct ruleset *rs, struct sbuf *out)
{
	for (int ch = 0; ch < CHAIN_COUNT; ch++) {
		if (!(rs->chains & (1u << ch)))
			continue;
		const struct chain_info *ci = &rule_chains[ch];
		sbuf_addf(out, "\tchain %s {\n\t\ttype %s hook %s priority %s; policy accept;\n", ci->name,
			  ci->type, ci->name, ci->prio_name);
		for (size_t i = 0; i < rs->n; i++) {
			if (rs->v[i].chain != (enum chain_id)ch)
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
