/* mkseeds.c: write seed inputs for fuzz_reply: well-formed answers of each kind. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/rtnetlink.h>

#include "fakenl.h"

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

int main(int argc, char **argv)
{
	unsigned char b[8192];
	size_t off;
	int err = 0;
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
	return err;
}
