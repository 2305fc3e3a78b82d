/* test_netlink.c: boxnet's rule expressions, sets and set elements byte for byte against what
 * nft sends for the same table (tests/unit/netlink/NAME.txt, captured by capture.sh with nft
 * --debug=netlink): a value in the wrong byte order differs here, on x86 too. */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdlib.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nft.h"
#include "unit.h"
#include "util.h"

/* One expression's attribute of type t, or NULL. */
static const struct nlattr *attr(const struct nlattr *nest, uint16_t t)
{
	const struct nlattr *a;
	if (!nest)
		return NULL;
	mnl_attr_for_each_nested(a, nest) if (mnl_attr_get_type(a) == t) return a;
	return NULL;
}

static uint32_t u32(const struct nlattr *nest, uint16_t t)
{
	const struct nlattr *a = attr(nest, t);
	return a ? ntohl(mnl_attr_get_u32(a)) : 0;
}

/* Data as libnftnl shows it: 32-bit words, each read in host order, the last zero-padded;
 * "0x%08x " in expressions, "%08x " in set elements. */
static void words_as(struct sbuf *s, const struct nlattr *data, const char *fmt)
{
	const struct nlattr *v = attr(data, NFTA_DATA_VALUE);
	const unsigned char *p = v ? mnl_attr_get_payload(v) : NULL;
	size_t len = v ? mnl_attr_get_payload_len(v) : 0;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t w = 0;
		memcpy(&w, p + i, len - i < 4 ? len - i : 4);
		sbuf_addf(s, fmt, w);
	}
}
#define words(s, data) words_as(s, data, "0x%08x ")

static const char *name_of(const char *const *names, size_t n, uint32_t i)
{
	return i < n && names[i] ? names[i] : "?";
}
#define NAME(names, i) name_of(names, sizeof(names) / sizeof(names[0]), i)

/* One expression as nft --debug=netlink prints it (libnftnl's text), for those boxnet uses. */
static void expr_text(struct sbuf *s, const char *name, const struct nlattr *d)
{
	static const char *const meta[] = {[NFT_META_L4PROTO] = "l4proto", [NFT_META_IIFNAME] = "iifname",
					   [NFT_META_OIFNAME] = "oifname", [NFT_META_NFPROTO] = "nfproto"};
	static const char *const ops[] = {"eq", "neq", "lt", "lte", "gt", "gte"};
	static const char *const bases[] = {"link", "network", "transport"};
	static const char *const ct[] = {[NFT_CT_STATE] = "state", [NFT_CT_STATUS] = "status"};
	static const char *const verdicts[] = {"drop", "accept"};
	sbuf_addf(s, "  [ ");
	if (!strcmp(name, "meta")) {
		sbuf_addf(s, "meta load %s => reg %u ]", NAME(meta, u32(d, NFTA_META_KEY)), u32(d, NFTA_META_DREG));
	} else if (!strcmp(name, "cmp")) {
		sbuf_addf(s, "cmp %s reg %u ", NAME(ops, u32(d, NFTA_CMP_OP)), u32(d, NFTA_CMP_SREG));
		words(s, attr(d, NFTA_CMP_DATA));
		sbuf_addf(s, "]");
	} else if (!strcmp(name, "payload")) {
		sbuf_addf(s, "payload load %ub @ %s header + %u => reg %u ]", u32(d, NFTA_PAYLOAD_LEN),
			  NAME(bases, u32(d, NFTA_PAYLOAD_BASE)), u32(d, NFTA_PAYLOAD_OFFSET), u32(d, NFTA_PAYLOAD_DREG));
	} else if (!strcmp(name, "bitwise")) {
		sbuf_addf(s, "bitwise reg %u = ( reg %u & ", u32(d, NFTA_BITWISE_DREG), u32(d, NFTA_BITWISE_SREG));
		words(s, attr(d, NFTA_BITWISE_MASK));
		sbuf_addf(s, ") ^ ");
		words(s, attr(d, NFTA_BITWISE_XOR));
		sbuf_addf(s, "]");
	} else if (!strcmp(name, "ct")) {
		sbuf_addf(s, "ct load %s => reg %u ]", NAME(ct, u32(d, NFTA_CT_KEY)), u32(d, NFTA_CT_DREG));
	} else if (!strcmp(name, "lookup")) {
		const struct nlattr *set = attr(d, NFTA_LOOKUP_SET);
		sbuf_addf(s, "lookup reg %u set %s ", u32(d, NFTA_LOOKUP_SREG), set ? mnl_attr_get_str(set) : "?");
		if (attr(d, NFTA_LOOKUP_DREG))
			sbuf_addf(s, "dreg %u ", u32(d, NFTA_LOOKUP_DREG));
		if (u32(d, NFTA_LOOKUP_FLAGS) & NFT_LOOKUP_F_INV)
			sbuf_addf(s, "0x1 ");
		sbuf_addf(s, "]");
	} else if (!strcmp(name, "immediate")) {
		const struct nlattr *data = attr(d, NFTA_IMMEDIATE_DATA), *v = attr(data, NFTA_DATA_VERDICT);
		sbuf_addf(s, "immediate reg %u ", u32(d, NFTA_IMMEDIATE_DREG));
		if (v) {
			int32_t code = (int32_t)u32(v, NFTA_VERDICT_CODE);
			const struct nlattr *chain = attr(v, NFTA_VERDICT_CHAIN);
			if (code == NFT_JUMP)
				sbuf_addf(s, "jump -> %s ", chain ? mnl_attr_get_str(chain) : "?");
			else
				sbuf_addf(s, "%s ", code == NFT_RETURN ? "return" : NAME(verdicts, (uint32_t)code));
		} else {
			words(s, data);
		}
		sbuf_addf(s, "]");
	} else if (!strcmp(name, "nat")) {
		/* boxnet also gives what the kernel adds, and dumps back, to a dnat: the maximum
		 * registers (the same as the minimum) and NF_NAT_RANGE_MAP_IPS; nft leaves them to it. */
		uint32_t flags = u32(d, NFTA_NAT_FLAGS) & ~(uint32_t)NF_NAT_RANGE_MAP_IPS;
		sbuf_addf(s, "nat %s %s addr_min reg %u ", u32(d, NFTA_NAT_TYPE) == NFT_NAT_DNAT ? "dnat" : "snat",
			  u32(d, NFTA_NAT_FAMILY) == NFPROTO_IPV6 ? "ip6" : "ip", u32(d, NFTA_NAT_REG_ADDR_MIN));
		if (u32(d, NFTA_NAT_REG_ADDR_MAX) != u32(d, NFTA_NAT_REG_ADDR_MIN))
			sbuf_addf(s, "addr_max reg %u ", u32(d, NFTA_NAT_REG_ADDR_MAX));
		if (attr(d, NFTA_NAT_REG_PROTO_MIN))
			sbuf_addf(s, "proto_min reg %u ", u32(d, NFTA_NAT_REG_PROTO_MIN));
		if (u32(d, NFTA_NAT_REG_PROTO_MAX) != u32(d, NFTA_NAT_REG_PROTO_MIN))
			sbuf_addf(s, "proto_max reg %u ", u32(d, NFTA_NAT_REG_PROTO_MAX));
		if (flags)
			sbuf_addf(s, "flags 0x%x ", flags);
		sbuf_addf(s, "]");
	} else if (!strcmp(name, "masq")) {
		sbuf_addf(s, "masq ]");
	} else if (!strcmp(name, "fib")) {
		sbuf_addf(s, "fib %s type => reg %u ]", u32(d, NFTA_FIB_FLAGS) & NFTA_FIB_F_DADDR ? "daddr" : "?",
			  u32(d, NFTA_FIB_DREG));
	} else if (!strcmp(name, "rt")) {
		sbuf_addf(s, "rt load %s => reg %u ]", u32(d, NFTA_RT_KEY) == NFT_RT_TCPMSS ? "tcpmss" : "?",
			  u32(d, NFTA_RT_DREG));
	} else if (!strcmp(name, "byteorder")) {
		sbuf_addf(s, "byteorder reg %u = %s(reg %u, %u, %u) ]", u32(d, NFTA_BYTEORDER_DREG),
			  u32(d, NFTA_BYTEORDER_OP) == NFT_BYTEORDER_HTON ? "hton" : "ntoh", u32(d, NFTA_BYTEORDER_SREG),
			  u32(d, NFTA_BYTEORDER_SIZE), u32(d, NFTA_BYTEORDER_LEN));
	} else if (!strcmp(name, "exthdr")) {
		const struct nlattr *type = attr(d, NFTA_EXTHDR_TYPE);
		sbuf_addf(s, "exthdr write %s reg %u => %ub @ %u + %u ]",
			  u32(d, NFTA_EXTHDR_OP) == NFT_EXTHDR_OP_TCPOPT ? "tcpopt" : "?", u32(d, NFTA_EXTHDR_SREG),
			  u32(d, NFTA_EXTHDR_LEN), type ? mnl_attr_get_u8(type) : 0, u32(d, NFTA_EXTHDR_OFFSET));
	} else if (!strcmp(name, "flow_offload")) {
		const struct nlattr *ft = attr(d, NFTA_FLOW_TABLE_NAME);
		sbuf_addf(s, "flow_offload flowtable %s ]", ft ? mnl_attr_get_str(ft) : "?");
	} else {
		sbuf_addf(s, "%s ? ]", name);
	}
	sbuf_addf(s, "\n");
}

/* A NEWRULE message as nft --debug=netlink prints it: "inet boxnet CHAIN", then a line an
 * expression. */
static void rule_text_of(struct sbuf *s, const struct nlmsghdr *nlh)
{
	const struct nlattr *a, *e;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFTA_RULE_CHAIN)
			sbuf_addf(s, "inet boxnet %s\n", mnl_attr_get_str(a));
	}
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_RULE_EXPRESSIONS)
			continue;
		mnl_attr_for_each_nested(e, a) {
			const struct nlattr *n = attr(e, NFTA_EXPR_NAME);
			expr_text(s, n ? mnl_attr_get_str(n) : "?", attr(e, NFTA_EXPR_DATA));
		}
	}
}

/* A NEWSET message as "set NAME boxnet FLAGS", a NEWSETELEM message as a line an element:
 * "element SET KEY-WORDS : [jump -> CHAIN ]FLAGS [end]" (libnftnl's text, as capture.sh keeps it). */
static void set_text_of(struct sbuf *s, const struct nlmsghdr *nlh)
{
	const struct nlattr *a, *e;
	const char *name = "?";
	uint32_t flags = 0;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint16_t t = mnl_attr_get_type(a);
		if (t == NFTA_SET_NAME)	/* NFTA_SET_ELEM_LIST_SET too: both are 2 */
			name = mnl_attr_get_str(a);
		else if (t == NFTA_SET_FLAGS && (nlh->nlmsg_type & 0xff) == NFT_MSG_NEWSET)
			flags = ntohl(mnl_attr_get_u32(a));
	}
	if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWSET) {
		sbuf_addf(s, "set %s boxnet %x\n", name, flags);
		return;
	}
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(e, a) {
			const struct nlattr *v = attr(attr(e, NFTA_SET_ELEM_DATA), NFTA_DATA_VERDICT);
			const struct nlattr *chain = attr(v, NFTA_VERDICT_CHAIN);
			sbuf_addf(s, "element %s ", name);
			words_as(s, attr(e, NFTA_SET_ELEM_KEY), "%08x ");
			sbuf_addf(s, " : ");
			if (v && (int32_t)u32(v, NFTA_VERDICT_CODE) == NFT_JUMP)
				sbuf_addf(s, "jump -> %s ", chain ? mnl_attr_get_str(chain) : "?");
			else if (v)
				sbuf_addf(s, "verdict %d ", (int32_t)u32(v, NFTA_VERDICT_CODE));
			sbuf_addf(s, "%u [end]\n", u32(e, NFTA_SET_ELEM_FLAGS));
		}
	}
}

/* A whole file into s; 0, or -1. */
static int read_file(const char *path, struct sbuf *s)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sbuf_add(s, buf, n);
	fclose(f);
	sbuf_add(s, "", 0);
	return s->oom ? -1 : 0;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The items of a text, one a string, sorted: a rule ("inet boxnet CHAIN" and its expressions'
 * lines), a set or an element (a line each). Sorted: nft's insert puts offload's rules last in
 * its output, boxnet loads them first; their order is the table comparison's to check. */
static size_t split_items(char *text, char **v, size_t max)
{
	size_t n = 0, len = strlen(text);
	while (len && text[len - 1] == '\n')	/* the last item ends like the others */
		text[--len] = '\0';
	for (char *p = text; p && *p && n < max; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "inet boxnet ", 12) && strncmp(p, "set ", 4) && strncmp(p, "element ", 8))
			continue;
		if (p > text)
			p[-1] = '\0';
		v[n++] = p;
	}
	qsort(v, n, sizeof(*v), by_text);
	return n;
}

/* boxnet's rules, sets and elements for tests/plan/NAME.conf, as text, in mine. */
static bool encode(const char *name, struct sbuf *mine)
{
	char path[320];
	struct config c = {.file = path};
	struct diag d = {.file = path};
	struct ruleset rs;
	struct talk t = {0};
	struct sbuf text = {0};
	snprintf(path, sizeof(path), "tests/plan/%s.conf", name);
	bool ok = read_file(path, &text) == 0;
	if (ok) {
		conf_parse(&c, text.buf, text.len, &d);
		conf_validate(&c, &d);
		ok = !d.errors && rules_build(&c, &rs) == 0 && nft_put_load(&t, &rs, "boxnet 00000000", false, false) == 0;
		if (d.errors == 0)
			rules_free(&rs);
	}
	/* the last message is still open: its length is in its header */
	size_t len = t.len > t.last ? t.last + NLMSG_ALIGN(((struct nlmsghdr *)(t.buf + t.last))->nlmsg_len) : 0;
	int left = ok ? (int)len : 0;
	for (const struct nlmsghdr *nlh = (const void *)t.buf; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWRULE)
			rule_text_of(mine, nlh);
		else if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWSET || (nlh->nlmsg_type & 0xff) == NFT_MSG_NEWSETELEM)
			set_text_of(mine, nlh);
	free(t.buf);
	free(t.reqs);
	sbuf_free(&text);
	diag_free(&d);
	conf_free(&c);
	return ok;
}

void test_netlink(struct unit *u)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	/* The captures show host-order words of an x86_64 nft: this host would show others. */
	printf("ok - netlink captures: taken on x86_64, not comparable on a big-endian host (skipped)\n");
	return;
#endif
	DIR *dir = opendir("tests/unit/netlink");
	struct dirent *de;
	unsigned files = 0;
	CHECK(u, dir != NULL, "tests/unit/netlink: the captures of nft's encoding are there");
	while (dir && (de = readdir(dir))) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".txt"))
			continue;
		char name[256], path[320];	/* room for any d_name: no truncation to warn of */
		snprintf(name, sizeof(name), "%.*s", (int)(len - 4), de->d_name);
		snprintf(path, sizeof(path), "tests/unit/netlink/%s.txt", name);
		struct sbuf mine = {0}, theirs = {0};
		char *a[512], *b[512];
		files++;
		bool ok = encode(name, &mine) && read_file(path, &theirs) == 0;
		size_t na = ok ? split_items(mine.buf, a, 512) : 0, nb = ok ? split_items(theirs.buf, b, 512) : 0, k = 0;
		while (k < na && k < nb && !strcmp(a[k], b[k]))
			k++;
		CHECK(u, ok && na == nb && k == na && na > 0,
		      "%s: boxnet's %zu rules, sets and elements are nft's %zu, byte by byte", name, na, nb);
		if (ok && (k < na || k < nb))
			printf("#   boxnet:\n%s\n#   nft:\n%s\n", k < na ? a[k] : "(none)", k < nb ? b[k] : "(none)");
		sbuf_free(&mine);
		sbuf_free(&theirs);
	}
	if (dir)
		closedir(dir);
	CHECK(u, files >= 10, "every plan config has its capture (%u)", files);
}
