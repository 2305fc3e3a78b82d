/* nft.h: boxnet's nftables table over nfnetlink: read it, load it, delete it. */
#ifndef BOXNET_NFT_H
#define BOXNET_NFT_H

#include <stddef.h>

#include <stdbool.h>

#include "rules.h"
#include "talk.h"

struct nft_copy;

/* The table's comment, and its flags and use in copy; -ENOENT when the table is not there. */
int nft_get_table(struct talk *t, char *comment, size_t size, struct nft_copy *copy);

/* boxnet's table as the kernel holds it: kept to be put back when a later step of up fails,
 * and to notice anything changed by hand. */
struct nft_chain_copy {
	char name[32], type[16];
	uint32_t hook, policy;
	int32_t prio;
	bool base;
};

struct nft_rule_copy {
	char chain[32];
	unsigned char *exprs;	/* NFTA_RULE_EXPRESSIONS, as dumped */
	size_t len;
};

struct nft_copy {
	uint32_t flags;		/* NFTA_TABLE_FLAGS: dormant... */
	uint32_t use;		/* NFTA_TABLE_USE: its chains, sets, objects and flowtables */
	struct nft_chain_copy *chains;
	size_t nchains, chains_cap;
	struct nft_rule_copy *rules;
	size_t nrules, rules_cap;
};

/* Its chains and rules (flags and use, from nft_get_table, are kept). */
int nft_read_table(struct talk *t, struct nft_copy *copy);
/* Queues a transaction that puts the copied table back, with the given comment. */
int nft_put_restore(struct talk *t, const struct nft_copy *copy, const char *comment);
void nft_copy_free(struct nft_copy *copy);
/* Is the copied table exactly what nft_put_load makes of the ruleset: no table flag, its
 * chains (type, hook, priority, policy accept), each with the same rules in the same order,
 * and nothing else? The comment is the caller's to compare. */
bool nft_copy_matches(const struct nft_copy *copy, const struct ruleset *rs);
/* Queues one transaction that replaces the table with the ruleset, or creates it when it
 * does not exist (talk_flush_batch sends it). */
int nft_put_load(struct talk *t, const struct ruleset *rs, const char *comment, bool exists);
int nft_put_delete(struct talk *t);
/* What kernel feature a refused nft message needs: "CONFIG_NFT_MASQ (masquerade)"... */
const char *nft_feature(const struct talk_error *e);

#endif
