/* fakenl.c: canned netlink answers for the talk layer, without a kernel. */
#include "fakenl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <linux/if_link.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

void fake_reset(struct fake *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->dgram[i]);
	*f = (struct fake){0};
}

void fake_add(struct fake *f, const void *data, size_t len)
{
	if (f->n == FAKE_MAX)
		return;
	f->dgram[f->n] = malloc(len ? len : 1);
	memcpy(f->dgram[f->n], data, len);
	f->len[f->n++] = len;
}

void fake_add_error(struct fake *f, int err)
{
	if (f->n == FAKE_MAX)
		return;
	f->err[f->n++] = err;
}

static ssize_t fake_send(struct talk *t, const struct iovec *iov, size_t n)
{
	struct fake *f = t->io_arg;
	ssize_t all = 0;
	bool based = false;
	f->sends++;
	for (size_t i = 0; i < n; i++) {
		const struct nlmsghdr *nlh = iov[i].iov_base;
		bool marker = n > 1 && i == 0 && nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN;
		if (!based && !marker) {
			f->base = nlh->nlmsg_seq;
			based = true;
		}
		all += (ssize_t)iov[i].iov_len;
	}
	return all;
}

static ssize_t fake_recv(struct talk *t, void *buf, size_t size, int flags)
{
	struct fake *f = t->io_arg;
	if (f->next == f->n || f->sends < f->after[f->next]) {
		errno = (flags & MSG_DONTWAIT) ? EAGAIN : EIO;	/* a real socket would block forever */
		return -1;
	}
	size_t i = f->next++;
	if (f->err[i]) {
		errno = f->err[i];
		return -1;
	}
	size_t len = f->len[i] < size ? f->len[i] : size;
	memcpy(buf, f->dgram[i], len);
	/* Make the canned seqs and pids those of this talk. */
	for (size_t off = 0; off + sizeof(struct nlmsghdr) <= len;) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)buf + off);
		nlh->nlmsg_seq += f->base;
		nlh->nlmsg_pid = t->portid;
		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len - off)
			break;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return (ssize_t)(f->claim[i] > f->len[i] ? f->claim[i] : f->len[i]);
}

const struct talk_io fake_io = {.send = fake_send, .recv = fake_recv};

void fake_msg(unsigned char *buf, size_t *off, uint16_t type, uint16_t flags, uint32_t rel_seq,
	      const void *payload, size_t len)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(buf + *off);
	nlh->nlmsg_len = (uint32_t)(NLMSG_HDRLEN + len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = rel_seq;
	nlh->nlmsg_pid = 0;
	memcpy(buf + *off + NLMSG_HDRLEN, payload, len);
	*off += NLMSG_ALIGN(nlh->nlmsg_len);
}

void fake_ack(unsigned char *buf, size_t *off, uint32_t rel_seq, int error, const char *extack)
{
	unsigned char p[512] = {0};
	struct nlmsgerr *e = (struct nlmsgerr *)p;
	size_t len = sizeof(*e);
	e->error = error;
	e->msg.nlmsg_len = sizeof(e->msg);
	e->msg.nlmsg_seq = rel_seq;
	if (extack) {
		struct nlattr *a = (struct nlattr *)(p + len);
		a->nla_type = NLMSGERR_ATTR_MSG;
		a->nla_len = (uint16_t)(NLA_HDRLEN + strlen(extack) + 1);
		memcpy(p + len + NLA_HDRLEN, extack, strlen(extack) + 1);
		len += NLA_ALIGN(a->nla_len);
	}
	fake_msg(buf, off, NLMSG_ERROR, NLM_F_CAPPED | (extack ? NLM_F_ACK_TLVS : 0), rel_seq, p, len);
}

void fake_done(unsigned char *buf, size_t *off, uint32_t rel_seq, uint16_t flags)
{
	int zero = 0;
	fake_msg(buf, off, NLMSG_DONE, NLM_F_MULTI | flags, rel_seq, &zero, sizeof(zero));
}

static size_t put_attr(unsigned char *p, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)p;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy(p + NLA_HDRLEN, data, len);
	return NLA_ALIGN(a->nla_len);
}

void fake_link(unsigned char *buf, size_t *off, uint32_t rel_seq, uint16_t flags, int index,
	       const char *name, const char *alias, const char *kind)
{
	unsigned char p[512] = {0};
	struct ifinfomsg *ifi = (struct ifinfomsg *)p;
	size_t len = NLMSG_ALIGN(sizeof(*ifi));
	uint32_t mtu = 1500;
	ifi->ifi_index = index;
	len += put_attr(p + len, IFLA_IFNAME, name, strlen(name) + 1);
	len += put_attr(p + len, IFLA_MTU, &mtu, sizeof(mtu));
	if (alias)
		len += put_attr(p + len, IFLA_IFALIAS, alias, strlen(alias) + 1);
	if (kind) {
		unsigned char nest[64];
		size_t n = put_attr(nest, IFLA_INFO_KIND, kind, strlen(kind) + 1);
		len += put_attr(p + len, IFLA_LINKINFO, nest, n);
	}
	fake_msg(buf, off, RTM_NEWLINK, NLM_F_MULTI | flags, rel_seq, p, len);
}

size_t fake_table_dumps(const struct talk *t, unsigned char (*part)[FAKE_PART], size_t *len, size_t nparts)
{
	size_t sets = 0, fts = 0;
	for (size_t k = 0; k < nparts; k++)
		len[k] = 0;
	for (size_t off = 0; off < t->len;) {
		const struct nlmsghdr *nlh = (const void *)(t->buf + off);
		unsigned type = nlh->nlmsg_type & 0xff;
		/* the flowtable comes after the sets in the load, and is dumped after their elements */
		size_t k = type == NFT_MSG_NEWCHAIN ? 0 : type == NFT_MSG_NEWRULE ? 1 : type == NFT_MSG_NEWSET ? 2
			   : type == NFT_MSG_NEWSETELEM ? 2 + sets : type == NFT_MSG_NEWFLOWTABLE ? 3 + sets : nparts;
		sets += type == NFT_MSG_NEWSET;
		fts |= type == NFT_MSG_NEWFLOWTABLE;
		if (k < nparts && len[k] + nlh->nlmsg_len + 64 < FAKE_PART)
			fake_msg(part[k], &len[k], nlh->nlmsg_type, NLM_F_MULTI, 0, mnl_nlmsg_get_payload(nlh),
				 nlh->nlmsg_len - NLMSG_HDRLEN);
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	size_t n = 3 + sets + fts < nparts ? 3 + sets + fts : nparts;
	for (size_t k = 0; k < n; k++)
		fake_done(part[k], &len[k], 0, 0);
	return n;
}
