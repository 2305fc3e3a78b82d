/* conf.c: read /etc/boxnet.conf, one `key = value` per line, into the config model. */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const conf_kind_names[] = {"", "bridge", "ns"};

/* The one list of keys: parser, errors, man page check and fuzz seeds all read it. */
const struct key_info conf_keys[KEY_COUNT] = {
	[KEY_UPLINK] = {KIND_GLOBAL, "uplink", "an interface name"},
	[KEY_BR_ADDRESS] = {KIND_BRIDGE, "address", "IPv4 addresses with prefix length, like 10.0.0.1/24"},
	[KEY_BR_MASQUERADE] = {KIND_BRIDGE, "masquerade", "yes or no"},
	[KEY_BR_ISOLATE] = {KIND_BRIDGE, "isolate", "yes or no"},
	[KEY_BR_MTU] = {KIND_BRIDGE, "mtu", "a number from 68 to 65535"},
	[KEY_NS_BRIDGE] = {KIND_NS, "bridge", "the name of a bridge in this file"},
	[KEY_NS_PEER] = {KIND_NS, "peer", "an IPv4 address with prefix length, like 10.1.0.1/30"},
	[KEY_NS_ADDRESS] = {KIND_NS, "address", "IPv4 addresses with prefix length, like 10.0.0.2/24"},
	[KEY_NS_GATEWAY] = {KIND_NS, "gateway", "an IPv4 address or none"},
	[KEY_NS_IFNAME] = {KIND_NS, "ifname", "an interface name"},
	[KEY_NS_HOSTIF] = {KIND_NS, "hostif", "an interface name"},
	[KEY_NS_MASQUERADE] = {KIND_NS, "masquerade", "yes or no"},
	[KEY_NS_ISOLATE] = {KIND_NS, "isolate", "yes or no"},
	[KEY_NS_MTU] = {KIND_NS, "mtu", "a number from 68 to 65535"},
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

static int table_add(struct name_table *t, struct obj *o)
{
	if ((t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct obj **slot = calloc(cap, sizeof(*slot));
		if (!slot)
			return -1;
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->slot[i])
				continue;
			size_t j = hash_name(t->slot[i]->name) & (cap - 1);
			while (slot[j])
				j = (j + 1) & (cap - 1);
			slot[j] = t->slot[i];
		}
		free(t->slot);
		t->slot = slot;
		t->cap = cap;
	}
	size_t j = hash_name(o->name) & (t->cap - 1);
	while (t->slot[j])
		j = (j + 1) & (t->cap - 1);
	t->slot[j] = o;
	t->n++;
	return 0;
}

struct bridge *conf_bridge(const struct config *c, const char *name)
{
	return (struct bridge *)table_find(&c->bridge_names, name);
}

struct netns *conf_ns(const struct config *c, const char *name)
{
	return (struct netns *)table_find(&c->ns_names, name);
}

/* ---- values ---- */

struct line_ctx {
	struct config *c;
	struct diag *d;
	unsigned line;
	const char *key;	/* the whole key as written, for messages */
};

static void bad_value(struct line_ctx *x, enum key_id k, const char *what, const char *value,
		      const char *why)
{
	if (why)
		diag_err(x->d, x->line, "%s for %s: '%s' (%s; expected %s)", what, x->key, value, why,
			 conf_keys[k].expect);
	else
		diag_err(x->d, x->line, "%s for %s: '%s' (expected %s)", what, x->key, value,
			 conf_keys[k].expect);
}

static bool set_name(struct line_ctx *x, enum key_id k, char dst[NAME_SIZE], const char *v)
{
	const char *why = name_problem(v, strlen(v));
	if (!why && !strcmp(v, "lo"))
		why = k == KEY_NS_IFNAME ? "lo is the namespace's loopback" : "lo is the host's loopback";
	if (why) {
		bad_value(x, k, "bad name", v, why);
		return false;
	}
	copy_name(dst, NAME_SIZE, v);
	return true;
}

static bool set_bool(struct line_ctx *x, enum key_id k, int *dst, const char *v)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			*dst = !strcasecmp(v, yes[i]);
			return true;
		}
	}
	bad_value(x, k, "bad boolean", v, NULL);
	return false;
}

static bool set_mtu(struct line_ctx *x, enum key_id k, unsigned *dst, const char *v)
{
	/* Decimal digits only: strtoul would take signs, spaces and overflow. */
	unsigned long n = 0;
	const char *d = v;
	while (*d >= '0' && *d <= '9' && n <= 65535)
		n = n * 10 + (unsigned long)(*d++ - '0');
	if (d == v || *d || n < 68 || n > 65535) {
		bad_value(x, k, "bad MTU", v, NULL);
		return false;
	}
	*dst = (unsigned)n;
	return true;
}

/* Text that reads as an IPv6 address (with or without a prefix length), to say why it is
 * refused; a rough look serves, and spares the binary inet_pton(). */
static bool looks_ipv6(const char *v)
{
	size_t n = strcspn(v, "/");
	if (strspn(v, "0123456789abcdefABCDEF:.") != n)
		return false;
	/* At least two colons, and dots only in a trailing IPv4 part. */
	unsigned colons = 0;
	bool dot = false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] == ':') {
			if (dot)
				return false;
			colons++;
		}
		dot |= v[i] == '.';
	}
	return colons >= 2;
}

static bool parse_host_prefix(struct line_ctx *x, enum key_id k, const char *v, struct prefix *p)
{
	if (!ip4_parse_prefix(v, p)) {
		bad_value(x, k, looks_ipv6(v) ? "IPv6 is not supported yet" : "bad address", v, NULL);
		return false;
	}
	const char *why = ip4_host_problem(p);
	if (why) {
		bad_value(x, k, "bad address", v, why);
		return false;
	}
	return true;
}

/* A space-separated list of CIDRs. v is writable: it is the line buffer. */
static bool set_addrs(struct line_ctx *x, enum key_id k, struct addrs *dst, char *v)
{
	struct prefix tmp[CONF_MAX_ADDRS];
	unsigned n = 0;
	bool ok = true;
	char *save = NULL;
	for (char *tok = strtok_r(v, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		struct prefix p;
		if (!parse_host_prefix(x, k, tok, &p)) {
			ok = false;
			continue;
		}
		if (n == CONF_MAX_ADDRS) {
			diag_err(x->d, x->line, "too many addresses for %s: '%s' (expected at most %d)",
				 x->key, tok, CONF_MAX_ADDRS);
			return false;
		}
		bool twice = false;
		for (unsigned i = 0; i < n && !twice; i++) {
			if (tmp[i].addr != p.addr)
				continue;
			char first[IP4_STRLEN];
			diag_err(x->d, x->line, "address listed twice in %s: '%s' (already listed as %s; expected each address once)",
				 x->key, tok, prefix_str(&tmp[i], first));
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
		diag_err(x->d, x->line, "out of memory");
		return false;
	}
	memcpy(dst->v, tmp, n * sizeof(*tmp));
	dst->n = n;
	return true;
}

static bool set_value(struct line_ctx *x, struct obj *o, enum key_id k, char *v)
{
	struct bridge *b = (struct bridge *)o;
	struct netns *ns = (struct netns *)o;
	struct prefix p;

	switch (k) {
	case KEY_UPLINK:
		return set_name(x, k, x->c->uplink, v);
	case KEY_BR_ADDRESS:
		return set_addrs(x, k, &b->addrs, v);
	case KEY_BR_MASQUERADE:
		return set_bool(x, k, &b->masquerade, v);
	case KEY_BR_ISOLATE:
		return set_bool(x, k, &b->isolate, v);
	case KEY_BR_MTU:
		return set_mtu(x, k, &b->mtu, v);
	case KEY_NS_BRIDGE:
		return set_name(x, k, ns->bridge_name, v);
	case KEY_NS_PEER:
		if (!parse_host_prefix(x, k, v, &p))
			return false;
		ns->peer = p;
		ns->has_peer = true;
		return true;
	case KEY_NS_ADDRESS:
		return set_addrs(x, k, &ns->addrs, v);
	case KEY_NS_GATEWAY:
		if (!strcmp(v, "none")) {
			ns->gw_mode = GW_NONE;
			return true;
		}
		if (!ip4_parse(v, &ns->gateway)) {
			bad_value(x, k, looks_ipv6(v) ? "IPv6 is not supported yet" : "bad gateway", v, NULL);
			return false;
		}
		ns->gw_mode = GW_ADDR;
		return true;
	case KEY_NS_IFNAME:
		return set_name(x, k, ns->ifname, v);
	case KEY_NS_HOSTIF:
		return set_name(x, k, ns->hostif, v);
	case KEY_NS_MASQUERADE:
		return set_bool(x, k, &ns->masquerade, v);
	case KEY_NS_ISOLATE:
		return set_bool(x, k, &ns->isolate, v);
	case KEY_NS_MTU:
		return set_mtu(x, k, &ns->mtu, v);
	case KEY_COUNT:
		break;
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

static void unknown_attr(struct line_ctx *x, enum kind kind, const char *attr)
{
	struct sbuf s = {0};
	const char *guess = NULL;
	unsigned best = 3;
	for (int k = 0; k < KEY_COUNT; k++) {
		if (conf_keys[k].kind != kind)
			continue;
		sbuf_addf(&s, "%s%s", s.len ? ", " : "", conf_keys[k].attr);
		unsigned dist = edit_distance(attr, conf_keys[k].attr);
		if (dist < best && dist * 3 <= strlen(attr)) {
			best = dist;
			guess = conf_keys[k].attr;
		}
	}
	const char *q = guess ? "'?" : "";
	if (kind == KIND_GLOBAL)
		diag_err(x->d, x->line,
			 "unknown key: '%s' (expected %s, bridge.NAME.ATTRIBUTE or ns.NAME.ATTRIBUTE%s%s%s)",
			 x->key, sbuf_str(&s), guess ? "; did you mean '" : "", guess ? guess : "", q);
	else
		diag_err(x->d, x->line, "unknown key: '%s' (expected %s.NAME. and one of %s%s%s%s)", x->key,
			 conf_kind_names[kind], sbuf_str(&s), guess ? "; did you mean '" : "",
			 guess ? guess : "", q);
	sbuf_free(&s);
}

static struct obj *get_obj(struct line_ctx *x, enum kind kind, const char *name)
{
	struct config *c = x->c;
	struct name_table *t = kind == KIND_BRIDGE ? &c->bridge_names : &c->ns_names;
	struct obj *o = table_find(t, name);
	if (o)
		return o;
	size_t *n = kind == KIND_BRIDGE ? &c->nbridges : &c->nns;
	if (*n >= CONF_MAX_OBJECTS) {
		if (!c->truncated)
			diag_err(x->d, x->line, "too many %s objects: '%s' (expected at most %d)",
				 conf_kind_names[kind], name, CONF_MAX_OBJECTS);
		c->truncated = true;
		return NULL;
	}
	if (kind == KIND_BRIDGE) {
		struct bridge *b = arena_alloc(&c->arena, sizeof(*b));
		if (!b || grow(&c->bridges, &c->bridges_cap, c->nbridges + 1, sizeof(*c->bridges)))
			goto oom;
		b->masquerade = b->isolate = -1;
		c->bridges[c->nbridges++] = b;
		o = &b->o;
	} else {
		struct netns *ns = arena_alloc(&c->arena, sizeof(*ns));
		if (!ns || grow(&c->ns, &c->ns_cap, c->nns + 1, sizeof(*c->ns)))
			goto oom;
		ns->masquerade = ns->isolate = -1;
		c->ns[c->nns++] = ns;
		o = &ns->o;
	}
	copy_name(o->name, NAME_SIZE, name);
	o->kind = kind;
	o->line = x->line;
	if (table_add(t, o))
		goto oom;
	return o;
oom:
	diag_err(x->d, x->line, "out of memory");
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
		for (enum kind kk = KIND_BRIDGE; kk <= KIND_NS; kk++) {
			if (!strcmp(key, conf_kind_names[kk]))
				kind = kk;
			else if (edit_distance(key, conf_kind_names[kk]) * 3 <= strlen(key))
				guess = conf_kind_names[kk];
		}
		*first = '.';
		if (kind == KIND_GLOBAL || first == last) {
			if (first != last && !strcmp(last + 1, "uplink"))
				guess = NULL;
			diag_err(x->d, x->line,
				 "unknown key: '%s' (expected uplink, bridge.NAME.ATTRIBUTE or ns.NAME.ATTRIBUTE%s%s%s)",
				 key, guess ? "; did you mean '" : "", guess ? guess : "", guess ? "'?" : "");
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
		if (!why && kind == KIND_BRIDGE && len == 2 && !strncmp(name, "lo", 2))
			why = "lo is the host's loopback";
		/* The scan for stale namespaces skips hidden names, so such a one would leak. */
		if (!why && kind == KIND_NS && name[0] == '.')
			why = "a namespace name cannot start with '.'";
		if (why) {
			diag_err(x->d, x->line, "bad %s name in key '%s': '%.*s' (%s; expected 1 to 15 of letters, digits, - _ . +)",
				 kind == KIND_BRIDGE ? "bridge" : "namespace", key, (int)len, name, why);
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
		diag_err(x->d, x->line, "out of memory");
		return;
	}
	if (!set_value(x, o, (enum key_id)k, value))
		o->bad |= 1u << k;
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
	struct obj globals = {.kind = KIND_GLOBAL};
	char *buf = malloc(CONF_MAX_LINE + 1);
	if (!buf) {
		diag_err(d, 0, "out of memory");
		return;
	}
	unsigned lineno = 0;
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
		char *eq = strchr(s, '=');
		struct line_ctx x = {.c = c, .d = d, .line = lineno};
		if (!eq) {
			diag_err(d, lineno, "not a setting: '%s' (expected KEY = VALUE)", s);
			continue;
		}
		char *key = trim(s, eq);
		char *value = trim(eq + 1, eq + 1 + strlen(eq + 1));
		x.key = key;
		if (!*key) {
			*eq = '=';
			diag_err(d, lineno, "missing key: '%s' (expected KEY = VALUE)", s);
			continue;
		}
		if (strpbrk(key, " \t")) {
			diag_err(d, lineno, "bad key: '%s' (expected no spaces inside a key)", key);
			continue;
		}
		if (!*value) {
			diag_err(d, lineno, "missing value: '%s' (expected KEY = VALUE)", key);
			continue;
		}
		parse_setting(&x, &globals, key, value);
	}
	c->uplink_line = globals.at[KEY_UPLINK];
	c->uplink_bad = globals.bad & (1u << KEY_UPLINK);
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
		diag_err(d, 0, "not a regular file (expected a regular file owned by root)");
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
				diag_err(d, 0, "is a symbolic link (expected a regular file owned by root)");
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
	free(c->bridges);
	free(c->ns);
	free(c->bridge_names.slot);
	free(c->ns_names.slot);
	free(c->segs);
	arena_free(&c->arena);
	*c = (struct config){0};
}
