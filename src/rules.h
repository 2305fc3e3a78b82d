/* rules.h: boxnet's nftables table as a plain model, shared by the printer and the encoder. */
#ifndef BOXNET_RULES_H
#define BOXNET_RULES_H

#include <stdint.h>

#include "conf.h"

#define NFT_TABLE "boxnet"
#define NFT_FAMILY "inet"	/* both families in one table */
#define NFT_COMMENT_SIZE 64
#define NFT_FLOWTABLE "ft"	/* offload: the fast path of established flows */

enum match_type {
	M_IIFNAME,
	M_SADDR,
	M_CT_INVALID,
	M_CT_ESTABLISHED,	/* established or related */
	M_DADDR,
	M_FIB_LOCAL,		/* fib daddr type local: addressed to the box */
	M_CT_DNAT,		/* ct status dnat */
	M_PROTO,		/* meta l4proto: lo */
	M_DPORT,		/* th dport lo-hi, after an M_PROTO */
	M_IIFSET,		/* iifname @set: lo is the set_id */
	M_OIFSET,		/* oifname @set */
	M_TCP_SYN,		/* tcp flags syn: a SYN or a SYN-ACK */
};

struct match {
	enum match_type type;
	const char *ifname;
	struct prefix net;
	uint16_t lo, hi;
};

/* V_JUMP: to chain CHAIN_FORWARDS; V_VMAP: oifname vmap @into, a jump to the chain of the
 * segment the packet leaves by; V_CLAMP: tcp option maxseg size set rt mtu, no verdict;
 * V_OFFLOAD: flow add @ft, no verdict either. */
enum verdict { V_ACCEPT, V_DROP, V_MASQUERADE, V_RETURN, V_DNAT, V_JUMP, V_VMAP, V_CLAMP, V_OFFLOAD };
/* The base chains, then the regular ones: forwards, and one per segment (CHAIN_INTO + its
 * index), which decides what may enter it. */
enum chain_id { CHAIN_FORWARD, CHAIN_POSTROUTING, CHAIN_PREROUTING, CHAIN_OUTPUT, CHAIN_FORWARDS, CHAIN_COUNT };
#define CHAIN_INTO CHAIN_COUNT
#define CHAIN_NAME_SIZE 24	/* into_ and an interface name */

struct chain_info {
	const char *name, *type;	/* type NULL: a regular chain */
	unsigned hook;		/* NF_INET_* */
	int prio;
	const char *prio_name;
};

extern const struct chain_info rule_chains[CHAIN_COUNT];

/* The sets of interface names, by segment: all of them, the open ones, and the map from each
 * to its chain. One lookup whatever their number. */
enum set_id { SET_SEGMENTS, SET_OPEN, SET_INTO, SET_COUNT };
#define SET_MAP(id) ((id) == SET_INTO)

extern const char rule_sets[SET_COUNT][9];

struct rule {
	unsigned chain;		/* chain_id, or CHAIN_INTO + a segment's index */
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
	unsigned sets;		/* bit per set_id in the table */
	bool offload;		/* flowtable ft: made without devices, which come once they exist */
	const struct segment *segs;	/* the config's: the chains CHAIN_INTO + i, the sets' elements */
	size_t nsegs;
	uint32_t digest;	/* of the rendered text: tells an up-to-date table apart */
	bool oom;
	struct rule sink;	/* what add() fills in once memory ran out: callers need no check */
};

int rules_build(const struct config *c, struct ruleset *rs);
/* Chain id's name: a constant, or written into buf. */
const char *chain_name(const struct ruleset *rs, unsigned id, char buf[CHAIN_NAME_SIZE]);
/* Is segment i an element of set id? */
bool set_has(const struct ruleset *rs, unsigned id, size_t i);
void rules_free(struct ruleset *rs);
/* nft syntax of one rule, e.g. ip saddr 10.0.0.0/24 masquerade */
void rule_text(const struct rule *r, struct sbuf *out);
/* The table's body (comment excluded) as nft -f reads it, one tab of indent per level; with
 * slow_only, without the flowtable and its rules (nft cannot make one without devices). */
void rules_text(const struct ruleset *rs, struct sbuf *out, bool slow_only);
/* The table comment, "boxnet DIGEST": marks the table as boxnet's, and tells whether it holds
 * the rules of this config. */
void rules_comment(const struct ruleset *rs, char out[NFT_COMMENT_SIZE]);

#endif
