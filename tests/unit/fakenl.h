/* fakenl.h: a fake kernel for the talk layer: canned answers instead of a netlink socket. */
#ifndef BOXNET_FAKENL_H
#define BOXNET_FAKENL_H

#include <stddef.h>

#include "talk.h"

#define FAKE_MAX 64

/* Each datagram is returned in turn. In its messages, nlmsg_seq is an offset from the seq
 * of the first request of the last send (the BATCH_BEGIN of nftables does not count), and
 * nlmsg_pid is set to the talk's portid, so canned answers match whatever seq boxnet used. */
struct fake {
	unsigned char *dgram[FAKE_MAX];
	size_t len[FAKE_MAX];
	int err[FAKE_MAX];	/* instead of a datagram: recv fails with this errno */
	size_t claim[FAKE_MAX];	/* a length larger than len: the datagram was cut off */
	unsigned after[FAKE_MAX];	/* not there before this many sends: an answer to a retry */
	size_t n, next;
	uint32_t base;
	unsigned sends;
};

extern const struct talk_io fake_io;

void fake_reset(struct fake *f);
/* Adds a datagram (copied) to the queue. */
void fake_add(struct fake *f, const void *data, size_t len);
void fake_add_error(struct fake *f, int err);

/* Builders: append one message to buf at *off. */
void fake_msg(unsigned char *buf, size_t *off, uint16_t type, uint16_t flags, uint32_t rel_seq,
	      const void *payload, size_t len);
void fake_ack(unsigned char *buf, size_t *off, uint32_t rel_seq, int error, const char *extack);
void fake_done(unsigned char *buf, size_t *off, uint32_t rel_seq, uint16_t flags);
/* The kernel's dumps of a table that holds exactly what nft_put_load queued in t: its chain,
 * rule, set, element and flowtable messages, as NLMSG_DONE-ended parts in nft_read_table's
 * order (chains, rules, sets, each set's elements, then flowtables) of FAKE_PART bytes each, at most nparts of them, with
 * their lengths in len. Returns the number of parts. */
#define FAKE_PART 32768
size_t fake_table_dumps(const struct talk *t, unsigned char (*part)[FAKE_PART], size_t *len, size_t nparts);
/* An RTM_NEWLINK dump part for a link with ifindex, name and optional alias and kind. */
void fake_link(unsigned char *buf, size_t *off, uint32_t rel_seq, uint16_t flags, int index,
	       const char *name, const char *alias, const char *kind);

#endif
