/* talk.c: netlink requests over libmnl: pipelined sends, ack matching, extack, dumps. */
#include "talk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "util.h"

/* Acks are queued in our receive buffer while the kernel runs the whole send: bound a send
 * so that its acks (and GET answers) always fit, or the kernel drops them (ENOBUFS). */
enum {
	SEND_MAX_MSGS = 64,
	SEND_MAX_BYTES = 64 * 1024,
	RCVBUF = 4 * 1024 * 1024,
};

/* ---- message building ---- */

void msg_put(struct msg *m, uint16_t type, size_t len, const void *data)
{
	if (!m->overflow && !mnl_attr_put_check(m->nlh, TALK_MSG_ROOM, type, len, data))
		m->overflow = true;
}

void msg_put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	msg_put(m, type, sizeof(v), &v);
}

void msg_put_be32(struct msg *m, uint16_t type, uint32_t v)
{
	msg_put_u32(m, type, htonl(v));
}

void msg_put_str(struct msg *m, uint16_t type, const char *s)
{
	msg_put(m, type, strlen(s) + 1, s);
}

struct nlattr *msg_nest(struct msg *m, uint16_t type)
{
	struct nlattr *n = m->overflow ? NULL : mnl_attr_nest_start_check(m->nlh, TALK_MSG_ROOM, type);
	if (!n)
		m->overflow = true;
	return n;
}

void msg_nest_end(struct msg *m, struct nlattr *nest)
{
	if (nest && !m->overflow)
		mnl_attr_nest_end(m->nlh, nest);
}

void *msg_reserve(struct msg *m, size_t len)
{
	if (m->overflow || m->nlh->nlmsg_len + MNL_ALIGN(len) > TALK_MSG_ROOM) {
		m->overflow = true;
		return NULL;
	}
	return mnl_nlmsg_put_extra_header(m->nlh, len);
}

/* ---- sockets ---- */

/* Socket options from constants: a local whose address is taken would cost each caller a
 * stack-protector check. */
static const int one = 1, rcvbuf = RCVBUF;

/* Switches a netlink option of the socket on (a test talk has none). */
static void option_on(struct talk *t, int opt)
{
	if (t->nl)
		setsockopt(mnl_socket_get_fd(t->nl), SOL_NETLINK, opt, &one, sizeof(one));
}

int talk_open(struct talk *t, int proto, const char *where)
{
	*t = (struct talk){.where = where};
	t->nl = mnl_socket_open2(proto, SOCK_CLOEXEC);
	if (!t->nl)
		return -errno;
	/* The host's sockets carry hundreds of answers at once; a namespace's, a few, and cost
	 * at boot for each namespace: those are bound by their first send, and keep their
	 * defaults. */
	if (!where[0]) {
		int fd = mnl_socket_get_fd(t->nl);
		if (mnl_socket_bind(t->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
			int err = -errno;
			talk_close(t);
			return err;
		}
		option_on(t, NETLINK_CAP_ACK);
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		t->portid = mnl_socket_get_portid(t->nl);
	}
	t->seq = (uint32_t)time(NULL) & 0x3fffffff;
	return 0;
}

int talk_open_io(struct talk *t, const struct talk_io *io, void *arg, const char *where)
{
	*t = (struct talk){.io = io, .io_arg = arg, .where = where, .portid = 1, .seq = 1};
	return 0;
}

void talk_strict(struct talk *t)
{
	option_on(t, NETLINK_GET_STRICT_CHK);
}

void talk_close(struct talk *t)
{
	if (t->nl)
		mnl_socket_close(t->nl);
	free(t->buf);
	free(t->reqs);
	talk_rx_free(&t->rx);
	*t = (struct talk){0};
}

void talk_share_rx(struct talk *t, struct talk_rx *rx)
{
	t->rx_shared = rx;
}

void talk_rx_free(struct talk_rx *rx)
{
	free(rx->buf);
	*rx = (struct talk_rx){0};
}

/* The buffer answers are read into, allocated on first use and kept: allocating it for each
 * exchange costs an mmap and munmap apiece with some allocators (musl's). */
static struct talk_rx *rx_get(struct talk *t)
{
	struct talk_rx *rx = t->rx_shared ? t->rx_shared : &t->rx;
	if (!rx->buf) {
		rx->size = rx->size ? rx->size : TALK_RX_SIZE;
		rx->buf = malloc(rx->size);
	}
	return rx->buf ? rx : NULL;
}

/* ---- building requests ---- */

static size_t finish_last(struct talk *t)
{
	if (t->len > t->last) {
		const struct nlmsghdr *nlh = (const void *)(t->buf + t->last);
		t->len = t->last + NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return t->len;
}

struct msg *talk_add(struct talk *t, uint16_t type, uint16_t flags, const void *tag)
{
	struct msg *m = &t->msg;
	size_t off = finish_last(t);
	*m = (struct msg){.overflow = true};
	if (grow(&t->buf, &t->cap, off + TALK_MSG_ROOM, 1) ||
	    grow(&t->reqs, &t->reqs_cap, t->nreqs + 1, sizeof(*t->reqs)))
		return m;
	/* Attribute padding is sent as it lies: zero it. */
	memset(t->buf + off, 0, TALK_MSG_ROOM);
	m->overflow = false;
	m->nlh = mnl_nlmsg_put_header(t->buf + off);
	m->nlh->nlmsg_type = type;
	m->nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	m->nlh->nlmsg_seq = ++t->seq;
	t->last = off;
	t->len = off + m->nlh->nlmsg_len;
	t->reqs[t->nreqs++] = (struct talk_req){.seq = t->seq, .type = type, .tag = tag};
	return m;
}

void talk_on_reply(struct talk *t, talk_cb cb, void *arg)
{
	if (t->nreqs) {
		t->reqs[t->nreqs - 1].cb = cb;
		t->reqs[t->nreqs - 1].arg = arg;
	}
}

void talk_track(struct talk *t, bool *acked)
{
	if (t->nreqs)
		t->reqs[t->nreqs - 1].acked = acked;
}

void talk_fine(struct talk *t, int err)
{
	if (t->nreqs)
		t->reqs[t->nreqs - 1].fine = err;
}

bool talk_pending(const struct talk *t)
{
	return t->nreqs != 0;
}

/* ---- replies ---- */

struct extack {
	const char *msg;
};

static int extack_attr(const struct nlattr *a, void *data)
{
	struct extack *e = data;
	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		e->msg = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

static void refuse(struct talk *t, struct talk_req *r, int err, const char *text)
{
	r->err = err;
	if (t->error.err)
		return;
	t->error = (struct talk_error){.err = err, .type = r->type, .tag = r->tag};
	if (text)
		snprintf(t->error.text, sizeof(t->error.text), "%s", text);
}

static void on_error_msg(struct talk *t, struct talk_req *r, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct extack ext = {0};
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		refuse(t, r, -EBADMSG, "truncated error message");
		r->done = true;
		return;
	}
	if (e->error && (nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
		/* The TLVs follow the error and, unless capped, the whole refused message. */
		size_t off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len >= sizeof(e->msg) ? e->msg.nlmsg_len - sizeof(e->msg) : 0;
		if (off <= mnl_nlmsg_get_payload_len(nlh))
			mnl_attr_parse(nlh, (unsigned)off, extack_attr, &ext);
	}
	if (e->error && e->error != r->fine)
		refuse(t, r, e->error, ext.msg);
	else if (r->acked)
		*r->acked = true;
	r->done = true;
}

static struct talk_req *find_req(struct talk_req *reqs, size_t n, uint32_t seq)
{
	if (!n || seq - reqs[0].seq >= n)
		return NULL;
	return &reqs[seq - reqs[0].seq];
}

/* libmnl's mnl_nlmsg_ok() takes a length above 2 GiB for a negative one: check it here. */
static bool msg_fits(const struct nlmsghdr *nlh, size_t left)
{
	return left >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) && nlh->nlmsg_len <= left;
}

/* Handles one received datagram for the requests reqs[0..n), whose seqs are consecutive. */
static int dispatch(struct talk *t, struct talk_req *reqs, size_t n, const char *data, size_t len)
{
	for (size_t off = 0; off < len;) {
		const struct nlmsghdr *nlh = (const void *)(data + off);
		if (!msg_fits(nlh, len - off))
			return -EBADMSG;
		size_t step = NLMSG_ALIGN(nlh->nlmsg_len);
		off += step < len - off ? step : len - off;	/* the last one may be unpadded */
		if (t->portid && nlh->nlmsg_pid != t->portid && nlh->nlmsg_pid != 0)
			continue;
		struct talk_req *r = find_req(reqs, n, nlh->nlmsg_seq);
		if (!r || r->done)
			continue;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			t->intr = true;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			on_error_msg(t, r, nlh);
		} else if (nlh->nlmsg_type == NLMSG_DONE) {
			int err = 0;
			if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
				memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
			if (err)
				refuse(t, r, err, NULL);
			r->done = true;
		} else if (r->cb && !r->err) {
			int err = r->cb(nlh, r->arg);
			if (err < 0)
				refuse(t, r, err, "boxnet could not read the kernel's answer");
		}
	}
	return 0;
}

/* The kernel handles a send whole, before sendmsg returns: every answer to it is queued by
 * then. Only errors, data and the last request's ack come back (see talk_flush). So: wait
 * until reqs[n - 1] is answered, or, for an nftables batch (no ack at all), take what is
 * queued; then all that was not refused is done. */
/* One datagram into rx, its whole length returned (MSG_TRUNC), even when cut off. */
static ssize_t recv_into(struct talk *t, struct talk_rx *rx, int flags)
{
	flags |= MSG_TRUNC;
	return t->io ? t->io->recv(t, rx->buf, rx->size, flags)
		     : recv(mnl_socket_get_fd(t->nl), rx->buf, rx->size, flags);
}

static int receive(struct talk *t, struct talk_req *reqs, size_t n, bool batch)
{
	struct talk_rx *rx = rx_get(t);
	if (!rx)
		return -ENOMEM;
	while (n && (batch || !reqs[n - 1].done)) {
		ssize_t got = recv_into(t, rx, batch ? MSG_DONTWAIT : 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && batch && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (got < 0)
			return -errno;	/* ENOBUFS: answers were lost, so none can be trusted */
		if ((size_t)got > rx->size) {
			/* Cut off: what was lost cannot be asked for again. Make room for next time. */
			void *bigger = realloc(rx->buf, (size_t)got);
			if (bigger) {
				rx->buf = bigger;
				rx->size = (size_t)got;
			}
			return -EMSGSIZE;
		}
		int err = dispatch(t, reqs, n, rx->buf, (size_t)got);
		if (err)
			return err;
	}
	for (size_t i = 0; i < n; i++) {
		if (!reqs[i].done && !reqs[i].err && reqs[i].acked)
			*reqs[i].acked = true;
		reqs[i].done = true;
	}
	return 0;
}

/* The send buffer goes back after each exchange: with a socket per namespace, keeping one
 * each would cost a page or more per namespace. */
static NOINLINE void reset_pending(struct talk *t)
{
	t->len = t->last = t->cap = 0;
	t->nreqs = 0;
	free(t->buf);
	t->buf = NULL;
}

#ifdef BOXNET_FAULTS
bool fault_hit(struct fault *f)
{
	if (!f || ++f->count != f->fail_at)
		return false;
	if (f->kill)
		raise(SIGKILL);
	return true;
}
#endif

/* The request about to be sent is refused instead, when the test hook says so. */
static bool inject_fault(struct talk *t, size_t i)
{
	if (!fault_hit(t->fault))
		return false;
	refuse(t, &t->reqs[i], -EIO, "boxnet test hook: injected failure");
	t->reqs[i].done = true;
	return true;
}

/* The kernel's reasons, for the messages that change something: dumps need none, and a
 * no-op up sends only dumps, in every namespace. Older kernels lack extack; the errno
 * alone still works there. */
static void want_extack(struct talk *t)
{
	if (!t->extack)
		option_on(t, NETLINK_EXT_ACK);
	t->extack = true;
}

/* One send, and the answers to the requests reqs[0..n) it carries: 0, or the first refusal's
 * -errno (details in t->error). writev(): a netlink socket neither connected nor given an
 * address sends to the kernel, as sendmsg() to {AF_NETLINK, pid 0} would; musl's sendmsg() is
 * bulkier (it copies control messages). */
static int exchange(struct talk *t, const struct iovec *iov, size_t niov, struct talk_req *reqs, size_t n,
		    bool batch)
{
	size_t total = 0;
	for (size_t i = 0; i < niov; i++)
		total += iov[i].iov_len;
	ssize_t sent = t->io ? t->io->send(t, iov, niov) : writev(mnl_socket_get_fd(t->nl), iov, (int)niov);
	if (sent < 0)
		return -errno;
	if ((size_t)sent != total)
		return -EMSGSIZE;
	int err = receive(t, reqs, n, batch);
	return err ? err : t->error.err;
}

/* What both flushes do first; the length of what is pending. */
static NOINLINE size_t flush_start(struct talk *t)
{
	want_extack(t);
	t->error = (struct talk_error){0};
	return finish_last(t);
}

int talk_flush(struct talk *t)
{
	int err = 0;
	size_t i = 0, pos = 0;
	flush_start(t);
	while (i < t->nreqs && !err) {
		/* One send: at most SEND_MAX_MSGS messages and SEND_MAX_BYTES bytes. */
		size_t start = i, from = pos;
		bool faulted = false;
		struct nlmsghdr *last = NULL;
		while (i < t->nreqs && i - start < SEND_MAX_MSGS) {
			struct nlmsghdr *nlh = (struct nlmsghdr *)(t->buf + pos);
			size_t sz = NLMSG_ALIGN(nlh->nlmsg_len);
			if (pos > from && pos - from + sz > SEND_MAX_BYTES)
				break;
			if ((faulted = inject_fault(t, i)))
				break;
			/* Acks cost a receive each: only the send's last request asks for one. */
			nlh->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
			last = nlh;
			pos += sz;
			i++;
		}
		if (last)
			last->nlmsg_flags |= NLM_F_ACK;
		if (pos > from) {
			struct iovec iov = {t->buf + from, pos - from};
			err = exchange(t, &iov, 1, t->reqs + start, i - start, false);
		} else {
			err = t->error.err;
		}
	}
	reset_pending(t);
	return err;
}

static void put_batch_marker(char buf[NLMSG_HDRLEN + 16], uint16_t type, uint32_t seq, uint16_t res_id)
{
	memset(buf, 0, NLMSG_HDRLEN + 16);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
}

int talk_flush_batch(struct talk *t, uint16_t res_id, bool commit)
{
	char begin[NLMSG_HDRLEN + 16], end[NLMSG_HDRLEN + 16];
	int err = 0;
	size_t len = flush_start(t);
	/* The kernel takes the transaction whole: the test hook counts it as one operation, and
	 * its failure names the last message, as the kernel's own answer would name one. */
	if (t->nreqs && inject_fault(t, t->nreqs - 1)) {
		reset_pending(t);
		return t->error.err;
	}
	for (size_t i = 0, pos = 0; i < t->nreqs; i++) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(t->buf + pos);
		/* No acks: nftables acks each message it is asked to, and errors come anyway. */
		nlh->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
		pos += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	put_batch_marker(begin, NFNL_MSG_BATCH_BEGIN, ++t->seq, res_id);
	put_batch_marker(end, NFNL_MSG_BATCH_END, ++t->seq, res_id);
	struct iovec iov[3] = {
		{begin, NLMSG_ALIGN(((struct nlmsghdr *)begin)->nlmsg_len)},
		{t->buf, len},
		{end, NLMSG_ALIGN(((struct nlmsghdr *)end)->nlmsg_len)},
	};
	/* The whole transaction must fit one skb: the send buffer bounds it. */
	int want = (int)(len + 64 * 1024);
	if (want > 200 * 1024 && !t->io) {
		int fd = mnl_socket_get_fd(t->nl);
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	}
	err = exchange(t, iov, commit ? 3 : 2, t->reqs, t->nreqs, true);
	reset_pending(t);
	return err;
}

/* Dumps use sequence numbers of their own, apart from those of pending requests. */
#define DUMP_SEQ_BASE 0x80000000u

/* After a dump went wrong midway, the kernel may still be sending its rest: take it all,
 * without waiting, before asking again (a new dump while one runs is refused). */
static void drain(struct talk *t)
{
	struct talk_rx *rx = rx_get(t);
	if (!rx)
		return;
	for (int i = 0; i < 1024; i++) {
		ssize_t got = recv_into(t, rx, MSG_DONTWAIT);
		if (got < 0 && errno != EINTR && errno != ENOBUFS)
			return;
	}
}

int talk_dump(struct talk *t, uint16_t type, const void *hdr, size_t hdr_len, talk_cb cb,
	      void (*reset)(void *arg), void *arg)
{
	char buf[NLMSG_HDRLEN + 64];
	if (hdr_len > 64)
		return -EINVAL;
	for (int attempt = 0; attempt < 10; attempt++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = type;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		nlh->nlmsg_seq = DUMP_SEQ_BASE | ++t->dump_seq;
		memcpy(mnl_nlmsg_put_extra_header(nlh, hdr_len), hdr, hdr_len);
		struct talk_req req = {.seq = nlh->nlmsg_seq, .type = type, .cb = cb, .arg = arg};
		struct iovec iov = {buf, nlh->nlmsg_len};
		t->error = (struct talk_error){0};
		t->intr = false;
		int err = exchange(t, &iov, 1, &req, 1, false);
		/* A dump that raced a change is not acted on: start again (after ENOBUFS or a cut
		 * off part likewise, the latter with a larger buffer). */
		if ((err == 0 && t->intr) || err == -ENOBUFS || err == -EMSGSIZE) {
			if (err)
				drain(t);
			if (reset)
				reset(arg);
			continue;
		}
		return err;
	}
	return -EAGAIN;
}
