/* conf.h: the configuration model (plain structs) and its parser and validator. */
#ifndef BOXNET_CONF_H
#define BOXNET_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "ip4.h"
#include "util.h"

#define NAME_SIZE 16		/* IFNAMSIZ: names are 1 to 15 bytes */
#define CONF_MAX_BYTES (1024 * 1024)
#define CONF_MAX_LINE 4096
#define CONF_MAX_OBJECTS 4096	/* per kind */
#define CONF_MAX_ADDRS 64	/* per object */

enum kind { KIND_GLOBAL, KIND_BRIDGE, KIND_NS };

/* Every key boxnet knows; conf_keys[] below describes each one. */
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
	KEY_COUNT
};

struct key_info {
	enum kind kind;
	const char *attr;
	const char *expect;	/* what a good value looks like, quoted in errors */
};

extern const struct key_info conf_keys[KEY_COUNT];
extern const char *const conf_kind_names[];

/* What bridges and namespaces share: the name and where each key was set. */
struct obj {
	char name[NAME_SIZE];
	enum kind kind;
	unsigned line;			/* the first line that names the object */
	unsigned at[KEY_COUNT];		/* line of each key, 0 when unset */
	const char *raw[KEY_COUNT];	/* each value as written, for messages */
	uint32_t bad;			/* keys whose value was rejected: skip checks on them */
	bool unknown_key;		/* a key of it was not understood: it may be incomplete */
};

struct addrs {
	struct prefix *v;
	unsigned n;
};

/* The kernel numbers a bridge's ports 1 to 1023. */
#define BRIDGE_MAX_PORTS 1023

struct bridge {
	struct obj o;
	struct addrs addrs;
	int masquerade, isolate;	/* -1 until validated, then 0 or 1 */
	unsigned mtu;			/* 0: kernel default */
	unsigned nports;		/* namespaces on it, counted by validation */
};

enum gw_mode { GW_AUTO, GW_NONE, GW_ADDR };

struct netns {
	struct obj o;
	char bridge_name[NAME_SIZE];
	struct bridge *bridge;		/* resolved by validation; NULL for a peer namespace */
	bool has_peer;
	struct prefix peer;		/* the host end's address */
	struct addrs addrs;
	enum gw_mode gw_mode;
	uint32_t gateway;		/* after validation: the default route's gateway, 0 for none */
	char ifname[NAME_SIZE];		/* inside the namespace; default eth0 */
	char hostif[NAME_SIZE];		/* on the host; default bx-NAME */
	int masquerade, isolate;
	unsigned mtu;			/* of both veth ends; default the bridge's */
};

/* A routed segment: a bridge, or the host end of a peer namespace's veth pair. */
struct segment {
	const char *ifname;
	const struct prefix *nets;	/* the host side's addresses, which define the subnets */
	unsigned nnets;
	bool masquerade, isolate;
	bool bridged;			/* neighbours may talk across it */
};

struct name_table {
	struct obj **slot;
	size_t cap, n;
};

struct config {
	const char *file;
	struct arena arena;
	char uplink[NAME_SIZE];
	unsigned uplink_line;
	bool uplink_bad;
	bool truncated;			/* past a limit: objects are missing, so no cross-checks */
	struct bridge **bridges;
	size_t nbridges, bridges_cap;
	struct netns **ns;
	size_t nns, ns_cap;
	struct name_table bridge_names, ns_names;
	/* Derived by validation. */
	struct segment *segs;
	size_t nsegs;
	bool forwarding;		/* something is routed, so the host must forward */
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

struct bridge *conf_bridge(const struct config *c, const char *name);
struct netns *conf_ns(const struct config *c, const char *name);

/* Why a name cannot be an interface or namespace name, or NULL when it can. */
const char *name_problem(const char *s, size_t len);

#endif
