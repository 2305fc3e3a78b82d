/* test_talk.c: the talk layer against canned kernel answers: pipelined acks, extack,
 * multipart dumps, interrupted dumps, lost and cut-off answers, malformed answers. */
#include <errno.h>
#include <stdlib.h>

#include <linux/rtnetlink.h>

#include "fakenl.h"
#include "state.h"
#include "unit.h"

static unsigned char buf[16384];

static void new_ns(struct ns_state *ns, struct fake *f)
{
	*ns = (struct ns_state){.fd = -1};
	fake_reset(f);
	talk_open_io(&ns->rt, &fake_io, f, "test");
}

static void done_ns(struct ns_state *ns)
{
	talk_close(&ns->rt);
	free(ns->links);
	free(ns->addrs);
	free(ns->routes);
}

static void test_pipeline(struct unit *u)
{
	struct fake f = {0};
	struct talk t;
	bool acked[3] = {0};
	int tags[3];
	size_t off = 0;

	talk_open_io(&t, &fake_io, &f, "test");
	for (int i = 0; i < 3; i++) {
		struct msg *m = talk_add(&t, RTM_NEWLINK, 0, &tags[i]);
		msg_reserve(m, sizeof(struct ifinfomsg));
		talk_track(&t, &acked[i]);
	}
	fake_ack(buf, &off, 0, 0, NULL);
	fake_ack(buf, &off, 1, -EEXIST, "Link already exists");
	fake_add(&f, buf, off);
	off = 0;
	fake_ack(buf, &off, 2, 0, NULL);
	fake_add(&f, buf, off);
	int err = talk_flush(&t);
	CHECK(u, err == -EEXIST, "three requests in one send: the refusal is returned (%d)", err);
	CHECK(u, f.sends == 1, "one sendmsg for three requests (%u)", f.sends);
	CHECK(u, t.error.tag == &tags[1], "the refusal names the second request");
	CHECK_STR(u, t.error.text, "Link already exists", "the kernel's extack text is kept");
	CHECK(u, acked[0] && !acked[1] && acked[2], "acked: first and third, not the refused one");
	talk_close(&t);
	fake_reset(&f);
}

static void test_dumps(struct unit *u)
{
	struct fake f = {0};
	struct ns_state ns;
	size_t off;

	/* A dump in three parts, foreign noise in between. */
	new_ns(&ns, &f);
	for (int part = 0; part < 3; part++) {
		off = 0;
		char name[16];
		snprintf(name, sizeof(name), "if%d", 2 * part);
		fake_link(buf, &off, 0, 0, 2 * part + 1, name, part == 0 ? "boxnet" : NULL, "veth");
		snprintf(name, sizeof(name), "if%d", 2 * part + 1);
		fake_link(buf, &off, 0, 0, 2 * part + 2, name, NULL, NULL);
		if (part == 1)
			fake_link(buf, &off, 77, 0, 99, "noise", NULL, NULL);	/* another seq */
		if (part == 2)
			fake_done(buf, &off, 0, 0);
		fake_add(&f, buf, off);
	}
	int err = state_read_links(&ns);
	CHECK(u, err == 0 && ns.nlinks == 6, "a dump in three parts: six links (%d, %zu)", err, ns.nlinks);
	struct link *l = state_link(&ns, "if0");
	CHECK(u, l && l->ours && !strcmp(l->kind, "veth") && l->mtu == 1500, "a link's alias, kind and mtu are read");
	CHECK(u, !state_link(&ns, "noise"), "a message of another seq is ignored");
	done_ns(&ns);

	/* Interrupted: the first attempt is flagged NLM_F_DUMP_INTR, so it is thrown away. */
	new_ns(&ns, &f);
	off = 0;
	fake_link(buf, &off, 0, NLM_F_DUMP_INTR, 1, "stale", NULL, NULL);
	fake_done(buf, &off, 0, NLM_F_DUMP_INTR);
	fake_add(&f, buf, off);
	off = 0;
	fake_link(buf, &off, 0, 0, 1, "fresh", NULL, NULL);
	fake_done(buf, &off, 0, 0);
	fake_add(&f, buf, off);
	err = state_read_links(&ns);
	CHECK(u, err == 0 && f.sends == 2, "an interrupted dump is asked for again (%d, %u sends)", err, f.sends);
	CHECK(u, ns.nlinks == 1 && state_link(&ns, "fresh") && !state_link(&ns, "stale"),
	      "and only the second attempt counts");
	done_ns(&ns);

	/* Lost answers (ENOBUFS): again. */
	new_ns(&ns, &f);
	fake_add_error(&f, ENOBUFS);
	off = 0;
	fake_link(buf, &off, 0, 0, 1, "eth0", NULL, NULL);
	fake_done(buf, &off, 0, 0);
	fake_add(&f, buf, off);
	f.after[1] = 2;
	err = state_read_links(&ns);
	CHECK(u, err == 0 && ns.nlinks == 1 && f.sends == 2, "after ENOBUFS the dump is asked for again (%d)", err);
	done_ns(&ns);

	/* An answer larger than the buffer: the buffer grows and the dump is asked for again. */
	new_ns(&ns, &f);
	off = 0;
	fake_link(buf, &off, 0, 0, 1, "big", NULL, NULL);
	fake_add(&f, buf, off);
	f.claim[0] = TALK_RX_SIZE + 4096;
	off = 0;
	fake_link(buf, &off, 0, 0, 1, "eth0", NULL, NULL);
	fake_done(buf, &off, 0, 0);
	fake_add(&f, buf, off);
	f.after[1] = 2;
	err = state_read_links(&ns);
	CHECK(u, err == 0 && ns.nlinks == 1 && ns.rt.rx.size > TALK_RX_SIZE, "a cut-off answer: larger buffer, asked again (%d)", err);
	done_ns(&ns);

	/* A message that claims more bytes than the datagram holds. */
	new_ns(&ns, &f);
	off = 0;
	fake_link(buf, &off, 0, 0, 1, "eth0", NULL, NULL);
	((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)off + 64;
	fake_add(&f, buf, off);
	err = state_read_links(&ns);
	CHECK(u, err == -EBADMSG, "a truncated message is an error, not a short read (%d)", err);
	done_ns(&ns);

	/* A dump that ends in an error. */
	new_ns(&ns, &f);
	off = 0;
	int e = -EPERM;
	fake_msg(buf, &off, NLMSG_DONE, NLM_F_MULTI, 0, &e, sizeof(e));
	fake_add(&f, buf, off);
	err = state_read_links(&ns);
	CHECK(u, err == -EPERM, "an error at the end of a dump is returned (%d)", err);
	done_ns(&ns);

	/* A link message without a name is refused rather than half read. */
	new_ns(&ns, &f);
	off = 0;
	struct ifinfomsg ifi = {.ifi_index = 3};
	fake_msg(buf, &off, RTM_NEWLINK, NLM_F_MULTI, 0, &ifi, sizeof(ifi));
	fake_done(buf, &off, 0, 0);
	fake_add(&f, buf, off);
	err = state_read_links(&ns);
	CHECK(u, err == -EBADMSG, "a link without a name is a bad answer (%d)", err);
	done_ns(&ns);
	fake_reset(&f);
}

static void test_batch(struct unit *u)
{
	struct fake f = {0};
	struct talk t;
	size_t off = 0;
	int tags[4];

	talk_open_io(&t, &fake_io, &f, "nft");
	for (int i = 0; i < 4; i++)
		talk_add(&t, (uint16_t)(10 << 8), 0, &tags[i]);
	/* The kernel refuses the third and aborts: no other answer comes. */
	fake_ack(buf, &off, 0, 0, NULL);
	fake_ack(buf, &off, 1, 0, NULL);
	fake_ack(buf, &off, 2, -ENOENT, NULL);
	fake_add(&f, buf, off);
	int err = talk_flush_batch(&t, 10, true);
	CHECK(u, err == -ENOENT && t.error.tag == &tags[2], "a refused batch: the refused message is named (%d)", err);
	talk_close(&t);
	fake_reset(&f);
}

void test_talk(struct unit *u)
{
	test_pipeline(u);
	test_dumps(u);
	test_batch(u);
}
