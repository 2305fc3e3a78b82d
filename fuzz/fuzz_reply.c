/* fuzz_reply.c: libFuzzer harness: any bytes as the kernel's answers to boxnet's dumps and
 * requests, and the planner on what was read from them. The input is a list of datagrams,
 * each preceded by its 16-bit length; their messages' seqs count from the request's, as in
 * tests/unit/fakenl.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakenl.h"
#include "nft.h"
#include "plan.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void load(struct fake *f, const unsigned char *data, size_t size)
{
	fake_reset(f);
	while (size >= 2) {
		size_t len = (size_t)data[0] | (size_t)data[1] << 8;
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		fake_add(f, data, len);
		data += len;
		size -= len;
	}
}

/* What the planner is run with: a bridge with a namespace on it, and a peer namespace; its
 * names are those of the seeds' links (lo, eth0). Parsed once, and kept. */
static const char conf_text[] = "uplink = eth0\n"
				"bridge.br0.address = 10.0.0.1/24 10.0.1.1/24\n"
				"ns.a.bridge = br0\n"
				"ns.a.address = 10.0.0.2/24\n"
				"ns.p.peer = 10.9.0.1/30\n"
				"ns.p.address = 10.9.0.2/30\n";

static const struct config *fuzz_config(void)
{
	static struct config c = {.file = "fuzz.conf"};
	static int loaded;	/* 1: valid, -1: not */
	if (!loaded) {
		struct diag d = {.file = "fuzz.conf"};
		conf_parse(&c, conf_text, sizeof(conf_text) - 1, &d);
		conf_validate(&c, &d);
		loaded = d.errors ? -1 : 1;
		diag_free(&d);
	}
	return loaded > 0 ? &c : NULL;
}

/* A copy of what was read of a namespace: links, addresses, routes. */
static int copy_ns(struct ns_state *dst, const struct ns_state *src)
{
	dst->links = malloc((src->nlinks + 1) * sizeof(*dst->links));
	dst->addrs = malloc((src->naddrs + 1) * sizeof(*dst->addrs));
	dst->routes = malloc((src->nroutes + 1) * sizeof(*dst->routes));
	if (!dst->links || !dst->addrs || !dst->routes)
		return -1;
	/* memcpy from NULL is undefined even for no bytes: nothing read, nothing copied */
	if (src->nlinks)
		memcpy(dst->links, src->links, src->nlinks * sizeof(*dst->links));
	if (src->naddrs)
		memcpy(dst->addrs, src->addrs, src->naddrs * sizeof(*dst->addrs));
	if (src->nroutes)
		memcpy(dst->routes, src->routes, src->nroutes * sizeof(*dst->routes));
	dst->nlinks = dst->links_cap = src->nlinks;
	dst->naddrs = dst->addrs_cap = src->naddrs;
	dst->nroutes = dst->routes_cap = src->nroutes;
	return 0;
}

/* up and down planned (and printed) on what the answers said: their links, addresses and
 * routes as the host's and as namespace a's, the table as read (boxnet's when its comment
 * says so); the input's last byte says whether a exists and how forwarding stands. Takes
 * the table copy. */
static void plan_on(const struct ns_state *read, struct nft_copy *table, const char *comment, unsigned flags)
{
	static FILE *null;
	const struct config *c = fuzz_config();
	struct state st;
	struct plan p;
	if (!null)
		null = fopen("/dev/null", "w");
	if (!c || !null || state_init(&st, c) < 0) {
		nft_copy_free(table);
		return;
	}
	st.known = st.host.exists = true;
	st.table = *table;
	*table = (struct nft_copy){0};
	st.table_exists = comment[0] != '\0' || flags & 8;
	st.table_ours = !strncmp(comment, "boxnet ", 7);
	snprintf(st.table_comment, sizeof(st.table_comment), "%s", comment);
	st.ip_forward[FAM_V4] = flags & 1;
	st.ip_forward[FAM_V6] = !!(flags & 4);
	st.fwd_mark[FAM_V4] = flags & 2;
	st.fwd_mark[FAM_V6] = flags & 8;
	st.ns[0].exists = flags & 4;
	if (copy_ns(&st.host, read) == 0 && (!st.ns[0].exists || copy_ns(&st.ns[0], read) == 0)) {
		const struct link *lo = state_link(&st.ns[0], "lo");
		st.ns[0].ours = st.ns[0].exists && lo && lo->ours;
		if (plan_up(&p, c, &st) == 0)
			plan_print(&p, c, "fuzz", null);
		plan_free(&p);
		plan_down(&p, c, &st);
		plan_free(&p);
	}
	state_free(&st);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct fake f = {0};
	struct ns_state ns = {.fd = -1};
	char comment[NFT_COMMENT_SIZE];

	/* The same answers to the reads of a namespace (links, addresses, routes)... */
	load(&f, data, size);
	talk_open_io(&ns.rt, &fake_io, &f, "fuzz");
	state_read_ns(&ns, true);
	for (size_t i = 0; i < ns.nlinks; i++)
		state_link(&ns, ns.links[i].name);
	talk_close(&ns.rt);

	/* ...to the question for the nftables table... */
	struct talk t;
	load(&f, data, size);
	talk_open_io(&t, &fake_io, &f, "fuzz");
	struct nft_copy copy = {0};
	nft_get_table(&t, false, comment, sizeof(comment), &copy);
	/* ...to the dumps of chains and rules, and what is made of other tables' rules... */
	load(&f, data, size);
	if (nft_read_table(&t, &copy, true, true) == 0) {
		struct segment seg = {.ifname = "br0"};
		struct sbuf warn = {0};
		nft_check_others(&copy, &seg, 1, "eth0", &warn);
		sbuf_free(&warn);
	}
	/* ...then what the planner makes of it all... */
	plan_on(&ns, &copy, comment, size ? data[size - 1] : 0);
	free(ns.links);
	free(ns.addrs);
	free(ns.routes);

	/* ...and to a pipelined flush of three requests. */
	load(&f, data, size);
	for (int i = 0; i < 3; i++)
		talk_add(&t, 16, 0, NULL);
	talk_flush(&t);
	talk_close(&t);
	fake_reset(&f);
	return 0;
}
