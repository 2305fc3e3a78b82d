/* ip4.c: IPv4 address parsing and subnet arithmetic. */
#include "ip4.h"

#include <stdio.h>

/* Dotted quad only: four decimal octets, no leading zeros (inet_aton would read 010 as octal). */
bool ip4_parse(const char *s, uint32_t *addr)
{
	uint32_t a = 0;
	for (int i = 0; i < 4; i++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned v = 0;
		const char *start = s;
		while (*s >= '0' && *s <= '9' && s - start < 4)
			v = v * 10 + (unsigned)(*s++ - '0');
		if (v > 255 || s - start > 3 || (s - start > 1 && *start == '0'))
			return false;
		a = a << 8 | v;
		if (i < 3 && *s++ != '.')
			return false;
	}
	if (*s)
		return false;
	*addr = a;
	return true;
}

bool ip4_parse_prefix(const char *s, struct prefix *p)
{
	char buf[IP4_STRLEN];
	const char *slash = s;
	while (*slash && *slash != '/')
		slash++;
	if (*slash != '/' || slash - s >= (long)sizeof(buf))
		return false;
	for (int i = 0; s + i < slash; i++)
		buf[i] = s[i];
	buf[slash - s] = '\0';
	unsigned len = 0, digits = 0;
	for (const char *l = slash + 1; *l; l++, digits++) {
		if (*l < '0' || *l > '9' || digits == 2)
			return false;
		len = len * 10 + (unsigned)(*l - '0');
	}
	if (digits == 0 || (digits == 2 && slash[1] == '0'))
		return false;
	if (len > 32 || !ip4_parse(buf, &p->addr))
		return false;
	p->len = (uint8_t)len;
	return true;
}

const char *ip4_str(uint32_t a, char buf[IP4_STRLEN])
{
	snprintf(buf, IP4_STRLEN, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
	return buf;
}

const char *prefix_str(const struct prefix *p, char buf[IP4_STRLEN])
{
	uint32_t a = p->addr;
	snprintf(buf, IP4_STRLEN, "%u.%u.%u.%u/%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255,
		 p->len);
	return buf;
}

uint32_t prefix_mask(uint8_t len)
{
	return len ? ~(uint32_t)0 << (32 - len) : 0;
}

uint32_t prefix_net(const struct prefix *p)
{
	return p->addr & prefix_mask(p->len);
}

uint32_t prefix_bcast(const struct prefix *p)
{
	return p->addr | ~prefix_mask(p->len);
}

bool prefix_contains(const struct prefix *p, uint32_t addr)
{
	return ((addr ^ p->addr) & prefix_mask(p->len)) == 0;
}

bool prefix_overlap(const struct prefix *a, const struct prefix *b)
{
	uint8_t len = a->len < b->len ? a->len : b->len;
	return ((a->addr ^ b->addr) & prefix_mask(len)) == 0;
}

const char *ip4_host_problem(const struct prefix *p)
{
	uint32_t a = p->addr;
	if (p->len == 0)
		return "a /0 prefix covers every address";
	if (a >> 24 == 0)
		return "0.0.0.0/8 is not a host address";
	if (a >> 24 == 127)
		return "127.0.0.0/8 is loopback";
	if (a >> 28 >= 14)
		return "multicast and reserved addresses cannot be assigned";
	if (p->len <= 30 && a == prefix_net(p))
		return "that is the subnet's network address";
	if (p->len <= 30 && a == prefix_bcast(p))
		return "that is the subnet's broadcast address";
	return NULL;
}
