/* nft.c: encode table inet boxnet, its chains and rules as nfnetlink messages. */
#include "nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/tcp.h>

#include "util.h"

/* libnftnl's user data TLV for a table comment, so that nft shows it. */
enum { UDATA_TABLE_COMMENT = 0, UDATA_SET_KEYBYTEORDER = 0, UDATA_BYTEORDER_HOST = 1 };
/* nft's number for its type ifname, which the kernel keeps with a set for nft to show. */
#define NFT_TYPE_IFNAME 41

/* A message about boxnet's table of that family (inet, or the ip one of an older boxnet), or
 * one of its chains or rules: each names the table first. */
static struct msg *nft_msg_of(struct talk *t, uint8_t family, uint16_t type, uint16_t flags, const void *tag)
{
	_Static_assert((int)NFTA_TABLE_NAME == (int)NFTA_CHAIN_TABLE && (int)NFTA_TABLE_NAME == (int)NFTA_RULE_TABLE,
		       "one attribute names the table in table, chain and rule messages");
	struct msg *m = talk_add(t, (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | type), flags, tag);
	struct nfgenmsg *g = msg_reserve(m, sizeof(*g));
	if (g)
		*g = (struct nfgenmsg){.nfgen_family = family, .version = NFNETLINK_V0};
	msg_put_str(m, NFTA_TABLE_NAME, NFT_TABLE);
	return m;
}

/* ---- reading the table ---- */

static int on_table(const struct nlmsghdr *nlh, void *arg)
{
	struct nft_copy *cp = arg;
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint16_t type = mnl_attr_get_type(a);	/* once: a call into libmnl each time */
		if ((type == NFTA_TABLE_FLAGS || type == NFTA_TABLE_USE) && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			*(type == NFTA_TABLE_FLAGS ? &cp->flags : &cp->use) = ntohl(mnl_attr_get_u32(a));
		if (type != NFTA_TABLE_USERDATA)
			continue;
		const unsigned char *p = mnl_attr_get_payload(a);
		size_t len = mnl_attr_get_payload_len(a);
		for (size_t off = 0; off + 2 <= len && off + 2 + p[off + 1] <= len; off += 2 + p[off + 1]) {
			if (p[off] != UDATA_TABLE_COMMENT || !p[off + 1])
				continue;
			size_t n = strnlen((const char *)p + off + 2, p[off + 1]);
			if (n >= cp->comment_size)
				n = cp->comment_size - 1;
			memcpy(cp->comment, p + off + 2, n);
			cp->comment[n] = '\0';
		}
	}
	return 0;
}

int nft_get_table(struct talk *t, bool legacy, char *comment, size_t size, struct nft_copy *copy)
{
	/* The copy itself as the callback's argument: no local whose address is taken. */
	copy->comment = comment;
	copy->comment_size = size;
	comment[0] = '\0';
	copy->flags = copy->use = 0;
	struct msg *m = nft_msg_of(t, legacy ? NFPROTO_IPV4 : NFPROTO_INET, NFT_MSG_GETTABLE, 0, NULL);
	if (m->overflow)
		return -ENOMEM;
	talk_on_reply(t, on_table, copy);
	return talk_flush(t);
}

/* ---- expressions ---- */

struct expr {
	struct nlattr *elem, *data;
};

static struct expr expr_start(struct msg *m, const char *name)
{
	struct expr e;
	e.elem = msg_nest(m, NFTA_LIST_ELEM);
	msg_put_str(m, NFTA_EXPR_NAME, name);
	e.data = msg_nest(m, NFTA_EXPR_DATA);
	return e;
}

static void expr_end(struct msg *m, struct expr e)
{
	msg_nest_end(m, e.data);
	msg_nest_end(m, e.elem);
}

/* Attributes 1 to n (at most 4) of an expression's data, big-endian u32s a, b, c, d: each
 * expression numbers its registers and keys from 1. One call for a few msg_put_be32s. */
static NOINLINE void put_u32s(struct msg *m, unsigned n, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	_Static_assert(NFTA_PAYLOAD_DREG == 1 && NFTA_BITWISE_SREG == 1 && NFTA_CMP_SREG == 1 && NFTA_FIB_DREG == 1 &&
			       NFTA_NAT_TYPE == 1 && NFTA_HOOK_HOOKNUM == 1 && NFTA_FLOWTABLE_HOOK_NUM == 1,
		       "the attributes put_u32s() numbers");
	for (uint16_t type = 1; type <= n; type++) {
		msg_put_be32(m, type, a);
		a = b;
		b = c;
		c = d;
	}
}

static void put_data(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *n = msg_nest(m, type);
	msg_put(m, NFTA_DATA_VALUE, len, data);
	msg_nest_end(m, n);
}

/* meta and ct alike: KEY, then DREG register 1. */
static void load_key(struct msg *m, const char *name, uint32_t key)
{
	_Static_assert((int)NFTA_META_KEY == (int)NFTA_CT_KEY && (int)NFTA_META_DREG == (int)NFTA_CT_DREG, "meta and ct number alike");
	struct expr e = expr_start(m, name);
	msg_put_be32(m, NFTA_META_KEY, key);
	msg_put_be32(m, NFTA_META_DREG, NFT_REG_1);
	expr_end(m, e);
}

static void load_meta(struct msg *m, uint32_t key)
{
	load_key(m, "meta", key);
}

static void load_payload(struct msg *m, uint32_t base, uint32_t offset, uint32_t len)
{
	struct expr e = expr_start(m, "payload");
	put_u32s(m, NFTA_PAYLOAD_LEN, NFT_REG_1, base, offset, len);	/* DREG, BASE, OFFSET, LEN */
	expr_end(m, e);
}

static void bitwise_and(struct msg *m, const void *mask, uint32_t len)
{
	static const unsigned char zero[16];
	struct expr e = expr_start(m, "bitwise");
	put_u32s(m, NFTA_BITWISE_LEN, NFT_REG_1, NFT_REG_1, len, 0);	/* SREG, DREG, LEN */
	put_data(m, NFTA_BITWISE_MASK, mask, len);
	put_data(m, NFTA_BITWISE_XOR, zero, len);
	expr_end(m, e);
}

static void cmp(struct msg *m, uint32_t op, const void *data, size_t len)
{
	struct expr e = expr_start(m, "cmp");
	put_u32s(m, NFTA_CMP_OP, NFT_REG_1, op, 0, 0);	/* SREG, OP */
	put_data(m, NFTA_CMP_DATA, data, len);
	expr_end(m, e);
}

/* A verdict's data: its code, and the chain of a jump. */
static void put_verdict_data(struct msg *m, uint16_t type, int32_t code, const char *chain)
{
	struct nlattr *d = msg_nest(m, type), *verdict = msg_nest(m, NFTA_DATA_VERDICT);
	msg_put_be32(m, NFTA_VERDICT_CODE, (uint32_t)code);
	if (chain)
		msg_put_str(m, NFTA_VERDICT_CHAIN, chain);
	msg_nest_end(m, verdict);
	msg_nest_end(m, d);
}

/* An immediate: data into dreg. */
static void immediate(struct msg *m, uint32_t dreg, const void *data, size_t len)
{
	struct expr e = expr_start(m, "immediate");
	msg_put_be32(m, NFTA_IMMEDIATE_DREG, dreg);
	put_data(m, NFTA_IMMEDIATE_DATA, data, len);
	expr_end(m, e);
}

/* An immediate verdict: code, to chain for a jump. */
static void verdict(struct msg *m, int32_t code, const char *chain)
{
	struct expr e = expr_start(m, "immediate");
	msg_put_be32(m, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	put_verdict_data(m, NFTA_IMMEDIATE_DATA, code, chain);
	expr_end(m, e);
}

/* The interface name in register 1 looked up in a set; in a verdict map, its verdict is the
 * rule's. As the kernel dumps it: flags 0 included, no set id. */
static void lookup(struct msg *m, unsigned set)
{
	struct expr e = expr_start(m, "lookup");
	msg_put_str(m, NFTA_LOOKUP_SET, rule_sets[set]);
	msg_put_be32(m, NFTA_LOOKUP_SREG, NFT_REG_1);
	if (SET_MAP(set))
		msg_put_be32(m, NFTA_LOOKUP_DREG, NFT_REG_VERDICT);
	msg_put_be32(m, NFTA_LOOKUP_FLAGS, 0);
	expr_end(m, e);
}

/* The same expressions nft itself generates for these matches, so nft lists them as written.
 * known: an earlier match of the rule checked the address family already. */
static void put_match(struct msg *m, const struct match *mt, bool known)
{
	char name[16] = {0};
	uint32_t zero = 0, bits;
	uint16_t port[2];
	switch (mt->type) {
	case M_IIFNAME:
		load_meta(m, NFT_META_IIFNAME);
		copy_name(name, sizeof(name), mt->ifname);
		cmp(m, NFT_CMP_EQ, name, sizeof(name));
		break;
	case M_IIFSET:
	case M_OIFSET:
		load_meta(m, mt->type == M_IIFSET ? NFT_META_IIFNAME : NFT_META_OIFNAME);
		lookup(m, mt->lo);
		break;
	case M_SADDR:
	case M_DADDR: {
		/* In an inet table, the family first (nft's "meta nfproto ipv4"); then the address:
		 * the source at byte 12 of an IPv4 header, 8 of an IPv6 one, the destination right
		 * after it. Whole bytes are compared as they are; a partial byte is masked first,
		 * over the whole address. */
		const struct prefix *p = &mt->net;
		uint8_t nfproto = p->family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
		if (!known) {
			load_meta(m, NFT_META_NFPROTO);
			cmp(m, NFT_CMP_EQ, &nfproto, 1);
		}
		uint32_t size = ip_size(p->family), off = (p->family == AF_INET6 ? 8 : 12) + (mt->type == M_DADDR) * size;
		struct prefix mask = {.family = p->family, .len = p->len};
		memset(mask.a, 0xff, size);
		mask = prefix_net(&mask);
		if (p->len % 8 == 0) {
			load_payload(m, NFT_PAYLOAD_NETWORK_HEADER, off, p->len / 8u);
			cmp(m, NFT_CMP_EQ, p->a, p->len / 8u);
		} else {
			load_payload(m, NFT_PAYLOAD_NETWORK_HEADER, off, size);
			bitwise_and(m, mask.a, size);
			cmp(m, NFT_CMP_EQ, p->a, size);
		}
		break;
	}
	case M_FIB_LOCAL: {
		/* the route type of the destination, host order: RTN_LOCAL for the box's own */
		struct expr e = expr_start(m, "fib");
		put_u32s(m, NFTA_FIB_FLAGS, NFT_REG_1, NFT_FIB_RESULT_ADDRTYPE, NFTA_FIB_F_DADDR, 0);	/* DREG, RESULT, FLAGS */
		expr_end(m, e);
		bits = RTN_LOCAL;
		cmp(m, NFT_CMP_EQ, &bits, 4);
		break;
	}
	case M_CT_INVALID:
	case M_CT_ESTABLISHED:
	case M_CT_DNAT:
		/* ct state and ct status are host-order bit masks in the register */
		bits = mt->type == M_CT_DNAT ? IPS_DST_NAT
		       : mt->type == M_CT_INVALID ? NF_CT_STATE_INVALID_BIT
						  : NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED);
		load_key(m, "ct", mt->type == M_CT_DNAT ? NFT_CT_STATUS : NFT_CT_STATE);
		bitwise_and(m, &bits, 4);
		cmp(m, NFT_CMP_NEQ, &zero, 4);
		break;
	case M_PROTO:
		/* one byte, the protocol number: not the first byte of mt->lo, which on a
		 * big-endian box is its high one (0: no port forward would ever match) */
		name[0] = (char)mt->lo;
		load_meta(m, NFT_META_L4PROTO);
		cmp(m, NFT_CMP_EQ, name, 1);
		break;
	case M_TCP_SYN:
		/* tcp, then the flags byte (13 of the header) & SYN != 0 */
		name[0] = IPPROTO_TCP;
		load_meta(m, NFT_META_L4PROTO);
		cmp(m, NFT_CMP_EQ, name, 1);
		load_payload(m, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1);
		name[0] = 0x02;	/* TH_SYN */
		bitwise_and(m, name, 1);
		cmp(m, NFT_CMP_NEQ, &zero, 1);
		break;
	case M_DPORT:
		/* the destination port, at byte 2 of TCP and UDP headers alike */
		port[0] = htons(mt->lo);
		port[1] = htons(mt->hi);
		load_payload(m, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
		if (mt->lo == mt->hi) {
			cmp(m, NFT_CMP_EQ, port, 2);
		} else {
			cmp(m, NFT_CMP_GTE, port, 2);
			cmp(m, NFT_CMP_LTE, port + 1, 2);
		}
		break;
	}
}

static void put_verdict(struct msg *m, const struct rule *r)
{
	static const int32_t codes[] = {NF_ACCEPT, NF_DROP, 0, NFT_RETURN};
	if (r->verdict == V_MASQUERADE) {
		expr_end(m, expr_start(m, "masq"));
	} else if (r->verdict == V_DNAT) {
		/* The target in register 1, its port in 2; the maximum registers and the flag
		 * NF_NAT_RANGE_MAP_IPS are what the kernel adds and dumps: given, so that the dump
		 * compares equal. */
		uint16_t port = htons(r->to_port);
		immediate(m, NFT_REG_1, r->to.a, ip_size(r->to.family));
		if (port)
			immediate(m, NFT_REG_2, &port, 2);
		struct expr e = expr_start(m, "nat");
		/* TYPE, FAMILY, REG_ADDR_MIN, REG_ADDR_MAX */
		put_u32s(m, NFTA_NAT_REG_ADDR_MAX, NFT_NAT_DNAT, r->to.family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4,
			 NFT_REG_1, NFT_REG_1);
		if (port) {
			msg_put_be32(m, NFTA_NAT_REG_PROTO_MIN, NFT_REG_2);
			msg_put_be32(m, NFTA_NAT_REG_PROTO_MAX, NFT_REG_2);
		}
		msg_put_be32(m, NFTA_NAT_FLAGS, NF_NAT_RANGE_MAP_IPS | (port ? NF_NAT_RANGE_PROTO_SPECIFIED : 0));
		expr_end(m, e);
	} else if (r->verdict == V_CLAMP) {
		/* the path's MSS (both ways: the kernel takes the smaller) into register 1, in
		 * network order, written over the MSS option; the kernel only ever lowers it */
		uint8_t mss = TCPOPT_MAXSEG;
		struct expr e = expr_start(m, "rt");
		put_u32s(m, NFTA_RT_KEY, NFT_REG_1, NFT_RT_TCPMSS, 0, 0);	/* DREG, KEY */
		expr_end(m, e);
		e = expr_start(m, "byteorder");
		put_u32s(m, NFTA_BYTEORDER_LEN, NFT_REG_1, NFT_REG_1, NFT_BYTEORDER_HTON, 2);	/* SREG, DREG, OP, LEN */
		msg_put_be32(m, NFTA_BYTEORDER_SIZE, 2);
		expr_end(m, e);
		e = expr_start(m, "exthdr");
		msg_put(m, NFTA_EXTHDR_TYPE, 1, &mss);
		msg_put_be32(m, NFTA_EXTHDR_OFFSET, 2);	/* the option's value, after kind and length */
		msg_put_be32(m, NFTA_EXTHDR_LEN, 2);
		msg_put_be32(m, NFTA_EXTHDR_OP, NFT_EXTHDR_OP_TCPOPT);
		msg_put_be32(m, NFTA_EXTHDR_SREG, NFT_REG_1);
		expr_end(m, e);
	} else if (r->verdict == V_OFFLOAD) {
		struct expr e = expr_start(m, "flow_offload");
		msg_put_str(m, NFTA_FLOW_TABLE_NAME, NFT_FLOWTABLE);
		expr_end(m, e);
	} else if (r->verdict == V_VMAP) {
		load_meta(m, NFT_META_OIFNAME);
		lookup(m, SET_INTO);
	} else {
		verdict(m, r->verdict == V_JUMP ? NFT_JUMP : codes[r->verdict],
			r->verdict == V_JUMP ? rule_chains[CHAIN_FORWARDS].name : NULL);
	}
}

/* The rule's expressions, as one NFTA_RULE_EXPRESSIONS: what is loaded, and what a rule in
 * the kernel is compared with. */
static void put_exprs(struct msg *m, const struct rule *r)
{
	struct nlattr *exprs = msg_nest(m, NFTA_RULE_EXPRESSIONS);
	for (unsigned k = 0; k < r->nmatch; k++) {
		bool known = false;	/* only address matches have a family */
		for (unsigned j = 0; j < k; j++)
			known |= r->m[j].net.family && r->m[j].net.family == r->m[k].net.family;
		put_match(m, &r->m[k], known);
	}
	put_verdict(m, r);
	msg_nest_end(m, exprs);
}

/* ---- the table ---- */

/* Delete, create afresh: one transaction replaces the whole table. Without a table there,
 * only the creation: deleting a table costs the kernel an RCU grace period when the socket
 * closes, and there is nothing to delete. */
/* True when it overflowed: a result, not a flag through a pointer, which would cost each
 * caller a stack-protector check. */
static bool put_table_head(struct talk *t, uint8_t family, const void *tag, const char *comment, uint32_t flags,
			   bool exists)
{
	bool overflow = false;
	unsigned char udata[2 + NFT_COMMENT_SIZE];
	size_t clen = strnlen(comment, NFT_COMMENT_SIZE - 1) + 1;
	struct msg *m;
	if (exists) {
		m = nft_msg_of(t, family, NFT_MSG_DELTABLE, 0, tag);
		overflow = m->overflow;
	}
	m = nft_msg_of(t, family, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, tag);
	if (flags)
		msg_put_be32(m, NFTA_TABLE_FLAGS, flags);
	udata[0] = UDATA_TABLE_COMMENT;
	udata[1] = (unsigned char)clen;
	memcpy(udata + 2, comment, clen - 1);
	udata[1 + clen] = '\0';
	msg_put(m, NFTA_TABLE_USERDATA, 2 + clen, udata);
	return overflow | m->overflow;
}

/* A chain; a base chain (type not NULL) with its hook, priority and policy. True when it
 * overflowed. */
static bool put_chain(struct talk *t, uint8_t family, const char *name, const char *type, uint32_t hook,
		      int32_t prio, uint32_t policy, const void *tag)
{
	struct msg *m = nft_msg_of(t, family, NFT_MSG_NEWCHAIN, NLM_F_CREATE, tag);
	msg_put_str(m, NFTA_CHAIN_NAME, name);
	if (type) {
		struct nlattr *h = msg_nest(m, NFTA_CHAIN_HOOK);
		put_u32s(m, NFTA_HOOK_PRIORITY, hook, (uint32_t)prio, 0, 0);	/* HOOKNUM, PRIORITY */
		msg_nest_end(m, h);
		msg_put_be32(m, NFTA_CHAIN_POLICY, policy);
		msg_put_str(m, NFTA_CHAIN_TYPE, type);
	}
	return m->overflow;
}

/* A rule appended to a chain; its expressions are the caller's. */
static struct msg *rule_msg(struct talk *t, uint8_t family, const char *chain, const void *tag)
{
	struct msg *m = nft_msg_of(t, family, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, tag);
	msg_put_str(m, NFTA_RULE_CHAIN, chain);
	return m;
}

/* Writes a set's elements, a message every few: each message has TALK_MSG_ROOM bytes. */
struct elem_writer {
	struct talk *t;
	uint8_t family;
	const char *set;
	struct msg *m;
	struct nlattr *list;
	unsigned n;
	bool overflow;
};

static void elem_end(struct elem_writer *w)
{
	if (w->m) {
		msg_nest_end(w->m, w->list);
		w->overflow |= w->m->overflow;
		w->m = NULL;
	}
}

static void elem_put(struct elem_writer *w, const struct nft_elem_copy *e)
{
	if (w->n++ % 8 == 0) {
		elem_end(w);
		w->m = nft_msg_of(w->t, w->family, NFT_MSG_NEWSETELEM, NLM_F_CREATE, NULL);
		msg_put_str(w->m, NFTA_SET_ELEM_LIST_SET, w->set);
		w->list = msg_nest(w->m, NFTA_SET_ELEM_LIST_ELEMENTS);
	}
	struct nlattr *n = msg_nest(w->m, NFTA_LIST_ELEM);
	put_data(w->m, NFTA_SET_ELEM_KEY, e->key, e->len);
	if (e->verdict)
		put_verdict_data(w->m, NFTA_SET_ELEM_DATA, e->code, e->chain[0] ? e->chain : NULL);
	msg_nest_end(w->m, n);
}

/* A set, without its elements; id: its number in the transaction, which the kernel wants. */
static bool put_set(struct talk *t, uint8_t family, const struct nft_set_copy *s, uint32_t id)
{
	struct msg *m = nft_msg_of(t, family, NFT_MSG_NEWSET, NLM_F_CREATE, NULL);
	msg_put_str(m, NFTA_SET_NAME, s->name);
	msg_put_be32(m, NFTA_SET_FLAGS, s->flags);
	msg_put_be32(m, NFTA_SET_KEY_TYPE, s->key_type);
	msg_put_be32(m, NFTA_SET_KEY_LEN, s->key_len);
	if (s->flags & NFT_SET_MAP)
		msg_put_be32(m, NFTA_SET_DATA_TYPE, s->data_type);
	if (s->flags & NFT_SET_MAP && s->data_type != NFT_DATA_VERDICT)	/* a verdict's is the kernel's */
		msg_put_be32(m, NFTA_SET_DATA_LEN, s->data_len);
	msg_put_be32(m, NFTA_SET_ID, id);
	if (s->udata_len)
		msg_put(m, NFTA_SET_USERDATA, s->udata_len, s->udata);
	return m->overflow;
}

/* A flowtable on the ingress hook at priority filter; with devices, or none (a tag: the
 * load's, whose failure means the kernel lacks flowtables). Adding devices to one that exists
 * is the same message: the kernel adds those it does not have yet. */
static bool put_flowtable(struct talk *t, uint8_t family, const char *name, const struct nft_ft_copy *ft,
			  const char *const *devs, size_t n, const void *tag)
{
	struct msg *m = nft_msg_of(t, family, NFT_MSG_NEWFLOWTABLE, NLM_F_CREATE, tag);
	msg_put_str(m, NFTA_FLOWTABLE_NAME, name);
	struct nlattr *h = msg_nest(m, NFTA_FLOWTABLE_HOOK);
	put_u32s(m, NFTA_FLOWTABLE_HOOK_PRIORITY, ft ? ft->hook : NF_NETDEV_INGRESS, ft ? (uint32_t)ft->prio : 0, 0,
		 0);	/* HOOK_NUM, HOOK_PRIORITY */
	if (n || (ft && ft->ndevs)) {
		struct nlattr *d = msg_nest(m, NFTA_FLOWTABLE_HOOK_DEVS);
		for (size_t i = 0; i < (ft ? ft->ndevs : n); i++)
			msg_put_str(m, NFTA_DEVICE_NAME, ft ? ft->devs[i] : devs[i]);
		msg_nest_end(m, d);
	}
	msg_nest_end(m, h);
	if (ft && ft->flags)
		msg_put_be32(m, NFTA_FLOWTABLE_FLAGS, ft->flags);
	return m->overflow;
}

int nft_put_offload(struct talk *t, const char *const *devs, size_t n)
{
	return put_flowtable(t, NFPROTO_INET, NFT_FLOWTABLE, NULL, devs, n, NULL) ? -EMSGSIZE : 0;
}

/* Set id of the ruleset as boxnet makes it: interface names, nft's type ifname. */
static void want_set(unsigned id, struct nft_set_copy *s)
{
	*s = (struct nft_set_copy){.flags = SET_MAP(id) ? NFT_SET_MAP : 0, .key_type = NFT_TYPE_IFNAME,
				   .key_len = IFNAMSIZ, .data_type = SET_MAP(id) ? NFT_DATA_VERDICT : 0};
	memcpy(s->name, rule_sets[id], sizeof(rule_sets[id]));
	/* libnftnl's TLV: keys in host order (a string, as nft's ifname is), else nft shows
	 * them backwards */
	uint32_t host = UDATA_BYTEORDER_HOST;
	s->udata[0] = UDATA_SET_KEYBYTEORDER;
	s->udata[1] = sizeof(host);
	memcpy(s->udata + 2, &host, sizeof(host));
	s->udata_len = 2 + sizeof(host);
}

/* Segment i as an element of set id. */
static void want_elem(const struct ruleset *rs, unsigned id, size_t i, struct nft_elem_copy *e)
{
	*e = (struct nft_elem_copy){.len = IFNAMSIZ, .verdict = SET_MAP(id), .code = NFT_JUMP};
	copy_name((char *)e->key, sizeof(e->key), rs->segs[i].ifname);
	if (SET_MAP(id))
		chain_name(rs, (unsigned)(CHAIN_INTO + i), e->chain);	/* a segment's: written there */
}

int nft_put_load(struct talk *t, const struct ruleset *rs, const char *comment, bool exists, bool legacy)
{
	char buf[CHAIN_NAME_SIZE];
	bool overflow = legacy && nft_msg_of(t, NFPROTO_IPV4, NFT_MSG_DELTABLE, 0, rs)->overflow;

	overflow |= put_table_head(t, NFPROTO_INET, rs, comment, 0, exists);
	/* Chains first: the sets' verdicts jump to them; then the sets, which rules look up. */
	for (unsigned ch = 0; ch < CHAIN_INTO + rs->nsegs; ch++) {
		const struct chain_info *ci = &rule_chains[ch < CHAIN_INTO ? ch : CHAIN_FORWARDS];
		if (ch >= CHAIN_INTO || rs->chains >> ch & 1)
			overflow |= put_chain(t, NFPROTO_INET, chain_name(rs, ch, buf), ci->type, ci->hook, ci->prio,
					      NF_ACCEPT, ci->type ? ci : NULL);
	}
	for (unsigned id = 0; id < SET_COUNT; id++) {
		struct nft_set_copy s;
		struct nft_elem_copy e;
		struct elem_writer w = {t, NFPROTO_INET, rule_sets[id], NULL, NULL, 0, false};
		if (!(rs->sets >> id & 1))
			continue;
		want_set(id, &s);
		overflow |= put_set(t, NFPROTO_INET, &s, id + 1);
		for (size_t i = 0; i < rs->nsegs; i++) {
			if (set_has(rs, id, i)) {
				want_elem(rs, id, i, &e);
				elem_put(&w, &e);
			}
		}
		elem_end(&w);
		overflow |= w.overflow;
	}
	/* The flowtable before the rules that add to it, without devices: a kernel that lacks
	 * flowtables refuses the load before any link is made, and up adds the devices once the
	 * links exist (the kernel wants them there). */
	if (rs->offload)
		overflow |= put_flowtable(t, NFPROTO_INET, NFT_FLOWTABLE, NULL, NULL, 0, &rs->offload);
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->v[i];
		struct msg *m = rule_msg(t, NFPROTO_INET, chain_name(rs, r->chain, buf), r);
		put_exprs(m, r);
		overflow |= m->overflow;
	}
	return overflow ? -EMSGSIZE : 0;
}

/* ---- a copy of the table as it is ---- */

static bool attr_str(const struct nlattr *a, char *dst, size_t size)
{
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 || mnl_attr_get_payload_len(a) > size)
		return false;
	memcpy(dst, mnl_attr_get_str(a), mnl_attr_get_payload_len(a));
	return true;
}

#define ATTRS_BAD SIZE_MAX

/* The attribute at off (< len) of a list, checked to lie within it; NULL when it does not:
 * the list is malformed. Lists are walked by offset, for (off = 0; off < len; off +=
 * NLA_ALIGN(a->nla_len)): no cursor whose address is taken, which would cost each walker a
 * stack-protector check. */
static const struct nlattr *attr_at(const void *p, size_t len, size_t off)
{
	const struct nlattr *a = (const void *)((const unsigned char *)p + off);
	return len - off >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= len - off ? a : NULL;
}

/* The list's one attribute of this type: NULL when it has none, several, or is malformed. */
static const struct nlattr *only_attr(const void *p, size_t len, uint16_t type)
{
	const struct nlattr *a, *found = NULL;
	for (size_t off = 0; off < len; off += NLA_ALIGN(a->nla_len)) {
		if (!(a = attr_at(p, len, off)))
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) != type)
			continue;
		if (found)
			return NULL;
		found = a;
	}
	return found;
}

static size_t count_attrs(const void *p, size_t len)
{
	const struct nlattr *a;
	size_t n = 0;
	for (size_t off = 0; off < len; off += NLA_ALIGN(a->nla_len), n++)
		if (!(a = attr_at(p, len, off)))
			return ATTRS_BAD;
	return n;
}

static bool is_ours(uint8_t family, const char *table, const struct nft_copy *cp)
{
	return family == (cp->legacy ? NFPROTO_IPV4 : NFPROTO_INET) && !strcmp(table, NFT_TABLE);
}

/* The IP families: bridge, arp and netdev chains never see boxnet's routed packets on these
 * hooks. */
static bool ip_family(uint8_t family)
{
	return family == NFPROTO_IPV4 || family == NFPROTO_IPV6 || family == NFPROTO_INET;
}

static bool other_table(const struct nft_copy *cp, uint8_t family, const char *table)
{
	for (size_t i = 0; i < cp->nothers; i++)
		if (cp->others[i].family == family && !strcmp(cp->others[i].table, table))
			return true;
	return false;
}

static int on_chain(const struct nlmsghdr *nlh, void *arg)
{
	struct nft_copy *cp = arg;
	struct nft_chain_copy ch = {0};
	const struct nlattr *a, *h;
	char table[32] = "";
	bool bad = false;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		switch (mnl_attr_get_type(a)) {
		case NFTA_CHAIN_TABLE:
			if (!attr_str(a, table, sizeof(table)))
				table[0] = '\0';	/* a longer name: not boxnet's */
			break;
		case NFTA_CHAIN_NAME:
			bad |= !attr_str(a, ch.name, sizeof(ch.name));
			break;
		case NFTA_CHAIN_TYPE:
			bad |= !attr_str(a, ch.type, sizeof(ch.type));
			break;
		case NFTA_CHAIN_POLICY:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			ch.policy = ntohl(mnl_attr_get_u32(a));
			break;
		case NFTA_CHAIN_HOOK:
			ch.base = true;
			mnl_attr_for_each_nested(h, a) {
				uint16_t type = mnl_attr_get_type(h);
				if (mnl_attr_validate(h, MNL_TYPE_U32) < 0)
					continue;
				if (type == NFTA_HOOK_HOOKNUM)
					ch.hook = ntohl(mnl_attr_get_u32(h));
				if (type == NFTA_HOOK_PRIORITY)
					ch.prio = (int32_t)ntohl(mnl_attr_get_u32(h));
			}
			break;
		}
	}
	uint8_t family = ((const struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family;
	bool ours = is_ours(family, table, cp);
	/* Names up to 255 bytes are the kernel's limit: longer ones than boxnet keeps are not
	 * boxnet's, and not understood (firewalld's, Docker's are shorter). */
	if (bad)
		return ours ? -EBADMSG : 0;
	if (ours) {
		if (!cp->ours)
			return 0;
		if (grow(&cp->chains, &cp->chains_cap, cp->nchains + 1, sizeof(ch)))
			return -ENOMEM;
		cp->chains[cp->nchains++] = ch;
		return 0;
	}
	if (!cp->others_too || !ch.base || ch.policy != NF_DROP || !table[0] || !ip_family(family) ||
	    (ch.hook != NF_INET_FORWARD && ch.hook != NF_INET_POST_ROUTING && ch.hook != NF_INET_LOCAL_IN))
		return 0;
	if (grow(&cp->others, &cp->others_cap, cp->nothers + 1, sizeof(*cp->others)))
		return -ENOMEM;
	struct nft_other_chain *o = &cp->others[cp->nothers++];
	*o = (struct nft_other_chain){.family = family, .hook = ch.hook};
	memcpy(o->table, table, sizeof(o->table));
	memcpy(o->name, ch.name, sizeof(o->name));
	return 0;
}

/* The one attribute of this type inside the nested attribute a (NULL: none). */
static const struct nlattr *inner(const struct nlattr *a, uint16_t type)
{
	return a ? only_attr(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a), type) : NULL;
}

/* The one u32 of this type inside the nested attribute a; UINT32_MAX when there is none. */
static uint32_t data_u32(const struct nlattr *a, uint16_t type)
{
	a = inner(a, type);
	return a && mnl_attr_get_payload_len(a) == 4 ? ntohl(mnl_attr_get_u32(a)) : UINT32_MAX;
}

/* The expressions summarize() knows, by name; X_OTHER for any other. */
enum { X_COUNTER, X_META, X_CMP, X_CT, X_BITWISE, X_LOOKUP, X_IMMEDIATE, X_OTHER };
static const char expr_names[X_OTHER][10] = {"counter", "meta", "cmp", "ct", "bitwise", "lookup", "immediate"};

/* The rule's expressions in one of the shapes struct nft_other_rule describes; false for
 * any other. */
static bool summarize(const unsigned char *p, size_t len, struct nft_other_rule *r)
{
	const struct nlattr *e;
	uint32_t meta = 0;	/* the key loaded, waiting for its cmp */
	bool ct = false, verdict = false;
	r->verdict = -1;
	for (size_t off = 0; off < len; off += NLA_ALIGN(e->nla_len)) {
		if (!(e = attr_at(p, len, off)))
			return false;
		const struct nlattr *name = inner(e, NFTA_EXPR_NAME), *data = inner(e, NFTA_EXPR_DATA);
		if (!name || verdict || mnl_attr_validate(name, MNL_TYPE_NUL_STRING) < 0)
			return false;
		unsigned x = 0;
		while (x < X_OTHER && strcmp(mnl_attr_get_str(name), expr_names[x]))
			x++;
		if (x == X_COUNTER)
			continue;
		if (!data)
			return false;
		if (x == X_META && !meta && r->match == OTHER_ANY && !ct) {
			meta = data_u32(data, NFTA_META_KEY);
			if (meta != NFT_META_IIFNAME && meta != NFT_META_OIFNAME)
				return false;
		} else if (x == X_CMP && meta) {
			const struct nlattr *v = inner(inner(data, NFTA_CMP_DATA), NFTA_DATA_VALUE);
			if (data_u32(data, NFTA_CMP_OP) != NFT_CMP_EQ || !v || mnl_attr_get_payload_len(v) > 16)
				return false;
			r->match = meta == NFT_META_IIFNAME ? OTHER_IIF : OTHER_OIF;
			r->len = (uint8_t)mnl_attr_get_payload_len(v);
			memcpy(r->data, mnl_attr_get_payload(v), r->len);
			meta = 0;
		} else if (x == X_CT && r->match == OTHER_ANY && !meta && !ct) {
			if (data_u32(data, NFTA_CT_KEY) != NFT_CT_STATE)
				return false;
			ct = true;
		} else if (ct && (x == X_BITWISE || x == X_CMP)) {
			continue;	/* ct state established,related: taken as it reads */
		} else if (ct && x == X_LOOKUP) {
			/* ct state vmap { established : accept, ... }, or ct state { established, ... } */
			if (data_u32(data, NFTA_LOOKUP_DREG) == NFT_REG_VERDICT) {
				r->verdict = NF_ACCEPT;
				verdict = true;
			}
		} else if (x == X_IMMEDIATE && !meta && data_u32(data, NFTA_IMMEDIATE_DREG) == NFT_REG_VERDICT) {
			const struct nlattr *vd = inner(inner(data, NFTA_IMMEDIATE_DATA), NFTA_DATA_VERDICT);
			if (!vd)
				return false;
			const struct nlattr *chain = inner(vd, NFTA_VERDICT_CHAIN);
			r->verdict = (int32_t)data_u32(vd, NFTA_VERDICT_CODE);
			if ((r->verdict == NFT_JUMP || r->verdict == NFT_GOTO) &&
			    (!chain || !attr_str(chain, r->target, sizeof(r->target))))
				return false;
			verdict = true;
		} else {
			return false;
		}
	}
	if (!verdict || meta)
		return false;
	if (ct) {
		/* Only an accept of established flows is understood; it stands for the replies. */
		if (r->verdict != NF_ACCEPT)
			return false;
		r->match = OTHER_CT;
	}
	return r->verdict == NF_ACCEPT || r->verdict == NF_DROP || r->verdict == NFT_JUMP || r->verdict == NFT_GOTO ||
	       r->verdict == NFT_RETURN;
}

/* The kernel dumps an exthdr that writes (tcp option maxseg size set) with NFTA_EXTHDR_FLAGS 0,
 * which it refuses to be given: dropped from a rule's copy, so that the rule can be put back
 * and compares with what boxnet sends. Returns the copy's new length. */
static size_t drop_exthdr_flags(unsigned char *p, size_t len)
{
	struct nlattr *e;
	for (size_t off = 0; off < len && attr_at(p, len, off); off += NLA_ALIGN(e->nla_len)) {
		e = (struct nlattr *)(p + off);
		const void *in = mnl_attr_get_payload(e);
		const struct nlattr *name = only_attr(in, mnl_attr_get_payload_len(e), NFTA_EXPR_NAME);
		const struct nlattr *d = only_attr(in, mnl_attr_get_payload_len(e), NFTA_EXPR_DATA);
		struct nlattr *data = d ? (struct nlattr *)(p + ((const unsigned char *)d - p)) : NULL;
		if (!name || !data || mnl_attr_get_payload_len(name) != sizeof("exthdr") ||
		    memcmp(mnl_attr_get_payload(name), "exthdr", sizeof("exthdr")))
			continue;
		const struct nlattr *f = inner(data, NFTA_EXTHDR_FLAGS);
		if (!f || f->nla_len != NLA_HDRLEN + 4 || mnl_attr_get_u32(f) || !inner(data, NFTA_EXTHDR_SREG))
			continue;
		size_t at = (size_t)((const unsigned char *)f - p), n = NLA_HDRLEN + 4;
		memmove(p + at, p + at + n, len - at - n);
		len -= n;
		data->nla_len = (uint16_t)(data->nla_len - n);
		e->nla_len = (uint16_t)(e->nla_len - n);
	}
	return len;
}

static int on_rule(const struct nlmsghdr *nlh, void *arg)
{
	struct nft_copy *cp = arg;
	struct nft_rule_copy r = {0};
	const struct nlattr *a, *exprs = NULL;
	char table[32] = "";
	bool bad = false;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint16_t type = mnl_attr_get_type(a);
		if (type == NFTA_RULE_TABLE && !attr_str(a, table, sizeof(table)))
			table[0] = '\0';
		else if (type == NFTA_RULE_CHAIN && !attr_str(a, r.chain, sizeof(r.chain)))
			bad = true;
		else if (type == NFTA_RULE_EXPRESSIONS)
			exprs = a;
	}
	uint8_t family = ((const struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family;
	bool ours = is_ours(family, table, cp);
	if (bad)
		return ours ? -EBADMSG : 0;
	if (!ours) {
		struct nft_other_rule o = {.family = family};
		/* Only the tables that drop by default: their rules may make up for it. */
		if (!cp->others_too || !exprs || !table[0] || !other_table(cp, family, table) ||
		    !summarize(mnl_attr_get_payload(exprs), mnl_attr_get_payload_len(exprs), &o))
			return 0;
		if (grow(&cp->orules, &cp->orules_cap, cp->norules + 1, sizeof(o)))
			return -ENOMEM;
		memcpy(o.table, table, sizeof(o.table));
		memcpy(o.chain, r.chain, sizeof(o.chain));
		cp->orules[cp->norules++] = o;
		return 0;
	}
	if (!cp->ours)
		return 0;
	if (!exprs || grow(&cp->rules, &cp->rules_cap, cp->nrules + 1, sizeof(r)))
		return exprs ? -ENOMEM : -EBADMSG;
	r.len = mnl_attr_get_payload_len(exprs);
	r.exprs = malloc(r.len ? r.len : 1);
	if (!r.exprs)
		return -ENOMEM;
	memcpy(r.exprs, mnl_attr_get_payload(exprs), r.len);
	r.len = drop_exthdr_flags(r.exprs, r.len);
	cp->rules[cp->nrules++] = r;
	return 0;
}

/* Before a dump, and again after it raced a change: none of what it reads. */
static void reset_chains(void *arg)
{
	struct nft_copy *copy = arg;
	copy->nchains = copy->nothers = 0;
}

static void reset_rules(void *arg)
{
	struct nft_copy *copy = arg;
	for (size_t i = 0; i < copy->nrules; i++)
		free(copy->rules[i].exprs);
	copy->nrules = copy->norules = 0;
}

static int on_set(const struct nlmsghdr *nlh, void *arg)
{
	struct nft_copy *cp = arg;
	struct nft_set_copy st = {0};
	const struct nlattr *a;
	char table[32] = "";
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint16_t type = mnl_attr_get_type(a);
		uint32_t *v = type == NFTA_SET_FLAGS ? &st.flags : type == NFTA_SET_KEY_TYPE ? &st.key_type
			      : type == NFTA_SET_KEY_LEN ? &st.key_len : type == NFTA_SET_DATA_TYPE ? &st.data_type
			      : type == NFTA_SET_DATA_LEN ? &st.data_len : NULL;
		if (type == NFTA_SET_TABLE && !attr_str(a, table, sizeof(table)))
			table[0] = '\0';
		else if (type == NFTA_SET_NAME && !attr_str(a, st.name, sizeof(st.name)))
			st.odd = true;
		else if (type == NFTA_SET_EXPR || type == NFTA_SET_EXPRESSIONS)
			st.odd = true;	/* a counter or the like on each element */
		else if (type == NFTA_SET_USERDATA && mnl_attr_get_payload_len(a) <= sizeof(st.udata))
			memcpy(st.udata, mnl_attr_get_payload(a), st.udata_len = (uint8_t)mnl_attr_get_payload_len(a));
		else if (v && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			*v = ntohl(mnl_attr_get_u32(a));
	}
	if (!is_ours(((const struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family, table, cp))
		return 0;
	if (grow(&cp->sets, &cp->sets_cap, cp->nsets + 1, sizeof(st)))
		return -ENOMEM;
	cp->sets[cp->nsets++] = st;
	return 0;
}

/* A set's elements: a key, and a verdict (a jump's chain) in a map; any other is odd. */
static int on_elems(const struct nlmsghdr *nlh, void *arg)
{
	struct nft_set_copy *st = arg;
	const struct nlattr *list = NULL, *a, *el, *x;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
			list = a;
	if (!list)
		return 0;
	mnl_attr_for_each_nested(el, list) {
		struct nft_elem_copy e = {.code = 0};
		bool odd = mnl_attr_get_type(el) != NFTA_LIST_ELEM;
		mnl_attr_for_each_nested(x, el) {
			const struct nlattr *v = inner(x, NFTA_DATA_VALUE), *vd = inner(x, NFTA_DATA_VERDICT);
			switch (mnl_attr_get_type(x)) {
			case NFTA_SET_ELEM_KEY:
				odd |= !v || mnl_attr_get_payload_len(v) > sizeof(e.key);
				if (!odd) {
					e.len = (uint8_t)mnl_attr_get_payload_len(v);
					memcpy(e.key, mnl_attr_get_payload(v), e.len);
				}
				break;
			case NFTA_SET_ELEM_DATA:
				e.verdict = true;
				e.code = (int32_t)data_u32(vd, NFTA_VERDICT_CODE);
				if (inner(vd, NFTA_VERDICT_CHAIN))
					odd |= !attr_str(inner(vd, NFTA_VERDICT_CHAIN), e.chain, sizeof(e.chain));
				odd |= !vd;
				break;
			case NFTA_SET_ELEM_FLAGS:
				odd |= data_u32(el, NFTA_SET_ELEM_FLAGS) != 0;
				break;
			default:
				odd = true;
			}
		}
		if (odd || !e.len) {
			st->odd = true;
			continue;
		}
		if (grow(&st->elems, &st->elems_cap, st->nelems + 1, sizeof(e)))
			return -ENOMEM;
		st->elems[st->nelems++] = e;
	}
	return 0;
}

static void reset_elems(void *arg)
{
	struct nft_set_copy *st = arg;
	st->nelems = 0;
	st->odd = false;
}

static void reset_sets(void *arg)
{
	struct nft_copy *copy = arg;
	for (size_t i = 0; i < copy->nsets; i++)
		free(copy->sets[i].elems);
	copy->nsets = 0;
}

static int dev_order(const void *a, const void *b)
{
	return strncmp(a, b, IFNAMSIZ);
}

/* A flowtable of the table: its hook, priority, flags and devices; one that boxnet cannot
 * read whole has no name, and matches nothing. */
static int on_flowtable(const struct nlmsghdr *nlh, void *arg)
{
	struct nft_copy *cp = arg;
	struct nft_ft_copy ft = {0};
	const struct nlattr *a, *h, *d;
	char table[32] = "";
	bool odd = false;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint16_t type = mnl_attr_get_type(a);
		if (type == NFTA_FLOWTABLE_TABLE)
			attr_str(a, table, sizeof(table));
		else if (type == NFTA_FLOWTABLE_NAME)
			odd |= !attr_str(a, ft.name, sizeof(ft.name));
		else if (type == NFTA_FLOWTABLE_FLAGS && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			ft.flags = ntohl(mnl_attr_get_u32(a));
		if (type != NFTA_FLOWTABLE_HOOK)
			continue;
		ft.hook = data_u32(a, NFTA_FLOWTABLE_HOOK_NUM);
		ft.prio = (int32_t)data_u32(a, NFTA_FLOWTABLE_HOOK_PRIORITY);
		mnl_attr_for_each_nested(h, a) {
			if (mnl_attr_get_type(h) != NFTA_FLOWTABLE_HOOK_DEVS)
				continue;
			mnl_attr_for_each_nested(d, h) {
				if (grow(&ft.devs, &ft.devs_cap, ft.ndevs + 1, sizeof(*ft.devs))) {
					free(ft.devs);
					return -ENOMEM;
				}
				odd |= !attr_str(d, ft.devs[ft.ndevs++], sizeof(*ft.devs));
			}
		}
	}
	int err = 0;
	if (!is_ours(((const struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family, table, cp) ||
	    (err = grow(&cp->fts, &cp->fts_cap, cp->nfts + 1, sizeof(ft)) ? -ENOMEM : 0)) {
		free(ft.devs);
		return err;
	}
	if (odd)
		ft.name[0] = '\0';
	if (ft.ndevs)	/* the kernel lists them in the order they came */
		qsort(ft.devs, ft.ndevs, sizeof(*ft.devs), dev_order);
	cp->fts[cp->nfts++] = ft;
	return 0;
}

static void reset_fts(void *arg)
{
	struct nft_copy *copy = arg;
	for (size_t i = 0; i < copy->nfts; i++)
		free(copy->fts[i].devs);
	copy->nfts = 0;
}

static int elem_order(const void *a, const void *b)
{
	const struct nft_elem_copy *x = a, *y = b;
	return x->len != y->len ? x->len - y->len : memcmp(x->key, y->key, x->len);
}

/* Each of the table's sets and its elements, sorted by key; a dump of elements names its set. */
static int read_sets(struct talk *t, struct nft_copy *copy)
{
	static const struct nfgenmsg g = {.nfgen_family = NFPROTO_INET, .version = NFNETLINK_V0};
	int err = talk_dump(t, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETSET, &g, sizeof(g), on_set, reset_sets, copy);
	for (size_t i = 0; !err && i < copy->nsets; i++) {
		struct nft_set_copy *st = &copy->sets[i];
		union {
			struct nlmsghdr h;
			unsigned char b[NLMSG_HDRLEN + 64];
		} req = {0};	/* libmnl before 1.0.4 leaves an attribute's padding as it was */
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(req.b);
		*(struct nfgenmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(g)) = g;
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, st->name);
		err = talk_dump(t, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETSETELEM, mnl_nlmsg_get_payload(nlh),
				nlh->nlmsg_len - NLMSG_HDRLEN, on_elems, reset_elems, st);
		if (st->nelems)	/* elems is NULL for none, which qsort may not be given */
			qsort(st->elems, st->nelems, sizeof(*st->elems), elem_order);
	}
	return err;
}

int nft_read_table(struct talk *t, struct nft_copy *copy, bool ours, bool others)
{
	/* All families: the table is ip's, the chains that may drop its traffic also inet's. A
	 * constant, and the copy itself as the callbacks' argument: no local whose address is
	 * taken, which would cost a stack-protector check. */
	static const struct nfgenmsg g = {.nfgen_family = NFPROTO_UNSPEC, .version = NFNETLINK_V0};
	copy->ours = ours;
	copy->others_too = others;
	reset_chains(copy);
	reset_rules(copy);
	reset_sets(copy);
	int err = talk_dump(t, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETCHAIN, &g, sizeof(g), on_chain, reset_chains,
			    copy);
	if (!err && (ours || copy->nothers))
		err = talk_dump(t, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETRULE, &g, sizeof(g), on_rule, reset_rules,
				copy);
	/* The sets of the table (of table ip boxnet, an older boxnet's, none) */
	if (!err && ours && !copy->legacy)
		err = read_sets(t, copy);
	/* Its flowtables, only when its use counts more than its chains and sets: a dump less for
	 * every table without one */
	reset_fts(copy);
	if (!err && ours && !copy->legacy && copy->use > copy->nchains + copy->nsets) {
		static const struct nfgenmsg gi = {.nfgen_family = NFPROTO_INET, .version = NFNETLINK_V0};
		err = talk_dump(t, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETFLOWTABLE, &gi, sizeof(gi), on_flowtable,
				reset_fts, copy);
	}
	return err;
}

/* ---- other tables ---- */

enum { OUT_RETURN, OUT_ACCEPT, OUT_DROP };

struct packet {
	const char *iif, *oif;
	bool reply;		/* of a flow the other way: established */
};

static bool name_matches(const struct nft_other_rule *r, const char *name)
{
	char pad[16] = {0};	/* as the kernel's register holds it: a prefix compare for "br*" */
	copy_name(pad, sizeof(pad), name);
	return !memcmp(pad, r->data, r->len);
}

/* What a chain does with the packet, by the rules boxnet understands (any other rule is taken
 * to let it pass on): accept, drop, or return. */
static int chain_verdict(const struct nft_copy *cp, const struct nft_other_chain *base, const char *chain,
			 struct packet pk, unsigned depth)
{
	if (depth > 16)
		return OUT_DROP;	/* a loop, or too deep to tell: warn */
	for (size_t i = 0; i < cp->norules; i++) {
		const struct nft_other_rule *r = &cp->orules[i];
		if (r->family != base->family || strcmp(r->table, base->table) || strcmp(r->chain, chain))
			continue;
		if (r->match == OTHER_CT ? !pk.reply
		    : r->match == OTHER_IIF ? !name_matches(r, pk.iif)
		    : r->match == OTHER_OIF ? !name_matches(r, pk.oif) : false)
			continue;
		int v;
		switch (r->verdict) {
		case NF_ACCEPT:
			return OUT_ACCEPT;
		case NF_DROP:
			return OUT_DROP;
		case NFT_GOTO:
			return chain_verdict(cp, base, r->target, pk, depth + 1);
		case NFT_JUMP:
			if ((v = chain_verdict(cp, base, r->target, pk, depth + 1)) != OUT_RETURN)
				return v;
			break;
		default:
			return OUT_RETURN;
		}
	}
	return OUT_RETURN;
}

static bool passes(const struct nft_copy *cp, const struct nft_other_chain *o, const char *iif, const char *oif,
		   bool reply)
{
	return chain_verdict(cp, o, o->name, (struct packet){iif, oif, reply}, 0) == OUT_ACCEPT;
}

void nft_check_others(const struct nft_copy *cp, const struct segment *segs, size_t n, const char *uplink,
		      struct sbuf *out)
{
	for (size_t i = 0; i < cp->nothers; i++) {
		const struct nft_other_chain *o = &cp->others[i];
		const char *fname = o->family == NFPROTO_INET ? "inet" : o->family == NFPROTO_IPV6 ? "ip6" : "ip";
		for (size_t k = 0; k < n; k++) {
			const char *x = segs[k].ifname;
			unsigned fams = 0;	/* bit per FAM_* */
			for (unsigned j = 0; j < segs[k].nnets; j++)
				fams |= 1u << fam(segs[k].nets[j].family);
			/* A chain of one family sees none of a segment routed in the other only. */
			if ((o->family == NFPROTO_IPV6 && !(fams >> FAM_V6 & 1)) ||
			    (o->family == NFPROTO_IPV4 && fams == 1u << FAM_V6))
				continue;
			bool in = o->hook == NF_INET_LOCAL_IN;
			/* To the box: from the segment. Forwarded: out to the uplink, and the replies. */
			bool from = passes(cp, o, x, in ? "" : uplink, false);
			bool to = in || passes(cp, o, uplink, x, true);
			if (from && to)
				continue;
			sbuf_addf(out, "nftables chain %s %s %s (policy drop) blocks %s %s%s: add e.g. ", fname, o->table,
				  o->name, in ? "traffic from" : "forwarded traffic of segment", x, in ? " to the box" : "");
			/* The rule that lets in what comes from the segment, and the one for what goes to it. */
			for (int out_if = 0; out_if < 2; out_if++)
				if (!(out_if ? to : from))
					sbuf_addf(out, "nft insert rule %s %s %s %cifname \"%s\" accept%s", fname, o->table, o->name,
						  out_if ? 'o' : 'i', x, out_if || to ? "" : " and ");
			if (o->family == NFPROTO_INET && !strcmp(o->table, "fw4"))
				sbuf_addf(out, " (with OpenWrt's fw4: a zone covering %s in /etc/config/firewall)", x);
			sbuf_add(out, "\n", 1);
		}
	}
}

void nft_copy_free(struct nft_copy *copy)
{
	reset_rules(copy);
	reset_sets(copy);
	reset_fts(copy);
	free(copy->fts);
	free(copy->sets);
	free(copy->rules);
	free(copy->chains);
	free(copy->others);
	free(copy->orules);
	*copy = (struct nft_copy){0};
}

/* ---- comparing the copy with the ruleset ---- */

static bool same_bytes(const struct nlattr *a, const struct nlattr *b)
{
	return a->nla_len == b->nla_len && !memcmp(mnl_attr_get_payload(a), mnl_attr_get_payload(b), a->nla_len - NLA_HDRLEN);
}

/*
 * Does the list inside lb, as the kernel dumps it, say what the list inside la, as boxnet
 * encodes it, says? The kernel may order attributes otherwise and leaves NLA_F_NESTED off:
 * la's own flags tell what nests. Kernels since 5.6 add NFTA_BITWISE_OP 0 (mask and xor) to
 * a bitwise's data. Anything else, an attribute more or less, another value, is a difference.
 * elem: la is an expression (NFTA_EXPR_NAME and NFTA_EXPR_DATA), whose data may be a
 * bitwise's.
 */
static bool same_attrs(const struct nlattr *la, const struct nlattr *lb, bool bitwise, bool elem)
{
	const void *a = mnl_attr_get_payload(la), *b = mnl_attr_get_payload(lb);
	size_t alen = mnl_attr_get_payload_len(la), blen = mnl_attr_get_payload_len(lb);
	const struct nlattr *x, *y, *name = elem ? only_attr(a, alen, NFTA_EXPR_NAME) : NULL;
	bool inner_bitwise = name && !strcmp(mnl_attr_get_str(name), "bitwise");
	size_t n = 0, na = count_attrs(a, alen);
	for (size_t off = 0; off < blen; off += NLA_ALIGN(x->nla_len)) {
		if (!(x = attr_at(b, blen, off)))
			return false;
		uint16_t type = x->nla_type & NLA_TYPE_MASK;
		if (!only_attr(b, blen, type))
			return false;
		if (!(y = only_attr(a, alen, type))) {
			if (bitwise && type == NFTA_BITWISE_OP && x->nla_len == NLA_HDRLEN + 4 && !mnl_attr_get_u32(x))
				continue;
			return false;
		}
		if (y->nla_type & NLA_F_NESTED ? !same_attrs(y, x, inner_bitwise, false) : !same_bytes(x, y))
			return false;
		n++;
	}
	return n == na;
}

/* Two NFTA_RULE_EXPRESSIONS payloads: the same expressions in the same order. */
static bool same_exprs(const void *a, size_t alen, const void *b, size_t blen)
{
	const struct nlattr *x, *y;
	for (size_t offa = 0, offb = 0;; offa += NLA_ALIGN(y->nla_len), offb += NLA_ALIGN(x->nla_len)) {
		if (offa >= alen || offb >= blen)
			return offa >= alen && offb >= blen;
		y = attr_at(a, alen, offa);
		x = attr_at(b, blen, offb);
		if (!x || !y)
			return false;
		if ((x->nla_type & NLA_TYPE_MASK) != NFTA_LIST_ELEM || (y->nla_type & NLA_TYPE_MASK) != NFTA_LIST_ELEM)
			return false;
		if (!same_attrs(y, x, false, true))
			return false;
	}
}

static bool rule_matches(const struct nft_rule_copy *have, const struct rule *r)
{
	union {
		struct nlmsghdr h;
		unsigned char b[TALK_MSG_ROOM];
	} buf;
	struct msg built = {mnl_nlmsg_put_header(buf.b), false}, *m = &built;
	put_exprs(m, r);
	const struct nlattr *want = mnl_nlmsg_get_payload(m->nlh);
	return !m->overflow && same_exprs(mnl_attr_get_payload(want), mnl_attr_get_payload_len(want), have->exprs,
					 have->len);
}

/* Is the copied set set id of the ruleset, with exactly its elements? */
static bool set_matches(const struct nft_set_copy *have, const struct ruleset *rs, unsigned id)
{
	struct nft_set_copy want;
	struct nft_elem_copy e;
	size_t n = 0;
	want_set(id, &want);
	if (have->odd || strcmp(have->name, want.name) || have->flags != want.flags || have->key_type != want.key_type ||
	    have->key_len != want.key_len || have->data_type != want.data_type)
		return false;
	for (size_t i = 0; i < rs->nsegs; i++) {
		if (!set_has(rs, id, i))
			continue;
		want_elem(rs, id, i, &e);
		const struct nft_elem_copy *f =
			have->nelems ? bsearch(&e, have->elems, have->nelems, sizeof(e), elem_order) : NULL;
		if (!f || f->verdict != e.verdict || (e.verdict && (f->code != e.code || strcmp(f->chain, e.chain))))
			return false;
		n++;
	}
	return n == have->nelems;
}

bool nft_copy_matches(const struct nft_copy *copy, const struct ruleset *rs)
{
	char buf[CHAIN_NAME_SIZE];
	size_t k = 0;
	/* Any flag (dormant...) is someone else's; the use counts objects and flowtables too. The
	 * flowtable's devices are the caller's to compare (nft_ft_devs_match). */
	if (copy->flags || copy->use != copy->nchains + copy->nsets + copy->nfts || copy->nfts != rs->offload)
		return false;
	if (copy->nfts && (strcmp(copy->fts[0].name, NFT_FLOWTABLE) || copy->fts[0].hook != NF_NETDEV_INGRESS ||
			   copy->fts[0].prio || copy->fts[0].flags))
		return false;
	/* Chains, sets and rules as the kernel lists them: in the order they were made. */
	for (unsigned ch = 0; ch < CHAIN_INTO + rs->nsegs; ch++) {
		const struct chain_info *ci = &rule_chains[ch < CHAIN_INTO ? ch : CHAIN_FORWARDS];
		if (ch < CHAIN_INTO && !(rs->chains >> ch & 1))
			continue;
		if (k == copy->nchains)
			return false;
		const struct nft_chain_copy *c = &copy->chains[k++];
		if (strcmp(c->name, chain_name(rs, ch, buf)) || c->base != !!ci->type ||
		    (ci->type && (strcmp(c->type, ci->type) || c->hook != ci->hook || c->prio != ci->prio ||
				  c->policy != NF_ACCEPT)))
			return false;
	}
	if (k != copy->nchains)
		return false;
	k = 0;
	for (unsigned id = 0; id < SET_COUNT; id++)
		if (rs->sets >> id & 1 && (k == copy->nsets || !set_matches(&copy->sets[k++], rs, id)))
			return false;
	if (k != copy->nsets || copy->nrules != rs->n)
		return false;
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(copy->rules[i].chain, chain_name(rs, rs->v[i].chain, buf)) ||
		    !rule_matches(&copy->rules[i], &rs->v[i]))
			return false;
	return true;
}

bool nft_ft_devs_match(const struct nft_copy *copy, const char *const *devs, size_t n)
{
	if (!copy->nfts)
		return !n;
	if (copy->fts[0].ndevs != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strncmp(copy->fts[0].devs[i], devs[i], IFNAMSIZ))
			return false;
	return true;
}

int nft_put_restore(struct talk *t, const struct nft_copy *copy, const char *comment)
{
	uint8_t family = copy->legacy ? NFPROTO_IPV4 : NFPROTO_INET;
	/* The table first made sure of: undoing a load finds it, undoing a delete does not. */
	bool overflow = nft_msg_of(t, family, NFT_MSG_NEWTABLE, NLM_F_CREATE, NULL)->overflow;
	/* A dormant table comes back dormant; an owner would be this process, gone at its exit. */
	overflow |= put_table_head(t, family, NULL, comment, copy->flags & NFT_TABLE_F_DORMANT, true);
	for (size_t i = 0; i < copy->nchains; i++) {
		const struct nft_chain_copy *ch = &copy->chains[i];
		overflow |= put_chain(t, family, ch->name, !ch->base ? NULL : ch->type[0] ? ch->type : "filter", ch->hook,
				      ch->prio, ch->policy, NULL);
	}
	/* The sets with the elements boxnet understands: its own come back whole. */
	for (size_t i = 0; i < copy->nsets; i++) {
		const struct nft_set_copy *st = &copy->sets[i];
		struct elem_writer w = {t, family, st->name, NULL, NULL, 0, false};
		if (!st->name[0])
			continue;	/* a name longer than boxnet keeps: someone else's, left out */
		overflow |= put_set(t, family, st, (uint32_t)i + 1);
		for (size_t k = 0; k < st->nelems; k++)
			elem_put(&w, &st->elems[k]);
		elem_end(&w);
		overflow |= w.overflow;
	}
	/* Flowtables with their devices, which were there before up and are again once undone */
	for (size_t i = 0; i < copy->nfts; i++)
		if (copy->fts[i].name[0])
			overflow |= put_flowtable(t, family, copy->fts[i].name, &copy->fts[i], NULL, 0, NULL);
	for (size_t i = 0; i < copy->nrules; i++) {
		struct msg *m = rule_msg(t, family, copy->rules[i].chain, NULL);
		msg_put(m, NFTA_RULE_EXPRESSIONS | NLA_F_NESTED, copy->rules[i].len, copy->rules[i].exprs);
		overflow |= m->overflow;
	}
	return overflow ? -EMSGSIZE : 0;
}

int nft_put_delete(struct talk *t, bool legacy)
{
	struct msg *m = nft_msg_of(t, legacy ? NFPROTO_IPV4 : NFPROTO_INET, NFT_MSG_DELTABLE, 0, NULL);
	return m->overflow ? -EMSGSIZE : 0;
}

const char *nft_feature(const struct talk_error *e, const char **also)
{
	if (e->err != -ENOENT && e->err != -EOPNOTSUPP && e->err != -EAFNOSUPPORT)
		return NULL;
	switch (e->type & 0xff) {
	case NFT_MSG_NEWTABLE:
	case NFT_MSG_DELTABLE:
		return "CONFIG_NF_TABLES_INET (nftables for IPv4 and IPv6 in one table)";
	case NFT_MSG_NEWCHAIN:
		if (e->tag && ((const struct chain_info *)e->tag)->type[0] == 'n')
			return "CONFIG_NFT_NAT (the nat chain type)";
		return "CONFIG_NF_TABLES_INET (the filter chain type)";
	case NFT_MSG_NEWFLOWTABLE:
		/* the load's, without devices; adding devices fails for a missing one instead */
		return e->tag ? "CONFIG_NF_FLOW_TABLE_INET (nf_flow_table_inet: flowtables, for offload = yes)" : NULL;
	case NFT_MSG_NEWRULE: {
		/* The kernel does not say which expression it lacks: a rule with a match and a
		 * verdict that each need a module names both. */
		const struct rule *r = e->tag;
		const char *m = NULL;
		for (unsigned i = 0; r && i < r->nmatch && !m; i++) {
			if (r->m[i].type == M_FIB_LOCAL)
				m = "CONFIG_NFT_FIB_INET (fib daddr type local)";
			if (r->m[i].type == M_CT_INVALID || r->m[i].type == M_CT_ESTABLISHED || r->m[i].type == M_CT_DNAT)
				m = "CONFIG_NFT_CT (conntrack state matches)";
		}
		if (r && r->verdict == V_OFFLOAD)
			return "CONFIG_NFT_FLOW_OFFLOAD (nft_flow_offload: flow add, for offload = yes)";
		if (r && (r->verdict == V_MASQUERADE || r->verdict == V_DNAT)) {
			*also = m;
			return r->verdict == V_DNAT ? "CONFIG_NFT_NAT (dnat)" : "CONFIG_NFT_MASQ (masquerade)";
		}
		return m ? m : "CONFIG_NF_TABLES (meta and payload matches)";
	}
	}
	return NULL;
}
