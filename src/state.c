/* state.c: read links, addresses, routes, the nft table and forwarding from the kernel. */
#include "state.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#include "netns.h"
#include "nft.h"

int state_init(struct state *st, const struct config *c)
{
	*st = (struct state){.host_fd = -1, .ip_forward = {-1, -1}, .accept_ra = -1};
	st->host.fd = -1;
	st->ns = calloc(c->objs[KIND_NS].n + 1, sizeof(*st->ns));
	if (!st->ns)
		return -ENOMEM;
	st->nns = c->objs[KIND_NS].n;
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
		st->ns[i].name = conf_ns_at(c, i)->o.name;
		st->ns[i].fd = -1;
	}
	return 0;
}

static void ns_forget(struct ns_state *ns)
{
	free(ns->links);
	free(ns->addrs);
	free(ns->routes);
	ns->links = NULL;
	ns->addrs = NULL;
	ns->routes = NULL;
	ns->nlinks = ns->links_cap = ns->naddrs = ns->addrs_cap = ns->nroutes = ns->routes_cap = 0;
}

static void ns_close(struct ns_state *ns)
{
	ns_forget(ns);
	sbuf_free(&ns->dns_text);
	if (ns->rt.nl)
		talk_close(&ns->rt);
	if (ns->fd >= 0)
		close(ns->fd);
	ns->fd = -1;
}

void state_free(struct state *st)
{
	ns_close(&st->host);
	for (size_t i = 0; i < st->nns; i++)
		ns_close(&st->ns[i]);
	for (size_t i = 0; i < st->nstale; i++) {
		ns_close(&st->stale[i]);
		free(st->stale[i].name_buf);
	}
	free(st->stale);
	free(st->ns);
	if (st->nf.nl)
		talk_close(&st->nf);
	talk_rx_free(&st->rx);
	nft_copy_free(&st->table);
	nft_copy_free(&st->legacy);
	free(st->adopted);
	if (st->host_fd >= 0)
		close(st->host_fd);
	*st = (struct state){.host_fd = -1};
}

/* ---- lookups ---- */

struct link *state_link(const struct ns_state *ns, const char *name)
{
	for (size_t i = 0; i < ns->nlinks; i++)
		if (!strcmp(ns->links[i].name, name))
			return &ns->links[i];
	return NULL;
}

struct link *state_link_by_index(const struct ns_state *ns, int index)
{
	for (size_t i = 0; i < ns->nlinks; i++)
		if (ns->links[i].index == index)
			return &ns->links[i];
	return NULL;
}

bool state_has_addr(const struct ns_state *ns, int index, const struct prefix *p)
{
	for (size_t i = 0; i < ns->naddrs; i++)
		if (ns->addrs[i].index == index && prefix_eq(&ns->addrs[i].p, p))
			return true;
	return false;
}

/* ---- parsing dump messages ---- */

static int collect_attrs(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);
	if (type < 64)
		tb[type] = a;
	return MNL_CB_OK;
}

/* A dump message's attributes after its fixed header of hdr bytes, into tb[64], zeroed first;
 * false when it is malformed. One copy for on_link, on_addr and on_route. */
static NOINLINE bool parse_attrs(const struct nlmsghdr *nlh, size_t hdr, const struct nlattr **tb)
{
	memset(tb, 0, 64 * sizeof(*tb));
	return mnl_nlmsg_get_payload_len(nlh) >= hdr && mnl_attr_parse(nlh, (unsigned)hdr, collect_attrs, tb) >= 0;
}

static bool get_str(const struct nlattr *a, char *dst, size_t size)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return false;
	copy_name(dst, size, mnl_attr_get_str(a));
	return true;
}

/* The attribute's u32, or dflt without a valid one: a result, no out parameter whose
 * address each caller would take. */
static uint32_t get_u32(const struct nlattr *a, uint32_t dflt)
{
	return !a || mnl_attr_validate(a, MNL_TYPE_U32) < 0 ? dflt : mnl_attr_get_u32(a);
}

static int on_link(const struct nlmsghdr *nlh, void *arg)
{
	struct ns_state *ns = arg;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[64], *info[64] = {0};
	char alias[64];	/* read only when get_str() filled it */

	if (nlh->nlmsg_type != RTM_NEWLINK || !parse_attrs(nlh, sizeof(*ifi), tb))
		return -EBADMSG;
	if (grow(&ns->links, &ns->links_cap, ns->nlinks + 1, sizeof(*ns->links)))
		return -ENOMEM;
	struct link *l = &ns->links[ns->nlinks];
	*l = (struct link){.index = ifi->ifi_index, .up = ifi->ifi_flags & IFF_UP};
	if (!get_str(tb[IFLA_IFNAME], l->name, sizeof(l->name)))
		return -EBADMSG;
	l->mtu = get_u32(tb[IFLA_MTU], 0);
	l->master = (int)get_u32(tb[IFLA_MASTER], 0);
	l->group = get_u32(tb[IFLA_GROUP], 0);
	l->peer = (int)get_u32(tb[IFLA_LINK], 0);
	l->peer_away = tb[IFLA_LINK_NETNSID] != NULL;
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == sizeof(l->mac))
		memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), sizeof(l->mac));
	if (tb[IFLA_PERM_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_PERM_ADDRESS]) == sizeof(l->perm))
		memcpy(l->perm, mnl_attr_get_payload(tb[IFLA_PERM_ADDRESS]), sizeof(l->perm));
	/* The plain mark inside a namespace is from a boxnet before marks named their box: taken
	 * as ours, and marked again. Another box's mark is foreign, like no mark at all. */
	if (get_str(tb[IFLA_IFALIAS], alias, sizeof(alias))) {
		l->ours = !strcmp(alias, BOXNET_MARK) || (ns->mark && !strcmp(alias, ns->mark));
		l->remark = ns->mark && !strcmp(alias, BOXNET_MARK);
	}
	l->ours |= l->group == BOXNET_GROUP || l->group == BOXNET_GROUP_NEW;
	if (tb[IFLA_LINKINFO] && mnl_attr_parse_nested(tb[IFLA_LINKINFO], collect_attrs, info) >= 0)
		get_str(info[IFLA_INFO_KIND], l->kind, sizeof(l->kind));
	const struct nlattr *data[64] = {0};
	if (!strcmp(l->kind, "vlan") && info[IFLA_INFO_DATA] &&
	    mnl_attr_parse_nested(info[IFLA_INFO_DATA], collect_attrs, data) >= 0 && data[IFLA_VLAN_ID] &&
	    mnl_attr_validate(data[IFLA_VLAN_ID], MNL_TYPE_U16) >= 0)
		l->vid = mnl_attr_get_u16(data[IFLA_VLAN_ID]);
	ns->nlinks++;
	return 0;
}

static int on_addr(const struct nlmsghdr *nlh, void *arg)
{
	struct ns_state *ns = arg;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[64];
	if (!parse_attrs(nlh, sizeof(*ifa), tb))
		return -EBADMSG;
	const struct nlattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	struct prefix p = {.family = ifa->ifa_family, .len = ifa->ifa_prefixlen};
	unsigned size = ip_size(p.family);	/* once: a call each time */
	if ((p.family != AF_INET && p.family != AF_INET6) || !a || mnl_attr_get_payload_len(a) != size || p.len > size * 8)
		return 0;
	memcpy(p.a, mnl_attr_get_payload(a), size);
	/* IPv6 links have addresses of the kernel's own: the link-local one, and those that
	 * router advertisements give (not permanent). Neither is boxnet's to keep or remove. */
	if (p.family == AF_INET6 && (!(ifa->ifa_flags & IFA_F_PERMANENT) || (p.a[0] == 0xfe && (p.a[1] & 0xc0) == 0x80)))
		return 0;
	if (grow(&ns->addrs, &ns->addrs_cap, ns->naddrs + 1, sizeof(*ns->addrs)))
		return -ENOMEM;
	ns->addrs[ns->naddrs++] = (struct addr){(int)ifa->ifa_index, p};
	return 0;
}

static int on_route(const struct nlmsghdr *nlh, void *arg)
{
	struct ns_state *ns = arg;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[64];
	uint32_t table, oif;
	if (!parse_attrs(nlh, sizeof(*rtm), tb))
		return -EBADMSG;
	table = get_u32(tb[RTA_TABLE], rtm->rtm_table);
	uint8_t family = rtm->rtm_family;
	unsigned size = ip_size(family);	/* once: a call each time */
	if ((family != AF_INET && family != AF_INET6) || rtm->rtm_dst_len > size * 8 ||
	    table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST)
		return 0;
	oif = get_u32(tb[RTA_OIF], 0);
	if (grow(&ns->routes, &ns->routes_cap, ns->nroutes + 1, sizeof(*ns->routes)))
		return -ENOMEM;
	struct route *r = &ns->routes[ns->nroutes++];
	*r = (struct route){.oif = (int)oif, .protocol = rtm->rtm_protocol,
			    .dst = {.family = family, .len = rtm->rtm_dst_len}};
	if (tb[RTA_GATEWAY] && mnl_attr_get_payload_len(tb[RTA_GATEWAY]) == size) {
		r->gw.family = family;
		r->gw.len = (uint8_t)(size * 8);
		memcpy(r->gw.a, mnl_attr_get_payload(tb[RTA_GATEWAY]), size);
	}
	if (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) == size)
		memcpy(r->dst.a, mnl_attr_get_payload(tb[RTA_DST]), size);
	r->metric = get_u32(tb[RTA_PRIORITY], 0);
	return 0;
}

static void reset_links(void *arg)
{
	struct ns_state *ns = arg;
	ns->nlinks = 0;
}

static void reset_addrs(void *arg)
{
	struct ns_state *ns = arg;
	ns->naddrs = 0;
}

static void reset_routes(void *arg)
{
	struct ns_state *ns = arg;
	ns->nroutes = 0;
}

int state_ask_link(struct ns_state *ns, const char *name)
{
	struct msg *m = talk_add(&ns->rt, RTM_GETLINK, 0, NULL);
	struct ifinfomsg *ifi = msg_reserve(m, sizeof(*ifi));
	if (ifi)
		ifi->ifi_family = AF_UNSPEC;
	msg_put_str(m, IFLA_IFNAME, name);
	msg_put_u32(m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (m->overflow)
		return -ENOMEM;
	talk_on_reply(&ns->rt, on_link, ns);
	return 0;
}

int state_read_links(struct ns_state *ns)
{
	/* Without counters: filling them in is much of what a link dump costs the kernel. The
	 * dumps' headers are constants: no local copy, whose address taken would cost a
	 * stack-protector check. */
	static const struct {
		struct ifinfomsg ifi;
		struct nlattr a;
		uint32_t mask;
	} req = {.ifi = {.ifi_family = AF_UNSPEC},
		 .a = {.nla_len = NLA_HDRLEN + sizeof(uint32_t), .nla_type = IFLA_EXT_MASK},
		 .mask = RTEXT_FILTER_SKIP_STATS};
	ns->nlinks = 0;
	return talk_dump(&ns->rt, RTM_GETLINK, &req, sizeof(req), on_link, reset_links, ns);
}

int state_read_ns(struct ns_state *ns, bool routes)
{
	static const struct ifaddrmsg ifa = {.ifa_family = AF_UNSPEC};
	/* The main table only: the local one, with two routes per address, is not boxnet's. */
	static const struct rtmsg rtm = {.rtm_family = AF_UNSPEC, .rtm_table = RT_TABLE_MAIN};
	int err = state_read_links(ns);
	if (!err)
		err = talk_dump(&ns->rt, RTM_GETADDR, &ifa, sizeof(ifa), on_addr, reset_addrs, ns);
	if (!err && routes) {
		talk_strict(&ns->rt);
		err = talk_dump(&ns->rt, RTM_GETROUTE, &rtm, sizeof(rtm), on_route, reset_routes, ns);
		/* A namespace that never had a route has no main table yet. */
		if (err == -ENOENT) {
			ns->nroutes = 0;
			err = 0;
		}
	}
	return err;
}

/* A namespace is boxnet's only when its lo carries the mark: boxnet marks it before it
 * gives it a name, so an unmarked one is someone else's, however empty. */
static NOINLINE bool ns_is_ours(const struct ns_state *ns)
{
	const struct link *lo = state_link(ns, "lo");
	return lo && lo->ours;
}

/* Is /run/netns/name the namespace boxnet runs in? Never stale, never deleted. */
static bool ns_is_self(const struct state *st, const char *name)
{
	struct stat sb;
	return stat(netns_path(name), &sb) == 0 && (unsigned long long)sb.st_ino == st->self_ino;
}

/* A socket of the run: the test hook's count and the shared answer buffer, whatever
 * talk_open() returns. */
static NOINLINE int open_talk(struct state *st, struct talk *t, int proto, const char *where)
{
	int err = talk_open(t, proto, where);
	t->fault = st->fault;
	talk_share_rx(t, &st->rx);
	return err;
}

/* Opens the namespace's socket from inside it, and stays there: one after another, the
 * namespaces need no setns() back home in between. */
static int open_ns(struct state *st, struct ns_state *ns, bool keep_fd)
{
	int fd = netns_open(ns->name);
	if (fd < 0)
		return fd;
	int err = netns_enter(fd);
	if (err || !keep_fd)
		close(fd);
	if (err)
		return err == -EINVAL ? -ENOENT : err;	/* a file, not a namespace */
	if (keep_fd)
		ns->fd = fd;
	ns->mark = st->mark;
	return open_talk(st, &ns->rt, NETLINK_ROUTE, ns->name);
}

static int go_home(struct state *st)
{
	return netns_enter(st->host_fd);
}

int state_open_ns(struct state *st, struct ns_state *ns)
{
	int err = open_ns(st, ns, false);
	int back = go_home(st);
	return err ? err : back;
}

/* others (up, status): also the other tables' chains that may drop the box's traffic, in
 * the same two dumps. */
static int read_table(struct state *st, bool others)
{
	/* An older boxnet's table ip boxnet: replaced in the transaction that loads this one,
	 * and copied, to come back if up fails. */
	st->legacy.legacy = true;
	int err = nft_get_table(&st->nf, true, st->legacy_comment, sizeof(st->legacy_comment), &st->legacy);
	if (err && err != -ENOENT)
		return err;
	st->legacy_table = !err && !strncmp(st->legacy_comment, "boxnet ", 7);
	if (st->legacy_table && (err = nft_read_table(&st->nf, &st->legacy, true, false)) < 0)
		return err;
	err = nft_get_table(&st->nf, false, st->table_comment, sizeof(st->table_comment), &st->table);
	if (err && err != -ENOENT)
		return err;
	st->table_exists = !err;
	st->table_ours = !err && !strncmp(st->table_comment, "boxnet ", 7);
	return st->table_ours || others ? nft_read_table(&st->nf, &st->table, st->table_ours, others) : 0;
}

/* A stale namespace's name is any file name in /run/netns. */
#define DNS_PATH (32 + NAME_SIZE)

static NOINLINE int dns_path(char buf[DNS_PATH], const char *name, const char *file)
{
	return snprintf(buf, DNS_PATH, DNS_DIR "/%s%s", name, file);
}

/* Up to size - 1 bytes of a small file (a note, a resolv.conf), NUL-terminated: their count,
 * or -errno. Never blocks on a FIFO, never follows a link. */
static NOINLINE ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);
	n = n < 0 ? -errno : n;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* DNS_DIR/NAME/resolv.conf: none, boxnet's (its text kept) or another's: a link, a directory,
 * a file that does not start with DNS_HEAD for this namespace. boxnet's is a few lines: a
 * longer one (edited) is kept cut short, differs, and is written anew. */
static int read_dns(struct ns_state *ns)
{
	char buf[1024], head[sizeof(DNS_HEAD) + NAME_SIZE];
	dns_path(buf, ns->name, "/resolv.conf");
	ssize_t n = read_small(buf, buf, sizeof(buf));
	int len = snprintf(head, sizeof(head), DNS_HEAD "\n", ns->name);
	ns->dns = n == -ENOENT ? DNS_NONE : strncmp(buf, head, (size_t)len) ? DNS_FOREIGN : DNS_OURS;
	if (ns->dns == DNS_OURS)
		sbuf_add(&ns->dns_text, buf, (size_t)n);
	return ns->dns_text.oom ? -ENOMEM : 0;
}

/* Namespaces in /run/netns that the config does not name but whose lo carries boxnet's mark
 * (with stale, for up), and debris files (always; for down, configured names too: up makes
 * its namespace over such a file). */
static int read_stale(struct state *st, const struct config *c, bool stale)
{
	DIR *dir = opendir(NETNS_DIR);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	int err = 0;
	size_t cap = 0;
	for (struct dirent *e; (e = readdir(dir)) && !err;) {
		/* Named in the config (for up): looked up once. */
		bool dot = e->d_name[0] == '.', named = !dot && stale && conf_ns(c, e->d_name);
		bool debris = !dot && !named && netns_is_debris(e->d_name);
		if (!debris && (!stale || dot || named || !netns_exists(e->d_name) || ns_is_self(st, e->d_name)))
			continue;
		if (grow(&st->stale, &cap, st->nstale + 1, sizeof(*st->stale))) {
			err = -ENOMEM;
			break;
		}
		struct ns_state *ns = &st->stale[st->nstale];
		*ns = (struct ns_state){.fd = -1, .exists = true, .debris = debris, .name_buf = strdup(e->d_name)};
		ns->name = ns->name_buf;
		if (!ns->name) {
			err = -ENOMEM;
			break;
		}
		st->nstale++;
		if (debris)
			continue;
		err = open_ns(st, ns, true);
		if (!err)
			err = state_read_links(ns);
		if (!err && (ns->ours = ns_is_ours(ns)))
			err = read_dns(ns);
		/* An interface boxnet moved in goes back to the host: should that fail, undo moves it
		 * in again, with the addresses and routes it had here. */
		for (size_t k = 0; !err && ns->ours && k < st->nadopted; k++)
			if (!strcmp(st->adopted[k].ns, ns->name)) {
				err = state_read_ns(ns, true);
				break;
			}
		if (!err && !ns->ours) {
			/* Someone else's: never touched, so not held open either. */
			talk_close(&ns->rt);
			close(ns->fd);
			ns->fd = -1;
		}
		if (err == -EINVAL || err == -ENOENT)
			err = 0;	/* gone meanwhile, or not a namespace: not ours either way */
	}
	closedir(dir);
	return err;
}

static void read_ra_note(struct state *st);

static const unsigned char no_mac[6];

const unsigned char *link_mac(const struct link *l)
{
	return memcmp(l->perm, no_mac, 6) ? l->perm : l->mac;
}

struct adopted *state_adopted(const struct state *st, const char *name)
{
	for (size_t i = 0; i < st->nadopted; i++)
		if (!strcmp(st->adopted[i].name, name))
			return &st->adopted[i];
	return NULL;
}

#define ADOPT_FMT "index %d\nmac %02x:%02x:%02x:%02x:%02x:%02x\nmaster %s\nmtu %u\nup %d\nns %s\n"

/* One record: `key value` lines, as ADOPT_FMT writes them; a file that is not one (a name
 * that is none, a line missing) is skipped. strtoul, not sscanf: linked already. */
static int read_adopted(struct state *st, const char *name)
{
	char path[sizeof(st->adopt_dir) + 258], text[256];
	static const char *const keys[] = {"index", "mac", "master", "mtu", "up", "ns"};
	struct adopted a = {0};
	unsigned seen = 0;
	snprintf(path, sizeof(path), "%s/%s", st->adopt_dir, name);
	if (name_problem(name, strlen(name)) || read_small(path, text, sizeof(text)) <= 0)
		return 0;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, ' ');
		unsigned k = 0;
		if (!v)
			continue;
		*v++ = '\0';
		while (k < ARRAY_SIZE(keys) && strcmp(line, keys[k]))
			k++;
		seen |= 1u << k;
		unsigned long n = strtoul(v, NULL, 10);
		bool none = !strcmp(v, "none") || name_problem(v, strlen(v));
		switch (k) {
		case 0:
			a.index = (int)n;
			break;
		case 1:
			for (int i = 0; i < 6; i++) {
				char *end;
				a.mac[i] = (unsigned char)strtoul(v, &end, 16);
				v = *end ? end + 1 : end;
			}
			break;
		case 2:
		case 5:
			copy_name(k == 2 ? a.master : a.ns, NAME_SIZE, none ? "" : v);
			break;
		case 3:
			a.mtu = (unsigned)n;
			break;
		case 4:
			a.up = n == 1;
			break;
		}
	}
	if ((seen & 63) != 63 || !a.index)
		return 0;
	copy_name(a.name, NAME_SIZE, name);
	if (grow(&st->adopted, &st->adopted_cap, st->nadopted + 1, sizeof(*st->adopted)))
		return -ENOMEM;
	st->adopted[st->nadopted++] = a;
	return 0;
}

static int read_adopted_all(struct state *st)
{
	DIR *dir = opendir(st->adopt_dir);
	int err = 0;
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	for (struct dirent *e; !err && (e = readdir(dir));)
		if (e->d_name[0] != '.')
			err = read_adopted(st, e->d_name);
	closedir(dir);
	return err;
}

/* A new file tmp holding text, on disk, with that mode whatever the umask (0644: readable by
 * all; 0600 is left to the umask): its fd, for the caller to rename or link before it
 * closes it, or -errno. One copy for a record and a resolv.conf. */
static NOINLINE int put_file(const char *tmp, const char *text, size_t len, mode_t mode)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	errno = EIO;	/* a short write sets none */
	if (write(fd, text, len) != (ssize_t)len || (mode != 0600 && chmod(tmp, mode) < 0) || fsync(fd) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int adopt_write(const struct state *st, const struct adopted *a)
{
	char path[sizeof(st->adopt_dir) + NAME_SIZE + 1], tmp[sizeof(path) + 8], text[256];
	const unsigned char *m = a->mac;
	int err = make_run_dir(), fd, len;
	if (err || (mkdir(st->adopt_dir, 0700) < 0 && errno != EEXIST))
		return err ? err : -errno;
	snprintf(path, sizeof(path), "%s/%s", st->adopt_dir, a->name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.new", st->adopt_dir, a->name);
	len = snprintf(text, sizeof(text), ADOPT_FMT, a->index, m[0], m[1], m[2], m[3], m[4], m[5],
		       a->master[0] ? a->master : "none", a->mtu, a->up, a->ns[0] ? a->ns : "none");
	fd = put_file(tmp, text, (size_t)len, 0600);
	if (fd < 0)
		err = fd;
	else if (link(tmp, path) < 0)
		err = errno == EEXIST ? 0 : -errno;	/* the first record stays */
	else
		err = 1;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return err;
}

int adopt_remove(const struct state *st, const char *name)
{
	char path[sizeof(st->adopt_dir) + NAME_SIZE + 1];
	snprintf(path, sizeof(path), "%s/%s", st->adopt_dir, name);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	rmdir(st->adopt_dir);	/* once empty: down leaves nothing of boxnet's in /run */
	return 0;
}

static int read_all(struct state *st, const struct config *c, bool stale, struct talk_error *why)
{
	int err;
	st->known = true;
	st->host.exists = true;
	st->host_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct stat self;
	if (st->host_fd < 0 || fstat(st->host_fd, &self) < 0)
		return -errno;
	st->self_ino = (unsigned long long)self.st_ino;
	snprintf(st->mark, sizeof(st->mark), BOXNET_MARK ":%llu", st->self_ino);
	for (unsigned f = 0; f < FAM_COUNT; f++)
		snprintf(st->fwd_note[f], sizeof(st->fwd_note[f]), "%s.%llu", f == FAM_V6 ? FORWARD6_NOTE : FORWARD_NOTE,
			 st->self_ino);
	snprintf(st->adopt_dir, sizeof(st->adopt_dir), "%s.%llu", ADOPT_DIR, st->self_ino);
	if ((err = read_adopted_all(st)) < 0)
		return err;
	if ((err = open_talk(st, &st->host.rt, NETLINK_ROUTE, "")) < 0)
		return err;
	/* The host's routes: the connected routes of boxnet's links, the host's own networks,
	 * which a segment must not overlap, and boxnet's static routes, which down deletes (and
	 * puts back if it fails). */
	if ((err = state_read_ns(&st->host, true)) < 0) {
		*why = st->host.rt.error;
		return err;
	}
	for (size_t i = 0; i < st->nns; i++) {
		struct ns_state *ns = &st->ns[i];
		/* The file may be there without its namespace, and still be boxnet's to remove. */
		if ((err = read_dns(ns)) < 0)
			return err;
		/* Without stale, it is for down, which deletes these: undo needs a handle on each. */
		err = open_ns(st, ns, !stale);
		ns->exists = err != -ENOENT;
		if (!ns->exists)
			continue;
		if (err < 0)
			return err;
		if ((err = state_read_ns(ns, true)) < 0) {
			*why = ns->rt.error;
			return err;
		}
		/* Inside it still: its own forwarding. */
		for (unsigned f = 0; f < FAM_COUNT; f++)
			ns->fwd[f] = read_forward(f);
		ns->ours = ns_is_ours(ns) && !ns_is_self(st, ns->name);
	}
	if ((err = read_stale(st, c, stale)) < 0)
		return err;
	/* Home for the rest: the nftables socket and the sysctl are the host's. */
	if ((err = go_home(st)) < 0 || (err = open_talk(st, &st->nf, NETLINK_NETFILTER, "")) < 0)
		return err;
	if ((err = read_table(st, stale)) < 0) {
		*why = st->nf.error;
		return err;
	}
	st->ip_forward[FAM_V4] = read_forward(FAM_V4);
	if (st->ip_forward[FAM_V4] < 0)
		return st->ip_forward[FAM_V4];
	/* A kernel without IPv6 has no such switch: it stays unknown, and nothing is IPv6. */
	st->ip_forward[FAM_V6] = read_forward(FAM_V6);
	st->fwd_mark[FAM_V4] = access(st->fwd_note[FAM_V4], F_OK) == 0 || access(FORWARD_NOTE, F_OK) == 0;
	st->fwd_mark[FAM_V6] = access(st->fwd_note[FAM_V6], F_OK) == 0;
	read_ra_note(st);
	if (c->uplink[0])
		st->accept_ra = read_accept_ra(c->uplink);
	/* An uplink that is a vlan boxnet is about to make starts with the kernel's default. */
	if (c->uplink[0] && st->accept_ra < 0 && conf_vlan(c, c->uplink))
		st->accept_ra = read_accept_ra("default");
	return 0;
}

int state_read(struct state *st, const struct config *c, bool stale, struct talk_error *why)
{
	int err = read_all(st, c, stale, why);
	if (err && st->host_fd >= 0)
		go_home(st);
	return err;
}

/* ---- forwarding ---- */

static const char *const forward_path[FAM_COUNT] = {"/proc/sys/net/ipv4/ip_forward",
						    "/proc/sys/net/ipv6/conf/all/forwarding"};

/* A sysctl's number, read (value < 0) or written: boxnet reads and writes /proc/sys itself,
 * as sysctl(8) would. */
static int sysctl_io(const char *path, int value)
{
	char buf[16];
	int n = value < 0 ? file_io(path, O_RDONLY | O_CLOEXEC, buf, sizeof(buf))
			  : file_io(path, O_WRONLY | O_CLOEXEC, buf, (size_t)snprintf(buf, sizeof(buf), "%d\n", value));
	/* strtoul(), linked already for parse_num(): the numbers read are never negative. */
	return n < 0 ? n : value >= 0 ? 0 : (int)strtoul(buf, NULL, 10);
}

int read_forward(unsigned f)
{
	int v = sysctl_io(forward_path[f], -1);
	return v < 0 ? v : v != 0;
}

int write_forward(unsigned f, int on)
{
	return sysctl_io(forward_path[f], on);
}

int write_forward_in(const struct state *st, const struct ns_state *ns, unsigned f, int on)
{
	int fd = netns_open(ns->name);
	int err = fd < 0 ? fd : netns_enter(fd);
	if (fd >= 0)
		close(fd);
	if (!err)
		err = write_forward(f, on);
	int back = netns_enter(st->host_fd);
	return err ? err : back;
}

/* net.ipv6.conf.IFNAME.KEY: read with a value of -1, else written. */
static NOINLINE int ipv6_conf(const char *ifname, const char *key, int value)
{
	char path[64 + NAME_SIZE];
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", ifname, key);
	return sysctl_io(path, value);
}

int read_accept_ra(const char *ifname)
{
	return ipv6_conf(ifname, "accept_ra", -1);
}

int write_ipv6_conf(const char *ifname, const char *key, int value)
{
	return ipv6_conf(ifname, key, value);
}

int write_accept_ra(const char *ifname, int value)
{
	return ipv6_conf(ifname, "accept_ra", value);
}

int make_run_dir(void)
{
	return mkdir(RUN_DIR, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

int forward_note(const struct state *st, unsigned f, bool on, const char *ra_uplink)
{
	if (!on) {
		if (f == FAM_V4)
			unlink(FORWARD_NOTE);	/* an old one, if any */
		return unlink(st->fwd_note[f]) < 0 && errno != ENOENT ? -errno : 0;
	}
	int err = make_run_dir();
	if (err)
		return err;
	char text[8 + NAME_SIZE];
	int len = snprintf(text, sizeof(text), "on%s%s\n", ra_uplink ? " " : "", ra_uplink ? ra_uplink : "");
	err = file_io(st->fwd_note[f], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, text, (size_t)len);
	return err < 0 ? err : 0;
}

void dns_text(const struct netns *n, const char *nl, struct sbuf *s)
{
	char a[IP_STRLEN];
	sbuf_addf(s, DNS_HEAD "%s", n->o.name, nl);
	for (unsigned i = 0; i < n->dns.n; i++)
		sbuf_addf(s, "nameserver %s%s", ip_str(&n->dns.v[i], a), nl);
}

int write_dns(const char *name, const char *text)
{
	char path[DNS_PATH], tmp[DNS_PATH];
	size_t dir = (size_t)dns_path(path, name, "/resolv.conf") - 12;	/* where its name starts */
	dns_path(tmp, name, "/.resolv.conf.boxnet");
	int err = 0, fd;
	if (text) {
		mkdir(DNS_DIR, 0755);	/* its failure shows in the next one's */
		path[dir] = '\0';
		/* Readable by all whatever the umask; on disk before the rename, so that a crash
		 * leaves the old file or the new one, never an empty one (which would be foreign). */
		fd = mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : put_file(tmp, text, strlen(text), 0644);
		path[dir] = '/';
		err = fd < 0 ? fd : rename(tmp, path) < 0 ? -errno : 0;
		if (fd >= 0)
			close(fd);
	} else if (unlink(path) < 0 && errno != ENOENT) {
		err = -errno;
	}
	/* What a boxnet killed before its rename left, and the directory once it holds nothing. */
	if (err || !text) {
		unlink(tmp);
		path[dir] = '\0';
		rmdir(path);
	}
	return err;
}

/* The IPv6 note: which uplink's accept_ra boxnet raised, if any ("on IFNAME"). */
static void read_ra_note(struct state *st)
{
	char text[8 + NAME_SIZE];
	file_io(st->fwd_note[FAM_V6], O_RDONLY | O_CLOEXEC | O_NOFOLLOW, text, sizeof(text));
	char *name = strchr(text, ' ');
	if (!name++)
		return;
	name[strcspn(name, "\n")] = '\0';
	if (!name_problem(name, strlen(name)))
		copy_name(st->ra_uplink, sizeof(st->ra_uplink), name);
}
