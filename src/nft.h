/* nft.h: boxnet's nftables table over nfnetlink: read it, load it, delete it. */
#ifndef BOXNET_NFT_H
#define BOXNET_NFT_H

#include <stddef.h>

#include "rules.h"
#include "talk.h"

/* The table's comment; -ENOENT when the table is not there. */
int nft_get_table(struct talk *t, char *comment, size_t size);
/* Queues one transaction that replaces the table with the ruleset (talk_flush_batch sends it). */
int nft_put_load(struct talk *t, const struct ruleset *rs, const char *comment);
int nft_put_delete(struct talk *t);
/* What kernel feature a refused nft message needs: "CONFIG_NFT_MASQ (masquerade)"... */
const char *nft_feature(const struct talk_error *e);

#endif
