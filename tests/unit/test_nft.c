/* test_nft.c: the nfnetlink encoding of boxnet's table, decoded back without a kernel. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nft.h"
#include "unit.h"

struct walk {
	char names[16][16];	/* expression names of the last rule seen */
	unsigned n;
	uint32_t payload_len;
	unsigned char cmp[16][16];
	size_t cmp_len[16];
	char comment[64];
	char flowtable[16];	/* a flow_offload's */
	unsigned rules, chains, tables;
};

static int expr_attr(const struct nlattr *a, void *data)
{
	struct walk *w = data;
	unsigned i = w->n;
	if (mnl_attr_get_type(a) == NFTA_EXPR_NAME && w->n < 16) {
		snprintf(w->names[w->n++], 16, "%s", mnl_attr_get_str(a));
	} else if (mnl_attr_get_type(a) == NFTA_EXPR_DATA && i > 0) {
		const struct nlattr *x;
		mnl_attr_for_each_nested(x, a) {
			if (!strcmp(w->names[i - 1], "flow_offload") && mnl_attr_get_type(x) == NFTA_FLOW_TABLE_NAME)
				snprintf(w->flowtable, sizeof(w->flowtable), "%s", mnl_attr_get_str(x));
			if (!strcmp(w->names[i - 1], "payload") && mnl_attr_get_type(x) == NFTA_PAYLOAD_LEN)
				w->payload_len = ntohl(mnl_attr_get_u32(x));
			if (!strcmp(w->names[i - 1], "cmp") && mnl_attr_get_type(x) == NFTA_CMP_DATA) {
				const struct nlattr *v = mnl_attr_get_payload(x);
				w->cmp_len[i - 1] = mnl_attr_get_payload_len(v);
				memcpy(w->cmp[i - 1], mnl_attr_get_payload(v), w->cmp_len[i - 1] > 16 ? 16 : w->cmp_len[i - 1]);
			}
		}
	}
	return MNL_CB_OK;
}

static void read_rule(struct walk *w, const struct nlmsghdr *nlh)
{
	const struct nlattr *a, *e;
	w->n = 0;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_RULE_EXPRESSIONS)
			continue;
		mnl_attr_for_each_nested(e, a) mnl_attr_parse_nested(e, expr_attr, w);
	}
}

/* ---- the table as the kernel (6.18) dumps it back: other attribute orders, no NLA_F_NESTED,
 * NFTA_BITWISE_OP added ---- */

enum twist {
	T_NONE,
	T_OLD_KERNEL,	/* no NFTA_BITWISE_OP (before 5.6), NLA_F_NESTED set: still equal */
	T_CMP_VALUE,	/* masquerades 10.9.0.0/24 */
	T_VERDICT,	/* oifname "br0" accept instead of drop */
	T_SWAPPED,	/* the first two rules swapped */
	T_EXTRA_EXPR,	/* a counter in the middle of a rule */
	T_EXTRA_ATTR,	/* the bitwise is a shift (NFTA_BITWISE_OP 1) */
	T_REGISTER,	/* a meta loads into register 2 */
	T_OPERATOR,	/* a cmp eq turned into neq */
	T_INVERTED,	/* a lookup inverted: iifname != @segments */
};

struct kbuf {
	union {
		struct nlmsghdr h;
		unsigned char b[1024];
	} u;
	enum twist tw;
};

static struct nlattr *knest(struct kbuf *k, uint16_t type)
{
	struct nlattr *n = mnl_attr_nest_start(&k->u.h, type);
	if (k->tw != T_OLD_KERNEL)
		n->nla_type &= ~NLA_F_NESTED;
	return n;
}

static struct nlattr *kexpr(struct kbuf *k, const char *name)
{
	struct nlattr *e = knest(k, NFTA_LIST_ELEM);
	mnl_attr_put_strz(&k->u.h, NFTA_EXPR_NAME, name);
	knest(k, NFTA_EXPR_DATA);
	return e;
}

static void kend(struct kbuf *k, struct nlattr *e)
{
	struct nlattr *data = (void *)((char *)e + NLA_HDRLEN + NLA_ALIGN(((struct nlattr *)((char *)e + NLA_HDRLEN))->nla_len));
	mnl_attr_nest_end(&k->u.h, data);
	mnl_attr_nest_end(&k->u.h, e);
}

static void kdata(struct kbuf *k, uint16_t type, const void *v, size_t len)
{
	struct nlattr *n = knest(k, type);
	mnl_attr_put(&k->u.h, NFTA_DATA_VALUE, len, v);
	mnl_attr_nest_end(&k->u.h, n);
}

static void kmeta(struct kbuf *k, uint32_t key)
{
	struct nlattr *e = kexpr(k, "meta");
	mnl_attr_put_u32(&k->u.h, NFTA_META_KEY, htonl(key));
	mnl_attr_put_u32(&k->u.h, NFTA_META_DREG, htonl(k->tw == T_REGISTER ? NFT_REG_1 + 1 : NFT_REG_1));
	kend(k, e);
}

static void kcmp(struct kbuf *k, uint32_t op, const void *v, size_t len)
{
	struct nlattr *e = kexpr(k, "cmp");
	mnl_attr_put_u32(&k->u.h, NFTA_CMP_SREG, htonl(NFT_REG_1));
	mnl_attr_put_u32(&k->u.h, NFTA_CMP_OP, htonl(op));
	kdata(k, NFTA_CMP_DATA, v, len);
	kend(k, e);
}

static void kifname(struct kbuf *k, uint32_t key, const char *name)
{
	char v[16] = {0};
	kmeta(k, key);
	strcpy(v, name);
	kcmp(k, k->tw == T_OPERATOR && key == NFT_META_IIFNAME ? NFT_CMP_NEQ : NFT_CMP_EQ, v, sizeof(v));
}

static void kct(struct kbuf *k, uint32_t bits)
{
	uint32_t zero = 0;
	struct nlattr *e = kexpr(k, "ct");
	mnl_attr_put_u32(&k->u.h, NFTA_CT_DREG, htonl(NFT_REG_1));
	mnl_attr_put_u32(&k->u.h, NFTA_CT_KEY, htonl(NFT_CT_STATE));
	kend(k, e);
	e = kexpr(k, "bitwise");
	mnl_attr_put_u32(&k->u.h, NFTA_BITWISE_SREG, htonl(NFT_REG_1));
	mnl_attr_put_u32(&k->u.h, NFTA_BITWISE_DREG, htonl(NFT_REG_1));
	mnl_attr_put_u32(&k->u.h, NFTA_BITWISE_LEN, htonl(4));
	if (k->tw != T_OLD_KERNEL)
		mnl_attr_put_u32(&k->u.h, NFTA_BITWISE_OP, htonl(k->tw == T_EXTRA_ATTR));
	kdata(k, NFTA_BITWISE_MASK, &bits, 4);
	kdata(k, NFTA_BITWISE_XOR, &zero, 4);
	kend(k, e);
	kcmp(k, NFT_CMP_NEQ, &zero, 4);
}

static void kverdict(struct kbuf *k, uint32_t code)
{
	struct nlattr *e = kexpr(k, "immediate");
	mnl_attr_put_u32(&k->u.h, NFTA_IMMEDIATE_DREG, htonl(NFT_REG_VERDICT));
	struct nlattr *d = knest(k, NFTA_IMMEDIATE_DATA), *v = knest(k, NFTA_DATA_VERDICT);
	mnl_attr_put_u32(&k->u.h, NFTA_VERDICT_CODE, htonl(code));
	mnl_attr_nest_end(&k->u.h, v);
	mnl_attr_nest_end(&k->u.h, d);
	kend(k, e);
}

static void kmasq(struct kbuf *k, const char *net)
{
	uint8_t ipv4 = NFPROTO_IPV4;
	kmeta(k, NFT_META_NFPROTO);	/* inet table: the family first */
	kcmp(k, NFT_CMP_EQ, &ipv4, 1);
	struct nlattr *e = kexpr(k, "payload");
	mnl_attr_put_u32(&k->u.h, NFTA_PAYLOAD_DREG, htonl(NFT_REG_1));
	mnl_attr_put_u32(&k->u.h, NFTA_PAYLOAD_BASE, htonl(NFT_PAYLOAD_NETWORK_HEADER));
	mnl_attr_put_u32(&k->u.h, NFTA_PAYLOAD_OFFSET, htonl(12));
	mnl_attr_put_u32(&k->u.h, NFTA_PAYLOAD_LEN, htonl(3));
	kend(k, e);
	kcmp(k, NFT_CMP_EQ, net, 3);
	kend(k, kexpr(k, "masq"));
}

/* The interface name looked up in a set, or in a verdict map. */
static void klookup(struct kbuf *k, uint32_t key, const char *set, bool map)
{
	kmeta(k, key);
	struct nlattr *e = kexpr(k, "lookup");
	mnl_attr_put_strz(&k->u.h, NFTA_LOOKUP_SET, set);
	mnl_attr_put_u32(&k->u.h, NFTA_LOOKUP_SREG, htonl(NFT_REG_1));
	if (map)
		mnl_attr_put_u32(&k->u.h, NFTA_LOOKUP_DREG, htonl(NFT_REG_VERDICT));
	mnl_attr_put_u32(&k->u.h, NFTA_LOOKUP_FLAGS, htonl(k->tw == T_INVERTED ? NFT_LOOKUP_F_INV : 0));
	kend(k, e);
}

/* Rule n (0-6) of the table of "uplink eth0, bridge br0 10.0.0.1/24", as dumped: forward's
 * three, postrouting's two, into_br0's two. */
static void krule(struct nft_copy *cp, unsigned n, enum twist tw)
{
	static struct kbuf k;
	struct nft_rule_copy *r = &cp->rules[cp->nrules++];
	k.tw = tw;
	mnl_nlmsg_put_header(k.u.b);
	if (tw == T_SWAPPED && n < 2)
		n = !n;
	switch (n) {
	case 0:
		kct(&k, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
		kverdict(&k, NF_ACCEPT);
		break;
	case 1:
		kct(&k, NF_CT_STATE_INVALID_BIT);
		klookup(&k, NFT_META_IIFNAME, "segments", false);
		kverdict(&k, NF_DROP);
		break;
	case 2:
		klookup(&k, NFT_META_OIFNAME, "into", true);
		break;
	case 3:
		klookup(&k, NFT_META_OIFNAME, "segments", false);
		kverdict(&k, NF_ACCEPT);
		break;
	case 4:
		kmasq(&k, tw == T_CMP_VALUE ? "\x0a\x09\x00" : "\x0a\x00\x00");
		break;
	case 5:
		kifname(&k, NFT_META_IIFNAME, "br0");
		if (tw == T_EXTRA_EXPR) {
			struct nlattr *e = kexpr(&k, "counter");
			mnl_attr_put_u64(&k.u.h, NFTA_COUNTER_BYTES, 0);
			mnl_attr_put_u64(&k.u.h, NFTA_COUNTER_PACKETS, 0);
			kend(&k, e);
		}
		kverdict(&k, NF_ACCEPT);
		break;
	default:
		kverdict(&k, tw == T_VERDICT ? NF_ACCEPT : NF_DROP);
		break;
	}
	snprintf(r->chain, sizeof(r->chain), "%s", n < 3 ? "forward" : n < 5 ? "postrouting" : "into_br0");
	r->len = k.u.h.nlmsg_len - NLMSG_HDRLEN;
	r->exprs = malloc(r->len);
	memcpy(r->exprs, k.u.b + NLMSG_HDRLEN, r->len);
}

static void kernel_table(struct nft_copy *cp, enum twist tw)
{
	static struct nft_chain_copy chains[3] = {
		{"forward", "filter", NF_INET_FORWARD, NF_ACCEPT, 0, true},
		{"postrouting", "nat", NF_INET_POST_ROUTING, NF_ACCEPT, 100, true},
		{"into_br0", "", 0, 0, 0, false},
	};
	static struct nft_elem_copy elems[2];
	static struct nft_set_copy sets[2];
	static struct nft_rule_copy rules[8];
	elems[0] = (struct nft_elem_copy){"br0", 16, false, 0, ""};
	elems[1] = (struct nft_elem_copy){"br0", 16, true, NFT_JUMP, "into_br0"};
	/* type ifname (41), 16 bytes; the map's data a verdict, 16 bytes as the kernel keeps it */
	sets[0] = (struct nft_set_copy){"segments", 0, 41, 16, 0, 0, {0}, 0, false, &elems[0], 1, 1};
	sets[1] = (struct nft_set_copy){"into", NFT_SET_MAP, 41, 16, NFT_DATA_VERDICT, 16, {0}, 0, false, &elems[1], 1, 1};
	*cp = (struct nft_copy){.use = 5, .chains = chains, .nchains = 3, .sets = sets, .nsets = 2, .rules = rules};
	for (unsigned n = 0; n < 7; n++)
		krule(cp, n, tw);
}

static void free_rules(struct nft_copy *cp)
{
	for (size_t i = 0; i < cp->nrules; i++)
		free(cp->rules[i].exprs);
}

/* The comparison of the table with the ruleset: blind to how the kernel dumps, and to
 * nothing else. */
static void test_compare(struct unit *u, const struct ruleset *rs)
{
	static const char *const names[] = {
		"the kernel's dump of the wanted table", "an older kernel's dump (no bitwise op, nested flags)",
		"a masquerade of another subnet", "into_br0's drop an accept", "two rules swapped",
		"a counter added to a rule", "a shift for a mask (NFTA_BITWISE_OP 1)", "a meta into another register",
		"iifname != for ==", "iifname != @segments for @segments",
	};
	struct nft_copy cp;
	for (enum twist tw = T_NONE; tw <= T_INVERTED; tw++) {
		kernel_table(&cp, tw);
		CHECK(u, nft_copy_matches(&cp, rs) == (tw <= T_OLD_KERNEL), "%s: %s", names[tw],
		      tw <= T_OLD_KERNEL ? "up to date" : "different");
		free_rules(&cp);
	}

	kernel_table(&cp, T_NONE);
	free(cp.rules[--cp.nrules].exprs);
	CHECK(u, !nft_copy_matches(&cp, rs), "a rule missing: different");
	krule(&cp, 6, T_NONE);
	krule(&cp, 3, T_NONE);
	CHECK(u, !nft_copy_matches(&cp, rs), "a rule more: different");
	free_rules(&cp);

	/* The sets: their elements, and what they are. */
	kernel_table(&cp, T_NONE);
	cp.sets[0].nelems = 0;
	CHECK(u, !nft_copy_matches(&cp, rs), "an element missing from segments: different");
	cp.sets[0].nelems = 1;
	strcpy(cp.sets[1].elems[0].chain, "forward");
	CHECK(u, !nft_copy_matches(&cp, rs), "br0 jumping to another chain: different");
	strcpy(cp.sets[1].elems[0].chain, "into_br0");
	cp.sets[1].elems[0].code = NFT_GOTO;
	CHECK(u, !nft_copy_matches(&cp, rs), "a goto for a jump: different");
	cp.sets[1].elems[0].code = NFT_JUMP;
	cp.sets[0].flags = NFT_SET_CONSTANT;
	CHECK(u, !nft_copy_matches(&cp, rs), "segments a constant set: different");
	cp.sets[0].flags = 0;
	cp.sets[0].odd = true;
	CHECK(u, !nft_copy_matches(&cp, rs), "an element boxnet does not understand: different");
	cp.sets[0].odd = false;
	cp.sets[0].key_type = 7;
	CHECK(u, !nft_copy_matches(&cp, rs), "segments of IPv4 addresses: different");
	cp.sets[0].key_type = 41;
	cp.nsets = 1;
	cp.use = 4;
	CHECK(u, !nft_copy_matches(&cp, rs), "the map missing: different");
	cp.nsets = 2;
	cp.use = 5;
	CHECK(u, nft_copy_matches(&cp, rs), "and back as it was: up to date");
	free_rules(&cp);

	kernel_table(&cp, T_NONE);
	cp.flags = NFT_TABLE_F_DORMANT;
	CHECK(u, !nft_copy_matches(&cp, rs), "a dormant table: different");
	cp.flags = 0;
	cp.use = 6;
	CHECK(u, !nft_copy_matches(&cp, rs), "another set in the table (its use 6): different");
	cp.use = 5;
	cp.chains[0].policy = NF_DROP;
	CHECK(u, !nft_copy_matches(&cp, rs), "forward's policy drop: different");
	cp.chains[0].policy = NF_ACCEPT;
	strcpy(cp.chains[1].type, "filter");
	CHECK(u, !nft_copy_matches(&cp, rs), "postrouting a filter chain: different");
	strcpy(cp.chains[1].type, "nat");
	cp.chains[1].prio = 99;
	CHECK(u, !nft_copy_matches(&cp, rs), "postrouting at another priority: different");
	cp.chains[1].prio = 100;
	CHECK(u, nft_copy_matches(&cp, rs), "and back as it was: up to date");
	/* Malformed: the last rule cut short by a byte. */
	cp.rules[6].len--;
	CHECK(u, !nft_copy_matches(&cp, rs), "a malformed dump: different");
	free_rules(&cp);
}

/* A port forward and its hairpin, encoded: the expressions nft 1.0.6 generates for them
 * (nft --debug=netlink), and the nat expression as the kernel dumps it back. */
static void test_forward(struct unit *u)
{
	struct config c = {.file = "t.conf"};
	struct diag d = {.file = "t.conf"};
	struct ruleset rs;
	struct talk t = {0};
	struct walk w = {0}, fib = {0}, hairpin = {0};
	const char *text = "uplink = eth0\nbridge.br0.address = 10.0.0.1/24\nforward.h.port = 8080\n"
			   "forward.h.to = 10.0.0.2:80\nforward.h.from = 192.0.2.0/24\n";
	static const char *const dnat[] = {"fib",	"cmp", "meta", "cmp",	    "payload",	 "cmp", "meta",
					   "cmp",	"payload", "cmp", "immediate", "immediate", "nat"};
	static const char *const hp[] = {"ct", "bitwise", "cmp", "meta", "cmp", "payload", "cmp", "payload", "cmp", "masq"};

	conf_parse(&c, text, strlen(text), &d);
	conf_validate(&c, &d);
	CHECK(u, d.errors == 0 && rules_build(&c, &rs) == 0, "a forward builds");
	CHECK(u, nft_put_load(&t, &rs, "boxnet 12345678", false, false) == 0, "and encodes");
	size_t len = t.len > t.last ? t.last + NLMSG_ALIGN(((struct nlmsghdr *)(t.buf + t.last))->nlmsg_len) : 0;
	int left = (int)len;
	for (const struct nlmsghdr *nlh = (const void *)t.buf; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		w.chains += (nlh->nlmsg_type & 0xff) == NFT_MSG_NEWCHAIN;
		if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWRULE)
			continue;
		read_rule(&w, nlh);
		if (!strcmp(w.names[0], "fib"))
			fib = w;
		if (!strcmp(w.names[0], "ct") && !strcmp(w.names[w.n - 1], "masq"))
			hairpin = w;
	}
	CHECK(u, w.chains == 6, "forward, postrouting, prerouting, output, forwards and into_br0 chains (%u)", w.chains);
	bool same = fib.n == ARRAY_SIZE(dnat);
	for (unsigned i = 0; same && i < fib.n; i++)
		same = !strcmp(fib.names[i], dnat[i]);
	CHECK(u, same, "dnat rule: fib cmp, nfproto, saddr, l4proto, dport, two immediates, nat");
	uint32_t local = 2;	/* RTN_LOCAL, host order */
	CHECK(u, fib.cmp_len[1] == 4 && !memcmp(fib.cmp[1], &local, 4), "fib daddr type local: RTN_LOCAL in host order");
	CHECK(u, fib.cmp_len[7] == 1 && fib.cmp[7][0] == 6, "meta l4proto tcp");
	CHECK(u, fib.cmp_len[9] == 2 && !memcmp(fib.cmp[9], "\x1f\x90", 2), "tcp dport 8080 in network order");
	same = hairpin.n == ARRAY_SIZE(hp);
	for (unsigned i = 0; same && i < hairpin.n; i++)
		same = !strcmp(hairpin.names[i], hp[i]);
	CHECK(u, same, "hairpin: ct status dnat, one nfproto for saddr and daddr, masq");
	/* A refused rule names each feature it may lack: the kernel does not say which. */
	for (size_t i = 0; i < rs.n; i++) {
		const struct rule *r = &rs.v[i];
		struct talk_error e = {.err = -ENOENT, .type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE, .tag = r};
		const char *also = NULL, *f = nft_feature(&e, &also);
		if (r->verdict == V_DNAT && r->chain == CHAIN_PREROUTING)
			CHECK(u, !strcmp(f, "CONFIG_NFT_NAT (dnat)") && also && !strcmp(also, "CONFIG_NFT_FIB_INET (fib daddr type local)"),
			      "a refused dnat rule names nft_nat and nft_fib (%s; %s)", f, also ? also : "-");
		if (r->verdict == V_MASQUERADE && r->m[0].type == M_CT_DNAT)
			CHECK(u, !strcmp(f, "CONFIG_NFT_MASQ (masquerade)") && also && !strcmp(also, "CONFIG_NFT_CT (conntrack state matches)"),
			      "a refused hairpin names nft_masq and nft_ct (%s; %s)", f, also ? also : "-");
		if (r->verdict == V_MASQUERADE && r->m[0].type == M_SADDR)
			CHECK(u, !strcmp(f, "CONFIG_NFT_MASQ (masquerade)") && !also, "a refused masquerade names nft_masq alone");
	}
	free(t.buf);
	free(t.reqs);
	rules_free(&rs);
	diag_free(&d);
	conf_free(&c);
}

/* A flowtable message: its name, hook number and priority, and its devices, comma-separated. */
struct ft_msg {
	char name[16], devs[64];
	uint32_t hook, prio;
	bool has_hook;
};

static void read_flowtable(const struct nlmsghdr *nlh, struct ft_msg *f)
{
	const struct nlattr *a, *h, *d;
	*f = (struct ft_msg){.hook = 99};
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFTA_FLOWTABLE_NAME)
			snprintf(f->name, sizeof(f->name), "%s", mnl_attr_get_str(a));
		if (mnl_attr_get_type(a) != NFTA_FLOWTABLE_HOOK)
			continue;
		f->has_hook = true;
		mnl_attr_for_each_nested(h, a) {
			if (mnl_attr_get_type(h) == NFTA_FLOWTABLE_HOOK_NUM)
				f->hook = ntohl(mnl_attr_get_u32(h));
			if (mnl_attr_get_type(h) == NFTA_FLOWTABLE_HOOK_PRIORITY)
				f->prio = ntohl(mnl_attr_get_u32(h));
			if (mnl_attr_get_type(h) == NFTA_FLOWTABLE_HOOK_DEVS)
				mnl_attr_for_each_nested(d, h) snprintf(f->devs + strlen(f->devs), sizeof(f->devs) - strlen(f->devs),
									"%s%s", f->devs[0] ? "," : "", mnl_attr_get_str(d));
		}
	}
}

/* offload = yes: the load makes the flowtable without devices, after the sets and before the
 * rules that add to it (flow_offload, as nft encodes flow add @ft); nft_put_offload adds the
 * devices to it, the same message without NLM_F_EXCL; a refusal of either names the feature. */
static void test_offload(struct unit *u)
{
	struct config c = {.file = "t.conf"};
	struct diag d = {.file = "t.conf"};
	struct ruleset rs;
	struct talk t = {0};
	struct walk w = {0};
	struct ft_msg f = {0};
	const char *text = "uplink = eth0\noffload = yes\nbridge.br0.address = 10.0.0.1/24\n";
	unsigned fts = 0, rules_before = 0, offloads = 0;

	conf_parse(&c, text, strlen(text), &d);
	conf_validate(&c, &d);
	CHECK(u, d.errors == 0 && rules_build(&c, &rs) == 0 && rs.offload, "offload = yes builds a ruleset with offload");
	CHECK(u, nft_put_load(&t, &rs, "boxnet 12345678", false, false) == 0, "and encodes");
	size_t len = t.len > t.last ? t.last + NLMSG_ALIGN(((struct nlmsghdr *)(t.buf + t.last))->nlmsg_len) : 0;
	int left = (int)len;
	for (const struct nlmsghdr *nlh = (const void *)t.buf; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		unsigned type = nlh->nlmsg_type & 0xff;
		if (type == NFT_MSG_NEWFLOWTABLE) {
			fts++;
			read_flowtable(nlh, &f);
			CHECK(u, (nlh->nlmsg_flags & NLM_F_CREATE) && !(nlh->nlmsg_flags & NLM_F_EXCL),
			      "the flowtable: create, not exclusive");
		}
		if (type != NFT_MSG_NEWRULE)
			continue;
		rules_before += !fts;
		read_rule(&w, nlh);
		if (w.n && !strcmp(w.names[w.n - 1], "flow_offload")) {
			CHECK(u, offloads == w.rules && w.n == 3 && !strcmp(w.names[0], "meta") && !strcmp(w.names[1], "lookup"),
			      "flow add rule %u: first in forward, meta lookup flow_offload", offloads);
			offloads++;
		}
		w.rules++;
	}
	CHECK(u, fts == 1 && rules_before == 0, "one flowtable, before every rule (%u, %u)", fts, rules_before);
	CHECK(u, !strcmp(f.name, "ft") && f.has_hook && f.hook == NF_NETDEV_INGRESS && f.prio == 0 && !f.devs[0],
	      "flowtable ft: hook ingress, priority 0, no device (%s, %u, %u, '%s')", f.name, f.hook, f.prio, f.devs);
	CHECK(u, offloads == 2 && !strcmp(w.flowtable, "ft"), "two flow add rules, each naming ft (%u, %s)", offloads,
	      w.flowtable);
	struct talk_error e = {.err = -ENOENT, .type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWFLOWTABLE, .tag = &rs.offload};
	const char *also = NULL, *feat = nft_feature(&e, &also);
	CHECK(u, feat && strstr(feat, "CONFIG_NF_FLOW_TABLE_INET"), "a refused flowtable names nf_flow_table_inet (%s)",
	      feat ? feat : "-");
	e.tag = NULL;
	CHECK(u, !nft_feature(&e, &also), "a refused device (no tag) names no feature: the kernel's word is the message");
	e = (struct talk_error){.err = -ENOENT, .type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE, .tag = &rs.v[0]};
	feat = nft_feature(&e, &also);
	CHECK(u, feat && strstr(feat, "CONFIG_NFT_FLOW_OFFLOAD"), "a refused flow add names nft_flow_offload (%s)",
	      feat ? feat : "-");
	free(t.buf);
	free(t.reqs);

	/* the devices */
	static const char *const devs[] = {"br0", "eth0"};
	t = (struct talk){0};
	CHECK(u, nft_put_offload(&t, devs, 2) == 0, "the devices encode");
	const struct nlmsghdr *nlh = (const void *)t.buf;
	read_flowtable(nlh, &f);
	CHECK(u, (nlh->nlmsg_type & 0xff) == NFT_MSG_NEWFLOWTABLE && !(nlh->nlmsg_flags & NLM_F_EXCL) &&
		     !strcmp(f.name, "ft") && f.hook == NF_NETDEV_INGRESS && f.prio == 0 && !strcmp(f.devs, "br0,eth0"),
	      "NEWFLOWTABLE ft, hook ingress 0, devices br0,eth0, not exclusive: an update (%s)", f.devs);
	free(t.buf);
	free(t.reqs);

	/* Compared: the copy's flowtable decides, its devices too */
	struct nft_copy cp = {0};
	char names[2][16] = {"br0", "eth0"};
	struct nft_ft_copy ft = {.name = "ft", .hook = NF_NETDEV_INGRESS, .devs = names, .ndevs = 2};
	CHECK(u, !nft_copy_matches(&cp, &rs), "a table without the flowtable: different");
	cp.fts = &ft;
	cp.nfts = 1;
	CHECK(u, nft_ft_devs_match(&cp, devs, 2), "the same devices: the same");
	CHECK(u, !nft_ft_devs_match(&cp, devs, 1), "a device more in the kernel: different");
	ft.ndevs = 1;
	CHECK(u, !nft_ft_devs_match(&cp, devs, 2), "a device missing: different");
	cp.nfts = 0;
	CHECK(u, !nft_ft_devs_match(&cp, devs, 2) && nft_ft_devs_match(&cp, devs, 0), "no flowtable: only no device matches");
	rules_free(&rs);
	diag_free(&d);
	conf_free(&c);
}

void test_nft(struct unit *u)
{
	test_forward(u);
	test_offload(u);
	struct config c = {.file = "t.conf"};
	struct diag d = {.file = "t.conf"};
	struct ruleset rs;
	struct talk t = {0};
	struct walk w = {0}, prev = {0}, masq = {0}, vmap = {0};
	unsigned sets = 0, elems = 0;
	const char *text = "uplink = eth0\nbridge.br0.address = 10.0.0.1/24\n";

	conf_parse(&c, text, strlen(text), &d);
	conf_validate(&c, &d);
	rules_build(&c, &rs);
	CHECK(u, nft_put_load(&t, &rs, "boxnet 12345678", true, false) == 0, "the table encodes");
	size_t len = t.len > t.last ? t.last + NLMSG_ALIGN(((struct nlmsghdr *)(t.buf + t.last))->nlmsg_len) : 0;
	int left = (int)len;
	const struct nlmsghdr *nlh = (const void *)t.buf;
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		unsigned type = nlh->nlmsg_type & 0xff;
		CHECK(u, nlh->nlmsg_type >> 8 == NFNL_SUBSYS_NFTABLES && (nlh->nlmsg_flags & NLM_F_ACK),
		      "message %u is an acked nftables request", nlh->nlmsg_seq - t.reqs[0].seq);
		if (type == NFT_MSG_NEWTABLE)
			w.tables++;
		if (type == NFT_MSG_NEWCHAIN)
			w.chains++;
		sets += type == NFT_MSG_NEWSET;
		elems += type == NFT_MSG_NEWSETELEM;
		CHECK(u, type != NFT_MSG_NEWRULE || sets == 2, "the sets come before the rules that look them up");
		if (type == NFT_MSG_NEWRULE) {
			prev = w;
			w.rules++;
			read_rule(&w, nlh);
			if (w.n && !strcmp(w.names[w.n - 1], "masq"))
				masq = w;
			if (w.n == 2 && !strcmp(w.names[1], "lookup"))
				vmap = w;
		}
	}
	CHECK(u, w.tables == 1 && w.chains == 3 && w.rules == 7 && sets == 2 && elems == 2,
	      "delete, create: 1 table, 3 chains, 7 rules, 2 sets, each with its elements (%u, %u, %u, %u, %u)",
	      w.tables, w.chains, w.rules, sets, elems);
	CHECK(u, vmap.n == 2 && !strcmp(vmap.names[0], "meta"), "oifname vmap @into: meta lookup, no verdict of its own");
	/* The rule before the last: iifname "br0" accept, neighbours on the bridge */
	CHECK(u, prev.n == 3 && !strcmp(prev.names[0], "meta") && !strcmp(prev.names[1], "cmp") &&
		 !strcmp(prev.names[2], "immediate"),
	      "neighbours' rule: meta cmp immediate");
	CHECK(u, prev.cmp_len[1] == 16 && !memcmp(prev.cmp[1], "br0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16),
	      "interface names compare as 16 zero-padded bytes");
	/* ip saddr 10.0.0.0/24 masquerade, on every other exit */
	w = masq;
	CHECK(u, w.n == 5 && !strcmp(w.names[0], "meta") && !strcmp(w.names[1], "cmp") && !strcmp(w.names[2], "payload") &&
		     !strcmp(w.names[3], "cmp") && !strcmp(w.names[4], "masq"),
	      "masquerade rule: meta cmp payload cmp masq");
	CHECK(u, w.cmp_len[1] == 1 && w.cmp[1][0] == NFPROTO_IPV4, "in the inet table, the family first: IPv4");
	CHECK(u, w.payload_len == 3 && w.cmp_len[3] == 3 && !memcmp(w.cmp[3], "\x0a\x00\x00", 3),
	      "a /24 compares the first three bytes of the source address");
	free(t.buf);
	free(t.reqs);
	test_compare(u, &rs);
	rules_free(&rs);
	diag_free(&d);
	conf_free(&c);
}
