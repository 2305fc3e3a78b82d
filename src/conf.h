/* conf.h: the configuration model (plain structs) and its parser and validator. */
#ifndef BOXNET_CONF_H
#define BOXNET_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "ip.h"
#include "util.h"

#define NAME_SIZE 16		/* IFNAMSIZ: names are 1 to 15 bytes */
#define CONF_MAX_BYTES (1024 * 1024)
#define CONF_MAX_LINE 4096
#define CONF_MAX_OBJECTS 4096	/* per kind */
#define CONF_MAX_ADDRS 64	/* per object */

/* The kinds of object a config names: KIND.NAME.ATTRIBUTE = VALUE. The globals (uplink) are
 * a kind of their own with one unnamed object. */
enum kind { KIND_GLOBAL, KIND_BRIDGE, KIND_NS, KIND_FORWARD, KIND_ALLOW, KIND_ROUTE, KIND_VLAN, KIND_COUNT };

struct config;
struct obj;

struct kind_info {
	char name[8];		/* the key's first part: bridge.NAME.ATTRIBUTE */
	char noun[10];		/* in messages: "bridge", "namespace" */
	uint16_t size;		/* of its struct, which starts with a struct obj */
	/* Checks one object against the rest of the config and fills in its defaults; kinds
	 * are checked in this table's order, so a kind may use what an earlier one derived. */
	void (*check)(struct config *c, struct obj *o, struct diag *d);
};

extern const struct kind_info conf_kinds[KIND_COUNT];

/* validate.c: each kind's check. */
void check_bridge(struct config *c, struct obj *o, struct diag *d);
void check_ns(struct config *c, struct obj *o, struct diag *d);
void check_forward(struct config *c, struct obj *o, struct diag *d);
void check_allow(struct config *c, struct obj *o, struct diag *d);
void check_route(struct config *c, struct obj *o, struct diag *d);
void check_vlan(struct config *c, struct obj *o, struct diag *d);

/* Every key boxnet knows; conf_keys[] describes each one. */
enum key_id {
	KEY_UPLINK,
	KEY_BR_ADDRESS,
	KEY_BR_MASQUERADE,
	KEY_BR_ISOLATE,
	KEY_BR_MTU,
	KEY_NS_BRIDGE,
	KEY_NS_PEER,
	KEY_NS_ADDRESS,
	KEY_NS_GATEWAY,
	KEY_NS_IFNAME,
	KEY_NS_HOSTIF,
	KEY_NS_MASQUERADE,
	KEY_NS_ISOLATE,
	KEY_NS_MTU,
	KEY_NS_DNS,
	KEY_FWD_PORT,
	KEY_FWD_TO,
	KEY_FWD_PROTO,
	KEY_FWD_FROM,
	KEY_AL_FROM,
	KEY_AL_TO,
	KEY_AL_PORT,
	KEY_AL_PROTO,
	KEY_RT_TO,
	KEY_RT_VIA,
	KEY_RT_NS,
	KEY_RT_METRIC,
	KEY_NS_FORWARDING,
	KEY_BR_PORTS,
	KEY_VLAN_LINK,
	KEY_VLAN_ID,
	KEY_NS_LINK,
	KEY_NS_MACVLAN,
	KEY_WAIT,
	KEY_CLAMP_MSS,
	KEY_OFFLOAD,
	KEY_COUNT
};

/* How a value is read, and what it is stored as. */
enum val_type {
	VAL_NAME,	/* char[NAME_SIZE] */
	VAL_BOOL,	/* int: -1 until set or defaulted, then 0 or 1 */
	VAL_MTU,	/* unsigned */
	VAL_ADDRS,	/* struct addrs: CIDRs */
	VAL_ADDR1,	/* struct addrs: CIDRs, at most one per family */
	VAL_GATEWAY,	/* struct gateway: addresses or none */
	VAL_MASQ,	/* int: -1 until set or defaulted, then a mask of MASQ_* */
	VAL_IPS,	/* struct addrs: plain addresses, at most DNS_MAX */
	VAL_PORTS,	/* struct ports: PORT or PORT-PORT */
	VAL_TARGET,	/* struct target: NSNAME[:PORT], ADDRESS[:PORT] or [IPV6]:PORT */
	VAL_PROTO,	/* unsigned: PROTO_* bits; 0 until set or defaulted */
	VAL_NETS,	/* struct addrs: networks or addresses, any prefix length */
	VAL_NET,	/* struct prefix: a network, host bits clear; family 0 for default */
	VAL_IP,		/* struct prefix: one address */
	VAL_METRIC,	/* unsigned */
	VAL_NAMES,	/* struct names: interface names */
	VAL_VLAN_ID,	/* unsigned: 1 to 4094 */
	VAL_SECONDS,	/* unsigned: 1 to 600 */
};

#define DNS_MAX 3	/* the nameservers glibc's and musl's resolvers read (MAXNS) */

/* Packed small: the table is in the binary, one row a key, 16 bytes. */
struct key_info {
	char attr[11];		/* in the row: no pointer to it */
	uint8_t kind;		/* enum kind */
	uint8_t type;		/* enum val_type */
	uint8_t expect;		/* its text's number: key_expect() */
	uint16_t off;		/* of its field in the kind's struct */
};

extern const struct key_info conf_keys[KEY_COUNT];

/* What a good value of key k looks like, quoted in errors. */
const char *key_expect(enum key_id k);

/* What bridges and namespaces share: the name and where each key was set. The per-key arrays
 * are pointers (into the object's own allocation, see get_obj()): held in the struct, they
 * would put every kind's own fields past 127 bytes, where each access takes 3 bytes more. */
struct obj {
	char name[NAME_SIZE];
	enum kind kind;
	unsigned line;			/* the first line that names the object */
	unsigned *at;			/* [KEY_COUNT]: line of each key, 0 when unset */
	const char **raw;		/* [KEY_COUNT]: each value as written, for messages */
	bool *bad;			/* [KEY_COUNT]: keys whose value was rejected: skip checks on them */
	bool unknown_key;		/* a key of it was not understood: it may be incomplete */
};

/* Where an object's per-key arrays are: right after its kind's struct. */
struct obj_keys {
	const char *raw[KEY_COUNT];
	unsigned at[KEY_COUNT];
	bool bad[KEY_COUNT];
};

struct addrs {
	struct prefix *v;
	unsigned n;
};

enum gw_mode { GW_AUTO, GW_NONE, GW_ADDR };

struct gateway {
	enum gw_mode mode;
	struct prefix set[FAM_COUNT];	/* GW_ADDR: the one given per family; family 0 if not */
};

/* Which families a segment masquerades out of the uplink: masquerade = yes | no | ipv4 | ipv6. */
#define MASQ_V4 (1 << FAM_V4)
#define MASQ_V6 (1 << FAM_V6)
#define MASQ_ALL (MASQ_V4 | MASQ_V6)

/* The kernel numbers a bridge's ports 1 to 1023. */
#define BRIDGE_MAX_PORTS 1023
#define BRIDGE_MAX_PORTS_STR "1023"	/* the same, in a message's text */

/* Interface names (bridge.NAME.ports). */
struct names {
	char (*v)[NAME_SIZE];
	unsigned n;
};

struct bridge {
	struct obj o;
	struct addrs addrs;
	struct names ports;		/* existing interfaces (or vlans) boxnet adopts as ports */
	int masquerade;			/* -1 until validated, then MASQ_* bits */
	int isolate;			/* -1 until validated, then 0 or 1 */
	unsigned mtu;			/* 0: kernel default */
	unsigned nports;		/* namespaces on it, counted by validation */
};

/* The fields read most first: within 127 bytes of the start, an access takes a 1-byte offset. */
struct netns {
	struct obj o;
	struct bridge *bridge;		/* resolved by validation; NULL for a peer namespace */
	bool has_peer;			/* routed through its own veth pair, not a bridge */
	int masquerade, isolate;
	unsigned mtu;			/* of both veth ends; default the bridge's */
	int forwarding;			/* -1 until validated, then 0 or 1 */
	char ifname[NAME_SIZE];		/* inside the namespace; default eth0 */
	char hostif[NAME_SIZE];		/* on the host; default bx-NAME */
	char link[NAME_SIZE];		/* an existing interface moved in (adopted), or "" */
	char macvlan[NAME_SIZE];	/* the parent of a macvlan born in it, or "" */
	struct addrs addrs;
	struct addrs peer;		/* the host end's addresses, at most one per family */
	struct addrs dns;		/* its resolv.conf's nameservers; none: no file */
	char bridge_name[NAME_SIZE];
	struct gateway gw;
	struct prefix gateway[FAM_COUNT];	/* after validation: the default routes' gateways;
						 * family 0 for none */
	struct vlan *vlan;		/* set by validation: link names a vlan of the file, born in
					 * it as the macvlan is, on the vlan's parent (nothing moved) */
};

/* A namespace on a veth pair (bridge or peer), not on a link of its own (link, macvlan): only
 * those are behind the box, and have a host end. */
static inline bool ns_veth(const struct netns *n)
{
	return !n->link[0] && !n->macvlan[0];
}

/* An 802.1Q interface NAME on link, made by boxnet on the host, or born in the namespace
 * whose link it is (ns: set by validation). */
struct vlan {
	struct obj o;
	char link[NAME_SIZE];
	unsigned id;
	const struct netns *ns;
};

/* Port forwards and openings between segments (forward.NAME.*, allow.NAME.*). */
#define PROTO_TCP 1
#define PROTO_UDP 2
#define PROTO_ICMP 4
#define FWD_SHIFT_MAX 256	/* ports of a range forwarded to other ports: one rule each */

struct ports {
	unsigned lo, hi;	/* 0: unset */
};

struct target {
	char ns[NAME_SIZE];	/* a namespace's name, or "" for addr */
	struct prefix addr;
	unsigned port;		/* 0: the port is kept */
};

struct forward {
	struct obj o;
	struct ports port;
	unsigned proto;
	struct addrs from;
	struct prefix addr[FAM_COUNT];	/* after validation: the target of each family forwarded;
					 * family 0 for none */
	struct target to;
};

/* An allow's two sides (from, to): a segment's host interface, and a namespace's address per
 * family when the side is one namespace on a bridge (family 0: the whole segment). */
struct allow {
	struct obj o;
	char side_name[2][NAME_SIZE];
	struct ports port;
	unsigned proto;
	const char *seg[2];
	struct prefix addr[2][FAM_COUNT];
};

/* A static route, in the host or in a namespace. */
struct sroute {
	struct obj o;
	struct prefix to;		/* after validation: of via's family when default (len 0) */
	struct prefix via;
	char ns_name[NAME_SIZE];
	unsigned metric;		/* after validation: IPv6's 0 is the kernel's 1024 */
	const struct netns *ns;		/* resolved by validation; NULL for the host */
	const char *ifname;		/* where via is: the namespace's link, or a segment */
};

/* A routed segment: a bridge, or the host end of a peer namespace's veth pair. */
struct segment {
	const char *ifname;
	const struct prefix *nets;	/* the host side's addresses, which define the subnets */
	unsigned nnets;
	unsigned masquerade;		/* MASQ_* bits */
	bool isolate;
	bool bridged;			/* neighbours may talk across it */
};

struct name_table {
	struct obj **slot;
	size_t cap, n;
};

/* The objects of one kind, in config order, and by name. */
struct obj_list {
	struct obj **v;
	size_t n, cap;
	struct name_table names;
};

/* The fields read most first, as in struct netns. */
struct config {
	struct segment *segs;		/* derived by validation, as forwarding is */
	size_t nsegs;
	struct obj_list objs[KIND_COUNT];	/* KIND_GLOBAL's holds nothing */
	const char *file;
	struct arena arena;
	char uplink[NAME_SIZE];
	unsigned uplink_line;
	bool uplink_bad;
	unsigned wait;			/* seconds to wait for missing interfaces; 0: none */
	int clamp_mss;			/* -1: when the config sets an MTU other than 1500 */
	int offload;			/* a flowtable: established flows skip the rules */
	bool truncated;			/* past a limit: objects are missing, so no cross-checks */
	bool forwarding[FAM_COUNT];	/* something is routed, so the host must forward */
};

/* Parses text (len bytes, may hold NUL bytes) into c; errors go to d. */
void conf_parse(struct config *c, const char *text, size_t len, struct diag *d);
/* Cross-checks the whole config and fills in defaults and derived fields. */
void conf_validate(struct config *c, struct diag *d);
/* Reads path ("-" for standard input), parses and validates it. Returns the error count.
 * strict: the file must be a regular file, no symlink, owned by root and writable by no one
 * else (what root needs before it acts on a file). */
unsigned conf_load(struct config *c, const char *path, bool strict, struct diag *d);
void conf_free(struct config *c);

struct obj *conf_find(const struct config *c, enum kind kind, const char *name);
static inline struct bridge *conf_bridge(const struct config *c, const char *name)
{
	return (struct bridge *)conf_find(c, KIND_BRIDGE, name);
}
static inline struct netns *conf_ns(const struct config *c, const char *name)
{
	return (struct netns *)conf_find(c, KIND_NS, name);
}
/* The i-th object of a kind, in config order. */
static inline struct bridge *conf_bridge_at(const struct config *c, size_t i)
{
	return (struct bridge *)c->objs[KIND_BRIDGE].v[i];
}
static inline struct netns *conf_ns_at(const struct config *c, size_t i)
{
	return (struct netns *)c->objs[KIND_NS].v[i];
}
static inline struct vlan *conf_vlan(const struct config *c, const char *name)
{
	return (struct vlan *)conf_find(c, KIND_VLAN, name);
}
static inline struct vlan *conf_vlan_at(const struct config *c, size_t i)
{
	return (struct vlan *)c->objs[KIND_VLAN].v[i];
}
static inline struct sroute *conf_route_at(const struct config *c, size_t i)
{
	return (struct sroute *)c->objs[KIND_ROUTE].v[i];
}

/* "bad WHAT for KEY: 'VALUE' (WHY; expected EXPECT)"; why may be NULL. */
void bad_key(struct diag *d, unsigned line, const char *what, const char *key, const char *value, const char *why,
	     const char *expect);

/* Why a name cannot be an interface or namespace name, or NULL when it can. */
const char *name_problem(const char *s, size_t len);

#endif
