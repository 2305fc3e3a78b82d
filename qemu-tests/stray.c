/* stray.c: the QEMU images' maker of an invalid packet: a TCP ACK that belongs to no
 * connection, from SRC to DST port PORT (IPv4 or IPv6), through a raw socket. With
 * nf_conntrack_tcp_loose = 0, conntrack calls it invalid: the box must drop it.
 * usage: stray SRC DST PORT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The Internet checksum of the pseudo-header's addresses, protocol and length, and the
 * segment: the kernel fills in the IP header but not this. */
static uint16_t tcp_sum(const void *src, const void *dst, size_t alen, const void *seg, size_t len)
{
	uint32_t sum = IPPROTO_TCP + (uint32_t)len;
	const uint8_t *parts[3] = {src, dst, seg};
	const size_t lens[3] = {alen, alen, len};

	for (int p = 0; p < 3; p++)
		for (size_t i = 0; i < lens[p]; i += 2)
			sum += (uint32_t)(parts[p][i] << 8 | (i + 1 < lens[p] ? parts[p][i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

int main(int argc, char **argv)
{
	struct sockaddr_storage src = {0}, dst = {0};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&src, *d4 = (struct sockaddr_in *)&dst;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&src, *d6 = (struct sockaddr_in6 *)&dst;
	struct tcphdr th = {0};
	socklen_t slen;
	int fd, family;

	if (argc != 4) {
		fprintf(stderr, "usage: stray SRC DST PORT\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &s4->sin_addr) == 1 && inet_pton(AF_INET, argv[2], &d4->sin_addr) == 1) {
		family = AF_INET;
		slen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, argv[1], &s6->sin6_addr) == 1 &&
		   inet_pton(AF_INET6, argv[2], &d6->sin6_addr) == 1) {
		family = AF_INET6;
		slen = sizeof(*s6);
	} else {
		fprintf(stderr, "stray: SRC and DST are addresses of one family\n");
		return 2;
	}
	src.ss_family = dst.ss_family = (sa_family_t)family;
	th.source = htons(40000);
	th.dest = htons((uint16_t)atoi(argv[3]));
	th.seq = htonl(0x12345678);
	th.ack_seq = htonl(0x9abcdef0);
	th.doff = sizeof(th) / 4;
	th.ack = 1;
	th.window = htons(512);
	if (family == AF_INET)
		th.check = tcp_sum(&s4->sin_addr, &d4->sin_addr, 4, &th, sizeof(th));
	else
		th.check = tcp_sum(&s6->sin6_addr, &d6->sin6_addr, 16, &th, sizeof(th));
	fd = socket(family, SOCK_RAW, IPPROTO_TCP);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, slen) < 0 ||
	    sendto(fd, &th, sizeof(th), 0, (struct sockaddr *)&dst, slen) != (ssize_t)sizeof(th)) {
		perror("stray");
		return 1;
	}
	close(fd);
	return 0;
}
