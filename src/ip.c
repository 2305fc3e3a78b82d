/* ip.c: addresses of both families: libc parses and prints them; subnet arithmetic on bytes. */
#include "ip.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

unsigned ip_size(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* inet_pton takes dotted quads only, without leading zeros (inet_aton would read 010 as
 * octal), and every IPv6 form but a zone index. */
bool ip_parse(const char *s, struct prefix *p)
{
	struct prefix q = {.family = strchr(s, ':') ? AF_INET6 : AF_INET};
	if (inet_pton(q.family, s, q.a) != 1)
		return false;
	q.len = (uint8_t)(ip_size(q.family) * 8);
	*p = q;
	return true;
}

bool prefix_parse(const char *s, struct prefix *p)
{
	char buf[IP_STRLEN];
	const char *slash = strchr(s, '/');
	unsigned len;
	/* A leading zero is refused: 10.0.0.1/010 is a typo whichever way it is read. */
	if (!slash || (size_t)(slash - s) >= sizeof(buf) || (slash[1] == '0' && slash[2]))
		return false;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (!ip_parse(buf, p) || !parse_num(slash + 1, p->len, &len))
		return false;
	p->len = (uint8_t)len;
	return true;
}

const char *ip_str(const struct prefix *p, char buf[IP_STRLEN])
{
	if (!inet_ntop(p->family == AF_INET6 ? AF_INET6 : AF_INET, p->a, buf, IP_STRLEN))
		snprintf(buf, IP_STRLEN, "?");
	return buf;
}

const char *prefix_str(const struct prefix *p, char buf[IP_STRLEN])
{
	ip_str(p, buf);
	size_t n = strlen(buf);
	snprintf(buf + n, IP_STRLEN - n, "/%u", p->len);
	return buf;
}

bool ip_eq(const struct prefix *a, const struct prefix *b)
{
	return a->family == b->family && !memcmp(a->a, b->a, sizeof(a->a));
}

int ip_cmp(const struct prefix *a, const struct prefix *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->a, b->a, sizeof(a->a));
}

bool prefix_eq(const struct prefix *a, const struct prefix *b)
{
	return ip_eq(a, b) && a->len == b->len;
}

/* Each byte past the first len bits: cleared, or set. */
struct prefix prefix_bits(const struct prefix *p, bool set)
{
	struct prefix q = *p;
	for (unsigned i = 0; i < ip_size(p->family); i++) {
		unsigned keep = p->len > i * 8 ? p->len - i * 8 : 0;
		uint8_t mask = keep >= 8 ? 0xff : (uint8_t)(0xff00 >> keep);
		q.a[i] = set ? (uint8_t)(q.a[i] | ~mask) : (uint8_t)(q.a[i] & mask);
	}
	return q;
}

/* Do a and b agree on their first len bits? Compared in place: copies of the prefixes would
 * cost a stack-protector check. */
static bool same_bits(const struct prefix *a, const struct prefix *b, unsigned len)
{
	unsigned n = len / 8;
	return a->family == b->family && !memcmp(a->a, b->a, n) &&
	       (len % 8 == 0 || !((a->a[n] ^ b->a[n]) & (0xff00 >> len % 8)));
}

bool prefix_contains(const struct prefix *p, const struct prefix *addr)
{
	return same_bits(p, addr, p->len);
}

bool prefix_overlap(const struct prefix *a, const struct prefix *b)
{
	return same_bits(a, b, a->len < b->len ? a->len : b->len);
}

static const char *ip4_problem(const struct prefix *p)
{
	uint8_t top = p->a[0];
	if (top == 0)
		return "0.0.0.0/8 is not a host address";
	if (top == 127)
		return "127.0.0.0/8 is loopback";
	if (top >= 224)
		return "multicast and reserved addresses cannot be assigned";
	return NULL;
}

static const char *ip6_problem(const struct prefix *p)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
	struct prefix one = {.family = AF_INET6, .a[15] = 1};
	if (p->a[0] == 0xff)
		return "ff00::/8 is multicast";
	if (p->a[0] == 0xfe && (p->a[1] & 0xc0) == 0x80)
		return "fe80::/10 is link-local: the kernel gives every link its own";
	if (ip_eq(p, &one))
		return "::1 is loopback";
	if (!memcmp(p->a, mapped, sizeof(mapped)))
		return "::ffff:0:0/96 is IPv4-mapped";
	if (!memcmp(p->a, one.a, 15) && p->a[15] == 0)
		return "the unspecified address :: is not a host address";
	return NULL;
}

const char *ip_subnet_end(const struct prefix *p)
{
	if (p->len >= ip_size(p->family) * 8 - 1)
		return NULL;	/* a subnet of one or two addresses: all are hosts */
	/* IPv4's two ends of a subnet; IPv6 has no broadcast, but its first address is every
	 * router's anycast (RFC 4291's Subnet-Router), which the kernel answers for. */
	struct prefix net = prefix_net(p), last = prefix_last(p);
	if (ip_eq(p, &net))
		return "that is the subnet's network address";
	if (p->family == AF_INET && ip_eq(p, &last))
		return "that is the subnet's broadcast address";
	return NULL;
}

const char *ip_host_problem(const struct prefix *p)
{
	if (p->len == 0)
		return "a /0 prefix covers every address";
	const char *why = p->family == AF_INET6 ? ip6_problem(p) : ip4_problem(p);
	return why ? why : ip_subnet_end(p);
}
