/* netns.c: create, open and delete named network namespaces without ip(8). */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

static void ns_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", NETNS_DIR, name);
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

int netns_create(const char *name)
{
	char path[PATH_MAX];
	ns_path(path, sizeof(path), name);
	/* The mount point: a new empty file, or one that a creator killed before mount() left. */
	if (mknod(path, S_IFREG, 0) < 0) {
		if (errno != EEXIST || is_netns(path) || unlink(path) < 0 || mknod(path, S_IFREG, 0) < 0)
			return errno == EEXIST ? -EEXIST : -errno;
	}
	int err = 0;
	if (unshare(CLONE_NEWNET) < 0)
		err = -errno;
	else if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
		err = -errno;
	if (err)
		unlink(path);
	return err;
}

int netns_open(const char *name)
{
	char path[PATH_MAX];
	ns_path(path, sizeof(path), name);
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
	char path[PATH_MAX];
	ns_path(path, sizeof(path), name);
	/* The kernel frees the namespace later, once nothing holds it. */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int netns_restore(const char *name, int fd)
{
	char path[PATH_MAX], self[64];
	ns_path(path, sizeof(path), name);
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
	char path[PATH_MAX];
	ns_path(path, sizeof(path), name);
	return is_netns(path);
}
