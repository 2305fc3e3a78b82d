/* rules.c: from segments to the forward and NAT rules of table ip boxnet. */
#include "rules.h"

#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>

const struct chain_info rule_chains[CHAIN_COUNT] = {
	[CHAIN_FORWARD] = {"forward", "filter", NF_INET_FORWARD, 0, "filter"},
	[CHAIN_POSTROUTING] = {"postrouting", "nat", NF_INET_POST_ROUTING, 100, "srcnat"},
};

/* Appends a rule whose n matches (one or two) are on interface names or conntrack state:
 * types t0 and t1, names if0 and if1 (NULL for conntrack). NULL when out of memory. */
static struct rule *add(struct ruleset *rs, enum chain_id chain, enum verdict v, unsigned n, enum match_type t0,
			const char *if0, enum match_type t1, const char *if1)
{
	if (grow(&rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v)))
		return NULL;
	struct rule *r = &rs->v[rs->n++];
	*r = (struct rule){.chain = chain, .verdict = v, .nmatch = n};
	r->m[0].type = t0;
	r->m[0].ifname = if0;
	r->m[1].type = t1;
	r->m[1].ifname = if1;
	rs->chains |= 1u << chain;
	return r;
}

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
		const char *x = s->ifname;
		err |= !add(rs, CHAIN_FORWARD, V_DROP, 2, M_IIFNAME, x, M_CT_INVALID, NULL);
		err |= !add(rs, CHAIN_FORWARD, V_ACCEPT, 2, M_OIFNAME, x, M_CT_ESTABLISHED, NULL);
		if (s->bridged)
			err |= !add(rs, CHAIN_FORWARD, V_ACCEPT, 2, M_IIFNAME, x, M_OIFNAME, x);
		for (size_t j = 0; j < c->nsegs && !s->isolate; j++) {
			if (j == i || c->segs[j].isolate)
				continue;
			err |= !add(rs, CHAIN_FORWARD, V_ACCEPT, 2, M_IIFNAME, c->segs[j].ifname, M_OIFNAME, x);
		}
		err |= !add(rs, CHAIN_FORWARD, V_DROP, 1, M_OIFNAME, x, 0, NULL);
		for (unsigned k = 0; k < s->nnets && c->uplink[0]; k++)
			masq |= s->masquerade & (1u << fam(s->nets[k].family));
	}
	for (size_t i = 0; i < c->nsegs && masq; i++)
		err |= !add(rs, CHAIN_POSTROUTING, V_ACCEPT, 1, M_OIFNAME, c->segs[i].ifname, 0, NULL);
	for (size_t i = 0; i < c->nsegs && masq; i++) {
		const struct segment *s = &c->segs[i];
		for (unsigned k = 0; k < s->nnets; k++) {
			if (!(s->masquerade & (1u << fam(s->nets[k].family))))
				continue;
			struct rule *r = add(rs, CHAIN_POSTROUTING, V_MASQUERADE, 1, M_SADDR, NULL, 0, NULL);
			if (r)
				r->m[0].net = prefix_net(&s->nets[k]);
			err |= !r;
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
