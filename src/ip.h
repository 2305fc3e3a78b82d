/* ip.h: IPv4 and IPv6 addresses and prefixes: parsing (libc's inet_pton), formatting, subnets. */
#ifndef BOXNET_IP_H
#define BOXNET_IP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* An address of either family with a prefix length, as on an interface: 10.0.0.1/24 or
 * fd00::1/64; a plain address has its family's full length. Network byte order, so that it
 * goes to the kernel and to nftables as it is (as wireguard-tools' wgallowedip does). */
struct prefix {
	uint8_t family;		/* AF_INET or AF_INET6; 0 for none */
	uint8_t len;
	uint8_t a[16];		/* an IPv4 address in the first 4 bytes, the rest zero */
};

#define IP_STRLEN 52	/* INET6_ADDRSTRLEN and "/128", rounded up */

/* The index of a family in per-family arrays: 0 for IPv4, 1 for IPv6. */
enum { FAM_V4, FAM_V6, FAM_COUNT };
static inline unsigned fam(uint8_t family)
{
	return family == AF_INET6;
}
static inline uint8_t fam_af(unsigned f)
{
	return f == FAM_V6 ? AF_INET6 : AF_INET;
}

unsigned ip_size(uint8_t family);	/* 4 or 16: bytes of an address */
bool ip_parse(const char *s, struct prefix *p);		/* a plain address */
bool prefix_parse(const char *s, struct prefix *p);	/* ADDRESS/LEN, both required */
const char *ip_str(const struct prefix *p, char buf[IP_STRLEN]);	/* the address only */
const char *prefix_str(const struct prefix *p, char buf[IP_STRLEN]);

bool ip_eq(const struct prefix *a, const struct prefix *b);	/* family and address */
int ip_cmp(const struct prefix *a, const struct prefix *b);	/* family, then address */
bool prefix_eq(const struct prefix *a, const struct prefix *b);	/* and the length */
struct prefix prefix_bits(const struct prefix *p, bool set);	/* host bits cleared or set */
static inline struct prefix prefix_net(const struct prefix *p)	/* host bits cleared */
{
	return prefix_bits(p, false);
}
static inline struct prefix prefix_last(const struct prefix *p)	/* host bits set: IPv4's broadcast */
{
	return prefix_bits(p, true);
}
bool prefix_contains(const struct prefix *p, const struct prefix *addr);
bool prefix_overlap(const struct prefix *a, const struct prefix *b);

/* Why an address cannot sit on an interface (network or broadcast address, loopback...). */
const char *ip_host_problem(const struct prefix *p);
/* The same for the ends of its subnet alone: its network address, or IPv4's broadcast. */
const char *ip_subnet_end(const struct prefix *p);

#endif
