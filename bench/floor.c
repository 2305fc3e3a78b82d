/* floor.c: the kernel floor: the least work that builds N named network namespaces, each
 * with a veth pair whose end is inside it. boxnet does all of this and more; this program
 * does nothing else: namespaces the iproute2 way (a bind mount under /run/netns), then one
 * netlink send with every veth. usage: floor N */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	int host = open("/proc/self/ns/net", O_RDONLY);
	int *fds = calloc((size_t)n, sizeof(*fds));
	char path[64];

	mkdir("/run/netns", 0755);
	if (mount("", "/run/netns", "none", MS_SHARED | MS_REC, NULL) < 0) {
		mount("/run/netns", "/run/netns", "none", MS_BIND | MS_REC, NULL);
		mount("", "/run/netns", "none", MS_SHARED | MS_REC, NULL);
	}
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/run/netns/f%d", i);
		close(open(path, O_RDONLY | O_CREAT | O_EXCL, 0));
		if (unshare(CLONE_NEWNET) < 0 || mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
			return fail("namespace");
		fds[i] = open(path, O_RDONLY);
		if (setns(host, CLONE_NEWNET) < 0)
			return fail("setns");
	}

	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return fail("socket");
	size_t size = (size_t)n * 256 + 4096;
	char *buf = calloc(1, size);
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, size);
	for (int i = 0; i < n; i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
		nlh->nlmsg_type = RTM_NEWLINK;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
		nlh->nlmsg_seq = (unsigned)i + 1;
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
		snprintf(path, sizeof(path), "fv%d", i);
		mnl_attr_put_strz(nlh, IFLA_IFNAME, path);
		/* One queue per end, as boxnet asks: the cheapest veth the kernel makes. */
		mnl_attr_put_u32(nlh, IFLA_NUM_TX_QUEUES, 1);
		mnl_attr_put_u32(nlh, IFLA_NUM_RX_QUEUES, 1);
		struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
		struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
		mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
		mnl_attr_put_u32(nlh, IFLA_NUM_TX_QUEUES, 1);
		mnl_attr_put_u32(nlh, IFLA_NUM_RX_QUEUES, 1);
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (unsigned)fds[i]);
		mnl_attr_nest_end(nlh, peer);
		mnl_attr_nest_end(nlh, data);
		mnl_attr_nest_end(nlh, info);
		mnl_nlmsg_batch_next(b);
	}
	/* Without NLM_F_ACK only errors come back: none must. */
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0)
		return fail("send");
	char reply[8192];
	int fd = mnl_socket_get_fd(nl);
	if (recv(fd, reply, sizeof(reply), MSG_DONTWAIT) > 0) {
		errno = -((struct nlmsgerr *)mnl_nlmsg_get_payload((void *)reply))->error;
		return fail("veth");
	}
	return 0;
}
