/* netns.c: create, open and delete named network namespaces without ip(8). */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/rtnetlink.h>

#include "talk.h"

/* One buffer for every caller: a path on each caller's stack cost each a stack-protector
 * check. Nothing runs concurrently here (the helper process that creates namespaces has a copy
 * of its own), and no caller asks for a second path while it uses the first. */
const char *netns_path(const char *name)
{
	static char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s/%s", NETNS_DIR, name);
	return buf;
}

int netns_prepare_dir(void)
{
	if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	/* Not a mount point yet (EINVAL): bind it onto itself once, then share it. */
	bool bound = false;
	while (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		if (errno != EINVAL || bound)
			return -errno;
		if (mount(NETNS_DIR, NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
			return -errno;
		bound = true;
	}
	return 0;
}

/* A namespace file is a bind mount of nsfs (of procfs before Linux 3.19); a plain file left
 * by a creator that died between open() and mount() is not one. */
static bool is_netns(const char *path)
{
	struct statfs sfs;
	return statfs(path, &sfs) == 0 &&
	       ((unsigned long)sfs.f_type == 0x6e736673UL || (unsigned long)sfs.f_type == 0x9fa0UL);
}

/* lo up with the alias mark, from inside the namespace, before anything else can see it. A
 * talk of its own: the helper process that calls this shares no state. */
static int mark_lo(const char *name, const char *mark)
{
	struct talk t;
	int err = talk_open(&t, NETLINK_ROUTE, name);
	if (err)
		return err;
	t.seq = 0;			/* the request's seq is 1, as it always was */
	t.rx.size = 512;		/* the ack, with the request echoed */
	struct msg *m = talk_add(&t, RTM_NEWLINK, 0, NULL);
	struct ifinfomsg *ifi = msg_reserve(m, sizeof(*ifi));
	/* lo is ifindex 1 in every namespace */
	if (ifi)
		*ifi = (struct ifinfomsg){.ifi_family = AF_UNSPEC, .ifi_index = 1, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
	msg_put(m, IFLA_IFALIAS, strlen(mark), mark);
	err = m->overflow ? -ENOMEM : talk_flush(&t);	/* the mark fits: out of memory */
	talk_close(&t);
	return err;
}

int netns_create(const char *name, const char *mark)
{
	const char *path = netns_path(name);
	/* The mount point: a new empty file, or one that a creator killed before mount() left. */
	if (mknod(path, S_IFREG, 0) < 0) {
		if (errno != EEXIST || is_netns(path) || unlink(path) < 0 || mknod(path, S_IFREG, 0) < 0)
			return errno == EEXIST ? -EEXIST : -errno;
	}
	int err = 0;
	/* Marked before it is mounted: a namespace in /run/netns is boxnet's, or not at all. */
	if (unshare(CLONE_NEWNET) < 0)
		err = -errno;
	else if ((err = mark_lo(name, mark)) == 0 && mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
		err = -errno;
	if (err)
		unlink(path);
	return err;
}

int netns_open(const char *name)
{
	const char *path = netns_path(name);
	/* openat(), not open(): musl's open() follows O_CLOEXEC with an fcntl(), for kernels
	 * older than boxnet's; here once per namespace. */
	int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int netns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

int netns_delete(const char *name)
{
	const char *path = netns_path(name);
	/* The kernel frees the namespace later, once nothing holds it. */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int netns_restore(const char *name, int fd)
{
	char self[64];
	const char *path = netns_path(name);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	int f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (f < 0)
		return -errno;
	close(f);
	if (mount(self, path, "none", MS_BIND, NULL) < 0) {
		int err = -errno;
		unlink(path);
		return err;
	}
	return 0;
}

bool netns_exists(const char *name)
{
	return is_netns(netns_path(name));
}

bool netns_is_debris(const char *name)
{
	struct stat sb;
	const char *path = netns_path(name);
	return lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0 && !is_netns(path);
}
