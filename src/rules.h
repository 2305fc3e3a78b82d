/* rules.h: boxnet's nftables table as a plain model, shared by the printer and the encoder. */
#ifndef BOXNET_RULES_H
#define BOXNET_RULES_H

#include <stdint.h>

#include "conf.h"

#define NFT_TABLE "boxnet"
#define NFT_FAMILY "inet"	/* both families in one table */
#define NFT_COMMENT_SIZE 64

enum match_type {
	M_IIFNAME,
	M_OIFNAME,
	M_SADDR,
	M_CT_INVALID,
	M_CT_ESTABLISHED,	/* established or related */
	M_DADDR,
	M_FIB_LOCAL,		/* fib daddr type local: addressed to the box */
	M_CT_DNAT,		/* ct status dnat */
	M_PROTO,		/* meta l4proto: lo */
	M_DPORT,		/* th dport lo-hi, after an M_PROTO */
};

struct match {
	enum match_type type;
	const char *ifname;
	struct prefix net;
	uint16_t lo, hi;
};

enum verdict { V_ACCEPT, V_DROP, V_MASQUERADE, V_RETURN, V_DNAT };
enum chain_id { CHAIN_FORWARD, CHAIN_POSTROUTING, CHAIN_PREROUTING, CHAIN_OUTPUT, CHAIN_COUNT };

struct chain_info {
	const char *name, *type;
	unsigned hook;		/* NF_INET_* */
	int prio;
	const char *prio_name;
};

extern const struct chain_info rule_chains[CHAIN_COUNT];

struct rule {
	enum chain_id chain;
	unsigned nmatch;
	struct match m[6];
	enum verdict verdict;
	struct prefix to;	/* V_DNAT: the target... */
	uint16_t to_port;	/* ...and its port, 0 to keep the port */
};

struct ruleset {
	struct rule *v;
	size_t n, cap;
	unsigned chains;	/* bit per chain_id that has rules */
	uint32_t digest;	/* of the rendered text: tells an up-to-date table apart */
	bool oom;
	struct rule sink;	/* what add() fills in once memory ran out: callers need no check */
};

int rules_build(const struct config *c, struct ruleset *rs);
void rules_free(struct ruleset *rs);
/* nft syntax of one rule, e.g. ip saddr 10.0.0.0/24 masquerade */
void rule_text(const struct rule *r, struct sbuf *out);
/* The table's body (comment excluded) as nft -f reads it, one tab of indent per level. */
void rules_text(const struct ruleset *rs, struct sbuf *out);
/* The table comment, "boxnet DIGEST": marks the table as boxnet's, and tells whether it holds
 * the rules of this config. */
void rules_comment(const struct ruleset *rs, char out[NFT_COMMENT_SIZE]);

#endif
