/* conf.c: read /etc/boxnet.conf, one `key = value` per line, into the config model. */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Each kind's size keeps the obj_keys after it (see get_obj()) aligned. */
#define KEYS_ALIGNED(st) (sizeof(struct st) % _Alignof(struct obj_keys) == 0)
_Static_assert(KEYS_ALIGNED(bridge) && KEYS_ALIGNED(netns) && KEYS_ALIGNED(forward) && KEYS_ALIGNED(allow) &&
		       KEYS_ALIGNED(sroute) && KEYS_ALIGNED(vlan),
	       "obj_keys aligned after a kind's struct");
_Static_assert(sizeof(struct bridge) < 65536 && sizeof(struct netns) < 65536 && sizeof(struct forward) < 65536 &&
		       sizeof(struct allow) < 65536 && sizeof(struct sroute) < 65536 && sizeof(struct vlan) < 65536,
	       "kind_info.size is 16 bits");

const struct kind_info conf_kinds[KIND_COUNT] = {
	[KIND_GLOBAL] = {"", "", 0, NULL},
	[KIND_BRIDGE] = {"bridge", "bridge", sizeof(struct bridge), check_bridge},
	[KIND_NS] = {"ns", "namespace", sizeof(struct netns), check_ns},
	[KIND_FORWARD] = {"forward", "forward", sizeof(struct forward), check_forward},
	[KIND_ALLOW] = {"allow", "allow", sizeof(struct allow), check_allow},
	[KIND_ROUTE] = {"route", "route", sizeof(struct sroute), check_route},
	[KIND_VLAN] = {"vlan", "vlan", sizeof(struct vlan), check_vlan},
};

/* What a good value of each key looks like, quoted in errors: one string of them, each once,
 * and a row holds its number (a byte, not an 8-byte pointer: 34 rows). */
#define EXPECTS(X)                                                                                     \
	X(EX_IFNAME, "an interface name")                                                              \
	X(EX_BR_ADDRS, "IPv4 or IPv6 addresses with prefix length, like 10.0.0.1/24 fd00::1/64")      \
	X(EX_MASQ, "yes, no, ipv4 or ipv6")                                                            \
	X(EX_BOOL, "yes or no")                                                                        \
	X(EX_MTU, "a number from 68 to 65535")                                                         \
	X(EX_BRIDGE, "the name of a bridge in this file")                                              \
	X(EX_PEER, "an address with prefix length per family, like 10.1.0.1/30 fd00:1::1/64")         \
	X(EX_NS_ADDRS, "IPv4 or IPv6 addresses with prefix length, like 10.0.0.2/24 fd00::2/64")      \
	X(EX_GATEWAY, "an address per family, like 10.0.0.1 fd00::1, or none")                         \
	X(EX_DNS, "IPv4 or IPv6 addresses without prefix length, like 10.0.0.1 fd00::1")              \
	X(EX_PORTS, "a port from 1 to 65535, or a range like 8000-8010")                               \
	X(EX_TARGET, "NSNAME[:PORT], ADDRESS[:PORT] or [IPV6]:PORT, like web:80 or 10.0.0.2:80")       \
	X(EX_FWD_PROTO, "tcp, udp or both")                                                            \
	X(EX_NETS, "IPv4 or IPv6 networks, like 192.0.2.0/24 2001:db8::/32")                           \
	X(EX_SIDE, "a bridge or a namespace in this file")                                             \
	X(EX_AL_PROTO, "tcp, udp or icmp, or several")                                                 \
	X(EX_NET, "a network like 10.99.0.0/24 or fd00:99::/64, or default")                           \
	X(EX_VIA, "an address like 10.0.0.2 or fd00::2")                                               \
	X(EX_NS, "the name of a namespace in this file")                                               \
	X(EX_METRIC, "a number from 0 to 4294967295")                                                  \
	X(EX_NAMES, "interface names, like eth1 eth2")                                                 \
	X(EX_VLAN_ID, "a number from 1 to 4094")                                                       \
	X(EX_SECONDS, "a number of seconds from 1 to 600")
#define EX_ENUM(id, text) id,
#define EX_TEXT(id, text) text "\0"
enum expect_id { EXPECTS(EX_ENUM) };
static const char expects[] = EXPECTS(EX_TEXT);

const char *key_expect(enum key_id k)
{
	const char *s = expects;
	for (unsigned i = conf_keys[k].expect; i; i--)
		s += strlen(s) + 1;
	return s;
}

#define K(kind, attr, type, st, field, expect) {attr, kind, type, expect, offsetof(struct st, field)}

_Static_assert(sizeof(struct config) < 65536 && sizeof(struct netns) < 65536, "key_info.off is 16 bits");

/* The one list of keys: parser, errors, man page check and fuzz seeds all read it. */
const struct key_info conf_keys[KEY_COUNT] = {
	[KEY_UPLINK] = K(KIND_GLOBAL, "uplink", VAL_NAME, config, uplink, EX_IFNAME),
	[KEY_BR_ADDRESS] = K(KIND_BRIDGE, "address", VAL_ADDRS, bridge, addrs, EX_BR_ADDRS),
	[KEY_BR_MASQUERADE] = K(KIND_BRIDGE, "masquerade", VAL_MASQ, bridge, masquerade, EX_MASQ),
	[KEY_BR_ISOLATE] = K(KIND_BRIDGE, "isolate", VAL_BOOL, bridge, isolate, EX_BOOL),
	[KEY_BR_MTU] = K(KIND_BRIDGE, "mtu", VAL_MTU, bridge, mtu, EX_MTU),
	[KEY_NS_BRIDGE] = K(KIND_NS, "bridge", VAL_NAME, netns, bridge_name, EX_BRIDGE),
	[KEY_NS_PEER] = K(KIND_NS, "peer", VAL_ADDR1, netns, peer, EX_PEER),
	[KEY_NS_ADDRESS] = K(KIND_NS, "address", VAL_ADDRS, netns, addrs, EX_NS_ADDRS),
	[KEY_NS_GATEWAY] = K(KIND_NS, "gateway", VAL_GATEWAY, netns, gw, EX_GATEWAY),
	[KEY_NS_IFNAME] = K(KIND_NS, "ifname", VAL_NAME, netns, ifname, EX_IFNAME),
	[KEY_NS_HOSTIF] = K(KIND_NS, "hostif", VAL_NAME, netns, hostif, EX_IFNAME),
	[KEY_NS_MASQUERADE] = K(KIND_NS, "masquerade", VAL_MASQ, netns, masquerade, EX_MASQ),
	[KEY_NS_ISOLATE] = K(KIND_NS, "isolate", VAL_BOOL, netns, isolate, EX_BOOL),
	[KEY_NS_MTU] = K(KIND_NS, "mtu", VAL_MTU, netns, mtu, EX_MTU),
	[KEY_NS_DNS] = K(KIND_NS, "dns", VAL_IPS, netns, dns, EX_DNS),
	[KEY_FWD_PORT] = K(KIND_FORWARD, "port", VAL_PORTS, forward, port, EX_PORTS),
	[KEY_FWD_TO] = K(KIND_FORWARD, "to", VAL_TARGET, forward, to, EX_TARGET),
	[KEY_FWD_PROTO] = K(KIND_FORWARD, "proto", VAL_PROTO, forward, proto, EX_FWD_PROTO),
	[KEY_FWD_FROM] = K(KIND_FORWARD, "from", VAL_NETS, forward, from, EX_NETS),
	[KEY_AL_FROM] = K(KIND_ALLOW, "from", VAL_NAME, allow, side_name[0], EX_SIDE),
	[KEY_AL_TO] = K(KIND_ALLOW, "to", VAL_NAME, allow, side_name[1], EX_SIDE),
	[KEY_AL_PORT] = K(KIND_ALLOW, "port", VAL_PORTS, allow, port, EX_PORTS),
	[KEY_AL_PROTO] = K(KIND_ALLOW, "proto", VAL_PROTO, allow, proto, EX_AL_PROTO),
	[KEY_RT_TO] = K(KIND_ROUTE, "to", VAL_NET, sroute, to, EX_NET),
	[KEY_RT_VIA] = K(KIND_ROUTE, "via", VAL_IP, sroute, via, EX_VIA),
	[KEY_RT_NS] = K(KIND_ROUTE, "ns", VAL_NAME, sroute, ns_name, EX_NS),
	[KEY_RT_METRIC] = K(KIND_ROUTE, "metric", VAL_METRIC, sroute, metric, EX_METRIC),
	[KEY_NS_FORWARDING] = K(KIND_NS, "forwarding", VAL_BOOL, netns, forwarding, EX_BOOL),
	[KEY_BR_PORTS] = K(KIND_BRIDGE, "ports", VAL_NAMES, bridge, ports, EX_NAMES),
	[KEY_VLAN_LINK] = K(KIND_VLAN, "link", VAL_NAME, vlan, link, EX_IFNAME),
	[KEY_VLAN_ID] = K(KIND_VLAN, "id", VAL_VLAN_ID, vlan, id, EX_VLAN_ID),
	[KEY_NS_LINK] = K(KIND_NS, "link", VAL_NAME, netns, link, EX_IFNAME),
	[KEY_NS_MACVLAN] = K(KIND_NS, "macvlan", VAL_NAME, netns, macvlan, EX_IFNAME),
	[KEY_WAIT] = K(KIND_GLOBAL, "wait", VAL_SECONDS, config, wait, EX_SECONDS),
	[KEY_CLAMP_MSS] = K(KIND_GLOBAL, "clamp_mss", VAL_BOOL, config, clamp_mss, EX_BOOL),
	[KEY_OFFLOAD] = K(KIND_GLOBAL, "offload", VAL_BOOL, config, offload, EX_BOOL),
};

/* ---- names ---- */

const char *name_problem(const char *s, size_t len)
{
	if (len == 0)
		return "empty name";
	if (len >= NAME_SIZE)
		return "longer than 15 bytes";
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return "'.' and '..' are not names";
	if (s[0] == '-')
		return "a name cannot start with '-'";
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '/')
			return "'/' is not allowed";
		if (ch == '%')
			return "'%' is not allowed";
		if (ch == ':')
			return "':' is not allowed";
		if (ch == ' ' || ch == '\t' || ch == '\v' || ch == '\f' || ch == '\r')
			return "whitespace is not allowed";
		/* Names reach shell commands (plan) and nft strings: keep to a safe set. */
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_' || ch == '.' || ch == '+'))
			return "only letters, digits and - _ . + are allowed";
	}
	return NULL;
}

/* ---- name tables: open addressing, so 4096 objects still parse in a blink ---- */

static size_t hash_name(const char *s)
{
	return fnv1a(s, strlen(s));
}

static struct obj *table_find(const struct name_table *t, const char *name)
{
	if (!t->cap)
		return NULL;
	for (size_t i = hash_name(name) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (!t->slot[i])
			return NULL;
		if (!strcmp(t->slot[i]->name, name))
			return t->slot[i];
	}
}

/* Puts o in the first free slot from its hash on: the slots have room. */
static void slot_put(struct obj **slot, size_t cap, struct obj *o)
{
	size_t j = hash_name(o->name) & (cap - 1);
	while (slot[j])
		j = (j + 1) & (cap - 1);
	slot[j] = o;
}

static int table_add(struct name_table *t, struct obj *o)
{
	if ((t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct obj **slot = calloc(cap, sizeof(*slot));
		if (!slot)
			return -1;
		for (size_t i = 0; i < t->cap; i++)
			if (t->slot[i])
				slot_put(slot, cap, t->slot[i]);
		free(t->slot);
		t->slot = slot;
		t->cap = cap;
	}
	slot_put(t->slot, t->cap, o);
	t->n++;
	return 0;
}

struct obj *conf_find(const struct config *c, enum kind kind, const char *name)
{
	return table_find(&c->objs[kind].names, name);
}

/* ---- values ---- */

struct line_ctx {
	struct config *c;
	struct diag *d;
	unsigned line;
	const char *key;	/* the whole key as written, for messages */
};

static NOINLINE void oom(struct line_ctx *x)
{
	diag_err(x->d, x->line, "out of memory");
}

/* "bad WHAT for KEY: 'VALUE' (WHY; expected EXPECT)", WHY optional: the one shape of a bad
 * value, the parser's and the validator's. */
void bad_key(struct diag *d, unsigned line, const char *what, const char *key, const char *value, const char *why,
	     const char *expect)
{
	diag_err(d, line, "bad %s for %s: '%s' (%s%sexpected %s)", what, key, value, why ? why : "", why ? "; " : "",
		 expect);
}

static NOINLINE void bad_value(struct line_ctx *x, enum key_id k, const char *what, const char *value,
			       const char *why)
{
	bad_key(x->d, x->line, what, x->key, value, why, key_expect(k));
}

static bool set_name(struct line_ctx *x, enum key_id k, char dst[NAME_SIZE], const char *v)
{
	const char *why = name_problem(v, strlen(v));
	if (!why && !strcmp(v, "lo"))
		why = k == KEY_NS_IFNAME ? "lo is the namespace's loopback" : "lo is the host's loopback";
	if (why) {
		bad_value(x, k, "name", v, why);
		return false;
	}
	copy_name(dst, NAME_SIZE, v);
	return true;
}

/* 1 for yes, 0 for no, -1 for neither. */
static int bool_word(const char *v)
{
	/* Arrays, not pointers: smaller; each no before its yes, so a word's place says which. */
	static const char words[][6] = {"no", "yes", "false", "true", "off", "on", "0", "1"};
	for (int i = 0; i < (int)ARRAY_SIZE(words); i++)
		if (!strcasecmp(v, words[i]))
			return i & 1;
	return -1;
}

static bool set_bool(struct line_ctx *x, enum key_id k, int *dst, const char *v)
{
	if ((*dst = bool_word(v)) >= 0)
		return true;
	bad_value(x, k, "boolean", v, NULL);
	return false;
}

/* yes (both families), no, or the one family masqueraded. */
static bool set_masq(struct line_ctx *x, enum key_id k, int *dst, const char *v)
{
	int on = bool_word(v);
	if (!strcasecmp(v, "ipv4") || !strcasecmp(v, "ipv6"))
		*dst = v[3] == '4' ? MASQ_V4 : MASQ_V6;
	else if (on >= 0)
		*dst = on ? MASQ_ALL : 0;
	else
		bad_value(x, k, "masquerade", v, NULL);
	return *dst >= 0;
}

/* A number: an MTU, a route's metric, a VLAN id, seconds to wait. */
static bool set_num(struct line_ctx *x, enum key_id k, unsigned *dst, const char *v)
{
	static const struct {
		unsigned lo, hi;
		char what[8];	/* in the row: no pointer to it */
	} range[] = {{68, 65535, "MTU"}, {0, UINT32_MAX, "metric"}, {1, 4094, "VLAN id"}, {1, 600, "wait"}};
	enum val_type t = conf_keys[k].type;
	unsigned i = t == VAL_MTU ? 0 : t == VAL_METRIC ? 1 : t == VAL_VLAN_ID ? 2 : 3;
	if (!parse_num(v, range[i].hi, dst) || *dst < range[i].lo) {
		bad_value(x, k, range[i].what, v, NULL);
		return false;
	}
	return true;
}

/* The next word of a list value: *rest starts as the value, as strtok_r(NULL) takes it,
 * so that a loop makes one call. */
static NOINLINE char *next_word(char **rest)
{
	return strtok_r(NULL, " \t", rest);
}

/* Interface names, each once. v is writable: it is the line buffer. */
static bool set_names(struct line_ctx *x, enum key_id k, struct names *dst, char *v)
{
	char (*tmp)[NAME_SIZE] = arena_alloc(&x->c->arena, (strlen(v) / 2 + 1) * NAME_SIZE);
	char *save = v;
	unsigned n = 0;
	if (!tmp) {
		oom(x);
		return false;
	}
	for (char *tok; (tok = next_word(&save));) {
		if (!set_name(x, k, tmp[n], tok))
			return false;
		for (unsigned i = 0; i < n; i++) {
			if (!strcmp(tmp[i], tok)) {
				bad_value(x, k, "name", tok, "listed twice: each interface once");
				return false;
			}
		}
		n++;
	}
	dst->v = tmp;
	dst->n = n;
	return true;
}

/* A route's via (an address), or its to: a network, or default (family 0). */
static bool set_ip(struct line_ctx *x, enum key_id k, struct prefix *p, const char *v)
{
	bool net = conf_keys[k].type == VAL_NET;
	struct prefix first;
	if (net && !strcmp(v, "default"))
		return true;
	if (!(net ? prefix_parse(v, p) : ip_parse(v, p))) {
		bad_value(x, k, "address", v, NULL);
		return false;
	}
	first = prefix_net(p);
	if (net && !prefix_eq(&first, p)) {
		bad_value(x, k, "network", v, "host bits set");
		return false;
	}
	return true;
}

/* A host's address with its prefix length; for VAL_IPS (a nameserver's) a plain address, held
 * to the same rules; for VAL_NETS, a network or a plain address. */
static bool parse_host_prefix(struct line_ctx *x, enum key_id k, const char *v, struct prefix *p)
{
	enum val_type type = conf_keys[k].type;
	bool net = type == VAL_NETS;
	if (type == VAL_IPS ? !ip_parse(v, p) : !prefix_parse(v, p) && !(net && ip_parse(v, p))) {
		bad_value(x, k, "address", v, NULL);
		return false;
	}
	if (net) {
		*p = prefix_net(p);
		return true;
	}
	const char *why = ip_host_problem(p);
	if (why) {
		bad_value(x, k, "address", v, why);
		return false;
	}
	return true;
}

/* A space-separated list of CIDRs. v is writable: it is the line buffer. */
static const char family_names[FAM_COUNT][5] = {"IPv4", "IPv6"};

/* One per family: a peer's host end, a namespace's gateway. */
static bool family_twice(struct line_ctx *x, const char *what, const struct prefix *seen, const struct prefix *p,
			 const char *tok)
{
	char first[IP_STRLEN];
	if (!seen->family)
		return false;
	diag_err(x->d, x->line, "more than one %s %s in %s: '%s' (already %s; expected at most one per family)",
		 family_names[fam(p->family)], what, x->key, tok, ip_str(seen, first));
	return true;
}

static bool set_addrs(struct line_ctx *x, enum key_id k, struct addrs *dst, char *v, enum val_type type)
{
	bool one = type == VAL_ADDR1, plain = type == VAL_IPS;
	struct prefix per_family[FAM_COUNT] = {{0}};
	struct prefix tmp[CONF_MAX_ADDRS];
	unsigned n = 0;
	bool ok = true;
	char *save = v;
	for (char *tok; (tok = next_word(&save));) {
		struct prefix p;
		if (!parse_host_prefix(x, k, tok, &p)) {
			ok = false;
			continue;
		}
		if (n == (plain ? DNS_MAX : CONF_MAX_ADDRS)) {
			diag_err(x->d, x->line, "too many addresses for %s: '%s' (expected at most %d)",
				 x->key, tok, plain ? DNS_MAX : CONF_MAX_ADDRS);
			return false;
		}
		bool twice = one && family_twice(x, "address", &per_family[fam(p.family)], &p, tok);
		per_family[fam(p.family)] = p;
		for (unsigned i = 0; i < n && !twice; i++) {
			if (type == VAL_NETS ? !prefix_eq(&tmp[i], &p) : !ip_eq(&tmp[i], &p))
				continue;
			char first[IP_STRLEN];
			diag_err(x->d, x->line, "address listed twice in %s: '%s' (already listed as %s; expected each address once)",
				 x->key, tok, (plain ? ip_str : prefix_str)(&tmp[i], first));
			twice = true;
		}
		if (twice) {
			ok = false;
			continue;
		}
		tmp[n++] = p;
	}
	if (!ok)
		return false;
	dst->v = arena_alloc(&x->c->arena, n * sizeof(*tmp));
	if (!dst->v) {
		oom(x);
		return false;
	}
	memcpy(dst->v, tmp, n * sizeof(*tmp));
	dst->n = n;
	return true;
}

/* none, or addresses: at most one per family. */
static bool set_gateway(struct line_ctx *x, enum key_id k, struct gateway *gw, char *v)
{
	if (!strcmp(v, "none")) {
		gw->mode = GW_NONE;
		return true;
	}
	char *save = v;
	for (char *tok; (tok = next_word(&save));) {
		struct prefix p;
		if (!ip_parse(tok, &p)) {
			bad_value(x, k, "gateway", tok, NULL);
			return false;
		}
		if (family_twice(x, "gateway", &gw->set[fam(p.family)], &p, tok))
			return false;
		gw->set[fam(p.family)] = p;
	}
	gw->mode = GW_ADDR;
	return true;
}

static bool parse_port(const char *s, unsigned *out)
{
	return parse_num(s, 65535, out) && *out;
}

/* PORT or PORT-PORT, the first not above the last. v is writable (the line buffer); raw is
 * the value as written. */
static bool set_ports(struct line_ctx *x, enum key_id k, struct ports *p, char *v, const char *raw)
{
	char *dash = strchr(v, '-');
	if (dash)
		*dash = '\0';
	if (parse_port(v, &p->lo) && parse_port(dash ? dash + 1 : v, &p->hi) && p->lo <= p->hi)
		return true;
	bad_value(x, k, "port", raw, NULL);
	return false;
}

/* NSNAME[:PORT], IPV4[:PORT], [IPV6][:PORT], or a plain IPv6 address (its port kept). */
static bool set_target(struct line_ctx *x, enum key_id k, struct target *t, char *v, const char *raw)
{
	char *host = v, *colon = strrchr(v, ':');
	bool ok = ip_parse(v, &t->addr);
	if (!ok && *v == '[') {
		char *rb = strchr(++host, ']');
		colon = rb && rb[1] == ':' ? rb + 1 : NULL;
		ok = rb && (!rb[1] || colon);
		if (rb)
			*rb = '\0';
		ok = ok && ip_parse(host, &t->addr) && t->addr.family == AF_INET6;
	} else if (!ok) {
		if (colon)
			*colon = '\0';
		ok = ip_parse(host, &t->addr) ? t->addr.family == AF_INET : !name_problem(host, strlen(host));
		if (ok && !t->addr.family)
			copy_name(t->ns, NAME_SIZE, host);
	} else {
		colon = NULL;
	}
	if (ok && (!colon || parse_port(colon + 1, &t->port)))
		return true;
	bad_value(x, k, "target", raw, NULL);
	return false;
}

/* Protocols: tcp, udp and, for allow, icmp (both families' ICMP). */
static bool set_proto(struct line_ctx *x, enum key_id k, unsigned *dst, char *v)
{
	static const char names[][5] = {"tcp", "udp", "icmp"};
	unsigned n = ARRAY_SIZE(names) - (k == KEY_FWD_PROTO), i;
	char *save = v;
	for (char *tok; (tok = next_word(&save));) {
		for (i = 0; i < n && strcmp(tok, names[i]); i++)
			;
		if (i == n) {
			bad_value(x, k, "protocol", tok, NULL);
			return false;
		}
		*dst |= 1u << i;
	}
	return true;
}

static bool set_value(struct line_ctx *x, struct obj *o, enum key_id k, char *v)
{
	const struct key_info *ki = &conf_keys[k];
	void *field = (char *)(ki->kind == KIND_GLOBAL ? (void *)x->c : (void *)o) + ki->off;

	switch ((enum val_type)ki->type) {
	case VAL_NAME:
		return set_name(x, k, field, v);
	case VAL_BOOL:
		return set_bool(x, k, field, v);
	case VAL_PORTS:
		return set_ports(x, k, field, v, o->raw[k]);
	case VAL_TARGET:
		return set_target(x, k, field, v, o->raw[k]);
	case VAL_PROTO:
		return set_proto(x, k, field, v);
	case VAL_MTU:
	case VAL_METRIC:
	case VAL_VLAN_ID:
	case VAL_SECONDS:
		return set_num(x, k, field, v);
	case VAL_NAMES:
		return set_names(x, k, field, v);
	case VAL_NET:
	case VAL_IP:
		return set_ip(x, k, field, v);
	case VAL_ADDRS:
	case VAL_ADDR1:
	case VAL_IPS:
	case VAL_NETS:
		return set_addrs(x, k, field, v, ki->type);
	case VAL_GATEWAY:
		return set_gateway(x, k, field, v);
	case VAL_MASQ:
		return set_masq(x, k, field, v);
	}
	return false;
}

/* ---- keys ---- */

static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[32];
	if (la >= ARRAY_SIZE(row) || lb >= ARRAY_SIZE(row))
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* "uplink, bridge.NAME.ATTRIBUTE or ns.NAME.ATTRIBUTE": every form a key can take. */
static void key_forms(struct sbuf *s)
{
	for (int k = 0; k < KEY_COUNT; k++)
		if (conf_keys[k].kind == KIND_GLOBAL)
			sbuf_addf(s, "%s%s", s->len ? ", " : "", conf_keys[k].attr);
	for (int kind = KIND_GLOBAL + 1; kind < KIND_COUNT; kind++)
		sbuf_addf(s, "%s%s.NAME.ATTRIBUTE", kind + 1 == KIND_COUNT ? " or " : ", ", conf_kinds[kind].name);
}

/* An unknown key: what was expected (none given: every form a key can take), and the closest
 * name, if any. */
static void unknown_key(struct line_ctx *x, struct sbuf *expected, const char *guess)
{
	if (!expected->len)
		key_forms(expected);
	diag_err(x->d, x->line, "unknown key: '%s' (expected %s%s%s%s)", x->key, sbuf_str(expected),
		 guess ? "; did you mean '" : "", guess ? guess : "", guess ? "'?" : "");
	sbuf_free(expected);
}

/* An attribute of no key of its kind: the kind's attributes (a global's are among every form
 * a key can take), and the closest one. */
static void unknown_attr(struct line_ctx *x, enum kind kind, const char *attr)
{
	struct sbuf s = {0};
	const char *guess = NULL;
	unsigned best = 3;
	if (kind != KIND_GLOBAL)
		sbuf_addf(&s, "%s.NAME. and one of ", conf_kinds[kind].name);
	size_t list = s.len;
	for (int k = 0; k < KEY_COUNT; k++) {
		if (conf_keys[k].kind != kind)
			continue;
		if (kind != KIND_GLOBAL)
			sbuf_addf(&s, "%s%s", s.len > list ? ", " : "", conf_keys[k].attr);
		unsigned dist = edit_distance(attr, conf_keys[k].attr);
		if (dist < best && dist * 3 <= strlen(attr)) {
			best = dist;
			guess = conf_keys[k].attr;
		}
	}
	unknown_key(x, &s, guess);
}

/* The object of that kind and name, made on first mention: its own struct, with every
 * boolean unset (-1) until validation gives it a default. */
static NOINLINE struct obj *get_obj(struct line_ctx *x, enum kind kind, const char *name)
{
	struct config *c = x->c;
	struct obj_list *l = &c->objs[kind];
	struct obj *o = table_find(&l->names, name);
	if (o)
		return o;
	if (l->n >= CONF_MAX_OBJECTS) {
		if (!c->truncated)
			diag_err(x->d, x->line, "too many %s objects: '%s' (expected at most %d)",
				 conf_kinds[kind].name, name, CONF_MAX_OBJECTS);
		c->truncated = true;
		return NULL;
	}
	o = arena_alloc(&c->arena, conf_kinds[kind].size + sizeof(struct obj_keys));
	if (!o || grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		goto oom;
	struct obj_keys *keys = (struct obj_keys *)((char *)o + conf_kinds[kind].size);
	o->at = keys->at;
	o->raw = keys->raw;
	o->bad = keys->bad;
	for (int k = 0; k < KEY_COUNT; k++)
		if (conf_keys[k].kind == kind && (conf_keys[k].type == VAL_BOOL || conf_keys[k].type == VAL_MASQ))
			*(int *)((char *)o + conf_keys[k].off) = -1;
	l->v[l->n++] = o;
	copy_name(o->name, NAME_SIZE, name);
	o->kind = kind;
	o->line = x->line;
	if (table_add(&l->names, o))
		goto oom;
	return o;
oom:
	oom(x);
	return NULL;
}

/* The config's globals live in a pseudo-object so duplicate keys are caught the same way. */
static void parse_setting(struct line_ctx *x, struct obj *globals, char *key, char *value)
{
	char *first = strchr(key, '.'), *last = strrchr(key, '.');
	enum kind kind = KIND_GLOBAL;
	const char *attr = key;
	struct obj *o = globals;

	if (first) {
		*first = '\0';
		const char *guess = NULL;
		for (int kk = KIND_GLOBAL + 1; kk < KIND_COUNT; kk++) {
			if (!strcmp(key, conf_kinds[kk].name))
				kind = kk;
			else if (edit_distance(key, conf_kinds[kk].name) * 3 <= strlen(key))
				guess = conf_kinds[kk].name;
		}
		*first = '.';
		if (kind == KIND_GLOBAL || first == last) {
			struct sbuf forms = {0};
			unknown_key(x, &forms, first != last && !strcmp(last + 1, "uplink") ? NULL : guess);
			return;
		}
		attr = last + 1;
	}
	int k;
	for (k = 0; k < KEY_COUNT; k++)
		if (conf_keys[k].kind == kind && !strcmp(conf_keys[k].attr, attr))
			break;
	if (kind != KIND_GLOBAL) {
		const char *name = first + 1;
		size_t len = (size_t)(last - name);
		const char *why = name_problem(name, len);
		if (!why && (kind == KIND_BRIDGE || kind == KIND_VLAN) && len == 2 && !memcmp(name, "lo", 2))
			why = "lo is the host's loopback";
		/* The scan for stale namespaces skips hidden names, so such a one would leak. */
		if (!why && kind == KIND_NS && name[0] == '.')
			why = "a namespace name cannot start with '.'";
		if (why) {
			diag_err(x->d, x->line, "bad %s name in key '%s': '%.*s' (%s; expected 1 to 15 of letters, digits, - _ . +)",
				 conf_kinds[kind].noun, key, (int)len, name, why);
			return;
		}
		/* The object exists even when this key is wrong: references to it are not errors too. */
		*last = '\0';
		o = get_obj(x, kind, name);
		*last = '.';
		if (!o)
			return;
	}
	if (k == KEY_COUNT && kind != KIND_GLOBAL && !strcmp(attr, "uplink")) {
		diag_err(x->d, x->line, "unknown key: '%s' (expected uplink = IFNAME: uplink is a global key)", key);
		o->unknown_key = true;
		return;
	}
	if (k == KEY_COUNT) {
		unknown_attr(x, kind, attr);
		o->unknown_key = true;
		return;
	}
	if (o->at[k]) {
		diag_err(x->d, x->line, "duplicate key: '%s' (already set on line %u)", key, o->at[k]);
		return;
	}
	o->at[k] = x->line;
	o->raw[k] = arena_strdup(&x->c->arena, value);
	if (!o->raw[k]) {
		oom(x);
		return;
	}
	if (!set_value(x, o, (enum key_id)k, value))
		o->bad[k] = true;
}

static char *trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

void conf_parse(struct config *c, const char *text, size_t len, struct diag *d)
{
	struct obj_keys global_keys = {0};
	struct obj globals = {.kind = KIND_GLOBAL, .at = global_keys.at, .raw = global_keys.raw, .bad = global_keys.bad};
	char *buf = malloc(CONF_MAX_LINE + 1);
	if (!buf) {
		diag_err(d, 0, "out of memory");
		return;
	}
	unsigned lineno = 0;
	c->clamp_mss = -1;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		const char *line = text + pos;
		pos += n + (nl != NULL);
		lineno++;
		if (memchr(line, '\0', n)) {
			diag_err(d, lineno, "NUL byte in line (expected text)");
			continue;
		}
		if (n > CONF_MAX_LINE) {
			diag_err(d, lineno, "line too long: %zu bytes (expected at most %d)", n, CONF_MAX_LINE);
			continue;
		}
		memcpy(buf, line, n);
		buf[n] = '\0';
		if (n && buf[n - 1] == '\r')
			buf[--n] = '\0';	/* DOS line endings */
		if (memchr(buf, '\r', n)) {
			diag_err(d, lineno, "carriage return inside a line (expected Unix or DOS line endings)");
			continue;
		}
		char *hash = strchr(buf, '#');
		char *s = trim(buf, hash ? hash : buf + n);
		if (!*s)
			continue;
		char *eq = strchr(s, '='), *key = s, *value = NULL;
		/* What is wrong with the line's shape, in one message format. */
		const char *what = "not a setting", *shown = s, *expect = "KEY = VALUE";
		if (eq) {
			key = trim(s, eq);
			value = trim(eq + 1, eq + 1 + strlen(eq + 1));
			what = NULL;
			shown = key;
			if (!*key) {
				*eq = '=';
				what = "missing key";
				shown = s;
			} else if (key[strcspn(key, " \t")]) {
				what = "bad key";
				expect = "no spaces inside a key";
			} else if (!*value) {
				what = "missing value";
			}
		}
		if (what) {
			diag_err(d, lineno, "%s: '%s' (expected %s)", what, shown, expect);
			continue;
		}
		struct line_ctx x = {.c = c, .d = d, .line = lineno, .key = key};
		parse_setting(&x, &globals, key, value);
	}
	c->uplink_line = globals.at[KEY_UPLINK];
	c->uplink_bad = globals.bad[KEY_UPLINK];
	free(buf);
}

/* ---- files ---- */

static int read_all(int fd, struct sbuf *s, struct diag *d)
{
	char chunk[16384];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			diag_err(d, 0, "cannot read: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		if (s->len + (size_t)n > CONF_MAX_BYTES) {
			diag_err(d, 0, "config too large: more than %d bytes (expected at most %d)",
				 CONF_MAX_BYTES, CONF_MAX_BYTES);
			return -1;
		}
		sbuf_add(s, chunk, (size_t)n);
		if (s->oom) {
			diag_err(d, 0, "out of memory");
			return -1;
		}
	}
}

/* Who could have written the file root is about to act on? Only root may have. */
static bool trusted(int fd, struct diag *d)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		diag_err(d, 0, "cannot stat: %s", strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode))
		diag_err(d, 0, "%s (expected a regular file owned by root)", "not a regular file");
	else if (st.st_uid != 0)
		diag_err(d, 0, "owned by uid %u, not by root (expected a file only root can write)", (unsigned)st.st_uid);
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		diag_err(d, 0, "writable by %s: mode %04o (expected a file only root can write)",
			 st.st_mode & S_IWOTH ? "others" : "its group", (unsigned)(st.st_mode & 07777));
	else
		return true;
	return false;
}

unsigned conf_load(struct config *c, const char *path, bool strict, struct diag *d)
{
	struct sbuf text = {0};
	int fd = 0;
	bool is_stdin = !strcmp(path, "-");

	c->file = d->file = is_stdin ? "<stdin>" : path;
	if (!is_stdin) {
		/* Strict, a FIFO or a device must not block the open: trusted() refuses them. */
		fd = open(path, O_RDONLY | O_CLOEXEC | (strict ? O_NOFOLLOW | O_NONBLOCK : 0));
		if (fd < 0) {
			if (errno == ELOOP && strict)
				diag_err(d, 0, "%s (expected a regular file owned by root)", "is a symbolic link");
			else
				diag_err(d, 0, "cannot open: %s", strerror(errno));
			return d->errors;
		}
		if (strict && !trusted(fd, d)) {
			close(fd);
			return d->errors;
		}
	}
	if (read_all(fd, &text, d) == 0) {
		conf_parse(c, sbuf_str(&text), text.len, d);
		if (!c->truncated)
			conf_validate(c, d);
	}
	if (!is_stdin)
		close(fd);
	sbuf_free(&text);
	return d->errors;
}

void conf_free(struct config *c)
{
	for (int k = 0; k < KIND_COUNT; k++) {
		free(c->objs[k].v);
		free(c->objs[k].names.slot);
	}
	free(c->segs);
	arena_free(&c->arena);
	*c = (struct config){0};
}
