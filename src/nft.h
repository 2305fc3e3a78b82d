/* nft.h: boxnet's nftables table over nfnetlink: read it, load it, delete it. */
#ifndef BOXNET_NFT_H
#define BOXNET_NFT_H

#include <stddef.h>

#include <stdbool.h>

#include "rules.h"
#include "talk.h"

struct nft_copy;

/* The table's comment, and its flags and use in copy; -ENOENT when the table is not there. */
int nft_get_table(struct talk *t, bool legacy, char *comment, size_t size, struct nft_copy *copy);

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

/* Another table's base chain on a hook boxnet's traffic passes (forward, postrouting, input)
 * whose policy is drop: every base chain on a hook sees the packet, so its drop wins over
 * boxnet's accept. */
struct nft_other_chain {
	uint8_t family;
	uint32_t hook;
	char table[32], name[32];
};

/* A rule of such a table, in one of the few shapes boxnet understands: [meta iifname or
 * oifname, cmp eq] [counter] then accept, drop, jump or goto; or a ct state match that
 * accepts established flows. Other rules are left out (they accept nothing, as far as boxnet
 * knows). */
enum { OTHER_ANY, OTHER_IIF, OTHER_OIF, OTHER_CT };
struct nft_other_rule {
	uint8_t family, match, len;	/* len: of data, compared with the 16-byte padded name */
	unsigned char data[16];
	int32_t verdict;		/* NF_ACCEPT, NF_DROP, NFT_JUMP, NFT_GOTO */
	char table[32], chain[32], target[32];
};

/* A set's element, as boxnet understands them: a key of up to 16 bytes, and a verdict. */
struct nft_elem_copy {
	unsigned char key[16];
	uint8_t len;
	bool verdict;
	int32_t code;
	char chain[32];
};

struct nft_set_copy {
	char name[32];
	uint32_t flags, key_type, key_len, data_type, data_len;
	unsigned char udata[32];	/* for nft: how to show keys and data */
	uint8_t udata_len;
	bool odd;	/* holds what boxnet does not understand: an element with more, or a longer key */
	struct nft_elem_copy *elems;
	size_t nelems, elems_cap;
};

/* A flowtable of the table: its hook, priority, flags and devices (names, sorted). */
struct nft_ft_copy {
	char name[32];
	uint32_t hook, flags;
	int32_t prio;
	char (*devs)[16];
	size_t ndevs, devs_cap;
};

struct nft_copy {
	bool legacy;		/* of table ip boxnet, an older boxnet's, not table inet boxnet */
	bool ours, others_too;	/* what nft_read_table was asked to read, for its callbacks */
	uint32_t flags;		/* NFTA_TABLE_FLAGS: dormant... */
	uint32_t use;		/* NFTA_TABLE_USE: its chains, sets, objects and flowtables */
	char *comment;		/* where nft_get_table puts the table's comment, for its callback */
	size_t comment_size;
	struct nft_chain_copy *chains;
	size_t nchains, chains_cap;
	struct nft_rule_copy *rules;
	size_t nrules, rules_cap;
	struct nft_set_copy *sets;
	size_t nsets, sets_cap;
	struct nft_ft_copy *fts;	/* read only when the table's use counts more than chains and sets */
	size_t nfts, fts_cap;
	/* Read only when asked (up, status): the other tables that may drop boxnet's traffic. */
	struct nft_other_chain *others;
	size_t nothers, others_cap;
	struct nft_other_rule *orules;
	size_t norules, orules_cap;
};

/* legacy: the table ip boxnet of a boxnet before dual stack, instead of table inet boxnet. */

/* Its chains and rules (flags and use, from nft_get_table, are kept) when ours; with others,
 * also what other tables (ip, inet) hold that may drop boxnet's traffic. One dump of chains
 * and one of rules, all families. */
int nft_read_table(struct talk *t, struct nft_copy *copy, bool ours, bool others);
/* One line in out ("nftables chain ... blocks ...: add ...") for each such chain that would
 * drop the traffic of a segment; uplink is the config's uplink, or "". */
void nft_check_others(const struct nft_copy *copy, const struct segment *segs, size_t n, const char *uplink,
		      struct sbuf *out);
/* Queues a transaction that puts the copied table back, with the given comment. */
int nft_put_restore(struct talk *t, const struct nft_copy *copy, const char *comment);
void nft_copy_free(struct nft_copy *copy);
/* Is the copied table exactly what nft_put_load makes of the ruleset: no table flag, its
 * chains (type, hook, priority, policy accept), each with the same rules in the same order,
 * and nothing else? The comment is the caller's to compare. */
bool nft_copy_matches(const struct nft_copy *copy, const struct ruleset *rs);
/* Queues one transaction that replaces the table with the ruleset, or creates it when it
 * does not exist (talk_flush_batch sends it); with legacy, the old table ip boxnet goes in it
 * too. */
int nft_put_load(struct talk *t, const struct ruleset *rs, const char *comment, bool exists, bool legacy);
int nft_put_delete(struct talk *t, bool legacy);
/* Queues a transaction that adds the devices (the names, n of them) to the flowtable that the
 * load made. */
int nft_put_offload(struct talk *t, const char *const *devs, size_t n);
/* Has the copy's flowtable exactly these devices (sorted by name)? */
bool nft_ft_devs_match(const struct nft_copy *copy, const char *const *devs, size_t n);
/* What kernel feature a refused nft message needs: "CONFIG_NFT_MASQ (masquerade)"...; *also: a
 * second one that the same rule may lack instead (its match's), or left alone. */
const char *nft_feature(const struct talk_error *e, const char **also);

#endif
