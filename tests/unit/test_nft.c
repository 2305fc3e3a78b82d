/* test_nft.c: the nfnetlink encoding of boxnet's table, decoded back without a kernel. */
#include <arpa/inet.h>
#include <stdlib.h>

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

void test_nft(struct unit *u)
{
	struct config c = {.file = "t.conf"};
	struct diag d = {.file = "t.conf"};
	struct ruleset rs;
	struct talk t = {0};
	struct walk w = {0}, prev = {0};
	const char *text = "uplink = eth0\nbridge.br0.address = 10.0.0.1/24\n";

	conf_parse(&c, text, strlen(text), &d);
	conf_validate(&c, &d);
	rules_build(&c, &rs);
	CHECK(u, nft_put_load(&t, &rs, "boxnet 12345678", true) == 0, "the table encodes");
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
		if (type == NFT_MSG_NEWRULE) {
			prev = w;
			w.rules++;
			read_rule(&w, nlh);
		}
	}
	CHECK(u, w.tables == 1 && w.chains == 2 && w.rules == 6,
	      "delete, create: 1 table, 2 chains, 6 rules (%u, %u, %u)", w.tables, w.chains, w.rules);
	/* The rule before the last: oifname "br0" accept, the segment exempt from NAT */
	CHECK(u, prev.n == 3 && !strcmp(prev.names[0], "meta") && !strcmp(prev.names[1], "cmp") &&
		 !strcmp(prev.names[2], "immediate"),
	      "NAT exemption rule: meta cmp immediate");
	CHECK(u, prev.cmp_len[1] == 16 && !memcmp(prev.cmp[1], "br0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16),
	      "interface names compare as 16 zero-padded bytes");
	/* The last rule: ip saddr 10.0.0.0/24 masquerade, on every other exit */
	CHECK(u, w.n == 3 && !strcmp(w.names[0], "payload") && !strcmp(w.names[1], "cmp") && !strcmp(w.names[2], "masq"),
	      "masquerade rule: payload cmp masq");
	CHECK(u, w.payload_len == 3 && w.cmp_len[1] == 3 && !memcmp(w.cmp[1], "\x0a\x00\x00", 3),
	      "a /24 compares the first three bytes of the source address");
	free(t.buf);
	free(t.reqs);
	rules_free(&rs);
	diag_free(&d);
	conf_free(&c);
}
