/* netns.h: named network namespaces, the iproute2 way (/run/netns/NAME bind mounts). */
#ifndef BOXNET_NETNS_H
#define BOXNET_NETNS_H

#include <stdbool.h>

#define NETNS_DIR "/run/netns"

/* NETNS_DIR/name, in a buffer that the next call overwrites. */
const char *netns_path(const char *name);
/* Creates /run/netns as a shared mount point, so unmounts propagate everywhere. */
int netns_prepare_dir(void);
/* Creates namespace name, its lo up and marked (alias mark) before it gets its name, and
 * leaves the calling thread inside it, so the caller can open sockets there before it
 * returns with netns_enter(). */
int netns_create(const char *name, const char *mark);
int netns_open(const char *name);	/* an fd, or -errno */
int netns_enter(int fd);
int netns_delete(const char *name);
/* Names again a namespace that fd still holds, after netns_delete(): its undo. */
int netns_restore(const char *name, int fd);
bool netns_exists(const char *name);
/* An empty file with no namespace mounted on it: left by a creator killed in between. */
bool netns_is_debris(const char *name);

#endif
