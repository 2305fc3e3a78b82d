/* state.h: what the kernel holds now, as far as boxnet's config is concerned. */
#ifndef BOXNET_STATE_H
#define BOXNET_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "nft.h"
#include "rules.h"
#include "talk.h"

/* The alias on every link boxnet creates in the namespace it runs in. What it creates inside
 * a namespace says which box made it: "boxnet:INUM", INUM the inode number of the network
 * namespace boxnet ran in, so that a boxnet run inside another box's namespace knows that
 * box's objects from its own. */
#define BOXNET_MARK "boxnet"
#define MARK_SIZE 32
#define BOXNET_RTPROT 98	/* rtm_protocol of boxnet's routes: ip route ... proto 98 */
#define RUN_DIR "/run/boxnet"
#define LOCK_FILE RUN_DIR "/lock"
/* A sysctl holds no mark: this note says boxnet switched IPv4 forwarding on. It lives as
 * long as the setting does (until reboot) and outlives an `nft flush ruleset`. */
#define FORWARD_NOTE RUN_DIR "/ip_forward"
/* The note is per network namespace (/run is shared by all): FORWARD_NOTE.INUM. A plain
 * FORWARD_NOTE, from a boxnet before that, is taken as this boxnet's too. IPv6's is
 * FORWARD6_NOTE.INUM; it names the uplink whose accept_ra boxnet raised from 1 to 2, if any:
 * a forwarding host ignores router advertisements unless accept_ra is 2, and the box would
 * lose its own IPv6 default route when it expires. */
#define FORWARD6_NOTE RUN_DIR "/ipv6_forward"

/* A namespace's own resolv.conf, which ip netns exec binds over /etc/resolv.conf: boxnet's
 * when its first line is DNS_HEAD for that namespace; the file goes in by a rename, whole. */
#define DNS_DIR "/etc/netns"
#define DNS_HEAD "# boxnet: generated for namespace %s; do not edit"
enum dns_file { DNS_NONE, DNS_OURS, DNS_FOREIGN };

/* The link group boxnet moves links to before it deletes them all in one request. */
#define BOXNET_GROUP 0x626f78u	/* "box" */
/* The group links are born in: the kernel takes no alias at creation, and a boxnet killed
 * between creating a link and marking it must still know it as its own. */
#define BOXNET_GROUP_NEW 0x626f79u

struct link {
	char name[NAME_SIZE];
	char kind[16];		/* "bridge", "veth"; "" for none */
	int index, master;
	int peer;		/* a veth's other end (IFLA_LINK), in whatever namespace... */
	bool peer_away;		/* ...another one than this link's (IFLA_LINK_NETNSID) */
	unsigned mtu, group;
	bool up, ours;		/* ours: carries boxnet's mark (see ns_state.mark) */
	bool remark;		/* ours, by a plain BOXNET_MARK inside a namespace: marked again */
	unsigned char mac[6];	/* IFLA_ADDRESS; zeros when it has none of that length */
	unsigned char perm[6];	/* IFLA_PERM_ADDRESS (a NIC's own); zeros when none */
	unsigned short vid;	/* a vlan's id */
};

/* An interface boxnet adopted (a bridge port, a namespace's link): how boxnet found it, in
 * ADOPT_DIR.INUM/NAME, written once before its first change, so that down gives it back as
 * it was. /run lives exactly as long as the kernel state it describes. */
#define ADOPT_DIR RUN_DIR "/adopted"
struct adopted {
	char name[NAME_SIZE];	/* on the host, before boxnet */
	int index;
	unsigned char mac[6];	/* permanent, or else current, address: how it is found again */
	char master[NAME_SIZE];	/* "" for none */
	unsigned mtu;
	bool up;
	char ns[NAME_SIZE];	/* the namespace boxnet moved it to; "" for none */
	bool fresh;		/* made by this plan, not yet written */
	char now[NAME_SIZE];	/* plan: its name when found under another (devN) */
	bool given;		/* plan: its OP_GIVE_BACK is emitted */
};

struct addr {
	int index;
	struct prefix p;
};

struct route {			/* a unicast route in the main table */
	int oif;
	struct prefix gw;	/* family 0: none */
	unsigned char protocol;
	struct prefix dst;	/* dst.len 0: a default route */
	uint32_t metric;	/* RTA_PRIORITY */
};

/* One network namespace: the host's, or one named in the config. */
struct ns_state {
	const char *name;	/* NULL for the host */
	char *name_buf;		/* owns name when the config does not */
	bool exists;		/* the host always does */
	bool ours;		/* lo carries boxnet's mark */
	bool debris;		/* an empty file, no namespace: what a killed creator leaves */
	const char *mark;	/* the mark of links boxnet makes in it; NULL for the host */
	struct link *links;
	size_t nlinks, links_cap;
	struct addr *addrs;
	size_t naddrs, addrs_cap;
	struct route *routes;
	size_t nroutes, routes_cap;
	int fwd[FAM_COUNT];	/* a namespace's forwarding, per family: 0, 1, or -errno */
	/* How to reach it (owned here, used by the executor). */
	int fd;			/* -1 until opened */
	struct talk rt;		/* rtnetlink socket inside; rt.nl NULL until opened */
	bool coming;		/* being made by apply's helper process, not yet heard of */
	enum dns_file dns;	/* DNS_DIR/NAME/resolv.conf... */
	struct sbuf dns_text;	/* ...and its text when boxnet's: compared, and put back by undo */
};

struct state {
	bool known;		/* read from the kernel; false for `plan` (a clean box assumed) */
	int host_fd;		/* the namespace boxnet started in */
	unsigned long long self_ino;	/* its inode number: it is never stale */
	char mark[MARK_SIZE];	/* "boxnet:INUM", for what boxnet makes inside namespaces */
	struct ns_state host;
	struct ns_state *ns;	/* parallel to config->ns */
	size_t nns;
	struct ns_state *stale;	/* boxnet's namespaces that the config no longer names, and debris */
	size_t nstale;
	struct talk nf;		/* nfnetlink, for the table */
	struct talk_rx rx;	/* answers, for all these sockets */
	bool table_exists, table_ours;
	bool legacy_table;	/* an older boxnet's table ip boxnet is there... */
	struct nft_copy legacy;	/* ...as it is, for undo */
	char legacy_comment[NFT_COMMENT_SIZE];
	struct nft_copy table;	/* boxnet's table as it is, when it exists */
	bool fwd_mark[FAM_COUNT];	/* boxnet switched forwarding on: its note exists */
	char fwd_note[FAM_COUNT][sizeof(FORWARD6_NOTE) + 24];	/* FORWARD_NOTE.INUM, FORWARD6_NOTE.INUM */
	char ra_uplink[NAME_SIZE];	/* the interface the IPv6 note names: accept_ra to put back */
	int accept_ra;		/* the uplink's; -1 when unknown or no uplink */
	char table_comment[NFT_COMMENT_SIZE];
	int ip_forward[FAM_COUNT];	/* -1 when unknown */
	struct fault *fault;	/* test hook, NULL in normal runs */
	char adopt_dir[sizeof(ADOPT_DIR) + 24];	/* ADOPT_DIR.INUM */
	struct adopted *adopted;	/* the records, then those plan_up makes (fresh) */
	size_t nadopted, adopted_cap;
};

/* An empty state: what `plan` assumes. */
int state_init(struct state *st, const struct config *c);
/* Reads links, addresses and routes of the host and of the config's namespaces, and finds
 * boxnet's namespaces that the config no longer names (when stale is true, for up). Without
 * stale (for down), it keeps a handle on each configured namespace, for undo. Both find the
 * debris files in /run/netns. */
int state_read(struct state *st, const struct config *c, bool stale, struct talk_error *why);
void state_free(struct state *st);

/* Opens the rtnetlink socket of a namespace (entering it briefly); -ENOENT when
 * /run/netns/NAME is missing or not a namespace. Only namespaces to delete keep a handle on
 * the namespace itself (undo needs it): at boot a process may hold 1024 files. */
int state_open_ns(struct state *st, struct ns_state *ns);
/* Re-reads one namespace's links (after boxnet created some). */
int state_read_links(struct ns_state *ns);
/* Queues a question for one link, by name; its answer joins ns->links when the talk is
 * flushed. Cheaper than a dump of a host with hundreds of links. */
int state_ask_link(struct ns_state *ns, const char *name);
/* Reads one namespace's links, IPv4 addresses and, if asked, its main table's unicast routes. */
int state_read_ns(struct ns_state *ns, bool routes);

struct link *state_link(const struct ns_state *ns, const char *name);
struct link *state_link_by_index(const struct ns_state *ns, int index);
bool state_has_addr(const struct ns_state *ns, int index, const struct prefix *p);

/* Forwarding of a family: 0, 1, or -errno; and the same for an interface's IPv6 accept_ra. */
int read_forward(unsigned f);
int write_forward(unsigned f, int on);
/* The same inside a namespace, entered for it and left again. */
int write_forward_in(const struct state *st, const struct ns_state *ns, unsigned f, int on);
int read_accept_ra(const char *ifname);
int write_accept_ra(const char *ifname, int value);
int write_ipv6_conf(const char *ifname, const char *key, int value);	/* net.ipv6.conf.IFNAME.KEY */
/* Creates (naming the uplink whose accept_ra went to 2, or NULL) or removes a family's note. */
int forward_note(const struct state *st, unsigned f, bool on, const char *ra_uplink);
int make_run_dir(void);
/* The record of an interface named name, or NULL. */
struct adopted *state_adopted(const struct state *st, const char *name);
/* Writes a record whole (a temporary file, fsync, a link that never replaces): one that is
 * there already stays. Returns 1 when written, 0 when there, or -errno. */
int adopt_write(const struct state *st, const struct adopted *a);
int adopt_remove(const struct state *st, const char *name);
/* A link's own address: permanent, or else current. */
const unsigned char *link_mac(const struct link *l);
/* The resolv.conf the config wants for n, lines ended by nl ("\n", or "\\n" for printf). */
void dns_text(const struct netns *n, const char *nl, struct sbuf *s);
/* Writes DNS_DIR/NAME/resolv.conf (and its directory), atomically; text NULL: removes it,
 * and the directory once empty. */
int write_dns(const char *name, const char *text);

#endif
