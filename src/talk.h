/* talk.h: the one netlink talk layer: sockets, sequence numbers, acks, extack, batching. */
#ifndef BOXNET_TALK_H
#define BOXNET_TALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libmnl/libmnl.h>

/* The room each message may take; every attribute put is checked against it. */
#define TALK_MSG_ROOM 1024
/* The default answer buffer: larger than any dump part the kernel builds (32 KiB). */
#define TALK_RX_SIZE (64 * 1024)

/* A message being built: libmnl's checked puts, with one overflow flag for the whole message. */
struct msg {
	struct nlmsghdr *nlh;
	bool overflow;
};

void msg_put(struct msg *m, uint16_t type, size_t len, const void *data);
void msg_put_u32(struct msg *m, uint16_t type, uint32_t v);
void msg_put_be32(struct msg *m, uint16_t type, uint32_t v);
void msg_put_str(struct msg *m, uint16_t type, const char *s);	/* with its NUL */
struct nlattr *msg_nest(struct msg *m, uint16_t type);
void msg_nest_end(struct msg *m, struct nlattr *nest);
/* Zeroed room for a fixed header: after nlmsghdr, or inside a nest (veth's peer ifinfomsg). */
void *msg_reserve(struct msg *m, size_t len);

/* Called for each data message of a reply (a dump's parts, a GET's answer). */
typedef int (*talk_cb)(const struct nlmsghdr *nlh, void *arg);

/* One request in flight; tag lets the caller name the object when the kernel refuses it. */
struct talk_req {
	uint32_t seq;
	uint16_t type;
	bool done;
	int err;			/* -errno from the kernel, 0 when acked */
	talk_cb cb;
	void *arg;
	const void *tag;
	bool *acked;			/* set when the kernel acked it: what to undo on failure */
	int fine;			/* an error that means done all the same (-ENODEV...) */
};

/* What the kernel said when it refused a request. */
struct talk_error {
	int err;			/* -errno */
	uint16_t type;			/* the refused message type */
	const void *tag;
	char text[192];			/* the kernel's extack message, or "" */
};

struct talk;
struct iovec;

/* Test builds (BOXNET_FAULTS): the Nth operation of the whole run fails as if the kernel had
 * refused it, to prove that every failure is undone. */
struct fault {
	unsigned long count, fail_at;
	bool kill;		/* SIGKILL at that operation instead: a boxnet that dies midway */
};

/* Counts one operation; true when it is the one to fail. Normal builds have no hook, and no
 * code for it: every test of it folds away. */
#ifdef BOXNET_FAULTS
bool fault_hit(struct fault *f);
#else
static inline bool fault_hit(struct fault *f)
{
	(void)f;
	return false;
}
#endif

/* How requests reach the kernel and answers come back: a socket, or canned answers in tests
 * and fuzzing. recv returns a datagram's whole length, even when larger than size. */
struct talk_io {
	ssize_t (*send)(struct talk *t, const struct iovec *iov, size_t n);
	ssize_t (*recv)(struct talk *t, void *buf, size_t size, int flags);
};

/* A buffer for answers. The talks of a run take turns, so they share one (talk_share_rx). */
struct talk_rx {
	char *buf;
	size_t size;		/* 0: the default */
};

struct talk {
	const struct talk_io *io;	/* NULL: the socket */
	void *io_arg;
	struct mnl_socket *nl;
	uint32_t portid, seq;
	uint32_t dump_seq;		/* dumps count apart, so pending seqs stay consecutive */
	const char *where;		/* "" for the host, else the namespace name */
	char *buf;			/* pending messages */
	size_t len, cap, last;		/* last: offset of the message being built */
	struct talk_req *reqs;
	size_t nreqs, reqs_cap;
	struct talk_rx rx;		/* its own, unless it was given rx_shared */
	struct talk_rx *rx_shared;
	struct talk_error error;	/* the first refusal since the last talk_flush */
	struct msg msg;			/* the message being built (talk_add) */
	struct fault *fault;		/* NULL but in test runs */
	bool extack;			/* asked for, before the first change sent */
	bool intr;			/* the dump answered was interrupted (NLM_F_DUMP_INTR) */
};

int talk_open(struct talk *t, int proto, const char *where);
/* A talk without a socket, for tests and fuzzing. */
int talk_open_io(struct talk *t, const struct talk_io *io, void *arg, const char *where);
void talk_close(struct talk *t);
/* Asks the kernel to check dump requests strictly, and so to honour their filters (Linux
 * 4.20); older kernels dump everything, and the callbacks must filter as well. */
void talk_strict(struct talk *t);
/* Reads answers into rx, which the caller frees (talk_rx_free) after the last talk_close. */
void talk_share_rx(struct talk *t, struct talk_rx *rx);
void talk_rx_free(struct talk_rx *rx);

/* Starts a request; NLM_F_REQUEST|NLM_F_ACK are added. Out of memory, the message comes
 * back overflowed. It lives in t until the next talk_add: builders hold a pointer, not a
 * copy on their stack. */
struct msg *talk_add(struct talk *t, uint16_t type, uint16_t flags, const void *tag);
/* Routes the data messages of the request just added to cb. */
void talk_on_reply(struct talk *t, talk_cb cb, void *arg);
/* Sets *acked once the kernel acked the request just added. */
void talk_track(struct talk *t, bool *acked);
/* The request just added is done too when the kernel answers with this error. */
void talk_fine(struct talk *t, int err);
bool talk_pending(const struct talk *t);

/* Sends what is pending, in as few sendmsg calls as the buffers allow, and waits for every
 * answer. Returns 0, or the first refusal's -errno with its details in t->error. */
int talk_flush(struct talk *t);
/* The same for nfnetlink: one BATCH_BEGIN ... BATCH_END transaction in one sendmsg. Without
 * commit, BATCH_END is left out, so the kernel checks everything and then aborts. */
int talk_flush_batch(struct talk *t, uint16_t res_id, bool commit);
/* A dump; reset runs before each retry after the kernel flagged the dump as interrupted. */
int talk_dump(struct talk *t, uint16_t type, const void *hdr, size_t hdr_len, talk_cb cb,
	      void (*reset)(void *arg), void *arg);

#endif
