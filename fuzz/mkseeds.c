/* mkseeds.c: write seed inputs: for fuzz_reply, well-formed answers of each kind; with
 * --conf, for fuzz_conf, a config that sets every key of conf_keys[] and a dictionary of
 * their names, so that a new key is fuzzed the day it is added. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/rtnetlink.h>
#include <stdlib.h>

#include "conf.h"
#include "fakenl.h"
#include "nft.h"

static unsigned char out[65536];
static size_t used;

static void dgram(const unsigned char *data, size_t len)
{
	out[used++] = (unsigned char)(len & 0xff);
	out[used++] = (unsigned char)(len >> 8);
	memcpy(out + used, data, len);
	used += len;
}

static int save(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(out, 1, used, f) != used)
		return 1;
	used = 0;
	return fclose(f) != 0;
}

/* A good value of each type, both families where it takes them. */
static const char *const example[] = {
	[VAL_NAME] = "eth0",
	[VAL_BOOL] = "yes",
	[VAL_MTU] = "1400",
	[VAL_ADDRS] = "10.9.0.1/24 fd00:9::1/64",
	[VAL_ADDR1] = "10.8.0.1/30 fd00:8::1/64",
	[VAL_GATEWAY] = "10.9.0.1 fd00:9::1",
	[VAL_MASQ] = "ipv4",
	[VAL_IPS] = "10.9.0.53 fd00:9::53",
	[VAL_PORTS] = "8000-8010",
	[VAL_TARGET] = "x:9000",
	[VAL_PROTO] = "tcp udp",
	[VAL_NETS] = "192.0.2.0/24 2001:db8::/32",
	[VAL_NET] = "10.99.0.0/24",
	[VAL_IP] = "10.9.0.2",
	[VAL_METRIC] = "100",
	[VAL_NAMES] = "eth1 eth2",
	[VAL_VLAN_ID] = "7",
	[VAL_SECONDS] = "5",
};

static int conf_seeds(const char *dir)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/every-key.conf", dir);
	FILE *f = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/keys.dict", dir);
	FILE *dict = fopen(path, "w");
	if (!f || !dict)
		return 1;
	for (int k = 0; k < KEY_COUNT; k++) {
		const struct key_info *ki = &conf_keys[k];
		/* A new value type without an example here would read past the table. */
		if (ki->type >= sizeof(example) / sizeof(*example) || !example[ki->type]) {
			fprintf(stderr, "mkseeds: no example value for key %s (type %u)\n", ki->attr, ki->type);
			return 1;
		}
		if (ki->kind == KIND_GLOBAL)
			fprintf(f, "%s = %s\n", ki->attr, example[ki->type]);
		else
			fprintf(f, "%s.x.%s = %s\n", conf_kinds[ki->kind].name, ki->attr, example[ki->type]);
		fprintf(dict, "\"%s\"\n", ki->attr);
	}
	for (int kind = KIND_GLOBAL + 1; kind < KIND_COUNT; kind++)
		fprintf(dict, "\"%s.\"\n", conf_kinds[kind].name);
	return (fclose(f) != 0) | (fclose(dict) != 0);
}

/* boxnet's table as the kernel dumps it, one datagram a dump, in nft_read_table's order:
 * chains, rules, sets, each set's elements, then its flowtable; made of what nft_put_load
 * sends for a box with open segments, a forward, clamp_mss (an exthdr) and offload. */
static int table_seed(const char *dir)
{
	static const char text[] = "uplink = eth0\nclamp_mss = yes\noffload = yes\nbridge.br0.address = 10.0.0.1/24\n"
				   "bridge.br0.isolate = no\nbridge.br1.address = 10.0.1.1/24\n"
				   "bridge.br1.isolate = no\nforward.w.port = 80\nforward.w.to = 10.0.0.2\n";
	enum { PARTS = 4 + SET_COUNT };
	static unsigned char part[PARTS][FAKE_PART];
	size_t len[PARTS], n = 0;
	struct config c = {.file = "seed"};
	struct diag d = {.file = "seed"};
	struct ruleset rs = {0};
	struct talk t = {0};
	conf_parse(&c, text, sizeof(text) - 1, &d);
	conf_validate(&c, &d);
	int err = d.errors || rules_build(&c, &rs) || nft_put_load(&t, &rs, "boxnet 00000000", false, false);
	if (!err)
		n = fake_table_dumps(&t, part, len, PARTS);
	for (size_t k = 0; k < n; k++)
		dgram(part[k], len[k]);
	free(t.buf);
	free(t.reqs);
	rules_free(&rs);
	diag_free(&d);
	conf_free(&c);
	return err ? 1 : save(dir, "table");
}

int main(int argc, char **argv)
{
	unsigned char b[8192];
	size_t off;
	int err = 0;
	if (argc == 3 && !strcmp(argv[1], "--conf"))
		return conf_seeds(argv[2]);
	if (argc != 2)
		return 2;

	off = 0;
	fake_link(b, &off, 0, 0, 1, "lo", "boxnet", NULL);
	fake_link(b, &off, 0, 0, 2, "eth0", "boxnet", "veth");
	dgram(b, off);
	off = 0;
	fake_done(b, &off, 0, 0);
	dgram(b, off);
	err |= save(argv[1], "links");

	off = 0;
	fake_link(b, &off, 0, NLM_F_DUMP_INTR, 1, "lo", NULL, NULL);
	fake_done(b, &off, 0, NLM_F_DUMP_INTR);
	dgram(b, off);
	err |= save(argv[1], "interrupted");

	off = 0;
	fake_ack(b, &off, 0, -EEXIST, "File exists");
	fake_ack(b, &off, 1, 0, NULL);
	fake_ack(b, &off, 2, 0, NULL);
	dgram(b, off);
	err |= save(argv[1], "acks");
	return err | table_seed(argv[1]);
}
