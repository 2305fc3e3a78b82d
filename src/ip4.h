/* ip4.h: IPv4 addresses and prefixes: strict parsing, formatting, subnet arithmetic. */
#ifndef BOXNET_IP4_H
#define BOXNET_IP4_H

#include <stdbool.h>
#include <stdint.h>

/* An address with its prefix length, as on an interface: 10.0.0.1/24. Host byte order. */
struct prefix {
	uint32_t addr;
	uint8_t len;
};

#define IP4_STRLEN 20	/* "255.255.255.255/32" and NUL, rounded up */

bool ip4_parse(const char *s, uint32_t *addr);
bool ip4_parse_prefix(const char *s, struct prefix *p);
const char *ip4_str(uint32_t addr, char buf[IP4_STRLEN]);
const char *prefix_str(const struct prefix *p, char buf[IP4_STRLEN]);

uint32_t prefix_mask(uint8_t len);
uint32_t prefix_net(const struct prefix *p);
uint32_t prefix_bcast(const struct prefix *p);
bool prefix_contains(const struct prefix *p, uint32_t addr);
bool prefix_overlap(const struct prefix *a, const struct prefix *b);

/* Why an address cannot sit on an interface (network or broadcast address, loopback...). */
const char *ip4_host_problem(const struct prefix *p);

#endif
