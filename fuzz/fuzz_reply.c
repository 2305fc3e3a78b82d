/* fuzz_reply.c: libFuzzer harness: any bytes as the kernel's answers to boxnet's dumps and
 * requests. The input is a list of datagrams, each preceded by its 16-bit length; their
 * messages' seqs count from the request's, as in tests/unit/fakenl.c. */
#include <stdlib.h>
#include <string.h>

#include "fakenl.h"
#include "nft.h"
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
	free(ns.links);
	free(ns.addrs);
	free(ns.routes);

	/* ...to the question for the nftables table... */
	struct talk t;
	load(&f, data, size);
	talk_open_io(&t, &fake_io, &f, "fuzz");
	struct nft_copy copy = {0};
	nft_get_table(&t, comment, sizeof(comment), &copy);
	/* ...to the dumps of chains and rules, and what is made of other tables' rules... */
	load(&f, data, size);
	if (nft_read_table(&t, &copy, true, true) == 0) {
		struct segment seg = {.ifname = "br0"};
		struct sbuf warn = {0};
		nft_check_others(&copy, &seg, 1, "eth0", &warn);
		sbuf_free(&warn);
	}
	nft_copy_free(&copy);

	/* ...and to a pipelined flush of three requests. */
	load(&f, data, size);
	for (int i = 0; i < 3; i++)
		talk_add(&t, 16, 0, NULL);
	talk_flush(&t);
	talk_close(&t);
	fake_reset(&f);
	return 0;
}
