#!/usr/bin/env python3
# tests/invalid.py SRC DST PORT: send one TCP packet with SYN and FIN set, which connection
# tracking holds invalid, from SRC to DST: NAT does not rewrite it, so only a firewall that
# drops invalid packets stops it from leaving with a private source address.
import socket
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
tcp = struct.pack("!HHIIBBHHH", 40000, port, 1, 0, 5 << 4, 0x03, 1024, 0, 0)
pseudo = struct.pack("!4s4sBBH", socket.inet_aton(src), socket.inet_aton(dst), 0, 6, len(tcp))
tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
for _ in range(3):
    s.sendto(tcp, (dst, 0))
